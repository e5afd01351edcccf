#!/usr/bin/env python3
"""Writes a TorchScript backbone the way a user exports one for Runner (`base: {model: torchscript, weights: FILE}`):
a torchvision network with its classifier replaced by nn.Identity, so it returns features [N, D], scripted with
torch.jit.script and saved with torch.jit.save; plus the features it gives for a fixed input, so Runner can prove it
runs the same program. Needs Debian's python3-torch and python3-torchvision.

    /usr/bin/python3 scripts/export_torchscript_backbone.py --model efficientnet_b0 --out /tmp/ts [--size 64]

--model vit is a small VisionTransformer (2 layers of width 32, patches of 8 px) for fast tests; --model
feature_map keeps a ResNet-18 without its pooling (it returns [N, 512, H, W], which Runner pools); --model wrong_output returns
[N, C, H*W], which Runner refuses. Writes OUT/MODEL.pt and
OUT/MODEL.reference.json (input shape, input values, output shape, output values in eval mode, and the parameter
names in order). With --train-folder DIR the network is first trained (Adam, --epochs, a temporary linear head) on
DIR/train in the ImageFolder layout, normalized with the ImageNet statistics as Runner does: a backbone pretrained on
a source task, standing in for the ImageNet weights a user would script.
"""
import argparse
import json
import os

import torch
import torchvision


class FeatureMap(torch.nn.Module):
    """ResNet-18 up to its last residual layer: a feature map, not pooled features."""

    def __init__(self):
        super().__init__()
        net = torchvision.models.resnet18()
        self.stem = torch.nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4

    def forward(self, x):
        return self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))


class WrongOutput(torch.nn.Module):
    """Returns [N, C, H*W]: neither features nor a feature map (Runner must refuse it in one line)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(x).flatten(2)


def build(name, size):
    if name == "wrong_output":
        return WrongOutput()
    if name == "vit":
        model = torchvision.models.VisionTransformer(image_size=size, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64)
        model.heads = torch.nn.Identity()
        return model
    if name == "feature_map":
        return FeatureMap()
    model = getattr(torchvision.models, name)()
    if hasattr(model, "fc"):
        model.fc = torch.nn.Identity()
    else:
        model.classifier = torch.nn.Identity()
    return model


def train(model, args):
    t = torchvision.transforms
    data = torchvision.datasets.ImageFolder(os.path.join(args.train_folder, "train"), t.Compose([
        t.Resize(args.size), t.CenterCrop(args.size), t.ToTensor(), t.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]))
    with torch.no_grad():
        features = model(torch.zeros(2, 3, args.size, args.size)).flatten(1).shape[1]
    head = torch.nn.Linear(features, len(data.classes))
    loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(args.seed))
    optimizer = torch.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=args.lr)
    model.train()
    for epoch in range(args.epochs):
        correct = total = 0
        for x, y in loader:
            optimizer.zero_grad()
            logits = head(model(x).flatten(1))
            torch.nn.functional.cross_entropy(logits, y).backward()
            optimizer.step()
            correct += (logits.argmax(1) == y).sum().item()
            total += len(y)
        print(json.dumps({"epoch": epoch + 1, "train_accuracy": correct / total}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="efficientnet_b0")
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--trace", action="store_true", help="torch.jit.trace instead of torch.jit.script")
    p.add_argument("--train-folder", help="train on DIR/train (ImageFolder layout) before scripting")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    model = build(args.model, args.size)
    if args.train_folder:
        train(model, args)
    model.eval()
    x = torch.randn(2, 3, args.size, args.size, generator=torch.Generator().manual_seed(args.seed + 1))
    scripted = torch.jit.trace(model, x) if args.trace else torch.jit.script(model)
    with torch.no_grad():
        y = scripted(x)
    path = os.path.join(args.out, args.model + ".pt")
    torch.jit.save(scripted, path)
    with open(os.path.join(args.out, args.model + ".reference.json"), "w") as f:
        json.dump({"model": args.model, "torch": torch.__version__, "input_shape": list(x.shape), "input": x.flatten().tolist(),
                   "output_shape": list(y.shape), "output": y.flatten().tolist(),
                   "parameters": [n for n, _ in scripted.named_parameters()],
                   "children": [n for n, _ in scripted.named_children()]}, f)
    print(json.dumps({"model": args.model, "file": path, "output_shape": list(y.shape)}))


if __name__ == "__main__":
    main()
