/* The TLS 1.2 engine on its own (src/hs/tls12_*.c): a client and a server
 * clasp_conn talk in memory.
 *
 * - Every suite × certificate type, moved one byte at a time (and in
 *   pieces of other sizes), so every resume point of both TLS 1.2 state
 *   machines is hit; Finished, exporters and the master secret agree.
 * - Version negotiation between 1.2 and 1.3 ranges, the RFC 9846 §4.2.3
 *   downgrade sentinel (written, and detected by a 1.3 client whose
 *   supported_versions a man in the middle strips), TLS_FALLBACK_SCSV.
 * - Bad input, each refused with the RFC's alert, one SSL_R_* reason and
 *   exactly one error on the queue: a forged ServerKeyExchange signature,
 *   points not on the curve and all-zero X25519 shares (both directions,
 *   the server's re-signed so only the point is wrong), Finished that does
 *   not match (both directions), a CCS before its time, a missing message,
 *   renegotiation_info / ec_point_formats / EMS violations, CBC-only and
 *   RSA-key-exchange-only offers.
 * - Renegotiation refused after the handshake (HelloRequest, ClientHello):
 *   a no_renegotiation warning, and the connection goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "engine.h"
#include "helpers/engine_test.h"
#include "ext/ext.h"
#include "hs/conn.h"

static const uint16_t suites13[] = {0x1301, 0x1302, 0x1303};
static const uint16_t suites12[] = {0xc02b, 0xc02c, 0xcca9, 0xc02f, 0xc030, 0xcca8};
static const uint16_t groups[] = {CLASP_GROUP_X25519, CLASP_GROUP_SECP256R1, CLASP_GROUP_SECP384R1};
/* OpenSSL 3.0's default order (PKCS#1 v1.5 included: TLS 1.2 allows it). */
static const uint16_t sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0807, 0x0809, 0x080a, 0x080b,
                                   0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601};

enum { KEY_P256, KEY_RSA, KEY_ED25519, NUM_KEYS };

static clasp_crypto *crypto;
static EVP_PKEY *keys[NUM_KEYS];
static X509 *certs[NUM_KEYS];

/* ---- fixture ------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    crypto = clasp_crypto_new(NULL, NULL);
    keys[KEY_P256] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    keys[KEY_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    keys[KEY_ED25519] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    for (int i = 0; i < NUM_KEYS; i++) {
        if (keys[i] == NULL) {
            return -1;
        }
        certs[i] = clasp_test_self_signed(keys[i], "localhost");
    }
    return crypto != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NUM_KEYS; i++) {
        X509_free(certs[i]);
        EVP_PKEY_free(keys[i]);
    }
    clasp_crypto_free(crypto);
    return 0;
}

/* ---- configurations ------------------------------------------------------------------- */

static clasp_config make_config(int is_server, uint16_t min, uint16_t max)
{
    clasp_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.crypto = crypto;
    cfg.is_server = is_server;
    cfg.min_version = min;
    cfg.max_version = max;
    cfg.suites = suites13;
    cfg.num_suites = 3;
    cfg.suites12 = suites12;
    cfg.num_suites12 = 6;
    cfg.groups = groups;
    cfg.num_groups = 3;
    cfg.sigalgs = sigalgs;
    cfg.num_sigalgs = sizeof(sigalgs) / sizeof(sigalgs[0]);
    cfg.middlebox_compat = 1;
    cfg.max_cert_list = 100 * 1024;
    return cfg;
}

/* A pair of connections and what the facade would answer for them. */
typedef struct {
    clasp_conn *c;
    clasp_conn *s;
    clasp_identity server_ids[NUM_KEYS];
    size_t num_server_ids;
} pair;

static void pair_new(pair *p, const clasp_config *cc, const clasp_config *sc)
{
    memset(p, 0, sizeof(*p));
    for (int i = 0; i < NUM_KEYS; i++) {
        p->server_ids[i] = clasp_identity_make(certs[i], NULL, keys[i]);
    }
    p->num_server_ids = NUM_KEYS;
    p->c = clasp_conn_new(cc);
    p->s = clasp_conn_new(sc);
    assert_non_null(p->c);
    assert_non_null(p->s);
    assert_true(clasp_conn_start(p->c));
    assert_true(clasp_conn_start(p->s));
    ERR_clear_error();
}

static void pair_free(pair *p)
{
    clasp_conn_free(p->c);
    clasp_conn_free(p->s);
    ERR_clear_error();
}

/* ---- moving bytes --------------------------------------------------------------------- */

#define FLIGHT_MAX (64 * 1024)

/* Rewrites a whole flight in place (len may change, up to FLIGHT_MAX). */
typedef void (*tamper_fn)(pair *p, uint8_t *buf, size_t *len, void *arg);

typedef struct {
    tamper_fn fn;
    void *arg;
} tamper;

/* Moves a whole flight through t (if any). */
static size_t move_flight(pair *p, clasp_conn *from, clasp_conn *to, const tamper *t)
{
    static uint8_t buf[FLIGHT_MAX];
    const uint8_t *out;
    uint8_t *in;
    size_t n = clasp_conn_out_pending(from, &out);

    if (t == NULL || t->fn == NULL || n == 0) {
        return clasp_test_move_bytes(from, to, FLIGHT_MAX);
    }
    assert_true(n <= FLIGHT_MAX);
    memcpy(buf, out, n);
    clasp_conn_out_consume(from, n);
    t->fn(p, buf, &n, t->arg);
    assert_true(clasp_conn_in_space(to, &in) >= n);
    memcpy(in, buf, n);
    clasp_conn_in_commit(to, n);
    return n;
}

/* Processes and answers the facade's questions. */
static clasp_wait step(pair *p, clasp_conn *conn)
{
    clasp_wait w = clasp_conn_process(conn);

    if (w == CLASP_WAIT_CLIENT_HELLO) {
        clasp_conn_client_hello_done(conn, p->server_ids, p->num_server_ids, NULL, 0, 0, 0);
        w = clasp_conn_process(conn);
    }
    if (w == CLASP_WAIT_VERIFY_PEER) {
        clasp_conn_verify_done(conn, 1, 0);
        w = clasp_conn_process(conn);
    }
    return w;
}

/* What a run ended with.  On a failure, the error queue as the failing
 * side left it (one error, its reason), and its alert delivered. */
typedef struct {
    int done;
    clasp_conn *failed;
    int num_errors;
    int reason;
} outcome;

static void take_errors(outcome *o)
{
    unsigned long e;

    o->num_errors = 0;
    while ((e = ERR_get_error()) != 0) {
        if (o->num_errors++ == 0) {
            o->reason = ERR_GET_REASON(e);
        }
    }
}

/* The failed side's last words reach the other, which reads them. */
static void deliver_alert(pair *p, clasp_conn *failed)
{
    clasp_conn *peer = failed == p->c ? p->s : p->c;

    clasp_test_move_bytes(failed, peer, FLIGHT_MAX);
    clasp_conn_process(peer);
    ERR_clear_error();
}

/* Runs until both finished or one failed; chunk bytes at a time, or whole
 * flights through the tampers when chunk is 0. */
static outcome run(pair *p, size_t chunk, const tamper *c2s, const tamper *s2c)
{
    outcome o;

    memset(&o, 0, sizeof(o));
    for (int rounds = 0; rounds < 200000; rounds++) {
        clasp_wait wc = step(p, p->c);
        clasp_wait ws = wc == CLASP_WAIT_ERROR ? CLASP_WAIT_ERROR : step(p, p->s);
        size_t moved;

        if (wc == CLASP_WAIT_ERROR || ws == CLASP_WAIT_ERROR) {
            o.failed = wc == CLASP_WAIT_ERROR ? p->c : p->s;
            take_errors(&o);
            deliver_alert(p, o.failed);
            return o;
        }
        if (chunk == 0) {
            moved = move_flight(p, p->c, p->s, c2s) + move_flight(p, p->s, p->c, s2c);
        } else {
            moved = clasp_test_move_bytes(p->c, p->s, chunk) + clasp_test_move_bytes(p->s, p->c, chunk);
        }
        if (moved == 0 && clasp_conn_handshake_done(p->c) && clasp_conn_handshake_done(p->s)) {
            o.done = 1;
            return o;
        }
        if (moved == 0) {
            return o; /* a stall */
        }
    }
    return o;
}

/* One side failed with alert and reason, alone on the error queue; the
 * other received the alert. */
static void expect_failed(const pair *p, const outcome *o, int server, int alert, int reason)
{
    clasp_conn *failed = server ? p->s : p->c;
    clasp_conn *peer = server ? p->c : p->s;

    assert_false(o->done);
    assert_ptr_equal(o->failed, failed);
    assert_int_equal(o->num_errors, 1);
    assert_int_equal(o->reason, reason);
    assert_int_equal(clasp_conn_alert_sent(failed), (2 << 8) | alert);
    assert_int_equal(clasp_conn_alert_received(peer), (2 << 8) | alert);
}

static void exchange_data(pair *p)
{
    static const char msg[] = "hello over TLS 1.2";
    uint8_t buf[64];

    assert_int_equal(clasp_conn_write_app(p->c, (const uint8_t *)msg, sizeof(msg)), sizeof(msg));
    clasp_test_move_bytes(p->c, p->s, FLIGHT_MAX);
    assert_int_equal(step(p, p->s), CLASP_WAIT_APP_READ);
    assert_int_equal(clasp_conn_read_app(p->s, buf, sizeof(buf), 0), sizeof(msg));
    assert_memory_equal(buf, msg, sizeof(msg));
    assert_int_equal(clasp_conn_write_app(p->s, buf, 5), 5);
    clasp_test_move_bytes(p->s, p->c, FLIGHT_MAX);
    assert_int_equal(step(p, p->c), CLASP_WAIT_APP_READ);
    assert_int_equal(clasp_conn_read_app(p->c, buf, sizeof(buf), 0), 5);
}

/* ---- the matrix ------------------------------------------------------------------------- */

/* Master secrets as the two keylog observers saw them. */
static uint8_t logged_master[2][48];
static int logged_lines[2];

static void on_keylog(void *arg, const char *label, const uint8_t client_random[32],
                      const uint8_t *secret, size_t secret_len)
{
    int who = arg != NULL;

    (void)client_random;
    assert_string_equal(label, "CLIENT_RANDOM");
    assert_int_equal(secret_len, 48);
    memcpy(logged_master[who], secret, 48);
    logged_lines[who]++;
}

static void check_agreement(const pair *p, uint16_t suite)
{
    uint8_t a[64];
    uint8_t b[64];

    assert_int_equal(clasp_conn_version(p->c), CLASP_TLS12);
    assert_int_equal(clasp_conn_version(p->s), CLASP_TLS12);
    assert_int_equal(clasp_conn_cipher_suite(p->c), suite);
    assert_int_equal(clasp_conn_cipher_suite(p->s), suite);
    assert_int_equal(clasp_conn_group(p->c), clasp_conn_group(p->s));
    assert_int_equal(clasp_conn_peer_sigalg(p->c), clasp_conn_own_sigalg(p->s));
    /* RFC 5246 §7.4.9: 12 bytes each way, each side's sent = other's received */
    assert_int_equal(clasp_conn_finished(p->c, 0, a, sizeof(a)), 12);
    assert_int_equal(clasp_conn_finished(p->s, 1, b, sizeof(b)), 12);
    assert_memory_equal(a, b, 12);
    assert_int_equal(clasp_conn_finished(p->s, 0, a, sizeof(a)), 12);
    assert_int_equal(clasp_conn_finished(p->c, 1, b, sizeof(b)), 12);
    assert_memory_equal(a, b, 12);
    /* RFC 5705 exporters agree */
    assert_true(clasp_conn_export(p->c, "EXPERIMENTAL x", 14, (const uint8_t *)"ctx", 3, 1, a, 40));
    assert_true(clasp_conn_export(p->s, "EXPERIMENTAL x", 14, (const uint8_t *)"ctx", 3, 1, b, 40));
    assert_memory_equal(a, b, 40);
    assert_int_equal(logged_lines[0], 1);
    assert_int_equal(logged_lines[1], 1);
    assert_memory_equal(logged_master[0], logged_master[1], 48);
    assert_int_equal(clasp_conn_master_secret(p->c, a, sizeof(a)), 48);
    assert_memory_equal(a, logged_master[0], 48);
    /* RFC 7627 and RFC 5746 in use on both sides */
    assert_true(clasp_conn_ems(p->c) && clasp_conn_ems(p->s));
    assert_true(clasp_conn_secure_renegotiation(p->c) && clasp_conn_secure_renegotiation(p->s));
}

static void run_suite(uint16_t suite, int key, size_t chunk)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS13);
    uint16_t only[1] = {suite};
    pair p;
    outcome o;

    cc.suites12 = only;
    cc.num_suites12 = 1;
    cc.observer.keylog = on_keylog;
    sc.observer.keylog = on_keylog;
    sc.observer.arg = &sc;
    memset(logged_lines, 0, sizeof(logged_lines));
    pair_new(&p, &cc, &sc);
    p.server_ids[0] = clasp_identity_make(certs[key], NULL, keys[key]);
    p.num_server_ids = 1;
    o = run(&p, chunk, NULL, NULL);
    assert_true(o.done);
    check_agreement(&p, suite);
    exchange_data(&p);
    pair_free(&p);
}

static void test_every_suite_byte_at_a_time(void **state)
{
    static const struct {
        uint16_t suite;
        int key;
    } rows[] = {
        {0xc02b, KEY_P256},    {0xc02c, KEY_P256}, {0xcca9, KEY_P256}, {0xc02b, KEY_ED25519},
        {0xcca9, KEY_ED25519}, {0xc02f, KEY_RSA},  {0xc030, KEY_RSA},  {0xcca8, KEY_RSA},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        run_suite(rows[i].suite, rows[i].key, 1);
        run_suite(rows[i].suite, rows[i].key, 0);
    }
}

static void test_every_chunk_size(void **state)
{
    static const size_t sizes[] = {2, 3, 5, 7, 17, 100, 1000, 4096};

    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        run_suite(0xc02f, KEY_RSA, sizes[i]);
    }
}

static void test_every_group(void **state)
{
    (void)state;
    for (size_t g = 0; g < 3; g++) {
        clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS13);
        clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
        uint16_t client_groups[3] = {groups[g], CLASP_GROUP_SECP256R1, CLASP_GROUP_X25519};
        pair p;

        cc.groups = client_groups;
        pair_new(&p, &cc, &sc);
        assert_true(run(&p, 1, NULL, NULL).done);
        assert_int_equal(clasp_conn_group(p.c), groups[g]);
        assert_int_equal(clasp_conn_version(p.c), CLASP_TLS12);
        exchange_data(&p);
        pair_free(&p);
    }
}

/* RFC 5246 §7.4.4, §7.4.6, §7.4.8: the client's certificate and its
 * CertificateVerify over the raw handshake messages. */
static void test_client_authentication(void **state)
{
    static const int client_keys[] = {KEY_P256, KEY_RSA, KEY_ED25519};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
        clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
        clasp_identity id = clasp_identity_make(certs[client_keys[i]], NULL, keys[client_keys[i]]);
        pair p;

        cc.client_ids = &id;
        cc.num_client_ids = 1;
        sc.request_client_cert = 1;
        sc.require_client_cert = 1;
        pair_new(&p, &cc, &sc);
        assert_true(run(&p, i == 0 ? 1 : 0, NULL, NULL).done);
        assert_int_equal(sk_X509_num(clasp_conn_peer_chain(p.s)), 1);
        assert_int_equal(clasp_conn_peer_sigalg(p.s), clasp_conn_own_sigalg(p.c));
        exchange_data(&p);
        pair_free(&p);
    }
}

static void test_client_certificate_missing(void **state)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    pair p;
    outcome o;

    (void)state;
    sc.request_client_cert = 1;
    pair_new(&p, &cc, &sc);
    assert_true(run(&p, 0, NULL, NULL).done); /* requested only: fine without */
    assert_int_equal(sk_X509_num(clasp_conn_peer_chain(p.s)), 0);
    pair_free(&p);

    sc.require_client_cert = 1;
    pair_new(&p, &cc, &sc);
    o = run(&p, 0, NULL, NULL);
    expect_failed(&p, &o, 1, SSL_AD_HANDSHAKE_FAILURE, SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE);
    pair_free(&p);
}

/* ---- version negotiation ------------------------------------------------------------------ */

static const uint8_t sentinel12[8] = {'D', 'O', 'W', 'N', 'G', 'R', 'D', 1};

static void test_versions(void **state)
{
    static const struct {
        uint16_t cmin, cmax, smin, smax;
        uint16_t want; /* 0: the server refuses with protocol_version */
        int sentinel;
    } rows[] = {
        {CLASP_TLS12, CLASP_TLS13, CLASP_TLS12, CLASP_TLS12, CLASP_TLS12, 0},
        {CLASP_TLS12, CLASP_TLS12, CLASP_TLS12, CLASP_TLS13, CLASP_TLS12, 1},
        {CLASP_TLS12, CLASP_TLS13, CLASP_TLS12, CLASP_TLS13, CLASP_TLS13, 0},
        {CLASP_TLS13, CLASP_TLS13, CLASP_TLS12, CLASP_TLS12, 0, 0},
        {CLASP_TLS12, CLASP_TLS12, CLASP_TLS13, CLASP_TLS13, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        clasp_config cc = make_config(0, rows[i].cmin, rows[i].cmax);
        clasp_config sc = make_config(1, rows[i].smin, rows[i].smax);
        pair p;
        outcome o;

        pair_new(&p, &cc, &sc);
        o = run(&p, 0, NULL, NULL);
        if (rows[i].want == 0) {
            expect_failed(&p, &o, 1, SSL_AD_PROTOCOL_VERSION, SSL_R_UNSUPPORTED_PROTOCOL);
        } else {
            assert_true(o.done);
            assert_int_equal(clasp_conn_version(p.c), rows[i].want);
            assert_int_equal(clasp_conn_version(p.s), rows[i].want);
            assert_int_equal(memcmp(clasp_conn_server_random(p.c) + 24, sentinel12, 8) == 0,
                             rows[i].sentinel);
            exchange_data(&p);
        }
        pair_free(&p);
    }
}

/* ---- wire surgery ------------------------------------------------------------------------- */

static uint16_t get16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

/* Offset of the first plaintext record carrying handshake message type,
 * or -1 (Clasp writes each message of a flight in a record of its own). */
static long find_message(const uint8_t *buf, size_t len, uint8_t type)
{
    size_t off = 0;

    while (off + 5 <= len) {
        size_t rlen = get16(buf + off + 3);
        if (buf[off] == 22 && rlen >= 4 && buf[off + 5] == type) {
            return (long)off;
        }
        off += 5 + rlen;
    }
    return -1;
}

/* Replaces the record at off by one carrying the same message type with
 * the given body (the rest of the flight moves up or down). */
static void replace_message(uint8_t *buf, size_t *len, long off, const uint8_t *body,
                            size_t body_len)
{
    size_t old_total = 5 + get16(buf + off + 3);
    size_t new_total = 5 + 4 + body_len;
    uint8_t type = buf[off + 5];

    assert_true(*len - old_total + new_total <= FLIGHT_MAX);
    memmove(buf + off + new_total, buf + off + old_total, *len - off - old_total);
    buf[off + 3] = (uint8_t)((4 + body_len) >> 8);
    buf[off + 4] = (uint8_t)(4 + body_len);
    buf[off + 5] = type;
    buf[off + 6] = (uint8_t)(body_len >> 16);
    buf[off + 7] = (uint8_t)(body_len >> 8);
    buf[off + 8] = (uint8_t)body_len;
    memmove(buf + off + 9, body, body_len);
    *len = *len - old_total + new_total;
}

/* Drops the record at off. */
static void drop_record(uint8_t *buf, size_t *len, long off)
{
    size_t total = 5 + get16(buf + off + 3);

    memmove(buf + off, buf + off + total, *len - off - total);
    *len -= total;
}

/* The offset of a hello's extensions block inside its body. */
static size_t hello_exts_offset(const uint8_t *body, int client_hello)
{
    size_t off = 2 + 32;

    off += 1 + body[off]; /* session id */
    if (client_hello) {
        off += 2 + get16(body + off); /* cipher_suites */
        off += 1 + body[off];         /* compression_methods */
    } else {
        off += 3; /* cipher_suite, compression_method */
    }
    return off;
}

/* Removes extension ext_type from the hello of type msg in the flight. */
typedef struct {
    uint8_t msg;
    uint16_t ext;
} strip_spec;

static void strip_extension(pair *p, uint8_t *buf, size_t *len, void *arg)
{
    const strip_spec *sp = arg;
    long off = find_message(buf, *len, sp->msg);
    uint8_t body[4096];
    size_t body_len;
    size_t exts;
    size_t out;
    size_t in;

    (void)p;
    if (off < 0) {
        return;
    }
    body_len = get16(buf + off + 3) - 4;
    assert_true(body_len <= sizeof(body));
    memcpy(body, buf + off + 9, body_len);
    exts = hello_exts_offset(body, sp->msg == CLASP_HT_CLIENT_HELLO);
    out = in = exts + 2;
    while (in < body_len) {
        size_t n = 4 + get16(body + in + 2);
        if (get16(body + in) != sp->ext) {
            memmove(body + out, body + in, n);
            out += n;
        }
        in += n;
    }
    body[exts] = (uint8_t)((out - exts - 2) >> 8);
    body[exts + 1] = (uint8_t)(out - exts - 2);
    replace_message(buf, len, off, body, out);
}

static void run_stripped(pair *p, uint8_t msg, uint16_t ext, outcome *o)
{
    strip_spec sp = {msg, ext};
    tamper t = {strip_extension, &sp};

    *o = msg == CLASP_HT_CLIENT_HELLO ? run(p, 0, &t, NULL) : run(p, 0, NULL, &t);
}

/* RFC 9846 §4.2.3: a man in the middle strips supported_versions; the
 * 1.3-capable server answers TLS 1.2 with the sentinel; the client, which
 * offered 1.3, refuses (illegal_parameter; OpenSSL's reason). */
static void test_downgrade_detected(void **state)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS13);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS13);
    pair p;
    outcome o;

    (void)state;
    pair_new(&p, &cc, &sc);
    run_stripped(&p, CLASP_HT_CLIENT_HELLO, CLASP_EXT_SUPPORTED_VERSIONS, &o);
    expect_failed(&p, &o, 0, SSL_AD_ILLEGAL_PARAMETER, SSL_R_INAPPROPRIATE_FALLBACK);
    assert_int_equal(clasp_conn_version(p.s), CLASP_TLS12);
    pair_free(&p);
}

/* RFC 7507 §3: a fallback retry reaching a server with a higher version. */
static void test_fallback_scsv(void **state)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS13);
    pair p;
    outcome o;

    (void)state;
    cc.send_fallback_scsv = 1;
    pair_new(&p, &cc, &sc);
    o = run(&p, 0, NULL, NULL);
    expect_failed(&p, &o, 1, SSL_AD_INAPPROPRIATE_FALLBACK, SSL_R_INAPPROPRIATE_FALLBACK);
    pair_free(&p);

    sc.max_version = CLASP_TLS12; /* nothing higher to fall back from */
    pair_new(&p, &cc, &sc);
    assert_true(run(&p, 0, NULL, NULL).done);
    pair_free(&p);
}

/* ---- ServerKeyExchange -------------------------------------------------------------------- */

/* Flips the last byte of the ServerKeyExchange (inside the signature). */
static void flip_ske_signature(pair *p, uint8_t *buf, size_t *len, void *arg)
{
    long off = find_message(buf, *len, CLASP_HT_SERVER_KEY_EXCHANGE);

    (void)p;
    (void)arg;
    if (off >= 0) {
        buf[off + 5 + get16(buf + off + 3) - 1] ^= 0x01;
    }
}

static void test_bad_ske_signature(void **state)
{
    for (int key = 0; key < NUM_KEYS; key++) {
        clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
        clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
        tamper t = {flip_ske_signature, NULL};
        pair p;
        outcome o;

        (void)state;
        pair_new(&p, &cc, &sc);
        p.server_ids[0] = p.server_ids[key];
        p.num_server_ids = 1;
        o = run(&p, 0, NULL, &t);
        expect_failed(&p, &o, 0, SSL_AD_DECRYPT_ERROR, SSL_R_BAD_SIGNATURE);
        pair_free(&p);
    }
}

/* Replaces the ServerKeyExchange's point and signs the result again with
 * the server's (P-256) key, so that only the point is wrong. */
typedef struct {
    uint8_t point[65];
    size_t point_len;
} new_point;

static void resign_ske(pair *p, uint8_t *buf, size_t *len, void *arg)
{
    const new_point *np = arg;
    long off = find_message(buf, *len, CLASP_HT_SERVER_KEY_EXCHANGE);
    uint8_t body[512];
    uint8_t signed_data[64 + 4 + 65];
    size_t sig_len = 256;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    if (off < 0) {
        EVP_MD_CTX_free(md);
        return;
    }
    /* ECParameters: named_curve, the same group; the new point */
    memcpy(body, buf + off + 9, 3);
    body[3] = (uint8_t)np->point_len;
    memcpy(body + 4, np->point, np->point_len);
    memcpy(signed_data, clasp_conn_client_random(p->c), 32);
    memcpy(signed_data + 32, clasp_conn_server_random(p->s), 32);
    memcpy(signed_data + 64, body, 4 + np->point_len);
    body[4 + np->point_len] = 0x04; /* ecdsa_secp256r1_sha256 */
    body[5 + np->point_len] = 0x03;
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, keys[KEY_P256]), 1);
    assert_int_equal(
        EVP_DigestSign(md, body + 8 + np->point_len, &sig_len, signed_data, 64 + 4 + np->point_len),
        1);
    body[6 + np->point_len] = (uint8_t)(sig_len >> 8);
    body[7 + np->point_len] = (uint8_t)sig_len;
    replace_message(buf, len, off, body, 8 + np->point_len + sig_len);
    EVP_MD_CTX_free(md);
}

/* A valid uncompressed P-256 point with y changed: not on the curve. */
static void off_curve_point(new_point *np)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

    assert_int_equal(EVP_PKEY_get_octet_string_param(k, "encoded-pub-key", np->point,
                                                     sizeof(np->point), &np->point_len),
                     1);
    np->point[np->point_len - 1] ^= 0x01;
    EVP_PKEY_free(k);
}

static void run_bad_server_point(uint16_t group, const new_point *np)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    uint16_t only[2] = {group, CLASP_GROUP_SECP256R1};
    tamper t = {resign_ske, (void *)np};
    pair p;
    outcome o;

    cc.groups = only;
    cc.num_groups = 2;
    pair_new(&p, &cc, &sc);
    p.num_server_ids = 1; /* P-256 */
    o = run(&p, 0, NULL, &t);
    /* RFC 8422 §5.11 / RFC 7748 §6: after the signature verified */
    expect_failed(&p, &o, 0, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_ECPOINT);
    pair_free(&p);
}

static void test_ske_point_not_on_curve(void **state)
{
    new_point np;

    (void)state;
    off_curve_point(&np);
    run_bad_server_point(CLASP_GROUP_SECP256R1, &np);
}

static void test_ske_x25519_all_zero(void **state)
{
    new_point np = {{0}, 32}; /* u = 0: the all-zero shared secret */

    (void)state;
    run_bad_server_point(CLASP_GROUP_X25519, &np);
}

/* ---- ClientKeyExchange -------------------------------------------------------------------- */

static void replace_cke_point(pair *p, uint8_t *buf, size_t *len, void *arg)
{
    const new_point *np = arg;
    long off = find_message(buf, *len, CLASP_HT_CLIENT_KEY_EXCHANGE);
    uint8_t body[66];

    (void)p;
    if (off < 0) {
        return;
    }
    body[0] = (uint8_t)np->point_len;
    memcpy(body + 1, np->point, np->point_len);
    replace_message(buf, len, off, body, 1 + np->point_len);
}

static void run_bad_client_point(uint16_t group, const new_point *np)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    uint16_t only[2] = {group, CLASP_GROUP_SECP256R1};
    tamper t = {replace_cke_point, (void *)np};
    pair p;
    outcome o;

    cc.groups = only;
    cc.num_groups = 2;
    pair_new(&p, &cc, &sc);
    o = run(&p, 0, &t, NULL);
    expect_failed(&p, &o, 1, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_ECPOINT);
    pair_free(&p);
}

static void test_cke_point_not_on_curve(void **state)
{
    new_point np;

    (void)state;
    off_curve_point(&np);
    run_bad_client_point(CLASP_GROUP_SECP256R1, &np);
    np.point[0] = 0x02; /* compressed form: not in TLS (RFC 8422 §5.1.2 uncompressed) */
    np.point_len = 33;
    run_bad_client_point(CLASP_GROUP_SECP256R1, &np);
}

static void test_cke_x25519_all_zero(void **state)
{
    new_point np = {{0}, 32};

    (void)state;
    run_bad_client_point(CLASP_GROUP_X25519, &np);
}

/* ---- Finished ----------------------------------------------------------------------------- */

/* Offset of the last record of a flight. */
static size_t last_record(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    size_t last = 0;

    while (off + 5 <= len) {
        last = off;
        off += 5 + get16(buf + off + 3);
    }
    return last;
}

/* Runs whole flights until the client has written its last flight (CKE,
 * CCS, Finished), without delivering it. */
static void run_to_client_finished(pair *p)
{
    for (int i = 0; i < 20 && clasp_conn_state_code(p->c) != TLS_ST_CW_FINISHED; i++) {
        step(p, p->c);
        step(p, p->s);
        clasp_test_move_bytes(p->s, p->c, FLIGHT_MAX);
        if (clasp_conn_state_code(p->c) != TLS_ST_CW_FINISHED) {
            clasp_test_move_bytes(p->c, p->s, FLIGHT_MAX);
        }
    }
    step(p, p->c);
    assert_int_equal(clasp_conn_state_code(p->c), TLS_ST_CW_FINISHED);
}

/* One byte of conn's raw transcript changes (the ClientHello's random,
 * after type(1) length(3) version(2)): its keys are already derived and
 * stay right, its view of the handshake does not, so the peer's Finished
 * no longer matches (RFC 5246 §7.4.9: decrypt_error). */
/* Makes this side's view of the handshake differ from its peer's: the raw
 * messages and the running hash kept beside them both change. */
static void corrupt_transcript(clasp_conn *conn)
{
    clasp_transcript *t = &conn->hs->transcript;

    t->pending.buf[6] ^= 0x01;
    if (t->raw_hash != NULL) {
        assert_true(clasp_hash_ctx_update(t->raw_hash, (const uint8_t *)"x", 1));
    }
}

static void test_bad_finished_from_client(void **state)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    const uint8_t *out;
    size_t n;
    size_t fin;
    pair p;
    outcome o;

    (void)state;
    pair_new(&p, &cc, &sc);
    run_to_client_finished(&p);
    /* ClientKeyExchange and ChangeCipherSpec first: the server derives its
     * keys from the true transcript */
    n = clasp_conn_out_pending(p.c, &out);
    fin = last_record(out, n);
    clasp_test_move_bytes(p.c, p.s, fin);
    assert_int_equal(step(&p, p.s), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_state_code(p.s), TLS_ST_SR_CHANGE);
    corrupt_transcript(p.s);
    o = run(&p, 0, NULL, NULL);
    expect_failed(&p, &o, 1, SSL_AD_DECRYPT_ERROR, SSL_R_DIGEST_CHECK_FAILED);
    pair_free(&p);
}

static void test_bad_finished_from_server(void **state)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    pair p;
    outcome o;

    (void)state;
    pair_new(&p, &cc, &sc);
    run_to_client_finished(&p);
    corrupt_transcript(p.c);
    o = run(&p, 0, NULL, NULL);
    expect_failed(&p, &o, 0, SSL_AD_DECRYPT_ERROR, SSL_R_DIGEST_CHECK_FAILED);
    assert_false(clasp_conn_handshake_done(p.c));
    pair_free(&p);
}

/* ---- messages out of place ------------------------------------------------------------------ */

static const uint8_t ccs_record[6] = {20, 3, 3, 0, 1, 1};

/* A CCS record put in front of the message of type arg (EarlyCCS,
 * CVE-2014-0224: no key may change before its time). */
static void insert_ccs_before(pair *p, uint8_t *buf, size_t *len, void *arg)
{
    long off = find_message(buf, *len, *(const uint8_t *)arg);

    (void)p;
    if (off < 0) {
        return;
    }
    memmove(buf + off + sizeof(ccs_record), buf + off, *len - off);
    memcpy(buf + off, ccs_record, sizeof(ccs_record));
    *len += sizeof(ccs_record);
}

static void test_early_ccs(void **state)
{
    static const uint8_t before_ske = CLASP_HT_SERVER_KEY_EXCHANGE;
    static const uint8_t before_cke = CLASP_HT_CLIENT_KEY_EXCHANGE;
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    tamper t1 = {insert_ccs_before, (void *)&before_ske};
    tamper t2 = {insert_ccs_before, (void *)&before_cke};
    pair p;
    outcome o;

    (void)state;
    pair_new(&p, &cc, &sc);
    o = run(&p, 0, NULL, &t1);
    expect_failed(&p, &o, 0, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_CCS_RECEIVED_EARLY);
    pair_free(&p);
    pair_new(&p, &cc, &sc);
    o = run(&p, 0, &t2, NULL);
    expect_failed(&p, &o, 1, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_CCS_RECEIVED_EARLY);
    pair_free(&p);
}

static void drop_message(pair *p, uint8_t *buf, size_t *len, void *arg)
{
    long off = find_message(buf, *len, *(const uint8_t *)arg);

    (void)p;
    if (off >= 0) {
        drop_record(buf, len, off);
    }
}

/* Each state takes only its own message (DESIGN.md principle 3). */
static void test_missing_message(void **state)
{
    static const uint8_t s2c[] = {CLASP_HT_CERTIFICATE, CLASP_HT_SERVER_KEY_EXCHANGE,
                                  CLASP_HT_SERVER_HELLO_DONE};

    (void)state;
    for (size_t i = 0; i < sizeof(s2c); i++) {
        clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
        clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
        tamper t = {drop_message, (void *)&s2c[i]};
        pair p;
        outcome o;

        pair_new(&p, &cc, &sc);
        o = run(&p, 0, NULL, &t);
        if (s2c[i] == CLASP_HT_SERVER_HELLO_DONE) {
            assert_false(o.done); /* the client waits for it: a stall, no error */
            assert_null(o.failed);
        } else {
            expect_failed(&p, &o, 0, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
        }
        pair_free(&p);
    }
}

/* The server's Finished arriving without its CCS: unexpected (the client
 * waits for the CCS, and handshake bytes in its place are refused). */
static void test_finished_without_ccs(void **state)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    static const uint8_t fake_finished[] = {22, 3, 3, 0, 16, 20, 0, 0,  12, 1, 2,
                                            3,  4, 5, 6, 7,  8,  9, 10, 11, 12};
    uint8_t *in;
    pair p;
    outcome o;

    (void)state;
    pair_new(&p, &cc, &sc);
    run_to_client_finished(&p);
    clasp_conn_in_space(p.c, &in);
    memcpy(in, fake_finished, sizeof(fake_finished));
    clasp_conn_in_commit(p.c, sizeof(fake_finished));
    assert_int_equal(clasp_conn_process(p.c), CLASP_WAIT_ERROR);
    o.failed = p.c;
    o.done = 0;
    take_errors(&o);
    assert_int_equal(o.num_errors, 1);
    assert_int_equal(o.reason, SSL_R_UNEXPECTED_MESSAGE);
    assert_int_equal(clasp_conn_alert_sent(p.c), (2 << 8) | SSL_AD_UNEXPECTED_MESSAGE);
    pair_free(&p);
}

/* ---- the hellos' TLS 1.2 extensions ---------------------------------------------------------- */

/* RFC 5746 §3.4, as OpenSSL 3.0: a server that does not answer the SCSV. */
static void test_server_without_renegotiation_info(void **state)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    pair p;
    outcome o;

    (void)state;
    pair_new(&p, &cc, &sc);
    run_stripped(&p, CLASP_HT_SERVER_HELLO, CLASP_EXT_RENEGOTIATION_INFO, &o);
    expect_failed(&p, &o, 0, SSL_AD_HANDSHAKE_FAILURE, SSL_R_UNSAFE_LEGACY_RENEGOTIATION_DISABLED);
    pair_free(&p);
}

/* RFC 7627 §5.2: require_ems refuses a peer without it, on either side.
 * Without require_ems the stripped extension goes unnoticed until Finished,
 * which covers the ClientHello as sent. */
static void test_extended_master_secret(void **state)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    pair p;
    outcome o;

    (void)state;
    sc.require_ems = 1;
    pair_new(&p, &cc, &sc);
    run_stripped(&p, CLASP_HT_CLIENT_HELLO, CLASP_EXT_EXTENDED_MASTER_SECRET, &o);
    expect_failed(&p, &o, 1, SSL_AD_HANDSHAKE_FAILURE, SSL_R_INCONSISTENT_EXTMS);
    pair_free(&p);

    sc.require_ems = 0;
    cc.require_ems = 1;
    pair_new(&p, &cc, &sc);
    run_stripped(&p, CLASP_HT_SERVER_HELLO, CLASP_EXT_EXTENDED_MASTER_SECRET, &o);
    expect_failed(&p, &o, 0, SSL_AD_HANDSHAKE_FAILURE, SSL_R_INCONSISTENT_EXTMS);
    pair_free(&p);

    cc.require_ems = 0;
    pair_new(&p, &cc, &sc);
    run_stripped(&p, CLASP_HT_CLIENT_HELLO, CLASP_EXT_EXTENDED_MASTER_SECRET, &o);
    expect_failed(&p, &o, 1, SSL_AD_DECRYPT_ERROR, SSL_R_DIGEST_CHECK_FAILED);
    pair_free(&p);
}

/* A TLS 1.2 ClientHello made here, with what Clasp never sends. */
typedef struct {
    const uint16_t *suites;
    size_t num_suites;
    const uint8_t *reneg; /* renegotiation_info body, NULL: none */
    size_t reneg_len;
    const uint8_t *formats; /* ec_point_formats body, NULL: none */
    size_t formats_len;
} crafted_ch;

static size_t build_client_hello(const crafted_ch *ch, uint8_t *out, size_t cap)
{
    clasp_writer w;
    clasp_wr_mark rec;
    clasp_wr_mark msg;
    clasp_wr_mark v;
    clasp_wr_mark exts;

    clasp_wr_init_fixed(&w, out, cap);
    clasp_wr_u8(&w, 22);
    clasp_wr_u16(&w, 0x0301);
    clasp_wr_open_u16(&w, &rec);
    clasp_wr_u8(&w, CLASP_HT_CLIENT_HELLO);
    clasp_wr_open_u24(&w, &msg);
    clasp_wr_u16(&w, CLASP_TLS12);
    clasp_wr_zeros(&w, 32);
    clasp_wr_u8(&w, 0);
    clasp_wr_open_u16(&w, &v);
    for (size_t i = 0; i < ch->num_suites; i++) {
        clasp_wr_u16(&w, ch->suites[i]);
    }
    clasp_wr_close(&w, &v);
    clasp_wr_u8(&w, 1);
    clasp_wr_u8(&w, 0);
    clasp_wr_open_u16(&w, &exts);
    clasp_wr_u16(&w, CLASP_EXT_SUPPORTED_GROUPS);
    clasp_wr_u16(&w, 4);
    clasp_wr_u16(&w, 2);
    clasp_wr_u16(&w, CLASP_GROUP_SECP256R1);
    clasp_wr_u16(&w, CLASP_EXT_SIGNATURE_ALGORITHMS);
    clasp_wr_u16(&w, 6);
    clasp_wr_u16(&w, 4);
    clasp_wr_u16(&w, 0x0403);
    clasp_wr_u16(&w, 0x0804);
    if (ch->reneg != NULL) {
        clasp_wr_u16(&w, CLASP_EXT_RENEGOTIATION_INFO);
        clasp_wr_u16(&w, (uint16_t)ch->reneg_len);
        clasp_wr_bytes(&w, ch->reneg, ch->reneg_len);
    }
    if (ch->formats != NULL) {
        clasp_wr_u16(&w, CLASP_EXT_EC_POINT_FORMATS);
        clasp_wr_u16(&w, (uint16_t)ch->formats_len);
        clasp_wr_bytes(&w, ch->formats, ch->formats_len);
    }
    clasp_wr_close(&w, &exts);
    clasp_wr_close(&w, &msg);
    clasp_wr_close(&w, &rec);
    assert_true(clasp_wr_ok(&w));
    return w.len;
}

/* Feeds a crafted ClientHello to a TLS 1.2 server (answering its decision
 * with every identity) and expects it to fail with alert and reason. */
static void crafted_fails(const crafted_ch *ch, int alert, int reason)
{
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);
    uint8_t msg[512];
    size_t len = build_client_hello(ch, msg, sizeof(msg));
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    uint8_t *in;
    pair p;
    outcome o;

    pair_new(&p, &cc, &sc);
    clasp_conn_in_space(p.s, &in);
    memcpy(in, msg, len);
    clasp_conn_in_commit(p.s, len);
    assert_int_equal(step(&p, p.s), CLASP_WAIT_ERROR);
    memset(&o, 0, sizeof(o));
    take_errors(&o);
    assert_int_equal(o.num_errors, 1);
    assert_int_equal(o.reason, reason);
    assert_int_equal(clasp_conn_alert_sent(p.s), (2 << 8) | alert);
    pair_free(&p);
}

static const uint16_t good_suites[] = {0xc02b, 0x00ff};
static const uint8_t empty_reneg[] = {0};
static const uint8_t uncompressed[] = {1, 0};

/* Only CBC suites, only RSA key exchange, or both: nothing Clasp speaks
 * (RFC 5246 §7.4.1.3: handshake_failure). */
static void test_cbc_and_rsa_kx_refused(void **state)
{
    static const uint16_t cbc[] = {0xc009, 0xc00a, 0xc013, 0xc014, 0xc023, 0xc027, 0x00ff};
    static const uint16_t rsa_kx[] = {0x009c, 0x009d, 0x002f, 0x0035, 0x000a};
    crafted_ch ch = {cbc, 7, NULL, 0, uncompressed, 2};

    (void)state;
    crafted_fails(&ch, SSL_AD_HANDSHAKE_FAILURE, SSL_R_NO_SHARED_CIPHER);
    ch.suites = rsa_kx;
    ch.num_suites = 5;
    crafted_fails(&ch, SSL_AD_HANDSHAKE_FAILURE, SSL_R_NO_SHARED_CIPHER);
}

/* RFC 5746 §3.6: a non-empty renegotiated_connection on an initial
 * handshake is handshake_failure; a malformed one too. */
static void test_renegotiation_info_not_empty(void **state)
{
    static const uint8_t not_empty[] = {12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const uint8_t truncated[] = {5, 1};
    crafted_ch ch = {good_suites, 1, not_empty, sizeof(not_empty), NULL, 0};

    (void)state;
    crafted_fails(&ch, SSL_AD_HANDSHAKE_FAILURE, SSL_R_RENEGOTIATION_MISMATCH);
    ch.reneg = truncated;
    ch.reneg_len = sizeof(truncated);
    crafted_fails(&ch, SSL_AD_HANDSHAKE_FAILURE, SSL_R_RENEGOTIATION_MISMATCH);
}

/* RFC 8422 §5.1.2: a point format list without uncompressed. */
static void test_point_formats_without_uncompressed(void **state)
{
    static const uint8_t compressed_only[] = {2, 1, 2};
    static const uint8_t empty_list[] = {0};
    crafted_ch ch = {good_suites, 2, empty_reneg, 1, compressed_only, sizeof(compressed_only)};

    (void)state;
    crafted_fails(&ch, SSL_AD_ILLEGAL_PARAMETER, SSL_R_TLS_INVALID_ECPOINTFORMAT_LIST);
    ch.formats = empty_list;
    ch.formats_len = sizeof(empty_list);
    crafted_fails(&ch, SSL_AD_ILLEGAL_PARAMETER, SSL_R_TLS_INVALID_ECPOINTFORMAT_LIST);
}

/* ---- after the handshake: renegotiation refused -----------------------------------------------
 */

static void handshake_pair(pair *p)
{
    clasp_config cc = make_config(0, CLASP_TLS12, CLASP_TLS12);
    clasp_config sc = make_config(1, CLASP_TLS12, CLASP_TLS12);

    pair_new(p, &cc, &sc);
    assert_true(run(p, 0, NULL, NULL).done);
}

/* A handshake message written under conn's application keys, as its state
 * machine never would. */
static void inject(clasp_conn *conn, const uint8_t *msg, size_t len)
{
    assert_true(clasp_rec_write(&conn->rec, CLASP_RT_HANDSHAKE, msg, len));
}

/* RFC 5246 §7.4.1.1 HelloRequest: the client answers no_renegotiation
 * (warning), the server takes the warning and both go on. */
static void test_hello_request_refused(void **state)
{
    static const uint8_t hello_request[4] = {CLASP_HT_HELLO_REQUEST, 0, 0, 0};
    pair p;

    (void)state;
    handshake_pair(&p);
    inject(p.s, hello_request, sizeof(hello_request));
    clasp_test_move_bytes(p.s, p.c, FLIGHT_MAX);
    assert_int_equal(step(&p, p.c), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_alert_sent(p.c), (1 << 8) | SSL_AD_NO_RENEGOTIATION);
    clasp_test_move_bytes(p.c, p.s, FLIGHT_MAX);
    assert_int_equal(step(&p, p.s), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_alert_received(p.s), (1 << 8) | SSL_AD_NO_RENEGOTIATION);
    assert_int_equal(ERR_peek_error(), 0);
    exchange_data(&p);
    pair_free(&p);
}

static void test_hello_request_with_body(void **state)
{
    static const uint8_t bad[5] = {CLASP_HT_HELLO_REQUEST, 0, 0, 1, 0};
    pair p;

    (void)state;
    handshake_pair(&p);
    inject(p.s, bad, sizeof(bad));
    clasp_test_move_bytes(p.s, p.c, FLIGHT_MAX);
    assert_int_equal(step(&p, p.c), CLASP_WAIT_ERROR);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_BAD_LENGTH);
    assert_int_equal(ERR_get_error(), 0);
    assert_int_equal(clasp_conn_alert_sent(p.c), (2 << 8) | SSL_AD_DECODE_ERROR);
    pair_free(&p);
}

/* A ClientHello after the handshake: as OpenSSL with
 * SSL_OP_NO_RENEGOTIATION, a no_renegotiation warning and nothing else. */
static void test_client_hello_refused(void **state)
{
    crafted_ch ch = {good_suites, 2, empty_reneg, 1, uncompressed, 2};
    uint8_t rec[512];
    size_t len = build_client_hello(&ch, rec, sizeof(rec));
    pair p;

    (void)state;
    handshake_pair(&p);
    inject(p.c, rec + 5, len - 5);
    clasp_test_move_bytes(p.c, p.s, FLIGHT_MAX);
    assert_int_equal(step(&p, p.s), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_alert_sent(p.s), (1 << 8) | SSL_AD_NO_RENEGOTIATION);
    clasp_test_move_bytes(p.s, p.c, FLIGHT_MAX);
    assert_int_equal(step(&p, p.c), CLASP_WAIT_INPUT);
    assert_int_equal(clasp_conn_alert_received(p.c), (1 << 8) | SSL_AD_NO_RENEGOTIATION);
    assert_int_equal(ERR_peek_error(), 0);
    exchange_data(&p);
    /* a server never receives a HelloRequest */
    {
        static const uint8_t hello_request[4] = {CLASP_HT_HELLO_REQUEST, 0, 0, 0};

        inject(p.c, hello_request, sizeof(hello_request));
        clasp_test_move_bytes(p.c, p.s, FLIGHT_MAX);
        assert_int_equal(step(&p, p.s), CLASP_WAIT_ERROR);
        assert_int_equal(clasp_conn_alert_sent(p.s), (2 << 8) | SSL_AD_UNEXPECTED_MESSAGE);
    }
    pair_free(&p);
}

/* ---- main --------------------------------------------------------------------------------- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_suite_byte_at_a_time),
        cmocka_unit_test(test_every_chunk_size),
        cmocka_unit_test(test_every_group),
        cmocka_unit_test(test_client_authentication),
        cmocka_unit_test(test_client_certificate_missing),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_downgrade_detected),
        cmocka_unit_test(test_fallback_scsv),
        cmocka_unit_test(test_bad_ske_signature),
        cmocka_unit_test(test_ske_point_not_on_curve),
        cmocka_unit_test(test_ske_x25519_all_zero),
        cmocka_unit_test(test_cke_point_not_on_curve),
        cmocka_unit_test(test_cke_x25519_all_zero),
        cmocka_unit_test(test_bad_finished_from_client),
        cmocka_unit_test(test_bad_finished_from_server),
        cmocka_unit_test(test_early_ccs),
        cmocka_unit_test(test_missing_message),
        cmocka_unit_test(test_finished_without_ccs),
        cmocka_unit_test(test_server_without_renegotiation_info),
        cmocka_unit_test(test_extended_master_secret),
        cmocka_unit_test(test_cbc_and_rsa_kx_refused),
        cmocka_unit_test(test_renegotiation_info_not_empty),
        cmocka_unit_test(test_point_formats_without_uncompressed),
        cmocka_unit_test(test_hello_request_refused),
        cmocka_unit_test(test_hello_request_with_body),
        cmocka_unit_test(test_client_hello_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
