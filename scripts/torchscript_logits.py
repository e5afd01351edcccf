"""Runs a TorchScript file (such as `runner export`'s of a TorchScript backbone with its head) in Debian's PyTorch on
the input a JSON file gives ({"input": [...], "input_shape": [...]}) and prints its output the same way:
{"output": [...], "output_shape": [...]}. The parity check of an export's arithmetic.

usage: torchscript_logits.py MODEL.pt INPUT.json
"""
import json
import sys

import torch


def main():
    model = torch.jit.load(sys.argv[1]).eval()
    given = json.load(open(sys.argv[2]))
    x = torch.tensor(given["input"], dtype=torch.float32).reshape(given["input_shape"])
    with torch.no_grad():
        y = model(x)
    print(json.dumps({"output": y.flatten().tolist(), "output_shape": list(y.shape)}))


if __name__ == "__main__":
    main()
