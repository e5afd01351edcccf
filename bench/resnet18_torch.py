#!/usr/bin/env python3
"""The PyTorch peer of Runner's ResNet-18 training throughput (Debian's python3-torch): torchvision's resnet18 with a
new 5-class head, Adam (lr 1e-3), on random RGB images of --size px (the speed does not depend on the pixels), one
untimed warm-up epoch, then timed epochs. Prints one JSON line: {"images_per_second": ..., ...}.

    /usr/bin/python3 bench/resnet18_torch.py --threads 2 --size 64 --images 512 --bf16 --channels-last
"""
import argparse
import json
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
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
    model = torchvision.models.resnet18(num_classes=5).to(memory_format=layout)
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
    print(json.dumps({"images_per_second": args.images * args.epochs / seconds, "threads": args.threads, "size": args.size,
                      "bf16": args.bf16, "channels_last": args.channels_last, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
