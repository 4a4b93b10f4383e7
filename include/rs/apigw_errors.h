/*
 * apigw_errors.h: the one table of API Gateway errors (apigateway and apigatewayv2 control
 * planes, rest-json: status, x-amzn-ErrorType, body {"message": ...}), whoever answers them.
 * The data plane's own answers (403 Missing Authentication Token, 404 Not Found, 502, 504)
 * are not here: they are the gateway's responses to an API's client (apigw.h).
 * Runs in: the lambda supervisor and workers (pure).
 */
#ifndef RS_APIGW_ERRORS_H
#define RS_APIGW_ERRORS_H

#include <stddef.h>

typedef enum rs_apigw_err {
    RS_GE_BAD_REQUEST = 0, /* 400 BadRequestException */
    RS_GE_NOT_FOUND,       /* 404 NotFoundException */
    RS_GE_CONFLICT,        /* 409 ConflictException */
    RS_GE_TOO_MANY,        /* 429 TooManyRequestsException */
    RS_GE_LIMIT,           /* 429 LimitExceededException */
    RS_GE_UNAUTHORIZED,    /* 401 UnauthorizedException */
    RS_GE_ACCESS_DENIED,   /* 403 AccessDeniedException (apigatewayv2) */
    RS_GE_UNAVAILABLE,     /* 503 ServiceUnavailableException */
    RS_GE_UNKNOWN_OP,      /* 404 UnknownOperationException: a route RustStack lacks */
    RS_GE__COUNT
} rs_apigw_err_t;

/* The wire code ("NotFoundException") and HTTP status of an error (out of range:
 * ServiceUnavailableException's). */
const char *rs_apigw_err_code(rs_apigw_err_t e);
int rs_apigw_err_status(rs_apigw_err_t e);

/* The JSON body {"message": msg}: malloc'd, NUL-terminated, length in *len; NULL on
 * ENOMEM. */
char *rs_apigw_err_body(const char *msg, size_t *len);

#endif
