/*
 * test_s3_error.c: unit tests for the S3 error table (status, code, message of every entry)
 * and the rendered error response (body shape, headers, HEAD and 304 without body).
 * Runs in: the test binary.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rs/s3_error.h"

static const char *const codes[RS_S3E__COUNT] = {
    [RS_S3E_AccessDenied] = "AccessDenied",
    [RS_S3E_AuthorizationHeaderMalformed] = "AuthorizationHeaderMalformed",
    [RS_S3E_AuthorizationQueryParametersError] = "AuthorizationQueryParametersError",
    [RS_S3E_BadDigest] = "BadDigest",
    [RS_S3E_BucketAlreadyExists] = "BucketAlreadyExists",
    [RS_S3E_BucketAlreadyOwnedByYou] = "BucketAlreadyOwnedByYou",
    [RS_S3E_BucketNotEmpty] = "BucketNotEmpty",
    [RS_S3E_EntityTooLarge] = "EntityTooLarge",
    [RS_S3E_IllegalLocationConstraintException] = "IllegalLocationConstraintException",
    [RS_S3E_IncompleteBody] = "IncompleteBody",
    [RS_S3E_InternalError] = "InternalError",
    [RS_S3E_InvalidAccessKeyId] = "InvalidAccessKeyId",
    [RS_S3E_InvalidArgument] = "InvalidArgument",
    [RS_S3E_InvalidBucketName] = "InvalidBucketName",
    [RS_S3E_InvalidDigest] = "InvalidDigest",
    [RS_S3E_InvalidLocationConstraint] = "InvalidLocationConstraint",
    [RS_S3E_InvalidObjectState] = "InvalidObjectState",
    [RS_S3E_InvalidPartNumber] = "InvalidPartNumber",
    [RS_S3E_InvalidRange] = "InvalidRange",
    [RS_S3E_InvalidRequest] = "InvalidRequest",
    [RS_S3E_InvalidStorageClass] = "InvalidStorageClass",
    [RS_S3E_InvalidURI] = "InvalidURI",
    [RS_S3E_KeyTooLongError] = "KeyTooLongError",
    [RS_S3E_MalformedXML] = "MalformedXML",
    [RS_S3E_MetadataTooLarge] = "MetadataTooLarge",
    [RS_S3E_MethodNotAllowed] = "MethodNotAllowed",
    [RS_S3E_MissingContentLength] = "MissingContentLength",
    [RS_S3E_NoSuchBucket] = "NoSuchBucket",
    [RS_S3E_NoSuchKey] = "NoSuchKey",
    [RS_S3E_NoSuchUpload] = "NoSuchUpload",
    [RS_S3E_NotImplemented] = "NotImplemented",
    [RS_S3E_PreconditionFailed] = "PreconditionFailed",
    [RS_S3E_NotModified] = "NotModified",
    [RS_S3E_RequestTimeTooSkewed] = "RequestTimeTooSkewed",
    [RS_S3E_ServiceUnavailable] = "ServiceUnavailable",
    [RS_S3E_SignatureDoesNotMatch] = "SignatureDoesNotMatch",
    [RS_S3E_BadRequest] = "BadRequest",
    [RS_S3E_AccessForbidden] = "AccessForbidden",
    [RS_S3E_InsufficientStorage] = "InsufficientStorage",
    [RS_S3E_QuotaExceeded] = "QuotaExceeded",
    [RS_S3E_XAmzContentSHA256Mismatch] = "XAmzContentSHA256Mismatch",
    [RS_S3E_NoSuchCORSConfiguration] = "NoSuchCORSConfiguration",
    [RS_S3E_NoSuchTagSet] = "NoSuchTagSet",
    [RS_S3E_InvalidTag] = "InvalidTag",
    [RS_S3E_EntityTooSmall] = "EntityTooSmall",
    [RS_S3E_MalformedPOSTRequest] = "MalformedPOSTRequest",
    [RS_S3E_InvalidPolicyDocument] = "InvalidPolicyDocument",
    [RS_S3E_MaxPostPreDataLengthExceededError] = "MaxPostPreDataLengthExceededError",
    [RS_S3E_IncorrectNumberOfFilesInPostRequest] = "IncorrectNumberOfFilesInPostRequest",
    [RS_S3E_InvalidPart] = "InvalidPart",
    [RS_S3E_InvalidPartOrder] = "InvalidPartOrder",
};

Test(s3_error, every_entry_has_status_code_message)
{
    for (int e = 0; e < RS_S3E__COUNT; e++) {
        cr_assert_not_null(codes[e], "test table misses entry %d", e);
        cr_assert_str_eq(rs_s3_error_code((rs_s3e_t)e), codes[e]);
        int st = rs_s3_error_status((rs_s3e_t)e);
        cr_assert(st >= 300 && st <= 599, "%s status %d", codes[e], st);
        const char *m = rs_s3_error_message((rs_s3e_t)e);
        cr_assert_not_null(m);
        cr_assert_gt(strlen(m), 3, "%s has no message", codes[e]);
    }
}

Test(s3_error, aws_statuses_and_messages)
{
    static const struct {
        rs_s3e_t e;
        int status;
        const char *msg;
    } t[] = {
        {RS_S3E_NoSuchKey, 404, "The specified key does not exist."},
        {RS_S3E_NoSuchCORSConfiguration, 404, "The CORS configuration does not exist"},
        {RS_S3E_NoSuchTagSet, 404, "The TagSet does not exist"},
        {RS_S3E_InvalidTag, 400, "The TagKey you have provided is invalid"},
        {RS_S3E_NoSuchBucket, 404, "The specified bucket does not exist"},
        {RS_S3E_InvalidRange, 416, "The requested range is not satisfiable"},
        {RS_S3E_InvalidPart, 400,
         "One or more of the specified parts could not be found.  The part may not have been "
         "uploaded, or the specified entity tag may not match the part's entity tag."},
        {RS_S3E_InvalidPartOrder, 400,
         "The list of parts was not in ascending order. Parts must be ordered by part number."},
        {RS_S3E_EntityTooSmall, 400,
         "Your proposed upload is smaller than the minimum allowed size"},
        {RS_S3E_NotModified, 304, NULL},
        {RS_S3E_InsufficientStorage, 507, "Insufficient storage"},
        {RS_S3E_QuotaExceeded, 403, "Your account has reached its storage quota on this endpoint"},
        {RS_S3E_ServiceUnavailable, 503, "Please reduce your request rate."},
        {RS_S3E_BadRequest, 400, NULL},
        {RS_S3E_AccessForbidden, 403, NULL},
        {RS_S3E_NoSuchUpload, 404,
         "The specified upload does not exist. The upload ID may be invalid, or the upload may "
         "have been aborted or completed."},
        {RS_S3E_MethodNotAllowed, 405,
         "The specified method is not allowed against this resource."},
        {RS_S3E_InternalError, 500, "We encountered an internal error. Please try again."},
        {RS_S3E_PreconditionFailed, 412,
         "At least one of the pre-conditions you specified did not hold"},
        {RS_S3E_MalformedXML, 400,
         "The XML you provided was not well-formed or did not validate against our published "
         "schema"},
        {RS_S3E_BucketAlreadyOwnedByYou, 409,
         "Your previous request to create the named bucket succeeded and you already own it."},
        {RS_S3E_BucketNotEmpty, 409, "The bucket you tried to delete is not empty"},
        {RS_S3E_InvalidDigest, 400, "The Content-MD5 you specified was invalid."},
        {RS_S3E_MissingContentLength, 411, "You must provide the Content-Length HTTP header."},
        {RS_S3E_SignatureDoesNotMatch, 403,
         "The request signature we calculated does not match the signature you provided. Check "
         "your key and signing method."},
        {RS_S3E_NotImplemented, 501,
         "A header you provided implies functionality that is not implemented"},
        {RS_S3E_InvalidPartNumber, 416, "The requested partnumber is not satisfiable"},
        {RS_S3E_AccessDenied, 403, "Access Denied"},
        {RS_S3E_InvalidBucketName, 400, "The specified bucket is not valid."},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        cr_assert_eq(rs_s3_error_status(t[i].e), t[i].status, "%s", rs_s3_error_code(t[i].e));
        if (t[i].msg != NULL)
            cr_assert_str_eq(rs_s3_error_message(t[i].e), t[i].msg);
    }
    /* out of range falls back to InternalError */
    cr_assert_eq(rs_s3_error_status((rs_s3e_t)RS_S3E__COUNT), 500);
}

static rs_pool_t pool;

static void mkreq(rs_http_req_t *req, const char *method, const char *rid)
{
    memset(req, 0, sizeof(*req));
    req->pool = &pool;
    req->method = method;
    strcpy(req->request_id, rid);
}

static const char *hdr(const rs_http_resp_t *r, const char *name)
{
    for (size_t i = 0; i < r->num_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static void setup(void)
{
    rs_pool_init(&pool);
}

static void teardown(void)
{
    rs_pool_clear(&pool);
}

TestSuite(s3_render, .init = setup, .fini = teardown);

Test(s3_render, body_shape_with_extras)
{
    rs_http_req_t req;
    rs_http_resp_t resp;
    mkreq(&req, "GET", "4442587FB7D0A2F9");
    rs_http_resp_init(&resp, &pool);
    rs_s3_extra_t ex[] = {{"RangeRequested", "bytes=100-200"}, {"ActualObjectSize", "10"}};
    rs_s3_error(&req, &resp, RS_S3E_InvalidRange, NULL, ex, 2);
    cr_assert_eq(resp.status, 416);
    const char *hid = hdr(&resp, "x-amz-id-2");
    cr_assert_not_null(hid);
    char want[1024];
    snprintf(want, sizeof(want),
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidRange</Code>"
             "<Message>The requested range is not satisfiable</Message>"
             "<RangeRequested>bytes=100-200</RangeRequested><ActualObjectSize>10"
             "</ActualObjectSize><RequestId>4442587FB7D0A2F9</RequestId><HostId>%s</HostId>"
             "</Error>\n",
             hid);
    cr_assert_str_eq(resp.body.data, want);
    cr_assert_str_eq(hdr(&resp, "Content-Type"), "application/xml");
    cr_assert_str_eq(hdr(&resp, "x-amz-request-id"), "4442587FB7D0A2F9");
    cr_assert_str_eq(hdr(&resp, "Server"), "AmazonS3");
    cr_assert_eq(resp.head_only, 0);
    rs_http_resp_free(&resp);
}

Test(s3_render, custom_message_is_escaped)
{
    rs_http_req_t req;
    rs_http_resp_t resp;
    mkreq(&req, "PUT", "AAAAAAAAAAAAAAAA");
    rs_http_resp_init(&resp, &pool);
    rs_s3_extra_t ex[] = {{"Key", "a<b>&c"}};
    rs_s3_error(&req, &resp, RS_S3E_NoSuchKey, "bad <thing> & more", ex, 1);
    cr_assert_eq(resp.status, 404);
    cr_assert(strstr(resp.body.data, "<Message>bad &lt;thing&gt; &amp; more</Message>"
                                     "<Key>a&lt;b&gt;&amp;c</Key><RequestId>") != NULL,
              "%s", resp.body.data);
    cr_assert_eq(strstr(resp.body.data, "xmlns"), NULL);
    rs_http_resp_free(&resp);
}

Test(s3_render, head_and_304_have_no_body)
{
    rs_http_req_t req;
    rs_http_resp_t resp;
    mkreq(&req, "HEAD", "BBBBBBBBBBBBBBBB");
    rs_http_resp_init(&resp, &pool);
    rs_s3_error(&req, &resp, RS_S3E_NoSuchKey, NULL, NULL, 0);
    cr_assert_eq(resp.status, 404);
    cr_assert_eq(resp.body.len, 0);
    cr_assert_eq(resp.head_only, 1);
    cr_assert_not_null(hdr(&resp, "x-amz-request-id"));
    rs_http_resp_free(&resp);

    mkreq(&req, "GET", "CCCCCCCCCCCCCCCC");
    rs_http_resp_init(&resp, &pool);
    rs_buf_appends(&resp.body, "stale");
    rs_s3_error(&req, &resp, RS_S3E_NotModified, NULL, NULL, 0);
    cr_assert_eq(resp.status, 304);
    cr_assert_eq(resp.body.len, 0);
    cr_assert_null(hdr(&resp, "Content-Type"));
    cr_assert_str_eq(hdr(&resp, "x-amz-request-id"), "CCCCCCCCCCCCCCCC");
    rs_http_resp_free(&resp);
}

Test(s3_render, common_headers_host_id)
{
    rs_http_req_t a, b;
    rs_http_resp_t ra, rb, ra2;
    mkreq(&a, "GET", "0123456789ABCDEF");
    mkreq(&b, "GET", "0123456789ABCDEG");
    rs_http_resp_init(&ra, &pool);
    rs_http_resp_init(&rb, &pool);
    rs_http_resp_init(&ra2, &pool);
    rs_s3_common_headers(&a, &ra);
    rs_s3_common_headers(&b, &rb);
    rs_s3_common_headers(&a, &ra2);
    cr_assert_eq(ra.num_headers, 3);
    const char *ha = hdr(&ra, "x-amz-id-2"), *hb = hdr(&rb, "x-amz-id-2");
    cr_assert_eq(strlen(ha), 76);
    for (const char *p = ha; *p; p++)
        cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", *p));
    cr_assert_str_neq(ha, hb);
    cr_assert_str_eq(ha, hdr(&ra2, "x-amz-id-2"));
    cr_assert_str_eq(hdr(&ra, "server"), "AmazonS3");
    rs_s3_common_headers(&a, &ra); /* idempotent */
    cr_assert_eq(ra.num_headers, 3);
}

Test(s3_render, error_after_headers_replaces_content_type_once)
{
    rs_http_req_t req;
    rs_http_resp_t resp;
    mkreq(&req, "GET", "DDDDDDDDDDDDDDDD");
    rs_http_resp_init(&resp, &pool);
    rs_http_resp_header(&resp, "Content-Type", "text/plain");
    rs_http_resp_header(&resp, "ETag", "\"e\"");
    rs_s3_error(&req, &resp, RS_S3E_NoSuchKey, NULL, NULL, 0);
    rs_s3_common_headers(&req, &resp);
    size_t ct = 0, rid = 0;
    for (size_t i = 0; i < resp.num_headers; i++) {
        ct += strcasecmp(resp.headers[i].name, "content-type") == 0;
        rid += strcasecmp(resp.headers[i].name, "x-amz-request-id") == 0;
    }
    cr_assert_eq(ct, 1);
    cr_assert_eq(rid, 1);
    cr_assert_str_eq(hdr(&resp, "content-type"), "application/xml");
    cr_assert_str_eq(hdr(&resp, "etag"), "\"e\"");
    rs_http_resp_free(&resp);

    /* 304 keeps ETag but carries no Content-Type */
    rs_http_resp_init(&resp, &pool);
    rs_http_resp_header(&resp, "ETag", "\"e\"");
    rs_http_resp_header(&resp, "Content-Type", "text/plain");
    rs_s3_error(&req, &resp, RS_S3E_NotModified, NULL, NULL, 0);
    cr_assert_null(hdr(&resp, "content-type"));
    cr_assert_str_eq(hdr(&resp, "etag"), "\"e\"");
    rs_http_resp_free(&resp);
}
