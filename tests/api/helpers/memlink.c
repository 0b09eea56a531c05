/* Client and server over memory BIOs with probe filters: see memlink.h. */
#include "memlink.h"

#include <string.h>

#include <openssl/err.h>

#include "contract.h"

static BIO *mem(void)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (b != NULL) {
        BIO_set_mem_eof_return(b, -1); /* empty: retry, not end of file */
    }
    return b;
}

/* Gives ssl a read and a write BIO, each a probe filter over a memory BIO. */
static int attach(SSL *ssl, BIO **in, BIO **out, clasp_probe_stats *st)
{
    clasp_probe_stats_init(st);
    *in = mem();
    *out = mem();
    if (*in == NULL || *out == NULL) {
        BIO_free(*in);
        BIO_free(*out);
        return 0;
    }
    BIO *r = clasp_probe_bio_new(*in, st);
    BIO *w = clasp_probe_bio_new(*out, st);
    if (r == NULL || w == NULL) {
        BIO_free_all(r);
        BIO_free_all(w);
        return 0;
    }
    SSL_set0_rbio(ssl, r);
    SSL_set0_wbio(ssl, w);
    return 1;
}

int clasp_ml_init(clasp_ml *l, int version, clasp_test_key key, int no_role)
{
    memset(l, 0, sizeof(*l));
    l->sctx = clasp_ct_server_ctx(version, key, no_role);
    l->cctx = clasp_ct_client_ctx(version, no_role);
    if (l->sctx == NULL || l->cctx == NULL) {
        return 0;
    }
    l->c = SSL_new(l->cctx);
    l->s = SSL_new(l->sctx);
    if (l->c == NULL || l->s == NULL || SSL_set1_host(l->c, "localhost") != 1) {
        return 0;
    }
    if (!no_role) {
        SSL_set_connect_state(l->c);
        SSL_set_accept_state(l->s);
    }
    return attach(l->c, &l->c_in, &l->c_out, &l->cio) && attach(l->s, &l->s_in, &l->s_out, &l->sio);
}

size_t clasp_ml_move(clasp_ml *l)
{
    BIO *from[2] = {l->c_out, l->s_out}, *to[2] = {l->s_in, l->c_in};
    size_t total = 0;
    unsigned char buf[4096];
    for (int i = 0; i < 2; i++) {
        int n;
        while ((n = BIO_read(from[i], buf, sizeof(buf))) > 0) {
            if (BIO_write(to[i], buf, n) != n) {
                return total;
            }
            total += (size_t)n;
        }
    }
    return total;
}

int clasp_ml_handshake(clasp_ml *l)
{
    int c = 0, s = 0;
    for (int i = 0; i < 20 && !(c == 1 && s == 1); i++) {
        ERR_clear_error();
        c = c == 1 ? 1 : SSL_do_handshake(l->c);
        s = s == 1 ? 1 : SSL_do_handshake(l->s);
        clasp_ml_move(l);
    }
    unsigned char b;
    if (c == 1 && s == 1) {
        (void)SSL_read(l->c, &b, 1); /* takes in what followed the handshake; nothing else */
    }
    ERR_clear_error();
    return c == 1 && s == 1;
}

void clasp_ml_free(clasp_ml *l)
{
    SSL_free(l->c);
    SSL_free(l->s);
    SSL_CTX_free(l->cctx);
    SSL_CTX_free(l->sctx);
    memset(l, 0, sizeof(*l));
}
