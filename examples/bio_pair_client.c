/*
 * bio_pair_client: the client of blocking_client.c with the TLS connection in memory.
 *
 *     bio_pair_client HOST PORT CAFILE [LINE...]
 *
 * The SSL object never sees the socket. It reads and writes one half of a BIO pair
 * (BIO_new_bio_pair(3)); this program moves the bytes between the other half and the network
 * itself. That is how TLS is put into an event loop, a user-space network stack or anything
 * else that is not a file descriptor.
 *
 * An SSL call on a BIO pair stops whenever the pair is empty (SSL_ERROR_WANT_READ) or full
 * (SSL_ERROR_WANT_WRITE); the caller then moves bytes and repeats the call. Two rules:
 *  - what the SSL wrote sits in the pair until the program sends it: flush after every call,
 *    successful or not (the peer may be waiting for exactly those bytes);
 *  - WANT_READ means "give me bytes from the peer", WANT_WRITE "take my bytes away".
 *
 * Build: cc bio_pair_client.c -o bio_pair_client -lssl -lcrypto
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* The network side of the pair and the socket it talks to. */
typedef struct {
    BIO *net;
    int fd;
} wire;

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
    return fd;
}

/* Sends everything the SSL has written into the pair. 1 on success. */
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

/*
 * Waits for bytes from the peer and puts as many as the pair takes into it. When the peer
 * closed the socket, the SSL is told so (it then reads end of file). 1 on success.
 */
static int fill_from_peer(wire *w)
{
    char buf[4096];
    size_t room = BIO_ctrl_get_write_guarantee(w->net);
    ssize_t n = recv(w->fd, buf, room < sizeof(buf) ? room : sizeof(buf), 0);

    if (n < 0)
        return 0;
    if (n == 0) {
        BIO_shutdown_wr(w->net);
        return 1;
    }
    return BIO_write(w->net, buf, (int)n) == (int)n;
}

/*
 * After an SSL call that did not finish: moves the bytes it waits for. Returns 1 to repeat
 * the call, 0 when the peer closed cleanly (close_notify), -1 on failure.
 */
static int handle_io_failure(SSL *ssl, int ret, wire *w)
{
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_WRITE: /* the pair is full */
        return flush_to_peer(w) ? 1 : -1;
    case SSL_ERROR_WANT_READ: /* the pair is empty: our bytes out first, then the peer's in */
        return flush_to_peer(w) && fill_from_peer(w) ? 1 : -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SSL:
        if (SSL_get_verify_result(ssl) != X509_V_OK)
            printf("Verify error: %s\n",
                   X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
        printf("Failed: %s\n", ERR_reason_error_string(ERR_peek_last_error()));
        (void)flush_to_peer(w); /* the alert that tells the peer why */
        return -1;
    default:
        printf("Failed: transport error\n");
        return -1;
    }
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

static int write_all(SSL *ssl, const char *buf, size_t len, wire *w)
{
    size_t n;
    int r;

    while ((r = SSL_write_ex(ssl, buf, len, &n)) != 1)
        if (handle_io_failure(ssl, r, w) != 1)
            return 0;
    return flush_to_peer(w); /* the record is in the pair, not yet on the wire */
}

int main(int argc, char **argv)
{
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    BIO *internal = NULL;
    wire w = {NULL, -1};
    int ret = 1, r;
    char buf[4096];
    size_t n;

    if (argc < 4) {
        fprintf(stderr, "usage: %s HOST PORT CAFILE [LINE...]\n", argv[0]);
        return 2;
    }
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        goto end;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1
        || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        goto end;
    w.fd = connect_to(argv[1], argv[2]);
    if (w.fd < 0) {
        fprintf(stderr, "cannot connect to %s:%s\n", argv[1], argv[2]);
        goto end;
    }

    /*
     * The pair: `internal` for the SSL, `w.net` for us; 0 = the default buffer size. The SSL
     * owns its half (SSL_set_bio); we free ours.
     */
    ssl = SSL_new(ctx);
    if (ssl == NULL || BIO_new_bio_pair(&internal, 0, &w.net, 0) != 1)
        goto end;
    SSL_set_bio(ssl, internal, internal);
    if (SSL_set_tlsext_host_name(ssl, argv[1]) != 1 || SSL_set1_host(ssl, argv[1]) != 1)
        goto end;
    SSL_set_connect_state(ssl);

    /* The first call writes the ClientHello into the pair and asks for the server's answer. */
    while ((r = SSL_do_handshake(ssl)) != 1)
        if (handle_io_failure(ssl, r, &w) != 1)
            goto end;
    if (!flush_to_peer(&w)) /* our Finished */
        goto end;
    print_connection(ssl);

    for (int i = 4; i < argc || i == 4; i++) {
        const char *line = i < argc ? argv[i] : "hello";

        if (!write_all(ssl, line, strlen(line), &w) || !write_all(ssl, "\n", 1, &w))
            goto end;
    }
    for (;;) {
        r = SSL_read_ex(ssl, buf, sizeof(buf), &n);
        if (r == 1) {
            fwrite(buf, 1, n, stdout);
            continue;
        }
        r = handle_io_failure(ssl, r, &w);
        if (r == 0)
            break;
        if (r < 0)
            goto end;
    }
    printf("Closed: close_notify\n");
    while ((r = SSL_shutdown(ssl)) < 0)
        if (handle_io_failure(ssl, r, &w) != 1)
            goto end;
    if (flush_to_peer(&w)) /* our close_notify */
        ret = 0;

end:
    if (ret != 0)
        ERR_print_errors_fp(stderr);
    SSL_free(ssl);
    BIO_free(w.net);
    if (w.fd >= 0)
        close(w.fd);
    SSL_CTX_free(ctx);
    return ret;
}
