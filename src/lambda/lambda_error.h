/*
 * lambda_error.h: private to src/lambda: the Lambda REST errors (one table in
 * lambda_error.c): code, HTTP status, body shape.
 * Runs in: the lambda supervisor.
 */
#ifndef RS_LAMBDA_ERROR_H
#define RS_LAMBDA_ERROR_H

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
    RS_LE_SERVICE,
    RS_LE_UNKNOWN_OPERATION,
    RS_LE__COUNT
} rs_lambda_err_t;

/* The wire code ("ResourceNotFoundException") and HTTP status of an error. */
const char *rs_lambda_err_code(rs_lambda_err_t e);
int rs_lambda_err_status(rs_lambda_err_t e);

/* The JSON body: {"Type": "User"|"Service", "Message"|"message": msg} as the model names
 * the member (ValidationException has no Type), plus "Reason" when reason is non-NULL.
 * malloc'd, NUL-terminated; NULL on ENOMEM. */
char *rs_lambda_err_body(rs_lambda_err_t e, const char *msg, const char *reason, size_t *len);

#endif
