/*
 * gw_common.c: what the API Gateway control planes share (gw_api.h): the dispatch of a
 * control-plane request (apigateway or apigatewayv2 by its path), the error reply, the
 * endpoint URLs handed out, timestamps.
 * Runs in: the lambda supervisor (handler threads).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/gw_api.h"
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
