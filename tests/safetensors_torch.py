#!/usr/bin/env python3
"""safetensors_torch.py - a foreign safetensors writer and reader for tests/test_model_io.c.

It shares no code with src/core/model_io.c, so the C side is checked against an independent
implementation in both directions. Needs numpy; uses torch for the weights when importable.

  safetensors_torch.py write MODEL REF
      Writes MODEL: an MLP 784-48-24-10 (torch.nn.Linear init with torch.manual_seed(0), or a
      numpy equivalent), tensors "layers.{i}.weight" [out, in] and "layers.{i}.bias" [out],
      in REVERSE order, no __metadata__, header unpadded (as a foreign tool might write it).
      Writes REF (text): "B D K", then B lines of D inputs (float32 values), then B lines of
      K softmax probabilities computed in float64.

  safetensors_torch.py read MODEL INPUTS OUT
      Reads a digitrec MODEL (honouring __metadata__ output_activation and [1] biases), reads
      INPUTS ("B D", then B lines of D floats) and writes OUT ("B K", then B lines of K float64
      probabilities).
"""
import json
import struct
import sys

import numpy as np

SIZES = [784, 48, 24, 10]
BATCH = 6


def make_layers(seed):
    """[(weight (out, in) float32, bias (out,) float32)] and the name of the generator used."""
    try:
        import torch
    except ImportError:
        torch = None
    layers = []
    if torch is not None:
        torch.manual_seed(seed)
        mods = []
        for i in range(len(SIZES) - 1):
            mods.append(torch.nn.Linear(SIZES[i], SIZES[i + 1]))
            if i < len(SIZES) - 2:
                mods.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*mods)
        for m in model:
            if isinstance(m, torch.nn.Linear):
                layers.append((m.weight.detach().cpu().numpy().astype(np.float32),
                               m.bias.detach().cpu().numpy().astype(np.float32)))
        return layers, "torch"
    rng = np.random.default_rng(seed)
    for i in range(len(SIZES) - 1):
        bound = 1.0 / np.sqrt(SIZES[i])  # torch.nn.Linear's default bounds
        w = rng.uniform(-bound, bound, size=(SIZES[i + 1], SIZES[i])).astype(np.float32)
        b = rng.uniform(-bound, bound, size=(SIZES[i + 1],)).astype(np.float32)
        layers.append((w, b))
    return layers, "numpy"


def forward(layers, x, output_relu=False):
    """Softmax probabilities in float64; ReLU between layers (and on the logits if output_relu)."""
    h = x.astype(np.float64)
    for i, (w, b) in enumerate(layers):
        h = h @ w.astype(np.float64).T + b.astype(np.float64)
        if i < len(layers) - 1 or output_relu:
            h = np.maximum(h, 0.0)
    h = h - h.max(axis=1, keepdims=True)
    e = np.exp(h)
    return e / e.sum(axis=1, keepdims=True)


def write_safetensors(path, tensors):
    """tensors: [(name, float32 array)], written in that order with no metadata or padding."""
    header, blobs, at = {}, [], 0
    for name, arr in tensors:
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    h = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """({name: float32 array}, metadata dict) with the checks a careful reader makes."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError("file too short")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > len(buf) - 8:
        raise ValueError("header length beyond the file")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    data = buf[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors, spans = {}, []
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {t['dtype']}")
        b, e = t["data_offsets"]
        count = int(np.prod(t["shape"], dtype=np.int64))
        if e - b != 4 * count or e > len(data):
            raise ValueError(f"{name}: bad data_offsets")
        tensors[name] = np.frombuffer(data[b:e], dtype="<f4").reshape(t["shape"])
        spans.append((b, e))
    spans.sort()
    at = 0
    for b, e in spans:
        if b != at:
            raise ValueError("data not covered exactly")
        at = e
    if at != len(data):
        raise ValueError("trailing bytes")
    return tensors, meta


def cmd_write(model_path, ref_path):
    layers, source = make_layers(0)
    named = []
    for i, (w, b) in enumerate(layers):
        named.append((f"layers.{i}.weight", w))
        named.append((f"layers.{i}.bias", b))
    write_safetensors(model_path, list(reversed(named)))
    rng = np.random.default_rng(1)
    x = rng.uniform(0.0, 1.0, size=(BATCH, SIZES[0])).astype(np.float32)
    x[0] = 0.0                      # a blank canvas
    x[1, 300:500] = 1.0             # a saturated block
    probs = forward(layers, x)
    with open(ref_path, "w") as f:
        f.write(f"{BATCH} {SIZES[0]} {SIZES[-1]}\n")
        for row in x:
            f.write(" ".join(repr(float(v)) for v in row) + "\n")
        for row in probs:
            f.write(" ".join("%.17g" % v for v in row) + "\n")
    print(f"safetensors_torch: wrote {model_path} ({source} weights)")


def cmd_read(model_path, inputs_path, out_path):
    tensors, meta = read_safetensors(model_path)
    layers = []
    i = 0
    while f"layers.{i}.weight" in tensors:
        layers.append((tensors[f"layers.{i}.weight"], tensors[f"layers.{i}.bias"]))
        i += 1
    if len(layers) * 2 != len(tensors):
        raise ValueError("unexpected tensors")
    act = meta.get("output_activation", "softmax")
    if act not in ("softmax", "relu+softmax"):
        raise ValueError(f"output_activation {act}")
    with open(inputs_path) as f:
        bsz, dim = (int(v) for v in f.readline().split())
        x = np.array([[np.float32(v) for v in f.readline().split()] for _ in range(bsz)], dtype=np.float32)
    if x.shape != (bsz, dim):
        raise ValueError("bad inputs file")
    probs = forward(layers, x, output_relu=(act == "relu+softmax"))
    with open(out_path, "w") as f:
        f.write(f"{bsz} {probs.shape[1]}\n")
        for row in probs:
            f.write(" ".join("%.17g" % v for v in row) + "\n")


def main(argv):
    if len(argv) == 4 and argv[1] == "write":
        cmd_write(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "read":
        cmd_read(argv[2], argv[3], argv[4])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
