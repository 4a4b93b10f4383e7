/*
 * ipc_reply.c: a supervisor's response frame meta ({"status": N, "headers": {...}}) into
 * the worker's HTTP response; shared by the DynamoDB and Lambda hand-offs.
 * Runs in: workers.
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "rs/err.h"

int rs_ipc_reply_meta(const char *meta, size_t meta_len, json_object **root, int *status,
                      json_object **headers)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = tok != NULL ? json_tokener_parse_ex(tok, meta, (int)meta_len) : NULL;
    json_object *st = NULL, *hdrs = NULL;
    if (tok != NULL)
        json_tokener_free(tok);
    *status = 0;
    if (o != NULL && json_object_object_get_ex(o, "status", &st) &&
        json_object_is_type(st, json_type_int))
        *status = json_object_get_int(st);
    if (*status < 100 || *status > 599 ||
        (json_object_object_get_ex(o, "headers", &hdrs) &&
         !json_object_is_type(hdrs, json_type_object))) {
        json_object_put(o);
        *root = NULL;
        return RS_EINVAL;
    }
    *root = o;
    *headers = hdrs;
    return 0;
}

/* Headers of a reply meta into resp (replacing what it held): content-type defaults
 * to default_ctype (none when NULL), x-amzn-RequestId to the request's id. */
void rs_ipc_reply_headers(const rs_http_req_t *req, rs_http_resp_t *resp, json_object *hdrs,
                          const char *default_ctype)
{
    int have_id = 0, have_type = 0;
    resp->num_headers = 0;
    resp->body.len = 0;
    if (hdrs != NULL) {
        json_object_object_foreach(hdrs, name, val)
        {
            if (!json_object_is_type(val, json_type_string))
                continue;
            have_id |= strcasecmp(name, "x-amzn-requestid") == 0;
            have_type |= strcasecmp(name, "content-type") == 0;
            rs_http_resp_headern(resp, name, json_object_get_string(val),
                                 (size_t)json_object_get_string_len(val));
        }
    }
    if (!have_type && default_ctype != NULL)
        rs_http_resp_header(resp, "content-type", default_ctype);
    if (!have_id)
        rs_http_resp_header(resp, "x-amzn-requestid", req->request_id);
}
