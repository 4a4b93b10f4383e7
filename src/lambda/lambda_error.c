/*
 * lambda_error.c: the one table of Lambda REST errors: wire code (sent in
 * x-amzn-ErrorType), HTTP status and body shape ({"Type": ..., "Message"/"message": ...}:
 * the model's member name; "Type" is "User" on 4xx and "Service" on 5xx, absent for
 * ValidationException as AWS sends it).
 * Runs in: the lambda supervisor.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/lambda_error.h"

static const struct {
    const char *code;
    int status;
    const char *type; /* NULL: no Type member */
    const char *member;
} table[RS_LE__COUNT] = {
    [RS_LE_RESOURCE_NOT_FOUND] = {"ResourceNotFoundException", 404, "User", "Message"},
    [RS_LE_RESOURCE_CONFLICT] = {"ResourceConflictException", 409, "User", "message"},
    [RS_LE_INVALID_PARAMETER] = {"InvalidParameterValueException", 400, "User", "message"},
    [RS_LE_VALIDATION] = {"ValidationException", 400, NULL, "message"},
    /* the code real AWS sends (not the model's RequestTooLargeException) */
    [RS_LE_ENTITY_TOO_LARGE] = {"RequestEntityTooLargeException", 413, "User", "message"},
    [RS_LE_PRECONDITION_FAILED] = {"PreconditionFailedException", 412, "User", "message"},
    [RS_LE_INVALID_REQUEST_CONTENT] = {"InvalidRequestContentException", 400, "User", "message"},
    [RS_LE_TOO_MANY_REQUESTS] = {"TooManyRequestsException", 429, "User", "message"},
    [RS_LE_SERVICE] = {"ServiceException", 500, "Service", "Message"},
    [RS_LE_UNKNOWN_OPERATION] = {"UnknownOperationException", 404, "User", "message"},
};

const char *rs_lambda_err_code(rs_lambda_err_t e)
{
    return (unsigned)e < RS_LE__COUNT ? table[e].code : table[RS_LE_SERVICE].code;
}

int rs_lambda_err_status(rs_lambda_err_t e)
{
    return (unsigned)e < RS_LE__COUNT ? table[e].status : 500;
}

char *rs_lambda_err_body(rs_lambda_err_t e, const char *msg, const char *reason, size_t *len)
{
    if ((unsigned)e >= RS_LE__COUNT)
        e = RS_LE_SERVICE;
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    if (table[e].type != NULL)
        json_object_object_add(o, "Type", json_object_new_string(table[e].type));
    json_object_object_add(o, table[e].member, json_object_new_string(msg ? msg : ""));
    if (reason != NULL)
        json_object_object_add(o, "Reason", json_object_new_string(reason));
    const char *s =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out = strdup(s);
    if (out != NULL && len != NULL)
        *len = strlen(out);
    json_object_put(o);
    return out;
}
