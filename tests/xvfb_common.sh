# xvfb_common.sh - sourced by the window tests: a private Xvfb display, a temp HOME, fail() with
# the trace's tail, and start_window (APID, WID). Needs TMP, BIN and TRACE set by the caller.
XPID=""
APID=""
cleanup() {
    [ -n "$APID" ] && kill "$APID" 2>/dev/null
    [ -n "$XPID" ] && kill "$XPID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
    echo "FAIL $(basename "$0" .sh): $*" >&2
    if [ -f "$TRACE" ]; then
        echo "--- last trace lines:" >&2
        tail -n 8 "$TRACE" >&2
    fi
    [ -f "$TMP/app.log" ] && { echo "--- app output:" >&2; tail -n 40 "$TMP/app.log" >&2; }
    exit 1
}

# A private display: the first number from $1 (default 99) to $2 (default 160) with no lock
# file and no socket, whose Xvfb is still running once its socket is there.
xvfb_start() {
    local n first=${1:-99} last=${2:-160}
    DNUM=""
    for n in $(seq "$first" "$last"); do
        if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then DNUM=$n; break; fi
    done
    [ -n "$DNUM" ] || fail "no free X display number"
    Xvfb ":$DNUM" -screen 0 1280x800x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
    XPID=$!
    for _ in $(seq 1 100); do [ -e "/tmp/.X11-unix/X$DNUM" ] && break; sleep 0.1; done
    [ -e "/tmp/.X11-unix/X$DNUM" ] && kill -0 "$XPID" 2>/dev/null || fail "Xvfb did not start: $(cat "$TMP/xvfb.log")"
    export DISPLAY=":$DNUM"
    # The socket can be there before the server answers: wait until a client gets through.
    for _ in $(seq 1 100); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done
    xdotool getdisplaygeometry >/dev/null 2>&1 || { x_report; fail "Xvfb on $DISPLAY does not answer"; }
    export HOME="$TMP/home"
    unset XDG_DATA_HOME XDG_CONFIG_HOME
    mkdir -p "$HOME"
}

# What the display held, for a failure's report.
x_report() {
    echo "--- display $DISPLAY: Xvfb $(kill -0 "$XPID" 2>/dev/null && echo running || echo gone)," \
        "windows named: $(xdotool search --name . 2>&1 | while read -r w; do printf '%s=%s; ' "$w" "$(xdotool getwindowname "$w" 2>&1)"; done)" >&2
    [ -s "$TMP/xvfb.log" ] && { echo "--- Xvfb output:" >&2; tail -n 10 "$TMP/xvfb.log" >&2; }
}

# Waits up to 30 s for the window of process $APID: its X id from the trace's "screen" event
# (checked by its name on the server), else a search by name. Sets WID.
wait_window() {
    local trace=$1 xid
    WID=""
    for _ in $(seq 1 300); do
        xid=$(grep -o '"event":"screen".*"xid":[0-9]*' "$trace" 2>/dev/null | tail -n 1 | sed -E 's/.*"xid":([0-9]+)/\1/')
        if [ -n "$xid" ] && [ "$xid" != 0 ] && xdotool getwindowname "$xid" 2>/dev/null | grep -q '^digitrec'; then
            WID=$xid
        else
            WID=$(xdotool search --name '^digitrec' 2>/dev/null | head -n 1)
        fi
        [ -n "$WID" ] && break
        kill -0 "$APID" 2>/dev/null || fail "digitrec exited at start"
        sleep 0.1
    done
    [ -n "$WID" ] || { x_report; fail "no digitrec window appeared (trace's window id: ${xid:-none})"; }
}

# Starts the window with the given arguments and waits for it: sets APID and WID.
# A start the display turned away ("cannot open a window") is tried again, up to three times.
start_window() {
    local try
    for try in 1 2 3; do
        "$BIN" --trace "$TRACE" "$@" >>"$TMP/app.log" 2>&1 &
        APID=$!
        sleep 0.3
        if ! kill -0 "$APID" 2>/dev/null && grep -q "cannot open a window" "$TMP/app.log"; then
            wait "$APID" 2>/dev/null
            APID=""
            echo "note: start $try: the display turned the window away; trying again" >&2
            sleep 1
            continue
        fi
        break
    done
    [ -n "$APID" ] || fail "the display refused the window three times"
    wait_window "$TRACE"
    sleep 0.5
}

# The canvas rectangle from the trace's latest layout line, in window coordinates.
canvas_rect() {
    grep '"event":"layout"' "$TRACE" | tail -n 1 | sed -E 's/.*"canvas":\[([0-9]+),([0-9]+),([0-9]+),([0-9]+)\].*/\1 \2 \3 \4/'
}

# Draws through points given in canvas fractions (0..1000), with real pointer motion.
draw() {
    local first=1 CX CY CW CH
    read -r CX CY CW CH < <(canvas_rect)
    while [ $# -ge 2 ]; do
        xdotool mousemove --window "$WID" $((CX + $1 * CW / 1000)) $((CY + $2 * CH / 1000))
        if [ $first = 1 ]; then xdotool mousedown 1; first=0; fi
        sleep 0.008
        shift 2
    done
    xdotool mouseup 1
    sleep 0.3
}

# Resident memory of the window in MB.
rss_mb() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$APID/status"; }
