#!/usr/bin/python3
"""reading_inputs.py - the reading sets' real digits (bench/reading/make_sets.py: fonts/ and photos/)
as the 28x28 inputs the network sees, for bench/ood/measure: each picture goes through
`digitrec predict --json --save-input` (the same path as the non-digit set), then into IDX files.
Usage: bench/ood/reading_inputs.py SETS_DIR [OUTDIR] [--digitrec BIN]
Writes OUTDIR/reading-{fonts,photos}-{images-idx3,labels-idx1}-ubyte (OUTDIR defaults to data/ood)."""
import argparse
import os
import struct
import subprocess
import tempfile

import numpy as np
from PIL import Image


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
    ap.add_argument("sets")
    ap.add_argument("out", nargs="?", default=os.path.join(root, "data", "ood"))
    ap.add_argument("--digitrec", default=os.path.join(root, "build", "digitrec"))
    args = ap.parse_args()
    for kind in ("fonts", "photos"):
        d = os.path.join(args.sets, kind)
        rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(d, "manifest.tsv"))]
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(0, len(rows), 300):
                part = [os.path.join(d, r[0]) for r in rows[i:i + 300]]
                subprocess.run([args.digitrec, "predict", "--json", "--save-input", tmp] + part, check=True,
                               capture_output=True)
            x = np.stack([np.asarray(Image.open(os.path.join(tmp, os.path.splitext(r[0])[0] + ".png")).convert("L"))
                          for r in rows])
        y = np.array([int(r[1]) for r in rows], np.uint8)
        write_idx(os.path.join(args.out, "reading-%s-images-idx3-ubyte" % kind), x, True)
        write_idx(os.path.join(args.out, "reading-%s-labels-idx1-ubyte" % kind), y, False)
        print("reading_inputs: %s %d images" % (kind, len(rows)))


if __name__ == "__main__":
    main()
