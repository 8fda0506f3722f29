#!/usr/bin/env bash
# build.sh - compiles bench/ood/measure against an existing CMake build's core library.
#   bench/ood/build.sh [BUILD_DIR]     (default: build) -> BUILD_DIR/bench-ood/measure
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
b="${1:-$root/build}"
out="$b/bench-ood"
mkdir -p "$out"
libs=("$b/libdigitrec_core.a" $(pkg-config --libs libcjson zlib) -lopenblas -lpthread -lm)
cc -O2 -std=c17 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -I"$root/src/core" "$root/bench/ood/measure.c" "${libs[@]}" \
    -o "$out/measure"
echo "$out/measure"
