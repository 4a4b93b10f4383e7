/*
 * test_xml.c: unit tests for the XML writer (escaping, nesting, namespace) and the bounded
 * parsers of CreateBucketConfiguration and Delete (malformed, DTD/entities, limits).
 * Runs in: the test binary.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/err.h"
#include "rs/xml.h"

#define XHDR "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define S3NS "http://s3.amazonaws.com/doc/2006-03-01/"

static rs_pool_t pool;

static void setup(void)
{
    rs_pool_init(&pool);
}

static void teardown(void)
{
    rs_pool_clear(&pool);
}

TestSuite(xmlw);
TestSuite(xmlp, .init = setup, .fini = teardown);

Test(xmlw, document_shape_and_escaping)
{
    rs_buf_t out;
    rs_buf_init(&out);
    rs_xml_t *x = rs_xml_begin("ListBucketResult", S3NS);
    cr_assert_not_null(x);
    rs_xml_elem(x, "Name", "b&<c>");
    rs_xml_start(x, "Contents");
    rs_xml_elem(x, "Key", "a \"q\" 'x' \xc3\xa9");
    rs_xml_elemn(x, "ETag", "\"abcdef\"XYZ", 8);
    rs_xml_elemf(x, "Size", "%d", 42);
    rs_xml_end(x);
    rs_xml_start(x, "Owner");
    rs_xml_text(x, "t<");
    rs_xml_end(x);
    rs_xml_elem(x, "Empty", "");
    rs_xml_finish(x, &out);
    const char *want =
        XHDR "<ListBucketResult xmlns=\"" S3NS "\"><Name>b&amp;&lt;c&gt;</Name>"
             "<Contents><Key>a &quot;q&quot; 'x' \xc3\xa9</Key><ETag>&quot;abcdef&quot;</ETag>"
             "<Size>42</Size></Contents><Owner>t&lt;</Owner><Empty></Empty>"
             "</ListBucketResult>\n";
    cr_assert_str_eq(out.data, want);
    rs_buf_free(&out);
}

Test(xmlw, no_namespace_and_long_format)
{
    rs_buf_t out;
    rs_buf_init(&out);
    rs_buf_appends(&out, "prefix:");
    rs_xml_t *x = rs_xml_begin("Error", NULL);
    char big[300];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    rs_xml_elemf(x, "Message", "%s!", big);
    rs_xml_finish(x, &out);
    cr_assert_eq(strncmp(out.data, "prefix:" XHDR "<Error><Message>zzz", 7 + 39 + 19), 0);
    cr_assert(strstr(out.data, "z!</Message></Error>") != NULL);
    cr_assert_eq(strstr(out.data, "xmlns"), NULL);
    rs_buf_free(&out);
}

/* What the end of the document closes: an element with nothing inside as <A/> (AWS's
 * empty LocationConstraint), one with content normally; CR is escaped as &#13;. */
Test(xmlw, finish_closes_empty_elements_short)
{
    rs_buf_t out;
    rs_buf_init(&out);
    rs_xml_t *x = rs_xml_begin("LocationConstraint", S3NS);
    rs_xml_finish(x, &out);
    cr_assert_str_eq(out.data, XHDR "<LocationConstraint xmlns=\"" S3NS "\"/>\n");
    rs_buf_free(&out);

    rs_buf_init(&out);
    x = rs_xml_begin("A", NULL);
    rs_xml_start(x, "B");
    rs_xml_elem(x, "C", "x\ry");
    rs_xml_start(x, "D");
    rs_xml_finish(x, &out);
    cr_assert_str_eq(out.data, XHDR "<A><B><C>x&#13;y</C><D/></B></A>\n");
    rs_buf_free(&out);
}

/* A listing-sized document grows the buffer many times and stays exact. */
Test(xmlw, large_document)
{
    rs_buf_t out;
    char key[32];
    rs_buf_init(&out);
    rs_xml_t *x = rs_xml_begin("R", NULL);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%06d&", i);
        rs_xml_start(x, "Contents");
        rs_xml_elem(x, "Key", key);
        rs_xml_end(x);
    }
    rs_xml_finish(x, &out);
    cr_assert_eq(out.len, strlen(XHDR) + 3 +
                              5000 * strlen("<Contents><Key>k000000&amp;</Key></Contents>") + 4 +
                              1);
    cr_assert_eq(strlen(out.data), out.len);
    cr_assert(strstr(out.data, "<Key>k004999&amp;</Key></Contents></R>\n") != NULL);
    rs_buf_free(&out);
}

static int cb(const char *s, char **loc)
{
    return rs_xml_parse_create_bucket(&pool, (const uint8_t *)s, strlen(s), loc);
}

Test(xmlp, create_bucket)
{
    char *loc = (char *)"unset";
    cr_assert_eq(cb("", &loc), 0);
    cr_assert_null(loc);
    cr_assert_eq(cb("  \r\n", &loc), 0);
    cr_assert_null(loc);
    cr_assert_eq(cb("<CreateBucketConfiguration xmlns=\"" S3NS "\"><LocationConstraint>"
                    "eu-west-1</LocationConstraint></CreateBucketConfiguration>",
                    &loc),
                 0);
    cr_assert_str_eq(loc, "eu-west-1");
    cr_assert_eq(cb(XHDR "<CreateBucketConfiguration>\n  <LocationConstraint>us-west-2"
                         "</LocationConstraint>\n</CreateBucketConfiguration>",
                    &loc),
                 0);
    cr_assert_str_eq(loc, "us-west-2");
    cr_assert_eq(
        cb("<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>", &loc),
        0);
    cr_assert_null(loc);
    cr_assert_eq(cb("<CreateBucketConfiguration/>", &loc), 0);
    cr_assert_null(loc);
}

Test(xmlp, create_bucket_rejects)
{
    static const char *bad[] = {
        "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>",
        "<CreateBucketConfig><LocationConstraint>x</LocationConstraint></CreateBucketConfig>",
        "<createbucketconfiguration/>",
        "<CreateBucketConfiguration><Foo>x</Foo></CreateBucketConfiguration>",
        "<CreateBucketConfiguration>text<LocationConstraint>x</LocationConstraint>"
        "</CreateBucketConfiguration>",
        "<CreateBucketConfiguration><LocationConstraint>a</LocationConstraint>"
        "<LocationConstraint>b</LocationConstraint></CreateBucketConfiguration>",
        "<CreateBucketConfiguration><LocationConstraint><X/></LocationConstraint>"
        "</CreateBucketConfiguration>",
        "<CreateBucketConfiguration xmlns=\"urn:other\"/>",
        "not xml at all",
        "<?xml version=\"1.0\"?><!DOCTYPE c [<!ENTITY e \"eu-west-1\">]>"
        "<CreateBucketConfiguration><LocationConstraint>&e;</LocationConstraint>"
        "</CreateBucketConfiguration>",
        "<!DOCTYPE c SYSTEM \"file:///etc/passwd\"><CreateBucketConfiguration/>",
        "<CreateBucketConfiguration><LocationConstraint>&undefined;</LocationConstraint>"
        "</CreateBucketConfiguration>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *loc = (char *)"unset";
        cr_assert_eq(cb(bad[i], &loc), RS_EINVAL, "case %zu accepted", i);
        cr_assert_null(loc, "case %zu left a location", i);
    }
}

static int del(const char *s, size_t max, rs_xml_delobj_t **o, size_t *n, int *q)
{
    return rs_xml_parse_delete(&pool, (const uint8_t *)s, strlen(s), max, o, n, q);
}

Test(xmlp, delete_basic)
{
    rs_xml_delobj_t *o;
    size_t n;
    int q;
    const char *b = XHDR "<Delete xmlns=\"" S3NS "\"><Quiet>true</Quiet>"
                         "<Object><Key>a%2Fb</Key></Object>\n"
                         "<Object><Key>x &amp; y &lt;z&gt; &#x263A;</Key><VersionId>v1</VersionId>"
                         "</Object><Object><Key><![CDATA[<raw>]]></Key></Object></Delete>";
    cr_assert_eq(del(b, 1000, &o, &n, &q), 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(q, 1);
    cr_assert_str_eq(o[0].key, "a%2Fb"); /* no URL decoding */
    cr_assert_eq(o[0].key_len, 5);
    cr_assert_null(o[0].version_id);
    cr_assert_str_eq(o[1].key, "x & y <z> \xe2\x98\xba");
    cr_assert_str_eq(o[1].version_id, "v1");
    cr_assert_str_eq(o[2].key, "<raw>");

    cr_assert_eq(
        del("<Delete><Object><Key>k</Key></Object><Quiet>false</Quiet></Delete>", 1000, &o, &n, &q),
        0);
    cr_assert_eq(q, 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(del("<Delete><Object><Key></Key></Object></Delete>", 1000, &o, &n, &q), 0);
    cr_assert_str_eq(o[0].key, "");
}

Test(xmlp, delete_rejects)
{
    static const char *bad[] = {
        "<Delete></Delete>",
        "<Delete><Quiet>true</Quiet></Delete>",
        "<Delete><Object><VersionId>v</VersionId></Object></Delete>",
        "<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
        "<Delete><Object><Key>a</Key></Object><Quiet>maybe</Quiet></Delete>",
        "<Delete><Object><Key>a</Key></Object><Quiet>true</Quiet><Quiet>true</Quiet></Delete>",
        "<Delete><Object><Key>a</Key><Extra/></Object></Delete>",
        "<Delete><Object><Key>a<b/></Key></Object></Delete>",
        "<Delete><Thing/><Object><Key>a</Key></Object></Delete>",
        "<Delete><Object><Key>a</Key></Object>",
        "<delete><Object><Key>a</Key></Object></delete>",
        "<Delete><object><key>a</key></object></Delete>",
        "<Remove><Object><Key>a</Key></Object></Remove>",
        "<!DOCTYPE d [<!ENTITY x \"a\">]><Delete><Object><Key>&x;</Key></Object></Delete>",
        "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><Delete><Object><Key>&c;</Key>"
        "</Object></Delete>",
        "<?xml version=\"1.0\"?><!DOCTYPE d SYSTEM \"http://127.0.0.1:1/x.dtd\">"
        "<Delete><Object><Key>a</Key></Object></Delete>",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rs_xml_delobj_t *o = (rs_xml_delobj_t *)1;
        size_t n = 99;
        int q = 7;
        cr_assert_eq(del(bad[i], 1000, &o, &n, &q), RS_EINVAL, "case %zu accepted", i);
        cr_assert_null(o);
        cr_assert_eq(n, 0);
    }
}

static char *many_objects(size_t count)
{
    rs_buf_t b;
    rs_buf_init(&b);
    rs_buf_appends(&b, "<Delete>");
    for (size_t i = 0; i < count; i++)
        rs_buf_printf(&b, "<Object><Key>key-%zu</Key></Object>", i);
    rs_buf_appends(&b, "</Delete>");
    return b.data;
}

Test(xmlp, delete_object_limit)
{
    rs_xml_delobj_t *o;
    size_t n;
    int q;
    char *ok = many_objects(1000);
    char *over = many_objects(1001);
    cr_assert_eq(del(ok, 1000, &o, &n, &q), 0);
    cr_assert_eq(n, 1000);
    cr_assert_str_eq(o[999].key, "key-999");
    cr_assert_eq(del(over, 1000, &o, &n, &q), RS_EINVAL);
    cr_assert_eq(del(over, 1001, &o, &n, &q), 0);
    cr_assert_eq(del(ok, 10, &o, &n, &q), RS_EINVAL);
    free(ok);
    free(over);
}

Test(xmlp, size_cap)
{
    size_t len = (5u << 20);
    char *big = malloc(len + 64);
    rs_xml_delobj_t *o;
    size_t n;
    int q;
    strcpy(big, "<Delete><Object><Key>");
    size_t off = strlen(big);
    memset(big + off, 'k', len - off);
    strcpy(big + len, "</Key></Object></Delete>");
    cr_assert_eq(del(big, 1000, &o, &n, &q), RS_EINVAL);
    free(big);
}

#define PARSE_COMPLETE(s, max, parts, n)                                                           \
    rs_xml_parse_complete(&pool, (const uint8_t *)(s), strlen(s), max, parts, n)

Test(xmlp, complete_parts)
{
    rs_xml_part_t *p;
    size_t n;
    const char *doc = "<CompleteMultipartUpload xmlns=\"" S3NS "\">"
                      "<Part><PartNumber> 1 </PartNumber><ETag>\"abc\"</ETag></Part>\n"
                      "<Part><ETag>def</ETag><PartNumber>7</PartNumber>"
                      "<ChecksumCRC32C>AAAAAA==</ChecksumCRC32C></Part>"
                      "</CompleteMultipartUpload>";
    cr_assert_eq(PARSE_COMPLETE(doc, 10000, &p, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(p[0].number, 1);
    cr_assert_str_eq(p[0].etag, "\"abc\"");
    cr_assert_null(p[0].cksum_name);
    cr_assert_eq(p[1].number, 7);
    cr_assert_str_eq(p[1].cksum_name, "CRC32C");
    cr_assert_str_eq(p[1].cksum, "AAAAAA==");
    cr_assert_eq(PARSE_COMPLETE("<CompleteMultipartUpload/>", 10, &p, &n), 0);
    cr_assert_eq(n, 0);
}

Test(xmlp, complete_rejects)
{
    rs_xml_part_t *p;
    size_t n;
    static const char *const bad[] = {
        "",
        "<Foo/>",
        "<CompleteMultipartUpload><Part>",
        "<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></"
        "CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>x1</PartNumber><ETag>x</ETag></Part>"
        "</CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag>"
        "<ChecksumMD4>x</ChecksumMD4></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag>"
        "<Other/></Part></CompleteMultipartUpload>",
        "<CompleteMultipartUpload><Bogus/></CompleteMultipartUpload>",
        "<CompleteMultipartUpload>text</CompleteMultipartUpload>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(PARSE_COMPLETE(bad[i], 10000, &p, &n), RS_EINVAL, "doc %zu", i);
    cr_assert_eq(PARSE_COMPLETE("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                                "<ETag>x</ETag></Part><Part><PartNumber>2</PartNumber>"
                                "<ETag>y</ETag></Part></CompleteMultipartUpload>",
                                1, &p, &n),
                 RS_EINVAL);
}
