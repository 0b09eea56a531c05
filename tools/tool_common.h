/*
 * tool_common.h — code shared by clasp-client and clasp-server.
 *
 * Each .c file in tools/ becomes its own executable, so the shared code lives here as
 * static functions. It uses only the OpenSSL libssl API (the subset Clasp
 * implements) plus libcrypto, so the tools build against Clasp or, for
 * differential runs, against the system libssl.
 *
 * Output contract (tests grep it, keep it stable): after a handshake the tools
 * print "Name: value" lines on stderr, see tool_print_summary().
 */
#ifndef CLASP_TOOL_COMMON_H
#define CLASP_TOOL_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#if defined(__has_include)
#if __has_include(<openssl/clasp.h>)
#include <openssl/clasp.h> /* Clasp's own additions, when built against Clasp */
#endif
#endif

/* Options both tools understand, spelled as in openssl s_client/s_server. */
struct tool_opts {
    const char *cert_file;     /* -cert: certificate chain (PEM) */
    const char *key_file;      /* -key: private key (PEM); default: -cert */
    const char *ca_file;       /* -CAfile: trust anchors */
    const char *alpn;          /* -alpn: comma-separated protocol list */
    const char *ciphersuites;  /* -ciphersuites: TLS 1.3 suites */
    const char *cipher_list;   /* -cipher: TLS 1.2 cipher list */
    const char *groups;        /* -groups / -curves */
    const char *sigalgs;       /* -sigalgs */
    const char *keylog_file;   /* -keylogfile */
    const char *servername;    /* -servername */
    int min_version;           /* 0 = library default */
    int max_version;
    int verify_return_error;   /* -verify_return_error */
    int quiet;                 /* -quiet: no summary, only errors */
    int brief;                 /* -brief: the summary only */
    int msg;                   /* -msg: trace handshake messages */
    int require_extms;         /* -require_extms (Clasp only): RFC 7627 required */
};

/* The keylog file is process-wide: the callback has no user argument. */
static FILE *tool_keylog_fp;

/* ---- small helpers ------------------------------------------------------- */

static inline uint64_t tool_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline int tool_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0) {
        return 0;
    }
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/* Returns 1 if the string is an IPv4 or IPv6 literal (no SNI, RFC 6066 §3). */
static inline int tool_is_ip_literal(const char *s)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/*
 * Splits "host:port", "[v6]:port" or "port" into host (malloc'd, caller frees)
 * and port (points into spec). default_host is used when spec is a bare port.
 * Returns 1 on success, 0 on a malformed spec.
 */
static inline int tool_split_hostport(const char *spec, const char *default_host,
                               char **out_host, const char **out_port)
{
    const char *colon = strrchr(spec, ':');
    const char *host = spec;
    size_t host_len;

    if (colon == NULL) {
        *out_host = strdup(default_host);
        *out_port = spec;
        return *out_host != NULL && *spec != '\0';
    }
    host_len = (size_t)(colon - spec);
    if (host_len >= 2 && spec[0] == '[' && spec[host_len - 1] == ']') {
        host++;
        host_len -= 2;
    }
    if (host_len == 0) {
        *out_host = strdup(default_host);
    } else {
        *out_host = strndup(host, host_len);
    }
    *out_port = colon + 1;
    return *out_host != NULL && **out_port != '\0';
}

/* Parses "TLSv1.2"/"TLSv1.3" (as in -min_protocol). Returns 0 if unknown. */
static inline int tool_parse_version(const char *s)
{
    if (strcmp(s, "TLSv1.2") == 0) {
        return TLS1_2_VERSION;
    }
    if (strcmp(s, "TLSv1.3") == 0) {
        return TLS1_3_VERSION;
    }
    return 0;
}

/*
 * Converts "h2,http/1.1" to the ALPN wire form (RFC 7301 §3.1: each name
 * prefixed by its one-byte length). Returns a malloc'd buffer (caller frees)
 * and its length in *out_len, or NULL if a name is empty or too long.
 */
static inline unsigned char *tool_alpn_wire(const char *list, unsigned int *out_len)
{
    size_t n = strlen(list);
    unsigned char *out = malloc(n + 1);
    size_t start = 0, o = 0;

    if (out == NULL) {
        return NULL;
    }
    for (size_t i = 0; i <= n; i++) {
        if (i < n && list[i] != ',') {
            continue;
        }
        size_t len = i - start;
        if (len == 0 || len > 255) {
            free(out);
            return NULL;
        }
        out[o++] = (unsigned char)len;
        memcpy(out + o, list + start, len);
        o += len;
        start = i + 1;
    }
    *out_len = (unsigned int)o;
    return out;
}

/*
 * Waits until the socket can make progress for the given SSL_get_error() code.
 * Returns 1 when ready, 0 on timeout, -1 on a poll error. timeout_ms < 0 waits
 * forever.
 */
static inline int tool_wait(int fd, int ssl_err, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = 0, .revents = 0 };
    int rc;

    p.events = ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
    do {
        rc = poll(&p, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        return -1;
    }
    return rc > 0;
}

/* ---- option parsing ------------------------------------------------------ */

/*
 * Handles an option both tools share. *i indexes argv[] and is advanced past
 * an option's argument. Returns 1 if consumed, 0 if not a shared option, -1
 * if the option lacks its argument or has a bad value.
 */
static inline int tool_parse_common(struct tool_opts *o, int argc, char **argv, int *i)
{
    const char *opt = argv[*i];
    const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    static const struct {
        const char *name;
        size_t offset;
    } string_opts[] = {
        { "-cert", offsetof(struct tool_opts, cert_file) },
        { "-key", offsetof(struct tool_opts, key_file) },
        { "-CAfile", offsetof(struct tool_opts, ca_file) },
        { "-alpn", offsetof(struct tool_opts, alpn) },
        { "-ciphersuites", offsetof(struct tool_opts, ciphersuites) },
        { "-cipher", offsetof(struct tool_opts, cipher_list) },
        { "-groups", offsetof(struct tool_opts, groups) },
        { "-curves", offsetof(struct tool_opts, groups) },
        { "-sigalgs", offsetof(struct tool_opts, sigalgs) },
        { "-keylogfile", offsetof(struct tool_opts, keylog_file) },
        { "-servername", offsetof(struct tool_opts, servername) },
    };

    for (size_t k = 0; k < sizeof(string_opts) / sizeof(string_opts[0]); k++) {
        if (strcmp(opt, string_opts[k].name) == 0) {
            if (val == NULL) {
                return -1;
            }
            *(const char **)((char *)o + string_opts[k].offset) = val;
            (*i)++;
            return 1;
        }
    }
    if (strcmp(opt, "-tls1_2") == 0 || strcmp(opt, "-tls1_3") == 0) {
        o->min_version = opt[6] == '2' ? TLS1_2_VERSION : TLS1_3_VERSION;
        o->max_version = o->min_version;
        return 1;
    }
    if (strcmp(opt, "-min_protocol") == 0 || strcmp(opt, "-max_protocol") == 0) {
        int v = val != NULL ? tool_parse_version(val) : 0;
        if (v == 0) {
            return -1;
        }
        *(opt[2] == 'i' ? &o->min_version : &o->max_version) = v;
        (*i)++;
        return 1;
    }
    if (strcmp(opt, "-verify_return_error") == 0) {
        o->verify_return_error = 1;
    } else if (strcmp(opt, "-quiet") == 0) {
        o->quiet = 1;
    } else if (strcmp(opt, "-brief") == 0) {
        o->brief = 1;
    } else if (strcmp(opt, "-msg") == 0) {
        o->msg = 1;
    } else if (strcmp(opt, "-require_extms") == 0) {
        o->require_extms = 1;
    } else {
        return 0;
    }
    return 1;
}

static const char tool_common_usage[] =
    " -cert file            certificate chain (PEM, leaf first)\n"
    " -key file             private key (PEM); default: the -cert file\n"
    " -CAfile file          trust anchors for verifying the peer\n"
    " -verify_return_error  abort the handshake when verification fails\n"
    " -servername name      client: SNI to send; server: name to expect\n"
    " -alpn list            comma-separated ALPN protocols, e.g. h2,http/1.1\n"
    " -tls1_2, -tls1_3      only this protocol version\n"
    " -min_protocol v, -max_protocol v   TLSv1.2 or TLSv1.3\n"
    " -ciphersuites list    TLS 1.3 cipher suites (colon-separated)\n"
    " -cipher list          TLS 1.2 cipher list\n"
    " -groups list          key exchange groups, preferred first (also -curves)\n"
    " -sigalgs list         signature algorithms\n"
    " -keylogfile file      append NSS key log lines (for Wireshark)\n"
    " -msg                  trace handshake messages on stderr\n"
    " -require_extms        TLS 1.2: refuse a peer without extended master secret (Clasp only)\n"
    " -brief                print only the connection summary\n"
    " -quiet                print no summary, only errors\n";

/* ---- callbacks ----------------------------------------------------------- */

static inline void tool_keylog_cb(const SSL *ssl, const char *line)
{
    (void)ssl;
    if (tool_keylog_fp != NULL) {
        fprintf(tool_keylog_fp, "%s\n", line);
        fflush(tool_keylog_fp);
    }
}

/* Handshake message names by HandshakeType (RFC 9846 §4). */
static inline const char *tool_hs_name(int type)
{
    switch (type) {
    case 0: return "HelloRequest";
    case 1: return "ClientHello";
    case 2: return "ServerHello";
    case 4: return "NewSessionTicket";
    case 5: return "EndOfEarlyData";
    case 8: return "EncryptedExtensions";
    case 11: return "Certificate";
    case 12: return "ServerKeyExchange";
    case 13: return "CertificateRequest";
    case 14: return "ServerHelloDone";
    case 15: return "CertificateVerify";
    case 16: return "ClientKeyExchange";
    case 20: return "Finished";
    case 24: return "KeyUpdate";
    case 254: return "MessageHash";
    default: return "Unknown";
    }
}

/* RFC 9846 §4.2.3: a ServerHello with this random is a HelloRetryRequest. */
static inline int tool_is_hrr(const unsigned char *msg, size_t len)
{
    static const unsigned char hrr_random[32] = {
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
        0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
        0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    };

    /* type(1) length(3) legacy_version(2) random(32) */
    return len >= 38 && msg[0] == 2 && memcmp(msg + 6, hrr_random, 32) == 0;
}

/*
 * -msg: one line per handshake message, alert or ChangeCipherSpec, e.g.
 * ">>> Handshake ClientHello, length 243" (sent) or "<<< Alert fatal:
 * handshake failure" (received). Record headers and inner content types that
 * OpenSSL also reports are skipped.
 */
static inline void tool_msg_cb(int write_p, int version, int content_type,
                        const void *buf, size_t len, SSL *ssl, void *arg)
{
    const unsigned char *p = buf;
    const char *dir = write_p ? ">>>" : "<<<";

    (void)version;
    (void)ssl;
    (void)arg;
    if (content_type == SSL3_RT_HANDSHAKE && len >= 4) {
        const char *name = tool_is_hrr(p, len) ? "HelloRetryRequest" : tool_hs_name(p[0]);
        fprintf(stderr, "%s Handshake %s, length %zu\n", dir, name, len - 4);
    } else if (content_type == SSL3_RT_ALERT && len == 2) {
        fprintf(stderr, "%s Alert %s: %s\n", dir, p[0] == 2 ? "fatal" : "warning",
                SSL_alert_desc_string_long(p[1]));
    } else if (content_type == SSL3_RT_CHANGE_CIPHER_SPEC) {
        fprintf(stderr, "%s ChangeCipherSpec\n", dir);
    }
}

/* ---- context setup ------------------------------------------------------- */

/* Reports a failed setup step with the library's error queue. Returns 0. */
static inline int tool_setup_error(const char *what, const char *arg)
{
    fprintf(stderr, "error: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
    ERR_print_errors_fp(stderr);
    return 0;
}

static inline int tool_configure_algorithms(SSL_CTX *ctx, const struct tool_opts *o)
{
    if (o->min_version != 0 && !SSL_CTX_set_min_proto_version(ctx, o->min_version)) {
        return tool_setup_error("cannot set the minimum version", NULL);
    }
    if (o->max_version != 0 && !SSL_CTX_set_max_proto_version(ctx, o->max_version)) {
        return tool_setup_error("cannot set the maximum version", NULL);
    }
    if (o->ciphersuites != NULL && !SSL_CTX_set_ciphersuites(ctx, o->ciphersuites)) {
        return tool_setup_error("bad -ciphersuites", o->ciphersuites);
    }
    if (o->cipher_list != NULL && !SSL_CTX_set_cipher_list(ctx, o->cipher_list)) {
        return tool_setup_error("bad -cipher", o->cipher_list);
    }
    if (o->groups != NULL && !SSL_CTX_set1_groups_list(ctx, o->groups)) {
        return tool_setup_error("bad -groups", o->groups);
    }
    if (o->sigalgs != NULL && !SSL_CTX_set1_sigalgs_list(ctx, o->sigalgs)) {
        return tool_setup_error("bad -sigalgs", o->sigalgs);
    }
    if (o->require_extms) {
#ifdef SSL_CTRL_CLASP_REQUIRE_EXTMS
        SSL_CTX_clasp_require_extms(ctx, 1);
#else
        return tool_setup_error("-require_extms needs Clasp (openssl/clasp.h)", NULL);
#endif
    }
    return 1;
}

/* Loads -cert/-key (when given) and the trust anchors. */
static inline int tool_configure_credentials(SSL_CTX *ctx, const struct tool_opts *o,
                                      int need_trust)
{
    const char *key = o->key_file != NULL ? o->key_file : o->cert_file;

    if (o->cert_file != NULL) {
        if (!SSL_CTX_use_certificate_chain_file(ctx, o->cert_file)) {
            return tool_setup_error("cannot load certificate", o->cert_file);
        }
        if (!SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM)) {
            return tool_setup_error("cannot load private key", key);
        }
        if (!SSL_CTX_check_private_key(ctx)) {
            return tool_setup_error("private key does not match the certificate", key);
        }
    }
    if (o->ca_file != NULL) {
        if (!SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL)) {
            return tool_setup_error("cannot load CA file", o->ca_file);
        }
    } else if (need_trust && !SSL_CTX_set_default_verify_paths(ctx)) {
        return tool_setup_error("cannot load the default trust store", NULL);
    }
    return 1;
}

static inline int tool_configure_tracing(SSL_CTX *ctx, const struct tool_opts *o)
{
    if (o->keylog_file != NULL) {
        tool_keylog_fp = fopen(o->keylog_file, "a");
        if (tool_keylog_fp == NULL) {
            fprintf(stderr, "error: cannot open %s: %s\n", o->keylog_file, strerror(errno));
            return 0;
        }
        SSL_CTX_set_keylog_callback(ctx, tool_keylog_cb);
    }
    if (o->msg) {
        SSL_CTX_set_msg_callback(ctx, tool_msg_cb);
    }
    return 1;
}

/* ---- handshake and I/O --------------------------------------------------- */

/* Prints why an SSL call failed: the error class, errno, and the queue. */
static inline void tool_report_ssl_error(SSL *ssl, int ret, const char *what)
{
    int err = SSL_get_error(ssl, ret);

    switch (err) {
    case SSL_ERROR_SYSCALL:
        if (errno != 0) {
            fprintf(stderr, "error: %s: %s\n", what, strerror(errno));
        } else {
            fprintf(stderr, "error: %s: unexpected EOF from peer\n", what);
        }
        break;
    case SSL_ERROR_ZERO_RETURN:
        fprintf(stderr, "error: %s: peer closed the connection\n", what);
        break;
    case SSL_ERROR_SSL:
        fprintf(stderr, "error: %s: TLS error\n", what);
        break;
    default:
        fprintf(stderr, "error: %s: SSL_get_error %d\n", what, err);
        break;
    }
    ERR_print_errors_fp(stderr);
}

/*
 * Runs SSL_connect (client) or SSL_accept (server) on a non-blocking socket to
 * completion, waiting with poll() as SSL_get_error() asks. Returns 1 on
 * success; on failure prints the reason and returns 0.
 */
static inline int tool_handshake(SSL *ssl, int fd, int is_server, int timeout_ms)
{
    for (;;) {
        int ret, err;
        /* The state the failing call started in says more than the final "error". */
        const char *state = SSL_state_string_long(ssl);

        ERR_clear_error();
        errno = 0;
        ret = is_server ? SSL_accept(ssl) : SSL_connect(ssl);
        if (ret == 1) {
            return 1;
        }
        err = SSL_get_error(ssl, ret);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
            fprintf(stderr, "Handshake failed (last state: %s)\n", state);
            tool_report_ssl_error(ssl, ret, "handshake");
            return 0;
        }
        int w = tool_wait(fd, err, timeout_ms);
        if (w <= 0) {
            fprintf(stderr, "error: handshake: %s\n", w == 0 ? "timed out" : strerror(errno));
            return 0;
        }
    }
}

/* Writes all of buf (SSL_write retried with the same arguments). Returns 1/0. */
static inline int tool_write_all(SSL *ssl, int fd, const void *buf, int len)
{
    while (len > 0) {
        int ret, err;

        ERR_clear_error();
        ret = SSL_write(ssl, buf, len);
        if (ret > 0) {
            buf = (const char *)buf + ret;
            len -= ret;
            continue;
        }
        err = SSL_get_error(ssl, ret);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
            tool_report_ssl_error(ssl, ret, "write");
            return 0;
        }
        if (tool_wait(fd, err, -1) < 0) {
            return 0;
        }
    }
    return 1;
}

/* ---- the connection summary ---------------------------------------------- */

/* Key-exchange group names as the -groups option spells them. */
static inline const char *tool_group_name(int nid, char *buf, size_t buf_len)
{
    switch (nid) {
    case NID_X25519: return "X25519";
    case NID_X448: return "X448";
    case NID_X9_62_prime256v1: return "P-256";
    case NID_secp384r1: return "P-384";
    case NID_secp521r1: return "P-521";
    case NID_ffdhe2048: return "ffdhe2048";
    case NID_ffdhe3072: return "ffdhe3072";
    case NID_ffdhe4096: return "ffdhe4096";
    case NID_undef: return "none";
    default: break;
    }
    /* OpenSSL marks groups without a NID by setting bit 24 over the code point. */
    if (nid & 0x1000000) {
        snprintf(buf, buf_len, "unknown(0x%04x)", nid & 0xffff);
        return buf;
    }
    return OBJ_nid2sn(nid);
}

static inline const char *tool_sigtype_name(int nid)
{
    switch (nid) {
    case EVP_PKEY_RSA: return "RSA";
    case EVP_PKEY_RSA_PSS: return "RSA-PSS";
    case EVP_PKEY_EC: return "ECDSA";
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_ED448: return "Ed448";
    default: return OBJ_nid2sn(nid);
    }
}

static inline void tool_print_name(FILE *out, const char *label, const X509_NAME *name)
{
    fprintf(out, "%s: ", label);
    X509_NAME_print_ex_fp(out, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    fputc('\n', out);
}

static inline void tool_print_peer(FILE *out, SSL *ssl, int verbose)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    int sig_nid = NID_undef;

    if (peer == NULL) {
        fprintf(out, "Peer certificate: none\n");
        return;
    }
    tool_print_name(out, "Peer certificate", X509_get_subject_name(peer));
    if (verbose) {
        tool_print_name(out, "Peer issuer", X509_get_issuer_name(peer));
    }
    if (SSL_get_peer_signature_type_nid(ssl, &sig_nid)) {
        fprintf(out, "Peer signature type: %s\n", tool_sigtype_name(sig_nid));
    }
    long v = SSL_get_verify_result(ssl);
    if (v == X509_V_OK) {
        fprintf(out, "Verification: OK\n");
    } else {
        fprintf(out, "Verification error: %s\n", X509_verify_cert_error_string(v));
    }
    X509_free(peer);
}

static inline void tool_print_alpn(FILE *out, SSL *ssl)
{
    const unsigned char *proto = NULL;
    unsigned int proto_len = 0;

    SSL_get0_alpn_selected(ssl, &proto, &proto_len);
    if (proto_len == 0) {
        fprintf(out, "ALPN protocol: none\n");
    } else {
        fprintf(out, "ALPN protocol: %.*s\n", (int)proto_len, (const char *)proto);
    }
}

/*
 * The greppable summary, one "Name: value" per line:
 *   Protocol version, Ciphersuite, Negotiated group, Peer temp key,
 *   Peer certificate (+ Peer issuer when verbose), Peer signature type,
 *   Verification, ALPN protocol, Server name, Handshake time.
 */
static inline void tool_print_summary(FILE *out, SSL *ssl, uint64_t hs_us, int verbose)
{
    char buf[32];
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    EVP_PKEY *tmp = NULL;

    fprintf(out, "Protocol version: %s\n", SSL_get_version(ssl));
    fprintf(out, "Ciphersuite: %s\n", c != NULL ? SSL_CIPHER_get_name(c) : "none");
    if (verbose && c != NULL) {
        fprintf(out, "Ciphersuite (IANA): %s\n", SSL_CIPHER_standard_name(c));
    }
    fprintf(out, "Negotiated group: %s\n",
            tool_group_name((int)SSL_get_negotiated_group(ssl), buf, sizeof(buf)));
    if (SSL_get_peer_tmp_key(ssl, &tmp) && tmp != NULL) {
        char group[64];
        /* EC keys name their curve; X25519/X448 keys are named by their type. */
        if (!EVP_PKEY_get_group_name(tmp, group, sizeof(group), NULL)) {
            snprintf(group, sizeof(group), "%s", OBJ_nid2sn(EVP_PKEY_get_base_id(tmp)));
        }
        fprintf(out, "Peer temp key: %s, %d bits\n", group, EVP_PKEY_get_bits(tmp));
        EVP_PKEY_free(tmp);
    }
    tool_print_peer(out, ssl, verbose);
    tool_print_alpn(out, ssl);
    fprintf(out, "Server name: %s\n", sni != NULL ? sni : "none");
    if (hs_us != 0) {
        fprintf(out, "Handshake time: %llu us\n", (unsigned long long)hs_us);
    }
    fflush(out);
}

#endif /* CLASP_TOOL_COMMON_H */
