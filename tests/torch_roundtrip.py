#!/usr/bin/python3
"""torch_roundtrip.py - self-test of python/digitrec_torch.py, run by hand:

    /usr/bin/python3 tests/torch_roundtrip.py [--bin build/digitrec]

Loads the shipped dense models and a hand-written literal-variant file and compares their
outputs with an independent NumPy forward pass; saves random modules of every kind digitrec
holds (softmax, MLP, dense with a ReLU on the logits, CNNs with every kernel size, stride 1 and
2, several paddings) and loads them back, comparing outputs and metadata; checks that every
unsupported module or setting raises ValueError naming it. With --bin, `digitrec info` must
accept the dense files the module writes. Prints 'torch_roundtrip: N passed, M failed' and exits
non-zero on any failure.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
import digitrec_torch as dt  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


def header_of(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n])


def numpy_dense(path, x):
    """Scores of a dense digitrec file by plain NumPy (the README's rules), float64."""
    h = header_of(path)
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    meta = h.pop("__metadata__", {})
    t = lambda k: np.frombuffer(raw, "<f4", int(np.prod(h[k]["shape"])), 8 + n + h[k]["data_offsets"][0]).reshape(h[k]["shape"])
    L = len(h) // 2
    a = x.reshape(len(x), -1).astype(np.float64)
    for i in range(L):
        a = a @ t(f"layers.{i}.weight").astype(np.float64).T + t(f"layers.{i}.bias").astype(np.float64)
        if i < L - 1 or meta.get("output_activation") == "relu+softmax":
            a = np.maximum(a, 0)
    return a


def test_shipped(rng):
    x = rng.uniform(0, 1, size=(16, 1, 28, 28)).astype(np.float32)
    for name in ("mlp", "softmax"):
        path = os.path.join(ROOT, "models", name + ".safetensors")
        model, meta = dt.load(path, with_meta=True)
        with torch.no_grad():
            got = model(torch.from_numpy(x)).double().numpy()
        want = numpy_dense(path, x)
        err = np.abs(got - want).max()
        check(err < 1e-4, f"{name}: torch and numpy scores differ by {err}")
        check(meta.get("layers") in ("784,128,64,10", "784,10"), f"{name}: metadata {meta.get('layers')}")
        check(not model.training, f"{name}: not in eval mode")
        print(f"torch_roundtrip: models/{name}.safetensors loads, max |torch - numpy| = {err:.2e}")


def write_raw(path, tensors, meta):
    """A minimal independent safetensors writer (no padding)."""
    header, blobs, at = {"__metadata__": meta}, [], 0
    for name, arr in tensors:
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def test_literal(rng, tmp):
    sizes = [784, 30, 10]
    tensors = []
    for i in range(2):
        tensors.append((f"layers.{i}.weight", rng.normal(0, 0.1, size=(sizes[i + 1], sizes[i])).astype(np.float32)))
        tensors.append((f"layers.{i}.bias", np.array([rng.normal()], dtype=np.float32)))
    path = os.path.join(tmp, "literal.safetensors")
    write_raw(path, tensors, {"format": "digitrec", "format_version": "1", "layers": "784,30,10",
                              "bias": "per-layer", "output_activation": "relu+softmax"})
    model = dt.load(path)
    x = rng.uniform(0, 1, size=(8, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        got = model(torch.from_numpy(x)).double().numpy()
    err = np.abs(got - numpy_dense(path, x)).max()
    check(err < 1e-4, f"literal variant: differs by {err}")
    check(isinstance(model[-1], nn.ReLU), "literal variant: no ReLU on the logits")
    check((got >= 0).all(), "literal variant: negative scores after the output ReLU")
    # saved back it is the same network (biases written per neuron) with the same scores
    p2 = os.path.join(tmp, "literal2.safetensors")
    dt.save(model, p2)
    m2, meta2 = dt.load(p2, with_meta=True)
    with torch.no_grad():
        e2 = (m2(torch.from_numpy(x)) - model(torch.from_numpy(x))).abs().max().item()
    check(e2 == 0 and meta2["output_activation"] == "relu+softmax" and meta2["layers"] == "784,30,10",
          f"literal variant save/load: {e2} {meta2}")


ARCHS = [
    "784-10", "784-128-64-10", "784-16-16-16-3",
    "conv8k5-relu-pool-conv16k5-relu-pool-fc10",
    "conv16k5-relu-pool-conv32k5-relu-pool-fc10",
    "conv16k5p0-relu-pool-conv32k5p0-relu-pool-fc64-relu-fc10",
    "conv4k3-relu-conv6k4-relu-pool-conv5k6p1-pool-relu-fc7",
    "conv3k7s2p3-relu-conv5k3s2-relu-fc12",
    "conv2k5s2p0-conv3k3p2-pool-fc20-relu-fc5",
    "conv6k7p6-relu-pool-pool-pool-fc10",
]


def test_roundtrip(rng, tmp, binary):
    x = torch.from_numpy(rng.uniform(0, 1, size=(5, 1, 28, 28)).astype(np.float32))
    for i, arch in enumerate(ARCHS):
        torch.manual_seed(i)
        model = dt.build_arch(arch)
        path = os.path.join(tmp, f"m{i}.safetensors")
        classes = [f"c{k}" for k in range(model[-1].out_features)]
        dt.save(model, path, classes=classes, meta={"dataset": "random", "seed": i})
        back, meta = dt.load(path, with_meta=True)
        with torch.no_grad():
            a, b = model(x), back(x)
        err = (a - b).abs().max().item()
        check(err == 0, f"{arch}: scores differ by {err} after save/load")
        canon = dt.arch_string(model)
        dense = canon[0].isdigit()
        if dense:
            check(meta.get("layers") == canon.replace("-", ",") and "arch" not in meta, f"{arch}: dense metadata {meta}")
        else:
            check(meta.get("arch") == canon and "layers" not in meta, f"{arch}: arch metadata {meta.get('arch')} vs {canon}")
        check(meta["classes"] == ",".join(classes) and meta["dataset"] == "random" and meta["seed"] == str(i),
              f"{arch}: metadata {meta}")
        check(dt.arch_string(back) == canon, f"{arch}: loaded module's arch {dt.arch_string(back)} vs {canon}")
        # tensors layers.{j} for the layers with parameters only, in order
        h = header_of(path)
        nparam = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model)
        names = sorted(k for k in h if k != "__metadata__")
        check(names == sorted(f"layers.{j}.{p}" for j in range(nparam) for p in ("weight", "bias")),
              f"{arch}: tensor names {names}")
        if dense and binary:
            r = subprocess.run([binary, "info", path], capture_output=True, text=True)
            check(r.returncode == 0, f"{arch}: digitrec info refused the file: {r.stderr.strip()}")
        print(f"torch_roundtrip: {canon}: save/load max diff {err:.1e}")
    # torch's own spellings of the same layers
    m = nn.Sequential(nn.Conv2d(1, 4, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, (5, 5), padding="valid"),
                      nn.Sequential(nn.Flatten(), nn.Linear(4 * 10 * 10, 10)))
    check(dt.arch_string(m) == "conv4k3-relu-pool-conv4k5p0-fc10", f"torch spellings: {dt.arch_string(m)}")
    m = nn.Sequential(nn.Flatten(), nn.Linear(784, 10, bias=False))
    path = os.path.join(tmp, "nobias.safetensors")
    dt.save(m, path)
    with torch.no_grad():
        check((dt.load(path)(x) - m(x)).abs().max().item() == 0, "bias=False: zero biases differ")


def test_refusals(tmp):
    path = os.path.join(tmp, "bad.safetensors")
    F = nn.Flatten
    cases = [
        (nn.Sequential(nn.Conv2d(1, 4, 3, dilation=2), nn.ReLU(), F(), nn.Linear(4 * 24 * 24, 10)), "dilation"),
        (nn.Sequential(nn.Conv2d(1, 4, 3), nn.Conv2d(4, 4, 3, groups=2), F(), nn.Linear(4 * 24 * 24, 10)), "groups 2"),
        (nn.Sequential(nn.Conv2d(1, 4, (3, 5)), F(), nn.Linear(1, 10)), "not square"),
        (nn.Sequential(nn.Conv2d(1, 4, 3, stride=3), F(), nn.Linear(324, 10)), "stride 3"),
        (nn.Sequential(nn.Conv2d(1, 4, 9), F(), nn.Linear(1, 10)), "kernel size 9"),
        (nn.Sequential(nn.Conv2d(1, 4, 3, padding=3), F(), nn.Linear(1, 10)), "padding 3"),
        (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, padding_mode="reflect"), F(), nn.Linear(1, 10)), "padding_mode"),
        (nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(3), F(), nn.Linear(1, 10)), "MaxPool2d(2, 2)"),
        (nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2, 1), F(), nn.Linear(1, 10)), "MaxPool2d(2, 2)"),
        (nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2, ceil_mode=True), F(), nn.Linear(1, 10)), "ceil_mode"),
        (nn.Sequential(nn.Conv2d(1, 4, 3), nn.AvgPool2d(2), F(), nn.Linear(1, 10)), "module 1 (AvgPool2d)"),
        (nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), F(), nn.Linear(1, 10)), "module 1 (BatchNorm2d)"),
        (nn.Sequential(F(), nn.Linear(784, 10), nn.Sigmoid()), "Sigmoid"),
        (nn.Sequential(F(), nn.Linear(784, 10), nn.Dropout()), "Dropout"),
        (nn.Sequential(nn.Linear(784, 10)), "before any Flatten"),
        (nn.Sequential(nn.Flatten(0, -1), nn.Linear(784, 10)), "Flatten(1, -1)"),
        (nn.Sequential(F(), nn.Linear(700, 10)), "in_features 700"),
        (nn.Sequential(nn.Conv2d(3, 4, 3), F(), nn.Linear(4 * 26 * 26, 10)), "in_channels 3"),
        (nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU()), "end in Linear"),
        (nn.Sequential(nn.Conv2d(1, 4, 3), F(), nn.Linear(2704, 10), nn.ReLU()), "end in Linear"),
        (nn.Sequential(F(), nn.Linear(784, 10), F(), nn.Linear(10, 10)), "already flat"),
        (nn.Linear(784, 10), "nn.Sequential"),
    ]
    for m, want in cases:
        try:
            dt.save(m, path)
            check(False, f"{want}: saved without error")
        except ValueError as e:
            check(want in str(e) and "\n" not in str(e), f"{want}: message {e}")
    check(not os.path.exists(path), "a refused save left a file")
    # bad files
    good = os.path.join(tmp, "m4.safetensors")
    raw = open(good, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    h = json.loads(raw[8:8 + n])
    h["__metadata__"]["arch"] = "conv16k5-relu-pool-conv32k3-relu-pool-fc10"
    hb = json.dumps(h).encode()
    open(path, "wb").write(struct.pack("<Q", len(hb)) + hb + raw[8 + n:])
    try:
        dt.load(path)
        check(False, "a file whose arch disagrees with its tensors loaded")
    except ValueError as e:
        check("layers.1.weight has shape" in str(e), f"arch/tensor mismatch message: {e}")
    open(path, "wb").write(raw[:100])
    try:
        dt.load(path)
        check(False, "a truncated file loaded")
    except ValueError:
        check(True, "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", help="a digitrec binary for `digitrec info` on the written dense files")
    args = ap.parse_args()
    rng = np.random.default_rng(20261201)
    with tempfile.TemporaryDirectory() as tmp:
        test_shipped(rng)
        test_literal(rng, tmp)
        test_roundtrip(rng, tmp, args.bin)
        test_refusals(tmp)
    print(f"torch_roundtrip: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
