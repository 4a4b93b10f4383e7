/*
 * fuzz_range.c: fuzz target for the Range header and the conditional headers
 * (src/s3/s3_range.c): rs_range_parse against several object sizes (a satisfiable range
 * must lie inside the object), rs_etag_list_matches and rs_cond_eval. Fields are
 * separated by "\n--\n": range, If-Match, If-None-Match, If-Modified-Since,
 * If-Unmodified-Since. Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "rs/s3_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_t z;
    fz_split(&z, data, size, 5);
    static const uint64_t sizes[] = {0, 1, 10, 4096, UINT64_MAX};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint64_t first = 0, last = 0;
        rs_range_result_t r = rs_range_parse(z.f[0], z.len[0], sizes[i], &first, &last);
        if (r == RS_RANGE_OK && (first > last || last >= sizes[i]))
            abort();
        if (r != RS_RANGE_OK && r != RS_RANGE_NONE && r != RS_RANGE_UNSATISFIABLE)
            abort();
    }
    const char *etag = "d41d8cd98f00b204e9800998ecf8427e";
    (void)rs_etag_list_matches(z.f[1], z.len[1], etag);
    rs_cond_hdrs_t c = {
        .if_match = z.len[1] ? z.f[1] : NULL,
        .if_match_len = z.len[1],
        .if_none_match = z.len[2] ? z.f[2] : NULL,
        .if_none_match_len = z.len[2],
        .if_modified_since = z.len[3] ? z.f[3] : NULL,
        .if_modified_since_len = z.len[3],
        .if_unmodified_since = z.len[4] ? z.f[4] : NULL,
        .if_unmodified_since_len = z.len[4],
    };
    const char *which = NULL;
    rs_cond_t res = rs_cond_eval(&c, etag, 1700000000, 1767225600, &which);
    if (res != RS_COND_PROCEED && res != RS_COND_NOT_MODIFIED && res != RS_COND_FAILED)
        abort();
    if (res == RS_COND_FAILED && which == NULL)
        abort();
    fz_free(&z);
    return 0;
}
