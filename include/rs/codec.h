/*
 * codec.h: byte encodings: base64, hex, UUID text, S3 url-encoding for listings, HTTP/ISO dates.
 * Runs in: every process (pure functions).
 */
#ifndef RS_CODEC_H
#define RS_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "rs/http.h"

/* standard alphabet with padding; out must hold 4*ceil(n/3)+1; returns length */
size_t rs_base64_encode(const uint8_t *in, size_t n, char *out);
/* strict: padding required, no whitespace; returns decoded length or -1 */
long rs_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap);
void rs_hex_encode(const uint8_t *in, size_t n, char *out); /* lower-case, NUL-terminated */
int rs_hex_decode(const char *in, size_t n, uint8_t *out);  /* 0 or -1 */
/* UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF): the length of the
 * valid sequence at s (1..4, n > 0) or 0; whether all of s[0..n) is valid. */
size_t rs_utf8_seq(const unsigned char *s, size_t n);
int rs_utf8_valid(const unsigned char *s, size_t n);
/* The UTF-8 of code point cp (at most U+10FFFF) into out; its length (1..4). */
size_t rs_utf8_encode(unsigned cp, char out[4]);
/* The UTF-8 of cp appended at buf[n]: only the bytes below buf[cap-1] are written (room
 * for the caller's NUL); returns n plus the full length, so a caller learns the size a
 * truncated text needed. */
size_t rs_utf8_put(unsigned cp, char *buf, size_t cap, size_t n);
/* Percent-decode s[0..n) into out (cap bytes, NUL-terminated); `plus`: '+' is a space (a
 * query). 0, or -1 for a bad escape, an escaped NUL or an answer that does not fit. */
int rs_pct_decode_buf(const char *s, size_t n, char *out, size_t cap, int plus);
int rs_hex_digit(int c); /* value of one hex digit, or -1 */
/* Stamp the version-4 / RFC 4122 variant bits into 16 random bytes and write their
 * "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" form (lower-case, NUL-terminated). */
void rs_uuid_v4_format(uint8_t b[16], char out[37]);

/* S3 encoding-type=url: percent-encode all but unreserved (A-Za-z0-9-._~) and '/' */
char *rs_s3_urlencode(rs_pool_t *pool, const char *s, size_t n);
/* SigV4 URI encoding: like above; `keep_slash` chooses whether '/' stays */
void rs_uri_encode(rs_buf_t *out, const char *s, size_t n, int keep_slash);

/* "Wed, 21 Oct 2015 07:28:00 GMT"; out >= 30 bytes */
void rs_http_date(int64_t sec, char *out);
/* "2026-01-01T00:00:00.000Z"; out >= 25 bytes */
void rs_iso8601_ms(int64_t ms, char *out);
/* parse IMF-fixdate (also RFC 850 and asctime forms); returns 0 and seconds, or -1 */
int rs_http_date_parse(const char *s, size_t n, int64_t *sec);
/* parse "20261123T220148Z"; returns 0 or -1 */
int rs_amz_date_parse(const char *s, size_t n, int64_t *sec);

#endif
