/*
 * gw_v2.c: the apigatewayv2 control plane's front (rs_gw_v2_handle): the route table
 * (method + /v2/ path -> operation), the request (path segments, query, body), the reply;
 * the helpers its operations share (gw_v2.h); the API operations (CreateApi with quick
 * create, GetApi, GetApis, UpdateApi, DeleteApi) and tags.
 * Runs in: the lambda supervisor (handler threads).
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/gw_v2.h"
#include "rs/codec.h"
#include "rs/err.h"

/* ---- helpers ------------------------------------------------------------------------ */

int rs_v2_fail(rs_v2_req_t *q, rs_apigw_err_t e, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rs_gw_reply_error(q->out, e, "%s", msg);
    return RS_V2_REPLIED;
}

static const char *type_name(char t)
{
    switch (t) {
    case 's':
        return "string";
    case 'b':
        return "boolean";
    case 'i':
        return "integer";
    case 'm':
        return "map of strings";
    case 'l':
        return "list of strings";
    default:
        return "object";
    }
}

static int all_strings(json_object *v, int map)
{
    if (map) {
        json_object_object_foreach(v, k, e)
        {
            (void)k;
            if (!json_object_is_type(e, json_type_string))
                return 0;
        }
        return 1;
    }
    for (size_t i = 0; i < json_object_array_length(v); i++)
        if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
            return 0;
    return 1;
}

static int typed(json_object *v, char t)
{
    switch (t) {
    case 's':
        return json_object_is_type(v, json_type_string);
    case 'b':
        return json_object_is_type(v, json_type_boolean);
    case 'i':
        return json_object_is_type(v, json_type_int);
    case 'm':
        return json_object_is_type(v, json_type_object) && all_strings(v, 1);
    case 'l':
        return json_object_is_type(v, json_type_array) && all_strings(v, 0);
    default:
        return json_object_is_type(v, json_type_object);
    }
}

int rs_v2_copy(rs_v2_req_t *q, json_object *dst, const rs_v2_member_t *spec, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_object *v;
        if (!json_object_object_get_ex(q->body, spec[i].name, &v) || v == NULL)
            continue;
        if (!typed(v, spec[i].type))
            return rs_v2_fail(q, RS_GE_BAD_REQUEST, "Invalid input: %s must be a %s", spec[i].name,
                              type_name(spec[i].type));
    }
    for (size_t i = 0; i < n; i++) {
        json_object *v;
        if (json_object_object_get_ex(q->body, spec[i].name, &v) && v != NULL)
            json_object_object_add(dst, spec[i].name, rs_v2_copy_of(v));
    }
    return 0;
}

const char *rs_v2_str(json_object *o, const char *k)
{
    json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

int rs_v2_require(rs_v2_req_t *q, const char *k)
{
    json_object *v;
    if (json_object_object_get_ex(q->body, k, &v) && v != NULL)
        return 0;
    return rs_v2_fail(q, RS_GE_BAD_REQUEST, "Invalid input: %s is a required member", k);
}

json_object *rs_v2_api(rs_v2_req_t *q, json_object *doc, const char *id)
{
    json_object *e = rs_gw_doc_owned(doc, "http", id, q->c->account, q->c->region);
    if (e == NULL)
        rs_v2_fail(q, RS_GE_NOT_FOUND, "Invalid API identifier specified %s:%s", q->c->account, id);
    return e;
}

json_object *rs_v2_sub(json_object *entry, const char *name)
{
    return rs_gw_doc_coll(entry, name);
}

json_object *rs_v2_copy_of(json_object *o)
{
    json_object *c = NULL;
    if (json_object_deep_copy(o, &c, NULL) != 0)
        return NULL;
    return c;
}

json_object *rs_v2_values(json_object *o)
{
    json_object *a = json_object_new_array();
    json_object_object_foreach(o, k, v)
    {
        (void)k;
        json_object_array_add(a, rs_v2_copy_of(v));
    }
    return a;
}

int rs_v2_answer(rs_v2_req_t *q, int status, json_object *record)
{
    q->status = status;
    q->result = record != NULL ? rs_v2_copy_of(record) : NULL;
    return 0;
}

static int parse_count(const char *s, long *out)
{
    char *end;
    if (!*s || !isdigit((unsigned char)*s))
        return -1;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 100000000)
        return -1;
    *out = v;
    return 0;
}

int rs_v2_page(rs_v2_req_t *q, json_object *all)
{
    long max = 100000, from = 0;
    if (q->max_results[0] && (parse_count(q->max_results, &max) != 0 || max < 1)) {
        json_object_put(all);
        return rs_v2_fail(q, RS_GE_BAD_REQUEST, "Invalid maxResults: %s", q->max_results);
    }
    if (q->next_token[0] && parse_count(q->next_token, &from) != 0) {
        json_object_put(all);
        return rs_v2_fail(q, RS_GE_BAD_REQUEST, "Invalid nextToken: %s", q->next_token);
    }
    long n = (long)json_object_array_length(all);
    json_object *items = json_object_new_array(), *r = json_object_new_object();
    for (long i = from; i < n && i < from + max; i++)
        json_object_array_add(items, json_object_get(json_object_array_get_idx(all, (size_t)i)));
    json_object_object_add(r, "items", items);
    if (from + max < n) {
        char tok[32];
        snprintf(tok, sizeof(tok), "%ld", from + max);
        json_object_object_add(r, "nextToken", json_object_new_string(tok));
    }
    json_object_put(all);
    q->status = 200;
    q->result = r;
    return 0;
}

/* ---- APIs ----------------------------------------------------------------------------- */

static const rs_v2_member_t api_members[] = {
    {"apiKeySelectionExpression", 's'},
    {"corsConfiguration", 'o'},
    {"description", 's'},
    {"disableSchemaValidation", 'b'},
    {"disableExecuteApiEndpoint", 'b'},
    {"ipAddressType", 's'},
    {"name", 's'},
    {"routeSelectionExpression", 's'},
    {"version", 's'},
};
#define NMEMBERS(a) (sizeof(a) / sizeof((a)[0]))

static int check_api_body(rs_v2_req_t *q)
{
    static const rs_v2_member_t extra[] = {
        {"credentialsArn", 's'}, {"protocolType", 's'}, {"routeKey", 's'},
        {"tags", 'm'},           {"target", 's'},
    };
    json_object *scratch = json_object_new_object();
    int rc = rs_v2_copy(q, scratch, extra, NMEMBERS(extra));
    if (rc == 0)
        rc = rs_v2_copy(q, scratch, api_members, NMEMBERS(api_members));
    json_object_put(scratch);
    if (rc != 0)
        return rc;
    const char *name = rs_v2_str(q->body, "name"), *ip = rs_v2_str(q->body, "ipAddressType");
    if (name != NULL && (strlen(name) < 1 || strlen(name) > 128))
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "Invalid API name specified: the name must be 1 to 128 characters");
    if (ip != NULL && strcmp(ip, "ipv4") != 0 && strcmp(ip, "dualstack") != 0)
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "Invalid ipAddressType specified. Must be one of [ipv4, dualstack]");
    const char *key = rs_v2_str(q->body, "routeKey");
    if (key != NULL && rs_v2_route_key_ok(key) != 0)
        return rs_v2_fail(q, RS_GE_BAD_REQUEST, "Invalid route key specified: %s", key);
    return 0;
}

static int is_http_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* quick create: an AWS_PROXY integration with target (HTTP_PROXY for an HTTP URL), a route to it, a
 * $default stage */
static void quick_create(rs_v2_req_t *q, json_object *entry, const char *target)
{
    char iid[8], rid[8];
    rs_gw_new_id(iid, 7);
    rs_gw_new_id(rid, 7);
    int http = is_http_url(target);
    json_object *in = rs_v2_new_integration(iid, http ? "HTTP_PROXY" : "AWS_PROXY");
    json_object_object_add(in, "integrationUri", json_object_new_string(target));
    if (http)
        json_object_object_add(in, "integrationMethod", json_object_new_string("ANY"));
    json_object_object_add(in, "payloadFormatVersion",
                           json_object_new_string(http ? "1.0" : "2.0"));
    json_object_object_add(in, "apiGatewayManaged", json_object_new_boolean(1));
    json_object_object_add(rs_v2_sub(entry, "integrations"), iid, in);
    const char *key = rs_v2_str(q->body, "routeKey");
    json_object *r = rs_v2_new_route(rid, key != NULL ? key : "$default");
    char tgt[64];
    snprintf(tgt, sizeof(tgt), "integrations/%s", iid);
    json_object_object_add(r, "target", json_object_new_string(tgt));
    json_object_object_add(r, "apiGatewayManaged", json_object_new_boolean(1));
    json_object_object_add(rs_v2_sub(entry, "routes"), rid, r);
    json_object *st = rs_v2_new_stage("$default");
    json_object_object_add(st, "autoDeploy", json_object_new_boolean(1));
    json_object_object_add(st, "apiGatewayManaged", json_object_new_boolean(1));
    json_object_object_add(rs_v2_sub(entry, "stages"), "$default", st);
}

static int create_api(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    if (rs_v2_require(q, "name") || rs_v2_require(q, "protocolType") || check_api_body(q))
        return RS_V2_REPLIED;
    const char *proto = rs_v2_str(q->body, "protocolType");
    if (strcmp(proto, "WEBSOCKET") == 0)
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "WEBSOCKET APIs are not supported by RustStack (HTTP APIs only)");
    if (strcmp(proto, "HTTP") != 0)
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "Invalid protocol specified. Must be one of [HTTP, WEBSOCKET]");
    const char *target = rs_v2_str(q->body, "target");
    if (target != NULL && !rs_v2_lambda_uri(target) && !is_http_url(target))
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "Invalid target specified: %s (a Lambda function ARN or an HTTP URL "
                          "is expected)",
                          target);
    char id[11], endpoint[512], now[32];
    json_object *http = rs_gw_doc_coll(doc, "http"), *x;
    do
        rs_gw_new_id(id, 10);
    while (json_object_object_get_ex(http, id, &x));
    rs_gw_endpoint(q->c->api, id, q->c->region, endpoint, sizeof(endpoint));
    rs_gw_iso_now(now);
    json_object *api = json_object_new_object();
    json_object_object_add(api, "apiEndpoint", json_object_new_string(endpoint));
    json_object_object_add(api, "apiId", json_object_new_string(id));
    json_object_object_add(api, "apiKeySelectionExpression",
                           json_object_new_string("$request.header.x-api-key"));
    json_object_object_add(api, "createdDate", json_object_new_string(now));
    json_object_object_add(api, "disableExecuteApiEndpoint", json_object_new_boolean(0));
    json_object_object_add(api, "ipAddressType", json_object_new_string("ipv4"));
    json_object_object_add(api, "protocolType", json_object_new_string("HTTP"));
    json_object_object_add(api, "routeSelectionExpression",
                           json_object_new_string("${request.method} ${request.path}"));
    json_object *tags;
    json_object_object_add(api, "tags",
                           json_object_object_get_ex(q->body, "tags", &tags) && tags != NULL
                               ? rs_v2_copy_of(tags)
                               : json_object_new_object());
    rs_v2_copy(q, api, api_members, NMEMBERS(api_members));
    json_object *entry = json_object_new_object();
    json_object_object_add(entry, "account", json_object_new_string(q->c->account));
    json_object_object_add(entry, "region", json_object_new_string(q->c->region));
    json_object_object_add(entry, "api", api);
    json_object_object_add(entry, "routes", json_object_new_object());
    json_object_object_add(entry, "integrations", json_object_new_object());
    json_object_object_add(entry, "deployments", json_object_new_object());
    json_object_object_add(entry, "stages", json_object_new_object());
    if (target != NULL)
        quick_create(q, entry, target);
    json_object_object_add(http, id, entry);
    *changed = 1;
    return rs_v2_answer(q, 201, api);
}

static int get_api(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    return e != NULL ? rs_v2_answer(q, 200, json_object_object_get(e, "api")) : RS_V2_REPLIED;
}

static int get_apis(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *all = json_object_new_array();
    json_object_object_foreach(rs_gw_doc_coll(doc, "http"), id, e)
    {
        if (rs_gw_doc_owned(doc, "http", id, q->c->account, q->c->region) == e)
            json_object_array_add(all, rs_v2_copy_of(json_object_object_get(e, "api")));
    }
    return rs_v2_page(q, all);
}

/* the record of collection `coll` that quick create made (apiGatewayManaged), or NULL */
static json_object *managed(json_object *entry, const char *coll)
{
    json_object_object_foreach(rs_v2_sub(entry, coll), id, r)
    {
        json_object *m;
        (void)id;
        if (json_object_object_get_ex(r, "apiGatewayManaged", &m) && json_object_get_boolean(m))
            return r;
    }
    return NULL;
}

/* UpdateApi's quick-create members: the managed integration's target, the managed
 * route's key. 0 or RS_V2_REPLIED. */
static int quick_update(rs_v2_req_t *q, json_object *entry, const char *target, const char *key)
{
    json_object *in = managed(entry, "integrations"), *route = managed(entry, "routes");
    if (in == NULL || route == NULL)
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "Target and RouteKey can only be updated on an API made by quick "
                          "create");
    if (key != NULL) {
        json_object_object_foreach(rs_v2_sub(entry, "routes"), id, r)
        {
            const char *k = rs_v2_str(r, "routeKey");
            (void)id;
            if (r != route && k != NULL && strcmp(k, key) == 0)
                return rs_v2_fail(q, RS_GE_CONFLICT,
                                  "Route with key %s already exists for this API", key);
        }
        json_object_object_add(route, "routeKey", json_object_new_string(key));
    }
    if (target != NULL) {
        int http = is_http_url(target);
        json_object_object_add(in, "integrationUri", json_object_new_string(target));
        json_object_object_add(in, "integrationType",
                               json_object_new_string(http ? "HTTP_PROXY" : "AWS_PROXY"));
        json_object_object_add(in, "integrationMethod",
                               json_object_new_string(http ? "ANY" : "POST"));
        json_object_object_add(in, "payloadFormatVersion",
                               json_object_new_string(http ? "1.0" : "2.0"));
    }
    return 0;
}

static int update_api(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    if (e == NULL || check_api_body(q))
        return RS_V2_REPLIED;
    const char *target = rs_v2_str(q->body, "target"), *key = rs_v2_str(q->body, "routeKey");
    if (target != NULL && !rs_v2_lambda_uri(target) && !is_http_url(target))
        return rs_v2_fail(q, RS_GE_BAD_REQUEST, "Invalid target specified: %s", target);
    if ((target != NULL || key != NULL) && quick_update(q, e, target, key) != 0)
        return RS_V2_REPLIED;
    json_object *api = json_object_object_get(e, "api");
    rs_v2_copy(q, api, api_members, NMEMBERS(api_members));
    *changed = 1;
    return rs_v2_answer(q, 200, api);
}

static int delete_api(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    if (rs_v2_api(q, doc, q->seg[1]) == NULL)
        return RS_V2_REPLIED;
    json_object_object_del(rs_gw_doc_coll(doc, "http"), q->seg[1]);
    /* the caller's API mappings to it go with it */
    json_object_object_foreach(rs_gw_doc_coll(doc, "domains"), name, d)
    {
        if (rs_gw_doc_owned(doc, "domains", name, q->c->account, q->c->region) != d)
            continue;
        json_object *maps = rs_gw_doc_coll(d, "mappings");
        int again = 1;
        while (again) {
            again = 0;
            json_object_object_foreach(maps, mid, m)
            {
                const char *api = rs_v2_str(m, "apiId");
                if (api != NULL && strcmp(api, q->seg[1]) == 0) {
                    json_object_object_del(maps, mid);
                    again = 1;
                    break;
                }
            }
        }
    }
    *changed = 1;
    return rs_v2_answer(q, 204, NULL);
}

/* ---- tags: /v2/tags/{resource-arn} ------------------------------------------------------ */

/* the tags object of the resource an ARN names (NULL: answered NotFoundException) */
static json_object *tags_of(rs_v2_req_t *q, json_object *doc, int *changed)
{
    const char *arn = q->seg[1], *p = strstr(arn, "::/");
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "arn:aws:apigateway:%s::/", q->c->region);
    json_object *owner = NULL;
    if (p != NULL && strncmp(arn, prefix, strlen(prefix)) == 0) {
        char rest[512], *parts[5];
        int n = 0;
        snprintf(rest, sizeof(rest), "%s", p + 3);
        for (char *s = rest, *save = NULL; n < 5 && (s = strtok_r(s, "/", &save)) != NULL; s = NULL)
            parts[n++] = s;
        if (n == 2 && strcmp(parts[0], "apis") == 0) {
            json_object *e = rs_gw_doc_owned(doc, "http", parts[1], q->c->account, q->c->region);
            owner = e != NULL ? json_object_object_get(e, "api") : NULL;
        } else if (n == 4 && strcmp(parts[0], "apis") == 0 && strcmp(parts[2], "stages") == 0) {
            json_object *e = rs_gw_doc_owned(doc, "http", parts[1], q->c->account, q->c->region);
            if (e != NULL)
                json_object_object_get_ex(rs_v2_sub(e, "stages"), parts[3], &owner);
        } else if (n == 2 && strcmp(parts[0], "domainnames") == 0) {
            for (char *c = parts[1]; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            json_object *e = rs_gw_doc_owned(doc, "domains", parts[1], q->c->account, q->c->region);
            if (e != NULL && !json_object_object_get_ex(e, "v2", &owner)) {
                owner = rs_v2_domain_view(e, parts[1]);
                json_object_object_add(e, "v2", owner);
                *changed = 1;
            }
        }
    }
    if (owner == NULL) {
        rs_v2_fail(q, RS_GE_NOT_FOUND, "Invalid resource ARN specified: %s", arn);
        return NULL;
    }
    return rs_gw_doc_coll(owner, "tags");
}

static int get_tags(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *t = tags_of(q, doc, changed);
    if (t == NULL)
        return RS_V2_REPLIED;
    q->status = 200;
    q->result = json_object_new_object();
    json_object_object_add(q->result, "tags", rs_v2_copy_of(t));
    return 0;
}

static int tag_resource(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    static const rs_v2_member_t spec[] = {{"tags", 'm'}};
    json_object *scratch = json_object_new_object(), *t, *add;
    int rc = rs_v2_copy(q, scratch, spec, 1);
    json_object_put(scratch);
    if (rc != 0 || (t = tags_of(q, doc, changed)) == NULL)
        return RS_V2_REPLIED;
    if (json_object_object_get_ex(q->body, "tags", &add) && add != NULL) {
        json_object_object_foreach(add, k, v)
        {
            json_object_object_add(t, k, rs_v2_copy_of(v));
        }
    }
    *changed = 1;
    q->status = 201;
    q->result = json_object_new_object();
    return 0;
}

static int untag_resource(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *t = tags_of(q, doc, changed);
    if (t == NULL)
        return RS_V2_REPLIED;
    if (q->tag_keys == NULL || json_object_array_length(q->tag_keys) == 0)
        return rs_v2_fail(q, RS_GE_BAD_REQUEST, "Invalid input: tagKeys is a required member");
    for (size_t i = 0; i < json_object_array_length(q->tag_keys); i++)
        json_object_object_del(t,
                               json_object_get_string(json_object_array_get_idx(q->tag_keys, i)));
    *changed = 1;
    return rs_v2_answer(q, 204, NULL);
}

/* ---- dispatch --------------------------------------------------------------------------- */

static const struct v2_route {
    const char *method;
    const char *pattern; /* segments after /v2/; "*" matches one */
    rs_v2_op_fn fn;
    int edits;
} v2_routes[] = {
    {"POST", "apis", create_api, 1},
    {"GET", "apis", get_apis, 0},
    {"GET", "apis/*", get_api, 0},
    {"PATCH", "apis/*", update_api, 1},
    {"DELETE", "apis/*", delete_api, 1},
    {"POST", "apis/*/routes", rs_v2_create_route, 1},
    {"GET", "apis/*/routes", rs_v2_get_routes, 0},
    {"GET", "apis/*/routes/*", rs_v2_get_route, 0},
    {"PATCH", "apis/*/routes/*", rs_v2_update_route, 1},
    {"DELETE", "apis/*/routes/*", rs_v2_delete_route, 1},
    {"POST", "apis/*/integrations", rs_v2_create_integration, 1},
    {"GET", "apis/*/integrations", rs_v2_get_integrations, 0},
    {"GET", "apis/*/integrations/*", rs_v2_get_integration, 0},
    {"PATCH", "apis/*/integrations/*", rs_v2_update_integration, 1},
    {"DELETE", "apis/*/integrations/*", rs_v2_delete_integration, 1},
    {"POST", "apis/*/stages", rs_v2_create_stage, 1},
    {"GET", "apis/*/stages", rs_v2_get_stages, 0},
    {"GET", "apis/*/stages/*", rs_v2_get_stage, 0},
    {"PATCH", "apis/*/stages/*", rs_v2_update_stage, 1},
    {"DELETE", "apis/*/stages/*", rs_v2_delete_stage, 1},
    {"POST", "apis/*/deployments", rs_v2_create_deployment, 1},
    {"GET", "apis/*/deployments", rs_v2_get_deployments, 0},
    {"GET", "apis/*/deployments/*", rs_v2_get_deployment, 0},
    {"PATCH", "apis/*/deployments/*", rs_v2_update_deployment, 1},
    {"DELETE", "apis/*/deployments/*", rs_v2_delete_deployment, 1},
    {"POST", "domainnames", rs_v2_create_domain, 1},
    {"GET", "domainnames", rs_v2_get_domains, 0},
    {"GET", "domainnames/*", rs_v2_get_domain, 0},
    {"PATCH", "domainnames/*", rs_v2_update_domain, 1},
    {"DELETE", "domainnames/*", rs_v2_delete_domain, 1},
    {"POST", "domainnames/*/apimappings", rs_v2_create_mapping, 1},
    {"GET", "domainnames/*/apimappings", rs_v2_get_mappings, 0},
    {"GET", "domainnames/*/apimappings/*", rs_v2_get_mapping, 0},
    {"PATCH", "domainnames/*/apimappings/*", rs_v2_update_mapping, 1},
    {"DELETE", "domainnames/*/apimappings/*", rs_v2_delete_mapping, 1},
    {"GET", "tags/*", get_tags, 1},
    {"POST", "tags/*", tag_resource, 1},
    {"DELETE", "tags/*", untag_resource, 1},
};

static void parse_query(rs_v2_req_t *q, const char *s)
{
    char val[RS_GW_SEG_LEN];
    if (rs_gw_query_get(s, "maxResults", 0, val, sizeof(val)))
        snprintf(q->max_results, sizeof(q->max_results), "%.20s", val);
    if (rs_gw_query_get(s, "nextToken", 0, val, sizeof(val)))
        snprintf(q->next_token, sizeof(q->next_token), "%.60s", val);
    for (int i = 0; i < 64 && rs_gw_query_get(s, "tagKeys", i, val, sizeof(val)); i++) {
        if (q->tag_keys == NULL)
            q->tag_keys = json_object_new_array();
        json_object_array_add(q->tag_keys, json_object_new_string(val));
    }
}

static int matches(const rs_v2_req_t *q, const char *pattern)
{
    char pat[128], *save = NULL;
    int i = 0;
    snprintf(pat, sizeof(pat), "%s", pattern);
    for (char *s = strtok_r(pat, "/", &save); s != NULL; s = strtok_r(NULL, "/", &save), i++) {
        if (i >= q->nseg || (strcmp(s, "*") != 0 && strcmp(s, q->seg[i]) != 0))
            return 0;
    }
    return i == q->nseg;
}

static int parse_body(rs_v2_req_t *q)
{
    if (q->c->len == 0) {
        q->body = json_object_new_object();
        return q->body != NULL ? 0 : -1;
    }
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return -1;
    q->body = json_tokener_parse_ex(tok, q->c->body, (int)q->c->len);
    int bad =
        json_tokener_get_error(tok) != json_tokener_success || tok->char_offset != (int)q->c->len;
    json_tokener_free(tok);
    if (bad || !json_object_is_type(q->body, json_type_object)) {
        json_object_put(q->body);
        q->body = NULL;
        return -1;
    }
    return 0;
}

int rs_gw_v2_handle(const rs_gw_call_t *c, rs_lambda_resp_t *out)
{
    rs_v2_req_t *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return RS_ENOMEM;
    q->c = c;
    q->out = out;
    const struct v2_route *r = NULL;
    int rc = 0;
    int nseg = rs_gw_split_path(c->path + 3, q->seg, RS_V2_SEGS);
    q->nseg = nseg > 0 ? nseg : 0;
    if (nseg > 0)
        for (size_t i = 0; i < NMEMBERS(v2_routes) && r == NULL; i++)
            if (strcmp(v2_routes[i].method, c->method) == 0 && matches(q, v2_routes[i].pattern))
                r = &v2_routes[i];
    if (c->api->gw == NULL) {
        rc = rs_gw_reply_error(out, RS_GE_UNAVAILABLE, "the API Gateway store is not open");
    } else if (r == NULL) {
        rc = rs_gw_reply_error(out, RS_GE_UNKNOWN_OP,
                               "RustStack does not implement the apigatewayv2 operation %s %.400s",
                               c->method, c->path);
    } else if (c->len > 1024 * 1024 || parse_body(q) != 0) {
        rc = rs_gw_reply_error(out, RS_GE_BAD_REQUEST,
                               "Invalid request body: a JSON object is expected");
    } else {
        parse_query(q, c->query);
        int v = r->edits ? rs_gw_store_edit(c->api->gw, r->fn, q)
                         : rs_gw_store_read(c->api->gw, r->fn, q);
        if (v == 0 && q->status == 204) {
            out->status = 204;
        } else if (v == 0) {
            rc = rs_lambda_reply_json(out, q->status,
                                      q->result != NULL ? q->result : json_object_new_object());
            q->result = NULL;
        } else if (v != RS_V2_REPLIED) {
            rc = rs_gw_reply_error(out, RS_GE_UNAVAILABLE,
                                   "RustStack could not record the change: %s", rs_err_str(v));
        }
        json_object_put(q->result); /* NULL unless unanswered */
    }
    json_object_put(q->body);
    json_object_put(q->tag_keys);
    free(q);
    return rc;
}
