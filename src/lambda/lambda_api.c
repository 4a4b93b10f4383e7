/*
 * lambda_api.c: the Lambda REST front of the supervisor: dispatch by the route table
 * (rs/lambda_routes.h), the function name in all its forms (name, name:qualifier, partial
 * and full ARN; percent-decoded), query parameters, AWS-style replies (x-amzn-RequestId on every
 * response, x-amzn-ErrorType on errors) and the FunctionConfiguration views.
 * Runs in: the lambda supervisor (request threads).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/lambda_api.h"
#include "lambda/lambda_code.h"
#include "lambda/lambda_url.h"
#include "rs/codec.h"
#include "rs/err.h"
#include "rs/log.h"

#define FN_PATTERN                                                                                 \
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?("     \
    "[a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"

void rs_lambda_api_init(rs_lambda_api_t *api, rs_lambda_reg_t *reg, rs_lambda_pool_t *pool,
                        const char *pool_why, const rs_conf_t *conf)
{
    memset(api, 0, sizeof(*api));
    api->reg = reg;
    api->pool = pool;
    snprintf(api->pool_why, sizeof(api->pool_why), "%s", pool_why ? pool_why : "");
    api->conf = conf;
    api->zip_max = RS_LAMBDA_ZIP_MAX;
    api->unzipped_max = RS_LAMBDA_UNZIPPED_MAX;
    atomic_init(&api->async_running, 0);
}

void rs_lambda_resp_free(rs_lambda_resp_t *r)
{
    json_object_put(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* ---- replies ------------------------------------------------------------------------ */

int rs_lambda_reply_error(rs_lambda_resp_t *out, rs_lambda_err_t e, const char *msg,
                          const char *reason)
{
    free(out->body);
    out->body = rs_lambda_err_body(e, msg, reason, &out->body_len);
    out->status = rs_lambda_err_status(e);
    json_object_object_add(out->headers, "Content-Type",
                           json_object_new_string("application/json"));
    json_object_object_add(out->headers, "x-amzn-ErrorType",
                           json_object_new_string(rs_lambda_err_code(e)));
    return out->body ? 0 : RS_ENOMEM;
}

int rs_lambda_fail(rs_lambda_resp_t *out, rs_lambda_err_t e, const char *msg)
{
    rs_lambda_reply_error(out, e, msg, NULL);
    return 1;
}

int rs_lambda_reply_json(rs_lambda_resp_t *out, int status, json_object *body)
{
    const char *s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    free(out->body);
    out->body = strdup(s ? s : "{}");
    out->body_len = out->body ? strlen(out->body) : 0;
    json_object_put(body);
    out->status = status;
    json_object_object_add(out->headers, "Content-Type",
                           json_object_new_string("application/json"));
    return out->body ? 0 : RS_ENOMEM;
}

int rs_lambda_reply_errorf(rs_lambda_resp_t *out, rs_lambda_err_t e, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return rs_lambda_reply_error(out, e, msg, NULL);
}

int rs_lambda_reply_not_found(rs_lambda_resp_t *out, const rs_lambda_req_t *rq, const char *suffix)
{
    return rs_lambda_reply_errorf(out, RS_LE_RESOURCE_NOT_FOUND,
                                  "Function not found: arn:aws:lambda:%s:%s:function:%s%s",
                                  rq->region, rq->account, rq->name, suffix ? suffix : "");
}

const char *rs_lambda_req_header(const rs_lambda_req_t *rq, const char *name)
{
    json_object *v;
    if (rq->headers && json_object_object_get_ex(rq->headers, name, &v))
        return json_object_get_string(v);
    return "";
}

/* ---- names ----------------------------------------------------------------------------- */

static int all_chars(const char *s, size_t n, const char *extra)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '-' && c != '_' && !(extra && strchr(extra, c)))
            return 0;
    }
    return 1;
}

static int region_ok(const char *s)
{
    /* [a-z]{2}(-gov)?-[a-z]+-\d */
    size_t n = strlen(s);
    if (n < 6 || !islower((unsigned char)s[0]) || !islower((unsigned char)s[1]) || s[2] != '-')
        return 0;
    if (!isdigit((unsigned char)s[n - 1]) || s[n - 2] != '-')
        return 0;
    for (size_t i = 3; i < n - 2; i++)
        if (!islower((unsigned char)s[i]) && s[i] != '-')
            return 0;
    return 1;
}

static int digits12(const char *s)
{
    if (strlen(s) != 12)
        return 0;
    for (int i = 0; i < 12; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int qualifier_ok(const char *q)
{
    return strcmp(q, "$LATEST") == 0 || all_chars(q, strlen(q), NULL);
}

static int bad_pattern(rs_lambda_resp_t *out, const char *raw)
{
    rs_lambda_reply_errorf(out, RS_LE_VALIDATION,
                           "1 validation error detected: Value '%.300s' at 'functionName' failed "
                           "to satisfy constraint: Member must satisfy regular expression "
                           "pattern: " FN_PATTERN,
                           raw);
    return 1;
}

/* 1 with the error filled when `v` is longer than `max` */
static int too_long(rs_lambda_resp_t *out, rs_lambda_err_t e, const char *v, size_t max)
{
    if (strlen(v) <= max)
        return 0;
    rs_lambda_reply_errorf(out, e,
                           "1 validation error detected: Value '%.300s' at 'functionName' failed "
                           "to satisfy constraint: Member must have length less than or equal "
                           "to %zu",
                           v, max);
    return 1;
}

int rs_lambda_parse_name(rs_lambda_req_t *rq, const char *raw, rs_lambda_resp_t *out)
{
    if (too_long(out, RS_LE_VALIDATION, raw, 140))
        return 1;
    char buf[160], *parts[10];
    int np = 0;
    snprintf(buf, sizeof(buf), "%s", raw);
    for (char *s = buf;;) {
        if (np == 10)
            return bad_pattern(out, raw);
        parts[np++] = s;
        char *c = strchr(s, ':');
        if (!c)
            break;
        *c = '\0';
        s = c + 1;
    }
    const char *name, *qual = NULL, *acct = NULL, *region = NULL;
    if (strcmp(parts[0], "arn") == 0) {
        /* arn:aws:lambda:region:account:function:name[:qualifier] */
        if ((np != 7 && np != 8) || strncmp(parts[1], "aws", 3) != 0 ||
            strcmp(parts[2], "lambda") != 0 || !region_ok(parts[3]) || !digits12(parts[4]) ||
            strcmp(parts[5], "function") != 0)
            return bad_pattern(out, raw);
        region = parts[3];
        acct = parts[4];
        name = parts[6];
        qual = np == 8 ? parts[7] : NULL;
    } else if (np >= 3 && strcmp(parts[1], "function") == 0) {
        /* account:function:name[:qualifier] */
        if (np > 4 || !digits12(parts[0]))
            return bad_pattern(out, raw);
        acct = parts[0];
        name = parts[2];
        qual = np == 4 ? parts[3] : NULL;
    } else {
        if (np > 2)
            return bad_pattern(out, raw);
        name = parts[0];
        qual = np == 2 ? parts[1] : NULL;
    }
    if (!all_chars(name, strlen(name), ".") || (qual && !qualifier_ok(qual)))
        return bad_pattern(out, raw);
    if (too_long(out, RS_LE_INVALID_PARAMETER, name, 64))
        return 1;
    if (region && strcmp(region, rq->region) != 0) {
        rs_lambda_reply_errorf(out, RS_LE_RESOURCE_NOT_FOUND,
                               "Functions from '%s' are not reachable in this region ('%s')",
                               region, rq->region);
        return 1;
    }
    if (acct) {
        snprintf(rq->acct_buf, sizeof(rq->acct_buf), "%s", acct);
        rq->account = rq->acct_buf;
    }
    snprintf(rq->name, sizeof(rq->name), "%s", name);
    if (qual && rq->query_qualifier[0] && strcmp(qual, rq->query_qualifier) != 0) {
        rs_lambda_reply_error(
            out, RS_LE_INVALID_PARAMETER,
            "The derived qualifier from the function name does not match the specified "
            "qualifier.",
            NULL);
        return 1;
    }
    rq->named_qualifier = qual != NULL;
    snprintf(rq->qualifier, sizeof(rq->qualifier), "%s", qual ? qual : rq->query_qualifier);
    if (rq->qualifier[0])
        snprintf(rq->named_arn, sizeof(rq->named_arn), "arn:aws:lambda:%s:%s:function:%s:%s",
                 rq->region, rq->account, rq->name, rq->qualifier);
    else
        snprintf(rq->named_arn, sizeof(rq->named_arn), "arn:aws:lambda:%s:%s:function:%s",
                 rq->region, rq->account, rq->name);
    return 0;
}

/* ---- request parsing ------------------------------------------------------------------- */

static void parse_query(rs_lambda_req_t *rq, const char *q)
{
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', n);
        size_t kn = eq ? (size_t)(eq - q) : n;
        char key[64], val[300];
        if (rs_pct_decode_buf(q, kn, key, sizeof(key), 1) == 0 &&
            rs_pct_decode_buf(eq ? eq + 1 : "", eq ? n - kn - 1 : 0, val, sizeof(val), 1) == 0) {
            if (strcmp(key, "Qualifier") == 0)
                snprintf(rq->query_qualifier, sizeof(rq->query_qualifier), "%.*s",
                         (int)sizeof(rq->query_qualifier) - 1, val);
            else if (strcmp(key, "Marker") == 0)
                snprintf(rq->marker, sizeof(rq->marker), "%s", val);
            else if (strcmp(key, "MaxItems") == 0)
                snprintf(rq->max_items, sizeof(rq->max_items), "%.*s",
                         (int)sizeof(rq->max_items) - 1, val);
            else if (strcmp(key, "FunctionVersion") == 0) {
                snprintf(rq->function_version, sizeof(rq->function_version), "%.*s",
                         (int)sizeof(rq->function_version) - 1, val);
                rq->has_function_version = 1;
            }
        }
        q = amp ? amp + 1 : NULL;
    }
}

typedef int (*op_fn)(rs_lambda_req_t *, rs_lambda_resp_t *);

/* the handler of each operation of the route table (rs/lambda_routes.h) */
static const op_fn ops[RS_LOP__COUNT] = {
    [RS_LOP_CREATE] = rs_lambda_op_create,
    [RS_LOP_LIST] = rs_lambda_op_list,
    [RS_LOP_GET] = rs_lambda_op_get,
    [RS_LOP_DELETE] = rs_lambda_op_delete,
    [RS_LOP_GET_CONFIG] = rs_lambda_op_get_config,
    [RS_LOP_UPDATE_CONFIG] = rs_lambda_op_update_config,
    [RS_LOP_UPDATE_CODE] = rs_lambda_op_update_code,
    [RS_LOP_INVOKE] = rs_lambda_op_invoke,
    [RS_LOP_URL_CREATE] = rs_lambda_op_url_create,
    [RS_LOP_URL_GET] = rs_lambda_op_url_get,
    [RS_LOP_URL_UPDATE] = rs_lambda_op_url_update,
    [RS_LOP_URL_DELETE] = rs_lambda_op_url_delete,
    [RS_LOP_URL_LIST] = rs_lambda_op_url_list,
};

static int unknown_op(rs_lambda_resp_t *out, const char *method, const char *path)
{
    char names[300] = "";
    for (int op = RS_LOP_UNKNOWN + 1; op < RS_LOP__COUNT; op++)
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                 op > RS_LOP_UNKNOWN + 1 ? ", " : "", rs_lambda_op_name((rs_lambda_op_t)op));
    return rs_lambda_reply_errorf(out, RS_LE_UNKNOWN_OPERATION,
                                  "RustStack does not implement the Lambda operation %s %.400s "
                                  "(supported: %s)",
                                  method, path, names);
}

int rs_lambda_api_handle(rs_lambda_api_t *api, const char *method, const char *path,
                         const char *query, json_object *headers, const char *account,
                         const char *region, const char *request_id, const void *body, size_t len,
                         rs_lambda_resp_t *out)
{
    memset(out, 0, sizeof(*out));
    out->headers = json_object_new_object();
    if (!out->headers)
        return RS_ENOMEM;
    json_object_object_add(out->headers, "x-amzn-RequestId",
                           json_object_new_string(request_id ? request_id : ""));
    rs_lambda_req_t *rq = calloc(1, sizeof(*rq));
    if (!rq)
        return RS_ENOMEM;
    rq->api = api;
    rq->method = method;
    rq->account = account;
    rq->region = region;
    rq->request_id = request_id ? request_id : "";
    rq->headers = headers;
    rq->body = body;
    rq->len = len;
    parse_query(rq, query);
    const char *raw_name;
    size_t raw_len;
    char seg[400];
    int rc = 0;
    rs_lambda_op_t op = rs_lambda_route(method, path, strlen(path), &raw_name, &raw_len);
    if (raw_name != NULL && rs_pct_decode_buf(raw_name, raw_len, seg, sizeof(seg), 0) != 0)
        op = RS_LOP_UNKNOWN;
    if (strncmp(path, RS_LAMBDA_CODE_PATH, sizeof(RS_LAMBDA_CODE_PATH) - 1) == 0 &&
        strcmp(method, "GET") == 0) {
        rc = rs_lambda_op_code_download(rq, path + sizeof(RS_LAMBDA_CODE_PATH) - 1, out);
    } else if (op == RS_LOP_UNKNOWN) {
        rc = unknown_op(out, method, path);
    } else if (raw_name != NULL && rs_lambda_parse_name(rq, seg, out) != 0) {
        rc = out->body ? 0 : RS_ENOMEM;
    } else {
        rc = ops[op](rq, out);
    }
    free(rq);
    return rc;
}
