/*
 * ddb_errors.c: the DynamoDB error table (rs/ddb_errors.h) and its JSON body.
 * Member names as DynamoDB sends them (dynamodb.md 1.2): its own exceptions and the
 * authentication errors say "message"; coral's SerializationException and
 * AccessDeniedException and the transaction exceptions of the model say "Message".
 * Runs in: workers and the ddb supervisor (pure).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/ddb_errors.h"

#define DDB RS_DDB_NS_DDB
#define SVC RS_DDB_NS_SERVICE

static const rs_ddb_err_def_t table[RS_DDBE__COUNT] = {
    [RS_DDBE_UnknownOperation] = {"UnknownOperationException", SVC, 400, NULL, NULL, NULL},
    [RS_DDBE_UnknownOperationHttp] = {"UnknownOperationException", SVC, 404, NULL, NULL,
                                      "<UnknownOperationException/>\n"},
    [RS_DDBE_RequestEntityTooLarge] = {"RequestEntityTooLargeException", SVC, 413, "message",
                                       "Request size exceeded 16777216 bytes", NULL},
    [RS_DDBE_MissingAuthenticationToken] = {"MissingAuthenticationTokenException", SVC, 400,
                                            "message", "Request is missing Authentication Token",
                                            NULL},
    [RS_DDBE_IncompleteSignature] = {"IncompleteSignatureException", SVC, 400, "message",
                                     "The request signature does not conform to AWS standards.",
                                     NULL},
    [RS_DDBE_UnrecognizedClient] = {"UnrecognizedClientException", SVC, 400, "message",
                                    "The security token included in the request is invalid.", NULL},
    [RS_DDBE_InvalidSignature] = {"InvalidSignatureException", SVC, 400, "message",
                                  "The request signature we calculated does not match the "
                                  "signature you provided. Check your AWS Secret Access Key "
                                  "and signing method. Consult the service documentation for "
                                  "details.",
                                  NULL},
    [RS_DDBE_ServiceUnavailable] = {"ServiceUnavailable", DDB, 503, "message",
                                    "DynamoDB is starting or restarting; retry shortly", NULL},
    [RS_DDBE_ServiceNotAvailable] = {"ServiceNotAvailableException", DDB, 400, "message",
                                     "DynamoDB is not available in this RustStack", NULL},
    [RS_DDBE_InternalServerError] = {"InternalServerError", DDB, 500, "message",
                                     "Internal server error", NULL},
    [RS_DDBE_Serialization] = {"SerializationException", SVC, 400, "Message", NULL, NULL},
    [RS_DDBE_Validation] = {"ValidationException", RS_DDB_NS_VALIDATE, 400, "message", NULL, NULL},
    [RS_DDBE_AccessDenied] = {"AccessDeniedException", SVC, 400, "Message", NULL, NULL},
    [RS_DDBE_MissingAuthenticationTokenShort] = {"MissingAuthenticationToken", SVC, 400, "message",
                                                 NULL, NULL},
    [RS_DDBE_TransactionCanceled] = {"TransactionCanceledException", DDB, 400, "Message", NULL,
                                     NULL},
    [RS_DDBE_IdempotentParameterMismatch] = {"IdempotentParameterMismatchException", DDB, 400,
                                             "Message", NULL, NULL},
    [RS_DDBE_TransactionInProgress] = {"TransactionInProgressException", DDB, 400, "Message", NULL,
                                       NULL},
    [RS_DDBE_LimitExceeded] = {"LimitExceededException", DDB, 400, "message", NULL, NULL},
};

const rs_ddb_err_def_t *rs_ddb_err_def(rs_ddb_err_t e)
{
    return &table[(unsigned)e < RS_DDBE__COUNT ? e : RS_DDBE_InternalServerError];
}

const rs_ddb_err_def_t *rs_ddb_err_find(const char *code)
{
    for (size_t i = 0; i < RS_DDBE__COUNT; i++)
        if (strcmp(table[i].code, code) == 0)
            return &table[i];
    return NULL;
}

int rs_ddb_error_status(rs_ddb_err_t e)
{
    return rs_ddb_err_def(e)->status;
}

const char *rs_ddb_error_code(rs_ddb_err_t e)
{
    return rs_ddb_err_def(e)->code;
}

char *rs_ddb_err_body(rs_ddb_err_t e, const char *msg, size_t *len)
{
    const rs_ddb_err_def_t *d = rs_ddb_err_def(e);
    const char *text = msg != NULL ? msg : d->message;
    char *out = NULL, type[128];
    json_object *o = d->raw == NULL ? json_object_new_object() : NULL;
    if (o != NULL) {
        snprintf(type, sizeof(type), "%s%s", d->ns, d->code);
        json_object_object_add(o, "__type", json_object_new_string(type));
        if (d->member != NULL && text != NULL)
            json_object_object_add(o, d->member, json_object_new_string(text));
        out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else if (d->raw != NULL) {
        out = strdup(d->raw);
    }
    if (out != NULL && len != NULL)
        *len = strlen(out);
    return out;
}
