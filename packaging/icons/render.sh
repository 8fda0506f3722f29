#!/usr/bin/env bash
# render.sh - renders the PNG icon sizes from the hand-drawn SVG (needs rsvg-convert, from
# librsvg2-bin). The PNGs are committed, so building and installing need no SVG renderer.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
svg="$here/io.github.digitrec.digitrec.svg"
for s in 16 22 24 32 48 64 128 256 512; do
    mkdir -p "$here/hicolor/${s}x${s}/apps"
    rsvg-convert -w "$s" -h "$s" "$svg" -o "$here/hicolor/${s}x${s}/apps/io.github.digitrec.digitrec.png"
done
echo "rendered $(ls "$here"/hicolor | wc -l) sizes into $here/hicolor"
