/*
 * s3_body.c: request-body decoding and integrity checks for object writes: aws-chunked
 * (signed and unsigned, with trailers), x-amz-content-sha256, Content-MD5, and the
 * flexible checksums (header or trailer), in AWS's rules and error texts.
 * Runs in: workers. Everything is checked before the store is touched, so a failed
 * check never changes the stored object.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rs/awschunked.h"
#include "rs/checksum.h"
#include "rs/codec.h"
#include "s3/s3_int.h"

static int is_hex64(const char *s, size_t n)
{
    size_t i;
    if (n != 64)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static void sha256_iov(const struct iovec *iov, size_t n, char out[65])
{
    uint8_t d[32];
    rs_checksum_compute(RS_CKSUM_SHA256, iov, n, d);
    rs_hex_encode(d, 32, out);
}

/* Content-MD5: InvalidDigest when malformed, BadDigest when different. */
static int check_md5(rs_s3_call_t *c, const uint8_t md5[16])
{
    size_t n;
    const char *v = rs_s3_hdr(c, "content-md5", &n);
    uint8_t want[32];
    char hex[33], b64[32];
    long dl;
    if (v == NULL)
        return 0;
    dl = rs_base64_decode(v, n, want, sizeof want);
    if (dl != 16) {
        rs_s3_fail(c, RS_S3E_InvalidDigest, NULL, "Content-MD5", v, NULL);
        return -1;
    }
    if (memcmp(want, md5, 16) != 0) {
        /* AWS names the expected digest in hex for PutObject, in base64 for UploadPart */
        if (c->req->operation != NULL && strcmp(c->req->operation, "UploadPart") == 0)
            rs_base64_encode(want, 16, hex);
        else
            rs_hex_encode(want, 16, hex);
        rs_base64_encode(md5, 16, b64);
        rs_s3_fail(c, RS_S3E_BadDigest, NULL, "ExpectedDigest", hex, "CalculatedDigest", b64, NULL);
        return -1;
    }
    return 0;
}

/* The flexible checksum: which algorithm and value the client declared (header or
 * trailer), verified against the bytes; CRC64NVME computed when none was sent. */
static int check_flexible(rs_s3_call_t *c, const struct iovec *iov, size_t n,
                          const rs_hdr_t *trailers, size_t ntrailers, rs_s3_body_t *b)
{
    const rs_http_req_t *req = c->req;
    const char *value = NULL, *sdk, *trailer;
    size_t value_len = 0, i, sdk_len, trailer_len;
    int alg = -1, nheaders = 0;
    uint8_t want[64];
    long wl;

    for (i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *h = &req->headers[i];
        int a;
        if (h->name_len <= 15 || strncasecmp(h->name, "x-amz-checksum-", 15) != 0)
            continue;
        a = rs_checksum_alg_parse(h->name + 15, h->name_len - 15);
        if (a <= 0)
            continue; /* x-amz-checksum-mode / -type / -algorithm and unknown names */
        nheaders++;
        alg = a;
        value = h->value, value_len = h->value_len;
    }
    trailer = rs_s3_hdr(c, "x-amz-trailer", &trailer_len);
    if (nheaders > 1 || (nheaders == 1 && trailer != NULL)) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   "Expecting a single x-amz-checksum- header. Multiple checksum Types are not "
                   "allowed.",
                   NULL);
        return -1;
    }
    if (trailer != NULL && nheaders == 0) {
        size_t tl = trailer_len;
        while (tl > 0 && (trailer[tl - 1] == ' ' || trailer[tl - 1] == '\t'))
            tl--;
        alg = (tl > 15 && strncasecmp(trailer, "x-amz-checksum-", 15) == 0)
                  ? rs_checksum_alg_parse(trailer + 15, tl - 15)
                  : -1;
        if (alg <= 0) {
            rs_s3_fail(c, RS_S3E_InvalidRequest,
                       "The value specified in the x-amz-trailer header is not supported", NULL);
            return -1;
        }
        for (i = 0; i < ntrailers; i++)
            if (trailers[i].name_len == tl && strncasecmp(trailers[i].name, trailer, tl) == 0)
                value = trailers[i].value, value_len = trailers[i].value_len;
        if (value == NULL) {
            rs_s3_fail(c, RS_S3E_IncompleteBody,
                       "The request body terminated unexpectedly: the trailer named in "
                       "x-amz-trailer is missing",
                       NULL);
            return -1;
        }
    }
    sdk = rs_s3_hdr(c, "x-amz-sdk-checksum-algorithm", &sdk_len);
    if (sdk != NULL && value == NULL) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* "
                   "or x-amz-trailer headers were found.",
                   NULL);
        return -1;
    }
    if (sdk != NULL && rs_checksum_alg_parse(sdk, sdk_len) != alg) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   "Value for x-amz-sdk-checksum-algorithm header is invalid.", NULL);
        return -1;
    }
    if (value == NULL) {
        b->checksum_alg = RS_CKSUM_CRC64NVME;
        b->checksum_len = rs_checksum_compute(RS_CKSUM_CRC64NVME, iov, n, b->checksum);
        b->client_checksum = 0;
        return 0;
    }
    wl = rs_base64_decode(value, value_len, want, sizeof want);
    if (wl < 0 || (size_t)wl != rs_checksum_len(alg)) {
        rs_s3_fail(c, RS_S3E_InvalidRequest,
                   rs_pool_printf(c->pool, "Value for x-amz-checksum-%s header is invalid.",
                                  rs_s3_lower(c->pool, rs_checksum_alg_name(alg))),
                   NULL);
        return -1;
    }
    b->checksum_alg = alg;
    b->checksum_len = rs_checksum_compute(alg, iov, n, b->checksum);
    if (b->checksum_len != (size_t)wl || memcmp(b->checksum, want, (size_t)wl) != 0) {
        rs_s3_checksum_mismatch(c, rs_checksum_alg_name(alg));
        return -1;
    }
    b->client_checksum = 1;
    return 0;
}

static int is_streaming(const char *sha)
{
    return sha != NULL && strncmp(sha, "STREAMING-", 10) == 0;
}

int rs_s3_body_is_streaming(rs_s3_call_t *c)
{
    return is_streaming(rs_s3_hdr(c, "x-amz-content-sha256", NULL));
}

static int verify_chunk_sigs(rs_s3_call_t *c, const rs_chunked_result_t *r)
{
    const rs_cred_t *cred = NULL;
    const char *prev = c->auth.signature;
    size_t i;
    for (i = 0; i < c->ctx->ncreds; i++)
        if (strcmp(c->ctx->creds[i].access_key, c->auth.access_key) == 0)
            cred = &c->ctx->creds[i];
    if (cred == NULL || r->nsigs == 0)
        goto bad;
    for (i = 0; i < r->nsigs; i++) {
        const uint8_t *data = i < r->nseg ? r->segs[i].iov_base : (const uint8_t *)"";
        size_t len = i < r->nseg ? r->segs[i].iov_len : 0;
        if (rs_auth_verify_chunk(&c->auth, cred->secret_key, prev, data, len, r->chunk_sigs[i]) !=
            0)
            goto bad;
        prev = r->chunk_sigs[i];
    }
    return 0;
bad:
    rs_s3_fail(c, RS_S3E_SignatureDoesNotMatch, NULL, "AWSAccessKeyId", c->auth.access_key, NULL);
    return -1;
}

int rs_s3_body_read(rs_s3_call_t *c, rs_s3_body_t *b)
{
    const rs_http_req_t *req = c->req;
    size_t shalen;
    const char *sha = rs_s3_hdr(c, "x-amz-content-sha256", &shalen);
    const rs_hdr_t *trailers = NULL;
    size_t ntrailers = 0;

    memset(b, 0, sizeof *b);
    if (is_streaming(sha)) {
        const char *dcl = rs_s3_hdr(c, "x-amz-decoded-content-length", NULL);
        rs_chunked_result_t r;
        char *end;
        unsigned long long want;
        if (dcl == NULL) {
            rs_s3_fail(c, RS_S3E_MissingContentLength, NULL, NULL);
            return -1;
        }
        want = strtoull(dcl, &end, 10);
        if (*dcl == '\0' || *end != '\0') {
            rs_s3_fail(c, RS_S3E_InvalidArgument, "x-amz-decoded-content-length is not a number",
                       "ArgumentName", "x-amz-decoded-content-length", "ArgumentValue", dcl, NULL);
            return -1;
        }
        if (rs_awschunked_decode(c->pool, req->body, req->body_len, &r) != 0 ||
            r.decoded_len != want) {
            rs_s3_fail(c, RS_S3E_IncompleteBody, NULL, NULL);
            return -1;
        }
        if (c->ctx->verify_signatures &&
            strncmp(sha, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 34) == 0 &&
            verify_chunk_sigs(c, &r) != 0)
            return -1;
        b->iov = r.segs, b->iovcnt = r.nseg, b->len = r.decoded_len;
        trailers = r.trailers, ntrailers = r.ntrailers;
        b->was_chunked = 1;
    } else {
        b->iov = rs_pool_alloc(c->pool, sizeof *b->iov);
        b->iov[0].iov_base = (void *)req->body;
        b->iov[0].iov_len = req->body_len;
        b->iovcnt = 1, b->len = req->body_len;
        if (sha != NULL && is_hex64(sha, shalen)) {
            char got[65];
            sha256_iov(b->iov, 1, got);
            if (strcmp(got, sha) != 0) {
                rs_s3_fail(c, RS_S3E_XAmzContentSHA256Mismatch, NULL, "ClientComputedContentSHA256",
                           sha, "S3ComputedContentSHA256", got, NULL);
                return -1;
            }
        }
    }
    rs_md5(b->iov, b->iovcnt, b->md5);
    if (check_md5(c, b->md5) != 0)
        return -1;
    return check_flexible(c, b->iov, b->iovcnt, trailers, ntrailers, b);
}

int rs_s3_body_check_plain(rs_s3_call_t *c)
{
    rs_s3_body_t b;
    struct iovec iov = {(void *)c->req->body, c->req->body_len};
    memset(&b, 0, sizeof b);
    rs_md5(&iov, 1, b.md5);
    if (check_md5(c, b.md5) != 0)
        return -1;
    return check_flexible(c, &iov, 1, NULL, 0, &b);
}
