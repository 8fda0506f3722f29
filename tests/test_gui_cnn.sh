#!/usr/bin/env bash
# test_gui_cnn.sh - the real window under Xvfb training a CNN live, driven by xdotool: it starts
# on a fresh `--arch cnn`, a drawn 1 is read, Space trains it (loss points and test-set
# evaluations arrive, the accuracy climbs past 80%), M shows the confusion matrix of the CNN and a
# click on a cell opens its gallery, A shows the Inside tab (the feature maps), R keeps the
# trained CNN run's curves beside the new one, Ctrl+S writes a model `digitrec info` reads as the
# cnn arch. Needs Xvfb, xdotool and MNIST (skips with 77 otherwise).
# Env: DIGITREC_BIN, DIGITREC_SRC, DIGITREC_DATA.
set -u
BIN=${DIGITREC_BIN:?}
SRC=${DIGITREC_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${DIGITREC_DATA:-$SRC/data/mnist}
for tool in Xvfb xdotool; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP test_gui_cnn: $tool is not installed"; exit 77; }
done
[ -e "$DATA/train-images-idx3-ubyte" ] || [ -e "$DATA/train-images-idx3-ubyte.gz" ] || {
    echo "SKIP test_gui_cnn: no MNIST in $DATA"; exit 77; }

TMP=$(mktemp -d /tmp/digitrec_cnn_XXXXXX)
TRACE="$TMP/trace.jsonl"
# shellcheck source=tests/xvfb_common.sh
. "$SRC/tests/xvfb_common.sh"
xvfb_start 161 220 # a range of its own: it may run beside the other window tests
mkdir -p "$TMP/models"

start_window --arch cnn --data "$DATA" --models-dir "$TMP/models" --autosave "$TMP/autosave"
sleep 0.8

read -r _ _ CW _ < <(canvas_rect)
[ -n "${CW:-}" ] && [ "$CW" -gt 100 ] || fail "no canvas layout in the trace"
click_at() {
    xdotool mousemove --window "$WID" "$1" "$2"
    sleep 0.05
    xdotool click 1
    sleep 0.4
}
last_prediction() { grep '"event":"prediction"' "$TRACE" | tail -n 1 | sed -E 's/.*"digit":(-?[0-9]+).*/\1/'; }

# a fresh untrained CNN still reads the drawing (some digit), through its conv layers
pts=""
for i in $(seq 0 24); do pts="$pts 520 $((150 + i * 28))"; done
# shellcheck disable=SC2086
draw $pts
p=$(last_prediction)
[ -n "$p" ] && [ "$p" -ge 0 ] || fail "the drawing was not read by the untrained CNN (prediction '$p')"
echo "ok: a fresh CNN reads the drawing (untrained: $p)"

# Space trains it live
for _ in $(seq 1 100); do grep -q '"event":"publish"' "$TRACE" && break; sleep 0.1; done
xdotool key --window "$WID" space
best=0 step=0
for _ in $(seq 1 120); do
    sleep 0.5
    line=$(grep '"event":"publish"' "$TRACE" | grep '"running":true' | tail -n 1)
    [ -n "$line" ] || continue
    step=$(echo "$line" | sed -E 's/.*"step":([0-9]+).*/\1/')
    acc=$(echo "$line" | sed -E 's/.*"test_acc":(-?[0-9.]+).*/\1/')
    best=$(awk -v a="$acc" -v b="$best" 'BEGIN { print (a > b) ? a : b }')
    awk -v a="$best" 'BEGIN { exit !(a >= 0.8) }' && [ "$step" -ge 150 ] && break
done
grep -q '"event":"train","running":true' "$TRACE" || fail "Space did not start training"
pubs=$(grep '"event":"publish"' "$TRACE" | grep -c '"running":true')
awk -v a="$best" 'BEGIN { exit !(a >= 0.8) }' || fail "the CNN's test accuracy reached only $best after $step steps"
[ "$pubs" -ge 5 ] || fail "only $pubs publishes while training"
echo "ok: Space trains the CNN live: $pubs publishes, step $step, test accuracy $best"

# the confusion matrix of the CNN, and a cell's gallery
xdotool key --window "$WID" m
sleep 1.0
tab=$(grep '"event":"tab","name":"errors"' "$TRACE" | tail -n 1)
[ -n "$tab" ] || fail "M did not show the errors tab"
read -r MX MY MC < <(echo "$tab" | sed -E 's/.*"matrix":\[([0-9]+),([0-9]+),([0-9]+)\].*/\1 \2 \3/')
[ "${MC:-0}" -ge 12 ] || fail "no matrix geometry in the trace: $tab"
# the matrix is measured again every few seconds (8x the time of one pass over the test set)
count=0
for _ in $(seq 1 20); do
    click_at $((MX + 1 * MC + MC / 2)) $((MY + 1 * MC + MC / 2))
    gal=$(grep '"event":"gallery","true":1,"pred":1' "$TRACE" | tail -n 1)
    [ -n "$gal" ] || fail "a click on cell (1,1) did not open its gallery"
    count=$(echo "$gal" | sed -E 's/.*"count":([0-9]+).*/\1/')
    [ "${count:-0}" -ge 900 ] && break
    sleep 1.5
done
[ "${count:-0}" -ge 900 ] || fail "the CNN's matrix reads only $count of the 1135 test 1s as 1"
echo "ok: M shows the CNN's confusion matrix; cell (1,1) holds $count test images"

# the Inside tab with the feature maps, the Weights tab with the filters
xdotool key --window "$WID" a
sleep 0.4
grep -q '"event":"tab","name":"inside"' "$TRACE" || fail "A did not show the inside tab"
xdotool key --window "$WID" w
sleep 0.4
grep -q '"event":"tab","name":"weights"' "$TRACE" || fail "W did not show the weights tab"
kill -0 "$APID" 2>/dev/null || fail "the window died showing the CNN's tabs"
echo "ok: A and W show the CNN's feature maps and filters"

# R: a fresh CNN, the trained run's curves kept beside it
xdotool key --window "$WID" r
sleep 2.5
kept=$(grep '"event":"run_kept","runs":1' "$TRACE" | tail -n 1)
[ -n "$kept" ] || fail "R did not keep the previous run"
echo "$kept" | grep -q '"label":"cnn momentum' || fail "the kept run is not labelled as the cnn: $kept"
echo "ok: R keeps the CNN run's curves ($(echo "$kept" | sed -E 's/.*"label":"([^"]*)".*/\1/'))"

# Ctrl+S: a CNN model file
xdotool key --window "$WID" ctrl+s
sleep 1
saved=$(grep '"event":"save","ok":true' "$TRACE" | tail -n 1 | sed -E 's/.*"path":"([^"]+)".*/\1/')
[ -n "$saved" ] && [ -f "$saved" ] || fail "Ctrl+S did not save a model"
"$BIN" info "$saved" >"$TMP/info.txt" 2>&1 || fail "digitrec info rejects $saved: $(cat "$TMP/info.txt")"
grep -q "arch        conv16k5p0-relu-pool-conv32k5p0-relu-pool-fc64-relu-fc10" "$TMP/info.txt" ||
    fail "the saved model is not the cnn: $(head -n 3 "$TMP/info.txt")"
echo "ok: Ctrl+S saved $(basename "$saved"), a cnn model"

xdotool key --window "$WID" space
sleep 0.3
kill -TERM "$APID"
for _ in $(seq 1 50); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$APID" 2>/dev/null && fail "the window did not close within 5 s of SIGTERM"
wait "$APID"
rc=$?
APID=""
[ "$rc" = 0 ] || fail "digitrec exited with $rc"
echo "test_gui_cnn: all passed"
