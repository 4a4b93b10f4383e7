/*
 * lambda_errors.h: the one table of Lambda REST errors, whoever answers them (the
 * worker: authentication, size limits, service state, S3-hosted code, hand-off failures;
 * the lambda supervisor: everything else): wire code (x-amzn-ErrorType), HTTP status and
 * body shape {"Type": "User"|"Service", "Message"|"message": ...} with the member name
 * of the service model (AWS sends what the model names).
 * Runs in: workers and the lambda supervisor (pure).
 */
#ifndef RS_LAMBDA_ERRORS_H
#define RS_LAMBDA_ERRORS_H

#include <stddef.h>

typedef enum rs_lambda_err {
    RS_LE_RESOURCE_NOT_FOUND = 0,
    RS_LE_RESOURCE_CONFLICT,
    RS_LE_INVALID_PARAMETER,
    RS_LE_VALIDATION,
    RS_LE_ENTITY_TOO_LARGE,
    RS_LE_PRECONDITION_FAILED,
    RS_LE_INVALID_REQUEST_CONTENT,
    RS_LE_TOO_MANY_REQUESTS,
    RS_LE_SERVICE,       /* 500 ServiceException */
    RS_LE_SERVICE_RETRY, /* 503 ServiceException: starting, supervisor away */
    RS_LE_UNKNOWN_OPERATION,
    RS_LE_SERVICE_NOT_AVAILABLE, /* 400: Lambda switched off */
    RS_LE_INCOMPLETE_SIGNATURE,  /* 403 */
    RS_LE_MISSING_TOKEN,         /* 403 */
    RS_LE_UNRECOGNIZED_CLIENT,   /* 403 */
    RS_LE_INVALID_SIGNATURE,     /* 403 */
    RS_LE_CODE_STORAGE,          /* 400 CodeStorageExceededException: a quota_lambda_* */
    RS_LE__COUNT
} rs_lambda_err_t;

typedef struct rs_lambda_err_def {
    const char *code;   /* "ResourceNotFoundException" */
    int status;         /* HTTP status */
    const char *type;   /* "User", "Service", or NULL: no Type member */
    const char *member; /* "Message" or "message" */
} rs_lambda_err_def_t;

/* The row of e (out of range: ServiceException's). */
const rs_lambda_err_def_t *rs_lambda_err_def(rs_lambda_err_t e);

/* The wire code ("ResourceNotFoundException") and HTTP status of an error. */
const char *rs_lambda_err_code(rs_lambda_err_t e);
int rs_lambda_err_status(rs_lambda_err_t e);

/* The JSON body: {"Type": ..., <member>: msg}, plus "Reason" when reason is non-NULL.
 * malloc'd, NUL-terminated, its length in *len; NULL on ENOMEM. */
char *rs_lambda_err_body(rs_lambda_err_t e, const char *msg, const char *reason, size_t *len);

#endif
