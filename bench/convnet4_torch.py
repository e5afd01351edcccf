#!/usr/bin/env python3
"""The PyTorch peer of Runner's convnet4 training loop, for throughput comparisons (Debian's python3-torch).

Same network (3x [conv3x3 no bias, BatchNorm, ReLU, max-pool 2], flatten, linear 576->128, ReLU, linear 128->classes),
same data (Fashion-MNIST IDX files), same optimizer (Adam, lr 1e-3), same batch size, same shuffling per epoch.
Prints one JSON line: {"images_per_second": ..., "threads": ..., "torch": ...}.

    /usr/bin/python3 bench/convnet4_torch.py --data data/fashion-mnist-subset --threads 1 --epochs 2
"""
import argparse
import gzip
import json
import os
import struct
import time
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def find(folder, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(os.path.join(folder, name))


def conv_stage(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2))


def convnet4(classes):
    """Runner's convnet4, with its state_dict names (conv1.0.weight ... head.weight): `runner export` files load into it."""
    return nn.Sequential(OrderedDict([
        ("conv1", conv_stage(1, 32)), ("conv2", conv_stage(32, 64)), ("conv3", conv_stage(64, 64)),
        ("fc1", nn.Sequential(nn.Flatten(), nn.Linear(64 * 3 * 3, 128), nn.ReLU())), ("head", nn.Linear(128, classes))]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--classes", default="5,6,7,8,9")
    p.add_argument("--channels-last", action="store_true",
                   help="model and batches in torch.channels_last, as a PyTorch user tuning for CPU speed would")
    p.add_argument("--bf16", action="store_true", help="forward pass and loss under torch.autocast('cpu', torch.bfloat16)")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    classes = [int(c) for c in args.classes.split(",")]
    images = read_idx(find(args.data, "train-images-idx3-ubyte"))
    labels = read_idx(find(args.data, "train-labels-idx1-ubyte"))
    keep = np.isin(labels, classes)
    remap = {c: i for i, c in enumerate(classes)}
    x = torch.from_numpy(((images[keep].astype(np.float32) / 255.0 - MEAN) / STD)[:, None, :, :].copy())
    y = torch.tensor([remap[int(l)] for l in labels[keep]], dtype=torch.long)

    model = convnet4(len(classes))
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()

    def epoch():
        order = torch.randperm(len(y))
        correct = torch.zeros((), dtype=torch.long)
        for start in range(0, len(y), args.batch_size):
            idx = order[start:start + args.batch_size]
            xb, yb = x.index_select(0, idx).contiguous(memory_format=layout), y.index_select(0, idx)
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                logits = model(xb)
                loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            with torch.no_grad():
                correct += (logits.argmax(1) == yb).sum()
        return int(correct)

    epoch()  # warm-up, not timed
    start = time.perf_counter()
    for _ in range(args.epochs):
        epoch()
    seconds = time.perf_counter() - start
    print(json.dumps({"images_per_second": len(y) * args.epochs / seconds, "threads": args.threads,
                      "images": len(y), "epochs": args.epochs, "torch": torch.__version__,
                      "channels_last": args.channels_last, "bf16": args.bf16}))


if __name__ == "__main__":
    main()
