#!/usr/bin/python3
"""make_sets.py - builds digitrec's reading evaluation sets, none from MNIST, deterministic from a seed.
Usage: bench/reading/make_sets.py OUTDIR [--seed N] [--per-font N] [--quick]

  glyphs/  one PGM per (font, digit): the glyph at 160 px, ink = 255; reading_bench thins it to a
           skeleton and draws that as canvas strokes (through the canvas's own rasteriser)
  fonts/   handwriting-style digits in Debian's fonts, dark on light, various sizes, tilts, inks
  photos/  pen strokes (glyph skeletons re-drawn with a pen) on grey, tinted, yellowed and
           gradient-lit paper with shadows, specks, blur, noise and JPEG; a tenth light on dark
  letters/ letters A-Z, a-z (minus the digit-like I, O, S, i, l, o, s...) in the same fonts: not digits
  uci/     the UCI optical digits that python3-sklearn ships (8x8, 0..16, 13 writers of its test
           half), upsampled to 32x32
Each folder has a manifest.tsv: file, digit, and a tag list (size=, pen=, place=, font=, ...).
Needs python3-pil, python3-numpy and, for uci/, python3-sklearn. These sets are for measuring
only: no shipped model is ever trained on them."""
import argparse
import io
import math
import os
import random
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# fonts-femkeklaver is left out: its digits are outlines (two thin lines per stroke), which no pen draws.
FONTS = [
    "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
    "/usr/share/fonts/truetype/fifthhorseman/dkgIt.ttf",
    "/usr/share/fonts/truetype/breip/Breip.ttf",
    "/usr/share/fonts/opentype/bwht/BecauseWeBuild-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeConnect-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeCreate-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeLearn-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeMentor-Regular.otf",
    "/usr/share/fonts/opentype/bwht/BecauseWeOrganize-Regular.otf",
    "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
    "/usr/share/fonts/truetype/rufscript/Rufscript010.ttf",
    "/usr/share/fonts/truetype/sjfonts/Delphine.ttf",
    "/usr/share/fonts/truetype/sjfonts/SteveHand.ttf",
    "/usr/share/fonts/truetype/yusei-magic/YuseiMagic-Regular.ttf",
    "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf",
    "/usr/share/fonts/truetype/kristi/Kristi.ttf",
    "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
]


def glyph(font_path, d, px=160):
    """The digit's ink (uint8, ink = 255) cropped to its box, or None when the font has no such glyph."""
    f = ImageFont.truetype(font_path, px)
    im = Image.new("L", (px * 2, px * 2), 0)
    ImageDraw.Draw(im).text((px // 2, px // 3), d, fill=255, font=f)
    a = np.asarray(im)
    ys, xs = np.nonzero(a > 127)
    if len(xs) < 20:
        return None
    # a font without digits draws its .notdef box for every one of them
    tofu = Image.new("L", (px * 2, px * 2), 0)
    ImageDraw.Draw(tofu).text((px // 2, px // 3), "\uffff", fill=255, font=f)
    if np.array_equal(np.asarray(tofu), a):
        return None
    return a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def thin(mask):
    """Zhang-Suen thinning of a bool array (vectorised), for the photo set's pen strokes."""
    m = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p2, p3, p4, p5 = m[:-2, 1:-1], m[:-2, 2:], m[1:-1, 2:], m[2:, 2:]
            p6, p7, p8, p9 = m[2:, 1:-1], m[2:, :-2], m[1:-1, :-2], m[:-2, :-2]
            ring = [p2, p3, p4, p5, p6, p7, p8, p9, p2]
            b = p2 + p3 + p4 + p5 + p6 + p7 + p8 + p9
            a = sum(((ring[k] == 0) & (ring[k + 1] == 1)).astype(np.uint8) for k in range(8))
            c = m[1:-1, 1:-1] == 1
            if step == 0:
                cond = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
            else:
                cond = (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            kill = c & (b >= 2) & (b <= 6) & (a == 1) & cond
            if kill.any():
                m[1:-1, 1:-1][kill] = 0
                changed = True
        if not changed:
            return m[1:-1, 1:-1].astype(bool)


def skeleton_segments(g):
    """Skeleton pixels of a glyph as 2-point segments (x0, y0, x1, y1), pixel centres."""
    sk = thin(g > 127)
    ys, xs = np.nonzero(sk)
    on = set(zip(xs.tolist(), ys.tolist()))
    segs = []
    for x, y in on:
        for dx, dy in ((1, 0), (0, 1), (1, 1), (-1, 1)):
            if (x + dx, y + dy) in on:
                if dx and dy and ((x + dx, y) in on or (x, y + dy) in on):
                    continue
                segs.append((x + 0.5, y + 0.5, x + dx + 0.5, y + dy + 0.5))
        if not any((x + dx, y + dy) in on for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy):
            segs.append((x + 0.5, y + 0.5, x + 0.5, y + 0.5))
    return segs, sk.shape


def write_pgm(path, a):
    h, w = a.shape
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (w, h) + a.astype(np.uint8).tobytes())


def glyph_set(out, fonts, manifest):
    os.makedirs(os.path.join(out, "glyphs"), exist_ok=True)
    n = 0
    for fi, fp in enumerate(fonts):
        for d in "0123456789":
            g = glyph(fp, d)
            if g is None:
                continue
            name = "f%02d_%s.pgm" % (fi, d)
            write_pgm(os.path.join(out, "glyphs", name), g)
            manifest.append((name, d, "font=%s" % os.path.basename(fp)))
            n += 1
    return n


def font_set(out, fonts, rng, per_font):
    d_out = os.path.join(out, "fonts")
    os.makedirs(d_out, exist_ok=True)
    rows = []
    for fi, fp in enumerate(fonts):
        for d in "0123456789":
            if glyph(fp, d) is None:
                continue
            for k in range(per_font):
                px = rng.choice([24, 36, 48, 72, 110, 160, 220])
                f = ImageFont.truetype(fp, px)
                ink = rng.choice([0, 0, 30, 60, 90])
                paper = rng.choice([255, 255, 245, 230])
                W = int(px * rng.uniform(1.2, 2.5)) + 8
                H = int(px * rng.uniform(1.3, 2.2)) + 8
                im = Image.new("L", (W * 2, H * 2), paper)
                ImageDraw.Draw(im).text((W // 2, H // 2), d, fill=ink, font=f)
                im = im.rotate(rng.uniform(-8, 8), resample=Image.BILINEAR, fillcolor=paper)
                a = np.asarray(im)
                ys, xs = np.nonzero(a < (paper + ink) / 2)
                cx, cy = (xs.min() + xs.max()) // 2, (ys.min() + ys.max()) // 2
                x0 = max(0, cx - W // 2 + rng.randint(-W // 6, W // 6))
                y0 = max(0, cy - H // 2 + rng.randint(-H // 6, H // 6))
                im = im.crop((x0, y0, x0 + W, y0 + H))
                name = "f%02d_%s_%d.png" % (fi, d, k)
                im.save(os.path.join(d_out, name))
                rows.append((name, d, "font=%s px=%d" % (os.path.basename(fp), px)))
    return rows


def paper_image(rng, W, H):
    """RGB float paper in [0,1]: colour, uneven light, maybe an edge shadow; and its light field."""
    kind = rng.choice(["white", "grey", "tinted", "yellowed", "grey"])
    base = {"white": (0.95, 0.95, 0.95), "grey": (0.78, 0.78, 0.8), "tinted": rng.choice([(0.8, 0.88, 0.95), (0.95, 0.82, 0.85), (0.82, 0.92, 0.8)]),
            "yellowed": (0.93, 0.86, 0.66)}[kind]
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    ang = rng.uniform(0, 2 * math.pi)
    g = (np.cos(ang) * (xx / W - 0.5) + np.sin(ang) * (yy / H - 0.5))
    light = 1.0 + rng.uniform(0.1, 0.6) * g
    cx, cy = rng.uniform(0.2, 0.8) * W, rng.uniform(0.2, 0.8) * H
    r2 = ((xx - cx) ** 2 + (yy - cy) ** 2) / (0.5 * (W * W + H * H))
    light *= 1.0 - rng.uniform(0.0, 0.45) * r2
    tags = ["paper=" + kind]
    if rng.random() < 0.3:  # a shadow falling in from one edge
        side = rng.randrange(4)
        width = rng.uniform(0.08, 0.25)
        t = [xx / W, 1 - xx / W, yy / H, 1 - yy / H][side]
        light *= 1.0 - 0.45 * np.clip((width - t) / width, 0, 1)
        tags.append("shadow")
    light = light / light.max() * rng.uniform(0.85, 1.0)
    img = np.stack([light * c for c in base], axis=-1)
    return img, tags


def photo_set(out, glyphs, rng, count):
    d_out = os.path.join(out, "photos")
    os.makedirs(d_out, exist_ok=True)
    rows = []
    for k in range(count):
        g, d, font = glyphs[k % len(glyphs)]
        W = rng.choice([160, 240, 320, 480, 640])
        H = int(W * rng.uniform(0.7, 1.4))
        paper, tags = paper_image(rng, W, H)
        segs, (gh, gw) = skeleton_segments(g)
        size = rng.uniform(0.25, 0.8) * min(W, H)  # the ink's longer side, pen included
        pen = max(1.0, size * rng.choice([0.03, 0.05, 0.08, 0.12, 0.18]))
        s = (size - 2 * pen) / max(gh, gw)
        # the whole ink inside the picture, at least 4% of it from every edge
        lo_x, hi_x = 0.04 * W + pen, W - 0.04 * W - pen - gw * s
        lo_y, hi_y = 0.04 * H + pen, H - 0.04 * H - pen - gh * s
        ox = rng.uniform(lo_x, hi_x) if hi_x > lo_x else (W - gw * s) / 2
        oy = rng.uniform(lo_y, hi_y) if hi_y > lo_y else (H - gh * s) / 2
        # the stroke drawn at 2x and shrunk: anti-aliased
        mask = Image.new("L", (W * 2, H * 2), 0)
        dr = ImageDraw.Draw(mask)
        for (x0, y0, x1, y1) in segs:
            p0 = (2 * (ox + x0 * s), 2 * (oy + y0 * s))
            p1 = (2 * (ox + x1 * s), 2 * (oy + y1 * s))
            dr.line([p0, p1], fill=255, width=max(1, int(round(2 * pen))))
            r = pen
            for p in (p0, p1):
                dr.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill=255)
        ink_a = np.asarray(mask.resize((W, H), Image.BOX), dtype=np.float64) / 255.0
        inkc = rng.choice(["black", "blue", "pencil", "black"])
        colour = {"black": (0.08, 0.08, 0.1), "blue": (0.12, 0.15, 0.45), "pencil": (0.45, 0.45, 0.47)}[inkc]
        strength = 0.55 if inkc == "pencil" else 1.0
        light_ink = rng.random() < 0.1
        if light_ink:  # chalk on a dark board
            paper = paper * 0.25
            colour = (0.9, 0.9, 0.88)
            tags.append("polarity=light")
        img = paper.copy()
        for c in range(3):
            target = colour[c] * (paper[..., c] / max(paper[..., c].max(), 1e-6)) if not light_ink else colour[c]
            img[..., c] = img[..., c] * (1 - strength * ink_a) + target * strength * ink_a
        if rng.random() < 0.4:  # specks
            for _ in range(rng.randint(1, 8)):
                x, y, r = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(0.5, 2.0)
                yy, xx = np.ogrid[0:H, 0:W]
                m = (xx - x) ** 2 + (yy - y) ** 2 <= r * r
                img[m] *= 0.5
            tags.append("specks")
        im = Image.fromarray(np.clip(img * 255, 0, 255).astype(np.uint8), "RGB")
        blur = rng.choice([0, 0, 0.6, 1.2, 2.0])
        if blur:
            im = im.filter(ImageFilter.GaussianBlur(blur))
        a = np.asarray(im, dtype=np.float64)
        a = a + np.random.RandomState(rng.randrange(1 << 30)).normal(0, rng.uniform(1, 8), a.shape)
        im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")
        if rng.random() < 0.2:
            im = im.convert("L")
            tags.append("grey")
        q = rng.choice([30, 50, 70, 90])
        name = "p%04d_%s.jpg" % (k, d)
        im.save(os.path.join(d_out, name), quality=q)
        tags += ["ink=" + inkc, "pen=%.0f%%" % (100 * pen / size), "size=%.0f%%" % (100 * size / min(W, H)),
                 "jpeg=%d" % q, "font=" + font]
        rows.append((name, d, " ".join(tags)))
    return rows


def uci_set(out):
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("make_sets: no python3-sklearn; uci/ skipped", file=sys.stderr)
        return []
    dg = load_digits()
    d_out = os.path.join(out, "uci")
    os.makedirs(d_out, exist_ok=True)
    rows = []
    for i, (x, y) in enumerate(zip(dg.images, dg.target)):
        im = Image.fromarray((x / 16.0 * 255).astype(np.uint8), "L").resize((32, 32), Image.BILINEAR)
        name = "u%04d_%d.pgm" % (i, y)
        write_pgm(os.path.join(d_out, name), np.asarray(im))
        rows.append((name, str(y), "writer-set=uci-test"))
    return rows


def letter_set(out, fonts):
    """Letters in the same fonts: not digits at all, so every 'sure' reading of one is wrong."""
    d_out = os.path.join(out, "letters")
    os.makedirs(d_out, exist_ok=True)
    rows = []
    for fi, fp in enumerate(fonts):
        f = ImageFont.truetype(fp, 110)
        for ch in "ABCDEFGHJKLMNPQRTUVWXYZabdefghkmnpqrtuwxyz":
            im = Image.new("L", (220, 220), 255)
            ImageDraw.Draw(im).text((50, 30), ch, fill=0, font=f)
            name = "f%02d_%s%s.png" % (fi, ch, "u" if ch.isupper() else "l")
            im.save(os.path.join(d_out, name))
            rows.append((name, "-1", "letter=%s font=%s" % (ch, os.path.basename(fp))))
    return rows


def write_manifest(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-font", type=int, default=4)
    ap.add_argument("--photos", type=int, default=1000)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    fonts = [f for f in FONTS if os.path.exists(f)]
    if not fonts:
        sys.exit("make_sets: none of the handwriting fonts is installed (apt-get install fonts-dkg-handwriting ...)")
    os.makedirs(args.out, exist_ok=True)
    gm = []
    glyph_set(args.out, fonts, gm)
    write_manifest(os.path.join(args.out, "glyphs", "manifest.tsv"), gm)
    glyphs = []
    for name, d, tag in gm:
        with open(os.path.join(args.out, "glyphs", name), "rb") as f:
            raw = f.read()
        hdr = raw.split(b"\n", 3)
        w, h = map(int, hdr[1].split())
        glyphs.append((np.frombuffer(hdr[3], np.uint8).reshape(h, w), d, tag.split("=", 1)[1]))
    rng.shuffle(glyphs)
    write_manifest(os.path.join(args.out, "fonts", "manifest.tsv"), font_set(args.out, fonts, rng, args.per_font))
    write_manifest(os.path.join(args.out, "photos", "manifest.tsv"), photo_set(args.out, glyphs, rng, args.photos))
    write_manifest(os.path.join(args.out, "letters", "manifest.tsv"), letter_set(args.out, fonts))
    uci = uci_set(args.out)
    if uci:
        write_manifest(os.path.join(args.out, "uci", "manifest.tsv"), uci)
    print("make_sets: %d fonts, %d glyphs, sets in %s" % (len(fonts), len(gm), args.out))


if __name__ == "__main__":
    main()
