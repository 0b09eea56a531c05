/* The sans-I/O TLS engine, as seen by the OpenSSL-compatible facade
 * (src/api/).  Bytes in, bytes out: the engine never sees a BIO, a socket
 * or a clock (DESIGN.md principle 1).
 *
 * The facade's run_until() loop:
 *   1. flush clasp_conn_out_pending() to the write BIO, clasp_conn_out_consume();
 *   2. w = clasp_conn_process(conn) and act on w (see clasp_wait);
 *   3. when w == CLASP_WAIT_INPUT, BIO_read into clasp_conn_in_space() and
 *      clasp_conn_in_commit() what arrived.
 * Every call can stop at any byte boundary and resume later: the engine
 * keeps all partial input, and output stays pending until consumed. */
#ifndef CLASP_ENGINE_H
#define CLASP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

typedef struct clasp_conn clasp_conn;

/* ---- TLS 1.3 tickets and resumption (RFC 9846 §4.7.1, §4.3.11) ----------- */
/* Server: the key that seals stateless tickets with AES-256-GCM; the name
 * tells our tickets from others.  Owned (and wiped) by the SSL_CTX. */
#define CLASP_TICKET_KEY_NAME_LEN 16
#define CLASP_TICKET_KEY_LEN 32
typedef struct {
    uint8_t name[CLASP_TICKET_KEY_NAME_LEN];
    uint8_t key[CLASP_TICKET_KEY_LEN];
} clasp_ticket_key;

/* Client: one ticket received, what a later connection needs to offer it.
 * The facade keeps it in an SSL_SESSION; ticket is owned (OPENSSL_free via
 * clasp_ticket_cleanup(), which also wipes the PSK). */
typedef struct {
    uint16_t suite;            /* the suite of the connection that got it */
    uint8_t psk[CLASP_MAX_HASH_LEN]; /* HKDF-Expand-Label(res_master, "resumption", nonce) */
    size_t psk_len;
    uint32_t lifetime;         /* seconds */
    uint32_t age_add;
    uint32_t max_early_data;   /* early_data extension (0-RTT is not used) */
    uint64_t received_ms;      /* the facade's clock when it arrived */
    uint8_t *ticket;
    size_t ticket_len;
    int tls12;                 /* an RFC 5077 ticket: psk holds the TLS 1.2
                                * master secret (48 bytes) */
    int ems;                   /* TLS 1.2: the session used RFC 7627 */
} clasp_ticket;
void clasp_ticket_cleanup(clasp_ticket *t);
/* Deep copy (the ticket bytes duplicated).  Returns 1, or 0 (allocation). */
int clasp_ticket_copy(clasp_ticket *dst, const clasp_ticket *src);

/* Notifications from the engine (keylog lines, message trace, state
 * changes).  They only report; they cannot change the engine's course.
 * Any member may be NULL. */
typedef struct {
    void *arg;
    /* label: NSS key log label ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", …). */
    void (*keylog)(void *arg, const char *label, const uint8_t client_random[32],
                   const uint8_t *secret, size_t secret_len);
    /* A whole handshake message, alert or CCS, as sent (write_p = 1) or
     * received: content_type is the record content type (22, 21, 20) or
     * 256 for a record header (SSL3_RT_HEADER), as OpenSSL's msg callback. */
    void (*msg)(void *arg, int write_p, int version, int content_type, const uint8_t *buf,
                size_t len);
    /* where / value as OpenSSL's info callback (SSL_CB_*). */
    void (*info)(void *arg, int where, int value);
} clasp_observer;

/* A certificate and its private key offered by the facade (borrowed:
 * owned by the SSL_CTX/SSL and alive until the handshake ends).  kind and
 * group describe the key; they are worked out once, when the certificate
 * is set (the facade's certificate slots; clasp_identity_make()), because asking libcrypto means name
 * look-ups under locks that have no place on the per-handshake path. */
typedef struct {
    X509 *leaf;
    STACK_OF(X509) *chain; /* intermediates, leaf excluded; may be NULL */
    EVP_PKEY *key;
    clasp_key_kind kind;   /* the key's type */
    uint16_t group;        /* an EC key's NamedGroup, else 0 */
    /* The leaf's DER, encoded once when the certificate was set, so that a
     * Certificate message copies it instead of running i2d_X509 per
     * handshake; NULL: the engine encodes leaf itself. */
    const uint8_t *leaf_der;
    size_t leaf_der_len;
} clasp_identity;

/* The identity of leaf, chain and key, described (for callers that have
 * no certificate slot of the facade's: tests, fuzzers). */
clasp_identity clasp_identity_make(X509 *leaf, STACK_OF(X509) *chain, EVP_PKEY *key);

/* What the engine needs from SSL_CTX/SSL.  Copied into the connection by
 * clasp_conn_new(); the arrays and strings it points to are borrowed and
 * must stay valid for the connection's life (the facade owns them). */
typedef struct {
    const clasp_crypto *crypto;
    int is_server;
    uint16_t min_version; /* 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3) */
    uint16_t max_version;
    const uint16_t *suites; /* TLS 1.3 cipher suites, preference order */
    size_t num_suites;
    const uint16_t *groups; /* NamedGroups, preference order; the client */
    size_t num_groups;      /* sends a key share for groups[0] */
    const uint16_t *sigalgs; /* SignatureSchemes, preference order */
    size_t num_sigalgs;
    const uint8_t *alpn; /* client: the ALPN protocol list in wire form */
    size_t alpn_len;
    const char *sni; /* client: host name to send, or NULL */
    int middlebox_compat; /* RFC 9846 Appendix E.4 */
    int server_prefer_own_suites; /* SSL_OP_CIPHER_SERVER_PREFERENCE */
    size_t max_cert_list; /* largest peer Certificate message accepted */
    clasp_observer observer;
    /* Certificate-based client authentication (RFC 9846 §4.4.2, §4.5.1). */
    int request_client_cert; /* server: send a CertificateRequest */
    int require_client_cert; /* server: an empty client Certificate is fatal */
    const clasp_identity *client_ids; /* client: offered on a CertificateRequest */
    size_t num_client_ids;            /* (the first one the server's list allows) */
    /* TLS 1.2 (used when min_version <= 0x0303). */
    const uint16_t *suites12; /* TLS 1.2 cipher suites, preference order */
    size_t num_suites12;
    int send_fallback_scsv; /* client: TLS_FALLBACK_SCSV (RFC 7507) */
    int require_ems;        /* refuse a peer without extended_master_secret
                             * (RFC 7627 §5.2); no OpenSSL option sets it */
    /* TLS 1.3 tickets and resumption.  The engine has no clock: now_ms is
     * the facade's wall clock in milliseconds when the config was built. */
    uint64_t now_ms;
    const clasp_ticket_key *ticket_key; /* server: NULL: tickets neither issued
                                         * nor accepted */
    size_t num_tickets;        /* server: NewSessionTickets after the handshake */
    uint32_t ticket_lifetime;  /* server: seconds (at most 604800, §4.7.1) */
    int want_tickets;          /* client: stop at CLASP_WAIT_TICKET for each
                                * ticket (0: tickets are parsed and dropped) */
    const clasp_ticket *resume; /* client: the ticket to offer, or NULL */
    int no_tickets12;           /* SSL_OP_NO_TICKET: TLS 1.2 neither asks for,
                                 * issues nor accepts RFC 5077 tickets */
} clasp_config;

/* Returns a new connection in its initial state, or NULL (allocation).
 * The role can still be changed with clasp_conn_set_role() until
 * clasp_conn_start(). */
clasp_conn *clasp_conn_new(const clasp_config *cfg);
void clasp_conn_free(clasp_conn *conn);
/* Replaces the configuration (e.g. after SSL_set_SSL_CTX or a setter);
 * allowed before the handshake starts; later, only borrowed data that the
 * handshake has not used yet takes effect. */
void clasp_conn_set_config(clasp_conn *conn, const clasp_config *cfg);
const clasp_config *clasp_conn_config(const clasp_conn *conn);

/* Starts the handshake: a client queues its ClientHello, a server starts
 * waiting for one.  Returns 1, or 0 on error (sticky).  Idempotent. */
int clasp_conn_start(clasp_conn *conn);
int clasp_conn_started(const clasp_conn *conn);

/* ---- bytes from the peer ------------------------------------------------ */
/* Points *out at free space for incoming bytes; returns its size (0 when
 * the engine cannot take input now: let it process or the app read first). */
size_t clasp_conn_in_space(clasp_conn *conn, uint8_t **out);
void clasp_conn_in_commit(clasp_conn *conn, size_t n);
/* Frees the input, output and handshake-reassembly buffers that hold
 * nothing; they are allocated again when needed.  The facade calls it
 * when a call leaves the connection idle, so an idle connection keeps only
 * its state (SSL_MODE_RELEASE_BUFFERS, always on). */
void clasp_conn_release_buffers(clasp_conn *conn);
/* Bytes received but not yet processed (for SSL_has_pending). */
size_t clasp_conn_in_buffered(const clasp_conn *conn);

/* ---- bytes for the peer ------------------------------------------------- */
size_t clasp_conn_out_pending(const clasp_conn *conn, const uint8_t **out);
void clasp_conn_out_consume(clasp_conn *conn, size_t n);

/* ---- processing -------------------------------------------------------- */
typedef enum {
    CLASP_WAIT_ERROR = 0,   /* fatal: see clasp_conn_failed(); an alert may be pending output */
    CLASP_WAIT_INPUT,       /* cannot go on without more bytes from the peer */
    CLASP_WAIT_FLUSH,       /* output is over its soft limit: flush first */
    CLASP_WAIT_APP_READ,    /* application data waits for clasp_conn_read_app() */
    CLASP_WAIT_CLIENT_HELLO, /* server: call clasp_conn_client_hello_done() */
    CLASP_WAIT_VERIFY_PEER, /* peer chain received: call clasp_conn_verify_done() */
    CLASP_WAIT_CLOSED,      /* the peer sent close_notify: no more data will come */
    CLASP_WAIT_HANDSHAKE_DONE, /* the handshake just completed; records after it wait
                                  for the next call (as OpenSSL: SSL_do_handshake
                                  returns 1 and SSL_read meets them) */
    CLASP_WAIT_TICKET,      /* client (want_tickets): a ticket arrived; call
                               clasp_conn_take_ticket() */
} clasp_wait;

/* Processes buffered input as far as it goes, and says what it waits for.
 * After CLASP_WAIT_ERROR every later call returns CLASP_WAIT_ERROR. */
clasp_wait clasp_conn_process(clasp_conn *conn);

/* ---- decisions the facade makes (callbacks live there) ------------------- */
/* Server, at CLASP_WAIT_CLIENT_HELLO: what the client asked for. */
const char *clasp_conn_client_sni(const clasp_conn *conn); /* NULL if none */
/* The client's ALPN list in wire form (length-prefixed names), or NULL. */
const uint8_t *clasp_conn_client_alpn(const clasp_conn *conn, size_t *len);
/* Answers CLASP_WAIT_CLIENT_HELLO: the candidate identities (the engine
 * picks the first one the client's signature_algorithms allow) and the
 * ALPN protocol chosen (NULL: none).  alert != 0 aborts the handshake with
 * that alert and reason (an SSL_R_* code). */
void clasp_conn_client_hello_done(clasp_conn *conn, const clasp_identity *ids, size_t num_ids,
                                  const uint8_t *alpn, size_t alpn_len, int alert, int reason);
/* Server, before clasp_conn_client_hello_done(): acknowledge the client's
 * server_name (RFC 6066 §3: an empty server_name in the reply). */
void clasp_conn_ack_sni(clasp_conn *conn);
/* Ends the connection for a failure the facade detected: FATAL with alert
 * (-1: none sent) and an SSL_R_* reason. */
void clasp_conn_abort(clasp_conn *conn, int alert, int reason);
/* At CLASP_WAIT_VERIFY_PEER: the peer's chain, leaf first (borrowed). */
STACK_OF(X509) *clasp_conn_peer_chain(const clasp_conn *conn);
/* Answers CLASP_WAIT_VERIFY_PEER: ok = 1 accepts the chain; ok = 0 aborts
 * with alert (e.g. bad_certificate, unknown_ca, certificate_expired) and
 * reason SSL_R_CERTIFICATE_VERIFY_FAILED. */
void clasp_conn_verify_done(clasp_conn *conn, int ok, int alert);

/* Answers CLASP_WAIT_TICKET: moves the ticket into *out (received_ms is
 * left 0 for the facade to set).  Returns 1, or 0 when none waits. */
int clasp_conn_take_ticket(clasp_conn *conn, clasp_ticket *out);
/* 1 when a ticket waits for clasp_conn_take_ticket(): a TLS 1.2 client's
 * RFC 5077 ticket is taken once the handshake is done (no CLASP_WAIT_TICKET). */
int clasp_conn_has_ticket(const clasp_conn *conn);

/* ---- application data --------------------------------------------------- */
/* Copies up to len plaintext bytes out (peek: without consuming).  Returns
 * the count (0 when none is buffered). */
size_t clasp_conn_read_app(clasp_conn *conn, uint8_t *out, size_t len, int peek);
size_t clasp_conn_app_pending(const clasp_conn *conn);
/* Seals up to len bytes (at most one record's worth) into output records.
 * Returns the count taken, 0 when output must be flushed first, or -1 on
 * error (connection failed or closed for writing). */
long clasp_conn_write_app(clasp_conn *conn, const uint8_t *data, size_t len);

/* Queues close_notify (RFC 9846 §6.1).  Returns 1, 0 when already sent. */
int clasp_conn_close(clasp_conn *conn);
/* Queues a KeyUpdate (RFC 9846 §4.7.3) and moves to the next sending key;
 * request_peer asks the peer to update too.  Returns 1 or 0. */
int clasp_conn_key_update(clasp_conn *conn, int request_peer);

/* ---- status ------------------------------------------------------------- */
int clasp_conn_is_server(const clasp_conn *conn);
int clasp_conn_handshake_done(const clasp_conn *conn);
int clasp_conn_failed(const clasp_conn *conn);
int clasp_conn_peer_closed(const clasp_conn *conn); /* close_notify received */
int clasp_conn_close_sent(const clasp_conn *conn);
/* The last alert sent / received (level << 8 | description), or -1. */
int clasp_conn_alert_sent(const clasp_conn *conn);
int clasp_conn_alert_received(const clasp_conn *conn);
/* The handshake state's name (for SSL_state_string_long) and its
 * OpenSSL TLS_ST_* equivalent (for SSL_get_state). */
const char *clasp_conn_state_name(const clasp_conn *conn);
int clasp_conn_state_code(const clasp_conn *conn);

/* ---- what was negotiated (0 / NULL until known) ------------------------- */
uint16_t clasp_conn_version(const clasp_conn *conn);
uint16_t clasp_conn_cipher_suite(const clasp_conn *conn);
uint16_t clasp_conn_group(const clasp_conn *conn);
uint16_t clasp_conn_peer_sigalg(const clasp_conn *conn);
uint16_t clasp_conn_own_sigalg(const clasp_conn *conn);
const uint8_t *clasp_conn_alpn(const clasp_conn *conn, size_t *len);
int clasp_conn_did_hrr(const clasp_conn *conn);
/* 1 when the handshake was a resumption (a ticket's PSK with (EC)DHE). */
int clasp_conn_resumed(const clasp_conn *conn);
/* The peer's ephemeral key share as an EVP_PKEY (caller frees), or NULL. */
EVP_PKEY *clasp_conn_peer_tmp_key(const clasp_conn *conn);
const uint8_t *clasp_conn_client_random(const clasp_conn *conn);
const uint8_t *clasp_conn_server_random(const clasp_conn *conn);
/* Finished verify_data sent / received; returns the length copied. */
size_t clasp_conn_finished(const clasp_conn *conn, int peer, uint8_t *out, size_t len);
/* TLS 1.2: 1 when the extended master secret (RFC 7627) was used, 1 when
 * the peer indicated secure renegotiation (RFC 5746); 0 otherwise (and in
 * TLS 1.3, which has neither). */
int clasp_conn_ems(const clasp_conn *conn);
int clasp_conn_secure_renegotiation(const clasp_conn *conn);
/* TLS 1.2: copies up to len bytes of the master secret; returns its length
 * (48), or 0 in TLS 1.3 or before it exists. */
size_t clasp_conn_master_secret(const clasp_conn *conn, uint8_t *out, size_t len);
/* RFC 9846 §7.5 exporter (RFC 5705 in TLS 1.2); returns 1 or 0 (not
 * available yet, or a label TLS 1.2 reserves). */
int clasp_conn_export(const clasp_conn *conn, const char *label, size_t label_len,
                      const uint8_t *context, size_t context_len, int use_context,
                      uint8_t *out, size_t out_len);

#endif
