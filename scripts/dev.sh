#!/usr/bin/env bash
# dev.sh - one-step set-up for a fresh Debian/Ubuntu machine: installs what is missing,
# fetches MNIST, builds, then runs the window (`run`) or the whole test suite (`test`).
#   scripts/dev.sh run [digitrec args...]
#   scripts/dev.sh test [ctest args...]   (also reruns the unit tests under ASan+UBSan)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
  run|test|build) ;;
  *) echo "usage: scripts/dev.sh run|test|build [args...]" >&2; exit 2 ;;
esac

build_pkgs=(cmake gcc make pkg-config libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libcjson-dev
            libopenblas-dev zlib1g-dev fonts-dejavu-core ca-certificates curl)
test_pkgs=(xvfb xdotool imagemagick python3 python3-numpy dataset-fashion-mnist)

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
    (cd "$build" && ctest --output-on-failure "$@")
    # the same unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer
    asan="${build}-asan"
    cmake -S "$root" -B "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIGITREC_SANITIZE=ON -DDIGITREC_GUI=OFF >/dev/null
    cmake --build "$asan" -j"$(nproc)"
    cd "$asan" && exec ctest --output-on-failure -L unit "$@" ;;
  build) ;;
esac
