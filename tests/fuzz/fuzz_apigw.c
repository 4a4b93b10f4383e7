/*
 * fuzz_apigw.c: fuzz target for the API Gateway proxy (src/proto/apigw_*.c): rs_route,
 * rs_apigw_parse, rs_apigw_match (the query as a path template against the path) and
 * rs_apigw_event (1.0 or 2.0) on a request built from the input (the path after the form's
 * prefix, query, headers, body), then rs_apigw_reply (1.0 or 2.0, each kind) with a fuzzed
 * Lambda payload. The resolution must name a function, region, account and
 * resource; the event must be a JSON object. Fields separated by "\n--\n": flags (first
 * byte: function error, second: invoke status 200 or not, third: HEAD, fourth: the URL
 * form, 0 /restapis/<path>, 1 /_aws/execute-api/<path>, 2 an execute-api Host and
 * /<path>; fifth: payload 2.0 and the answering kind), path, query, headers ("name: value" lines),
 * body, payload. Runs in: the fuzz binary.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rs/apigw.h"
#include "rs/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_log_set_level(RS_LOG_CRIT);
    fz_t z;
    fz_split(&z, data, size, 6);
    const char *flags = z.f[0];
    int function_error = z.len[0] > 0 && (flags[0] & 1);
    int invoke_status = z.len[0] > 1 && (flags[1] & 1) ? 202 : 200;
    int head = z.len[0] > 2 && (flags[2] & 1);
    rs_pool_t pool;
    rs_pool_init(&pool);
    rs_hdr_t hdrs[32];
    size_t nh = fz_headers(z.f[3], z.len[3], hdrs, 32);
    int form = z.len[0] > 3 ? (unsigned char)flags[3] % 3 : 0;
    int version = z.len[0] > 4 && (flags[4] & 1) ? 2 : 1;
    rs_apigw_kind_t kind =
        z.len[0] > 4 ? (rs_apigw_kind_t)(((unsigned char)flags[4] >> 1) % 3) : RS_APIGW_REST;
    static const char *const prefix[] = {"/restapis/", "/_aws/execute-api/", "/"};
    char *path = rs_pool_printf(&pool, "%s%s", prefix[form], z.f[1]);
    rs_http_req_t req;
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    req.method = head ? "HEAD" : "POST";
    req.path = path;
    req.path_len = strlen(path);
    req.query = z.len[2] ? z.f[2] : NULL;
    req.query_len = z.len[2];
    req.host = form == 2 ? "fz.execute-api.eu-west-2.localhost:4566" : "localhost:4566";
    req.host_len = strlen(req.host);
    req.headers = hdrs;
    req.num_headers = nh;
    req.body = (const uint8_t *)z.f[4];
    req.body_len = z.len[4];
    req.has_content_length = z.len[4] > 0;
    memcpy(req.request_id, "REQID0123456789A", 17);
    memcpy(req.region, "us-east-1", 10);
    memcpy(req.account, "000000000000", 13);
    rs_router_conf_t conf = {NULL, NULL, NULL};
    rs_route_t route;
    rs_route(&req, &conf, &route);
    rs_apigw_target_t t;
    if (route.kind == RS_ROUTE_APIGW && rs_apigw_parse(&req, &route, &t) == 0) {
        if (t.function == NULL || t.region == NULL || t.account == NULL || t.resource == NULL)
            abort();
        rs_apigw_kv_t params[RS_APIGW_MAX_PARAMS];
        size_t np = 0;
        if (rs_apigw_match(&pool, z.f[2], t.path, params, &np) >= 0 && np > RS_APIGW_MAX_PARAMS)
            abort();
        t.version = version;
        t.http_api = kind != RS_APIGW_REST;
        rs_buf_t ev;
        rs_buf_init(&ev);
        if (rs_apigw_event(&pool, &req, &t, "000000000000", "127.0.0.1", 4566, 1767225600000,
                           "c0ffee00-0000-4000-8000-000000000000", &ev) != 0)
            abort();
        json_tokener *tok = json_tokener_new();
        json_object *o = json_tokener_parse_ex(tok, ev.data, (int)ev.len);
        if (o == NULL || !json_object_is_type(o, json_type_object) ||
            tok->char_offset != (int)ev.len)
            abort();
        json_object_put(o);
        json_tokener_free(tok);
        rs_buf_free(&ev);
    }
    rs_http_resp_t resp;
    rs_http_resp_init(&resp, &pool);
    rs_apigw_reply(&req, kind, version, NULL, function_error, invoke_status, z.f[5], z.len[5],
                   &resp);
    if (resp.status < 100 || resp.status > 599)
        abort();
    rs_http_resp_free(&resp);
    rs_pool_clear(&pool);
    fz_free(&z);
    return 0;
}
