/*
 * fuzz_ddb_prepare.c: fuzz target for the worker's DynamoDB request path
 * (src/http/ddb_proxy.c): rs_ddb_prepare on a request built from the input (method,
 * X-Amz-Target, Content-Type, Authorization, X-Amz-Date, body), and rs_ddb_reply on a
 * fuzzed supervisor reply meta. A forwarded request must carry a JSON object meta; an
 * answered one an error status (or 200 for a CORS preflight). Fields separated by "\n--\n". Runs
 * in: the fuzz binary.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "http/ddb_proxy.h"
#include "rs/err.h"
#include "rs/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rs_conf_t conf;
static rs_http_ctx_t ctx;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        char err[256];
        rs_log_set_level(RS_LOG_CRIT);
        rs_conf_defaults(&conf);
        if (rs_conf_finalize(&conf, err, sizeof(err)) != 0)
            abort();
        rs_http_ctx_init(&ctx, &conf, NULL, 0, getpid());
        ready = 1;
    }
    fz_t z;
    fz_split(&z, data, size, 8);
    /* flags, method, target, content-type, authorization, x-amz-date, reply meta, body */
    conf.auth_verify = z.len[0] > 0 && (z.f[0][0] & 1);
    ctx.s3.verify_signatures = conf.auth_verify;
    rs_pool_t pool;
    rs_pool_init(&pool);
    static const char *names[4] = {"x-amz-target", "content-type", "authorization", "x-amz-date"};
    rs_hdr_t hdrs[4];
    size_t nh = 0;
    for (size_t i = 0; i < 4; i++) {
        if (z.len[2 + i] == 0)
            continue;
        hdrs[nh].name = names[i];
        hdrs[nh].name_len = strlen(names[i]);
        hdrs[nh].value = z.f[2 + i];
        hdrs[nh].value_len = z.len[2 + i];
        nh++;
    }
    rs_http_req_t req;
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    req.method = z.len[1] ? z.f[1] : "POST";
    req.path = "/";
    req.path_len = 1;
    req.host = "localhost:4566";
    req.host_len = 14;
    req.headers = hdrs;
    req.num_headers = nh;
    req.body = (const uint8_t *)z.f[7];
    req.body_len = z.len[7];
    req.has_content_length = 1;
    memcpy(req.request_id, "REQID0123456789A", 17);
    rs_route_t route;
    memset(&route, 0, sizeof(route));
    route.kind = RS_ROUTE_DYNAMODB;
    const char *dot = strchr(z.f[2], '.');
    route.rest = dot ? dot + 1 : z.f[2] + z.len[2];
    route.rest_len = strlen(route.rest);
    rs_http_resp_t resp;
    rs_http_resp_init(&resp, &pool);
    rs_ddb_fwd_t fwd;
    memset(&fwd, 0, sizeof(fwd));
    int rc = rs_ddb_prepare(&ctx, &req, &route, &resp, &fwd);
    if (rc == 1) {
        /* answered here: an error, or a CORS preflight (OPTIONS) answered 200 */
        int preflight = strcmp(req.method, "OPTIONS") == 0;
        if (preflight ? resp.status != 200 : (resp.status < 400 || resp.status > 599))
            abort();
    } else if (rc == 0) {
        json_object *m = json_tokener_parse(fwd.meta);
        if (m == NULL || !json_object_is_type(m, json_type_object))
            abort();
        json_object_put(m);
    } else {
        abort();
    }
    rs_http_resp_free(&resp);
    rs_http_resp_init(&resp, &pool);
    rc = rs_ddb_reply(&req, &resp, z.f[6], z.len[6], z.f[7], z.len[7]);
    if (rc != 0 && rc != RS_EINVAL)
        abort();
    if (resp.status < 100 || resp.status > 599)
        abort();
    rs_http_resp_free(&resp);
    rs_pool_clear(&pool);
    fz_free(&z);
    return 0;
}
