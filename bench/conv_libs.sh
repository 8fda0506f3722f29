#!/usr/bin/env bash
# conv_libs.sh - builds bench/conv_libs.c with plain cc against digitrec's kernels (src/core
# conv*.c, pool.c, conv_dnnl.c with -DDIGITREC_DNNL, kernels*.c), OpenBLAS, libxsmm and oneDNN,
# installing the Debian packages when missing, then runs it once per thread count, with
# `uptime` before and after each. Run by hand; it is not a test.
#
# usage: bench/conv_libs.sh [--threads "1 2"] [conv_libs options: --rounds R, --batch B, --only NAME, --cpu]
#   OUT=dir  where the binary goes (default: build-bench in the source tree)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/build-bench}
THREADS="1 2"
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) THREADS=$2; shift 2 ;;
        *) ARGS+=("$1"); shift ;;
    esac
done

need=()
[ -e /usr/include/oneapi/dnnl/dnnl.h ] || need+=(libdnnl-dev)
[ -e /usr/include/libxsmm.h ] || need+=(libxsmm-dev)
[ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || need+=(libopenblas-dev)
if [ ${#need[@]} -gt 0 ]; then
    echo "conv_libs.sh: installing ${need[*]} (Debian)" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

mkdir -p "$OUT"
CBLAS_INC=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' | head -n1)")
cc -std=c17 -O2 -march=native -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -fopenmp \
    -I"$ROOT/src/core" -I"$CBLAS_INC" \
    -DDIGITREC_DNNL "$ROOT/bench/conv_libs.c" "$ROOT/src/core/conv.c" "$ROOT/src/core/conv_micro.c" "$ROOT/src/core/conv_ref.c" "$ROOT/src/core/pool.c" "$ROOT/src/core/conv_dnnl.c" "$ROOT/src/core/kernels.c" \
    "$ROOT"/src/core/{common,kernels_isa,kernels_generic,kernels_avx2,kernels_avx512,kernels_pool}.c \
    -o "$OUT/conv_libs" -L/usr/lib -lxsmm -lxsmmnoblas -ldnnl -lopenblas -lpthread -ldl -lm

uptime
for t in $THREADS; do
    "$OUT/conv_libs" --threads "$t" ${ARGS[@]+"${ARGS[@]}"}
    uptime
done
