#!/usr/bin/env bash
# Clasp as the TLS 1.3 client (clasp-client) against `openssl s_server`.
#
# Every good case sends a line and expects it back reversed (s_server -rev), so
# application data goes both ways after each handshake.
source "$(dirname "$0")/lib.sh"

SUITES="TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256"
GROUPS_="X25519 P-256 P-384"

# ossl_cert LEAF: s_server arguments for a leaf; s_server's -cert reads only
# the first certificate of a file, so the intermediate goes in -cert_chain.
ossl_cert() {
    SCERT=(-cert "$C/$1.crt" -key "$C/$1.key" -cert_chain "$C/intermediate.pem")
}

# pair NAME INPUT [s_server args...] -- [clasp-client args...]
# Starts s_server (ECDSA P-256 unless other -cert given first), runs the client.
pair() {
    local name=$1 input=$2
    local -a sargs=() cargs=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        sargs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    cargs=("$@")
    case_begin "$name"
    if [ ${#sargs[@]} -eq 0 ] || [ "${sargs[0]}" != -cert ]; then
        ossl_cert ecdsa-p256
        sargs=("${SCERT[@]}" "${sargs[@]}")
    fi
    if ! start_openssl_server -rev "${sargs[@]}"; then
        return 1
    fi
    run_clasp_client "$input" -CAfile "$C/ca.pem" -servername localhost "${cargs[@]}"
    server_done
}

# A successful TLS 1.3 connection with data both ways.
expect_good() {
    expect_rc clasp-client "$CLI_RC" 0
    expect_tls13_summary "$CLI_ERR"
    expect_in "$CLI_ERR" '^Verification: OK$'
    expect_in "$CLI_OUT" '^olleh$'
}

# ---- cipher suites (X25519, ECDSA P-256) ---------------------------------------
for suite in $SUITES; do
    pair "suite $suite" 'hello\n' -- -ciphersuites "$suite"
    expect_good
    expect_in "$CLI_ERR" "^Ciphersuite: $suite\$"
    case_end
done

# ---- key exchange groups (AES-128-GCM, ECDSA P-256) ----------------------------
for group in $GROUPS_; do
    pair "group $group" 'hello\n' -- -groups "$group" -ciphersuites TLS_AES_128_GCM_SHA256
    expect_good
    expect_in "$CLI_ERR" "^Negotiated group: $group\$"
    case_end
done

# ---- certificate types (AES-128-GCM, X25519) -------------------------------------
for spec in ecdsa-p256:ECDSA ecdsa-p384:ECDSA rsa-2048:RSA-PSS rsa-4096:RSA-PSS ed25519:Ed25519; do
    leaf=${spec%%:*}
    sigtype=${spec#*:}
    ossl_cert "$leaf"
    pair "certificate $leaf" 'hello\n' "${SCERT[@]}" -- -groups X25519 \
        -ciphersuites TLS_AES_128_GCM_SHA256 -verify_return_error
    expect_good
    expect_in "$CLI_ERR" "^Peer signature type: $sigtype\$"
    expect_in "$CLI_ERR" '^Peer certificate: .*CN = localhost'
    case_end
done

# ---- HelloRetryRequest: the client's only key share is X25519, the server wants P-256
pair "HelloRetryRequest (client shares X25519, server requires P-256)" 'hello\n' \
    -groups P-256 -- -groups X25519:P-256 -msg
expect_good
expect_in "$CLI_ERR" '^<<< Handshake HelloRetryRequest'
expect_in "$CLI_ERR" '^Negotiated group: P-256$'
case_end

# ---- ALPN ------------------------------------------------------------------------
pair "ALPN: server picks http/1.1 from h2,http/1.1" 'hello\n' -alpn http/1.1 -- -alpn h2,http/1.1
expect_good
expect_in "$CLI_ERR" '^ALPN protocol: http/1.1$'
case_end

# RFC 7301 §3.2: s_server answers with a no_application_protocol alert.
pair "ALPN: no common protocol, server refuses" 'hello\n' -alpn h2 -- -alpn foo
expect_rc clasp-client "$CLI_RC" nonzero
expect_in "$CLI_ERR" '[Nn]o.application.protocol'
case_end

# ---- SNI -------------------------------------------------------------------------
# s_server switches to its -cert2 context for the matching name; that context
# has no -cert_chain, so verification is not checked here.
sni_server=(-servername localhost -servername_fatal -cert2 "$C/ecdsa-p256.crt"
            -key2 "$C/ecdsa-p256.key")
pair "SNI: server sees localhost" 'hello\n' "${sni_server[@]}" --
expect_rc clasp-client "$CLI_RC" 0
expect_in "$CLI_OUT" '^olleh$'
expect_in "$CLI_ERR" '^Server name: localhost$'
expect_in "$SRV_LOG" 'Hostname in TLS extension: "localhost"'
case_end

pair "SNI: server refuses other.example (unrecognized_name)" 'hello\n' "${sni_server[@]}" -- \
    -servername other.example
expect_rc clasp-client "$CLI_RC" nonzero
expect_in "$CLI_ERR" '[Uu]nrecognized.name'
case_end

# ---- KeyUpdate ---------------------------------------------------------------------
pair "KeyUpdate from the client, update_requested" 'hello\n' -msg -- -key_update -msg
expect_good
expect_in "$CLI_ERR" '^>>> Handshake KeyUpdate'
expect_in "$CLI_ERR" '^<<< Handshake KeyUpdate'
expect_in "$SRV_LOG" '<<< TLS 1.3, Handshake.*KeyUpdate'
case_end

# ---- data ------------------------------------------------------------------------
pair "data: several lines both ways" 'one\ntwo\nthree\n' --
expect_rc clasp-client "$CLI_RC" 0
expect_in "$CLI_OUT" '^eno$'
expect_in "$CLI_OUT" '^owt$'
expect_in "$CLI_OUT" '^eerht$'
case_end

# ---- client certificate ----------------------------------------------------------
pair "client certificate requested and verified" 'hello\n' -Verify 1 -CAfile "$C/ca.pem" -- \
    -cert "$C/client.pem" -key "$C/client.key"
expect_good
expect_in "$SRV_LOG" 'CN = clasp-test-client'
case_end

# ---- resumption: -reconnect (as s_client's) offers each connection's session again
# RFC 9846 §2.2: the first connection is a full handshake and takes the server's
# NewSessionTicket; the 5 reconnections resume with PSK+(EC)DHE (§4.3.11).
expect_reconnects() {
    expect_good
    expect_in "$CLI_ERR" '^New, TLSv1\.3, Cipher is '
    if [ "$(grep -c '^Reused, TLSv1\.3, Cipher is ' "$CLI_ERR")" -ne 5 ]; then
        fail_case "expected 5 'Reused, TLSv1.3' lines in $(basename "$CLI_ERR")"
    fi
    if [ "$(grep -c '^New, ' "$CLI_ERR")" -ne 1 ]; then
        fail_case "expected exactly one 'New' connection in $(basename "$CLI_ERR")"
    fi
}

# -naccept 6 comes after the -naccept 1 of start_openssl_server: the last one counts.
pair "resumption: -reconnect resumes 5 times" 'hello\n' -naccept 6 -- -reconnect
expect_reconnects
case_end

# RFC 9846 §4.3.11.2: after a HelloRetryRequest the binders cover the new transcript.
pair "resumption: -reconnect with a HelloRetryRequest on every connection" 'hello\n' \
    -groups P-256 -naccept 6 -- -groups X25519:P-256 -reconnect -msg
expect_reconnects
if [ "$(grep -c '^<<< Handshake HelloRetryRequest' "$CLI_ERR")" -ne 6 ]; then
    fail_case "expected a HelloRetryRequest on each of the 6 connections"
fi
case_end

# ---- verification failures ----------------------------------------------------------
ossl_cert wronghost
pair "verify: wrong host name fails with -verify_return_error" 'hello\n' "${SCERT[@]}" -- \
    -verify_return_error
expect_rc clasp-client "$CLI_RC" nonzero
expect_in "$CLI_ERR" '^Verification error: hostname mismatch$'
expect_not_in "$CLI_OUT" 'olleh'
case_end

pair "verify: wrong host name is reported without -verify_return_error" 'hello\n' \
    "${SCERT[@]}" --
expect_rc clasp-client "$CLI_RC" 0
expect_in "$CLI_ERR" '^Verification error: hostname mismatch$'
case_end

pair "verify: unknown CA fails with -verify_return_error" 'hello\n' \
    -cert "$C/selfsigned.pem" -key "$C/selfsigned.key" -- -verify_return_error
expect_rc clasp-client "$CLI_RC" nonzero
expect_in "$CLI_ERR" '^Verification error: self.signed certificate'
case_end

ossl_cert expired
pair "verify: expired certificate fails with -verify_return_error" 'hello\n' "${SCERT[@]}" -- \
    -verify_return_error
expect_rc clasp-client "$CLI_RC" nonzero
expect_in "$CLI_ERR" '^Verification error: certificate has expired$'
case_end

finish
