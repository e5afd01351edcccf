#!/usr/bin/env python3
"""Writes a torchvision model's state_dict (random weights from a fixed seed) the way a user exports a checkpoint,
plus the logits it gives for a fixed input, so Runner can prove it loads PyTorch weights into the same network.

    /usr/bin/python3 scripts/export_torchvision_reference.py --model resnet18 --out /tmp/ref [--size 64]

With --train-folder DIR the model is first trained (Adam, --epochs, a new head sized to the folder's classes) on
DIR/train in the ImageFolder layout, normalized with the ImageNet statistics as Runner does: a checkpoint
pretrained on a source task, standing in for the ImageNet weights a user would export with

    torch.save(torchvision.models.resnet18(weights="DEFAULT").state_dict(), "resnet18.pt")

Writes OUT/MODEL.pt (torch.save of the state_dict), OUT/MODEL.safetensors (the same tensors, safetensors format
written here, as the safetensors package may be missing) and OUT/MODEL.reference.json (input shape, input values
and logits in eval mode); --formats safetensors writes only that one (the large networks' parity tests). Inception V3
and GoogLeNet are built as torchvision builds them for its ImageNet weights: with their auxiliary heads (in the
state_dict, not in eval's logits) and transform_input on. Needs Debian's python3-torch and python3-torchvision.
"""
import argparse
import json
import os
import struct

import torch
import torchvision

DTYPES = {torch.float32: "F32", torch.int64: "I64"}
MODELS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "wide_resnet50_2", "wide_resnet101_2",
          "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "alexnet", "googlenet",
          "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large"]


def save_safetensors(state, path):
    header, blobs, offset = {}, [], 0
    for name, tensor in state.items():
        data = tensor.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def train(model, args):
    t = torchvision.transforms
    data = torchvision.datasets.ImageFolder(os.path.join(args.train_folder, "train"), t.Compose([
        t.Resize(args.size), t.CenterCrop(args.size), t.ToTensor(),
        t.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]))
    head = "fc" if hasattr(model, "fc") else "classifier"
    if head == "fc":
        model.fc = torch.nn.Linear(model.fc.in_features, len(data.classes))
    else:
        model.classifier[-1] = torch.nn.Linear(model.classifier[-1].in_features, len(data.classes))
    loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(args.seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    model.train()
    for epoch in range(args.epochs):
        correct = total = 0
        for x, y in loader:
            optimizer.zero_grad()
            logits = model(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            correct += (logits.argmax(1) == y).sum().item()
            total += len(y)
        print(json.dumps({"epoch": epoch + 1, "train_accuracy": correct / total}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet18", choices=MODELS)
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-folder", help="train on DIR/train (ImageFolder layout) before saving")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--formats", default="pt,safetensors", help="comma list: pt, safetensors")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(args.seed)
    options = {"init_weights": True, "aux_logits": True, "transform_input": True} if args.model in ("inception_v3", "googlenet") else {}
    model = getattr(torchvision.models, args.model)(**options)
    if args.train_folder:
        train(model, args)
    model.eval()
    x = torch.randn(2, 3, args.size, args.size, generator=torch.Generator().manual_seed(args.seed + 1))
    with torch.no_grad():
        logits = model(x)

    base = os.path.join(args.out, args.model)
    formats = args.formats.split(",")
    if "pt" in formats:
        torch.save(model.state_dict(), base + ".pt")
    if "safetensors" in formats:
        save_safetensors(model.state_dict(), base + ".safetensors")
    with open(base + ".reference.json", "w") as f:
        json.dump({"model": args.model, "torchvision": torchvision.__version__, "input_shape": list(x.shape),
                   "input": x.flatten().tolist(), "logits_shape": list(logits.shape), "logits": logits.flatten().tolist()}, f)
    print(json.dumps({"model": args.model, "files": [base + "." + f for f in formats] + [base + ".reference.json"]}))


if __name__ == "__main__":
    main()
