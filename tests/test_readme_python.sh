#!/usr/bin/env bash
# test_readme_python.sh - runs the README's NumPy loader on the shipped models (the CNN too) and on
# a freshly trained layer stack, and checks it agrees with `digitrec eval` on the MNIST test set,
# so the README stays true.
set -uo pipefail
src="${DIGITREC_SRC:?}"; bin="${DIGITREC_BIN:?}"; data="${DIGITREC_DATA:?}"
py=/usr/bin/python3
if ! $py -c 'import numpy' 2>/dev/null; then
  echo "skipped: /usr/bin/python3 with numpy is missing (apt-get install python3-numpy)"
  [ -n "${CI:-}" ] && exit 1 || exit 0
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
sed -n '/<!-- numpy-loader:begin -->/,/<!-- numpy-loader:end -->/p' "$src/README.md" | sed '/^<!--/d; /^```/d' >"$tmp/loader.py"
[ -s "$tmp/loader.py" ] || { echo "FAIL: README has no numpy-loader block"; exit 1; }
fail=0 pass=0
models=("$src/models/mlp.safetensors" "$src/models/softmax.safetensors")
[ -f "$src/models/cnn.safetensors" ] && models+=("$src/models/cnn.safetensors")
# a stack with stride, padding and pooling choices the shipped CNN does not make
if "$bin" train --arch conv4k3s2p0-relu-conv6k5-relu-pool-fc24-fc10 --max-iters 150 --epochs 1 --data "$data" \
     --out "$tmp/stack.safetensors" --quiet >/dev/null 2>"$tmp/err"; then
  models+=("$tmp/stack.safetensors")
else
  fail=$((fail + 1)); echo "FAIL: digitrec train: $(cat "$tmp/err")"
fi
for path in "${models[@]}"; do
  m=$(basename "$path" .safetensors)
  want=$("$bin" eval --model "$path" --data "$data" --json | $py -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
  got=$(cd "$src" && $py - "$data" "$path" <<PY
exec(open("$tmp/loader.py").read())
import sys, os
data, path = sys.argv[1], sys.argv[2]
layers, meta = load_digitrec(path)
x = np.frombuffer(open(os.path.join(data, "t10k-images-idx3-ubyte"), "rb").read()[16:], np.uint8).reshape(-1, 784) / 255.0
y = np.frombuffer(open(os.path.join(data, "t10k-labels-idx1-ubyte"), "rb").read()[8:], np.uint8)
x = x.astype(np.float32)
p = np.concatenate([predict(layers, meta, x[i:i + 500]) for i in range(0, len(x), 500)])
assert np.allclose(p.sum(axis=1), 1, atol=1e-4)
print((p.argmax(axis=1) == y).mean())
PY
)
  if awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(d < 0.0003 && d > -0.0003) }'; then
    pass=$((pass + 1)); echo "$m: digitrec $want, numpy $got"
  else
    fail=$((fail + 1)); echo "FAIL: $m: digitrec eval says $want, the README's numpy loader $got"
  fi
done
echo "readme_python: $pass passed, $fail failed"
[ "$fail" = 0 ]
