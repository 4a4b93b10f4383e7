/*
 * ipc_reply.c: a supervisor's response frame meta (rs_ipc_resp_t, decoded by
 * src/ipc/msg.c) into the worker's HTTP response; shared by the DynamoDB and Lambda
 * hand-offs.
 * Runs in: workers.
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "rs/err.h"
#include "rs/ipc.h"

/* the callers' name for rs_ipc_resp_decode (declared in http_int.h) */
int rs_ipc_reply_meta(const char *meta, size_t meta_len, json_object **root, int *status,
                      json_object **headers)
{
    rs_ipc_resp_t r;
    int rc = rs_ipc_resp_decode(meta, meta_len, root, &r);
    *status = r.status;
    *headers = r.headers;
    return rc;
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
