/*
 * test_pool.c: unit tests for the request pool, rs_buf, response headers, header lookup and
 * query-string parsing / percent-decoding. Runs in: the test binary (no sockets).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "rs/http.h"

Test(pool, alloc_is_aligned_and_distinct)
{
    rs_pool_t p;
    rs_pool_init(&p);
    char *a = rs_pool_alloc(&p, 3);
    char *b = rs_pool_alloc(&p, 5);
    cr_assert_eq((uintptr_t)a % 16, 0);
    cr_assert_eq((uintptr_t)b % 16, 0);
    cr_assert(b >= a + 3 || a >= b + 5);
    memset(a, 'x', 3);
    memset(b, 'y', 5);
    cr_assert_eq(a[2], 'x');
    rs_pool_clear(&p);
    cr_assert_null(p.chunks);
}

Test(pool, large_and_many_allocations_survive)
{
    rs_pool_t p;
    rs_pool_init(&p);
    char *small = rs_pool_strndup(&p, "keep", 4);
    char *big = rs_pool_alloc(&p, 1 << 20);
    memset(big, 0xab, 1 << 20);
    char *ptrs[2000];
    for (int i = 0; i < 2000; i++) {
        ptrs[i] = rs_pool_alloc(&p, 37);
        memset(ptrs[i], i & 0x7f, 37);
    }
    for (int i = 0; i < 2000; i++)
        cr_assert_eq(ptrs[i][36], i & 0x7f);
    cr_assert_str_eq(small, "keep");
    cr_assert_eq((unsigned char)big[(1 << 20) - 1], 0xab);
    rs_pool_clear(&p);
}

Test(pool, strndup_and_printf)
{
    rs_pool_t p;
    rs_pool_init(&p);
    char *s = rs_pool_strndup(&p, "abcdef", 3);
    cr_assert_str_eq(s, "abc");
    cr_assert_str_eq(rs_pool_printf(&p, "%s-%d", "x", 42), "x-42");
    char longer[600];
    memset(longer, 'q', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    char *l = rs_pool_printf(&p, "<%s>", longer);
    cr_assert_eq(strlen(l), 601);
    cr_assert_eq(l[0], '<');
    cr_assert_eq(l[600], '>');
    rs_pool_clear(&p);
}

Test(buf, append_printf_free)
{
    rs_buf_t b;
    rs_buf_init(&b);
    cr_assert_null(b.data);
    rs_buf_appends(&b, "hello");
    rs_buf_append(&b, " ", 1);
    rs_buf_printf(&b, "%s %d", "world", 7);
    cr_assert_eq(b.len, 13);
    cr_assert_str_eq(b.data, "hello world 7");
    for (int i = 0; i < 1000; i++)
        rs_buf_append(&b, "0123456789", 10);
    cr_assert_eq(b.len, 10013);
    cr_assert_eq(b.data[b.len], '\0');
    rs_buf_free(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
}

Test(httpmsg, header_lookup_and_response_headers)
{
    rs_pool_t p;
    rs_hdr_t hs[] = {{"content-type", 12, "text/plain", 10},
                     {"x-amz-date", 10, "d1", 2},
                     {"x-amz-date", 10, "d2", 2}};
    rs_http_req_t req = {.pool = &p, .headers = hs, .num_headers = 3};
    rs_http_resp_t resp;

    rs_pool_init(&p);
    const rs_hdr_t *h = rs_http_req_header(&req, "x-amz-date");
    cr_assert_not_null(h);
    cr_assert_eq(h->value_len, 2);
    cr_assert_eq(h->value[1], '1');
    cr_assert_null(rs_http_req_header(&req, "x-amz"));
    cr_assert_null(rs_http_req_header(&req, "content-typ"));

    rs_http_resp_init(&resp, &p);
    cr_assert_eq(resp.status, 200);
    char name[] = "ETag";
    char value[] = "\"abc\"";
    rs_http_resp_header(&resp, name, value);
    name[0] = 'X';
    value[1] = 'Z';
    cr_assert_str_eq(resp.headers[0].name, "ETag"); /* copied, not aliased */
    cr_assert_str_eq(resp.headers[0].value, "\"abc\"");
    rs_http_resp_headern(&resp, "Content-Length", "12345", 2);
    cr_assert_str_eq(resp.headers[1].value, "12");
    cr_assert_eq(resp.headers[1].value_len, 2);
    for (int i = 0; i < RS_HTTP_MAX_HEADERS + 10; i++)
        rs_http_resp_header(&resp, "x-fill", "v");
    cr_assert_eq(resp.num_headers, RS_HTTP_MAX_HEADERS);
    rs_buf_appends(&resp.body, "body");
    rs_http_resp_free(&resp);
    cr_assert_null(resp.body.data);
    rs_pool_clear(&p);
}

Test(query, delete_flag_and_values)
{
    rs_pool_t p;
    rs_qparam_t *q;
    rs_pool_init(&p);
    const char *raw = "delete&list-type=2&prefix=a%20b%2Fc&empty=&x=1+2";
    size_t n = rs_query_parse(&p, raw, strlen(raw), &q);
    cr_assert_eq(n, 5);
    const rs_qparam_t *d = rs_query_get(q, n, "delete");
    cr_assert_not_null(d);
    cr_assert_eq(d->has_value, 0);
    cr_assert_str_eq(d->value, "");
    cr_assert_str_eq(rs_query_get(q, n, "list-type")->value, "2");
    cr_assert_str_eq(rs_query_get(q, n, "prefix")->value, "a b/c");
    const rs_qparam_t *e = rs_query_get(q, n, "empty");
    cr_assert_eq(e->has_value, 1);
    cr_assert_eq(e->value_len, 0);
    cr_assert_str_eq(rs_query_get(q, n, "x")->value, "1+2"); /* '+' stays '+' */
    cr_assert_null(rs_query_get(q, n, "missing"));
    rs_pool_clear(&p);
}

Test(query, empty_segments_and_no_query)
{
    rs_pool_t p;
    rs_qparam_t *q;
    rs_pool_init(&p);
    cr_assert_eq(rs_query_parse(&p, NULL, 0, &q), 0);
    cr_assert_eq(rs_query_parse(&p, "", 0, &q), 0);
    size_t n = rs_query_parse(&p, "&&a=1&&", 7, &q);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(q[0].name, "a");
    n = rs_query_parse(&p, "k%3Dx=v%3D1=2", 13, &q);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(q[0].name, "k=x");
    cr_assert_str_eq(q[0].value, "v=1=2");
    rs_pool_clear(&p);
}

Test(query, bad_escapes)
{
    rs_pool_t p;
    char *out;
    size_t len;
    rs_pool_init(&p);
    cr_assert_eq(rs_pct_decode(&p, "a%2", 3, &out, &len), -1);
    cr_assert_eq(rs_pct_decode(&p, "a%", 2, &out, &len), -1);
    cr_assert_eq(rs_pct_decode(&p, "%zz", 3, &out, &len), -1);
    cr_assert_eq(rs_pct_decode(&p, "%4g", 3, &out, &len), -1);
    cr_assert_eq(rs_pct_decode(&p, "%41%62+%2b%00z", 14, &out, &len), 0);
    cr_assert_eq(len, 6);
    cr_assert_eq(memcmp(out, "Ab++\0z", 6), 0);
    cr_assert_eq(out[6], '\0');
    cr_assert_eq(rs_pct_decode(&p, "%E2%9C%93", 9, &out, &len), 0);
    cr_assert_str_eq(out, "\xe2\x9c\x93");
    /* the query parser keeps a malformed component as sent */
    rs_qparam_t *q;
    size_t n = rs_query_parse(&p, "a=%zz&b=%41", 11, &q);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(q[0].value, "%zz");
    cr_assert_str_eq(q[1].value, "A");
    rs_pool_clear(&p);
}

Test(httpmsg, reason_phrases)
{
    cr_assert_str_eq(rs_http_reason(200), "OK");
    cr_assert_str_eq(rs_http_reason(404), "Not Found");
    cr_assert_str_eq(rs_http_reason(413), "Payload Too Large");
    cr_assert_str_eq(rs_http_reason(299), "OK");
    cr_assert_str_eq(rs_http_reason(418), "Client Error");
    cr_assert_str_eq(rs_http_reason(599), "Server Error");
}
