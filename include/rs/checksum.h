/*
 * checksum.h: the S3 flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) and MD5.
 * Runs in: workers (pure functions). Values are raw big-endian digests; the wire form is
 * their base64.
 */
#ifndef RS_CHECKSUM_H
#define RS_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "rs/store.h" /* RS_CKSUM_* */

uint32_t rs_crc32(uint32_t crc, const void *p, size_t n);     /* start with 0 */
uint32_t rs_crc32c(uint32_t crc, const void *p, size_t n);    /* start with 0 */
uint64_t rs_crc64nvme(uint64_t crc, const void *p, size_t n); /* start with 0 */

/* The CRC of A||B from crc(A), crc(B) and len(B) (FULL_OBJECT multipart checksums). */
uint32_t rs_crc32_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);
uint32_t rs_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);
uint64_t rs_crc64nvme_combine(uint64_t crc1, uint64_t crc2, uint64_t len2);

/* "crc32" / "CRC32" / "x-amz-checksum-crc32" suffix -> RS_CKSUM_*, or -1 */
int rs_checksum_alg_parse(const char *name, size_t n);
const char *rs_checksum_alg_name(int alg); /* "CRC32", ... */
const char *rs_checksum_header(int alg);   /* "x-amz-checksum-crc32", ... */
size_t rs_checksum_len(int alg);           /* digest bytes */
/* digest of the concatenated segments into out (>= 32 bytes); returns length */
size_t rs_checksum_compute(int alg, const struct iovec *iov, size_t n, uint8_t *out);
void rs_md5(const struct iovec *iov, size_t n, uint8_t out[16]);

#endif
