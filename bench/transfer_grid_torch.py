#!/usr/bin/env python3
"""The PyTorch peer of `runner-bench frozen-sweep`: the same transfer grid as a plain PyTorch loop, the way a
practitioner writes it without Runner (Debian's python3-torch).

Reads the trials Runner expanded (a JSON file: pretraining settings, target classes, validation images per class,
and one entry per trial), pretrains convnet4 on the source classes once, then runs every trial in turn: copy the
base (or a fresh network for scratch), new head, first k stages frozen (requires_grad off, eval mode), Adam/SGD on
`dataset_size` images per class, validation every epoch, test once at the end. Frozen stages are recomputed in every
batch, as in a naive loop. Prints one JSON line: pretraining seconds, trials seconds, trials.

    /usr/bin/python3 bench/transfer_grid_torch.py --data /usr/share/datasets/fashion-mnist --trials trials.json --threads 2
"""
import argparse
import copy
import json
import time

import numpy as np
import torch
from torch import nn

from convnet4_torch import MEAN, STD, convnet4, find, read_idx


def load(folder, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(find(folder, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find(folder, f"{prefix}-labels-idx1-ubyte"))
    return images, labels


def tensors(images, labels, index, classes):
    remap = {c: i for i, c in enumerate(classes)}
    x = torch.from_numpy(((images[index].astype(np.float32) / 255.0 - MEAN) / STD)[:, None, :, :].copy())
    y = torch.tensor([remap[int(l)] for l in labels[index]], dtype=torch.long)
    return x, y


def split(labels, classes, validation_per_class, seed):
    """Per class: a fixed validation carve-out, the rest a pool that trials draw dataset_size images from."""
    rng = np.random.default_rng(seed)
    validation, pool = [], {}
    for c in classes:
        idx = rng.permutation(np.flatnonzero(labels == c))
        validation.extend(idx[:validation_per_class])
        pool[c] = idx[validation_per_class:]
    return np.array(validation), pool


def train(model, x, y, epochs, batch_size, optimizer, lr, weight_decay, momentum, seed, val=None):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = (torch.optim.Adam(params, lr=lr, weight_decay=weight_decay) if optimizer == "adam"
           else torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay))
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        if val is not None:
            evaluate(model, *val)


def evaluate(model, x, y, batch_size=512):
    was_training = [m.training for m in model.modules()]
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(y), batch_size):
            correct += int((model(x[start:start + batch_size]).argmax(1) == y[start:start + batch_size]).sum())
    for m, t in zip(model.modules(), was_training):
        m.training = t
    return correct / len(y)


def freeze(model, depth):
    for stage in list(model.children())[:depth]:
        for p in stage.parameters():
            p.requires_grad = False
        stage.eval()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--trials", required=True)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    grid = json.load(open(args.trials))
    train_images, train_labels = load(args.data, "train")
    test_images, test_labels = load(args.data, "test")

    start = time.perf_counter()
    pre = grid["pretrain"]
    source = np.flatnonzero(np.isin(train_labels, pre["classes"]))
    xs, ys = tensors(train_images, train_labels, source, pre["classes"])
    torch.manual_seed(pre["seed"])
    base = convnet4(len(pre["classes"]))
    base.train()
    train(base, xs, ys, pre["epochs"], pre["batch_size"], pre["optimizer"], pre["lr"], 0.0, 0.9, pre["seed"])
    pretrain_seconds = time.perf_counter() - start

    classes = grid["target_classes"]
    validation, pool = split(train_labels, classes, grid["validation_per_class"], 0)
    val = tensors(train_images, train_labels, validation, classes)
    test = tensors(test_images, test_labels, np.flatnonzero(np.isin(test_labels, classes)), classes)

    start = time.perf_counter()
    accuracies = []
    for t in grid["trials"]:
        torch.manual_seed(t["seed"])
        rng = np.random.default_rng(t["seed"])
        chosen = np.concatenate([rng.permutation(pool[c])[:t["dataset_size"]] for c in classes])
        x, y = tensors(train_images, train_labels, chosen, classes)
        model = copy.deepcopy(base) if t["initialization"] == "pretrained" else convnet4(len(pre["classes"]))
        model[-1] = nn.Linear(128, len(classes))
        model.train()
        freeze(model, t["freeze_depth"])
        train(model, x, y, t["epochs"], t["batch_size"], t["optimizer"], t["lr"], t["weight_decay"], t["momentum"], t["seed"], val)
        accuracies.append(evaluate(model, *test))
    trials_seconds = time.perf_counter() - start
    print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "threads": args.threads, "trials": len(grid["trials"]),
                      "pretrain_seconds": pretrain_seconds, "trials_seconds": trials_seconds,
                      "mean_test_accuracy": float(np.mean(accuracies))}))


if __name__ == "__main__":
    main()
