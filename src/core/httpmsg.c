/*
 * httpmsg.c: helpers over the h2o-free request/response structs (header lookup, response
 * headers copied into the request pool). Runs in: workers.
 */
#include <string.h>
#include <strings.h>

#include "rs/http.h"

const rs_hdr_t *rs_http_req_header(const rs_http_req_t *req, const char *lname)
{
    size_t n = strlen(lname);

    for (size_t i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *h = &req->headers[i];
        if (h->name_len == n && strncasecmp(h->name, lname, n) == 0)
            return h;
    }
    return NULL;
}

void rs_http_resp_init(rs_http_resp_t *resp, rs_pool_t *pool)
{
    memset(resp, 0, sizeof(*resp));
    resp->pool = pool;
    resp->status = 200;
    rs_buf_init(&resp->body);
}

void rs_http_resp_headern(rs_http_resp_t *resp, const char *name, const char *value, size_t vlen)
{
    rs_hdr_t *h;
    size_t nlen = strlen(name);

    /* the table is sized far above what any S3 response sets; extra headers are dropped */
    if (resp->num_headers >= RS_HTTP_MAX_HEADERS)
        return;
    h = &resp->headers[resp->num_headers++];
    h->name = rs_pool_strndup(resp->pool, name, nlen);
    h->name_len = nlen;
    h->value = rs_pool_strndup(resp->pool, value, vlen);
    h->value_len = vlen;
}

void rs_http_resp_header(rs_http_resp_t *resp, const char *name, const char *value)
{
    rs_http_resp_headern(resp, name, value, strlen(value));
}

void rs_http_resp_free(rs_http_resp_t *resp)
{
    rs_buf_free(&resp->body);
}
