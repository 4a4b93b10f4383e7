/*
 * ipc_reply.c: the headers of a supervisor's response meta (rs_ipc_resp_t, decoded by
 * rs_ipc_resp_decode) into the worker's HTTP response; shared by the DynamoDB and Lambda
 * hand-offs. A value is a string, or an array of strings for a repeated header.
 * Runs in: workers.
 */
#include "config.h"

#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"

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
            /* a string, or an array of strings: the header repeated (Set-Cookie) */
            int arr = json_object_is_type(val, json_type_array);
            size_t n = arr ? json_object_array_length(val) : 1;
            for (size_t i = 0; i < n; i++) {
                json_object *v = arr ? json_object_array_get_idx(val, i) : val;
                if (!json_object_is_type(v, json_type_string))
                    continue;
                have_id |= strcasecmp(name, "x-amzn-requestid") == 0;
                have_type |= strcasecmp(name, "content-type") == 0;
                rs_http_resp_headern(resp, name, json_object_get_string(v),
                                     (size_t)json_object_get_string_len(v));
            }
        }
    }
    if (!have_type && default_ctype != NULL)
        rs_http_resp_header(resp, "content-type", default_ctype);
    if (!have_id)
        rs_http_resp_header(resp, "x-amzn-requestid", req->request_id);
}
