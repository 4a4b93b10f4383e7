/*
 * test_checksum.c: unit tests for the CRC32 / CRC32C / CRC64NVME tables, the SHA family
 * through rs_checksum_compute, MD5 and the algorithm-name helpers. Runs in: the test binary.
 */
#include <criterion/criterion.h>
#include <time.h>
#include <string.h>

#include "rs/checksum.h"
#include "rs/codec.h"

/* bit-at-a-time reference CRCs (reflected), independent of the tables under test */
static uint64_t ref_crc(uint64_t poly, int width, const uint8_t *p, size_t n)
{
    uint64_t mask = width == 64 ? ~0ULL : (1ULL << width) - 1, c = mask;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    }
    return c ^ mask;
}

static const char *b64_of(int alg, const char *s, char out[64])
{
    struct iovec iov = {(void *)s, strlen(s)};
    uint8_t d[64];
    size_t n = rs_checksum_compute(alg, &iov, 1, d);
    rs_base64_encode(d, n, out);
    return out;
}

Test(crc, check_values)
{
    const char *s = "123456789";
    cr_assert_eq(rs_crc32(0, s, 9), 0xCBF43926u);
    cr_assert_eq(rs_crc32c(0, s, 9), 0xE3069283u);
    cr_assert_eq(rs_crc64nvme(0, s, 9), 0xAE8B14860A799888ULL);
    cr_assert_eq(rs_crc32(0, "", 0), 0);
    cr_assert_eq(rs_crc64nvme(0, "", 0), 0);
}

Test(crc, wire_vectors)
{
    char out[64];
    cr_assert_str_eq(b64_of(RS_CKSUM_CRC32, "hello world", out), "DUoRhQ==");
    cr_assert_str_eq(b64_of(RS_CKSUM_CRC32, "", out), "AAAAAA==");
    cr_assert_str_eq(b64_of(RS_CKSUM_CRC32C, "hello world", out), "yZRlqg==");
    cr_assert_str_eq(b64_of(RS_CKSUM_CRC64NVME, "hello world", out), "jSnVw/bqjr4=");
    cr_assert_str_eq(b64_of(RS_CKSUM_CRC64NVME, "123456789", out), "rosUhgp5mIg=");
    cr_assert_str_eq(b64_of(RS_CKSUM_SHA1, "hello world", out), "Kq5sNclPz7QV2+lfQIuc6R7oRu0=");
    cr_assert_str_eq(b64_of(RS_CKSUM_SHA256, "hello world", out),
                     "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
}

Test(crc, tables_match_bitwise_reference_at_every_length_and_alignment)
{
    uint8_t buf[300];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n + off <= sizeof(buf); n += 13) {
            cr_assert_eq(rs_crc32(0, buf + off, n),
                         (uint32_t)ref_crc(0xEDB88320u, 32, buf + off, n));
            cr_assert_eq(rs_crc32c(0, buf + off, n),
                         (uint32_t)ref_crc(0x82F63B78u, 32, buf + off, n));
            cr_assert_eq(rs_crc64nvme(0, buf + off, n),
                         ref_crc(0x9A6C9329AC4BC9B5ULL, 64, buf + off, n));
        }
    }
}

Test(crc, chaining_equals_one_pass)
{
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i ^ (i >> 3));
    for (size_t cut = 0; cut <= sizeof(buf); cut += 97) {
        cr_assert_eq(rs_crc32(rs_crc32(0, buf, cut), buf + cut, sizeof(buf) - cut),
                     rs_crc32(0, buf, sizeof(buf)));
        cr_assert_eq(rs_crc32c(rs_crc32c(0, buf, cut), buf + cut, sizeof(buf) - cut),
                     rs_crc32c(0, buf, sizeof(buf)));
        cr_assert_eq(rs_crc64nvme(rs_crc64nvme(0, buf, cut), buf + cut, sizeof(buf) - cut),
                     rs_crc64nvme(0, buf, sizeof(buf)));
    }
}

Test(checksum, compute_over_segments)
{
    struct iovec iov[3] = {{"hel", 3}, {"", 0}, {"lo world", 8}};
    uint8_t d[64], m[16];
    char b64[64], hex[64];
    for (int alg = RS_CKSUM_CRC32; alg <= RS_CKSUM_SHA256; alg++) {
        size_t n = rs_checksum_compute(alg, iov, 3, d);
        cr_assert_eq(n, rs_checksum_len(alg));
        rs_base64_encode(d, n, b64);
        cr_assert_str_eq(b64, b64_of(alg, "hello world", (char[64]){0}), "alg %d", alg);
    }
    rs_md5(iov, 3, m);
    rs_hex_encode(m, 16, hex);
    cr_assert_str_eq(hex, "5eb63bbbe01eeed093cb22bb8f5acdc3");
    rs_md5(iov, 0, m);
    rs_hex_encode(m, 16, hex);
    cr_assert_str_eq(hex, "d41d8cd98f00b204e9800998ecf8427e");
    cr_assert_eq(rs_checksum_compute(RS_CKSUM_NONE, iov, 3, d), 0);
}

Test(checksum, names)
{
    cr_assert_eq(rs_checksum_alg_parse("crc32", 5), RS_CKSUM_CRC32);
    cr_assert_eq(rs_checksum_alg_parse("CRC32", 5), RS_CKSUM_CRC32);
    cr_assert_eq(rs_checksum_alg_parse("CRC32C", 6), RS_CKSUM_CRC32C);
    cr_assert_eq(rs_checksum_alg_parse("x-amz-checksum-crc64nvme", 24), RS_CKSUM_CRC64NVME);
    cr_assert_eq(rs_checksum_alg_parse("X-Amz-Checksum-SHA256", 21), RS_CKSUM_SHA256);
    cr_assert_eq(rs_checksum_alg_parse("sha1", 4), RS_CKSUM_SHA1);
    cr_assert_eq(rs_checksum_alg_parse("crc3", 4), -1);
    cr_assert_eq(rs_checksum_alg_parse("md5", 3), -1);
    cr_assert_eq(rs_checksum_alg_parse("x-amz-checksum-", 15), -1);
    cr_assert_eq(rs_checksum_alg_parse("crc32x", 5), RS_CKSUM_CRC32); /* length-bounded */
    cr_assert_str_eq(rs_checksum_alg_name(RS_CKSUM_CRC64NVME), "CRC64NVME");
    cr_assert_str_eq(rs_checksum_header(RS_CKSUM_CRC32C), "x-amz-checksum-crc32c");
    cr_assert_null(rs_checksum_alg_name(RS_CKSUM_NONE));
    cr_assert_null(rs_checksum_header(99));
    cr_assert_eq(rs_checksum_len(RS_CKSUM_CRC32), 4);
    cr_assert_eq(rs_checksum_len(RS_CKSUM_CRC64NVME), 8);
    cr_assert_eq(rs_checksum_len(RS_CKSUM_SHA1), 20);
    cr_assert_eq(rs_checksum_len(RS_CKSUM_SHA256), 32);
    cr_assert_eq(rs_checksum_len(RS_CKSUM_NONE), 0);
}

/* FULL_OBJECT multipart checksums: combine(crc(A), crc(B), |B|) == crc(A||B) */
Test(checksum, combine_equals_whole)
{
    static uint8_t buf[70001];
    static const size_t cuts[] = {0, 1, 7, 8, 9, 4096, 33333, 70000, 70001};
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131 + (i >> 7));
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        size_t a = cuts[k], b = sizeof buf - a;
        cr_assert_eq(rs_crc32_combine(rs_crc32(0, buf, a), rs_crc32(0, buf + a, b), b),
                     rs_crc32(0, buf, sizeof buf), "crc32 cut %zu", a);
        cr_assert_eq(rs_crc32c_combine(rs_crc32c(0, buf, a), rs_crc32c(0, buf + a, b), b),
                     rs_crc32c(0, buf, sizeof buf), "crc32c cut %zu", a);
        cr_assert_eq(rs_crc64nvme_combine(rs_crc64nvme(0, buf, a), rs_crc64nvme(0, buf + a, b), b),
                     rs_crc64nvme(0, buf, sizeof buf), "crc64nvme cut %zu", a);
    }
}

/* Parts of megabytes chain exactly, and cheaply: a 1,000-part FULL_OBJECT Complete
 * combines 1,000 times (the matrix method took 200 ms for that). */
Test(checksum, combine_large_parts_fast)
{
    static uint8_t big[3 * (5u << 20) + 7];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 2654435761u >> 13);
    size_t part = 5u << 20;
    uint32_t c32 = 0, c32c = 0;
    uint64_t c64 = 0;
    for (size_t off = 0; off < sizeof big; off += part) {
        size_t n = sizeof big - off < part ? sizeof big - off : part;
        c32 = off ? rs_crc32_combine(c32, rs_crc32(0, big + off, n), n) : rs_crc32(0, big, n);
        c32c = off ? rs_crc32c_combine(c32c, rs_crc32c(0, big + off, n), n) : rs_crc32c(0, big, n);
        c64 = off ? rs_crc64nvme_combine(c64, rs_crc64nvme(0, big + off, n), n)
                  : rs_crc64nvme(0, big, n);
    }
    cr_assert_eq(c32, rs_crc32(0, big, sizeof big));
    cr_assert_eq(c32c, rs_crc32c(0, big, sizeof big));
    cr_assert_eq(c64, rs_crc64nvme(0, big, sizeof big));

    struct timespec t0, t1;
    uint64_t acc = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 1000; i++)
        acc = rs_crc64nvme_combine(acc, (uint64_t)i, (uint64_t)part + (uint64_t)i);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_expect_lt(ms, 100.0, "1,000 combines took %.1f ms", ms);
    cr_expect_neq(acc, 0);
}
