/*
 * s3_cors.c: CORS for browsers on localhost pages using presigned URLs and POST forms.
 * RustStack does not store per-bucket CORS configurations (PutBucketCors is out of
 * scope), so it applies one permissive default rule to every bucket, as LocalStack does
 * for local origins: any origin, the S3 methods, the requested headers echoed, and ETag
 * plus the x-amz-* response headers exposed. Runs in: workers.
 */
#include "config.h"

#include <string.h>

#include "s3/s3_int.h"

#define CORS_METHODS "GET, PUT, POST, DELETE, HEAD"
#define CORS_EXPOSE                                                                                \
    "ETag, x-amz-request-id, x-amz-id-2, x-amz-version-id, x-amz-server-side-encryption, "         \
    "x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, "                      \
    "x-amz-checksum-sha1, x-amz-checksum-sha256, x-amz-checksum-type, Content-Range, "             \
    "Content-Length, Content-Type, Last-Modified"

static const char *lower(rs_s3_call_t *c, const char *s)
{
    char *o = rs_pool_strndup(c->pool, s, strlen(s));
    size_t i;
    for (i = 0; o[i]; i++)
        if (o[i] >= 'A' && o[i] <= 'Z')
            o[i] = (char)(o[i] - 'A' + 'a');
    return o;
}

static int method_allowed(const char *m)
{
    static const char *const ok[] = {"GET", "PUT", "POST", "DELETE", "HEAD", NULL};
    size_t i;
    for (i = 0; ok[i] != NULL; i++)
        if (strcmp(ok[i], m) == 0)
            return 1;
    return 0;
}

void rs_s3_cors_preflight(rs_s3_call_t *c)
{
    const char *origin = rs_s3_hdr(c, "origin", NULL);
    const char *method = rs_s3_hdr(c, "access-control-request-method", NULL);
    const char *headers = rs_s3_hdr(c, "access-control-request-headers", NULL);

    if (origin == NULL) {
        rs_s3_fail(c, RS_S3E_BadRequest, "Insufficient information. Origin request header needed.",
                   NULL);
        return;
    }
    if (method == NULL || !method_allowed(method)) {
        rs_s3_fail(c, RS_S3E_AccessForbidden,
                   "CORSResponse: This CORS request is not allowed. This is usually because the "
                   "evalution of Origin, request method / Access-Control-Request-Method or "
                   "Access-Control-Request-Headers are not whitelisted by the resource's CORS "
                   "spec.",
                   "Method", method != NULL ? method : "", "ResourceType", "OBJECT", NULL);
        return;
    }
    c->resp->status = 200;
    rs_http_resp_header(c->resp, "Access-Control-Allow-Origin", origin);
    rs_http_resp_header(c->resp, "Access-Control-Allow-Methods", CORS_METHODS);
    if (headers != NULL && headers[0] != '\0')
        rs_http_resp_header(c->resp, "Access-Control-Allow-Headers", lower(c, headers));
    rs_http_resp_header(c->resp, "Access-Control-Expose-Headers", CORS_EXPOSE);
    rs_http_resp_header(c->resp, "Access-Control-Max-Age", "3000");
    rs_http_resp_header(c->resp, "Access-Control-Allow-Credentials", "true");
    rs_http_resp_header(c->resp, "Access-Control-Allow-Private-Network", "true");
    rs_http_resp_header(c->resp, "Vary",
                        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
}

void rs_s3_cors_actual(rs_s3_call_t *c)
{
    const char *origin;
    if (strcmp(c->req->method, "OPTIONS") == 0)
        return;
    origin = rs_s3_hdr(c, "origin", NULL);
    if (origin == NULL)
        return;
    rs_http_resp_header(c->resp, "Access-Control-Allow-Origin", origin);
    rs_http_resp_header(c->resp, "Access-Control-Allow-Credentials", "true");
    rs_http_resp_header(c->resp, "Access-Control-Expose-Headers", CORS_EXPOSE);
    rs_http_resp_header(c->resp, "Vary",
                        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
}
