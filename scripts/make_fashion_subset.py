#!/usr/bin/env python3
"""Builds the small Fashion-MNIST subset shipped in data/fashion-mnist-subset (standard library only).

Takes the first N training and M test images of every class, in file order, so the result is the same every time:

    python3 scripts/make_fashion_subset.py /usr/share/datasets/fashion-mnist data/fashion-mnist-subset 1000 500
"""
import gzip
import os
import struct
import sys


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return dims, data[4 + 4 * rank:]


def write_idx(path, dims, payload):
    header = bytes([0, 0, 8, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims)
    # mtime=0 keeps the output byte-identical between runs.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(header + payload)


def subset(src, dst, prefix, per_class):
    (count, rows, cols), pixels = read_idx(os.path.join(src, f"{prefix}-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(src, f"{prefix}-labels-idx1-ubyte.gz"))
    size = rows * cols
    taken = {c: 0 for c in range(10)}
    keep = []
    for i, label in enumerate(labels):
        if taken[label] < per_class:
            taken[label] += 1
            keep.append(i)
    write_idx(os.path.join(dst, f"{prefix}-images-idx3-ubyte.gz"), (len(keep), rows, cols),
              b"".join(pixels[i * size:(i + 1) * size] for i in keep))
    write_idx(os.path.join(dst, f"{prefix}-labels-idx1-ubyte.gz"), (len(keep),), bytes(labels[i] for i in keep))
    print(f"{prefix}: {len(keep)} images ({per_class} per class)")


if __name__ == "__main__":
    src, dst, train_n, test_n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(dst, exist_ok=True)
    subset(src, dst, "train", train_n)
    subset(src, dst, "t10k", test_n)
