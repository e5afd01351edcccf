"""Loads a TorchScript backbone's model that `runner export ... --out FILE.pt` wrote (a TorchScript file with the head
attached) into PyTorch (Debian's python3-torch) and measures it on an image folder's test split, as a user taking the
model away would: the parity test of TorchScript exports.

usage: evaluate_torchscript_export.py EXPORT_FILE FOLDER
FOLDER is the ImageFolder the trial used (its train/ names the classes, sorted as ImageFolder sorts them; test/ holds
the test split). FILE.json beside the export says which classes the outputs are, and the normalization. Prints one
JSON line: {"test_accuracy": ..., "images": ..., "runner_test_accuracy": ...}.
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image


def main():
    export, folder = sys.argv[1], sys.argv[2]
    description = json.load(open(os.path.splitext(export)[0] + ".json"))
    model = torch.jit.load(export).eval()
    names = sorted(os.listdir(os.path.join(folder, "train")))
    outputs = [names[c["index"]] for c in description["classes"]]
    mean = np.array(description["input"]["mean"], dtype=np.float32)[:, None, None]
    std = np.array(description["input"]["std"], dtype=np.float32)[:, None, None]
    size = description["input"]["height"]
    images, labels = [], []
    for label, name in enumerate(outputs):
        for file in sorted(os.listdir(os.path.join(folder, "test", name))):
            image = Image.open(os.path.join(folder, "test", name, file)).convert("RGB")
            assert image.size == (size, size), "the check feeds images at the trial's size as they are"
            pixels = np.asarray(image, dtype=np.float32).transpose(2, 0, 1) / 255.0
            images.append((pixels - mean) / std)
            labels.append(label)
    with torch.no_grad():
        predicted = model(torch.from_numpy(np.stack(images))).argmax(1)
    correct = int((predicted == torch.tensor(labels)).sum())
    print(json.dumps({"test_accuracy": correct / len(labels), "images": len(labels),
                      "runner_test_accuracy": description["metrics"]["test_accuracy"]}))


if __name__ == "__main__":
    main()
