#!/usr/bin/env bash
# make-certs.sh DIR — throwaway PKI for Clasp's tests and demo.
#
# Made with the `openssl` command; every key and certificate is for tests only.
#
#   DIR/ca.pem, ca.key                 root CA (ECDSA P-256); the trust anchor (-CAfile)
#   DIR/intermediate.pem, .key         intermediate CA (ECDSA P-256), signed by the root
#   DIR/<leaf>.pem                     leaf + intermediate: what a server sends (full chain)
#   DIR/<leaf>.crt                     the leaf certificate alone
#   DIR/<leaf>.key                     the leaf's private key (PKCS#8 PEM)
#     <leaf> = ecdsa-p256 ecdsa-p384 rsa-2048 rsa-4096 ed25519
#              (CN localhost, SAN DNS:localhost + IP:127.0.0.1, EKU serverAuth)
#   DIR/expired.{pem,crt,key}          ECDSA P-256 leaf for localhost, validity ended in 2020
#   DIR/wronghost.{pem,crt,key}        ECDSA P-256 leaf for wrong.example only
#   DIR/selfsigned.{pem,crt,key}       self-signed localhost certificate (CA unknown to ca.pem)
#   DIR/client.{pem,crt,key}           ECDSA P-256 client certificate (EKU clientAuth)
#   DIR/.done                          stamp: the set is complete
#
# Idempotent: does nothing when DIR/.done is newer than this script. Safe to run
# concurrently for the same DIR (flock).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
DIR=$1
SELF=$(readlink -f "$0")
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

is_current() { [ -f "$DIR/.done" ] && [ "$DIR/.done" -nt "$SELF" ]; }

if is_current; then
    exit 0
fi

exec 9>"$DIR/.lock"
flock 9
# Another run may have finished while we waited for the lock.
if is_current; then
    exit 0
fi
rm -f "$DIR/.done"

WORK=$(mktemp -d "$DIR/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

serial() { echo "0x$(openssl rand -hex 8)"; }

# ossl ARGS...: run the openssl command quietly; on failure show what it said.
ossl() {
    if ! openssl "$@" >>"$WORK/openssl.log" 2>&1; then
        echo "make-certs.sh: 'openssl $*' failed:" >&2
        cat "$WORK/openssl.log" >&2
        return 1
    fi
}

# genkey NAME ALG: private key for an algorithm name used below.
genkey() {
    local out=$1.key
    case $2 in
        p256) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out" ;;
        p384) ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$out" ;;
        rsa2048) ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out" ;;
        rsa4096) ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$out" ;;
        ed25519) ossl genpkey -algorithm ED25519 -out "$out" ;;
        *) echo "unknown key type $2" >&2; return 1 ;;
    esac
}

cat > ext.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]

[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[wronghost]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# The root and the intermediate.
genkey ca p256
ossl req -x509 -new -key ca.key -subj "/O=Clasp test/CN=Clasp Test Root CA" \
    -days 3650 -set_serial "$(serial)" -config ext.cnf -extensions ca -out ca.pem
genkey intermediate p256
ossl req -new -key intermediate.key -subj "/O=Clasp test/CN=Clasp Test Intermediate CA" \
    -config ext.cnf -out intermediate.csr
ossl x509 -req -in intermediate.csr -CA ca.pem -CAkey ca.key -set_serial "$(serial)" \
    -days 3650 -extfile ext.cnf -extensions intermediate -out intermediate.pem

# issue NAME ALG CN SECTION: NAME.crt signed by the intermediate, NAME.pem = leaf + intermediate.
issue() {
    local name=$1 alg=$2 cn=$3 section=$4
    genkey "$name" "$alg"
    ossl req -new -key "$name.key" -subj "/O=Clasp test/CN=$cn" -config ext.cnf \
        -out "$name.csr"
    ossl x509 -req -in "$name.csr" -CA intermediate.pem -CAkey intermediate.key \
        -set_serial "$(serial)" -days 825 -extfile ext.cnf -extensions "$section" \
        -out "$name.crt"
    cat "$name.crt" intermediate.pem > "$name.pem"
}

issue ecdsa-p256 p256 localhost server
issue ecdsa-p384 p384 localhost server
issue rsa-2048 rsa2048 localhost server
issue rsa-4096 rsa4096 localhost server
issue ed25519 ed25519 localhost server
issue wronghost p256 wrong.example wronghost
issue client p256 clasp-test-client client

# expired: `openssl x509` cannot back-date, so sign with `openssl ca`, which can.
genkey expired p256
ossl req -new -key expired.key -subj "/O=Clasp test/CN=localhost" -config ext.cnf \
    -out expired.csr
mkdir -p cadb
: > cadb/index.txt
cat > ca.cnf <<EOF
[ca]
default_ca = testca
[testca]
dir = $WORK/cadb
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
organizationName = optional
EOF
openssl rand -hex 8 > cadb/serial
ossl ca -batch -config ca.cnf -cert intermediate.pem -keyfile intermediate.key \
    -startdate 20200101000000Z -enddate 20200201000000Z \
    -extfile ext.cnf -extensions server -notext -in expired.csr -out expired.crt
cat expired.crt intermediate.pem > expired.pem

# selfsigned: a localhost certificate no test trust store knows.
genkey selfsigned p256
ossl req -x509 -new -key selfsigned.key -subj "/O=Unknown/CN=localhost" \
    -days 825 -set_serial "$(serial)" -config ext.cnf \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" -out selfsigned.crt
cp selfsigned.crt selfsigned.pem

# Sanity: every chain verifies the way the tests expect.
for leaf in ecdsa-p256 ecdsa-p384 rsa-2048 rsa-4096 ed25519 wronghost client; do
    openssl verify -CAfile ca.pem -untrusted intermediate.pem "$leaf.crt" >/dev/null
done
if openssl verify -CAfile ca.pem -untrusted intermediate.pem expired.crt >/dev/null 2>&1; then
    echo "make-certs.sh: expired.crt unexpectedly verifies" >&2
    exit 1
fi

chmod 644 ./*.pem ./*.crt
chmod 600 ./*.key
mv -f ./*.pem ./*.crt ./*.key "$DIR"/
touch "$DIR/.done"
