/* TLS 1.3 session tickets and PSK resumption with (EC)DHE (RFC 9846
 * §4.7.1 NewSessionTicket, §4.3.9 psk_key_exchange_modes, §4.3.11
 * pre_shared_key, §7.1 the resumption secrets).  0-RTT is not offered and
 * not accepted: our tickets carry no early_data extension, the client sends
 * none.
 *
 * Tickets are stateless: the ticket is the session state (suite, PSK,
 * ticket_age_add, issue time, lifetime) sealed with AES-256-GCM under the
 * SSL_CTX's ticket key:  key_name(16) || iv(12) || ciphertext || tag(16),
 * the key name being the additional data. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "hs/conn.h"

/* RFC 9846 §4.3.9: PskKeyExchangeMode psk_dhe_ke. */
#define PSK_DHE_KE 1
/* RFC 9846 §4.7.1: ticket_lifetime is at most seven days. */
#define MAX_TICKET_LIFETIME 604800u
#define STATE_FORMAT 1
#define STATE_MAX (1 + 2 + 8 + 4 + 4 + 1 + CLASP_MAX_HASH_LEN)
#define SEAL_OVERHEAD (CLASP_TICKET_KEY_NAME_LEN + CLASP_AEAD_NONCE_LEN + CLASP_AEAD_TAG_LEN)
#define TICKET_MAX (STATE_MAX + SEAL_OVERHEAD)
#define NONCE_LEN 8

void clasp_ticket_cleanup(clasp_ticket *t)
{
    if (t == NULL) {
        return;
    }
    OPENSSL_free(t->ticket);
    OPENSSL_cleanse(t, sizeof(*t));
}

int clasp_ticket_copy(clasp_ticket *dst, const clasp_ticket *src)
{
    *dst = *src;
    dst->ticket = src->ticket_len > 0 ? OPENSSL_memdup(src->ticket, src->ticket_len) : NULL;
    if (src->ticket_len > 0 && dst->ticket == NULL) {
        OPENSSL_cleanse(dst, sizeof(*dst));
        return 0;
    }
    return 1;
}

/* The ticket's PSK: HKDF-Expand-Label(resumption_master_secret,
 * "resumption", ticket_nonce, Hash.length) (RFC 9846 §4.7.1). */
static int ticket_psk(const clasp_conn *conn, const uint8_t *nonce, size_t nonce_len,
                      uint8_t *psk)
{
    return clasp_hkdf_expand_label(conn->cfg.crypto, conn->hash, conn->resumption_secret,
                                   "resumption", nonce, nonce_len, psk,
                                   clasp_hash_len(conn->hash));
}

int clasp_psk_derive_resumption(clasp_conn *conn)
{
    uint8_t th[CLASP_MAX_HASH_LEN];

    if (!clasp_transcript_hash(&conn->hs->transcript, th) ||
        !clasp_ks_resumption(&conn->hs->ks, conn->cfg.crypto, th, conn->resumption_secret)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    return 1;
}

/* ---- sealing and opening tickets (server) ------------------------------------ */

typedef struct {
    uint16_t suite;
    uint64_t issued_ms;
    uint32_t lifetime;
    uint32_t age_add;
    uint8_t psk[CLASP_MAX_HASH_LEN];
    size_t psk_len;
} ticket_state;

/* Seals st into out (TICKET_MAX bytes); returns the ticket's length or 0. */
static size_t seal_ticket(const clasp_conn *conn, const ticket_state *st, uint8_t *out)
{
    const clasp_ticket_key *tk = conn->cfg.ticket_key;
    uint8_t *iv = out + CLASP_TICKET_KEY_NAME_LEN;
    uint8_t *body = iv + CLASP_AEAD_NONCE_LEN;
    clasp_writer w;
    clasp_wr_mark psk;
    clasp_aead *aead;
    int ok;

    clasp_wr_init_fixed(&w, body, STATE_MAX);
    clasp_wr_u8(&w, STATE_FORMAT);
    clasp_wr_u16(&w, st->suite);
    clasp_wr_u32(&w, (uint32_t)(st->issued_ms >> 32));
    clasp_wr_u32(&w, (uint32_t)st->issued_ms);
    clasp_wr_u32(&w, st->lifetime);
    clasp_wr_u32(&w, st->age_add);
    clasp_wr_open_u8(&w, &psk);
    clasp_wr_bytes(&w, st->psk, st->psk_len);
    clasp_wr_close(&w, &psk);
    memcpy(out, tk->name, CLASP_TICKET_KEY_NAME_LEN);
    if (!clasp_wr_ok(&w) || !clasp_rand_bytes(conn->cfg.crypto, iv, CLASP_AEAD_NONCE_LEN)) {
        return 0;
    }
    aead = clasp_aead_new(conn->cfg.crypto, CLASP_AEAD_AES_256_GCM, tk->key, 1);
    ok = aead != NULL && clasp_aead_seal(aead, iv, out, CLASP_TICKET_KEY_NAME_LEN, body, w.len,
                                         body + w.len);
    clasp_aead_free(aead);
    return ok ? SEAL_OVERHEAD + w.len : 0;
}

static int parse_state(clasp_reader r, ticket_state *st)
{
    uint8_t format;
    uint32_t hi;
    uint32_t lo;
    clasp_reader psk;

    if (!clasp_rd_u8(&r, &format) || format != STATE_FORMAT || !clasp_rd_u16(&r, &st->suite) ||
        !clasp_rd_u32(&r, &hi) || !clasp_rd_u32(&r, &lo) || !clasp_rd_u32(&r, &st->lifetime) ||
        !clasp_rd_u32(&r, &st->age_add) || !clasp_rd_u8_prefixed(&r, &psk) ||
        !clasp_rd_done(&r) || clasp_rd_left(&psk) > sizeof(st->psk)) {
        return 0;
    }
    st->issued_ms = ((uint64_t)hi << 32) | lo;
    st->psk_len = clasp_rd_left(&psk);
    return clasp_rd_copy(&psk, st->psk, st->psk_len);
}

/* Opens a ticket sealed under our key.  Returns 1, or 0 for anything that
 * is not one of our tickets (another key, tampered, malformed). */
static int open_ticket(const clasp_conn *conn, clasp_reader ticket, ticket_state *st)
{
    const clasp_ticket_key *tk = conn->cfg.ticket_key;
    uint8_t buf[TICKET_MAX];
    size_t len = clasp_rd_left(&ticket);
    size_t body_len;
    clasp_reader plain;
    clasp_aead *aead;
    int ok;

    if (len <= SEAL_OVERHEAD || len > sizeof(buf) || !clasp_rd_copy(&ticket, buf, len) ||
        CRYPTO_memcmp(buf, tk->name, CLASP_TICKET_KEY_NAME_LEN) != 0) {
        return 0;
    }
    body_len = len - SEAL_OVERHEAD;
    aead = clasp_aead_new(conn->cfg.crypto, CLASP_AEAD_AES_256_GCM, tk->key, 0);
    ok = aead != NULL &&
         clasp_aead_open(aead, buf + CLASP_TICKET_KEY_NAME_LEN, buf, CLASP_TICKET_KEY_NAME_LEN,
                         buf + CLASP_TICKET_KEY_NAME_LEN + CLASP_AEAD_NONCE_LEN, body_len,
                         buf + len - CLASP_AEAD_TAG_LEN);
    clasp_aead_free(aead);
    clasp_rd_init(&plain, buf + CLASP_TICKET_KEY_NAME_LEN + CLASP_AEAD_NONCE_LEN, body_len);
    ok = ok && parse_state(plain, st);
    OPENSSL_cleanse(buf, sizeof(buf));
    return ok;
}

/* ---- NewSessionTicket (server) --------------------------------------------------- */

static int send_ticket(clasp_conn *conn)
{
    ticket_state st;
    uint8_t nonce[NONCE_LEN];
    uint8_t ticket[TICKET_MAX];
    size_t ticket_len;
    clasp_wr_mark mark;
    clasp_wr_mark vec;
    clasp_writer *w;
    int ok;

    memset(&st, 0, sizeof(st));
    /* The nonce is unique per ticket on this connection (§4.7.1). */
    clasp_put_u64(nonce, conn->tickets_sent);
    st.suite = conn->suite;
    st.issued_ms = conn->cfg.now_ms;
    st.lifetime = conn->cfg.ticket_lifetime < MAX_TICKET_LIFETIME ? conn->cfg.ticket_lifetime
                                                                  : MAX_TICKET_LIFETIME;
    st.psk_len = clasp_hash_len(conn->hash);
    ok = clasp_rand_bytes(conn->cfg.crypto, (uint8_t *)&st.age_add, sizeof(st.age_add)) &&
         ticket_psk(conn, nonce, sizeof(nonce), st.psk);
    ticket_len = ok ? seal_ticket(conn, &st, ticket) : 0;
    OPENSSL_cleanse(&st.psk, sizeof(st.psk));
    if (ticket_len == 0) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    w = clasp_hs_begin(conn, CLASP_HT_NEW_SESSION_TICKET, &mark);
    clasp_wr_u32(w, st.lifetime);
    clasp_wr_u32(w, st.age_add);
    clasp_wr_open_u8(w, &vec);
    clasp_wr_bytes(w, nonce, sizeof(nonce));
    clasp_wr_close(w, &vec);
    clasp_wr_open_u16(w, &vec);
    clasp_wr_bytes(w, ticket, ticket_len);
    clasp_wr_close(w, &vec);
    clasp_wr_u16(w, 0); /* no extensions: no early_data, so no 0-RTT */
    conn->tickets_sent++;
    return clasp_hs_send(conn, &mark);
}

int clasp_psk_send_tickets(clasp_conn *conn)
{
    size_t n = conn->cfg.num_tickets;

    if (conn->cfg.ticket_key == NULL || conn->cfg.ticket_lifetime == 0) {
        return 1;
    }
    /* As OpenSSL: at most one ticket after a resumption. */
    if (conn->resumed && n > 1) {
        n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!send_ticket(conn)) {
            return 0;
        }
    }
    return 1;
}

/* ---- the ClientHello's offer (server) ---------------------------------------------- */

/* RFC 9846 §4.3.9: the only mode we use is psk_dhe_ke. */
static int offers_psk_dhe(const clasp_exts *exts)
{
    clasp_reader body = exts->body[CLASP_X_PSK_KEY_EXCHANGE_MODES];
    clasp_reader modes;
    uint8_t m;

    if (!clasp_rd_u8_prefixed(&body, &modes) || !clasp_rd_done(&body)) {
        return -1;
    }
    while (clasp_rd_u8(&modes, &m)) {
        if (m == PSK_DHE_KE) {
            return 1;
        }
    }
    return 0;
}

/* A ticket we sealed, for a suite with the negotiated hash, still within
 * its lifetime (an expired or foreign ticket is ignored: §4.3.11 "SHOULD
 * simply be ignored", a full handshake follows). */
static int usable_ticket(const clasp_conn *conn, clasp_reader identity, ticket_state *st)
{
    const clasp_suite_info *info;
    uint64_t now = conn->cfg.now_ms;

    if (!open_ticket(conn, identity, st)) {
        return 0;
    }
    info = clasp_suite13(st->suite);
    if (info == NULL || info->hash != conn->hash || st->psk_len != clasp_hash_len(conn->hash)) {
        return 0;
    }
    return now >= st->issued_ms && now - st->issued_ms <= (uint64_t)st->lifetime * 1000;
}

typedef struct {
    clasp_reader identities;
    clasp_reader binders;
    size_t num;
    int chosen; /* index of the identity taken, -1: none */
    ticket_state st;
} psk_offer;

/* OfferedPsks (§4.3.11): walks the identities, takes the first usable one,
 * and checks that there is one binder per identity. */
static int read_offer(clasp_conn *conn, clasp_reader body, psk_offer *o)
{
    clasp_reader ids;
    clasp_reader binders;
    clasp_reader id;
    clasp_reader b;
    uint32_t age;
    size_t num_binders = 0;

    o->chosen = -1;
    if (!clasp_rd_u16_prefixed(&body, &o->identities) ||
        !clasp_rd_u16_prefixed(&body, &o->binders) || !clasp_rd_done(&body) ||
        clasp_rd_left(&o->identities) < 7 || clasp_rd_left(&o->binders) < 33) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    ids = o->identities;
    while (!clasp_rd_done(&ids)) {
        if (!clasp_rd_u16_prefixed(&ids, &id) || clasp_rd_left(&id) == 0 ||
            !clasp_rd_u32(&ids, &age)) {
            return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
        }
        /* The age is not checked beyond the lifetime: without 0-RTT there
         * is no replay window to enforce (§8). */
        if (o->chosen < 0 && usable_ticket(conn, id, &o->st)) {
            o->chosen = (int)o->num;
        }
        o->num++;
    }
    binders = o->binders;
    while (!clasp_rd_done(&binders)) {
        if (!clasp_rd_u8_prefixed(&binders, &b) || clasp_rd_left(&b) < 32) {
            return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
        }
        num_binders++;
    }
    if (num_binders != o->num) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_EXTENSION);
    }
    return 1;
}

/* The binder of identity index in the list. */
static clasp_reader nth_binder(clasp_reader binders, int index)
{
    clasp_reader b;

    clasp_rd_init(&b, NULL, 0);
    for (int i = 0; i <= index; i++) {
        if (!clasp_rd_u8_prefixed(&binders, &b)) {
            break;
        }
    }
    return b;
}

/* Transcript-Hash(<messages so far>, Truncate(ClientHello)) with hash h:
 * the message header with the full length, then the body up to the binders
 * list, which (pre_shared_key being the last extension, the binders its
 * last field) ends the body (§4.3.11.2). */
static int truncated_hash(const clasp_conn *conn, clasp_hash_id h, const uint8_t *body,
                          size_t body_len, size_t binders_len, uint8_t *out)
{
    uint8_t hdr[CLASP_HS_HEADER_LEN];
    clasp_bytes parts[2];

    if (binders_len + 2 > body_len) {
        return 0;
    }
    hdr[0] = CLASP_HT_CLIENT_HELLO;
    clasp_put_u24(hdr + 1, (uint32_t)body_len);
    parts[0].ptr = hdr;
    parts[0].len = sizeof(hdr);
    parts[1].ptr = body;
    parts[1].len = body_len - binders_len - 2;
    return clasp_transcript_hash_extra(&conn->hs->transcript, conn->cfg.crypto, h, parts, 2,
                                       out);
}

/* binder = HMAC over the truncated transcript with the finished key of
 * binder_key = Derive-Secret(Early Secret, "res binder", "") (§4.3.11.2, §7.1). */
static int compute_binder(const clasp_conn *conn, clasp_hash_id h, const uint8_t *psk,
                          size_t psk_len, const uint8_t *th, uint8_t *out)
{
    clasp_keysched ks;
    uint8_t binder_key[CLASP_MAX_HASH_LEN];
    int ok;

    memset(&ks, 0, sizeof(ks));
    ok = clasp_ks_init(&ks, conn->cfg.crypto, h, psk, psk_len) &&
         clasp_ks_binder_key(&ks, conn->cfg.crypto, 0, binder_key) &&
         clasp_ks_finished(conn->cfg.crypto, h, binder_key, th, out);
    clasp_ks_cleanup(&ks);
    OPENSSL_cleanse(binder_key, sizeof(binder_key));
    return ok;
}

static int check_binder(clasp_conn *conn, const clasp_reader *body, const psk_offer *o)
{
    size_t hash_len = clasp_hash_len(conn->hash);
    clasp_reader binder = nth_binder(o->binders, o->chosen);
    uint8_t th[CLASP_MAX_HASH_LEN];
    uint8_t expected[CLASP_MAX_HASH_LEN];
    int ok;

    if (!truncated_hash(conn, conn->hash, body->ptr, body->len, clasp_rd_left(&o->binders),
                        th) ||
        !compute_binder(conn, conn->hash, o->st.psk, o->st.psk_len, th, expected)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    /* §4.3.11: a binder that does not validate aborts the handshake. */
    ok = clasp_rd_left(&binder) == hash_len && CRYPTO_memcmp(binder.ptr, expected, hash_len) == 0;
    OPENSSL_cleanse(expected, sizeof(expected));
    if (!ok) {
        return FAIL(conn, SSL_AD_DECRYPT_ERROR, SSL_R_BINDER_DOES_NOT_VERIFY);
    }
    return 1;
}

int clasp_psk_server_select(clasp_conn *conn, const clasp_reader *body, const clasp_exts *exts)
{
    clasp_hs *hs = conn->hs;
    psk_offer o;
    int modes;

    /* Each ClientHello decides afresh (the second one has a new binder). */
    hs->psk_selected = 0;
    hs->verified.psk = 0;
    OPENSSL_cleanse(hs->psk, sizeof(hs->psk));
    if (!exts->present[CLASP_X_PRE_SHARED_KEY] || conn->cfg.ticket_key == NULL) {
        return 1;
    }
    modes = offers_psk_dhe(exts);
    if (modes < 0) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    memset(&o, 0, sizeof(o));
    if (modes == 0 || !read_offer(conn, exts->body[CLASP_X_PRE_SHARED_KEY], &o) ||
        o.chosen < 0) {
        OPENSSL_cleanse(&o.st, sizeof(o.st));
        return !conn->failed;
    }
    if (!check_binder(conn, body, &o)) {
        OPENSSL_cleanse(&o.st, sizeof(o.st));
        return 0;
    }
    hs->psk_selected = 1;
    hs->psk_identity = (uint16_t)o.chosen;
    hs->psk_len = o.st.psk_len;
    memcpy(hs->psk, o.st.psk, o.st.psk_len);
    hs->verified.psk = 1;
    OPENSSL_cleanse(&o.st, sizeof(o.st));
    return 1;
}

/* ---- the offer (client) -------------------------------------------------------------- */

int clasp_psk_client_can_offer(const clasp_conn *conn)
{
    const clasp_ticket *t = conn->cfg.resume;
    const clasp_suite_info *info;
    uint64_t age;

    if (t == NULL || t->ticket_len == 0 || conn->cfg.min_version > CLASP_TLS13 ||
        conn->cfg.max_version < CLASP_TLS13) {
        return 0;
    }
    info = clasp_suite13(t->suite);
    if (info == NULL || t->psk_len != clasp_hash_len(info->hash)) {
        return 0;
    }
    /* §4.3.11.1: no ticket older than its lifetime. */
    age = conn->cfg.now_ms > t->received_ms ? conn->cfg.now_ms - t->received_ms : 0;
    if (age > (uint64_t)t->lifetime * 1000) {
        return 0;
    }
    /* §4.1.4: after a HelloRetryRequest, only a PSK of the suite's hash. */
    if (conn->suite != 0 && clasp_suite13(conn->suite)->hash != info->hash) {
        return 0;
    }
    return 1;
}

int clasp_psk_client_put_extensions(clasp_conn *conn, clasp_writer *w)
{
    const clasp_ticket *t = conn->cfg.resume;
    uint64_t age = conn->cfg.now_ms > t->received_ms ? conn->cfg.now_ms - t->received_ms : 0;
    clasp_wr_mark ext;
    clasp_wr_mark list;
    clasp_wr_mark vec;

    clasp_wr_u16(w, CLASP_EXT_PSK_KEY_EXCHANGE_MODES);
    clasp_wr_u16(w, 2);
    clasp_wr_u8(w, 1);
    clasp_wr_u8(w, PSK_DHE_KE);
    /* RFC 9846 §4.3.11: pre_shared_key is the last extension. */
    clasp_wr_u16(w, CLASP_EXT_PRE_SHARED_KEY);
    clasp_wr_open_u16(w, &ext);
    clasp_wr_open_u16(w, &list);
    clasp_wr_open_u16(w, &vec);
    clasp_wr_bytes(w, t->ticket, t->ticket_len);
    clasp_wr_close(w, &vec);
    /* §4.3.11.1: the age in ms plus ticket_age_add, modulo 2^32. */
    clasp_wr_u32(w, (uint32_t)age + t->age_add);
    clasp_wr_close(w, &list);
    clasp_wr_open_u16(w, &list);
    clasp_wr_u8(w, (uint8_t)t->psk_len);
    clasp_wr_zeros(w, t->psk_len); /* the binder, filled in by clasp_psk_client_bind() */
    clasp_wr_close(w, &list);
    conn->hs->psk_offered = 1;
    return clasp_wr_close(w, &ext);
}

int clasp_psk_client_bind(clasp_conn *conn, clasp_writer *w)
{
    const clasp_ticket *t = conn->cfg.resume;
    clasp_hash_id h = clasp_suite13(t->suite)->hash;
    size_t binders_len = 1 + t->psk_len;
    uint8_t th[CLASP_MAX_HASH_LEN];
    uint8_t binder[CLASP_MAX_HASH_LEN];
    size_t body_len;

    if (!clasp_wr_ok(w) || w->len < CLASP_HS_HEADER_LEN + binders_len + 2) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    body_len = w->len - CLASP_HS_HEADER_LEN;
    if (!truncated_hash(conn, h, w->buf + CLASP_HS_HEADER_LEN, body_len, binders_len, th) ||
        !compute_binder(conn, h, t->psk, t->psk_len, th, binder)) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    /* Our own message: the binder goes over the zeros at its end. */
    memcpy(w->buf + w->len - t->psk_len, binder, t->psk_len);
    OPENSSL_cleanse(binder, sizeof(binder));
    return 1;
}

int clasp_psk_client_read_selected(clasp_conn *conn, const clasp_exts *exts)
{
    clasp_hs *hs = conn->hs;
    clasp_reader r = exts->body[CLASP_X_PRE_SHARED_KEY];
    const clasp_ticket *t = conn->cfg.resume;
    uint16_t selected;

    hs->psk_selected = 0;
    if (!exts->present[CLASP_X_PRE_SHARED_KEY]) {
        return 1;
    }
    if (!clasp_rd_u16(&r, &selected) || !clasp_rd_done(&r)) {
        return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
    }
    /* §4.3.11: one identity offered, so index 0; a suite with its hash. */
    if (!hs->psk_offered || selected != 0 || clasp_suite13(t->suite)->hash != conn->hash) {
        return FAIL(conn, SSL_AD_ILLEGAL_PARAMETER, SSL_R_BAD_PSK_IDENTITY);
    }
    hs->psk_selected = 1;
    hs->psk_len = t->psk_len;
    memcpy(hs->psk, t->psk, t->psk_len);
    hs->verified.psk = 1;
    return 1;
}

/* ---- NewSessionTicket (client) ------------------------------------------------------- */

/* The early_data extension's max_early_data_size, kept (0-RTT is not
 * used).  §4.7.1: "Clients MUST ignore unrecognized extensions", so the
 * block is walked here rather than by the response rules of
 * clasp_ext_parse(). */
static int read_nst_extensions(clasp_conn *conn, clasp_reader block, uint32_t *max_early)
{
    int seen_early = 0;

    *max_early = 0;
    while (!clasp_rd_done(&block)) {
        uint16_t type;
        clasp_reader body;

        if (!clasp_rd_u16(&block, &type) || !clasp_rd_u16_prefixed(&block, &body)) {
            return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
        }
        if (type != CLASP_EXT_EARLY_DATA) {
            continue;
        }
        if (seen_early || !clasp_rd_u32(&body, max_early) || !clasp_rd_done(&body)) {
            return FAIL(conn, SSL_AD_DECODE_ERROR, SSL_R_BAD_EXTENSION);
        }
        seen_early = 1;
    }
    return 1;
}

int clasp_psk_client_take_nst(clasp_conn *conn, const clasp_new_session_ticket *nst)
{
    clasp_ticket *t = &conn->ticket;
    uint32_t max_early;

    if (!read_nst_extensions(conn, nst->extensions, &max_early)) {
        return 0;
    }
    /* §4.7.1: a lifetime of zero means the ticket must not be used. */
    if (nst->lifetime == 0) {
        return 1;
    }
    clasp_ticket_cleanup(t);
    conn->have_ticket = 0;
    t->ticket = OPENSSL_memdup(nst->ticket.ptr, nst->ticket.len);
    if (t->ticket == NULL) {
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_MALLOC_FAILURE);
    }
    t->ticket_len = nst->ticket.len;
    t->suite = conn->suite;
    t->psk_len = clasp_hash_len(conn->hash);
    /* §4.7.1: clients MUST NOT cache tickets for longer than 7 days. */
    t->lifetime = nst->lifetime < MAX_TICKET_LIFETIME ? nst->lifetime : MAX_TICKET_LIFETIME;
    t->age_add = nst->age_add;
    t->max_early_data = max_early;
    if (!ticket_psk(conn, nst->nonce.ptr, nst->nonce.len, t->psk)) {
        clasp_ticket_cleanup(t);
        return FAIL(conn, SSL_AD_INTERNAL_ERROR, ERR_R_INTERNAL_ERROR);
    }
    conn->have_ticket = 1;
    conn->wait = CLASP_WAIT_TICKET;
    return 1;
}

int clasp_conn_take_ticket(clasp_conn *conn, clasp_ticket *out)
{
    if (!conn->have_ticket) {
        return 0;
    }
    *out = conn->ticket;
    memset(&conn->ticket, 0, sizeof(conn->ticket));
    conn->have_ticket = 0;
    if (conn->wait == CLASP_WAIT_TICKET) {
        conn->wait = CLASP_WAIT_INPUT;
    }
    return 1;
}

int clasp_conn_resumed(const clasp_conn *conn)
{
    return conn->resumed;
}
