#!/usr/bin/env bash
# The library links libcrypto and never the system libssl, and exports only
# the OpenSSL API (DESIGN.md principle 12).  Run by CTest with CLASP_LIB_DIR.
set -u
lib="${CLASP_LIB_DIR:?}/libclasp.so"
passed=0; failed=0
check() { # name, command...
    local name=$1; shift
    if "$@"; then echo "ok - $name"; passed=$((passed+1)); else echo "not ok - $name"; failed=$((failed+1)); fi
}
needed=$(readelf -d "$lib" | awk '/NEEDED/ {print $NF}')
check "libclasp.so needs libcrypto" grep -q 'libcrypto\.so' <<<"$needed"
check "libclasp.so does not need libssl" bash -c '! grep -q "libssl" <<<"$1"' _ "$needed"
check "ldd shows no libssl" bash -c '! ldd "$1" | grep -q "libssl\.so"' _ "$lib"
internal=$(nm -D --defined-only "$lib" | awk '{print $NF}' |
    grep -v -E '^(SSL_|TLS|OPENSSL_|ERR_load_SSL_strings$|clasp_version$|_init$|_fini$)' || true)
check "only OpenSSL API names are exported" test -z "$internal"
[ -z "$internal" ] || echo "# exported internals: $(echo $internal | head -c 300)"
check "SSL_do_handshake is exported" bash -c 'nm -D --defined-only "$1" | grep -qw SSL_do_handshake' _ "$lib"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
