#!/usr/bin/env bash
# hardening.sh - the robustness checks too slow for every test run, and their figures:
#   tsan      ThreadSanitizer build (GUI off) running tests/test_train_threads and tests/test_worker*
#   valgrind  memcheck on small train, eval and predict runs (and three error paths)
#   badinput  tests/test_badinput.sh and tests/test_fulldisk.sh against a normal build
#   fuzz      fuzz/run.sh: every libFuzzer harness for FUZZ_SECONDS (default 45) each
# Usage: scripts/hardening.sh [tsan|valgrind|badinput|fuzz]...   (default: all four)
# Environment: HARDENING_DIR (builds and logs; /tmp/digitrec-hardening), DIGITREC_DATA (MNIST,
# default data/mnist), FUZZ_SECONDS, FUZZ_JOBS, HARDENING_COMMIT (named in the summary when the
# tree is not a git checkout). Exits 1 if any section failed; prints a summary.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${HARDENING_DIR:-/tmp/digitrec-hardening}"
data="${DIGITREC_DATA:-$root/data/mnist}"
jobs="$(nproc 2>/dev/null || echo 2)"
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(tsan valgrind badinput fuzz)
mkdir -p "$dir"
summary=()
failed=0
note() { summary+=("$1"); }
fail() { summary+=("$1"); failed=1; }
export OPENBLAS_NUM_THREADS=1

build() { # build-dir target... ; extra cmake flags in $cmake_flags
  cmake -S "$root" -B "$1" -DDIGITREC_GUI=OFF "${cmake_flags[@]}" >"$1.cmake.log" 2>&1 &&
    cmake --build "$1" -j"$jobs" --target "${@:2}" >"$1.build.log" 2>&1
}

run_tsan() {
  echo "== tsan: building with -DDIGITREC_TSAN=ON"
  local b="$dir/build-tsan" tests=(test_train_threads)
  for f in "$root"/tests/test_worker*.c; do [ -f "$f" ] && tests+=("$(basename "${f%.c}")"); done
  cmake_flags=(-DDIGITREC_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  if ! build "$b" "${tests[@]}"; then
    tail -20 "$b.build.log"; fail "tsan: build failed (see $b.build.log)"; return
  fi
  local total=0 t
  for t in "${tests[@]}"; do
    DIGITREC_DATA="$data" DIGITREC_SRC="$root" DIGITREC_BUILD="$b" TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1" \
      timeout 1200 "$b/$t" >"$dir/tsan-$t.log" 2>&1
    local rc=$? reports
    reports=$(grep -c "WARNING: ThreadSanitizer" "$dir/tsan-$t.log")
    total=$((total + reports))
    if [ "$rc" = 0 ] && [ "$reports" = 0 ]; then
      note "tsan:      $t: ok, 0 reports ($(tail -1 "$dir/tsan-$t.log"))"
    else
      fail "tsan:      $t: FAILED (exit $rc, $reports reports; $dir/tsan-$t.log)"
    fi
  done
  echo "tsan: $total reports"
}

run_valgrind() {
  if ! command -v valgrind >/dev/null; then
    echo "== valgrind: installing"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind >/dev/null
  fi
  if ! command -v valgrind >/dev/null; then fail "valgrind: not available"; return; fi
  echo "== valgrind: building (RelWithDebInfo, no -march=native)"
  local b="$dir/build-vg"
  cmake_flags=(-DDIGITREC_NATIVE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  if ! build "$b" digitrec; then tail -20 "$b.build.log"; fail "valgrind: build failed"; return; fi
  # memcheck has no AVX-512: keep OpenBLAS on its AVX2 kernels where the CPU would pick AVX-512,
  # and digitrec's too (memcheck's CPUID already hides AVX-512 from them; this says so outright).
  grep -q avx512f /proc/cpuinfo 2>/dev/null && export OPENBLAS_CORETYPE=Haswell DIGITREC_KERNELS=avx2
  local vg=(valgrind --leak-check=full --suppressions="$root/scripts/valgrind.supp" --num-callers=30)
  local img="$root/tests/corpus/image" bin="$b/digitrec" m="$dir/vg.safetensors" ok=0 bad=0 what rc
  vrun() { # expected-exit name args... (valgrind's own failures exit 99)
    local want="$1" name="$2"; shift 2
    "${vg[@]}" --error-exitcode=99 "$bin" "$@" >"$dir/vg-$name.log" 2>&1
    rc=$?
    local errs
    errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$dir/vg-$name.log" | tail -1)
    if [ "$rc" = "$want" ] && [ "${errs:-x}" = 0 ]; then ok=$((ok + 1)); what="$what $name:0"
    else bad=$((bad + 1)); what="$what $name:FAILED(exit $rc, ${errs:-?} errors)"; fi
  }
  what=""
  if [ -f "$data/train-images-idx3-ubyte" ] || [ -f "$data/train-images-idx3-ubyte.gz" ]; then
    vrun 0 train train --arch softmax --epochs 1 --max-iters 50 --data "$data" --out "$m" --quiet
    vrun 0 eval eval --model "$m" --data "$data"
  else
    what=" train/eval:skipped(no MNIST in $data)"
  fi
  vrun 0 predict predict --model "$root/models/mlp.safetensors" "$img/digit_rgba.png" "$img/digit.jpg" \
    "$img/digit_p5.pgm" "$img/digit_24bit.bmp" "$img/digit_palette.png"
  # error paths: libpng's longjmp with fd 2 captured, a truncated JPEG, a broken model
  vrun 1 predict-badpng predict --model "$root/models/mlp.safetensors" "$img/regressions/ihdr_crc_error.png"
  head -c 300 "$img/digit.jpg" >"$dir/cut.jpg"
  vrun 1 predict-cutjpeg predict --model "$root/models/mlp.safetensors" "$dir/cut.jpg"
  vrun 1 info-badmodel info "$root/tests/corpus/model/near_bad_json.safetensors"
  if [ "$bad" = 0 ]; then note "valgrind:  clean, $ok runs with 0 errors and 0 leaks:$what"
  else fail "valgrind:  $bad of $((ok + bad)) runs FAILED:$what (logs $dir/vg-*.log)"; fi
}

run_badinput() {
  echo "== badinput: building"
  local b="$dir/build"
  cmake_flags=(-DCMAKE_BUILD_TYPE=Release)
  if ! build "$b" digitrec; then tail -20 "$b.build.log"; fail "badinput: build failed"; return; fi
  local line
  DIGITREC_BIN="$b/digitrec" DIGITREC_SRC="$root" bash "$root/tests/test_badinput.sh" >"$dir/badinput.log" 2>&1
  local rc=$?
  line=$(grep '^badinput:' "$dir/badinput.log" | tail -1)
  if [ "$rc" = 0 ]; then note "badinput:  $line"; else fail "badinput:  FAILED: $line ($dir/badinput.log)"; fi
  DIGITREC_BIN="$b/digitrec" bash "$root/tests/test_fulldisk.sh" >"$dir/fulldisk.log" 2>&1
  rc=$?
  line=$(tail -1 "$dir/fulldisk.log")
  case "$rc" in
    0) note "fulldisk:  $line" ;;
    77) note "fulldisk:  $line" ;;
    *) fail "fulldisk:  FAILED: $line ($dir/fulldisk.log)" ;;
  esac
}

run_fuzz() {
  echo "== fuzz: ${FUZZ_SECONDS:-45}s per target"
  FUZZ_OUT="$dir/fuzz" "$root/fuzz/run.sh" 2>&1 | tee "$dir/fuzz.log"
  local rc=${PIPESTATUS[0]} t execs eps cov edges ft corp result
  if [ "$rc" = 77 ]; then note "fuzz:      skipped (no clang/libFuzzer)"; return; fi
  while IFS=$'\t' read -r t execs eps cov edges ft corp result; do
    note "$(printf 'fuzz:      %-10s %9s execs (%s/s)  cov %s of %s edges  ft %s  corpus %s  %s' \
      "$t" "$execs" "$eps" "$cov" "$edges" "$ft" "$corp" "$result")"
  done <"$dir/fuzz/summary.tsv"
  [ "$rc" = 0 ] || fail "fuzz:      FAILED (crash inputs kept under tests/corpus/*/regressions/)"
}

start=$(date +%s)
for s in "${sections[@]}"; do
  case "$s" in
    tsan) run_tsan ;; valgrind) run_valgrind ;; badinput) run_badinput ;; fuzz) run_fuzz ;;
    *) echo "usage: scripts/hardening.sh [tsan|valgrind|badinput|fuzz]..." >&2; exit 2 ;;
  esac
done

echo
echo "== hardening summary: $(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname), $(nproc) cores," \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "${HARDENING_COMMIT:-unknown}")," \
  "$(( $(date +%s) - start ))s"
printf '%s\n' "${summary[@]}"
[ "$failed" = 0 ] && echo "hardening: all clean" || echo "hardening: FAILURES above"
exit "$failed"
