/*
 * awschunked.h: decoder for aws-chunked request bodies (signed and unsigned, with or
 * without trailers). Runs in: workers (pure function).
 * Body shape: <hex-size>[;chunk-signature=<64hex>]\r\n<data>\r\n ... 0[;chunk-signature=..]\r\n
 * then optional trailer lines "name:value\r\n" and a final "\r\n".
 */
#ifndef RS_AWSCHUNKED_H
#define RS_AWSCHUNKED_H

#include <stddef.h>
#include <stdint.h>
#include "rs/http.h"

typedef struct rs_chunked_result {
    struct iovec *segs; /* data pieces pointing into the input (pool-allocated array) */
    size_t nseg;
    size_t decoded_len;
    rs_hdr_t *trailers; /* names lower-cased, values trimmed (pool) */
    size_t ntrailers;
    /* chunk signatures in order (for verification), pool strings; NULL when unsigned */
    char **chunk_sigs;
    size_t nsigs;
    char *trailer_sig; /* x-amz-trailer-signature value or NULL */
} rs_chunked_result_t;

/* Returns 0, or RS_EINVAL for a malformed body (-> IncompleteBody / InvalidRequest). */
int rs_awschunked_decode(rs_pool_t *pool, const uint8_t *in, size_t len, rs_chunked_result_t *out);

#endif
