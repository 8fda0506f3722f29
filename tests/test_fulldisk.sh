#!/usr/bin/env bash
# test_fulldisk.sh - saving onto a full or read-only disk: `digitrec train --out` into a 64 KB tmpfs
# must fail with one clear line and exit 1, leave the model already there byte-for-byte intact and
# leave no temporary file behind. Needs root and tmpfs; otherwise it says so and exits 77 (skip).
# Environment: DIGITREC_BIN; DIGITREC_PYTHON (default /usr/bin/python3).
set -uo pipefail
bin="${DIGITREC_BIN:?}"
py="${DIGITREC_PYTHON:-/usr/bin/python3}"
command -v "$py" >/dev/null || py=python3
tmp="$(mktemp -d)"
mnt="$tmp/disk" ro="$tmp/ro"
mkdir -p "$mnt" "$ro"
cleanup() {
  mountpoint -q "$mnt" && umount "$mnt"
  mountpoint -q "$ro" && umount "$ro"
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
  echo "fulldisk: skipped (needs root to mount a tmpfs)"
  exit 77
fi
if ! mount -t tmpfs -o size=64k,mode=0755 tmpfs "$mnt" 2>"$tmp/mount.err"; then
  echo "fulldisk: skipped (cannot mount a tmpfs: $(head -1 "$tmp/mount.err"))"
  exit 77
fi
export OPENBLAS_NUM_THREADS=1

# A small data set (64 + 20 images) so training takes no time; the mlp model it saves is ~437 KB.
"$py" - "$tmp/data" <<'PY'
import os, struct, sys
d = sys.argv[1]
os.makedirs(d)
for name, n in (("train", 64), ("t10k", 20)):
    with open(os.path.join(d, name + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + bytes((i * 7) % 256 for i in range(n * 784)))
    with open(os.path.join(d, name + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n)))
PY

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL fulldisk: $*" >&2; }
train() { "$bin" train --data "$tmp/data" --epochs 1 --max-iters 1 --quiet "$@" >"$tmp/out" 2>"$tmp/err"; }

# the model already on the small disk: a softmax net (~31 KB) trained beforehand
train --arch softmax --out "$mnt/model.safetensors" && ok || bad "saving a 31 KB model onto the 64 KB disk failed"
cp "$mnt/model.safetensors" "$tmp/before.safetensors"
used_before=$(df --output=used "$mnt" | tail -1)

# overwriting it with a ~437 KB mlp model cannot fit
train --arch mlp --out "$mnt/model.safetensors"
rc=$?
[ "$rc" = 1 ] && ok || bad "mlp onto a full disk: exit $rc, want 1"
[ "$(awk 'END { print NR }' "$tmp/err")" = 1 ] && ok || bad "one line on stderr, got: $(tr '\n' '|' <"$tmp/err")"
grep -q "No space left on device" "$tmp/err" && ok || bad "message names the full disk: $(cat "$tmp/err")"
cmp -s "$mnt/model.safetensors" "$tmp/before.safetensors" && ok || bad "the model already there changed"
"$bin" info "$mnt/model.safetensors" >/dev/null 2>&1 && ok || bad "the model already there no longer loads"
leftover=$(find "$mnt" -name '*.tmp' | wc -l)
[ "$leftover" = 0 ] && ok || bad "$leftover temporary files left on the disk"
[ "$(df --output=used "$mnt" | tail -1)" = "$used_before" ] && ok || bad "disk usage changed after the failed save"

# a new file name on the full disk: same error, nothing created
train --arch mlp --out "$mnt/new.safetensors"
rc=$?
[ "$rc" = 1 ] && grep -q "No space left on device" "$tmp/err" && ok || bad "new file on a full disk: exit $rc: $(cat "$tmp/err")"
[ ! -e "$mnt/new.safetensors" ] && ok || bad "a partial new.safetensors exists"

# history CSV onto the full disk: the same rule for the other file train writes
fill() { dd if=/dev/zero of="$mnt/filler" bs=1k count=64 2>/dev/null; true; }
fill
train --arch softmax --history "$mnt/h.csv"
rc=$?
[ "$rc" = 1 ] && [ "$(awk 'END { print NR }' "$tmp/err")" = 1 ] && ok || bad "history onto a full disk: exit $rc: $(tr '\n' '|' <"$tmp/err")"
rm -f "$mnt/filler"

# a read-only file system: one line, exit 1
if mount -t tmpfs -o size=64k,ro tmpfs "$ro" 2>/dev/null; then
  train --arch softmax --out "$ro/model.safetensors"
  rc=$?
  [ "$rc" = 1 ] && grep -q "Read-only file system" "$tmp/err" && [ "$(awk 'END { print NR }' "$tmp/err")" = 1 ] && ok ||
    bad "read-only disk: exit $rc: $(tr '\n' '|' <"$tmp/err")"
fi

[ -n "${FULLDISK_VERBOSE:-}" ] && cat "$tmp/err"
echo "fulldisk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
