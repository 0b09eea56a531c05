/* Own certificates and keys (one slot per key type, as OpenSSL's CERT),
 * chains, the trust store and the client CA list.  Loading is libcrypto's
 * (PEM / DER, X509_STORE); the rules of which slot a certificate goes to and
 * what a mismatching key does are OpenSSL's ssl_set_cert / ssl_set_pkey. */
#include <string.h>

#include <openssl/pem.h>

#include "api/internal.h"

/* ---- slots ------------------------------------------------------------------------ */

void clasp_certs_init(clasp_certs *c)
{
    memset(c, 0, sizeof(*c));
    c->current = -1;
}

int clasp_certs_copy(clasp_certs *dst, const clasp_certs *src)
{
    clasp_certs_init(dst);
    dst->current = src->current;
    for (int i = 0; i < CLASP_NUM_PKEYS; i++) {
        const clasp_cert_slot *s = &src->slot[i];
        clasp_cert_slot *d = &dst->slot[i];

        if (s->x509 != NULL && X509_up_ref(s->x509)) {
            d->x509 = s->x509;
            d->group = s->group; /* der stays with src: see leaf_der() */
        }
        if (s->key != NULL && EVP_PKEY_up_ref(s->key)) {
            d->key = s->key;
        }
        if (s->chain != NULL) {
            d->chain = X509_chain_up_ref(s->chain);
            if (d->chain == NULL) {
                CLASP_RAISE(ERR_R_MALLOC_FAILURE);
                return 0;
            }
        }
    }
    return 1;
}

void clasp_certs_cleanup(clasp_certs *c)
{
    for (int i = 0; i < CLASP_NUM_PKEYS; i++) {
        X509_free(c->slot[i].x509);
        OPENSSL_free(c->slot[i].der);
        EVP_PKEY_free(c->slot[i].key);
        sk_X509_pop_free(c->slot[i].chain, X509_free);
    }
    clasp_certs_init(c);
}

clasp_cert_slot *clasp_certs_current(clasp_certs *c)
{
    return c->current < 0 ? NULL : &c->slot[c->current];
}

/* The slot for a key's type, or -1 (a type Clasp cannot sign with). */
static int slot_of(const EVP_PKEY *pkey)
{
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        return CLASP_PKEY_RSA;
    }
    if (EVP_PKEY_is_a(pkey, "RSA-PSS")) {
        return CLASP_PKEY_RSA_PSS;
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        return CLASP_PKEY_EC;
    }
    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        return CLASP_PKEY_ED25519;
    }
    return -1;
}

/* The slot's copy of x's DER; none (NULL) when encoding fails, and the
 * Certificate message encodes x itself. */
static void set_der(clasp_cert_slot *slot, X509 *x)
{
    int len;

    OPENSSL_free(slot->der);
    slot->der = NULL; /* i2d_X509 allocates it, on success only */
    len = i2d_X509(x, &slot->der);
    slot->der_len = len > 0 ? (size_t)len : 0;
}

/* ssl_set_cert(): a key already in the slot that does not match the new
 * certificate is dropped, without an error (the usual order is
 * certificate, then key). */
static int set_cert(clasp_certs *c, X509 *x)
{
    EVP_PKEY *pub;
    int i;

    if (x == NULL) {
        CLASP_RAISE(ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    pub = X509_get0_pubkey(x);
    if (pub == NULL) {
        CLASP_RAISE(SSL_R_X509_LIB);
        return 0;
    }
    i = slot_of(pub);
    if (i < 0) {
        CLASP_RAISE(SSL_R_UNKNOWN_CERTIFICATE_TYPE);
        return 0;
    }
    if (i == CLASP_PKEY_EC && !EVP_PKEY_can_sign(pub)) {
        CLASP_RAISE(SSL_R_ECC_CERT_NOT_FOR_SIGNING);
        return 0;
    }
    if (c->slot[i].key != NULL) {
        ERR_set_mark();
        if (!X509_check_private_key(x, c->slot[i].key)) {
            EVP_PKEY_free(c->slot[i].key);
            c->slot[i].key = NULL;
        }
        ERR_pop_to_mark();
    }
    X509_up_ref(x);
    X509_free(c->slot[i].x509);
    c->slot[i].x509 = x;
    c->slot[i].group = clasp_sig_key_group(pub);
    set_der(&c->slot[i], x);
    c->current = i;
    return 1;
}

/* ssl_set_pkey(): a key that does not match the slot's certificate fails
 * (X509_check_private_key() queues the reason). */
static int set_pkey(clasp_certs *c, EVP_PKEY *pkey)
{
    int i;

    if (pkey == NULL) {
        CLASP_RAISE(ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    i = slot_of(pkey);
    if (i < 0) {
        CLASP_RAISE(SSL_R_UNKNOWN_CERTIFICATE_TYPE);
        return 0;
    }
    if (c->slot[i].x509 != NULL && !X509_check_private_key(c->slot[i].x509, pkey)) {
        return 0;
    }
    EVP_PKEY_up_ref(pkey);
    EVP_PKEY_free(c->slot[i].key);
    c->slot[i].key = pkey;
    c->current = i;
    return 1;
}

static int check_private_key(const clasp_certs *c)
{
    const clasp_cert_slot *k = c->current < 0 ? NULL : &c->slot[c->current];

    if (k == NULL || k->x509 == NULL) {
        CLASP_RAISE(SSL_R_NO_CERTIFICATE_ASSIGNED);
        return 0;
    }
    if (k->key == NULL) {
        CLASP_RAISE(SSL_R_NO_PRIVATE_KEY_ASSIGNED);
        return 0;
    }
    return X509_check_private_key(k->x509, k->key);
}

int SSL_CTX_use_certificate(SSL_CTX *ctx, X509 *x)
{
    return set_cert(&ctx->p.certs, x);
}

int SSL_use_certificate(SSL *s, X509 *x)
{
    return set_cert(&s->p.certs, x);
}

int SSL_CTX_use_PrivateKey(SSL_CTX *ctx, EVP_PKEY *pkey)
{
    return set_pkey(&ctx->p.certs, pkey);
}

int SSL_use_PrivateKey(SSL *s, EVP_PKEY *pkey)
{
    return set_pkey(&s->p.certs, pkey);
}

int SSL_CTX_check_private_key(const SSL_CTX *ctx)
{
    return check_private_key(&ctx->p.certs);
}

int SSL_check_private_key(const SSL *s)
{
    return check_private_key(&s->p.certs);
}

X509 *SSL_CTX_get0_certificate(const SSL_CTX *ctx)
{
    return ctx->p.certs.current < 0 ? NULL : ctx->p.certs.slot[ctx->p.certs.current].x509;
}

EVP_PKEY *SSL_CTX_get0_privatekey(const SSL_CTX *ctx)
{
    return ctx->p.certs.current < 0 ? NULL : ctx->p.certs.slot[ctx->p.certs.current].key;
}

X509 *SSL_get_certificate(const SSL *s)
{
    return s->p.certs.current < 0 ? NULL : s->p.certs.slot[s->p.certs.current].x509;
}

EVP_PKEY *SSL_get_privatekey(const SSL *s)
{
    return s->p.certs.current < 0 ? NULL : s->p.certs.slot[s->p.certs.current].key;
}

/* ---- loading from files -------------------------------------------------------------- */

/* Where loaders take the library context and the PEM password from. */
typedef struct {
    clasp_certs *certs;
    OSSL_LIB_CTX *libctx;
    const char *propq;
    pem_password_cb *pw_cb;
    void *pw_arg;
} load_target;

static load_target ctx_target(SSL_CTX *ctx)
{
    load_target t = {&ctx->p.certs, ctx->libctx, ctx->propq, ctx->passwd_cb, ctx->passwd_arg};

    return t;
}

static load_target ssl_target(SSL *s)
{
    load_target t = {&s->p.certs, s->ctx->libctx, s->ctx->propq, s->passwd_cb, s->passwd_arg};

    return t;
}

static BIO *open_file(const char *file)
{
    BIO *in = BIO_new(BIO_s_file());

    if (in == NULL) {
        CLASP_RAISE(ERR_R_BUF_LIB);
        return NULL;
    }
    if (file == NULL || BIO_read_filename(in, file) <= 0) {
        BIO_free(in);
        CLASP_RAISE(ERR_R_SYS_LIB);
        return NULL;
    }
    return in;
}

static int use_certificate_file(load_target t, const char *file, int type)
{
    X509 *x = NULL;
    int reason, ok = 0;
    BIO *in = NULL;

    if (type != SSL_FILETYPE_PEM && type != SSL_FILETYPE_ASN1) {
        CLASP_RAISE(SSL_R_BAD_SSL_FILETYPE);
        return 0;
    }
    in = open_file(file);
    x = in == NULL ? NULL : X509_new_ex(t.libctx, t.propq);
    if (x == NULL) {
        BIO_free(in);
        return 0;
    }
    if (type == SSL_FILETYPE_ASN1) {
        reason = ERR_R_ASN1_LIB;
        ok = d2i_X509_bio(in, &x) != NULL;
    } else {
        reason = ERR_R_PEM_LIB;
        ok = PEM_read_bio_X509(in, &x, t.pw_cb, t.pw_arg) != NULL;
    }
    if (!ok) {
        CLASP_RAISE(reason);
    } else {
        ok = set_cert(t.certs, x);
    }
    X509_free(x);
    BIO_free(in);
    return ok;
}

int SSL_CTX_use_certificate_file(SSL_CTX *ctx, const char *file, int type)
{
    return use_certificate_file(ctx_target(ctx), file, type);
}

int SSL_use_certificate_file(SSL *s, const char *file, int type)
{
    return use_certificate_file(ssl_target(s), file, type);
}

int SSL_CTX_use_certificate_ASN1(SSL_CTX *ctx, int len, const unsigned char *d)
{
    X509 *x = X509_new_ex(ctx->libctx, ctx->propq);
    int ok;

    if (x == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if (d2i_X509(&x, &d, (long)len) == NULL) {
        X509_free(x);
        CLASP_RAISE(ERR_R_ASN1_LIB);
        return 0;
    }
    ok = set_cert(&ctx->p.certs, x);
    X509_free(x);
    return ok;
}

static int use_privatekey_file(load_target t, const char *file, int type)
{
    EVP_PKEY *pkey = NULL;
    BIO *in;
    int ok;

    if (type != SSL_FILETYPE_PEM && type != SSL_FILETYPE_ASN1) {
        CLASP_RAISE(SSL_R_BAD_SSL_FILETYPE);
        return 0;
    }
    in = open_file(file);
    if (in == NULL) {
        return 0;
    }
    if (type == SSL_FILETYPE_PEM) {
        pkey = PEM_read_bio_PrivateKey_ex(in, NULL, t.pw_cb, t.pw_arg, t.libctx, t.propq);
    } else {
        pkey = d2i_PrivateKey_ex_bio(in, NULL, t.libctx, t.propq);
    }
    BIO_free(in);
    if (pkey == NULL) {
        CLASP_RAISE(type == SSL_FILETYPE_PEM ? ERR_R_PEM_LIB : ERR_R_ASN1_LIB);
        return 0;
    }
    ok = set_pkey(t.certs, pkey);
    EVP_PKEY_free(pkey);
    return ok;
}

int SSL_CTX_use_PrivateKey_file(SSL_CTX *ctx, const char *file, int type)
{
    return use_privatekey_file(ctx_target(ctx), file, type);
}

int SSL_use_PrivateKey_file(SSL *s, const char *file, int type)
{
    return use_privatekey_file(ssl_target(s), file, type);
}

/* Appends the remaining PEM certificates of in to the current slot's
 * chain; the end of the file (PEM_R_NO_START_LINE) is not an error. */
static int read_chain(load_target t, BIO *in)
{
    clasp_cert_slot *slot = clasp_certs_current(t.certs);
    unsigned long err;

    sk_X509_pop_free(slot->chain, X509_free);
    slot->chain = sk_X509_new_null();
    if (slot->chain == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 0;
    }
    ERR_set_mark();
    for (;;) {
        X509 *ca = X509_new_ex(t.libctx, t.propq);

        if (ca == NULL || PEM_read_bio_X509(in, &ca, t.pw_cb, t.pw_arg) == NULL) {
            X509_free(ca);
            break;
        }
        if (!sk_X509_push(slot->chain, ca)) {
            X509_free(ca);
            ERR_clear_last_mark();
            CLASP_RAISE(ERR_R_MALLOC_FAILURE);
            return 0;
        }
    }
    err = ERR_peek_last_error();
    if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
        ERR_pop_to_mark();
        return 1;
    }
    ERR_clear_last_mark();
    return 0;
}

static int use_chain_file(load_target t, const char *file)
{
    BIO *in = open_file(file);
    X509 *x = in == NULL ? NULL : X509_new_ex(t.libctx, t.propq);
    int ok = 0;

    if (x == NULL) {
        BIO_free(in);
        return 0;
    }
    if (PEM_read_bio_X509_AUX(in, &x, t.pw_cb, t.pw_arg) == NULL) {
        CLASP_RAISE(ERR_R_PEM_LIB);
    } else if (set_cert(t.certs, x)) {
        ok = read_chain(t, in);
    }
    X509_free(x);
    BIO_free(in);
    return ok;
}

int SSL_CTX_use_certificate_chain_file(SSL_CTX *ctx, const char *file)
{
    return use_chain_file(ctx_target(ctx), file);
}

int SSL_use_certificate_chain_file(SSL *s, const char *file)
{
    return use_chain_file(ssl_target(s), file);
}

/* ---- chains through SSL_CTRL_* ------------------------------------------------------------ */

static int chain_set(clasp_cert_slot *slot, STACK_OF(X509) *sk, int up_ref)
{
    STACK_OF(X509) *chain = NULL;

    if (sk != NULL) {
        chain = up_ref ? X509_chain_up_ref(sk) : sk;
        if (chain == NULL) {
            CLASP_RAISE(ERR_R_MALLOC_FAILURE);
            return 0;
        }
    }
    sk_X509_pop_free(slot->chain, X509_free);
    slot->chain = chain;
    return 1;
}

static int chain_add(clasp_cert_slot *slot, X509 *x, int up_ref)
{
    if (x == NULL) {
        CLASP_RAISE(ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    if (slot->chain == NULL && (slot->chain = sk_X509_new_null()) == NULL) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if (!sk_X509_push(slot->chain, x)) {
        CLASP_RAISE(ERR_R_MALLOC_FAILURE);
        return 0;
    }
    if (up_ref) {
        X509_up_ref(x);
    }
    return 1;
}

/* SSL_CTRL_SELECT_CURRENT_CERT: the slot whose certificate is x. */
static int select_current(clasp_certs *c, X509 *x)
{
    for (int i = 0; i < CLASP_NUM_PKEYS; i++) {
        if (x != NULL && c->slot[i].x509 == x) {
            c->current = i;
            return 1;
        }
    }
    return 0;
}

/* SSL_CTRL_SET_CURRENT_CERT: SSL_CERT_SET_FIRST (1) / SSL_CERT_SET_NEXT (2). */
static int set_current(clasp_certs *c, long op)
{
    int start = op == 1 ? 0 : op == 2 ? c->current + 1 : -1;

    if (start < 0) {
        return 0;
    }
    for (int i = start; i < CLASP_NUM_PKEYS; i++) {
        if (c->slot[i].x509 != NULL) {
            c->current = i;
            return 1;
        }
    }
    return 0;
}

int clasp_ctrl_chain(clasp_certs *c, int cmd, long larg, void *parg)
{
    clasp_cert_slot *slot = clasp_certs_current(c);

    switch (cmd) {
    case SSL_CTRL_SELECT_CURRENT_CERT:
        return select_current(c, parg);
    case SSL_CTRL_SET_CURRENT_CERT:
        return set_current(c, larg);
    default:
        break;
    }
    if (slot == NULL) {
        if (cmd == SSL_CTRL_GET_CHAIN_CERTS) {
            *(STACK_OF(X509) **)parg = NULL;
            return 1;
        }
        return 0; /* OpenSSL: no current certificate, no chain */
    }
    switch (cmd) {
    case SSL_CTRL_CHAIN:
        return chain_set(slot, parg, larg != 0);
    case SSL_CTRL_CHAIN_CERT:
        return chain_add(slot, parg, larg != 0);
    case SSL_CTRL_GET_CHAIN_CERTS:
        *(STACK_OF(X509) **)parg = slot->chain;
        return 1;
    default:
        return 0;
    }
}

/* ---- identities for the engine -------------------------------------------------------------- */

/* OpenSSL's auto-chain (SSL_MODE_NO_AUTO_CHAIN unset, no chain given):
 * the chain X509_verify_cert() builds from the trust store, leaf dropped.
 * Verification errors do not matter here: only the chain is wanted. */
static STACK_OF(X509) *auto_chain(SSL *s, X509 *leaf)
{
    X509_STORE *store = s->p.verify_store != NULL ? s->p.verify_store : s->ctx->store;
    X509_STORE_CTX *xs = X509_STORE_CTX_new_ex(s->ctx->libctx, s->ctx->propq);
    STACK_OF(X509) *chain = NULL;

    ERR_set_mark();
    if (xs != NULL && X509_STORE_CTX_init(xs, store, leaf, NULL)) {
        (void)X509_verify_cert(xs);
        chain = X509_STORE_CTX_get1_chain(xs);
        if (chain != NULL && sk_X509_num(chain) > 0) {
            X509_free(sk_X509_shift(chain));
        }
    }
    ERR_pop_to_mark();
    X509_STORE_CTX_free(xs);
    return chain;
}

/* A slot's key type: the slot was chosen by it (slot_of()). */
static const clasp_key_kind slot_kind[CLASP_NUM_PKEYS] = {
    [CLASP_PKEY_RSA] = CLASP_KEY_RSA,
    [CLASP_PKEY_RSA_PSS] = CLASP_KEY_RSA_PSS,
    [CLASP_PKEY_EC] = CLASP_KEY_EC,
    [CLASP_PKEY_ED25519] = CLASP_KEY_ED25519,
};

/* The slot holding the encoding of s's certificate in slot i: the SSL's
 * own when it was set on the SSL, else the SSL_CTX's while the SSL still
 * has the certificate it copied from there (SSL_new copies no DER, so a
 * connection costs no allocation for it); NULL: encode it per handshake. */
static const clasp_cert_slot *leaf_der(const SSL *s, int i)
{
    const clasp_cert_slot *own = &s->p.certs.slot[i];
    const clasp_cert_slot *shared = &s->ctx->p.certs.slot[i];

    if (own->der != NULL) {
        return own;
    }
    return shared->der != NULL && shared->x509 == own->x509 ? shared : NULL;
}

size_t clasp_cert_identities(SSL *s, clasp_identity *ids, size_t max)
{
    size_t n = 0;
    const clasp_cert_slot *der;

    for (int i = 0; i < CLASP_NUM_PKEYS && n < max; i++) {
        clasp_cert_slot *slot = &s->p.certs.slot[i];
        STACK_OF(X509) *chain = slot->chain;

        if (slot->x509 == NULL || slot->key == NULL) {
            continue;
        }
        if (chain == NULL || sk_X509_num(chain) == 0) {
            chain = s->ctx->extra_certs;
        }
        if ((chain == NULL || sk_X509_num(chain) == 0) && !(s->p.mode & SSL_MODE_NO_AUTO_CHAIN)) {
            sk_X509_pop_free(s->auto_chain[i], X509_free);
            s->auto_chain[i] = auto_chain(s, slot->x509);
            chain = s->auto_chain[i];
        }
        ids[n].leaf = slot->x509;
        ids[n].chain = chain;
        ids[n].key = slot->key;
        ids[n].kind = slot_kind[i];
        ids[n].group = slot->group;
        der = leaf_der(s, i);
        ids[n].leaf_der = der != NULL ? der->der : NULL;
        ids[n].leaf_der_len = der != NULL ? der->der_len : 0;
        n++;
    }
    return n;
}

/* ---- the trust store ------------------------------------------------------------------------ */

int SSL_CTX_load_verify_file(SSL_CTX *ctx, const char *CAfile)
{
    return X509_STORE_load_file_ex(ctx->store, CAfile, ctx->libctx, ctx->propq);
}

int SSL_CTX_load_verify_dir(SSL_CTX *ctx, const char *CApath)
{
    return X509_STORE_load_path(ctx->store, CApath);
}

int SSL_CTX_load_verify_locations(SSL_CTX *ctx, const char *CAfile, const char *CApath)
{
    if (CAfile == NULL && CApath == NULL) {
        return 0;
    }
    if (CAfile != NULL && !SSL_CTX_load_verify_file(ctx, CAfile)) {
        return 0;
    }
    if (CApath != NULL && !SSL_CTX_load_verify_dir(ctx, CApath)) {
        return 0;
    }
    return 1;
}

int SSL_CTX_set_default_verify_paths(SSL_CTX *ctx)
{
    return X509_STORE_set_default_paths_ex(ctx->store, ctx->libctx, ctx->propq);
}

X509_STORE *SSL_CTX_get_cert_store(const SSL_CTX *ctx)
{
    return ctx->store;
}

void SSL_CTX_set_cert_store(SSL_CTX *ctx, X509_STORE *store)
{
    X509_STORE_free(ctx->store);
    ctx->store = store;
}

void SSL_CTX_set1_cert_store(SSL_CTX *ctx, X509_STORE *store)
{
    if (store != NULL) {
        X509_STORE_up_ref(store);
    }
    SSL_CTX_set_cert_store(ctx, store);
}

/* ---- client CA names (RFC 9846 §4.3.4) ------------------------------------------------------- */

/* Recorded and returned; the engine does not send certificate_authorities
 * yet (docs/compat.md). */
void SSL_CTX_set_client_CA_list(SSL_CTX *ctx, STACK_OF(X509_NAME) *list)
{
    sk_X509_NAME_pop_free(ctx->client_ca, X509_NAME_free);
    ctx->client_ca = list;
}

STACK_OF(X509_NAME) *SSL_CTX_get_client_CA_list(const SSL_CTX *ctx)
{
    return ctx->client_ca;
}

/* Server: the list it would send; client: the list received (none yet). */
STACK_OF(X509_NAME) *SSL_get_client_CA_list(const SSL *s)
{
    return s->server ? s->ctx->client_ca : NULL;
}

int SSL_CTX_add_client_CA(SSL_CTX *ctx, X509 *x)
{
    X509_NAME *name;

    if (x == NULL) {
        return 0;
    }
    if (ctx->client_ca == NULL && (ctx->client_ca = sk_X509_NAME_new_null()) == NULL) {
        return 0;
    }
    name = X509_NAME_dup(X509_get_subject_name(x));
    if (name == NULL) {
        return 0;
    }
    if (!sk_X509_NAME_push(ctx->client_ca, name)) {
        X509_NAME_free(name);
        return 0;
    }
    return 1;
}

static int has_name(STACK_OF(X509_NAME) *names, const X509_NAME *n)
{
    for (int i = 0; i < sk_X509_NAME_num(names); i++) {
        if (X509_NAME_cmp(sk_X509_NAME_value(names, i), n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The distinct subject names of the PEM certificates in file, in file
 * order; NULL on error or when there is none. */
STACK_OF(X509_NAME) *SSL_load_client_CA_file(const char *file)
{
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
    BIO *in = open_file(file);
    X509 *x = NULL;

    if (names == NULL || in == NULL) {
        sk_X509_NAME_free(names);
        BIO_free(in);
        return NULL;
    }
    ERR_set_mark();
    while (PEM_read_bio_X509(in, &x, NULL, NULL) != NULL) {
        X509_NAME *n = X509_get_subject_name(x);

        if (!has_name(names, n)) {
            X509_NAME *dup = X509_NAME_dup(n);

            if (dup == NULL || !sk_X509_NAME_push(names, dup)) {
                X509_NAME_free(dup);
                break;
            }
        }
    }
    ERR_pop_to_mark();
    X509_free(x);
    BIO_free(in);
    if (sk_X509_NAME_num(names) == 0) {
        sk_X509_NAME_free(names);
        return NULL;
    }
    return names;
}
