#!/usr/bin/env bash
# test_badinput.sh - the bad-input catalogue: every way a model file, an IDX folder or an image can
# be wrong (tests/badinput_make.py writes them) is run through the CLI (info, eval, predict, train).
# Each must end with exit code 1, exactly one line on stderr holding a specific message, and no
# crash, within 2 GB of address space; valid-but-odd files (1x1, 1x10000, 16-bit, alpha...) must
# succeed with nothing on stderr (and, where the catalogue says so, print e.g. "no digit").
# Environment: DIGITREC_BIN, DIGITREC_SRC; DIGITREC_PYTHON (default /usr/bin/python3).
# BADINPUT_VERBOSE=1 prints every case.
set -uo pipefail
bin="${DIGITREC_BIN:?}"
src="${DIGITREC_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
py="${DIGITREC_PYTHON:-/usr/bin/python3}"
command -v "$py" >/dev/null || py=python3
good_model="$src/models/mlp.safetensors"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1
# Every run gets 2 GB of address space: a file that makes digitrec allocate what its header
# claims (a 600-byte JPEG declaring 65535x65535 is 13 GB of pixels) fails here instead of
# passing on a big machine. BADINPUT_ULIMIT_KB=0 lifts it (an ASan build reserves terabytes).
limit="${BADINPUT_ULIMIT_KB:-2097152}"
if [ "$limit" != 0 ]; then
  ulimit -v "$limit" 2>/dev/null || echo "badinput: cannot limit address space; memory checks weaker" >&2
fi

if ! "$py" "$src/tests/badinput_make.py" "$tmp/in" "$good_model" >/dev/null; then
  echo "badinput: generating the inputs failed" >&2
  exit 1
fi

pass=0 fail=0 sub=0
bad() { fail=$((fail + 1)); echo "FAIL badinput: $*" >&2; }

# run_bad NAME SUBSTRING ARGS...: exit 1, one stderr line containing SUBSTRING (or any, for "-").
run_bad() {
  local name="$1" want="$2"; shift 2
  timeout 120 "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$? lines
  lines=$(awk 'END { print NR }' "$tmp/err")
  if [ "$rc" -ge 124 ]; then
    echo "crash or hang (exit $rc): $(head -c 300 "$tmp/err")"; return 1
  elif [ "$rc" != 1 ]; then
    echo "exit $rc, want 1: $(head -c 300 "$tmp/err")"; return 1
  elif [ "$lines" != 1 ]; then
    echo "$lines lines on stderr, want 1: $(head -c 400 "$tmp/err" | tr '\n' '|')"; return 1
  elif [ "$want" != - ] && ! grep -qF -- "$want" "$tmp/err"; then
    echo "stderr lacks '$want': $(cat "$tmp/err")"; return 1
  fi
  [ -n "${BADINPUT_VERBOSE:-}" ] && echo "ok   $name: $(cat "$tmp/err")"
  return 0
}

# run_ok NAME SUBSTRING ARGS...: exit 0, nothing on stderr, and SUBSTRING on stdout (unless "-").
run_ok() {
  local name="$1" want="$2"; shift 2
  timeout 300 "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" != 0 ] || [ -s "$tmp/err" ]; then
    echo "exit $rc (want 0, quiet stderr): $(head -c 300 "$tmp/err" | tr '\n' '|')"; return 1
  elif [ "$want" != - ] && ! grep -qF -- "$want" "$tmp/out"; then
    echo "stdout lacks '$want': $(head -c 300 "$tmp/out")"; return 1
  fi
  [ -n "${BADINPUT_VERBOSE:-}" ] && echo "ok   $name: $(head -c 120 "$tmp/out")"
  return 0
}

while IFS=$'\t' read -r -a f; do
  [ ${#f[@]} -ge 4 ] || continue
  name="${f[0]}" rc="${f[1]}" want="${f[2]}"
  args=()
  for a in "${f[@]:3}"; do args+=("${a/#@/$tmp/in}"); done
  case "$rc" in
    1) if msg=$(run_bad "$name" "$want" "${args[@]}"); then pass=$((pass + 1)); [ -n "$msg" ] && echo "$msg"; else bad "$name: $msg"; fi ;;
    0) if msg=$(run_ok "$name" "$want" "${args[@]}"); then pass=$((pass + 1)); [ -n "$msg" ] && echo "$msg"; else bad "$name: $msg"; fi ;;
    T) # every file (info) or folder (train-dirs) under the given folder is one truncation point
      cuts_failed=0 n=0
      for p in "${args[1]}"/*; do
        n=$((n + 1))
        if [ "${args[0]}" = info ]; then
          msg=$(run_bad "$name" - info "$p") || { cuts_failed=$((cuts_failed + 1)); echo "  $p: $msg" >&2; }
        else
          msg=$(run_bad "$name" - train --data "$p" --arch softmax --epochs 1 --max-iters 2 --quiet) ||
            { cuts_failed=$((cuts_failed + 1)); echo "  $p: $msg" >&2; }
        fi
      done
      sub=$((sub + n))
      if [ "$cuts_failed" = 0 ] && [ "$n" -gt 0 ]; then pass=$((pass + 1)); else bad "$name: $cuts_failed of $n cuts misbehaved"; fi ;;
  esac
done <"$tmp/in/manifest.tsv"

echo "badinput: $pass passed, $fail failed ($sub truncation points inside the 'every byte' cases)"
[ "$fail" -eq 0 ]
