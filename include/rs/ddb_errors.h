/*
 * ddb_errors.h: the one table of DynamoDB errors RustStack answers or rewrites itself
 * (request validation, authentication, service state, hand-off failures, and the codes
 * whose namespace or message member DynamoDB Local gets wrong): code, namespace, HTTP
 * status, message member ("message" or "Message" as DynamoDB sends it), default text.
 * Rendered in DynamoDB's JSON 1.0 error shape {"__type": "<ns>#<Code>", "message": ...}.
 * Runs in: workers (src/http/ddb_error.c adds the HTTP headers) and the ddb supervisor.
 */
#ifndef RS_DDB_ERRORS_H
#define RS_DDB_ERRORS_H

#include <stddef.h>

#define RS_DDB_NS_DDB "com.amazonaws.dynamodb.v20120810#"
#define RS_DDB_NS_SERVICE "com.amazon.coral.service#"
#define RS_DDB_NS_VALIDATE "com.amazon.coral.validate#"

/* 16 MB: DynamoDB's request size limit */
#define RS_DDB_MAX_REQUEST (16u * 1024 * 1024)

typedef enum rs_ddb_err {
    RS_DDBE_UnknownOperation = 0,  /* 400, bad X-Amz-Target operation; body: __type only */
    RS_DDBE_UnknownOperationHttp,  /* 404, not POST / unsupported Content-Type (XML body) */
    RS_DDBE_RequestEntityTooLarge, /* 413, body over RS_DDB_MAX_REQUEST */
    RS_DDBE_MissingAuthenticationToken,
    RS_DDBE_IncompleteSignature,
    RS_DDBE_UnrecognizedClient,
    RS_DDBE_InvalidSignature,
    RS_DDBE_ServiceUnavailable,  /* 503, retryable: starting, restarting, supervisor away */
    RS_DDBE_ServiceNotAvailable, /* 400, not retryable: unavailable (reason) or disabled */
    RS_DDBE_InternalServerError, /* 500: a malformed reply, a lost DynamoDB Local */
    RS_DDBE_Serialization,       /* 400, coral: "Message" or no message at all */
    RS_DDBE_Validation,          /* 400, coral.validate */
    RS_DDBE_AccessDenied,
    RS_DDBE_MissingAuthenticationTokenShort, /* the code without "Exception" */
    RS_DDBE_TransactionCanceled,
    RS_DDBE_IdempotentParameterMismatch,
    RS_DDBE_TransactionInProgress,
    RS_DDBE_LimitExceeded, /* 400 CreateTable over quota_dynamodb_tables (DDB namespace) */
    RS_DDBE__COUNT
} rs_ddb_err_t;

typedef struct rs_ddb_err_def {
    const char *code;    /* "ResourceNotFoundException": what botocore reports */
    const char *ns;      /* RS_DDB_NS_* */
    int status;          /* HTTP status */
    const char *member;  /* "message", "Message", or NULL: the type alone */
    const char *message; /* default text (NULL: none) */
    const char *raw;     /* a fixed non-JSON body (NULL: the JSON shape) */
} rs_ddb_err_def_t;

/* The row of e (an out-of-range e gives InternalServerError's). */
const rs_ddb_err_def_t *rs_ddb_err_def(rs_ddb_err_t e);
/* The first row with this code (no namespace), or NULL: any other DynamoDB exception
 * (namespace RS_DDB_NS_DDB, member "message"). */
const rs_ddb_err_def_t *rs_ddb_err_find(const char *code);

int rs_ddb_error_status(rs_ddb_err_t e);
/* the code botocore reports (the part after '#') */
const char *rs_ddb_error_code(rs_ddb_err_t e);

/* The body of e: {"__type": ns#code, member: msg} (msg NULL: the default text; no member
 * when the row has none or there is no text), or the row's raw body. malloc'd,
 * NUL-terminated, its length in *len; NULL on ENOMEM. */
char *rs_ddb_err_body(rs_ddb_err_t e, const char *msg, size_t *len);

/* DynamoDB's x-amzn-RequestId for the worker's 16-character request id rid: rid followed
 * by 36 characters derived from it (RS_DDB_REQUEST_ID_LEN in all); any other rid is
 * copied as it is. out holds at least RS_DDB_REQUEST_ID_LEN + 1 bytes. */
#define RS_DDB_REQUEST_ID_LEN 52
void rs_ddb_request_id(const char *rid, char *out, size_t outlen);

#endif
