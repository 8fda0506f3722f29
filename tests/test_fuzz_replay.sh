#!/usr/bin/env bash
# test_fuzz_replay.sh - replays every fuzz seed and every kept crash input (tests/corpus/<target>/
# and its regressions/) through the fuzz harnesses, built with the ordinary C compiler under
# ASan+UBSan and a plain main (fuzz/replay_main.c) instead of libFuzzer. Any abort, sanitizer
# report or harness invariant fails the test. Fuzzing itself is fuzz/run.sh.
# Environment: DIGITREC_SRC (source tree), DIGITREC_BUILD (where to build; else a temp dir).
set -uo pipefail

src="${DIGITREC_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
if [ -n "${DIGITREC_BUILD:-}" ]; then
  out="$DIGITREC_BUILD/fuzz-replay"
else
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi

if ! "$src/fuzz/build.sh" replay "$out" >"$out.build.log" 2>&1 && ! { mkdir -p "$out" && "$src/fuzz/build.sh" replay "$out" >"$out.build.log" 2>&1; }; then
  cat "$out.build.log" >&2
  echo "fuzz_replay: building the replay harnesses failed" >&2
  exit 1
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pass=0 fail=0 total=0
for t in model idx image pgm preprocess; do
  dirs=("$src/tests/corpus/$t")
  [ -d "$src/tests/corpus/$t/regressions" ] && dirs+=("$src/tests/corpus/$t/regressions")
  n=$(find "${dirs[@]}" -maxdepth 1 -type f | wc -l)
  if res="$("$out/fuzz_$t" "${dirs[@]}" 2>"$out/$t.err")"; then
    pass=$((pass + 1))
    echo "fuzz_replay: $t: $res"
  else
    fail=$((fail + 1))
    echo "FAIL fuzz_replay: $t: replaying $n inputs crashed (REPLAY_VERBOSE=1 names each input):" >&2
    tail -30 "$out/$t.err" >&2
  fi
  total=$((total + n))
done
echo "fuzz_replay: $pass passed, $fail failed ($total inputs)"
[ "$fail" -eq 0 ]
