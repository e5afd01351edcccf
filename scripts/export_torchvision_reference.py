#!/usr/bin/env python3
"""Writes a torchvision model's state_dict (random weights from a fixed seed) the way a user exports a checkpoint,
plus the logits it gives for a fixed input, so Runner can prove it loads PyTorch weights into the same network.

    /usr/bin/python3 scripts/export_torchvision_reference.py --model resnet18 --out /tmp/ref [--size 64]

Writes OUT/MODEL.pt (torch.save of the state_dict), OUT/MODEL.safetensors (the same tensors, safetensors format
written here, as the safetensors package may be missing) and OUT/MODEL.reference.json (input shape, input values
and logits in eval mode). Needs Debian's python3-torch and python3-torchvision.
"""
import argparse
import json
import os
import struct

import torch
import torchvision

DTYPES = {torch.float32: "F32", torch.int64: "I64"}


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet18", choices=["resnet18", "resnet50", "mobilenet_v2"])
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    torch.manual_seed(args.seed)
    model = getattr(torchvision.models, args.model)()
    model.eval()
    x = torch.randn(2, 3, args.size, args.size, generator=torch.Generator().manual_seed(args.seed + 1))
    with torch.no_grad():
        logits = model(x)

    base = os.path.join(args.out, args.model)
    torch.save(model.state_dict(), base + ".pt")
    save_safetensors(model.state_dict(), base + ".safetensors")
    with open(base + ".reference.json", "w") as f:
        json.dump({"model": args.model, "torchvision": torchvision.__version__, "input_shape": list(x.shape),
                   "input": x.flatten().tolist(), "logits_shape": list(logits.shape), "logits": logits.flatten().tolist()}, f)
    print(json.dumps({"model": args.model, "files": [base + ".pt", base + ".safetensors", base + ".reference.json"]}))


if __name__ == "__main__":
    main()
