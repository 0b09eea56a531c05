/*
 * nonblocking_client: the client of blocking_client.c on a non-blocking socket, driven by
 * poll().
 *
 *     nonblocking_client HOST PORT CAFILE [LINE...]
 *
 * On a non-blocking socket an SSL call also returns when the socket cannot go on: -1 (0 for
 * the _ex functions) with SSL_get_error() saying SSL_ERROR_WANT_READ or SSL_ERROR_WANT_WRITE.
 * Nothing is lost: the program waits until poll() says the socket is ready in that direction
 * and makes the same call again, with the same arguments (SSL_do_handshake(3), SSL_write(3)).
 *
 * Build: cc nonblocking_client.c -o nonblocking_client -lssl -lcrypto
 */
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* Connects (blocking, to keep this short), then makes the socket non-blocking; or -1. */
static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *list, *ai;
    int fd = -1;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &list) != 0)
        return -1;
    for (ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/*
 * Called when an SSL call did not finish. Returns 1 to repeat the call once the socket is
 * ready for what SSL_get_error() asked, 0 when the peer closed cleanly (close_notify), -1 on
 * an error.
 */
static int handle_io_failure(SSL *ssl, int ret)
{
    struct pollfd p = {SSL_get_fd(ssl), 0, 0};

    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        p.events = POLLIN; /* the SSL needs bytes from the peer */
        break;
    case SSL_ERROR_WANT_WRITE:
        p.events = POLLOUT; /* the socket's send buffer is full */
        break;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SSL:
        /* A protocol failure; a rejected certificate says why in the verify result. */
        if (SSL_get_verify_result(ssl) != X509_V_OK)
            printf("Verify error: %s\n",
                   X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
        printf("Failed: %s\n", ERR_reason_error_string(ERR_peek_last_error()));
        return -1;
    default: /* SSL_ERROR_SYSCALL: the transport failed */
        printf("Failed: transport error\n");
        return -1;
    }
    /* Wait, then try again: a real program would serve its other sockets meanwhile. */
    return poll(&p, 1, 10000) == 1 ? 1 : -1;
}

static void print_connection(SSL *ssl)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    char name[256] = "(none)";

    if (peer != NULL)
        X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof(name));
    printf("Protocol: %s\n", SSL_get_version(ssl));
    printf("Cipher: %s\n", SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
    printf("Server: %s\n", name);
    printf("Verification: %s\n", X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
    X509_free(peer);
}

/* Writes all of buf, waiting whenever the socket is full. 1 on success. */
static int write_all(SSL *ssl, const char *buf, size_t len)
{
    size_t n;
    int r;

    /* A retry repeats the same arguments: SSL_write_ex(3) requires it. */
    while ((r = SSL_write_ex(ssl, buf, len, &n)) != 1)
        if (handle_io_failure(ssl, r) != 1)
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    int fd = -1, ret = 1, r;
    char buf[4096];
    size_t n;

    if (argc < 4) {
        fprintf(stderr, "usage: %s HOST PORT CAFILE [LINE...]\n", argv[0]);
        return 2;
    }

    /* The same configuration as the blocking client. */
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        goto end;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1
        || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        goto end;
    fd = connect_to(argv[1], argv[2]);
    if (fd < 0) {
        fprintf(stderr, "cannot connect to %s:%s\n", argv[1], argv[2]);
        goto end;
    }
    ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1
        || SSL_set_tlsext_host_name(ssl, argv[1]) != 1 || SSL_set1_host(ssl, argv[1]) != 1)
        goto end;

    /* The handshake, resumed after every WANT_READ / WANT_WRITE until it returns 1. */
    while ((r = SSL_connect(ssl)) != 1)
        if (handle_io_failure(ssl, r) != 1)
            goto end;
    print_connection(ssl);

    for (int i = 4; i < argc || i == 4; i++) {
        const char *line = i < argc ? argv[i] : "hello";

        if (!write_all(ssl, line, strlen(line)) || !write_all(ssl, "\n", 1))
            goto end;
    }

    /* Read until the server closes; WANT_READ just means "nothing yet". */
    for (;;) {
        r = SSL_read_ex(ssl, buf, sizeof(buf), &n);
        if (r == 1) {
            fwrite(buf, 1, n, stdout);
            continue;
        }
        r = handle_io_failure(ssl, r);
        if (r == 0)
            break;
        if (r < 0)
            goto end;
    }
    printf("Closed: close_notify\n");

    /* Our close_notify. The peer's already arrived, so this returns 1 once ours is out. */
    while ((r = SSL_shutdown(ssl)) < 0)
        if (handle_io_failure(ssl, r) != 1)
            goto end;
    ret = 0;

end:
    if (ret != 0)
        ERR_print_errors_fp(stderr);
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    return ret;
}
