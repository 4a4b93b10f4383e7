/*
 * httpmsg.c: helpers over the h2o-free request/response structs (header lookup, response
 * headers copied into the request pool) and the status lines' reason phrases. Runs in:
 * workers (and the supervisors' HTTP/1.1 code, for header lookup and reason phrases).
 */
#include <string.h>
#include <strings.h>

#include "rs/http.h"

const rs_hdr_t *rs_hdr_find(const rs_hdr_t *hs, size_t n, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < n; i++)
        if (hs[i].name_len == len && strncasecmp(hs[i].name, name, len) == 0)
            return &hs[i];
    return NULL;
}

const rs_hdr_t *rs_http_req_header(const rs_http_req_t *req, const char *lname)
{
    return rs_hdr_find(req->headers, req->num_headers, lname);
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

/* RFC 9110 reason phrases; a class phrase for the codes not listed */
const char *rs_http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 416:
        return "Range Not Satisfiable";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 507:
        return "Insufficient Storage";
    default:
        return status < 300 ? "OK" : (status < 500 ? "Client Error" : "Server Error");
    }
}
