#!/usr/bin/python3
"""compare.py - the driver behind bench/run.sh: runs `digitrec train --stats` and
bench/torch_mlp.py side by side on the same data, model, optimiser, batch size and epochs,
alternating them, with PyTorch's threads and BLAS tuned first (the best setting kept and named),
and prints per configuration: samples/s of both, the whole `digitrec train` process (start-up,
data load, every evaluation included) against PyTorch's steady-state epochs, achieved GFLOP/s
as a share of the peaks measured in the same run, peak resident memory and test accuracy.

Every run is watched: the CPU time other processes took meanwhile (from /proc/stat, minus the
run's own), the load average and CPU pressure are recorded beside it. A run where others took
more than --max-others of the machine is repeated (--retries); a figure that only disturbed runs
produced is marked, and the whole result is declared INVALID (exit status 3) unless
--allow-load. It installs and builds nothing (run.sh does).
"""
import argparse
import datetime
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1

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


# ---- the machine's load ----

def cpu_busy_ticks():
    """Busy ticks of all CPUs since boot: user, nice, system, irq, softirq and steal (a virtual
    machine's CPU taken by the host counts as taken)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def cpu_pressure_us():
    """Total microseconds some task waited for a CPU (PSI), or None without PSI."""
    try:
        with open("/proc/pressure/cpu") as f:
            return int(re.search(r"total=(\d+)", f.readline()).group(1))
    except (OSError, AttributeError):
        return None


def own_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    s = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime + s.ru_utime + s.ru_stime


class Watch:
    """Load over an interval: others' share of the machine's CPU, load average, CPU pressure."""

    def __init__(self):
        self.t, self.busy, self.own, self.psi = time.perf_counter(), cpu_busy_ticks(), own_cpu(), cpu_pressure_us()
        self.load0 = loadavg()

    def stop(self):
        wall = time.perf_counter() - self.t
        busy = (cpu_busy_ticks() - self.busy) / HZ
        own = own_cpu() - self.own
        psi1 = cpu_pressure_us()
        return {
            "wall": wall,
            "others": max(0.0, busy - own) / (wall * NCPU) if wall > 0 else 0.0,
            "own_cpu": own,
            "load": (self.load0 + loadavg()) / 2,
            "pressure": (psi1 - self.psi) / 1e6 / wall if psi1 is not None and self.psi is not None and wall > 0 else None,
        }


def load_text(w):
    p = f", CPU pressure {100 * w['pressure']:.0f}%" if w.get("pressure") is not None else ""
    return f"others {100 * w['others']:.1f}% of the CPUs, load {w['load']:.2f}{p}"


def wait_quiet(limit, timeout, probe=2.0):
    """Waits (up to timeout seconds) for a probe-second window in which others took at most limit
    of the machine. Returns the last window's figures."""
    t_end = time.time() + timeout
    while True:
        w = Watch()
        time.sleep(probe)
        q = w.stop()
        if q["others"] <= limit or time.time() >= t_end:
            return q


# ---- runs ----

class Runner:
    def __init__(self, args):
        self.args = args
        self.log = []  # every attempt: (what, quiet, watch)

    def run(self, what, cmd, env=None, parse=None):
        """Runs cmd under /usr/bin/time -v until one attempt is quiet (at most 1 + retries);
        returns (parsed result of the quiet attempt or of the last, watch, quiet)."""
        a = self.args
        for attempt in range(1 + a.retries):
            if a.wait_quiet > 0:
                wait_quiet(a.max_others, a.wait_quiet)
            w = Watch()
            p = subprocess.run(RT + ["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
            watch = w.stop()
            if p.returncode != 0:
                sys.exit(f"compare.py: {what} failed (exit {p.returncode}):\n{p.stderr[-2000:]}")
            res = parse(p.stdout, p.stderr) if parse else None
            quiet = watch["others"] <= a.max_others
            self.log.append((what, quiet, watch))
            if not quiet:
                print(f"    (disturbed: {load_text(watch)}; {'retrying' if attempt < a.retries else 'kept, marked'})",
                      flush=True)
            if quiet or attempt == a.retries:
                return res, watch, quiet


def rss_mb(err):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    return int(m.group(1)) / 1024.0 if m else 0.0


def parse_stats(out, err):
    stats, epochs, kernels = None, [], ""
    for line in out.splitlines():
        kv = dict(re.findall(r"(\w+)=(\S+)", line))
        if line.startswith("stats-epoch:"):
            epochs.append({k: float(v) for k, v in kv.items()})
        elif line.startswith("stats:"):
            stats = {k: float(v) for k, v in kv.items()}
        elif line.startswith("stats-kernels:"):
            kernels = kv.get("isa", "")
    if stats is None:
        sys.exit(f"compare.py: no stats line:\n{out[-2000:]}\n{err[-2000:]}")
    stats["rss_mb"] = rss_mb(err)
    stats["epochs_log"] = epochs
    stats["isa"] = kernels
    return stats


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


def has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            return " avx512f" in f.read()
    except OSError:
        return False


# ---- PyTorch's settings ----

def torch_env(s):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(s["blas"]), OMP_NUM_THREADS=str(s["threads"]))
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if s.get("coretype"):
        env["OPENBLAS_CORETYPE"] = s["coretype"]
    if s.get("capability"):
        env["ATEN_CPU_CAPABILITY"] = s["capability"]
    return env


def torch_name(s):
    n = f"torch threads {s['threads']}, OpenBLAS threads {s['blas']}"
    if s.get("coretype"):
        n += f", OPENBLAS_CORETYPE={s['coretype']}"
    if s.get("capability"):
        n += f", ATEN_CPU_CAPABILITY={s['capability']}"
    return n


def torch_cmd(args, recipe, s):
    return ["/usr/bin/python3", os.path.join(HERE, "torch_mlp.py"), "--data", args.data, "--threads",
            str(s["threads"])] + recipe_args(recipe)


def tune_torch(runner, args, name, recipe):
    """Greedy search of PyTorch's settings on a 2-epoch run (epoch 2's samples/s): torch threads,
    then OpenBLAS threads, then (with AVX-512) OpenBLAS's AVX-512 kernels and ATen's AVX-512
    kernels. Returns the best setting and the lines it printed."""
    short = dict(recipe, epochs=2 if recipe["optimizer"] != "gd" else 4)
    tried = {}

    def score(s):
        key = tuple(sorted(s.items()))
        if key not in tried:
            res, watch, quiet = runner.run(f"{name} tune {torch_name(s)}", torch_cmd(args, short, s), torch_env(s),
                                           parse_stats)
            tried[key] = res["steady_samples_per_second"]
            print(f"  {name} tune {torch_name(s)}: {tried[key]:,.0f} samples/s (steady){'' if quiet else ' DISTURBED'}",
                  flush=True)
        return tried[key]

    best = {"threads": 1, "blas": 1}
    for field, values in (("threads", args.torch_threads), ("blas", args.blas_threads)):
        for v in values:
            cand = dict(best, **{field: v})
            if score(cand) > score(best):
                best = cand
    if has_avx512() and not args.no_avx512_peer:
        for field, value in (("coretype", "SkylakeX"), ("capability", "avx512")):
            cand = dict(best, **{field: value})
            if score(cand) > score(best):
                best = cand
    return best


# ---- probes ----

def probe(runner, binary):
    """Peaks and sgemm GFLOP/s from bench/sgemm_probe.c (OpenBLAS with its own choice of kernels,
    and with its AVX-512 ones where the CPU has them) on 1 and 2 threads."""
    res = {}
    variants = [("", None)] + ([("skx", "SkylakeX")] if has_avx512() else [])
    for threads in (1, 2):
        for tag, core in variants:
            env = dict(os.environ)
            if core:
                env["OPENBLAS_CORETYPE"] = core
            out, watch, quiet = runner.run(f"probe {threads} {tag}", [binary, str(threads)], env, lambda o, e: o)
            for line in out.splitlines():
                if core and line.startswith("peak"):
                    continue
                print(line.replace("sgemm ", f"sgemm{'/' + core if core else ''} "), flush=True)
            print(f"    ({load_text(watch)}{'' if quiet else ', DISTURBED'})")
            for kind, nm, th, g in re.findall(r"(peak|sgemm) (\S+)\s+threads (\d+)\s+([\d.]+) GFLOP/s", out):
                if core and kind == "peak":
                    continue
                res[(kind, nm + ("/" + core if core and kind == "sgemm" else ""), int(th))] = (float(g), quiet)
    return res


def kernels_probe(runner, binary):
    out, watch, quiet = runner.run("kernels_probe", [binary, "--threads", "1,2", "--batch", "64,256"], None,
                                   lambda o, e: o)
    print(out, end="")
    print(f"    ({load_text(watch)}{'' if quiet else ', DISTURBED'})")
    res = {}
    for nm, isa, th, g in re.findall(r"kernel (\S+)\s+isa (\S+)\s+threads (\d+)\s+([\d.]+) GFLOP/s", out):
        res[(nm, isa, int(th))] = (float(g), quiet)
    return res


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--digitrec", required=True)
    ap.add_argument("--probe", required=True, help="bench/sgemm_probe.c built")
    ap.add_argument("--kernels-probe", default="", help="bench/kernels_probe.c built (optional)")
    ap.add_argument("--data", required=True)
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs per side and configuration")
    ap.add_argument("--torch-threads", default="1,2", help="torch.set_num_threads values to try")
    ap.add_argument("--blas-threads", default="1,2", help="OPENBLAS_NUM_THREADS values to try for PyTorch")
    ap.add_argument("--no-avx512-peer", action="store_true", help="do not try PyTorch/OpenBLAS AVX-512 kernels")
    ap.add_argument("--threads", type=int, default=2, help="digitrec --threads")
    ap.add_argument("--only", default="", help="comma-separated configuration names (also: startup)")
    ap.add_argument("--quick", action="store_true", help="one epoch per configuration, one round (a smoke test)")
    ap.add_argument("--startup-runs", type=int, default=5, help="one-step `train` processes per round")
    ap.add_argument("--max-others", type=float, default=0.05,
                    help="largest share of the machine's CPU other processes may take during a run (0.05 = 5%%)")
    ap.add_argument("--retries", type=int, default=3, help="repeats of a run taken under load")
    ap.add_argument("--wait-quiet", type=float, default=60,
                    help="before each run, wait up to this many seconds for a quiet 2-second window (0: never)")
    ap.add_argument("--allow-load", action="store_true", help="exit 0 even if figures came from disturbed runs")
    ap.add_argument("--rt", action="store_true",
                    help="run both sides (and the probes) at real-time priority (chrt -f 10, needs root)")
    args = ap.parse_args()
    args.torch_threads = [int(t) for t in args.torch_threads.split(",")]
    args.blas_threads = [int(t) for t in args.blas_threads.split(",")]
    if args.rt:
        RT[:] = ["chrt", "-f", "10"]
    if args.quick:
        args.rounds = 1
    runner = Runner(args)

    print(f"digitrec vs PyTorch benchmark, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = re.search(r"Model name:\s*(.+)", cpu)
    fl = (re.search(r"Flags:\s*(.+)", cpu) or re.search("()", "")).group(1).split()
    simd = [f for f in ("avx2", "fma", "avx512f", "avx512vl", "avx512bw", "avx512dq") if f in fl]
    print(f"cpu: {model.group(1) if model else '?'}, {NCPU} CPUs, SIMD: {' '.join(simd)}")
    print(f"os: {platform.platform()}")
    tv = subprocess.run(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"], capture_output=True,
                        text=True).stdout.strip()
    print(f"torch: {tv} (Debian python3-torch)")
    print(f"rounds: {args.rounds} alternating runs per side; digitrec --threads {args.threads}; "
          f"a run counts as quiet when other processes took <= {100 * args.max_others:.0f}% of the CPUs; "
          f"up to {args.retries} repeats of a disturbed run; wait for a quiet moment up to {args.wait_quiet:.0f} s"
          f"{'; real-time priority (chrt -f 10)' if args.rt else ''}")
    w0 = Watch()
    time.sleep(2)
    print(f"machine before the run (2 s): {load_text(w0.stop())}")
    print()

    only = set(args.only.split(",")) if args.only else None
    peaks = probe(runner, args.probe)
    kprobe = kernels_probe(runner, args.kernels_probe) if args.kernels_probe else {}
    print()

    rows, startup = [], None
    if only is None or "startup" in only:
        walls, quiet_all = [], True
        for rnd in range(args.rounds):
            for i in range(args.startup_runs):
                res, watch, quiet = runner.run("startup", [args.digitrec, "train", "--data", args.data, "--threads",
                                                           str(args.threads), "--max-iters", "1", "--quiet", "--stats"],
                                               None, parse_stats)
                walls.append((watch["wall"], res["startup_seconds"], quiet))
                quiet_all &= quiet
        nq = len([1 for w, s, q in walls if q])
        ws = [w for w, s, q in walls if q] or [w for w, s, q in walls]
        print(f"  startup: one-step `digitrec train` process (data load, one step, test evaluation): "
              f"min {min(ws):.3f} s, median {median(ws):.3f} s over {len(ws)} {'quiet' if nq else 'DISTURBED'} runs; "
              f"before training (load + set-up) median {median([s for w, s, q in walls]):.3f} s")
        startup = (min(ws), median(ws), nq > 0)

    configs = list(CONFIGS)
    dr = default_recipe(args.digitrec)
    configs.append((DEFAULT[0], DEFAULT[1] + f" (momentum, lr {dr['lr']:g}, batch {dr['batch']}, {dr['schedule']})",
                    dr, DEFAULT[3]))
    if only is not None:
        configs = [c for c in configs if c[0] in only]
    for name, label, recipe, flop in configs:
        recipe = dict(recipe)
        if args.quick:
            recipe["epochs"] = 1 if recipe["optimizer"] != "gd" else 3
        best_torch = tune_torch(runner, args, name, recipe)
        print(f"  {name}: PyTorch at its best here: {torch_name(best_torch)}")
        runs = {"digitrec": [], "torch": []}
        for rnd in range(args.rounds):
            res, watch, quiet = runner.run(f"{name} digitrec", [args.digitrec, "train", "--data", args.data,
                                                                 "--threads", str(args.threads), "--quiet", "--stats"]
                                           + recipe_args(recipe), None, parse_stats)
            res["process_wall"] = watch["wall"]
            res["whole_sps"] = res["samples"] / watch["wall"]
            runs["digitrec"].append((res, watch, quiet))
            print(f"  {name} round {rnd + 1} digitrec ({res['isa']}, {int(res['threads'])} threads): "
                  f"{res['samples_per_second']:10,.0f} samples/s in steps, {res['whole_sps']:10,.0f} over the "
                  f"whole process ({watch['wall']:.3f} s, start-up {res['startup_seconds']:.3f} s), test acc "
                  f"{100 * res['test_acc']:.2f}%, rss {res['rss_mb']:.0f} MB; {load_text(watch)}"
                  f"{'' if quiet else ' DISTURBED'}", flush=True)
            res, watch, quiet = runner.run(f"{name} torch", torch_cmd(args, recipe, best_torch), torch_env(best_torch),
                                           parse_stats)
            runs["torch"].append((res, watch, quiet))
            print(f"  {name} round {rnd + 1} torch: {res['samples_per_second']:10,.0f} samples/s in steps, "
                  f"{res['steady_samples_per_second']:10,.0f} steady (epochs 2+), test acc {100 * res['test_acc']:.2f}%, "
                  f"rss {res['rss_mb']:.0f} MB; {load_text(watch)}{'' if quiet else ' DISTURBED'}", flush=True)
        rows.append((name, label, recipe, flop, runs, best_torch))

    # ---- summary ----
    print()
    invalid = []

    def pick(runs, key):
        q = [r[0][key] for r in runs if r[2]]
        if not q:
            return max(r[0][key] for r in runs), median([r[0][key] for r in runs]), False
        return max(q), median(q), True

    peak_fma2 = {isa: peaks.get(("peak", f"fma_{isa}", 2), (0, False))[0] for isa in ("avx2", "avx512")}
    blas2 = max(peaks.get(("sgemm", "large_2048", 2), (0, 0))[0], peaks.get(("sgemm", "large_2048/SkylakeX", 2), (0, 0))[0])
    print(f"peaks (2 threads): FMA loop AVX2 {peak_fma2['avx2']:.0f}, AVX-512 {peak_fma2['avx512']:.0f} GFLOP/s; "
          f"OpenBLAS sgemm 2048^3 best {blas2:.0f} GFLOP/s")
    bad_probes = [f"{nm} x{th}" for (kind, nm, th), (g, q) in peaks.items() if not q]
    if bad_probes:
        invalid.append(f"probes ({', '.join(bad_probes)})")
    print()
    print("| configuration | digitrec samples/s (steps) | PyTorch samples/s (steps) | ratio | digitrec whole process "
          "samples/s | PyTorch steady-state samples/s | whole-process ratio | digitrec GFLOP/s (steps) | of FMA peak | "
          "peak RSS digitrec / PyTorch | test acc digitrec / PyTorch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, label, recipe, flop, runs, best_torch in rows:
        d_best, d_med, dq = pick(runs["digitrec"], "samples_per_second")
        w_best, w_med, wq = pick(runs["digitrec"], "whole_sps")
        t_best, t_med, tq = pick(runs["torch"], "samples_per_second")
        s_best, s_med, sq = pick(runs["torch"], "steady_samples_per_second")
        for ok, what in ((dq, "digitrec steps"), (wq, "digitrec whole"), (tq, "torch steps"), (sq, "torch steady")):
            if not ok:
                invalid.append(f"{name} {what}")
        isa = runs["digitrec"][0][0]["isa"]
        g = d_best * flop * 1e-9
        peak = peak_fma2.get(isa, 0) or peak_fma2["avx2"]
        span = f"{recipe['epochs']} iterations" if recipe["optimizer"] == "gd" else f"{recipe['epochs']} epochs"
        d0, t0 = runs["digitrec"][0][0], runs["torch"][0][0]
        mark = lambda ok: "" if ok else " (under load)"
        print(f"| {label} ({span}) | {d_best:,.0f}{mark(dq)} | {t_best:,.0f}{mark(tq)} | {d_best / t_best:.2f}x | "
              f"{w_best:,.0f}{mark(wq)} | {s_best:,.0f}{mark(sq)} | **{w_best / s_best:.2f}x** | {g:.1f} | "
              f"{100 * g / peak:.0f}% ({isa}) | {max(r[0]['rss_mb'] for r in runs['digitrec']):.0f} / "
              f"{max(r[0]['rss_mb'] for r in runs['torch']):.0f} MB | {100 * d0['test_acc']:.2f}% / "
              f"{100 * t0['test_acc']:.2f}% |")
    print()
    print("medians of the quiet rounds: " + "; ".join(
        f"{name} digitrec {pick(runs['digitrec'], 'samples_per_second')[1]:,.0f} steps / "
        f"{pick(runs['digitrec'], 'whole_sps')[1]:,.0f} whole, PyTorch {pick(runs['torch'], 'samples_per_second')[1]:,.0f}"
        f" steps / {pick(runs['torch'], 'steady_samples_per_second')[1]:,.0f} steady"
        for name, label, recipe, flop, runs, best_torch in rows))
    print("PyTorch settings kept: " + "; ".join(f"{name}: {torch_name(b)}" for name, _, _, _, _, b in rows))
    if startup:
        print(f"one-step train process: min {startup[0]:.3f} s, median {startup[1]:.3f} s")
        if not startup[2]:
            invalid.append("startup")
    for name, label, recipe, flop, runs, best_torch in rows:
        good = [r for r in runs["digitrec"] if r[2]] or runs["digitrec"]
        d = max(good, key=lambda r: r[0]["samples_per_second"])[0]
        t = max([r for r in runs["torch"] if r[2]] or runs["torch"], key=lambda r: r[0]["samples_per_second"])[0]
        if recipe["optimizer"] == "gd":
            dm = 1000 * d["train_seconds"] / d["steps"]
            tm = 1000 * t["train_seconds"] / t["steps"]
            print(f"full-batch GD iteration (softmax, 60,000 images): digitrec {dm:.1f} ms, PyTorch {tm:.1f} ms "
                  f"({dm / tm:.2f} of PyTorch's time)")
        if name == "mlp_default":
            def first(log):
                return next((e["seconds"] for e in log if e["test_acc"] >= 0.98), None)
            dt, tt = first(d["epochs_log"]), first(t["epochs_log"])
            fmt = lambda v: f"{v:.2f} s" if v is not None else "not reached"
            dproc = None if dt is None else dt + d["startup_seconds"]
            print(f"time to 98.0% test accuracy, default recipe: digitrec {fmt(dproc)} from process start "
                  f"({fmt(dt)} from training start), PyTorch {fmt(tt)} from training start; final accuracy "
                  f"{100 * d['test_acc']:.2f}% / {100 * t['test_acc']:.2f}%; whole digitrec process "
                  f"{d['process_wall']:.2f} s")
    if kprobe:
        print("digitrec kernels (bench/kernels_probe.c): " + "; ".join(
            f"{nm} {isa} x{th} {g:.0f} GFLOP/s" for (nm, isa, th), (g, q) in kprobe.items() if nm.startswith("mlp_step")))
    quiet_n = sum(1 for _, q, _ in runner.log if q)
    print(f"runs: {len(runner.log)}, quiet {quiet_n}, disturbed {len(runner.log) - quiet_n}; others' CPU share "
          f"median {100 * median([w['others'] for _, _, w in runner.log]):.1f}%, max "
          f"{100 * max(w['others'] for _, _, w in runner.log):.1f}%")
    if invalid:
        print(f"INVALID: {len(invalid)} figure(s) came only from runs under load (others > "
              f"{100 * args.max_others:.0f}% of the CPUs): {', '.join(invalid)}")
        return 0 if args.allow_load else 3
    print("VALID: every figure above came from quiet runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
