#!/usr/bin/python3
"""make_ood.py - builds digitrec's non-digit set: letters, scribbles, shapes, several digits at once,
blobs and noise, deterministic from a seed, as the 28x28 inputs the network actually reads.
Usage: bench/ood/make_ood.py [OUTDIR] [--seed N] [--digitrec BIN] [--mnist DIR] [--quick]
(OUTDIR defaults to data/ood, BIN to build/digitrec, DIR to data/mnist.)

Every picture is rendered big (dark ink on light paper, 140-320 px) into OUTDIR/pictures/ and then
run through `digitrec predict --json --save-input`, the photo path of predict and dropped files
(paper found, ink kept, MNIST's 20 px box and centre of mass, thin strokes re-drawn with MNIST's
pen), so the 28x28 inputs are what the network sees. Written:
  OUTDIR/ood-images-idx3-ubyte   (n, 28, 28) the saved inputs
  OUTDIR/ood-labels-idx1-ubyte   (n) kind: 0 letters, 1 scribbles, 2 shapes, 3 multi, 4 noise
  OUTDIR/manifest.tsv            index, kind, predict's state before any detector, picture, tags
Kinds:
  letters   A-Z, a-z minus EXCLUDED (drawn exactly as a digit would be) in Debian's fonts (DejaVu,
            Liberation, FreeFont, URW base35 and the reading sets' handwriting fonts), as the filled
            glyph or as its skeleton re-drawn with a pen
  scribbles random-walk strokes, loop chains, zigzags, spirals
  shapes    triangles, squares, rectangles, diamonds, polygons, stars, crosses, arrows, grids, hearts,
            check marks (no circles or ellipses: those are zeros)
  multi     two or three MNIST test digits side by side with small gaps, so the photo path keeps
            them together and scales the row into the frame
  noise     blobs, speckle clusters, thresholded noise textures, hatching
Needs python3-pil and python3-numpy; fonts-dejavu-core and fonts-urw-base35 (fonts-liberation,
fonts-freefont-ttf and the handwriting fonts are used when installed). Not for training."""
import argparse
import json
import math
import os
import random
import struct
import subprocess
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reading"))
import make_sets  # noqa: E402  (glyph, thin, skeleton_segments, the handwriting FONTS)

KINDS = ["letters", "scribbles", "shapes", "multi", "noise"]

# Letters a reader would take for a digit when drawn in the usual way: O o (0), I l i (1), Z z (2),
# S s (5), b (6), B (8), g q (9). The detector is not asked to reject those.
EXCLUDED = "OoIliZzSsbBgq"
LETTERS = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in EXCLUDED]

SYSTEM_FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
    "/usr/share/fonts/truetype/freefont/FreeMono.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSerifItalic.ttf",
    "/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
    "/usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
    "/usr/share/fonts/opentype/urw-base35/URWBookman-Light.otf",
    "/usr/share/fonts/opentype/urw-base35/C059-Roman.otf",
    "/usr/share/fonts/opentype/urw-base35/P052-Italic.otf",
    "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
]


# ---- drawing ------------------------------------------------------------------------------------

class Sheet:
    """An ink mask drawn at 2x (PIL 'L', ink = 255) for a W x H picture."""

    def __init__(self, W, H):
        self.W, self.H = W, H
        self.im = Image.new("L", (2 * W, 2 * H), 0)
        self.dr = ImageDraw.Draw(self.im)

    def polyline(self, pts, pen, closed=False):
        pts = [(2 * x, 2 * y) for x, y in pts]
        if closed:
            pts = pts + [pts[0]]
        w = max(1, int(round(4 * pen)))  # pen = half the stroke width, in picture pixels
        if len(pts) > 1:
            self.dr.line(pts, fill=255, width=w)
        r = 2 * pen
        for x, y in pts:  # round joints and ends
            self.dr.ellipse([x - r, y - r, x + r, y + r], fill=255)

    def polygon(self, pts):
        self.dr.polygon([(2 * x, 2 * y) for x, y in pts], fill=255)

    def ink(self):
        return np.asarray(self.im.resize((self.W, self.H), Image.BOX), dtype=np.float64) / 255.0


def picture(rng, ink):
    """Dark ink on light paper, a little uneven light and noise, as uint8 (H, W)."""
    H, W = ink.shape
    paper = rng.uniform(0.8, 1.0)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    ang = rng.uniform(0, 2 * math.pi)
    light = 1.0 + rng.uniform(0.0, 0.2) * (np.cos(ang) * (xx / W - 0.5) + np.sin(ang) * (yy / H - 0.5))
    level = rng.uniform(0.0, 0.35)
    g = paper * light * (1 - ink) + level * ink
    g = g + np.random.RandomState(rng.randrange(1 << 30)).normal(0, rng.uniform(0.5, 3.0) / 255, g.shape)
    return np.clip(g * 255, 0, 255).astype(np.uint8)


def fit_points(rng, pts, W, H, frac):
    """Scales and moves pts (list of polylines in any units) so their box's longer side is frac of
    the picture's shorter side, somewhere inside it."""
    xs = [x for p in pts for x, _ in p]
    ys = [y for p in pts for _, y in p]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    ext = max(x1 - x0, y1 - y0, 1e-6)
    s = frac * min(W, H) / ext
    dw, dh = (x1 - x0) * s, (y1 - y0) * s
    ox = rng.uniform(0.1 * W, max(0.1 * W, 0.9 * W - dw))
    oy = rng.uniform(0.1 * H, max(0.1 * H, 0.9 * H - dh))
    return [[(ox + (x - x0) * s, oy + (y - y0) * s) for x, y in p] for p in pts], s


def rotate(pts, a, cx=0.0, cy=0.0):
    c, s = math.cos(a), math.sin(a)
    return [[(cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)) for x, y in p] for p in pts]


def canvas_size(rng):
    W = rng.choice([140, 180, 240, 320])
    return W, int(W * rng.uniform(0.8, 1.25))


# ---- letters ------------------------------------------------------------------------------------

def letter(rng, font, ch):
    """The glyph filled (font ink) or its skeleton re-drawn with a round pen (handwriting-like)."""
    g = make_sets.glyph(font, ch, 160)
    if g is None:
        return None, ""
    W, H = canvas_size(rng)
    if rng.random() < 0.5:
        size = rng.uniform(0.35, 0.8) * min(W, H)
        s = size / max(g.shape)
        gi = Image.fromarray(g).resize((max(1, int(g.shape[1] * s)), max(1, int(g.shape[0] * s))), Image.LANCZOS)
        gi = gi.rotate(rng.uniform(-8, 8), resample=Image.BILINEAR, expand=True, fillcolor=0)
        a = np.zeros((H, W))
        gh, gw = gi.size[1], gi.size[0]
        gh, gw = min(gh, H - 2), min(gw, W - 2)
        ox = rng.randint(1, max(1, W - gw - 1))
        oy = rng.randint(1, max(1, H - gh - 1))
        a[oy:oy + gh, ox:ox + gw] = np.asarray(gi, dtype=np.float64)[:gh, :gw] / 255.0
        return a, "style=filled"
    segs, (gh, gw) = make_sets.skeleton_segments(g)
    if not segs:
        return None, ""
    lines = [[(x0, y0), (x1, y1)] for x0, y0, x1, y1 in segs]
    lines = rotate(lines, math.radians(rng.uniform(-10, 10)), gw / 2, gh / 2)
    frac = rng.uniform(0.35, 0.8)
    lines, s = fit_points(rng, lines, W, H, frac)
    pen = max(1.0, frac * min(W, H) * rng.choice([0.025, 0.04, 0.06, 0.08]))
    sh = Sheet(W, H)
    for p in lines:
        sh.polyline(p, pen)
    return sh.ink(), "style=pen"


# ---- scribbles ----------------------------------------------------------------------------------

def scribble_walk(rng):
    """A smooth random walk: the heading turns by a drifting curvature."""
    n = rng.randint(40, 160)
    x = y = 0.0
    h = rng.uniform(0, 2 * math.pi)
    k = 0.0
    p = [(x, y)]
    for _ in range(n):
        k = 0.85 * k + rng.gauss(0, 0.12)
        h += k
        x += math.cos(h)
        y += math.sin(h)
        p.append((x, y))
    return [p], "walk"


def scribble_loops(rng):
    """A chain of loops (a cursive 'eeee' or a coil), maybe tilted."""
    n = rng.randint(2, 6)
    r = 1.0
    adv = rng.uniform(0.5, 1.4)
    squash = rng.uniform(0.5, 1.5)
    p = []
    steps = 24 * n
    for i in range(steps + 1):
        t = 2 * math.pi * n * i / steps
        p.append((adv * t / (2 * math.pi) + r * math.sin(t), squash * r * math.cos(t)))
    return rotate([p], rng.uniform(-0.6, 0.6)), "loops"


def scribble_zigzag(rng):
    n = rng.randint(3, 9)
    amp = rng.uniform(0.5, 2.0)
    p = [(i + rng.uniform(-0.2, 0.2), amp * (i % 2) + rng.uniform(-0.2, 0.2)) for i in range(n)]
    return rotate([p], rng.uniform(0, 2 * math.pi)), "zigzag"


def scribble_spiral(rng):
    turns = rng.uniform(1.5, 4)
    p = []
    for i in range(int(40 * turns)):
        t = 2 * math.pi * turns * i / (40 * turns)
        r = 0.1 + t
        p.append((r * math.cos(t), r * math.sin(t)))
    return [p], "spiral"


def scribble(rng):
    kinds = [scribble_walk, scribble_walk, scribble_loops, scribble_zigzag, scribble_spiral]
    strokes, tags = [], []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        f = rng.choice(kinds)
        s, t = f(rng)
        if strokes:  # the next stroke somewhere near the first
            xs = [x for q in strokes for x, _ in q]
            dx = rng.uniform(-0.5, 0.5) * (max(xs) - min(xs) + 1)
            s = [[(x + dx, y + dx * rng.uniform(-1, 1)) for x, y in q] for q in s]
        strokes += s
        tags.append(t)
    W, H = canvas_size(rng)
    frac = rng.uniform(0.35, 0.8)
    strokes, _ = fit_points(rng, strokes, W, H, frac)
    pen = max(1.0, frac * min(W, H) * rng.choice([0.02, 0.035, 0.05, 0.07]))
    sh = Sheet(W, H)
    for p in strokes:
        sh.polyline(p, pen)
    return sh.ink(), "scribble=" + "+".join(tags)


# ---- shapes -------------------------------------------------------------------------------------

def regular(n, r=1.0, a0=0.0):
    return [(r * math.cos(a0 + 2 * math.pi * i / n), r * math.sin(a0 + 2 * math.pi * i / n)) for i in range(n)]


def shape_points(rng, kind):
    """Closed outlines (list of polygons) or open strokes, and whether they close."""
    if kind == "triangle":
        return [regular(3, 1, rng.uniform(0, 2 * math.pi))], True
    if kind == "square":
        return [[(0, 0), (1, 0), (1, 1), (0, 1)]], True
    if kind == "rectangle":
        a = rng.uniform(0.3, 0.6)
        return [[(0, 0), (1, 0), (1, a), (0, a)]], True
    if kind == "diamond":
        return [[(0, -1), (0.7, 0), (0, 1), (-0.7, 0)]], True
    if kind == "polygon":
        return [regular(rng.choice([5, 6, 8]), 1, rng.uniform(0, 1))], True
    if kind == "star":
        n = rng.choice([5, 5, 6, 7])
        ri = rng.uniform(0.35, 0.5)
        pts = []
        for i in range(2 * n):
            r = 1.0 if i % 2 == 0 else ri
            a = -math.pi / 2 + math.pi * i / n
            pts.append((r * math.cos(a), r * math.sin(a)))
        return [pts], True
    if kind == "plus":
        return [[(-1, 0), (1, 0)], [(0, -1), (0, 1)]], False
    if kind == "xcross":
        return [[(-1, -1), (1, 1)], [(-1, 1), (1, -1)]], False
    if kind == "arrow":
        hl = rng.uniform(0.25, 0.45)
        return [[(-1, 0), (1, 0)], [(1 - hl, -hl), (1, 0), (1 - hl, hl)]], False
    if kind == "grid":
        n = rng.choice([2, 3, 4])
        lines = []
        for i in range(1, n + 1) if n == 2 else range(n + 1):
            t = i / (n + 1) if n == 2 else i / n
            lines.append([(t, 0), (t, 1)])
            lines.append([(0, t), (1, t)])
        return lines, False
    if kind == "heart":
        pts = []
        for i in range(60):
            t = 2 * math.pi * i / 60
            pts.append((16 * math.sin(t) ** 3, -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))))
        return [pts], True
    if kind == "check":
        return [[(0, 0.5), (0.35, 1), (1, 0)]], False
    raise ValueError(kind)


SHAPES = ["triangle", "square", "rectangle", "diamond", "polygon", "star", "plus", "xcross", "arrow", "grid",
          "heart", "check"]


def shape(rng):
    kind = rng.choice(SHAPES)
    pts, closed = shape_points(rng, kind)
    pts = rotate(pts, rng.uniform(0, 2 * math.pi) if kind not in ("square", "grid") or rng.random() < 0.5 else 0)
    W, H = canvas_size(rng)
    frac = rng.uniform(0.35, 0.8)
    pts, _ = fit_points(rng, pts, W, H, frac)
    sh = Sheet(W, H)
    filled = closed and rng.random() < 0.25
    if filled:
        for p in pts:
            sh.polygon(p)
    else:
        pen = max(1.0, frac * min(W, H) * rng.choice([0.02, 0.035, 0.05, 0.07]))
        for p in pts:
            sh.polyline(p, pen, closed)
    return sh.ink(), "shape=%s%s" % (kind, " filled" if filled else "")


# ---- several digits -----------------------------------------------------------------------------

def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack(">I", raw[:4])
    nd = magic & 0xff
    dims = struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd])
    return np.frombuffer(raw[4 + 4 * nd:], np.uint8).reshape(dims)


def multi(rng, images, labels):
    """Two or three MNIST test digits side by side, ink boxes 1-4 px apart (28x28 units), upscaled."""
    n = rng.choice([2, 2, 3])
    picks = [rng.randrange(len(images)) for _ in range(n)]
    cells = []
    for i in picks:
        a = images[i].astype(np.float64) / 255.0
        ys, xs = np.nonzero(a > 0.2)
        cells.append(a[ys.min():ys.max() + 1, xs.min():xs.max() + 1])
    hmax = max(c.shape[0] for c in cells)
    gaps = [rng.randint(1, 4) for _ in range(n - 1)]
    width = sum(c.shape[1] for c in cells) + sum(gaps)
    row = np.zeros((hmax + 4, width + 4))
    x = 2
    for k, c in enumerate(cells):
        dy = 2 + rng.randint(0, hmax - c.shape[0]) if hmax > c.shape[0] else 2
        row[dy:dy + c.shape[0], x:x + c.shape[1]] = np.maximum(row[dy:dy + c.shape[0], x:x + c.shape[1]], c)
        x += c.shape[1] + (gaps[k] if k < n - 1 else 0)
    W, H = canvas_size(rng)
    W = max(W, int(H * 1.4))
    s = rng.uniform(0.5, 0.85) * W / row.shape[1]
    im = Image.fromarray((row * 255).astype(np.uint8)).resize((int(row.shape[1] * s), int(row.shape[0] * s)),
                                                                Image.BICUBIC)
    a = np.zeros((H, W))
    h, w = min(im.size[1], H - 2), min(im.size[0], W - 2)
    ox, oy = rng.randint(1, max(1, W - w - 1)), rng.randint(1, max(1, H - h - 1))
    a[oy:oy + h, ox:ox + w] = np.asarray(im, dtype=np.float64)[:h, :w] / 255.0
    return np.clip(a, 0, 1), "digits=%s" % "".join(str(int(labels[i])) for i in picks)


# ---- blobs and noise ----------------------------------------------------------------------------

def smooth_noise(rng, H, W, cell):
    nr = np.random.RandomState(rng.randrange(1 << 30))
    small = nr.rand(max(2, H // cell), max(2, W // cell))
    return np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((W, H), Image.BICUBIC),
                      dtype=np.float64) / 255.0


def noise(rng):
    W, H = canvas_size(rng)
    kind = rng.choice(["blob", "blob", "speckle", "texture", "hatch"])
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    cx, cy = rng.uniform(0.35, 0.65) * W, rng.uniform(0.35, 0.65) * H
    r = rng.uniform(0.2, 0.35) * min(W, H)
    window = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))
    if kind == "blob":  # one or a few smooth filled blobs
        f = smooth_noise(rng, H, W, rng.choice([20, 30, 45])) * window
        a = (f > rng.uniform(0.35, 0.55) * f.max()).astype(np.float64)
    elif kind == "speckle":  # a cloud of dots
        nr = np.random.RandomState(rng.randrange(1 << 30))
        a = ((nr.rand(H, W) < rng.uniform(0.02, 0.08) * window * 4)).astype(np.float64)
        a = np.asarray(Image.fromarray((a * 255).astype(np.uint8)).resize((W // 2, H // 2), Image.BOX)
                       .resize((W, H), Image.NEAREST), dtype=np.float64) / 255.0
        a = (a > 0.2).astype(np.float64)
    elif kind == "texture":  # thresholded fine noise inside a patch
        f = smooth_noise(rng, H, W, rng.choice([4, 6, 9]))
        a = ((f > 0.55) & (window > 0.3)).astype(np.float64)
    else:  # hatching: parallel strokes, maybe crossed
        sh = Sheet(W, H)
        n = rng.randint(4, 9)
        ang = rng.uniform(0, math.pi)
        pen = max(1.0, r * rng.uniform(0.04, 0.08))
        for cross in range(rng.choice([1, 1, 2])):
            a2 = ang + cross * math.pi / 2
            for i in range(n):
                t = (i / (n - 1) - 0.5) * 2 * r
                ux, uy = math.cos(a2), math.sin(a2)
                px, py = cx - uy * t, cy + ux * t
                sh.polyline([(px - ux * r, py - uy * r), (px + ux * r, py + uy * r)], pen)
        a = sh.ink()
    return a, "noise=" + kind


# ---- the whole set ------------------------------------------------------------------------------

def predict_inputs(digitrec, pics, save_dir, chunk=300):
    """Runs predict --json --save-input on the pictures; returns each one's state."""
    states = {}
    for i in range(0, len(pics), chunk):
        part = pics[i:i + chunk]
        out = subprocess.run([digitrec, "predict", "--json", "--save-input", save_dir] + part, check=True,
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            j = json.loads(line)
            states[j["image"]] = j["state"]
    return [states[p] for p in pics]


def write_idx(path, a, images):
    with open(path, "wb") as f:
        if images:
            f.write(struct.pack(">IIII", 0x803, a.shape[0], a.shape[1], a.shape[2]))
        else:
            f.write(struct.pack(">II", 0x801, a.shape[0]))
        f.write(a.astype(np.uint8).tobytes())


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=os.path.join(root, "data", "ood"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--digitrec", default=os.path.join(root, "build", "digitrec"))
    ap.add_argument("--mnist", default=os.path.join(root, "data", "mnist"))
    ap.add_argument("--quick", action="store_true", help="a tenth of every kind")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    fonts = [f for f in SYSTEM_FONTS + make_sets.FONTS if os.path.exists(f)]
    if len([f for f in fonts if f in SYSTEM_FONTS]) < 4:
        sys.exit("make_ood: too few system fonts (apt-get install fonts-dejavu-core fonts-urw-base35 "
                 "fonts-liberation fonts-freefont-ttf)")
    te_x = read_idx(os.path.join(args.mnist, "t10k-images-idx3-ubyte"))
    te_y = read_idx(os.path.join(args.mnist, "t10k-labels-idx1-ubyte"))
    scale = 10 if args.quick else 1
    pic_dir, in_dir = os.path.join(args.out, "pictures"), os.path.join(args.out, "inputs")
    os.makedirs(pic_dir, exist_ok=True)
    os.makedirs(in_dir, exist_ok=True)

    items = []  # (kind, ink array, tags)
    for fi, f in enumerate(fonts):
        for ch in LETTERS[fi % 3::3] if args.quick else LETTERS:
            a, tag = letter(rng, f, ch)
            if a is not None:
                items.append((0, a, "letter=%s font=%s %s" % (ch, os.path.basename(f), tag)))
    for _ in range(1100 // scale):
        items.append((1,) + scribble(rng))
    for _ in range(1100 // scale):
        items.append((2,) + shape(rng))
    for _ in range(800 // scale):
        items.append((3,) + multi(rng, te_x, te_y))
    for _ in range(600 // scale):
        items.append((4,) + noise(rng))

    pics = []
    for i, (k, a, tags) in enumerate(items):
        p = os.path.join(pic_dir, "%05d_%s.png" % (i, KINDS[k]))
        Image.fromarray(picture(rng, a), "L").save(p)
        pics.append(p)
    states = predict_inputs(args.digitrec, pics, in_dir)
    x = np.zeros((len(items), 28, 28), np.uint8)
    for i, p in enumerate(pics):
        x[i] = np.asarray(Image.open(os.path.join(in_dir, os.path.splitext(os.path.basename(p))[0] + ".png")).convert("L"))
    y = np.array([k for k, _, _ in items], np.uint8)
    write_idx(os.path.join(args.out, "ood-images-idx3-ubyte"), x, True)
    write_idx(os.path.join(args.out, "ood-labels-idx1-ubyte"), y, False)
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        for i, ((k, _, tags), st) in enumerate(zip(items, states)):
            f.write("%d\t%s\t%s\t%s\t%s\n" % (i, KINDS[k], st, os.path.basename(pics[i]), tags))
    counts = {KINDS[k]: int((y == k).sum()) for k in range(len(KINDS))}
    blank = sum(s == "blank" for s in states)
    print("make_ood: %d images (%s), %d fonts, %d read as blank, in %s" %
          (len(items), ", ".join("%s %d" % kv for kv in counts.items()), len(fonts), blank, args.out))


if __name__ == "__main__":
    main()
