/*
 * gw_v2_routes.c: apigatewayv2 routes (route keys "$default" and "<METHOD> /path" with
 * {param} and a final greedy {name+} segment; one key per API) and integrations
 * (AWS_PROXY to a Lambda function with payload format 1.0 or 2.0, timeouts 50..30000 ms;
 * the other types stored as given), in the store's wire form (gw_store.h).
 * Runs in: the lambda supervisor (handler threads).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lambda/gw_v2.h"

#define NMEMBERS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- route keys ------------------------------------------------------------------------ */

static int method_ok(const char *m, size_t n)
{
    static const char *const methods[] = {"GET",   "POST", "PUT",     "DELETE",
                                          "PATCH", "HEAD", "OPTIONS", "ANY"};
    for (size_t i = 0; i < NMEMBERS(methods); i++)
        if (strlen(methods[i]) == n && memcmp(methods[i], m, n) == 0)
            return 1;
    return 0;
}

/* one path segment: literal, {name}, or (last only) {name+} */
static int segment_ok(const char *s, size_t n, int last)
{
    if (n == 0)
        return 0;
    if (s[0] == '{') {
        if (n < 3 || s[n - 1] != '}')
            return 0;
        size_t end = n - 1;
        if (s[end - 1] == '+') {
            if (!last)
                return 0;
            end--;
        }
        if (end <= 1)
            return 0;
        for (size_t i = 1; i < end; i++)
            if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
                return 0;
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i] == '{' || s[i] == '}' || s[i] == ' ' || (unsigned char)s[i] < 0x20)
            return 0;
    return 1;
}

int rs_v2_route_key_ok(const char *key)
{
    if (strcmp(key, "$default") == 0)
        return 0;
    const char *sp = strchr(key, ' ');
    if (sp == NULL || !method_ok(key, (size_t)(sp - key)) || sp[1] != '/')
        return -1;
    const char *p = sp + 2;
    if (*p == '\0')
        return 0; /* "GET /" */
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (!segment_ok(p, n, slash == NULL))
            return -1;
        if (slash == NULL)
            break;
        p = slash + 1;
        if (*p == '\0')
            return -1; /* a trailing slash */
    }
    return 0;
}

int rs_v2_lambda_uri(const char *uri)
{
    /* arn:aws:lambda:<region>:<account>:function:<name>[:q], or
     * arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<that>/invocations */
    if (strncmp(uri, "arn:aws", 7) != 0)
        return 0;
    const char *p = strchr(uri + 4, ':');
    if (p == NULL)
        return 0;
    if (strncmp(p, ":lambda:", 8) == 0)
        return strstr(p, ":function:") != NULL;
    return strncmp(p, ":apigateway:", 12) == 0 && strstr(p, ":lambda:path/") != NULL &&
           strstr(p, ":function:") != NULL;
}

/* ---- records -------------------------------------------------------------------------- */

json_object *rs_v2_new_route(const char *id, const char *key)
{
    json_object *r = json_object_new_object();
    json_object_object_add(r, "apiKeyRequired", json_object_new_boolean(0));
    json_object_object_add(r, "authorizationType", json_object_new_string("NONE"));
    json_object_object_add(r, "routeId", json_object_new_string(id));
    json_object_object_add(r, "routeKey", json_object_new_string(key));
    return r;
}

json_object *rs_v2_new_integration(const char *id, const char *type)
{
    json_object *r = json_object_new_object();
    json_object_object_add(r, "connectionType", json_object_new_string("INTERNET"));
    json_object_object_add(r, "integrationId", json_object_new_string(id));
    json_object_object_add(r, "integrationType", json_object_new_string(type));
    if (strcmp(type, "AWS_PROXY") == 0)
        json_object_object_add(r, "integrationMethod", json_object_new_string("POST"));
    json_object_object_add(r, "timeoutInMillis", json_object_new_int(30000));
    return r;
}

/* ---- routes ----------------------------------------------------------------------------- */

static const rs_v2_member_t route_members[] = {
    {"apiKeyRequired", 'b'},
    {"authorizationScopes", 'l'},
    {"authorizationType", 's'},
    {"authorizerId", 's'},
    {"modelSelectionExpression", 's'},
    {"operationName", 's'},
    {"requestModels", 'm'},
    {"requestParameters", 'o'},
    {"routeKey", 's'},
    {"routeResponseSelectionExpression", 's'},
    {"target", 's'},
};

/* the body's routeKey and target against the API (self: the route updated, or NULL) */
static int check_route(rs_v2_req_t *q, json_object *entry, const char *self)
{
    json_object *scratch = json_object_new_object();
    int rc = rs_v2_copy(q, scratch, route_members, NMEMBERS(route_members));
    json_object_put(scratch);
    if (rc != 0)
        return rc;
    const char *key = rs_v2_str(q->body, "routeKey"), *target = rs_v2_str(q->body, "target");
    const char *auth = rs_v2_str(q->body, "authorizationType");
    if (key != NULL) {
        if (rs_v2_route_key_ok(key) != 0)
            return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                              "Invalid route key specified: %s. A route key is $default or "
                              "an HTTP method (GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, "
                              "ANY) and a path starting with /",
                              key);
        json_object_object_foreach(rs_v2_sub(entry, "routes"), id, r)
        {
            const char *k = rs_v2_str(r, "routeKey");
            if (k != NULL && strcmp(k, key) == 0 && (self == NULL || strcmp(id, self) != 0))
                return rs_v2_fail(q, RS_GE_CONFLICT,
                                  "Route with key %s already exists for this API", key);
        }
    }
    if (auth != NULL && strcmp(auth, "NONE") != 0 && strcmp(auth, "AWS_IAM") != 0 &&
        strcmp(auth, "CUSTOM") != 0 && strcmp(auth, "JWT") != 0)
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "Invalid authorization type specified. Must be one of [NONE, "
                          "AWS_IAM, CUSTOM, JWT]");
    if (target != NULL && target[0] != '\0') {
        json_object *x;
        if (strncmp(target, "integrations/", 13) != 0)
            return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                              "Invalid target specified: %s. Must be of the form "
                              "integrations/<integrationId>",
                              target);
        if (!json_object_object_get_ex(rs_v2_sub(entry, "integrations"), target + 13, &x))
            return rs_v2_fail(q, RS_GE_NOT_FOUND, "Invalid Integration identifier specified %s",
                              target + 13);
    }
    return 0;
}

static json_object *route_of(rs_v2_req_t *q, json_object *entry)
{
    json_object *r;
    if (json_object_object_get_ex(rs_v2_sub(entry, "routes"), q->seg[3], &r))
        return r;
    rs_v2_fail(q, RS_GE_NOT_FOUND, "Invalid Route identifier specified %s", q->seg[3]);
    return NULL;
}

int rs_v2_create_route(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *routes, *x;
    if (e == NULL || rs_v2_require(q, "routeKey") || check_route(q, e, NULL))
        return RS_V2_REPLIED;
    routes = rs_v2_sub(e, "routes");
    char id[8];
    do
        rs_gw_new_id(id, 7);
    while (json_object_object_get_ex(routes, id, &x));
    json_object *r = rs_v2_new_route(id, rs_v2_str(q->body, "routeKey"));
    rs_v2_copy(q, r, route_members, NMEMBERS(route_members));
    json_object_object_add(routes, id, r);
    *changed = 1;
    return rs_v2_answer(q, 201, r);
}

int rs_v2_get_route(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *r;
    if (e == NULL || (r = route_of(q, e)) == NULL)
        return RS_V2_REPLIED;
    return rs_v2_answer(q, 200, r);
}

int rs_v2_get_routes(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    if (e == NULL)
        return RS_V2_REPLIED;
    return rs_v2_page(q, rs_v2_values(rs_v2_sub(e, "routes")));
}

int rs_v2_update_route(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *r;
    if (e == NULL || (r = route_of(q, e)) == NULL || check_route(q, e, q->seg[3]))
        return RS_V2_REPLIED;
    rs_v2_copy(q, r, route_members, NMEMBERS(route_members));
    *changed = 1;
    return rs_v2_answer(q, 200, r);
}

int rs_v2_delete_route(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    if (e == NULL || route_of(q, e) == NULL)
        return RS_V2_REPLIED;
    json_object_object_del(rs_v2_sub(e, "routes"), q->seg[3]);
    *changed = 1;
    return rs_v2_answer(q, 204, NULL);
}

/* ---- integrations ----------------------------------------------------------------------- */

static const rs_v2_member_t integration_members[] = {
    {"connectionId", 's'},
    {"connectionType", 's'},
    {"contentHandlingStrategy", 's'},
    {"credentialsArn", 's'},
    {"description", 's'},
    {"integrationMethod", 's'},
    {"integrationSubtype", 's'},
    {"integrationType", 's'},
    {"integrationUri", 's'},
    {"passthroughBehavior", 's'},
    {"payloadFormatVersion", 's'},
    {"requestParameters", 'm'},
    {"requestTemplates", 'm'},
    {"responseParameters", 'o'},
    {"templateSelectionExpression", 's'},
    {"timeoutInMillis", 'i'},
    {"tlsConfig", 'o'},
};

static int type_ok(const char *t)
{
    return strcmp(t, "AWS") == 0 || strcmp(t, "HTTP") == 0 || strcmp(t, "MOCK") == 0 ||
           strcmp(t, "HTTP_PROXY") == 0 || strcmp(t, "AWS_PROXY") == 0;
}

/* the integration the body and `cur` (the record updated, or NULL) would make */
static int check_integration(rs_v2_req_t *q, json_object *cur)
{
    json_object *scratch = json_object_new_object(), *v;
    int rc = rs_v2_copy(q, scratch, integration_members, NMEMBERS(integration_members));
    json_object_put(scratch);
    if (rc != 0)
        return rc;
    const char *type = rs_v2_str(q->body, "integrationType");
    const char *uri = rs_v2_str(q->body, "integrationUri");
    const char *pfv = rs_v2_str(q->body, "payloadFormatVersion");
    if (type == NULL)
        type = rs_v2_str(cur, "integrationType");
    if (uri == NULL)
        uri = rs_v2_str(cur, "integrationUri");
    if (pfv == NULL)
        pfv = rs_v2_str(cur, "payloadFormatVersion");
    if (type == NULL || !type_ok(type))
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "Invalid integration type specified. Must be one of [AWS, HTTP, "
                          "MOCK, HTTP_PROXY, AWS_PROXY]");
    if (json_object_object_get_ex(q->body, "timeoutInMillis", &v) && v != NULL) {
        int64_t t = json_object_get_int64(v);
        if (t < 50 || t > 30000)
            return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                              "Invalid timeoutInMillis specified: %lld. It must be between 50 "
                              "and 30000 milliseconds",
                              (long long)t);
    }
    if (pfv != NULL && strcmp(pfv, "1.0") != 0 && strcmp(pfv, "2.0") != 0)
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "Invalid payload format version specified: %s. Must be one of [1.0, "
                          "2.0]",
                          pfv);
    if (strcmp(type, "AWS_PROXY") == 0) {
        if (uri == NULL || !rs_v2_lambda_uri(uri))
            return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                              "Invalid integration URI specified: an AWS_PROXY integration "
                              "needs the ARN of a Lambda function");
        if (pfv == NULL)
            return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                              "Missing payload format version: it is required for AWS_PROXY "
                              "integrations of HTTP APIs (1.0 or 2.0)");
    }
    return 0;
}

static json_object *integration_of(rs_v2_req_t *q, json_object *entry)
{
    json_object *r;
    if (json_object_object_get_ex(rs_v2_sub(entry, "integrations"), q->seg[3], &r))
        return r;
    rs_v2_fail(q, RS_GE_NOT_FOUND, "Invalid Integration identifier specified %s", q->seg[3]);
    return NULL;
}

int rs_v2_create_integration(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *all, *x;
    if (e == NULL || rs_v2_require(q, "integrationType") || check_integration(q, NULL))
        return RS_V2_REPLIED;
    all = rs_v2_sub(e, "integrations");
    char id[8];
    do
        rs_gw_new_id(id, 7);
    while (json_object_object_get_ex(all, id, &x));
    json_object *r = rs_v2_new_integration(id, rs_v2_str(q->body, "integrationType"));
    rs_v2_copy(q, r, integration_members, NMEMBERS(integration_members));
    json_object_object_add(all, id, r);
    *changed = 1;
    return rs_v2_answer(q, 201, r);
}

int rs_v2_get_integration(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *r;
    if (e == NULL || (r = integration_of(q, e)) == NULL)
        return RS_V2_REPLIED;
    return rs_v2_answer(q, 200, r);
}

int rs_v2_get_integrations(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    if (e == NULL)
        return RS_V2_REPLIED;
    return rs_v2_page(q, rs_v2_values(rs_v2_sub(e, "integrations")));
}

int rs_v2_update_integration(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *r;
    if (e == NULL || (r = integration_of(q, e)) == NULL || check_integration(q, r))
        return RS_V2_REPLIED;
    rs_v2_copy(q, r, integration_members, NMEMBERS(integration_members));
    *changed = 1;
    return rs_v2_answer(q, 200, r);
}

int rs_v2_delete_integration(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    if (e == NULL || integration_of(q, e) == NULL)
        return RS_V2_REPLIED;
    json_object_object_del(rs_v2_sub(e, "integrations"), q->seg[3]);
    *changed = 1;
    return rs_v2_answer(q, 204, NULL);
}
