#!/usr/bin/python3
"""builds.py - training speed of digitrec builds side by side: the native build (-march=native)
against the Debian package's (-DDIGITREC_NATIVE=OFF -DDIGITREC_PACKAGE=ON), and any kernels'
instruction set (DIGITREC_KERNELS) on either. Alternates `digitrec train --stats` of every
variant within each round, and reports per variant samples/s over the training steps (best and
median of the quiet rounds) and samples per CPU-second (the process's user + system time, which
time-slicing by other programs does not inflate), with the machine's load beside each run (see
compare.py). Builds nothing: bench/builds.sh does. Run by hand; not a test.

usage: builds.py --data DIR [--rounds N] [--epochs N] [--threads 1,2] NAME=BINARY[:ISA] ...
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Watch, load_text, wait_quiet  # noqa: E402


def cpu_seconds(err):
    u = re.search(r"User time \(seconds\): ([\d.]+)", err)
    s = re.search(r"System time \(seconds\): ([\d.]+)", err)
    return float(u.group(1)) + float(s.group(1)) if u and s else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--max-others", type=float, default=0.05)
    ap.add_argument("--wait-quiet", type=float, default=30)
    ap.add_argument("variants", nargs="+", help="NAME=BINARY or NAME=BINARY:ISA")
    args = ap.parse_args()
    variants = []
    for v in args.variants:
        name, rest = v.split("=", 1)
        binary, _, isa = rest.partition(":")
        variants.append((name, binary, isa))
    threads = [int(t) for t in args.threads.split(",")]
    res = {}
    for rnd in range(args.rounds):
        for th in threads:
            for name, binary, isa in variants:
                env = dict(os.environ)
                if isa:
                    env["DIGITREC_KERNELS"] = isa
                if args.wait_quiet > 0:
                    wait_quiet(args.max_others, args.wait_quiet)
                w = Watch()
                p = subprocess.run(["/usr/bin/time", "-v", binary, "train", "--data", args.data, "--arch", "mlp",
                                    "--batch", str(args.batch), "--epochs", str(args.epochs), "--threads", str(th),
                                    "--quiet", "--stats"], capture_output=True, text=True, env=env)
                watch = w.stop()
                if p.returncode != 0:
                    sys.exit(f"builds.py: {name} failed:\n{p.stderr[-1500:]}")
                st = dict(re.findall(r"(\w+)=(\S+)", next(l for l in p.stdout.splitlines() if l.startswith("stats:"))))
                got_isa = re.search(r"stats-kernels: isa=(\S+)", p.stdout)
                sps = float(st["samples_per_second"])
                per_cpu = float(st["samples"]) / cpu_seconds(p.stderr)
                quiet = watch["others"] <= args.max_others
                res.setdefault((name, th), []).append((sps, per_cpu, quiet, float(st["test_acc"])))
                print(f"round {rnd + 1} {name:10s} threads {th} ({got_isa.group(1) if got_isa else '?'}): "
                      f"{sps:10,.0f} samples/s, {per_cpu:10,.0f} samples per CPU-second, test acc "
                      f"{100 * float(st['test_acc']):.2f}%; {load_text(watch)}{'' if quiet else ' DISTURBED'}",
                      flush=True)
    print()
    print("| variant | threads | samples/s best / median (quiet rounds) | samples per CPU-second best / median | "
          "quiet rounds | test acc |")
    print("|---|---:|---:|---:|---:|---:|")
    for th in threads:
        for name, _, _ in variants:
            rows = res[(name, th)]
            q = [r for r in rows if r[2]] or rows
            sps = [r[0] for r in q]
            cpu = [r[1] for r in rows]
            print(f"| {name} | {th} | {max(sps):,.0f} / {statistics.median(sps):,.0f} | {max(cpu):,.0f} / "
                  f"{statistics.median(cpu):,.0f} | {sum(1 for r in rows if r[2])} of {len(rows)} | "
                  f"{100 * rows[0][3]:.2f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
