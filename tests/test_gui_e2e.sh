#!/usr/bin/env bash
# test_gui_e2e.sh - the real window under Xvfb, driven by xdotool with real mouse and keys:
# drawing a 7 and a 0 on the canvas gives those predictions in the trace, C clears, Space starts
# training and loss points arrive, M shows the confusion matrix and a click on a cell opens its
# gallery, a click on a thumbnail puts that test image on the canvas and it is read, Ctrl+7 and
# Ctrl+0 keep the drawings in the personal IDX folder (which grows by one each), G lays the
# saliency map over the drawing and A shows the activations, R keeps the trained run's curves
# beside the new one and Ctrl+E exports the history CSV and PNG pictures, Ctrl+D switches to
# Fashion-MNIST (typed path) and the bars take its class names, Ctrl+S writes
# a model `digitrec info` accepts, a resize is traced; Ctrl+Q with unsaved training asks first
# (Esc cancels), a SIGTERM autosaves it, the next start offers that autosave back (Enter restores
# it), Ctrl+R reverts to it after more training, and Ctrl+Q, D quits without another autosave.
# Needs Xvfb and xdotool (skips with a message when absent). Uses a temp HOME and models folder.
# Env: DIGITREC_BIN (binary), DIGITREC_SRC (source dir), DIGITREC_DATA (MNIST dir).
set -u

BIN=${DIGITREC_BIN:-}
SRC=${DIGITREC_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${DIGITREC_DATA:-$SRC/data/mnist}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
    echo "test_gui_e2e: DIGITREC_BIN is not set to the digitrec binary" >&2
    exit 1
fi
for tool in Xvfb xdotool; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP test_gui_e2e: $tool is not installed (apt-get install xvfb xdotool)"
        exit 0
    fi
done

TMP=$(mktemp -d /tmp/digitrec_e2e_XXXXXX)
TRACE="$TMP/trace.jsonl"
# shellcheck source=tests/xvfb_common.sh
. "$SRC/tests/xvfb_common.sh"
xvfb_start
PERSONAL="$HOME/.local/share/digitrec/personal"
mkdir -p "$HOME" "$TMP/models"

MODEL="$SRC/models/mlp.safetensors"
HAVE_DATA=0
[ -e "$DATA/train-images-idx3-ubyte" ] || [ -e "$DATA/train-images-idx3-ubyte.gz" ] && HAVE_DATA=1
if [ ! -f "$MODEL" ]; then
    if [ "$HAVE_DATA" = 1 ]; then
        echo "test_gui_e2e: no shipped model; training one for a minute"
        "$BIN" train --data "$DATA" --epochs 2 --quiet --out "$TMP/mlp.safetensors" >/dev/null || fail "training a model failed"
        MODEL="$TMP/mlp.safetensors"
    else
        echo "SKIP test_gui_e2e: neither models/mlp.safetensors nor MNIST data (scripts/fetch_mnist.sh)"
        exit 0
    fi
fi

MODELS_BEFORE=$(ls -A "$SRC/models" 2>/dev/null)
# Starts the window (extra arguments appended) and waits for it: sets APID and WID.
start_app() {
    "$BIN" --model "$MODEL" --data "$DATA" --models-dir "$TMP/models" --autosave "$TMP/autosave" \
        --trace "$TRACE" "$@" >>"$TMP/app.log" 2>&1 &
    APID=$!
    wait_window "$TRACE"
    sleep 0.5
}
# Waits up to 5 s for the window to exit; fails with what on timeout. Sets rc.
wait_exit() {
    for _ in $(seq 1 50); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$APID" 2>/dev/null && fail "$1"
    wait "$APID"
    rc=$?
    APID=""
}
start_app

# The canvas rectangle from the trace's latest layout line, in window coordinates.
canvas_rect() {
    grep '"event":"layout"' "$TRACE" | tail -n 1 | sed -E 's/.*"canvas":\[([0-9]+),([0-9]+),([0-9]+),([0-9]+)\].*/\1 \2 \3 \4/'
}
read -r CX CY CW CH < <(canvas_rect)
[ -n "${CW:-}" ] && [ "$CW" -gt 100 ] || fail "no canvas layout in the trace"

# Real pointer motion over the window: points in canvas-relative fractions (0..1000).
draw() {
    local first=1
    while [ $# -ge 2 ]; do
        local x=$((CX + $1 * CW / 1000)) y=$((CY + $2 * CH / 1000))
        xdotool mousemove --window "$WID" "$x" "$y"
        if [ $first = 1 ]; then xdotool mousedown 1; first=0; fi
        sleep 0.008
        shift 2
    done
    xdotool mouseup 1
    sleep 0.3
}
last_prediction() {
    grep '"event":"prediction"' "$TRACE" | tail -n 1 | sed -E 's/.*"digit":(-?[0-9]+).*/\1/'
}

# A seven: a top bar, then a long diagonal.
pts=""
for i in $(seq 0 16); do pts="$pts $((280 + i * 30)) 200"; done
for i in $(seq 1 20); do pts="$pts $((760 - i * 16)) $((200 + i * 33))"; done
# shellcheck disable=SC2086
draw $pts
[ "$(last_prediction)" = 7 ] || fail "drew a 7, the window predicted $(last_prediction)"
n_pred=$(grep -c '"event":"prediction"' "$TRACE")
[ "$n_pred" -ge 10 ] || fail "predictions should update per stroke segment, saw $n_pred"
echo "ok: drew a 7, predicted 7 ($n_pred predictions traced)"

# Ctrl+7 keeps it as a personal example: the IDX label file holds one label (8-byte header + 1).
xdotool key --window "$WID" ctrl+7
sleep 0.4
[ "$(stat -c %s "$PERSONAL/train-labels-idx1-ubyte" 2>/dev/null)" = 9 ] || fail "Ctrl+7 did not write one label to $PERSONAL"
[ "$(stat -c %s "$PERSONAL/train-images-idx3-ubyte" 2>/dev/null)" = $((16 + 784)) ] || fail "Ctrl+7 did not write one image"
grep -q '"event":"personal","ok":true,"label":7,"count":1' "$TRACE" || fail "the personal add was not traced"
echo "ok: Ctrl+7 keeps the drawing in $PERSONAL"

xdotool key --window "$WID" c
sleep 0.3
[ "$(last_prediction)" = -1 ] || fail "C should clear the canvas (prediction $(last_prediction))"
echo "ok: C clears"

# A zero: an ellipse.
pts=$(awk 'BEGIN { for (i = 0; i <= 40; i++) { t = 6.2832 * i / 40 - 1.5708; printf "%d %d ", 500 + 230 * cos(t), 500 + 330 * sin(t) } }')
# shellcheck disable=SC2086
draw $pts
[ "$(last_prediction)" = 0 ] || fail "drew a 0, the window predicted $(last_prediction)"
echo "ok: drew a 0, predicted 0"
xdotool key --window "$WID" ctrl+0
sleep 0.4
[ "$(stat -c %s "$PERSONAL/train-labels-idx1-ubyte")" = 10 ] || fail "Ctrl+0 did not grow the personal set to 2"
[ "$(tail -c 2 "$PERSONAL/train-labels-idx1-ubyte" | od -An -tu1 | tr -s ' ')" = " 7 0" ] || fail "personal labels are not 7, 0"
echo "ok: Ctrl+0 grows the personal set to 2 (labels 7, 0)"

# What the network looks at: G overlays the saliency of the 0, A shows the layers.
xdotool key --window "$WID" g
sleep 0.3
grep -q '"event":"saliency","on":true,"top":0,"scale":[0-9.e-]*[1-9]' "$TRACE" || fail "G did not show a saliency map of the 0"
xdotool key --window "$WID" a
sleep 0.3
grep -q '"event":"tab","name":"inside"' "$TRACE" || fail "A did not show the inside tab"
[ -n "${SHOTS:-}" ] && import -window root "$SHOTS/e2e-saliency.png" 2>/dev/null
xdotool key --window "$WID" g
sleep 0.2
grep -q '"event":"saliency","on":false' "$TRACE" || fail "G again did not hide the map"
echo "ok: G overlays the saliency of the 0; A shows the layers"

# Real clicks at window coordinates.
click_at() {
    xdotool mousemove --window "$WID" "$1" "$2"
    sleep 0.05
    xdotool click 1
    sleep 0.4
}

if [ "$HAVE_DATA" = 1 ]; then
    # The confusion matrix: M shows it (its geometry is traced); a click on cell (true 4, read
    # as 9) opens that cell's gallery; a click on the first thumbnail puts it on the canvas.
    sleep 1.5 # data loading and the first pass over the test set
    xdotool key --window "$WID" m
    sleep 0.5
    tab=$(grep '"event":"tab","name":"errors"' "$TRACE" | tail -n 1)
    [ -n "$tab" ] || fail "M did not show the errors tab"
    read -r MX MY MC < <(echo "$tab" | sed -E 's/.*"matrix":\[([0-9]+),([0-9]+),([0-9]+)\].*/\1 \2 \3/')
    [ "${MC:-0}" -ge 12 ] || fail "no matrix geometry in the trace: $tab"
    click_at $((MX + 9 * MC + MC / 2)) $((MY + 4 * MC + MC / 2))
    gal=$(grep '"event":"gallery","true":4,"pred":9' "$TRACE" | tail -n 1)
    [ -n "$gal" ] || fail "a click on cell (4,9) did not open its gallery"
    count=$(echo "$gal" | sed -E 's/.*"count":([0-9]+).*/\1/')
    echo "ok: M shows the confusion matrix; cell (4,9) opens a gallery of $count test images"
    click_at $((MX + 3 * MC + MC / 2)) $((MY + 3 * MC + MC / 2))
    gal=$(grep '"event":"gallery","true":3,"pred":3' "$TRACE" | tail -n 1)
    [ -n "$gal" ] || fail "a click on cell (3,3) did not open its gallery"
    read -r TX TY TP < <(echo "$gal" | sed -E 's/.*"thumb":\[([0-9]+),([0-9]+),([0-9]+)\].*/\1 \2 \3/')
    npred=$(grep -c '"event":"prediction"' "$TRACE")
    click_at $((TX + TP / 2)) $((TY + TP / 2))
    grep -q '"event":"canvas_from_test","index":[0-9]*,"label":3' "$TRACE" || fail "a thumbnail click did not reach the canvas"
    [ "$(grep -c '"event":"prediction"' "$TRACE")" -gt "$npred" ] || fail "the test image on the canvas was not read"
    [ "$(last_prediction)" = 3 ] || fail "the test 3 put on the canvas was read as $(last_prediction)"
    echo "ok: a thumbnail of cell (3,3) goes onto the canvas and is read as 3"
    [ -n "${SHOTS:-}" ] && import -window root "$SHOTS/e2e-explorer.png" 2>/dev/null
    xdotool key --window "$WID" c
    sleep 0.3

    for _ in $(seq 1 100); do grep -q 'mnist\|data' "$TRACE" && break; sleep 0.1; done
    before=$(grep -c '"event":"publish"' "$TRACE")
    xdotool key --window "$WID" space
    sleep 3
    grep -q '"event":"train","running":true' "$TRACE" || fail "Space did not start training"
    pubs=$(grep '"event":"publish"' "$TRACE" | tail -n +"$((before + 1))" | grep -c '"running":true')
    [ "$pubs" -ge 5 ] || fail "expected loss points to arrive while training, got $pubs publishes"
    last_step=$(grep '"event":"publish"' "$TRACE" | tail -n 1 | sed -E 's/.*"step":([0-9]+).*/\1/')
    [ "$last_step" -gt 50 ] || fail "training made only $last_step steps in 3 s"
    echo "ok: Space trains: $pubs publishes, step $last_step"
else
    echo "note: no MNIST data in $DATA; the training part is skipped"
fi

xdotool key --window "$WID" ctrl+s
sleep 1
saved=$(grep '"event":"save","ok":true' "$TRACE" | tail -n 1 | sed -E 's/.*"path":"([^"]+)".*/\1/')
[ -n "$saved" ] && [ -f "$saved" ] || fail "Ctrl+S did not save a model"
case "$saved" in "$TMP/models/"*) ;; *) fail "saved outside the models dir: $saved" ;; esac
"$BIN" info "$saved" >"$TMP/info.txt" 2>&1 || fail "digitrec info rejects $saved: $(cat "$TMP/info.txt")"
echo "ok: Ctrl+S saved $(basename "$saved"), digitrec info accepts it"

if [ "$HAVE_DATA" = 1 ]; then
    # Compare runs: R starts a fresh network (training goes on) and keeps the trained run's curves.
    xdotool key --window "$WID" r
    sleep 2.5
    grep -q '"event":"run_kept","runs":1' "$TRACE" || fail "R did not keep the previous run"
    # on a quick machine the first run may have reached its epoch limit, and a fresh network
    # waits for Space: one step (N) gives the new run a history either way
    xdotool key --window "$WID" n
    sleep 1
    [ -n "${SHOTS:-}" ] && import -window root "$SHOTS/e2e-compare.png" 2>/dev/null
    echo "ok: R keeps the previous run's curves beside the new one"
    # Ctrl+E: the history of both runs as CSV, and PNG pictures, in the default export folder.
    xdotool key --window "$WID" ctrl+e
    sleep 1.5
    exp=$(grep '"event":"export","ok":true' "$TRACE" | tail -n 1)
    [ -n "$exp" ] || fail "Ctrl+E did not export"
    prefix=$(echo "$exp" | sed -E 's/.*"prefix":"([^"]+)".*/\1/')
    case "$prefix" in "$HOME/.local/share/digitrec/exports/"*) ;; *) fail "exported outside the default folder: $prefix" ;; esac
    grep -Eq '^1,"mlp momentum [0-9.]+ b64, mnist",step,1,' "$prefix-history.csv" || fail "the CSV lacks run 1's steps"
    grep -q '^current,' "$prefix-history.csv" || fail "the CSV lacks the current run"
    for f in canvas input weights curves window layers.1.weight; do
        [ "$(head -c 4 "$prefix-$f.png" 2>/dev/null | od -An -c | tr -d ' ')" = "211PNG" ] || fail "no PNG $prefix-$f.png"
    done
    echo "ok: Ctrl+E exports the history of both runs and 7 PNG pictures"
fi

FASHION=/usr/share/datasets/fashion-mnist
if [ -f "$FASHION/train-images-idx3-ubyte.gz" ]; then
    # Ctrl+D, type the folder, Enter: a fresh network on Fashion-MNIST, clothing names on the bars.
    xdotool key --window "$WID" ctrl+d
    sleep 0.3
    xdotool type --window "$WID" --delay 5 "$FASHION"
    xdotool key --window "$WID" Return
    for _ in $(seq 1 80); do grep -q '"event":"data","loaded":"fashion-mnist' "$TRACE" && break; sleep 0.1; done
    grep -q '"event":"data","loaded":"fashion-mnist 60000/10000","classes":"T-shirt/top,Trouser' "$TRACE" \
        || fail "Ctrl+D did not switch to Fashion-MNIST"
    sleep 1.5
    [ -n "${SHOTS:-}" ] && import -window root "$SHOTS/e2e-fashion.png" 2>/dev/null
    echo "ok: Ctrl+D switches to Fashion-MNIST with its class names"
fi

xdotool windowsize "$WID" 1100 760
sleep 0.8
grep -q '"window":\[1100,760\]' "$TRACE" || fail "resize not traced"
read -r CX CY CW CH < <(canvas_rect)
echo "ok: resized, canvas now $CX,$CY ${CW}x$CH"

if command -v import >/dev/null 2>&1; then import -window root "$TMP/shot.png" 2>/dev/null || true; fi

# Ctrl+Q with unsaved training asks first; Esc cancels and nothing is lost.
if [ "$HAVE_DATA" = 1 ]; then
    xdotool key --window "$WID" space
    sleep 1.5
    xdotool key --window "$WID" ctrl+q
    sleep 0.6
    grep -q '"event":"ask","kind":"quit"' "$TRACE" || fail "Ctrl+Q with unsaved training did not ask"
    kill -0 "$APID" 2>/dev/null || fail "the window quit without asking"
    [ -n "${SHOTS:-}" ] && import -window root "$SHOTS/e2e-quit.png" 2>/dev/null
    xdotool key --window "$WID" Escape
    sleep 0.4
    grep -q '"event":"answer","kind":"quit","choice":"Cancel' "$TRACE" || fail "Esc did not cancel"
    kill -0 "$APID" 2>/dev/null || fail "Esc quit the window"
    echo "ok: Ctrl+Q asks first, Esc cancels"
fi
# The session ending (SIGTERM): no one to ask, so the unsaved training is autosaved.
t0=$(date +%s%N)
kill -TERM "$APID"
wait_exit "the window did not close within 5 s of SIGTERM"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 0 ] || fail "digitrec exited with $rc"
if [ "$HAVE_DATA" = 1 ]; then
    auto=$(ls "$TMP/autosave"/autosave-*.safetensors 2>/dev/null | tail -n 1)
    [ -n "$auto" ] || fail "unsaved training was not autosaved"
    grep -q 'autosaved to' "$TMP/app.log" || fail "the autosave was not announced"
    "$BIN" info "$auto" | grep -q 'autosave_reason.*the window closed' || fail "autosave unreadable or without its reason"
    echo "ok: closed in ${ms} ms, autosaved as $(basename "$auto")"

    # The next start offers it back; Enter restores it.
    start_app
    sleep 0.5
    grep -q '"event":"ask","kind":"restore"' "$TRACE" || fail "the autosave was not offered at start"
    [ -n "${SHOTS:-}" ] && import -window root "$SHOTS/e2e-restore.png" 2>/dev/null
    xdotool key --window "$WID" Return
    sleep 1
    grep -q "\"event\":\"load\",\"ok\":true,\"path\":\"$auto\"" "$TRACE" || fail "Enter did not restore $auto"
    echo "ok: the autosave is offered at the next start and restored"
    # More training, then Ctrl+R: back to the restored model (the extra training kept as an autosave).
    n0=$(ls "$TMP/autosave"/autosave-*.safetensors | wc -l)
    xdotool key --window "$WID" space
    sleep 1.5
    xdotool key --window "$WID" space
    sleep 0.3
    xdotool key --window "$WID" ctrl+r
    sleep 1
    grep -q '"event":"revert"' "$TRACE" || fail "Ctrl+R did not revert"
    n1=$(ls "$TMP/autosave"/autosave-*.safetensors | wc -l)
    [ "$n1" -gt "$n0" ] || fail "the training reverted away was not kept"
    echo "ok: Ctrl+R reverts to the restored model and keeps the training it replaced"
    # Unsaved training again; Ctrl+Q, D: quits without a new autosave.
    xdotool key --window "$WID" space
    sleep 1.5
    xdotool key --window "$WID" ctrl+q
    sleep 0.5
    xdotool key --window "$WID" d
    wait_exit "Ctrl+Q, D did not quit"
    [ "$rc" = 0 ] || fail "digitrec exited with $rc"
    n2=$(ls "$TMP/autosave"/autosave-*.safetensors | wc -l)
    [ "$n2" = "$n1" ] || fail "quitting without saving still autosaved ($n1 -> $n2)"
    echo "ok: Ctrl+Q, D quits without saving"
fi
[ "$(ls -A "$SRC/models" 2>/dev/null)" = "$MODELS_BEFORE" ] || fail "the source models/ folder was modified"
echo "test_gui_e2e: all passed"
