/*
 * clasp-client — a TLS client in the manner of `openssl s_client`.
 *
 * Connects, handshakes, prints a summary of what was negotiated on stderr,
 * then copies stdin to the connection and what arrives to stdout. At the end
 * of stdin it sends close_notify and waits (briefly) for the peer's, unless
 * -ign_eof, which keeps reading until the peer closes. Exits non-zero when the
 * connection or the handshake fails.
 *
 * Written against the OpenSSL libssl API only; see tool_common.h.
 */
#include "tool_common.h"

#include <signal.h>

/* -reconnect: connections after the first, as s_client's -reconnect. */
#define RECONNECTS 5
/* How long -reconnect waits for a TLS 1.3 NewSessionTicket after the handshake. */
#define TICKET_WAIT_MS 2000
/* How long to wait for the peer's close_notify after sending ours. */
#define CLOSE_WAIT_MS 5000
#define HANDSHAKE_TIMEOUT_MS 30000

struct client_opts {
    struct tool_opts common;
    const char *connect;          /* -connect host:port */
    const char *verify_hostname;  /* -verify_hostname: name to check, overrides SNI */
    int noservername;             /* -noservername: send no SNI */
    int ign_eof;                  /* -ign_eof */
    int key_update;               /* -key_update: send KeyUpdate after the handshake */
    int reconnect;                /* -reconnect: 5 more connections offering the session */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: clasp-client [options]\n"
            " -connect host:port    server to connect to (default localhost:4433)\n"
            " -verify_hostname name check the certificate against this name\n"
            "                       (default: -servername, else the -connect host\n"
            "                       unless it is an IP address)\n"
            " -noservername         do not send SNI\n"
            " -ign_eof              keep the connection open at the end of stdin\n"
            " -key_update           send a KeyUpdate (update_requested) after the handshake\n"
            " -reconnect            after the handshake, reconnect %d times offering the\n"
            "                       session; prints Reused/New per connection\n"
            "%s",
            RECONNECTS, tool_common_usage);
}

/* Returns 1 and fills *o, or 0 after printing what is wrong. */
static int parse_args(struct client_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        int rc = tool_parse_common(&o->common, argc, argv, &i);

        if (rc < 0) {
            fprintf(stderr, "clasp-client: %s needs a (valid) argument\n", opt);
            return 0;
        }
        if (rc > 0) {
            continue;
        }
        if ((strcmp(opt, "-connect") == 0 || strcmp(opt, "-verify_hostname") == 0) &&
            i + 1 < argc) {
            *(opt[1] == 'c' ? &o->connect : &o->verify_hostname) = argv[++i];
        } else if (strcmp(opt, "-noservername") == 0) {
            o->noservername = 1;
        } else if (strcmp(opt, "-ign_eof") == 0) {
            o->ign_eof = 1;
        } else if (strcmp(opt, "-key_update") == 0) {
            o->key_update = 1;
        } else if (strcmp(opt, "-reconnect") == 0) {
            o->reconnect = 1;
        } else if (strcmp(opt, "-help") == 0 || strcmp(opt, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "clasp-client: unknown or incomplete option %s\n", opt);
            usage(stderr);
            return 0;
        }
    }
    return 1;
}

/* Opens a TCP connection (blocking connect). Returns the fd or -1. */
static int tcp_connect(const char *host, const char *port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    int fd = -1, rc = getaddrinfo(host, port, &hints, &res);

    if (rc != 0) {
        fprintf(stderr, "error: %s:%s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        fprintf(stderr, "error: connect to %s:%s: %s\n", host, port, strerror(errno));
    }
    freeaddrinfo(res);
    return fd;
}

static SSL_CTX *make_ctx(const struct client_opts *o)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL) {
        tool_setup_error("SSL_CTX_new", NULL);
        return NULL;
    }
    /* Like s_client: verify always, but fail only on -verify_return_error;
     * otherwise the result is reported in the summary. */
    SSL_CTX_set_verify(ctx, o->common.verify_return_error ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                       NULL);
    if (!tool_configure_algorithms(ctx, &o->common) ||
        !tool_configure_credentials(ctx, &o->common, 1) ||
        !tool_configure_tracing(ctx, &o->common)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (o->common.alpn != NULL) {
        unsigned int len = 0;
        unsigned char *wire = tool_alpn_wire(o->common.alpn, &len);
        /* SSL_CTX_set_alpn_protos returns 0 on success. */
        int bad = wire == NULL || SSL_CTX_set_alpn_protos(ctx, wire, len) != 0;
        free(wire);
        if (bad) {
            tool_setup_error("bad -alpn", o->common.alpn);
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    return ctx;
}

/* Sets SNI and the name the certificate must match. Returns 1/0. */
static int set_names(SSL *ssl, const struct client_opts *o, const char *host)
{
    const char *sni = o->common.servername;
    const char *check = o->verify_hostname;

    if (sni == NULL && !tool_is_ip_literal(host)) {
        sni = host; /* RFC 6066 §3: SNI carries DNS names, never IP literals */
    }
    if (sni != NULL && !o->noservername && !SSL_set_tlsext_host_name(ssl, sni)) {
        return tool_setup_error("cannot set SNI", sni);
    }
    if (check == NULL) {
        check = sni;
    }
    if (check != NULL && !SSL_set1_host(ssl, check)) {
        return tool_setup_error("cannot set the host name to verify", check);
    }
    return 1;
}

/* After a failed handshake: say whether certificate verification was why. */
static void report_verify_failure(SSL *ssl)
{
    long v = SSL_get_verify_result(ssl);

    if (v != X509_V_OK) {
        fprintf(stderr, "Verification error: %s\n", X509_verify_cert_error_string(v));
    }
}

/* -key_update: RFC 9846 §4.7.3, asking the server to update its keys too. */
static int send_key_update(SSL *ssl, int fd, int quiet)
{
    if (!SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED)) {
        return tool_setup_error("SSL_key_update", NULL);
    }
    /* The KeyUpdate goes out on the next write or SSL_do_handshake call. */
    for (;;) {
        int ret = SSL_do_handshake(ssl);
        int err = ret == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, ret);

        if (ret == 1) {
            break;
        }
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
            tool_report_ssl_error(ssl, ret, "key update");
            return 0;
        }
        if (tool_wait(fd, err, HANDSHAKE_TIMEOUT_MS) <= 0) {
            fprintf(stderr, "error: key update: timed out\n");
            return 0;
        }
    }
    if (!quiet) {
        fprintf(stderr, "KeyUpdate: sent (update_requested)\n");
    }
    return 1;
}

/* ---- the data pump ----------------------------------------------------- */

enum pump_result { PUMP_AGAIN, PUMP_DONE, PUMP_ERROR };

struct pump {
    SSL *ssl;
    int fd;
    int ign_eof;
    int quiet;
    char out[16384];      /* stdin bytes not yet accepted by SSL_write */
    int out_len;
    int stdin_open;
    int sent_close;       /* our close_notify is out */
    int want_write;       /* the last SSL call wanted the socket writable */
    uint64_t close_deadline;
};

static int write_stdout(const char *buf, int len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, (size_t)len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return 0;
        }
        buf += n;
        len -= (int)n;
    }
    return 1;
}

/* Hands pending stdin bytes to SSL_write (same buffer on every retry). */
static enum pump_result pump_write(struct pump *p)
{
    int ret, err;

    if (p->out_len == 0) {
        return PUMP_AGAIN;
    }
    ERR_clear_error();
    ret = SSL_write(p->ssl, p->out, p->out_len);
    if (ret > 0) {
        p->out_len = 0; /* partial writes are off: all or nothing */
        return PUMP_AGAIN;
    }
    err = SSL_get_error(p->ssl, ret);
    if (err == SSL_ERROR_WANT_WRITE) {
        p->want_write = 1;
        return PUMP_AGAIN;
    }
    if (err == SSL_ERROR_WANT_READ) {
        return PUMP_AGAIN;
    }
    tool_report_ssl_error(p->ssl, ret, "write");
    return PUMP_ERROR;
}

/* The peer's close_notify arrived: answer it (RFC 9846 §6.1). */
static enum pump_result pump_peer_closed(struct pump *p)
{
    if (!p->quiet) {
        fprintf(stderr, "Connection closed by peer (close_notify)\n");
    }
    if (!p->sent_close) {
        SSL_shutdown(p->ssl);
        p->sent_close = 1;
    }
    return PUMP_DONE;
}

/* Reads everything available and copies it to stdout. */
static enum pump_result pump_read(struct pump *p)
{
    char buf[16384];

    for (;;) {
        int ret, err;

        ERR_clear_error();
        errno = 0;
        ret = SSL_read(p->ssl, buf, sizeof(buf));
        if (ret > 0) {
            if (!write_stdout(buf, ret)) {
                return PUMP_ERROR;
            }
            continue;
        }
        err = SSL_get_error(p->ssl, ret);
        switch (err) {
        case SSL_ERROR_WANT_READ:
            return PUMP_AGAIN;
        case SSL_ERROR_WANT_WRITE:
            p->want_write = 1;
            return PUMP_AGAIN;
        case SSL_ERROR_ZERO_RETURN:
            return pump_peer_closed(p);
        default:
            break;
        }
        if (p->sent_close && err == SSL_ERROR_SYSCALL) {
            /* We already said goodbye; a peer that just drops TCP is done too. */
            return PUMP_DONE;
        }
        tool_report_ssl_error(p->ssl, ret, "read");
        return PUMP_ERROR;
    }
}

/* End of stdin: send close_notify, then keep reading until the peer's arrives. */
static enum pump_result pump_close(struct pump *p)
{
    int ret;

    if (p->stdin_open || p->out_len > 0 || p->sent_close || p->ign_eof) {
        return PUMP_AGAIN;
    }
    ERR_clear_error();
    ret = SSL_shutdown(p->ssl);
    if (ret < 0) {
        int err = SSL_get_error(p->ssl, ret);
        if (err == SSL_ERROR_WANT_WRITE) {
            p->want_write = 1;
            return PUMP_AGAIN;
        }
        tool_report_ssl_error(p->ssl, ret, "shutdown");
        return PUMP_ERROR;
    }
    p->sent_close = 1;
    p->close_deadline = tool_now_us() + CLOSE_WAIT_MS * 1000u;
    return PUMP_AGAIN;
}

/* Polls stdin (when there is room for more) and the socket. */
static enum pump_result pump_poll(struct pump *p)
{
    struct pollfd fds[2] = {
        { .fd = p->fd, .events = POLLIN | (p->want_write ? POLLOUT : 0) },
        { .fd = STDIN_FILENO, .events = POLLIN },
    };
    nfds_t n = (p->stdin_open && p->out_len == 0) ? 2 : 1;
    int timeout = -1, rc;

    if (p->sent_close) {
        uint64_t now = tool_now_us();
        if (now >= p->close_deadline) {
            if (!p->quiet) {
                fprintf(stderr, "Peer did not answer close_notify; closing\n");
            }
            return PUMP_DONE;
        }
        timeout = (int)((p->close_deadline - now) / 1000u) + 1;
    }
    rc = poll(fds, n, timeout);
    if (rc < 0 && errno != EINTR) {
        fprintf(stderr, "error: poll: %s\n", strerror(errno));
        return PUMP_ERROR;
    }
    if (n == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t got = read(STDIN_FILENO, p->out, sizeof(p->out));
        if (got > 0) {
            p->out_len = (int)got;
        } else if (got == 0 || errno != EINTR) {
            p->stdin_open = 0;
        }
    }
    return PUMP_AGAIN;
}

/* Runs the stdin <-> connection copy. Returns 1 on a clean end, 0 on error. */
static int run_pump(SSL *ssl, int fd, const struct client_opts *o)
{
    static struct pump p;
    enum pump_result r = PUMP_AGAIN;

    p.ssl = ssl;
    p.fd = fd;
    p.ign_eof = o->ign_eof;
    p.quiet = o->common.quiet;
    p.stdin_open = 1;
    while (r == PUMP_AGAIN) {
        p.want_write = 0;
        r = pump_write(&p);
        if (r == PUMP_AGAIN) {
            r = pump_read(&p);
        }
        if (r == PUMP_AGAIN) {
            r = pump_close(&p);
        }
        if (r == PUMP_AGAIN) {
            r = pump_poll(&p);
        }
    }
    return r == PUMP_DONE;
}

/* Connects and handshakes; returns the SSL or NULL (reason printed). */
static SSL *open_connection(SSL_CTX *ctx, const struct client_opts *o, int *out_fd)
{
    char *host = NULL;
    const char *port = NULL;
    SSL *ssl = NULL;
    int fd;

    if (!tool_split_hostport(o->connect, "localhost", &host, &port)) {
        fprintf(stderr, "error: bad -connect %s\n", o->connect);
        free(host);
        return NULL;
    }
    fd = tcp_connect(host, port);
    if (fd >= 0 && !o->common.quiet && !o->common.brief) {
        fprintf(stderr, "CONNECTED(%08X)\n", fd);
    }
    if (fd >= 0 && tool_set_nonblocking(fd) && (ssl = SSL_new(ctx)) != NULL &&
        SSL_set_fd(ssl, fd) && set_names(ssl, o, host)) {
        *out_fd = fd;
        free(host);
        return ssl;
    }
    if (fd >= 0 && ssl == NULL) {
        tool_setup_error("SSL_new", NULL);
    }
    SSL_free(ssl);
    if (fd >= 0) {
        close(fd);
    }
    free(host);
    return NULL;
}

/* ---- -reconnect ---------------------------------------------------------- */

/* Sessions the library handed to the new-session callback (one per TLS 1.3
 * NewSessionTicket, RFC 9846 §4.7.1; one per TLS 1.2 full handshake). */
static int sessions_seen;

/* SSL_CTX_sess_set_new_cb(3): returning 0 gives the reference back; the
 * tool takes its session with SSL_get1_session() instead. */
static int count_new_session(SSL *ssl, SSL_SESSION *sess)
{
    (void)ssl;
    (void)sess;
    sessions_seen++;
    return 0;
}

/* The session callback fires only with client-side caching on. */
static void count_sessions(SSL_CTX *ctx)
{
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, count_new_session);
}

/* s_client's line per connection: "Reused, TLSv1.3, Cipher is ..." or "New, ...". */
static void print_reuse(FILE *out, SSL *ssl)
{
    const SSL_CIPHER *c = SSL_get_current_cipher(ssl);

    fprintf(out, "%s, %s, Cipher is %s\n", SSL_session_reused(ssl) ? "Reused" : "New",
            SSL_CIPHER_get_version(c), c != NULL ? SSL_CIPHER_get_name(c) : "(NONE)");
}

/* TLS 1.3 tickets come after the handshake (RFC 9846 §4.7.1): read until the
 * new-session callback fired or TICKET_WAIT_MS passed. Data that arrives on
 * the way goes to stdout. Best effort: without a ticket the next connection
 * simply offers nothing new. */
static void wait_for_ticket(SSL *ssl, int fd, int seen_before)
{
    uint64_t deadline = tool_now_us() + TICKET_WAIT_MS * 1000u;
    char buf[4096];

    while (SSL_version(ssl) == TLS1_3_VERSION && sessions_seen == seen_before) {
        uint64_t now = tool_now_us();
        int ret, err;

        if (now >= deadline) {
            return;
        }
        ERR_clear_error();
        ret = SSL_read(ssl, buf, sizeof(buf));
        if (ret > 0) {
            write_stdout(buf, ret);
            continue;
        }
        err = SSL_get_error(ssl, ret);
        /* The ticket may have come in during this very SSL_read. */
        if (sessions_seen != seen_before ||
            (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) ||
            tool_wait(fd, err, (int)((deadline - now) / 1000u) + 1) <= 0) {
            return;
        }
    }
}

/* Ends a connection that is not the last: its session is kept in *sess
 * (SSL_get1_session), close_notify is sent without waiting for the answer. */
static void keep_session(SSL *ssl, int fd, SSL_SESSION **sess, int seen_before)
{
    wait_for_ticket(ssl, fd, seen_before);
    SSL_SESSION_free(*sess);
    *sess = SSL_get1_session(ssl);
    ERR_clear_error();
    SSL_shutdown(ssl);
}

/* One connection: offers *sess if set, handshakes, prints the summary; the
 * last connection runs the data pump, the others hand their session on.
 * Returns 1 on success, 0 on error (reason printed). */
static int run_connection(SSL_CTX *ctx, const struct client_opts *o, SSL_SESSION **sess,
                          int last)
{
    int fd = -1, ok = 0, seen_before = sessions_seen;
    SSL *ssl = open_connection(ctx, o, &fd);
    uint64_t t0 = tool_now_us();

    if (ssl == NULL) {
        return 0;
    }
    if (*sess != NULL && !SSL_set_session(ssl, *sess)) {
        tool_setup_error("SSL_set_session", NULL);
    } else if (!tool_handshake(ssl, fd, 0, HANDSHAKE_TIMEOUT_MS)) {
        report_verify_failure(ssl);
    } else {
        uint64_t hs_us = tool_now_us() - t0;
        if (!o->common.quiet) {
            fprintf(stderr, "CONNECTION ESTABLISHED\n");
            tool_print_summary(stderr, ssl, hs_us, !o->common.brief);
            print_reuse(stderr, ssl);
        }
        ok = 1;
        if (!last) {
            keep_session(ssl, fd, sess, seen_before);
        } else {
            ok = (!o->key_update || send_key_update(ssl, fd, o->common.quiet)) &&
                 run_pump(ssl, fd, o);
        }
    }
    SSL_free(ssl);
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    struct client_opts o = { .connect = "localhost:4433" };
    SSL_SESSION *sess = NULL;
    SSL_CTX *ctx;
    int ok = 1, n;

    if (!parse_args(&o, argc, argv)) {
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    ctx = make_ctx(&o);
    if (ctx == NULL) {
        return 1;
    }
    if (o.reconnect) {
        count_sessions(ctx);
    }
    n = o.reconnect ? RECONNECTS : 0;
    for (int i = 0; ok && i <= n; i++) {
        ok = run_connection(ctx, &o, &sess, i == n);
    }
    SSL_SESSION_free(sess);
    SSL_CTX_free(ctx);
    if (tool_keylog_fp != NULL) {
        fclose(tool_keylog_fp);
    }
    return ok ? 0 : 1;
}
