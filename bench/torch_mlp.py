#!/usr/bin/python3
"""torch_mlp.py - the PyTorch side of bench/run.sh: trains the same network as `digitrec train`
(same layers, He-normal init, zero biases, plain/momentum SGD or full-batch GD, cosine or
constant learning rate, batch size and epochs) on the same MNIST files, with the data preloaded
as a float tensor, and prints the same 'stats-epoch:' / 'stats:' lines as `digitrec train
--stats`. Only the training steps are timed for samples/s; the per-epoch test evaluation counts
in the wall-clock seconds, as it does for digitrec. The steady state is the epochs after the first
(which pays for warm-up: allocator, thread pools, first-touch of the data): its samples/s is
'steady_samples_per_second'. Needs Debian's python3-torch (/usr/bin/python3).
"""
import argparse
import gzip
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(folder, name):
    """Array from an IDX file (raw or .gz) of the folder."""
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
    # pixel / 255 as float32, the same rule as digitrec's dataset_gather
    xt = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32)) / 255.0
    return xt.contiguous(), torch.from_numpy(y.astype(np.int64))


def build(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        torch.nn.init.normal_(lin.weight, 0.0, math.sqrt(2.0 / sizes[i]))  # He-normal, as net_init_he
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--arch", choices=["mlp", "softmax"], default="mlp")
    ap.add_argument("--optimizer", choices=["gd", "sgd", "momentum"], default="momentum")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--schedule", choices=["const", "cosine"], default="cosine")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "t10k")
    sizes = [784, 128, 64, 10] if args.arch == "mlp" else [784, 10]
    model = build(sizes)
    mom = 0.9 if args.optimizer == "momentum" else 0.0
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=mom)
    n = len(xtr)
    batch = n if args.optimizer == "gd" else min(args.batch, n)
    spe = (n + batch - 1) // batch
    total = args.epochs * spe
    gen = torch.Generator().manual_seed(args.seed)

    def lr_at(step):
        if args.schedule != "cosine" or total <= 0:
            return args.lr
        return args.lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, step / total)))

    step = 0
    samples = 0
    train_s = 0.0
    steady_s, steady_n = 0.0, 0
    t_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen) if batch < n else None
        for i in range(0, n, batch):
            if perm is None:
                xb, yb = xtr, ytr
            else:
                idx = perm[i:i + batch]
                xb, yb = xtr[idx], ytr[idx]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            opt.step()
            step += 1
            samples += len(yb)
        epoch_s = time.perf_counter() - t0
        train_s += epoch_s
        if epoch > 1 or args.epochs == 1:
            steady_s += epoch_s
            steady_n += n
        acc = accuracy(model, xte, yte)
        print(f"stats-epoch: epoch={epoch} step={step} seconds={time.perf_counter() - t_start:.4f} "
              f"train_seconds={epoch_s:.4f} test_acc={acc:.4f}", flush=True)
    wall = time.perf_counter() - t_start
    acc = accuracy(model, xte, yte)
    print(f"stats: steps={step} samples={samples} train_seconds={train_s:.4f} "
          f"samples_per_second={samples / train_s if train_s > 0 else 0:.1f} "
          f"steady_samples_per_second={steady_n / steady_s if steady_s > 0 else 0:.1f} wall_seconds={wall:.4f} "
          f"epochs={args.epochs} threads={args.threads} test_acc={acc:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
