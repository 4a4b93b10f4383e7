/*
 * test_s3_ops.c: the S3 operation layer driven without sockets: rs_s3_handle over a real
 * shared-memory store, checking statuses, AWS error codes and bodies, headers and bytes.
 * Runs in: the test process (plays the role of one worker).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rs/checksum.h"
#include "rs/codec.h"
#include "rs/s3.h"
#include "s3_harness.h"

TestSuite(s3_ops, .init = rs_s3h_setup, .fini = rs_s3h_teardown);

Test(s3_ops, create_bucket_rules)
{
    rs_s3h_expect(rs_s3h_run("PUT", "/good-bucket", NULL, 0, NULL), 200, NULL);
    /* us-east-1, no configuration: the legacy idempotent 200 */
    rs_s3h_expect(rs_s3h_run("PUT", "/good-bucket", NULL, 0, NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("PUT", "/Bad_Bucket", NULL, 0, NULL), 400,
                  "<Code>InvalidBucketName</Code>");
    rs_s3h_expect(rs_s3h_run("PUT", "/192.168.5.4", NULL, 0, NULL), 400,
                  "<BucketName>192.168.5.4</BucketName>");
    {
        const char *cfg = "<CreateBucketConfiguration><LocationConstraint>us-east-1"
                          "</LocationConstraint></CreateBucketConfiguration>";
        rs_s3h_expect(rs_s3h_run("PUT", "/other-bucket", cfg, strlen(cfg), NULL), 400,
                      "<Code>InvalidLocationConstraint</Code>");
    }
    rs_s3h_expect(rs_s3h_run("PUT", "/other-bucket", "<oops", 5, NULL), 400,
                  "<Code>MalformedXML</Code>");
}

Test(s3_ops, put_get_roundtrip_and_headers)
{
    rs_s3h_call_t *c;
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    c = rs_s3h_run("PUT", "/bkt/dir/a%20b%2Bc.txt", "hello world", 11, "x-amz-meta-Color",
                   "  blue ", "x-amz-checksum-crc32", "DUoRhQ==", "x-amz-sdk-checksum-algorithm",
                   "CRC32", NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    cr_expect_str_eq(rs_s3h_hdr(c, "ETag"), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    cr_expect_str_eq(rs_s3h_hdr(c, "x-amz-checksum-crc32"), "DUoRhQ==");
    rs_s3h_done(c);

    c = rs_s3h_run("GET", "/bkt/dir/a%20b%2Bc.txt", NULL, 0, "x-amz-checksum-mode", "ENABLED",
                   NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    cr_expect_eq(c->body_len, 11);
    cr_expect_str_eq(c->body, "hello world");
    cr_expect_str_eq(rs_s3h_hdr(c, "Content-Type"), "binary/octet-stream");
    cr_expect_str_eq(rs_s3h_hdr(c, "x-amz-meta-color"), "blue");
    cr_expect_str_eq(rs_s3h_hdr(c, "x-amz-checksum-crc32"), "DUoRhQ==");
    cr_expect_str_eq(rs_s3h_hdr(c, "Accept-Ranges"), "bytes");
    rs_s3h_done(c);

    /* a genuine partial range never carries the whole-object checksum */
    c = rs_s3h_run("GET", "/bkt/dir/a%20b%2Bc.txt", NULL, 0, "range", "bytes=0-4",
                   "x-amz-checksum-mode", "ENABLED", NULL);
    cr_assert_eq(c->resp.status, 206);
    cr_expect_str_eq(c->body, "hello");
    cr_expect_str_eq(rs_s3h_hdr(c, "Content-Range"), "bytes 0-4/11");
    cr_expect_null(rs_s3h_hdr(c, "x-amz-checksum-crc32"));
    rs_s3h_done(c);

    c = rs_s3h_run("GET", "/bkt/dir/a%20b%2Bc.txt", NULL, 0, "range", "bytes=20-30", NULL);
    rs_s3h_expect(c, 416, "<ActualObjectSize>11</ActualObjectSize>");
    rs_s3h_expect(rs_s3h_run("GET", "/bkt/missing", NULL, 0, NULL), 404, "<Key>missing</Key>");
    rs_s3h_expect(rs_s3h_run("GET", "/nobucket/k", NULL, 0, NULL), 404,
                  "<BucketName>nobucket</BucketName>");
}

Test(s3_ops, integrity_errors_store_nothing)
{
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/k", "abc", 3, "content-md5", "__invalid__", NULL), 400,
                  "<Content-MD5>__invalid__</Content-MD5>");
    rs_s3h_expect(
        rs_s3h_run("PUT", "/bkt/k", "abc", 3, "content-md5", "CY9rzUYh03PK3k6DJie09g==", NULL), 400,
        "<CalculatedDigest>kAFQmDzST7DWlj99KOF/cg==</CalculatedDigest>");
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/k", "abc", 3, "x-amz-checksum-crc32", "AAAAAA==", NULL),
                  400, "The CRC32 you specified did not match the calculated checksum.");
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/k", "abc", 3, "x-amz-checksum-crc32", "zz", NULL), 400,
                  "Value for x-amz-checksum-crc32 header is invalid.");
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/k", "abc", 3, "x-amz-checksum-crc32", "NSRBwg==",
                             "x-amz-checksum-sha1", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", NULL),
                  400, "Expecting a single x-amz-checksum- header");
    rs_s3h_expect(
        rs_s3h_run("PUT", "/bkt/k", "abc", 3, "x-amz-sdk-checksum-algorithm", "CRC32", NULL), 400,
        "x-amz-sdk-checksum-algorithm specified");
    rs_s3h_expect(rs_s3h_run("GET", "/bkt/k", NULL, 0, NULL), 404, "NoSuchKey");
}

Test(s3_ops, aws_chunked_trailer_body)
{
    const char *body = "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    rs_s3h_call_t *c;
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    c = rs_s3h_run("PUT", "/bkt/chunked", body, strlen(body), "x-amz-content-sha256",
                   "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding", "gzip,aws-chunked",
                   "x-amz-decoded-content-length", "11", "x-amz-trailer", "x-amz-checksum-crc32",
                   "x-amz-sdk-checksum-algorithm", "CRC32", NULL);
    rs_s3h_expect(c, 200, NULL);
    c = rs_s3h_run("GET", "/bkt/chunked", NULL, 0, NULL);
    cr_expect_str_eq(c->body, "hello world");
    cr_expect_str_eq(rs_s3h_hdr(c, "Content-Encoding"), "gzip");
    rs_s3h_done(c);
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/chunked2", body, strlen(body), "x-amz-content-sha256",
                             "STREAMING-UNSIGNED-PAYLOAD-TRAILER", NULL),
                  411, "MissingContentLength");
}

Test(s3_ops, conditional_requests)
{
    rs_s3h_call_t *c;
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/k", "v1", 2, NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/k", "v2", 2, "if-none-match", "*", NULL), 412,
                  "<Condition>If-None-Match</Condition>");
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/absent", "v2", 2, "if-match", "\"abc\"", NULL), 404,
                  "NoSuchKey");
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/k", "v2", 2, "if-none-match", "abc", NULL), 501,
                  "NotImplemented");
    c = rs_s3h_run("GET", "/bkt/k", NULL, 0, "if-none-match",
                   "\"3f2a7d7fb3e3ae0bbbd37cfa59a8a8c6\"", NULL);
    cr_expect(c->resp.status == 304 || c->resp.status == 200);
    rs_s3h_done(c);
    rs_s3h_expect(rs_s3h_run("GET", "/bkt/k", NULL, 0, "if-match", "\"0000\"", NULL), 412,
                  "<Condition>If-Match</Condition>");
}

Test(s3_ops, listing_and_delete_bucket)
{
    const char *keys[] = {"a/1", "a/2", "b", "c/x/y", "d"};
    size_t i;
    rs_s3h_call_t *c;
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    for (i = 0; i < 5; i++) {
        char path[64];
        snprintf(path, sizeof path, "/bkt/%s", keys[i]);
        rs_s3h_expect(rs_s3h_run("PUT", path, "x", 1, NULL), 200, NULL);
    }
    c = rs_s3h_run("GET", "/bkt?list-type=2&delimiter=/&max-keys=2", NULL, 0, NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    cr_expect(strstr(c->body, "<Prefix>a/</Prefix>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<Key>b</Key>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<KeyCount>2</KeyCount>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<IsTruncated>true</IsTruncated>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<NextContinuationToken>") != NULL, "%s", c->body);
    rs_s3h_done(c);
    rs_s3h_expect(rs_s3h_run("GET", "/bkt?list-type=2&continuation-token=bogus", NULL, 0, NULL),
                  400, "The continuation token provided is incorrect");
    rs_s3h_expect(rs_s3h_run("GET", "/bkt?list-type=2&encoding-type=xml", NULL, 0, NULL), 400,
                  "Invalid Encoding Method specified in Request");
    rs_s3h_expect(rs_s3h_run("GET", "/bkt?max-keys=-1", NULL, 0, NULL), 400,
                  "<ArgumentName>maxKeys");
    rs_s3h_expect(rs_s3h_run("DELETE", "/bkt", NULL, 0, NULL), 409, "BucketNotEmpty");
    {
        const char *del = "<Delete><Object><Key>a/1</Key></Object><Object><Key>a/2</Key>"
                          "</Object><Object><Key>b</Key></Object><Object><Key>c/x/y</Key>"
                          "</Object><Object><Key>d</Key></Object><Object><Key>never</Key>"
                          "</Object></Delete>";
        rs_s3h_expect(rs_s3h_run("POST", "/bkt?delete", del, strlen(del), NULL), 200,
                      "<Deleted><Key>never</Key></Deleted>");
    }
    rs_s3h_expect(rs_s3h_run("DELETE", "/bkt", NULL, 0, NULL), 204, NULL);
    rs_s3h_expect(rs_s3h_run("DELETE", "/bkt", NULL, 0, NULL), 404, "NoSuchBucket");
}

Test(s3_ops, copy_object)
{
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/src", "data", 4, "content-type", "text/plain", NULL), 200,
                  NULL);
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/dst", NULL, 0, "x-amz-copy-source", "/bkt/src", NULL),
                  200, "<ETag>&quot;8d777f385d3dfec8815d20f7496026dc&quot;</ETag>");
    {
        rs_s3h_call_t *c = rs_s3h_run("GET", "/bkt/dst", NULL, 0, NULL);
        cr_expect_str_eq(c->body, "data");
        cr_expect_str_eq(rs_s3h_hdr(c, "Content-Type"), "text/plain");
        rs_s3h_done(c);
    }
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/src", NULL, 0, "x-amz-copy-source", "bkt/src", NULL), 400,
                  "trying to copy an object to itself");
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/dst", NULL, 0, "x-amz-copy-source", "bkt/nope", NULL),
                  404, "<Key>nope</Key>");
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt/dst", NULL, 0, "x-amz-copy-source", "nokey", NULL), 400,
                  "Invalid copy source object key");
}

Test(s3_ops, bucket_configurations_under_reserved_keys)
{
    const char *tags = "<Tagging><TagSet><Tag><Key>env</Key><Value>dev</Value></Tag></TagSet>"
                       "</Tagging>";
    const char *cors = "<CORSConfiguration><CORSRule><AllowedOrigin>http://o.test</AllowedOrigin>"
                       "<AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>5</MaxAgeSeconds>"
                       "</CORSRule></CORSConfiguration>";
    rs_bucket_t b;
    rs_list_query_t q = {.max_items = 10};
    rs_list_result_t r;
    rs_store_stats_t before, after;
    rs_s3h_call_t *c;

    rs_s3h_expect(rs_s3h_run("PUT", "/cfg", NULL, 0, NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("GET", "/cfg?tagging", NULL, 0, NULL), 404,
                  "<Code>NoSuchTagSet</Code>");
    rs_s3h_expect(rs_s3h_run("GET", "/cfg?cors", NULL, 0, NULL), 404,
                  "<Code>NoSuchCORSConfiguration</Code>");
    rs_s3h_expect(rs_s3h_run("OPTIONS", "/cfg/k", NULL, 0, "origin", "http://o.test",
                             "access-control-request-method", "GET", NULL),
                  403, "CORS is not enabled for this bucket.");
    rs_s3h_expect(rs_s3h_run("PUT", "/cfg?tagging", tags, strlen(tags), NULL), 204, NULL);
    rs_s3h_expect(rs_s3h_run("PUT", "/cfg?cors", cors, strlen(cors), NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("GET", "/cfg?tagging", NULL, 0, NULL), 200,
                  "<Key>env</Key><Value>dev</Value>");
    rs_s3h_expect(rs_s3h_run("GET", "/cfg?cors", NULL, 0, NULL), 200,
                  "<MaxAgeSeconds>5</MaxAgeSeconds>");
    c = rs_s3h_run("OPTIONS", "/cfg/k", NULL, 0, "origin", "http://o.test",
                   "access-control-request-method", "GET", NULL);
    cr_expect_eq(c->resp.status, 200, "%s", c->body);
    cr_expect_str_eq(rs_s3h_hdr(c, "access-control-allow-origin"), "http://o.test");
    cr_expect_str_eq(rs_s3h_hdr(c, "access-control-max-age"), "5");
    rs_s3h_done(c);
    /* the store never lists them, the bucket counts as empty */
    cr_assert_eq(rs_bucket_lookup(rs_s3h_store, "cfg", &b), 0);
    cr_assert_eq(rs_obj_list(rs_s3h_store, &b, &q, &r), 0);
    cr_expect_eq(r.n, 0);
    cr_expect_eq(r.truncated, 0);
    rs_list_result_free(&r);
    rs_s3h_expect(rs_s3h_run("GET", "/cfg?list-type=2", NULL, 0, NULL), 200,
                  "<KeyCount>0</KeyCount>");
    rs_store_stats(rs_s3h_store, &before);
    rs_s3h_expect(rs_s3h_run("DELETE", "/cfg", NULL, 0, NULL), 204, NULL);
    rs_store_stats(rs_s3h_store, &after);
    cr_expect_eq(after.objects + 2, before.objects, "configurations freed with the bucket");
    {
        char why[256] = "";
        cr_expect_eq(rs_store_check(rs_s3h_store, why, sizeof why), 0, "%s", why);
    }
    rs_s3h_expect(rs_s3h_run("PUT", "/cfg", NULL, 0, NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("GET", "/cfg?tagging", NULL, 0, NULL), 404,
                  "<Code>NoSuchTagSet</Code>");
}

Test(s3_ops, object_tagging)
{
    const char *tags = "<Tagging><TagSet><Tag><Key>a b</Key><Value>c+d=e/f</Value></Tag>"
                       "</TagSet></Tagging>";
    const char *bad = "<Tagging><TagSet><Tag><Key>aws:x</Key><Value>1</Value></Tag></TagSet>"
                      "</Tagging>";
    rs_s3h_call_t *c;
    rs_s3h_expect(rs_s3h_run("PUT", "/otb", NULL, 0, NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("PUT", "/otb/k", "bytes", 5, "x-amz-tagging", "x=1", NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("GET", "/otb/k?tagging", NULL, 0, NULL), 200,
                  "<Key>x</Key><Value>1</Value>");
    rs_s3h_expect(rs_s3h_run("PUT", "/otb/k?tagging", tags, strlen(tags), NULL), 200, NULL);
    rs_s3h_expect(rs_s3h_run("GET", "/otb/k?tagging", NULL, 0, NULL), 200,
                  "<Key>a b</Key><Value>c+d=e/f</Value>");
    c = rs_s3h_run("GET", "/otb/k", NULL, 0, NULL);
    cr_expect_eq(c->resp.status, 200);
    cr_expect_str_eq(c->body, "bytes");
    cr_expect_str_eq(rs_s3h_hdr(c, "x-amz-tagging-count"), "1");
    rs_s3h_done(c);
    rs_s3h_expect(rs_s3h_run("PUT", "/otb/k?tagging", bad, strlen(bad), NULL), 400,
                  "Your TagKey cannot be prefixed with aws:");
    rs_s3h_expect(rs_s3h_run("DELETE", "/otb/k?tagging", NULL, 0, NULL), 204, NULL);
    rs_s3h_expect(rs_s3h_run("GET", "/otb/k?tagging", NULL, 0, NULL), 200, "<TagSet></TagSet>");
    rs_s3h_expect(rs_s3h_run("GET", "/otb/none?tagging", NULL, 0, NULL), 404,
                  "<Code>NoSuchKey</Code>");
    rs_s3h_expect(rs_s3h_run("PUT", "/otb/k2", "x", 1, "x-amz-tagging", "a=1&a=2", NULL), 400,
                  "<Code>InvalidArgument</Code>");
}

/* the text of the first <name>..</name> in a body, copied into out */
static void elem(const rs_s3h_call_t *c, const char *name, char *out, size_t cap)
{
    char open[64];
    snprintf(open, sizeof open, "<%s>", name);
    const char *s = strstr(c->body, open), *e;
    cr_assert_not_null(s, "no <%s> in %s", name, c->body);
    s += strlen(open);
    e = strstr(s, "</");
    cr_assert(e != NULL && (size_t)(e - s) < cap);
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
}

Test(s3_ops, multipart_upload)
{
    char id[64], etag[64], path[256], xml[512], hex[33];
    uint8_t md5s[32], d[16];
    struct iovec iov = {md5s, 32};
    rs_s3h_call_t *c;

    rs_s3h_expect(rs_s3h_run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    c = rs_s3h_run("POST", "/bkt/mp?uploads", NULL, 0, "x-amz-tagging", "a=1", "content-type",
                   "text/x", NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    elem(c, "UploadId", id, sizeof id);
    rs_s3h_done(c);
    cr_assert_eq(strlen(id), 32);

    snprintf(path, sizeof path, "/bkt/mp?partNumber=2&uploadId=%s", id);
    c = rs_s3h_run("PUT", path, "world", 5, NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    snprintf(etag, sizeof etag, "%s", rs_s3h_hdr(c, "ETag"));
    rs_s3h_done(c);
    snprintf(path, sizeof path, "/bkt/mp?partNumber=10001&uploadId=%s", id);
    rs_s3h_expect(rs_s3h_run("PUT", path, "x", 1, NULL), 400, "between 1 and 10000");
    rs_s3h_expect(rs_s3h_run("PUT",
                             "/bkt/mp?partNumber=1&uploadId=00000000000000000000000000000000", "x",
                             1, NULL),
                  404, "<Code>NoSuchUpload</Code>");

    snprintf(path, sizeof path, "/bkt/mp?uploadId=%s", id);
    rs_s3h_expect(rs_s3h_run("GET", path, NULL, 0, NULL), 200, "<PartNumber>2</PartNumber>");
    rs_s3h_expect(rs_s3h_run("GET", "/bkt?uploads", NULL, 0, NULL), 200, id);
    rs_s3h_expect(rs_s3h_run("POST", path, "<CompleteMultipartUpload/>", 26, NULL), 400,
                  "You must specify at least one part");
    rs_s3h_expect(rs_s3h_run("POST", path, "<x", 2, NULL), 400, "<Code>MalformedXML</Code>");
    snprintf(xml, sizeof xml,
             "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
             "</CompleteMultipartUpload>",
             etag);
    rs_s3h_expect(rs_s3h_run("POST", path, xml, strlen(xml), NULL), 400,
                  "<PartNumber>1</PartNumber>");
    snprintf(xml, sizeof xml,
             "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part>"
             "</CompleteMultipartUpload>",
             etag);
    /* the ETag: MD5 of the part MD5s, "-1" */
    rs_md5(&(struct iovec){"world", 5}, 1, md5s);
    iov.iov_len = 16;
    rs_md5(&iov, 1, d);
    rs_hex_encode(d, 16, hex); /* 32 digits and a NUL */
    c = rs_s3h_run("POST", path, xml, strlen(xml), NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    cr_expect(strstr(c->body, hex) != NULL && strstr(c->body, "-1&quot;") != NULL, "%s", c->body);
    rs_s3h_done(c);
    rs_s3h_expect(rs_s3h_run("GET", path, NULL, 0, NULL), 404, "<Code>NoSuchUpload</Code>");

    c = rs_s3h_run("GET", "/bkt/mp?partNumber=1", NULL, 0, NULL);
    cr_expect_eq(c->resp.status, 206);
    cr_expect_str_eq(c->body, "world");
    cr_expect_str_eq(rs_s3h_hdr(c, "x-amz-mp-parts-count"), "1");
    cr_expect_str_eq(rs_s3h_hdr(c, "x-amz-tagging-count"), "1");
    cr_expect_str_eq(rs_s3h_hdr(c, "Content-Type"), "text/x");
    cr_expect(strstr(rs_s3h_hdr(c, "ETag"), "-1\"") != NULL);
    rs_s3h_done(c);
    rs_s3h_expect(rs_s3h_run("GET", "/bkt/mp?partNumber=2", NULL, 0, NULL), 416,
                  "<ActualPartCount>1</ActualPartCount>");
}
