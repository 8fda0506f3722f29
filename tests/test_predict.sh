#!/usr/bin/env bash
# test_predict.sh - `digitrec predict` as the reading issue wants it: it runs without --model
# (the shipped default), prints a state (sure / not sure / no digit) in text and JSON with the old
# keys kept, writes the 28x28 inputs with --save-input, keeps the old pipelines selectable; and
# `train --holdout` + `digitrec calibrate` record a temperature that predict then uses.
# Environment: DIGITREC_BIN, DIGITREC_SRC, DIGITREC_DATA; DIGITREC_PYTHON for making pictures.
set -uo pipefail
bin="${DIGITREC_BIN:?}"
src="${DIGITREC_SRC:?}"
py="${DIGITREC_PYTHON:-/usr/bin/python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL test_predict: $*" >&2; }

# pictures: a 7 on grey paper lit from one side (PGM, made here), a blank page, a dash
"$py" - "$tmp" <<'PY'
import sys, math, random
out = sys.argv[1]
random.seed(1)
def pgm(name, w, h, f):
    with open("%s/%s" % (out, name), "wb") as fh:
        fh.write(b"P5\n%d %d\n255\n" % (w, h))
        fh.write(bytes(max(0, min(255, int(f(x, y) * 255 + random.gauss(0, 4)))) for y in range(h) for x in range(w)))
def seg(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)
def seven(x, y):
    paper = 0.55 + 0.35 * x / 200
    d = min(seg(x, y, 60, 40, 150, 40), seg(x, y, 150, 40, 90, 170))
    return paper * (0.15 if d < 6 else 1.0)
pgm("seven.pgm", 200, 200, seven)
pgm("blank.pgm", 120, 90, lambda x, y: 0.8)
pgm("dash.pgm", 200, 200, lambda x, y: 0.1 if 60 < x < 150 and 95 < y < 103 else 0.9)
PY

out=$("$bin" predict "$tmp/seven.pgm" 2>"$tmp/err")
if [ $? = 0 ] && [ ! -s "$tmp/err" ] && grep -q "seven.pgm: 7 (.*sure)" <<<"$out"; then ok; else bad "default model reads the 7: $out $(cat "$tmp/err")"; fi
out=$("$bin" predict "$tmp/blank.pgm")
if grep -q "blank.pgm: no digit (blank)" <<<"$out"; then ok; else bad "blank page: $out"; fi
out=$("$bin" predict "$tmp/dash.pgm")
# not sure, or (a model with a detector, as the shipped CNN) not a digit at all
if grep -Eq "dash.pgm: (not sure|not a digit)" <<<"$out"; then ok; else bad "a dash is not sure: $out"; fi
json=$("$bin" predict --json "$tmp/seven.pgm" "$tmp/blank.pgm")
if "$py" -c '
import json, sys
a, b = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert a["digit"] == 7 and a["label"] == "7" and a["blank"] is False and a["state"] == "sure", a
assert abs(sum(a["probabilities"]) - 1) < 1e-4 and a["confidence"] == max(a["probabilities"]), a
assert b["digit"] is None and b["blank"] is True and b["state"] == "blank", b
' <<<"$json"; then ok; else bad "JSON: $json"; fi
# --save-input: a PNG per image, the same name twice gets -2
mkdir -p "$tmp/in" "$tmp/b"
cp "$tmp/seven.pgm" "$tmp/b/seven.pgm"
if "$bin" predict --save-input "$tmp/in" "$tmp/seven.pgm" "$tmp/b/seven.pgm" >/dev/null &&
   [ "$(head -c 8 "$tmp/in/seven.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ -s "$tmp/in/seven-2.png" ] &&
   [ -z "$(find "$tmp/in" -name '*.tmp*')" ]; then ok; else bad "--save-input: $(ls "$tmp/in")"; fi
if "$bin" predict --save-input "$tmp/nope" "$tmp/seven.pgm" 2>"$tmp/err"; then bad "--save-input to a missing folder succeeded"
elif grep -q "no such folder" "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ]; then ok; else bad "missing folder message: $(cat "$tmp/err")"; fi
# the saved input is what the network read: predicting it (white on black, 28x28) gives the same digit
if "$bin" predict "$tmp/in/seven.png" | grep -q ": 7 "; then ok; else bad "the saved input reads back as 7"; fi
# the old pipelines stay selectable; the legacy one takes the grey paper's dark side for ink
legacy=$("$bin" predict --preprocess legacy "$tmp/seven.pgm")
if [ $? = 0 ] && grep -q "seven.pgm:" <<<"$legacy"; then ok; else bad "--preprocess legacy: $legacy"; fi
if "$bin" predict --preprocess fancy "$tmp/seven.pgm" 2>/dev/null; then bad "--preprocess fancy accepted"; else ok; fi
# calibration: the shipped model records its temperature; a model without a holdout is refused
if "$bin" info "$src/models/mlp.safetensors" | grep -q "temperature"; then ok; else bad "shipped model has no temperature"; fi
if [ -n "${DIGITREC_DATA:-}" ] && [ -d "$DIGITREC_DATA" ]; then
  "$bin" train --arch softmax --epochs 1 --max-iters 30 --quiet --out "$tmp/nohold.safetensors" >/dev/null 2>&1
  if "$bin" calibrate --model "$tmp/nohold.safetensors" 2>"$tmp/err"; then bad "calibrate without a holdout succeeded"
  elif grep -q "records no held-out images" "$tmp/err"; then ok; else bad "calibrate refusal: $(cat "$tmp/err")"; fi
  "$bin" train --arch softmax --epochs 1 --max-iters 60 --holdout 2000 --quiet --out "$tmp/hold.safetensors" >/dev/null 2>&1
  t1=$("$bin" info "$tmp/hold.safetensors" | awk '$1 == "temperature" { print $2 }')
  h1=$("$bin" info "$tmp/hold.safetensors" | awk '$1 == "holdout" { print $2 }')
  if [ -n "$t1" ] && [ "$h1" = 2000 ]; then ok; else bad "train --holdout recorded temperature '$t1' holdout '$h1'"; fi
  if "$bin" calibrate --model "$tmp/hold.safetensors" | grep -q "ECE (15 bins) held-out" &&
     "$bin" info "$tmp/hold.safetensors" | grep -q "test_ece_after"; then ok; else bad "calibrate on a held-out model"; fi
  if "$bin" train --arch softmax --holdout 60000 --quiet 2>"$tmp/err"; then bad "--holdout 60000 accepted"
  elif grep -q "leaves no training images" "$tmp/err"; then ok; else bad "--holdout 60000: $(cat "$tmp/err")"; fi
else
  echo "test_predict: no MNIST in \$DIGITREC_DATA; calibration runs skipped"
fi
echo "test_predict: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
