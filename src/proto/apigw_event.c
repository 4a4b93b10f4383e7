/*
 * apigw_event.c: the payload format 1.0 event (REST APIs, HTTP APIs with 1.0 integrations)
 * of rs_apigw_event (rs/apigw.h; lambda.md 6.1: every key present, null for absent data);
 * the 2.0 event is apigw_event2.c.
 * Runs in: the lambda supervisor and unit tests (pure).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "proto/apigw_int.h"
#include "rs/codec.h"

#define SLEN(s) (sizeof(s) - 1)

typedef struct qmaps {
    rs_pool_t *pool;
    json_object *single, *multi;
} qmaps_t;

static void query_param(void *arg, const char *key, const char *value, size_t vlen)
{
    qmaps_t *m = arg;
    json_object *list;
    if (m->single == NULL) {
        m->single = json_object_new_object();
        m->multi = json_object_new_object();
    }
    json_object_object_add(m->single, key, rs_apigw_jstr(m->pool, value, vlen)); /* last wins */
    if (!json_object_object_get_ex(m->multi, key, &list)) {
        list = json_object_new_array();
        json_object_object_add(m->multi, key, list);
    }
    json_object_array_add(list, rs_apigw_jstr(m->pool, value, vlen));
}

static void add_query(json_object *ev, rs_pool_t *pool, const rs_http_req_t *req)
{
    qmaps_t m = {pool, NULL, NULL};
    rs_apigw_query_each(pool, req, query_param, &m);
    json_object_object_add(ev, "queryStringParameters", m.single);
    json_object_object_add(ev, "multiValueQueryStringParameters", m.multi);
}

static void put_header(rs_pool_t *pool, json_object *single, json_object *multi, const char *name,
                       size_t nlen, const char *value, size_t vlen)
{
    const char *key = rs_apigw_jkey(pool, name, nlen);
    json_object *list;
    json_object_object_add(single, key, rs_apigw_jstr(pool, value, vlen)); /* last value wins */
    if (!json_object_object_get_ex(multi, key, &list)) {
        list = json_object_new_array();
        json_object_object_add(multi, key, list);
    }
    json_object_array_add(list, rs_apigw_jstr(pool, value, vlen));
}

static void add_headers(json_object *ev, rs_pool_t *pool, const rs_http_req_t *req,
                        const char *source_ip, unsigned server_port)
{
    json_object *single = json_object_new_object(), *multi = json_object_new_object();
    size_t clen = 0;
    const char *cookies = rs_apigw_cookies(pool, req, &clen);
    int cookie_done = 0;

    for (size_t i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *h = &req->headers[i];
        if (rs_apigw_hdr_dropped(h))
            continue;
        if (rs_apigw_hdr_is(h, "cookie")) {
            if (!cookie_done)
                put_header(pool, single, multi, h->name, h->name_len, cookies, clen);
            cookie_done = 1;
            continue;
        }
        put_header(pool, single, multi, h->name, h->name_len, h->value, h->value_len);
    }
    if (rs_http_req_header(req, "host") == NULL && req->host != NULL && req->host_len > 0)
        put_header(pool, single, multi, "Host", 4, req->host, req->host_len);
    if (rs_http_req_header(req, "x-forwarded-for") == NULL && source_ip != NULL)
        put_header(pool, single, multi, "X-Forwarded-For", SLEN("X-Forwarded-For"), source_ip,
                   strlen(source_ip));
    unsigned port = rs_apigw_fwd_port(req, server_port);
    if (rs_http_req_header(req, "x-forwarded-port") == NULL && port != 0) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%u", port);
        put_header(pool, single, multi, "X-Forwarded-Port", SLEN("X-Forwarded-Port"), buf,
                   (size_t)n);
    }
    if (rs_http_req_header(req, "x-forwarded-proto") == NULL)
        put_header(pool, single, multi, "X-Forwarded-Proto", SLEN("X-Forwarded-Proto"), "http", 4);
    json_object_object_add(ev, "headers", single);
    json_object_object_add(ev, "multiValueHeaders", multi);
}

/* ---- requestContext ---------------------------------------------------------------- */

/* a stable 10-character lower-case id for API Gateway's resource/deployment ids */
static void short_id(const char *a, const char *b, char out[11])
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = a; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h = (h ^ '/') * 1099511628211ULL;
    for (const char *s = b; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    for (int i = 0; i < 10; i++, h /= 36)
        out[i] = digits[h % 36];
    out[10] = '\0';
}

void rs_apigw_extended_id(const rs_http_req_t *req, char out[17])
{
    size_t n = strnlen(req->request_id, 15);
    memcpy(out, req->request_id, n);
    memset(out + n, 'A', 15 - n);
    out[15] = '=';
    out[16] = '\0';
}

static json_object *identity(rs_pool_t *pool, const rs_http_req_t *req, const char *source_ip)
{
    static const char *const nulls[] = {"accessKey",
                                        "accountId",
                                        "caller",
                                        "cognitoAuthenticationProvider",
                                        "cognitoAuthenticationType",
                                        "cognitoIdentityId",
                                        "cognitoIdentityPoolId",
                                        "principalOrgId"};
    json_object *id = json_object_new_object();
    const rs_hdr_t *ua = rs_http_req_header(req, "user-agent");
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        json_object_object_add(id, nulls[i], NULL);
    rs_apigw_add_str(id, "sourceIp", pool, source_ip);
    json_object_object_add(id, "user", NULL);
    json_object_object_add(id, "userAgent",
                           ua != NULL ? rs_apigw_jstr(pool, ua->value, ua->value_len) : NULL);
    json_object_object_add(id, "userArn", NULL);
    return id;
}

static json_object *request_context(rs_pool_t *pool, const rs_http_req_t *req,
                                    const rs_apigw_target_t *t, const char *account,
                                    const char *source_ip, int64_t now_ms, const char *request_id)
{
    json_object *rc = json_object_new_object();
    size_t hn;
    const char *hv = rs_apigw_host(req, &hn);
    char deployment[11], resource[11], ext[17], when[32];

    short_id(t->api_id, t->stage, deployment);
    short_id(t->api_id, t->resource, resource);
    rs_apigw_extended_id(req, ext);
    rs_apigw_time(now_ms, when);

    rs_apigw_add_str(rc, "accountId", pool, account);
    rs_apigw_add_str(rc, "apiId", pool, t->api_id);
    rs_apigw_add_str(rc, "deploymentId", pool,
                     t->deployment_id != NULL ? t->deployment_id : deployment);
    json_object_object_add(rc, "domainName", hv != NULL ? rs_apigw_jstr(pool, hv, hn) : NULL);
    json_object_object_add(rc, "domainPrefix",
                           hv != NULL ? rs_apigw_jstr(pool, hv, rs_apigw_domain_prefix(hv, hn))
                                      : NULL);
    json_object_object_add(rc, "extendedRequestId", json_object_new_string(ext));
    rs_apigw_add_str(rc, "httpMethod", pool, req->method);
    json_object_object_add(rc, "identity", identity(pool, req, source_ip));
    rs_apigw_add_str(rc, "path", pool, t->stage_path);
    json_object_object_add(rc, "protocol", json_object_new_string("HTTP/1.1"));
    rs_apigw_add_str(rc, "requestId", pool, request_id != NULL ? request_id : req->request_id);
    json_object_object_add(rc, "requestTime", json_object_new_string(when));
    json_object_object_add(rc, "requestTimeEpoch", json_object_new_int64(now_ms));
    rs_apigw_add_str(rc, "resourceId", pool, t->resource_id != NULL ? t->resource_id : resource);
    rs_apigw_add_str(rc, "resourcePath", pool, t->resource);
    rs_apigw_add_str(rc, "stage", pool, t->stage);
    return rc;
}

/* ---- the event --------------------------------------------------------------------- */

int rs_apigw_event(rs_pool_t *pool, const rs_http_req_t *req, const rs_apigw_target_t *t,
                   const char *account, const char *source_ip, unsigned server_port, int64_t now_ms,
                   const char *request_id, rs_buf_t *out)
{
    if (t->version == 2)
        return rs_apigw_event2(pool, req, t, account, source_ip, server_port, now_ms, request_id,
                               out);
    json_object *ev = json_object_new_object();
    int b64;

    if (t->http_api) /* HTTP APIs mark their 1.0 events; REST APIs do not */
        json_object_object_add(ev, "version", json_object_new_string("1.0"));
    rs_apigw_add_str(ev, "resource", pool, t->resource);
    rs_apigw_add_str(ev, "path", pool, t->path);
    rs_apigw_add_str(ev, "httpMethod", pool, req->method);
    add_headers(ev, pool, req, source_ip, server_port);
    add_query(ev, pool, req);
    json_object_object_add(ev, "pathParameters", rs_apigw_kv_object(pool, t->params, t->nparams));
    json_object_object_add(ev, "stageVariables",
                           rs_apigw_kv_object(pool, t->stage_vars, t->nstage_vars));
    json_object_object_add(ev, "requestContext",
                           request_context(pool, req, t, account, source_ip, now_ms, request_id));
    json_object_object_add(ev, "body", rs_apigw_body(pool, req, &b64));
    json_object_object_add(ev, "isBase64Encoded", json_object_new_boolean(b64));

    rs_buf_appends(out, json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(ev);
    return 0;
}
