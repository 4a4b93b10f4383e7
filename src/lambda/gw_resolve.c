/*
 * gw_resolve.c: which integration answers a request to an invoke URL (rs_gw_resolve,
 * gw_invoke.h), read under the store's lock:
 *   - execute-api (Host or path): the API id names a REST API (its stage's deployment's
 *     resources; the most specific resource with the method or ANY wins), an HTTP API (a
 *     named stage as the first path segment, else $default; its routes, or its deployment's
 *     when the stage does not auto-deploy: the most specific "METHOD /path" with an exact
 *     method before ANY, then $default), or nothing: then it names a function;
 *   - a function URL (its url id): the function and qualifier of the config;
 *   - a custom domain: the mapping with the longest key that prefixes the path, then the
 *     mapped API and stage as above, the key stripped for routing.
 * Runs in: the lambda supervisor (handler threads).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/gw_invoke.h"
#include "rs/err.h"

#define SLEN(s) (sizeof(s) - 1)

static json_object *member(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (o == NULL || !json_object_object_get_ex(o, k, &v))
        return NULL;
    return v;
}

static const char *mstr(json_object *o, const char *k)
{
    json_object *v = member(o, k);
    return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static const char *pstr(rs_pool_t *pool, const char *s)
{
    return s != NULL ? rs_pool_strndup(pool, s, strlen(s)) : NULL;
}

static void answer(rs_gw_route_t *r, int status, const char *type, const char *message)
{
    r->answer = status;
    r->err_type = type;
    r->message = message;
}

/* stageVariables from a stage's object (v1 "variables", v2 "stageVariables") */
static void stage_vars(rs_pool_t *pool, json_object *vars, rs_apigw_target_t *t)
{
    size_t n = vars != NULL && json_object_is_type(vars, json_type_object)
                   ? (size_t)json_object_object_length(vars)
                   : 0;
    if (n == 0)
        return;
    rs_apigw_kv_t *kv = rs_pool_alloc(pool, n * sizeof(*kv));
    size_t i = 0;
    json_object_object_foreach(vars, k, v)
    {
        if (!json_object_is_type(v, json_type_string))
            continue;
        kv[i].name = pstr(pool, k);
        kv[i].value = pstr(pool, json_object_get_string(v));
        i++;
    }
    t->stage_vars = kv;
    t->nstage_vars = i;
}

/* ${stageVariables.name} in an integration URI replaced by the stage's value */
static const char *expand_vars(rs_pool_t *pool, const char *uri, const rs_apigw_target_t *t)
{
    static const char pfx[] = "${stageVariables.";
    const char *p = strstr(uri, pfx);
    if (p == NULL)
        return uri;
    rs_buf_t b;
    rs_buf_init(&b);
    const char *s = uri;
    while (p != NULL) {
        const char *close = strchr(p, '}');
        if (close == NULL)
            break;
        rs_buf_append(&b, s, (size_t)(p - s));
        size_t nlen = (size_t)(close - p - SLEN(pfx));
        for (size_t i = 0; i < t->nstage_vars; i++)
            if (strlen(t->stage_vars[i].name) == nlen &&
                memcmp(t->stage_vars[i].name, p + SLEN(pfx), nlen) == 0)
                rs_buf_appends(&b, t->stage_vars[i].value);
        s = close + 1;
        p = strstr(s, pfx);
    }
    rs_buf_appends(&b, s);
    const char *out = rs_pool_strndup(pool, b.data != NULL ? b.data : "", b.len);
    rs_buf_free(&b);
    return out;
}

/* The function an AWS_PROXY integration URI names: a function ARN as it is, or the one
 * inside "arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations" */
static const char *uri_function(rs_pool_t *pool, const char *uri)
{
    static const char fpath[] = ":lambda:path/2015-03-31/functions/";
    static const char inv[] = "/invocations";
    const char *f = strstr(uri, fpath);
    if (strncmp(uri, "arn:", 4) == 0 && f == NULL)
        return uri;
    if (f == NULL)
        return NULL;
    f += SLEN(fpath);
    const char *e = strstr(f, inv);
    size_t n = e != NULL ? (size_t)(e - f) : strlen(f);
    char *d;
    size_t dlen;
    if (n == 0 || rs_pct_decode(pool, f, n, &d, &dlen) != 0)
        return NULL;
    return d;
}

/* the integration's function, its region and account (the ARN's, else the API's) */
static int set_function(rs_pool_t *pool, rs_gw_route_t *r, const char *uri, const char *api_account,
                        const char *api_region)
{
    const char *fn = uri != NULL ? uri_function(pool, expand_vars(pool, uri, &r->t)) : NULL;
    if (fn == NULL)
        return -1;
    const char *region = NULL, *account = NULL;
    r->t.function = fn;
    rs_apigw_function_arn(pool, fn, &region, &account);
    r->t.region = region != NULL ? region : pstr(pool, api_region);
    r->t.account = account != NULL ? account : pstr(pool, api_account);
    return 0;
}

static int timeout_of(json_object *integ, int dflt)
{
    json_object *v = member(integ, "timeoutInMillis");
    int ms = v != NULL && json_object_is_type(v, json_type_int) ? json_object_get_int(v) : 0;
    return ms > 0 ? ms : dflt;
}

/* ---- REST APIs ----------------------------------------------------------------------- */

static void resolve_rest(rs_pool_t *pool, json_object *api, const char *method, const char *mpath,
                         rs_gw_route_t *r)
{
    json_object *stages = member(api, "stages"), *stage = member(stages, r->t.stage);
    r->kind = RS_APIGW_REST;
    r->t.version = 1;
    if (stage == NULL) {
        answer(r, 403, NULL, "Forbidden");
        return;
    }
    const char *dep_id = mstr(stage, "deploymentId");
    json_object *dep = member(member(api, "deployments"), dep_id != NULL ? dep_id : "");
    json_object *resources = member(dep, "resources");
    if (resources == NULL) {
        answer(r, 403, NULL, "Forbidden");
        return;
    }
    stage_vars(pool, member(stage, "variables"), &r->t);
    r->t.deployment_id = pstr(pool, dep_id);

    long best = -1;
    int best_exact = 0;
    json_object *best_method = NULL;
    json_object_object_foreach(resources, rid, res)
    {
        json_object *methods = member(res, "resourceMethods");
        json_object *m = member(methods, method);
        int exact = m != NULL;
        if (m == NULL)
            m = member(methods, "ANY");
        const char *path = mstr(res, "path");
        if (m == NULL || path == NULL)
            continue;
        long rank = rs_apigw_match(pool, path, mpath, NULL, NULL);
        if (rank < 0 || rank < best || (rank == best && (best_exact || !exact)))
            continue;
        best = rank;
        best_exact = exact;
        best_method = m;
        r->t.resource = pstr(pool, path);
        r->t.resource_id = pstr(pool, rid);
    }
    if (best_method == NULL) {
        r->no_route = 1;
        return;
    }
    rs_apigw_match(pool, r->t.resource, mpath, r->t.params, &r->t.nparams);
    json_object *integ = member(best_method, "methodIntegration");
    const char *type = mstr(integ, "type");
    if (integ == NULL || type == NULL || strcmp(type, "AWS_PROXY") != 0 ||
        set_function(pool, r, mstr(integ, "uri"), mstr(api, "account"), mstr(api, "region")) != 0) {
        /* no integration, or one RustStack does not run (only Lambda proxy) */
        answer(r, 500, "InternalServerErrorException", "Internal server error");
        return;
    }
    r->timeout_ms = timeout_of(integ, 29000);
}

/* ---- HTTP APIs ----------------------------------------------------------------------- */

static void resolve_http(rs_pool_t *pool, json_object *api, const char *method, const char *mpath,
                         rs_gw_route_t *r)
{
    json_object *stage = member(member(api, "stages"), r->t.stage);
    r->kind = RS_APIGW_HTTP;
    r->t.http_api = 1;
    if (stage == NULL) {
        r->no_route = 1;
        return;
    }
    json_object *routes = member(api, "routes"), *integs = member(api, "integrations");
    json_object *auto_deploy = member(stage, "autoDeploy");
    if (auto_deploy == NULL || !json_object_get_boolean(auto_deploy)) {
        const char *dep_id = mstr(stage, "deploymentId");
        json_object *dep = member(member(api, "deployments"), dep_id != NULL ? dep_id : "");
        routes = member(dep, "routes");
        integs = member(dep, "integrations");
        r->t.deployment_id = pstr(pool, dep_id);
    }
    stage_vars(pool, member(stage, "stageVariables"), &r->t);

    long best = -1;
    int best_exact = 0;
    json_object *chosen = NULL, *dflt = NULL;
    json_object_object_foreach(routes, id, route)
    {
        (void)id;
        const char *key = mstr(route, "routeKey");
        if (key == NULL)
            continue;
        if (strcmp(key, "$default") == 0) {
            dflt = route;
            continue;
        }
        const char *sp = strchr(key, ' ');
        if (sp == NULL)
            continue;
        size_t mlen = (size_t)(sp - key);
        int exact = strlen(method) == mlen && strncmp(key, method, mlen) == 0;
        if (!exact && !(mlen == 3 && strncmp(key, "ANY", 3) == 0))
            continue;
        long rank = rs_apigw_match(pool, sp + 1, mpath, NULL, NULL);
        if (rank < 0 || rank < best || (rank == best && (best_exact || !exact)))
            continue;
        best = rank;
        best_exact = exact;
        chosen = route;
    }
    if (chosen == NULL)
        chosen = dflt;
    if (chosen == NULL) {
        r->no_route = 1;
        return;
    }
    const char *key = mstr(chosen, "routeKey");
    r->t.route_key = pstr(pool, key);
    if (strcmp(key, "$default") != 0) {
        const char *tmpl = strchr(key, ' ') + 1;
        r->t.resource = pstr(pool, tmpl);
        rs_apigw_match(pool, tmpl, mpath, r->t.params, &r->t.nparams);
    } else {
        r->t.resource = "$default";
    }
    const char *target = mstr(chosen, "target");
    json_object *integ = target != NULL && strncmp(target, "integrations/", 13) == 0
                             ? member(integs, target + 13)
                             : NULL;
    const char *type = mstr(integ, "integrationType");
    const char *pfv = mstr(integ, "payloadFormatVersion");
    if (integ == NULL || type == NULL || strcmp(type, "AWS_PROXY") != 0 ||
        set_function(pool, r, mstr(integ, "integrationUri"), mstr(api, "account"),
                     mstr(api, "region")) != 0) {
        r->no_route = 1; /* a route without a (Lambda) integration: HTTP APIs answer 404 */
        return;
    }
    r->t.version = pfv != NULL && strcmp(pfv, "1.0") == 0 ? 1 : 2;
    r->timeout_ms = timeout_of(integ, 30000);
}

/* ---- dispatch ------------------------------------------------------------------------ */

typedef struct ctx {
    const rs_conf_t *conf;
    const rs_http_req_t *req;
    rs_gw_route_t *r;
    json_object *doc; /* while resolving, for is_domain */
} ctx_t;

static const char *lower_dup(rs_pool_t *pool, const char *s, size_t n)
{
    char *d = rs_pool_strndup(pool, s, n);
    for (size_t i = 0; i < n; i++)
        d[i] = (char)tolower((unsigned char)d[i]);
    if (n > 0 && d[n - 1] == '.')
        d[n - 1] = '\0';
    return d;
}

static int is_domain(void *arg, const char *host, size_t n)
{
    ctx_t *c = arg;
    const char *h = lower_dup(c->req->pool, host, n);
    return member(rs_gw_doc_coll(c->doc, "domains"), h) != NULL;
}

/* the API (REST or HTTP) with this id and its stage, at mpath (the path for routing) */
static void resolve_api(ctx_t *c, const char *api_id, const char *mpath, int named_stage)
{
    rs_pool_t *pool = c->req->pool;
    rs_gw_route_t *r = c->r;
    json_object *api = member(rs_gw_doc_coll(c->doc, "rest"), api_id);
    if (api != NULL) {
        resolve_rest(pool, api, c->req->method, mpath, r);
        return;
    }
    api = member(rs_gw_doc_coll(c->doc, "http"), api_id);
    r->kind = RS_APIGW_HTTP;
    if (api == NULL) {
        r->no_route = 1;
        return;
    }
    if (named_stage && member(member(api, "stages"), r->t.stage) == NULL &&
        member(member(api, "stages"), "$default") != NULL) {
        /* no such named stage: the whole path is the $default stage's */
        rs_apigw_set_path(pool, &r->t, r->t.stage_path, strlen(r->t.stage_path));
        r->t.stage = "$default";
        mpath = r->t.path;
    }
    resolve_http(pool, api, c->req->method, mpath, r);
}

static void resolve_url(ctx_t *c, const rs_route_t *route)
{
    rs_pool_t *pool = c->req->pool;
    rs_gw_route_t *r = c->r;
    const char *id = lower_dup(pool, route->api_id, route->api_id_len);
    json_object *u = member(rs_gw_doc_coll(c->doc, "urls"), id);
    r->kind = RS_APIGW_FURL;
    r->t.api_id = id;
    r->t.stage = "$default";
    r->t.route_key = "$default";
    r->t.version = 2;
    r->t.http_api = 1;
    rs_apigw_set_path(pool, &r->t, route->rest, route->rest_len);
    if (u == NULL) {
        r->no_route = 1;
        return;
    }
    const char *fn = mstr(u, "function"), *qual = mstr(u, "qualifier");
    json_object *cfg = member(u, "config");
    r->t.function =
        qual != NULL && qual[0] ? rs_pool_printf(pool, "%s:%s", fn, qual) : pstr(pool, fn);
    r->t.region = pstr(pool, mstr(u, "region"));
    r->t.account = pstr(pool, mstr(u, "account"));
    const char *auth = mstr(cfg, "AuthType");
    r->auth_iam = auth != NULL && strcmp(auth, "AWS_IAM") == 0;
    json_object *cors = member(cfg, "Cors");
    if (cors != NULL && json_object_deep_copy(cors, &r->cors, NULL) != 0)
        r->cors = NULL;
    r->timeout_ms = 900000; /* a function URL waits for the function's own timeout */
}

static void resolve_domain(ctx_t *c, const rs_route_t *route)
{
    rs_pool_t *pool = c->req->pool;
    rs_gw_route_t *r = c->r;
    const char *host = lower_dup(pool, route->api_id, route->api_id_len);
    json_object *d = member(rs_gw_doc_coll(c->doc, "domains"), host);
    const char *path =
        route->rest_len > 0 ? rs_pool_strndup(pool, route->rest, route->rest_len) : "/";
    json_object *best = NULL;
    size_t best_len = 0;
    json_object_object_foreach(member(d, "mappings"), id, m)
    {
        (void)id;
        const char *key = mstr(m, "apiMappingKey");
        size_t kl = key != NULL ? strlen(key) : 0;
        /* "" maps everything; "v1" maps "/v1" and "/v1/..." */
        if (kl > 0 &&
            (strncmp(path + 1, key, kl) != 0 || (path[1 + kl] != '\0' && path[1 + kl] != '/')))
            continue;
        if (best == NULL || kl > best_len) {
            best = m;
            best_len = kl;
        }
    }
    r->kind = RS_APIGW_REST;
    if (best == NULL) {
        answer(r, 403, NULL, "Forbidden");
        return;
    }
    const char *rest = path + (best_len > 0 ? 1 + best_len : 0);
    r->t.api_id = pstr(pool, mstr(best, "apiId"));
    r->t.stage = pstr(pool, mstr(best, "stage"));
    /* the event's path is the whole path the client sent (the mapping key included) */
    r->t.path = path;
    r->t.stage_path = path;
    resolve_api(c, r->t.api_id != NULL ? r->t.api_id : "", rest[0] ? rest : "/", 0);
}

static int resolve_cb(json_object *doc, void *arg, int *changed)
{
    ctx_t *c = arg;
    const rs_http_req_t *req = c->req;
    rs_gw_route_t *r = c->r;
    rs_route_t route;
    rs_router_conf_t rc = {c->conf != NULL && c->conf->hostname[0] ? c->conf->hostname : NULL,
                           is_domain, c};
    (void)changed;
    c->doc = doc;
    rs_route(req, &rc, &route);
    if (route.kind != RS_ROUTE_APIGW) {
        r->kind = RS_APIGW_REST;
        r->no_route = 1; /* e.g. a domain deleted meanwhile */
        return 0;
    }
    if (route.apigw_form == RS_APIGW_URL) {
        resolve_url(c, &route);
        return 0;
    }
    if (route.apigw_form == RS_APIGW_DOMAIN) {
        resolve_domain(c, &route);
        return 0;
    }
    if (rs_apigw_parse(req, &route, &r->t) != 0) {
        r->kind = RS_APIGW_REST;
        r->no_route = 1;
        return 0;
    }
    if (member(rs_gw_doc_coll(doc, "rest"), r->t.api_id) == NULL &&
        member(rs_gw_doc_coll(doc, "http"), r->t.api_id) == NULL) {
        r->kind = RS_APIGW_REST; /* no such API: the id names a function (rs_apigw_resolve) */
        r->shortcut = 1;
        r->timeout_ms = 29000;
        return 0;
    }
    r->t.function = NULL;
    r->t.nparams = 0;
    resolve_api(c, r->t.api_id, r->t.path, 1);
    return 0;
}

void rs_gw_resolve(rs_gw_store_t *s, const rs_conf_t *conf, const rs_http_req_t *req,
                   rs_gw_route_t *r)
{
    ctx_t c = {conf, req, r, NULL};
    memset(r, 0, sizeof(*r));
    rs_gw_store_read(s, resolve_cb, &c);
}
