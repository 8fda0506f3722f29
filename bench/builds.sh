#!/usr/bin/env bash
# builds.sh - the Debian package's build (portable: -DDIGITREC_NATIVE=OFF -DDIGITREC_PACKAGE=ON)
# against the native one (-march=native), training side by side: builds both (no window) and
# runs bench/builds.py, which alternates them within each round with the load recorded beside
# every run. Variants: native, package (its kernels picked at run time), package on AVX2 only
# (DIGITREC_KERNELS=avx2), and with --generic the portable loops as well. Run by hand.
#
# usage: bench/builds.sh [--generic] [builds.py options: --rounds N --epochs N --threads 1,2 ...]
#   DATA=dir  MNIST folder (default data/mnist)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-$ROOT/data/mnist}
GENERIC=0
ARGS=()
for a in "$@"; do
    if [ "$a" = --generic ]; then GENERIC=1; else ARGS+=("$a"); fi
done
build() { # dir cmake-flags...
    local dir=$1; shift
    cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DDIGITREC_GUI=OFF "$@" >/dev/null
    cmake --build "$dir" -j2 --target digitrec >/dev/null
}
build "$ROOT/build-bench" -DDIGITREC_NATIVE=ON
build "$ROOT/build-bench-pkg" -DDIGITREC_NATIVE=OFF -DDIGITREC_PACKAGE=ON
V=("native=$ROOT/build-bench/digitrec" "package=$ROOT/build-bench-pkg/digitrec")
grep -q avx512f /proc/cpuinfo && V+=("pkg-avx2=$ROOT/build-bench-pkg/digitrec:avx2")
[ "$GENERIC" = 1 ] && V+=("pkg-generic=$ROOT/build-bench-pkg/digitrec:generic")
exec /usr/bin/python3 "$ROOT/bench/builds.py" --data "$DATA" ${ARGS[@]+"${ARGS[@]}"} "${V[@]}"
