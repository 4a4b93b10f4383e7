/*
 * apigw_errors.c: the API Gateway error table (rs/apigw_errors.h). Codes and statuses are
 * the service models' (botocore apigateway/2015-07-09 and apigatewayv2/2018-11-29: both
 * declare the same exceptions with a lower-case "message" member; apigatewayv2 adds
 * AccessDeniedException). UnknownOperationException is RustStack's answer to a route it
 * does not implement (404, like the Lambda front's).
 * Runs in: the lambda supervisor and workers (pure).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "rs/apigw_errors.h"

static const struct {
    const char *code;
    int status;
} table[RS_GE__COUNT] = {
    [RS_GE_BAD_REQUEST] = {"BadRequestException", 400},
    [RS_GE_NOT_FOUND] = {"NotFoundException", 404},
    [RS_GE_CONFLICT] = {"ConflictException", 409},
    [RS_GE_TOO_MANY] = {"TooManyRequestsException", 429},
    [RS_GE_LIMIT] = {"LimitExceededException", 429},
    [RS_GE_UNAUTHORIZED] = {"UnauthorizedException", 401},
    [RS_GE_ACCESS_DENIED] = {"AccessDeniedException", 403},
    [RS_GE_UNAVAILABLE] = {"ServiceUnavailableException", 503},
    [RS_GE_UNKNOWN_OP] = {"UnknownOperationException", 404},
};

const char *rs_apigw_err_code(rs_apigw_err_t e)
{
    return table[(unsigned)e < RS_GE__COUNT ? e : RS_GE_UNAVAILABLE].code;
}

int rs_apigw_err_status(rs_apigw_err_t e)
{
    return table[(unsigned)e < RS_GE__COUNT ? e : RS_GE_UNAVAILABLE].status;
}

char *rs_apigw_err_body(const char *msg, size_t *len)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    json_object_object_add(o, "message", json_object_new_string(msg != NULL ? msg : ""));
    const char *s =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *b = strdup(s != NULL ? s : "{}");
    json_object_put(o);
    if (b != NULL)
        *len = strlen(b);
    return b;
}
