#!/usr/bin/env bash
# run.sh - builds the libFuzzer harnesses (fuzz/build.sh fuzz) and runs each for a bounded time.
#   fuzz/run.sh [target...]          targets: model idx image pgm preprocess (default: all)
# Environment: FUZZ_SECONDS per target (45), FUZZ_OUT for binaries, working corpora and logs
# (/tmp/digitrec-fuzz), FUZZ_JOBS targets at once (1).
# Seeds come from tests/corpus/<target>/ (read only); new inputs go to $FUZZ_OUT/corpus/<target>.
# A crash, leak, timeout or out-of-memory fails the script (exit 1) and its input is copied into
# tests/corpus/<target>/regressions/, which tests/test_fuzz_replay.sh replays in the test suite.
# Prints one line per target (executions, coverage, features, corpus) and writes the same
# figures to $FUZZ_OUT/summary.tsv for scripts/hardening.sh.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-45}"
out="${FUZZ_OUT:-/tmp/digitrec-fuzz}"
jobs_max="${FUZZ_JOBS:-1}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(model idx image pgm preprocess)

if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
     clang -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  echo "fuzz: clang with libFuzzer not available (apt-get install clang libclang-rt-dev); skipped" >&2
  exit 77
fi
"$root/fuzz/build.sh" fuzz "$out/bin" "${targets[@]}" || exit 1

# Largest input per target: big enough for every seed, small enough to stay fast.
max_len() {
  case "$1" in
    model) echo 65536 ;; idx) echo 4096 ;; image) echo 16384 ;; pgm) echo 8192 ;; preprocess) echo 16384 ;;
  esac
}
# Value profiling helps find magic numbers but, on the image decoders, it mostly rewards ever larger
# declared sizes (a 16 KB PNG can decode to 16 megapixels), so those run without it.
extra_for() {
  case "$1" in
    model|idx|pgm) echo "-use_value_profile=1" ;;
  esac
}
# Seconds one input may take: a 16-megapixel JPEG decoded by the instrumented stb_image takes about
# 7 s under ASan+UBSan and coverage on the 2-core machine, so the image target gets 30.
timeout_for() {
  case "$1" in
    image) echo 30 ;; *) echo 10 ;;
  esac
}
dict_for() {
  case "$1" in
    model) echo "-dict=$root/fuzz/model.dict" ;; image|pgm) echo "-dict=$root/fuzz/pgm.dict" ;;
  esac
}

run_one() {
  local t="$1" work="$out/corpus/$1" art="$out/artifacts/$1/" log="$out/$1.log"
  rm -rf "$art" # only this run's findings get copied into tests/corpus
  mkdir -p "$work" "$art"
  local seeds=("$root/tests/corpus/$t")
  [ -d "$root/tests/corpus/$t/regressions" ] && seeds+=("$root/tests/corpus/$t/regressions")
  # shellcheck disable=SC2046
  "$out/bin/fuzz_$t" $(dict_for "$t") $(extra_for "$t") -max_total_time="$seconds" -max_len="$(max_len "$t")" \
    -timeout="$(timeout_for "$t")" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art" "$work" "${seeds[@]}" >"$log" 2>&1
  echo $? >"$out/$t.rc"
}

rm -f "$out"/*.rc
running=0
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds}s (log $out/$t.log)"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs_max" ]; then wait -n; running=$((running - 1)); fi
done
wait

failed=0
printf '%-11s %10s %8s %8s %7s %6s  %s\n' target execs exec/s cov ft corpus result
: >"$out/summary.tsv"
for t in "${targets[@]}"; do
  log="$out/$t.log"
  rc="$(cat "$out/$t.rc" 2>/dev/null || echo 1)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  eps="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  last="$(grep -E '^#[0-9]+' "$log" | tail -1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  corp="$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")"
  edges="$(sed -n 's/.*(\([0-9]*\) inline 8-bit counters).*/\1/p' "$log" | head -1)"
  result=ok
  if [ "$rc" != 0 ]; then
    result="FAILED (exit $rc)"
    failed=1
    mkdir -p "$root/tests/corpus/$t/regressions"
    for a in "$out/artifacts/$t"/crash-* "$out/artifacts/$t"/leak-* "$out/artifacts/$t"/timeout-* "$out/artifacts/$t"/oom-*; do
      [ -f "$a" ] || continue
      cp "$a" "$root/tests/corpus/$t/regressions/"
      result="$result, kept tests/corpus/$t/regressions/$(basename "$a")"
    done
    grep -m1 -E 'ERROR|SUMMARY|invariant' "$log" | sed 's/^/    /'
  fi
  printf '%-11s %10s %8s %8s %7s %6s  %s\n' "$t" "${execs:-?}" "${eps:-?}" "${cov:-?}/${edges:-?}" "${ft:-?}" "${corp:-?}" "$result"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-0}" "${eps:-0}" "${cov:-0}" "${edges:-0}" "${ft:-0}" "${corp:-0}" "$result" >>"$out/summary.tsv"
done
exit "$failed"
