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
    const char *method;
    const char *sub; /* NULL: the collection; "": /{name}; else /{name}/<sub> */
    rs_lambda_op_t op;
} routes[] = {
    {"POST", NULL, RS_LOP_CREATE},
    {"GET", NULL, RS_LOP_LIST},
    {"GET", "", RS_LOP_GET},
    {"DELETE", "", RS_LOP_DELETE},
    {"GET", "configuration", RS_LOP_GET_CONFIG},
    {"PUT", "configuration", RS_LOP_UPDATE_CONFIG},
    {"PUT", "code", RS_LOP_UPDATE_CODE},
    {"POST", "invocations", RS_LOP_INVOKE},
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
};

const char *rs_lambda_op_name(rs_lambda_op_t op)
{
    return names[(unsigned)op < RS_LOP__COUNT ? op : RS_LOP_UNKNOWN];
}

rs_lambda_op_t rs_lambda_route(const char *method, const char *path, size_t path_len,
                               const char **name, size_t *name_len)
{
    const size_t pl = sizeof(RS_LAMBDA_FUNCTIONS_PATH) - 1;
    const char *sub = NULL;
    size_t sublen = 0;
    *name = NULL;
    *name_len = 0;
    if (path_len < pl || memcmp(path, RS_LAMBDA_FUNCTIONS_PATH, pl) != 0)
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
        if (strcmp(r->method, method) != 0 || (sub == NULL) != (r->sub == NULL))
            continue;
        if (sub != NULL && (strlen(r->sub) != sublen || memcmp(sub, r->sub, sublen) != 0))
            continue;
        return r->op;
    }
    *name = NULL;
    *name_len = 0;
    return RS_LOP_UNKNOWN;
}
