#!/usr/bin/python3
"""torch_cnn_check.py - the PyTorch side of tests/test_torch_cnn.sh: CNN model files both ways
through python/digitrec_torch.py.

  torch_cnn_check.py make OUT.safetensors DATA       train a small CNN in PyTorch, save it
  torch_cnn_check.py stats MODEL DATA SETDIR N        PyTorch's accuracy and mean loss on DATA's
      test set as one JSON line; also writes SETDIR, an IDX folder holding the first N test
      images labelled with PyTorch's own predictions (leaving out float-rounding ties)

`digitrec eval --json` on DATA must then give the same accuracy and loss, and on SETDIR an
accuracy of exactly 1: every image classified as PyTorch classified it."""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import digitrec_torch as dt  # noqa: E402

ARCH = "conv8k5-relu-pool-conv16k5p0-relu-pool-fc32-relu-fc10"


def idx(data, name):
    for n in (name, name + ".gz"):
        p = os.path.join(data, n)
        if os.path.exists(p):
            raw = gzip.open(p).read() if n.endswith(".gz") else open(p, "rb").read()
            return raw
    raise SystemExit(f"torch_cnn_check: {data} has no {name}")


def images(data, split):
    raw = idx(data, f"{split}-images-idx3-ubyte")
    n, r, c = struct.unpack(">III", raw[4:16])
    return np.frombuffer(raw[16:16 + n * r * c], np.uint8).reshape(n, 1, r, c)


def labels(data, split):
    raw = idx(data, f"{split}-labels-idx1-ubyte")
    return np.frombuffer(raw[8:], np.uint8)


def make(out, data):
    torch.manual_seed(3)
    torch.set_num_threads(1)
    model = dt.build_arch(ARCH)
    x = torch.from_numpy(images(data, "train")[:25600].astype(np.float32) / 255)
    y = torch.from_numpy(labels(data, "train")[:25600].astype(np.int64))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for i in range(0, 25600, 64):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
    dt.save(model, out, meta={"dataset": "mnist", "note": "made in PyTorch by tests/torch_cnn_check.py"})


def write_idx(folder, x, y):
    os.makedirs(folder, exist_ok=True)
    n = len(y)
    for split in ("train", "t10k"):
        with open(os.path.join(folder, f"{split}-images-idx3-ubyte"), "wb") as f:
            f.write(struct.pack(">IIII", 0x803, n, 28, 28) + x.astype(np.uint8).tobytes())
        with open(os.path.join(folder, f"{split}-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 0x801, n) + y.astype(np.uint8).tobytes())


def stats(model_path, data, setdir, n):
    model = dt.load(model_path)
    xb = images(data, "t10k")
    y = labels(data, "t10k")
    with torch.no_grad():
        logits = torch.cat([model(torch.from_numpy(xb[i:i + 1000].astype(np.float32) / 255))
                            for i in range(0, len(y), 1000)])
    pred = logits.argmax(1).numpy()
    loss = torch.nn.functional.cross_entropy(logits.double(), torch.from_numpy(y.astype(np.int64))).item()
    top2 = torch.topk(logits, 2, dim=1).values
    margin = (top2[:, 0] - top2[:, 1]).numpy()
    ties = margin < 1e-4 * (1 + logits.abs().max(1).values.numpy())
    keep = np.flatnonzero(~ties[:n])
    write_idx(setdir, xb[keep].reshape(len(keep), 784), pred[keep])
    print(json.dumps({"accuracy": float((pred == y).mean()), "loss": loss, "ties": int(ties.sum()),
                      "kept": int(len(keep)), "arch": dt.arch_string(model)}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "stats":
        stats(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        raise SystemExit("usage: torch_cnn_check.py make OUT DATA | stats MODEL DATA SETDIR N")
