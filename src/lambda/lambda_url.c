/*
 * lambda_url.c: Lambda function URL configs (CreateFunctionUrlConfig,
 * GetFunctionUrlConfig, UpdateFunctionUrlConfig, DeleteFunctionUrlConfig,
 * ListFunctionUrlConfigs): their validation (AuthType, Cors, InvokeMode, Qualifier: aliases
 * only) and their records in the gateway store's "urls" collection (gw_store.h), one per
 * function and qualifier; the URL handed out is rs_gw_url_endpoint with a 32-character id.
 * Runs in: the lambda supervisor (request threads).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/gw_api.h"
#include "lambda/lambda_url.h"
#include "rs/err.h"
#include "rs/log.h"

#define QUALIFIER_PATTERN "((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
#define LIST_MAX 50

/* what a store callback works on */
typedef struct url_op {
    rs_lambda_req_t *rq;
    rs_lambda_resp_t *out;
    json_object *body;   /* the request body (create, update) */
    json_object *result; /* the answer (taken by the reply) */
    long from, max;      /* list paging */
    int replied;         /* out holds an error */
} url_op_t;

/* ---- validation --------------------------------------------------------------------- */

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* a Qualifier must name an alias: $LATEST and versions fail the model's pattern */
static int check_qualifier(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    if (strcmp(rq->qualifier, "$LATEST") == 0 || all_digits(rq->qualifier))
        return RS_LAMBDA_FAILF(out, RS_LE_VALIDATION,
                               "1 validation error detected: Value '%s' at 'qualifier' failed to "
                               "satisfy constraint: Member must satisfy regular expression "
                               "pattern: " QUALIFIER_PATTERN,
                               rq->qualifier);
    return 0;
}

static int enum_member(json_object *b, const char *k, const char *field, const char *a,
                       const char *c, int required, rs_lambda_resp_t *out)
{
    json_object *v = rs_lambda_member(b, k);
    if (v == NULL && required)
        return RS_LAMBDA_FAILF(out, RS_LE_VALIDATION,
                               "1 validation error detected: Value null at '%s' failed to satisfy "
                               "constraint: Member must not be null",
                               field);
    if (v == NULL)
        return 0;
    const char *s = json_object_get_string(v);
    if (!json_object_is_type(v, json_type_string) || (strcmp(s, a) != 0 && strcmp(s, c) != 0))
        return RS_LAMBDA_FAILF(out, RS_LE_VALIDATION,
                               "1 validation error detected: Value '%.200s' at '%s' failed to "
                               "satisfy constraint: Member must satisfy enum value set: [%s, %s]",
                               s, field, a, c);
    return 0;
}

static int string_list(json_object *cors, const char *k, const char *field, size_t max_items,
                       size_t min_len, size_t max_len, rs_lambda_resp_t *out)
{
    json_object *v = rs_lambda_member(cors, k);
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_array))
        return RS_LAMBDA_FAILF(out, RS_LE_VALIDATION,
                               "1 validation error detected: Value at 'cors.%s' failed to satisfy "
                               "constraint: Member must be a list of strings",
                               field);
    size_t n = json_object_array_length(v);
    if (n > max_items)
        return RS_LAMBDA_FAILF(out, RS_LE_VALIDATION,
                               "1 validation error detected: Value at 'cors.%s' failed to satisfy "
                               "constraint: Member must have length less than or equal to %zu",
                               field, max_items);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        size_t len = json_object_get_string_len(e);
        if (!json_object_is_type(e, json_type_string) || len < min_len || len > max_len)
            return RS_LAMBDA_FAILF(out, RS_LE_VALIDATION,
                                   "1 validation error detected: Value '%.300s' at 'cors.%s' "
                                   "failed to satisfy constraint: Member must satisfy constraint: "
                                   "[Member must have length less than or equal to %zu, Member "
                                   "must have length greater than or equal to %zu]",
                                   json_object_get_string(e), field, max_len, min_len);
    }
    return 0;
}

static int check_cors(json_object *b, rs_lambda_resp_t *out)
{
    json_object *cors = rs_lambda_member(b, "Cors"), *v;
    if (cors == NULL)
        return 0;
    if (!json_object_is_type(cors, json_type_object))
        return rs_lambda_fail(out, RS_LE_VALIDATION,
                              "1 validation error detected: Value at 'cors' failed to satisfy "
                              "constraint: Member must be a structure");
    if ((v = rs_lambda_member(cors, "AllowCredentials")) != NULL &&
        !json_object_is_type(v, json_type_boolean))
        return rs_lambda_fail(out, RS_LE_VALIDATION,
                              "1 validation error detected: Value at 'cors.allowCredentials' "
                              "failed to satisfy constraint: Member must be a boolean");
    if ((v = rs_lambda_member(cors, "MaxAge")) != NULL) {
        int64_t age = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int))
            return rs_lambda_fail(out, RS_LE_VALIDATION,
                                  "1 validation error detected: Value at 'cors.maxAge' failed to "
                                  "satisfy constraint: Member must be an integer");
        if (age < 0 || age > 86400)
            return RS_LAMBDA_FAILF(out, RS_LE_VALIDATION,
                                   "1 validation error detected: Value '%lld' at 'cors.maxAge' "
                                   "failed to satisfy constraint: Member must have value %s",
                                   (long long)age,
                                   age < 0 ? "greater than or equal to 0"
                                           : "less than or equal to 86400");
    }
    return string_list(cors, "AllowHeaders", "allowHeaders", 100, 0, 1024, out) ||
           string_list(cors, "AllowMethods", "allowMethods", 6, 0, 6, out) ||
           string_list(cors, "AllowOrigins", "allowOrigins", 100, 1, 253, out) ||
           string_list(cors, "ExposeHeaders", "exposeHeaders", 100, 0, 1024, out);
}

static int check_body(json_object *b, int create, rs_lambda_resp_t *out)
{
    return enum_member(b, "AuthType", "authType", "NONE", "AWS_IAM", create, out) ||
           enum_member(b, "InvokeMode", "invokeMode", "BUFFERED", "RESPONSE_STREAM", 0, out) ||
           check_cors(b, out);
}

/* ---- the records -------------------------------------------------------------------------- */

/* the caller's record of rq's function and qualifier, and its id */
static json_object *find(json_object *doc, const rs_lambda_req_t *rq, const char **id)
{
    json_object_object_foreach(rs_gw_doc_coll(doc, "urls"), k, e)
    {
        json_object *f, *qu;
        if (rs_gw_doc_owned(doc, "urls", k, rq->account, rq->region) != e ||
            !json_object_object_get_ex(e, "function", &f) ||
            !json_object_object_get_ex(e, "qualifier", &qu))
            continue;
        if (strcmp(json_object_get_string(f), rq->name) == 0 &&
            strcmp(json_object_get_string(qu), rq->qualifier) == 0) {
            if (id != NULL)
                *id = k;
            return e;
        }
    }
    return NULL;
}

/* a deep copy: nothing the answer holds is shared with the document (it is written after
 * the store's lock is released) */
static json_object *deep(json_object *o)
{
    json_object *c = NULL;
    return json_object_deep_copy(o, &c, NULL) == 0 ? c : NULL;
}

static json_object *config_of(json_object *e)
{
    return json_object_object_get(e, "config");
}

/* a copy of the config without the members `drop` names (NULL: none) */
static json_object *view(json_object *cfg, const char *drop)
{
    json_object *v = json_object_new_object();
    json_object_object_foreach(cfg, k, val)
    {
        if (drop == NULL || strcmp(k, drop) != 0)
            json_object_object_add(v, k, deep(val));
    }
    return v;
}

static int resource_missing(url_op_t *op)
{
    op->replied = 1;
    rs_lambda_reply_error(op->out, RS_LE_RESOURCE_NOT_FOUND,
                          "The resource you requested does not exist.", NULL);
    return 1;
}

static void apply(json_object *cfg, json_object *b)
{
    static const char *const members[] = {"AuthType", "Cors", "InvokeMode"};
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        json_object *v = rs_lambda_member(b, members[i]);
        if (v != NULL)
            json_object_object_add(cfg, members[i], deep(v));
    }
    char now[32];
    rs_gw_iso_now(now);
    json_object_object_add(cfg, "LastModifiedTime", json_object_new_string(now));
}

static int create_cb(json_object *doc, void *arg, int *changed)
{
    url_op_t *op = arg;
    rs_lambda_req_t *rq = op->rq;
    json_object *urls = rs_gw_doc_coll(doc, "urls"), *x;
    if (find(doc, rq, NULL) != NULL) {
        op->replied = 1;
        rs_lambda_reply_errorf(op->out, RS_LE_RESOURCE_CONFLICT,
                               "Failed to create function url config for [functionArn = %s]. "
                               "Error message:  FunctionUrlConfig exists for this Lambda function",
                               rq->named_arn);
        return 1;
    }
    char id[33], url[512], now[32];
    do
        rs_gw_new_id(id, 32);
    while (json_object_object_get_ex(urls, id, &x));
    rs_gw_url_endpoint(rq->api, id, rq->region, url, sizeof(url));
    rs_gw_iso_now(now);
    json_object *cfg = json_object_new_object();
    json_object_object_add(cfg, "FunctionUrl", json_object_new_string(url));
    json_object_object_add(cfg, "FunctionArn", json_object_new_string(rq->named_arn));
    json_object_object_add(cfg, "InvokeMode", json_object_new_string("BUFFERED"));
    json_object_object_add(cfg, "CreationTime", json_object_new_string(now));
    apply(cfg, op->body);
    json_object *e = json_object_new_object();
    json_object_object_add(e, "account", json_object_new_string(rq->account));
    json_object_object_add(e, "region", json_object_new_string(rq->region));
    json_object_object_add(e, "function", json_object_new_string(rq->name));
    json_object_object_add(e, "qualifier", json_object_new_string(rq->qualifier));
    json_object_object_add(e, "config", cfg);
    json_object_object_add(urls, id, e);
    op->result = view(cfg, "LastModifiedTime");
    *changed = 1;
    return 0;
}

static int get_cb(json_object *doc, void *arg, int *changed)
{
    url_op_t *op = arg;
    (void)changed;
    json_object *e = find(doc, op->rq, NULL);
    if (e == NULL)
        return resource_missing(op);
    op->result = view(config_of(e), NULL);
    return 0;
}

static int update_cb(json_object *doc, void *arg, int *changed)
{
    url_op_t *op = arg;
    json_object *e = find(doc, op->rq, NULL);
    if (e == NULL)
        return resource_missing(op);
    apply(config_of(e), op->body);
    op->result = view(config_of(e), NULL);
    *changed = 1;
    return 0;
}

static int delete_cb(json_object *doc, void *arg, int *changed)
{
    url_op_t *op = arg;
    const char *id = NULL;
    if (find(doc, op->rq, &id) == NULL)
        return resource_missing(op);
    json_object_object_del(rs_gw_doc_coll(doc, "urls"), id);
    *changed = 1;
    return 0;
}

static int list_cb(json_object *doc, void *arg, int *changed)
{
    url_op_t *op = arg;
    (void)changed;
    json_object *items = json_object_new_array();
    long i = 0, more = 0;
    json_object_object_foreach(rs_gw_doc_coll(doc, "urls"), k, e)
    {
        json_object *f;
        if (rs_gw_doc_owned(doc, "urls", k, op->rq->account, op->rq->region) != e ||
            !json_object_object_get_ex(e, "function", &f) ||
            strcmp(json_object_get_string(f), op->rq->name) != 0)
            continue;
        if (i >= op->from && i < op->from + op->max)
            json_object_array_add(items, view(config_of(e), NULL));
        else if (i >= op->from + op->max)
            more = 1;
        i++;
    }
    op->result = json_object_new_object();
    json_object_object_add(op->result, "FunctionUrlConfigs", items);
    if (more) {
        char marker[32];
        snprintf(marker, sizeof(marker), "%ld", op->from + op->max);
        json_object_object_add(op->result, "NextMarker", json_object_new_string(marker));
    }
    return 0;
}

/* ---- the operations --------------------------------------------------------------------- */

static int function_exists(rs_lambda_req_t *rq)
{
    return rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, NULL, NULL) == 0;
}

static int function_missing(rs_lambda_resp_t *out, const char *msg)
{
    return rs_lambda_reply_error(out, RS_LE_RESOURCE_NOT_FOUND, msg, NULL);
}

/* run cb in the store (edit or read) and answer status with op->result */
static int run(url_op_t *op, rs_gw_edit_fn cb, int edit, int status)
{
    rs_gw_store_t *gw = op->rq->api->gw;
    int rc = gw == NULL ? RS_ERR
             : edit     ? rs_gw_store_edit(gw, cb, op)
                        : rs_gw_store_read(gw, cb, op);
    json_object_put(op->body);
    if (op->replied) {
        json_object_put(op->result);
        return 0;
    }
    if (rc != 0) {
        json_object_put(op->result);
        return RS_LAMBDA_ERR0(op->out, RS_LE_SERVICE, "RustStack could not record the change: %s",
                              rs_err_str(rc));
    }
    if (status == 204) {
        op->out->status = 204;
        return 0;
    }
    return rs_lambda_reply_json(op->out, status, op->result);
}

static int prepare(rs_lambda_req_t *rq, rs_lambda_resp_t *out, url_op_t *op, int body, int create)
{
    memset(op, 0, sizeof(*op));
    op->rq = rq;
    op->out = out;
    if (rq->qualifier[0] && check_qualifier(rq, out))
        return 1;
    if (body) {
        op->body = rs_lambda_body_object(rq, out);
        if (op->body == NULL)
            return 1;
        if (check_body(op->body, create, out)) {
            json_object_put(op->body);
            return 1;
        }
    }
    return 0;
}

int rs_lambda_op_url_create(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    url_op_t op;
    if (prepare(rq, out, &op, 1, 1))
        return 0;
    if (!function_exists(rq) || rq->qualifier[0]) {
        /* aliases are not kept by RustStack: a qualified function does not exist */
        json_object_put(op.body);
        return function_missing(out, "Function does not exist");
    }
    return run(&op, create_cb, 1, 201);
}

int rs_lambda_op_url_get(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    url_op_t op;
    if (prepare(rq, out, &op, 0, 0))
        return 0;
    if (!function_exists(rq))
        return function_missing(out, "The resource you requested does not exist.");
    return run(&op, get_cb, 0, 200);
}

int rs_lambda_op_url_update(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    url_op_t op;
    if (prepare(rq, out, &op, 1, 0))
        return 0;
    if (!function_exists(rq) || rq->qualifier[0]) {
        json_object_put(op.body);
        return function_missing(out, "Function does not exist");
    }
    return run(&op, update_cb, 1, 200);
}

int rs_lambda_op_url_delete(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    url_op_t op;
    if (prepare(rq, out, &op, 0, 0))
        return 0;
    if (!function_exists(rq))
        return function_missing(out, "The resource you requested does not exist.");
    return run(&op, delete_cb, 1, 204);
}

int rs_lambda_op_url_list(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    url_op_t op;
    if (prepare(rq, out, &op, 0, 0))
        return 0;
    op.max = LIST_MAX;
    if (rq->max_items[0]) {
        char *end;
        long v = strtol(rq->max_items, &end, 10);
        if (*end || end == rq->max_items || v < 1 || v > LIST_MAX)
            return RS_LAMBDA_ERR0(out, RS_LE_VALIDATION,
                                  "1 validation error detected: Value '%s' at 'maxItems' failed to "
                                  "satisfy constraint: Member must have value %s",
                                  rq->max_items,
                                  v > LIST_MAX ? "less than or equal to 50"
                                               : "greater than or equal to 1");
        op.max = v;
    }
    if (rq->marker[0]) {
        char *end;
        op.from = strtol(rq->marker, &end, 10);
        if (*end || end == rq->marker || op.from < 0)
            return RS_LAMBDA_ERR0(out, RS_LE_INVALID_PARAMETER, "Invalid marker: %.100s",
                                  rq->marker);
    }
    if (!function_exists(rq))
        return function_missing(out, "Function does not exist");
    return run(&op, list_cb, 0, 200);
}

/* ---- DeleteFunction --------------------------------------------------------------------- */

typedef struct purge {
    const char *account, *region, *name;
} purge_t;

static int purge_cb(json_object *doc, void *arg, int *changed)
{
    purge_t *p = arg;
    json_object *urls = rs_gw_doc_coll(doc, "urls");
    for (int again = 1; again;) {
        again = 0;
        json_object_object_foreach(urls, k, e)
        {
            json_object *f;
            if (rs_gw_doc_owned(doc, "urls", k, p->account, p->region) == e &&
                json_object_object_get_ex(e, "function", &f) &&
                strcmp(json_object_get_string(f), p->name) == 0) {
                json_object_object_del(urls, k);
                *changed = again = 1;
                break;
            }
        }
    }
    return 0;
}

int rs_lambda_url_delete_all(rs_lambda_api_t *api, const char *account, const char *region,
                             const char *name)
{
    if (api->gw == NULL)
        return 0;
    purge_t p = {account, region, name};
    return rs_gw_store_edit(api->gw, purge_cb, &p);
}
