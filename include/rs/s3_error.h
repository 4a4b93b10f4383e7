/*
 * s3_error.h: the one S3 error table (code, HTTP status, AWS message) and its renderer.
 * Runs in: workers. No S3 handler makes up a status code: it names an rs_s3e_t and the
 * table gives status and default message. Extras become elements after <Message>.
 */
#ifndef RS_S3_ERROR_H
#define RS_S3_ERROR_H

#include "rs/http.h"

typedef enum rs_s3e {
    RS_S3E_AccessDenied,
    RS_S3E_AuthorizationHeaderMalformed,
    RS_S3E_AuthorizationQueryParametersError,
    RS_S3E_BadDigest,
    RS_S3E_BucketAlreadyExists,
    RS_S3E_BucketAlreadyOwnedByYou,
    RS_S3E_BucketNotEmpty,
    RS_S3E_EntityTooLarge,
    RS_S3E_IllegalLocationConstraintException,
    RS_S3E_IncompleteBody,
    RS_S3E_InternalError,
    RS_S3E_InvalidAccessKeyId,
    RS_S3E_InvalidArgument,
    RS_S3E_InvalidBucketName,
    RS_S3E_InvalidDigest,
    RS_S3E_InvalidLocationConstraint,
    RS_S3E_InvalidObjectState,
    RS_S3E_InvalidPartNumber,
    RS_S3E_InvalidRange,
    RS_S3E_InvalidRequest,
    RS_S3E_InvalidStorageClass,
    RS_S3E_InvalidURI,
    RS_S3E_KeyTooLongError,
    RS_S3E_MalformedXML,
    RS_S3E_MetadataTooLarge,
    RS_S3E_MethodNotAllowed,
    RS_S3E_MissingContentLength,
    RS_S3E_NoSuchBucket,
    RS_S3E_NoSuchKey,
    RS_S3E_NoSuchUpload,
    RS_S3E_NotImplemented,
    RS_S3E_PreconditionFailed,
    RS_S3E_NotModified, /* 304, never has a body */
    RS_S3E_RequestTimeTooSkewed,
    RS_S3E_ServiceUnavailable,
    RS_S3E_SignatureDoesNotMatch,
    RS_S3E_BadRequest,
    RS_S3E_AccessForbidden,
    RS_S3E_InsufficientStorage, /* store full: 507 InsufficientStorage naming the setting */
    RS_S3E_QuotaExceeded,       /* 403 a per-account quota_s3_* setting is reached (no AWS twin) */
    RS_S3E_XAmzContentSHA256Mismatch, /* 400 "The provided 'x-amz-content-sha256' header does not
                                         match what was computed." */
    RS_S3E_NoSuchCORSConfiguration,   /* 404 GetBucketCors without a configuration */
    RS_S3E_NoSuchTagSet,              /* 404 GetBucketTagging without tags */
    RS_S3E_InvalidTag,                /* 400 a tag key or value AWS refuses */
    /* POST object (s3_post.c) and CompleteMultipartUpload */
    RS_S3E_EntityTooSmall,                      /* 400 below a content-length-range; a part
                                                   but the last < 5 MiB at Complete */
    RS_S3E_MalformedPOSTRequest,                /* 400 not well-formed multipart/form-data */
    RS_S3E_InvalidPolicyDocument,               /* 400 the policy is not a policy */
    RS_S3E_MaxPostPreDataLengthExceededError,   /* 400 fields before the file over 20 KB */
    RS_S3E_IncorrectNumberOfFilesInPostRequest, /* 400 no file */
    RS_S3E_InvalidPart,      /* 400 CompleteMultipartUpload: part missing or ETag differs */
    RS_S3E_InvalidPartOrder, /* 400 CompleteMultipartUpload: parts not ascending */
    RS_S3E__COUNT
} rs_s3e_t;

typedef struct rs_s3_extra {
    const char *name;
    const char *value;
} rs_s3_extra_t;

int rs_s3_error_status(rs_s3e_t e);
const char *rs_s3_error_code(rs_s3e_t e);
const char *rs_s3_error_message(rs_s3e_t e);

/* Fill `resp`: status, Content-Type: application/xml, x-amz-request-id, x-amz-id-2, and
 * (unless HEAD or 304) the body
 * <Error><Code/><Message/>extras<RequestId/><HostId/></Error>.
 * `message` NULL means the table's default text. */
void rs_s3_error(const rs_http_req_t *req, rs_http_resp_t *resp, rs_s3e_t e, const char *message,
                 const rs_s3_extra_t *extras, size_t nextras);

/* x-amz-request-id / x-amz-id-2 / Server on every S3 response (success too). */
void rs_s3_common_headers(const rs_http_req_t *req, rs_http_resp_t *resp);

#endif
