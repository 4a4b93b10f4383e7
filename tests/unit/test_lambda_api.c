/*
 * test_lambda_api.c: the Lambda control plane and Invoke front (src/lambda/lambda_api*.c)
 * through rs_lambda_api_handle, without sockets: every operation, the name forms, AWS's
 * validation errors and messages, zip limits, and Invoke against a recording test pool
 * (this file defines the rs_lambda_pool_* functions the API calls, so the real pool is
 * not linked) or no pool at all.
 * Runs in: the test.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambda/lambda_api.h"
#include "lambda/lambda_code.h"
#include "rs/os.h"
#include "rs/codec.h"
#include "rs/err.h"

/* ---- the test pool ---------------------------------------------------------------------- */

enum { P_ECHO, P_FNERR, P_THROTTLE, P_SVCERR };

struct rs_lambda_pool {
    int mode;
    pthread_mutex_t lock;
    int invokes, retires;
    char last_rid[64], last_arn[300], last_payload[256], last_ctx[256], retired[80];
    int last_want_log;
};

int rs_lambda_pool_create(const rs_conf_t *conf, rs_lambda_pool_t **out, char *why, size_t whylen)
{
    (void)conf;
    (void)out;
    snprintf(why, whylen, "not in this test");
    return RS_ERR;
}

int rs_lambda_pool_invoke(rs_lambda_pool_t *p, const rs_lambda_invoke_t *inv,
                          rs_lambda_result_t *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&p->lock);
    p->invokes++;
    snprintf(p->last_rid, sizeof(p->last_rid), "%s", inv->request_id);
    snprintf(p->last_arn, sizeof(p->last_arn), "%s", inv->invoked_arn);
    snprintf(p->last_payload, sizeof(p->last_payload), "%.*s", (int)inv->payload_len,
             (const char *)inv->payload);
    snprintf(p->last_ctx, sizeof(p->last_ctx), "%s",
             inv->client_context ? inv->client_context : "");
    p->last_want_log = inv->want_log;
    pthread_mutex_unlock(&p->lock);
    switch (p->mode) {
    case P_THROTTLE:
        out->throttled = 1;
        return 0;
    case P_SVCERR:
        snprintf(out->service_error, sizeof(out->service_error), "engine went away");
        return 0;
    case P_FNERR:
        out->function_error = 1;
        out->payload = strdup("{\"errorMessage\": \"boom\", \"errorType\": \"Exception\"}");
        break;
    default:
        out->payload = malloc(inv->payload_len + 1);
        memcpy(out->payload, inv->payload, inv->payload_len);
        out->payload_len = inv->payload_len;
        break;
    }
    if (out->payload && !out->payload_len)
        out->payload_len = strlen(out->payload);
    if (inv->want_log) {
        out->log_tail = strdup("START RequestId: x\nEND RequestId: x\n");
        out->log_len = strlen(out->log_tail);
    }
    return 0;
}

void rs_lambda_result_free(rs_lambda_result_t *r)
{
    free(r->payload);
    free(r->log_tail);
    r->payload = r->log_tail = NULL;
}

void rs_lambda_pool_retire(rs_lambda_pool_t *p, const char *account, const char *region,
                           const char *name)
{
    (void)account;
    (void)region;
    pthread_mutex_lock(&p->lock);
    p->retires++;
    snprintf(p->retired, sizeof(p->retired), "%s", name);
    pthread_mutex_unlock(&p->lock);
}

void rs_lambda_pool_stats(rs_lambda_pool_t *p, rs_lambda_pool_stats_t *out)
{
    (void)p;
    memset(out, 0, sizeof(*out));
}

void rs_lambda_pool_destroy(rs_lambda_pool_t *p)
{
    (void)p;
}

/* ---- fixture ------------------------------------------------------------------------------ */

#define ACCT "000000000000"
#define REGION "us-east-1"
#define ROLE "arn:aws:iam::000000000000:role/lambda-role"

static char root[64];
static rs_lambda_reg_t *reg;
static rs_lambda_api_t api;
static struct rs_lambda_pool tpool;
static char zip_b64[8192];

static void build_zip_b64(void)
{
    static char buf[4096];
    size_t used = 0;
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_open_memory(a, buf, sizeof(buf), &used);
    struct archive_entry *e = archive_entry_new();
    const char *src = "def handler(event, context):\n    return event\n";
    archive_entry_set_pathname(e, "app.py");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)strlen(src));
    archive_write_header(a, e);
    archive_write_data(a, src, strlen(src));
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    rs_base64_encode((const uint8_t *)buf, used, zip_b64);
}

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/rs-lapi-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    cr_assert_eq(rs_lambda_reg_open(root, 0, &reg), 0);
    memset(&tpool, 0, sizeof(tpool));
    pthread_mutex_init(&tpool.lock, NULL);
    rs_lambda_api_init(&api, reg, &tpool, "", NULL);
    build_zip_b64();
}

static void teardown(void)
{
    rs_lambda_reg_close(reg);
    rs_rm_r(root);
}

TestSuite(lapi, .init = setup, .fini = teardown, .timeout = 30);

typedef struct res {
    int status;
    json_object *h, *b;
    char *raw;
    size_t len;
} res_t;

static res_t call_h(const char *method, const char *path, const char *query, json_object *hdrs,
                    const char *body, size_t len)
{
    rs_lambda_resp_t r;
    cr_assert_eq(rs_lambda_api_handle(&api, method, path, query ? query : "", hdrs, ACCT, REGION,
                                      "req-1234", body ? body : "", body ? len : 0, &r),
                 0);
    res_t x = {r.status, json_object_get(r.headers), NULL, NULL, r.body_len};
    x.raw = calloc(1, r.body_len + 1);
    if (r.body_len)
        memcpy(x.raw, r.body, r.body_len);
    x.b = r.body_len ? json_tokener_parse(x.raw) : NULL;
    rs_lambda_resp_free(&r);
    json_object_put(hdrs);
    cr_assert_str_eq(json_object_get_string(json_object_object_get(x.h, "x-amzn-RequestId")),
                     "req-1234");
    return x;
}

static res_t call(const char *method, const char *path, const char *query, const char *body)
{
    return call_h(method, path, query, NULL, body, body ? strlen(body) : 0);
}

static void res_free(res_t *x)
{
    json_object_put(x->h);
    json_object_put(x->b);
    free(x->raw);
}

static const char *s(json_object *o, const char *path)
{
    /* "A.B.C" */
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_object *cur = o;
    for (char *k = strtok(buf, "."); k && cur; k = strtok(NULL, "."))
        cur = json_object_object_get(cur, k);
    return cur ? json_object_get_string(cur) : NULL;
}

static int starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void expect_err(res_t *x, int status, const char *code, const char *msg)
{
    cr_assert_eq(x->status, status, "status %d body %s", x->status, x->raw);
    cr_assert_str_eq(s(x->h, "x-amzn-ErrorType"), code);
    const char *m = s(x->b, "message") ? s(x->b, "message") : s(x->b, "Message");
    cr_assert_not_null(m, "%s", x->raw);
    if (msg)
        cr_assert_str_eq(m, msg);
}

static char *create_body(const char *name, const char *extra)
{
    char *b = NULL;
    cr_assert(asprintf(&b,
                       "{\"FunctionName\": \"%s\", \"Role\": \"" ROLE "\", \"Runtime\": "
                       "\"python3.12\", \"Handler\": \"app.handler\", \"Code\": {\"ZipFile\": "
                       "\"%s\"}%s%s}",
                       name, zip_b64, extra ? ", " : "", extra ? extra : "") > 0);
    return b;
}

static res_t create(const char *name, const char *extra)
{
    char *b = create_body(name, extra);
    res_t x = call("POST", "/2015-03-31/functions", NULL, b);
    free(b);
    return x;
}

static void create_ok(const char *name)
{
    res_t x = create(name, NULL);
    cr_assert_eq(x.status, 201, "%s", x.raw);
    res_free(&x);
}

/* ---- control plane --------------------------------------------------------------------- */

Test(lapi, create_function_shape)
{
    res_t x = create("fn1", "\"Environment\": {\"Variables\": {\"AA\": \"1\"}}, \"Timeout\": 30, "
                            "\"Description\": \"d\"");
    cr_assert_eq(x.status, 201, "%s", x.raw);
    cr_assert_str_eq(s(x.b, "FunctionName"), "fn1");
    cr_assert_str_eq(s(x.b, "FunctionArn"), "arn:aws:lambda:us-east-1:000000000000:function:fn1");
    cr_assert_str_eq(s(x.b, "State"), "Pending");
    cr_assert_str_eq(s(x.b, "StateReasonCode"), "Creating");
    cr_assert_null(s(x.b, "LastUpdateStatus"));
    cr_assert_str_eq(s(x.b, "Version"), "$LATEST");
    cr_assert_str_eq(s(x.b, "Runtime"), "python3.12");
    cr_assert_str_eq(s(x.b, "Role"), ROLE);
    cr_assert_str_eq(s(x.b, "Description"), "d");
    cr_assert_str_eq(s(x.b, "Timeout"), "30");
    cr_assert_str_eq(s(x.b, "MemorySize"), "128");
    cr_assert_str_eq(s(x.b, "PackageType"), "Zip");
    cr_assert_str_eq(s(x.b, "Environment.Variables.AA"), "1");
    cr_assert_str_eq(s(x.b, "EphemeralStorage.Size"), "512");
    cr_assert_str_eq(s(x.b, "TracingConfig.Mode"), "PassThrough");
    cr_assert_str_eq(s(x.b, "LoggingConfig.LogGroup"), "/aws/lambda/fn1");
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(
                         json_object_object_get(x.b, "Architectures"), 0)),
                     "x86_64");
    /* CodeSha256 is base64 of the zip's SHA-256, CodeSize the zip's bytes */
    uint8_t zip[4096];
    long zl = rs_base64_decode(zip_b64, strlen(zip_b64), zip, sizeof(zip));
    char sha[45];
    rs_lambda_sha256_b64(zip, (size_t)zl, sha);
    cr_assert_str_eq(s(x.b, "CodeSha256"), sha);
    cr_assert_eq(json_object_get_int64(json_object_object_get(x.b, "CodeSize")), zl);
    const char *lm = s(x.b, "LastModified");
    cr_assert_eq(strlen(lm), 28, "%s", lm);
    cr_assert_str_eq(lm + 23, "+0000");
    cr_assert_eq(lm[10], 'T');
    cr_assert_eq(lm[19], '.');
    cr_assert_eq(strlen(s(x.b, "RevisionId")), 36);
    res_free(&x);
    /* no Environment member when none was given */
    x = create("fn2", NULL);
    cr_assert_null(json_object_object_get(x.b, "Environment"));
    res_free(&x);
    x = create("fn1", NULL);
    expect_err(&x, 409, "ResourceConflictException", "Function already exist: fn1");
    cr_assert_str_eq(s(x.b, "Type"), "User");
    res_free(&x);
}

Test(lapi, get_function_and_name_forms)
{
    create_ok("myfn");
    res_t x = call("GET", "/2015-03-31/functions/myfn", NULL, NULL);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    cr_assert_str_eq(s(x.b, "Configuration.State"), "Active");
    cr_assert_str_eq(s(x.b, "Configuration.LastUpdateStatus"), "Successful");
    cr_assert_null(s(x.b, "Configuration.StateReason"));
    cr_assert_str_eq(s(x.b, "Code.RepositoryType"), "S3");
    cr_assert_not_null(s(x.b, "Code.Location"));
    res_free(&x);
    const char *forms[] = {
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Amyfn/"
        "configuration",
        "/2015-03-31/functions/000000000000%3Afunction%3Amyfn/configuration",
        "/2015-03-31/functions/myfn/configuration"};
    for (size_t i = 0; i < 3; i++) {
        x = call("GET", forms[i], NULL, NULL);
        cr_assert_eq(x.status, 200, "%s: %s", forms[i], x.raw);
        cr_assert_str_eq(s(x.b, "FunctionArn"),
                         "arn:aws:lambda:us-east-1:000000000000:function:myfn");
        cr_assert_str_eq(s(x.b, "State"), "Active");
        res_free(&x);
    }
    x = call("GET", "/2015-03-31/functions/myfn%3A%24LATEST/configuration", NULL, NULL);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    cr_assert_str_eq(s(x.b, "FunctionArn"),
                     "arn:aws:lambda:us-east-1:000000000000:function:myfn:$LATEST");
    res_free(&x);
    x = call("GET", "/2015-03-31/functions/myfn/configuration", "Qualifier=%24LATEST", NULL);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    res_free(&x);
    x = call("GET", "/2015-03-31/functions/myfn%3A%24LATEST", "Qualifier=1", NULL);
    expect_err(&x, 400, "InvalidParameterValueException",
               "The derived qualifier from the function name does not match the specified "
               "qualifier.");
    res_free(&x);
    x = call("GET", "/2015-03-31/functions/myfn", "Qualifier=1221", NULL);
    expect_err(&x, 404, "ResourceNotFoundException",
               "Function not found: arn:aws:lambda:us-east-1:000000000000:function:myfn:1221");
    res_free(&x);
    x = call("GET",
             "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aap-southeast-1%3A000000000000%3Afunction%"
             "3Amyfn",
             NULL, NULL);
    expect_err(&x, 404, "ResourceNotFoundException",
               "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')");
    res_free(&x);
    x = call("GET", "/2015-03-31/functions/nope", NULL, NULL);
    expect_err(&x, 404, "ResourceNotFoundException",
               "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope");
    cr_assert_not_null(s(x.b, "Message"), "ResourceNotFoundException uses Message");
    res_free(&x);
    x = call("GET", "/2015-03-31/functions/bad%20name", NULL, NULL);
    expect_err(&x, 400, "ValidationException", NULL);
    cr_assert(strstr(s(x.b, "message"), "at 'functionName' failed to satisfy constraint: Member "
                                        "must satisfy regular expression pattern"));
    cr_assert_null(s(x.b, "Type"));
    res_free(&x);
    char longname[200] = "/2015-03-31/functions/";
    memset(longname + strlen(longname), 'a', 65);
    x = call("GET", longname, NULL, NULL);
    expect_err(&x, 400, "InvalidParameterValueException", NULL);
    cr_assert(strstr(s(x.b, "message"), "Member must have length less than or equal to 64"));
    res_free(&x);
}

Test(lapi, code_location_serves_the_zip)
{
    create_ok("dl");
    res_t x = call("GET", "/2015-03-31/functions/dl", NULL, NULL);
    const char *loc = s(x.b, "Code.Location");
    cr_assert_not_null(loc);
    const char *p = strstr(loc, "/_ruststack/lambda/code/");
    cr_assert_not_null(p, "%s", loc);
    cr_assert(strncmp(loc, "http://127.0.0.1:4566/", 22) == 0, "%s", loc);
    char path[300];
    snprintf(path, sizeof(path), "%s", p);
    res_free(&x);
    x = call("GET", path, NULL, NULL);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    cr_assert_str_eq(s(x.h, "Content-Type"), "application/zip");
    uint8_t zip[4096];
    long zl = rs_base64_decode(zip_b64, strlen(zip_b64), zip, sizeof(zip));
    cr_assert_eq((long)x.len, zl);
    cr_assert_eq(memcmp(x.raw, zip, (size_t)zl), 0);
    res_free(&x);
    /* the zip goes with its code */
    rs_lambda_fn_t *fn;
    cr_assert_eq(rs_lambda_reg_get(reg, ACCT, REGION, "dl", NULL, &fn), 0);
    char zpath[1100];
    snprintf(zpath, sizeof(zpath), "%s.zip", fn->code_dir);
    cr_assert_eq(access(zpath, F_OK), 0);
    x = call("DELETE", "/2015-03-31/functions/dl", NULL, NULL);
    res_free(&x);
    cr_assert_eq(access(zpath, F_OK), 0, "still used by a revision");
    rs_lambda_fn_unref(fn);
    cr_assert_neq(access(zpath, F_OK), 0);
    x = call("GET", path, NULL, NULL);
    expect_err(&x, 404, "ResourceNotFoundException", NULL);
    res_free(&x);
    x = call("GET", "/_ruststack/lambda/code/garbage", NULL, NULL);
    expect_err(&x, 404, "ResourceNotFoundException", NULL);
    res_free(&x);
}

Test(lapi, list_functions_pages_and_versions)
{
    char name[32];
    for (int i = 51; i >= 0; i--) {
        snprintf(name, sizeof(name), "f%02d", i);
        create_ok(name);
    }
    res_t x = call("GET", "/2015-03-31/functions/", NULL, NULL);
    cr_assert_eq(x.status, 200);
    json_object *fns = json_object_object_get(x.b, "Functions");
    cr_assert_eq(json_object_array_length(fns), 50, "at most 50 per page");
    cr_assert_str_eq(s(json_object_array_get_idx(fns, 0), "FunctionName"), "f00");
    cr_assert_null(s(json_object_array_get_idx(fns, 0), "State"));
    cr_assert_null(s(json_object_array_get_idx(fns, 0), "LastUpdateStatus"));
    cr_assert_null(
        json_object_object_get(json_object_array_get_idx(fns, 0), "RuntimeVersionConfig"));
    cr_assert_not_null(s(x.b, "NextMarker"));
    char q[128];
    snprintf(q, sizeof(q), "Marker=%s", s(x.b, "NextMarker"));
    res_free(&x);
    x = call("GET", "/2015-03-31/functions/", q, NULL);
    fns = json_object_object_get(x.b, "Functions");
    cr_assert_eq(json_object_array_length(fns), 2);
    cr_assert_str_eq(s(json_object_array_get_idx(fns, 1), "FunctionName"), "f51");
    cr_assert_null(s(x.b, "NextMarker"));
    res_free(&x);
    x = call("GET", "/2015-03-31/functions/", "MaxItems=3&FunctionVersion=ALL", NULL);
    fns = json_object_object_get(x.b, "Functions");
    cr_assert_eq(json_object_array_length(fns), 3);
    cr_assert_str_eq(s(json_object_array_get_idx(fns, 0), "FunctionArn"),
                     "arn:aws:lambda:us-east-1:000000000000:function:f00:$LATEST");
    cr_assert_str_eq(s(x.b, "NextMarker"), "f02");
    res_free(&x);
    x = call("GET", "/2015-03-31/functions/", "FunctionVersion=invalid", NULL);
    expect_err(&x, 400, "ValidationException",
               "1 validation error detected: Value 'invalid' at 'functionVersion' failed to "
               "satisfy constraint: Member must satisfy enum value set: [ALL]");
    res_free(&x);
    x = call("GET", "/2015-03-31/functions/", "MaxItems=0", NULL);
    expect_err(&x, 400, "ValidationException", NULL);
    res_free(&x);
}

Test(lapi, update_configuration_and_revision)
{
    create_ok("u1");
    res_t g = call("GET", "/2015-03-31/functions/u1/configuration", NULL, NULL);
    char rev[64];
    snprintf(rev, sizeof(rev), "%s", s(g.b, "RevisionId"));
    res_free(&g);
    res_t x = call("PUT", "/2015-03-31/functions/u1/configuration", NULL,
                   "{\"RevisionId\": \"wrong\", \"Timeout\": 10}");
    expect_err(&x, 412, "PreconditionFailedException",
               "The Revision Id provided does not match the latest Revision Id. Call the "
               "GetFunction/GetAlias API to retrieve the latest Revision Id");
    res_free(&x);
    char body[256];
    snprintf(body, sizeof(body),
             "{\"RevisionId\": \"%s\", \"Timeout\": 10, \"MemorySize\": 512, \"Environment\": "
             "{\"Variables\": {\"BB\": \"2\"}}, \"Handler\": \"app.other\"}",
             rev);
    x = call("PUT", "/2015-03-31/functions/u1/configuration", NULL, body);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    cr_assert_str_eq(s(x.b, "LastUpdateStatus"), "InProgress");
    cr_assert_str_eq(s(x.b, "State"), "Active");
    cr_assert_str_eq(s(x.b, "Timeout"), "10");
    cr_assert_str_eq(s(x.b, "Environment.Variables.BB"), "2");
    cr_assert_str_neq(s(x.b, "RevisionId"), rev);
    res_free(&x);
    cr_assert_eq(tpool.retires, 1);
    cr_assert_str_eq(tpool.retired, "u1");
    x = call("GET", "/2015-03-31/functions/u1", NULL, NULL);
    cr_assert_str_eq(s(x.b, "Configuration.LastUpdateStatus"), "Successful");
    cr_assert_str_eq(s(x.b, "Configuration.MemorySize"), "512");
    cr_assert_str_eq(s(x.b, "Configuration.Handler"), "app.other");
    res_free(&x);
    rs_lambda_fn_t *fn;
    cr_assert_eq(rs_lambda_reg_get(reg, ACCT, REGION, "u1", NULL, &fn), 0);
    cr_assert_eq(fn->timeout_s, 10);
    cr_assert_eq(fn->memory_mb, 512);
    cr_assert_eq(fn->nenv, 1);
    cr_assert_str_eq(fn->env[0], "BB=2");
    rs_lambda_fn_unref(fn);
    x = call("PUT", "/2015-03-31/functions/nope/configuration", NULL, "{\"Timeout\": 5}");
    expect_err(&x, 404, "ResourceNotFoundException", NULL);
    res_free(&x);
    x = call("PUT", "/2015-03-31/functions/u1/configuration", NULL, "{\"Timeout\": 901}");
    expect_err(&x, 400, "ValidationException",
               "1 validation error detected: Value '901' at 'timeout' failed to satisfy "
               "constraint: Member must have value less than or equal to 900");
    res_free(&x);
}

Test(lapi, update_code)
{
    create_ok("c1");
    res_t g = call("GET", "/2015-03-31/functions/c1/configuration", NULL, NULL);
    char sha[64];
    snprintf(sha, sizeof(sha), "%s", s(g.b, "CodeSha256"));
    res_free(&g);
    rs_lambda_fn_t *old;
    cr_assert_eq(rs_lambda_reg_get(reg, ACCT, REGION, "c1", NULL, &old), 0);
    /* a different zip: same file, other content */
    static char buf[4096];
    size_t used = 0;
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_open_memory(a, buf, sizeof(buf), &used);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "app.py");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, 5);
    archive_write_header(a, e);
    archive_write_data(a, "X = 1", 5);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    char b64[8192], body[9000];
    rs_base64_encode((const uint8_t *)buf, used, b64);
    snprintf(body, sizeof(body), "{\"ZipFile\": \"%s\"}", b64);
    res_t x = call("PUT", "/2015-03-31/functions/c1/code", NULL, body);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    cr_assert_str_neq(s(x.b, "CodeSha256"), sha);
    cr_assert_str_eq(s(x.b, "LastUpdateStatus"), "InProgress");
    res_free(&x);
    rs_lambda_fn_t *cur;
    cr_assert_eq(rs_lambda_reg_get(reg, ACCT, REGION, "c1", NULL, &cur), 0);
    cr_assert_str_neq(cur->code_dir, old->code_dir);
    char path[1200];
    snprintf(path, sizeof(path), "%s/app.py", cur->code_dir);
    cr_assert_eq(access(path, F_OK), 0);
    char olddir[1024];
    snprintf(olddir, sizeof(olddir), "%s", old->code_dir);
    rs_lambda_fn_unref(old);
    cr_assert_neq(access(olddir, F_OK), 0, "old code removed once unused");
    rs_lambda_fn_unref(cur);
    x = call("PUT", "/2015-03-31/functions/c1/code", NULL, "{\"ZipFile\": \"bm90IGEgemlw\"}");
    expect_err(&x, 400, "InvalidParameterValueException", RS_LAMBDA_MSG_BADZIP);
    res_free(&x);
    x = call("PUT", "/2015-03-31/functions/c1/code", NULL,
             "{\"ZipFile\": \"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\", \"RevisionId\": \"x\"}");
    expect_err(&x, 412, "PreconditionFailedException", NULL);
    res_free(&x);
}

Test(lapi, delete_function)
{
    create_ok("d1");
    res_t x = call("DELETE", "/2015-03-31/functions/d1", "Qualifier=%24LATEST", NULL);
    expect_err(&x, 400, "InvalidParameterValueException",
               "$LATEST version cannot be deleted without deleting the function.");
    res_free(&x);
    x = call("DELETE", "/2015-03-31/functions/d1", NULL, NULL);
    cr_assert_eq(x.status, 204);
    cr_assert_eq(x.len, 0);
    res_free(&x);
    cr_assert_eq(tpool.retires, 1);
    x = call("DELETE", "/2015-03-31/functions/d1", NULL, NULL);
    expect_err(&x, 404, "ResourceNotFoundException",
               "Function not found: arn:aws:lambda:us-east-1:000000000000:function:d1");
    res_free(&x);
}

Test(lapi, create_validation)
{
    struct {
        const char *extra_or_body;
        int whole; /* 1: the whole body */
        int status;
        const char *code, *msg;
    } cases[] = {
        {"{\"FunctionName\": \"v\", \"Role\": \"r1\", \"Runtime\": \"python3.12\", \"Handler\": "
         "\"a.b\", \"Code\": {\"ZipFile\": \"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\"}}",
         1, 400, "ValidationException",
         "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: "
         "Member must satisfy regular expression pattern: "
         "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"},
        {"\"Runtime\": \"python3.7\"", 0, 400, "InvalidParameterValueException",
         "The runtime parameter of python3.7 is no longer supported for creating or updating "
         "AWS Lambda functions. We recommend you use a supported runtime while creating or "
         "updating functions."},
        {"\"Runtime\": \"nodejs20.x\"", 0, 400, "InvalidParameterValueException", NULL},
        {"\"Runtime\": \"cobol\"", 0, 400, "InvalidParameterValueException", NULL},
        {"\"Timeout\": 3000", 0, 400, "ValidationException",
         "1 validation error detected: Value '3000' at 'timeout' failed to satisfy constraint: "
         "Member must have value less than or equal to 900"},
        {"\"MemorySize\": 20000", 0, 400, "ValidationException",
         "'MemorySize' value failed to satisfy constraint: Member must have value less than or "
         "equal to 10240"},
        {"\"MemorySize\": 64", 0, 400, "ValidationException", NULL},
        {"\"Handler\": \"a b\"", 0, 400, "ValidationException", NULL},
        {"\"Environment\": {\"Variables\": {\"AWS_REGION\": \"x\", \"TZ\": \"y\"}}", 0, 400,
         "InvalidParameterValueException",
         "Lambda was unable to configure your environment variables because the environment "
         "variables you have provided contains reserved keys that are currently not supported "
         "for modification. Reserved keys used in this request: AWS_REGION, TZ"},
        {"\"Environment\": {\"Variables\": {\"1BAD\": \"x\"}}", 0, 400, "ValidationException",
         NULL},
        {"\"Architectures\": [\"x86_64\", \"arm64\"]", 0, 400, "ValidationException",
         "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to "
         "satisfy constraint: Member must have length less than or equal to 1"},
        {"\"Architectures\": [\"X86_64\"]", 0, 400, "ValidationException",
         "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy "
         "constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
         "[x86_64, arm64], Member must not be null]"},
        {"\"EphemeralStorage\": {\"Size\": 20000}", 0, 400, "ValidationException", NULL},
        {"\"PackageType\": \"Image\"", 0, 400, "InvalidParameterValueException", NULL},
        {"{\"FunctionName\": \"v\", \"Role\": \"" ROLE "\", \"Code\": {\"ZipFile\": \"UEsFBg==\"}}",
         1, 400, "InvalidParameterValueException", NULL},
        {"{\"FunctionName\": \"bad name\", \"Role\": \"" ROLE "\"}", 1, 400, "ValidationException",
         NULL},
        {"{not json", 1, 400, "InvalidRequestContentException", NULL},
        {"{\"FunctionName\": \"a.b\", \"Role\": \"" ROLE "\"}", 1, 400, "ValidationException",
         NULL},
        {"{\"FunctionName\": \"f:1\", \"Role\": \"" ROLE "\"}", 1, 400, "ValidationException",
         NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        res_t x;
        if (cases[i].whole) {
            x = call("POST", "/2015-03-31/functions", NULL, cases[i].extra_or_body);
        } else {
            /* extra members after the defaults: json-c keeps the last duplicate */
            x = create("v", cases[i].extra_or_body);
        }
        cr_assert_eq(x.status, cases[i].status, "case %zu: %d %s", i, x.status, x.raw);
        expect_err(&x, cases[i].status, cases[i].code, cases[i].msg);
        res_free(&x);
    }
    cr_assert_eq(rs_lambda_reg_count(reg), 0);
    /* environment over 4 KB */
    char *big = malloc(5000), *extra = malloc(5100);
    memset(big, 'x', 4999);
    big[4999] = '\0';
    snprintf(extra, 5100, "\"Environment\": {\"Variables\": {\"LARGE_VAR\": \"%s\"}}", big);
    res_t x = create("v", extra);
    expect_err(&x, 400, "InvalidParameterValueException", NULL);
    cr_assert(starts(s(x.b, "message"),
                     "Lambda was unable to configure your environment variables because the "
                     "environment variables you have provided exceeded the 4KB limit. String "
                     "measured: {\"LARGE_VAR\":\"xxx"),
              "%s", x.raw);
    res_free(&x);
    free(big);
    free(extra);
}

Test(lapi, zip_limits_and_bad_zips)
{
    res_t x = call("POST", "/2015-03-31/functions", NULL,
                   "{\"FunctionName\": \"z\", \"Role\": \"" ROLE "\", \"Runtime\": \"python3.12\", "
                   "\"Handler\": \"a.b\", \"Code\": {\"ZipFile\": \"Z2FyYmFnZSBieXRlcw==\"}}");
    expect_err(&x, 400, "InvalidParameterValueException",
               "Could not unzip uploaded file. Please check your file, then try to upload again.");
    res_free(&x);
    api.zip_max = 100;
    x = create("z", NULL);
    expect_err(&x, 413, "RequestEntityTooLargeException",
               "Zipped size must be smaller than 100 bytes");
    res_free(&x);
    api.zip_max = RS_LAMBDA_ZIP_MAX;
    api.unzipped_max = 10;
    x = create("z", NULL);
    expect_err(&x, 400, "InvalidParameterValueException",
               "Unzipped size must be smaller than 10 bytes");
    res_free(&x);
    api.unzipped_max = RS_LAMBDA_UNZIPPED_MAX;
    cr_assert_eq(rs_lambda_reg_count(reg), 0);
    /* nothing left behind in the code store */
    x = create("z", NULL);
    cr_assert_eq(x.status, 201);
    res_free(&x);
}

Test(lapi, unknown_routes)
{
    res_t x = call("GET", "/2015-03-31/functions/f/versions", NULL, NULL);
    expect_err(&x, 404, "UnknownOperationException", NULL);
    res_free(&x);
    x = call("PATCH", "/2015-03-31/functions/f", NULL, NULL);
    expect_err(&x, 404, "UnknownOperationException", NULL);
    res_free(&x);
    x = call("GET", "/2017-03-31/tags/x", NULL, NULL);
    expect_err(&x, 404, "UnknownOperationException", NULL);
    res_free(&x);
    /* the operations listed come from the route table, in this order */
    x = call("POST", "/2015-03-31/functions/f/invocations/", NULL, NULL);
    expect_err(&x, 404, "UnknownOperationException",
               "RustStack does not implement the Lambda operation POST "
               "/2015-03-31/functions/f/invocations/ (supported: CreateFunction, GetFunction, "
               "GetFunctionConfiguration, ListFunctions, UpdateFunctionCode, "
               "UpdateFunctionConfiguration, DeleteFunction, Invoke, CreateFunctionUrlConfig, "
               "GetFunctionUrlConfig, UpdateFunctionUrlConfig, DeleteFunctionUrlConfig, "
               "ListFunctionUrlConfigs)");
    res_free(&x);
}

/* ---- Invoke ------------------------------------------------------------------------------ */

static json_object *hdr(const char *k1, const char *v1, const char *k2, const char *v2)
{
    json_object *h = json_object_new_object();
    if (k1)
        json_object_object_add(h, k1, json_object_new_string(v1));
    if (k2)
        json_object_object_add(h, k2, json_object_new_string(v2));
    return h;
}

#define INV "/2015-03-31/functions/inv/invocations"

Test(lapi, invoke_sync_paths)
{
    create_ok("inv");
    res_t x = call_h("POST", INV, NULL, NULL, "{\"a\": [1, 2]}", 13);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    cr_assert_str_eq(x.raw, "{\"a\": [1, 2]}");
    cr_assert_str_eq(s(x.h, "X-Amz-Executed-Version"), "$LATEST");
    cr_assert_null(s(x.h, "X-Amz-Function-Error"));
    cr_assert_null(s(x.h, "X-Amz-Log-Result"));
    cr_assert_str_eq(tpool.last_rid, "req-1234", "the request id is the aws_request_id");
    cr_assert_str_eq(tpool.last_arn, "arn:aws:lambda:us-east-1:000000000000:function:inv");
    res_free(&x);
    /* empty payload -> {} */
    x = call_h("POST", INV, NULL, NULL, NULL, 0);
    cr_assert_eq(x.status, 200);
    cr_assert_str_eq(tpool.last_payload, "{}");
    res_free(&x);
    /* any JSON value */
    x = call_h("POST", INV, NULL, NULL, "42", 2);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    res_free(&x);
    /* qualified ARN passes on as named */
    x = call_h("POST", "/2015-03-31/functions/inv%3A%24LATEST/invocations", NULL, NULL, "{}", 2);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    cr_assert_str_eq(tpool.last_arn, "arn:aws:lambda:us-east-1:000000000000:function:inv:$LATEST");
    res_free(&x);
    /* LogType Tail */
    x = call_h("POST", INV, NULL, hdr("x-amz-log-type", "Tail", NULL, NULL), "{}", 2);
    cr_assert_eq(tpool.last_want_log, 1);
    const char *lr = s(x.h, "X-Amz-Log-Result");
    cr_assert_not_null(lr);
    uint8_t dec[128];
    long n = rs_base64_decode(lr, strlen(lr), dec, sizeof(dec));
    cr_assert_eq(n, (long)strlen("START RequestId: x\nEND RequestId: x\n"));
    res_free(&x);
    /* client context decoded */
    x = call_h("POST", INV, NULL, hdr("x-amz-client-context", "eyJjdXN0b20iOiB7fX0=", NULL, NULL),
               "{}", 2);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    cr_assert_str_eq(tpool.last_ctx, "{\"custom\": {}}");
    res_free(&x);
    /* function error */
    tpool.mode = P_FNERR;
    x = call_h("POST", INV, NULL, NULL, "{}", 2);
    cr_assert_eq(x.status, 200);
    cr_assert_str_eq(s(x.h, "X-Amz-Function-Error"), "Unhandled");
    cr_assert_str_eq(s(x.b, "errorMessage"), "boom");
    res_free(&x);
    tpool.mode = P_THROTTLE;
    x = call_h("POST", INV, NULL, NULL, "{}", 2);
    expect_err(&x, 429, "TooManyRequestsException", "Rate Exceeded.");
    cr_assert_str_eq(s(x.b, "Reason"), "ConcurrentInvocationLimitExceeded");
    res_free(&x);
    tpool.mode = P_SVCERR;
    x = call_h("POST", INV, NULL, NULL, "{}", 2);
    expect_err(&x, 500, "ServiceException", "engine went away");
    cr_assert_str_eq(s(x.b, "Type"), "Service");
    res_free(&x);
}

Test(lapi, invoke_errors_and_types)
{
    create_ok("inv");
    int before = tpool.invokes;
    res_t x = call_h("POST", INV, NULL, NULL, "{\"a\": ", 6);
    expect_err(&x, 400, "InvalidRequestContentException", NULL);
    cr_assert(starts(s(x.b, "message"), "Could not parse request body into json: Could not parse "
                                        "payload into json: "));
    res_free(&x);
    x = call_h("POST", INV, NULL, NULL, "\"n\x87r\"", 5);
    expect_err(&x, 400, "InvalidRequestContentException", NULL);
    res_free(&x);
    x = call_h("POST", INV, NULL, NULL, "{} x", 4);
    expect_err(&x, 400, "InvalidRequestContentException", NULL);
    res_free(&x);
    x = call_h("POST", "/2015-03-31/functions/ghost/invocations", NULL, NULL, "{}", 2);
    expect_err(&x, 404, "ResourceNotFoundException",
               "Function not found: arn:aws:lambda:us-east-1:000000000000:function:ghost:$LATEST");
    res_free(&x);
    x = call_h("POST", INV, "Qualifier=7", NULL, "{}", 2);
    expect_err(&x, 404, "ResourceNotFoundException",
               "Function not found: arn:aws:lambda:us-east-1:000000000000:function:inv:7");
    res_free(&x);
    x = call_h("POST", INV, NULL, hdr("x-amz-invocation-type", "DryRun", NULL, NULL), "{}", 2);
    cr_assert_eq(x.status, 204);
    res_free(&x);
    x = call_h("POST", INV, NULL, hdr("x-amz-invocation-type", "Sometimes", NULL, NULL), "{}", 2);
    expect_err(&x, 400, "ValidationException", NULL);
    res_free(&x);
    cr_assert_eq(tpool.invokes, before, "nothing ran");
    /* sizes */
    size_t big = 6291456 + 1;
    char *p = malloc(big + 1);
    memset(p, ' ', big);
    p[0] = '1';
    p[big] = '\0';
    x = call_h("POST", INV, NULL, NULL, p, big);
    expect_err(&x, 413, "RequestEntityTooLargeException",
               "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
    res_free(&x);
    x = call_h("POST", INV, NULL, hdr("x-amz-invocation-type", "Event", NULL, NULL), p, 1048577);
    expect_err(&x, 413, "RequestEntityTooLargeException",
               "1048577 byte payload is too large for the Event invocation type (limit 1048576 "
               "bytes)");
    res_free(&x);
    free(p);
    /* Event: 202 at once, runs in the background */
    x = call_h("POST", INV, NULL, hdr("x-amz-invocation-type", "Event", NULL, NULL), "[1]", 3);
    cr_assert_eq(x.status, 202);
    cr_assert_eq(x.len, 0);
    cr_assert_null(s(x.h, "X-Amz-Executed-Version"));
    res_free(&x);
    for (int i = 0; i < 200 && (tpool.invokes == before || atomic_load(&api.async_running)); i++)
        usleep(10000);
    cr_assert_eq(tpool.invokes, before + 1);
    cr_assert_str_eq(tpool.last_payload, "[1]");
}

Test(lapi, invoke_without_pool_is_service_exception)
{
    create_ok("inv");
    api.pool = NULL;
    snprintf(api.pool_why, sizeof(api.pool_why), "docker socket /var/run/docker.sock: refused");
    res_t x = call_h("POST", INV, NULL, NULL, "{}", 2);
    expect_err(&x, 500, "ServiceException", NULL);
    cr_assert(strstr(s(x.b, "Message"), "docker socket /var/run/docker.sock: refused"));
    res_free(&x);
    /* the control plane still works */
    x = call("GET", "/2015-03-31/functions/inv", NULL, NULL);
    cr_assert_eq(x.status, 200);
    res_free(&x);
    x = call("DELETE", "/2015-03-31/functions/inv", NULL, NULL);
    cr_assert_eq(x.status, 204);
    res_free(&x);
}

Test(lapi, survives_a_restart)
{
    create_ok("persist");
    rs_lambda_reg_close(reg);
    cr_assert_eq(rs_lambda_reg_open(root, 0, &reg), 0);
    api.reg = reg;
    res_t x = call("GET", "/2015-03-31/functions/persist/configuration", NULL, NULL);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    res_free(&x);
    x = call_h("POST", "/2015-03-31/functions/persist/invocations", NULL, NULL, "{}", 2);
    cr_assert_eq(x.status, 200, "%s", x.raw);
    res_free(&x);
}
