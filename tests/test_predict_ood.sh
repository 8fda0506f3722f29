#!/usr/bin/env bash
# test_predict_ood.sh - the "not a digit" state of `digitrec predict`: `calibrate` fits the
# detector into a copy of the shipped MLP; predict then says not_digit (text and JSON) for drawn
# letters and a hash sign and still sure for an MNIST test digit and a drawn 7; a model without a
# detector never says not_digit; --ood off writes none; a broken detector is refused in one line.
# Environment: DIGITREC_BIN, DIGITREC_SRC, DIGITREC_DATA (MNIST; skipped without); DIGITREC_PYTHON.
set -uo pipefail
bin="${DIGITREC_BIN:?}"
src="${DIGITREC_SRC:?}"
py="${DIGITREC_PYTHON:-/usr/bin/python3}"
data="${DIGITREC_DATA:-}"
if [ -z "$data" ] || [ ! -e "$data/t10k-images-idx3-ubyte" ]; then
  echo "test_predict_ood: no MNIST in \$DIGITREC_DATA; skipped"
  exit 77
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL test_predict_ood: $*" >&2; }

# pictures: letters W, K, A and a hash sign drawn as pen strokes on paper, a 7, and MNIST test
# image 0 (a 7) scaled up 6x as dark ink on light paper
"$py" - "$tmp" "$data/t10k-images-idx3-ubyte" <<'PY'
import sys, math, random
out, idx = sys.argv[1], sys.argv[2]
random.seed(1)
def pgm(name, w, h, f):
    with open("%s/%s" % (out, name), "wb") as fh:
        fh.write(b"P5\n%d %d\n255\n" % (w, h))
        fh.write(bytes(max(0, min(255, int(f(x, y) * 255 + random.gauss(0, 4)))) for y in range(h) for x in range(w)))
def seg(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)
shapes = {
    "W": [(30, 40, 65, 165), (65, 165, 100, 70), (100, 70, 135, 165), (135, 165, 170, 40)],
    "K": [(60, 30, 60, 170), (60, 100, 140, 30), (80, 85, 140, 170)],
    "A": [(100, 30, 45, 170), (100, 30, 155, 170), (68, 115, 132, 115)],
    "hash": [(80, 30, 70, 170), (130, 30, 120, 170), (40, 75, 165, 75), (35, 125, 160, 125)],
    "seven": [(60, 40, 150, 40), (150, 40, 90, 170)],
}
for name, segs in shapes.items():
    pgm(name + ".pgm", 200, 200, lambda x, y, s=segs: 0.85 * (0.15 if min(seg(x, y, *q) for q in s) < 7 else 1.0))
raw = open(idx, "rb").read()
img = raw[16:16 + 784]
pgm("mnist0.pgm", 168, 168, lambda x, y: 0.9 - 0.8 * img[(y // 6) * 28 + x // 6] / 255)
PY

cp "$src/models/mlp.safetensors" "$tmp/m.safetensors"
cp "$src/models/mlp.safetensors" "$tmp/plain.safetensors"
out=$("$bin" calibrate --model "$tmp/m.safetensors" --data "$data" 2>"$tmp/err")
if [ $? = 0 ] && grep -q "not a digit: combined score of the logits, above" <<<"$out" &&
   "$bin" info "$tmp/m.safetensors" | grep -q "ood_threshold"; then ok; else bad "calibrate fits a detector: $out $(cat "$tmp/err")"; fi

for l in W K A hash; do
  out=$("$bin" predict --model "$tmp/m.safetensors" "$tmp/$l.pgm")
  if grep -q "$l.pgm: not a digit (nearest " <<<"$out"; then ok; else bad "$l is not a digit: $out"; fi
done
for d in seven mnist0; do
  out=$("$bin" predict --model "$tmp/m.safetensors" "$tmp/$d.pgm")
  if grep -q "$d.pgm: 7 (.*sure)" <<<"$out"; then ok; else bad "$d is a sure 7: $out"; fi
done
json=$("$bin" predict --json --model "$tmp/m.safetensors" "$tmp/W.pgm" "$tmp/mnist0.pgm")
if "$py" -c '
import json, sys
a, b = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert a["state"] == "not_digit" and a["not_digit"] is True and a["blank"] is False, a
assert a["ood_score"] > a["ood_threshold"] and isinstance(a["digit"], int), a
assert b["state"] == "sure" and b["not_digit"] is False and b["digit"] == 7 and b["ood_score"] <= b["ood_threshold"], b
' <<<"$json"; then ok; else bad "JSON: $json"; fi

# without a detector: the old states only, no detector keys
json=$("$bin" predict --json --model "$tmp/plain.safetensors" "$tmp/W.pgm" "$tmp/hash.pgm")
if ! grep -q "not_digit\|ood_score" <<<"$json"; then ok; else bad "a model without a detector: $json"; fi
cp "$src/models/mlp.safetensors" "$tmp/off.safetensors"
if "$bin" calibrate --model "$tmp/off.safetensors" --data "$data" --ood off >/dev/null &&
   ! "$bin" info "$tmp/off.safetensors" | grep -q "ood_"; then ok; else bad "--ood off still wrote a detector"; fi
if "$bin" calibrate --model "$tmp/off.safetensors" --ood bogus 2>"$tmp/err"; then bad "--ood bogus accepted"
elif grep -q "unknown value 'bogus'" "$tmp/err"; then ok; else bad "--ood bogus: $(cat "$tmp/err")"; fi

# a broken detector (an unknown score name, same length so the header stays valid) is refused
"$py" - "$tmp/m.safetensors" "$tmp/broken.safetensors" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
assert b.count(b'"ood_score":"combined"') == 1
open(sys.argv[2], "wb").write(b.replace(b'"ood_score":"combined"', b'"ood_score":"nonsense"'))
PY
if "$bin" predict --model "$tmp/broken.safetensors" "$tmp/W.pgm" >"$tmp/out" 2>"$tmp/err"; then bad "a broken detector was used"
elif grep -q "unknown ood_score" "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ] && [ ! -s "$tmp/out" ]; then ok
else bad "broken detector message: $(cat "$tmp/err")"; fi
# the plain loader still reads the file with a detector (info, eval, the window)
if "$bin" info "$tmp/m.safetensors" >/dev/null; then ok; else bad "info on a model with a detector"; fi

echo "test_predict_ood: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
