/*
 * test_codec.c: unit tests for base64 (strict), hex, S3 url-encoding, SigV4 URI encoding and
 * the date formats. Runs in: the test binary.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "rs/os.h"
#include "rs/codec.h"

static long b64d(const char *s, uint8_t *out, size_t cap)
{
    return rs_base64_decode(s, strlen(s), out, cap);
}

Test(base64, encode_vectors)
{
    char out[64];
    cr_assert_eq(rs_base64_encode((const uint8_t *)"", 0, out), 0);
    cr_assert_str_eq(out, "");
    rs_base64_encode((const uint8_t *)"f", 1, out);
    cr_assert_str_eq(out, "Zg==");
    rs_base64_encode((const uint8_t *)"fo", 2, out);
    cr_assert_str_eq(out, "Zm8=");
    rs_base64_encode((const uint8_t *)"foo", 3, out);
    cr_assert_str_eq(out, "Zm9v");
    cr_assert_eq(rs_base64_encode((const uint8_t *)"foobar", 6, out), 8);
    cr_assert_str_eq(out, "Zm9vYmFy");
    const uint8_t bin[] = {0xfb, 0xff, 0xfe};
    rs_base64_encode(bin, 3, out);
    cr_assert_str_eq(out, "+//+");
}

Test(base64, decode_strict)
{
    uint8_t out[64];
    cr_assert_eq(b64d("Zm9vYmFy", out, sizeof(out)), 6);
    cr_assert_eq(memcmp(out, "foobar", 6), 0);
    cr_assert_eq(b64d("Zg==", out, sizeof(out)), 1);
    cr_assert_eq(out[0], 'f');
    cr_assert_eq(b64d("Zm8=", out, sizeof(out)), 2);
    cr_assert_eq(b64d("", out, sizeof(out)), 0);
    cr_assert_eq(b64d("DUoRhQ==", out, sizeof(out)), 4);
    cr_assert_eq(out[0], 0x0d);
    cr_assert_eq(out[3], 0x85);
    cr_assert_eq(b64d("Zg", out, sizeof(out)), -1); /* padding required */
    cr_assert_eq(b64d("Zg=", out, sizeof(out)), -1);
    cr_assert_eq(b64d("Zm 9v", out, sizeof(out)), -1); /* no whitespace */
    cr_assert_eq(b64d("Zm9v\n", out, sizeof(out)), -1);
    cr_assert_eq(b64d("Z===", out, sizeof(out)), -1);
    cr_assert_eq(b64d("Zg=a", out, sizeof(out)), -1);
    cr_assert_eq(b64d("Zg==Zg==", out, sizeof(out)), -1); /* padding only at the end */
    cr_assert_eq(b64d("Zm9-", out, sizeof(out)), -1);     /* url alphabet rejected */
    cr_assert_eq(b64d("Zm9vYmFy", out, 5), -1);           /* capacity */
}

Test(base64, roundtrip_all_lengths)
{
    uint8_t in[40], back[40];
    char enc[64];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof(in); n++) {
        size_t el = rs_base64_encode(in, n, enc);
        cr_assert_eq(el, 4 * ((n + 2) / 3));
        cr_assert_eq(rs_base64_decode(enc, el, back, sizeof(back)), (long)n);
        cr_assert_eq(memcmp(in, back, n), 0);
    }
}

Test(hex, encode_decode)
{
    const uint8_t in[] = {0x00, 0x9f, 0xab, 0xff};
    char out[16];
    uint8_t back[4];
    rs_hex_encode(in, 4, out);
    cr_assert_str_eq(out, "009fabff");
    cr_assert_eq(rs_hex_decode("009FabfF", 8, back), 0);
    cr_assert_eq(memcmp(back, in, 4), 0);
    cr_assert_eq(rs_hex_decode("abc", 3, back), -1);
    cr_assert_eq(rs_hex_decode("zz", 2, back), -1);
    cr_assert_eq(rs_hex_decode("0g", 2, back), -1);
}

static void check_s3enc(rs_pool_t *p, const char *in, const char *want)
{
    char *got = rs_s3_urlencode(p, in, strlen(in));
    cr_assert_str_eq(got, want, "encode(%s) = %s, want %s", in, got, want);
}

Test(urlencode, s3_listing_rules)
{
    rs_pool_t p;
    rs_pool_init(&p);
    check_s3enc(&p, "quux ab/", "quux%20ab/");
    check_s3enc(&p, "asdf+b", "asdf%2Bb");
    check_s3enc(&p, "date=2026-03-01/", "date%3D2026-03-01/");
    check_s3enc(&p, "%", "%25");
    check_s3enc(&p, "%2F", "%252F");
    check_s3enc(&p, "a-b_c.d~e/f", "a-b_c.d~e/f");
    check_s3enc(&p, "\xc3\xa9\xf0\x9f\x98\x80", "%C3%A9%F0%9F%98%80");
    check_s3enc(&p, "*'()!&$,;:@?#[]", "%2A%27%28%29%21%26%24%2C%3B%3A%40%3F%23%5B%5D");
    check_s3enc(&p, "", "");
    char *nul = rs_s3_urlencode(&p, "a\0b", 3);
    cr_assert_str_eq(nul, "a%00b");
    rs_pool_clear(&p);
}

Test(urlencode, sigv4_uri_encode)
{
    rs_buf_t b;
    rs_buf_init(&b);
    rs_uri_encode(&b, "a b/c+d~", 8, 1);
    cr_assert_str_eq(b.data, "a%20b/c%2Bd~");
    rs_buf_free(&b);
    rs_uri_encode(&b, "a b/c+d~", 8, 0);
    cr_assert_str_eq(b.data, "a%20b%2Fc%2Bd~");
    rs_buf_free(&b);
    rs_uri_encode(&b, "", 0, 0);
    cr_assert_not_null(b.data);
    cr_assert_str_eq(b.data, "");
    rs_buf_free(&b);
}

Test(dates, format)
{
    char out[32];
    rs_http_date(1445412480, out);
    cr_assert_str_eq(out, "Wed, 21 Oct 2015 07:28:00 GMT");
    rs_http_date(0, out);
    cr_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    rs_http_date(951782400, out); /* leap day 2000 */
    cr_assert_str_eq(out, "Tue, 29 Feb 2000 00:00:00 GMT");
    rs_iso8601_ms(1767225600000LL, out);
    cr_assert_str_eq(out, "2026-01-01T00:00:00.000Z");
    rs_iso8601_ms(1795473661123LL, out);
    cr_assert_str_eq(out, "2026-11-23T22:41:01.123Z");
}

Test(dates, parse_http_forms)
{
    int64_t t;
    cr_assert_eq(rs_http_date_parse("Wed, 21 Oct 2015 07:28:00 GMT", 29, &t), 0);
    cr_assert_eq(t, 1445412480);
    const char *rfc850 = "Sunday, 06-Nov-94 08:49:37 GMT";
    cr_assert_eq(rs_http_date_parse(rfc850, strlen(rfc850), &t), 0);
    cr_assert_eq(t, 784111777);
    const char *asct = "Sun Nov  6 08:49:37 1994";
    cr_assert_eq(rs_http_date_parse(asct, strlen(asct), &t), 0);
    cr_assert_eq(t, 784111777);
    const char *imf = "Sun, 06 Nov 1994 08:49:37 GMT";
    cr_assert_eq(rs_http_date_parse(imf, strlen(imf), &t), 0);
    cr_assert_eq(t, 784111777);
    const char *bad[] = {"",
                         "Sun, 06 Nov 1994 08:49:37",
                         "Sun, 06 Foo 1994 08:49:37 GMT",
                         "Sun, 31 Feb 1994 08:49:37 GMT",
                         "Sun, 06 Nov 1994 25:49:37 GMT",
                         "2015-10-21T07:28:00Z",
                         "Sun, 06 Nov 1994 08:49:37 GMTx"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(rs_http_date_parse(bad[i], strlen(bad[i]), &t), -1, "accepted %s", bad[i]);
}

Test(dates, roundtrip_many)
{
    char out[32];
    int64_t t;
    for (int64_t s = -86400LL * 365; s < 4102444800LL; s += 7777777) {
        rs_http_date(s < 0 ? 0 : s, out);
        cr_assert_eq(rs_http_date_parse(out, strlen(out), &t), 0, "%s", out);
        cr_assert_eq(t, s < 0 ? 0 : s);
    }
}

Test(dates, amz_date)
{
    int64_t t;
    cr_assert_eq(rs_amz_date_parse("20130524T000000Z", 16, &t), 0);
    cr_assert_eq(t, 1369353600);
    cr_assert_eq(rs_amz_date_parse("20261123T220148Z", 16, &t), 0);
    cr_assert_eq(t, 1795471308);
    cr_assert_eq(rs_amz_date_parse("20261123T220148", 15, &t), -1);
    cr_assert_eq(rs_amz_date_parse("20261323T220148Z", 16, &t), -1);
    cr_assert_eq(rs_amz_date_parse("20261123X220148Z", 16, &t), -1);
    cr_assert_eq(rs_amz_date_parse("2026112 T220148Z", 16, &t), -1);
}

Test(dates, now_is_sane)
{
    int64_t a = rs_wall_ms();
    cr_assert_gt(a, 1700000000000LL);
    cr_assert_leq(a, rs_wall_ms());
}

Test(codec, uuid_v4_format)
{
    uint8_t b[16];
    char out[37];

    memset(b, 0xff, sizeof(b));
    rs_uuid_v4_format(b, out);
    cr_assert_str_eq(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    for (int i = 0; i < 16; i++)
        b[i] = (uint8_t)(i * 17);
    rs_uuid_v4_format(b, out);
    cr_assert_str_eq(out, "00112233-4455-4677-8899-aabbccddeeff");
}

Test(pct, decode_buf)
{
    char out[8];
    cr_assert_eq(rs_pct_decode_buf("a%2Fb+c", 7, out, sizeof(out), 0), 0);
    cr_assert_str_eq(out, "a/b+c");
    cr_assert_eq(rs_pct_decode_buf("a%2fb+c", 7, out, sizeof(out), 1), 0);
    cr_assert_str_eq(out, "a/b c");
    cr_assert_eq(rs_pct_decode_buf("%zz", 3, out, sizeof(out), 0), -1);
    cr_assert_eq(rs_pct_decode_buf("%2", 2, out, sizeof(out), 0), -1);
    cr_assert_eq(rs_pct_decode_buf("a%00", 4, out, sizeof(out), 0), -1);
    cr_assert_eq(rs_pct_decode_buf("12345678", 8, out, sizeof(out), 0), -1); /* no room */
    cr_assert_eq(rs_pct_decode_buf("1234567", 7, out, sizeof(out), 0), 0);
    cr_assert_eq(rs_pct_decode_buf("", 0, out, sizeof(out), 0), 0);
    cr_assert_str_eq(out, "");
}

Test(utf8, encode_each_length)
{
    char u[4];
    cr_assert_eq(rs_utf8_encode(0x41, u), 1);
    cr_assert_eq(memcmp(u, "A", 1), 0);
    cr_assert_eq(rs_utf8_encode(0xE9, u), 2);
    cr_assert_eq(memcmp(u, "\xC3\xA9", 2), 0);
    cr_assert_eq(rs_utf8_encode(0x20AC, u), 3);
    cr_assert_eq(memcmp(u, "\xE2\x82\xAC", 3), 0);
    cr_assert_eq(rs_utf8_encode(0x1F600, u), 4);
    cr_assert_eq(memcmp(u, "\xF0\x9F\x98\x80", 4), 0);
}

Test(utf8, put_truncates_but_counts)
{
    char buf[4] = {'x', 'x', 'x', 'x'};
    size_t n = rs_utf8_put(0x41, buf, sizeof buf, 0);
    n = rs_utf8_put(0x20AC, buf, sizeof buf, n); /* only 2 of its 3 bytes fit before cap-1 */
    cr_assert_eq(n, 4);
    cr_assert_eq(memcmp(buf, "A\xE2\x82x", 4), 0);
    cr_assert_eq(rs_utf8_put(0x41, NULL, 0, 7), 8); /* cap 0: nothing written */
}
