#!/usr/bin/python3
"""cnn_compare.py - digitrec against PyTorch on the same CNN (the cnn preset by default) at batch
64, alternating the two in every round:

  * digitrec: one whole `digitrec train --arch A --batch 64 --epochs E --threads T --stats`
    process under /usr/bin/time -v; its samples/s is every training sample over the process's
    elapsed time, start-up (loading MNIST), the per-epoch test-set evaluations and the save
    included;
  * PyTorch: bench/torch_cnn.py with the same recipe (momentum 0.9, lr 0.05, cosine over E
    epochs, He init), at each torch.set_num_threads value given; its samples/s counts only its
    steady-state epochs (2..E, training steps only, no evaluation, no start-up), the best
    thread setting kept per round.

Both also give the time to 99.0% test accuracy (digitrec: from the process's start; PyTorch:
from the start of its training loop, evaluation included) and peak resident memory. `uptime`'s
load is recorded before every run. Prints one line per run and a summary (min / median / max
over the rounds). Run by hand (bench/cnn_compare.sh builds and runs it); it is not a test.

  bench/cnn_compare.py --digitrec build/digitrec --data data/mnist [--rounds 3] [--epochs 4]
      [--threads 2] [--torch-threads 1,2] [--arch cnn]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CNN = "conv16k5p0-relu-pool-conv32k5p0-relu-pool-fc64-relu-fc10"


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def timed(cmd, env=None):
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"cnn_compare.py: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    elapsed = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    stats, epochs = {}, []
    for line in p.stdout.splitlines():
        kv = dict(re.findall(r"(\w+)=(\S+)", line))
        if line.startswith("stats-epoch:"):
            epochs.append({k: float(v) for k, v in kv.items()})
        elif line.startswith("stats:"):
            stats = {k: float(v) for k, v in kv.items()}
    return stats, epochs, rss, elapsed


def first_at(epochs, acc, key="seconds"):
    for e in epochs:
        if e["test_acc"] >= acc:
            return e[key]
    return None


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--digitrec", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--arch", default="cnn")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="digitrec --threads")
    ap.add_argument("--torch-threads", default="1,2")
    args = ap.parse_args()
    arch = CNN if args.arch == "cnn" else args.arch
    tthreads = [int(t) for t in args.torch_threads.split(",")]
    env = dict(os.environ, OMP_NUM_THREADS="1")  # torch.set_num_threads decides
    print(f"cnn_compare: {arch}, batch 64, {args.epochs} epochs, momentum 0.9 lr 0.05 cosine; digitrec --threads "
          f"{args.threads}, torch threads {args.torch_threads}; {args.rounds} rounds, alternating")
    rows = {"digitrec": [], "torch": []}
    for rnd in range(1, args.rounds + 1):
        l0 = load()
        s, ep, rss, el = timed([args.digitrec, "train", "--arch", arch, "--batch", "64", "--epochs", str(args.epochs),
                                "--optimizer", "momentum", "--lr", "0.05", "--schedule", "cosine", "--seed", "1",
                                "--threads", str(args.threads), "--data", args.data, "--stats", "--quiet"])
        startup = el - s["wall_seconds"]  # before the trainer started and after it printed
        t99 = first_at(ep, 0.99)
        d = {"load": l0, "sps": s["samples"] / el, "steps_sps": s["samples_per_second"], "elapsed": el,
             "t99": None if t99 is None else startup + t99, "acc": s["test_acc"], "rss": rss}
        rows["digitrec"].append(d)
        print(f"round {rnd} digitrec: load {l0}: {d['sps']:,.0f} samples/s over the whole process ({el:.2f} s; "
              f"{d['steps_sps']:,.0f} in its steps), 99.0% at {fmt(d['t99'], '.1f')} s, final {d['acc']:.4f}, "
              f"{rss:.0f} MB", flush=True)
        best = None
        for th in tthreads:
            l1 = load()
            s, ep, rss, el = timed(["/usr/bin/python3", os.path.join(HERE, "torch_cnn.py"), "--data", args.data, "--arch",
                                    arch, "--batch", "64", "--epochs", str(args.epochs), "--optimizer", "momentum",
                                    "--lr", "0.05", "--schedule", "cosine", "--threads", str(th)], env=env)
            steady = (len(ep) - 1) * 60000 / (ep[-1]["train_seconds"] - ep[0]["train_seconds"]) if len(ep) > 1 else None
            t = {"load": l1, "threads": th, "sps": steady, "t99": first_at(ep, 0.99), "acc": s["test_acc"], "rss": rss,
                 "elapsed": el}
            print(f"round {rnd} torch {th} thread{'s' if th > 1 else ''}: load {l1}: {fmt(steady, ',.0f')} samples/s "
                  f"(steady-state epochs 2..{args.epochs}), 99.0% at {fmt(t['t99'], '.1f')} s of its loop, final "
                  f"{t['acc']:.4f}, {rss:.0f} MB, {el:.1f} s in all", flush=True)
            if steady and (best is None or steady > best["sps"]):
                best = t
        rows["torch"].append(best)
        print(f"round {rnd}: ratio {rows['digitrec'][-1]['sps'] / best['sps']:.2f}x (PyTorch at {best['threads']} "
              f"thread{'s' if best['threads'] > 1 else ''})", flush=True)

    def summary(side, key, spec):
        v = sorted(r[key] for r in rows[side] if r[key] is not None)
        return f"{format(v[0], spec)} / {format(statistics.median(v), spec)} / {format(v[-1], spec)}" if v else "-"

    ratios = sorted(d["sps"] / t["sps"] for d, t in zip(rows["digitrec"], rows["torch"]))
    loads = [r["load"] for side in rows.values() for r in side]
    print(f"\nsummary over {args.rounds} rounds (min / median / max), load {min(loads)}-{max(loads)}:")
    print(f"| | digitrec (whole process) | PyTorch (steady-state epochs, best threads) |")
    print(f"|---|---|---|")
    print(f"| samples/s | {summary('digitrec', 'sps', ',.0f')} | {summary('torch', 'sps', ',.0f')} |")
    print(f"| time to 99.0% (s) | {summary('digitrec', 't99', '.1f')} | {summary('torch', 't99', '.1f')} |")
    print(f"| final test accuracy | {summary('digitrec', 'acc', '.4f')} | {summary('torch', 'acc', '.4f')} |")
    print(f"| peak RSS (MB) | {summary('digitrec', 'rss', '.0f')} | {summary('torch', 'rss', '.0f')} |")
    print(f"| ratio of samples/s | {ratios[0]:.2f} / {statistics.median(ratios):.2f} / {ratios[-1]:.2f} | |")
    print(f"PyTorch's best thread setting per round: {[t['threads'] for t in rows['torch']]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
