/* The OpenSSL-compatible facade's private types and helpers (src/api/).
 *
 * The facade owns every object the application sees (SSL_CTX, SSL,
 * SSL_CIPHER, SSL_METHOD, SSL_SESSION) and is the only code that touches a
 * BIO, rwstate or a callback (DESIGN.md "Layers").  The engine behind
 * engine.h is driven by one loop, clasp_run_until() in io.c.
 *
 * Inheritance follows OpenSSL: SSL_new() copies most settings out of its
 * SSL_CTX (clasp_prefs); what OpenSSL reads live from the SSL's current
 * SSL_CTX (callbacks, the cipher lists until the SSL sets its own, the
 * trust store) is read live here too. */
#ifndef CLASP_API_INTERNAL_H
#define CLASP_API_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/clasp.h>
#include <openssl/ssl.h>

#include "engine.h"
#include "util/err.h"

#define CLASP_MAX_SUITES 8    /* TLS 1.3 suites Clasp knows: 3 */
#define CLASP_MAX_TLS12 16    /* TLS 1.2 suites Clasp knows: 6 */
#define CLASP_MAX_GROUPS 16
#define CLASP_MAX_SIGALGS 32
#define CLASP_MAX_HOSTNAME 255

/* Certificate slots, one per key type, as OpenSSL's SSL_PKEY_* (a server
 * may hold an RSA and an ECDSA identity at once). */
enum {
    CLASP_PKEY_RSA = 0,
    CLASP_PKEY_RSA_PSS = 1,
    CLASP_PKEY_EC = 2,
    CLASP_PKEY_ED25519 = 3,
    CLASP_NUM_PKEYS = 4
};

/* ---- objects -------------------------------------------------------------- */

struct ssl_method_st {
    int version; /* 0: any version; TLS1_2_VERSION for the TLSv1_2_* methods */
    int role;    /* -1: either; 0: client; 1: server */
};

struct ssl_cipher_st {
    const char *name;    /* OpenSSL's name */
    const char *stdname; /* RFC name */
    uint32_t id;         /* 0x03000000 | IANA code */
    int min_tls;
    int bits;            /* strength bits == algorithm bits for AEADs */
    int kx_nid, auth_nid, cipher_nid, md_nid; /* md: the handshake hash */
    const char *kx, *au, *enc;                /* SSL_CIPHER_description() */
    uint32_t flags;                           /* CLASP_C_* (cipher-string aliases) */
};

/* Attributes of an SSL_CIPHER, used by the cipher-string parser. */
#define CLASP_C_TLS13 0x0001
#define CLASP_C_ECDHE 0x0002
#define CLASP_C_AECDSA 0x0004
#define CLASP_C_ARSA 0x0008
#define CLASP_C_AES128 0x0010
#define CLASP_C_AES256 0x0020
#define CLASP_C_CHACHA 0x0040
#define CLASP_C_SHA256 0x0080
#define CLASP_C_SHA384 0x0100

struct ssl_session_st {
    atomic_int references;
    int version;
    const SSL_CIPHER *cipher;
    X509 *peer;        /* may be NULL */
    long verify_result;
    uint8_t sid_ctx[SSL_MAX_SID_CTX_LENGTH];
    size_t sid_ctx_len;
    uint8_t master_key[48]; /* TLS 1.2's master secret (wiped on free) */
    size_t master_key_len;
    STACK_OF(X509) *peer_chain; /* client: the server's chain, leaf first; may be NULL */
    long time;                  /* creation, seconds since the epoch */
    long timeout;               /* seconds */
    clasp_ticket ticket;        /* TLS 1.3 client: the ticket (wiped on free) */
    int has_ticket;
    int not_resumable; /* its connection ended without close_notify sent */
    CRYPTO_EX_DATA ex_data;
};

/* One certificate slot: leaf, key and the chain sent after the leaf. */
typedef struct {
    X509 *x509;
    EVP_PKEY *key;
    STACK_OF(X509) *chain;
    uint16_t group; /* the certificate key's NamedGroup (EC), else 0; set with x509 */
    uint8_t *der;   /* x509's encoding, made when it was set (Certificate messages) */
    size_t der_len;
} clasp_cert_slot;

typedef struct {
    clasp_cert_slot slot[CLASP_NUM_PKEYS];
    int current; /* the slot set last (OpenSSL's cert->key), -1: none */
} clasp_certs;

typedef void (*clasp_info_cb)(const SSL *ssl, int where, int value);
typedef void (*clasp_msg_cb)(int write_p, int version, int content_type, const void *buf,
                             size_t len, SSL *ssl, void *arg);
typedef int (*clasp_servername_cb)(SSL *ssl, int *alert, void *arg);

/* Settings SSL_new() copies out of the SSL_CTX. */
typedef struct {
    uint64_t options;
    uint32_t mode;
    int min_version, max_version; /* 0: no bound, as OpenSSL reports it */
    uint16_t groups[CLASP_MAX_GROUPS];
    size_t num_groups;
    uint16_t sigalgs[CLASP_MAX_SIGALGS];
    size_t num_sigalgs;
    uint8_t *alpn; /* client ALPN list, wire form; NULL: none */
    size_t alpn_len;
    clasp_certs certs;
    int verify_mode;
    SSL_verify_cb verify_cb;
    X509_VERIFY_PARAM *param;
    X509_STORE *verify_store; /* SSL_CTX_set0_verify_cert_store; NULL: the CTX's */
    long max_cert_list;
    int quiet_shutdown;
    int security_level;
    size_t num_tickets;
    int read_ahead;
    int pha;
    int require_extms; /* SSL_CTX_clasp_require_extms (openssl/clasp.h) */
    uint8_t sid_ctx[SSL_MAX_SID_CTX_LENGTH];
    size_t sid_ctx_len;
    clasp_msg_cb msg_cb;
    void *msg_cb_arg;
} clasp_prefs;

/* The TLS 1.3 suites and the TLS 1.2 cipher list. */
typedef struct {
    uint16_t suites[CLASP_MAX_SUITES];
    size_t num_suites;
    const SSL_CIPHER *tls12[CLASP_MAX_TLS12];
    size_t num_tls12;
    STACK_OF(SSL_CIPHER) *stack; /* both, for SSL_get_ciphers(); rebuilt on change */
} clasp_ciphers;

struct ssl_ctx_st {
    atomic_int references;
    const SSL_METHOD *method;
    OSSL_LIB_CTX *libctx;
    char *propq;
    clasp_crypto *crypto;
    clasp_prefs p;
    clasp_ciphers ciphers;
    X509_STORE *store;
    STACK_OF(X509) *extra_certs; /* SSL_CTX_add_extra_chain_cert() */
    STACK_OF(X509_NAME) *client_ca;
    pem_password_cb *passwd_cb;
    void *passwd_arg;
    clasp_info_cb info_cb;
    SSL_CTX_keylog_cb_func keylog_cb;
    SSL_CTX_alpn_select_cb_func alpn_select_cb;
    void *alpn_select_arg;
    clasp_servername_cb servername_cb;
    void *servername_arg;
    void (*status_cb)(void); /* OCSP stapling callback: kept, never called */
    void *status_arg;
    uint8_t ticket_keys[80];
    int (*new_session_cb)(SSL *, SSL_SESSION *);
    long session_cache_mode;
    long session_cache_size;
    long timeout;
    CRYPTO_EX_DATA ex_data;
};

struct ssl_st {
    atomic_int references;
    SSL_CTX *ctx;         /* current context (SSL_set_SSL_CTX) */
    SSL_CTX *session_ctx; /* the context SSL_new() was given */
    const SSL_METHOD *method;
    clasp_prefs p;
    clasp_ciphers ciphers;
    int own_ciphers; /* 0: the CTX's lists are used (read live) */
    pem_password_cb *passwd_cb;
    void *passwd_arg;
    clasp_info_cb info_cb; /* own; NULL: the CTX's, read live (as OpenSSL) */
    int server;            /* SSL_is_server() */
    int role_set;          /* connect or accept state chosen (OpenSSL's handshake_func) */
    BIO *rbio, *wbio;
    clasp_conn *conn; /* created when the handshake starts */
    clasp_config cfg; /* what conn was given; the arrays live in p / cfg_suites* */
    uint16_t cfg_suites[CLASP_MAX_SUITES];
    uint16_t cfg_suites12[CLASP_MAX_TLS12];
    int rwstate;
    int shutdown;     /* SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN */
    int failed;       /* sticky: a fatal error happened */
    unsigned long fail_err; /* the error it raised, re-raised by later calls */
    int got_close;    /* close_notify (or an EOF taken as one) arrived */
    int need_flush;   /* handshake/alert output written: BIO_flush() the wbio */
    int in_handshake; /* inside SSL_do_handshake (for the info callback's EXIT) */
    /* SSL_write retry state (SSL_R_BAD_WRITE_RETRY) */
    const void *wr_buf;
    size_t wr_len;
    size_t wr_done;
    int wr_pending;
    char *hostname;                 /* client: SNI to send; server: SNI received */
    clasp_identity ids[CLASP_NUM_PKEYS]; /* server: offered to the engine */
    uint8_t alpn_sel[256];          /* server: what the select callback chose */
    size_t alpn_sel_len;
    int key_update; /* SSL_KEY_UPDATE_NONE or the type queued */
    long verify_result;
    X509 *peer_cert;                /* the peer's leaf */
    STACK_OF(X509) *peer_chain;     /* SSL_get_peer_cert_chain(): client: with the
                                     * leaf; server: without (as OpenSSL) */
    STACK_OF(X509) *auto_chain[CLASP_NUM_PKEYS]; /* chains built from the store */
    STACK_OF(X509) *verified_chain; /* from X509_STORE_CTX_get1_chain() */
    SSL_SESSION *session;
    clasp_ticket_key ticket_key; /* server: from the session SSL_CTX's keys (wiped) */
    int hs_count;                   /* handshakes completed (session creation) */
    CRYPTO_EX_DATA ex_data;
};

/* ---- ctx.c ------------------------------------------------------------------ */
/* Copies src into dst (deep: up-refs certificates and keys, duplicates the
 * X509_VERIFY_PARAM and the ALPN list).  Returns 1 or 0 (dst then holds
 * nothing that needs freeing beyond clasp_prefs_cleanup()). */
int clasp_prefs_copy(clasp_prefs *dst, const clasp_prefs *src);
void clasp_prefs_cleanup(clasp_prefs *p);
/* The ALPN list setter shared by SSL and SSL_CTX (OpenSSL's 0 = success). */
int clasp_set_alpn(uint8_t **dst, size_t *dst_len, const unsigned char *protos,
                   unsigned int len);

/* ---- cert.c ------------------------------------------------------------------ */
void clasp_certs_init(clasp_certs *c);
int clasp_certs_copy(clasp_certs *dst, const clasp_certs *src);
void clasp_certs_cleanup(clasp_certs *c);
/* The slot certificates/keys go to, or NULL (SSL_R_UNKNOWN_CERTIFICATE_TYPE). */
clasp_cert_slot *clasp_certs_current(clasp_certs *c);
/* Fills ids with the complete identities of s (leaf and key present) in
 * slot order; returns how many.  Chains come from the slot, else from the
 * CTX's extra chain certificates.  Borrowed pointers. */
size_t clasp_cert_identities(SSL *s, clasp_identity *ids, size_t max);
/* At CLASP_WAIT_VERIFY_PEER: verifies the peer chain as OpenSSL does and
 * answers the engine. */
void clasp_verify_peer(SSL *s);
int clasp_ctrl_chain(clasp_certs *c, int cmd, long larg, void *parg);

/* ---- cipher.c ------------------------------------------------------------------ */
const SSL_CIPHER *clasp_cipher_by_code(uint16_t code);
/* Sets the defaults of a new SSL_CTX. */
int clasp_ciphers_default(clasp_ciphers *c);
int clasp_ciphers_copy(clasp_ciphers *dst, const clasp_ciphers *src);
void clasp_ciphers_cleanup(clasp_ciphers *c);
const clasp_ciphers *clasp_ssl_ciphers(const SSL *s);

/* ---- groups.c ------------------------------------------------------------------ */
/* OpenSSL 3.0's defaults, restricted to what Clasp implements. */
int clasp_groups_default(uint16_t *out, size_t *num);
int clasp_sigalgs_default(uint16_t *out, size_t *num);
/* List parsers: fill out (at most CLASP_MAX_GROUPS / _SIGALGS entries) and
 * return 1, or return 0 with an error queued and out untouched. */
int clasp_parse_groups(const char *str, uint16_t *out, size_t *num);
int clasp_set_groups_nids(const int *nids, size_t count, uint16_t *out, size_t *num);
int clasp_parse_sigalgs(const char *str, uint16_t *out, size_t *num);
int clasp_set_sigalgs_nids(const int *pairs, size_t count, uint16_t *out, size_t *num);
/* NID of a NamedGroup (NID_undef if unknown). */
int clasp_group_nid(uint16_t id);
/* Signature type (EVP_PKEY_*) and hash NID of a SignatureScheme; 0 if unknown. */
int clasp_sigalg_nids(uint16_t code, int *type_nid, int *hash_nid);

/* ---- ssl.c --------------------------------------------------------------------- */
/* Fills s->cfg from the SSL's settings (called when the handshake starts
 * and after SSL_set_SSL_CTX).  Returns 1 or 0. */
int clasp_build_config(SSL *s);
/* The info callback in force for s, or NULL. */
clasp_info_cb clasp_info_callback(const SSL *s);

/* ---- io.c ----------------------------------------------------------------------- */
/* Marks s failed (sticky), remembers the reason on the error queue (one is
 * raised if there is none) and sends the engine's alert best-effort. */
void clasp_fail(SSL *s);

/* ---- sess.c -------------------------------------------------------------------- */
/* Records the negotiated parameters in a fresh SSL_SESSION after the
 * handshake.  Returns 1 or 0. */
int clasp_session_from_conn(SSL *s);
/* Client, at CLASP_WAIT_TICKET: the ticket becomes a new SSL_SESSION (as
 * OpenSSL 3, one per ticket), SSL_get_session()'s from now on, and is
 * handed to the new-session callback.  Returns 1 or 0. */
int clasp_session_on_ticket(SSL *s);
/* The facade's wall clock in milliseconds (ticket ages, RFC 9846 §4.3.11.1). */
uint64_t clasp_now_ms(void);

/* ---- small helpers --------------------------------------------------------------- */
/* Effective version bounds (what the engine is given). */
uint16_t clasp_min_version(const SSL *s);
uint16_t clasp_max_version(const SSL *s);

#endif
