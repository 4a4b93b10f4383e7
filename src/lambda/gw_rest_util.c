/*
 * gw_rest_util.c: what the apigateway (v1) operations share (gw_rest.h): the request's
 * path segments, query parameters, body members, patch operations and paging; running an
 * operation under the definitions store and answering.
 * Runs in: the lambda supervisor (its handler threads).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/gw_rest.h"
#include "rs/err.h"

#define PAGE_DEFAULT 25
#define PAGE_MAX 500

void rs_gw_pointer_unescape(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (p[0] == '~' && p[1] == '1') {
            *o++ = '/';
            p++;
        } else if (p[0] == '~' && p[1] == '0') {
            *o++ = '~';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

int rs_gw_rest_fail(rs_gw_rest_op_t *op, rs_apigw_err_t e, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int rc = rs_gw_reply_error(op->out, e, "%s", msg);
    return rc != 0 ? rc : RS_GW_REPLIED;
}

int rs_gw_rest_run(rs_gw_rest_op_t *op, rs_gw_edit_fn fn, int edit)
{
    rs_gw_store_t *gw = op->c->api->gw;
    if (gw == NULL)
        return rs_gw_reply_error(op->out, RS_GE_UNAVAILABLE,
                                 "the API Gateway definitions are not available");
    int rc = edit ? rs_gw_store_edit(gw, fn, op) : rs_gw_store_read(gw, fn, op);
    if (rc == RS_GW_REPLIED) {
        json_object_put(op->result);
        op->result = NULL;
        return 0;
    }
    if (rc == RS_ENOMEM) {
        json_object_put(op->result);
        op->result = NULL;
        return RS_ENOMEM;
    }
    if (rc != 0) {
        json_object_put(op->result);
        op->result = NULL;
        return rs_gw_reply_error(op->out, RS_GE_UNAVAILABLE,
                                 "the change could not be saved; try again");
    }
    if (op->result == NULL) {
        free(op->out->body);
        op->out->body = NULL;
        op->out->body_len = 0;
        op->out->status = op->status;
        return 0;
    }
    json_object *r = op->result;
    op->result = NULL;
    return rs_lambda_reply_json(op->out, op->status, r);
}

json_object *rs_gw_get(json_object *o, const char *name)
{
    json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, name, &v))
        return NULL;
    return v;
}

const char *rs_gw_get_str(json_object *o, const char *name)
{
    json_object *v = rs_gw_get(o, name);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

json_object *rs_gw_obj(json_object *o, const char *name)
{
    json_object *v = rs_gw_get(o, name);
    if (json_object_is_type(v, json_type_object))
        return v;
    v = json_object_new_object();
    json_object_object_add(o, name, v);
    return v;
}

json_object *rs_gw_members(json_object *o, const char *name)
{
    json_object *v = rs_gw_get(o, name);
    return json_object_is_type(v, json_type_object) ? v : NULL;
}

const char *rs_gw_in_str(const rs_gw_rest_op_t *op, const char *name)
{
    json_object *v = rs_gw_get(op->in, name);
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int rs_gw_in_has(const rs_gw_rest_op_t *op, const char *name)
{
    json_object *v = rs_gw_get(op->in, name);
    return v != NULL && !json_object_is_type(v, json_type_null);
}

json_object *rs_gw_copy(json_object *o)
{
    json_object *c = NULL;
    if (o == NULL || json_object_deep_copy(o, &c, NULL) != 0)
        return NULL;
    return c;
}

void rs_gw_copy_member(json_object *dst, json_object *src, const char *name, json_type t)
{
    json_object *v = rs_gw_get(src, name);
    if (v != NULL && json_object_is_type(v, t))
        json_object_object_add(dst, name, rs_gw_copy(v));
}

json_object *rs_gw_rest_api_entry(rs_gw_rest_op_t *op, json_object *doc)
{
    json_object *e = rs_gw_doc_owned(doc, "rest", op->seg[1], op->c->account, op->c->region);
    if (e == NULL)
        rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid API identifier specified %s:%s",
                        op->c->account, op->seg[1]);
    return e;
}

/* a decimal in [lo, hi] or -1 */
static long parse_num(const char *s, long lo, long hi)
{
    char *end;
    if (!*s)
        return -1;
    long v = strtol(s, &end, 10);
    return *end || v < lo || v > hi ? -1 : v;
}

int rs_gw_rest_page(rs_gw_rest_op_t *op, json_object *items, json_object **result)
{
    char pos[32], lim[32];
    long start = 0, limit = PAGE_DEFAULT;
    size_t n = json_object_array_length(items);
    if (rs_gw_query_get(op->c->query, "position", 0, pos, sizeof(pos)) && pos[0]) {
        start = parse_num(pos, 0, (long)n);
        if (start < 0) {
            json_object_put(items);
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid position parameter");
        }
    }
    if (rs_gw_query_get(op->c->query, "limit", 0, lim, sizeof(lim))) {
        limit = parse_num(lim, 1, PAGE_MAX);
        if (limit < 0) {
            json_object_put(items);
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "1 validation error detected: Value '%s' at 'limit' failed "
                                   "to satisfy constraint: Member must have value less than "
                                   "or equal to %d and greater than or equal to 1",
                                   lim, PAGE_MAX);
        }
    }
    json_object *page = json_object_new_array();
    for (size_t i = (size_t)start; i < n && i < (size_t)(start + limit); i++)
        json_object_array_add(page, json_object_get(json_object_array_get_idx(items, i)));
    json_object *r = json_object_new_object();
    json_object_object_add(r, "item", page);
    if ((size_t)(start + limit) < n) {
        char next[32];
        snprintf(next, sizeof(next), "%ld", start + limit);
        json_object_object_add(r, "position", json_object_new_string(next));
    }
    json_object_put(items);
    *result = r;
    return 0;
}

int rs_gw_rest_patches(rs_gw_rest_op_t *op, json_object **ops)
{
    json_object *p = rs_gw_get(op->in, "patchOperations");
    *ops = NULL;
    if (p == NULL || json_object_is_type(p, json_type_null))
        return 0;
    if (!json_object_is_type(p, json_type_array))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid patch operations specified");
    for (size_t i = 0; i < json_object_array_length(p); i++) {
        json_object *e = json_object_array_get_idx(p, i);
        const char *o = rs_gw_get_str(e, "op"), *path = rs_gw_get_str(e, "path");
        if (strcmp(o, "add") != 0 && strcmp(o, "remove") != 0 && strcmp(o, "replace") != 0 &&
            strcmp(o, "move") != 0 && strcmp(o, "copy") != 0 && strcmp(o, "test") != 0)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "1 validation error detected: Value '%s' at "
                                   "'patchOperations.%zu.member.op' failed to satisfy "
                                   "constraint: Member must satisfy enum value set: [add, "
                                   "remove, move, test, replace, copy]",
                                   o, i + 1);
        if (path[0] != '/')
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "Invalid patch path '%s' specified for op '%s'", path, o);
    }
    *ops = p;
    return 0;
}

int rs_gw_http_method_ok(const char *s)
{
    static const char *const m[] = {"GET",   "POST", "PUT", "DELETE",
                                    "PATCH", "HEAD", "ANY", "OPTIONS"};
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (strcmp(s, m[i]) == 0)
            return 1;
    return 0;
}
