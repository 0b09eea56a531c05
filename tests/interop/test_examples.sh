#!/usr/bin/env bash
# The reference programs in examples/ (issue #3) against real peers on 127.0.0.1, and a
# differential test: each example is also built here against the system libssl (the same
# source, OpenSSL's headers, -lssl) and both builds must print the same thing against the
# same peer. Only what must differ is normalised (the server's port). Any other difference is
# a Clasp bug or a deviation documented in docs/handshake.md.
#
#   blocking_client, nonblocking_client, bio_pair_client   against `openssl s_server -rev`
#   bio_pair_server                                        against `openssl s_client`
#   bio_pair_client <-> bio_pair_server                    all four build combinations
#
# Environment (tests/interop/lib.sh): CLASP_BIN holds the example-* binaries CMake built,
# CLASP_TEST_CERTS the test PKI; CC the compiler for the system-libssl builds (default cc).
source "$(dirname "$0")/lib.sh"

# stdbuf works by LD_PRELOAD, which puts its library ahead of the ASan runtime
# in the sanitizer build; ASan then refuses to start unless told that is fine.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

CLIENTS="blocking_client nonblocking_client bio_pair_client"
EXAMPLES="$CLIENTS bio_pair_server"

# ---- the two builds ------------------------------------------------------------------------

# clasp_bin NAME / ossl_bin NAME: the example built by CMake / built here on the system libssl.
clasp_bin() { echo "$CLASP_BIN/example-$1"; }
ossl_bin() { echo "$WORK/$1-openssl"; }

for name in $EXAMPLES; do
    if [ ! -x "$(clasp_bin "$name")" ]; then
        echo "Bail out! $(clasp_bin "$name") not built"
        exit 1
    fi
    # No include path of ours: <openssl/ssl.h> is the system's.
    if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -o "$(ossl_bin "$name")" \
        "$REPO_DIR/examples/$name.c" -lssl -lcrypto 2>"$WORK/$name.cc.log"; then
        echo "Bail out! cannot build examples/$name.c against the system libssl"
        cat "$WORK/$name.cc.log"
        exit 1
    fi
done

# ---- helpers ---------------------------------------------------------------------------------

# server_args LEAF: s_server's certificate arguments (-cert reads one certificate only).
server_args() {
    SARGS=(-rev -cert "$C/$1.crt" -key "$C/$1.key" -cert_chain "$C/intermediate.pem")
}

# start_rev_server ARGS...: `openssl s_server -rev` for one connection. Not lib.sh's
# start_openssl_server: its -ign_eof makes -rev ignore the "CLOSE" line the clients end with.
start_rev_server() {
    over_budget && return 1
    peer_base
    SRV_LOG=$PEER_BASE.s_server.log
    add_log "$SRV_LOG"
    start_bg "$SRV_LOG" openssl s_server -accept 127.0.0.1:0 -naccept 1 "$@"
    SRV_PID=$BG_PID
    if ! SRV_PORT=$(wait_accept "$SRV_LOG"); then
        fail_case "openssl s_server did not start"
        return 1
    fi
}

# run_example_client BIN OUT ARGS...: one client run against $SRV_PORT; sets CLI_RC.
run_example_client() {
    local bin=$1 out=$2
    shift 2
    add_log "$out" "$out.err"
    # Line-buffered, so that a run cut short by the timeout still shows how far it got.
    timeout "$T" stdbuf -oL "$bin" localhost "$SRV_PORT" "$C/ca.pem" "$@" >"$out" 2>"$out.err"
    CLI_RC=$?
}

# normalise FILE: what may differ between two runs (the port a server got), and the
# deviations docs/handshake.md lists that a peer can print: the EC point formats a TLS 1.2
# server offers (Clasp: uncompressed only, RFC 8422 §5.1.2; OpenSSL adds the two deprecated
# compressed formats).
normalise() {
    sed -e 's/^ACCEPT 127\.0\.0\.1:[0-9]*$/ACCEPT 127.0.0.1:PORT/' \
        -e 's/^\(Supported Elliptic Curve Point Formats: uncompressed\).*/\1/' "$1"
}

# expect_same WHAT FILE_CLASP FILE_OPENSSL: the differential check.
expect_same() {
    local d=$WORK/$CASE_SLUG.$CASE_SEQ.diff
    if ! diff <(normalise "$3") <(normalise "$2") >"$d"; then
        add_log "$d"
        fail_case "$1: the Clasp build printed something else than the OpenSSL build (diff)"
    fi
}

# client_pair NAME EXAMPLE LEAF S_SERVER_ARGS -- CLIENT_ARGS: runs the Clasp build and the
# OpenSSL build of a client example against two s_servers started the same way. Leaves the
# Clasp run's output in OUT_C (rc RC_C) and the OpenSSL run's in OUT_O (RC_O).
client_pair() {
    local name=$1 example=$2 leaf=$3
    local -a sargs=() cargs=()
    shift 3
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        sargs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    cargs=("$@")
    case_begin "$example: $name"
    server_args "$leaf"
    OUT_C=$WORK/$CASE_SLUG.clasp.out
    OUT_O=$WORK/$CASE_SLUG.openssl.out
    RC_C=99
    RC_O=99
    start_rev_server "${SARGS[@]}" "${sargs[@]}" || return 1
    run_example_client "$(clasp_bin "$example")" "$OUT_C" "${cargs[@]}"
    RC_C=$CLI_RC
    server_done
    start_rev_server "${SARGS[@]}" "${sargs[@]}" || return 1
    run_example_client "$(ossl_bin "$example")" "$OUT_O" "${cargs[@]}"
    RC_O=$CLI_RC
    server_done
    expect_same "$example" "$OUT_C" "$OUT_O"
}

# The lines every good client run prints (version, then the echoed lines).
expect_good_client() {
    expect_rc "Clasp build" "$RC_C" 0
    expect_rc "OpenSSL build" "$RC_O" 0
    expect_in "$OUT_C" "^Protocol: $1\$"
    expect_in "$OUT_C" '^Server: /O=Clasp test/CN=localhost$'
    expect_in "$OUT_C" '^Verification: ok$'
    expect_in "$OUT_C" '^olleh$'
    expect_in "$OUT_C" '^dlrow$'
    expect_in "$OUT_C" '^Closed: close_notify$'
}

# ---- TLS 1.2: run those cases only if the Clasp build can do it (issue #4) ------------------

TLS12=1
case_begin "probe"
server_args ecdsa-p256
if start_rev_server "${SARGS[@]}" -tls1_2; then
    run_example_client "$(clasp_bin blocking_client)" "$WORK/probe12.out" CLOSE
    server_done
    grep -q '^Protocol: TLSv1.2$' "$WORK/probe12.out" || TLS12=0
fi

# ---- the client examples against s_server ----------------------------------------------------

for example in $CLIENTS; do
    client_pair "TLS 1.3" "$example" ecdsa-p256 -- hello world CLOSE
    expect_good_client TLSv1.3
    expect_in "$OUT_C" '^Cipher: TLS_AES_256_GCM_SHA384$'
    case_end

    # The client's only key share (X25519) is not what the server wants: a HelloRetryRequest.
    client_pair "HelloRetryRequest" "$example" ed25519 -groups P-256 -- hello world CLOSE
    expect_good_client TLSv1.3
    case_end

    if [ "$TLS12" = 1 ]; then
        client_pair "TLS 1.2" "$example" rsa-2048 -tls1_2 -- hello world CLOSE
        expect_good_client TLSv1.2
        expect_in "$OUT_C" '^Cipher: ECDHE-RSA-AES256-GCM-SHA384$'
        case_end
    else
        skip "$example: TLS 1.2" "TLS 1.2 not supported by the library under test (issue #4)"
    fi

    # Verification fails: the handshake fails, nothing is sent.
    client_pair "wrong host name" "$example" wronghost -- hello CLOSE
    expect_rc "Clasp build" "$RC_C" nonzero
    expect_rc "OpenSSL build" "$RC_O" nonzero
    expect_in "$OUT_C" 'hostname mismatch'
    expect_not_in "$OUT_C" '^olleh$'
    case_end

    client_pair "expired certificate" "$example" expired -- hello CLOSE
    expect_rc "Clasp build" "$RC_C" nonzero
    expect_in "$OUT_C" 'certificate has expired'
    case_end
done

# ---- the server example against s_client -----------------------------------------------------

# server_run BIN TAG S_CLIENT_ARGS...: the example server with one s_client session that sends
# two lines, waits for both answers and closes stdin (s_client then sends close_notify).
# Sets SRV_OUT_<TAG>, CLI_OUT_<TAG>, CLI_ERR_<TAG>.
server_run() {
    local bin=$1 tag=$2 srv_log
    shift 2
    over_budget && return 1
    peer_base
    srv_log=$PEER_BASE.$tag.server
    add_log "$srv_log"
    start_bg "$srv_log" stdbuf -oL "$bin" 0 "$C/ecdsa-p256.pem" "$C/ecdsa-p256.key"
    SRV_PID=$BG_PID
    SRV_LOG=$srv_log
    if ! SRV_PORT=$(wait_accept "$srv_log"); then
        fail_case "$tag server did not start"
        return 1
    fi
    session_start "$tag.s_client" openssl s_client -connect "127.0.0.1:$SRV_PORT" -brief \
        -CAfile "$C/ca.pem" -servername localhost "$@"
    session_send "$LINES"
    session_wait "$CLI_OUT" "$WAIT_FOR" || fail_case "$tag: no answer from the server"
    if [ "$CLIENT_EXITS" = 1 ]; then
        # The server closes: s_client ends by itself. Closing its stdin first would race
        # with the server's close_notify (s_client then says "DONE" or not).
        wait_bg "$CLI_PID" "$WAIT_T"
        [ "$WAIT_RC" = 0 ] || fail_case "$tag: s_client did not end after the server closed"
    fi
    session_end
    server_done
    printf -v "SRV_OUT_$tag" '%s' "$srv_log"
    printf -v "CLI_OUT_$tag" '%s' "$CLI_OUT"
    printf -v "CLI_ERR_$tag" '%s' "$CLI_ERR"
}

# server_pair NAME S_CLIENT_ARGS...: the Clasp and the OpenSSL build of the server example.
server_pair() {
    case_begin "bio_pair_server: $1"
    shift
    server_run "$(clasp_bin bio_pair_server)" clasp "$@"
    expect_rc "Clasp build" "$SRV_RC" 0
    server_run "$(ossl_bin bio_pair_server)" openssl "$@"
    expect_rc "OpenSSL build" "$SRV_RC" 0
    expect_same "server output" "$SRV_OUT_clasp" "$SRV_OUT_openssl"
    expect_same "s_client output" "$CLI_OUT_clasp" "$CLI_OUT_openssl"
    # s_client -brief's summary (stderr): version, suite, certificate, key exchange.
    expect_same "s_client summary" "$CLI_ERR_clasp" "$CLI_ERR_openssl"
}

LINES='hello\nworld\n'
WAIT_FOR='^dlrow$'
CLIENT_EXITS=0
server_pair "TLS 1.3, the client closes"
expect_in "$SRV_OUT_clasp" '^Protocol: TLSv1\.3$'
expect_in "$SRV_OUT_clasp" '^Received: world$'
expect_in "$SRV_OUT_clasp" '^Closed: close_notify$'
expect_in "$SRV_OUT_clasp" '^Shutdown: complete$'
expect_in "$CLI_OUT_clasp" '^olleh$'
expect_in "$CLI_ERR_clasp" '^Verification: OK$'
case_end

if [ "$TLS12" = 1 ]; then
    server_pair "TLS 1.2, the client closes" -tls1_2
    expect_in "$SRV_OUT_clasp" '^Protocol: TLSv1\.2$'
    expect_in "$SRV_OUT_clasp" '^Closed: close_notify$'
    expect_in "$CLI_OUT_clasp" '^dlrow$'
    case_end
else
    skip "bio_pair_server: TLS 1.2" "TLS 1.2 not supported by the library under test (issue #4)"
fi

LINES='hello\nCLOSE\n'
WAIT_FOR='^olleh$'
CLIENT_EXITS=1
server_pair "the server closes first"
expect_in "$SRV_OUT_clasp" '^Closing$'
expect_in "$SRV_OUT_clasp" '^Shutdown: complete$'
case_end

# ---- the BIO-pair examples with each other: every combination of builds ---------------------

ex_pair() {
    local client=$1 server=$2 tag=$3
    local srv_log=$WORK/$CASE_SLUG.$tag.server out=$WORK/$CASE_SLUG.$tag.client
    add_log "$srv_log"
    start_bg "$srv_log" stdbuf -oL "$server" 0 "$C/ecdsa-p256.pem" "$C/ecdsa-p256.key"
    SRV_PID=$BG_PID
    if ! SRV_PORT=$(wait_accept "$srv_log"); then
        fail_case "$tag: server did not start"
        return 1
    fi
    run_example_client "$client" "$out" one two CLOSE
    expect_rc "$tag client" "$CLI_RC" 0
    server_done
    expect_rc "$tag server" "$SRV_RC" 0
    cat "$out" "$srv_log" >"$WORK/$CASE_SLUG.$tag.both"
}

case_begin "bio_pair_client <-> bio_pair_server, all builds"
ex_pair "$(ossl_bin bio_pair_client)" "$(ossl_bin bio_pair_server)" oo
ex_pair "$(clasp_bin bio_pair_client)" "$(ossl_bin bio_pair_server)" co
ex_pair "$(ossl_bin bio_pair_client)" "$(clasp_bin bio_pair_server)" oc
ex_pair "$(clasp_bin bio_pair_client)" "$(clasp_bin bio_pair_server)" cc
for tag in co oc cc; do
    expect_same "$tag" "$WORK/$CASE_SLUG.$tag.both" "$WORK/$CASE_SLUG.oo.both"
done
expect_in "$WORK/$CASE_SLUG.cc.both" '^owt$'
expect_in "$WORK/$CASE_SLUG.cc.both" '^Closing$'
case_end

finish
