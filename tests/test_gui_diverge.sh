#!/usr/bin/env bash
# test_gui_diverge.sh - a run blown up on purpose does not freeze the window: raise the learning
# rate to 1, train 4 s (the divergence is caught and said), pause, re-init, lower the rate, train
# again; then a new stroke is read with every frame under 100 ms, and the window holds under 400 MB.
# Needs Xvfb, xdotool and MNIST (skips, exit 77, without them).
set -u
BIN=${DIGITREC_BIN:-}
DATA=${DIGITREC_DATA:-}
[ -x "$BIN" ] || { echo "test_gui_diverge: DIGITREC_BIN is not set" >&2; exit 1; }
for tool in Xvfb xdotool; do command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }; done
[ -e "$DATA/train-images-idx3-ubyte" ] || [ -e "$DATA/train-images-idx3-ubyte.gz" ] || { echo "SKIP: no MNIST"; exit 77; }
TMP=$(mktemp -d /tmp/digitrec_diverge_XXXXXX)
TRACE="$TMP/trace.jsonl"
. "$(dirname "$0")/xvfb_common.sh"
xvfb_start
start_window --data "$DATA" --models-dir "$TMP/models"

key() { xdotool key --window "$WID" "$@"; sleep 0.15; }
# The slowest frame (ms) traced from trace line $1 on.
worst_since() { tail -n +"$1" "$TRACE" | grep '"event":"frames"' | sed -E 's/.*"max_ms":([0-9.]+).*/\1/' | sort -g | tail -n 1; }

# the stroke, read before anything trained (the data loaded, a first stroke drawn): its frames are
# the yardstick
for _ in $(seq 1 100); do grep -q '"event":"data","loaded":"mnist' "$TRACE" && break; sleep 0.1; done
draw 300 300 700 700
key c
sleep 1.2
t0=$(wc -l <"$TRACE")
draw 500 150 520 500 480 850
sleep 1.2
before=$(worst_since "$t0")
[ -n "$before" ] || fail "no frame times in the trace"
key c
# the rate up to 1 (the control steps from the model's 0.005 through 0.01 ... 0.5 to 1)
for _ in 1 2 3 4 5 6 7 8 9; do key Up; done
key space
sleep 4
grep -Eq '"event":"message","error":true,"text":"the loss (jumped|became NaN)' "$TRACE" || fail "the blown-up run was not caught: $(grep -E "\"event\":\"(message|publish)\"" "$TRACE" | tail -n 4)"
echo "ok: the divergence at rate 1 is caught: $(grep -E 'the loss (jumped|became)' "$TRACE" | tail -n 1 | sed -E 's/.*"text":"([^"]{0,90}).*/\1/')"
key space
key r
for _ in 1 2 3 4 5 6 7 8; do key Down; done
key space
sleep 4
key space
# a new stroke: read at once, every frame quick
n0=$(grep -c '"event":"prediction"' "$TRACE")
t0=$(wc -l <"$TRACE")
draw 500 150 520 500 480 850
sleep 1.2
n1=$(grep -c '"event":"prediction"' "$TRACE")
[ "$n1" -gt "$n0" ] || fail "the stroke was not read"
worst=$(worst_since "$t0")
[ -n "$worst" ] || fail "no frame times in the trace"
awk -v w="$worst" -v b="$before" 'BEGIN { exit !(w <= 3 * b + 30) }' ||
    fail "after the blow-up a frame took $worst ms, against $before ms for the same stroke before"
mb=$(rss_mb)
[ "$mb" -lt 400 ] || fail "the window holds $mb MB"
echo "ok: after the blow-up the stroke is read with frames of at most $worst ms (before: $before ms; load $(cut -d' ' -f1 /proc/loadavg)); $mb MB resident"
kill -TERM "$APID"
wait "$APID" 2>/dev/null
APID=""
echo "test_gui_diverge: all passed"
