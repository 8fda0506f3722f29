#!/usr/bin/env bash
# test_install.sh - digitrec installed like a desktop program, and nothing left of the source:
# (1) relocation: a copy of the source tree is built and installed into a prefix, the prefix is
#     moved elsewhere and the copy with its build deleted; the installed binary then reads drawn
#     digits (PGM files written here) with its default model, renders the window off screen
#     (also with the bundled fonts when fontconfig has none), and says how to get data; the
#     binary holds no path of the source copy; bash completion works;
# (2) desktop-file-validate and appstreamcli validate pass on the installed files;
# (3) `man -l` renders the installed page without warnings (and groff -ww, mandoc -T lint);
# (4) as root with apt: `cpack -G DEB` builds a portable package, lintian reports no error,
#     `apt-get install ./digitrec_*.deb` installs it, /usr/bin/digitrec reads a digit with the
#     default model and renders the window, `apt-get remove --purge` removes it and the machine
#     is left as it was (no files, dpkg state and package set unchanged).
# Exit 77 (skipped) when not root or without apt: then (1)-(3) still run and must pass.
# Env: DIGITREC_SRC (the source tree). Takes about two minutes on two cores.
set -uo pipefail

src="${DIGITREC_SRC:?DIGITREC_SRC must name the source tree}"
# the default recogniser: the shipped CNN when the tree has it, else the MLP
default_model=mlp.safetensors
[ -f "$src/models/cnn.safetensors" ] && default_model=cnn.safetensors
jobs="${INSTALL_TEST_JOBS:-2}"
tmp="$(mktemp -d /tmp/digitrec_install_XXXXXX)"
pass=0 fail=0 installed_pkg=0
new_pkgs=()
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # description command...: passes when the command succeeds
    local what="$1"; shift
    if "$@"; then ok; else bad "$what"; fi
}
apt_q() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
cleanup() {
    if [ "$installed_pkg" = 1 ]; then # a failure in the middle: never leave the package behind
        apt_q remove --purge -y -q digitrec "${new_pkgs[@]}" >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

is_root=0
[ "$(id -u)" = 0 ] && is_root=1
have_apt=0
command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1 && have_apt=1

# Test tools: installed when missing and possible (scripts/dev.sh lists them as test packages).
want_tool() { # command package
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$is_root" = 1 ] && [ "$have_apt" = 1 ]; then
        echo "installing $2 for $1"
        apt_q install -y -q "$2" >/dev/null 2>&1 || { apt_q update -q >/dev/null 2>&1 && apt_q install -y -q "$2" >/dev/null 2>&1; }
    fi
    command -v "$1" >/dev/null 2>&1
}
for t in cmake:cmake python3:python3 identify:imagemagick; do
    want_tool "${t%%:*}" "${t#*:}" || { echo "SKIP test_install: ${t%%:*} is missing (apt-get install ${t#*:})"; exit 77; }
done

# Writes dark-ink digits on white paper as PGM files, drawn with a round pen along strokes.
draw_digits() { # folder
    python3 - "$1" <<'PY'
import math, sys
def draw(path, segs, W=200, H=200, r=9):
    px = bytearray([255]) * (W * H)
    for (x0, y0, x1, y1) in segs:
        n = int(math.hypot(x1 - x0, y1 - y0)) + 1
        for i in range(n + 1):
            cx, cy = x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n
            for y in range(int(cy - r), int(cy + r) + 1):
                for x in range(int(cx - r), int(cx + r) + 1):
                    if 0 <= x < W and 0 <= y < H and (x - cx) ** 2 + (y - cy) ** 2 <= r * r:
                        px[y * W + x] = 20
    open(path, "wb").write(b"P5\n%d %d\n255\n" % (W, H) + bytes(px))
d = sys.argv[1]
draw(d + "/seven.pgm", [(50, 40, 150, 40), (150, 40, 85, 170)])
ring = [(100 + 45 * math.cos(t / 24 * 2 * math.pi), 100 + 70 * math.sin(t / 24 * 2 * math.pi)) for t in range(25)]
draw(d + "/zero.pgm", [ring[i] + ring[i + 1] for i in range(24)])
draw(d + "/four.pgm", [(70, 30, 55, 110), (55, 110, 140, 110), (125, 40, 125, 170)])
PY
}

# A clean environment: a fresh HOME, no XDG or DIGITREC variables, started from /, so nothing
# is found by accident through the current folder or the developer's own files.
run_clean() { # home command...
    local home="$1"; shift
    (cd / && env -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_DATA_DIRS -u DIGITREC_DATA -u DIGITREC_SHARE \
        -u DIGITREC_BIN -u DIGITREC_SRC HOME="$home" SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy "$@")
}

# predict with the model `data where` names reads each drawn digit as itself.
check_reads() { # label binary home expected-prefix
    local label="$1" bin="$2" home="$3" prefix="$4" model
    run_clean "$home" "$bin" data where >"$tmp/where.txt" 2>&1
    model="$(sed -n 's/^model: *//p' "$tmp/where.txt")"
    check "$label: data where names the default model under $prefix ($(tr '\n' '|' <"$tmp/where.txt"))" \
        test -n "$model" -a "${model#"$prefix"/share/digitrec/models/}" = "$default_model" -a -f "$model"
    run_clean "$home" "$bin" predict --json --model "$model" "$tmp/digits/seven.pgm" "$tmp/digits/zero.pgm" \
        "$tmp/digits/four.pgm" >"$tmp/pred.json" 2>"$tmp/pred.err"
    local rc=$?
    check "$label: predict runs ($(head -c 300 "$tmp/pred.err"))" test "$rc" = 0
    local want=(7 0 4) i=0 line
    while IFS= read -r line; do
        check "$label: drawn digit ${want[$i]} read as such: $line" grep -q "\"digit\":${want[$i]}," <<<"$line"
        i=$((i + 1))
    done <"$tmp/pred.json"
    check "$label: three readings" test "$i" = 3
}

# --screenshot renders a real picture: 1280x800, many colours, the default model loaded from
# the prefix (trace) and the drawn 3 read as 3.
check_screenshot() { # label binary home expected-prefix [extra env...]
    local label="$1" bin="$2" home="$3" prefix="$4"; shift 4
    rm -f "$tmp/shot.png" "$tmp/trace.jsonl"
    run_clean "$home" env "$@" "$bin" --draw-demo 3 --screenshot "$tmp/shot.png" --trace "$tmp/trace.jsonl" \
        >"$tmp/shot.out" 2>&1
    local rc=$?
    check "$label: --screenshot exits 0 ($(head -c 300 "$tmp/shot.out"))" test "$rc" = 0
    local geo colours
    geo="$(identify -format '%w %h' "$tmp/shot.png" 2>/dev/null)"
    colours="$(identify -format '%k' "$tmp/shot.png" 2>/dev/null)"
    check "$label: screenshot is 1280x800 (got '$geo')" test "$geo" = "1280 800"
    check "$label: screenshot is a real picture ($colours colours)" test "${colours:-0}" -gt 50
    check "$label: the window loaded the model under $prefix" \
        grep -q "\"text\":\"model $prefix/share/digitrec/models/$default_model\"" "$tmp/trace.jsonl"
    check "$label: the window read the drawn 3" grep -q '"event":"prediction","digit":3,' "$tmp/trace.jsonl"
}

echo "== copying the source tree"
copy="$tmp/copy"
mkdir -p "$copy"
tar -C "$src" --exclude='./build*' --exclude=./data --exclude=./.git -cf - . | tar -C "$copy" -xf -
check "source copy has CMakeLists.txt" test -f "$copy/CMakeLists.txt"
mkdir -p "$tmp/digits"
draw_digits "$tmp/digits"

deb=""
if [ "$is_root" = 1 ] && [ "$have_apt" = 1 ]; then
    echo "== portable package build (DIGITREC_NATIVE=OFF, DIGITREC_PACKAGE=ON)"
    if cmake -S "$copy" -B "$copy/build-deb" -DCMAKE_BUILD_TYPE=Release -DDIGITREC_NATIVE=OFF -DDIGITREC_PACKAGE=ON \
        >"$tmp/deb-config.log" 2>&1 &&
        cmake --build "$copy/build-deb" -j"$jobs" --target digitrec digitrec_docs >"$tmp/deb-build.log" 2>&1 &&
        (cd "$copy/build-deb" && cpack -G DEB >"$tmp/cpack.log" 2>&1); then
        deb="$(ls "$copy"/build-deb/digitrec_*.deb 2>/dev/null | head -n1)"
        cp "$deb" "$tmp/" && deb="$tmp/$(basename "$deb")"
    else
        tail -n 20 "$tmp"/deb-config.log "$tmp"/deb-build.log "$tmp"/cpack.log 2>/dev/null >&2
    fi
    check "cpack -G DEB builds a package" test -n "$deb" -a -f "$deb"
fi

echo "== (1) relocation: build, install into a prefix, move it, delete the copy"
if cmake -S "$copy" -B "$copy/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$tmp/prefix" \
    >"$tmp/config.log" 2>&1 && cmake --build "$copy/build" -j"$jobs" --target digitrec digitrec_docs >"$tmp/build.log" 2>&1 &&
    cmake --install "$copy/build" >"$tmp/install.log" 2>&1; then
    ok
else
    bad "configure, build or install failed"
    tail -n 30 "$tmp"/config.log "$tmp"/build.log "$tmp"/install.log >&2
    exit 1
fi
mv "$tmp/prefix" "$tmp/moved"
rm -rf "$copy"
prefix="$tmp/moved"
bin="$prefix/bin/digitrec"
check "copy and build deleted" test ! -e "$copy"
check "installed binary" test -x "$bin"
for f in share/digitrec/models/mlp.safetensors share/digitrec/models/softmax.safetensors \
    share/digitrec/models/$default_model share/digitrec/fetch_mnist.sh \
    share/digitrec/assets/fonts/DejaVuSans.ttf share/applications/io.github.digitrec.digitrec.desktop \
    share/metainfo/io.github.digitrec.digitrec.metainfo.xml share/icons/hicolor/scalable/apps/io.github.digitrec.digitrec.svg \
    share/icons/hicolor/48x48/apps/io.github.digitrec.digitrec.png share/icons/hicolor/256x256/apps/io.github.digitrec.digitrec.png \
    share/man/man1/digitrec.1.gz share/bash-completion/completions/digitrec share/doc/digitrec/copyright; do
    check "installed $f" test -s "$prefix/$f"
done
check "the binary holds no path of the deleted source copy" bash -c '! grep -q -a -F "$1" "$2"' _ "$copy" "$bin"
home="$tmp/home"
mkdir -p "$home"
check_reads "relocated" "$bin" "$home" "$prefix"
check_screenshot "relocated" "$bin" "$home" "$prefix"
# fontconfig with no fonts at all: the bundled copy in share/digitrec/assets is used
printf '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig></fontconfig>\n' >"$tmp/nofonts.conf"
check_screenshot "relocated, bundled fonts" "$bin" "$home" "$prefix" FONTCONFIG_FILE="$tmp/nofonts.conf"
# ... and with neither, one line says what is missing
run_clean "$home" env FONTCONFIG_FILE="$tmp/nofonts.conf" "$bin" --assets "$tmp/none" --screenshot "$tmp/x.png" \
    >"$tmp/nofont.out" 2>&1
rc=$?
check "no font at all: exit 1 and a message ($(head -c 200 "$tmp/nofont.out"))" \
    bash -c '[ "$1" = 1 ] && grep -q "no font" "$2"' _ "$rc" "$tmp/nofont.out"
# without MNIST the command line says in one line how to get it
run_clean "$home" "$bin" train --epochs 1 >"$tmp/nodata.out" 2>"$tmp/nodata.err"
rc=$?
check "train without data: exit 1" test "$rc" = 1
check "train without data: one line naming digitrec data fetch ($(cat "$tmp/nodata.err"))" \
    bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "digitrec data fetch" "$1" && grep -q "$2/.local/share/digitrec/mnist" "$1"' \
    _ "$tmp/nodata.err" "$home"
check "train without data: no files created in HOME" test -z "$(ls -A "$home")"
# data fetch through the installed script (curl and npm faked, serving the real files), then
# eval finds the data in ~/.local/share/digitrec/mnist by itself
if [ -f "${DIGITREC_DATA:-}/t10k-images-idx3-ubyte" ]; then
    . "$src/tests/fetch_fakes.sh"
    fetch_fakes_make "$tmp/fakebin" "$DIGITREC_DATA"
    run_clean "$home" env PATH="$tmp/fakebin:$PATH" FAKE_CURL=ok FAKE_NPM=fail "$bin" data fetch >"$tmp/fetch.out" 2>&1
    rc=$?
    check "installed data fetch stores MNIST in HOME ($(tail -n 1 "$tmp/fetch.out"))" \
        bash -c '[ "$1" = 0 ] && grep -q "MNIST ready in $2/.local/share/digitrec/mnist: 60000 training" "$3"' _ "$rc" "$home" "$tmp/fetch.out"
    run_clean "$home" "$bin" eval --json --model "$prefix/share/digitrec/models/mlp.safetensors" >"$tmp/eval.out" 2>&1
    check "eval then finds the fetched data ($(head -c 200 "$tmp/eval.out"))" \
        bash -c 'grep -q "\"n\":10000," "$1" && grep -q "\"accuracy\":0\.9[0-9]" "$1"' _ "$tmp/eval.out"
    rm -rf "$home/.local/share/digitrec/mnist"
else
    echo "  (no MNIST in DIGITREC_DATA: data fetch through the installed script not checked)"
fi
# bash completion from the installed file
comp="$(bash -c 'source "$1"; COMP_WORDS=(digitrec data f); COMP_CWORD=2; _digitrec; echo "${COMPREPLY[*]}";
                 COMP_WORDS=(digitrec train --optimizer ""); COMP_CWORD=3; _digitrec; echo "${COMPREPLY[*]}"' \
    _ "$prefix/share/bash-completion/completions/digitrec" 2>&1)"
check "bash completion: data f -> fetch; --optimizer values ($comp)" test "$comp" = $'fetch\ngd sgd momentum adam'

echo "== (2) desktop-file-validate and appstreamcli validate"
if want_tool desktop-file-validate desktop-file-utils; then
    out="$(desktop-file-validate "$prefix/share/applications/io.github.digitrec.digitrec.desktop" 2>&1)"
    rc=$?
    check "desktop-file-validate passes silently ($out)" test "$rc" = 0 -a -z "$out"
else
    bad "desktop-file-validate missing (apt-get install desktop-file-utils)"
fi
if want_tool appstreamcli appstream; then
    # --no-net: the home page and screenshot addresses are not fetched (CI may be offline)
    out="$(appstreamcli validate --no-net --pedantic "$prefix/share/metainfo/io.github.digitrec.digitrec.metainfo.xml" 2>&1)"
    rc=$?
    check "appstreamcli validate passes ($out)" test "$rc" = 0
else
    bad "appstreamcli missing (apt-get install appstream)"
fi

echo "== (3) the man page"
page="$prefix/share/man/man1/digitrec.1.gz"
MANWIDTH=80 man -l "$page" >"$tmp/man.txt" 2>"$tmp/man.err"
rc=$?
check "man -l renders ($(head -c 300 "$tmp/man.err"))" test "$rc" = 0 -a ! -s "$tmp/man.err"
for s in "digitrec - draw a digit" "WINDOW OPTIONS" "--help-window" "KEYS" "Ctrl+S" "digitrec train" "--optimizer" \
    "digitrec eval" "digitrec predict" "digitrec info" "digitrec data fetch" "digitrec data where" "DIGITREC_SHARE" \
    "XDG_DATA_HOME" "EXIT STATUS"; do
    check "man page shows '$s'" grep -q -F -- "$s" "$tmp/man.txt"
done
# every window option and train option of --help is in the page
for o in $("$bin" --help-window | grep -o '^  --[a-z-]*') $("$bin" train --help | grep -o '^  --[a-z-]*'); do
    check "man page documents $o" grep -q -F -- "$o" "$tmp/man.txt"
done
if command -v groff >/dev/null 2>&1; then
    out="$(zcat "$page" | groff -ww -z -man 2>&1)"
    check "groff -ww -z: no warnings ($out)" test -z "$out"
fi
if command -v mandoc >/dev/null 2>&1; then
    out="$(zcat "$page" | mandoc -T lint -W warning 2>&1)"
    check "mandoc -T lint: no warnings ($out)" test -z "$out"
fi

if [ "$is_root" != 1 ] || [ "$have_apt" != 1 ]; then
    echo "test_install: $pass passed, $fail failed; (4) the package needs root and apt: skipped"
    [ "$fail" = 0 ] && exit 77
    exit 1
fi

echo "== (4) the package: lintian, install with apt, run, remove"
if [ -z "$deb" ]; then
    echo "test_install: $pass passed, $fail failed (no package to install)"
    exit 1
fi
if dpkg-query -W -f='${Status}' digitrec 2>/dev/null | grep -q "install ok installed" || [ -e /usr/bin/digitrec ] ||
    [ -e /usr/share/digitrec ]; then
    bad "digitrec is already installed on this machine: not touching it (remove it first)"
    exit 1
fi
depends="$(dpkg-deb -f "$deb" Depends)"
check "Depends from dpkg-shlibdeps ($depends)" bash -c 'grep -q "libc6 (>=" <<<"$1" && grep -q libsdl2-2.0-0 <<<"$1" && grep -q fonts-dejavu-core <<<"$1"' _ "$depends"
check "the package ships no fonts of its own" bash -c '! dpkg-deb -c "$1" | grep -q "\.ttf$"' _ "$deb"
if want_tool lintian lintian; then
    lintian --tag-display-limit 0 "$deb" >"$tmp/lintian.txt" 2>&1
    check "lintian: no errors ($(grep '^E:' "$tmp/lintian.txt" | head -n 5 | tr '\n' ' '))" bash -c '! grep -q "^E:" "$1"' _ "$tmp/lintian.txt"
    grep -E '^(W|E):' "$tmp/lintian.txt" | sed 's/^/  lintian: /'
else
    bad "lintian missing (apt-get install lintian)"
fi

dpkg-query -W -f='${Package} ${Status}\n' | sort >"$tmp/dpkg-before.txt"
apt_q install -y -q "$deb" >"$tmp/apt-install.log" 2>&1
rc=$?
installed_pkg=1
# what apt installed along with digitrec (from its own list, not from a diff of the machine's
# package set, which other people may change meanwhile)
mapfile -t new_pkgs < <(awk '/^The following NEW packages will be installed:/ {on = 1; next}
                             on && /^  / {for (i = 1; i <= NF; i++) print $i; next} {on = 0}' "$tmp/apt-install.log" |
                         grep -v '^digitrec$')
check "apt-get install ./$(basename "$deb") ($(tail -n 3 "$tmp/apt-install.log" | tr '\n' ' '))" test "$rc" = 0
[ ${#new_pkgs[@]} -gt 0 ] && echo "  apt also installed: ${new_pkgs[*]} (removed again at the end)"
check "dpkg says installed" bash -c 'dpkg-query -W -f="\${Status}" digitrec | grep -q "install ok installed"'
check "/usr/bin/digitrec" test -x /usr/bin/digitrec
home2="$tmp/home2"
mkdir -p "$home2"
check_reads "package" /usr/bin/digitrec "$home2" /usr
check_screenshot "package" /usr/bin/digitrec "$home2" /usr
check "man finds the installed page" bash -c '[ "$(man -w digitrec 2>/dev/null)" = /usr/share/man/man1/digitrec.1.gz ]'
out="$(desktop-file-validate /usr/share/applications/io.github.digitrec.digitrec.desktop 2>&1)"
rc=$?
check "installed desktop file validates ($out)" test "$rc" = 0 -a -z "$out"
out="$(appstreamcli validate --no-net /usr/share/metainfo/io.github.digitrec.digitrec.metainfo.xml 2>&1)"
rc=$?
check "installed metainfo validates ($out)" test "$rc" = 0
mapfile -t files < <(dpkg -L digitrec | while read -r f; do [ -f "$f" ] && echo "$f"; done)
in_deb="$(dpkg-deb -c "$deb" | grep -vc '/$')"
check "dpkg -L lists the package's ${in_deb} files, all present (${#files[@]})" test "${#files[@]}" = "$in_deb" -a "$in_deb" -ge 20

apt_q remove --purge -y -q digitrec >"$tmp/apt-remove.log" 2>&1
rc=$?
check "apt-get remove --purge digitrec ($(tail -n 2 "$tmp/apt-remove.log" | tr '\n' ' '))" test "$rc" = 0
if [ ${#new_pkgs[@]} -gt 0 ]; then
    apt_q remove --purge -y -q "${new_pkgs[@]}" >>"$tmp/apt-remove.log" 2>&1
    rc=$?
    check "the packages apt added are removed again" test "$rc" = 0
fi
installed_pkg=0
left=()
for f in "${files[@]}" /usr/bin/digitrec /usr/share/digitrec /usr/share/doc/digitrec; do
    [ -e "$f" ] && left+=("$f")
done
check "no file of the package is left (${left[*]:-})" test ${#left[@]} = 0
check "dpkg no longer knows digitrec" bash -c '! dpkg-query -W -f="\${Status}" digitrec 2>/dev/null | grep -q "ok installed"'
out="$(dpkg --audit 2>&1)"
check "dpkg --audit is clean ($out)" test -z "$out"
dpkg-query -W -f='${Package} ${Status}\n' | sort >"$tmp/dpkg-after.txt"
for p in digitrec "${new_pkgs[@]}"; do
    check "dpkg state of $p as before" \
        bash -c '[ "$(grep "^$1 " "$2")" = "$(grep "^$1 " "$3")" ]' _ "$p" "$tmp/dpkg-before.txt" "$tmp/dpkg-after.txt"
done

echo "test_install: $pass passed, $fail failed"
[ "$fail" = 0 ]
