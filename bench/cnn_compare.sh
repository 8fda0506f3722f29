#!/usr/bin/env bash
# cnn_compare.sh - digitrec vs PyTorch on the cnn preset at batch 64 (bench/cnn_compare.py):
# builds digitrec (Release, no window) into build-bench unless BUILD has one, installs
# python3-torch when missing, prints `uptime`, runs the comparison, prints `uptime` again. Run
# by hand on as quiet a machine as there is; it is not a test.
#
# usage: bench/cnn_compare.sh [cnn_compare.py options: --rounds N, --epochs E, --threads T,
#                               --torch-threads 1,2, --arch A]
#   BUILD=dir  build folder (default: build-bench);  DATA=dir  MNIST folder (default: data/mnist)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
DATA=${DATA:-$ROOT/data/mnist}
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch python3-numpy time
fi
if [ ! -x "$BUILD/digitrec" ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDIGITREC_GUI=OFF >/dev/null
    cmake --build "$BUILD" -j2 --target digitrec >/dev/null
fi
uptime
/usr/bin/python3 "$ROOT/bench/cnn_compare.py" --digitrec "$BUILD/digitrec" --data "$DATA" "$@"
uptime
