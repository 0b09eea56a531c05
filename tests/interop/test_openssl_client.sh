#!/usr/bin/env bash
# Clasp as the TLS 1.3 server (clasp-server) against `openssl s_client`.
#
# Every good case sends a line through s_client and waits for clasp-server's
# echo before closing, so application data goes both ways.
source "$(dirname "$0")/lib.sh"

SUITES="TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256"
GROUPS_="X25519 P-256 P-384"
S_CLIENT_ARGS=(-brief -CAfile "$C/ca.pem" -verify_return_error -verify_hostname localhost)

# start_pair NAME [clasp-server args...] -- [s_client args...]
# Starts clasp-server (ECDSA P-256 unless -cert comes first, -msg on) and an
# interactive s_client; the caller sends input and calls end_pair.
start_pair() {
    local name=$1
    local -a sargs=() cargs=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        sargs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    cargs=("$@")
    case " ${cargs[*]} " in
        *" -servername "* | *" -noservername "*) ;;
        *) cargs+=(-servername localhost) ;;
    esac
    case_begin "$name"
    if [ ${#sargs[@]} -eq 0 ] || [ "${sargs[0]}" != -cert ]; then
        sargs=(-cert "$C/ecdsa-p256.pem" -key "$C/ecdsa-p256.key" "${sargs[@]}")
    fi
    if ! start_clasp_server -msg "${sargs[@]}"; then
        return 1
    fi
    session_start s_client openssl s_client -connect "127.0.0.1:$SRV_PORT" "${S_CLIENT_ARGS[@]}" "${cargs[@]}"
}

end_pair() {
    session_end
    server_done
}

# pair NAME ARGS...: start_pair, send "hello", wait for the echo, end_pair.
pair() {
    if start_pair "$@"; then
        session_send 'hello\n'
        session_wait "$CLI_OUT" '^hello$'
    fi
    end_pair
}

# A successful TLS 1.3 connection with data both ways, seen from both ends.
expect_good() {
    expect_rc s_client "$CLI_RC" 0
    expect_rc clasp-server "$SRV_RC" 0
    expect_in "$CLI_ERR" '^Protocol version: TLSv1\.3$'
    expect_in "$CLI_ERR" '^Verification: OK$'
    expect_in "$CLI_OUT" '^hello$'
    expect_tls13_summary "$SRV_LOG"
    expect_in "$SRV_LOG" '^CONNECTION CLOSED$'
}

# ---- cipher suites (X25519, ECDSA P-256) ---------------------------------------
for suite in $SUITES; do
    pair "suite $suite" -- -ciphersuites "$suite"
    expect_good
    expect_in "$CLI_ERR" "^Ciphersuite: $suite\$"
    expect_in "$SRV_LOG" "^Ciphersuite: $suite\$"
    case_end
done

# ---- key exchange groups (AES-128-GCM, ECDSA P-256) ----------------------------
for group in $GROUPS_; do
    pair "group $group" -- -groups "$group" -ciphersuites TLS_AES_128_GCM_SHA256
    expect_good
    expect_in "$SRV_LOG" "^Negotiated group: $group\$"
    case_end
done

# ---- certificate types (AES-128-GCM, X25519) -------------------------------------
for spec in ecdsa-p256:ECDSA ecdsa-p384:ECDSA rsa-2048:RSA-PSS rsa-4096:RSA-PSS ed25519:ed25519; do
    leaf=${spec%%:*}
    sigtype=${spec#*:}
    pair "certificate $leaf" -cert "$C/$leaf.pem" -key "$C/$leaf.key" -- \
        -groups X25519 -ciphersuites TLS_AES_128_GCM_SHA256
    expect_good
    expect_in "$CLI_ERR" "^Signature type: $sigtype\$"
    case_end
done

# ---- HelloRetryRequest -------------------------------------------------------------
# s_client sends a key share for its first group only (P-256); the server
# accepts X25519 only, so it must ask again (RFC 9846 §4.2.4).
pair "HelloRetryRequest (client shares P-256, server accepts X25519 only)" -groups X25519 -- \
    -groups P-256:X25519
expect_good
expect_in "$SRV_LOG" '^>>> Handshake HelloRetryRequest'
expect_in "$SRV_LOG" '^Negotiated group: X25519$'
case_end

# The server prefers X25519 but also accepts P-256, which the client shared:
# it may take P-256 at once or insist on X25519 with a HelloRetryRequest.
pair "HelloRetryRequest or not (client shares P-256, server prefers X25519)" \
    -groups X25519:P-256 -- -groups P-256:X25519
expect_good
if grep -q '^>>> Handshake HelloRetryRequest' "$SRV_LOG" 2>/dev/null; then
    expect_in "$SRV_LOG" '^Negotiated group: X25519$'
else
    expect_in "$SRV_LOG" '^Negotiated group: P-256$'
fi
case_end

# ---- ALPN ------------------------------------------------------------------------
pair "ALPN: server preference http/1.1 wins over client's h2" -alpn http/1.1,h2 -- \
    -alpn h2,http/1.1
expect_good
expect_in "$SRV_LOG" '^ALPN protocol: http/1.1$'
case_end

pair "ALPN: no common protocol, server goes on without ALPN" -alpn h2 -- -alpn foo
expect_good
expect_in "$SRV_LOG" '^ALPN protocol: none$'
case_end

# ---- SNI -------------------------------------------------------------------------
pair "SNI: server sees localhost" -servername localhost -servername_fatal --
expect_good
expect_in "$SRV_LOG" '^Server name: localhost$'
case_end

pair "SNI: no server name sent" -- -noservername
expect_good
expect_in "$SRV_LOG" '^Server name: none$'
case_end

pair "SNI: other.example refused with unrecognized_name" -servername localhost \
    -servername_fatal -- -servername other.example -verify_hostname other.example
expect_rc s_client "$CLI_RC" nonzero
expect_rc clasp-server "$SRV_RC" nonzero
expect_in "$CLI_ERR" 'unrecognized name'
expect_in "$SRV_LOG" '^SNI mismatch'
case_end

# ---- KeyUpdate ---------------------------------------------------------------------
# s_client's "K" command sends KeyUpdate(update_requested), "k" update_not_requested.
if start_pair "KeyUpdate from s_client, update_requested (K)" --; then
    session_wait "$CLI_ERR" '^Verification: OK$' &&
        session_send 'K\n' &&
        session_wait "$CLI_ERR" '^KEYUPDATE$' &&
        session_send 'hello\n' &&
        session_wait "$CLI_OUT" '^hello$'
fi
end_pair
expect_good
expect_in "$SRV_LOG" '^<<< Handshake KeyUpdate'
expect_in "$SRV_LOG" '^>>> Handshake KeyUpdate'
case_end

if start_pair "KeyUpdate from s_client, update_not_requested (k)" --; then
    session_wait "$CLI_ERR" '^Verification: OK$' &&
        session_send 'k\n' &&
        session_wait "$CLI_ERR" '^KEYUPDATE$' &&
        session_send 'hello\n' &&
        session_wait "$CLI_OUT" '^hello$'
fi
end_pair
expect_good
expect_in "$SRV_LOG" '^<<< Handshake KeyUpdate'
expect_not_in "$SRV_LOG" '^>>> Handshake KeyUpdate'
case_end

# ---- data ------------------------------------------------------------------------
if start_pair "data: 256 KiB echoed intact" -- -nocommands; then
    head -c 196608 /dev/urandom | base64 -w 76 > "$WORK/$CASE_SLUG.data"
    session_send "$(cat "$WORK/$CASE_SLUG.data")\nEND\n"
    session_wait "$CLI_OUT" '^END$'
fi
end_pair
expect_good_data() {
    expect_rc s_client "$CLI_RC" 0
    if ! grep -vxF END "$CLI_OUT" 2>/dev/null | cmp -s - "$WORK/$CASE_SLUG.data"; then
        fail_case "echoed data differs from what was sent"
    fi
}
expect_good_data
case_end

case_begin "HTTP status page (-www)"
if start_clasp_server -cert "$C/ecdsa-p256.pem" -key "$C/ecdsa-p256.key" -www -alpn http/1.1; then
    run_openssl_client 'GET / HTTP/1.0\r\n\r\n' "${S_CLIENT_ARGS[@]}" -servername localhost \
        -ign_eof -alpn http/1.1
    server_done
fi
expect_rc s_client "$CLI_RC" 0
expect_rc clasp-server "$SRV_RC" 0
expect_in "$CLI_OUT" '^HTTP/1.0 200 OK'
expect_in "$CLI_OUT" '^Protocol version: TLSv1\.3'
expect_in "$CLI_OUT" '^ALPN protocol: http/1.1'
expect_in "$CLI_OUT" '^Server name: localhost'
case_end

# ---- client certificates -----------------------------------------------------------
pair "client certificate requested and verified" -Verify 1 -CAfile "$C/ca.pem" -- \
    -cert "$C/client.crt" -key "$C/client.key" -cert_chain "$C/intermediate.pem"
expect_good
expect_in "$SRV_LOG" '^Peer certificate: .*CN = clasp-test-client'
expect_in "$SRV_LOG" '^Verification: OK$'
case_end

pair "client certificate required but not sent" -Verify 1 -CAfile "$C/ca.pem" --
expect_rc clasp-server "$SRV_RC" nonzero
expect_in "$SRV_LOG" '^ERROR: connection 1 failed'
expect_not_in "$CLI_OUT" '^hello$'
case_end

# ---- failures the server survives ----------------------------------------------------
case_begin "server survives a bare TCP close, garbage and a failed handshake"
if start_clasp_server -cert "$C/ecdsa-p256.pem" -key "$C/ecdsa-p256.key" -naccept 4; then
    timeout "$T" bash -c "exec 3<>/dev/tcp/127.0.0.1/$SRV_PORT" 2>/dev/null
    timeout "$T" bash -c "exec 3<>/dev/tcp/127.0.0.1/$SRV_PORT; \
        printf 'GET / HTTP/1.0\r\n\r\n' >&3; cat <&3 >/dev/null" 2>/dev/null
    # A client that verifies and rejects the certificate for another name.
    run_openssl_client '' "${S_CLIENT_ARGS[@]/localhost/wrong.example}"
    run_openssl_client 'hello\n' "${S_CLIENT_ARGS[@]}" -servername localhost
    server_done
fi
expect_rc clasp-server "$SRV_RC" nonzero
expect_in "$SRV_LOG" '^ERROR: connection 1 failed'
expect_in "$SRV_LOG" '^ERROR: connection 2 failed'
expect_in "$SRV_LOG" '^ERROR: connection 3 failed'
expect_not_in "$SRV_LOG" '^ERROR: connection 4 failed'
expect_in "$CLI_ERR" '^Verification: OK$'
case_end

# ---- resumption (RFC 9846 §4.3.11): a ticket saved by s_client -sess_out and
# offered again with -sess_in resumes (PSK with (EC)DHE, no Certificate). -----
case_begin "TLS 1.3 resumption (s_client -sess_out, then -sess_in)"
if start_clasp_server -msg -cert "$C/ecdsa-p256.pem" -key "$C/ecdsa-p256.key" -naccept 2; then
    SESS=$PEER_BASE.session.pem
    # Without -brief: s_client reports "New," or "Reused,".  The echo comes
    # after the tickets, so the session is saved by the time it arrives.
    session_start s_client1 openssl s_client -connect "127.0.0.1:$SRV_PORT" -CAfile "$C/ca.pem" \
        -verify_return_error -servername localhost -sess_out "$SESS"
    session_send 'hello\n'
    session_wait "$CLI_OUT" '^hello$'
    session_end
    expect_in "$CLI_OUT" '^New, TLSv1\.3'
    session_start s_client2 openssl s_client -connect "127.0.0.1:$SRV_PORT" -CAfile "$C/ca.pem" \
        -verify_return_error -servername localhost -sess_in "$SESS"
    session_send 'hello\n'
    session_wait "$CLI_OUT" '^hello$'
    session_end
    expect_in "$CLI_OUT" '^Reused, TLSv1\.3'
    expect_in "$CLI_OUT" '^hello$'
    server_done
    # Two tickets after the full handshake, one after the resumption.
    [ "$(grep -c 'NewSessionTicket' "$SRV_LOG")" -ge 3 ] || fail_case "expected 3 NewSessionTickets in $SRV_LOG"
fi
case_end

finish
