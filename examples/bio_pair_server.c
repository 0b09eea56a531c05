/*
 * bio_pair_server: a TLS server with the connection in memory (see bio_pair_client.c).
 *
 *     bio_pair_server PORT CERTFILE KEYFILE
 *
 * Listens on 127.0.0.1:PORT (0: any free port), prints "ACCEPT 127.0.0.1:<port>" as
 * `openssl s_server` does, and serves one client: each line it receives comes back reversed
 * (as with `openssl s_server -rev`), until the client closes the connection or sends the line
 * "CLOSE", on which the server closes first. CERTFILE holds the server's certificate followed
 * by its chain (PEM).
 *
 * The server side of SSL_do_handshake(3): in accept state the first call only reads, and
 * returns SSL_ERROR_WANT_READ until the ClientHello is complete; then it writes its flight.
 *
 * Build: cc bio_pair_server.c -o bio_pair_server -lssl -lcrypto
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

typedef struct {
    BIO *net; /* our half of the pair */
    int fd;
} wire;

/* A socket listening on 127.0.0.1:port; prints the port it got. -1 on failure. */
static int listen_on(int port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 1) != 0
        || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    printf("ACCEPT 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

static int flush_to_peer(wire *w)
{
    char buf[4096];
    int n;

    while ((n = BIO_read(w->net, buf, sizeof(buf))) > 0) {
        for (int off = 0; off < n;) {
            ssize_t sent = send(w->fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

            if (sent <= 0)
                return 0;
            off += (int)sent;
        }
    }
    return 1;
}

static int fill_from_peer(wire *w)
{
    char buf[4096];
    size_t room = BIO_ctrl_get_write_guarantee(w->net);
    ssize_t n = recv(w->fd, buf, room < sizeof(buf) ? room : sizeof(buf), 0);

    if (n < 0)
        return 0;
    if (n == 0) {
        BIO_shutdown_wr(w->net); /* the SSL will read end of file */
        return 1;
    }
    return BIO_write(w->net, buf, (int)n) == (int)n;
}

/* As in bio_pair_client.c: 1 to repeat the call, 0 on close_notify, -1 on failure. */
static int handle_io_failure(SSL *ssl, int ret, wire *w)
{
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_WRITE:
        return flush_to_peer(w) ? 1 : -1;
    case SSL_ERROR_WANT_READ:
        return flush_to_peer(w) && fill_from_peer(w) ? 1 : -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SSL:
        printf("Failed: %s\n", ERR_reason_error_string(ERR_peek_last_error()));
        (void)flush_to_peer(w);
        return -1;
    default:
        printf("Failed: transport error\n");
        return -1;
    }
}

static int write_all(SSL *ssl, const char *buf, size_t len, wire *w)
{
    size_t n;
    int r;

    while ((r = SSL_write_ex(ssl, buf, len, &n)) != 1)
        if (handle_io_failure(ssl, r, w) != 1)
            return 0;
    return flush_to_peer(w);
}

/*
 * Answers each complete line in buf[0..*len) reversed; keeps an unfinished line. Returns 1,
 * 2 when the client asked the server to close, 0 on failure.
 */
static int answer_lines(SSL *ssl, char *buf, size_t *len, wire *w)
{
    char *nl;

    while ((nl = memchr(buf, '\n', *len)) != NULL) {
        size_t line = (size_t)(nl - buf);

        printf("Received: %.*s\n", (int)line, buf);
        if (line == 5 && memcmp(buf, "CLOSE", 5) == 0)
            return 2;
        for (size_t i = 0; i < line / 2; i++) {
            char c = buf[i];

            buf[i] = buf[line - 1 - i];
            buf[line - 1 - i] = c;
        }
        if (!write_all(ssl, buf, line + 1, w))
            return 0;
        *len -= line + 1;
        memmove(buf, nl + 1, *len);
    }
    return 1;
}

int main(int argc, char **argv)
{
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    BIO *internal = NULL;
    wire w = {NULL, -1};
    int lfd = -1, ret = 1, r;
    char buf[8192];
    size_t len = 0, n;

    if (argc != 4) {
        fprintf(stderr, "usage: %s PORT CERTFILE KEYFILE\n", argv[0]);
        return 2;
    }
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1
        || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        goto end;
    lfd = listen_on(atoi(argv[1]));
    if (lfd < 0 || (w.fd = accept(lfd, NULL, NULL)) < 0)
        goto end;

    ssl = SSL_new(ctx);
    if (ssl == NULL || BIO_new_bio_pair(&internal, 0, &w.net, 0) != 1)
        goto end;
    SSL_set_bio(ssl, internal, internal);
    SSL_set_accept_state(ssl);

    while ((r = SSL_do_handshake(ssl)) != 1)
        if (handle_io_failure(ssl, r, &w) != 1)
            goto end;
    if (!flush_to_peer(&w)) /* the last of our flight (TLS 1.3: session tickets) */
        goto end;
    printf("Protocol: %s\n", SSL_get_version(ssl));
    printf("Cipher: %s\n", SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));

    /* Serve until the client's close_notify, or until it asks us to close first. */
    for (;;) {
        r = SSL_read_ex(ssl, buf + len, sizeof(buf) - len, &n);
        if (r == 1) {
            len += n;
            r = answer_lines(ssl, buf, &len, &w);
            if (r == 0 || len == sizeof(buf))
                goto end;
            if (r == 2)
                break;
            continue;
        }
        r = handle_io_failure(ssl, r, &w);
        if (r == 0)
            break;
        if (r < 0)
            goto end;
    }
    if (SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN)
        printf("Closed: close_notify\n");
    else
        printf("Closing\n");

    /*
     * SSL_shutdown(3): the first call sends our close_notify and returns 0, or 1 if the
     * client's had already arrived; then it returns 1 once the client's close_notify is read.
     */
    while ((r = SSL_shutdown(ssl)) != 1) {
        if (!flush_to_peer(&w))
            goto end;
        if (r < 0 && handle_io_failure(ssl, r, &w) != 1)
            goto end;
    }
    if (flush_to_peer(&w))
        ret = 0;
    printf("Shutdown: complete\n");

end:
    if (ret != 0)
        ERR_print_errors_fp(stderr);
    SSL_free(ssl);
    BIO_free(w.net);
    if (w.fd >= 0)
        close(w.fd);
    if (lfd >= 0)
        close(lfd);
    SSL_CTX_free(ctx);
    return ret;
}
