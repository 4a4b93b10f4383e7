/*
 * s3_error.c: the one S3 error table (HTTP status, code, AWS message) and the renderer of
 * the <Error> document plus the headers every S3 response carries. Runs in: workers.
 */
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "rs/codec.h"
#include "rs/s3_error.h"
#include "rs/xml.h"

typedef struct rs_s3e_info {
    int status;
    const char *code;
    const char *message;
} rs_s3e_info_t;

#define E(name, st, msg) [RS_S3E_##name] = {st, #name, msg}

static const rs_s3e_info_t rs_s3e_table[RS_S3E__COUNT] = {
    E(AccessDenied, 403, "Access Denied"),
    E(AuthorizationHeaderMalformed, 400,
      "The authorization header is malformed; the Credential is mal-formed; expecting "
      "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."),
    E(AuthorizationQueryParametersError, 400,
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
      "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."),
    E(BadDigest, 400, "The Content-MD5 you specified did not match what we received."),
    E(BucketAlreadyExists, 409,
      "The requested bucket name is not available. The bucket namespace is shared by all users "
      "of the system. Please select a different name and try again."),
    E(BucketAlreadyOwnedByYou, 409,
      "Your previous request to create the named bucket succeeded and you already own it."),
    E(BucketNotEmpty, 409, "The bucket you tried to delete is not empty"),
    E(EntityTooLarge, 400, "Your proposed upload exceeds the maximum allowed size"),
    E(IllegalLocationConstraintException, 400,
      "The unspecified location constraint is incompatible for the region specific endpoint "
      "this request was sent to."),
    E(IncompleteBody, 400,
      "You did not provide the number of bytes specified by the Content-Length HTTP header"),
    E(InternalError, 500, "We encountered an internal error. Please try again."),
    E(InvalidAccessKeyId, 403, "The AWS Access Key Id you provided does not exist in our records."),
    E(InvalidArgument, 400, "Invalid Argument"),
    E(InvalidBucketName, 400, "The specified bucket is not valid."),
    E(InvalidDigest, 400, "The Content-MD5 you specified was invalid."),
    E(InvalidLocationConstraint, 400, "The specified location-constraint is not valid"),
    E(InvalidObjectState, 403, "The operation is not valid for the object's storage class"),
    E(InvalidPartNumber, 416, "The requested partnumber is not satisfiable"),
    E(InvalidRange, 416, "The requested range is not satisfiable"),
    E(InvalidRequest, 400, "Invalid Request"),
    E(InvalidStorageClass, 400, "The storage class you specified is not valid"),
    E(InvalidURI, 400, "Couldn't parse the specified URI."),
    E(KeyTooLongError, 400, "Your key is too long"),
    E(MalformedXML, 400,
      "The XML you provided was not well-formed or did not validate against our published "
      "schema"),
    E(MetadataTooLarge, 400, "Your metadata headers exceed the maximum allowed metadata size"),
    E(MethodNotAllowed, 405, "The specified method is not allowed against this resource."),
    E(MissingContentLength, 411, "You must provide the Content-Length HTTP header."),
    E(NoSuchBucket, 404, "The specified bucket does not exist"),
    E(NoSuchKey, 404, "The specified key does not exist."),
    E(NoSuchUpload, 404,
      "The specified upload does not exist. The upload ID may be invalid, or the upload may "
      "have been aborted or completed."),
    E(NotImplemented, 501, "A header you provided implies functionality that is not implemented"),
    E(PreconditionFailed, 412, "At least one of the pre-conditions you specified did not hold"),
    E(NotModified, 304, "Not Modified"),
    E(RequestTimeTooSkewed, 403,
      "The difference between the request time and the current time is too large."),
    E(ServiceUnavailable, 503, "Please reduce your request rate."),
    E(SignatureDoesNotMatch, 403,
      "The request signature we calculated does not match the signature you provided. Check "
      "your key and signing method."),
    E(BadRequest, 400, "Bad Request"),
    E(AccessForbidden, 403, "CORSResponse: This CORS request is not allowed."),
    E(InsufficientStorage, 507, "Insufficient storage"),
    E(QuotaExceeded, 403, "Your account has reached its storage quota on this endpoint"),
    E(XAmzContentSHA256Mismatch, 400,
      "The provided 'x-amz-content-sha256' header does not match what was computed."),
    E(NoSuchCORSConfiguration, 404, "The CORS configuration does not exist"),
    E(NoSuchTagSet, 404, "The TagSet does not exist"),
    E(InvalidTag, 400, "The TagKey you have provided is invalid"),
    E(EntityTooSmall, 400, "Your proposed upload is smaller than the minimum allowed size"),
    E(MalformedPOSTRequest, 400,
      "The body of your POST request is not well-formed multipart/form-data."),
    E(InvalidPolicyDocument, 400,
      "The content of the form does not meet the conditions specified in the policy document."),
    E(MaxPostPreDataLengthExceededError, 400,
      "Your POST request fields preceeding the upload file was too large."),
    E(IncorrectNumberOfFilesInPostRequest, 400,
      "POST requires exactly one file upload per request."),
    E(InvalidPart, 400,
      "One or more of the specified parts could not be found.  The part may not have been "
      "uploaded, or the specified entity tag may not match the part's entity tag."),
    E(InvalidPartOrder, 400,
      "The list of parts was not in ascending order. Parts must be ordered by part number."),
};

#undef E

static const rs_s3e_info_t *s3e_get(rs_s3e_t e)
{
    if ((unsigned)e >= RS_S3E__COUNT || rs_s3e_table[e].code == NULL)
        return &rs_s3e_table[RS_S3E_InternalError];
    return &rs_s3e_table[e];
}

int rs_s3_error_status(rs_s3e_t e)
{
    return s3e_get(e)->status;
}

const char *rs_s3_error_code(rs_s3e_t e)
{
    return s3e_get(e)->code;
}

const char *rs_s3_error_message(rs_s3e_t e)
{
    return s3e_get(e)->message;
}

/* x-amz-id-2: 76 base64 characters derived from the request id (like AWS's host id) */
static void s3_host_id(const rs_http_req_t *req, char out[80])
{
    uint8_t d[64];
    unsigned int len = 0;

    if (EVP_Digest(req->request_id, strnlen(req->request_id, sizeof(req->request_id)), d, &len,
                   EVP_sha512(), NULL) != 1)
        memset(d, 0, sizeof(d));
    rs_base64_encode(d, 57, out);
}

static int resp_has(const rs_http_resp_t *resp, const char *name)
{
    for (size_t i = 0; i < resp->num_headers; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return 1;
    return 0;
}

/* drop every response header with that name (case-insensitive) */
static void resp_drop(rs_http_resp_t *resp, const char *name)
{
    size_t o = 0;

    for (size_t i = 0; i < resp->num_headers; i++)
        if (strcasecmp(resp->headers[i].name, name) != 0)
            resp->headers[o++] = resp->headers[i];
    resp->num_headers = o;
}

void rs_s3_common_headers(const rs_http_req_t *req, rs_http_resp_t *resp)
{
    char hid[80];

    if (resp_has(resp, "x-amz-request-id"))
        return; /* already added (an error path ran first): never twice */

    rs_http_resp_headern(resp, "x-amz-request-id", req->request_id,
                         strnlen(req->request_id, sizeof(req->request_id)));
    s3_host_id(req, hid);
    rs_http_resp_header(resp, "x-amz-id-2", hid);
    rs_http_resp_header(resp, "Server", "AmazonS3");
}

void rs_s3_error(const rs_http_req_t *req, rs_http_resp_t *resp, rs_s3e_t e, const char *message,
                 const rs_s3_extra_t *extras, size_t nextras)
{
    const rs_s3e_info_t *info = s3e_get(e);
    int head = req->method != NULL && strcmp(req->method, "HEAD") == 0;
    char hid[80];
    rs_xml_t *x;

    resp->status = info->status;
    resp->zc = NULL;
    resp->zc_nseg = 0;
    resp->content_length = 0;
    resp->body.len = 0;
    if (resp->body.data != NULL)
        resp->body.data[0] = '\0';
    rs_s3_common_headers(req, resp);
    resp_drop(resp, "content-type"); /* the error replaces any body type set before */
    if (info->status == 304)
        return; /* Not Modified: headers only, no Content-Type, no body */
    rs_http_resp_header(resp, "Content-Type", "application/xml");
    if (head) {
        resp->head_only = 1;
        return;
    }
    x = rs_xml_begin("Error", NULL);
    if (x == NULL)
        return;
    rs_xml_elem(x, "Code", info->code);
    rs_xml_elem(x, "Message", message != NULL ? message : info->message);
    for (size_t i = 0; i < nextras; i++)
        if (extras[i].name != NULL)
            rs_xml_elem(x, extras[i].name, extras[i].value ? extras[i].value : "");
    rs_xml_elemn(x, "RequestId", req->request_id,
                 strnlen(req->request_id, sizeof(req->request_id)));
    s3_host_id(req, hid);
    rs_xml_elem(x, "HostId", hid);
    rs_xml_finish(x, &resp->body);
}
