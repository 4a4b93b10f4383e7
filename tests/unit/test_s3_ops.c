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

static rs_store_t *store;
static rs_s3_ctx_t ctx;
static rs_cred_t cred = {"test", "test", "000000000000"};

static void setup(void)
{
    rs_store_conf_t conf = {0};
    char name[64];
    conf.capacity_bytes = 64u << 20;
    conf.max_objects = 4096;
    conf.max_buckets = 64;
    conf.max_workers = 2;
    conf.max_object_size = 16u << 20;
    snprintf(name, sizeof name, "/rs-test-s3ops-%d", (int)getpid());
    cr_assert_eq(rs_store_create(name, &conf, &store), 0);
    cr_assert_eq(rs_store_attach(store, 0), 0);
    memset(&ctx, 0, sizeof ctx);
    ctx.store = store;
    ctx.creds = &cred;
    ctx.ncreds = 1;
    ctx.default_account = "000000000000";
    ctx.default_region = "us-east-1";
    ctx.max_object_size = conf.max_object_size;
}

static void teardown(void)
{
    rs_store_detach(store);
    rs_store_destroy(store, 1);
}

typedef struct call {
    rs_pool_t pool;
    rs_http_req_t req;
    rs_http_resp_t resp;
    rs_hdr_t hdrs[16];
    char body[4096]; /* NUL-terminated copy of the response body (or zero-copy bytes) */
    size_t body_len;
} call_t;

/* path like "/bucket/key?query"; headers as "name", "value" pairs ending with NULL */
static call_t *run(const char *method, const char *target, const void *body, size_t blen, ...)
{
    call_t *c = calloc(1, sizeof *c);
    const char *q = strchr(target, '?');
    rs_route_t route;
    const char *p, *slash;
    va_list ap;
    size_t i;

    rs_pool_init(&c->pool);
    c->req.pool = &c->pool;
    c->req.method = method;
    c->req.path = target;
    c->req.path_len = q ? (size_t)(q - target) : strlen(target);
    c->req.query = q ? q + 1 : NULL;
    c->req.query_len = q ? strlen(q + 1) : 0;
    c->req.host = "localhost:4566";
    c->req.host_len = strlen(c->req.host);
    c->req.body = body;
    c->req.body_len = blen;
    c->req.has_content_length = 1;
    strcpy(c->req.request_id, "0123456789ABCDEF");
    va_start(ap, blen);
    for (i = 0; i < 16; i++) {
        const char *n = va_arg(ap, const char *);
        if (n == NULL)
            break;
        c->hdrs[i].name = n;
        c->hdrs[i].name_len = strlen(n);
        c->hdrs[i].value = va_arg(ap, const char *);
        c->hdrs[i].value_len = strlen(c->hdrs[i].value);
    }
    va_end(ap);
    c->req.headers = c->hdrs;
    c->req.num_headers = i;

    memset(&route, 0, sizeof route);
    route.kind = RS_ROUTE_S3;
    p = target + 1;
    if (c->req.path_len > 1) {
        slash = memchr(p, '/', c->req.path_len - 1);
        route.bucket = p;
        route.bucket_len = slash ? (size_t)(slash - p) : c->req.path_len - 1;
        if (slash && (size_t)(slash + 1 - target) < c->req.path_len) {
            route.key = slash + 1;
            route.key_len = c->req.path_len - (size_t)(slash + 1 - target);
        }
    }
    rs_http_resp_init(&c->resp, &c->pool);
    rs_s3_handle(&ctx, &c->req, &route, &c->resp);
    if (c->resp.zc_nseg > 0) {
        for (i = 0; i < c->resp.zc_nseg; i++) {
            cr_assert(c->body_len + c->resp.zc[i].iov_len < sizeof c->body);
            memcpy(c->body + c->body_len, c->resp.zc[i].iov_base, c->resp.zc[i].iov_len);
            c->body_len += c->resp.zc[i].iov_len;
        }
    } else if (c->resp.body.len > 0) {
        cr_assert(c->resp.body.len < sizeof c->body);
        memcpy(c->body, c->resp.body.data, c->resp.body.len);
        c->body_len = c->resp.body.len;
    }
    c->body[c->body_len] = '\0';
    return c;
}

static void done(call_t *c)
{
    if (c->resp.on_dispose != NULL)
        c->resp.on_dispose(c->resp.dispose_arg);
    rs_http_resp_free(&c->resp);
    rs_pool_clear(&c->pool);
    free(c);
}

static const char *hdr(call_t *c, const char *name)
{
    size_t i;
    for (i = 0; i < c->resp.num_headers; i++)
        if (strcasecmp(c->resp.headers[i].name, name) == 0)
            return c->resp.headers[i].value;
    return NULL;
}

static void expect(call_t *c, int status, const char *needle)
{
    cr_expect_eq(c->resp.status, status, "status %d, want %d; body: %s", c->resp.status, status,
                 c->body);
    if (needle != NULL)
        cr_expect(strstr(c->body, needle) != NULL, "body lacks %s: %s", needle, c->body);
    done(c);
}

TestSuite(s3_ops, .init = setup, .fini = teardown);

Test(s3_ops, create_bucket_rules)
{
    expect(run("PUT", "/good-bucket", NULL, 0, NULL), 200, NULL);
    /* us-east-1, no configuration: the legacy idempotent 200 */
    expect(run("PUT", "/good-bucket", NULL, 0, NULL), 200, NULL);
    expect(run("PUT", "/Bad_Bucket", NULL, 0, NULL), 400, "<Code>InvalidBucketName</Code>");
    expect(run("PUT", "/192.168.5.4", NULL, 0, NULL), 400, "<BucketName>192.168.5.4</BucketName>");
    {
        const char *cfg = "<CreateBucketConfiguration><LocationConstraint>us-east-1"
                          "</LocationConstraint></CreateBucketConfiguration>";
        expect(run("PUT", "/other-bucket", cfg, strlen(cfg), NULL), 400,
               "<Code>InvalidLocationConstraint</Code>");
    }
    expect(run("PUT", "/other-bucket", "<oops", 5, NULL), 400, "<Code>MalformedXML</Code>");
}

Test(s3_ops, put_get_roundtrip_and_headers)
{
    call_t *c;
    expect(run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    c = run("PUT", "/bkt/dir/a%20b%2Bc.txt", "hello world", 11, "x-amz-meta-Color", "  blue ",
            "x-amz-checksum-crc32", "DUoRhQ==", "x-amz-sdk-checksum-algorithm", "CRC32", NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    cr_expect_str_eq(hdr(c, "ETag"), "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    cr_expect_str_eq(hdr(c, "x-amz-checksum-crc32"), "DUoRhQ==");
    done(c);

    c = run("GET", "/bkt/dir/a%20b%2Bc.txt", NULL, 0, "x-amz-checksum-mode", "ENABLED", NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    cr_expect_eq(c->body_len, 11);
    cr_expect_str_eq(c->body, "hello world");
    cr_expect_str_eq(hdr(c, "Content-Type"), "binary/octet-stream");
    cr_expect_str_eq(hdr(c, "x-amz-meta-color"), "blue");
    cr_expect_str_eq(hdr(c, "x-amz-checksum-crc32"), "DUoRhQ==");
    cr_expect_str_eq(hdr(c, "Accept-Ranges"), "bytes");
    done(c);

    /* a genuine partial range never carries the whole-object checksum */
    c = run("GET", "/bkt/dir/a%20b%2Bc.txt", NULL, 0, "range", "bytes=0-4", "x-amz-checksum-mode",
            "ENABLED", NULL);
    cr_assert_eq(c->resp.status, 206);
    cr_expect_str_eq(c->body, "hello");
    cr_expect_str_eq(hdr(c, "Content-Range"), "bytes 0-4/11");
    cr_expect_null(hdr(c, "x-amz-checksum-crc32"));
    done(c);

    c = run("GET", "/bkt/dir/a%20b%2Bc.txt", NULL, 0, "range", "bytes=20-30", NULL);
    expect(c, 416, "<ActualObjectSize>11</ActualObjectSize>");
    expect(run("GET", "/bkt/missing", NULL, 0, NULL), 404, "<Key>missing</Key>");
    expect(run("GET", "/nobucket/k", NULL, 0, NULL), 404, "<BucketName>nobucket</BucketName>");
}

Test(s3_ops, integrity_errors_store_nothing)
{
    expect(run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    expect(run("PUT", "/bkt/k", "abc", 3, "content-md5", "__invalid__", NULL), 400,
           "<Content-MD5>__invalid__</Content-MD5>");
    expect(run("PUT", "/bkt/k", "abc", 3, "content-md5", "CY9rzUYh03PK3k6DJie09g==", NULL), 400,
           "<CalculatedDigest>kAFQmDzST7DWlj99KOF/cg==</CalculatedDigest>");
    expect(run("PUT", "/bkt/k", "abc", 3, "x-amz-checksum-crc32", "AAAAAA==", NULL), 400,
           "The CRC32 you specified did not match the calculated checksum.");
    expect(run("PUT", "/bkt/k", "abc", 3, "x-amz-checksum-crc32", "zz", NULL), 400,
           "Value for x-amz-checksum-crc32 header is invalid.");
    expect(run("PUT", "/bkt/k", "abc", 3, "x-amz-checksum-crc32", "NSRBwg==", "x-amz-checksum-sha1",
               "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", NULL),
           400, "Expecting a single x-amz-checksum- header");
    expect(run("PUT", "/bkt/k", "abc", 3, "x-amz-sdk-checksum-algorithm", "CRC32", NULL), 400,
           "x-amz-sdk-checksum-algorithm specified");
    expect(run("GET", "/bkt/k", NULL, 0, NULL), 404, "NoSuchKey");
}

Test(s3_ops, aws_chunked_trailer_body)
{
    const char *body = "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
    call_t *c;
    expect(run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    c = run("PUT", "/bkt/chunked", body, strlen(body), "x-amz-content-sha256",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding", "gzip,aws-chunked",
            "x-amz-decoded-content-length", "11", "x-amz-trailer", "x-amz-checksum-crc32",
            "x-amz-sdk-checksum-algorithm", "CRC32", NULL);
    expect(c, 200, NULL);
    c = run("GET", "/bkt/chunked", NULL, 0, NULL);
    cr_expect_str_eq(c->body, "hello world");
    cr_expect_str_eq(hdr(c, "Content-Encoding"), "gzip");
    done(c);
    expect(run("PUT", "/bkt/chunked2", body, strlen(body), "x-amz-content-sha256",
               "STREAMING-UNSIGNED-PAYLOAD-TRAILER", NULL),
           411, "MissingContentLength");
}

Test(s3_ops, conditional_requests)
{
    call_t *c;
    expect(run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    expect(run("PUT", "/bkt/k", "v1", 2, NULL), 200, NULL);
    expect(run("PUT", "/bkt/k", "v2", 2, "if-none-match", "*", NULL), 412,
           "<Condition>If-None-Match</Condition>");
    expect(run("PUT", "/bkt/absent", "v2", 2, "if-match", "\"abc\"", NULL), 404, "NoSuchKey");
    expect(run("PUT", "/bkt/k", "v2", 2, "if-none-match", "abc", NULL), 501, "NotImplemented");
    c = run("GET", "/bkt/k", NULL, 0, "if-none-match", "\"3f2a7d7fb3e3ae0bbbd37cfa59a8a8c6\"",
            NULL);
    cr_expect(c->resp.status == 304 || c->resp.status == 200);
    done(c);
    expect(run("GET", "/bkt/k", NULL, 0, "if-match", "\"0000\"", NULL), 412,
           "<Condition>If-Match</Condition>");
}

Test(s3_ops, listing_and_delete_bucket)
{
    const char *keys[] = {"a/1", "a/2", "b", "c/x/y", "d"};
    size_t i;
    call_t *c;
    expect(run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    for (i = 0; i < 5; i++) {
        char path[64];
        snprintf(path, sizeof path, "/bkt/%s", keys[i]);
        expect(run("PUT", path, "x", 1, NULL), 200, NULL);
    }
    c = run("GET", "/bkt?list-type=2&delimiter=/&max-keys=2", NULL, 0, NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    cr_expect(strstr(c->body, "<Prefix>a/</Prefix>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<Key>b</Key>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<KeyCount>2</KeyCount>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<IsTruncated>true</IsTruncated>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<NextContinuationToken>") != NULL, "%s", c->body);
    done(c);
    expect(run("GET", "/bkt?list-type=2&continuation-token=bogus", NULL, 0, NULL), 400,
           "The continuation token provided is incorrect");
    expect(run("GET", "/bkt?list-type=2&encoding-type=xml", NULL, 0, NULL), 400,
           "Invalid Encoding Method specified in Request");
    expect(run("GET", "/bkt?max-keys=-1", NULL, 0, NULL), 400, "<ArgumentName>maxKeys");
    expect(run("DELETE", "/bkt", NULL, 0, NULL), 409, "BucketNotEmpty");
    {
        const char *del = "<Delete><Object><Key>a/1</Key></Object><Object><Key>a/2</Key>"
                          "</Object><Object><Key>b</Key></Object><Object><Key>c/x/y</Key>"
                          "</Object><Object><Key>d</Key></Object><Object><Key>never</Key>"
                          "</Object></Delete>";
        expect(run("POST", "/bkt?delete", del, strlen(del), NULL), 200,
               "<Deleted><Key>never</Key></Deleted>");
    }
    expect(run("DELETE", "/bkt", NULL, 0, NULL), 204, NULL);
    expect(run("DELETE", "/bkt", NULL, 0, NULL), 404, "NoSuchBucket");
}

Test(s3_ops, copy_object)
{
    expect(run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    expect(run("PUT", "/bkt/src", "data", 4, "content-type", "text/plain", NULL), 200, NULL);
    expect(run("PUT", "/bkt/dst", NULL, 0, "x-amz-copy-source", "/bkt/src", NULL), 200,
           "<ETag>&quot;8d777f385d3dfec8815d20f7496026dc&quot;</ETag>");
    {
        call_t *c = run("GET", "/bkt/dst", NULL, 0, NULL);
        cr_expect_str_eq(c->body, "data");
        cr_expect_str_eq(hdr(c, "Content-Type"), "text/plain");
        done(c);
    }
    expect(run("PUT", "/bkt/src", NULL, 0, "x-amz-copy-source", "bkt/src", NULL), 400,
           "trying to copy an object to itself");
    expect(run("PUT", "/bkt/dst", NULL, 0, "x-amz-copy-source", "bkt/nope", NULL), 404,
           "<Key>nope</Key>");
    expect(run("PUT", "/bkt/dst", NULL, 0, "x-amz-copy-source", "nokey", NULL), 400,
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
    call_t *c;

    expect(run("PUT", "/cfg", NULL, 0, NULL), 200, NULL);
    expect(run("GET", "/cfg?tagging", NULL, 0, NULL), 404, "<Code>NoSuchTagSet</Code>");
    expect(run("GET", "/cfg?cors", NULL, 0, NULL), 404, "<Code>NoSuchCORSConfiguration</Code>");
    expect(run("OPTIONS", "/cfg/k", NULL, 0, "origin", "http://o.test",
               "access-control-request-method", "GET", NULL),
           403, "CORS is not enabled for this bucket.");
    expect(run("PUT", "/cfg?tagging", tags, strlen(tags), NULL), 204, NULL);
    expect(run("PUT", "/cfg?cors", cors, strlen(cors), NULL), 200, NULL);
    expect(run("GET", "/cfg?tagging", NULL, 0, NULL), 200, "<Key>env</Key><Value>dev</Value>");
    expect(run("GET", "/cfg?cors", NULL, 0, NULL), 200, "<MaxAgeSeconds>5</MaxAgeSeconds>");
    c = run("OPTIONS", "/cfg/k", NULL, 0, "origin", "http://o.test",
            "access-control-request-method", "GET", NULL);
    cr_expect_eq(c->resp.status, 200, "%s", c->body);
    cr_expect_str_eq(hdr(c, "access-control-allow-origin"), "http://o.test");
    cr_expect_str_eq(hdr(c, "access-control-max-age"), "5");
    done(c);
    /* the store never lists them, the bucket counts as empty */
    cr_assert_eq(rs_bucket_lookup(store, "cfg", &b), 0);
    cr_assert_eq(rs_obj_list(store, &b, &q, &r), 0);
    cr_expect_eq(r.n, 0);
    cr_expect_eq(r.truncated, 0);
    rs_list_result_free(&r);
    expect(run("GET", "/cfg?list-type=2", NULL, 0, NULL), 200, "<KeyCount>0</KeyCount>");
    rs_store_stats(store, &before);
    expect(run("DELETE", "/cfg", NULL, 0, NULL), 204, NULL);
    rs_store_stats(store, &after);
    cr_expect_eq(after.objects + 2, before.objects, "configurations freed with the bucket");
    {
        char why[256] = "";
        cr_expect_eq(rs_store_check(store, why, sizeof why), 0, "%s", why);
    }
    expect(run("PUT", "/cfg", NULL, 0, NULL), 200, NULL);
    expect(run("GET", "/cfg?tagging", NULL, 0, NULL), 404, "<Code>NoSuchTagSet</Code>");
}

Test(s3_ops, object_tagging)
{
    const char *tags = "<Tagging><TagSet><Tag><Key>a b</Key><Value>c+d=e/f</Value></Tag>"
                       "</TagSet></Tagging>";
    const char *bad = "<Tagging><TagSet><Tag><Key>aws:x</Key><Value>1</Value></Tag></TagSet>"
                      "</Tagging>";
    call_t *c;
    expect(run("PUT", "/otb", NULL, 0, NULL), 200, NULL);
    expect(run("PUT", "/otb/k", "bytes", 5, "x-amz-tagging", "x=1", NULL), 200, NULL);
    expect(run("GET", "/otb/k?tagging", NULL, 0, NULL), 200, "<Key>x</Key><Value>1</Value>");
    expect(run("PUT", "/otb/k?tagging", tags, strlen(tags), NULL), 200, NULL);
    expect(run("GET", "/otb/k?tagging", NULL, 0, NULL), 200,
           "<Key>a b</Key><Value>c+d=e/f</Value>");
    c = run("GET", "/otb/k", NULL, 0, NULL);
    cr_expect_eq(c->resp.status, 200);
    cr_expect_str_eq(c->body, "bytes");
    cr_expect_str_eq(hdr(c, "x-amz-tagging-count"), "1");
    done(c);
    expect(run("PUT", "/otb/k?tagging", bad, strlen(bad), NULL), 400,
           "Your TagKey cannot be prefixed with aws:");
    expect(run("DELETE", "/otb/k?tagging", NULL, 0, NULL), 204, NULL);
    expect(run("GET", "/otb/k?tagging", NULL, 0, NULL), 200, "<TagSet></TagSet>");
    expect(run("GET", "/otb/none?tagging", NULL, 0, NULL), 404, "<Code>NoSuchKey</Code>");
    expect(run("PUT", "/otb/k2", "x", 1, "x-amz-tagging", "a=1&a=2", NULL), 400,
           "<Code>InvalidArgument</Code>");
}

/* the text of the first <name>..</name> in a body, copied into out */
static void elem(const call_t *c, const char *name, char *out, size_t cap)
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
    call_t *c;

    expect(run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    c = run("POST", "/bkt/mp?uploads", NULL, 0, "x-amz-tagging", "a=1", "content-type", "text/x",
            NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    elem(c, "UploadId", id, sizeof id);
    done(c);
    cr_assert_eq(strlen(id), 32);

    snprintf(path, sizeof path, "/bkt/mp?partNumber=2&uploadId=%s", id);
    c = run("PUT", path, "world", 5, NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    snprintf(etag, sizeof etag, "%s", hdr(c, "ETag"));
    done(c);
    snprintf(path, sizeof path, "/bkt/mp?partNumber=10001&uploadId=%s", id);
    expect(run("PUT", path, "x", 1, NULL), 400, "between 1 and 10000");
    expect(
        run("PUT", "/bkt/mp?partNumber=1&uploadId=00000000000000000000000000000000", "x", 1, NULL),
        404, "<Code>NoSuchUpload</Code>");

    snprintf(path, sizeof path, "/bkt/mp?uploadId=%s", id);
    expect(run("GET", path, NULL, 0, NULL), 200, "<PartNumber>2</PartNumber>");
    expect(run("GET", "/bkt?uploads", NULL, 0, NULL), 200, id);
    expect(run("POST", path, "<CompleteMultipartUpload/>", 26, NULL), 400,
           "You must specify at least one part");
    expect(run("POST", path, "<x", 2, NULL), 400, "<Code>MalformedXML</Code>");
    snprintf(xml, sizeof xml,
             "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
             "</CompleteMultipartUpload>",
             etag);
    expect(run("POST", path, xml, strlen(xml), NULL), 400, "<PartNumber>1</PartNumber>");
    snprintf(xml, sizeof xml,
             "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part>"
             "</CompleteMultipartUpload>",
             etag);
    /* the ETag: MD5 of the part MD5s, "-1" */
    rs_md5(&(struct iovec){"world", 5}, 1, md5s);
    iov.iov_len = 16;
    rs_md5(&iov, 1, d);
    rs_hex_encode(d, 16, hex); /* 32 digits and a NUL */
    c = run("POST", path, xml, strlen(xml), NULL);
    cr_assert_eq(c->resp.status, 200, "%s", c->body);
    cr_expect(strstr(c->body, hex) != NULL && strstr(c->body, "-1&quot;") != NULL, "%s", c->body);
    done(c);
    expect(run("GET", path, NULL, 0, NULL), 404, "<Code>NoSuchUpload</Code>");

    c = run("GET", "/bkt/mp?partNumber=1", NULL, 0, NULL);
    cr_expect_eq(c->resp.status, 206);
    cr_expect_str_eq(c->body, "world");
    cr_expect_str_eq(hdr(c, "x-amz-mp-parts-count"), "1");
    cr_expect_str_eq(hdr(c, "x-amz-tagging-count"), "1");
    cr_expect_str_eq(hdr(c, "Content-Type"), "text/x");
    cr_expect(strstr(hdr(c, "ETag"), "-1\"") != NULL);
    done(c);
    expect(run("GET", "/bkt/mp?partNumber=2", NULL, 0, NULL), 416,
           "<ActualPartCount>1</ActualPartCount>");
}
