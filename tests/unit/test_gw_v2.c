/*
 * test_gw_v2.c: the apigatewayv2 control plane (src/lambda/gw_v2*.c) through
 * rs_gw_v2_handle, without sockets, on a store in a temporary directory: route keys, quick
 * create in the store's wire form (gw_store.h, the contract with the data plane), refused
 * changes leaving the document as it was, owners, paging, deployments' snapshots, domain
 * names with their mappings, tags, unknown routes and bad bodies.
 * Runs in: the test.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambda/gw_v2.h"
#include "rs/err.h"
#include "rs/os.h"

#define ACCT "000000000000"
#define REGION "us-east-1"
#define FN "arn:aws:lambda:us-east-1:000000000000:function:f"

static char root[64];
static rs_lambda_api_t api;

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/rs-gwv2-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    rs_lambda_api_init(&api, NULL, NULL, "", NULL);
    cr_assert_eq(rs_gw_store_open(root, NULL, 1, &api.gw), 0);
}

static void teardown(void)
{
    rs_gw_store_close(api.gw);
    rs_rm_r(root);
}

TestSuite(gwv2, .init = setup, .fini = teardown, .timeout = 30);

typedef struct res {
    int status;
    char code[64];
    json_object *b;
} res_t;

static res_t call_as(const char *account, const char *region, const char *method, const char *path,
                     const char *query, const char *body)
{
    rs_lambda_resp_t r = {0};
    r.headers = json_object_new_object();
    rs_gw_call_t c = {&api,    method, path,    query ? query : "", NULL,
                      account, region, "req-1", body ? body : "",   body ? strlen(body) : 0};
    cr_assert_eq(rs_gw_v2_handle(&c, &r), 0);
    res_t x = {r.status, "", NULL};
    json_object *t;
    if (json_object_object_get_ex(r.headers, "x-amzn-ErrorType", &t))
        snprintf(x.code, sizeof(x.code), "%s", json_object_get_string(t));
    if (r.body_len) {
        char *s = strndup(r.body, r.body_len);
        x.b = json_tokener_parse(s);
        free(s);
        cr_assert_not_null(x.b);
    }
    rs_lambda_resp_free(&r);
    return x;
}

static res_t call(const char *method, const char *path, const char *body)
{
    return call_as(ACCT, REGION, method, path, NULL, body);
}

static const char *str(res_t *x, const char *k)
{
    json_object *v;
    cr_assert(json_object_object_get_ex(x->b, k, &v), "member %s", k);
    return json_object_get_string(v);
}

static void expect(res_t *x, int status, const char *code, const char *message)
{
    cr_assert_eq(x->status, status, "status %d, want %d (%s)", x->status, status,
                 x->b ? json_object_to_json_string(x->b) : "");
    cr_assert_str_eq(x->code, code);
    if (message != NULL)
        cr_assert_str_eq(str(x, "message"), message);
    json_object_put(x->b);
}

/* the HTTP API entry of the document (a deep copy) */
static int copy_entry(json_object *doc, void *arg, int *changed)
{
    (void)changed;
    void **a = arg;
    json_object *e;
    if (!json_object_object_get_ex(rs_gw_doc_coll(doc, "http"), a[0], &e))
        return RS_ENOENT;
    return json_object_deep_copy(e, (json_object **)&a[1], NULL);
}

static json_object *entry(const char *id)
{
    void *a[2] = {(void *)id, NULL};
    cr_assert_eq(rs_gw_store_read(api.gw, copy_entry, a), 0);
    return a[1];
}

static json_object *only(json_object *coll)
{
    cr_assert_eq(json_object_object_length(coll), 1);
    json_object_object_foreach(coll, k, v)
    {
        (void)k;
        return v;
    }
    return NULL;
}

Test(gwv2, route_keys)
{
    static const char *const good[] = {"$default",   "GET /",          "ANY /{proxy+}",
                                       "POST /a/b",  "GET /a/{id}/c",  "OPTIONS /x/{rest+}",
                                       "PUT /a.b-c", "DELETE /{a}/{b}"};
    static const char *const bad[] = {"",         "GET",      "GET ",        "FETCH /x",
                                      "GET x",    "get /x",   "GET /a//b",   "GET /a/",
                                      "GET /{}",  "GET /a{b", "GET /{p+}/x", "GET /{a b}",
                                      "$DEFAULT", "GET  /x",  "ANY /{proxy+"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_assert_eq(rs_v2_route_key_ok(good[i]), 0, "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(rs_v2_route_key_ok(bad[i]), -1, "%s", bad[i]);
}

Test(gwv2, quick_create_in_the_wire_form)
{
    res_t x = call("POST", "/v2/apis",
                   "{\"name\": \"q\", \"protocolType\": \"HTTP\", \"target\": \"" FN "\"}");
    cr_assert_eq(x.status, 201);
    char id[16];
    snprintf(id, sizeof(id), "%s", str(&x, "apiId"));
    cr_assert_eq(strlen(id), 10);
    char want[128];
    snprintf(want, sizeof(want), "http://%s.execute-api.us-east-1.localhost:4566", id);
    cr_assert_str_eq(str(&x, "apiEndpoint"), want);
    json_object_put(x.b);
    json_object *e = entry(id), *integ, *route, *stage, *v;
    cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "account")), ACCT);
    cr_assert_str_eq(json_object_get_string(json_object_object_get(e, "region")), REGION);
    integ = only(json_object_object_get(e, "integrations"));
    route = only(json_object_object_get(e, "routes"));
    cr_assert_str_eq(rs_v2_str(integ, "integrationType"), "AWS_PROXY");
    cr_assert_str_eq(rs_v2_str(integ, "integrationUri"), FN);
    cr_assert_str_eq(rs_v2_str(integ, "payloadFormatVersion"), "2.0");
    cr_assert_eq(json_object_get_int(json_object_object_get(integ, "timeoutInMillis")), 30000);
    cr_assert_str_eq(rs_v2_str(route, "routeKey"), "$default");
    snprintf(want, sizeof(want), "integrations/%s", rs_v2_str(integ, "integrationId"));
    cr_assert_str_eq(rs_v2_str(route, "target"), want);
    cr_assert(json_object_object_get_ex(json_object_object_get(e, "stages"), "$default", &stage));
    cr_assert(json_object_object_get_ex(stage, "autoDeploy", &v) && json_object_get_boolean(v));
    cr_assert(json_object_object_get_ex(stage, "stageVariables", &v));
    json_object_put(e);
}

Test(gwv2, refused_changes_leave_the_document)
{
    res_t x = call("POST", "/v2/apis", "{\"name\": \"a\", \"protocolType\": \"HTTP\"}");
    char id[16], path[64];
    snprintf(id, sizeof(id), "%s", str(&x, "apiId"));
    json_object_put(x.b);
    snprintf(path, sizeof(path), "/v2/apis/%s/routes", id);
    x = call("POST", path, "{\"routeKey\": \"GET /a\"}");
    cr_assert_eq(x.status, 201);
    json_object_put(x.b);
    json_object *before = entry(id);
    x = call("POST", path, "{\"routeKey\": \"GET /a\"}");
    expect(&x, 409, "ConflictException", "Route with key GET /a already exists for this API");
    x = call("POST", path, "{\"routeKey\": \"GET /b\", \"target\": \"integrations/zzzzzzz\"}");
    expect(&x, 404, "NotFoundException", "Invalid Integration identifier specified zzzzzzz");
    x = call("POST", path, "{\"routeKey\": 7}");
    expect(&x, 400, "BadRequestException", NULL);
    json_object *after = entry(id);
    cr_assert(json_object_equal(before, after));
    json_object_put(before);
    json_object_put(after);
}

Test(gwv2, owners_and_unknown_ids)
{
    res_t x = call("POST", "/v2/apis", "{\"name\": \"a\", \"protocolType\": \"HTTP\"}");
    char id[16], path[64], msg[128];
    snprintf(id, sizeof(id), "%s", str(&x, "apiId"));
    json_object_put(x.b);
    snprintf(path, sizeof(path), "/v2/apis/%s", id);
    snprintf(msg, sizeof(msg), "Invalid API identifier specified 111111111111:%s", id);
    x = call_as("111111111111", REGION, "GET", path, NULL, NULL);
    expect(&x, 404, "NotFoundException", msg);
    x = call_as(ACCT, "eu-west-1", "DELETE", path, NULL, NULL);
    expect(&x, 404, "NotFoundException", NULL);
    x = call_as(ACCT, "eu-west-1", "GET", "/v2/apis", NULL, NULL);
    cr_assert_eq(json_object_array_length(json_object_object_get(x.b, "items")), 0);
    json_object_put(x.b);
    x = call("GET", "/v2/apis/nope/stages/s", NULL);
    expect(&x, 404, "NotFoundException", "Invalid API identifier specified " ACCT ":nope");
    x = call("DELETE", path, NULL);
    cr_assert_eq(x.status, 204);
    cr_assert_null(x.b);
    x = call("GET", path, NULL);
    expect(&x, 404, "NotFoundException", NULL);
}

Test(gwv2, paging)
{
    for (int i = 0; i < 5; i++) {
        res_t x = call("POST", "/v2/apis", "{\"name\": \"p\", \"protocolType\": \"HTTP\"}");
        json_object_put(x.b);
    }
    res_t x = call_as(ACCT, REGION, "GET", "/v2/apis", "maxResults=2", NULL);
    cr_assert_eq(json_object_array_length(json_object_object_get(x.b, "items")), 2);
    cr_assert_str_eq(str(&x, "nextToken"), "2");
    json_object_put(x.b);
    x = call_as(ACCT, REGION, "GET", "/v2/apis", "maxResults=2&nextToken=4", NULL);
    cr_assert_eq(json_object_array_length(json_object_object_get(x.b, "items")), 1);
    cr_assert(!json_object_object_get_ex(x.b, "nextToken", NULL));
    json_object_put(x.b);
    x = call_as(ACCT, REGION, "GET", "/v2/apis", "maxResults=0", NULL);
    expect(&x, 400, "BadRequestException", NULL);
    x = call_as(ACCT, REGION, "GET", "/v2/apis", "nextToken=x", NULL);
    expect(&x, 400, "BadRequestException", NULL);
}

Test(gwv2, deployment_snapshot_and_stage)
{
    res_t x = call("POST", "/v2/apis",
                   "{\"name\": \"d\", \"protocolType\": \"HTTP\", \"target\": \"" FN "\"}");
    char id[16], path[96];
    snprintf(id, sizeof(id), "%s", str(&x, "apiId"));
    json_object_put(x.b);
    snprintf(path, sizeof(path), "/v2/apis/%s/stages", id);
    x = call("POST", path, "{\"stageName\": \"prod\", \"stageVariables\": {\"a\": \"b\"}}");
    cr_assert_eq(x.status, 201);
    json_object_put(x.b);
    snprintf(path, sizeof(path), "/v2/apis/%s/deployments", id);
    x = call("POST", path, "{\"stageName\": \"prod\"}");
    cr_assert_eq(x.status, 201);
    char dep[16];
    snprintf(dep, sizeof(dep), "%s", str(&x, "deploymentId"));
    json_object_put(x.b);
    json_object *e = entry(id), *d, *s;
    cr_assert(json_object_object_get_ex(json_object_object_get(e, "deployments"), dep, &d));
    cr_assert(json_object_equal(json_object_object_get(d, "routes"),
                                json_object_object_get(e, "routes")));
    cr_assert(json_object_equal(json_object_object_get(d, "integrations"),
                                json_object_object_get(e, "integrations")));
    cr_assert_str_eq(rs_v2_str(json_object_object_get(d, "deployment"), "deploymentId"), dep);
    cr_assert(json_object_object_get_ex(json_object_object_get(e, "stages"), "prod", &s));
    cr_assert_str_eq(rs_v2_str(s, "deploymentId"), dep);
    json_object_put(e);
    /* a stage name percent-encoded in the path */
    snprintf(path, sizeof(path), "/v2/apis/%s/stages/%%24default", id);
    x = call("GET", path, NULL);
    cr_assert_eq(x.status, 200);
    cr_assert_str_eq(str(&x, "stageName"), "$default");
    json_object_put(x.b);
}

static int copy_domain(json_object *doc, void *arg, int *changed)
{
    (void)changed;
    json_object *e;
    if (!json_object_object_get_ex(rs_gw_doc_coll(doc, "domains"), "api.example.com", &e))
        return RS_ENOENT;
    return json_object_deep_copy(e, (json_object **)arg, NULL);
}

Test(gwv2, domains_and_mappings_in_the_shared_form)
{
    res_t x = call("POST", "/v2/apis",
                   "{\"name\": \"m\", \"protocolType\": \"HTTP\", \"target\": \"" FN "\"}");
    char id[16], body[256];
    snprintf(id, sizeof(id), "%s", str(&x, "apiId"));
    json_object_put(x.b);
    x = call("POST", "/v2/domainnames", "{\"domainName\": \"API.example.com\"}");
    cr_assert_eq(x.status, 201);
    cr_assert_str_eq(str(&x, "domainName"), "api.example.com");
    json_object_put(x.b);
    snprintf(body, sizeof(body), "{\"apiId\": \"%s\", \"stage\": \"$default\"}", id);
    x = call("POST", "/v2/domainnames/api.example.com/apimappings", body);
    cr_assert_eq(x.status, 201);
    json_object_put(x.b);
    json_object *d = NULL, *m;
    cr_assert_eq(rs_gw_store_read(api.gw, copy_domain, &d), 0);
    cr_assert_str_eq(rs_v2_str(d, "account"), ACCT);
    m = only(json_object_object_get(d, "mappings"));
    cr_assert_str_eq(rs_v2_str(m, "apiId"), id);
    cr_assert_str_eq(rs_v2_str(m, "stage"), "$default");
    cr_assert_str_eq(rs_v2_str(m, "apiMappingKey"), "");
    cr_assert_not_null(rs_v2_str(m, "apiMappingId"));
    cr_assert_str_eq(rs_v2_str(json_object_object_get(d, "v2"), "domainName"), "api.example.com");
    json_object_put(d);
    x = call("POST", "/v2/domainnames", "{\"domainName\": \"api.EXAMPLE.com\"}");
    expect(&x, 409, "ConflictException", "The domain name resource already exists.");
    /* deleting the API takes its mappings */
    char path[64];
    snprintf(path, sizeof(path), "/v2/apis/%s", id);
    x = call("DELETE", path, NULL);
    cr_assert_eq(x.status, 204);
    x = call("GET", "/v2/domainnames/api.example.com/apimappings", NULL);
    cr_assert_eq(json_object_array_length(json_object_object_get(x.b, "items")), 0);
    json_object_put(x.b);
}

Test(gwv2, tags_unknown_routes_and_bodies)
{
    res_t x = call("POST", "/v2/apis", "{\"name\": \"t\", \"protocolType\": \"HTTP\"}");
    char id[16], path[128];
    snprintf(id, sizeof(id), "%s", str(&x, "apiId"));
    json_object_put(x.b);
    snprintf(path, sizeof(path),
             "/v2/tags/arn%%3Aaws%%3Aapigateway%%3Aus-east-1%%3A%%3A%%2Fapis%%2F%s", id);
    x = call("POST", path, "{\"tags\": {\"k\": \"v\"}}");
    cr_assert_eq(x.status, 201);
    json_object_put(x.b);
    x = call_as(ACCT, REGION, "DELETE", path, "tagKeys=nothing", NULL);
    cr_assert_eq(x.status, 204);
    x = call("GET", path, NULL);
    cr_assert_str_eq(
        json_object_get_string(json_object_object_get(json_object_object_get(x.b, "tags"), "k")),
        "v");
    json_object_put(x.b);
    x = call("GET", "/v2/vpclinks", NULL);
    expect(&x, 404, "UnknownOperationException", NULL);
    x = call("PUT", "/v2/apis", NULL);
    expect(&x, 404, "UnknownOperationException", NULL);
    x = call("GET", "/v2/apis/a/b/c/d/e/f/g", NULL);
    expect(&x, 404, "UnknownOperationException", NULL);
    x = call("GET", "/v2/apis/%4", NULL);
    expect(&x, 404, "UnknownOperationException", NULL);
    x = call("POST", "/v2/apis", "[]");
    expect(&x, 400, "BadRequestException", NULL);
    x = call("POST", "/v2/apis", "{\"name\": \"x\", \"protocolType\": \"HTTP\"} trailing");
    expect(&x, 400, "BadRequestException", NULL);
    x = call("POST", "/v2/apis", "{\"name\": \"x\", \"protocolType\": \"WEBSOCKET\"}");
    expect(&x, 400, "BadRequestException", NULL);
}

Test(gwv2, lambda_uris)
{
    cr_assert(rs_v2_lambda_uri(FN));
    cr_assert(rs_v2_lambda_uri(FN ":live"));
    cr_assert(rs_v2_lambda_uri("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/" FN
                               "/invocations"));
    cr_assert(!rs_v2_lambda_uri("arn:aws:s3:::bucket"));
    cr_assert(!rs_v2_lambda_uri("arn:aws:lambda:us-east-1:000000000000:layer:x"));
    cr_assert(!rs_v2_lambda_uri("https://example.com"));
    cr_assert(!rs_v2_lambda_uri("arn:aws"));
}

/* a domain name as the apigateway (v1) control plane records it */
static int put_v1_domain(json_object *doc, void *arg, int *changed)
{
    (void)arg;
    json_object *e = json_tokener_parse(
        "{\"account\": \"" ACCT "\", \"region\": \"" REGION "\", \"domain\": {\"domainName\": "
        "\"v1.example.com\", \"regionalCertificateArn\": \"arn:aws:acm:cert\", \"tags\": "
        "{\"k\": \"v\"}}, \"mappings\": {}}");
    json_object_object_add(rs_gw_doc_coll(doc, "domains"), "v1.example.com", e);
    *changed = 1;
    return 0;
}

Test(gwv2, v1_domains_seen_through_v2)
{
    cr_assert_eq(rs_gw_store_edit(api.gw, put_v1_domain, NULL), 0);
    res_t x = call("GET", "/v2/domainnames/V1.example.com", NULL);
    cr_assert_eq(x.status, 200);
    json_object *cfg =
        json_object_array_get_idx(json_object_object_get(x.b, "domainNameConfigurations"), 0);
    cr_assert_str_eq(rs_v2_str(cfg, "certificateArn"), "arn:aws:acm:cert");
    cr_assert_str_eq(rs_v2_str(cfg, "apiGatewayDomainName"), "v1.example.com");
    cr_assert_str_eq(rs_v2_str(json_object_object_get(x.b, "tags"), "k"), "v");
    json_object_put(x.b);
    x = call("GET", "/v2/domainnames", NULL);
    cr_assert_eq(json_object_array_length(json_object_object_get(x.b, "items")), 1);
    json_object_put(x.b);
    x = call("POST", "/v2/domainnames", "{\"domainName\": \"v1.example.com\"}");
    expect(&x, 409, "ConflictException", NULL);
}
