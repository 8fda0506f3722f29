#!/usr/bin/env bash
# storm.sh - the window, built with ASan+UBSan, under a minute of random input on Xvfb: clicks,
# drags with either button, wheel turns, keys and chords (never quit), typed text and resizes,
# while it trains. Then it must still be there, still read a new stroke, quit cleanly when asked,
# and no sanitizer may have reported anything. Run by scripts/dev.sh test with the sanitizer build:
#   DIGITREC_BIN=build-asan-gui/digitrec DIGITREC_DATA=data/mnist tests/storm.sh [seconds]
set -u
BIN=${DIGITREC_BIN:-}
DATA=${DIGITREC_DATA:-}
SECONDS_WANTED=${1:-60}
[ -x "$BIN" ] || { echo "storm: DIGITREC_BIN is not set to the sanitizer build" >&2; exit 1; }
for tool in Xvfb xdotool; do command -v $tool >/dev/null || { echo "storm: $tool missing" >&2; exit 1; }; done
TMP=$(mktemp -d /tmp/digitrec_storm_XXXXXX)
TRACE="$TMP/trace.jsonl"
. "$(dirname "$0")/xvfb_common.sh"
xvfb_start
# Leaks in the system's libraries (fonts, X, the software GL driver) are theirs, not ours.
export ASAN_OPTIONS="${STORM_ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:halt_on_error=1}"
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan-system.supp:print_suppressions=0:exitcode=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# SDL's software renderer: the GL driver Mesa loads and unloads leaves allocations LeakSanitizer
# cannot even name
export SDL_RENDER_DRIVER=software
start_window --data "$DATA" --models-dir "$TMP/models" --autosave "$TMP/autosave" --export-dir "$TMP/exports" \
    --personal-dir "$TMP/personal"
xdotool key --window "$WID" space # training runs through the storm

KEYS=(space n r c l w m a g p Up Down Left Right Escape F1 question Return BackSpace Delete Tab Page_Up Page_Down
      ctrl+z ctrl+s ctrl+e ctrl+o ctrl+d ctrl+r ctrl+BackSpace ctrl+1 ctrl+7 1 5 9 x)
SIZES=("800 560" "1280 800" "1000 700" "1920 1080" "900 600")
RANDOM=1
end=$(( $(date +%s) + SECONDS_WANTED ))
events=0
while [ "$(date +%s)" -lt "$end" ]; do
    x=$((RANDOM % 1280)) y=$((RANDOM % 800))
    case $((RANDOM % 10)) in
    0|1) xdotool mousemove --window "$WID" $x $y click 1 ;;
    2|3) b=$((RANDOM % 2 ? 1 : 3))
         xdotool mousemove --window "$WID" $x $y mousedown $b
         for _ in 1 2 3 4; do xdotool mousemove --window "$WID" $(( (x + RANDOM % 200) % 1280 )) $(( (y + RANDOM % 200) % 800 )); done
         xdotool mouseup $b ;;
    4) xdotool mousemove --window "$WID" $x $y click $((RANDOM % 2 ? 4 : 5)) ;;
    5|6|7) xdotool key --window "$WID" "${KEYS[$((RANDOM % ${#KEYS[@]}))]}" ;;
    8) xdotool type --window "$WID" "/tmp/x$((RANDOM % 100))" ;;
    9) read -r w h <<<"${SIZES[$((RANDOM % ${#SIZES[@]}))]}"; xdotool windowsize "$WID" "$w" "$h" ;;
    esac
    events=$((events + 1))
    kill -0 "$APID" 2>/dev/null || fail "the window died after $events events"
done
echo "storm: $events random events in ${SECONDS_WANTED} s, the window is still there"

# Back to a plain window; a new stroke is read.
for _ in 1 2 3; do xdotool key --window "$WID" Escape; sleep 0.1; done
xdotool windowsize "$WID" 1280 800
xdotool windowmove "$WID" 0 0
sleep 0.8
xdotool key --window "$WID" c
sleep 0.3
n0=$(grep -c '"event":"prediction","digit":[0-9]' "$TRACE")
[ -n "${STORM_SHOT:-}" ] && import -window root "$STORM_SHOT" 2>/dev/null
draw 500 150 520 500 480 850
n1=$(grep -c '"event":"prediction","digit":[0-9]' "$TRACE")
[ "$n1" -gt "$n0" ] || fail "a new stroke was not read after the storm"
echo "storm: a new stroke is read"

# Quit when asked: Ctrl+Q, and D (quit without saving) if it asks first.
asks=$(grep -c '"event":"ask","kind":"quit"' "$TRACE")
xdotool key --window "$WID" ctrl+q
sleep 0.6
if [ "$(grep -c '"event":"ask","kind":"quit"' "$TRACE")" -gt "$asks" ]; then xdotool key --window "$WID" d; fi
for _ in $(seq 1 100); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$APID" 2>/dev/null && fail "the window did not quit when asked"
wait "$APID"
rc=$?
APID=""
# Any AddressSanitizer or UndefinedBehaviorSanitizer report fails, and so does any leak LeakSanitizer
# finds directly (the system libraries' own are suppressed, tests/lsan-system.supp). What such a
# suppressed leak holds shows up as "indirect" leaks from code unloaded before the report (no
# module can be named); those are counted, not failed.
[ -n "${STORM_LOG:-}" ] && cp "$TMP/app.log" "$STORM_LOG"
if grep -Eq 'ERROR: AddressSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer|^Direct leak of' "$TMP/app.log"; then
    fail "a sanitizer reported: $(grep -E 'ERROR|runtime error|SUMMARY|Direct leak' "$TMP/app.log" | head -n 3)"
fi
indirect=$(grep -c '^Indirect leak of' "$TMP/app.log")
[ "$indirect" -gt 0 ] && echo "storm: $indirect indirect leak(s) under suppressed system-library leaks, from code unloaded before exit"
[ "$rc" = 0 ] || fail "the window exited with $rc"
echo "storm: quit cleanly, no sanitizer report"
