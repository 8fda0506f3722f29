#!/usr/bin/env bash
# build.sh - compiles the reading benchmark programs against an existing CMake build's libraries.
#   bench/reading/build.sh [BUILD_DIR]     (default: build) -> BUILD_DIR/bench-reading/{reading_bench,stroke_width}
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
b="${1:-$root/build}"
out="$b/bench-reading"
mkdir -p "$out"
libs=("$b/libdigitrec_app.a" "$b/libdigitrec_core.a" $(pkg-config --libs libcjson zlib) -lopenblas -lpthread -lm)
flags=(-O2 -std=c17 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -I"$root/src/core" -I"$root/src/app")
cc "${flags[@]}" "$root/bench/reading/reading_bench.c" "${libs[@]}" -o "$out/reading_bench"
cc "${flags[@]}" "$root/bench/reading/stroke_width.c" "${libs[@]}" -o "$out/stroke_width"
echo "$out"
