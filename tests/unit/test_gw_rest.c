/*
 * test_gw_rest.c: the apigateway (v1) control plane without sockets (src/lambda/gw_rest*.c):
 * the request helpers (path segments, query parameters, JSON pointer segments) and
 * rs_gw_rest_handle over a store in a temporary directory: the wire shapes ("item" lists,
 * epoch-second dates), malformed bodies, unknown operations, a refused patch leaving the
 * definitions as they were, the document written in the layout of gw_store.h.
 * Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambda/gw_rest.h"
#include "rs/err.h"
#include "rs/log.h"

/* ---- helpers ------------------------------------------------------------------------- */

Test(gw_rest_util, split_path)
{
    char seg[RS_GW_SEG_MAX][RS_GW_SEG_LEN];
    cr_assert_eq(rs_gw_split_path("/restapis/abc/resources", seg, RS_GW_SEG_MAX), 3);
    cr_assert_str_eq(seg[0], "restapis");
    cr_assert_str_eq(seg[2], "resources");
    cr_assert_eq(rs_gw_split_path("/domainnames/a.example.com/basepathmappings/%28none%29", seg,
                                  RS_GW_SEG_MAX),
                 4);
    cr_assert_str_eq(seg[3], "(none)");
    cr_assert_eq(rs_gw_split_path("/a/b%2Fc/", seg, RS_GW_SEG_MAX), 2);
    cr_assert_str_eq(seg[1], "b/c");
    cr_assert_eq(rs_gw_split_path("/", seg, RS_GW_SEG_MAX), 0);
    cr_assert_eq(rs_gw_split_path("/a//b", seg, RS_GW_SEG_MAX), -1);
    cr_assert_eq(rs_gw_split_path("/a/b/c", seg, 2), -1);
    /* a bad escape or an escaped NUL is refused, as the Lambda routes refuse it */
    cr_assert_eq(rs_gw_split_path("/%zz", seg, RS_GW_SEG_MAX), -1);
    cr_assert_eq(rs_gw_split_path("/a%00b", seg, RS_GW_SEG_MAX), -1);
    char longp[RS_GW_SEG_LEN + 8];
    memset(longp, 'x', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    cr_assert_eq(rs_gw_split_path(longp, seg, RS_GW_SEG_MAX), -1);
}

Test(gw_rest_util, query_get)
{
    char v[64];
    const char *q = "embed=methods&limit=5&embed=x%2By&p=a+b&flag";
    cr_assert(rs_gw_query_get(q, "embed", 0, v, sizeof(v)));
    cr_assert_str_eq(v, "methods");
    cr_assert(rs_gw_query_get(q, "embed", 1, v, sizeof(v)));
    cr_assert_str_eq(v, "x+y");
    cr_assert_not(rs_gw_query_get(q, "embed", 2, v, sizeof(v)));
    cr_assert(rs_gw_query_get(q, "p", 0, v, sizeof(v)));
    cr_assert_str_eq(v, "a b");
    cr_assert(rs_gw_query_get(q, "flag", 0, v, sizeof(v)));
    cr_assert_str_eq(v, "");
    cr_assert_not(rs_gw_query_get(q, "position", 0, v, sizeof(v)));
    cr_assert_not(rs_gw_query_get("", "limit", 0, v, sizeof(v)));
    cr_assert_not(rs_gw_query_get(NULL, "limit", 0, v, sizeof(v)));
}

Test(gw_rest_util, pointer_unescape)
{
    char s[64] = "image~1png~0x~2";
    rs_gw_pointer_unescape(s);
    cr_assert_str_eq(s, "image/png~x~2");
}

/* ---- rs_gw_rest_handle --------------------------------------------------------------- */

static char dir[64];
static rs_lambda_api_t api;
static rs_gw_store_t *store;

static void setup(void)
{
    rs_log_set_level(RS_LOG_CRIT);
    snprintf(dir, sizeof(dir), "/tmp/rs-gwrest-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(rs_gw_store_open(dir, NULL, 1, &store), 0);
    memset(&api, 0, sizeof(api));
    api.gw = store;
}

static void teardown(void)
{
    char path[128];
    rs_gw_store_close(store);
    snprintf(path, sizeof(path), "%s/gateway.json", dir);
    unlink(path);
    rmdir(dir);
}

TestSuite(gw_rest, .init = setup, .fini = teardown);

/* one request: the answer's status, its body parsed into *body (NULL when none) */
static int call(const char *method, const char *path, const char *query, const char *body,
                const char *account, json_object **out_body)
{
    rs_lambda_resp_t out = {0, json_object_new_object(), NULL, 0};
    rs_gw_call_t c = {&api,        method,
                      path,        query ? query : "",
                      NULL,        account ? account : "000000000000",
                      "us-east-1", "req-1",
                      body,        body ? strlen(body) : 0};
    cr_assert_eq(rs_gw_rest_handle(&c, &out), 0);
    *out_body = out.body_len ? json_tokener_parse(out.body) : NULL;
    if (out.status >= 400) {
        json_object *t;
        cr_assert(json_object_object_get_ex(out.headers, "x-amzn-ErrorType", &t));
        json_object_object_add(*out_body, "__type", json_object_get(t));
    }
    int status = out.status;
    rs_lambda_resp_free(&out);
    return status;
}

static const char *str(json_object *o, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

static char *create_api(const char *name)
{
    json_object *b;
    char body[128];
    snprintf(body, sizeof(body), "{\"name\": \"%s\"}", name);
    cr_assert_eq(call("POST", "/restapis", NULL, body, NULL, &b), 201);
    json_object *d;
    cr_assert(json_object_object_get_ex(b, "createdDate", &d));
    cr_assert(json_object_is_type(d, json_type_int), "createdDate is epoch seconds");
    char *id = strdup(str(b, "id"));
    json_object_put(b);
    return id;
}

Test(gw_rest, lists_are_item_on_the_wire)
{
    char *id = create_api("one");
    json_object *b, *items;
    cr_assert_eq(call("GET", "/restapis", NULL, NULL, NULL, &b), 200);
    cr_assert(json_object_object_get_ex(b, "item", &items));
    cr_assert_eq(json_object_array_length(items), 1);
    cr_assert_str_eq(str(json_object_array_get_idx(items, 0), "id"), id);
    json_object_put(b);
    char path[64];
    snprintf(path, sizeof(path), "/restapis/%s/resources", id);
    cr_assert_eq(call("GET", path, NULL, NULL, NULL, &b), 200);
    cr_assert(json_object_object_get_ex(b, "item", &items));
    cr_assert_str_eq(str(json_object_array_get_idx(items, 0), "path"), "/");
    json_object_put(b);
    snprintf(path, sizeof(path), "/restapis/%s/stages", id);
    cr_assert_eq(call("GET", path, NULL, NULL, NULL, &b), 200);
    cr_assert(json_object_object_get_ex(b, "item", &items));
    json_object_put(b);
    /* another account sees none of it */
    cr_assert_eq(call("GET", "/restapis", NULL, NULL, "111111111111", &b), 200);
    cr_assert(json_object_object_get_ex(b, "item", &items));
    cr_assert_eq(json_object_array_length(items), 0);
    json_object_put(b);
    free(id);
}

Test(gw_rest, malformed_bodies_and_unknown_operations)
{
    json_object *b;
    cr_assert_eq(call("POST", "/restapis", NULL, "{not json", NULL, &b), 400);
    cr_assert_str_eq(str(b, "__type"), "BadRequestException");
    json_object_put(b);
    cr_assert_eq(call("POST", "/restapis", NULL, "[1, 2]", NULL, &b), 400);
    json_object_put(b);
    cr_assert_eq(call("POST", "/restapis", NULL, "{\"name\": 7}", NULL, &b), 400);
    json_object_put(b);
    cr_assert_eq(call("GET", "/account", NULL, NULL, NULL, &b), 404);
    cr_assert_str_eq(str(b, "__type"), "UnknownOperationException");
    cr_assert_not_null(strstr(str(b, "message"), "GET /account"));
    json_object_put(b);
    cr_assert_eq(call("PUT", "/restapis", NULL, NULL, NULL, &b), 404);
    cr_assert_str_eq(str(b, "__type"), "UnknownOperationException");
    json_object_put(b);
    cr_assert_eq(call("GET", "/restapis//resources", NULL, NULL, NULL, &b), 404);
    json_object_put(b);
    cr_assert_eq(call("GET", "/", NULL, NULL, NULL, &b), 404);
    json_object_put(b);
    cr_assert_eq(call("GET", "/restapis", "limit=abc", NULL, NULL, &b), 400);
    json_object_put(b);
    cr_assert_eq(call("GET", "/restapis", "position=999", NULL, NULL, &b), 400);
    json_object_put(b);
}

Test(gw_rest, refused_patch_changes_nothing)
{
    char *id = create_api("before");
    char path[64];
    json_object *b;
    snprintf(path, sizeof(path), "/restapis/%s", id);
    cr_assert_eq(call("PATCH", path, NULL,
                      "{\"patchOperations\": [{\"op\": \"replace\", \"path\": \"/name\", "
                      "\"value\": \"after\"}, {\"op\": \"replace\", \"path\": \"/id\", "
                      "\"value\": \"x\"}]}",
                      NULL, &b),
                 400);
    json_object_put(b);
    cr_assert_eq(call("PATCH", path, NULL,
                      "{\"patchOperations\": [{\"op\": \"frob\", "
                      "\"path\": \"/name\"}]}",
                      NULL, &b),
                 400);
    json_object_put(b);
    cr_assert_eq(call("GET", path, NULL, NULL, NULL, &b), 200);
    cr_assert_str_eq(str(b, "name"), "before");
    json_object_put(b);
    free(id);
}

Test(gw_rest, the_document_layout)
{
    char *id = create_api("layout");
    char path[160], file[128];
    json_object *b;
    snprintf(path, sizeof(path), "/restapis/%s", id);
    cr_assert_eq(call("GET", path, NULL, NULL, NULL, &b), 200);
    char root[16];
    snprintf(root, sizeof(root), "%s", str(b, "rootResourceId"));
    json_object_put(b);
    snprintf(path, sizeof(path), "/restapis/%s/resources/%s/methods/GET", id, root);
    cr_assert_eq(call("PUT", path, NULL, "{\"authorizationType\": \"NONE\"}", NULL, &b), 201);
    json_object_put(b);
    snprintf(path, sizeof(path), "/restapis/%s/resources/%s/methods/GET/integration", id, root);
    cr_assert_eq(call("PUT", path, NULL,
                      "{\"type\": \"AWS_PROXY\", \"httpMethod\": \"POST\", \"uri\": "
                      "\"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                      "arn:aws:lambda:us-east-1:000000000000:function:f/invocations\"}",
                      NULL, &b),
                 201);
    json_object_put(b);
    snprintf(path, sizeof(path), "/restapis/%s/deployments", id);
    cr_assert_eq(call("POST", path, NULL, "{\"stageName\": \"v1\"}", NULL, &b), 201);
    char dep[16];
    snprintf(dep, sizeof(dep), "%s", str(b, "id"));
    json_object_put(b);

    snprintf(file, sizeof(file), "%s/gateway.json", dir);
    json_object *doc = json_object_from_file(file), *rest, *e, *v;
    cr_assert_not_null(doc);
    cr_assert(json_object_object_get_ex(doc, "rest", &rest));
    cr_assert(json_object_object_get_ex(rest, id, &e));
    cr_assert_str_eq(str(e, "account"), "000000000000");
    cr_assert_str_eq(str(e, "region"), "us-east-1");
    cr_assert(json_object_object_get_ex(e, "stages", &v));
    cr_assert(json_object_object_get_ex(v, "v1", &v));
    cr_assert_str_eq(str(v, "deploymentId"), dep);
    cr_assert(json_object_object_get_ex(e, "deployments", &v));
    cr_assert(json_object_object_get_ex(v, dep, &v));
    cr_assert(json_object_object_get_ex(v, "resources", &v));
    cr_assert(json_object_object_get_ex(v, root, &v));
    cr_assert_str_eq(str(v, "path"), "/");
    cr_assert(json_object_object_get_ex(v, "resourceMethods", &v));
    cr_assert(json_object_object_get_ex(v, "GET", &v));
    cr_assert(json_object_object_get_ex(v, "methodIntegration", &v));
    cr_assert_str_eq(str(v, "type"), "AWS_PROXY");
    cr_assert_str_eq(str(v, "httpMethod"), "POST");
    json_object *t;
    cr_assert(json_object_object_get_ex(v, "timeoutInMillis", &t));
    cr_assert_eq(json_object_get_int(t), 29000);
    json_object_put(doc);
    free(id);
}

Test(gw_rest, no_store_is_unavailable)
{
    json_object *b;
    api.gw = NULL;
    cr_assert_eq(call("GET", "/restapis", NULL, NULL, NULL, &b), 503);
    json_object_put(b);
    api.gw = store;
}

/* every route with malformed bodies and members of the wrong types: never a 5xx, never a
 * crash (the document is edited under rollback, so later calls see consistent state) */
Test(gw_rest, malformed_members_never_fail_the_server)
{
    char *id = create_api("fuzz");
    json_object *b;
    char path[256], root[16];
    snprintf(path, sizeof(path), "/restapis/%s", id);
    cr_assert_eq(call("GET", path, NULL, NULL, NULL, &b), 200);
    snprintf(root, sizeof(root), "%s", str(b, "rootResourceId"));
    json_object_put(b);
    snprintf(path, sizeof(path), "/restapis/%s/resources/%s/methods/GET", id, root);
    cr_assert_eq(call("PUT", path, NULL, "{\"authorizationType\": \"NONE\"}", NULL, &b), 201);
    json_object_put(b);
    snprintf(path, sizeof(path), "/restapis/%s/resources/%s/methods/GET/integration", id, root);
    cr_assert_eq(call("PUT", path, NULL, "{\"type\": \"MOCK\"}", NULL, &b), 201);
    json_object_put(b);
    cr_assert_eq(
        call("POST", "/domainnames", NULL, "{\"domainName\": \"f.example.com\"}", NULL, &b), 201);
    json_object_put(b);

    static const char *const bodies[] = {
        "null",
        "1",
        "\"s\"",
        "[]",
        "{}",
        "{\"name\": [], \"pathPart\": {}, \"type\": 1, \"httpMethod\": null, \"uri\": 5, "
        "\"timeoutInMillis\": \"x\", \"stageName\": 3, \"deploymentId\": [], \"variables\": [], "
        "\"patchOperations\": {}, \"domainName\": 1, \"endpointConfiguration\": {\"types\": "
        "\"EDGE\"}, \"tags\": [], \"restApiId\": {}, \"basePath\": 1, \"stage\": [], "
        "\"authorizationType\": 0, \"cacheKeyParameters\": 1, \"requestParameters\": []}",
        "{\"patchOperations\": [1, \"x\", {\"op\": 1, \"path\": []}, {\"op\": \"replace\", "
        "\"path\": \"/variables/\", \"value\": null}, {\"op\": \"remove\", \"path\": \"/name\"}]}",
        "{\"patchOperations\": [{\"op\": \"replace\", \"path\": \"/pathPart\"}, {\"op\": \"add\", "
        "\"path\": \"/requestParameters/\"}, {\"op\": \"replace\", \"path\": \"/uri\"}, {\"op\": "
        "\"replace\", \"path\": \"/timeoutInMillis\", \"value\": \"-1\"}]}",
        "{\"endpointConfiguration\": {\"types\": [1, null]}, \"name\": \"x\", \"domainName\": "
        "\"d.example\", \"type\": \"AWS_PROXY\", \"httpMethod\": \"POST\", \"pathPart\": \"{a+}\"}",
        "{\"variables\": {\"a\": 1}, \"tags\": {\"a\": 1}, \"stageName\": \"s\", "
        "\"deploymentId\": \"nosuch\", \"restApiId\": \"nosuch\"}",
    };
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    char paths[17][256];
    snprintf(paths[0], 256, "/restapis");
    snprintf(paths[1], 256, "/restapis/%s/resources", id);
    snprintf(paths[2], 256, "/restapis/%s/resources/%s", id, root);
    snprintf(paths[3], 256, "/restapis/%s/resources/%s/methods/GET", id, root);
    snprintf(paths[4], 256, "/restapis/%s/resources/%s/methods/GET/integration", id, root);
    snprintf(paths[5], 256, "/restapis/%s/resources/%s/methods/GET/responses/200", id, root);
    snprintf(paths[6], 256, "/restapis/%s/resources/%s/methods/GET/integration/responses/200", id,
             root);
    snprintf(paths[7], 256, "/restapis/%s/deployments", id);
    snprintf(paths[8], 256, "/restapis/%s/deployments/nosuch", id);
    snprintf(paths[9], 256, "/restapis/%s/stages", id);
    snprintf(paths[10], 256, "/restapis/%s/stages/s", id);
    snprintf(paths[11], 256, "/domainnames");
    snprintf(paths[12], 256, "/domainnames/f.example.com/basepathmappings");
    snprintf(paths[13], 256, "/domainnames/f.example.com/basepathmappings/%%28none%%29");
    snprintf(paths[14], 256,
             "/tags/arn%%3Aaws%%3Aapigateway%%3Aus-east-1%%3A%%3A%%2Frestapis%%2F%s", id);
    snprintf(paths[15], 256, "/domainnames/f.example.com");
    snprintf(paths[16], 256, "/restapis/%s", id);
    for (size_t p = 0; p < 17; p++)
        for (size_t m = 0; m < 5; m++)
            for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
                int st = call(methods[m], paths[p], "limit=1&embed=methods&tagKeys=a", bodies[i],
                              NULL, &b);
                cr_assert(st >= 200 && st < 500, "%s %s %s: %d", methods[m], paths[p], bodies[i],
                          st);
                json_object_put(b);
            }
    free(id);
}

/* a domain apigatewayv2 made (only its "v2" shape, no mappings yet) seen by v1: the v1
 * shape made up from it, no mappings; reads leave the document as it was */
static int add_v2_domain(json_object *doc, void *arg, int *changed)
{
    (void)arg;
    json_object *d = json_tokener_parse(
        "{\"account\": \"000000000000\", \"region\": \"us-east-1\", \"v2\": {\"domainName\": "
        "\"V2.Example.com\", \"domainNameConfigurations\": [{\"apiGatewayDomainName\": "
        "\"v2.example.com\", \"endpointType\": \"REGIONAL\"}]}}");
    json_object_object_add(rs_gw_doc_coll(doc, "domains"), "v2.example.com", d);
    *changed = 1;
    return 0;
}

static int text_of(json_object *doc, void *arg, int *changed)
{
    (void)changed;
    snprintf(arg, 4096, "%s", json_object_to_json_string(doc));
    return 0;
}

Test(gw_rest, a_domain_made_by_apigatewayv2)
{
    static char before[4096], after[4096];
    json_object *b, *items;
    cr_assert_eq(rs_gw_store_edit(store, add_v2_domain, NULL), 0);
    cr_assert_eq(rs_gw_store_read(store, text_of, before), 0);
    cr_assert_eq(call("GET", "/domainnames/v2.example.com", NULL, NULL, NULL, &b), 200);
    cr_assert_str_eq(str(b, "domainName"), "V2.Example.com");
    cr_assert_str_eq(str(b, "regionalDomainName"), "v2.example.com");
    json_object_put(b);
    cr_assert_eq(call("GET", "/domainnames/v2.example.com/basepathmappings", NULL, NULL, NULL, &b),
                 200);
    cr_assert(json_object_object_get_ex(b, "item", &items));
    cr_assert_eq(json_object_array_length(items), 0);
    json_object_put(b);
    cr_assert_eq(call("GET", "/domainnames/v2.example.com/basepathmappings/%28none%29", NULL, NULL,
                      NULL, &b),
                 404);
    json_object_put(b);
    cr_assert_eq(call("GET", "/domainnames", NULL, NULL, NULL, &b), 200);
    cr_assert(json_object_object_get_ex(b, "item", &items));
    cr_assert_eq(json_object_array_length(items), 1);
    json_object_put(b);
    cr_assert_eq(rs_gw_store_read(store, text_of, after), 0);
    cr_assert_str_eq(before, after, "reads changed the document");
    /* v1 creating the same name is a conflict; deleting it removes the record */
    cr_assert_eq(
        call("POST", "/domainnames", NULL, "{\"domainName\": \"v2.EXAMPLE.com\"}", NULL, &b), 409);
    json_object_put(b);
    cr_assert_eq(call("DELETE", "/domainnames/V2.example.com", NULL, NULL, NULL, &b), 202);
    cr_assert_eq(call("GET", "/domainnames/v2.example.com", NULL, NULL, NULL, &b), 404);
    json_object_put(b);
}
