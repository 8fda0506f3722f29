#!/usr/bin/python3
"""compare.py - the driver behind bench/run.sh: runs `digitrec train --stats` and
bench/torch_mlp.py side by side on the same data, model, optimiser, batch size and epochs,
alternating them, and prints per configuration: samples/s of both, their ratio, achieved
GFLOP/s and its share of the sgemm peak measured in the same run, peak resident memory
(/usr/bin/time -v) and the test accuracy reached. It installs and builds nothing (run.sh does).
"""
import argparse
import datetime
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Floating-point work of one training sample, counting what both programs compute: the forward
# products, dW for every layer and dinp for every layer but the first (2 flops per multiply-add).
# The "3x the forward pass" convention would count a dinp for the input too (x1.44).
MLP_MACS = 784 * 128 + 128 * 64 + 64 * 10
MLP_FLOP = 2 * (2 * MLP_MACS + 128 * 64 + 64 * 10)
SOFTMAX_FLOP = 2 * (2 * 784 * 10)

# name, label, common recipe, FLOP per sample
CONFIGS = [
    ("mlp_b32", "MLP 784-128-64-10, batch 32",
     dict(arch="mlp", optimizer="momentum", lr=0.05, batch=32, epochs=3, schedule="cosine"), MLP_FLOP),
    ("mlp_b64", "MLP, batch 64",
     dict(arch="mlp", optimizer="momentum", lr=0.05, batch=64, epochs=5, schedule="cosine"), MLP_FLOP),
    ("mlp_b256", "MLP, batch 256",
     dict(arch="mlp", optimizer="momentum", lr=0.1, batch=256, epochs=5, schedule="cosine"), MLP_FLOP),
    ("softmax_b64", "softmax 784-10, batch 64",
     dict(arch="softmax", optimizer="sgd", lr=0.1, batch=64, epochs=5, schedule="const"), SOFTMAX_FLOP),
    ("softmax_gd", "softmax, full-batch GD (60,000 images/iteration)",
     dict(arch="softmax", optimizer="gd", lr=0.5, batch=60000, epochs=20, schedule="const"), SOFTMAX_FLOP),
]
# The default recipe, for time to 98.0% test accuracy: filled from `digitrec train --help`.
DEFAULT = ("mlp_default", "MLP default recipe", None, MLP_FLOP)


RT = []  # ["chrt", "-f", "10"] with --rt


def sh(cmd, env=None):
    """(returncode, stdout, stderr) of a command run under /usr/bin/time -v."""
    p = subprocess.run(RT + ["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr


def parse_stats(out, err, rc, what):
    if rc != 0:
        sys.exit(f"compare.py: {what} failed (exit {rc}):\n{err[-2000:]}")
    stats, epochs = None, []
    for line in out.splitlines():
        kv = dict(re.findall(r"(\w+)=(\S+)", line))
        if line.startswith("stats-epoch:"):
            epochs.append((float(kv["seconds"]), float(kv["test_acc"])))
        elif line.startswith("stats:"):
            stats = {k: float(v) for k, v in kv.items()}
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    if stats is None or m is None:
        sys.exit(f"compare.py: no stats from {what}:\n{out[-2000:]}\n{err[-2000:]}")
    stats["rss_mb"] = int(m.group(1)) / 1024.0
    stats["epochs_log"] = epochs
    return stats


def time_to(epochs, acc):
    for seconds, a in epochs:
        if a >= acc:
            return seconds
    return None


def default_recipe(digitrec):
    """The mlp preset's recipe as `digitrec train --help` states it."""
    text = subprocess.run([digitrec, "train", "--help"], capture_output=True, text=True).stdout
    m = re.search(r"mlp = momentum ([\d.]+), lr ([\d.]+), batch (\d+), (\d+) epochs, (\w+) schedule", text)
    if not m:
        sys.exit("compare.py: cannot read the mlp defaults from `digitrec train --help`")
    return dict(arch="mlp", optimizer="momentum", lr=float(m.group(2)), batch=int(m.group(3)),
                epochs=int(m.group(4)), schedule=m.group(5))


def recipe_args(r):
    return ["--arch", r["arch"], "--optimizer", r["optimizer"], "--lr", str(r["lr"]), "--batch", str(r["batch"]),
            "--epochs", str(r["epochs"]), "--schedule", r["schedule"]]


def probe(binary):
    """sgemm GFLOP/s per shape and thread count from bench/sgemm_probe.c."""
    res = {}
    for threads in (1, 2):
        out = subprocess.run(RT + [binary, str(threads)], capture_output=True, text=True, check=True).stdout
        print(out, end="")
        for name, th, g in re.findall(r"sgemm (\S+)\s+threads (\d+)\s+([\d.]+) GFLOP/s", out):
            res[(name, int(th))] = float(g)
    return res


def machine():
    lines = []
    try:
        cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"Model name:\s*(.+)", cpu)
        cpus = re.search(r"^CPU\(s\):\s*(\d+)", cpu, re.M)
        flags = re.search(r"Flags:\s*(.+)", cpu)
        fl = flags.group(1).split() if flags else []
        simd = [f for f in ("avx", "avx2", "fma", "avx512f") if f in fl]
        lines.append(f"cpu: {model.group(1) if model else '?'}, {cpus.group(1) if cpus else '?'} cores, "
                     f"SIMD flags: {' '.join(simd)}{'' if 'avx512f' in fl else ' (no AVX-512)'}")
    except OSError:
        pass
    lines.append(f"os: {platform.platform()}")
    torch_v = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    lines.append(f"torch: {torch_v} (Debian python3-torch), OPENBLAS_NUM_THREADS=1")
    with open("/proc/loadavg") as f:
        lines.append(f"load average at start: {' '.join(f.read().split()[:3])}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--digitrec", required=True)
    ap.add_argument("--probe", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--rounds", type=int, default=2, help="alternating runs per side and configuration")
    ap.add_argument("--torch-threads", default="1,2", help="torch.set_num_threads values to try (best kept)")
    ap.add_argument("--threads", type=int, default=2, help="digitrec --threads")
    ap.add_argument("--only", default="", help="comma-separated configuration names")
    ap.add_argument("--quick", action="store_true", help="one epoch per configuration (a smoke test)")
    ap.add_argument("--rt", action="store_true",
                    help="run both sides (and the sgemm probe) at real-time priority (chrt -f 10, needs root), "
                         "so other programs on a shared machine do not preempt either side")
    args = ap.parse_args()
    if args.rt:
        RT[:] = ["chrt", "-f", "10"]

    print(f"digitrec vs PyTorch benchmark, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    for line in machine():
        print(line)
    print(f"rounds: {args.rounds} alternating runs per side; best samples/s kept; torch threads tried: "
          f"{args.torch_threads}; digitrec --threads {args.threads}"
          f"{'; both sides at real-time priority (chrt -f 10)' if args.rt else ''}")
    print()
    peaks = probe(args.probe)
    peak2 = peaks.get(("large_2048", 2), 0)
    print(f"sgemm peak used below: {peak2:.1f} GFLOP/s (OpenBLAS, 2048^3, 2 threads)")
    print()

    configs = list(CONFIGS)
    dr = default_recipe(args.digitrec)
    configs.append((DEFAULT[0], DEFAULT[1] + f" (momentum, lr {dr['lr']:g}, batch {dr['batch']}, {dr['schedule']})",
                    dr, DEFAULT[3]))
    if args.only:
        keep = set(args.only.split(","))
        configs = [c for c in configs if c[0] in keep]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="2")
    tthreads = [int(t) for t in args.torch_threads.split(",")]
    rows = []
    for name, label, recipe, flop in configs:
        recipe = dict(recipe)
        if args.quick:
            recipe["epochs"] = 1 if recipe["optimizer"] != "gd" else 3
        best = {"digitrec": None, "torch": None}
        rss = {"digitrec": 0.0, "torch": 0.0}
        for rnd in range(args.rounds):
            rc, out, err = sh([args.digitrec, "train", "--data", args.data, "--threads", str(args.threads), "--quiet",
                               "--stats"] + recipe_args(recipe))
            d = parse_stats(out, err, rc, "digitrec")
            runs = [("digitrec", d)]
            for th in tthreads:
                rc, out, err = sh(["/usr/bin/python3", os.path.join(HERE, "torch_mlp.py"), "--data", args.data,
                                   "--threads", str(th)] + recipe_args(recipe), env=env)
                runs.append(("torch", parse_stats(out, err, rc, f"torch_mlp.py --threads {th}")))
            for side, s in runs:
                rss[side] = max(rss[side], s["rss_mb"])
                print(f"  {name} round {rnd + 1} {side:8s} threads {int(s['threads'])}: "
                      f"{s['samples_per_second']:10.0f} samples/s  train {s['train_seconds']:7.3f} s  "
                      f"wall {s['wall_seconds']:7.3f} s  test acc {100 * s['test_acc']:.2f}%  "
                      f"rss {s['rss_mb']:.0f} MB", flush=True)
                if best[side] is None or s["samples_per_second"] > best[side]["samples_per_second"]:
                    best[side] = s
        rows.append((name, label, recipe, flop, best, rss))

    print()
    print("| configuration | digitrec samples/s | PyTorch samples/s | ratio | digitrec GFLOP/s | "
          "share of sgemm peak | peak RSS digitrec / PyTorch | test acc digitrec / PyTorch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, label, recipe, flop, best, rss in rows:
        d, t = best["digitrec"], best["torch"]
        ratio = d["samples_per_second"] / t["samples_per_second"]
        gflops = d["samples_per_second"] * flop * 1e-9
        span = f"{recipe['epochs']} iterations" if recipe["optimizer"] == "gd" else f"{recipe['epochs']} epochs"
        print(f"| {label} ({span}) | {d['samples_per_second']:,.0f} | "
              f"{t['samples_per_second']:,.0f} (threads {int(t['threads'])}) | {ratio:.2f}x | {gflops:.1f} | "
              f"{100 * gflops / peak2:.0f}% | {rss['digitrec']:.0f} / {rss['torch']:.0f} MB | "
              f"{100 * d['test_acc']:.2f}% / {100 * t['test_acc']:.2f}% |")
    print()
    for name, label, recipe, flop, best, rss in rows:
        d, t = best["digitrec"], best["torch"]
        if recipe["optimizer"] == "gd":
            dm = 1000 * d["train_seconds"] / d["steps"]
            tm = 1000 * t["train_seconds"] / t["steps"]
            print(f"full-batch GD iteration (softmax, 60,000 images): digitrec {dm:.1f} ms, PyTorch {tm:.1f} ms "
                  f"({dm / tm:.2f} of PyTorch's time)")
        if name == "mlp_default":
            dt, tt = time_to(d["epochs_log"], 0.98), time_to(t["epochs_log"], 0.98)
            fmt = lambda v: f"{v:.2f} s" if v is not None else "not reached"
            print(f"time from start to 98.0% test accuracy, default recipe (wall clock, evaluation included): "
                  f"digitrec {fmt(dt)}, PyTorch {fmt(tt)}; final accuracy {100 * d['test_acc']:.2f}% / "
                  f"{100 * t['test_acc']:.2f}%; full run {d['wall_seconds']:.2f} s / {t['wall_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
