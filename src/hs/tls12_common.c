/* TLS 1.2 pieces both roles use (RFC 5246, RFC 8422, RFC 7627, RFC 5746):
 * the Certificate message, the signatures of ServerKeyExchange and
 * CertificateVerify, the key derivation and switch at ChangeCipherSpec,
 * Finished, and refusing renegotiation after the handshake.
 *
 * The TLS 1.2 transcript stays raw (hs->transcript is never given a hash):
 * a TLS 1.2 CertificateVerify signs the handshake messages themselves with
 * the signature scheme's hash, which need not be the PRF's (RFC 5246
 * §7.4.8), and Finished / the session hash are cheap hashes of it. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "hs/conn.h"

/* RFC 5246 §7.2 AlertLevel. */
#define ALERT_WARNING 1

/* ---- RFC 5077 tickets: sealing the session state ----------------------------- */

/* The first byte of the sealed state: a TLS 1.3 ticket under the same key
 * has another, so neither version resumes the other's tickets. */
#define TICKET12_FORMAT 0x12
#define TICKET12_STATE_LEN (1 + 2 + 8 + 4 + 1 + CLASP_TLS12_MASTER_LEN)
#define TICKET12_OVERHEAD (CLASP_TICKET_KEY_NAME_LEN + CLASP_AEAD_NONCE_LEN + CLASP_AEAD_TAG_LEN)

static int put_state(uint8_t *buf, const clasp_tls12_ticket_state *st)
{
    clasp_writer w;

    clasp_wr_init_fixed(&w, buf, TICKET12_STATE_LEN);
    clasp_wr_u8(&w, TICKET12_FORMAT);
    clasp_wr_u16(&w, st->suite);
    clasp_wr_u32(&w, (uint32_t)(st->issued_ms >> 32));
    clasp_wr_u32(&w, (uint32_t)st->issued_ms);
    clasp_wr_u32(&w, st->lifetime);
    clasp_wr_u8(&w, st->ems ? 1 : 0);
    clasp_wr_bytes(&w, st->master, CLASP_TLS12_MASTER_LEN);
    return clasp_wr_ok(&w) && w.len == TICKET12_STATE_LEN;
}

size_t clasp_tls12_seal_ticket(const clasp_crypto *c, const clasp_ticket_key *key,
                               const clasp_tls12_ticket_state *st, uint8_t *out)
{
    uint8_t *iv = out + CLASP_TICKET_KEY_NAME_LEN;
    uint8_t *body = iv + CLASP_AEAD_NONCE_LEN;
    clasp_aead *aead;
    int ok;

    memcpy(out, key->name, CLASP_TICKET_KEY_NAME_LEN);
    if (!put_state(body, st) || !clasp_rand_bytes(c, iv, CLASP_AEAD_NONCE_LEN)) {
        OPENSSL_cleanse(body, TICKET12_STATE_LEN);
        return 0;
    }
    aead = clasp_aead_new(c, CLASP_AEAD_AES_256_GCM, key->key, 1);
    ok = aead != NULL && clasp_aead_seal(aead, iv, out, CLASP_TICKET_KEY_NAME_LEN, body,
                                         TICKET12_STATE_LEN, body + TICKET12_STATE_LEN);
    clasp_aead_free(aead);
    if (!ok) {
        OPENSSL_cleanse(out, CLASP_TLS12_TICKET_MAX);
        return 0;
    }
    return TICKET12_OVERHEAD + TICKET12_STATE_LEN;
}

static int get_state(clasp_reader r, clasp_tls12_ticket_state *st)
{
    uint8_t format;
    uint8_t ems;
    uint32_t hi;
    uint32_t lo;

    if (!clasp_rd_u8(&r, &format) || format != TICKET12_FORMAT || !clasp_rd_u16(&r, &st->suite) ||
        !clasp_rd_u32(&r, &hi) || !clasp_rd_u32(&r, &lo) || !clasp_rd_u32(&r, &st->lifetime) ||
        !clasp_rd_u8(&r, &ems) || ems > 1 ||
        !clasp_rd_copy(&r, st->master, CLASP_TLS12_MASTER_LEN) || !clasp_rd_done(&r)) {
        return 0;
    }
    st->issued_ms = ((uint64_t)hi << 32) | lo;
    st->ems = ems;
    return 1;
}

int clasp_tls12_open_ticket(const clasp_crypto *c, const clasp_ticket_key *key,
                            const uint8_t *ticket, size_t ticket_len,
                            clasp_tls12_ticket_state *st)
{
    uint8_t buf[CLASP_TLS12_TICKET_MAX];
    uint8_t *body = buf + CLASP_TICKET_KEY_NAME_LEN + CLASP_AEAD_NONCE_LEN;
    clasp_reader plain;
    clasp_aead *aead;
    int ok;

    if (ticket_len != TICKET12_OVERHEAD + TICKET12_STATE_LEN ||
        CRYPTO_memcmp(ticket, key->name, CLASP_TICKET_KEY_NAME_LEN) != 0) {
        return 0;
    }
    memcpy(buf, ticket, ticket_len);
    aead = clasp_aead_new(c, CLASP_AEAD_AES_256_GCM, key->key, 0);
    ok = aead != NULL && clasp_aead_open(aead, buf + CLASP_TICKET_KEY_NAME_LEN, buf,
                                         CLASP_TICKET_KEY_NAME_LEN, body, TICKET12_STATE_LEN,
                                         body + TICKET12_STATE_LEN);
    clasp_aead_free(aead);
    clasp_rd_init(&plain, body, TICKET12_STATE_LEN);
    ok = ok && get_state(plain, st);
    OPENSSL_cleanse(buf, sizeof(buf));
    return ok;
}

/* ---- the transcript -------------------------------------------------------- */

int clasp_tls12_transcript_hash(clasp_conn *conn, uint8_t *out)
{
    if (!clasp_transcript_raw_hash(&conn->hs->transcript, conn->cfg.crypto, conn->hash, out)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return 1;
}

/* ---- Certificate (RFC 5246 §7.4.2, §7.4.6) ---------------------------------- */

int clasp_put_asn1_cert(clasp_writer *w, X509 *x, const uint8_t *der, size_t der_len)
{
    int len;
    uint8_t *p;

    if (der != NULL) {
        return der_len > 0 && der_len < (1u << 24) && clasp_wr_u24(w, (uint32_t)der_len) &&
               clasp_wr_bytes(w, der, der_len);
    }
    len = i2d_X509(x, NULL);
    if (len <= 0) {
        return 0;
    }
    clasp_wr_u24(w, (uint32_t)len);
    return clasp_wr_space(w, &p, (size_t)len) && i2d_X509(x, &p) == len;
}

int clasp_tls12_send_certificate(clasp_conn *conn, const clasp_identity *id)
{
    clasp_wr_mark mark;
    clasp_wr_mark list;
    clasp_writer *w = clasp_hs_begin(conn, CLASP_HT_CERTIFICATE, &mark);
    int ok = 1;

    clasp_wr_open_u24(w, &list);
    if (id != NULL) {
        ok = clasp_put_asn1_cert(w, id->leaf, id->leaf_der, id->leaf_der_len);
        for (int i = 0; ok && i < sk_X509_num(id->chain); i++) {
            ok = clasp_put_asn1_cert(w, sk_X509_value(id->chain, i), NULL, 0);
        }
    }
    if (!ok || !clasp_wr_close(w, &list)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return clasp_hs_send(conn, &mark);
}

/* opaque ASN.1Cert<1..2^24-1>; struct { ASN.1Cert certificate_list<0..2^24-1>; } */
int clasp_tls12_read_certificate(clasp_conn *conn, clasp_reader *body)
{
    clasp_reader list;
    clasp_reader der;

    if (!clasp_rd_u24_prefixed(body, &list) || !clasp_rd_done(body)) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    sk_X509_pop_free(conn->peer_chain, X509_free);
    conn->peer_chain = sk_X509_new_null();
    if (conn->peer_chain == NULL) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_MALLOC_FAILURE);
    }
    while (!clasp_rd_done(&list)) {
        X509 *x;

        if (!clasp_rd_u24_prefixed(&list, &der) || clasp_rd_left(&der) == 0) {
            return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_CERT_LENGTH_MISMATCH);
        }
        x = clasp_x509_from_der(conn->cfg.crypto, der.ptr, der.len);
        if (x == NULL || !sk_X509_push(conn->peer_chain, x)) {
            X509_free(x);
            return FAIL(conn, SSL_AD_BAD_CERTIFICATE, SSL_R_X509_LIB);
        }
    }
    return 1;
}

/* ---- signature schemes -------------------------------------------------------- */

uint16_t clasp_tls12_pick_sigalg(const clasp_conn *conn, const clasp_identity *id,
                                 const uint16_t *peer, size_t num_peer)
{
    /* Pass 0: schemes that would also fit in TLS 1.3 (an ECDSA scheme of
     * the key's own curve); pass 1: TLS 1.2's looser pairing, where the
     * ECDSA scheme names only the hash (RFC 8422 §5.10). */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < conn->cfg.num_sigalgs; i++) {
            uint16_t s = conn->cfg.sigalgs[i];

            if (clasp_list_has(peer, num_peer, s) &&
                clasp_sig_scheme_fits_described(s, id->kind, id->group, id->key, pass)) {
                return s;
            }
        }
    }
    return 0;
}

int clasp_tls12_kind_fits_auth(clasp_key_kind kind, int auth)
{
    switch (auth) {
    case CLASP_AUTH_ECDSA:
        /* RFC 8422 §2: ECDHE_ECDSA also covers EdDSA keys. */
        return kind == CLASP_KEY_EC || kind == CLASP_KEY_ED25519;
    case CLASP_AUTH_RSA:
        return kind == CLASP_KEY_RSA || kind == CLASP_KEY_RSA_PSS;
    default:
        return 0;
    }
}

/* RFC 8422 §5.4: the signature covers client_random + server_random +
 * ServerECDHParams. */
#define PARAMS_MAX (4 + CLASP_MAX_KEX_PUB_LEN)
#define SIGNED_PARAMS_MAX (64 + PARAMS_MAX)

static size_t signed_params(const clasp_conn *conn, const uint8_t *params, size_t params_len,
                            uint8_t *out)
{
    if (params_len > PARAMS_MAX) {
        return 0;
    }
    memcpy(out, conn->client_random, 32);
    memcpy(out + 32, conn->server_random, 32);
    memcpy(out + 64, params, params_len);
    return 64 + params_len;
}

int clasp_tls12_sign_params(clasp_conn *conn, EVP_PKEY *key, uint16_t scheme, const uint8_t *params,
                            size_t params_len, uint8_t *sig, size_t *sig_len)
{
    uint8_t content[SIGNED_PARAMS_MAX];
    size_t len = signed_params(conn, params, params_len, content);

    if (len == 0 ||
        !clasp_sig_sign_tls12(conn->cfg.crypto, key, scheme, content, len, sig, sig_len)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return 1;
}

static EVP_PKEY *peer_key(const clasp_conn *conn)
{
    X509 *leaf = sk_X509_value(conn->peer_chain, 0);

    return leaf != NULL ? X509_get0_pubkey(leaf) : NULL;
}

/* Principle 8: the signature counts only for a chain already accepted. */
int clasp_tls12_check_params(clasp_conn *conn, uint16_t scheme, const uint8_t *params,
                             size_t params_len, const uint8_t *sig, size_t sig_len)
{
    uint8_t content[SIGNED_PARAMS_MAX];
    size_t len = signed_params(conn, params, params_len, content);
    EVP_PKEY *key = peer_key(conn);

    if (len == 0 || key == NULL || !conn->hs->verified.cert) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (!clasp_sig_verify_tls12(conn->cfg.crypto, key, scheme, content, len, sig, sig_len)) {
        return FAIL(conn, SSL_AD_DECRYPT_ERROR, SSL_R_BAD_SIGNATURE);
    }
    conn->hs->verified.cert_verify = 1;
    return 1;
}

int clasp_tls12_sign_transcript(clasp_conn *conn, EVP_PKEY *key, uint16_t scheme, uint8_t *sig,
                                size_t *sig_len)
{
    const clasp_transcript *t = &conn->hs->transcript;

    if (t->hash != NULL || !clasp_sig_sign_tls12(conn->cfg.crypto, key, scheme, t->pending.buf,
                                                 t->pending.len, sig, sig_len)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return 1;
}

int clasp_tls12_check_transcript(clasp_conn *conn, uint16_t scheme, const uint8_t *sig,
                                 size_t sig_len)
{
    const clasp_transcript *t = &conn->hs->transcript;
    EVP_PKEY *key = peer_key(conn);

    if (t->hash != NULL || key == NULL || !conn->hs->verified.cert) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    if (!clasp_sig_verify_tls12(conn->cfg.crypto, key, scheme, t->pending.buf, t->pending.len, sig,
                                sig_len)) {
        return FAIL(conn, SSL_AD_DECRYPT_ERROR, SSL_R_BAD_SIGNATURE);
    }
    conn->hs->verified.cert_verify = 1;
    return 1;
}

/* ---- keys ---------------------------------------------------------------------- */

/* Once the master secret is known: its PRF key, kept for both Finished
 * messages, and the key block (RFC 5246 §6.3). */
static int master_keys(clasp_conn *conn)
{
    clasp_tls12_hs *t = &conn->hs->t12;

    clasp_hmac_key_free(t->master_mac);
    t->master_mac = clasp_tls12_master_mac(conn->cfg.crypto, conn->hash, conn->master_secret);
    return t->master_mac != NULL &&
           clasp_tls12_key_block_keyed(t->master_mac, conn->aead, conn->client_random,
                                       conn->server_random, &t->keys);
}

static void keylog_master(clasp_conn *conn)
{
    if (conn->cfg.observer.keylog != NULL) {
        conn->cfg.observer.keylog(conn->cfg.observer.arg, "CLIENT_RANDOM", conn->client_random,
                                  conn->master_secret, CLASP_TLS12_MASTER_LEN);
    }
}

int clasp_tls12_derive_keys(clasp_conn *conn)
{
    clasp_tls12_hs *t = &conn->hs->t12;
    const clasp_crypto *c = conn->cfg.crypto;
    uint8_t session_hash[CLASP_MAX_HASH_LEN];
    int ok;

    /* RFC 7627 §3: session_hash = Hash(handshake_messages) through
     * ClientKeyExchange, which the caller has just added. */
    if (t->ems && !clasp_tls12_transcript_hash(conn, session_hash)) {
        return 0;
    }
    ok = clasp_tls12_master_secret(c, conn->hash, t->pms, t->pms_len, t->ems, session_hash,
                                   conn->client_random, conn->server_random, conn->master_secret) &&
         master_keys(conn);
    OPENSSL_cleanse(t->pms, sizeof(t->pms));
    t->pms_len = 0;
    if (!ok) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    conn->ems = t->ems;
    keylog_master(conn);
    return 1;
}

int clasp_conn_has_ticket(const clasp_conn *conn)
{
    return conn->have_ticket;
}

int clasp_tls12_resume_keys(clasp_conn *conn)
{
    clasp_tls12_hs *t = &conn->hs->t12;

    memcpy(conn->master_secret, t->resume_master, CLASP_TLS12_MASTER_LEN);
    OPENSSL_cleanse(t->resume_master, sizeof(t->resume_master));
    conn->ems = t->resume_ems;
    if (!master_keys(conn)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    keylog_master(conn);
    return 1;
}

int clasp_tls12_install_key(clasp_conn *conn, int write)
{
    const clasp_tls12_keys *k = &conn->hs->t12.keys;
    /* The client writes with client_write_*, the server reads with them. */
    int client_keys = conn->is_server ? !write : write;
    clasp_rec_dir *d = write ? &conn->rec.wr : &conn->rec.rd;

    /* A handshake message may not straddle the key change (the CCS comes
     * between two whole messages, RFC 5246 §7.1). */
    if (!write && clasp_hs_buffered(conn)) {
        return FAIL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_NOT_ON_RECORD_BOUNDARY);
    }
    if (k->key_len == 0 ||
        !clasp_rec_set_key12(d, conn->cfg.crypto, conn->aead,
                             client_keys ? k->client_key : k->server_key,
                             client_keys ? k->client_iv : k->server_iv, k->iv_len, write)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return 1;
}

int clasp_tls12_send_ccs(clasp_conn *conn)
{
    static const uint8_t ccs[1] = {1};

    if (conn->cfg.observer.msg != NULL) {
        conn->cfg.observer.msg(conn->cfg.observer.arg, 1, CLASP_TLS12, CLASP_RT_CHANGE_CIPHER_SPEC,
                               ccs, 1);
    }
    if (!clasp_rec_write(&conn->rec, CLASP_RT_CHANGE_CIPHER_SPEC, ccs, 1)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return clasp_tls12_install_key(conn, 1);
}

/* ---- Finished (RFC 5246 §7.4.9) --------------------------------------------------- */

static int compute_verify_data(clasp_conn *conn, int server, uint8_t *out)
{
    uint8_t th[CLASP_MAX_HASH_LEN];

    if (!clasp_tls12_transcript_hash(conn, th)) {
        return 0;
    }
    if (conn->hs->t12.master_mac == NULL ||
        !clasp_tls12_verify_data_keyed(conn->hs->t12.master_mac, server, th,
                                       clasp_hash_len(conn->hash), out)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return 1;
}

int clasp_tls12_send_finished(clasp_conn *conn)
{
    clasp_wr_mark mark;
    clasp_writer *w;

    if (!compute_verify_data(conn, conn->is_server, conn->finished_sent)) {
        return 0;
    }
    conn->finished_len = CLASP_TLS12_VERIFY_DATA_LEN;
    w = clasp_hs_begin(conn, CLASP_HT_FINISHED, &mark);
    clasp_wr_bytes(w, conn->finished_sent, CLASP_TLS12_VERIFY_DATA_LEN);
    return clasp_hs_send(conn, &mark);
}

int clasp_tls12_check_finished(clasp_conn *conn, const clasp_reader *body)
{
    uint8_t expected[CLASP_TLS12_VERIFY_DATA_LEN];
    int ok;

    if (clasp_rd_left(body) != CLASP_TLS12_VERIFY_DATA_LEN) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_LENGTH_MISMATCH);
    }
    if (!compute_verify_data(conn, !conn->is_server, expected)) {
        return 0;
    }
    ok = CRYPTO_memcmp(expected, body->ptr, CLASP_TLS12_VERIFY_DATA_LEN) == 0;
    OPENSSL_cleanse(expected, sizeof(expected));
    if (!ok) {
        return FAIL(conn, SSL_AD_DECRYPT_ERROR, SSL_R_DIGEST_CHECK_FAILED);
    }
    memcpy(conn->finished_recv, body->ptr, CLASP_TLS12_VERIFY_DATA_LEN);
    conn->finished_len = CLASP_TLS12_VERIFY_DATA_LEN;
    conn->hs->verified.finished = 1;
    return 1;
}

/* ---- ChangeCipherSpec ------------------------------------------------------------- */

/* RFC 5246 §7.1: struct { enum { change_cipher_spec(1), (255) } type; } */
int clasp_tls12_on_ccs(clasp_conn *conn, const uint8_t *data, size_t len)
{
    if (conn->hs == NULL) {
        return FAIL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_CCS_RECEIVED_EARLY);
    }
    if (len != 1 || data[0] != 1) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_CHANGE_CIPHER_SPEC);
    }
    if (conn->cfg.observer.msg != NULL) {
        conn->cfg.observer.msg(conn->cfg.observer.arg, 0, CLASP_TLS12, CLASP_RT_CHANGE_CIPHER_SPEC,
                               data, 1);
    }
    return conn->is_server ? clasp_tls12_server_ccs(conn) : clasp_tls12_client_ccs(conn);
}

/* ---- extensions both hellos carry --------------------------------------------------- */

int clasp_tls12_reneg_info_empty(clasp_reader body)
{
    clasp_reader inner;

    return clasp_rd_u8_prefixed(&body, &inner) && clasp_rd_done(&body) &&
           clasp_rd_left(&inner) == 0;
}

/* RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>. */
int clasp_tls12_point_formats_ok(clasp_reader body)
{
    clasp_reader list;
    int uncompressed = 0;
    uint8_t f;

    if (!clasp_rd_u8_prefixed(&body, &list) || !clasp_rd_done(&body) || clasp_rd_left(&list) == 0) {
        return 0;
    }
    while (clasp_rd_u8(&list, &f)) {
        uncompressed |= f == 0;
    }
    return uncompressed;
}

/* ---- after the handshake: renegotiation refused ------------------------------------- */

static int send_warning(clasp_conn *conn, uint8_t desc)
{
    uint8_t body[2] = {ALERT_WARNING, desc};

    if (conn->close_sent) {
        return 1;
    }
    if (!clasp_rec_write(&conn->rec, CLASP_RT_ALERT, body, sizeof(body))) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    conn->alert_sent = (ALERT_WARNING << 8) | desc;
    if (conn->cfg.observer.msg != NULL) {
        conn->cfg.observer.msg(conn->cfg.observer.arg, 1, CLASP_TLS12, CLASP_RT_ALERT, body, 2);
    }
    clasp_info(conn, SSL_CB_WRITE_ALERT, conn->alert_sent);
    return 1;
}

/* RFC 5746 §4.2 / §4.4 allow refusing renegotiation; as OpenSSL with
 * SSL_OP_NO_RENEGOTIATION, the request is answered with a no_renegotiation
 * warning and the connection goes on.  A client gets HelloRequest (RFC 5246
 * §7.4.1.1: empty), a server a new ClientHello. */
clasp_hs_status clasp_tls12_post_handshake(clasp_conn *conn)
{
    uint8_t type;
    clasp_reader body;
    int got = clasp_hs_peek(conn, &type, &body);

    if (got <= 0) {
        return got == 0 ? CLASP_HS_READ : CLASP_HS_FAIL;
    }
    if (!conn->is_server && type == CLASP_HT_HELLO_REQUEST) {
        if (clasp_rd_left(&body) != 0) {
            return FATAL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_LENGTH);
        }
    } else if (!(conn->is_server && type == CLASP_HT_CLIENT_HELLO)) {
        return FATAL(conn, SSL_AD_UNEXPECTED_MESSAGE, SSL_R_UNEXPECTED_MESSAGE);
    }
    /* conn->hs is gone: nothing joins a transcript. */
    if (!clasp_hs_consume(conn) || !send_warning(conn, SSL_AD_NO_RENEGOTIATION)) {
        return CLASP_HS_FAIL;
    }
    return CLASP_HS_CONTINUE;
}
