#!/usr/bin/env python3
"""personal_writer.py - a synthetic "writer" for the personal-examples test: the digits 0-9 in one
font, each drawn N times with a small random rotation, scale and shift, framed like MNIST (the ink
fitted into 20x20, its centre of mass put at the centre of 28x28), written as a personal folder
(train-images-idx3-ubyte, train-labels-idx1-ubyte) in the order 0,1,...,9,0,1,... Needs PIL with
FreeType (Debian's python3-pil). Writes nothing but the two files.

usage: personal_writer.py FONT OUTDIR [--per-class N] [--seed S]
"""
import argparse
import os
import random
import struct
import sys

from PIL import Image, ImageFont, ImageDraw


def glyph(font, digit, angle, scale):
    """One digit as a 28x28 list of bytes, ink 255, MNIST-framed."""
    big = Image.new("L", (160, 160), 0)
    ImageDraw.Draw(big).text((80, 80), str(digit), fill=255, font=font, anchor="mm")
    big = big.rotate(angle, resample=Image.BILINEAR, center=(80, 80))
    box = big.getbbox()
    if box is None:
        raise SystemExit("personal_writer: the font drew nothing for %d" % digit)
    ink = big.crop(box)
    w, h = ink.size
    f = 20.0 * scale / max(w, h)
    ink = ink.resize((max(1, round(w * f)), max(1, round(h * f))), Image.LANCZOS)
    w, h = ink.size
    # centre of mass to the middle of 28x28 (as MNIST was made)
    px = ink.load()
    tot = sx = sy = 0.0
    for y in range(h):
        for x in range(w):
            v = px[x, y]
            tot += v
            sx += v * x
            sy += v * y
    cx, cy = (sx / tot, sy / tot) if tot else (w / 2, h / 2)
    return ink, cx, cy


def render(font, digit, rng):
    ink, cx, cy = glyph(font, digit, rng.uniform(-10, 10), rng.uniform(0.85, 1.05))
    out = Image.new("L", (28, 28), 0)
    ox = round(14 - cx + rng.uniform(-1.5, 1.5))
    oy = round(14 - cy + rng.uniform(-1.5, 1.5))
    out.paste(ink, (ox, oy))
    return out.tobytes()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("font")
    ap.add_argument("outdir")
    ap.add_argument("--per-class", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    font = ImageFont.truetype(a.font, 96)
    rng = random.Random(a.seed)
    imgs, labels = [], []
    for i in range(a.per_class):
        for d in range(10):
            imgs.append(render(font, d, rng))
            labels.append(d)
    n = len(labels)
    os.makedirs(a.outdir, exist_ok=True)
    with open(os.path.join(a.outdir, "train-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + b"".join(imgs))
    with open(os.path.join(a.outdir, "train-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(labels))
    print("personal_writer: %d digits in %s to %s" % (n, os.path.basename(a.font), a.outdir))


if __name__ == "__main__":
    sys.exit(main())
