/*
 * The negotiation and callback surface of the OpenSSL API over TLS 1.3: SNI and context
 * switching, ALPN and SSL_select_next_proto, protocol versions, cipher suites and their
 * getters, groups and signature algorithms, options and modes, ex_data, the info and keylog
 * callbacks, reference counting and certificate loading.
 *
 * I/O semantics (SSL_get_error, pending/peek, key update, shutdown, state getters) are in
 * test_io.c; TLS 1.2 in test_tls12.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers/testutil.h"

#include <openssl/x509v3.h>

/* ---- fixture: P-256 server, verifying client, 16 KiB pair ------------------------------- */

typedef struct {
    SSL_CTX *cctx, *sctx;
    clasp_test_link link;
    clasp_test_op c, s;
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->sctx = clasp_test_server_ctx(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    f->cctx = clasp_test_client_ctx();
    assert_non_null(f->sctx);
    assert_non_null(f->cctx);
}

static void fixture_link(fixture *f)
{
    assert_true(clasp_test_link_pair(&f->link, f->cctx, f->sctx, 16384));
    assert_int_equal(SSL_set1_host(f->link.client, "localhost"), 1);
}

/* Runs both handshakes; 1 if both succeeded. */
static int fixture_handshake(fixture *f)
{
    f->c = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    f->s = clasp_test_op_new(CLASP_TEST_OP_HANDSHAKE);
    return clasp_test_pump(&f->link, &f->c, &f->s);
}

static void fixture_free(fixture *f)
{
    clasp_test_link_free(&f->link);
    SSL_CTX_free(f->cctx);
    SSL_CTX_free(f->sctx);
}

/* ---- SNI -------------------------------------------------------------------------------- */

typedef struct {
    int calls;
    int saw_name;           /* SSL_get_servername returned non-NULL in the callback */
    char name[256];         /* ... and this is what it returned */
    void *arg_seen;         /* the callback's arg */
    SSL_CTX *switch_to;     /* if set: SSL_set_SSL_CTX to it when the name is switch_for */
    const char *switch_for;
    int result;             /* SSL_TLSEXT_ERR_* to return */
    int alert;              /* >= 0: stored into *al */
} sni_record;

static int sni_callback(SSL *ssl, int *al, void *arg)
{
    sni_record *rec = arg;
    rec->calls++;
    rec->arg_seen = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    rec->saw_name = name != NULL;
    if (name != NULL) {
        snprintf(rec->name, sizeof(rec->name), "%s", name);
    }
    if (rec->switch_to != NULL && name != NULL && strcmp(name, rec->switch_for) == 0 &&
        SSL_set_SSL_CTX(ssl, rec->switch_to) != rec->switch_to) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    if (rec->alert >= 0) {
        *al = rec->alert;
    }
    return rec->result;
}

static void sni_setup(fixture *f, sni_record *rec, const char *client_name)
{
    fixture_init(f);
    SSL_CTX_set_tlsext_servername_callback(f->sctx, sni_callback);
    SSL_CTX_set_tlsext_servername_arg(f->sctx, rec);
    fixture_link(f);
    if (client_name != NULL) {
        assert_int_equal(SSL_set_tlsext_host_name(f->link.client, client_name), 1);
    }
}

static void test_sni_seen_by_server(void **state)
{
    fixture f;
    sni_record rec = {.result = SSL_TLSEXT_ERR_OK, .alert = -1};
    sni_setup(&f, &rec, "localhost");
    assert_null(SSL_get_servername(f.link.server, TLSEXT_NAMETYPE_host_name));
    assert_string_equal(SSL_get_servername(f.link.client, TLSEXT_NAMETYPE_host_name), "localhost");
    assert_true(fixture_handshake(&f));
    assert_int_equal(rec.calls, 1);
    assert_ptr_equal(rec.arg_seen, &rec);
    assert_true(rec.saw_name);
    assert_string_equal(rec.name, "localhost");
    assert_string_equal(SSL_get_servername(f.link.server, TLSEXT_NAMETYPE_host_name), "localhost");
    assert_string_equal(SSL_get_servername(f.link.client, TLSEXT_NAMETYPE_host_name), "localhost");
    fixture_free(&f);
}

static void test_sni_absent(void **state)
{
    /* The callback runs even without server_name; the name it sees is NULL. */
    fixture f;
    sni_record rec = {.result = SSL_TLSEXT_ERR_OK, .alert = -1};
    sni_setup(&f, &rec, NULL);
    assert_true(fixture_handshake(&f));
    assert_int_equal(rec.calls, 1);
    assert_false(rec.saw_name);
    assert_null(SSL_get_servername(f.link.server, TLSEXT_NAMETYPE_host_name));
    fixture_free(&f);
}

static void test_sni_switches_ctx(void **state)
{
    fixture f;
    SSL_CTX *other = clasp_test_server_ctx(CLASP_TEST_KEY_RSA2048, CLASP_TEST_LEAF_OTHER_NAME);
    assert_non_null(other);
    sni_record rec = {.result = SSL_TLSEXT_ERR_OK, .alert = -1, .switch_to = other,
                      .switch_for = "other.example"};
    sni_setup(&f, &rec, "other.example");
    assert_int_equal(SSL_set1_host(f.link.client, "other.example"), 1);
    assert_true(fixture_handshake(&f));
    assert_int_equal(SSL_get_verify_result(f.link.client), X509_V_OK);
    X509 *peer = SSL_get1_peer_certificate(f.link.client);
    assert_non_null(peer);
    assert_int_equal(X509_cmp(peer, clasp_test_leaf_get0(CLASP_TEST_KEY_RSA2048,
                                                         CLASP_TEST_LEAF_OTHER_NAME)),
                     0);
    X509_free(peer);
    assert_true(clasp_test_transfer(&f.link, 1, 1000));
    fixture_free(&f);
    /* The connection held its own reference to the context it switched to. */
    SSL_CTX_free(other);
}

/* The certificate the client receives is the one the server's SSL holds:
 * SSL_new copies the SSL_CTX's, so a later SSL_CTX_use_certificate does not
 * reach an SSL made before it, and SSL_use_certificate on the SSL wins. */
static void assert_server_sends(int on_ssl)
{
    fixture f;
    X509 *good = clasp_test_leaf_get0(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    X509 *other = clasp_test_leaf_get0(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_OTHER_NAME);

    fixture_init(&f);
    fixture_link(&f);
    if (on_ssl) {
        assert_int_equal(SSL_use_certificate(f.link.server, other), 1);
        assert_int_equal(SSL_set1_host(f.link.client, "other.example"), 1);
    } else {
        assert_int_equal(SSL_CTX_use_certificate(f.sctx, other), 1);
    }
    assert_true(fixture_handshake(&f));
    assert_int_equal(SSL_get_verify_result(f.link.client), X509_V_OK);
    X509 *peer = SSL_get1_peer_certificate(f.link.client);
    assert_non_null(peer);
    assert_int_equal(X509_cmp(peer, on_ssl ? other : good), 0);
    X509_free(peer);
    fixture_free(&f);
}

static void test_certificate_of_the_ssl_is_sent(void **state)
{
    (void)state;
    assert_server_sends(0);
    assert_server_sends(1);
}

static void test_sni_other_name_keeps_ctx(void **state)
{
    fixture f;
    SSL_CTX *other = clasp_test_server_ctx(CLASP_TEST_KEY_RSA2048, CLASP_TEST_LEAF_OTHER_NAME);
    assert_non_null(other);
    sni_record rec = {.result = SSL_TLSEXT_ERR_OK, .alert = -1, .switch_to = other,
                      .switch_for = "other.example"};
    sni_setup(&f, &rec, "localhost");
    assert_true(fixture_handshake(&f));
    X509 *peer = SSL_get1_peer_certificate(f.link.client);
    assert_int_equal(X509_cmp(peer, clasp_test_leaf_get0(CLASP_TEST_KEY_P256,
                                                         CLASP_TEST_LEAF_GOOD)),
                     0);
    X509_free(peer);
    fixture_free(&f);
    SSL_CTX_free(other);
}

static void sni_fatal_case(int alert)
{
    fixture f;
    sni_record rec = {.result = SSL_TLSEXT_ERR_ALERT_FATAL, .alert = alert};
    sni_setup(&f, &rec, "unknown.example");
    assert_false(fixture_handshake(&f));
    assert_int_equal(rec.calls, 1);
    /* Without an alert from the callback the alert is unrecognized_name. */
    assert_op_failed_with(&f.c, alert == SSL_AD_HANDSHAKE_FAILURE
                                    ? SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE
                                    : SSL_R_TLSV1_UNRECOGNIZED_NAME);
    assert_op_failed_with(&f.s, SSL_R_CALLBACK_FAILED);
    fixture_free(&f);
}

static void test_sni_fatal_unrecognized_name(void **state)
{
    sni_fatal_case(SSL_AD_UNRECOGNIZED_NAME);
}

static void test_sni_fatal_default_alert(void **state)
{
    sni_fatal_case(-1);
}

static void test_sni_fatal_own_alert(void **state)
{
    sni_fatal_case(SSL_AD_HANDSHAKE_FAILURE);
}

static void test_sni_noack(void **state)
{
    fixture f;
    sni_record rec = {.result = SSL_TLSEXT_ERR_NOACK, .alert = -1};
    sni_setup(&f, &rec, "localhost");
    assert_true(fixture_handshake(&f));
    assert_int_equal(rec.calls, 1);
    fixture_free(&f);
}

static void test_sni_invalid_names(void **state)
{
    SSL_CTX *ctx = clasp_test_client_ctx();
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    ERR_clear_error();
    assert_int_equal(SSL_set_tlsext_host_name(ssl, ""), 0);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_SSL3_EXT_INVALID_SERVERNAME);
    ERR_clear_error();
    assert_int_equal(SSL_set_tlsext_host_name(ssl, long_name), 0);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_SSL3_EXT_INVALID_SERVERNAME);
    assert_int_equal(SSL_set_tlsext_host_name(ssl, "localhost"), 1);
    assert_string_equal(SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name), "localhost");
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

/* ---- ALPN ------------------------------------------------------------------------------- */

#define PROTOS_H2_HTTP11 "\x02h2\x08http/1.1"
#define PROTOS_HTTP11 "\x08http/1.1"
#define PROTOS_FOO "\x03" "foo"

typedef struct {
    const unsigned char *protos;
    unsigned int protos_len;
    int on_no_overlap; /* SSL_TLSEXT_ERR_* when nothing matches */
    int calls;
    char offered[64];  /* the client's list as the callback saw it, wire format */
    unsigned int offered_len;
} alpn_record;

/* The server supports h2 and http/1.1, in this order. */
static alpn_record server_alpn(int on_no_overlap)
{
    alpn_record rec;
    memset(&rec, 0, sizeof(rec));
    rec.protos = (const unsigned char *)PROTOS_H2_HTTP11;
    rec.protos_len = sizeof(PROTOS_H2_HTTP11) - 1;
    rec.on_no_overlap = on_no_overlap;
    return rec;
}

static int alpn_callback(SSL *ssl, const unsigned char **out, unsigned char *out_len,
                         const unsigned char *in, unsigned int in_len, void *arg)
{
    alpn_record *rec = arg;
    rec->calls++;
    if (in_len <= sizeof(rec->offered)) {
        memcpy(rec->offered, in, in_len);
        rec->offered_len = in_len;
    }
    unsigned char *chosen = NULL;
    if (SSL_select_next_proto(&chosen, out_len, rec->protos, rec->protos_len, in, in_len) ==
        OPENSSL_NPN_NEGOTIATED) {
        *out = chosen;
        return SSL_TLSEXT_ERR_OK;
    }
    return rec->on_no_overlap;
}

static void alpn_setup(fixture *f, alpn_record *rec, const char *client_protos,
                       size_t client_len)
{
    fixture_init(f);
    SSL_CTX_set_alpn_select_cb(f->sctx, alpn_callback, rec);
    if (client_protos != NULL) {
        /* SSL_CTX_set_alpn_protos returns 0 on success, unlike most of the API. */
        assert_int_equal(
            SSL_CTX_set_alpn_protos(f->cctx, (const unsigned char *)client_protos,
                                    (unsigned int)client_len),
            0);
    }
    fixture_link(f);
}

static void assert_alpn(SSL *ssl, const char *want)
{
    const unsigned char *proto = NULL;
    unsigned int len = 99;
    SSL_get0_alpn_selected(ssl, &proto, &len);
    if (want == NULL) {
        assert_null(proto);
        assert_int_equal(len, 0);
        return;
    }
    assert_non_null(proto);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(proto, want, len);
}

static void test_alpn_match(void **state)
{
    fixture f;
    alpn_record rec = server_alpn(SSL_TLSEXT_ERR_ALERT_FATAL);
    /* The client prefers http/1.1; the server's order decides. */
    alpn_setup(&f, &rec, PROTOS_HTTP11 "\x02h2", sizeof(PROTOS_HTTP11 "\x02h2") - 1);
    assert_alpn(f.link.client, NULL);
    assert_true(fixture_handshake(&f));
    assert_int_equal(rec.calls, 1);
    assert_int_equal(rec.offered_len, sizeof(PROTOS_HTTP11 "\x02h2") - 1);
    assert_memory_equal(rec.offered, PROTOS_HTTP11 "\x02h2", rec.offered_len);
    assert_alpn(f.link.client, "h2");
    assert_alpn(f.link.server, "h2");
    fixture_free(&f);
}

static void test_alpn_per_ssl_protos(void **state)
{
    fixture f;
    alpn_record rec = server_alpn(SSL_TLSEXT_ERR_ALERT_FATAL);
    alpn_setup(&f, &rec, PROTOS_H2_HTTP11, sizeof(PROTOS_H2_HTTP11) - 1);
    /* The connection's own list replaces the context's. */
    assert_int_equal(SSL_set_alpn_protos(f.link.client, (const unsigned char *)PROTOS_HTTP11,
                                         sizeof(PROTOS_HTTP11) - 1),
                     0);
    assert_true(fixture_handshake(&f));
    assert_alpn(f.link.client, "http/1.1");
    assert_alpn(f.link.server, "http/1.1");
    fixture_free(&f);
}

static void test_alpn_no_overlap_fatal(void **state)
{
    fixture f;
    alpn_record rec = server_alpn(SSL_TLSEXT_ERR_ALERT_FATAL);
    alpn_setup(&f, &rec, PROTOS_FOO, sizeof(PROTOS_FOO) - 1);
    assert_false(fixture_handshake(&f));
    /* RFC 7301 §3.2: no_application_protocol. */
    assert_op_failed_with(&f.c, SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL);
    assert_op_failed_with(&f.s, SSL_R_NO_APPLICATION_PROTOCOL);
    fixture_free(&f);
}

static void test_alpn_no_overlap_noack(void **state)
{
    fixture f;
    alpn_record rec = server_alpn(SSL_TLSEXT_ERR_NOACK);
    alpn_setup(&f, &rec, PROTOS_FOO, sizeof(PROTOS_FOO) - 1);
    assert_true(fixture_handshake(&f));
    assert_int_equal(rec.calls, 1);
    assert_alpn(f.link.client, NULL);
    assert_alpn(f.link.server, NULL);
    fixture_free(&f);
}

static void test_alpn_not_offered(void **state)
{
    fixture f;
    alpn_record rec = server_alpn(SSL_TLSEXT_ERR_ALERT_FATAL);
    alpn_setup(&f, &rec, NULL, 0);
    assert_true(fixture_handshake(&f));
    assert_int_equal(rec.calls, 0);
    assert_alpn(f.link.client, NULL);
    assert_alpn(f.link.server, NULL);
    fixture_free(&f);
}

static void test_alpn_bad_lists(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    /* A zero-length name or a length running past the end is rejected (non-zero return). */
    assert_int_not_equal(SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x00", 1), 0);
    assert_int_not_equal(SSL_CTX_set_alpn_protos(ctx, (const unsigned char *)"\x05h2", 3), 0);
    /* An empty list switches ALPN off. */
    assert_int_equal(SSL_CTX_set_alpn_protos(ctx, NULL, 0), 0);
    SSL_CTX_free(ctx);
}

static void test_select_next_proto(void **state)
{
    unsigned char *out = NULL;
    unsigned char out_len = 0;
    const unsigned char *server = (const unsigned char *)PROTOS_H2_HTTP11;
    unsigned int server_len = sizeof(PROTOS_H2_HTTP11) - 1;
    const unsigned char client[] = "\x08http/1.1\x02h2";

    /* The first of the server's (first list's) protocols that the client also has. */
    assert_int_equal(SSL_select_next_proto(&out, &out_len, server, server_len, client,
                                           sizeof(client) - 1),
                     OPENSSL_NPN_NEGOTIATED);
    assert_int_equal(out_len, 2);
    assert_memory_equal(out, "h2", 2);
    /* The result points into the server's list. */
    assert_ptr_equal(out, server + 1);

    /* No overlap: the client's first protocol is offered as fallback. */
    const unsigned char other[] = "\x03" "foo\x03" "bar";
    assert_int_equal(SSL_select_next_proto(&out, &out_len, server, server_len, other,
                                           sizeof(other) - 1),
                     OPENSSL_NPN_NO_OVERLAP);
    assert_int_equal(out_len, 3);
    assert_memory_equal(out, "foo", 3);

    /* An empty server list: still the client's first protocol. */
    assert_int_equal(SSL_select_next_proto(&out, &out_len, server, 0, other, sizeof(other) - 1),
                     OPENSSL_NPN_NO_OVERLAP);
    assert_int_equal(out_len, 3);
    assert_memory_equal(out, "foo", 3);

    /* An empty or malformed client list: nothing at all (CVE-2024-5535). */
    out = (unsigned char *)"x";
    out_len = 99;
    assert_int_equal(SSL_select_next_proto(&out, &out_len, server, server_len, other, 0),
                     OPENSSL_NPN_NO_OVERLAP);
    assert_null(out);
    assert_int_equal(out_len, 0);
    out_len = 99;
    assert_int_equal(SSL_select_next_proto(&out, &out_len, server, server_len,
                                           (const unsigned char *)"\x05h2", 3),
                     OPENSSL_NPN_NO_OVERLAP);
    assert_null(out);
    assert_int_equal(out_len, 0);
}

/* ---- versions, cipher suites, groups, signature algorithms ------------------------------ */

static void test_default_versions_negotiate_tls13(void **state)
{
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX *cctx = SSL_CTX_new(TLS_method());
    assert_non_null(sctx);
    assert_non_null(cctx);
    assert_true(clasp_test_ctx_use_leaf(sctx, CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD));
    clasp_test_link link;
    assert_true(clasp_test_link_pair(&link, cctx, sctx, 16384));
    assert_true(clasp_test_handshake(&link));
    assert_string_equal(SSL_get_version(link.client), "TLSv1.3");
    assert_string_equal(SSL_get_version(link.server), "TLSv1.3");
    assert_int_equal(SSL_version(link.client), TLS1_3_VERSION);
    /* No SSL_VERIFY_PEER and no trusted root: completes, but the result says why not. */
    assert_int_equal(SSL_get_verify_result(link.client),
                     X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_proto_version_setters(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION), 1);
    /* 0 means "the lowest / highest this library supports". */
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, 0), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, 0), 1);
    /* A version that does not exist is refused. */
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, 0x0305), 0);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, 0x0305), 0);
    SSL_CTX_free(ctx);
}

static void test_ciphersuite_mismatch(void **state)
{
    fixture f;
    fixture_init(&f);
    assert_int_equal(SSL_CTX_set_ciphersuites(f.cctx, "TLS_AES_128_GCM_SHA256"), 1);
    assert_int_equal(SSL_CTX_set_ciphersuites(f.sctx, "TLS_AES_256_GCM_SHA384"), 1);
    fixture_link(&f);
    assert_false(fixture_handshake(&f));
    /* RFC 9846 §4.2.1: no overlap → handshake_failure. */
    assert_op_failed_with(&f.s, SSL_R_NO_SHARED_CIPHER);
    assert_op_failed_with(&f.c, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
    fixture_free(&f);
}

static void test_ciphersuite_setter_errors(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    ERR_clear_error();
    assert_int_equal(SSL_CTX_set_ciphersuites(ctx, "bogus"), 0);
    unsigned long e = ERR_get_error();
    assert_int_equal(ERR_GET_LIB(e), ERR_LIB_SSL);
    assert_int_equal(ERR_GET_REASON(e), SSL_R_NO_CIPHER_MATCH);
    /* Unknown names among known ones are skipped quietly. */
    ERR_clear_error();
    assert_int_equal(SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:bogus"), 1);
    assert_int_equal(ERR_peek_error(), 0);
    SSL_CTX_free(ctx);
}

/* Client offers AES-128 then AES-256, server lists them the other way round. */
static const char *negotiated_suite(int server_preference)
{
    fixture f;
    fixture_init(&f);
    assert_int_equal(
        SSL_CTX_set_ciphersuites(f.cctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"), 1);
    assert_int_equal(
        SSL_CTX_set_ciphersuites(f.sctx, "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"), 1);
    if (server_preference) {
        assert_true(SSL_CTX_set_options(f.sctx, SSL_OP_CIPHER_SERVER_PREFERENCE) &
                    SSL_OP_CIPHER_SERVER_PREFERENCE);
    }
    fixture_link(&f);
    assert_true(fixture_handshake(&f));
    const char *name = SSL_CIPHER_standard_name(SSL_get_current_cipher(f.link.client));
    assert_string_equal(name, SSL_CIPHER_standard_name(SSL_get_current_cipher(f.link.server)));
    fixture_free(&f);
    return name; /* static storage in the cipher table */
}

static void test_ciphersuite_preference(void **state)
{
    assert_string_equal(negotiated_suite(0), "TLS_AES_128_GCM_SHA256");
    assert_string_equal(negotiated_suite(1), "TLS_AES_256_GCM_SHA384");
}

static void cipher_getters_case(const char *suite, uint32_t id, int bits)
{
    fixture f;
    fixture_init(&f);
    assert_int_equal(SSL_CTX_set_ciphersuites(f.cctx, suite), 1);
    fixture_link(&f);
    assert_null(SSL_get_current_cipher(f.link.client));
    assert_true(fixture_handshake(&f));
    const SSL_CIPHER *cipher = SSL_get_current_cipher(f.link.client);
    assert_non_null(cipher);
    assert_string_equal(SSL_CIPHER_get_name(cipher), suite);
    assert_string_equal(SSL_CIPHER_standard_name(cipher), suite);
    assert_string_equal(SSL_CIPHER_get_version(cipher), "TLSv1.3");
    /* The id is 0x0300 followed by the two-byte code point (RFC 9846 §B.4). */
    assert_int_equal(SSL_CIPHER_get_id(cipher), id);
    int alg_bits = -1;
    assert_int_equal(SSL_CIPHER_get_bits(cipher, &alg_bits), bits);
    assert_int_equal(alg_bits, bits);
    assert_int_equal(SSL_CIPHER_get_bits(cipher, NULL), bits);
    fixture_free(&f);
}

static void test_cipher_getters(void **state)
{
    cipher_getters_case("TLS_AES_128_GCM_SHA256", 0x03001301, 128);
    cipher_getters_case("TLS_AES_256_GCM_SHA384", 0x03001302, 256);
    cipher_getters_case("TLS_CHACHA20_POLY1305_SHA256", 0x03001303, 256);
}

static void test_groups_list_errors(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    assert_int_equal(SSL_CTX_set1_groups_list(ctx, "X25519:bogus"), 0);
    assert_int_equal(SSL_set1_groups_list(ssl, "bogus"), 0);
    ERR_clear_error();
    assert_int_equal(SSL_CTX_set1_groups_list(ctx, "P-384:X25519:P-256"), 1);
    assert_int_equal(SSL_set1_groups_list(ssl, "X25519"), 1);
    assert_int_equal(ERR_peek_error(), 0);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

static void test_sigalgs_select_scheme(void **state)
{
    fixture f;
    fixture_init(&f);
    SSL_CTX_free(f.sctx);
    f.sctx = clasp_test_server_ctx(CLASP_TEST_KEY_RSA2048, CLASP_TEST_LEAF_GOOD);
    assert_non_null(f.sctx);
    /* The chain's own signatures are ECDSA P-256 with SHA-256: keep that scheme listed. */
    assert_int_equal(
        SSL_CTX_set1_sigalgs_list(f.cctx, "rsa_pss_rsae_sha384:ecdsa_secp256r1_sha256"), 1);
    fixture_link(&f);
    assert_true(fixture_handshake(&f));
    int type = NID_undef;
    assert_int_equal(SSL_get_peer_signature_type_nid(f.link.client, &type), 1);
    assert_int_equal(type, EVP_PKEY_RSA_PSS);
    fixture_free(&f);
}

static void test_sigalgs_no_usable_scheme(void **state)
{
    fixture f;
    fixture_init(&f);
    SSL_CTX_free(f.sctx);
    f.sctx = clasp_test_server_ctx(CLASP_TEST_KEY_RSA2048, CLASP_TEST_LEAF_GOOD);
    assert_non_null(f.sctx);
    assert_int_equal(SSL_CTX_set1_sigalgs_list(f.cctx, "ecdsa_secp256r1_sha256"), 1);
    fixture_link(&f);
    assert_false(fixture_handshake(&f));
    assert_op_failed_with(&f.s, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM);
    assert_op_failed_with(&f.c, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE);
    fixture_free(&f);
}

static void test_sigalgs_list_errors(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_set1_sigalgs_list(ctx, "bogus"), 0);
    assert_int_equal(SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256:RSA-PSS+SHA256:ed25519"), 1);
    SSL_CTX_free(ctx);
}

/* ---- options and modes ------------------------------------------------------------------ */

static void test_options(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    uint64_t base = SSL_CTX_get_options(ctx);
    /* set/clear return the options afterwards. */
    assert_true(SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET) == (base | SSL_OP_NO_TICKET));
    assert_true(SSL_CTX_get_options(ctx) == (base | SSL_OP_NO_TICKET));
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    /* A new SSL starts with the context's options; changing it leaves the context alone. */
    assert_true(SSL_get_options(ssl) == (base | SSL_OP_NO_TICKET));
    assert_true(SSL_set_options(ssl, SSL_OP_CIPHER_SERVER_PREFERENCE) ==
                (base | SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE));
    assert_true(SSL_clear_options(ssl, SSL_OP_NO_TICKET) ==
                (base | SSL_OP_CIPHER_SERVER_PREFERENCE));
    assert_true(SSL_get_options(ssl) == (base | SSL_OP_CIPHER_SERVER_PREFERENCE));
    assert_true(SSL_CTX_get_options(ctx) == (base | SSL_OP_NO_TICKET));
    assert_true(SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET) == base);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

static void test_modes(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    long base = SSL_CTX_set_mode(ctx, 0);
    /* OpenSSL 3 turns SSL_MODE_AUTO_RETRY on by default. */
    assert_true(base & SSL_MODE_AUTO_RETRY);
    assert_int_equal(SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE),
                     base | SSL_MODE_ENABLE_PARTIAL_WRITE);
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    assert_int_equal(SSL_set_mode(ssl, 0), base | SSL_MODE_ENABLE_PARTIAL_WRITE);
    assert_int_equal(SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER),
                     base | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    assert_int_equal(SSL_CTX_set_mode(ctx, 0), base | SSL_MODE_ENABLE_PARTIAL_WRITE);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

static void test_partial_write_mode(void **state)
{
    /* With SSL_MODE_ENABLE_PARTIAL_WRITE a write may report one record's worth. */
    fixture f;
    fixture_init(&f);
    /* Room for the whole write, so that the only reason to stop early is the mode. */
    assert_true(clasp_test_link_pair(&f.link, f.cctx, f.sctx, 65536));
    assert_true(fixture_handshake(&f));
    SSL_set_mode(f.link.client, SSL_MODE_ENABLE_PARTIAL_WRITE);
    static unsigned char data[40000];
    clasp_test_fill(data, sizeof(data), 5);
    size_t written = 0;
    ERR_clear_error();
    assert_int_equal(SSL_write_ex(f.link.client, data, sizeof(data), &written), 1);
    assert_int_equal(written, 16384);
    static unsigned char got[40000];
    clasp_test_op w = clasp_test_op_write(data + written, sizeof(data) - written);
    clasp_test_op r = clasp_test_op_read(got, sizeof(got));
    assert_true(clasp_test_pump(&f.link, &w, &r));
    assert_memory_equal(got, data, sizeof(data));
    fixture_free(&f);
}

/* ---- ex_data ---------------------------------------------------------------------------- */

static int freed_count;
static void *freed_ptr;

static void count_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    if (ptr != NULL) {
        freed_count++;
        freed_ptr = ptr;
    }
}

static void test_ex_data_ssl(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    int idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, count_free);
    int idx2 = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    assert_true(idx > 0);
    assert_true(idx2 > idx);
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    int a, b, c;
    assert_null(SSL_get_ex_data(ssl, idx));
    assert_int_equal(SSL_set_ex_data(ssl, idx, &a), 1);
    assert_int_equal(SSL_set_ex_data(ssl, idx2, &b), 1);
    /* Index 0 works without registration: SSL_set_app_data. */
    assert_int_equal(SSL_set_app_data(ssl, &c), 1);
    assert_ptr_equal(SSL_get_ex_data(ssl, idx), &a);
    assert_ptr_equal(SSL_get_ex_data(ssl, idx2), &b);
    assert_ptr_equal(SSL_get_app_data(ssl), &c);
    assert_ptr_equal(SSL_get_ex_data(ssl, 0), &c);
    /* The free callback runs for the registered index when the SSL goes. */
    freed_count = 0;
    freed_ptr = NULL;
    SSL_free(ssl);
    assert_int_equal(freed_count, 1);
    assert_ptr_equal(freed_ptr, &a);
    SSL_CTX_free(ctx);
}

static void test_ex_data_ctx(void **state)
{
    int idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, count_free);
    assert_true(idx > 0);
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    assert_non_null(ctx);
    int a, c;
    assert_null(SSL_CTX_get_ex_data(ctx, idx));
    assert_int_equal(SSL_CTX_set_ex_data(ctx, idx, &a), 1);
    assert_int_equal(SSL_CTX_set_app_data(ctx, &c), 1);
    assert_ptr_equal(SSL_CTX_get_ex_data(ctx, idx), &a);
    assert_ptr_equal(SSL_CTX_get_app_data(ctx), &c);
    /* An SSL's ex_data is its own, not the context's. */
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    assert_null(SSL_get_app_data(ssl));
    SSL_free(ssl);
    freed_count = 0;
    SSL_CTX_free(ctx);
    assert_int_equal(freed_count, 1);
    assert_ptr_equal(freed_ptr, &a);
}

/* ---- info callback ---------------------------------------------------------------------- */

#define MAX_EVENTS 256

typedef struct {
    int where[MAX_EVENTS];
    int ret[MAX_EVENTS];
    int num;
} info_log;

static int info_index = -1;

static void info_callback(const SSL *ssl, int where, int ret)
{
    info_log *log = SSL_get_ex_data(ssl, info_index);
    if (log != NULL && log->num < MAX_EVENTS) {
        log->where[log->num] = where;
        log->ret[log->num] = ret;
        log->num++;
    }
}

/* Number of events with all bits of `mask`; *first / *last get their positions (-1: none). */
static int count_events(const info_log *log, int mask, int *first, int *last)
{
    int n = 0;
    *first = *last = -1;
    for (int i = 0; i < log->num; i++) {
        if ((log->where[i] & mask) == mask) {
            if (n++ == 0) {
                *first = i;
            }
            *last = i;
        }
    }
    return n;
}

static void assert_start_then_done(const info_log *log)
{
    int start_first, start_last, done_first, done_last;
    assert_int_equal(count_events(log, SSL_CB_HANDSHAKE_START, &start_first, &start_last), 1);
    assert_int_equal(count_events(log, SSL_CB_HANDSHAKE_DONE, &done_first, &done_last), 1);
    assert_true(start_first < done_first);
}

static void test_info_callback_handshake(void **state)
{
    fixture f;
    info_log clog = {0}, slog = {0};
    fixture_init(&f);
    SSL_CTX_set_info_callback(f.cctx, info_callback);
    SSL_CTX_set_info_callback(f.sctx, info_callback);
    fixture_link(&f);
    assert_int_equal(SSL_set_ex_data(f.link.client, info_index, &clog), 1);
    assert_int_equal(SSL_set_ex_data(f.link.server, info_index, &slog), 1);
    assert_true(fixture_handshake(&f));
    /* Post-handshake messages (tickets) must not look like a second handshake. */
    assert_true(clasp_test_transfer(&f.link, 0, 100));
    assert_true(clasp_test_transfer(&f.link, 1, 100));
    assert_start_then_done(&clog);
    assert_start_then_done(&slog);
    int first, last;
    assert_int_equal(count_events(&clog, SSL_CB_ALERT, &first, &last), 0);
    assert_int_equal(count_events(&slog, SSL_CB_ALERT, &first, &last), 0);
    fixture_free(&f);
}

static void test_info_callback_alerts(void **state)
{
    /* The client rejects an expired certificate: it writes the alert, the server reads it. */
    fixture f;
    info_log clog = {0}, slog = {0};
    memset(&f, 0, sizeof(f));
    f.sctx = clasp_test_server_ctx(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_EXPIRED);
    f.cctx = clasp_test_client_ctx();
    assert_non_null(f.sctx);
    assert_non_null(f.cctx);
    SSL_CTX_set_info_callback(f.cctx, info_callback);
    SSL_CTX_set_info_callback(f.sctx, info_callback);
    fixture_link(&f);
    assert_int_equal(SSL_set_ex_data(f.link.client, info_index, &clog), 1);
    assert_int_equal(SSL_set_ex_data(f.link.server, info_index, &slog), 1);
    assert_false(fixture_handshake(&f));
    int first, last;
    assert_int_equal(count_events(&clog, SSL_CB_WRITE_ALERT, &first, &last), 1);
    /* ret is (level << 8) | description. */
    assert_int_equal(clog.ret[first], (SSL3_AL_FATAL << 8) | SSL_AD_CERTIFICATE_EXPIRED);
    assert_string_equal(SSL_alert_desc_string_long(clog.ret[first]), "certificate expired");
    assert_int_equal(count_events(&slog, SSL_CB_READ_ALERT, &first, &last), 1);
    assert_int_equal(slog.ret[first], (SSL3_AL_FATAL << 8) | SSL_AD_CERTIFICATE_EXPIRED);
    assert_int_equal(count_events(&clog, SSL_CB_HANDSHAKE_DONE, &first, &last), 0);
    assert_int_equal(count_events(&slog, SSL_CB_HANDSHAKE_DONE, &first, &last), 0);
    fixture_free(&f);
}

/* ---- keylog callback -------------------------------------------------------------------- */

#define MAX_KEYLOG 16

typedef struct {
    char lines[MAX_KEYLOG][300];
    int num;
} keylog_record;

static int keylog_index = -1;

static void keylog_callback(const SSL *ssl, const char *line)
{
    keylog_record *rec = SSL_get_ex_data(ssl, keylog_index);
    if (rec != NULL && rec->num < MAX_KEYLOG) {
        snprintf(rec->lines[rec->num++], sizeof(rec->lines[0]), "%s", line);
    }
}

/* The line for `label`, or NULL. */
static const char *keylog_find(const keylog_record *rec, const char *label)
{
    size_t n = strlen(label);
    for (int i = 0; i < rec->num; i++) {
        if (strncmp(rec->lines[i], label, n) == 0 && rec->lines[i][n] == ' ') {
            return rec->lines[i];
        }
    }
    return NULL;
}

static int all_lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* "LABEL <client random, 64 hex> <secret, 2*secret_len hex>" */
static void assert_keylog_line(const char *line, const char *label, const char *random_hex,
                               size_t secret_len)
{
    assert_non_null(line);
    size_t label_len = strlen(label);
    assert_int_equal(strlen(line), label_len + 1 + 64 + 1 + 2 * secret_len);
    assert_memory_equal(line + label_len + 1, random_hex, 64);
    assert_int_equal(line[label_len + 1 + 64], ' ');
    assert_true(all_lower_hex(line + label_len + 1, 64));
    assert_true(all_lower_hex(line + label_len + 1 + 64 + 1, 2 * secret_len));
}

static void keylog_case(const char *suite, size_t secret_len)
{
    SSL_CTX *sctx = clasp_test_server_ctx(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD);
    SSL_CTX *cctx = clasp_test_client_ctx();
    assert_non_null(sctx);
    assert_non_null(cctx);
    assert_int_equal(SSL_CTX_set_ciphersuites(cctx, suite), 1);
    SSL_CTX_set_keylog_callback(cctx, keylog_callback);
    SSL_CTX_set_keylog_callback(sctx, keylog_callback);
    keylog_record crec = {0}, srec = {0};
    clasp_test_link link;
    assert_true(clasp_test_link_trickle(&link, cctx, sctx, 4096, 0));
    link.capture = 1;
    assert_int_equal(SSL_set_ex_data(link.client, keylog_index, &crec), 1);
    assert_int_equal(SSL_set_ex_data(link.server, keylog_index, &srec), 1);
    assert_true(clasp_test_handshake(&link));

    /* The client random is in the first ClientHello: record(5) type(1) len(3) version(2). */
    assert_true(link.c2s.len > 5 + 4 + 2 + 32);
    char random_hex[65];
    for (int i = 0; i < 32; i++) {
        snprintf(random_hex + 2 * i, 3, "%02x", link.c2s.data[5 + 4 + 2 + i]);
    }
    static const char *const labels[] = {"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                                         "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                                         "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
                                         "EXPORTER_SECRET"};
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        assert_keylog_line(keylog_find(&crec, labels[i]), labels[i], random_hex, secret_len);
        /* Both sides derive the same secrets. */
        assert_string_equal(keylog_find(&crec, labels[i]), keylog_find(&srec, labels[i]));
    }
    assert_int_equal(crec.num, 5);
    assert_int_equal(srec.num, 5);
    assert_null(keylog_find(&crec, "CLIENT_EARLY_TRAFFIC_SECRET"));
    clasp_test_link_free(&link);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

static void test_keylog_sha256(void **state)
{
    keylog_case("TLS_AES_128_GCM_SHA256", 32);
}

static void test_keylog_sha384(void **state)
{
    keylog_case("TLS_AES_256_GCM_SHA384", 48);
}

/* ---- object lifetimes and certificate loading ------------------------------------------- */

static void test_up_ref(void **state)
{
    fixture f;
    fixture_init(&f);
    assert_int_equal(SSL_CTX_up_ref(f.sctx), 1);
    SSL_CTX_free(f.sctx); /* the extra reference */
    fixture_link(&f);
    /* An SSL keeps its context alive: drop ours before the handshake. */
    SSL_CTX_free(f.cctx);
    SSL_CTX_free(f.sctx);
    f.cctx = f.sctx = NULL;
    assert_int_equal(SSL_up_ref(f.link.client), 1);
    SSL_free(f.link.client); /* the extra reference */
    assert_true(fixture_handshake(&f));
    assert_true(clasp_test_transfer(&f.link, 1, 100));
    fixture_free(&f);
}

static void test_chain_file(void **state)
{
    char *path = clasp_test_write_chain_pem(CLASP_TEST_KEY_P384, CLASP_TEST_LEAF_GOOD);
    assert_non_null(path);
    fixture f;
    fixture_init(&f);
    SSL_CTX_free(f.sctx);
    f.sctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(f.sctx);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(f.sctx, path), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(f.sctx, clasp_test_key_get0(CLASP_TEST_KEY_P384)), 1);
    assert_int_equal(SSL_CTX_check_private_key(f.sctx), 1);
    unlink(path);
    free(path);
    fixture_link(&f);
    assert_true(fixture_handshake(&f));
    assert_int_equal(SSL_get_verify_result(f.link.client), X509_V_OK);
    assert_int_equal(sk_X509_num(SSL_get_peer_cert_chain(f.link.client)), 2);
    fixture_free(&f);
}

static void test_chain_file_missing(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(ctx);
    ERR_clear_error();
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, "/nonexistent/clasp/chain.pem"), 0);
    /* The system error first (from the file BIO), then libssl's own entry last. */
    assert_int_equal(ERR_GET_LIB(ERR_peek_error()), ERR_LIB_SYS);
    assert_int_equal(ERR_GET_LIB(ERR_peek_last_error()), ERR_LIB_SSL);
    ERR_clear_error();
    SSL_CTX_free(ctx);
}

static void test_private_key_mismatch(void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_non_null(ctx);
    /* No certificate yet. */
    ERR_clear_error();
    assert_int_equal(SSL_CTX_check_private_key(ctx), 0);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_NO_CERTIFICATE_ASSIGNED);
    assert_int_equal(SSL_CTX_use_certificate(
                         ctx, clasp_test_leaf_get0(CLASP_TEST_KEY_P256, CLASP_TEST_LEAF_GOOD)),
                     1);
    ERR_clear_error();
    assert_int_equal(SSL_CTX_check_private_key(ctx), 0);
    assert_int_equal(ERR_GET_REASON(ERR_get_error()), SSL_R_NO_PRIVATE_KEY_ASSIGNED);
    /* A key of the same type that does not belong to the certificate is refused. */
    ERR_clear_error();
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, clasp_test_key_get0(CLASP_TEST_KEY_P384)), 0);
    /* libcrypto's X509_check_private_key says why. */
    unsigned long e = ERR_get_error();
    assert_int_equal(ERR_GET_LIB(e), ERR_LIB_X509);
    assert_int_equal(ERR_GET_REASON(e), X509_R_KEY_VALUES_MISMATCH);
    ERR_clear_error();
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, clasp_test_key_get0(CLASP_TEST_KEY_P256)), 1);
    assert_int_equal(SSL_CTX_check_private_key(ctx), 1);
    SSL_CTX_free(ctx);
}

int main(void)
{
    info_index = SSL_get_ex_new_index(0, "info log", NULL, NULL, NULL);
    keylog_index = SSL_get_ex_new_index(0, "keylog record", NULL, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sni_seen_by_server),
        cmocka_unit_test(test_sni_absent),
        cmocka_unit_test(test_sni_switches_ctx),
        cmocka_unit_test(test_certificate_of_the_ssl_is_sent),
        cmocka_unit_test(test_sni_other_name_keeps_ctx),
        cmocka_unit_test(test_sni_fatal_unrecognized_name),
        cmocka_unit_test(test_sni_fatal_default_alert),
        cmocka_unit_test(test_sni_fatal_own_alert),
        cmocka_unit_test(test_sni_noack),
        cmocka_unit_test(test_sni_invalid_names),
        cmocka_unit_test(test_alpn_match),
        cmocka_unit_test(test_alpn_per_ssl_protos),
        cmocka_unit_test(test_alpn_no_overlap_fatal),
        cmocka_unit_test(test_alpn_no_overlap_noack),
        cmocka_unit_test(test_alpn_not_offered),
        cmocka_unit_test(test_alpn_bad_lists),
        cmocka_unit_test(test_select_next_proto),
        cmocka_unit_test(test_default_versions_negotiate_tls13),
        cmocka_unit_test(test_proto_version_setters),
        cmocka_unit_test(test_ciphersuite_mismatch),
        cmocka_unit_test(test_ciphersuite_setter_errors),
        cmocka_unit_test(test_ciphersuite_preference),
        cmocka_unit_test(test_cipher_getters),
        cmocka_unit_test(test_groups_list_errors),
        cmocka_unit_test(test_sigalgs_select_scheme),
        cmocka_unit_test(test_sigalgs_no_usable_scheme),
        cmocka_unit_test(test_sigalgs_list_errors),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_partial_write_mode),
        cmocka_unit_test(test_ex_data_ssl),
        cmocka_unit_test(test_ex_data_ctx),
        cmocka_unit_test(test_info_callback_handshake),
        cmocka_unit_test(test_info_callback_alerts),
        cmocka_unit_test(test_keylog_sha256),
        cmocka_unit_test(test_keylog_sha384),
        cmocka_unit_test(test_up_ref),
        cmocka_unit_test(test_chain_file),
        cmocka_unit_test(test_chain_file_missing),
        cmocka_unit_test(test_private_key_mismatch),
    };
    return cmocka_run_group_tests(tests, clasp_test_group_setup, clasp_test_group_teardown);
}
