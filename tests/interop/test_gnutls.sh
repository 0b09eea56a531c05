#!/usr/bin/env bash
# Clasp against GnuTLS, TLS 1.3 only, both directions:
#   clasp-client -> gnutls-serv --echo
#   gnutls-cli   -> clasp-server (echo)
# Every good case sends a line and expects it echoed.
source "$(dirname "$0")/lib.sh"

TLS13="NORMAL:-VERS-ALL:+VERS-TLS1.3"

# gnutls-serv cannot pick its own port and listens on every address, so each
# case tries a few free ports. Sets SRV_PID, SRV_PORT, SRV_LOG.
start_gnutls_server() {
    local try
    over_budget && return 1
    peer_base
    SRV_LOG=$PEER_BASE.gnutls-serv.log
    add_log "$SRV_LOG"
    for try in 1 2 3; do
        SRV_PORT=$(free_port)
        start_bg "$SRV_LOG" gnutls-serv --echo -p "$SRV_PORT" "$@"
        SRV_PID=$BG_PID
        if wait_listening "$SRV_PORT" "$SRV_PID"; then
            return 0
        fi
        stop_bg "$SRV_PID"
    done
    fail_case "gnutls-serv did not start"
    return 1
}

# to_gnutls NAME [gnutls-serv args...] -- [clasp-client args...]
# gnutls-serv with ECDSA P-256 unless --x509certfile comes first; -a (no
# client certificate request) unless -r or --optional-cert comes first.
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
    # --optional-cert is ours: it only means "leave out -a".
    local -a kept=()
    local a want_a=1
    for a in "${sargs[@]}"; do
        case $a in
            --optional-cert) want_a=0 ;;
            -r) want_a=0; kept+=("$a") ;;
            *) kept+=("$a") ;;
        esac
    done
    sargs=("${kept[@]}")
    if [ $want_a = 1 ]; then
        sargs+=(-a)
    fi
    case " ${sargs[*]} " in
        *" --priority"*) ;;
        *) sargs+=(--priority "$TLS13") ;;
    esac
    if start_gnutls_server "${sargs[@]}"; then
        run_clasp_client 'hello\n' -CAfile "$C/ca.pem" -servername localhost \
            -verify_return_error "${cargs[@]}"
        stop_bg "$SRV_PID"
    fi
}

expect_good_to_gnutls() {
    expect_rc clasp-client "$CLI_RC" 0
    expect_tls13_summary "$CLI_ERR"
    expect_in "$CLI_ERR" '^Verification: OK$'
    expect_in "$CLI_OUT" '^hello$'
    expect_in "$SRV_LOG" 'Description: \(TLS1\.3'
}

# from_gnutls NAME [clasp-server args...] -- [gnutls-cli args...]
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
        *) cargs+=(--priority "$TLS13") ;;
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
    expect_in "$CLI_OUT" 'Description: \(TLS1\.3'
    expect_in "$CLI_OUT" '^hello$'
    expect_tls13_summary "$SRV_LOG"
    expect_in "$SRV_LOG" '^CONNECTION CLOSED$'
}

if ! have gnutls-serv || ! have gnutls-cli; then
    skip "gnutls interop" "gnutls-cli/gnutls-serv not installed (apt-get install gnutls-bin)"
    finish
fi

# ---- clasp-client -> gnutls-serv --------------------------------------------------
to_gnutls "defaults" --
expect_good_to_gnutls
case_end

for suite in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
    to_gnutls "suite $suite" -- -ciphersuites "$suite"
    expect_good_to_gnutls
    expect_in "$CLI_ERR" "^Ciphersuite: $suite\$"
    case_end
done

for group in X25519 P-256 P-384; do
    to_gnutls "group $group" -- -groups "$group"
    expect_good_to_gnutls
    expect_in "$CLI_ERR" "^Negotiated group: $group\$"
    case_end
done

for spec in ecdsa-p384:ECDSA rsa-2048:RSA-PSS rsa-4096:RSA-PSS ed25519:Ed25519; do
    leaf=${spec%%:*}
    to_gnutls "certificate $leaf" --x509certfile "$C/$leaf.pem" --x509keyfile "$C/$leaf.key" --
    expect_good_to_gnutls
    expect_in "$CLI_ERR" "^Peer signature type: ${spec#*:}\$"
    case_end
done

to_gnutls "HelloRetryRequest (client shares X25519, server accepts P-384 only)" \
    --priority "$TLS13:-GROUP-ALL:+GROUP-SECP384R1" -- -groups X25519:P-384 -msg
expect_good_to_gnutls
expect_in "$CLI_ERR" '^<<< Handshake HelloRetryRequest'
expect_in "$CLI_ERR" '^Negotiated group: P-384$'
case_end

to_gnutls "ALPN http/1.1" --alpn h2 --alpn http/1.1 -- -alpn http/1.1
expect_good_to_gnutls
expect_in "$CLI_ERR" '^ALPN protocol: http/1.1$'
case_end

to_gnutls "KeyUpdate from the client, update_requested" -- -key_update -msg
expect_good_to_gnutls
expect_in "$CLI_ERR" '^>>> Handshake KeyUpdate'
expect_in "$CLI_ERR" '^<<< Handshake KeyUpdate'
case_end

to_gnutls "optional client certificate request, none sent" --optional-cert -- -msg
expect_good_to_gnutls
expect_in "$CLI_ERR" '^<<< Handshake CertificateRequest'
case_end

to_gnutls "client certificate required and verified" -r --verify-client-cert \
    --x509cafile "$C/ca.pem" -- -cert "$C/client.pem" -key "$C/client.key"
expect_good_to_gnutls
expect_in "$SRV_LOG" 'Subject: CN=clasp-test-client'
expect_in "$SRV_LOG" 'Status: The certificate is trusted'
case_end

# ---- gnutls-cli -> clasp-server ---------------------------------------------------
from_gnutls "defaults" --
from_gnutls_end
expect_good_from_gnutls
case_end

for spec in AES-128-GCM:TLS_AES_128_GCM_SHA256 AES-256-GCM:TLS_AES_256_GCM_SHA384 \
            CHACHA20-POLY1305:TLS_CHACHA20_POLY1305_SHA256; do
    from_gnutls "suite ${spec#*:}" -- --priority "$TLS13:-CIPHER-ALL:+${spec%%:*}"
    from_gnutls_end
    expect_good_from_gnutls
    expect_in "$SRV_LOG" "^Ciphersuite: ${spec#*:}\$"
    case_end
done

for spec in X25519:X25519 SECP256R1:P-256 SECP384R1:P-384; do
    from_gnutls "group ${spec#*:}" -- --priority "$TLS13:-GROUP-ALL:+GROUP-${spec%%:*}"
    from_gnutls_end
    expect_good_from_gnutls
    expect_in "$SRV_LOG" "^Negotiated group: ${spec#*:}\$"
    case_end
done

for spec in ecdsa-p384:ECDSA-SECP384R1-SHA384 rsa-2048:RSA-PSS-RSAE-SHA256 \
            rsa-4096:RSA-PSS-RSAE-SHA256 ed25519:EdDSA-Ed25519; do
    leaf=${spec%%:*}
    from_gnutls "certificate $leaf" -cert "$C/$leaf.pem" -key "$C/$leaf.key" --
    from_gnutls_end
    expect_good_from_gnutls
    expect_in "$CLI_OUT" "Description: .*\\(${spec#*:}\\)"
    case_end
done

# GnuTLS shares X25519 and P-256; a server that takes only P-384 must retry.
from_gnutls "HelloRetryRequest (server accepts P-384 only)" -groups P-384 --
from_gnutls_end
expect_good_from_gnutls
expect_in "$SRV_LOG" '^>>> Handshake HelloRetryRequest'
expect_in "$SRV_LOG" '^Negotiated group: P-384$'
case_end

from_gnutls "ALPN: server picks h2" -alpn h2,http/1.1 -- --alpn http/1.1 --alpn h2
from_gnutls_end
expect_good_from_gnutls
expect_in "$SRV_LOG" '^ALPN protocol: h2$'
expect_in "$CLI_OUT" 'Application protocol: h2'
case_end

if from_gnutls "KeyUpdate from gnutls-cli (^rekey^)" -- --inline-commands; then
    session_send '^rekey^\n' && session_wait "$CLI_OUT" 'Rekey was completed'
fi
from_gnutls_end
expect_good_from_gnutls
expect_in "$CLI_OUT" 'Rekey was completed'
expect_in "$SRV_LOG" '^<<< Handshake KeyUpdate'
case_end

from_gnutls "client certificate required and verified" -Verify 1 -CAfile "$C/ca.pem" -- \
    --x509certfile "$C/client.pem" --x509keyfile "$C/client.key"
from_gnutls_end
expect_good_from_gnutls
expect_in "$SRV_LOG" '^Peer certificate: .*CN = clasp-test-client'
expect_in "$SRV_LOG" '^Verification: OK$'
case_end

finish
