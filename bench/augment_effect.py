#!/usr/bin/python3
"""augment_effect.py - how a model file copes with digits unlike MNIST's test set: its accuracy on
the MNIST test images as they are and after fixed, seeded distortions that MNIST's own
preprocessing rules out (shifted off-centre, rotated, thicker and thinner strokes, scaled
down), through python/digitrec_torch.py. A stand-in for non-MNIST digit sets, not one: every
image is still an MNIST digit. Prints one markdown row per model.

  bench/augment_effect.py --data data/mnist models/cnn.safetensors other.safetensors ...
"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, HERE)
import digitrec_torch as dt  # noqa: E402
from torch_cnn import load  # noqa: E402


def affine(x, angle_deg=0.0, scale=1.0, shift=0.0, gen=None):
    """Each image rotated by +-angle_deg (sign at random), zoomed by scale, moved by shift px in a
    random direction; bilinear, zero outside."""
    b = x.shape[0]
    sign = torch.randint(0, 2, (b,), generator=gen).float() * 2 - 1
    a = sign * angle_deg * math.pi / 180
    phi = torch.rand(b, generator=gen) * 2 * math.pi
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = torch.cos(a) / scale
    theta[:, 0, 1] = -torch.sin(a) / scale
    theta[:, 1, 0] = torch.sin(a) / scale
    theta[:, 1, 1] = torch.cos(a) / scale
    theta[:, 0, 2] = shift * torch.cos(phi) / 14
    theta[:, 1, 2] = shift * torch.sin(phi) / 14
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def thicker(x):
    """A 3x3 grey dilation: every stroke about 2 px wider."""
    return F.max_pool2d(x, 3, 1, 1)


def thinner(x):
    """A 2x2 grey erosion: every stroke about 1 px narrower (27x27, padded back to 28x28)."""
    return F.pad(-F.max_pool2d(-x, 2, 1), (0, 1, 0, 1))


SETS = [
    ("MNIST test", lambda x, g: x),
    ("shifted 4 px", lambda x, g: affine(x, shift=4, gen=g)),
    ("rotated 25 deg", lambda x, g: affine(x, angle_deg=25, gen=g)),
    ("scaled 0.7", lambda x, g: affine(x, scale=0.7, gen=g)),
    ("thicker strokes", lambda x, g: thicker(x)),
    ("thinner strokes", lambda x, g: thinner(x)),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    torch.set_num_threads(1)
    x, y = load(args.data, "t10k")
    sets = []
    for name, fn in SETS:
        g = torch.Generator().manual_seed(7)
        sets.append((name, torch.cat([fn(x[i:i + 1000], g) for i in range(0, len(x), 1000)])))
    print("| model | " + " | ".join(n for n, _ in sets) + " |")
    print("|---|" + "---|" * len(sets))
    for path in args.models:
        model = dt.load(path)
        accs = []
        with torch.no_grad():
            for _, xs in sets:
                pred = torch.cat([model(xs[i:i + 1000]).argmax(1) for i in range(0, len(xs), 1000)])
                accs.append((pred == y).float().mean().item())
        print(f"| {os.path.basename(path)} | " + " | ".join(f"{100 * a:.2f}%" for a in accs) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
