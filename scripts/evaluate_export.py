"""Loads a model `runner export` wrote into PyTorch (Debian's python3-torch) and measures it on the test split Runner
used, as a user taking the model away would: the parity test of exports.

usage: evaluate_export.py EXPORT_FILE DATA_FOLDER
EXPORT_FILE is FILE.pt (read with torch.load) or FILE.safetensors (read by the few lines below: Debian 12 has no
safetensors package); FILE.json beside it says the classes, the input and normalization. DATA_FOLDER holds the
Fashion-MNIST IDX files. Prints one JSON line: {"test_accuracy": ..., "images": ..., "runner_test_accuracy": ...}.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from convnet4_torch import convnet4, find, read_idx  # noqa: E402  (the bench's PyTorch twin of Runner's convnet4)

SAFETENSORS_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "F16": np.float16}


def read_safetensors(path):
    """The safetensors format: an 8-byte little-endian header length, a JSON header, then the raw tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    state = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=SAFETENSORS_DTYPES[entry["dtype"]]).reshape(entry["shape"])
        state[name] = torch.from_numpy(array.copy())
    return state


def main():
    export, data = sys.argv[1], sys.argv[2]
    description = json.load(open(os.path.splitext(export)[0] + ".json"))
    assert description["model"] == "convnet4", "this check builds convnet4 only"
    state = read_safetensors(export) if export.endswith(".safetensors") else torch.load(export)
    classes = [c["index"] for c in description["classes"]]
    model = convnet4(len(classes))
    model.load_state_dict(state)  # strict: every name and shape must match
    model.eval()

    images = read_idx(find(data, "t10k-images-idx3-ubyte"))
    labels = read_idx(find(data, "t10k-labels-idx1-ubyte"))
    mean, std = description["input"]["mean"][0], description["input"]["std"][0]
    # The test split: every test image of the target classes, labelled by its class's position in the list.
    keep = np.concatenate([np.flatnonzero(labels == c) for c in classes])
    x = torch.from_numpy(((images[keep].astype(np.float32) / 255.0 - mean) / std)[:, None, :, :].copy())
    y = torch.tensor([classes.index(int(l)) for l in labels[keep]])
    with torch.no_grad():
        correct = int((model(x).argmax(1) == y).sum())
    print(json.dumps({"test_accuracy": correct / len(y), "images": len(y),
                      "runner_test_accuracy": description["metrics"]["test_accuracy"]}))


if __name__ == "__main__":
    main()
