#!/usr/bin/env bash
# test_layout.sh - the code's shape: dependencies one way, no loops, small files, SDL only in
# src/platform (tests/check_layout.py over the source tree and this build's objects).
set -euo pipefail
exec "${DIGITREC_PYTHON:-python3}" "$DIGITREC_SRC/tests/check_layout.py" "$DIGITREC_SRC" "$DIGITREC_BUILD"
