#!/usr/bin/env bash
# test_gui_settings.sh - settings that persist, in the real window under Xvfb: change the epochs
# (typed), the learning rate (Up), the tab (M), the dataset (Ctrl+D, a typed folder) and the
# window's size, save a model (Ctrl+S), quit (Ctrl+Q); settings.json holds them, and a restart
# without options shows them all (its trace: the settings, controls, tab and layout events, the
# model opened). A SIGTERM writes them too. A corrupt settings.json gets one line and the
# defaults, stays as it is while nothing changes, and is kept as settings.json.bad once something
# does; --no-settings reads and writes nothing.
# Needs Xvfb and xdotool (skips without them) and MNIST (skips without it). Uses a temp HOME.
set -u

BIN=${DIGITREC_BIN:-}
SRC=${DIGITREC_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
DATA=${DIGITREC_DATA:-$SRC/data/mnist}
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "test_gui_settings: DIGITREC_BIN is not set to the digitrec binary" >&2; exit 1; }
for tool in Xvfb xdotool python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP test_gui_settings: $tool is not installed"; exit 0; }
done
[ -e "$DATA/train-images-idx3-ubyte" ] || [ -e "$DATA/train-images-idx3-ubyte.gz" ] ||
    { echo "SKIP test_gui_settings: no MNIST in $DATA"; exit 0; }

TMP=$(mktemp -d /tmp/digitrec_gui_settings_XXXXXX)
TRACE="$TMP/trace.jsonl"
# shellcheck source=tests/xvfb_common.sh
. "$SRC/tests/xvfb_common.sh"
xvfb_start
unset DIGITREC_NO_SETTINGS
CONF="$HOME/.config/digitrec/settings.json"
MODEL="$SRC/models/mlp.safetensors"
[ -f "$MODEL" ] || { echo "SKIP test_gui_settings: no models/mlp.safetensors"; exit 0; }

# A second dataset folder: MNIST's files under another name.
DATA2="$TMP/mnist-copy"
mkdir -p "$DATA2"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    for g in "$DATA/$f" "$DATA/$f.gz"; do [ -e "$g" ] && ln -s "$(readlink -f "$g")" "$DATA2/$(basename "$g")"; done
done

key() { xdotool key --window "$WID" "$@"; sleep 0.25; }
# The value of a field in the last line of the trace with this event.
last_event() { grep "\"event\":\"$1\"" "$TRACE" | tail -n 1; }
field() { sed -E "s/.*\"$1\":(\"[^\"]*\"|[^,}]*).*/\1/" | tr -d '"'; }
# Waits up to 5 s for the window to exit; sets rc.
wait_exit() {
    for _ in $(seq 1 50); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$APID" 2>/dev/null && fail "$1"
    wait "$APID"
    rc=$?
    APID=""
}
# Waits up to 8 s for a line matching pattern in the trace.
wait_trace() {
    for _ in $(seq 1 80); do grep -q "$1" "$TRACE" && return 0; sleep 0.1; done
    fail "$2"
}
COMMON=(--models-dir "$TMP/models" --autosave "$TMP/autosave")

# ---- the first run: no settings yet ----
start_window --model "$MODEL" --data "$DATA" "${COMMON[@]}"
grep -q '"event":"settings","state":"none"' "$TRACE" || fail "the first start should find no settings"
wait_trace '"event":"data","loaded"' "the data did not load"
# the epochs, typed: Tab until the focus is on Epochs, Enter, clear, 7, Enter
for _ in $(seq 1 30); do
    [ "$(last_event controls | field focus)" = Epochs ] && break
    key Tab
done
[ "$(last_event controls | field focus)" = Epochs ] || fail "Tab never reached the Epochs control"
key Return
key BackSpace BackSpace BackSpace BackSpace BackSpace
xdotool type --window "$WID" 7
key Return
key Escape
[ "$(last_event controls | field epochs)" = 7 ] || fail "typing 7 into Epochs gave $(last_event controls | field epochs)"
lr0=$(last_event controls | field lr)
key Up
key Up
LR=$(last_event controls | field lr)
[ "$LR" != "$lr0" ] || fail "Up did not change the learning rate ($lr0)"
key m
[ "$(last_event tab | field name)" = errors ] || fail "M did not show the errors tab"
key ctrl+d
xdotool type --window "$WID" --delay 5 "$DATA2"
key Return
wait_trace "\"event\":\"data\",\"ok\":true,\"dir\":\"$DATA2\"" "Ctrl+D did not switch to $DATA2"
sleep 2 # the new data loads
xdotool windowsize "$WID" 1000 700
sleep 0.8
grep -q '"window":\[1000,700\]' "$TRACE" || fail "the resize was not traced"
key ctrl+s
sleep 0.5
SAVED=$(last_event save | field path)
[ -f "$SAVED" ] || fail "Ctrl+S saved nothing"
echo "ok: epochs 7 typed, lr $lr0 -> $LR, tab errors, data $DATA2, 1000x700, saved $(basename "$SAVED")"
key ctrl+q
wait_exit "Ctrl+Q did not quit"
[ "$rc" = 0 ] || fail "digitrec exited with $rc"
[ -f "$CONF" ] || fail "no $CONF after quitting"
python3 - "$CONF" "$LR" "$DATA2" "$SAVED" <<'EOF' || fail "settings.json does not hold the changes: $(cat "$CONF")"
import json, sys
s = json.load(open(sys.argv[1]))
want = {"version": 1, "epochs": 7, "tab": "errors", "data": sys.argv[3], "window_width": 1000,
        "window_height": 700, "model": sys.argv[4]}
bad = {k: (s.get(k), v) for k, v in want.items() if s.get(k) != v}
if abs(s.get("lr", 0) - float(sys.argv[2])) > 1e-9: bad["lr"] = (s.get("lr"), sys.argv[2])
if bad: sys.exit("differs: %r" % bad)
EOF
grep -q '"event":"settings","written":true' "$TRACE" || fail "the write was not traced"
echo "ok: Ctrl+Q wrote settings.json with them"

# ---- a restart without options: everything as it was ----
: >"$TRACE"
start_window "${COMMON[@]}"
st=$(last_event settings)
echo "$st" | grep -q '"state":"ok"' || fail "the restart did not read the settings: $st"
echo "$st" | grep -q "\"data\":\"$DATA2\"" || fail "the restart's data folder: $st"
grep -q "\"event\":\"message\",\"error\":false,\"text\":\"model $SAVED\"" "$TRACE" || fail "the last model $SAVED was not opened"
ctl=$(last_event controls)
[ "$(echo "$ctl" | field epochs)" = 7 ] && [ "$(echo "$ctl" | field lr)" = "$LR" ] || fail "the controls after a restart: $ctl"
grep -q '"event":"tab","name":"errors"' "$TRACE" || fail "the restart is not on the errors tab"
grep -q '"event":"layout","window":\[1000,700\]' "$TRACE" || fail "the restart's window is not 1000x700"
echo "ok: a restart has epochs 7, lr $LR, the errors tab, $DATA2, 1000x700 and the saved model"
# a SIGTERM writes them too
key w
kill -TERM "$APID"
wait_exit "SIGTERM did not close the window"
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); sys.exit(s.get('tab') != 'weights')" "$CONF" ||
    fail "SIGTERM did not write the tab: $(cat "$CONF")"
echo "ok: a SIGTERM writes the settings"

# ---- a corrupt file ----
printf '{"version": 1, "epochs": 3,' >"$CONF"
cp "$CONF" "$TMP/corrupt"
: >"$TRACE"
start_window "${COMMON[@]}"
grep -q '"event":"settings","state":"bad"' "$TRACE" || fail "a corrupt file was not reported as such"
grep -q '"event":"message","error":false,"text":"[^"]*settings.json: not valid JSON' "$TRACE" ||
    fail "no one-line message about the corrupt file"
grep -q 'settings.json: not valid JSON' "$TMP/app.log" || fail "the corrupt file was not reported on stderr"
[ "$(last_event controls | field epochs)" != 3 ] || fail "a corrupt file's values were used"
key ctrl+q
wait_exit "Ctrl+Q did not quit"
cmp -s "$CONF" "$TMP/corrupt" || fail "the corrupt file was overwritten although nothing changed"
[ ! -e "$CONF.bad" ] || fail "a .bad copy although nothing was written"
start_window "${COMMON[@]}"
key a
key ctrl+q
wait_exit "Ctrl+Q did not quit"
cmp -s "$CONF.bad" "$TMP/corrupt" || fail "the corrupt file was not kept as settings.json.bad"
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); sys.exit(s.get('tab') != 'inside')" "$CONF" ||
    fail "the new settings.json lacks the change: $(cat "$CONF")"
echo "ok: a corrupt file: one line, left alone while nothing changes, then kept as settings.json.bad"

# ---- --no-settings ----
cp "$CONF" "$TMP/before"
: >"$TRACE"
start_window --no-settings "${COMMON[@]}"
grep -q '"event":"settings","state":"off"' "$TRACE" || fail "--no-settings still read settings"
grep -q '"event":"tab","name":"inside"' "$TRACE" && fail "--no-settings applied the saved tab"
key m
key ctrl+q
wait_exit "Ctrl+Q did not quit"
cmp -s "$CONF" "$TMP/before" || fail "--no-settings wrote the settings"
echo "ok: --no-settings neither reads nor writes them"
echo "test_gui_settings: all passed"
