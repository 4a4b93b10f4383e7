/*
 * gw_common.c: what the API Gateway control planes share (gw_api.h): the dispatch of a
 * control-plane request (apigateway or apigatewayv2 by its path), the request's path
 * segments and query parameters, the error reply, the endpoint URLs handed out, timestamps.
 * Runs in: the lambda supervisor (handler threads).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/gw_api.h"
#include "rs/codec.h"
#include "rs/err.h"

int rs_gw_reply_error(rs_lambda_resp_t *out, rs_apigw_err_t e, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    free(out->body);
    out->body = rs_apigw_err_body(msg, &out->body_len);
    if (out->body == NULL) {
        out->body_len = 0;
        return RS_ENOMEM;
    }
    out->status = rs_apigw_err_status(e);
    json_object_object_add(out->headers, "x-amzn-ErrorType",
                           json_object_new_string(rs_apigw_err_code(e)));
    json_object_object_add(out->headers, "Content-Type",
                           json_object_new_string("application/json"));
    return 0;
}

static const char *host_base(const rs_lambda_api_t *api)
{
    return api->conf != NULL && api->conf->hostname[0] ? api->conf->hostname : "localhost";
}

static unsigned port_of(const rs_lambda_api_t *api)
{
    return api->conf != NULL ? api->conf->port : 4566;
}

void rs_gw_execute_api_host(const rs_lambda_api_t *api, const char *id, const char *region,
                            char *out, size_t outlen)
{
    snprintf(out, outlen, "%s.execute-api.%s.%s", id, region, host_base(api));
}

void rs_gw_endpoint(const rs_lambda_api_t *api, const char *id, const char *region, char *out,
                    size_t outlen)
{
    snprintf(out, outlen, "http://%s.execute-api.%s.%s:%u", id, region, host_base(api),
             port_of(api));
}

void rs_gw_url_endpoint(const rs_lambda_api_t *api, const char *url_id, const char *region,
                        char *out, size_t outlen)
{
    snprintf(out, outlen, "http://%s.lambda-url.%s.%s:%u/", url_id, region, host_base(api),
             port_of(api));
}

void rs_gw_iso_now(char out[32])
{
    struct tm tm;
    time_t now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int rs_gw_control(const rs_gw_call_t *c, rs_lambda_resp_t *out)
{
    if (strncmp(c->path, "/v2/", 4) == 0)
        return rs_gw_v2_handle(c, out);
    return rs_gw_rest_handle(c, out);
}

int rs_gw_split_path(const char *path, char seg[][RS_GW_SEG_LEN], size_t max)
{
    size_t n = 0;
    const char *p = path;
    if (*p == '/')
        p++;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0)
            return e != NULL && e[1] == '\0' ? (int)n : -1;
        if (n >= max || rs_pct_decode_buf(p, len, seg[n], RS_GW_SEG_LEN, 0) != 0)
            return -1;
        n++;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return (int)n;
}

int rs_gw_query_get(const char *query, const char *name, int nth, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = query != NULL ? query : "";
    out[0] = '\0';
    while (*p) {
        const char *e = strchr(p, '&');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char key[128];
        if (rs_pct_decode_buf(p, klen, key, sizeof(key), 1) == 0 && strlen(key) == nlen &&
            memcmp(key, name, nlen) == 0 && nth-- == 0) {
            if (eq == NULL)
                return 1;
            if (rs_pct_decode_buf(eq + 1, len - klen - 1, out, outlen, 1) != 0)
                out[0] = '\0';
            return 1;
        }
        if (e == NULL)
            break;
        p = e + 1;
    }
    return 0;
}
