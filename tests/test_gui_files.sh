#!/usr/bin/env bash
# test_gui_files.sh - Open and Save As in the real window under Xvfb, with real keys: Ctrl+O lists
# the models folder (a subfolder, a model, a broken file marked), a typed folder path lists that
# folder, Enter opens the model selected there (the trace shows it loaded), a typed path to the
# broken file gets one line in the dialog; Ctrl+Shift+S saves under a typed name, the same name
# again asks "Replace?", Cancel (Esc) keeps the old file byte-identical and Replace (Enter) writes
# over it; Ctrl+S still writes a new generated name. Needs Xvfb and xdotool (skips without them).
set -u

BIN=${DIGITREC_BIN:-}
SRC=${DIGITREC_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${DIGITREC_DATA:-$SRC/data/mnist}
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "test_gui_files: DIGITREC_BIN is not set to the digitrec binary" >&2; exit 1; }
for tool in Xvfb xdotool cmp; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP test_gui_files: $tool is not installed"; exit 0; }
done
MODEL="$SRC/models/mlp.safetensors"
[ -f "$MODEL" ] || { echo "SKIP test_gui_files: no models/mlp.safetensors"; exit 0; }
HAVE_DATA=0
[ -e "$DATA/train-images-idx3-ubyte" ] || [ -e "$DATA/train-images-idx3-ubyte.gz" ] && HAVE_DATA=1

TMP=$(mktemp -d /tmp/digitrec_gui_files_XXXXXX)
TRACE="$TMP/trace.jsonl"
# shellcheck source=tests/xvfb_common.sh
. "$SRC/tests/xvfb_common.sh"
xvfb_start
M="$TMP/models"
mkdir -p "$M/sub"
cp "$MODEL" "$M/sub/chosen.safetensors"
cp "$SRC/models/softmax.safetensors" "$M/softmax.safetensors" 2>/dev/null || cp "$MODEL" "$M/softmax.safetensors"
printf 'not a model at all' >"$M/broken.safetensors"

key() { xdotool key --window "$WID" "$@"; sleep 0.3; }
type_text() { xdotool type --window "$WID" --delay 8 "$1"; sleep 0.2; }
wait_trace() {
    for _ in $(seq 1 60); do grep -q "$1" "$TRACE" && return 0; sleep 0.1; done
    fail "$2"
}
count() { grep -c "$1" "$TRACE"; }

start_window --no-settings --model "$MODEL" --data "$DATA" --models-dir "$M" --autosave "$TMP/autosave"

# Ctrl+O: the models folder, with the broken file listed and marked
key ctrl+o
wait_trace "\"event\":\"open_list\",\"dir\":\"$M\",\"folders\":1,\"models\":1,\"broken\":1" "Ctrl+O did not list $M (1 folder, 1 model, 1 broken)"
echo "ok: Ctrl+O lists $M: a folder, a model, a broken file"
# a typed folder path: that folder is listed
type_text "$M/sub"
key Return
wait_trace "\"event\":\"open_list\",\"dir\":\"$M/sub\",\"folders\":0,\"models\":1" "typing $M/sub did not list it"
# Enter opens the selected row (the model below "..")
key Return
wait_trace "\"event\":\"load\",\"ok\":true,\"path\":\"$M/sub/chosen.safetensors\"" "Enter did not open chosen.safetensors"
echo "ok: a typed folder is listed, Enter opens its model (loaded: chosen.safetensors)"
# a typed path to the broken file: one line in the dialog, which stays
key ctrl+o
wait_trace "\"event\":\"open_list\",\"dir\":\"$M/sub\"" "Ctrl+O did not start in the folder last used"
type_text "$M/broken.safetensors"
key Return
wait_trace '"event":"dialog","which":"open","message":"cannot open: [^"]*broken.safetensors' "the broken file got no line in the dialog"
key Escape
echo "ok: the broken file gets one line in the dialog"

# Save As to a name
key ctrl+shift+s
wait_trace '"event":"save_as","suggested":"digitrec-784-128-64-10-' "Ctrl+Shift+S did not suggest a name"
type_text mine
key Return
wait_trace "\"event\":\"save\",\"ok\":true,\"path\":\"$M/mine.safetensors\"" "Save As did not write $M/mine.safetensors"
cp "$M/mine.safetensors" "$TMP/mine.first"
echo "ok: Save As writes mine.safetensors"
# change the network, so that a replacement differs (one training step, or the date a second later)
sleep 1.1
if [ "$HAVE_DATA" = 1 ]; then
    wait_trace '"event":"data","loaded"' "the data did not load"
    key n
    sleep 0.6
fi
# the same name again: asked; Cancel keeps the old file byte-identical
saves=$(count '"event":"save","ok":true')
key ctrl+shift+s
type_text mine
key Return
wait_trace "\"event\":\"ask\",\"kind\":\"replace\",\"path\":\"$M/mine.safetensors\"" "Save As to an existing name did not ask"
key Escape
wait_trace '"event":"answer","kind":"replace","choice":"Cancel"' "Esc did not cancel"
cmp -s "$M/mine.safetensors" "$TMP/mine.first" || fail "Cancel changed mine.safetensors"
[ "$(count '"event":"save","ok":true')" = "$saves" ] || fail "Cancel still saved"
echo "ok: the same name asks first; Cancel keeps the file byte-identical"
# Enter (Save again, the name is still there), asked again, Enter replaces
asks=$(count '"event":"ask","kind":"replace"')
key Return
for _ in $(seq 1 30); do [ "$(count '"event":"ask","kind":"replace"')" -gt "$asks" ] && break; sleep 0.1; done
[ "$(count '"event":"ask","kind":"replace"')" -gt "$asks" ] || fail "Enter on the name again did not ask again"
key Return
wait_trace '"event":"answer","kind":"replace","choice":"Replace"' "Enter did not answer Replace"
for _ in $(seq 1 30); do [ "$(count '"event":"save","ok":true')" -gt "$saves" ] && break; sleep 0.1; done
[ "$(count '"event":"save","ok":true')" -gt "$saves" ] || fail "Replace did not save"
cmp -s "$M/mine.safetensors" "$TMP/mine.first" && fail "Replace left the old bytes"
"$BIN" info "$M/mine.safetensors" >"$TMP/info.txt" 2>&1 || fail "the replaced file is not a model: $(cat "$TMP/info.txt")"
echo "ok: Replace writes over it (a valid model)"
# Ctrl+S: a generated name, nothing replaced
before=$(ls "$M" | wc -l)
key ctrl+s
sleep 0.5
[ "$(ls "$M" | wc -l)" -gt "$before" ] || fail "Ctrl+S did not add a file"
echo "ok: Ctrl+S writes a new generated name"
key ctrl+q
for _ in $(seq 1 50); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$APID" 2>/dev/null; then
    key d # unsaved training (the step): quit without saving
    sleep 1
fi
kill -0 "$APID" 2>/dev/null && fail "the window did not quit"
APID=""
echo "test_gui_files: all passed"
