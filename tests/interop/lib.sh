# lib.sh — shared helpers for the interop scripts (sourced, not run by CTest).
#
# Environment:
#   CLASP_BIN         directory with clasp-client and clasp-server (default: build/bin)
#   CLASP_TEST_CERTS  directory made by tests/make-certs.sh (default: made in a temp dir)
#   INTEROP_VERBOSE=1 show every peer's log, not only those of failed cases
#   INTEROP_BUDGET    seconds the whole script may take (default 120); once
#                     spent, the remaining cases fail at once instead of each
#                     waiting out its timeouts (a hanging peer would otherwise
#                     stretch a script past CTest's limit)
#
# A script: defines cases with case_begin / expect_* / case_end, then calls
# finish, which prints "N passed, M failed" and exits 1 if anything failed.
# Every background process is started through start_bg and killed on exit.

set -u

INTEROP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$INTEROP_DIR/../.." && pwd)
CLASP_BIN=${CLASP_BIN:-$REPO_DIR/build/bin}
CLIENT=$CLASP_BIN/clasp-client
SERVER=$CLASP_BIN/clasp-server
T=${TIMEOUT:-10}                      # seconds any single peer may run
WAIT_T=$(( (T + 1) / 2 ))             # seconds to wait for an expected output
BUDGET=${INTEROP_BUDGET:-120}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/clasp-interop.XXXXXX")
BG_PIDS=()
PASSED=0
FAILED=0
SKIPPED=0

cleanup() {
    local pid
    for pid in "${BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${BG_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${CLASP_TEST_CERTS:-}" ]; then
    CLASP_TEST_CERTS=$WORK/certs
fi
if ! "$REPO_DIR/tests/make-certs.sh" "$CLASP_TEST_CERTS"; then
    echo "Bail out! cannot make test certificates in $CLASP_TEST_CERTS"
    exit 1
fi
C=$CLASP_TEST_CERTS

for tool in "$CLIENT" "$SERVER"; do
    if [ ! -x "$tool" ]; then
        echo "Bail out! $tool not built (set CLASP_BIN)"
        exit 1
    fi
done

have() { command -v "$1" >/dev/null 2>&1; }

# ---- results -----------------------------------------------------------------

CASE_NAME=""
CASE_SLUG=""
CASE_ERRORS=()
CASE_LOGS=()

# case_begin NAME: starts a case; its logs go to $WORK/<NAME as a file name>.*
case_begin() {
    CASE_NAME=$1
    CASE_SLUG=$(printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_')
    CASE_SEQ=0
    CASE_ERRORS=()
    CASE_LOGS=()
    # Until a peer runs, the result variables point at nothing.
    CLI_OUT=$WORK/$CASE_SLUG.none
    CLI_ERR=$WORK/$CASE_SLUG.none
    CLI_RC=99
    SRV_LOG=$WORK/$CASE_SLUG.none
    SRV_RC=99
    SRV_PID=""
    CLI_PID=""
}

# fail_case MESSAGE: records why the current case fails.
fail_case() { CASE_ERRORS+=("$1"); }

# peer_base: a fresh log file prefix for the next peer run in this case.
peer_base() {
    CASE_SEQ=$((CASE_SEQ + 1))
    PEER_BASE=$WORK/$CASE_SLUG.$CASE_SEQ
}

# add_log FILE...: logs shown when the case fails.
add_log() { CASE_LOGS+=("$@"); }

# expect_in FILE REGEX: FILE has a line matching the extended REGEX.
expect_in() {
    if ! grep -Eq -- "$2" "$1" 2>/dev/null; then
        fail_case "expected /$2/ in $(basename "$1")"
    fi
}

# expect_not_in FILE REGEX: no line of FILE matches.
expect_not_in() {
    if grep -Eq -- "$2" "$1" 2>/dev/null; then
        fail_case "unexpected /$2/ in $(basename "$1")"
    fi
}

# expect_rc WHAT GOT WANT: WANT is a number or "nonzero".
expect_rc() {
    local what=$1 got=$2 want=$3
    if [ "$want" = nonzero ]; then
        if [ "$got" -eq 0 ]; then
            fail_case "$what exited 0, expected failure"
        fi
    elif [ "$got" -ne "$want" ]; then
        fail_case "$what exited $got, expected $want"
    fi
}

show_logs() {
    local f
    for f in "${CASE_LOGS[@]}"; do
        [ -f "$f" ] || continue
        echo "#   --- $(basename "$f")"
        sed -e 's/^/#   /' "$f" | head -60
    done
}

# case_end: prints "ok - NAME" or "not ok - NAME" with the reasons and logs.
case_end() {
    local e
    if [ ${#CASE_ERRORS[@]} -eq 0 ]; then
        PASSED=$((PASSED + 1))
        echo "ok - $CASE_NAME"
        if [ "${INTEROP_VERBOSE:-0}" = 1 ]; then
            show_logs
        fi
    else
        FAILED=$((FAILED + 1))
        echo "not ok - $CASE_NAME"
        for e in "${CASE_ERRORS[@]}"; do
            echo "#   $e"
        done
        show_logs
    fi
}

# skip NAME REASON
skip() {
    SKIPPED=$((SKIPPED + 1))
    echo "ok - $1 # SKIP $2"
}

finish() {
    local skipped=""
    if [ "$SKIPPED" -gt 0 ]; then
        skipped=", $SKIPPED skipped"
    fi
    echo "$PASSED passed, $FAILED failed$skipped"
    [ "$FAILED" -eq 0 ]
    exit $?
}

# ---- processes ---------------------------------------------------------------

# over_budget: true (and the case fails) once the script's time is spent.
over_budget() {
    if [ "$SECONDS" -ge "$BUDGET" ]; then
        fail_case "time budget of ${BUDGET}s for this script exhausted; peer not started"
        return 0
    fi
    return 1
}

# start_bg LOG CMD...: runs CMD in the background (stdin /dev/null, stdout and
# stderr to LOG) under the timeout; sets BG_PID.
start_bg() {
    local log=$1
    shift
    timeout "$((T * 3))" "$@" </dev/null >"$log" 2>&1 &
    BG_PID=$!
    BG_PIDS+=("$BG_PID")
}

# wait_bg PID [SECONDS]: waits for a background peer and sets WAIT_RC to its
# exit status (124 if it had to be killed). Not in a subshell: only the shell
# that started a process can wait for it.
wait_bg() {
    local pid=$1 limit=$(( ${2:-$T} * 20 )) i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt $limit ]; do
        sleep 0.05
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        WAIT_RC=124
        return
    fi
    wait "$pid" 2>/dev/null
    WAIT_RC=$?
}

# stop_bg PID: kills a peer that serves forever.
stop_bg() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# wait_accept LOG: waits for an "ACCEPT host:port" line (s_server, clasp-server)
# and prints the port.
wait_accept() {
    local log=$1 i port
    for i in $(seq 1 100); do
        port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' "$log" 2>/dev/null | head -1)
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# is_listening PORT: some socket listens on 127.0.0.1/any on PORT (no connection made).
is_listening() {
    local hex
    hex=$(printf ':%04X ' "$1")
    grep -qs -- "$hex.* 0A " /proc/net/tcp /proc/net/tcp6
}

# free_port: a port nothing listens on (for peers that cannot pick their own).
free_port() {
    local p
    while :; do
        p=$(( 20000 + RANDOM % 40000 ))
        if ! is_listening "$p"; then
            echo "$p"
            return
        fi
    done
}

# wait_listening PORT PID: waits until PORT listens, or PID died.
wait_listening() {
    local i
    for i in $(seq 1 100); do
        if is_listening "$1"; then
            return 0
        fi
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# ---- peers -------------------------------------------------------------------

# start_clasp_server ARGS...: clasp-server on a free port, one connection.
# Sets SRV_PID, SRV_PORT, SRV_LOG.
start_clasp_server() {
    over_budget && return 1
    peer_base
    SRV_LOG=$PEER_BASE.clasp-server.log
    add_log "$SRV_LOG"
    start_bg "$SRV_LOG" "$SERVER" -accept 127.0.0.1:0 -naccept 1 "$@"
    SRV_PID=$BG_PID
    if ! SRV_PORT=$(wait_accept "$SRV_LOG"); then
        fail_case "clasp-server did not start"
        return 1
    fi
}

# start_openssl_server ARGS...: openssl s_server for one connection.
# Sets SRV_PID, SRV_PORT, SRV_LOG.
start_openssl_server() {
    over_budget && return 1
    peer_base
    SRV_LOG=$PEER_BASE.s_server.log
    add_log "$SRV_LOG"
    start_bg "$SRV_LOG" openssl s_server -accept 127.0.0.1:0 -naccept 1 -ign_eof "$@"
    SRV_PID=$BG_PID
    if ! SRV_PORT=$(wait_accept "$SRV_LOG"); then
        fail_case "openssl s_server did not start"
        return 1
    fi
}

# run_clasp_client INPUT ARGS...: clasp-client to 127.0.0.1:$SRV_PORT with
# INPUT (printf %b escapes) on stdin. Sets CLI_OUT (stdout), CLI_ERR (stderr), CLI_RC.
run_clasp_client() {
    local input=$1
    shift
    over_budget && return 1
    peer_base
    CLI_OUT=$PEER_BASE.clasp-client.out
    CLI_ERR=$PEER_BASE.clasp-client.err
    add_log "$CLI_OUT" "$CLI_ERR"
    printf '%b' "$input" | timeout "$T" "$CLIENT" -connect "127.0.0.1:$SRV_PORT" "$@" \
        >"$CLI_OUT" 2>"$CLI_ERR"
    CLI_RC=$?
}

# run_openssl_client INPUT ARGS...: openssl s_client with INPUT on stdin.
# Sets CLI_OUT/ERR/RC.
run_openssl_client() {
    local input=$1
    shift
    over_budget && return 1
    peer_base
    CLI_OUT=$PEER_BASE.s_client.out
    CLI_ERR=$PEER_BASE.s_client.err
    add_log "$CLI_OUT" "$CLI_ERR"
    printf '%b' "$input" | timeout "$T" openssl s_client -connect "127.0.0.1:$SRV_PORT" "$@" \
        >"$CLI_OUT" 2>"$CLI_ERR"
    CLI_RC=$?
}

# server_done: waits for the one-connection server; sets SRV_RC. The client
# has finished by now, so a server still running after a few seconds hangs.
server_done() {
    [ -n "$SRV_PID" ] || return 1
    wait_bg "$SRV_PID" 2
    SRV_RC=$WAIT_RC
}

# The lines every TLS 1.3 clasp summary has after a good handshake.
expect_tls13_summary() {
    expect_in "$1" '^Protocol version: TLSv1\.3$'
    expect_in "$1" '^Handshake time: [0-9]+ us$'
}

# ---- interactive clients -------------------------------------------------------
#
# For peers that must see their input arrive in steps (s_client commands such
# as "K", data that has to be echoed before stdin closes): the client reads a
# fifo held open on fd 3, the script writes to it and waits for output.

# session_start NAME CMD...: starts CMD with stdin from the fifo, stdout and
# stderr to files named after NAME; sets CLI_PID, CLI_OUT, CLI_ERR.
session_start() {
    local fifo
    CLI_PID=""
    over_budget && return 1
    peer_base
    fifo=$PEER_BASE.fifo
    CLI_OUT=$PEER_BASE.$1.out
    CLI_ERR=$PEER_BASE.$1.err
    shift
    add_log "$CLI_OUT" "$CLI_ERR"
    rm -f "$fifo"
    mkfifo "$fifo"
    timeout "$T" "$@" <"$fifo" >"$CLI_OUT" 2>"$CLI_ERR" &
    CLI_PID=$!
    BG_PIDS+=("$CLI_PID")
    exec 3>"$fifo"
}

# session_send TEXT: writes TEXT (printf %b escapes) to the client's stdin.
session_send() {
    [ -n "$CLI_PID" ] || return 1
    ( trap '' PIPE; printf '%b' "$1" >&3 ) 2>/dev/null
}

# session_wait FILE REGEX: waits (up to $WAIT_T s) until FILE matches, or the
# client or the server has exited. Returns 1 on timeout or exit without a match.
session_wait() {
    local i
    [ -n "$CLI_PID" ] || return 1
    for i in $(seq 1 $((WAIT_T * 50))); do
        if grep -Eq -- "$2" "$1" 2>/dev/null; then
            return 0
        fi
        kill -0 "$CLI_PID" 2>/dev/null || break
        kill -0 "${SRV_PID:-$CLI_PID}" 2>/dev/null || break
        sleep 0.02
    done
    grep -Eq -- "$2" "$1" 2>/dev/null
}

# session_end: closes the client's stdin and waits (briefly: it has nothing
# left to do but close) for it to exit; sets CLI_RC.
session_end() {
    [ -n "$CLI_PID" ] || return 1
    exec 3>&-
    wait_bg "$CLI_PID" 2
    CLI_RC=$WAIT_RC
}
