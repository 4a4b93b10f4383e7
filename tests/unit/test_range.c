/*
 * test_range.c: unit tests for Range parsing (every row of the S3 table) and conditional
 * request evaluation (AWS order, second precision, future dates, ETag lists).
 * Runs in: the test binary.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "rs/codec.h"
#include "rs/s3_range.h"

typedef struct {
    const char *hdr;
    uint64_t size;
    rs_range_result_t want;
    uint64_t first, last;
} range_case_t;

Test(range, s3_table_rows)
{
    static const range_case_t cases[] = {
        {"bytes=0-8", 10, RS_RANGE_OK, 0, 8},
        {"bytes=1-1", 10, RS_RANGE_OK, 1, 1},
        {"bytes=0-0", 10, RS_RANGE_OK, 0, 0},
        {"bytes=1-", 10, RS_RANGE_OK, 1, 9},
        {"bytes=-2", 10, RS_RANGE_OK, 8, 9},
        {"bytes=-15", 10, RS_RANGE_OK, 0, 9},
        {"bytes=0-100", 10, RS_RANGE_OK, 0, 9},
        {"bytes=1-0", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=0--1", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=-1-", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=-", 10, RS_RANGE_NONE, 0, 0},
        {"0-1", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=0-1,3-4,7-9", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=-0", 10, RS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=100-200", 10, RS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=0-0", 0, RS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=0-", 0, RS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=-5", 0, RS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=40-50", 0, RS_RANGE_UNSATISFIABLE, 0, 0},
        /* edges around the table */
        {"bytes=9-9", 10, RS_RANGE_OK, 9, 9},
        {"bytes=9-", 10, RS_RANGE_OK, 9, 9},
        {"bytes=10-", 10, RS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=10-20", 10, RS_RANGE_UNSATISFIABLE, 0, 0},
        {"bytes=-10", 10, RS_RANGE_OK, 0, 9},
        {"bytes=-1", 10, RS_RANGE_OK, 9, 9},
        {"bytes=", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=a-b", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=1-2x", 10, RS_RANGE_NONE, 0, 0},
        {"items=0-1", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=99999999999999999999999-", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=18446744073709551616-", 10, RS_RANGE_NONE, 0, 0},
        {"bytes=18446744073709551615-", 10, RS_RANGE_UNSATISFIABLE, 0, 0},
        {"  bytes=2-3  ", 10, RS_RANGE_OK, 2, 3},
        {"bytes=0-18446744073709551615", 10, RS_RANGE_OK, 0, 9},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const range_case_t *c = &cases[i];
        uint64_t f = 777, l = 777;
        rs_range_result_t r = rs_range_parse(c->hdr, strlen(c->hdr), c->size, &f, &l);
        cr_assert_eq(r, c->want, "%s on %llu: got %d", c->hdr, (unsigned long long)c->size, r);
        if (r == RS_RANGE_OK) {
            cr_assert_eq(f, c->first, "%s first %llu", c->hdr, (unsigned long long)f);
            cr_assert_eq(l, c->last, "%s last %llu", c->hdr, (unsigned long long)l);
        }
    }
    uint64_t f, l;
    cr_assert_eq(rs_range_parse(NULL, 0, 10, &f, &l), RS_RANGE_NONE);
    /* length-bounded: the bytes after `len` are not looked at */
    cr_assert_eq(rs_range_parse("bytes=1-2,5-6", 9, 10, &f, &l), RS_RANGE_OK);
    cr_assert_eq(l, 2);
}

#define ETAG "5eb63bbbe01eeed093cb22bb8f5acdc3"
#define MTIME 1445412480LL /* Wed, 21 Oct 2015 07:28:00 GMT */
#define NOW 1795473661LL
#define D_EQ "Wed, 21 Oct 2015 07:28:00 GMT"
#define D_BEFORE "Wed, 21 Oct 2015 07:27:59 GMT"
#define D_AFTER "Wed, 21 Oct 2015 07:28:01 GMT"
#define D_FUTURE "Fri, 01 Jan 2100 00:00:00 GMT"

static rs_cond_t cond(const char *im, const char *ius, const char *inm, const char *ims,
                      const char **which)
{
    rs_cond_hdrs_t c = {im,  im ? strlen(im) : 0,   inm, inm ? strlen(inm) : 0,
                        ims, ims ? strlen(ims) : 0, ius, ius ? strlen(ius) : 0};
    return rs_cond_eval(&c, ETAG, MTIME, NOW, which);
}

Test(cond, no_headers_proceed)
{
    const char *w = "x";
    cr_assert_eq(cond(NULL, NULL, NULL, NULL, &w), RS_COND_PROCEED);
    cr_assert_null(w);
}

Test(cond, if_match)
{
    const char *w = NULL;
    cr_assert_eq(cond("\"" ETAG "\"", NULL, NULL, NULL, &w), RS_COND_PROCEED);
    cr_assert_eq(cond(ETAG, NULL, NULL, NULL, &w), RS_COND_PROCEED);
    cr_assert_eq(cond("*", NULL, NULL, NULL, &w), RS_COND_PROCEED);
    cr_assert_eq(cond("\"nope\", \"" ETAG "\"", NULL, NULL, NULL, &w), RS_COND_PROCEED);
    cr_assert_eq(cond("\"nope\"", NULL, NULL, NULL, &w), RS_COND_FAILED);
    cr_assert_str_eq(w, "If-Match");
}

Test(cond, if_unmodified_since_second_precision)
{
    const char *w = NULL;
    cr_assert_eq(cond(NULL, D_EQ, NULL, NULL, &w), RS_COND_PROCEED);
    cr_assert_eq(cond(NULL, D_AFTER, NULL, NULL, &w), RS_COND_PROCEED);
    cr_assert_eq(cond(NULL, D_BEFORE, NULL, NULL, &w), RS_COND_FAILED);
    cr_assert_str_eq(w, "If-Unmodified-Since");
    cr_assert_eq(cond(NULL, "garbage", NULL, NULL, &w), RS_COND_PROCEED); /* invalid: ignored */
}

Test(cond, if_match_true_overrides_if_unmodified_since)
{
    const char *w = NULL;
    cr_assert_eq(cond(ETAG, D_BEFORE, NULL, NULL, &w), RS_COND_PROCEED);
    cr_assert_eq(cond("other", D_AFTER, NULL, NULL, &w), RS_COND_FAILED);
    cr_assert_str_eq(w, "If-Match");
}

Test(cond, if_none_match)
{
    const char *w = NULL;
    cr_assert_eq(cond(NULL, NULL, ETAG, NULL, &w), RS_COND_NOT_MODIFIED);
    cr_assert_eq(cond(NULL, NULL, "\"" ETAG "\"", NULL, &w), RS_COND_NOT_MODIFIED);
    cr_assert_eq(cond(NULL, NULL, "*", NULL, &w), RS_COND_NOT_MODIFIED);
    cr_assert_eq(cond(NULL, NULL, "\"a\",\"b\"", NULL, &w), RS_COND_PROCEED);
}

Test(cond, if_modified_since)
{
    const char *w = NULL;
    cr_assert_eq(cond(NULL, NULL, NULL, D_EQ, &w), RS_COND_NOT_MODIFIED);
    cr_assert_str_eq(w, "If-Modified-Since");
    cr_assert_eq(cond(NULL, NULL, NULL, D_AFTER, &w), RS_COND_NOT_MODIFIED);
    cr_assert_eq(cond(NULL, NULL, NULL, D_BEFORE, &w), RS_COND_PROCEED);
    cr_assert_eq(cond(NULL, NULL, NULL, D_FUTURE, &w), RS_COND_PROCEED); /* future ignored */
    cr_assert_eq(cond(NULL, NULL, NULL, "not a date", &w), RS_COND_PROCEED);
}

Test(cond, non_matching_if_none_match_overrides_if_modified_since)
{
    const char *w = NULL;
    cr_assert_eq(cond(NULL, NULL, "\"other\"", D_EQ, &w), RS_COND_PROCEED);
    cr_assert_eq(cond(NULL, NULL, ETAG, D_BEFORE, &w), RS_COND_NOT_MODIFIED);
    cr_assert_str_eq(w, "If-None-Match");
}

Test(cond, order_across_all_four)
{
    const char *w = NULL;
    /* If-Match false wins over everything */
    cr_assert_eq(cond("x", D_BEFORE, ETAG, D_EQ, &w), RS_COND_FAILED);
    cr_assert_str_eq(w, "If-Match");
    /* If-Unmodified-Since false is checked before If-None-Match */
    cr_assert_eq(cond(NULL, D_BEFORE, ETAG, D_EQ, &w), RS_COND_FAILED);
    cr_assert_str_eq(w, "If-Unmodified-Since");
    /* all four, If-Match true: If-Unmodified-Since ignored, If-None-Match match -> 304 */
    cr_assert_eq(cond(ETAG, D_BEFORE, ETAG, D_BEFORE, &w), RS_COND_NOT_MODIFIED);
    cr_assert_str_eq(w, "If-None-Match");
    /* all four with If-None-Match not matching: 200 */
    cr_assert_eq(cond(ETAG, D_BEFORE, "zzz", D_EQ, &w), RS_COND_PROCEED);
    cr_assert_eq(cond(ETAG, NULL, NULL, D_EQ, NULL), RS_COND_NOT_MODIFIED); /* which optional */
}

Test(etag, list_matching)
{
    const char *e = ETAG;
    cr_assert(rs_etag_list_matches(ETAG, strlen(ETAG), e));
    cr_assert(rs_etag_list_matches("\"" ETAG "\"", 34, e));
    const char *l = " \"a\" , W/\"" ETAG "\" ";
    cr_assert(rs_etag_list_matches(l, strlen(l), e));
    cr_assert_not(rs_etag_list_matches(l, 9, e)); /* only the first item in range */
    cr_assert(rs_etag_list_matches("*", 1, e));
    cr_assert(rs_etag_list_matches(" * ", 3, e));
    cr_assert_not(rs_etag_list_matches("", 0, e));
    cr_assert_not(rs_etag_list_matches("\"\"", 2, e));
    cr_assert_not(rs_etag_list_matches("5eb63bbbe01eeed093cb22bb8f5acdc", 31, e));
    cr_assert_not(rs_etag_list_matches("\"5eb63bbbe01eeed093cb22bb8f5acdc3x\"", 35, e));
    cr_assert_not(rs_etag_list_matches("**", 2, e));
    cr_assert_not(rs_etag_list_matches(NULL, 0, e));
    cr_assert(rs_etag_list_matches("\"abc-2\"", 7, "abc-2"));
}
