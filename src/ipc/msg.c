/*
 * msg.c: the meta of each IPC message kind (rs/ipc.h) as a C struct and its one JSON
 * codec: DynamoDB and Lambda requests (worker -> supervisor), responses (supervisor ->
 * worker). Runs in: workers (encode requests, decode responses) and supervisors (decode
 * requests, encode responses).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "rs/err.h"
#include "rs/ipc.h"

#define TO_JSON (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* the object's text, malloc'd; the object is released */
static char *finish(json_object *o, size_t *len)
{
    size_t n = 0;
    const char *s = o != NULL ? json_object_to_json_string_length(o, TO_JSON, &n) : NULL;
    char *out = s != NULL ? malloc(n + 1) : NULL;
    if (out != NULL) {
        memcpy(out, s, n + 1);
        *len = n;
    }
    json_object_put(o);
    return out;
}

static void put(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v != NULL ? v : ""));
}

/* a string member, "" when missing or not a string */
static const char *get(json_object *o, const char *k)
{
    json_object *v;
    if (o != NULL && json_object_object_get_ex(o, k, &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return "";
}

static json_object *parse(const char *meta, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = tok != NULL ? json_tokener_parse_ex(tok, meta, (int)len) : NULL;
    if (tok != NULL)
        json_tokener_free(tok);
    if (o != NULL && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

char *rs_ipc_ddb_req_encode(const rs_ipc_ddb_req_t *r, size_t *len)
{
    json_object *o = json_object_new_object();
    put(o, "target", r->target);
    put(o, "account", r->account);
    put(o, "region", r->region);
    put(o, "request_id", r->request_id);
    put(o, "content_type", r->content_type);
    put(o, "access_key", r->access_key);
    return finish(o, len);
}

int rs_ipc_ddb_req_decode(const char *meta, size_t len, json_object **root, rs_ipc_ddb_req_t *r)
{
    json_object *o = *root = parse(meta, len);
    *r = (rs_ipc_ddb_req_t){get(o, "target"),     get(o, "account"),      get(o, "region"),
                            get(o, "request_id"), get(o, "content_type"), get(o, "access_key")};
    return o != NULL && r->target[0] && r->account[0] && r->region[0] ? 0 : RS_EINVAL;
}

char *rs_ipc_lambda_req_encode(const rs_ipc_lambda_req_t *r, size_t *len)
{
    json_object *o = json_object_new_object();
    put(o, "method", r->method);
    put(o, "path", r->path);
    put(o, "query", r->query);
    json_object_object_add(
        o, "headers", r->headers != NULL ? json_object_get(r->headers) : json_object_new_object());
    put(o, "account", r->account);
    put(o, "region", r->region);
    put(o, "request_id", r->request_id);
    put(o, "log_id", r->log_id);
    put(o, "access_key", r->access_key);
    return finish(o, len);
}

int rs_ipc_lambda_req_decode(const char *meta, size_t len, json_object **root,
                             rs_ipc_lambda_req_t *r)
{
    json_object *o = *root = parse(meta, len), *h = NULL;
    if (o != NULL && json_object_object_get_ex(o, "headers", &h) &&
        !json_object_is_type(h, json_type_object))
        h = NULL;
    *r = (rs_ipc_lambda_req_t){
        get(o, "method"),    get(o, "path"),   get(o, "query"),      h,
        get(o, "account"),   get(o, "region"), get(o, "request_id"), get(o, "log_id"),
        get(o, "access_key")};
    return o != NULL && r->method[0] && r->path[0] && r->account[0] && r->region[0] ? 0 : RS_EINVAL;
}

char *rs_ipc_resp_encode(const rs_ipc_resp_t *r, size_t *len)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_int(r->status));
    json_object_object_add(
        o, "headers", r->headers != NULL ? json_object_get(r->headers) : json_object_new_object());
    return finish(o, len);
}

int rs_ipc_resp_decode(const char *meta, size_t len, json_object **root, rs_ipc_resp_t *r)
{
    json_object *o = *root = parse(meta, len), *st = NULL, *h = NULL;
    r->status = 0;
    r->headers = NULL;
    if (o != NULL && json_object_object_get_ex(o, "status", &st) &&
        json_object_is_type(st, json_type_int))
        r->status = json_object_get_int(st);
    int bad_headers = o != NULL && json_object_object_get_ex(o, "headers", &h) &&
                      !json_object_is_type(h, json_type_object);
    if (r->status < 100 || r->status > 599 || bad_headers) {
        json_object_put(o);
        *root = NULL;
        return RS_EINVAL;
    }
    r->headers = h;
    return 0;
}
