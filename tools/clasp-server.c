/*
 * clasp-server — a TLS server in the manner of `openssl s_server`.
 *
 * Listens (default 127.0.0.1:4433; "-accept 127.0.0.1:0" picks a free port)
 * and prints "ACCEPT host:port" on stdout once ready. Serves connections one
 * after another until killed or until -naccept N connections were served:
 * each handshake's summary goes to stderr, then the server echoes what it
 * receives, or with -www answers an HTTP GET with a plain-text status page.
 * A connection that fails is reported on stderr and the server goes on; the
 * exit status is non-zero if any connection failed.
 *
 * Written against the OpenSSL libssl API only; see tool_common.h.
 */
#include "tool_common.h"

#include <signal.h>
#include <strings.h>

#define HANDSHAKE_TIMEOUT_MS 30000
#define REQUEST_TIMEOUT_MS 10000
/* How long to wait for the client's close_notify after sending ours. */
#define LINGER_MS 1000

struct server_opts {
    struct tool_opts common;
    const char *accept;     /* -accept [host:]port */
    int www;                /* -www: HTTP status page instead of echo */
    int naccept;            /* -naccept N: stop after N connections; 0 = never */
    int verify;             /* -verify N / -Verify N: request a client certificate */
    int verify_required;    /* -Verify: fail without one */
    int servername_fatal;   /* -servername_fatal: SNI mismatch is fatal */
};

/* The callbacks' view of the options (the servername callback has no arg). */
static const struct server_opts *g_opts;

struct alpn_prefs {
    unsigned char *wire;
    unsigned int len;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: clasp-server -cert file [options]\n"
            " -accept [host:]port   where to listen (default 127.0.0.1:4433;\n"
            "                       port 0 picks a free one, see the ACCEPT line)\n"
            " -www                  answer GET with a plain-text status page\n"
            " -naccept N            exit after N connections\n"
            " -verify N             request a client certificate (verified, depth ignored)\n"
            " -Verify N             require a client certificate\n"
            " -servername_fatal     with -servername: refuse other SNI names\n"
            "%s",
            tool_common_usage);
}

static int parse_int_opt(int argc, char **argv, int *i, int *out)
{
    char *end = NULL;
    long v;

    if (*i + 1 >= argc) {
        return 0;
    }
    v = strtol(argv[*i + 1], &end, 10);
    if (*end != '\0' || v < 0 || v > 1000000) {
        return 0;
    }
    *out = (int)v;
    (*i)++;
    return 1;
}

/* Handles the server-only options. Returns 1 if consumed, 0 if unknown/bad. */
static int parse_server_opt(struct server_opts *o, int argc, char **argv, int *i)
{
    const char *opt = argv[*i];

    if (strcmp(opt, "-accept") == 0 && *i + 1 < argc) {
        o->accept = argv[++(*i)];
    } else if (strcmp(opt, "-www") == 0) {
        o->www = 1;
    } else if (strcmp(opt, "-naccept") == 0) {
        return parse_int_opt(argc, argv, i, &o->naccept);
    } else if (strcmp(opt, "-verify") == 0 || strcmp(opt, "-Verify") == 0) {
        o->verify = 1;
        o->verify_required = opt[1] == 'V';
        int depth;
        return parse_int_opt(argc, argv, i, &depth);
    } else if (strcmp(opt, "-servername_fatal") == 0) {
        o->servername_fatal = 1;
    } else {
        return 0;
    }
    return 1;
}

/* Returns 1 and fills *o, or 0 after printing what is wrong. */
static int parse_args(struct server_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        int rc = tool_parse_common(&o->common, argc, argv, &i);

        if (rc == 0 && (strcmp(opt, "-help") == 0 || strcmp(opt, "-h") == 0)) {
            usage(stdout);
            exit(0);
        }
        if (rc == 0) {
            rc = parse_server_opt(o, argc, argv, &i) ? 1 : -1;
        }
        if (rc < 0) {
            fprintf(stderr, "clasp-server: unknown option or bad argument: %s\n", opt);
            usage(stderr);
            return 0;
        }
    }
    if (o->common.cert_file == NULL) {
        fprintf(stderr, "clasp-server: -cert is required\n");
        return 0;
    }
    return 1;
}

/* ---- callbacks ----------------------------------------------------------- */

/* With -servername NAME: check the client's SNI (RFC 6066 §3). */
static int servername_cb(SSL *ssl, int *al, void *arg)
{
    const char *want = g_opts->common.servername;
    const char *got = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

    (void)arg;
    if (want == NULL || got == NULL || strcasecmp(want, got) == 0) {
        return SSL_TLSEXT_ERR_OK;
    }
    fprintf(stderr, "SNI mismatch: client asked for %s, expected %s\n", got, want);
    if (g_opts->servername_fatal) {
        *al = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

/* Picks the first of our -alpn protocols that the client offers (RFC 7301 §3.2). */
static int alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *out_len,
                          const unsigned char *in, unsigned int in_len, void *arg)
{
    const struct alpn_prefs *prefs = arg;
    unsigned char *sel = NULL;
    unsigned char sel_len = 0;

    (void)ssl;
    if (SSL_select_next_proto(&sel, &sel_len, prefs->wire, prefs->len, in, in_len) !=
        OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK; /* like s_server: go on without ALPN */
    }
    *out = sel;
    *out_len = sel_len;
    return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *make_ctx(const struct server_opts *o, struct alpn_prefs *alpn)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int mode = SSL_VERIFY_NONE;

    if (ctx == NULL) {
        tool_setup_error("SSL_CTX_new", NULL);
        return NULL;
    }
    if (o->verify) {
        mode = SSL_VERIFY_PEER | (o->verify_required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    }
    SSL_CTX_set_verify(ctx, mode, NULL);
    if (!tool_configure_algorithms(ctx, &o->common) ||
        !tool_configure_credentials(ctx, &o->common, o->verify) ||
        !tool_configure_tracing(ctx, &o->common)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
    if (o->common.alpn != NULL) {
        alpn->wire = tool_alpn_wire(o->common.alpn, &alpn->len);
        if (alpn->wire == NULL) {
            tool_setup_error("bad -alpn", o->common.alpn);
            SSL_CTX_free(ctx);
            return NULL;
        }
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, alpn);
    }
    return ctx;
}

/* ---- listening ----------------------------------------------------------- */

static void print_accept_line(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST], port[NI_MAXSERV];

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        printf("ACCEPT\n");
    } else if (ss.ss_family == AF_INET6) {
        printf("ACCEPT [%s]:%s\n", host, port);
    } else {
        printf("ACCEPT %s:%s\n", host, port);
    }
    fflush(stdout);
}

/* Binds and listens on -accept. Returns the socket or -1. */
static int tcp_listen(const char *spec)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE };
    struct addrinfo *res = NULL;
    char *host = NULL;
    const char *port = NULL;
    int fd = -1, rc, one = 1;

    if (!tool_split_hostport(spec, "127.0.0.1", &host, &port)) {
        fprintf(stderr, "error: bad -accept %s\n", spec);
        free(host);
        return -1;
    }
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "error: %s:%s: %s\n", host, port, gai_strerror(rc));
        free(host);
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        fprintf(stderr, "error: cannot listen on %s:%s: %s\n", host, port, strerror(errno));
    }
    freeaddrinfo(res);
    free(host);
    return fd;
}

/* ---- serving one connection ---------------------------------------------- */

/*
 * One SSL_read with waiting. Returns bytes read (> 0), 0 when the client sent
 * close_notify, -1 on error or timeout (reported on stderr).
 */
static int read_some(SSL *ssl, int fd, char *buf, int len, int timeout_ms)
{
    for (;;) {
        int ret, err;

        ERR_clear_error();
        errno = 0;
        ret = SSL_read(ssl, buf, len);
        if (ret > 0) {
            return ret;
        }
        err = SSL_get_error(ssl, ret);
        if (err == SSL_ERROR_ZERO_RETURN) {
            return 0;
        }
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
            tool_report_ssl_error(ssl, ret, "read");
            return -1;
        }
        int w = tool_wait(fd, err, timeout_ms);
        if (w <= 0) {
            fprintf(stderr, "error: read: %s\n", w == 0 ? "timed out" : strerror(errno));
            return -1;
        }
    }
}

/* Echo mode: send back whatever arrives until the client closes. */
static int serve_echo(SSL *ssl, int fd)
{
    char buf[16384];

    for (;;) {
        int n = read_some(ssl, fd, buf, sizeof(buf), -1);
        if (n == 0) {
            return 1;
        }
        if (n < 0 || !tool_write_all(ssl, fd, buf, n)) {
            return 0;
        }
    }
}

/* Builds the -www page: the summary lines, as the client sees them too. */
static char *status_page(SSL *ssl, size_t *out_len)
{
    char *page = NULL;
    FILE *mem = open_memstream(&page, out_len);

    if (mem == NULL) {
        return NULL;
    }
    fprintf(mem, "clasp-server status\n\n");
    tool_print_summary(mem, ssl, 0, 1);
    fclose(mem);
    return page;
}

/* -www: read one request head, answer GET with the status page. */
static int serve_www(SSL *ssl, int fd)
{
    char req[8192];
    int used = 0;
    static const char bad[] = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n"
                              "Connection: close\r\n\r\nbad request\n";

    while (used < (int)sizeof(req) - 1) {
        int n = read_some(ssl, fd, req + used, (int)sizeof(req) - 1 - used, REQUEST_TIMEOUT_MS);
        if (n <= 0) {
            return n == 0;
        }
        used += n;
        req[used] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL) {
            break;
        }
    }
    if (strncmp(req, "GET ", 4) != 0) {
        return tool_write_all(ssl, fd, bad, (int)sizeof(bad) - 1);
    }
    size_t page_len = 0;
    char *page = status_page(ssl, &page_len);
    static const char head[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                               "Connection: close\r\n\r\n";
    int ok = page != NULL && tool_write_all(ssl, fd, head, (int)sizeof(head) - 1) &&
             tool_write_all(ssl, fd, page, (int)page_len);
    free(page);
    return ok;
}

/*
 * Sends close_notify and gives the client a moment to answer, so that closing
 * the socket does not turn unread bytes into a TCP reset that could destroy
 * data the client has not read yet.
 */
static void close_gracefully(SSL *ssl, int fd)
{
    char buf[1024];

    if (SSL_shutdown(ssl) < 0) {
        return;
    }
    shutdown(fd, SHUT_WR);
    while (tool_wait(fd, SSL_ERROR_WANT_READ, LINGER_MS) > 0) {
        int ret = SSL_read(ssl, buf, sizeof(buf));
        if (ret <= 0 && SSL_get_error(ssl, ret) != SSL_ERROR_WANT_READ) {
            break;
        }
    }
}

/* Handshake, then echo or -www. Returns 1 if the connection went well. */
static int serve_one(SSL_CTX *ctx, int fd, const struct server_opts *o)
{
    SSL *ssl = SSL_new(ctx);
    uint64_t t0 = tool_now_us();
    int ok;

    if (ssl == NULL || !tool_set_nonblocking(fd) || !SSL_set_fd(ssl, fd)) {
        SSL_free(ssl);
        return tool_setup_error("cannot set up the connection", NULL);
    }
    ok = tool_handshake(ssl, fd, 1, HANDSHAKE_TIMEOUT_MS);
    if (ok) {
        uint64_t hs_us = tool_now_us() - t0;
        if (!o->common.quiet) {
            fprintf(stderr, "CONNECTION ESTABLISHED\n");
            tool_print_summary(stderr, ssl, hs_us, !o->common.brief);
        }
        ok = o->www ? serve_www(ssl, fd) : serve_echo(ssl, fd);
        close_gracefully(ssl, fd);
        if (!o->common.quiet) {
            fprintf(stderr, "CONNECTION CLOSED\n");
        }
    }
    SSL_free(ssl);
    return ok;
}

/* Accepts and serves connections in turn. Returns the number that failed. */
static int serve(SSL_CTX *ctx, int lfd, const struct server_opts *o)
{
    int failed = 0;

    for (int n = 1; o->naccept == 0 || n <= o->naccept; n++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                n--;
                continue;
            }
            fprintf(stderr, "error: accept: %s\n", strerror(errno));
            return failed + 1;
        }
        if (!serve_one(ctx, fd, o)) {
            fprintf(stderr, "ERROR: connection %d failed\n", n);
            failed++;
        }
        close(fd);
        fflush(stderr);
    }
    return failed;
}

int main(int argc, char **argv)
{
    struct server_opts o = { .accept = "127.0.0.1:4433" };
    struct alpn_prefs alpn = { NULL, 0 };
    SSL_CTX *ctx;
    int lfd, failed;

    if (!parse_args(&o, argc, argv)) {
        return 2;
    }
    g_opts = &o;
    signal(SIGPIPE, SIG_IGN);
    ctx = make_ctx(&o, &alpn);
    if (ctx == NULL) {
        return 1;
    }
    lfd = tcp_listen(o.accept);
    if (lfd < 0) {
        SSL_CTX_free(ctx);
        return 1;
    }
    print_accept_line(lfd);
    failed = serve(ctx, lfd, &o);
    close(lfd);
    SSL_CTX_free(ctx);
    free(alpn.wire);
    if (tool_keylog_fp != NULL) {
        fclose(tool_keylog_fp);
    }
    return failed ? 1 : 0;
}
