/* Record tampering for the contract tests: see forge.h. */
#include "forge.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#define CT_CCS 20
#define CT_HANDSHAKE 22
#define CT_APP_DATA 23
#define HS_FINISHED 20
#define TAG_LEN 16
#define KEY_LEN 16 /* TLS_AES_128_GCM_SHA256 */
#define IV_LEN 12

void clasp_forge_init(clasp_forge *f, int target_c2s)
{
    memset(f, 0, sizeof(*f));
    f->target_c2s = target_c2s;
}

void clasp_forge_flip_after_ccs(void *arg, int c2s, int index, unsigned char *rec, size_t len)
{
    clasp_forge *f = arg;
    (void)index;
    if (c2s != f->target_c2s || f->done || len <= 5) {
        return;
    }
    if (rec[0] == CT_CCS) {
        f->seen_ccs = 1;
        return;
    }
    if (f->seen_ccs) {
        rec[len - 1] ^= 0x01; /* the last byte: part of the AEAD tag */
        f->done = 1;
    }
}

void clasp_forge_flip_app_data(void *arg, int c2s, int index, unsigned char *rec, size_t len)
{
    clasp_forge *f = arg;
    (void)index;
    if (c2s != f->target_c2s || f->done || len <= 5 || rec[0] != CT_APP_DATA) {
        return;
    }
    if (f->app_seen++ == f->after) {
        rec[5 + (len - 5) / 2] ^= 0x80;
        f->done = 1;
    }
}

/* ---- TLS 1.3 record protection (RFC 9846 §5.2, §5.3, §7.3) -------------------------------- */

/* HKDF-Expand-Label(secret, label, "", out_len) with SHA-256 (§7.1). 1 on success. */
static int expand_label(const unsigned char *secret, size_t secret_len, const char *label,
                        unsigned char *out, size_t out_len)
{
    unsigned char info[64];
    size_t n = 0, label_len = strlen(label);
    info[n++] = (unsigned char)(out_len >> 8);
    info[n++] = (unsigned char)out_len;
    info[n++] = (unsigned char)(6 + label_len);
    memcpy(info + n, "tls13 ", 6);
    n += 6;
    memcpy(info + n, label, label_len);
    n += label_len;
    info[n++] = 0; /* empty context */
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode), OSSL_PARAM_construct_end()};
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
    int ok = ctx != NULL && EVP_KDF_derive(ctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok;
}

/* AES-128-GCM over the record body in place; the header is the AAD (§5.2). 1 on success. */
static int gcm(const clasp_forge *f, int enc, unsigned char *rec, size_t len)
{
    unsigned char key[KEY_LEN], iv[IV_LEN];
    if (len < 5 + TAG_LEN || !expand_label(f->secret, f->secret_len, "key", key, KEY_LEN) ||
        !expand_label(f->secret, f->secret_len, "iv", iv, IV_LEN)) {
        return 0;
    }
    for (int i = 0; i < 8; i++) { /* §5.3: the sequence number XORed into the IV */
        iv[IV_LEN - 1 - i] ^= (unsigned char)(f->seq >> (8 * i));
    }
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char *body = rec + 5, *tag = rec + len - TAG_LEN;
    int body_len = (int)(len - 5 - TAG_LEN), n = 0, ok;
    ok = c != NULL && ctx != NULL && EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc) == 1 &&
         EVP_CipherUpdate(ctx, NULL, &n, rec, 5) == 1 &&
         (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
         EVP_CipherUpdate(ctx, body, &n, body, body_len) == 1 &&
         EVP_CipherFinal_ex(ctx, body + n, &n) == 1 &&
         (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(c);
    return ok;
}

/*
 * Walks the complete handshake messages decrypted so far; changes the Finished message's last
 * byte if it ends in the current record's plaintext [start, start + plain_len). 1 if changed.
 */
static int change_finished(clasp_forge *f, unsigned char *plain, size_t start)
{
    while (f->hs_len - f->next_msg >= 4) {
        const unsigned char *m = f->hs + f->next_msg;
        size_t body = ((size_t)m[1] << 16) | ((size_t)m[2] << 8) | m[3];
        if (f->hs_len - f->next_msg - 4 < body) {
            return 0;
        }
        size_t last = f->next_msg + 4 + body - 1;
        f->next_msg += 4 + body;
        if (m[0] == HS_FINISHED && body > 0 && last >= start) {
            plain[last - start] ^= 0x01;
            return 1;
        }
    }
    return 0;
}

void clasp_forge_finished(void *arg, int c2s, int index, unsigned char *rec, size_t len)
{
    clasp_forge *f = arg;
    (void)index;
    if (c2s != f->target_c2s || f->done || rec[0] != CT_APP_DATA) {
        return;
    }
    if (f->secret_len == 0 || !gcm(f, 0, rec, len)) {
        f->done = 1; /* no key, or no longer the handshake key: give up */
        return;
    }
    unsigned char *plain = rec + 5;
    size_t plain_len = len - 5 - TAG_LEN;
    while (plain_len > 0 && plain[plain_len - 1] == 0) { /* §5.4: strip padding */
        plain_len--;
    }
    if (plain_len > 0 && plain[plain_len - 1] == CT_HANDSHAKE &&
        f->hs_len + plain_len - 1 <= sizeof(f->hs)) {
        size_t start = f->hs_len;
        memcpy(f->hs + f->hs_len, plain, plain_len - 1);
        f->hs_len += plain_len - 1;
        f->forged = change_finished(f, plain, start);
        f->done = f->forged;
    }
    (void)gcm(f, 1, rec, len); /* the same bytes again, or the forged ones */
    f->seq++;
}

/* ---- the server's secrets -------------------------------------------------------------- */

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void keylog(const SSL *ssl, const char *line)
{
    clasp_forge *f = SSL_get_app_data(ssl);
    const char *want = f != NULL && f->target_c2s ? "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
                                                  : "SERVER_HANDSHAKE_TRAFFIC_SECRET ";
    if (f == NULL || strncmp(line, want, strlen(want)) != 0) {
        return;
    }
    const char *hex = strchr(line + strlen(want), ' '); /* after the client random */
    if (hex == NULL) {
        return;
    }
    hex++;
    size_t n = 0;
    while (n < sizeof(f->secret) && hex_value(hex[2 * n]) >= 0 && hex_value(hex[2 * n + 1]) >= 0) {
        f->secret[n] = (unsigned char)(hex_value(hex[2 * n]) << 4 | hex_value(hex[2 * n + 1]));
        n++;
    }
    f->secret_len = n;
}

void clasp_forge_watch_server(clasp_forge *f, SSL *server)
{
    SSL_set_app_data(server, f);
    SSL_CTX_set_keylog_callback(SSL_get_SSL_CTX(server), keylog);
}
