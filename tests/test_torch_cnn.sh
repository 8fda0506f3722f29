#!/usr/bin/env bash
# test_torch_cnn.sh - CNN model files between PyTorch and digitrec, both ways, with real PyTorch
# (python3-torch) and python/digitrec_torch.py:
#   1. a CNN made and trained in PyTorch, saved with digitrec_torch.save: `digitrec eval --json`
#      gives PyTorch's accuracy and mean loss on the MNIST test set, and classifies 500 test
#      images exactly as PyTorch did (a folder labelled with PyTorch's predictions: 100%);
#   2. a CNN trained by `digitrec train`, loaded with digitrec_torch.load: the same checks the
#      other way round (PyTorch's outputs are digitrec's).
# Skips (77) without torch or MNIST. Environment: DIGITREC_BIN, DIGITREC_SRC, DIGITREC_DATA,
# DIGITREC_PYTHON.
set -uo pipefail
bin="${DIGITREC_BIN:?}"; src="${DIGITREC_SRC:?}"; data="${DIGITREC_DATA:?}"
py="${DIGITREC_PYTHON:-/usr/bin/python3}"
if ! "$py" -c 'import torch, numpy' 2>/dev/null; then
  echo "skipped: $py cannot import torch and numpy (apt-get install python3-torch)"; exit 77
fi
if ! ls "$data"/t10k-images-idx3-ubyte* >/dev/null 2>&1; then
  echo "skipped: no MNIST in $data (scripts/fetch_mnist.sh)"; exit 77
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check="$src/tests/torch_cnn_check.py"

# compare NAME MODEL: PyTorch's figures on the model against digitrec eval's
compare() {
  local name="$1" model="$2" t d s
  if ! t=$("$py" "$check" stats "$model" "$data" "$tmp/set_$name" 500 2>"$tmp/err"); then
    bad "$name: PyTorch could not read $model: $(tail -n 3 "$tmp/err")"; return
  fi
  if ! d=$("$bin" eval --model "$model" --data "$data" --json 2>"$tmp/err"); then
    bad "$name: digitrec eval failed: $(cat "$tmp/err")"; return
  fi
  if ! s=$("$bin" eval --model "$model" --data "$tmp/set_$name" --json 2>"$tmp/err"); then
    bad "$name: digitrec eval on PyTorch's labels failed: $(cat "$tmp/err")"; return
  fi
  echo "  $name: PyTorch $t"
  echo "  $name: digitrec $(echo "$d" | "$py" -c 'import json,sys; j=json.load(sys.stdin); print({k: j[k] for k in ("accuracy", "loss")})')"
  if "$py" - "$t" "$d" "$s" <<'PY'
import json, sys
t, d, s = (json.loads(a) for a in sys.argv[1:])
errs = []
if abs(t["accuracy"] - d["accuracy"]) > t["ties"] / 10000 + 1e-9:
    errs.append(f"accuracy: PyTorch {t['accuracy']}, digitrec {d['accuracy']} ({t['ties']} ties)")
if abs(t["loss"] - d["loss"]) > 2e-5 * max(1, t["loss"]):
    errs.append(f"loss: PyTorch {t['loss']:.7f}, digitrec {d['loss']:.7f}")
if s["n"] != t["kept"] or s["n"] < 450 or s["accuracy"] != 1:
    errs.append(f"on {s['n']} images labelled by PyTorch's predictions digitrec agrees on {s['accuracy']:.4f}")
print("; ".join(errs))
sys.exit(1 if errs else 0)
PY
  then ok "$name: digitrec and PyTorch agree (accuracy, loss, $(echo "$s" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["n"])') predictions)"
  else bad "$name: digitrec and PyTorch disagree"
  fi
}

# 1. PyTorch -> digitrec
t0=$(date +%s)
if "$py" "$check" make "$tmp/torch.safetensors" "$data" 2>"$tmp/err"; then
  ok "PyTorch trained and saved a CNN ($(( $(date +%s) - t0 )) s)"
  info=$("$bin" info "$tmp/torch.safetensors" 2>&1)
  if echo "$info" | grep -q "arch        conv8k5-relu-pool-conv16k5p0-relu-pool-fc32-relu-fc10"; then
    ok "digitrec info reads PyTorch's CNN"
  else
    bad "digitrec info: $info"
  fi
  compare torch "$tmp/torch.safetensors"
else
  bad "PyTorch could not make the model: $(tail -n 3 "$tmp/err")"
fi

# 2. digitrec -> PyTorch
if "$bin" train --arch conv6k3-relu-pool-conv12k3s2-relu-fc10 --max-iters 300 --epochs 1 --data "$data" \
     --out "$tmp/ours.safetensors" --quiet >/dev/null 2>"$tmp/err"; then
  ok "digitrec trained and saved a CNN"
  compare digitrec "$tmp/ours.safetensors"
else
  bad "digitrec train: $(cat "$tmp/err")"
fi
echo "torch_cnn: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
