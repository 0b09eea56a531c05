/* Counting, write-limiting, fault-injecting filter BIO: see probe_bio.h. */
#include "probe_bio.h"

#include <errno.h>
#include <string.h>

static BIO_METHOD *probe_method;

void clasp_probe_stats_init(clasp_probe_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    stats->write_credit = -1;
}

unsigned long clasp_probe_io_calls(const clasp_probe_stats *stats)
{
    return stats->reads + stats->writes + stats->flushes;
}

static int probe_read(BIO *b, char *out, int len)
{
    clasp_probe_stats *st = BIO_get_data(b);
    st->reads++;
    BIO_clear_retry_flags(b);
    if (st->read_fault == CLASP_PROBE_FAULT_EOF) {
        return 0;
    }
    if (st->read_fault == CLASP_PROBE_FAULT_ERROR) {
        errno = ECONNRESET;
        return -1;
    }
    int n = BIO_read(BIO_next(b), out, len);
    if (n > 0) {
        st->bytes_read += (uint64_t)n;
    }
    BIO_copy_next_retry(b);
    return n;
}

/* How much of `len` this call may pass on: the per-call limit and the remaining credit. */
static int write_allowance(const clasp_probe_stats *st, int len)
{
    size_t n = (size_t)len;
    if (st->write_per_call > 0 && n > st->write_per_call) {
        n = st->write_per_call;
    }
    if (st->write_credit > 0 && n > (size_t)st->write_credit) {
        n = (size_t)st->write_credit;
    }
    return (int)n;
}

static int probe_write(BIO *b, const char *in, int len)
{
    clasp_probe_stats *st = BIO_get_data(b);
    st->writes++;
    BIO_clear_retry_flags(b);
    if (st->write_fault != CLASP_PROBE_FAULT_NONE) {
        errno = EPIPE;
        return -1;
    }
    if (len <= 0) {
        return 0;
    }
    if (st->write_credit == 0) {
        /* The transport is full: the SSL must come back when the test made room. */
        BIO_set_retry_write(b);
        return -1;
    }
    int n = BIO_write(BIO_next(b), in, write_allowance(st, len));
    if (n > 0) {
        st->bytes_written += (uint64_t)n;
        if (st->write_credit > 0) {
            st->write_credit -= n;
        }
    }
    BIO_copy_next_retry(b);
    return n;
}

static long probe_ctrl(BIO *b, int cmd, long larg, void *parg)
{
    clasp_probe_stats *st = BIO_get_data(b);
    st->ctrls++;
    if (cmd == BIO_CTRL_FLUSH) {
        st->flushes++;
    }
    if (cmd == BIO_CTRL_EOF && st->read_fault == CLASP_PROBE_FAULT_EOF) {
        return 1;
    }
    if (cmd == BIO_CTRL_EOF && st->read_fault == CLASP_PROBE_FAULT_ERROR) {
        return 0; /* an error, not the end of the stream */
    }
    if (BIO_next(b) == NULL) {
        return 0;
    }
    if (cmd != BIO_CTRL_FLUSH) {
        /* Queries (pending, eof ...) leave the last read's or write's retry state alone. */
        return BIO_ctrl(BIO_next(b), cmd, larg, parg);
    }
    BIO_clear_retry_flags(b);
    long r = BIO_ctrl(BIO_next(b), cmd, larg, parg);
    BIO_copy_next_retry(b);
    return r;
}

static int probe_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static int probe_destroy(BIO *b)
{
    BIO_set_data(b, NULL);
    return 1;
}

/* The method lives for the whole process (one per test program). */
static const BIO_METHOD *method(void)
{
    if (probe_method != NULL) {
        return probe_method;
    }
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER, "clasp test probe");
    if (m == NULL || !BIO_meth_set_read(m, probe_read) || !BIO_meth_set_write(m, probe_write) ||
        !BIO_meth_set_ctrl(m, probe_ctrl) || !BIO_meth_set_create(m, probe_create) ||
        !BIO_meth_set_destroy(m, probe_destroy)) {
        BIO_meth_free(m);
        return NULL;
    }
    probe_method = m;
    return m;
}

BIO *clasp_probe_bio_new(BIO *next, clasp_probe_stats *stats)
{
    const BIO_METHOD *m = method();
    BIO *b = m != NULL ? BIO_new(m) : NULL;
    if (b == NULL) {
        BIO_free_all(next);
        return NULL;
    }
    BIO_set_data(b, stats);
    return BIO_push(b, next);
}
