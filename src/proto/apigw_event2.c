/*
 * apigw_event2.c: the payload format 2.0 event (HTTP APIs, function URLs) of
 * rs_apigw_event (rs/apigw.h; lambda.md 6.5; AWS's "Working with AWS Lambda proxy
 * integrations for HTTP APIs"): version, routeKey, rawPath, rawQueryString, cookies,
 * headers (lower-case names, repeated ones joined with ','), queryStringParameters
 * (repeated ones joined with ','), requestContext.http, body, isBase64Encoded; members
 * without data are left out, as AWS does. rawPath keeps a named stage's prefix.
 * Runs in: the lambda supervisor and unit tests (pure).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/apigw_int.h"

/* o[key] += value: a new member, or ",value" appended to the one there */
static void join_member(rs_pool_t *pool, json_object *o, const char *key, const char *v, size_t n)
{
    json_object *old;
    if (!json_object_object_get_ex(o, key, &old)) {
        json_object_object_add(o, key, rs_apigw_jstr(pool, v, n));
        return;
    }
    const char *ov = json_object_get_string(old);
    size_t on = (size_t)json_object_get_string_len(old);
    char *j = rs_pool_alloc(pool, on + n + 2);
    memcpy(j, ov, on);
    j[on] = ',';
    memcpy(j + on + 1, v, n);
    j[on + 1 + n] = '\0';
    json_object_object_add(o, key, rs_apigw_jstr(pool, j, on + 1 + n));
}

static const char *lower(rs_pool_t *pool, const char *s, size_t n)
{
    char *d = rs_pool_strndup(pool, s, n);
    for (size_t i = 0; i < n; i++)
        if (d[i] >= 'A' && d[i] <= 'Z')
            d[i] = (char)(d[i] + 32);
    return rs_apigw_jkey(pool, d, n);
}

/* each "a=b" of the Cookie fields, in order */
static json_object *cookies(rs_pool_t *pool, const rs_http_req_t *req)
{
    size_t n;
    const char *c = rs_apigw_cookies(pool, req, &n), *end = c != NULL ? c + n : NULL;
    json_object *arr = NULL;
    while (c != NULL && c < end) {
        const char *semi = memchr(c, ';', (size_t)(end - c));
        const char *stop = semi != NULL ? semi : end;
        while (c < stop && *c == ' ')
            c++;
        if (stop > c) {
            if (arr == NULL)
                arr = json_object_new_array();
            json_object_array_add(arr, rs_apigw_jstr(pool, c, (size_t)(stop - c)));
        }
        c = semi != NULL ? semi + 1 : end;
    }
    return arr;
}

static json_object *headers(rs_pool_t *pool, const rs_http_req_t *req, const char *source_ip,
                            unsigned server_port)
{
    json_object *h = json_object_new_object();
    for (size_t i = 0; i < req->num_headers; i++) {
        const rs_hdr_t *hd = &req->headers[i];
        if (rs_apigw_hdr_dropped(hd) || rs_apigw_hdr_is(hd, "cookie"))
            continue;
        join_member(pool, h, lower(pool, hd->name, hd->name_len), hd->value, hd->value_len);
    }
    if (rs_http_req_header(req, "host") == NULL && req->host != NULL && req->host_len > 0)
        join_member(pool, h, "host", req->host, req->host_len);
    if (rs_http_req_header(req, "x-forwarded-for") == NULL && source_ip != NULL)
        join_member(pool, h, "x-forwarded-for", source_ip, strlen(source_ip));
    unsigned port = rs_apigw_fwd_port(req, server_port);
    if (rs_http_req_header(req, "x-forwarded-port") == NULL && port != 0) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%u", port);
        join_member(pool, h, "x-forwarded-port", buf, (size_t)n);
    }
    if (rs_http_req_header(req, "x-forwarded-proto") == NULL)
        join_member(pool, h, "x-forwarded-proto", "http", 4);
    return h;
}

typedef struct qjoin {
    rs_pool_t *pool;
    json_object *o;
} qjoin_t;

static void query_param(void *arg, const char *key, const char *value, size_t vlen)
{
    qjoin_t *q = arg;
    if (q->o == NULL)
        q->o = json_object_new_object();
    join_member(q->pool, q->o, key, value, vlen);
}

static json_object *query(rs_pool_t *pool, const rs_http_req_t *req)
{
    qjoin_t q = {pool, NULL};
    rs_apigw_query_each(pool, req, query_param, &q);
    return q.o;
}

static void add_opt(json_object *o, const char *key, json_object *v)
{
    if (v != NULL)
        json_object_object_add(o, key, v);
}

int rs_apigw_event2(rs_pool_t *pool, const rs_http_req_t *req, const rs_apigw_target_t *t,
                    const char *account, const char *source_ip, unsigned server_port,
                    int64_t now_ms, const char *request_id, rs_buf_t *out)
{
    json_object *ev = json_object_new_object(), *rc = json_object_new_object();
    json_object *http = json_object_new_object();
    const char *route_key = t->route_key != NULL ? t->route_key : "$default";
    /* a named stage is part of the raw path; $default has none */
    const char *raw_path =
        strcmp(t->stage, "$default") != 0 && t->stage_path != NULL ? t->stage_path : t->path;
    size_t hn;
    const char *hv = rs_apigw_host(req, &hn);
    const rs_hdr_t *ua = rs_http_req_header(req, "user-agent");
    char when[32];
    int b64;

    json_object_object_add(ev, "version", json_object_new_string("2.0"));
    rs_apigw_add_str(ev, "routeKey", pool, route_key);
    rs_apigw_add_str(ev, "rawPath", pool, raw_path);
    json_object_object_add(ev, "rawQueryString",
                           rs_apigw_jstr(pool, req->query != NULL ? req->query : "",
                                         req->query != NULL ? req->query_len : 0));
    add_opt(ev, "cookies", cookies(pool, req));
    json_object_object_add(ev, "headers", headers(pool, req, source_ip, server_port));
    add_opt(ev, "queryStringParameters", query(pool, req));

    rs_apigw_add_str(rc, "accountId", pool, account);
    rs_apigw_add_str(rc, "apiId", pool, t->api_id);
    if (hv != NULL) {
        json_object_object_add(rc, "domainName", rs_apigw_jstr(pool, hv, hn));
        json_object_object_add(rc, "domainPrefix",
                               rs_apigw_jstr(pool, hv, rs_apigw_domain_prefix(hv, hn)));
    }
    rs_apigw_add_str(http, "method", pool, req->method);
    rs_apigw_add_str(http, "path", pool, raw_path);
    json_object_object_add(http, "protocol", json_object_new_string("HTTP/1.1"));
    rs_apigw_add_str(http, "sourceIp", pool, source_ip);
    json_object_object_add(
        http, "userAgent",
        rs_apigw_jstr(pool, ua != NULL ? ua->value : "", ua != NULL ? ua->value_len : 0));
    json_object_object_add(rc, "http", http);
    rs_apigw_add_str(rc, "requestId", pool, request_id != NULL ? request_id : req->request_id);
    rs_apigw_add_str(rc, "routeKey", pool, route_key);
    rs_apigw_add_str(rc, "stage", pool, t->stage);
    rs_apigw_time(now_ms, when);
    json_object_object_add(rc, "time", json_object_new_string(when));
    json_object_object_add(rc, "timeEpoch", json_object_new_int64(now_ms));
    json_object_object_add(ev, "requestContext", rc);

    json_object *body = rs_apigw_body(pool, req, &b64);
    add_opt(ev, "body", body);
    add_opt(ev, "pathParameters", rs_apigw_kv_object(pool, t->params, t->nparams));
    json_object_object_add(ev, "isBase64Encoded", json_object_new_boolean(b64));
    add_opt(ev, "stageVariables", rs_apigw_kv_object(pool, t->stage_vars, t->nstage_vars));

    rs_buf_appends(out, json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(ev);
    return 0;
}
