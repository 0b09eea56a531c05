/*
 * clasp-bench — handshake, bulk-transfer and memory benchmark over the libssl API.
 *
 * One source, built twice (CMakeLists.txt, "benchmark" section): clasp-bench
 * against Clasp's headers and library, clasp-bench-openssl against the system
 * libssl. Client and server live in one process and talk over a BIO pair,
 * driven through the non-blocking contract (SSL_do_handshake + SSL_get_error),
 * so every figure is library + libcrypto, no kernel. scripts/bench.sh runs both
 * builds interleaved and prints medians and ratios; docs/performance.md
 * describes every row.
 *
 * Output (stdout): one tab-separated line per measurement,
 *     R <row> <metric> <value>
 * and one status line per row, "R <row> status ok|na|fail [reason]".
 * "na" means the library does not do what the row needs (found out at run
 * time: the handshake fails, or SSL_session_reused() says no); no figure is
 * printed for it.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bench.h"

#ifndef CLASP_BENCH_IMPL
#define CLASP_BENCH_IMPL "unknown"
#endif

#if defined(__GNUC__) && !defined(__clang__)
#define BENCH_KEEP __attribute__((noinline, noclone, used))
#else
#define BENCH_KEEP __attribute__((noinline, used))
#endif

#define BENCH_HOST "bench.example"
#define BULK_CHUNK 16384 /* one full TLS record of plaintext (RFC 9846 §5.1) */
#define MAX_ROUNDS 64    /* SSL_do_handshake rounds before "no progress" */

enum side { SIDE_HARNESS = 0, SIDE_CLIENT = 1, SIDE_SERVER = 2 };

/* ---- heap accounting through libcrypto's allocator hook ------------------ */
/*
 * libssl, Clasp and libcrypto all allocate through OPENSSL_malloc, so one hook
 * installed before the first allocation sees every byte. The hook's free gets
 * no size, so each block carries a header with its size and the counting
 * generation it was born in: a free subtracts only what this generation added.
 * Counting is switched on only in single-threaded rows.
 */
typedef union {
    struct {
        size_t size;
        unsigned gen;
    } h;
    max_align_t align;
} mem_hdr;

struct mem_stats {
    long long live, peak;
    unsigned long calls[3]; /* malloc + realloc calls, by side */
};

static int g_mem_hooked;
static unsigned g_mem_gen; /* nonzero while counting */
static unsigned g_mem_gen_next;
static struct mem_stats g_mem;
static _Thread_local int g_side;

static void mem_add(size_t n)
{
    g_mem.live += (long long)n;
    if (g_mem.live > g_mem.peak) {
        g_mem.peak = g_mem.live;
    }
    g_mem.calls[g_side]++;
}

static void mem_sub(const mem_hdr *h)
{
    if (g_mem_gen != 0 && h->h.gen == g_mem_gen) {
        g_mem.live -= (long long)h->h.size;
    }
}

static void *bm_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    if (n == 0) {
        return NULL; /* what CRYPTO_malloc does without a hook */
    }
    mem_hdr *h = malloc(sizeof(*h) + n);
    if (h == NULL) {
        return NULL;
    }
    h->h.size = n;
    h->h.gen = g_mem_gen;
    if (g_mem_gen != 0) {
        mem_add(n);
    }
    return h + 1;
}

static void bm_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    if (p == NULL) {
        return;
    }
    mem_hdr *h = (mem_hdr *)p - 1;
    mem_sub(h);
    free(h);
}

static void *bm_realloc(void *p, size_t n, const char *file, int line)
{
    if (p == NULL) {
        return bm_malloc(n, file, line);
    }
    if (n == 0) { /* CRYPTO_realloc(p, 0) frees, as without a hook */
        bm_free(p, file, line);
        return NULL;
    }
    mem_hdr saved = *((mem_hdr *)p - 1);
    mem_hdr *h = realloc((mem_hdr *)p - 1, sizeof(*h) + n);
    if (h == NULL) {
        return NULL;
    }
    mem_sub(&saved);
    h->h.size = n;
    h->h.gen = g_mem_gen;
    if (g_mem_gen != 0) {
        mem_add(n);
    }
    return h + 1;
}

static void mem_begin(void)
{
    memset(&g_mem, 0, sizeof(g_mem));
    g_mem_gen = ++g_mem_gen_next;
}

static void mem_end(void)
{
    g_mem_gen = 0;
}

/* ---- CPU clocks -------------------------------------------------------------- */
static int64_t g_clock_ovh; /* cost of one back-to-back clock pair, subtracted per region */
static _Thread_local int64_t g_side_ns[3];

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void clock_calibrate(void)
{
    int64_t d[401];
    for (size_t i = 0; i < 401; i++) {
        int64_t t0 = cpu_ns();
        d[i] = cpu_ns() - t0;
    }
    qsort(d, 401, sizeof(d[0]), cmp_i64);
    g_clock_ovh = d[200];
}

/* Start a region charged to one side; allocations inside it count for that side. */
static int64_t side_enter(int side)
{
    g_side = side;
    return cpu_ns();
}

static void side_leave(int side, int64_t t0)
{
    int64_t d = cpu_ns() - t0 - g_clock_ovh;
    g_side_ns[side] += d > 0 ? d : 0;
    g_side = SIDE_HARNESS;
}

/* ---- failures -------------------------------------------------------------------- */
struct fail {
    char msg[400];
};

/* Record the first failure with libssl's queued error, if any, and clear the queue. */
static void fail_set(struct fail *f, const char *fmt, ...)
{
    if (f->msg[0] != '\0') {
        ERR_clear_error();
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
    va_end(ap);
    unsigned long e = ERR_get_error();
    if (e != 0 && n > 0 && (size_t)n < sizeof(f->msg) - 8) {
        char es[256];
        ERR_error_string_n(e, es, sizeof(es));
        snprintf(f->msg + n, sizeof(f->msg) - (size_t)n, ": %s", es);
    }
    ERR_clear_error();
}

/* ---- rows --------------------------------------------------------------------------- */
enum kind { K_FULL, K_RESUMED, K_BULK, K_MEMORY, K_THREADS };
enum aead { A_AES128, A_AES256, A_CHACHA };

struct row_def {
    const char *name;
    enum kind kind;
    int tls12;           /* TLS 1.2 instead of TLS 1.3 */
    int rsa;             /* RSA-2048 certificate instead of ECDSA P-256 */
    enum aead aead;
    int p256;            /* key exchange on P-256 instead of X25519 */
    int verify;          /* client verifies the server's chain and name */
    int tickets;         /* TLS 1.3 tickets the server sends per full handshake */
    int release_buffers; /* SSL_MODE_RELEASE_BUFFERS on both sides */
};

static const struct row_def k_rows[] = {
    {"tls13-ecdsa-aes128-x25519", K_FULL, 0, 0, A_AES128, 0, 0, 0, 0},
    {"tls13-ecdsa-chacha20-x25519", K_FULL, 0, 0, A_CHACHA, 0, 0, 0, 0},
    {"tls13-rsa-aes128-x25519", K_FULL, 0, 1, A_AES128, 0, 0, 0, 0},
    {"tls13-rsa-chacha20-x25519", K_FULL, 0, 1, A_CHACHA, 0, 0, 0, 0},
    {"tls13-ecdsa-aes128-p256", K_FULL, 0, 0, A_AES128, 1, 0, 0, 0},
    {"tls13-ecdsa-aes128-x25519-verify", K_FULL, 0, 0, A_AES128, 0, 1, 0, 0},
    {"tls13-rsa-aes128-x25519-verify", K_FULL, 0, 1, A_AES128, 0, 1, 0, 0},
    {"tls13-ecdsa-aes128-x25519-2tickets", K_FULL, 0, 0, A_AES128, 0, 0, 2, 0},
    {"tls12-ecdsa-aes128-x25519", K_FULL, 1, 0, A_AES128, 0, 0, 0, 0},
    {"tls12-ecdsa-chacha20-x25519", K_FULL, 1, 0, A_CHACHA, 0, 0, 0, 0},
    {"tls12-rsa-aes128-x25519", K_FULL, 1, 1, A_AES128, 0, 0, 0, 0},
    {"tls12-rsa-chacha20-x25519", K_FULL, 1, 1, A_CHACHA, 0, 0, 0, 0},
    {"tls13-resumed-psk-dhe-x25519", K_RESUMED, 0, 0, A_AES128, 0, 0, 1, 0},
    {"tls12-resumed-ticket", K_RESUMED, 1, 0, A_AES128, 0, 0, 0, 0},
    {"bulk-aes128gcm", K_BULK, 0, 0, A_AES128, 0, 0, 0, 0},
    {"bulk-aes256gcm", K_BULK, 0, 0, A_AES256, 0, 0, 0, 0},
    {"bulk-chacha20", K_BULK, 0, 0, A_CHACHA, 0, 0, 0, 0},
    {"memory", K_MEMORY, 0, 0, A_AES128, 0, 0, 0, 0},
    {"memory-release-buffers", K_MEMORY, 0, 0, A_AES128, 0, 0, 0, 1},
    {"threads2", K_THREADS, 0, 0, A_AES128, 0, 0, 0, 0},
};
#define NUM_ROWS (sizeof(k_rows) / sizeof(k_rows[0]))

/* The row for --instr unless --rows names another: the one the instruction
 * target is about. */
#define INSTR_ROW 0

static const char *const k_suite13[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                        "TLS_CHACHA20_POLY1305_SHA256"};
static const char *const k_cipher_evp[] = {"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"};

/* OpenSSL's name of the suite the row negotiates: what SSL_CIPHER_get_name() must say. */
static const char *row_cipher(const struct row_def *r)
{
    if (!r->tls12) {
        return k_suite13[r->aead];
    }
    if (r->aead == A_CHACHA) {
        return r->rsa ? "ECDHE-RSA-CHACHA20-POLY1305" : "ECDHE-ECDSA-CHACHA20-POLY1305";
    }
    return r->rsa ? "ECDHE-RSA-AES128-GCM-SHA256" : "ECDHE-ECDSA-AES128-GCM-SHA256";
}

/* A feature row needs something beyond a plain TLS 1.3 handshake; its failure is "na". */
static int row_is_feature(const struct row_def *r)
{
    return r->tls12 || r->kind == K_RESUMED || r->tickets > 0;
}

/* ---- certificates, generated in memory ------------------------------------------ */
struct identity {
    EVP_PKEY *ca_key, *key;
    X509 *ca, *leaf;
};
static struct identity g_id[2]; /* [0] ECDSA P-256, [1] RSA-2048; each with its own CA */

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL) {
        return 0;
    }
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static int cert_exts(X509 *x, X509 *issuer, int ca)
{
    if (ca) {
        return add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE") &&
               add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
               add_ext(x, issuer, NID_subject_key_identifier, "hash");
    }
    return add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") &&
           add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") &&
           add_ext(x, issuer, NID_ext_key_usage, "serverAuth") &&
           add_ext(x, issuer, NID_subject_key_identifier, "hash") &&
           add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") &&
           add_ext(x, issuer, NID_subject_alt_name, "DNS:" BENCH_HOST);
}

/* A certificate for key, signed by issuer_key (self-signed CA when issuer is NULL). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, long serial)
{
    X509 *x = X509_new();
    if (x == NULL) {
        return NULL;
    }
    int ca = issuer == NULL;
    X509_NAME *name = X509_get_subject_name(x);
    int ok = X509_set_version(x, X509_VERSION_3) &&
             ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
             X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
             X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) != NULL &&
             X509_set_pubkey(x, key) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
             X509_set_issuer_name(x, ca ? name : X509_get_subject_name(issuer)) &&
             cert_exts(x, ca ? x : issuer, ca) &&
             X509_sign(x, ca ? key : issuer_key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static EVP_PKEY *make_key(int rsa)
{
    return rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
}

static int identity_make(struct identity *id, int rsa)
{
    if (id->leaf != NULL) {
        return 1;
    }
    id->ca_key = make_key(rsa);
    id->key = make_key(rsa);
    if (id->ca_key == NULL || id->key == NULL) {
        return 0;
    }
    id->ca = make_cert(rsa ? "Bench RSA CA" : "Bench ECDSA CA", id->ca_key, NULL, NULL, 1);
    if (id->ca == NULL) {
        return 0;
    }
    id->leaf = make_cert(BENCH_HOST, id->key, id->ca, id->ca_key, 2);
    return id->leaf != NULL;
}

/* ---- contexts and connections -------------------------------------------------------- */
struct bench {
    const struct row_def *row;
    SSL_CTX *sctx, *cctx;
    SSL_SESSION *session; /* resumed rows: what every client offers */
    int checked;          /* the negotiated parameters were checked once */
};

static int g_tickets_seen; /* NewSessionTickets the client reported (ticket row) */

static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    (void)ssl;
    (void)sess;
    g_tickets_seen++;
    return 0; /* not kept: the library frees it */
}

static int ctx_versions(SSL_CTX *ctx, const struct row_def *r)
{
    int v = r->tls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    if (!SSL_CTX_set_min_proto_version(ctx, v) || !SSL_CTX_set_max_proto_version(ctx, v)) {
        return 0;
    }
    /* TLS 1.2 also reads supported_groups as the curves an ECDSA certificate may use
     * (RFC 8422 §5.1.1), so P-256 stays listed there, after X25519. */
    const char *groups = r->p256 ? "P-256" : r->tls12 ? "X25519:P-256" : "X25519";
    if (!SSL_CTX_set1_groups_list(ctx, groups)) {
        return 0;
    }
    if (r->tls12) {
        return SSL_CTX_set_cipher_list(ctx, row_cipher(r));
    }
    return SSL_CTX_set_ciphersuites(ctx, row_cipher(r));
}

static SSL_CTX *server_ctx(const struct row_def *r)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    const struct identity *id = &g_id[r->rsa];
    if (ctx == NULL || !ctx_versions(ctx, r) || SSL_CTX_use_certificate(ctx, id->leaf) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, id->key) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* Tickets are stateless; a growing server cache would change the cost over a run. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (!r->tls12) {
        SSL_CTX_set_num_tickets(ctx, (size_t)r->tickets);
    } else if (r->kind != K_RESUMED) {
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET); /* full TLS 1.2 rows: no ticket, as TLS 1.3 rows */
    }
    if (r->release_buffers) {
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    }
    return ctx;
}

static SSL_CTX *client_ctx(const struct row_def *r)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || !ctx_versions(ctx, r)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (r->verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if (!X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), g_id[r->rsa].ca)) {
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    if (r->kind == K_FULL && r->tickets > 0) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    }
    if (r->release_buffers) {
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    }
    return ctx;
}

static void bench_free(struct bench *b)
{
    SSL_SESSION_free(b->session);
    SSL_CTX_free(b->sctx);
    SSL_CTX_free(b->cctx);
    memset(b, 0, sizeof(*b));
}

static int bench_init(struct bench *b, const struct row_def *r, struct fail *f)
{
    memset(b, 0, sizeof(*b));
    b->row = r;
    b->sctx = server_ctx(r);
    b->cctx = client_ctx(r);
    if (b->sctx == NULL || b->cctx == NULL) {
        fail_set(f, "SSL_CTX setup failed (%s)", b->sctx == NULL ? "server" : "client");
        bench_free(b);
        return 0;
    }
    return 1;
}

struct conn {
    SSL *c, *s;
    BIO *cb, *sb; /* the BIO pair; we keep a reference so SSL_free leaves it to us */
};

/* One side's SSL on its half of the pair; charged to that side's CPU and heap. */
static SSL *side_new(SSL_CTX *ctx, BIO *bio, int side, const struct bench *b)
{
    int64_t t = side_enter(side);
    SSL *ssl = SSL_new(ctx);
    int ok = ssl != NULL;
    if (ok) {
        BIO_up_ref(bio);
        SSL_set_bio(ssl, bio, bio);
        if (side == SIDE_CLIENT) {
            SSL_set_connect_state(ssl);
            ok = SSL_set_tlsext_host_name(ssl, BENCH_HOST) == 1;
            ok = ok && (!b->row->verify || SSL_set1_host(ssl, BENCH_HOST) == 1);
            ok = ok && (b->session == NULL || SSL_set_session(ssl, b->session) == 1);
        } else {
            SSL_set_accept_state(ssl);
        }
    }
    side_leave(side, t);
    if (!ok) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

static void side_free(SSL *ssl, int side)
{
    int64_t t = side_enter(side);
    if (ssl != NULL) {
        /* As after a clean close: keeps a session resumable (libssl drops sessions of
         * connections freed without shutdown). */
        SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(ssl);
    }
    side_leave(side, t);
}

static int conn_pair(struct conn *cn, struct fail *f)
{
    memset(cn, 0, sizeof(*cn));
    if (!BIO_new_bio_pair(&cn->cb, 0, &cn->sb, 0)) {
        fail_set(f, "BIO_new_bio_pair failed");
        return 0;
    }
    return 1;
}

static int conn_ssl(struct conn *cn, const struct bench *b, struct fail *f)
{
    cn->c = side_new(b->cctx, cn->cb, SIDE_CLIENT, b);
    cn->s = side_new(b->sctx, cn->sb, SIDE_SERVER, b);
    if (cn->c == NULL || cn->s == NULL) {
        fail_set(f, "SSL_new or its setup failed (%s)", cn->c == NULL ? "client" : "server");
        return 0;
    }
    return 1;
}

static void conn_close(struct conn *cn)
{
    side_free(cn->c, SIDE_CLIENT);
    side_free(cn->s, SIDE_SERVER);
    BIO_free(cn->cb);
    BIO_free(cn->sb);
    memset(cn, 0, sizeof(*cn));
}

static const char *side_name(int side)
{
    return side == SIDE_CLIENT ? "client" : "server";
}

/* One SSL_do_handshake call; 1 while the handshake goes on or is done. */
static int hs_step(SSL *ssl, int side, int *done, struct fail *f)
{
    int64_t t = side_enter(side);
    int r = SSL_do_handshake(ssl);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
    side_leave(side, t);
    if (r == 1) {
        *done = 1;
        return 1;
    }
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        return 1;
    }
    fail_set(f, "%s: SSL_do_handshake = %d, SSL_get_error = %d", side_name(side), r, e);
    return 0;
}

static int handshake(struct conn *cn, struct fail *f)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < MAX_ROUNDS; i++) {
        if (!cdone && !hs_step(cn->c, SIDE_CLIENT, &cdone, f)) {
            return 0;
        }
        if (!sdone && !hs_step(cn->s, SIDE_SERVER, &sdone, f)) {
            return 0;
        }
        if (cdone && sdone) {
            return 1;
        }
    }
    fail_set(f, "handshake made no progress in %d rounds", MAX_ROUNDS);
    return 0;
}

/* Read what the peer sent after its handshake (tickets) until the side would block: idle. */
static int drain(SSL *ssl, int side, struct fail *f)
{
    unsigned char buf[64];
    int64_t t = side_enter(side);
    int r = SSL_read(ssl, buf, sizeof(buf));
    int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
    side_leave(side, t);
    if (r <= 0 && e == SSL_ERROR_WANT_READ) {
        return 1;
    }
    fail_set(f, "%s: SSL_read on an idle connection = %d, SSL_get_error = %d", side_name(side), r, e);
    return 0;
}

static int check_side(SSL *ssl, const struct row_def *r, int side, struct fail *f)
{
    int want = r->tls12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    const char *name = c != NULL ? SSL_CIPHER_get_name(c) : "(none)";
    if (SSL_version(ssl) != want) {
        fail_set(f, "%s negotiated %s, the row needs %s", side_name(side), SSL_get_version(ssl),
                 r->tls12 ? "TLSv1.2" : "TLSv1.3");
        return 0;
    }
    if (name == NULL || strcmp(name, row_cipher(r)) != 0) {
        fail_set(f, "%s negotiated %s, the row needs %s", side_name(side), name ? name : "(null)",
                 row_cipher(r));
        return 0;
    }
    return 1;
}

/* The first handshake of a row proves it measures what its name says. */
static int check_conn(struct bench *b, struct conn *cn, struct fail *f)
{
    const struct row_def *r = b->row;
    if (!check_side(cn->c, r, SIDE_CLIENT, f) || !check_side(cn->s, r, SIDE_SERVER, f)) {
        return 0;
    }
    if (r->verify && SSL_get_verify_result(cn->c) != X509_V_OK) {
        fail_set(f, "client verification result %ld",
                 (long)SSL_get_verify_result(cn->c));
        return 0;
    }
    if (r->kind == K_FULL && r->tickets > 0 && g_tickets_seen == 0) {
        fail_set(f, "the client received no NewSessionTicket");
        return 0;
    }
    b->checked = 1;
    return 1;
}

static int check_resumed(struct conn *cn, struct fail *f)
{
    if (SSL_session_reused(cn->c) != 1 || SSL_session_reused(cn->s) != 1) {
        fail_set(f, "SSL_session_reused() = %d (client), %d (server): a full handshake ran",
                 SSL_session_reused(cn->c), SSL_session_reused(cn->s));
        return 0;
    }
    return 1;
}

/* One connection: open, handshake, (read tickets), close. */
static int once_connection(struct bench *b, struct fail *f)
{
    struct conn cn;
    if (!conn_pair(&cn, f)) {
        return 0;
    }
    int ok = conn_ssl(&cn, b, f) && handshake(&cn, f);
    if (ok && b->row->tickets > 0) {
        ok = drain(cn.c, SIDE_CLIENT, f);
    }
    if (ok && b->session != NULL) {
        ok = check_resumed(&cn, f);
    }
    if (ok && !b->checked) {
        ok = check_conn(b, &cn, f);
    }
    conn_close(&cn);
    return ok;
}

/* Resumed rows: one full handshake gives the session every timed handshake offers. */
static int prime_session(struct bench *b, struct fail *f)
{
    struct conn cn;
    if (!conn_pair(&cn, f)) {
        return 0;
    }
    int ok = conn_ssl(&cn, b, f) && handshake(&cn, f) && check_conn(b, &cn, f);
    if (ok && !b->row->tls12) {
        ok = drain(cn.c, SIDE_CLIENT, f); /* TLS 1.3 tickets arrive after the handshake */
    }
    if (ok) {
        b->session = SSL_get1_session(cn.c);
        if (b->session == NULL) {
            fail_set(f, "SSL_get1_session returned NULL after the first handshake");
            ok = 0;
        }
    }
    conn_close(&cn);
    if (ok && !b->row->tls12) {
        SSL_CTX_set_num_tickets(b->sctx, 0); /* timed handshakes: resumption only, no new ticket */
    }
    return ok;
}

/* ---- measurements, buffered per row ---------------------------------------------- */
struct out {
    int n;
    struct {
        char metric[48];
        double v;
    } m[40];
};

static void out_put(struct out *o, const char *metric, double v)
{
    if (o->n < 40) {
        snprintf(o->m[o->n].metric, sizeof(o->m[o->n].metric), "%s", metric);
        o->m[o->n].v = v;
        o->n++;
    }
}

/* "floor_<part>_<unit>" */
static void out_part(struct out *o, const struct floor_part *p, const char *unit, double v)
{
    char name[48];
    snprintf(name, sizeof(name), "floor_%s_%s", p->name, unit);
    out_put(o, name, v);
}

struct opts {
    double seconds;   /* CPU time per measurement */
    int no_fork;      /* run rows in this process (debugging) */
    int floor_detail; /* time each floor component on its own */
    const char *rows; /* comma-separated names, NULL = all */
};

/* Run fn until it has used `seconds` of CPU (at least 3 times, after 3 warm-up runs). */
static long timed_loop(int (*fn)(void *), void *arg, double seconds, int64_t *elapsed)
{
    for (int i = 0; i < 3; i++) {
        if (!fn(arg)) {
            return -1;
        }
    }
    memset(g_side_ns, 0, sizeof(g_side_ns));
    long n = 0;
    int64_t start = cpu_ns(), now;
    do {
        if (!fn(arg)) {
            return -1;
        }
        n++;
        now = cpu_ns();
    } while (n < 3 || (double)(now - start) < seconds * 1e9);
    *elapsed = now - start;
    return n;
}

/* ---- the floor (tools/bench/floor.c) -------------------------------------------------- */
static struct floor *floor_for(const struct row_def *r)
{
    struct floor_cfg cfg = {
        .p256 = r->p256,
        .rsa = r->rsa,
        .verify = r->verify,
        .cipher = k_cipher_evp[r->aead],
        .key_len = r->aead == A_AES128 ? 16 : 32,
        .host = BENCH_HOST,
        .key = g_id[r->rsa].key,
        .leaf = g_id[r->rsa].leaf,
        .ca = g_id[r->rsa].ca,
    };
    return clasp_floor_new(&cfg);
}

static int floor_fn(void *arg)
{
    return clasp_floor_handshake(arg);
}

static const struct floor_part *g_part;
static struct floor *g_part_floor;

static int floor_part_fn(void *arg)
{
    (void)arg;
    return g_part->fn(g_part_floor);
}

/* Floor of a TLS 1.3 handshake row, in µs of CPU, and (--floor-detail) its parts. */
static int measure_floor(const struct row_def *r, const struct opts *o, struct out *out, struct fail *f)
{
    struct floor *fl = floor_for(r);
    int64_t el = 0;
    if (fl == NULL) {
        fail_set(f, "floor setup failed (libcrypto)");
        return 0;
    }
    long n = timed_loop(floor_fn, fl, o->seconds / 2, &el);
    if (n > 0) {
        out_put(out, "floor_us", (double)el / 1e3 / (double)n);
    }
    for (size_t i = 0; n > 0 && o->floor_detail && i < clasp_floor_num_parts; i++) {
        if (clasp_floor_parts[i].needs_verify && !r->verify) {
            continue;
        }
        g_part = &clasp_floor_parts[i];
        g_part_floor = fl;
        long m = timed_loop(floor_part_fn, NULL, o->seconds / 8, &el);
        if (m > 0) {
            out_part(out, g_part, "us", (double)el / 1e3 / (double)m);
        }
    }
    clasp_floor_free(fl);
    if (n <= 0) {
        fail_set(f, "floor handshake failed (libcrypto)");
        return 0;
    }
    return 1;
}

/* ---- handshake rows --------------------------------------------------------------------- */
static struct fail *g_hs_fail; /* where hs_fn's failure goes */

static int hs_fn_checked(void *arg)
{
    return once_connection(arg, g_hs_fail);
}

static int row_handshakes(const struct row_def *r, const struct opts *o, struct out *out, struct fail *f)
{
    struct bench b;
    int64_t el = 0;
    if (!bench_init(&b, r, f)) {
        return 0;
    }
    if (r->kind == K_RESUMED && !prime_session(&b, f)) {
        bench_free(&b);
        return 0;
    }
    g_hs_fail = f;
    long n = timed_loop(hs_fn_checked, &b, o->seconds, &el);
    bench_free(&b);
    if (n <= 0) {
        return 0;
    }
    double c = (double)g_side_ns[SIDE_CLIENT] / 1e3 / (double)n;
    double s = (double)g_side_ns[SIDE_SERVER] / 1e3 / (double)n;
    out_put(out, "n", (double)n);
    out_put(out, "hs_us", c + s);
    out_put(out, "client_us", c);
    out_put(out, "server_us", s);
    if (r->kind == K_FULL && !r->tls12 && r->tickets == 0) {
        return measure_floor(r, o, out, f);
    }
    return 1;
}

/* ---- bulk rows ---------------------------------------------------------------------------- */
struct bulk {
    struct conn cn;
    struct fail *f;
    unsigned char wbuf[BULK_CHUNK], rbuf[BULK_CHUNK];
};

static int bulk_read(struct bulk *bk, int *got)
{
    int64_t t = side_enter(SIDE_SERVER);
    int r = SSL_read(bk->cn.s, bk->rbuf, (int)sizeof(bk->rbuf));
    int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(bk->cn.s, r);
    side_leave(SIDE_SERVER, t);
    if (r > 0) {
        *got += r;
        return 1;
    }
    if (e == SSL_ERROR_WANT_READ) {
        return 1;
    }
    fail_set(bk->f, "server: SSL_read = %d, SSL_get_error = %d", r, e);
    return 0;
}

/* The client writes one 16 KiB chunk; the server reads it all. */
static int bulk_fn(void *arg)
{
    struct bulk *bk = arg;
    int got = 0, sent = 0;
    for (int i = 0; !sent && i < MAX_ROUNDS; i++) {
        int64_t t = side_enter(SIDE_CLIENT);
        int r = SSL_write(bk->cn.c, bk->wbuf, BULK_CHUNK);
        int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(bk->cn.c, r);
        side_leave(SIDE_CLIENT, t);
        if (r == BULK_CHUNK) {
            sent = 1;
        } else if (e != SSL_ERROR_WANT_WRITE) {
            fail_set(bk->f, "client: SSL_write = %d, SSL_get_error = %d", r, e);
            return 0;
        } else if (!bulk_read(bk, &got)) { /* the pair is full: let the server read */
            return 0;
        }
    }
    for (int i = 0; got < BULK_CHUNK && i < MAX_ROUNDS; i++) {
        if (!bulk_read(bk, &got)) {
            return 0;
        }
    }
    if (!sent || got != BULK_CHUNK) {
        fail_set(bk->f, "16 KiB write did not arrive (sent %d, read %d bytes)", sent, got);
        return 0;
    }
    return 1;
}

/* Raw EVP speed on the same records: seal and open 16 KiB + content type. */
struct evp_bulk {
    EVP_CIPHER_CTX *ctx;
    int enc;
    const unsigned char *in;
    unsigned char *out, *tag;
};

static int evp_bulk_fn(void *arg)
{
    struct evp_bulk *eb = arg;
    unsigned char iv[12] = {3}, aad[5] = {23, 3, 3, 0x40, 0x11};
    int outl = 0, fin = 0;
    int ok = EVP_CipherInit_ex2(eb->ctx, NULL, NULL, iv, eb->enc, NULL) == 1 &&
             EVP_CipherUpdate(eb->ctx, NULL, &outl, aad, 5) == 1 &&
             EVP_CipherUpdate(eb->ctx, eb->out, &outl, eb->in, BULK_CHUNK + 1) == 1;
    if (ok && !eb->enc) {
        ok = EVP_CIPHER_CTX_ctrl(eb->ctx, EVP_CTRL_AEAD_SET_TAG, 16, eb->tag) == 1;
    }
    ok = ok && EVP_CipherFinal_ex(eb->ctx, eb->out + outl, &fin) == 1;
    if (ok && eb->enc) {
        ok = EVP_CIPHER_CTX_ctrl(eb->ctx, EVP_CTRL_AEAD_GET_TAG, 16, eb->tag) == 1;
    }
    return ok;
}

static double mbps(long n, int64_t ns)
{
    return ns > 0 ? (double)n * BULK_CHUNK / ((double)ns / 1e9) / 1e6 : 0;
}

/* Seal records from plain into ct, then open ct (which authenticates every time) into pt. */
static int measure_evp_bulk(const struct row_def *r, const struct opts *o, struct out *out)
{
    static unsigned char plain[BULK_CHUNK + 64], ct[BULK_CHUNK + 64], pt[BULK_CHUNK + 64];
    unsigned char key[32] = {9}, tag[16];
    EVP_CIPHER *ciph = EVP_CIPHER_fetch(NULL, k_cipher_evp[r->aead], NULL);
    struct evp_bulk seal = {EVP_CIPHER_CTX_new(), 1, plain, ct, tag};
    struct evp_bulk open = {EVP_CIPHER_CTX_new(), 0, ct, pt, tag};
    int64_t el = 0;
    long n = -1, m = -1;
    int ok = ciph != NULL && seal.ctx != NULL && open.ctx != NULL &&
             EVP_CipherInit_ex2(seal.ctx, ciph, key, NULL, 1, NULL) == 1 &&
             EVP_CipherInit_ex2(open.ctx, ciph, key, NULL, 0, NULL) == 1;
    if (ok && (n = timed_loop(evp_bulk_fn, &seal, o->seconds / 4, &el)) > 0) {
        out_put(out, "evp_seal_mbps", mbps(n, el));
    }
    if (n > 0 && (m = timed_loop(evp_bulk_fn, &open, o->seconds / 4, &el)) > 0) {
        out_put(out, "evp_open_mbps", mbps(m, el));
    }
    EVP_CIPHER_CTX_free(seal.ctx);
    EVP_CIPHER_CTX_free(open.ctx);
    EVP_CIPHER_free(ciph);
    return n > 0 && m > 0;
}

static int row_bulk(const struct row_def *r, const struct opts *o, struct out *out, struct fail *f)
{
    struct bench b;
    struct bulk *bk = OPENSSL_zalloc(sizeof(*bk));
    int64_t el = 0;
    if (bk == NULL || !bench_init(&b, r, f)) {
        OPENSSL_free(bk);
        return 0;
    }
    bk->f = f;
    int ok = conn_pair(&bk->cn, f) && conn_ssl(&bk->cn, &b, f) && handshake(&bk->cn, f) &&
             check_conn(&b, &bk->cn, f);
    long n = ok ? timed_loop(bulk_fn, bk, o->seconds, &el) : -1;
    if (n > 0) {
        out_put(out, "n", (double)n);
        out_put(out, "send_mbps", mbps(n, g_side_ns[SIDE_CLIENT]));
        out_put(out, "recv_mbps", mbps(n, g_side_ns[SIDE_SERVER]));
    }
    conn_close(&bk->cn);
    bench_free(&b);
    OPENSSL_free(bk);
    return n > 0 && measure_evp_bulk(r, o, out);
}

/* ---- memory rows ----------------------------------------------------------------------- */
/*
 * One connection measured from SSL_new to SSL_free, the BIO pair excluded (it
 * is the harness's transport): allocation calls per side, the heap peak during
 * the handshake, and what each side holds once established and idle (both
 * sides did an SSL_read that would block). Each side's share is what its
 * SSL_free gives back.
 */
static int mem_connection(struct bench *b, struct out *out, struct fail *f)
{
    struct conn cn;
    if (!conn_pair(&cn, f)) {
        return 0;
    }
    long long base = g_mem.live;
    g_mem.peak = base;
    memset(g_mem.calls, 0, sizeof(g_mem.calls));
    int ok = conn_ssl(&cn, b, f) && handshake(&cn, f) && check_conn(b, &cn, f) &&
             drain(cn.c, SIDE_CLIENT, f) && drain(cn.s, SIDE_SERVER, f);
    long long peak = g_mem.peak - base, idle = g_mem.live;
    side_free(cn.c, SIDE_CLIENT);
    long long after_client = g_mem.live;
    side_free(cn.s, SIDE_SERVER);
    long long after_server = g_mem.live;
    cn.c = cn.s = NULL;
    conn_close(&cn);
    if (ok) {
        out_put(out, "idle_client_bytes", (double)(idle - after_client));
        out_put(out, "idle_server_bytes", (double)(after_client - after_server));
        out_put(out, "hs_peak_bytes", (double)peak);
        out_put(out, "hs_allocs", (double)(g_mem.calls[SIDE_CLIENT] + g_mem.calls[SIDE_SERVER]));
        out_put(out, "hs_allocs_client", (double)g_mem.calls[SIDE_CLIENT]);
        out_put(out, "hs_allocs_server", (double)g_mem.calls[SIDE_SERVER]);
        out_put(out, "residual_bytes", (double)(after_server - base));
    }
    return ok;
}

/* What the floor's libcrypto calls alone allocate for one handshake: the part no TLS
 * library on this libcrypto can avoid. */
static int mem_floor(const struct row_def *r, struct out *out, struct fail *f)
{
    struct floor *fl = floor_for(r);
    if (fl == NULL) {
        fail_set(f, "floor setup failed (libcrypto)");
        return 0;
    }
    int ok = clasp_floor_handshake(fl) && clasp_floor_handshake(fl); /* warm-up */
    if (ok) {
        mem_begin();
        long long base = g_mem.live;
        g_mem.peak = base;
        ok = clasp_floor_handshake(fl);
        out_put(out, "floor_allocs", (double)g_mem.calls[SIDE_HARNESS]);
        out_put(out, "floor_peak_bytes", (double)(g_mem.peak - base));
        mem_end();
    }
    for (size_t i = 0; ok && i < clasp_floor_num_parts; i++) {
        if (clasp_floor_parts[i].needs_verify && !r->verify) {
            continue;
        }
        mem_begin();
        ok = clasp_floor_parts[i].fn(fl);
        out_part(out, &clasp_floor_parts[i], "allocs", (double)g_mem.calls[SIDE_HARNESS]);
        mem_end();
    }
    clasp_floor_free(fl);
    if (!ok) {
        fail_set(f, "floor handshake failed (libcrypto)");
    }
    return ok;
}

static int row_memory(const struct row_def *r, struct out *out, struct fail *f)
{
    struct bench b;
    struct out scratch = {0};
    if (!g_mem_hooked) {
        fail_set(f, "CRYPTO_set_mem_functions failed: something allocated before main()");
        return 0;
    }
    if (!bench_init(&b, r, f)) {
        return 0;
    }
    /* Warm-up connections fill libcrypto's one-time caches outside the count. */
    int ok = 1;
    for (int i = 0; ok && i < 3; i++) {
        mem_begin();
        ok = mem_connection(&b, &scratch, f);
        mem_end();
    }
    if (ok) {
        mem_begin();
        ok = mem_connection(&b, out, f);
        mem_end();
    }
    bench_free(&b);
    return ok && (r->release_buffers || mem_floor(r, out, f)); /* the floor has no modes */
}

/* ---- two threads, one SSL_CTX pair --------------------------------------------------- */
struct thr {
    pthread_t id;
    struct bench *b;
    double seconds, rate;
    int ok;
    struct fail f;
};

static void *thr_main(void *arg)
{
    struct thr *t = arg;
    long n = 0;
    int64_t start = wall_ns(), now = start;
    t->ok = 1;
    while (t->ok && (n < 3 || (double)(now - start) < t->seconds * 1e9)) {
        t->ok = once_connection(t->b, &t->f);
        n++;
        now = wall_ns();
    }
    t->rate = (double)n / ((double)(now - start) / 1e9);
    return NULL;
}

/* Handshakes per second per thread (wall clock) with num threads on shared contexts. */
static int thr_run(struct bench *b, int num, double seconds, double *rate, struct fail *f)
{
    struct thr t[2];
    memset(t, 0, sizeof(t));
    *rate = 0;
    for (int i = 0; i < num; i++) {
        t[i].b = b;
        t[i].seconds = seconds;
        if (pthread_create(&t[i].id, NULL, thr_main, &t[i]) != 0) {
            fail_set(f, "pthread_create failed");
            return 0;
        }
    }
    int ok = 1;
    for (int i = 0; i < num; i++) {
        pthread_join(t[i].id, NULL);
        if (!t[i].ok) {
            fail_set(f, "thread %d: %s", i, t[i].f.msg);
            ok = 0;
        }
        *rate += t[i].rate / num;
    }
    return ok;
}

static int row_threads(const struct row_def *r, const struct opts *o, struct out *out, struct fail *f)
{
    struct bench b;
    double one = 0, two = 0;
    if (!bench_init(&b, r, f)) {
        return 0;
    }
    int ok = once_connection(&b, f) && thr_run(&b, 1, o->seconds, &one, f) &&
             thr_run(&b, 2, o->seconds, &two, f);
    bench_free(&b);
    if (ok) {
        out_put(out, "rate1_hs_per_s", one);
        out_put(out, "rate2_hs_per_s_per_thread", two);
        out_put(out, "scaling", one > 0 ? two / one : 0);
    }
    return ok;
}

/* ---- callgrind: instruction counts of a fixed number of handshakes ------------------- */
/* scripts/bench.sh --instr collects only inside these two (--toggle-collect). */
BENCH_KEEP int clasp_bench_instr_handshakes(struct bench *b, long n, struct fail *f);
BENCH_KEEP int clasp_bench_instr_floor(struct floor *fl, long n);

BENCH_KEEP int clasp_bench_instr_handshakes(struct bench *b, long n, struct fail *f)
{
    for (long i = 0; i < n; i++) {
        if (!once_connection(b, f)) {
            return 0;
        }
    }
    return 1;
}

BENCH_KEEP int clasp_bench_instr_floor(struct floor *fl, long n)
{
    for (long i = 0; i < n; i++) {
        if (!clasp_floor_handshake(fl)) {
            return 0;
        }
    }
    return 1;
}

static int row_selected(const struct row_def *r, const char *rows);

/* The row --instr measures: the first row --rows names, else INSTR_ROW. */
static const struct row_def *instr_row(const char *rows)
{
    for (size_t i = 0; rows != NULL && i < NUM_ROWS; i++) {
        if (row_selected(&k_rows[i], rows)) {
            return &k_rows[i];
        }
    }
    return &k_rows[INSTR_ROW];
}

static int run_instr(const struct row_def *r, const char *what, long n)
{
    struct fail f = {{0}};
    int ok;
    if (strcmp(what, "floor") == 0) {
        struct floor *fl = floor_for(r);
        /* warm-up outside the collected function (clasp_floor_new ran one already) */
        ok = fl != NULL && clasp_floor_handshake(fl) && clasp_floor_handshake(fl) &&
             clasp_bench_instr_floor(fl, n);
        clasp_floor_free(fl);
    } else if (strcmp(what, "handshakes") == 0) {
        struct bench b;
        ok = bench_init(&b, r, &f);
        if (ok && r->kind == K_RESUMED) {
            ok = prime_session(&b, &f);
        }
        for (int i = 0; ok && i < 3; i++) { /* warm-up outside the collected function */
            ok = once_connection(&b, &f);
        }
        ok = ok && clasp_bench_instr_handshakes(&b, n, &f);
        if (b.sctx != NULL) {
            bench_free(&b);
        }
    } else {
        fprintf(stderr, "--instr takes handshakes or floor\n");
        return 2;
    }
    printf("I\t%s\t%s\t%ld\t%s\n", r->name, what, n, ok ? "ok" : f.msg[0] ? f.msg : "failed");
    return ok ? 0 : 1;
}

/* ---- rows, each in its own process ---------------------------------------------------- */
static void print_row(const struct row_def *r, int ok, const struct fail *f, const struct out *out)
{
    if (!ok) {
        printf("R\t%s\tstatus\t%s\t%s\n", r->name, row_is_feature(r) ? "na" : "fail",
               f->msg[0] ? f->msg : "failed");
        return;
    }
    printf("R\t%s\tstatus\tok\n", r->name);
    for (int i = 0; i < out->n; i++) {
        printf("R\t%s\t%s\t%.3f\n", r->name, out->m[i].metric, out->m[i].v);
    }
}

static void run_row(const struct row_def *r, const struct opts *o)
{
    struct out out = {0};
    struct fail f = {{0}};
    int ok;
    switch (r->kind) {
    case K_FULL:
    case K_RESUMED:
        ok = row_handshakes(r, o, &out, &f);
        break;
    case K_BULK:
        ok = row_bulk(r, o, &out, &f);
        break;
    case K_MEMORY:
        ok = row_memory(r, &out, &f);
        break;
    case K_THREADS:
        ok = row_threads(r, o, &out, &f);
        break;
    default:
        ok = 0;
        break;
    }
    print_row(r, ok, &f, &out);
    fflush(stdout);
}

/* A crash or a hang in one row must not take the other rows with it. */
static void run_row_isolated(const struct row_def *r, const struct opts *o)
{
    if (o->no_fork) {
        run_row(r, o);
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm((unsigned)(120 + 20 * o->seconds));
        run_row(r, o);
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) {
        printf("R\t%s\tstatus\tfail\tfork/wait failed: %s\n", r->name, strerror(errno));
    } else if (WIFSIGNALED(st)) {
        printf("R\t%s\tstatus\tfail\t%s (signal %d)\n", r->name,
               WTERMSIG(st) == SIGALRM ? "timed out" : strsignal(WTERMSIG(st)), WTERMSIG(st));
    } else if (WEXITSTATUS(st) != 0) {
        printf("R\t%s\tstatus\tfail\texit status %d\n", r->name, WEXITSTATUS(st));
    }
    fflush(stdout);
}

static int row_selected(const struct row_def *r, const char *rows)
{
    if (rows == NULL) {
        return 1;
    }
    size_t len = strlen(r->name);
    for (const char *p = rows; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, r->name, n) == 0) {
            return 1;
        }
        p += n + (end != NULL);
    }
    return 0;
}

/* Keys are generated once, before the rows fork, and only those the rows need. */
static int make_identities(const struct opts *o, const struct row_def *instr)
{
    int need[2] = {0, 0};
    if (instr != NULL) {
        need[instr->rsa] = 1;
    }
    for (size_t i = 0; instr == NULL && i < NUM_ROWS; i++) {
        if (row_selected(&k_rows[i], o->rows)) {
            need[k_rows[i].rsa] = 1;
        }
    }
    for (int k = 0; k < 2; k++) {
        if (need[k] && !identity_make(&g_id[k], k)) {
            fprintf(stderr, "clasp-bench: generating the %s certificates failed\n", k ? "RSA" : "ECDSA");
            return 0;
        }
    }
    return 1;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: clasp-bench [--time SECONDS] [--rows NAME,...] [--floor-detail] [--no-fork]\n"
            "       clasp-bench --list\n"
            "       clasp-bench --instr handshakes|floor N [--rows NAME]   (under callgrind, see scripts/bench.sh)\n");
}

int main(int argc, char **argv)
{
    /* Before anything allocates: libcrypto refuses the hook after its first allocation. */
    g_mem_hooked = CRYPTO_set_mem_functions(bm_malloc, bm_realloc, bm_free);
    struct opts o = {1.0, 0, 0, NULL};
    const char *instr = NULL;
    long instr_n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
            o.seconds = atof(argv[++i]);
        } else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
            o.rows = argv[++i];
        } else if (strcmp(argv[i], "--floor-detail") == 0) {
            o.floor_detail = 1;
        } else if (strcmp(argv[i], "--no-fork") == 0) {
            o.no_fork = 1;
        } else if (strcmp(argv[i], "--instr") == 0 && i + 2 < argc) {
            instr = argv[++i];
            instr_n = atol(argv[++i]);
        } else if (strcmp(argv[i], "--list") == 0) {
            for (size_t k = 0; k < NUM_ROWS; k++) {
                printf("%s\n", k_rows[k].name);
            }
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (o.seconds <= 0) {
        o.seconds = 0.01;
    }
    if (OPENSSL_init_ssl(0, NULL) != 1) {
        fprintf(stderr, "clasp-bench: OPENSSL_init_ssl failed\n");
        return 1;
    }
    clock_calibrate();
    const struct row_def *irow = instr != NULL ? instr_row(o.rows) : NULL;
    if (!make_identities(&o, irow)) {
        return 1;
    }
    if (instr != NULL) {
        return run_instr(irow, instr, instr_n);
    }
    printf("M\timpl\t%s\n", CLASP_BENCH_IMPL);
    printf("M\tlibcrypto\t%s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("M\tmem_hook\t%d\n", g_mem_hooked);
    printf("M\tclock_overhead_ns\t%lld\n", (long long)g_clock_ovh);
    for (size_t i = 0; i < NUM_ROWS; i++) {
        if (row_selected(&k_rows[i], o.rows)) {
            run_row_isolated(&k_rows[i], &o);
        }
    }
    return 0;
}
