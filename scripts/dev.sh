#!/usr/bin/env bash
# dev.sh - one-step set-up for a fresh Debian/Ubuntu machine: installs what is missing,
# fetches MNIST, builds, then runs the window (`run`) or the whole test suite (`test`).
#   scripts/dev.sh run [digitrec args...]
#   scripts/dev.sh test [ctest args...]
# `test` runs, in order: the CTest suite; the unit tests again under ASan+UBSan (a build without
# the window, which must link no SDL); the window under ASan+UBSan and a minute of random input
# (tests/storm.sh); then scripts/hardening.sh's ThreadSanitizer, valgrind and libFuzzer sections
# (FUZZ_SECONDS each, default 30). It ends with one line counting the stages that passed and failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
  run|test|build) ;;
  *) echo "usage: scripts/dev.sh run|test|build [args...]" >&2; exit 2 ;;
esac

build_pkgs=(cmake gcc make pkg-config libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libcjson-dev
            libopenblas-dev zlib1g-dev libfontconfig-dev libstb-dev fonts-dejavu-core ca-certificates curl)
test_pkgs=(xvfb xdotool imagemagick python3 python3-numpy python3-pil fonts-urw-base35 python3-torch dataset-fashion-mnist clang libclang-rt-14-dev valgrind
           desktop-file-utils appstream lintian mandoc dpkg-dev file man-db)

missing=()
want=("${build_pkgs[@]}")
[ "$mode" = test ] && want+=("${test_pkgs[@]}")
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

"$root/scripts/fetch_mnist.sh"

build="${DIGITREC_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)"

case "$mode" in
  run) exec "$build/digitrec" "$@" ;;
  test)
    pass=0 fail=0
    stage() { # name command...: runs one stage, counts it, goes on either way
      local name="$1"; shift
      echo "== $name"
      if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "== $name: FAILED"; fi
    }
    asan="${build}-asan"
    stage "ctest" bash -c 'cd "$1" && shift && ctest --output-on-failure "$@"' _ "$build" "$@"
    stage "ASan+UBSan build" bash -c "cmake -S '$root' -B '$asan' -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DDIGITREC_SANITIZE=ON -DDIGITREC_GUI=OFF >/dev/null && cmake --build '$asan' -j$(nproc)"
    stage "ctest under ASan+UBSan" bash -c 'cd "$1" && shift && ctest --output-on-failure -L unit "$@"' _ "$asan" "$@"
    # the subcommands without the window link no SDL at all
    stage "no SDL without the window" bash -c '! ldd "$1/digitrec" | grep -i sdl' _ "$asan"
    gui_asan="${build}-asan-gui"
    stage "the window under ASan+UBSan: a minute of random input" bash -c "cmake -S '$root' -B '$gui_asan' \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIGITREC_SANITIZE=ON -DDIGITREC_GUI=ON >/dev/null && \
      cmake --build '$gui_asan' -j$(nproc) --target digitrec && \
      DIGITREC_BIN='$gui_asan/digitrec' DIGITREC_DATA='$root/data/mnist' '$root/tests/storm.sh' 60"
    stage "tsan, valgrind, fuzz" env FUZZ_SECONDS="${FUZZ_SECONDS:-30}" HARDENING_DIR="${build}-hardening" \
      "$root/scripts/hardening.sh" tsan valgrind fuzz
    echo "stages: $pass passed, $fail failed"
    [ "$fail" = 0 ] ;;
  build) ;;
esac
