#!/usr/bin/env bash
# window.sh - training speed with the window open vs headless, and the window's frame times while
# training. Starts Xvfb on a free display, then alternates `digitrec --bench S` (window drawing
# every frame, a stroke being drawn) and `digitrec train --stats` with the window's recipe
# (mlp, momentum, lr 0.05, batch 64, constant lr) and kernel thread count (1: the window gives
# the worker one core), run for as many steps as the window run took. Run by hand; not a test.
#
# usage: bench/window.sh [--rounds N] [--seconds S] [--out FILE]   (defaults 3, 20, docs/bench-window.md)
#   BUILD=dir   a build with the window (default /tmp/build_wb; built here if missing)
#   DATA=dir    MNIST folder (default data/mnist)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-/tmp/build_wb}
DATA=${DATA:-$ROOT/data/mnist}
ROUNDS=3 SECONDS_=20 OUT=$ROOT/docs/bench-window.md THREADS=1
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --seconds) SECONDS_=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "window.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 --target digitrec >/dev/null
BIN=$BUILD/digitrec
TMP=$(mktemp -d)
XPID=""
cleanup() { [ -n "$XPID" ] && kill "$XPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

DISP=""
for n in $(seq 90 140); do
    if [ ! -e /tmp/.X$n-lock ] && [ ! -e /tmp/.X11-unix/X$n ]; then DISP=$n; break; fi
done
[ -n "$DISP" ] || { echo "window.sh: no free X display" >&2; exit 1; }
Xvfb ":$DISP" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
XPID=$!
for _ in $(seq 50); do [ -e /tmp/.X11-unix/X$DISP ] && break; sleep 0.1; done

field() { sed -n "s/.*[ :]$1=\([0-9.]*\).*/\1/p" | head -n1; }

for r in $(seq "$ROUNDS"); do
    DISPLAY=":$DISP" "$BIN" --bench "$SECONDS_" --draw-demo 3 --data "$DATA" --models-dir "$TMP" \
        --personal-dir "$TMP/personal" --export-dir "$TMP/exports" >"$TMP/w$r.txt" 2>"$TMP/w$r.err" \
        || { cat "$TMP/w$r.err" >&2; exit 1; }
    grep '^bench-window:' "$TMP/w$r.txt"
    steps=$(field steps <"$TMP/w$r.txt")
    "$BIN" train --stats --quiet --data "$DATA" --arch mlp --optimizer momentum --lr 0.05 --batch 64 \
        --schedule const --epochs 100000 --max-iters "$steps" --threads "$THREADS" --out "$TMP/h.safetensors" \
        >"$TMP/h$r.txt" 2>"$TMP/h$r.err" || { cat "$TMP/h$r.err" >&2; exit 1; }
    grep '^stats:' "$TMP/h$r.txt"
done

python3 - "$TMP" "$ROUNDS" "$THREADS" "$SECONDS_" "$OUT" <<'EOF'
import re, statistics, subprocess, sys, datetime, os
tmp, rounds, threads, secs, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
def kv(path, prefix):
    line = next(l for l in open(path) if l.startswith(prefix))
    return {k: float(v) for k, v in re.findall(r'(\w+)=([0-9.]+)', line)}
W = [kv(f"{tmp}/w{r}.txt", "bench-window:") for r in range(1, rounds + 1)]
H = [kv(f"{tmp}/h{r}.txt", "stats:") for r in range(1, rounds + 1)]
med = lambda xs: statistics.median(xs)
h = med([x["samples_per_second"] for x in H])
ws = med([x["step_samples_per_second"] for x in W])
ww = med([x["samples_per_second"] for x in W])
lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = re.search(r"Model name:\s*(.*)", lscpu).group(1).strip()
rows = ["| round | window samples/s (wall) | window samples/s (steps) | headless samples/s | frames | fps | frame ms median | p99 | max |",
        "|---|---|---|---|---|---|---|---|---|"]
for i, (w, x) in enumerate(zip(W, H), 1):
    rows.append(f"| {i} | {w['samples_per_second']:.0f} | {w['step_samples_per_second']:.0f} | {x['samples_per_second']:.0f} | "
                f"{w['frames']:.0f} | {w['fps']:.1f} | {w['frame_ms_median']:.2f} | {w['frame_ms_p99']:.2f} | {w['frame_ms_max']:.2f} |")
summary = (f"headless {h:.0f} samples/s; window {ws:.0f} samples/s counting step time "
           f"({100 * ws / h:.1f}% of headless), {ww:.0f} samples/s over wall time ({100 * ww / h:.1f}%); "
           f"frame ms median {med([w['frame_ms_median'] for w in W]):.2f}, p99 {med([w['frame_ms_p99'] for w in W]):.2f} "
           f"(medians over {rounds} rounds)")
print(summary)
doc = f"""# Window vs headless training speed

Made by `bench/window.sh` on {datetime.date.today()}: {model}, {os.cpu_count()} logical CPUs, Xvfb
(no GPU: SDL's renderer is Mesa llvmpipe, software GL). Each round runs `digitrec --bench {secs}` (the
window draws every frame while a stroke is drawn on the canvas, so predictions run, and the mlp
trains with the window's recipe: momentum, lr 0.05, batch 64) and then `digitrec train --stats` with
the same recipe, constant lr, {threads} kernel thread(s) like the window's worker, for as many steps.

- *window samples/s (steps)*: samples / time inside training steps, the definition `train --stats`
  uses; *(wall)*: samples / wall time since training began, which also pays for the worker's
  periodic test-set evaluations and publishes, which headless training does not do.
- frame time: from the start of a frame (events, snapshot sync, prediction) to `SDL_RenderPresent`
  returning; the frame-rate cap's sleep is not counted.

{chr(10).join(rows)}

Summary: {summary}.

Targets: window throughput >= 85% of headless; frame p99 <= 16.7 ms.
"""
open(out, "w").write(doc)
print("wrote", out)
EOF
