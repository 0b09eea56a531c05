/*
 * A filter BIO for the contract tests (tests/api/test_contract*.c): it sits between an SSL and
 * its real BIO (memory BIO, BIO pair half) and
 *  - counts every call the SSL makes (read, write, ctrl, flush) and the bytes that pass, so a
 *    test can prove that a call touched the transport or did not;
 *  - limits writes: at most `write_per_call` bytes per BIO_write (a short write, which the SSL
 *    must continue itself) and `write_credit` bytes in all before it answers "retry" (the
 *    SSL must return -1 / SSL_ERROR_WANT_WRITE and resume once the test grants more credit);
 *  - injects transport faults: the read side reports end of file or an error without retry.
 *
 * Several filters may share one stats block (a side's read and write BIOs over the trickle).
 */
#ifndef CLASP_TEST_PROBE_BIO_H
#define CLASP_TEST_PROBE_BIO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bio.h>

typedef enum {
    CLASP_PROBE_FAULT_NONE,
    CLASP_PROBE_FAULT_EOF,   /* reads return 0, BIO_eof() is 1: the peer closed the transport */
    CLASP_PROBE_FAULT_ERROR, /* reads / writes return -1 without retry, errno ECONNRESET */
} clasp_probe_fault;

typedef struct {
    unsigned long reads, writes, ctrls, flushes; /* calls made through the filter */
    uint64_t bytes_read, bytes_written;          /* bytes that passed */
    size_t write_per_call;                       /* 0: no limit */
    long write_credit;                           /* < 0: no limit; 0: writes ask for a retry */
    clasp_probe_fault read_fault, write_fault;
} clasp_probe_stats;

/* Resets the counters and removes limits and faults. */
void clasp_probe_stats_init(clasp_probe_stats *stats);

/*
 * New filter BIO over `next` (taken over: freeing the filter with BIO_free_all frees both)
 * that records into `stats`, which must outlive it. NULL on failure (next is then freed).
 */
BIO *clasp_probe_bio_new(BIO *next, clasp_probe_stats *stats);

/* Calls that reached the transport: reads + writes + flushes. */
unsigned long clasp_probe_io_calls(const clasp_probe_stats *stats);

#endif
