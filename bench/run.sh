#!/usr/bin/env bash
# run.sh - digitrec vs PyTorch, side by side on this machine: installs python3-torch if missing,
# builds digitrec (Release, no window), the peak/sgemm probe and the kernels probe, then runs
# bench/compare.py, which tunes PyTorch's threads and BLAS, alternates `digitrec train --stats`
# with bench/torch_mlp.py on the same recipes, watches the machine's load during every run and
# refuses (exit 3) to call a result valid when other programs took more than 5% of the CPUs
# during the runs it rests on. Run by hand; it is not a test. It takes 5-10 minutes.
#
# usage: bench/run.sh [--out FILE] [compare.py options: --rounds N, --quick, --only a,b,startup,
#                     --max-others 0.05, --retries N, --wait-quiet S, --allow-load, --rt, ...]
#   --rt runs both sides at real-time priority (root); it does not make a loaded machine quiet.
#   NATIVE=OFF  build digitrec portable, as the Debian package is (-DDIGITREC_NATIVE=OFF)
#   BUILD=dir   build folder (default: build-bench in the source tree)
#   DATA=dir    MNIST folder (default: data/mnist; scripts/fetch_mnist.sh fetches it)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
DATA=${DATA:-$ROOT/data/mnist}
OUT=""
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --out) OUT=$2; shift 2 ;;
        --out=*) OUT=${1#--out=}; shift ;;
        *) ARGS+=("$1"); shift ;;
    esac
done

if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
    echo "run.sh: installing python3-torch (Debian)" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch python3-numpy
fi
if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time
fi
if [ ! -e "$DATA/train-images-idx3-ubyte" ] && [ ! -e "$DATA/train-images-idx3-ubyte.gz" ]; then
    echo "run.sh: no MNIST in $DATA (see scripts/fetch_mnist.sh)" >&2
    exit 1
fi

cmake -S "$ROOT" -B "$BUILD" -DDIGITREC_GUI=OFF -DCMAKE_BUILD_TYPE=Release -DDIGITREC_NATIVE="${NATIVE:-ON}" >/dev/null
cmake --build "$BUILD" -j2 --target digitrec >/dev/null
CBLAS_INC=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' | head -n1)")
cc -O2 -I"$CBLAS_INC" "$ROOT/bench/sgemm_probe.c" -o "$BUILD/sgemm_probe" -lopenblas -lpthread
# shellcheck disable=SC2046
cc -O2 -I"$ROOT/src/core" "$ROOT/bench/kernels_probe.c" "$BUILD/libdigitrec_core.a" -o "$BUILD/kernels_probe" \
    $(pkg-config --libs libcjson zlib) -lopenblas -lpthread -lm

run() {
    /usr/bin/python3 "$ROOT/bench/compare.py" --digitrec "$BUILD/digitrec" --probe "$BUILD/sgemm_probe" \
        --kernels-probe "$BUILD/kernels_probe" --data "$DATA" ${ARGS[@]+"${ARGS[@]}"}
}
if [ -n "$OUT" ]; then run | tee "$OUT"; else run; fi
