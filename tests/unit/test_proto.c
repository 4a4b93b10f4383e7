/*
 * test_proto.c: unit tests for the protocol contracts of src/proto: every row of the
 * DynamoDB and Lambda error tables renders with its status, code and AWS's member names;
 * the Lambda route table names every operation and rejects what is not a route.
 * Runs in: the test binary.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/ddb_errors.h"
#include "rs/lambda_errors.h"
#include "rs/lambda_routes.h"

/* ---- DynamoDB ------------------------------------------------------------------------ */

static const struct {
    const char *type; /* namespace#code */
    int status;
    const char *member; /* NULL: __type alone */
} ddb_rows[RS_DDBE__COUNT] = {
    [RS_DDBE_UnknownOperation] = {"com.amazon.coral.service#UnknownOperationException", 400, NULL},
    [RS_DDBE_UnknownOperationHttp] = {NULL, 404, NULL},
    [RS_DDBE_RequestEntityTooLarge] = {"com.amazon.coral.service#RequestEntityTooLargeException",
                                       413, "message"},
    [RS_DDBE_MissingAuthenticationToken] =
        {"com.amazon.coral.service#MissingAuthenticationTokenException", 400, "message"},
    [RS_DDBE_IncompleteSignature] = {"com.amazon.coral.service#IncompleteSignatureException", 400,
                                     "message"},
    [RS_DDBE_UnrecognizedClient] = {"com.amazon.coral.service#UnrecognizedClientException", 400,
                                    "message"},
    [RS_DDBE_InvalidSignature] = {"com.amazon.coral.service#InvalidSignatureException", 400,
                                  "message"},
    [RS_DDBE_ServiceUnavailable] = {"com.amazonaws.dynamodb.v20120810#ServiceUnavailable", 503,
                                    "message"},
    [RS_DDBE_ServiceNotAvailable] =
        {"com.amazonaws.dynamodb.v20120810#ServiceNotAvailableException", 400, "message"},
    [RS_DDBE_InternalServerError] = {"com.amazonaws.dynamodb.v20120810#InternalServerError", 500,
                                     "message"},
    [RS_DDBE_Serialization] = {"com.amazon.coral.service#SerializationException", 400, "Message"},
    [RS_DDBE_Validation] = {"com.amazon.coral.validate#ValidationException", 400, "message"},
    [RS_DDBE_AccessDenied] = {"com.amazon.coral.service#AccessDeniedException", 400, "Message"},
    [RS_DDBE_MissingAuthenticationTokenShort] = {"com.amazon.coral.service#"
                                                 "MissingAuthenticationToken",
                                                 400, "message"},
    [RS_DDBE_TransactionCanceled] =
        {"com.amazonaws.dynamodb.v20120810#TransactionCanceledException", 400, "Message"},
    [RS_DDBE_IdempotentParameterMismatch] =
        {"com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException", 400, "Message"},
    [RS_DDBE_TransactionInProgress] =
        {"com.amazonaws.dynamodb.v20120810#TransactionInProgressException", 400, "Message"},
    [RS_DDBE_LimitExceeded] = {"com.amazonaws.dynamodb.v20120810#LimitExceededException", 400,
                               "message"},
};

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

Test(ddb_errors, every_row_renders_status_type_and_member)
{
    for (int e = 0; e < RS_DDBE__COUNT; e++) {
        cr_assert_eq(rs_ddb_error_status((rs_ddb_err_t)e), ddb_rows[e].status, "row %d", e);
        size_t n = 0;
        char *b = rs_ddb_err_body((rs_ddb_err_t)e, "text", &n);
        cr_assert_not_null(b);
        cr_assert_eq(n, strlen(b));
        if (ddb_rows[e].type == NULL) {
            cr_assert_str_eq(b, "<UnknownOperationException/>\n");
            free(b);
            continue;
        }
        json_object *o = json_tokener_parse(b);
        cr_assert_not_null(o, "%s", b);
        cr_assert_str_eq(jstr(o, "__type"), ddb_rows[e].type);
        cr_assert_str_eq(strchr(ddb_rows[e].type, '#') + 1, rs_ddb_error_code((rs_ddb_err_t)e));
        const char *other = ddb_rows[e].member != NULL && strcmp(ddb_rows[e].member, "Message") == 0
                                ? "message"
                                : "Message";
        cr_assert_null(jstr(o, other), "%s", b);
        if (ddb_rows[e].member != NULL)
            cr_assert_str_eq(jstr(o, ddb_rows[e].member), "text", "%s", b);
        else
            cr_assert_eq(json_object_object_length(o), 1, "%s", b);
        json_object_put(o);
        free(b);
        /* found by its code (the first row of a code) */
        const rs_ddb_err_def_t *d = rs_ddb_err_find(rs_ddb_error_code((rs_ddb_err_t)e));
        cr_assert_not_null(d);
        cr_assert_str_eq(d->code, rs_ddb_error_code((rs_ddb_err_t)e));
    }
    cr_assert_null(rs_ddb_err_find("ConditionalCheckFailedException"));
}

Test(ddb_errors, default_text_and_no_text)
{
    size_t n;
    char *b = rs_ddb_err_body(RS_DDBE_RequestEntityTooLarge, NULL, &n);
    cr_assert_str_eq(b, "{\"__type\":\"com.amazon.coral.service#RequestEntityTooLargeException\","
                        "\"message\":\"Request size exceeded 16777216 bytes\"}");
    free(b);
    b = rs_ddb_err_body(RS_DDBE_Serialization, NULL, &n);
    cr_assert_str_eq(b, "{\"__type\":\"com.amazon.coral.service#SerializationException\"}");
    free(b);
    cr_assert_eq(rs_ddb_error_status((rs_ddb_err_t)999), 500);
}

/* ---- Lambda -------------------------------------------------------------------------- */

static const struct {
    const char *code;
    int status;
    const char *type;   /* NULL: no Type member */
    const char *member; /* as the service model names it */
} lambda_rows[RS_LE__COUNT] = {
    [RS_LE_RESOURCE_NOT_FOUND] = {"ResourceNotFoundException", 404, "User", "Message"},
    [RS_LE_RESOURCE_CONFLICT] = {"ResourceConflictException", 409, "User", "message"},
    [RS_LE_INVALID_PARAMETER] = {"InvalidParameterValueException", 400, "User", "message"},
    [RS_LE_VALIDATION] = {"ValidationException", 400, NULL, "message"},
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

Test(lambda_errors, every_row_renders_status_code_and_members)
{
    for (int e = 0; e < RS_LE__COUNT; e++) {
        cr_assert_str_eq(rs_lambda_err_code((rs_lambda_err_t)e), lambda_rows[e].code);
        cr_assert_eq(rs_lambda_err_status((rs_lambda_err_t)e), lambda_rows[e].status, "row %d", e);
        size_t n = 0;
        char *b = rs_lambda_err_body((rs_lambda_err_t)e, "text", NULL, &n);
        cr_assert_not_null(b);
        cr_assert_eq(n, strlen(b));
        json_object *o = json_tokener_parse(b);
        cr_assert_not_null(o, "%s", b);
        if (lambda_rows[e].type != NULL)
            cr_assert_str_eq(jstr(o, "Type"), lambda_rows[e].type, "%s", b);
        else
            cr_assert_null(jstr(o, "Type"), "%s", b);
        /* Type 4xx User, 5xx Service */
        if (lambda_rows[e].type != NULL)
            cr_assert_str_eq(jstr(o, "Type"), lambda_rows[e].status >= 500 ? "Service" : "User");
        cr_assert_str_eq(jstr(o, lambda_rows[e].member), "text", "%s", b);
        const char *other = strcmp(lambda_rows[e].member, "Message") == 0 ? "message" : "Message";
        cr_assert_null(jstr(o, other), "%s", b);
        cr_assert_null(jstr(o, "Reason"));
        json_object_put(o);
        free(b);
    }
}

Test(lambda_errors, reason_and_out_of_range)
{
    char *b = rs_lambda_err_body(RS_LE_TOO_MANY_REQUESTS, "Rate Exceeded.",
                                 "ReservedFunctionConcurrentInvocationLimitExceeded", NULL);
    cr_assert_str_eq(b, "{\"Type\":\"User\",\"message\":\"Rate Exceeded.\",\"Reason\":"
                        "\"ReservedFunctionConcurrentInvocationLimitExceeded\"}");
    free(b);
    cr_assert_eq(rs_lambda_err_status((rs_lambda_err_t)999), 500);
    cr_assert_str_eq(rs_lambda_err_code((rs_lambda_err_t)-1), "ServiceException");
}

/* ---- Lambda routes --------------------------------------------------------------------- */

static rs_lambda_op_t route(const char *method, const char *path, const char **name, size_t *n)
{
    return rs_lambda_route(method, path, strlen(path), name, n);
}

Test(lambda_routes, every_operation)
{
    static const struct {
        const char *method, *path, *op, *name;
    } cases[] = {
        {"POST", "/2015-03-31/functions", "CreateFunction", NULL},
        {"POST", "/2015-03-31/functions/", "CreateFunction", NULL},
        {"GET", "/2015-03-31/functions", "ListFunctions", NULL},
        {"GET", "/2015-03-31/functions/f", "GetFunction", "f"},
        {"GET", "/2015-03-31/functions/f/", "GetFunction", "f"},
        {"DELETE", "/2015-03-31/functions/f%3A1", "DeleteFunction", "f%3A1"},
        {"GET", "/2015-03-31/functions/fn/configuration", "GetFunctionConfiguration", "fn"},
        {"PUT", "/2015-03-31/functions/fn/configuration", "UpdateFunctionConfiguration", "fn"},
        {"PUT", "/2015-03-31/functions/fn/code", "UpdateFunctionCode", "fn"},
        {"POST", "/2015-03-31/functions/fn/invocations", "Invoke", "fn"},
        {"POST", "/2021-10-31/functions/fn/url", "CreateFunctionUrlConfig", "fn"},
        {"GET", "/2021-10-31/functions/f/url", "GetFunctionUrlConfig", "f"},
        {"PUT", "/2021-10-31/functions/f/url", "UpdateFunctionUrlConfig", "f"},
        {"DELETE", "/2021-10-31/functions/f%3Aa/url", "DeleteFunctionUrlConfig", "f%3Aa"},
        {"GET", "/2021-10-31/functions/fn/urls", "ListFunctionUrlConfigs", "fn"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *name;
        size_t n;
        rs_lambda_op_t op = route(cases[i].method, cases[i].path, &name, &n);
        cr_assert_str_eq(rs_lambda_op_name(op), cases[i].op, "%s", cases[i].path);
        if (cases[i].name == NULL) {
            cr_assert_null(name);
            cr_assert_eq(n, 0);
        } else {
            cr_assert_eq(n, strlen(cases[i].name));
            cr_assert(memcmp(name, cases[i].name, n) == 0);
        }
    }
}

Test(lambda_routes, not_routes)
{
    static const struct {
        const char *method, *path;
    } cases[] = {
        {"PUT", "/2015-03-31/functions"},
        {"POST", "/2015-03-31/functions/f"},
        {"GET", "/2015-03-31/functionsX"},
        {"GET", "/2015-03-31/functions//configuration"},
        {"POST", "/2015-03-31/functions/f/nonsense"},
        {"POST", "/2015-03-31/functions/f/invocations/x"},
        {"DELETE", "/2015-03-31/functions/f/configuration"},
        {"GET", "/2015-03-31/functions/f/code"},
        {"GET", "/2021-10-31/functions/f/configuration"},
        {"GET", "/2021-10-31/functions/f"},
        {"POST", "/2021-10-31/functions/f/urls"},
        {"GET", "/2015-03-31/functions/f/url"},
        {"GET", "/"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *name;
        size_t n;
        cr_assert_eq(route(cases[i].method, cases[i].path, &name, &n), RS_LOP_UNKNOWN, "%s %s",
                     cases[i].method, cases[i].path);
        cr_assert_null(name);
        cr_assert_eq(n, 0);
    }
    cr_assert_str_eq(rs_lambda_op_name(RS_LOP_UNKNOWN), "Unknown");
    cr_assert_str_eq(rs_lambda_op_name((rs_lambda_op_t)99), "Unknown");
}

Test(lambda_routes, prefixes_and_limits)
{
    cr_assert_str_eq(rs_lambda_path_prefixes[0], RS_LAMBDA_FUNCTIONS_PATH);
    cr_assert_eq(rs_lambda_npath_prefixes, 12);
    for (size_t i = 0; i < rs_lambda_npath_prefixes; i++)
        cr_assert(rs_lambda_path_prefixes[i][0] == '/');
    cr_assert_eq(RS_LAMBDA_INVOKE_MAX, 6291456u);
    cr_assert_eq(RS_LAMBDA_CREATE_REQUEST_MAX, 70167211u);
    cr_assert_eq(RS_LAMBDA_ZIP_MAX, 52428800ull);
    cr_assert_eq(RS_LAMBDA_UNZIPPED_MAX, 262144000ull);
    cr_assert_eq(RS_LAMBDA_ENV_MAX, 4096u);
}

Test(lambda_routes, response_limit_text_matches_number)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%u", RS_LAMBDA_RESPONSE_MAX);
    cr_assert_str_eq(buf, RS_LAMBDA_RESPONSE_MAX_TEXT);
    cr_assert_eq(RS_LAMBDA_RESPONSE_MAX, RS_LAMBDA_INVOKE_MAX + 100);
}
