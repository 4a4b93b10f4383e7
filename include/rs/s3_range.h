/*
 * s3_range.h: Range header parsing and conditional-request evaluation, AWS rules.
 * Runs in: workers (pure functions).
 */
#ifndef RS_S3_RANGE_H
#define RS_S3_RANGE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    RS_RANGE_NONE = 0,         /* absent or ignored (malformed, multi-range, last < first) */
    RS_RANGE_OK = 1,           /* [*first, *last] inclusive, clamped to size */
    RS_RANGE_UNSATISFIABLE = 2 /* 416 InvalidRange */
} rs_range_result_t;

rs_range_result_t rs_range_parse(const char *hdr, size_t len, uint64_t size, uint64_t *first,
                                 uint64_t *last);

/* Conditional headers as given (NULL when absent). */
typedef struct rs_cond_hdrs {
    const char *if_match;
    size_t if_match_len;
    const char *if_none_match;
    size_t if_none_match_len;
    const char *if_modified_since;
    size_t if_modified_since_len;
    const char *if_unmodified_since;
    size_t if_unmodified_since_len;
} rs_cond_hdrs_t;

typedef enum { RS_COND_PROCEED = 0, RS_COND_NOT_MODIFIED = 304, RS_COND_FAILED = 412 } rs_cond_t;

/* AWS's order: If-Match, If-Unmodified-Since (ignored when If-Match holds), If-None-Match,
 * If-Modified-Since (ignored when If-None-Match is present and does not match; future
 * dates ignored). `etag_hex` is the 32-hex MD5 without quotes; `mtime` in seconds.
 * `*which` gets the header name that decided a 412 ("If-Match", "If-Unmodified-Since",
 * "If-None-Match", "If-Modified-Since"). `now` is the server time in seconds. */
rs_cond_t rs_cond_eval(const rs_cond_hdrs_t *c, const char *etag_hex, int64_t mtime, int64_t now,
                       const char **which);

/* true when `list` (a header value: "*", "\"etag\"", "etag", comma lists) names etag_hex */
int rs_etag_list_matches(const char *list, size_t len, const char *etag_hex);

#endif
