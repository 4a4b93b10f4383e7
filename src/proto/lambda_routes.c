/*
 * lambda_routes.c: the Lambda route table (rs/lambda_routes.h): which method and path
 * name which operation, and the API path prefixes of the router.
 * Runs in: workers and the lambda supervisor (pure).
 */
#include "config.h"

#include <string.h>

#include "rs/lambda_routes.h"

const char *const rs_lambda_path_prefixes[] = {
    RS_LAMBDA_FUNCTIONS_PATH,
    "/2015-03-31/event-source-mappings",
    "/2016-08-19/account-settings",
    "/2017-03-31/tags",
    "/2017-10-31/functions",
    "/2018-10-31/layers",
    "/2019-09-25/functions",
    "/2019-09-30/functions",
    "/2020-04-22/code-signing-configs",
    "/2020-06-30/functions",
    "/2021-10-31/functions",
    "/2021-11-15/functions",
};
const size_t rs_lambda_npath_prefixes =
    sizeof(rs_lambda_path_prefixes) / sizeof(rs_lambda_path_prefixes[0]);

static const struct route {
    const char *prefix; /* RS_LAMBDA_FUNCTIONS_PATH or RS_LAMBDA_URL_FUNCTIONS_PATH */
    const char *method;
    const char *sub; /* NULL: the collection; "": /{name}; else /{name}/<sub> */
    rs_lambda_op_t op;
} routes[] = {
    {RS_LAMBDA_FUNCTIONS_PATH, "POST", NULL, RS_LOP_CREATE},
    {RS_LAMBDA_FUNCTIONS_PATH, "GET", NULL, RS_LOP_LIST},
    {RS_LAMBDA_FUNCTIONS_PATH, "GET", "", RS_LOP_GET},
    {RS_LAMBDA_FUNCTIONS_PATH, "DELETE", "", RS_LOP_DELETE},
    {RS_LAMBDA_FUNCTIONS_PATH, "GET", "configuration", RS_LOP_GET_CONFIG},
    {RS_LAMBDA_FUNCTIONS_PATH, "PUT", "configuration", RS_LOP_UPDATE_CONFIG},
    {RS_LAMBDA_FUNCTIONS_PATH, "PUT", "code", RS_LOP_UPDATE_CODE},
    {RS_LAMBDA_FUNCTIONS_PATH, "POST", "invocations", RS_LOP_INVOKE},
    {RS_LAMBDA_URL_FUNCTIONS_PATH, "POST", "url", RS_LOP_URL_CREATE},
    {RS_LAMBDA_URL_FUNCTIONS_PATH, "GET", "url", RS_LOP_URL_GET},
    {RS_LAMBDA_URL_FUNCTIONS_PATH, "PUT", "url", RS_LOP_URL_UPDATE},
    {RS_LAMBDA_URL_FUNCTIONS_PATH, "DELETE", "url", RS_LOP_URL_DELETE},
    {RS_LAMBDA_URL_FUNCTIONS_PATH, "GET", "urls", RS_LOP_URL_LIST},
};

static const char *const names[RS_LOP__COUNT] = {
    [RS_LOP_UNKNOWN] = "Unknown",
    [RS_LOP_CREATE] = "CreateFunction",
    [RS_LOP_LIST] = "ListFunctions",
    [RS_LOP_GET] = "GetFunction",
    [RS_LOP_DELETE] = "DeleteFunction",
    [RS_LOP_GET_CONFIG] = "GetFunctionConfiguration",
    [RS_LOP_UPDATE_CONFIG] = "UpdateFunctionConfiguration",
    [RS_LOP_UPDATE_CODE] = "UpdateFunctionCode",
    [RS_LOP_INVOKE] = "Invoke",
    [RS_LOP_URL_CREATE] = "CreateFunctionUrlConfig",
    [RS_LOP_URL_GET] = "GetFunctionUrlConfig",
    [RS_LOP_URL_UPDATE] = "UpdateFunctionUrlConfig",
    [RS_LOP_URL_DELETE] = "DeleteFunctionUrlConfig",
    [RS_LOP_URL_LIST] = "ListFunctionUrlConfigs",
};

const char *rs_lambda_op_name(rs_lambda_op_t op)
{
    return names[(unsigned)op < RS_LOP__COUNT ? op : RS_LOP_UNKNOWN];
}

rs_lambda_op_t rs_lambda_route(const char *method, const char *path, size_t path_len,
                               const char **name, size_t *name_len)
{
    static const char *const prefixes[] = {RS_LAMBDA_FUNCTIONS_PATH, RS_LAMBDA_URL_FUNCTIONS_PATH};
    const char *prefix = NULL;
    size_t pl = 0;
    const char *sub = NULL;
    size_t sublen = 0;
    *name = NULL;
    *name_len = 0;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]) && prefix == NULL; i++) {
        size_t n = strlen(prefixes[i]);
        if (path_len >= n && memcmp(path, prefixes[i], n) == 0) {
            prefix = prefixes[i];
            pl = n;
        }
    }
    if (prefix == NULL)
        return RS_LOP_UNKNOWN;
    const char *rest = path + pl, *end = path + path_len;
    if (rest < end && !(end - rest == 1 && *rest == '/')) {
        if (*rest != '/')
            return RS_LOP_UNKNOWN;
        rest++;
        const char *slash = memchr(rest, '/', (size_t)(end - rest));
        size_t n = slash != NULL ? (size_t)(slash - rest) : (size_t)(end - rest);
        sub = slash != NULL ? slash + 1 : end;
        sublen = (size_t)(end - sub);
        if (n == 0 || memchr(sub, '/', sublen) != NULL)
            return RS_LOP_UNKNOWN;
        *name = rest;
        *name_len = n;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *r = &routes[i];
        if (r->prefix != prefix || strcmp(r->method, method) != 0 ||
            (sub == NULL) != (r->sub == NULL))
            continue;
        if (sub != NULL && (strlen(r->sub) != sublen || memcmp(sub, r->sub, sublen) != 0))
            continue;
        return r->op;
    }
    *name = NULL;
    *name_len = 0;
    return RS_LOP_UNKNOWN;
}
