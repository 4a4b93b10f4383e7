/*
 * s3_harness.h: the S3 operation layer driven without sockets, shared by the S3 unit
 * tests: a real shared-memory store and one S3 context (rs_s3h_setup/rs_s3h_teardown as a
 * Criterion suite's .init/.fini), requests run through rs_s3_handle with the response body
 * copied out, and small checks on the answer. Linked into every test_*.c that includes it
 * (tests/unit/gen-local-am.sh). Runs in: the test process (plays the role of one worker).
 */
#ifndef RS_TEST_S3_HARNESS_H
#define RS_TEST_S3_HARNESS_H

#include <stddef.h>

#include "rs/s3.h"

extern rs_store_t *rs_s3h_store;
extern rs_s3_ctx_t rs_s3h_ctx;

void rs_s3h_setup(void);
void rs_s3h_teardown(void);

typedef struct rs_s3h_call {
    rs_pool_t pool;
    rs_http_req_t req;
    rs_http_resp_t resp;
    rs_hdr_t hdrs[16];
    char body[4096]; /* NUL-terminated copy of the response body (or zero-copy bytes) */
    size_t body_len;
} rs_s3h_call_t;

/* path like "/bucket/key?query"; headers as "name", "value" pairs ending with NULL; free
 * the answer with rs_s3h_done */
rs_s3h_call_t *rs_s3h_run(const char *method, const char *target, const void *body, size_t blen,
                          ...);
void rs_s3h_done(rs_s3h_call_t *c);
/* a response header's value (name case-insensitive) or NULL */
const char *rs_s3h_hdr(rs_s3h_call_t *c, const char *name);
/* expects the status and (unless NULL) the needle in the body; then rs_s3h_done */
void rs_s3h_expect(rs_s3h_call_t *c, int status, const char *needle);

#endif
