#!/usr/bin/env bash
# soak.sh - a long scripted session of the real window under Xvfb: draw, train, pause, step,
# reset, save, open, clear, in a loop for SOAK_SECONDS (default 660). Samples the process's
# resident memory every 10 s and prints the figures: cycles, saves, loads, crashes, RSS after
# warm-up and at the end, and the growth. Run by hand (or nightly), not in CI:
#   scripts/soak.sh [path/to/digitrec]          SOAK_SECONDS=660 WARMUP_SECONDS=120
set -u
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/build/digitrec}"
secs="${SOAK_SECONDS:-660}"
warm="${WARMUP_SECONDS:-120}"
data="${DIGITREC_DATA:-$root/data/mnist}"
for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || { echo "soak: $tool missing (apt-get install xvfb xdotool)" >&2; exit 2; }
done
tmp="$(mktemp -d /tmp/digitrec_soak_XXXXXX)"
xpid="" apid=""
cleanup() { [ -n "$apid" ] && kill "$apid" 2>/dev/null; [ -n "$xpid" ] && kill "$xpid" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
dnum=""
for n in $(seq 170 220); do
  [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ] && { dnum=$n; break; }
done
Xvfb ":$dnum" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xpid=$!
for _ in $(seq 1 100); do [ -e "/tmp/.X11-unix/X$dnum" ] && break; sleep 0.05; done
export DISPLAY=":$dnum" HOME="$tmp/home"
mkdir -p "$HOME" "$tmp/models"
cp "$root/models/mlp.safetensors" "$tmp/models/"
"$bin" --model "$tmp/models/mlp.safetensors" --data "$data" --models-dir "$tmp/models" \
  --autosave "$tmp/autosave.safetensors" --trace "$tmp/trace.jsonl" >"$tmp/app.log" 2>&1 &
apid=$!
wid=""
for _ in $(seq 1 100); do
  wid=$(xdotool search --name '^digitrec' 2>/dev/null | head -n 1); [ -n "$wid" ] && break; sleep 0.1
done
[ -n "$wid" ] || { echo "soak: no window"; cat "$tmp/app.log"; exit 1; }
sleep 0.5
read -r cx cy cw ch < <(grep '"event":"layout"' "$tmp/trace.jsonl" | tail -n 1 |
  sed -E 's/.*"canvas":\[([0-9]+),([0-9]+),([0-9]+),([0-9]+)\].*/\1 \2 \3 \4/')

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$apid/status" 2>/dev/null; }
key() { xdotool key --window "$wid" "$@"; sleep 0.15; }
scribble() { # a random stroke of 15 points on the canvas
  local x=$((cx + cw / 4 + RANDOM % (cw / 2))) y=$((cy + ch / 4 + RANDOM % (ch / 2)))
  xdotool mousemove --window "$wid" "$x" "$y" mousedown 1
  for _ in $(seq 1 15); do
    x=$((x + RANDOM % 41 - 20)); y=$((y + RANDOM % 41 - 20))
    xdotool mousemove --window "$wid" "$x" "$y"; sleep 0.01
  done
  xdotool mouseup 1
}

start=$(date +%s) cycles=0 rss_warm="" samples="$tmp/rss.txt" next_sample=$start
: >"$samples"
while [ $(( $(date +%s) - start )) -lt "$secs" ]; do
  kill -0 "$apid" 2>/dev/null || break
  scribble; scribble
  key space; sleep 3; key space          # train for 3 s, pause
  key n; key n                           # two single steps
  scribble; key ctrl+z; key c            # draw, undo, clear
  key ctrl+s                             # save under a generated name
  key ctrl+o; key Return                 # open the first model in the list
  if [ $((cycles % 5)) = 4 ]; then key r; fi   # reset now and then
  cycles=$((cycles + 1))
  now=$(date +%s)
  if [ "$now" -ge "$next_sample" ]; then
    echo "$((now - start)) $(rss)" >>"$samples"; next_sample=$((now + 10))
  fi
  # keep the models folder from filling the disk: the saves were checked by the trace
  ls -t "$tmp/models"/*.safetensors 2>/dev/null | tail -n +20 | xargs -r rm -f
done
alive=0; kill -0 "$apid" 2>/dev/null && alive=1
end_rss=$(rss)
rss_warm=$(awk -v w="$warm" '$1 >= w { print $2; exit }' "$samples")
saves=$(grep -c '"event":"save"' "$tmp/trace.jsonl")
loads=$(grep -c '"event":"load"' "$tmp/trace.jsonl")
publishes=$(grep -c '"event":"publish"' "$tmp/trace.jsonl")
key ctrl+q; sleep 1
echo "soak: $(( $(date +%s) - start )) s, $cycles cycles, $saves saves, $loads loads, $publishes training publishes"
echo "soak: process alive at the end: $([ $alive = 1 ] && echo yes || echo NO)"
echo "soak: RSS after ${warm}s warm-up ${rss_warm:-?} kB, at the end ${end_rss:-?} kB"
growth=$(awk -v a="${rss_warm:-0}" -v b="${end_rss:-0}" 'BEGIN { if (a > 0) printf "%.2f", 100 * (b - a) / a; else print "?" }')
echo "soak: growth after warm-up ${growth}%"
echo "soak: RSS samples (s kB): $(tr '\n' ' ' <"$samples")"
[ $alive = 1 ] && awk -v g="$growth" 'BEGIN { exit !(g != "?" && g < 5) }'
