#!/usr/bin/env bash
# cnn_train.sh - builds bench/cnn_train.c with plain cc from digitrec's core sources and runs it
# with the given options (see cnn_train.c), after printing `uptime`. Run by hand; not a test.
#   OUT=dir   where the binary goes (default: build-bench in the source tree)
#   DNNL=1    build with -DDIGITREC_DNNL (Conv2d through oneDNN; needs libdnnl-dev)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/build-bench}
mkdir -p "$OUT"
CBLAS_INC=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' | head -n1)")
CJSON_CFLAGS=$(pkg-config --cflags libcjson 2>/dev/null || true)
EXTRA=() LIBS=()
if [ "${DNNL:-0}" = 1 ]; then EXTRA=(-DDIGITREC_DNNL); LIBS=(-ldnnl -lgomp); fi
cc -std=c17 -O2 -march=native -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE ${EXTRA[@]+"${EXTRA[@]}"} \
    -DDIGITREC_DATA_DIR="\"$ROOT/data/mnist\"" -I"$ROOT/src/core" -I"$CBLAS_INC" $CJSON_CFLAGS \
    "$ROOT/bench/cnn_train.c" "$ROOT"/src/core/{arch,augment,common,conv,conv_micro,conv_ref,pool,conv_dnnl,dataset,idx,kernels,kernels_isa,kernels_generic,kernels_avx2,kernels_avx512,kernels_pool}.c \
    -o "$OUT/cnn_train" ${LIBS[@]+"${LIBS[@]}"} -lopenblas -lz -lpthread -lm
uptime
"$OUT/cnn_train" "$@"
uptime
