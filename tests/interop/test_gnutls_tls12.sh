#!/usr/bin/env bash
# Clasp against GnuTLS, TLS 1.2 (GnuTLS restricted to it by its priority
# string), both directions:
#   clasp-client -> gnutls-serv --echo
#   gnutls-cli   -> clasp-server (echo)
# Every good case sends a line and expects it echoed.  Also: extended master
# secret on and off, signature schemes TLS 1.2 allows (PKCS#1 v1.5, ECDSA
# with a hash other than the curve's), client certificates, renegotiation
# refused in both directions, CBC / RSA key exchange offers refused.
source "$(dirname "$0")/lib.sh"

TLS12="NORMAL:-VERS-ALL:+VERS-TLS1.2"

# gnutls-serv cannot pick its own port and listens on every address, so each
# case tries a few free ports.  A port taken on IPv4 only (another test run
# got it first) still listens on IPv6: gnutls-serv's "bind() failed" says so.
# Sets SRV_PID, SRV_PORT, SRV_LOG.
start_gnutls_server() {
    local try
    over_budget && return 1
    peer_base
    SRV_LOG=$PEER_BASE.gnutls-serv.log
    add_log "$SRV_LOG"
    for try in 1 2 3 4 5; do
        SRV_PORT=$(free_port)
        start_bg "$SRV_LOG" gnutls-serv --echo -p "$SRV_PORT" "$@"
        SRV_PID=$BG_PID
        if wait_listening "$SRV_PORT" "$SRV_PID" && ! grep -q 'bind() failed' "$SRV_LOG"; then
            return 0
        fi
        stop_bg "$SRV_PID"
    done
    fail_case "gnutls-serv did not start"
    return 1
}

# to_gnutls NAME [gnutls-serv args...] -- [clasp-client args...]
# gnutls-serv with ECDSA P-256 unless --x509certfile comes first, the TLS 1.2
# priority unless --priority is given, and -a (no client certificate
# request) unless -r is given.
to_gnutls() {
    local name=$1
    local -a sargs=() cargs=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        sargs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    cargs=("$@")
    case_begin "gnutls-serv: $name"
    case "${sargs[0]:-}" in
        --x509certfile*) ;;
        *) sargs=(--x509certfile "$C/ecdsa-p256.pem" --x509keyfile "$C/ecdsa-p256.key"
                  "${sargs[@]}") ;;
    esac
    case " ${sargs[*]} " in
        *" -r "*) ;;
        *) sargs+=(-a) ;;
    esac
    case " ${sargs[*]} " in
        *" --priority"*) ;;
        *) sargs+=(--priority "$TLS12") ;;
    esac
    if start_gnutls_server "${sargs[@]}"; then
        run_clasp_client 'hello\n' -CAfile "$C/ca.pem" -servername localhost \
            -verify_return_error "${cargs[@]}"
        stop_bg "$SRV_PID"
    fi
}

expect_good_to_gnutls() {
    expect_rc clasp-client "$CLI_RC" 0
    expect_in "$CLI_ERR" '^Protocol version: TLSv1\.2$'
    expect_in "$CLI_ERR" '^Verification: OK$'
    expect_in "$CLI_OUT" '^hello$'
    expect_in "$SRV_LOG" 'Description: \(TLS1\.2'
    expect_in "$SRV_LOG" 'Options: .*safe renegotiation' # RFC 5746
}

# RFC 7627 in use (GnuTLS reports it per connection).
expect_ems() { expect_in "$1" 'Options: .*extended master secret'; }

# from_gnutls NAME [clasp-server args...] -- [gnutls-cli args...]
# clasp-server with ECDSA P-256 unless -cert comes first; gnutls-cli with the
# TLS 1.2 priority unless --priority is given.
from_gnutls() {
    local name=$1
    local -a sargs=() cargs=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        sargs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    cargs=("$@")
    case_begin "gnutls-cli: $name"
    if [ ${#sargs[@]} -eq 0 ] || [ "${sargs[0]}" != -cert ]; then
        sargs=(-cert "$C/ecdsa-p256.pem" -key "$C/ecdsa-p256.key" "${sargs[@]}")
    fi
    case " ${cargs[*]} " in
        *" --priority"*) ;;
        *) cargs+=(--priority "$TLS12") ;;
    esac
    if ! start_clasp_server -msg "${sargs[@]}"; then
        return 1
    fi
    session_start gnutls-cli gnutls-cli -p "$SRV_PORT" --x509cafile "$C/ca.pem" \
        --sni-hostname localhost --verify-hostname localhost "${cargs[@]}" 127.0.0.1
    session_wait "$CLI_OUT" '^- Simple Client Mode'
}

# from_gnutls_end: send a line, wait for the echo, close.
from_gnutls_end() {
    session_send 'hello\n' && session_wait "$CLI_OUT" '^hello$'
    session_end
    server_done
}

expect_good_from_gnutls() {
    expect_rc gnutls-cli "$CLI_RC" 0
    expect_rc clasp-server "$SRV_RC" 0
    expect_in "$CLI_OUT" 'Status: The certificate is trusted'
    expect_in "$CLI_OUT" 'Description: \(TLS1\.2'
    expect_in "$CLI_OUT" 'Options: .*safe renegotiation'
    expect_in "$CLI_OUT" '^hello$'
    expect_in "$SRV_LOG" '^Protocol version: TLSv1\.2$'
    expect_in "$SRV_LOG" '^CONNECTION CLOSED$'
}

if ! have gnutls-serv || ! have gnutls-cli; then
    skip "gnutls TLS 1.2 interop" "gnutls-cli/gnutls-serv not installed (apt-get install gnutls-bin)"
    finish
fi

# ---- clasp-client -> gnutls-serv --------------------------------------------------

to_gnutls "defaults (client offers TLS 1.2 and 1.3)" --
expect_good_to_gnutls
expect_ems "$SRV_LOG"
expect_in "$CLI_ERR" '^Ciphersuite: ECDHE-ECDSA-'
case_end

# suite:certificate
for spec in ECDHE-ECDSA-AES128-GCM-SHA256:ecdsa-p256 ECDHE-ECDSA-AES256-GCM-SHA384:ecdsa-p384 \
            ECDHE-ECDSA-CHACHA20-POLY1305:ed25519 ECDHE-RSA-AES128-GCM-SHA256:rsa-2048 \
            ECDHE-RSA-AES256-GCM-SHA384:rsa-4096 ECDHE-RSA-CHACHA20-POLY1305:rsa-2048; do
    IFS=: read -r suite leaf <<<"$spec"
    to_gnutls "suite $suite ($leaf)" --x509certfile "$C/$leaf.pem" --x509keyfile "$C/$leaf.key" \
        -- -tls1_2 -cipher "$suite"
    expect_good_to_gnutls
    expect_in "$CLI_ERR" "^Ciphersuite: $suite\$"
    case_end
done

# RSA certificates: in TLS 1.2 an ECDSA certificate's curve is bound to the
# client's groups (RFC 8422 §5.3), which would muddle the group cases.
for group in X25519 P-256 P-384; do
    to_gnutls "group $group" --x509certfile "$C/rsa-2048.pem" --x509keyfile "$C/rsa-2048.key" \
        -- -groups "$group"
    expect_good_to_gnutls
    expect_in "$CLI_ERR" "^Negotiated group: $group\$"
    case_end
done

# Signature schemes a TLS 1.2 server may use: RSASSA-PKCS1-v1_5, and ECDSA
# with SHA-384 from a P-256 key (no curve binding before TLS 1.3).
for spec in rsa-2048:SIGN-RSA-SHA256:RSA rsa-2048:SIGN-RSA-PSS-RSAE-SHA384:RSA-PSS \
            ecdsa-p256:SIGN-ECDSA-SHA384:ECDSA ed25519:SIGN-EDDSA-ED25519:Ed25519; do
    IFS=: read -r leaf sign want <<<"$spec"
    to_gnutls "signature $sign ($leaf)" --x509certfile "$C/$leaf.pem" \
        --x509keyfile "$C/$leaf.key" --priority "$TLS12:-SIGN-ALL:+$sign" --
    expect_good_to_gnutls
    expect_in "$CLI_ERR" "^Peer signature type: $want\$"
    case_end
done

to_gnutls "ALPN http/1.1" --alpn h2 --alpn http/1.1 -- -alpn http/1.1
expect_good_to_gnutls
expect_in "$CLI_ERR" '^ALPN protocol: http/1.1$'
case_end

to_gnutls "server without extended master secret" --priority "$TLS12:%NO_SESSION_HASH" --
expect_good_to_gnutls
expect_not_in "$SRV_LOG" 'Options: .*extended master secret'
case_end

to_gnutls "-require_extms refuses a server without extended master secret" \
    --priority "$TLS12:%NO_SESSION_HASH" -- -require_extms
expect_rc clasp-client "$CLI_RC" nonzero
expect_in "$CLI_ERR" 'inconsistent extms'
expect_not_in "$CLI_ERR" '^Protocol version'
case_end

to_gnutls "-require_extms with a server that uses it" -- -require_extms
expect_good_to_gnutls
expect_ems "$SRV_LOG"
case_end

to_gnutls "client certificate required and verified" -r --verify-client-cert \
    --x509cafile "$C/ca.pem" -- -cert "$C/client.pem" -key "$C/client.key" -msg
expect_good_to_gnutls
expect_in "$CLI_ERR" '^<<< Handshake CertificateRequest'
expect_in "$CLI_ERR" '^>>> Handshake CertificateVerify'
expect_in "$SRV_LOG" 'Subject: CN=clasp-test-client'
expect_in "$SRV_LOG" 'Status: The certificate is trusted'
case_end

# A TLS 1.3-only server and a TLS 1.2-only Clasp client have no version in
# common (GnuTLS says so with handshake_failure: no TLS 1.2 suite is left).
to_gnutls "TLS 1.3-only server, TLS 1.2-only client: refused" \
    --priority "NORMAL:-VERS-ALL:+VERS-TLS1.3" -- -tls1_2
expect_rc clasp-client "$CLI_RC" nonzero
expect_in "$CLI_ERR" 'alert (handshake failure|protocol version)'
expect_not_in "$CLI_ERR" '^Protocol version'
case_end

# gnutls-serv answers the line **REHANDSHAKE** with a HelloRequest; Clasp
# refuses with a no_renegotiation warning (RFC 5746 §4.2), which GnuTLS
# takes as the end of the connection.  The lines go one at a time: the
# server reads each record as one command.
case_begin "gnutls-serv: HelloRequest refused"
if start_gnutls_server --x509certfile "$C/ecdsa-p256.pem" --x509keyfile "$C/ecdsa-p256.key" -a \
    --priority "$TLS12"; then
    session_start clasp-client "$CLIENT" -connect "127.0.0.1:$SRV_PORT" -CAfile "$C/ca.pem" \
        -servername localhost -verify_return_error -msg
    session_send 'hello\n' && session_wait "$CLI_OUT" '^hello$'
    session_send '**REHANDSHAKE**\n' && session_wait "$CLI_ERR" 'no renegotiation'
    session_end
    stop_bg "$SRV_PID"
fi
expect_in "$CLI_OUT" '^hello$'
expect_in "$CLI_ERR" '^<<< Handshake HelloRequest'
expect_in "$CLI_ERR" '^>>> Alert warning: no renegotiation'
expect_in "$SRV_LOG" 'warning alert has been received'
case_end

# ---- gnutls-cli -> clasp-server ---------------------------------------------------

from_gnutls "defaults" --
from_gnutls_end
expect_good_from_gnutls
expect_ems "$CLI_OUT"
case_end

# gnutls cipher:certificate:suite
for spec in AES-128-GCM:ecdsa-p256:ECDHE-ECDSA-AES128-GCM-SHA256 \
            AES-256-GCM:ecdsa-p384:ECDHE-ECDSA-AES256-GCM-SHA384 \
            CHACHA20-POLY1305:ed25519:ECDHE-ECDSA-CHACHA20-POLY1305 \
            AES-128-GCM:rsa-2048:ECDHE-RSA-AES128-GCM-SHA256 \
            AES-256-GCM:rsa-4096:ECDHE-RSA-AES256-GCM-SHA384 \
            CHACHA20-POLY1305:rsa-2048:ECDHE-RSA-CHACHA20-POLY1305; do
    IFS=: read -r cipher leaf suite <<<"$spec"
    from_gnutls "suite $suite" -cert "$C/$leaf.pem" -key "$C/$leaf.key" -- \
        --priority "$TLS12:-CIPHER-ALL:+$cipher"
    from_gnutls_end
    expect_good_from_gnutls
    expect_in "$SRV_LOG" "^Ciphersuite: $suite\$"
    case_end
done

for spec in X25519:X25519 SECP256R1:P-256 SECP384R1:P-384; do
    from_gnutls "group ${spec#*:}" -cert "$C/rsa-2048.pem" -key "$C/rsa-2048.key" -- \
        --priority "$TLS12:-GROUP-ALL:+GROUP-${spec%%:*}"
    from_gnutls_end
    expect_good_from_gnutls
    expect_in "$SRV_LOG" "^Negotiated group: ${spec#*:}\$"
    case_end
done

# The scheme of our ServerKeyExchange, among those GnuTLS allows.
for spec in rsa-2048:SIGN-RSA-SHA256:RSA-SHA256 rsa-2048:SIGN-RSA-SHA512:RSA-SHA512 \
            rsa-2048:SIGN-RSA-PSS-RSAE-SHA256:RSA-PSS-RSAE-SHA256 \
            ecdsa-p256:SIGN-ECDSA-SHA384:ECDSA-SHA384 \
            ecdsa-p384:SIGN-ECDSA-SHA256:ECDSA-SHA256 \
            ed25519:SIGN-EDDSA-ED25519:EdDSA-Ed25519; do
    IFS=: read -r leaf sign want <<<"$spec"
    from_gnutls "signature $sign ($leaf)" -cert "$C/$leaf.pem" -key "$C/$leaf.key" -- \
        --priority "$TLS12:-SIGN-ALL:+$sign"
    from_gnutls_end
    expect_good_from_gnutls
    expect_in "$CLI_OUT" "Description: .*\\($want\\)"
    case_end
done

from_gnutls "ALPN: server picks h2" -alpn h2,http/1.1 -- --alpn http/1.1 --alpn h2
from_gnutls_end
expect_good_from_gnutls
expect_in "$SRV_LOG" '^ALPN protocol: h2$'
expect_in "$CLI_OUT" 'Application protocol: h2'
case_end

from_gnutls "client without extended master secret" -- --priority "$TLS12:%NO_SESSION_HASH"
from_gnutls_end
expect_good_from_gnutls
expect_not_in "$CLI_OUT" 'Options: .*extended master secret'
case_end

from_gnutls "client certificate required and verified" -Verify 1 -CAfile "$C/ca.pem" -- \
    --x509certfile "$C/client.pem" --x509keyfile "$C/client.key"
from_gnutls_end
expect_good_from_gnutls
expect_in "$SRV_LOG" '^<<< Handshake CertificateVerify'
expect_in "$SRV_LOG" '^Peer certificate: .*CN = clasp-test-client'
expect_in "$SRV_LOG" '^Verification: OK$'
case_end

# GnuTLS retries its renegotiation after each no_renegotiation warning and
# finally gives up with an alert of its own; Clasp never renegotiates: one
# ServerHello only.
from_gnutls "renegotiation refused" -- --rehandshake
session_wait "$SRV_LOG" '^>>> Alert warning: no renegotiation'
session_end
server_done
expect_in "$SRV_LOG" '^>>> Alert warning: no renegotiation'
if [ "$(grep -c '^<<< Handshake ClientHello' "$SRV_LOG")" -lt 2 ] ||
    [ "$(grep -c '^>>> Handshake ServerHello,' "$SRV_LOG")" -ne 1 ]; then
    fail_case "expected renegotiation ClientHellos and exactly one ServerHello"
fi
case_end

# refused NAME PRIORITY [ALERT REASON [clasp-server args...]]: gnutls-cli
# offering only what Clasp does not speak; by default handshake_failure (no
# shared cipher).
refused() {
    local name=$1 priority=$2 alert=${3:-'handshake failure'} reason=${4:-'no shared cipher'}
    shift 2
    [ $# -gt 0 ] && shift 2
    case_begin "gnutls-cli: $name: refused"
    if start_clasp_server -msg -cert "$C/rsa-2048.pem" -key "$C/rsa-2048.key" "$@"; then
        peer_base
        CLI_OUT=$PEER_BASE.gnutls-cli.out
        add_log "$CLI_OUT"
        timeout "$T" gnutls-cli -p "$SRV_PORT" --x509cafile "$C/ca.pem" \
            --sni-hostname localhost --priority "$priority" 127.0.0.1 </dev/null >"$CLI_OUT" 2>&1
        CLI_RC=$?
        server_done
    fi
    expect_rc gnutls-cli "$CLI_RC" nonzero
    expect_rc clasp-server "$SRV_RC" nonzero
    expect_in "$SRV_LOG" "$reason"
    expect_in "$SRV_LOG" "^>>> Alert fatal: $alert"
    expect_in "$CLI_OUT" 'Received alert'
    case_end
}

refused "CBC only" "$TLS12:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC:+CAMELLIA-128-CBC"
refused "RSA key exchange only" "$TLS12:-KX-ALL:+RSA"
refused "TLS 1.3-only client, TLS 1.2-only server" "NORMAL:-VERS-ALL:+VERS-TLS1.3" \
    'protocol version' 'unsupported protocol' -tls1_2

finish
