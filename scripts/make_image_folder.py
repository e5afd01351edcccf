#!/usr/bin/env python3
"""Builds an image folder in torchvision's ImageFolder layout from the Fashion-MNIST subset shipped in the repository,
as a stand-in for a user's own photos: PNG files, three channels (RGB), resized.

    /usr/bin/python3 scripts/make_image_folder.py data/fashion-mnist-subset /tmp/fashion-folder --size 32

Writes OUT/source/{train,test}/CLASS/NNNNN.png for the classes a base is pretrained on (T-shirt/top ... Coat) and
OUT/target/{train,test}/CLASS/NNNNN.png for the new task (Sandal ... Ankle boot), --train and --test images per
class (the first ones in file order, so the output is the same every time). Needs Pillow (python3-pil, which
Debian's python3-torchvision brings).
"""
import argparse
import gzip
import os
import struct

from PIL import Image

CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return dims, data[4 + 4 * rank:]


def write_split(subset, prefix, out, split, per_class, size):
    (count, rows, cols), pixels = read_idx(os.path.join(subset, f"{prefix}-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(subset, f"{prefix}-labels-idx1-ubyte.gz"))
    written = [0] * len(CLASSES)
    for i in range(count):
        label = labels[i]
        if written[label] >= per_class:
            continue
        task = "source" if label < 5 else "target"
        folder = os.path.join(out, task, split, CLASSES[label])
        os.makedirs(folder, exist_ok=True)
        gray = Image.frombytes("L", (cols, rows), pixels[i * rows * cols:(i + 1) * rows * cols])
        gray.convert("RGB").resize((size, size), Image.BILINEAR).save(os.path.join(folder, f"{i:05d}.png"))
        written[label] += 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("subset", help="folder with the Fashion-MNIST IDX files (.gz)")
    p.add_argument("out")
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--train", type=int, default=300, help="training images per class")
    p.add_argument("--test", type=int, default=100, help="test images per class")
    a = p.parse_args()
    write_split(a.subset, "train", a.out, "train", a.train, a.size)
    write_split(a.subset, "t10k", a.out, "test", a.test, a.size)
    print(f"{a.out}/source and {a.out}/target: {a.train} train + {a.test} test PNG images per class, {a.size}x{a.size} RGB")


if __name__ == "__main__":
    main()
