"""torchvision's crops of a known image, for Runner's transform parity test.

usage: transform_reference.py CHANNELS HEIGHT WIDTH SIDE TOP,LEFT,H,W [TOP,LEFT,H,W ...]
The image is pixel (c, y, x) = ((31 c + 7 y + 13 x) mod 256) / 255. Prints, one value a line, CenterCrop(SIDE) of
it, then resized_crop(image, box, [SIDE, SIDE]) of each box (bilinear, antialias off, as torchvision 0.14 does to
tensors), each flattened in C, H, W order.
"""
import sys

import torch
import torchvision.transforms.functional as F

channels, height, width, side = (int(a) for a in sys.argv[1:5])
c = torch.arange(channels).view(-1, 1, 1)
y = torch.arange(height).view(1, -1, 1)
x = torch.arange(width).view(1, 1, -1)
image = ((31 * c + 7 * y + 13 * x) % 256).float() / 255
outputs = [F.center_crop(image, [side, side])]
for box in sys.argv[5:]:
    top, left, h, w = (int(v) for v in box.split(","))
    outputs.append(F.resized_crop(image, top, left, h, w, [side, side], antialias=False))
for out in outputs:
    for value in out.flatten().tolist():
        print(repr(value))
