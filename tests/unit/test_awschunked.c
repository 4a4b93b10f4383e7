/*
 * test_awschunked.c: unit tests for the aws-chunked decoder: unsigned/signed bodies,
 * trailers, and rejection of malformed input, with every input placed right before an
 * unreadable guard page so that any read past the end crashes the test.
 * Runs in: the test binary.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rs/awschunked.h"
#include "rs/err.h"

#define SIG_A "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define SIG_B "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"

static rs_pool_t pool;
static uint8_t *guard_base;
static size_t guard_len;

static void setup(void)
{
    rs_pool_init(&pool);
    guard_base = NULL;
}

static void teardown(void)
{
    if (guard_base != NULL)
        munmap(guard_base, guard_len);
    rs_pool_clear(&pool);
}

/* copy `n` bytes so that they end exactly at a PROT_NONE page */
static const uint8_t *guarded(const void *src, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (n + pg - 1) / pg + 1;

    if (guard_base != NULL)
        munmap(guard_base, guard_len);
    guard_len = (data_pages + 1) * pg;
    guard_base = mmap(NULL, guard_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(guard_base, MAP_FAILED);
    cr_assert_eq(mprotect(guard_base + data_pages * pg, pg, PROT_NONE), 0);
    uint8_t *dst = guard_base + data_pages * pg - n;
    memcpy(dst, src, n);
    return dst;
}

static int decode(const char *s, size_t n, rs_chunked_result_t *r)
{
    return rs_awschunked_decode(&pool, guarded(s, n), n, r);
}

static int decodes(const char *s, rs_chunked_result_t *r)
{
    return decode(s, strlen(s), r);
}

static void assert_data(const rs_chunked_result_t *r, const char *want)
{
    char buf[256];
    size_t o = 0;
    for (size_t i = 0; i < r->nseg; i++) {
        cr_assert_leq(o + r->segs[i].iov_len, sizeof(buf));
        memcpy(buf + o, r->segs[i].iov_base, r->segs[i].iov_len);
        o += r->segs[i].iov_len;
    }
    cr_assert_eq(o, r->decoded_len);
    cr_assert_eq(o, strlen(want));
    cr_assert_eq(memcmp(buf, want, o), 0);
}

TestSuite(awschunked, .init = setup, .fini = teardown);

Test(awschunked, unsigned_with_trailer)
{
    rs_chunked_result_t r;
    cr_assert_eq(decodes("b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n", &r), 0);
    cr_assert_eq(r.nseg, 1);
    assert_data(&r, "hello world");
    cr_assert_eq(r.ntrailers, 1);
    cr_assert_str_eq(r.trailers[0].name, "x-amz-checksum-crc32");
    cr_assert_str_eq(r.trailers[0].value, "DUoRhQ==");
    cr_assert_eq(r.trailers[0].value_len, 8);
    cr_assert_eq(r.nsigs, 0);
    cr_assert_null(r.chunk_sigs);
    cr_assert_null(r.trailer_sig);
}

Test(awschunked, several_chunks_no_trailer)
{
    rs_chunked_result_t r;
    cr_assert_eq(decodes("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &r), 0);
    cr_assert_eq(r.nseg, 2);
    assert_data(&r, "hello world");
    cr_assert_eq(r.ntrailers, 0);
}

Test(awschunked, many_chunks_grow_arrays)
{
    char body[16384];
    size_t o = 0;
    for (int i = 0; i < 100; i++)
        o += (size_t)snprintf(body + o, sizeof(body) - o, "1;chunk-signature=" SIG_A "\r\nx\r\n");
    o += (size_t)snprintf(body + o, sizeof(body) - o, "0;chunk-signature=" SIG_B "\r\n\r\n");
    rs_chunked_result_t r;
    cr_assert_eq(decode(body, o, &r), 0);
    cr_assert_eq(r.nseg, 100);
    cr_assert_eq(r.decoded_len, 100);
    cr_assert_eq(r.nsigs, 101);
    cr_assert_str_eq(r.chunk_sigs[99], SIG_A);
    cr_assert_str_eq(r.chunk_sigs[100], SIG_B);
}

Test(awschunked, empty_payload_and_upper_hex)
{
    rs_chunked_result_t r;
    cr_assert_eq(decodes("0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", &r), 0);
    cr_assert_eq(r.nseg, 0);
    cr_assert_eq(r.decoded_len, 0);
    cr_assert_not_null(r.segs);
    cr_assert_eq(decodes("B\r\nhello world\r\n0\r\n\r\n", &r), 0);
    assert_data(&r, "hello world");
    cr_assert_eq(decodes("000b\r\nhello world\r\n0\r\n\r\n", &r), 0);
    assert_data(&r, "hello world");
}

Test(awschunked, signed_chunks_with_trailer_signature)
{
    rs_chunked_result_t r;
    const char *b =
        "b;chunk-signature=" SIG_A "\r\nhello world\r\n0;chunk-signature=" SIG_B "\r\n"
        "X-Amz-Checksum-CRC32 :  DUoRhQ==  \r\nx-amz-trailer-signature:" SIG_A "\r\n\r\n";
    cr_assert_eq(decodes(b, &r), 0);
    assert_data(&r, "hello world");
    cr_assert_eq(r.nsigs, 2);
    cr_assert_str_eq(r.chunk_sigs[0], SIG_A);
    cr_assert_str_eq(r.chunk_sigs[1], SIG_B);
    cr_assert_eq(r.ntrailers, 1);
    cr_assert_str_eq(r.trailers[0].name, "x-amz-checksum-crc32");
    cr_assert_str_eq(r.trailers[0].value, "DUoRhQ==");
    cr_assert_str_eq(r.trailer_sig, SIG_A);
}

Test(awschunked, final_empty_line_is_required)
{
    rs_chunked_result_t r;
    cr_assert_eq(decodes("b\r\nhello world\r\n0\r\n", &r), RS_EINVAL);
    cr_assert_eq(decodes("b\r\nhello world\r\n0\r\n\r\n", &r), 0);
    assert_data(&r, "hello world");
}

Test(awschunked, data_may_contain_crlf)
{
    rs_chunked_result_t r;
    cr_assert_eq(decodes("4\r\n\r\n\r\n\r\n0\r\n\r\n", &r), 0);
    assert_data(&r, "\r\n\r\n");
}

Test(awschunked, rejects_malformed)
{
    static const char *bad[] = {
        "",
        "g\r\nhello world\r\n0\r\n\r\n",                              /* bad hex */
        "\r\nhello\r\n0\r\n\r\n",                                     /* empty size */
        "-1\r\nhello\r\n0\r\n\r\n",                                   /* sign */
        " b\r\nhello world\r\n0\r\n\r\n",                             /* leading blank */
        "ff\r\nhello world\r\n0\r\n\r\n",                             /* size beyond input */
        "ffffffffffffffff\r\nhello\r\n0\r\n\r\n",                     /* huge size */
        "10000000000000000\r\nx\r\n0\r\n\r\n",                        /* 17 hex digits */
        "b\r\nhello worldXX0\r\n\r\n",                                /* missing CRLF after data */
        "b\r\nhello world\n0\r\n\r\n",                                /* LF only after data */
        "b\nhello world\r\n0\r\n\r\n",                                /* LF only after size */
        "b\r\nhello world\r\n",                                       /* missing final chunk */
        "b\r\nhello world",                                           /* truncated */
        "b\r\nhello world\r\n0",                                      /* final chunk without CRLF */
        "b\r\nhello world\r\n0\r\n\r\nextra",                         /* bytes after the end */
        "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32\r\n\r\n",      /* trailer without ':' */
        "b\r\nhello world\r\n0\r\n:v\r\n\r\n",                        /* empty trailer name */
        "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n", /* no final line */
        "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==",     /* truncated trailer */
        "b;chunk-signature=abc\r\nhello world\r\n0;chunk-signature=abc\r\n\r\n", /* short sig */
        "b;chunk-signature=" SIG_A "\r\nhello world\r\n0\r\n\r\n", /* signed then unsigned */
        "b\r\nhello world\r\n0;chunk-signature=" SIG_A "\r\n\r\n", /* unsigned then signed */
        "b;foo=bar\r\nhello world\r\n0\r\n\r\n",                   /* unknown extension */
        "b;chunk-signature=" SIG_A "x\r\nhello world\r\n0\r\n\r\n",
        "b\r\nhello world\r\n0\r\nx-amz-trailer-signature:zz\r\n\r\n", /* bad trailer sig */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rs_chunked_result_t r;
        cr_assert_eq(decodes(bad[i], &r), RS_EINVAL, "case %zu accepted", i);
    }
}

Test(awschunked, every_truncation_is_rejected)
{
    const char *full =
        "5;chunk-signature=" SIG_A "\r\nhello\r\n6;chunk-signature=" SIG_B
        "\r\n world\r\n0;chunk-signature=" SIG_A "\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    size_t n = strlen(full);
    rs_chunked_result_t r;
    cr_assert_eq(decode(full, n, &r), 0);
    assert_data(&r, "hello world");
    for (size_t k = 0; k < n; k++)
        cr_assert_eq(decode(full, k, &r), RS_EINVAL, "prefix of %zu bytes accepted", k);
}

Test(awschunked, too_many_trailers)
{
    char body[4096];
    size_t o = (size_t)snprintf(body, sizeof(body), "0\r\n");
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(body + o, sizeof(body) - o, "x-t%d:v\r\n", i);
    o += (size_t)snprintf(body + o, sizeof(body) - o, "\r\n");
    rs_chunked_result_t r;
    cr_assert_eq(decode(body, o, &r), RS_EINVAL);
}
