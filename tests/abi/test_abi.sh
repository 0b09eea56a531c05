#!/usr/bin/env bash
# ABI check: Clasp's public headers against OpenSSL 3.0's (DESIGN.md §12).
#
# Every check builds the same generated program twice, once against the
# system's libssl headers and once with -I$CLASP_SOURCE_DIR/include ahead of
# them, runs both and compares the output:
#   constants   every object-like macro of our headers (and every name of the
#               families we must carry in full) prints the same type and value;
#   macros      every function-like macro makes the same calls (SSL_ctrl cmd,
#               larg, parg ...) with the same result type, through stubs;
#   prototypes  every function we declare has OpenSSL's exact prototype, and
#               include/openssl/FUNCTIONS.txt lists exactly those functions;
#   strings     src/api/err_strings.c gives every SSL_R_* OpenSSL's text;
#   headers     the headers are self-contained and warning-free as C99, C11
#               and C++, and each one compiles on its own.
#
# Environment: CLASP_SOURCE_DIR (default: two levels up), CC (default cc),
# CXX (default c++). Prints "N passed, M failed" last; exits 1 on failure.
set -u
export LC_ALL=C # sort and comm order, byte-wise

SRC=${CLASP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CC=${CC:-cc}
CXX=${CXX:-c++}
INC=$SRC/include/openssl
SYS=/usr/include/openssl
WORK=$(mktemp -d)
[ -n "${CLASP_ABI_KEEP:-}" ] && echo "keeping $WORK" || trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

OUR_HEADERS="$INC/ssl.h $INC/ssl3.h $INC/tls1.h $INC/sslerr.h"
SYS_HEADERS="$SYS/ssl.h $SYS/ssl3.h $SYS/tls1.h $SYS/sslerr.h"

# Object-like macros with a non-empty body (include guards have none).
object_macros() {
    sed -nE 's/^#[[:space:]]*define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]+[^[:space:]].*/\1/p' "$@"
}
# Function-like macros as NAME:arity.
function_macros() {
    sed -nE 's/^#[[:space:]]*define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)\(([^)]*)\).*/\1:\2/p' "$@" |
        awk -F: '{ n = ($2 ~ /[^[:space:]]/) ? split($2, a, ",") : 0; print $1 ":" n }'
}
# Object-like macros that rename a function or a function-like macro: a
# single identifier with a lower-case letter (e.g. SSLv23_method TLS_method).
alias_macros() {
    sed -nE 's/^#[[:space:]]*define[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*(\/\*.*)?$/\1 \2/p' "$@" |
        awk '$2 ~ /[a-z]/ { print $1 }'
}
# Type names our headers define (typedefs, incl. function-pointer ones).
typedef_names() {
    {
        sed -nE 's/^typedef[^(]*[[:space:]*]([A-Za-z_][A-Za-z0-9_]*);.*/\1/p' "$@"
        sed -nE 's/^typedef[^(]*\(\*([A-Za-z_][A-Za-z0-9_]*)\).*/\1/p' "$@"
        sed -nE 's/^\}[[:space:]]*([A-Za-z_][A-Za-z0-9_]*);.*/\1/p' "$@"
    } | sort -u
}
# Enumerators of OSSL_HANDSHAKE_STATE.
enum_states() {
    sed -nE 's/^[[:space:]]+((D?TLS)_ST_[A-Z0-9_]+),?[[:space:]]*$/\1/p' "$@"
}

# Run one generated program against both header sets and compare.
# $1 label, $2 source file, $3 compiler, $4.. extra link arguments.
compare_builds() {
    local label=$1 src=$2 cc=$3
    shift 3
    if ! $cc -w -o "$WORK/sys.bin" "$src" "$@" 2>"$WORK/sys.err"; then
        fail "$label: does not build against the system headers"
        sed 's/^/     /' "$WORK/sys.err" | head -20
        return 1
    fi
    if ! $cc -w -I"$SRC/include" -o "$WORK/our.bin" "$src" "$@" 2>"$WORK/our.err"; then
        fail "$label: does not build against Clasp's headers"
        sed 's/^/     /' "$WORK/our.err" | head -20
        return 1
    fi
    "$WORK/sys.bin" >"$WORK/sys.out" && "$WORK/our.bin" >"$WORK/our.out" || {
        fail "$label: generated program failed to run"
        return 1
    }
    return 0
}

# Count per-item results from two outputs with one "NAME<TAB>..." line per
# item; every differing item is a failure.
compare_items() {
    local label=$1 n bad
    n=$(wc -l <"$WORK/sys.out")
    bad=$(diff <(sort "$WORK/sys.out") <(sort "$WORK/our.out") |
        sed -nE 's/^[<>] ([^[:space:]]+).*/\1/p' | sort -u)
    if [ -z "$bad" ]; then
        pass "$label: $n items identical"
        passed=$((passed + n - 1))
        return
    fi
    for name in $bad; do
        fail "$label: $name"
        echo "     system: $(grep -E "^$name[[:space:]]" "$WORK/sys.out" | head -3 | tr '\n' ' ')"
        echo "     clasp:  $(grep -E "^$name[[:space:]]" "$WORK/our.out" | head -3 | tr '\n' ' ')"
    done
    passed=$((passed + n - $(echo "$bad" | wc -l)))
}

# ---- constants ---------------------------------------------------------------
# Families Clasp carries in full: every name OpenSSL defines in them must exist.
FULL_FAMILIES='^(SSL_ERROR_|SSL_CTRL_|SSL_OP_|SSL_MODE_|SSL_R_|SSL_VERIFY_|SSL_SESS_CACHE_|SSL_CB_|SSL_ST_|TLS_ST_|DTLS_ST_|SSL_AD_|SSL3_AD_|SSL3_AL_|TLS1_AD_|TLS13_AD_|TLSEXT_TYPE_|SSL_TLSEXT_ERR_|OPENSSL_NPN_|OPENSSL_INIT_|SSL_KEY_UPDATE_|SSL_FILETYPE_|SSL3_MT_|SSL3_RT_|SSL_MAX_|SSL_SENT_|SSL_RECEIVED_|SSL_NOTHING|SSL_WRITING|SSL_READING|SSL_X509_LOOKUP|SSL_ASYNC_|SSL_CLIENT_HELLO_CB|SSL_RETRY_VERIFY|TLS1_3_VERSION|TLS1_2_VERSION|TLS_ANY_VERSION)'

{
    object_macros $OUR_HEADERS
    enum_states $OUR_HEADERS
    { object_macros $SYS_HEADERS; enum_states $SYS_HEADERS; } | grep -E "$FULL_FAMILIES"
} | sort -u >"$WORK/constants.txt"
alias_macros $OUR_HEADERS | sort -u >"$WORK/aliases.txt"

{
    cat <<'EOF'
#include <stdio.h>
#include <stdint.h>
#include <openssl/ssl.h>
#define STR_(x) #x
#define STR(x) STR_(x)
/* The type of a constant, by the C11 _Generic selection. */
#define KIND(x) _Generic((x), int: "int", unsigned int: "unsigned", \
    long: "long", unsigned long: "unsigned long", long long: "long long", \
    unsigned long long: "unsigned long long", char *: "string", \
    const char *: "string", default: "other")
#define TEXT(x) _Generic((x), char *: (const char *)(uintptr_t)(x), \
    const char *: (const char *)(uintptr_t)(x), default: (const char *)0)
#define SHOW(x) show(#x, KIND(x), TEXT(x), (unsigned long long)(x), STR(x))
/* A renamed function or function-like macro: compare what it expands to. */
#define SHOW_ALIAS(x) printf("%s\talias\t%s\n", #x, STR(x))
static void show(const char *name, const char *kind, const char *text,
                 unsigned long long value, const char *expansion)
{
    if (text != NULL)
        printf("%s\t%s\t\"%s\"\n", name, kind, text);
    else if (kind[0] == 'o')  /* a function alias: compare what it names */
        printf("%s\t%s\t%s\n", name, kind, expansion);
    else
        printf("%s\t%s\t%llu\n", name, kind, value);
}
int main(void)
{
EOF
    while read -r name; do
        show=SHOW
        grep -qx "$name" "$WORK/aliases.txt" && show=SHOW_ALIAS
        printf '#ifdef %s\n    %s(%s);\n#else\n' "$name" "$show" "$name"
        # enumerators are not macros: test them by the enum's presence
        case $name in
        TLS_ST_* | DTLS_ST_*) printf '    SHOW(%s);\n' "$name" ;;
        *) printf '    printf("%%s\\tMISSING\\n", "%s");\n' "$name" ;;
        esac
        printf '#endif\n'
    done <"$WORK/constants.txt"
    echo '    return 0;'
    echo '}'
} >"$WORK/constants.c"

# Both with the deprecated API and without it (what OPENSSL_API_COMPAT users
# see): the same names must come and go on both sides.
NO_DEPRECATED="-DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED"
if compare_builds constants "$WORK/constants.c" "$CC -std=c11"; then
    compare_items constants
fi
if compare_builds "constants (no deprecated)" "$WORK/constants.c" "$CC -std=c11 $NO_DEPRECATED"; then
    compare_items "constants (no deprecated)"
fi

# ---- function-like macros ------------------------------------------------------
# Each macro is called with distinct placeholder arguments; stubs for the
# functions the macros expand to print what they receive.
function_macros $OUR_HEADERS | grep -vE '^(sk_SSL_CIPHER_|SSL_OP_BIT:)' |
    sort -u >"$WORK/macros.txt"
{
    cat <<'EOF'
#include <cstdio>
#include <cstdint>
#include <typeinfo>
#include <type_traits>
#include <openssl/ssl.h>

/* A placeholder argument that converts to whatever the macro needs: a long
 * for larg-style arguments, any object or function pointer otherwise. */
struct Arg {
    long v;
    operator long() const { return v; }
    template <class T> operator T *() const { return reinterpret_cast<T *>(v); }
    bool operator!=(int o) const { return v != o; }
    bool operator==(int o) const { return v == o; }
};
static const Arg A1{0x101}, A2{0x102}, A3{0x103}, A4{0x104}, A5{0x105};

static unsigned long P(const void *p) { return (unsigned long)(uintptr_t)p; }
template <class F> static unsigned long F2L(F f) { return (unsigned long)(uintptr_t)f; }

extern "C" {
long SSL_ctrl(SSL *s, int cmd, long larg, void *parg)
{ std::printf("\tSSL_ctrl(%#lx,%d,%ld,%#lx)", P(s), cmd, larg, P(parg)); return 7; }
long SSL_CTX_ctrl(SSL_CTX *c, int cmd, long larg, void *parg)
{ std::printf("\tSSL_CTX_ctrl(%#lx,%d,%ld,%#lx)", P(c), cmd, larg, P(parg)); return 7; }
long SSL_callback_ctrl(SSL *s, int cmd, void (*fp)(void))
{ std::printf("\tSSL_callback_ctrl(%#lx,%d,%#lx)", P(s), cmd, F2L(fp)); return 7; }
long SSL_CTX_callback_ctrl(SSL_CTX *c, int cmd, void (*fp)(void))
{ std::printf("\tSSL_CTX_callback_ctrl(%#lx,%d,%#lx)", P(c), cmd, F2L(fp)); return 7; }
int SSL_want(const SSL *s) { std::printf("\tSSL_want(%#lx)", P(s)); return 3; }
int SSL_in_init(const SSL *s) { std::printf("\tSSL_in_init(%#lx)", P(s)); return 1; }
int SSL_is_server(const SSL *s) { std::printf("\tSSL_is_server(%#lx)", P(s)); return 0; }
int SSL_version(const SSL *s) { std::printf("\tSSL_version(%#lx)", P(s)); return 0x303; }
int SSL_client_version(const SSL *s) { std::printf("\tSSL_client_version(%#lx)", P(s)); return 0x303; }
int SSL_session_reused(const SSL *s) { std::printf("\tSSL_session_reused(%#lx)", P(s)); return 1; }
int SSL_set_ex_data(SSL *s, int i, void *d)
{ std::printf("\tSSL_set_ex_data(%#lx,%d,%#lx)", P(s), i, P(d)); return 1; }
void *SSL_get_ex_data(const SSL *s, int i)
{ std::printf("\tSSL_get_ex_data(%#lx,%d)", P(s), i); return (void *)0x77; }
int SSL_CTX_set_ex_data(SSL_CTX *s, int i, void *d)
{ std::printf("\tSSL_CTX_set_ex_data(%#lx,%d,%#lx)", P(s), i, P(d)); return 1; }
void *SSL_CTX_get_ex_data(const SSL_CTX *s, int i)
{ std::printf("\tSSL_CTX_get_ex_data(%#lx,%d)", P(s), i); return (void *)0x77; }
int SSL_SESSION_set_ex_data(SSL_SESSION *s, int i, void *d)
{ std::printf("\tSSL_SESSION_set_ex_data(%#lx,%d,%#lx)", P(s), i, P(d)); return 1; }
void *SSL_SESSION_get_ex_data(const SSL_SESSION *s, int i)
{ std::printf("\tSSL_SESSION_get_ex_data(%#lx,%d)", P(s), i); return (void *)0x77; }
int CRYPTO_get_ex_new_index(int ci, long l, void *p, CRYPTO_EX_new *n,
                            CRYPTO_EX_dup *d, CRYPTO_EX_free *f)
{ std::printf("\tCRYPTO_get_ex_new_index(%d,%ld,%#lx,%#lx,%#lx,%#lx)", ci, l, P(p),
              F2L(n), F2L(d), F2L(f)); return 5; }
const SSL_CIPHER *SSL_get_current_cipher(const SSL *s)
{ std::printf("\tSSL_get_current_cipher(%#lx)", P(s)); return (const SSL_CIPHER *)0x99; }
const char *SSL_CIPHER_get_name(const SSL_CIPHER *c)
{ std::printf("\tSSL_CIPHER_get_name(%#lx)", P(c)); return "name"; }
const char *SSL_CIPHER_get_version(const SSL_CIPHER *c)
{ std::printf("\tSSL_CIPHER_get_version(%#lx)", P(c)); return "version"; }
int SSL_CIPHER_get_bits(const SSL_CIPHER *c, int *b)
{ std::printf("\tSSL_CIPHER_get_bits(%#lx,%#lx)", P(c), P(b)); return 128; }
int OPENSSL_init_ssl(uint64_t o, const OPENSSL_INIT_SETTINGS *s)
{ std::printf("\tOPENSSL_init_ssl(%#llx,%#lx)", (unsigned long long)o, P(s)); return 1; }
}

/* The result: its C++ type, and its value for scalars. */
template <class T> static void result(T v)
{
    std::printf("\t-> %s", typeid(T).name());
    if constexpr (std::is_arithmetic_v<T>)
        std::printf(" %lld", (long long)v);
    else if constexpr (std::is_same_v<T, const char *>)
        std::printf(" \"%s\"", v);
    else if constexpr (std::is_pointer_v<T>)
        std::printf(" %#lx", P((const void *)v));
}

int main()
{
EOF
    while IFS=: read -r name arity; do
        args=""
        for i in $(seq 1 "$arity"); do args="$args${args:+, }A$i"; done
        printf '#ifdef %s\n    std::printf("%s");\n    result(%s(%s));\n    std::printf("\\n");\n' \
            "$name" "$name" "$name" "$args"
        printf '#else\n    std::printf("%s\\tMISSING\\n");\n#endif\n' "$name"
    done <"$WORK/macros.txt"
    # Types: the mangled name spells out what a typedef really is (through a
    # pointer, so that opaque types can be named).
    for t in $(typedef_names $OUR_HEADERS) 'STACK_OF(SSL_CIPHER)'; do
        printf '    std::printf("type:%s\\t%%s\\n", typeid(%s *).name());\n' "$t" "$t"
    done
    echo '    return 0;'
    echo '}'
} >"$WORK/macros.cc"

if ! command -v "$CXX" >/dev/null 2>&1; then
    fail "macros: no C++ compiler ($CXX) to run the macro check"
else
    if compare_builds macros "$WORK/macros.cc" "$CXX -std=c++17"; then
        compare_items macros
    fi
    if compare_builds "macros (no deprecated)" "$WORK/macros.cc" "$CXX -std=c++17 $NO_DEPRECATED"; then
        compare_items "macros (no deprecated)"
    fi
fi

# ---- prototypes ----------------------------------------------------------------
# gcc -aux-info prints every declaration in a normalised, name-free form
# (clang has no such option: fall back to gcc when CC is clang).
printf '#include <openssl/ssl.h>\n' >"$WORK/proto.c"
AUXCC=$CC
$AUXCC -std=c11 -fsyntax-only -aux-info "$WORK/probe.aux" "$WORK/proto.c" 2>/dev/null &&
    [ -s "$WORK/probe.aux" ] || AUXCC=gcc
aux_protos() { # $1 output, $2.. extra flags
    local out=$1
    shift
    $AUXCC -std=c11 -w -fsyntax-only -aux-info "$out" "$@" "$WORK/proto.c"
}
if aux_protos "$WORK/sys.aux" && aux_protos "$WORK/our.aux" -I"$SRC/include"; then
    # Prototype of one function from an aux file, without the location comment.
    proto_of() { grep -E "[ *(]$1 \([^*]" "$2" | grep -v ' static ' | sed -E 's|^/\*[^*]*\*/ ||' | head -1; }
    grep -F "$SRC/include/" "$WORK/our.aux" | grep -v ' static ' | sed -E 's|^/\*[^*]*\*/ ||' |
        sed -nE 's/.*[ *(]([A-Za-z_][A-Za-z0-9_]*) \([^*].*/\1/p' | sort -u >"$WORK/declared.txt"
    if diff -u "$SRC/include/openssl/FUNCTIONS.txt" "$WORK/declared.txt" >"$WORK/functions.diff"; then
        pass "prototypes: FUNCTIONS.txt lists exactly the $(wc -l <"$WORK/declared.txt") declared functions"
    else
        fail "prototypes: FUNCTIONS.txt differs from the declarations"
        sed 's/^/     /' "$WORK/functions.diff"
    fi
    nproto=0
    while read -r fn; do
        ours=$(proto_of "$fn" "$WORK/our.aux")
        theirs=$(proto_of "$fn" "$WORK/sys.aux")
        if [ -z "$theirs" ]; then
            fail "prototypes: $fn is not an OpenSSL 3.0 function"
        elif [ "$ours" != "$theirs" ]; then
            fail "prototypes: $fn"
            echo "     system: $theirs"
            echo "     clasp:  $ours"
        else
            nproto=$((nproto + 1))
        fi
    done <"$WORK/declared.txt"
    passed=$((passed + nproto))
    echo "ok   prototypes: $nproto identical to OpenSSL's"
else
    fail "prototypes: could not collect declarations"
fi

# ---- reason strings ------------------------------------------------------------
{
    cat <<'EOF'
#include <stdio.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#ifdef CLASP
int clasp_err_load_strings(void);
#endif
static void show(const char *name, int reason)
{
    const char *s = ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, reason));
    printf("%s\t%s\n", name, s != NULL ? s : "(none)");
}
int main(void)
{
#ifdef CLASP
    if (!clasp_err_load_strings() || !clasp_err_load_strings())
        return 1;
#else
    OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS, NULL);
#endif
    printf("library\t%s\n", ERR_lib_error_string(ERR_PACK(ERR_LIB_SSL, 0, 0)));
EOF
    sed -nE 's/^#[[:space:]]*define[[:space:]]+(SSL_R_[A-Z0-9_]+)[[:space:]].*/    show("\1", \1);/p' "$SYS/sslerr.h"
    echo '    return 0;'
    echo '}'
} >"$WORK/strings.c"
if $CC -std=c11 -w -o "$WORK/sys.bin" "$WORK/strings.c" -lssl -lcrypto 2>"$WORK/sys.err" &&
    $CC -std=c11 -w -DCLASP -I"$SRC/include" -I"$SRC/src" -o "$WORK/our.bin" \
        "$WORK/strings.c" "$SRC/src/api/err_strings.c" -lcrypto 2>"$WORK/our.err" &&
    "$WORK/sys.bin" >"$WORK/sys.out" && "$WORK/our.bin" >"$WORK/our.out"; then
    compare_items strings
else
    fail "strings: could not build or run"
    cat "$WORK/sys.err" "$WORK/our.err" 2>/dev/null | head -20 | sed 's/^/     /'
fi

# ---- headers are self-contained and clean ----------------------------------------
cat >"$WORK/use.c" <<'EOF'
#include <openssl/ssl.h>
/* Uses the API the way applications do; only compiled, never run. */
int use(SSL_CTX *ctx, SSL *ssl);
int use(SSL_CTX *ctx, SSL *ssl)
{
    EVP_PKEY *peer_key = NULL;
    int nid = 0;
    long mode;
    STACK_OF(SSL_CIPHER) *ciphers = SSL_get_ciphers(ssl);
    const SSL_CIPHER *c = sk_SSL_CIPHER_num(ciphers) > 0 ? sk_SSL_CIPHER_value(ciphers, 0) : NULL;

    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
        || !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)
        || !SSL_CTX_set1_groups_list(ctx, "X25519:P-256")
        || !SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256")
        || !SSL_set_tlsext_host_name(ssl, "example.com"))
        return 0;
    mode = SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY | SSL_MODE_ENABLE_PARTIAL_WRITE);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_set_options(ctx, SSL_OP_ALL | SSL_OP_NO_TLSv1_3);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_set_app_data(ssl, ctx);
    SSL_get_peer_tmp_key(ssl, &peer_key);
    SSL_get_peer_signature_nid(ssl, &nid);
    EVP_PKEY_free(peer_key);
    if (SSL_get_error(ssl, -1) == SSL_ERROR_WANT_READ || SSL_want_write(ssl))
        return 2;
    if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_CERTIFICATE_VERIFY_FAILED)
        return 3;
    return (int)mode + nid + (c != NULL) + (SSL_get_app_data(ssl) == ctx)
           + (int)SSL_get_negotiated_group(ssl) + SSL_get_state(ssl);
}
EOF
cp "$WORK/use.c" "$WORK/use.cc"
for flags in "-std=c99" "-std=c11" "-std=c11 $NO_DEPRECATED" \
    "-std=c11 -Wstrict-prototypes -Wmissing-prototypes -Wundef -Wshadow -Wredundant-decls -Wcast-qual"; do
    if $CC $flags -Wall -Wextra -Werror -pedantic -I"$SRC/include" -c -o "$WORK/use.o" "$WORK/use.c" 2>"$WORK/err"; then
        pass "headers: ssl.h in use, $CC $flags -Wall -Wextra -Werror -pedantic"
    else
        fail "headers: ssl.h in use, $CC $flags"
        head -20 "$WORK/err" | sed 's/^/     /'
    fi
done
if command -v "$CXX" >/dev/null 2>&1; then
    if $CXX -Wall -Wextra -Werror -I"$SRC/include" -c -o "$WORK/use.o" "$WORK/use.cc" 2>"$WORK/err"; then
        pass "headers: ssl.h in use, $CXX -Wall -Wextra -Werror"
    else
        fail "headers: ssl.h in use, $CXX"
        head -20 "$WORK/err" | sed 's/^/     /'
    fi
fi
for h in ssl.h ssl3.h tls1.h sslerr.h; do
    printf '#include <openssl/%s>\n#include <openssl/%s>\nint main(void) { return 0; }\n' "$h" "$h" >"$WORK/one.c"
    if $CC -std=c11 -Wall -Wextra -Werror -I"$SRC/include" -o "$WORK/one" "$WORK/one.c" 2>"$WORK/err"; then
        pass "headers: <openssl/$h> alone, twice"
    else
        fail "headers: <openssl/$h> alone"
        head -20 "$WORK/err" | sed 's/^/     /'
    fi
done

# ---- exports (information only while the facade is being written) ----------------
LIB=${CLASP_LIB_DIR:-}/libclasp.so
if [ -n "${CLASP_LIB_DIR:-}" ] && [ -e "$LIB" ]; then
    nm -D --defined-only "$LIB" | awk '{ print $NF }' | sed 's/@.*//' | sort -u >"$WORK/exported.txt"
    missing=$(comm -23 "$SRC/include/openssl/FUNCTIONS.txt" "$WORK/exported.txt")
    if [ -n "$missing" ]; then
        echo "note: $(echo "$missing" | wc -l) declared functions are not exported by $LIB yet:"
        echo "$missing" | head -20 | sed 's/^/     /'
    else
        echo "note: $LIB exports every declared function"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
