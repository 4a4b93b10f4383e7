/*
 * lambda_routes.h: the Lambda REST contract shared by the worker (router, operation name
 * for the access log and metrics, size limits) and the lambda supervisor (dispatch): the
 * route table (method + path -> operation) and AWS's size limits (lambda.md 2.9).
 * Runs in: workers and the lambda supervisor (pure).
 */
#ifndef RS_LAMBDA_ROUTES_H
#define RS_LAMBDA_ROUTES_H

#include <stddef.h>

/* ---- size limits ------------------------------------------------------------------- */
#define RS_LAMBDA_INVOKE_MAX 6291456u          /* synchronous Invoke payload */
#define RS_LAMBDA_EVENT_MAX 1048576u           /* Event (asynchronous) Invoke payload */
#define RS_LAMBDA_CREATE_REQUEST_MAX 70167211u /* a whole request ("Request must be smaller") */
#define RS_LAMBDA_ZIP_MAX 52428800ull          /* zipped code, direct upload */
#define RS_LAMBDA_UNZIPPED_MAX 262144000ull    /* unzipped code */
#define RS_LAMBDA_ENV_MAX 4096u                /* Environment.Variables as compact JSON */
/* The largest response or error body a runtime may post (6 MiB + 100 bytes); the two
 * forms keep the messages that name it in step. */
#define RS_LAMBDA_RESPONSE_MAX 6291556u
#define RS_LAMBDA_RESPONSE_MAX_TEXT "6291556"

/* ---- routes ------------------------------------------------------------------------ */
#define RS_LAMBDA_FUNCTIONS_PATH "/2015-03-31/functions"
#define RS_LAMBDA_URL_FUNCTIONS_PATH "/2021-10-31/functions"

/* in the order the supervisor lists them to a caller of an operation it lacks */
typedef enum rs_lambda_op {
    RS_LOP_UNKNOWN = 0,
    RS_LOP_CREATE,
    RS_LOP_GET,
    RS_LOP_GET_CONFIG,
    RS_LOP_LIST,
    RS_LOP_UPDATE_CODE,
    RS_LOP_UPDATE_CONFIG,
    RS_LOP_DELETE,
    RS_LOP_INVOKE,
    RS_LOP_URL_CREATE,
    RS_LOP_URL_GET,
    RS_LOP_URL_UPDATE,
    RS_LOP_URL_DELETE,
    RS_LOP_URL_LIST,
    RS_LOP__COUNT
} rs_lambda_op_t;

/* The path prefixes of every Lambda API version (the router sends them to Lambda). */
extern const char *const rs_lambda_path_prefixes[];
extern const size_t rs_lambda_npath_prefixes;

/* The operation a method and raw path (path_len bytes) name:
 *   RS_LAMBDA_FUNCTIONS_PATH[/]            POST CreateFunction, GET ListFunctions
 *   .../{name}[/]                          GET GetFunction, DELETE DeleteFunction
 *   .../{name}/configuration               GET GetFunctionConfiguration,
 *                                          PUT UpdateFunctionConfiguration
 *   .../{name}/code                        PUT UpdateFunctionCode
 *   .../{name}/invocations                 POST Invoke
 *   RS_LAMBDA_URL_FUNCTIONS_PATH/{name}/url  POST CreateFunctionUrlConfig, GET Get-,
 *                                          PUT Update-, DELETE DeleteFunctionUrlConfig
 *   RS_LAMBDA_URL_FUNCTIONS_PATH/{name}/urls GET ListFunctionUrlConfigs
 * *name / *name_len: the function name segment as sent (percent-encoded), NULL / 0 for
 * the collection. RS_LOP_UNKNOWN when nothing matches. */
rs_lambda_op_t rs_lambda_route(const char *method, const char *path, size_t path_len,
                               const char **name, size_t *name_len);

/* "CreateFunction", ..., "Invoke"; "Unknown" for RS_LOP_UNKNOWN. */
const char *rs_lambda_op_name(rs_lambda_op_t op);

#endif
