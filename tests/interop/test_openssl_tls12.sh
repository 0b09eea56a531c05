#!/usr/bin/env bash
# TLS 1.2 against OpenSSL, both directions:
#   clasp-client -> openssl s_server -rev  (the line comes back reversed)
#   openssl s_client -> clasp-server       (the line comes back as sent)
source "$(dirname "$0")/lib.sh"

# suite:certificate pairs; ECDHE only (the suites TLS 1.2 peers still use).
SUITES12="ECDHE-ECDSA-AES128-GCM-SHA256:ecdsa-p256 ECDHE-ECDSA-AES256-GCM-SHA384:ecdsa-p384
ECDHE-ECDSA-CHACHA20-POLY1305:ecdsa-p256 ECDHE-RSA-AES128-GCM-SHA256:rsa-2048
ECDHE-RSA-AES256-GCM-SHA384:rsa-2048 ECDHE-RSA-CHACHA20-POLY1305:rsa-2048"

# ---- clasp-client -> s_server ---------------------------------------------------

# to_openssl NAME LEAF [s_server args...] -- [clasp-client args...]
to_openssl() {
    local name=$1 leaf=$2
    local -a sargs=() cargs=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        sargs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    cargs=("$@")
    case_begin "clasp-client -> s_server: $name"
    if start_openssl_server -rev -cert "$C/$leaf.crt" -key "$C/$leaf.key" \
        -cert_chain "$C/intermediate.pem" "${sargs[@]}"; then
        run_clasp_client 'hello\n' -CAfile "$C/ca.pem" -servername localhost "${cargs[@]}"
        server_done
    fi
}

expect_good12_client() {
    expect_rc clasp-client "$CLI_RC" 0
    expect_in "$CLI_ERR" '^Protocol version: TLSv1\.2$'
    expect_in "$CLI_ERR" '^Verification: OK$'
    expect_in "$CLI_OUT" '^olleh$'
}

for spec in $SUITES12; do
    to_openssl "${spec%%:*}" "${spec#*:}" -- -tls1_2 -cipher "${spec%%:*}"
    expect_good12_client
    expect_in "$CLI_ERR" "^Ciphersuite: ${spec%%:*}\$"
    case_end
done

# RSA certificates here: in TLS 1.2 an ECDSA certificate's curve must also be
# among the client's groups (RFC 8422 §5.1.1), which would muddle the group tests.
for group in X25519 P-256 P-384; do
    to_openssl "group $group" rsa-2048 -- -tls1_2 -groups "$group"
    expect_good12_client
    expect_in "$CLI_ERR" "^Negotiated group: $group\$"
    case_end
done

to_openssl "server supports up to TLS 1.2, client up to 1.3" ecdsa-p256 -tls1_2 --
expect_good12_client
case_end

to_openssl "ALPN h2" ecdsa-p256 -alpn h2 -- -tls1_2 -alpn h2,http/1.1
expect_good12_client
expect_in "$CLI_ERR" '^ALPN protocol: h2$'
case_end

to_openssl "wrong host name fails with -verify_return_error" wronghost -- -tls1_2 \
    -verify_return_error
expect_rc clasp-client "$CLI_RC" nonzero
expect_in "$CLI_ERR" '^Verification error: hostname mismatch$'
case_end

# RFC 5077 tickets: the first connection gets one, the 5 reconnections resume
# with the abbreviated handshake (RFC 5246 §7.3: no Certificate).  -naccept 6
# comes after the -naccept 1 of start_openssl_server: the last one counts.
to_openssl "-reconnect resumes 5 times with a session ticket" ecdsa-p256 -naccept 6 -- \
    -tls1_2 -reconnect -msg
expect_good12_client
expect_in "$CLI_ERR" '^New, TLSv1\.2, Cipher is '
expect_in "$CLI_ERR" '^<<< Handshake NewSessionTicket'
if [ "$(grep -c '^Reused, TLSv1\.2, Cipher is ' "$CLI_ERR")" -ne 5 ]; then
    fail_case "expected 5 'Reused, TLSv1.2' lines in $(basename "$CLI_ERR")"
fi
if [ "$(grep -c '^<<< Handshake Certificate' "$CLI_ERR")" -ne 1 ]; then
    fail_case "expected a Certificate on the first connection only"
fi
case_end

# ---- s_client -> clasp-server ---------------------------------------------------

# from_openssl NAME LEAF [clasp-server args...] -- [s_client args...]
from_openssl() {
    local name=$1 leaf=$2
    local -a sargs=() cargs=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        sargs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    cargs=("$@")
    case_begin "s_client -> clasp-server: $name"
    if start_clasp_server -cert "$C/$leaf.pem" -key "$C/$leaf.key" "${sargs[@]}"; then
        session_start s_client openssl s_client -connect "127.0.0.1:$SRV_PORT" -brief \
            -CAfile "$C/ca.pem" -verify_return_error -servername localhost \
            -verify_hostname localhost "${cargs[@]}"
        session_send 'hello\n'
        session_wait "$CLI_OUT" '^hello$'
        session_end
        server_done
    fi
}

expect_good12_server() {
    expect_rc s_client "$CLI_RC" 0
    expect_rc clasp-server "$SRV_RC" 0
    expect_in "$CLI_ERR" '^Protocol version: TLSv1\.2$'
    expect_in "$CLI_ERR" '^Verification: OK$'
    expect_in "$CLI_OUT" '^hello$'
    expect_in "$SRV_LOG" '^Protocol version: TLSv1\.2$'
}

for spec in $SUITES12; do
    from_openssl "${spec%%:*}" "${spec#*:}" -- -tls1_2 -cipher "${spec%%:*}"
    expect_good12_server
    expect_in "$SRV_LOG" "^Ciphersuite: ${spec%%:*}\$"
    case_end
done

for group in X25519 P-256 P-384; do
    from_openssl "group $group" rsa-2048 -- -tls1_2 -groups "$group"
    expect_good12_server
    expect_in "$SRV_LOG" "^Negotiated group: $group\$"
    case_end
done

from_openssl "server limited to TLS 1.2, client up to 1.3" ecdsa-p256 -tls1_2 --
expect_good12_server
case_end

from_openssl "ALPN http/1.1" ecdsa-p256 -alpn http/1.1 -- -tls1_2 -alpn h2,http/1.1
expect_good12_server
expect_in "$SRV_LOG" '^ALPN protocol: http/1.1$'
case_end

# RFC 5077: s_client saves the session with its ticket, then offers it again.
case_begin "s_client -> clasp-server: TLS 1.2 ticket resumption (-sess_out, then -sess_in)"
if start_clasp_server -msg -cert "$C/ecdsa-p256.pem" -key "$C/ecdsa-p256.key" -naccept 2; then
    SESS=$PEER_BASE.session.pem
    # Without -brief: s_client reports "New," or "Reused,".
    for io in "-sess_out" "-sess_in"; do
        session_start s_client openssl s_client -connect "127.0.0.1:$SRV_PORT" -tls1_2 \
            -CAfile "$C/ca.pem" -verify_return_error -servername localhost "$io" "$SESS"
        session_send 'hello\n'
        session_wait "$CLI_OUT" '^hello$'
        session_end
        if [ "$io" = -sess_out ]; then
            expect_in "$CLI_OUT" '^New, TLSv1\.2'
            expect_in "$CLI_OUT" 'TLS session ticket lifetime hint'
        else
            expect_in "$CLI_OUT" '^Reused, TLSv1\.2'
        fi
        expect_in "$CLI_OUT" '^hello$'
    done
    server_done
    # One ticket on the full handshake; the resumption has no Certificate.
    [ "$(grep -c '>>> Handshake NewSessionTicket' "$SRV_LOG")" -eq 1 ] ||
        fail_case "expected 1 NewSessionTicket in $(basename "$SRV_LOG")"
    [ "$(grep -c '>>> Handshake Certificate' "$SRV_LOG")" -eq 1 ] ||
        fail_case "expected a Certificate on the first connection only"
fi
case_end

finish
