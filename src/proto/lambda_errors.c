/*
 * lambda_errors.c: the Lambda REST error table (rs/lambda_errors.h) and its JSON body.
 * Member names follow the service model (botocore lambda/2015-03-31): "Message" for
 * ResourceNotFoundException and ServiceException, "message" for the others; codes the
 * model lacks take the convention of its neighbours: RequestEntityTooLargeException that
 * of RequestTooLargeException ("message"), the front end's authentication errors and
 * ServiceNotAvailableException "message". "Type" is "User" on 4xx, "Service" on 5xx,
 * absent for ValidationException as AWS sends it (lambda.md 2.0).
 * Runs in: workers and the lambda supervisor (pure).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "rs/lambda_errors.h"

static const rs_lambda_err_def_t table[RS_LE__COUNT] = {
    [RS_LE_RESOURCE_NOT_FOUND] = {"ResourceNotFoundException", 404, "User", "Message"},
    [RS_LE_RESOURCE_CONFLICT] = {"ResourceConflictException", 409, "User", "message"},
    [RS_LE_INVALID_PARAMETER] = {"InvalidParameterValueException", 400, "User", "message"},
    [RS_LE_VALIDATION] = {"ValidationException", 400, NULL, "message"},
    /* the code real AWS sends (not the model's RequestTooLargeException) */
    [RS_LE_ENTITY_TOO_LARGE] = {"RequestEntityTooLargeException", 413, "User", "message"},
    [RS_LE_PRECONDITION_FAILED] = {"PreconditionFailedException", 412, "User", "message"},
    [RS_LE_INVALID_REQUEST_CONTENT] = {"InvalidRequestContentException", 400, "User", "message"},
    [RS_LE_TOO_MANY_REQUESTS] = {"TooManyRequestsException", 429, "User", "message"},
    [RS_LE_CODE_STORAGE] = {"CodeStorageExceededException", 400, "User", "message"},
    [RS_LE_SERVICE] = {"ServiceException", 500, "Service", "Message"},
    [RS_LE_SERVICE_RETRY] = {"ServiceException", 503, "Service", "Message"},
    [RS_LE_UNKNOWN_OPERATION] = {"UnknownOperationException", 404, "User", "message"},
    [RS_LE_SERVICE_NOT_AVAILABLE] = {"ServiceNotAvailableException", 400, "User", "message"},
    [RS_LE_INCOMPLETE_SIGNATURE] = {"IncompleteSignatureException", 403, "User", "message"},
    [RS_LE_MISSING_TOKEN] = {"MissingAuthenticationTokenException", 403, "User", "message"},
    [RS_LE_UNRECOGNIZED_CLIENT] = {"UnrecognizedClientException", 403, "User", "message"},
    [RS_LE_INVALID_SIGNATURE] = {"InvalidSignatureException", 403, "User", "message"},
};

const rs_lambda_err_def_t *rs_lambda_err_def(rs_lambda_err_t e)
{
    return &table[(unsigned)e < RS_LE__COUNT ? e : RS_LE_SERVICE];
}

const char *rs_lambda_err_code(rs_lambda_err_t e)
{
    return rs_lambda_err_def(e)->code;
}

int rs_lambda_err_status(rs_lambda_err_t e)
{
    return rs_lambda_err_def(e)->status;
}

char *rs_lambda_err_body(rs_lambda_err_t e, const char *msg, const char *reason, size_t *len)
{
    const rs_lambda_err_def_t *d = rs_lambda_err_def(e);
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    if (d->type != NULL)
        json_object_object_add(o, "Type", json_object_new_string(d->type));
    json_object_object_add(o, d->member, json_object_new_string(msg ? msg : ""));
    if (reason != NULL)
        json_object_object_add(o, "Reason", json_object_new_string(reason));
    char *out = strdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    if (out != NULL && len != NULL)
        *len = strlen(out);
    json_object_put(o);
    return out;
}
