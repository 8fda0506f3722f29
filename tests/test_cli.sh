#!/usr/bin/env bash
# test_cli.sh - the digitrec command line end to end: exit codes, train -> save -> info -> eval ->
# predict on PGM/PNG files made from MNIST test digits, Ctrl+C during training keeps the model.
set -uo pipefail
bin="${DIGITREC_BIN:?}"
data="${DIGITREC_DATA:?}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect_code() { # expected-code description command...
  local want="$1" what="$2"; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, want $want ($(head -c 300 "$tmp/err"))"; fi
}

expect_code 0 "--help" "$bin" --help
expect_code 0 "--version" "$bin" --version
grep -q "digitrec [0-9]" "$tmp/out" && ok || bad "--version prints the version"
expect_code 2 "unknown subcommand" "$bin" frobnicate
expect_code 2 "unknown train option" "$bin" train --frob 1
expect_code 2 "bad lr" "$bin" train --lr abc
expect_code 2 "bad arch" "$bin" train --arch resnet
expect_code 2 "bad optimizer" "$bin" train --optimizer rmsprop
expect_code 2 "bad layers" "$bin" train --layers 784,,10
expect_code 2 "eval without model" "$bin" eval
expect_code 2 "predict without image" "$bin" predict --model x
expect_code 1 "missing model file" "$bin" info "$tmp/nope.safetensors"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "missing model: one-line error"
printf 'garbage' >"$tmp/bad.safetensors"
expect_code 1 "garbage model" "$bin" info "$tmp/bad.safetensors"
expect_code 1 "missing data folder" "$bin" train --data "$tmp/empty" --epochs 1

# the window with no display to show it on: one line and exit 1, never an invisible window that
# runs on (SDL's off-screen driver is what it falls back to)
for disp in unset :997; do
  if [ "$disp" = unset ]; then run=(env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER XDG_RUNTIME_DIR=/nonexistent HOME="$tmp")
  else run=(env -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER DISPLAY="$disp" HOME="$tmp"); fi
  expect_code 1 "window with DISPLAY $disp" timeout 60 "${run[@]}" "$bin" --no-settings --data "$data"
  grep -q "^digitrec: .*DISPLAY=$disp" "$tmp/err" && ok || bad "window with DISPLAY $disp: says why ($(head -c 300 "$tmp/err"))"
  [ "$disp" = unset ] || { [ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "window with DISPLAY $disp: one line"; }
done

# a short softmax run: saves a model and history; info and eval accept it
expect_code 0 "train softmax" "$bin" train --arch softmax --epochs 1 --data "$data" --out "$tmp/sm.safetensors" \
  --history "$tmp/h.csv" --quiet
grep -q "^test accuracy: " "$tmp/out" && ok || bad "train prints the test accuracy"
acc=$(sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p' "$tmp/out")
awk -v a="$acc" 'BEGIN { exit !(a >= 90) }' && ok || bad "softmax 1 epoch accuracy $acc < 90"
[ "$(grep -c '^step,' "$tmp/h.csv")" = 938 ] && ok || bad "history has 938 step rows"
[ "$(grep -c '^epoch,' "$tmp/h.csv")" = 1 ] && ok || bad "history has 1 epoch row"
expect_code 0 "info" "$bin" info "$tmp/sm.safetensors"
grep -q "784-10" "$tmp/out" && grep -q "format *digitrec" "$tmp/out" && ok || bad "info shows layers and format"
expect_code 0 "eval" "$bin" eval --model "$tmp/sm.safetensors" --data "$data"
grep -q "confusion matrix" "$tmp/out" && ok || bad "eval prints a confusion matrix"
expect_code 0 "eval --json" "$bin" eval --model "$tmp/sm.safetensors" --data "$data" --json
/usr/bin/python3 -c "import json,sys; d=json.load(open('$tmp/out')); assert d['n']==10000 and len(d['confusion'])==10 and sum(map(sum,d['confusion']))==10000 and d['accuracy']>0.9" \
  && ok || bad "eval --json is valid JSON with a 10x10 matrix summing to 10000"

# the literal variant of the notes trains too (full-batch GD, per-layer bias, output ReLU)
expect_code 0 "notes' variant" "$bin" train --arch softmax --optimizer gd --lr 0.5 --epochs 3 --bias per-layer \
  --output-relu --data "$data" --out "$tmp/lit.safetensors" --quiet
expect_code 0 "info literal" "$bin" info "$tmp/lit.safetensors"
grep -q "one scalar per layer" "$tmp/out" && grep -q "ReLU then softmax" "$tmp/out" && ok || bad "literal variant recorded"

# predict: MNIST test digits written as PGM (white ink on black, 28x28) and as large PNGs with
# dark ink on white paper (must be detected and inverted), at an offset.
/usr/bin/python3 - "$data" "$tmp" <<'PY'
import sys, os
data, out = sys.argv[1], sys.argv[2]
img = open(os.path.join(data, "t10k-images-idx3-ubyte"), "rb").read()[16:]
lab = open(os.path.join(data, "t10k-labels-idx1-ubyte"), "rb").read()[8:]
with open(os.path.join(out, "labels.txt"), "w") as f:
    for i in range(8):
        px = img[i * 784:(i + 1) * 784]
        open(os.path.join(out, f"d{i}.pgm"), "wb").write(b"P5\n# mnist test digit\n28 28\n255\n" + px)
        # 4x upscaled, inverted, placed off-centre on a 160x140 white page
        W, H = 160, 140
        page = bytearray([255]) * (W * H)
        for y in range(112):
            for x in range(112):
                page[(y + 20) * W + x + 40] = 255 - px[(y // 4) * 28 + x // 4]
        open(os.path.join(out, f"p{i}.pgm"), "wb").write(b"P5\n%d %d\n255\n" % (W, H) + bytes(page))
        f.write(f"{lab[i]}\n")
PY
mlp="${DIGITREC_SRC}/models/mlp.safetensors"
model="$tmp/sm.safetensors"
[ -f "$mlp" ] && model="$mlp"
right=0
for i in 0 1 2 3 4 5 6 7; do
  want=$(sed -n "$((i + 1))p" "$tmp/labels.txt")
  got=$("$bin" predict --model "$model" --json "$tmp/p$i.pgm" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['digit'])")
  [ "$got" = "$want" ] && right=$((right + 1))
done
[ "$right" -ge 7 ] && ok || bad "predict on inverted, off-centre pages: $right/8 right"
expect_code 0 "predict several" "$bin" predict --model "$model" "$tmp/d0.pgm" "$tmp/d1.pgm"
[ "$(wc -l <"$tmp/out")" = 2 ] && ok || bad "one line per image"
if command -v convert >/dev/null; then
  convert "$tmp/p0.pgm" "$tmp/p0.png"
  expect_code 0 "predict png" "$bin" predict --model "$model" --json "$tmp/p0.png"
  grep -q "\"digit\":$(sed -n 1p "$tmp/labels.txt")" "$tmp/out" && ok || bad "PNG read like the PGM"
else
  echo "skipped: PNG predict (imagemagick missing)"
fi
printf 'P5\n28 28\n255\n' >"$tmp/blank.pgm"; head -c 784 /dev/zero >>"$tmp/blank.pgm"
expect_code 0 "predict blank" "$bin" predict --model "$model" --json "$tmp/blank.pgm"
grep -q '"blank":true' "$tmp/out" && ok || bad "blank image reported as blank"
printf 'P5\n28 28\n255\n' >"$tmp/short.pgm"
expect_code 1 "truncated pgm" "$bin" predict --model "$model" "$tmp/short.pgm"
printf 'hello' >"$tmp/x.png"
expect_code 1 "not an image" "$bin" predict --model "$model" "$tmp/x.png"

# Ctrl+C: training stops after the current batch and still writes --out
"$bin" train --arch mlp --epochs 50 --data "$data" --out "$tmp/int.safetensors" --quiet >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 2
kill -INT $pid
t0=$(date +%s.%N)
wait $pid; code=$?
t1=$(date +%s.%N)
echo "Ctrl+C to exit: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
# 50 epochs would take minutes: stopping at all is the point (a loaded machine can take some seconds)
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 20) }' && ok || bad "Ctrl+C stops after the current batch, not after the run"
[ "$code" = 0 ] && ok || bad "interrupted train exits 0 (got $code: $(cat "$tmp/err"))"
"$bin" info "$tmp/int.safetensors" >/dev/null 2>&1 && ok || bad "interrupted train still wrote a valid model"
ls "$tmp" | grep -q '\.tmp$' && bad "temp files left behind" || ok

# --extra DIR: a personal folder (the window's Ctrl+0..9 layout) is mixed into every batch, one in
# five of each class held out and measured
mkdir -p "$tmp/mine" "$tmp/nomine"
"${DIGITREC_PYTHON:-python3}" - "$data" "$tmp/mine" <<'PY'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
img = open(src + "/t10k-images-idx3-ubyte", "rb").read()
lab = open(src + "/t10k-labels-idx1-ubyte", "rb").read()
n = 50
open(dst + "/train-images-idx3-ubyte", "wb").write(struct.pack(">IIII", 0x803, n, 28, 28) + img[16:16 + n * 784])
open(dst + "/train-labels-idx1-ubyte", "wb").write(struct.pack(">II", 0x801, n) + lab[8:8 + n])
PY
expect_code 0 "train --extra" "$bin" train --arch softmax --epochs 1 --data "$data" --extra "$tmp/mine" --out "$tmp/x.safetensors"
grep -q "50 examples from $tmp/mine: [0-9]* held out, [0-9]* trained on, 4 in each batch of 64" "$tmp/err" && ok || bad "--extra announces the mix: $(head -c 300 "$tmp/err")"
grep -q "60000 train" "$tmp/err" && ok || bad "--extra: the training set itself is not enlarged"
grep -Eq "^held-out personal accuracy: [0-9.]+% \([0-9]+/[0-9]+\) at step 0, [0-9.]+% \([0-9]+/[0-9]+\) after [0-9]+ steps mixing them in" "$tmp/out" \
  && ok || bad "--extra prints held-out accuracy before and after: $(cat "$tmp/out")"
expect_code 0 "info --extra model" "$bin" info "$tmp/x.safetensors"
grep -q "extra *50 examples from .*held out, 4 in each batch" "$tmp/out" && ok || bad "--extra recorded in the model's metadata"
expect_code 1 "--extra empty folder" "$bin" train --arch softmax --epochs 1 --data "$data" --extra "$tmp/nomine"
expect_code 1 "--extra missing folder" "$bin" train --arch softmax --epochs 1 --data "$data" --extra "$tmp/nofolder"
[ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "--extra missing folder: one-line error"

# Fashion-MNIST from Debian (gzipped IDX) trains with --data unchanged; class names travel along
fashion=/usr/share/datasets/fashion-mnist
if [ -f "$fashion/train-images-idx3-ubyte.gz" ]; then
  expect_code 0 "train fashion" "$bin" train --arch softmax --epochs 1 --data "$fashion" --out "$tmp/f.safetensors" --quiet
  acc=$(sed -n 's/^test accuracy: \([0-9.]*\)%.*/\1/p' "$tmp/out")
  awk -v a="$acc" 'BEGIN { exit !(a >= 75) }' && ok || bad "fashion softmax 1 epoch accuracy $acc < 75"
  expect_code 0 "info fashion" "$bin" info "$tmp/f.safetensors"
  grep -q "classes *T-shirt/top,Trouser,Pullover" "$tmp/out" && grep -q "dataset *fashion-mnist" "$tmp/out" && ok \
    || bad "fashion class names and dataset in metadata"
elif [ -n "${CI:-}" ]; then
  bad "CI must have dataset-fashion-mnist installed"
else
  echo "skipped: Fashion-MNIST (apt-get install dataset-fashion-mnist)"
fi

# a valid model with fewer outputs than MNIST has classes: eval refuses it in one line
/usr/bin/python3 - "$tmp/two.safetensors" <<'PY'
import json, struct, sys
w = struct.pack("<%df" % (2 * 784), *([0.001] * (2 * 784))) + struct.pack("<2f", 0, 0)
h = json.dumps({"layers.0.weight": {"dtype": "F32", "shape": [2, 784], "data_offsets": [0, 2 * 784 * 4]},
                "layers.0.bias": {"dtype": "F32", "shape": [2], "data_offsets": [2 * 784 * 4, 2 * 784 * 4 + 8]}}).encode()
h += b" " * (-len(h) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + w)
PY
expect_code 1 "eval of a 2-output model" "$bin" eval --model "$tmp/two.safetensors" --data "$data"
grep -q "10 classes but the network has 2 outputs" "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ] && ok || bad "eval names the class/output mismatch"

# DIGITREC_KERNELS: a bad name is a usage error; the portable kernels train too, and where the CPU
# has both, AVX2 and AVX-512 save byte-identical models
DIGITREC_KERNELS=sse9 expect_code 2 "DIGITREC_KERNELS=sse9" "$bin" --version
grep -q "DIGITREC_KERNELS=sse9: must be" "$tmp/err" && ok || bad "bad DIGITREC_KERNELS says why"
DIGITREC_KERNELS=generic expect_code 0 "generic kernels" "$bin" train --max-iters 20 --data "$data" --quiet --stats
grep -q "^stats-kernels: isa=generic" "$tmp/out" && ok || bad "generic kernels in force"
for isa in avx2 avx512; do
  DIGITREC_KERNELS=$isa "$bin" train --max-iters 200 --data "$data" --quiet --out "$tmp/k_$isa.safetensors" \
    >"$tmp/out" 2>"$tmp/err" || echo "$isa" >>"$tmp/isa_missing"
done
if [ -s "$tmp/isa_missing" ]; then
  echo "cli: skipped AVX2 vs AVX-512 model files ($(tr '\n' ' ' <"$tmp/isa_missing")not on this CPU)"
else
  cmp -s "$tmp/k_avx2.safetensors" "$tmp/k_avx512.safetensors" && ok || bad "AVX2 and AVX-512 models differ"
fi

# the shipped models meet their promised accuracy
for pair in mlp:98.0 softmax:92.0; do
  m=${pair%%:*} min=${pair#*:}
  expect_code 0 "eval shipped $m" "$bin" eval --model "${DIGITREC_SRC}/models/$m.safetensors" --data "$data"
  a=$(sed -n 's/^accuracy \([0-9.]*\)%.*/\1/p' "$tmp/out")
  awk -v a="$a" -v m="$min" 'BEGIN { exit !(a >= m) }' && ok || bad "shipped $m: accuracy $a < $min"
done

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
