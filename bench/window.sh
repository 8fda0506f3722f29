#!/usr/bin/env bash
# window.sh - the window's figures under Xvfb (software rendering, what a VM or a remote desktop
# gives): frame times while training and drawing, training speed with the window open beside
# headless `train` on the same kernel thread count, CPU when idle, the first frame's latency and
# the time of a --screenshot. Each round alternates `digitrec --bench S` with the default renderer
# (the window surface, only changed regions redrawn), the same with --renderer gl (SDL's renderer,
# whole frames), and `digitrec train --stats` with the window's recipe (mlp, momentum, lr 0.05,
# batch 64, constant) for as many steps as the window run took. The load average is recorded
# before every run. Run by hand; not a test.
#
# usage: bench/window.sh [--rounds N] [--seconds S] [--threads T] [--out FILE]
#        (defaults 3, 20, the cores but one, docs/bench-window.md)
#   BUILD=dir   a build with the window (default /tmp/build_wb; built here if missing)
#   DATA=dir    MNIST folder (default data/mnist)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-/tmp/build_wb}
DATA=${DATA:-$ROOT/data/mnist}
CORES=$(nproc)
ROUNDS=3 SECONDS_=20 OUT=$ROOT/docs/bench-window.md THREADS=$((CORES > 1 ? CORES - 1 : 1))
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --seconds) SECONDS_=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
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
export DISPLAY=":$DISP" HOME="$TMP/home"
mkdir -p "$HOME"
# --arch mlp: the network headless trains below (the window's default model is the CNN)
COMMON=(--arch mlp --data "$DATA" --models-dir "$TMP/models" --personal-dir "$TMP/personal" --export-dir "$TMP/exports"
        --autosave "$TMP/autosave" --threads "$THREADS")

load() { cut -d' ' -f1 /proc/loadavg; }
field() { sed -n "s/.*[ :]$1=\([0-9.]*\).*/\1/p" | head -n1; }

for r in $(seq "$ROUNDS"); do
    for rend in surface gl; do
        echo "load $(load)" >"$TMP/$rend$r.txt"
        "$BIN" --bench "$SECONDS_" --draw-demo 3 --renderer "$rend" "${COMMON[@]}" >>"$TMP/$rend$r.txt" 2>"$TMP/$rend$r.err" \
            || { cat "$TMP/$rend$r.err" >&2; exit 1; }
        grep '^bench-window:' "$TMP/$rend$r.txt"
    done
    steps=$(field steps <"$TMP/surface$r.txt")
    echo "load $(load)" >"$TMP/h$r.txt"
    "$BIN" train --stats --quiet --data "$DATA" --arch mlp --optimizer momentum --lr 0.05 --batch 64 \
        --schedule const --epochs 100000 --max-iters "$steps" --threads "$THREADS" --out "$TMP/h.safetensors" \
        >>"$TMP/h$r.txt" 2>"$TMP/h$r.err" || { cat "$TMP/h$r.err" >&2; exit 1; }
    grep '^stats:' "$TMP/h$r.txt"
done

# idle: the window open, paused, nobody touching it; CPU time over 10 s from /proc
echo "load $(load)" >"$TMP/idle.txt"
"$BIN" "${COMMON[@]}" >/dev/null 2>&1 &
APID=$!
sleep 6
t1=$(awk '{print $14 + $15}' "/proc/$APID/stat")
sleep 10
t2=$(awk '{print $14 + $15}' "/proc/$APID/stat")
kill "$APID"
wait "$APID" 2>/dev/null || true
echo "idle_ticks=$((t2 - t1)) hz=$(getconf CLK_TCK)" >>"$TMP/idle.txt"

# the first frame: from the window's start to its first frame shown, 5 starts
: >"$TMP/first.txt"
for i in 1 2 3 4 5; do
    rm -rf "$TMP/autosave"
    timeout 4 "$BIN" "${COMMON[@]}" --trace "$TMP/t$i.jsonl" >/dev/null 2>&1 || true
    echo "load=$(load) $(grep -h first_frame "$TMP/t$i.jsonl" | sed 's/.*"ms":\([0-9.]*\).*/ms=\1/')" >>"$TMP/first.txt"
done
# a screenshot from start to exit, 3 times
: >"$TMP/shot.txt"
for i in 1 2 3; do
    l0=$(load) s0=$(date +%s%N)
    "$BIN" "${COMMON[@]}" --screenshot "$TMP/s.png" >/dev/null 2>&1
    ms=$((($(date +%s%N) - s0) / 1000000))
    echo "load=$l0 s=$((ms / 1000)).$(printf %03d $((ms % 1000)))" >>"$TMP/shot.txt"
done

python3 - "$TMP" "$ROUNDS" "$THREADS" "$SECONDS_" "$OUT" "$CORES" <<'EOF'
import re, statistics, subprocess, sys, datetime
tmp, rounds, threads, secs, out, cores = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
def kv(path, prefix):
    text = open(path).read()
    line = next(l for l in text.splitlines() if l.startswith(prefix))
    d = {k: float(v) for k, v in re.findall(r'(\w+)=([0-9.]+)', line)}
    d["load"] = float(re.search(r"load ([0-9.]+)", text).group(1))
    return d
S = [kv(f"{tmp}/surface{r}.txt", "bench-window:") for r in range(1, rounds + 1)]
G = [kv(f"{tmp}/gl{r}.txt", "bench-window:") for r in range(1, rounds + 1)]
H = [kv(f"{tmp}/h{r}.txt", "stats:") for r in range(1, rounds + 1)]
med = statistics.median
idle = open(f"{tmp}/idle.txt").read()
ticks, hz = (int(x) for x in re.search(r"idle_ticks=(\d+) hz=(\d+)", idle).groups())
idle_load = re.search(r"load ([0-9.]+)", idle).group(1)
firsts = [(float(l), float(m)) for l, m in re.findall(r"load=([0-9.]+) ms=([0-9.]+)", open(f"{tmp}/first.txt").read())]
shots = [(float(l), float(s)) for l, s in re.findall(r"load=([0-9.]+) s=([0-9.]+)", open(f"{tmp}/shot.txt").read())]
lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = re.search(r"Model name:\s*(.*)", lscpu).group(1).strip()
rows = ["| round | renderer | load before | window samples/s (steps) | (wall) | headless samples/s | fps | frame ms median | p99 | max |",
        "|---|---|---|---|---|---|---|---|---|---|"]
for i in range(rounds):
    for name, W in (("surface", S), ("gl", G)):
        w = W[i]
        rows.append(f"| {i + 1} | {name} | {w['load']:.2f} | {w['step_samples_per_second']:.0f} | {w['samples_per_second']:.0f} | "
                    f"{H[i]['samples_per_second']:.0f} | {w['fps']:.1f} | {w['frame_ms_median']:.2f} | {w['frame_ms_p99']:.2f} | {w['frame_ms_max']:.2f} |")
h = med([x["samples_per_second"] for x in H])
def summ(W, name):
    ws = med([x["step_samples_per_second"] for x in W])
    return (f"{name}: frame median {med([w['frame_ms_median'] for w in W]):.2f} ms, p99 {med([w['frame_ms_p99'] for w in W]):.2f} ms; "
            f"training {ws:.0f} samples/s = {ws / h:.2f}x headless ({h:.0f})")
summary = [summ(S, "surface (default)"), summ(G, "gl")]
summary.append(f"idle: {100 * ticks / hz / 10:.1f}% of one core over 10 s (load {idle_load})")
summary.append("first frame: " + ", ".join(f"{m:.0f} ms (load {l:.1f})" for l, m in firsts) + f"; median {med([m for _, m in firsts]):.0f} ms")
summary.append("--screenshot start to exit: " + ", ".join(f"{s:.2f} s (load {l:.1f})" for l, s in shots))
for s in summary: print(s)
doc = f"""# The window's figures

Made by `bench/window.sh` on {datetime.date.today()}: {model}, {cores} logical CPUs, Xvfb (no GPU). The
window trains with {threads} kernel thread(s) (the cores but one) and so does the headless run beside it.
Each round runs `digitrec --bench {secs}` (the window draws every frame while a stroke is drawn on the
canvas, so predictions run, and the mlp trains: momentum, lr 0.05, batch 64), once with the default
renderer (the window surface: only the regions whose draw commands changed are redrawn and shown)
and once with `--renderer gl` (SDL's renderer, Mesa llvmpipe here, whole frames), then
`digitrec train --stats` with the same recipe for as many steps. "load before" is the 1-minute load
average when the run started: this machine is shared, and the frame times follow it.

- *samples/s (steps)*: samples / time inside training steps (what `train --stats` measures);
  *(wall)*: samples / wall time, which also pays for the worker's test-set evaluations and publishes.
- frame time: from the start of a frame (events, snapshot sync, prediction) until what changed is
  shown; the frame-rate cap's sleep is not counted.

{chr(10).join(rows)}

{chr(10).join('- ' + s for s in summary)}

Goals: frame p99 <= 16.7 ms while training and drawing; idle < 2% CPU; training in the window
>= 0.9x headless on the same threads; first frame within 200 ms.
"""
open(out, "w").write(doc)
print("wrote", out)
EOF
