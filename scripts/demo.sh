#!/usr/bin/env bash
# demo.sh — three TLS handshakes on 127.0.0.1 and what each negotiated:
#   1. clasp-client      -> clasp-server
#   2. openssl s_client  -> clasp-server
#   3. clasp-client      -> openssl s_server
#
# CLASP_BIN (default build/bin) says where clasp-client and clasp-server are;
# point it at a build with -DCLASP_API_IMPL=openssl to see the same demo on the
# system libssl. Every process started here is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
CLASP_BIN=${CLASP_BIN:-$PWD/build/bin}
CLIENT=$CLASP_BIN/clasp-client
SERVER=$CLASP_BIN/clasp-server
TMP=$(mktemp -d "${TMPDIR:-/tmp}/clasp-demo.XXXXXX")
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

for tool in "$CLIENT" "$SERVER"; do
    if [ ! -x "$tool" ]; then
        echo "demo: $tool is not built (run make, or set CLASP_BIN)" >&2
        exit 1
    fi
done

FIELDS='^(Protocol version|Ciphersuite|Negotiated group|Peer signature type|Signature type|ALPN protocol|Server name|Verification|Verification error|Handshake time):'
GET='GET / HTTP/1.0\r\n\r\n'

# wait_accept LOG: prints the port of the first "ACCEPT host:port" line.
wait_accept() {
    local i port
    for i in $(seq 1 100); do
        port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' "$1" | head -1)
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        sleep 0.05
    done
    echo "demo: server did not start:" >&2
    cat "$1" >&2
    return 1
}

# block N FILE: the summary lines of the Nth handshake in a server log.
block() {
    awk -v n="$1" '/^CONNECTION ESTABLISHED$/ { k++ } k == n' "$2" | grep -E "$FIELDS" || true
}

show() {
    sed 's/^/    /'
}

# fail WHAT FILE...: the step failed; show why.
fail() {
    local f
    echo "demo: $1 failed" >&2
    shift
    for f in "$@"; do
        echo "--- $f" >&2
        cat "$f" >&2
    done
    exit 1
}

echo "Making test certificates in $TMP/certs"
tests/make-certs.sh "$TMP/certs"
C=$TMP/certs

# ---- clasp-server, serving two connections ----------------------------------
timeout 60 "$SERVER" -accept 127.0.0.1:0 -naccept 2 -www -alpn h2,http/1.1 \
    -cert "$C/ecdsa-p256.pem" -key "$C/ecdsa-p256.key" >"$TMP/server.out" 2>"$TMP/server.err" &
PIDS+=($!)
PORT=$(wait_accept "$TMP/server.out")

echo
echo "== 1. clasp-client -> clasp-server (127.0.0.1:$PORT, ECDSA P-256 certificate)"
if ! printf '%b' "$GET" | timeout 10 "$CLIENT" -connect "127.0.0.1:$PORT" -servername localhost \
    -CAfile "$C/ca.pem" -verify_return_error -alpn h2 -brief >"$TMP/c1.out" 2>"$TMP/c1.err"; then
    fail "clasp-client -> clasp-server" "$TMP/c1.err" "$TMP/server.err"
fi
grep -E "$FIELDS" "$TMP/c1.err" | show
echo "    Response: $(head -1 "$TMP/c1.out" | tr -d '\r')"

echo
echo "== 2. openssl s_client -> clasp-server"
if ! printf '%b' "$GET" | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
    -CAfile "$C/ca.pem" -verify_return_error -verify_hostname localhost -alpn http/1.1 \
    -brief -ign_eof >"$TMP/c2.out" 2>"$TMP/c2.err"; then
    fail "openssl s_client -> clasp-server" "$TMP/c2.err" "$TMP/server.err"
fi
echo "  as clasp-server saw it:"
block 2 "$TMP/server.err" | show
echo "  as s_client saw it:"
grep -E '^(Signature type|Verification):' "$TMP/c2.err" | show
echo "    Response: $(head -1 "$TMP/c2.out" | tr -d '\r')"

# ---- openssl s_server --------------------------------------------------------
timeout 60 openssl s_server -accept 127.0.0.1:0 -naccept 1 -www -ign_eof \
    -cert "$C/rsa-2048.crt" -key "$C/rsa-2048.key" -cert_chain "$C/intermediate.pem" \
    </dev/null >"$TMP/s_server.out" 2>&1 &
PIDS+=($!)
PORT=$(wait_accept "$TMP/s_server.out")

echo
echo "== 3. clasp-client -> openssl s_server (127.0.0.1:$PORT, RSA-2048 certificate)"
if ! printf '%b' "$GET" | timeout 10 "$CLIENT" -connect "127.0.0.1:$PORT" -servername localhost \
    -CAfile "$C/ca.pem" -verify_return_error -groups P-256:X25519 -brief \
    >"$TMP/c3.out" 2>"$TMP/c3.err"; then
    fail "clasp-client -> openssl s_server" "$TMP/c3.err" "$TMP/s_server.out"
fi
grep -E "$FIELDS" "$TMP/c3.err" | show
echo "    Response: $(head -1 "$TMP/c3.out" | tr -d '\r')"

echo
echo "Demo done: three handshakes on 127.0.0.1."
