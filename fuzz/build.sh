#!/usr/bin/env bash
# build.sh - compiles the fuzz harnesses against src/core (stb_image's loaders are compiled into
# src/core/image.c, so they are instrumented too). Two flavours:
#   fuzz/build.sh fuzz   OUTDIR [target...]   clang -fsanitize=fuzzer,address,undefined (libFuzzer)
#   fuzz/build.sh replay OUTDIR [target...]   ${CC:-cc} with ASan+UBSan (REPLAY_SANITIZE=0: none) and
#                                             fuzz/replay_main.c as main: runs given files once each
# Targets: model idx image pgm preprocess (default: all). Binaries land in OUTDIR as fuzz_<target>.
# It builds nothing else and never touches the CMake build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
flavour="${1:-}"
out="${2:-}"
if [ -z "$flavour" ] || [ -z "$out" ]; then
  echo "usage: fuzz/build.sh fuzz|replay OUTDIR [target...]" >&2
  exit 2
fi
shift 2
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(model idx image pgm preprocess)

cblas_inc=""
for d in /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas /usr/include/aarch64-linux-gnu/openblas-pthread; do
  [ -f "$d/cblas.h" ] && { cblas_inc="-I$d"; break; }
done

common_flags=(-std=c17 -g -O1 -fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
              "-DDIGITREC_DATA_DIR=\"$root/data/mnist\"" -I"$root/src/core" -I"$root/src/platform" $cblas_inc)
case "$flavour" in
  fuzz)
    cc="${FUZZ_CC:-clang}"
    cflags=(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)
    ldflags=(-fsanitize=fuzzer,address,undefined)
    main_src=() ;;
  replay)
    cc="${CC:-cc}"
    if [ "${REPLAY_SANITIZE:-1}" = 1 ]; then
      cflags=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
      ldflags=(-fsanitize=address,undefined)
    else
      cflags=(); ldflags=()
    fi
    main_src=("$root/fuzz/replay_main.c") ;;
  *) echo "build.sh: unknown flavour '$flavour' (fuzz or replay)" >&2; exit 2 ;;
esac

mkdir -p "$out/obj"
libs=($(pkg-config --libs libcjson zlib) -lopenblas -lpthread -lm)

# Every core file, so a new dependency between core modules never breaks this build.
core_objs=()
newest_h=$(ls -t "$root"/src/core/*.h "$root"/src/core/*.inc 2>/dev/null | head -1)  # a changed header rebuilds all
for src in "$root"/src/core/*.c; do
  obj="$out/obj/core_$(basename "${src%.c}").o"
  core_objs+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$0" -nt "$obj" ] || [ "$newest_h" -nt "$obj" ]; then
    "$cc" "${common_flags[@]}" "${cflags[@]}" -c "$src" -o "$obj" &
  fi
done
wait_all() { local rc=0; for j in $(jobs -p); do wait "$j" || rc=1; done; return $rc; }
wait_all || { echo "build.sh: compiling src/core failed" >&2; exit 1; }

for t in "${targets[@]}"; do
  case "$t" in
    model|idx|pgm|preprocess|image) ;;
    *) echo "build.sh: unknown target '$t'" >&2; exit 2 ;;
  esac
  "$cc" "${common_flags[@]}" "${cflags[@]}" -I"$root/fuzz" \
    "$root/fuzz/fuzz_$t.c" "${main_src[@]}" "${core_objs[@]}" \
    "${ldflags[@]}" "${libs[@]}" -o "$out/fuzz_$t"
done
echo "build.sh: built ${targets[*]} ($flavour) in $out"
