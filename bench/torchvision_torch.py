#!/usr/bin/env python3
"""The PyTorch peer of Runner's training throughput for torchvision models and TorchScript backbones (Debian's
python3-torch): torchvision's --model with a new 5-class head (or --torchscript FILE with a linear head on its
features), Adam (lr 1e-3), on random RGB images of --size px (the speed does not depend on the pixels), one untimed
warm-up epoch, then timed epochs. Prints one JSON line: {"images_per_second": ..., ...}.

    /usr/bin/python3 bench/torchvision_torch.py --model resnet18 --threads 2 --size 64 --images 512 --bf16 --channels-last
    /usr/bin/python3 bench/torchvision_torch.py --torchscript efficientnet_b0.pt --threads 1 --size 64
"""
import argparse
import json
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet18", help="a torchvision classification model")
    p.add_argument("--torchscript", help="a TorchScript backbone returning features [N, D] (scripts/export_torchscript_backbone.py)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--images", type=int, default=512)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--bf16", action="store_true", help="forward pass and loss under torch.autocast('cpu', torch.bfloat16)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    if args.torchscript:
        backbone = torch.jit.load(args.torchscript)
        with torch.no_grad():
            features = backbone(torch.zeros(2, 3, args.size, args.size)).shape[1]
        model = torch.nn.Sequential(backbone, torch.nn.Linear(features, 5)).to(memory_format=layout)
    else:
        options = {"aux_logits": False, "init_weights": True} if args.model in ("inception_v3", "googlenet") else {}
        model = getattr(torchvision.models, args.model)(num_classes=5, **options).to(memory_format=layout)
    x = torch.randn(args.images, 3, args.size, args.size)
    y = torch.randint(0, 5, (args.images,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def epoch():
        order = torch.randperm(args.images)
        for start in range(0, args.images, args.batch_size):
            idx = order[start:start + args.batch_size]
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                loss = torch.nn.functional.cross_entropy(model(x[idx].contiguous(memory_format=layout)), y[idx])
            loss.backward()
            opt.step()

    epoch()
    start = time.perf_counter()
    for _ in range(args.epochs):
        epoch()
    seconds = time.perf_counter() - start
    print(json.dumps({"images_per_second": args.images * args.epochs / seconds, "model": args.torchscript or args.model, "threads": args.threads, "size": args.size,
                      "bf16": args.bf16, "channels_last": args.channels_last, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
