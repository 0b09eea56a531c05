/* The engine's connection object and the helpers shared by the state
 * machines.  Internal to src/hs, src/msg, src/ext. */
#ifndef CLASP_CONN_H
#define CLASP_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "crypto/crypto.h"
#include "ext/ext.h"
#include "engine.h"
#include "hs/keysched.h"
#include "hs/tls12.h"
#include "msg/msg.h"
#include "record/record.h"
#include "util/err.h"
#include "wire/wire.h"

#define CLASP_TLS12 0x0303
#define CLASP_TLS13 0x0304

/* Handshake message types (RFC 9846 §4; RFC 5246 §7.4 for TLS 1.2's). */
#define CLASP_HT_HELLO_REQUEST 0
#define CLASP_HT_CLIENT_HELLO 1
#define CLASP_HT_SERVER_HELLO 2
#define CLASP_HT_NEW_SESSION_TICKET 4
#define CLASP_HT_END_OF_EARLY_DATA 5
#define CLASP_HT_ENCRYPTED_EXTENSIONS 8
#define CLASP_HT_CERTIFICATE 11
#define CLASP_HT_SERVER_KEY_EXCHANGE 12
#define CLASP_HT_CERTIFICATE_REQUEST 13
#define CLASP_HT_SERVER_HELLO_DONE 14
#define CLASP_HT_CERTIFICATE_VERIFY 15
#define CLASP_HT_CLIENT_KEY_EXCHANGE 16
#define CLASP_HT_FINISHED 20
#define CLASP_HT_KEY_UPDATE 24
#define CLASP_HT_MESSAGE_HASH 254

#define CLASP_HS_HEADER_LEN 4
#define CLASP_MAX_SESSION_ID 32
#define CLASP_MAX_ALPN 255
#define CLASP_MAX_HOSTNAME 255
#define CLASP_MAX_OFFERED 32 /* suites / groups / sigalgs / shares we track */

/* What a state step asks the driver to do next. */
typedef enum {
    CLASP_HS_CONTINUE = 0, /* run the next state now */
    CLASP_HS_READ,         /* needs the next handshake message */
    CLASP_HS_WAIT,         /* waits for a facade decision (conn->wait) */
    CLASP_HS_DONE,         /* the handshake is complete */
    CLASP_HS_FAIL,         /* FATAL was raised */
} clasp_hs_status;

/* The transcript (RFC 9846 §4.1): raw messages are kept until the
 * hash is known, then hashed incrementally.  TLS 1.2 keeps the raw
 * messages to the end (a CertificateVerify signs them, RFC 5246 §7.4.8)
 * and a running hash beside them (raw_hash) for the session hash and the
 * Finished messages, so none of them re-hashes the whole handshake. */
typedef struct {
    clasp_writer pending;
    clasp_hash_ctx *hash;
    clasp_hash_id hash_id;
    clasp_hash_ctx *raw_hash;
} clasp_transcript;

/* Proof-carrying verification (DESIGN.md principle 8): set only by the
 * three verification steps; application keys are installed only when all
 * three hold. */
typedef struct {
    int cert;
    int cert_verify;
    int finished;
    int psk; /* TLS 1.3 resumption: the peer proved the PSK (server: the
              * binder; client: the server accepted the PSK we bound, and
              * its Finished will prove it knows the key) */
} clasp_verified;

/* 1 when the peer authenticated: certificate and CertificateVerify, or a
 * resumption PSK (principle 8). */
#define CLASP_PEER_AUTHENTICATED(v) (((v)->cert && (v)->cert_verify) || (v)->psk)

/* Handshake-only state, freed when the handshake ends (principle 10). */
typedef struct {
    int state;
    clasp_transcript transcript;
    clasp_keysched ks;
    clasp_kex *kex;           /* our ephemeral key */
    uint16_t kex_group;
    uint8_t client_hs_secret[CLASP_MAX_HASH_LEN];
    uint8_t server_hs_secret[CLASP_MAX_HASH_LEN];
    uint8_t session_id[CLASP_MAX_SESSION_ID];
    size_t session_id_len;
    uint8_t cookie[512];
    size_t cookie_len;
    int hrr_done;             /* a HelloRetryRequest was sent / received */
    int hello_received;       /* the peer's first hello was consumed */
    int ccs_sent;
    int ccs_allowed;          /* a peer CCS may be dropped now (RFC 9846 §5) */
    int cert_requested;       /* client: a CertificateRequest arrived */
    uint8_t cert_req_context[256];
    size_t cert_req_context_len;
    clasp_verified verified;
    /* Server: what the client offered, kept across the decision point. */
    uint16_t client_sigalgs[CLASP_MAX_OFFERED];
    size_t num_client_sigalgs;
    const clasp_identity *identity;
    clasp_identity chosen_identity;
    uint8_t client_alpn[512];
    size_t client_alpn_len;
    int client_sent_alpn;
    int sni_ack;              /* server: acknowledge server_name in EE */
    uint8_t peer_share[CLASP_MAX_KEX_PUB_LEN];
    size_t peer_share_len;
    clasp_tls12_hs t12;       /* TLS 1.2 only */
    /* TLS 1.3 resumption (RFC 9846 §4.3.11). */
    int psk_offered;          /* client: pre_shared_key sent in this ClientHello */
    int psk_selected;         /* the PSK is used for this handshake */
    uint16_t psk_identity;    /* server: its index in the offer */
    uint8_t psk[CLASP_MAX_HASH_LEN];
    size_t psk_len;
    /* The message being built. */
    clasp_writer msg;
} clasp_hs;

struct clasp_conn {
    clasp_config cfg;
    int is_server;
    int started;
    int failed;
    clasp_record rec;
    clasp_hs *hs;
    int hs_done;
    clasp_wait wait; /* pending facade decision, or CLASP_WAIT_INPUT */
    /* Handshake bytes reassembled across records. */
    clasp_writer hsbuf;
    size_t hsbuf_off;
    /* Negotiated. */
    uint16_t version;
    uint16_t suite;
    clasp_hash_id hash;
    clasp_aead_id aead;
    uint16_t group;
    uint16_t peer_sigalg;
    uint16_t own_sigalg;
    uint8_t alpn[CLASP_MAX_ALPN];
    size_t alpn_len;
    char sni[CLASP_MAX_HOSTNAME + 1];
    int have_sni;
    uint8_t client_random[32];
    uint8_t server_random[32];
    uint8_t finished_sent[CLASP_MAX_HASH_LEN];
    uint8_t finished_recv[CLASP_MAX_HASH_LEN];
    size_t finished_len;
    STACK_OF(X509) *peer_chain;
    EVP_PKEY *peer_tmp_key;
    int did_hrr;
    int resumed;      /* TLS 1.3: the handshake used a ticket's PSK */
    /* Tickets (RFC 9846 §4.7.1): the resumption master secret (wiped on
     * free), the server's nonce counter, the client's ticket waiting for
     * clasp_conn_take_ticket(). */
    uint8_t resumption_secret[CLASP_MAX_HASH_LEN];
    uint64_t tickets_sent;
    clasp_ticket ticket;
    int have_ticket;
    /* Traffic secrets kept for KeyUpdate and exporters (wiped on free). */
    uint8_t read_secret[CLASP_MAX_HASH_LEN];
    uint8_t write_secret[CLASP_MAX_HASH_LEN];
    uint8_t exporter_secret[CLASP_MAX_HASH_LEN];
    uint8_t master_secret[CLASP_TLS12_MASTER_LEN]; /* TLS 1.2: for exporters */
    int ems;          /* TLS 1.2: RFC 7627 used */
    int secure_reneg; /* TLS 1.2: the peer indicated RFC 5746 support */
    int key_update_pending; /* peer asked us to update (update_requested) */
    /* Closure and alerts. */
    int peer_closed;
    int close_sent;
    int alert_sent;
    int alert_received;
    int warn_alerts; /* TLS 1.2: warning alerts in a row (RFC 5246 §7.2) */
    const char *state_name;
    int state_code;
};

/* FATAL (DESIGN.md principle 7): pushes the SSL_R_* reason, queues the
 * alert (when alert >= 0) and makes the connection fail, in one call.
 * Always returns CLASP_HS_FAIL so a step can `return FATAL(...)`. */
clasp_hs_status clasp_fatal(clasp_conn *conn, int alert, int reason, const char *file,
                            int line);
#define FATAL(conn, alert, reason) clasp_fatal((conn), (alert), (reason), __FILE__, __LINE__)
/* FATAL for helpers that return 1/0: evaluates to 0. */
#define FAIL(conn, alert, reason) ((void)FATAL((conn), (alert), (reason)), 0)

/* ---- handshake messages (src/hs/handshake.c) ------------------------------ */
/* Looks at the next complete handshake message: *type and *body (a view
 * into the reassembly buffer, valid until consume).  Returns 1, or 0 when
 * it is not complete yet.  A message over the size limit is FATAL (-1). */
int clasp_hs_peek(clasp_conn *conn, uint8_t *type, clasp_reader *body);
/* Peeks the next message and requires it to be of type; any other type
 * is unexpected_message.  Returns CLASP_HS_CONTINUE with *body set,
 * CLASP_HS_READ (incomplete) or CLASP_HS_FAIL. */
clasp_hs_status clasp_hs_expect(clasp_conn *conn, uint8_t type, clasp_reader *body);
/* Adds the peeked message to the transcript and removes it. */
int clasp_hs_consume(clasp_conn *conn);
/* Starts building a message of type in conn->hs->msg: returns the writer
 * positioned at the body (the u24 length is patched by send). */
clasp_writer *clasp_hs_begin(clasp_conn *conn, uint8_t type, clasp_wr_mark *mark);
/* Ends the message: transcript, trace, record layer.  Returns 1 or 0. */
int clasp_hs_send(clasp_conn *conn, clasp_wr_mark *mark);
/* The middlebox-compatibility CCS (RFC 9846 Appendix E.4), once. */
int clasp_hs_send_ccs(clasp_conn *conn);
/* 1 when handshake bytes are buffered beyond the messages consumed; a
 * key change then would split a message across keys (RFC 9846 §5.1). */
int clasp_hs_buffered(const clasp_conn *conn);
/* Records a state change for SSL_state_string_long / SSL_get_state. */
void clasp_hs_set_state(clasp_conn *conn, int state, const char *name, int code);

/* Traffic keys from a secret, for one direction (encrypt=1: write). */
int clasp_install_key(clasp_conn *conn, const uint8_t *secret, int write);
/* Keylog notification for a secret. */
void clasp_keylog(clasp_conn *conn, const char *label, const uint8_t *secret);
void clasp_info(clasp_conn *conn, int where, int value);

/* ---- transcript (src/hs/transcript.c) ------------------------------------- */
int clasp_transcript_init(clasp_transcript *t);
void clasp_transcript_cleanup(clasp_transcript *t);
int clasp_transcript_add(clasp_transcript *t, const uint8_t *msg, size_t len);
/* Starts hashing with h (everything added so far is hashed). */
int clasp_transcript_set_hash(clasp_transcript *t, const clasp_crypto *c, clasp_hash_id h);
/* The current hash (hash_len bytes). */
int clasp_transcript_hash(const clasp_transcript *t, uint8_t *out);
/* The hash (with h, which must be the transcript's once it hashes) of the
 * messages so far followed by the pieces, the transcript unchanged. */
int clasp_transcript_hash_extra(const clasp_transcript *t, const clasp_crypto *c,
                                clasp_hash_id h, const clasp_bytes *parts, size_t num_parts,
                                uint8_t *out);
/* RFC 9846 §4.1: replaces ClientHello1 by message_hash(Hash(CH1)). */
int clasp_transcript_hrr_restart(clasp_transcript *t, const clasp_crypto *c);
/* TLS 1.2: Hash(handshake_messages) so far with h, the raw messages kept.
 * The first call starts a running hash; later calls only peek at it. */
int clasp_transcript_raw_hash(clasp_transcript *t, const clasp_crypto *c, clasp_hash_id h,
                              uint8_t *out);

/* ---- negotiation tables (src/hs/negotiate.c) ------------------------------ */
/* TLS 1.2 suites' authentication (RFC 8422 §2, RFC 5289 §3). */
#define CLASP_AUTH_ANY 0 /* TLS 1.3: the suite does not say */
#define CLASP_AUTH_ECDSA 1
#define CLASP_AUTH_RSA 2

typedef struct {
    uint16_t id;
    clasp_hash_id hash; /* TLS 1.3: HKDF hash; TLS 1.2: PRF hash */
    clasp_aead_id aead;
    int auth;           /* CLASP_AUTH_* */
} clasp_suite_info;
/* The TLS 1.3 suite with this code point, or NULL when unknown. */
const clasp_suite_info *clasp_suite13(uint16_t id);
/* The TLS 1.2 ECDHE + AEAD suite with this code point, or NULL. */
const clasp_suite_info *clasp_suite12(uint16_t id);
int clasp_list_has(const uint16_t *list, size_t n, uint16_t v);
/* 1 when scheme may sign a TLS 1.3 CertificateVerify (RFC 9846 §4.3.3:
 * not rsa_pkcs1_*, not SHA-1). */
int clasp_sigalg_ok_for_tls13(uint16_t scheme);
/* Picks our signature scheme for id's key among the peer's list; 0 if none. */
uint16_t clasp_pick_sigalg(const clasp_conn *conn, const clasp_identity *id, const uint16_t *peer,
                           size_t num_peer);

/* RFC 7301 §3.1: the server's ALPN answer names exactly one protocol, one
 * the client offered; sets conn->alpn.  Returns 1, or 0 after FATAL. */
int clasp_read_selected_alpn(clasp_conn *conn, const clasp_exts *exts);

/* ---- signatures over the transcript (src/hs/verify.c) ---------------------- */
/* Signs the CertificateVerify content (RFC 9846 §4.5.2). */
int clasp_cv_sign(clasp_conn *conn, EVP_PKEY *key, uint16_t scheme, int server,
                  uint8_t *sig, size_t *sig_len);
/* Checks the peer's CertificateVerify; sets verified.cert_verify. */
int clasp_cv_check(clasp_conn *conn, uint16_t scheme, const uint8_t *sig, size_t sig_len,
                   int server);
/* Computes our Finished verify_data (base: our handshake secret). */
int clasp_finished_compute(clasp_conn *conn, const uint8_t *base_key, uint8_t *out);
/* Checks the peer's Finished; sets verified.finished. */
int clasp_finished_check(clasp_conn *conn, const uint8_t *base_key, const uint8_t *vd,
                         size_t vd_len);

/* ---- authentication messages, both roles (src/hs/tls13_auth.c) ------------ */
/* Certificate with the given request context; id == NULL sends no entry
 * (RFC 9846 §4.5.1).  Returns 1, or 0 after FATAL. */
int clasp_auth_send_certificate(clasp_conn *conn, const uint8_t *context, size_t context_len,
                                const clasp_identity *id);
/* The CertificateEntry list into conn->peer_chain, leaf first. */
int clasp_auth_read_cert_entries(clasp_conn *conn, clasp_reader *entries);
/* Parses and checks the peer's CertificateVerify; sets conn->peer_sigalg. */
int clasp_auth_read_cert_verify(clasp_conn *conn, clasp_reader *body, int peer_is_server);
/* Signs and sends our CertificateVerify; sets conn->own_sigalg. */
int clasp_auth_send_cert_verify(clasp_conn *conn, EVP_PKEY *key, uint16_t scheme,
                                int we_are_server);
/* Computes (into conn->finished_sent) and sends our Finished. */
int clasp_auth_send_finished(clasp_conn *conn, const uint8_t *base_key);

/* ---- TLS 1.3 tickets and PSK resumption (src/hs/tls13_psk.c) -------------- */
/* Each returns 1, or 0 after FATAL, unless it says otherwise. */
/* Client: 1 when cfg.resume can be offered in this ClientHello (TLS 1.3
 * offered, its suite known and configured, not expired; after a
 * HelloRetryRequest, the chosen suite has the ticket's hash). */
int clasp_psk_client_can_offer(const clasp_conn *conn);
/* Client: psk_key_exchange_modes (psk_dhe_ke) and pre_shared_key with a
 * zero binder; pre_shared_key must be the last extension written. */
int clasp_psk_client_put_extensions(clasp_conn *conn, clasp_writer *w);
/* Client: computes the binder over the truncated ClientHello in w (the
 * whole message, its u24 length not yet patched) and writes it in place
 * (RFC 9846 §4.3.11.2). */
int clasp_psk_client_bind(clasp_conn *conn, clasp_writer *w);
/* Client: the ServerHello's pre_shared_key (§4.3.11): selected_identity 0
 * and a suite with the PSK's hash.  Sets hs->psk_selected. */
int clasp_psk_client_read_selected(clasp_conn *conn, const clasp_exts *exts);
/* Server: looks at the ClientHello's PSK offer (body: the whole message
 * body, before parsing; exts: its extensions; suite/hash already chosen).
 * A ticket we can use whose binder verifies sets hs->psk_selected; a bad
 * binder is decrypt_error; anything else falls back to a full handshake. */
int clasp_psk_server_select(clasp_conn *conn, const clasp_reader *body, const clasp_exts *exts);
/* The resumption master secret from the transcript through the client
 * Finished (RFC 9846 §7.1), into conn->resumption_secret. */
int clasp_psk_derive_resumption(clasp_conn *conn);
/* Server: sends cfg.num_tickets NewSessionTickets (RFC 9846 §4.7.1). */
int clasp_psk_send_tickets(clasp_conn *conn);
/* Client: a NewSessionTicket into conn->ticket (CLASP_WAIT_TICKET). */
int clasp_psk_client_take_nst(clasp_conn *conn, const clasp_new_session_ticket *nst);

/* ---- state machines ------------------------------------------------------- */
clasp_hs_status clasp_tls13_client_step(clasp_conn *conn);
clasp_hs_status clasp_tls13_server_step(clasp_conn *conn);
/* Post-handshake messages (NewSessionTicket, KeyUpdate). */
clasp_hs_status clasp_tls13_post_handshake(clasp_conn *conn);
/* TLS 1.2 (src/hs/tls12_client.c, tls12_server.c): entered when the
 * version negotiation in the TLS 1.3 state machines chose 0x0303, with the
 * hello that decided it still unconsumed, and hs->state set to 0. */
clasp_hs_status clasp_tls12_client_step(clasp_conn *conn);
clasp_hs_status clasp_tls12_server_step(clasp_conn *conn);
/* TLS 1.2 after the handshake: HelloRequest / ClientHello (renegotiation,
 * refused). */
clasp_hs_status clasp_tls12_post_handshake(clasp_conn *conn);
/* A TLS 1.2 ChangeCipherSpec record (RFC 5246 §7.1): accepted only where
 * the state machine waits for it; switches the read keys.  Returns 1, or 0
 * after FATAL. */
int clasp_tls12_on_ccs(clasp_conn *conn, const uint8_t *data, size_t len);
/* The role's half of clasp_tls12_on_ccs(): the state check and the switch. */
int clasp_tls12_client_ccs(clasp_conn *conn);
int clasp_tls12_server_ccs(clasp_conn *conn);
/* Server, answering CLASP_WAIT_CLIENT_HELLO in TLS 1.2: the suite, the
 * identity that can serve it and the ServerKeyExchange scheme (RFC 5246
 * §7.4.1.4.1, RFC 8422 §5.1, §5.3).  Returns 1, or 0 after FATAL. */
int clasp_tls12_choose_identity(clasp_conn *conn, const clasp_identity *ids, size_t num_ids);

/* ---- TLS 1.2 helpers both roles use (src/hs/tls12_common.c) ------------- */
/* Each returns 1, or 0 after FATAL, unless it says otherwise. */
/* Hash (the PRF hash) of the handshake messages so far (RFC 5246 §7.4.9).
 * TLS 1.2 keeps the raw transcript: a CertificateVerify signs the messages
 * themselves, with the signature scheme's hash. */
int clasp_tls12_transcript_hash(clasp_conn *conn, uint8_t *out);
/* RFC 5246 §7.4.2: certificate_list, the leaf first. */
int clasp_tls12_send_certificate(clasp_conn *conn, const clasp_identity *id);
/* Writes opaque ASN.1Cert<1..2^24-1>: der when given (x's encoding made
 * earlier), else x encoded now.  Returns 1, or 0 (nothing FATAL). */
int clasp_put_asn1_cert(clasp_writer *w, X509 *x, const uint8_t *der, size_t der_len);
/* Parses a Certificate into conn->peer_chain (may be empty). */
int clasp_tls12_read_certificate(clasp_conn *conn, clasp_reader *body);
/* Our signature scheme for id's key among the peer's list under TLS 1.2
 * rules (a scheme naming the key's curve first); 0 when none. */
uint16_t clasp_tls12_pick_sigalg(const clasp_conn *conn, const clasp_identity *id,
                                 const uint16_t *peer,
                                 size_t num_peer);
/* 1 when key can authenticate a suite with auth (CLASP_AUTH_*). */
int clasp_tls12_kind_fits_auth(clasp_key_kind kind, int auth);
/* The ECDHE premaster secret is in hs->t12.pms: derive the master secret
 * (RFC 7627 when hs->t12.ems, over the transcript so far), log it, and
 * compute the key block. */
int clasp_tls12_derive_keys(clasp_conn *conn);
/* Switches one direction to the key block's keys (write = 1: ours). */
int clasp_tls12_install_key(clasp_conn *conn, int write);
/* A ChangeCipherSpec record, then our write keys (RFC 5246 §7.1). */
int clasp_tls12_send_ccs(clasp_conn *conn);
/* Computes and sends our Finished (RFC 5246 §7.4.9). */
int clasp_tls12_send_finished(clasp_conn *conn);
/* Checks the peer's Finished; sets verified.finished (principle 8). */
int clasp_tls12_check_finished(clasp_conn *conn, const clasp_reader *body);
/* ServerKeyExchange signature over client_random + server_random + params
 * (RFC 8422 §5.4).  check sets verified.cert_verify. */
int clasp_tls12_sign_params(clasp_conn *conn, EVP_PKEY *key, uint16_t scheme,
                            const uint8_t *params, size_t params_len, uint8_t *sig,
                            size_t *sig_len);
int clasp_tls12_check_params(clasp_conn *conn, uint16_t scheme, const uint8_t *params,
                             size_t params_len, const uint8_t *sig, size_t sig_len);
/* CertificateVerify over the handshake messages so far (RFC 5246
 * §7.4.8).  check sets verified.cert_verify. */
int clasp_tls12_sign_transcript(clasp_conn *conn, EVP_PKEY *key, uint16_t scheme,
                                uint8_t *sig, size_t *sig_len);
int clasp_tls12_check_transcript(clasp_conn *conn, uint16_t scheme, const uint8_t *sig,
                                 size_t sig_len);
/* renegotiation_info with an empty renegotiated_connection (RFC 5746
 * §3.2): 1 when body is exactly that. */
int clasp_tls12_reneg_info_empty(clasp_reader body);
/* ec_point_formats (RFC 8422 §5.1.2): 1 when the list is well formed and
 * includes uncompressed; 0 otherwise (the caller raises its alert). */
int clasp_tls12_point_formats_ok(clasp_reader body);

#endif
