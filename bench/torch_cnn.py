#!/usr/bin/python3
"""torch_cnn.py - a convolutional network from digitrec's architecture grammar trained in PyTorch
on the MNIST files: used to choose the `--arch cnn` preset (accuracy per epoch, time) and as the
PyTorch side of CNN speed comparisons. Prints 'stats-epoch:' lines (test accuracy after each
epoch, wall seconds) and a final 'stats:' line like bench/torch_mlp.py. Only training steps count
for samples/s. Needs Debian's python3-torch (/usr/bin/python3).

  bench/torch_cnn.py --data data/mnist --arch conv16k5p0-relu-pool-conv32k5p0-relu-pool-fc64-relu-fc10 \
      --epochs 5 --threads 2 [--augment] [--optimizer momentum --lr 0.05 --schedule cosine]

--augment applies a random affine map per image (rotation +-12 deg, zoom 0.9-1.1, shear +-0.15,
shift +-2 px) and a smooth random displacement field of 0.5 px RMS (a 7x7 normal field upsampled
bicubically), bilinear: the same ranges as src/core/augment.c's defaults (whose field is alpha 12,
sigma 4, 0.49 px RMS), not the same images.
"""
import argparse
import gzip
import math
import os
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(folder, prefix):
    x = read_idx(folder, prefix + "-images-idx3-ubyte")
    y = read_idx(folder, prefix + "-labels-idx1-ubyte")
    xt = torch.from_numpy(x.astype(np.float32)).div_(255.0).unsqueeze(1)
    return xt.contiguous(), torch.from_numpy(y.astype(np.int64))


def build(arch):
    """nn.Sequential from a grammar string (conv<C>k<K>[s<S>][p<P>], relu, pool, flatten, fc<N>),
    He-normal weights and zero biases like net_init_he; ReLU is implied between fc layers of the
    dense shorthand only."""
    if re.fullmatch(r"\d+(-\d+)+", arch):
        sizes = [int(t) for t in arch.split("-")]
        toks = []
        for i, n in enumerate(sizes[1:]):
            toks.append(f"fc{n}")
            if i < len(sizes) - 2:
                toks.append("relu")
    else:
        toks = arch.split("-")
    mods, c, h, w, flat = [], 1, 28, 28, False
    for t in toks:
        m = re.fullmatch(r"conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?", t)
        if m:
            co, k = int(m[1]), int(m[2])
            s = int(m[3]) if m[3] else 1
            p = int(m[4]) if m[4] is not None else k // 2
            conv = torch.nn.Conv2d(c, co, k, stride=s, padding=p)
            torch.nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / (c * k * k)))
            torch.nn.init.zeros_(conv.bias)
            mods.append(conv)
            c, h, w = co, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif t == "relu":
            mods.append(torch.nn.ReLU())
        elif t == "pool":
            mods.append(torch.nn.MaxPool2d(2, 2))
            h, w = h // 2, w // 2
        elif t == "flatten" or t.startswith("fc"):
            if not flat:
                mods.append(torch.nn.Flatten())
                flat, c, h, w = True, c * h * w, 1, 1
            if t == "flatten":
                continue
            n = int(t[2:])
            lin = torch.nn.Linear(c, n)
            torch.nn.init.normal_(lin.weight, 0.0, math.sqrt(2.0 / c))
            torch.nn.init.zeros_(lin.bias)
            mods.append(lin)
            c = n
        else:
            raise ValueError(f"bad token {t}")
    return torch.nn.Sequential(*mods)


def conv_macs(model):
    """Multiply-adds of one image's forward pass."""
    macs, x = 0, torch.zeros(1, 1, 28, 28)
    for m in model:
        y = m(x)
        if isinstance(m, torch.nn.Conv2d):
            macs += y.numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, torch.nn.Linear):
            macs += m.in_features * m.out_features
        x = y
    return macs


def augment(x, gen):
    """Random affine + smoothed displacement, bilinear, zero outside: (B,1,28,28) -> same."""
    b = x.shape[0]
    u = lambda lo, hi: torch.rand(b, generator=gen) * (hi - lo) + lo
    ang = u(-12, 12) * math.pi / 180
    sc = u(0.9, 1.1)
    sh = u(-0.15, 0.15)
    tx, ty = u(-2, 2) / 14, u(-2, 2) / 14
    cos, sin = torch.cos(ang), torch.sin(ang)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = cos / sc
    theta[:, 0, 1] = (-sin + sh * cos) / sc
    theta[:, 1, 0] = sin / sc
    theta[:, 1, 1] = (cos + sh * sin) / sc
    theta[:, 0, 2] = tx
    theta[:, 1, 2] = ty
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    # elastic: a 7x7 field of N(0,1) upsampled to 28x28 ~ gaussian-smoothed field
    field = torch.randn(b, 2, 7, 7, generator=gen)
    field = F.interpolate(field, size=(28, 28), mode="bicubic", align_corners=False)
    field = field / field.flatten(1).std(dim=1).clamp_min(1e-6).view(b, 1, 1, 1)
    grid = grid + (2.0 / 28.0) * 0.5 * field.permute(0, 2, 3, 1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000))
    model.train()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--arch", default="conv16k5p0-relu-pool-conv32k5p0-relu-pool-fc64-relu-fc10")
    ap.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], default="momentum")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--schedule", choices=["const", "cosine"], default="cosine")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--augment", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="train on the first N images only")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "t10k")
    if args.limit:
        xtr, ytr = xtr[:args.limit], ytr[:args.limit]
    model = build(args.arch)
    print(f"arch: {args.arch} params={sum(p.numel() for p in model.parameters())} "
          f"macs_per_image={conv_macs(model)}", flush=True)
    if args.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9 if args.optimizer == "momentum" else 0.0)
    n = len(xtr)
    spe = (n + args.batch - 1) // args.batch
    total = args.epochs * spe
    gen = torch.Generator().manual_seed(args.seed)

    def lr_at(step):
        if args.schedule != "cosine":
            return args.lr
        return args.lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, step / total)))

    step = samples = 0
    train_s = 0.0
    t_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = xtr[idx], ytr[idx]
            if args.augment:
                xb = augment(xb, gen)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            opt.step()
            step += 1
            samples += len(yb)
        train_s += time.perf_counter() - t0
        acc = accuracy(model, xte, yte)
        print(f"stats-epoch: epoch={epoch} step={step} seconds={time.perf_counter() - t_start:.2f} "
              f"train_seconds={train_s:.2f} test_acc={acc:.4f}", flush=True)
    wall = time.perf_counter() - t_start
    print(f"stats: steps={step} samples={samples} train_seconds={train_s:.4f} "
          f"samples_per_second={samples / train_s if train_s > 0 else 0:.1f} wall_seconds={wall:.4f} "
          f"epochs={args.epochs} threads={args.threads} test_acc={acc:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
