/*
 * lambda_api_fn.c: the function operations of the Lambda control plane: CreateFunction,
 * GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction, with AWS's validation (lambda.md 2.1-2.9)
 * and AWS's error codes and messages.
 * Runs in: the lambda supervisor (request threads).
 */
#include "config.h"

#include <errno.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/lambda_api.h"
#include "lambda/lambda_code.h"
#include "lambda/lambda_exec.h"
#include "rs/codec.h"
#include "rs/err.h"
#include "rs/log.h"

#define ROLE_PATTERN "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"
#define LIST_PAGE_MAX 50

static const char *const runtimes_ok[] = {"python3.9", "python3.10", "python3.11", "python3.12",
                                          "python3.13"};
/* AWS's enum of runtimes one can still create (as AWS lists it) */
static const char *const runtimes_aws[] = {
    "nodejs20.x", "python3.14", "provided.al2023", "python3.12",   "python3.13",
    "nodejs24.x", "nodejs22.x", "java25",          "python3.10",   "python3.11",
    "java21",     "ruby3.3",    "ruby3.4",         "ruby3.2",      "python3.8",
    "python3.9",  "java17",     "nodejs16.x",      "dotnet10",     "dotnet8",
    "java11",     "dotnet6",    "nodejs18.x",      "provided.al2", "java8.al2"};
static const char *const runtimes_deprecated[] = {
    "python3.7",     "python3.6",     "python2.7",  "python3.8",  "nodejs12.x", "nodejs14.x",
    "nodejs10.x",    "java8",         "go1.x",      "provided",   "ruby2.7",    "ruby2.5",
    "dotnetcore3.1", "dotnetcore2.1", "nodejs16.x", "nodejs8.10", "nodejs"};

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* operations answer 0 after filling the error response */
#define REPLY0(x) ((void)(x), 0)

static int in_list(const char *s, const char *const *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, l[i]) == 0)
            return 1;
    return 0;
}

/* ---- small helpers ------------------------------------------------------------------- */

static int fail(rs_lambda_resp_t *out, rs_lambda_err_t e, const char *msg)
{
    rs_lambda_reply_error(out, e, msg, NULL);
    return 1;
}

/* fail() with a printf-style message */
#define failf(out, e, ...) ((void)rs_lambda_reply_errorf(out, e, __VA_ARGS__), 1)

/* the body as a JSON object, or NULL with the error filled */
static json_object *body_object(const rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        fail(out, RS_LE_SERVICE, "out of memory");
        return NULL;
    }
    const char *b = rq->len ? rq->body : "{}";
    size_t n = rq->len ? rq->len : 2;
    json_object *o = json_tokener_parse_ex(tok, b, (int)n);
    enum json_tokener_error err = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!o || err != json_tokener_success || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        rs_lambda_reply_errorf(
            out, RS_LE_INVALID_REQUEST_CONTENT, "Could not parse request body into json: %s",
            err != json_tokener_success ? json_tokener_error_desc(err)
                                        : "the request body is not a JSON object");
        return NULL;
    }
    return o;
}

static json_object *member(json_object *o, const char *k)
{
    json_object *v;
    return o && json_object_object_get_ex(o, k, &v) && !json_object_is_type(v, json_type_null)
               ? v
               : NULL;
}

/* a member that must have a type: 0 fine or absent, 1 replied */
static int typed(json_object *o, const char *k, json_type t, rs_lambda_resp_t *out)
{
    json_object *v = member(o, k);
    if (v && !json_object_is_type(v, t))
        return failf(out, RS_LE_INVALID_REQUEST_CONTENT,
                     "Could not parse request body into json: member %s has the wrong type", k);
    return 0;
}

static void last_modified(char out[40])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char d[32];
    strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%.19s.%03d+0000", d, (int)(ts.tv_nsec / 1000000));
}

static regex_t role_re;
static int role_re_ok;
static pthread_once_t role_once = PTHREAD_ONCE_INIT;

static void role_init(void)
{
    role_re_ok =
        regcomp(&role_re, "^arn:(aws[a-zA-Z-]*)?:iam::[0-9]{12}:role/?[-a-zA-Z_0-9+=,.@/]+$",
                REG_EXTENDED | REG_NOSUB) == 0;
}

static int role_ok(const char *role)
{
    pthread_once(&role_once, role_init);
    return !role_re_ok || regexec(&role_re, role, 0, NULL, 0) == 0;
}

/* ---- validation of configuration members (create and update configuration) ---------- */

static int check_runtime(const char *rt, rs_lambda_resp_t *out)
{
    if (in_list(rt, runtimes_ok, N(runtimes_ok)))
        return 0;
    if (in_list(rt, runtimes_deprecated, N(runtimes_deprecated)))
        return failf(out, RS_LE_INVALID_PARAMETER,
                     "The runtime parameter of %s is no longer supported for creating or "
                     "updating AWS Lambda functions. We recommend you use a supported runtime "
                     "while creating or updating functions.",
                     rt);
    if (in_list(rt, runtimes_aws, N(runtimes_aws)))
        return failf(out, RS_LE_INVALID_PARAMETER,
                     "Runtime %s is not supported by RustStack: it runs Python functions only. "
                     "Supported runtimes: python3.9, python3.10, python3.11, python3.12, "
                     "python3.13",
                     rt);
    return failf(out, RS_LE_INVALID_PARAMETER,
                 "Value %.100s at 'runtime' failed to satisfy constraint: Member must satisfy "
                 "enum value set: [nodejs20.x, python3.14, provided.al2023, python3.12, "
                 "python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, "
                 "ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, "
                 "dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2] or be a valid "
                 "ARN (RustStack runs python3.9 to python3.13)",
                 rt);
}

static int check_env(json_object *env, rs_lambda_resp_t *out)
{
    if (!json_object_is_type(env, json_type_object))
        return fail(out, RS_LE_INVALID_REQUEST_CONTENT,
                    "Could not parse request body into json: Environment must be an object");
    json_object *vars = member(env, "Variables");
    if (!vars)
        return 0;
    if (!json_object_is_type(vars, json_type_object))
        return fail(out, RS_LE_INVALID_REQUEST_CONTENT,
                    "Could not parse request body into json: Environment.Variables must be an "
                    "object");
    char reserved[1024] = "";
    json_object_object_foreach(vars, k, v)
    {
        int ok = (k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z');
        ok = ok && strlen(k) >= 2;
        for (const char *p = k + 1; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '_';
        if (!ok)
            return fail(out, RS_LE_VALIDATION,
                        "1 validation error detected: Value at 'environment.variables' failed "
                        "to satisfy constraint: Map keys must satisfy constraint: [Member must "
                        "satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
        if (!json_object_is_type(v, json_type_string))
            return fail(out, RS_LE_INVALID_REQUEST_CONTENT,
                        "Could not parse request body into json: environment variable values "
                        "must be strings");
        if (rs_lambda_env_reserved(k, 1)) {
            size_t l = strlen(reserved);
            snprintf(reserved + l, sizeof(reserved) - l, "%s%s", l ? ", " : "", k);
        }
    }
    if (reserved[0])
        return failf(out, RS_LE_INVALID_PARAMETER,
                     "Lambda was unable to configure your environment variables because the "
                     "environment variables you have provided contains reserved keys that are "
                     "currently not supported for modification. Reserved keys used in this "
                     "request: %s",
                     reserved);
    const char *s = json_object_to_json_string_ext(vars, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    if (strlen(s) > RS_LAMBDA_ENV_MAX) {
        char *msg = NULL;
        if (asprintf(&msg,
                     "Lambda was unable to configure your environment variables because the "
                     "environment variables you have provided exceeded the 4KB limit. String "
                     "measured: %s",
                     s) < 0)
            return fail(out, RS_LE_SERVICE, "out of memory");
        rs_lambda_reply_error(out, RS_LE_INVALID_PARAMETER, msg, NULL);
        free(msg);
        return 1;
    }
    return 0;
}

static int check_archs(json_object *a, rs_lambda_resp_t *out)
{
    if (!json_object_is_type(a, json_type_array))
        return fail(out, RS_LE_INVALID_REQUEST_CONTENT,
                    "Could not parse request body into json: Architectures must be a list");
    size_t n = json_object_array_length(a);
    char list[512] = "[";
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(list);
        snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "",
                 json_object_get_string(json_object_array_get_idx(a, i)));
    }
    strncat(list, "]", sizeof(list) - strlen(list) - 1);
    if (n > 1)
        return failf(out, RS_LE_VALIDATION,
                     "1 validation error detected: Value '%s' at 'architectures' failed to "
                     "satisfy constraint: Member must have length less than or equal to 1",
                     list);
    if (n == 0)
        return failf(out, RS_LE_VALIDATION,
                     "1 validation error detected: Value '%s' at 'architectures' failed to "
                     "satisfy constraint: Member must have length greater than or equal to 1",
                     list);
    const char *v = json_object_get_string(json_object_array_get_idx(a, 0));
    if (strcmp(v, "x86_64") != 0 && strcmp(v, "arm64") != 0)
        return failf(out, RS_LE_VALIDATION,
                     "1 validation error detected: Value '%s' at 'architectures' failed to "
                     "satisfy constraint: Member must satisfy constraint: [Member must satisfy "
                     "enum value set: [x86_64, arm64], Member must not be null]",
                     list);
    return 0;
}

/* the members shared by CreateFunction and UpdateFunctionConfiguration: 0 or 1 (replied) */
static int check_config(json_object *b, rs_lambda_resp_t *out)
{
    if (typed(b, "Role", json_type_string, out) || typed(b, "Runtime", json_type_string, out) ||
        typed(b, "Handler", json_type_string, out) ||
        typed(b, "Description", json_type_string, out) || typed(b, "Timeout", json_type_int, out) ||
        typed(b, "MemorySize", json_type_int, out) ||
        typed(b, "EphemeralStorage", json_type_object, out))
        return 1;
    json_object *v;
    if ((v = member(b, "Role")) && !role_ok(json_object_get_string(v)))
        return failf(out, RS_LE_VALIDATION,
                     "1 validation error detected: Value '%.300s' at 'role' failed to satisfy "
                     "constraint: Member must satisfy regular expression pattern: " ROLE_PATTERN,
                     json_object_get_string(v));
    if ((v = member(b, "Runtime")) && check_runtime(json_object_get_string(v), out))
        return 1;
    if ((v = member(b, "Handler"))) {
        const char *h = json_object_get_string(v);
        if (strlen(h) > 128)
            return failf(out, RS_LE_VALIDATION,
                         "1 validation error detected: Value '%.200s' at 'handler' failed to "
                         "satisfy constraint: Member must have length less than or equal to 128",
                         h);
        int ok = h[0] != '\0';
        for (const char *p = h; ok && *p; p++)
            ok = !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v');
        if (!ok)
            return failf(out, RS_LE_VALIDATION,
                         "1 validation error detected: Value '%.200s' at 'handler' failed to "
                         "satisfy constraint: Member must satisfy regular expression pattern: "
                         "[^\\s]+",
                         h);
    }
    if ((v = member(b, "Description")) && strlen(json_object_get_string(v)) > 256)
        return fail(out, RS_LE_VALIDATION,
                    "1 validation error detected: Value at 'description' failed to satisfy "
                    "constraint: Member must have length less than or equal to 256");
    if ((v = member(b, "Timeout"))) {
        int64_t t = json_object_get_int64(v);
        if (t > 900 || t < 1)
            return failf(out, RS_LE_VALIDATION,
                         "1 validation error detected: Value '%lld' at 'timeout' failed to "
                         "satisfy constraint: Member must have value %s",
                         (long long)t,
                         t > 900 ? "less than or equal to 900" : "greater than or equal to 1");
    }
    if ((v = member(b, "MemorySize"))) {
        int64_t m = json_object_get_int64(v);
        if (m > 10240)
            return fail(out, RS_LE_VALIDATION,
                        "'MemorySize' value failed to satisfy constraint: Member must have value "
                        "less than or equal to 10240");
        if (m < 128)
            return fail(out, RS_LE_VALIDATION,
                        "'MemorySize' value failed to satisfy constraint: Member must have value "
                        "greater than or equal to 128");
    }
    if ((v = member(b, "Environment")) && check_env(v, out))
        return 1;
    if ((v = member(b, "EphemeralStorage"))) {
        json_object *s = member(v, "Size");
        int64_t n = s && json_object_is_type(s, json_type_int) ? json_object_get_int64(s) : -1;
        if (n < 512 || n > 10240)
            return failf(out, RS_LE_VALIDATION,
                         "1 validation error detected: Value '%lld' at 'ephemeralStorage.size' "
                         "failed to satisfy constraint: Member must have value %s",
                         (long long)n,
                         n > 10240 ? "less than or equal to 10240"
                                   : "greater than or equal to 512");
    }
    return 0;
}

/* copy the configuration members of a request body into the stored configuration */
static void apply_config(json_object *cfg, json_object *b, const char *name)
{
    static const char *const plain[] = {
        "Role",    "Runtime",    "Handler",          "Description",
        "Timeout", "MemorySize", "EphemeralStorage", "TracingConfig"};
    for (size_t i = 0; i < N(plain); i++) {
        json_object *v = member(b, plain[i]);
        if (v)
            json_object_object_add(cfg, plain[i], json_object_get(v));
    }
    json_object *env = member(b, "Environment");
    if (env) {
        json_object *vars = member(env, "Variables");
        if (vars && json_object_object_length(vars) > 0) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "Variables", json_object_get(vars));
            json_object_object_add(cfg, "Environment", e);
        } else {
            json_object_object_del(cfg, "Environment");
        }
    }
    json_object *lc = member(b, "LoggingConfig");
    if (lc && json_object_is_type(lc, json_type_object)) {
        json_object *o = json_object_new_object(), *f = member(lc, "LogFormat"),
                    *g = member(lc, "LogGroup");
        char grp[128];
        snprintf(grp, sizeof(grp), "/aws/lambda/%s", name);
        json_object_object_add(o, "LogFormat",
                               f ? json_object_get(f) : json_object_new_string("Text"));
        json_object_object_add(o, "LogGroup", g ? json_object_get(g) : json_object_new_string(grp));
        json_object_object_add(cfg, "LoggingConfig", o);
    }
    char lm[40], rev[37];
    last_modified(lm);
    rs_lambda_uuid(rev);
    json_object_object_add(cfg, "LastModified", json_object_new_string(lm));
    json_object_object_add(cfg, "RevisionId", json_object_new_string(rev));
}

static json_object *obj2(const char *k1, json_object *v1, const char *k2, json_object *v2)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, k1, v1);
    if (k2)
        json_object_object_add(o, k2, v2);
    return o;
}

/* ---- code upload ------------------------------------------------------------------------ */

typedef struct upload {
    char dir[1200];
    char sha[45];
    uint64_t size;
} upload_t;

/* the upload itself, next to its directory (<dir>.zip): Code.Location serves it */
static int keep_zip(const char *dir, const uint8_t *zip, size_t len)
{
    char path[1300];
    snprintf(path, sizeof(path), "%s.zip", dir);
    FILE *f = fopen(path, "wbe");
    if (!f)
        return RS_ERR;
    size_t w = fwrite(zip, 1, len, f);
    int rc = fclose(f);
    return w == len && rc == 0 ? 0 : RS_ERR;
}

/* ZipFile (base64) -> a fresh extracted code directory; 0 or 1 (replied) */
static int take_zip(rs_lambda_req_t *rq, json_object *zipfile, upload_t *up, rs_lambda_resp_t *out)
{
    rs_lambda_api_t *api = rq->api;
    if (!json_object_is_type(zipfile, json_type_string))
        return fail(out, RS_LE_INVALID_REQUEST_CONTENT,
                    "Could not parse request body into json: ZipFile must be a base64 string");
    const char *b64 = json_object_get_string(zipfile);
    size_t blen = (size_t)json_object_get_string_len(zipfile);
    if (blen / 4 * 3 > api->zip_max + 3)
        return failf(out, RS_LE_ENTITY_TOO_LARGE, "Zipped size must be smaller than %llu bytes",
                     (unsigned long long)api->zip_max);
    uint8_t *zip = NULL;
    size_t zlen = 0;
    int rc = rs_lambda_b64_decode(b64, blen, &zip, &zlen);
    if (rc == RS_ENOMEM)
        return fail(out, RS_LE_SERVICE, "out of memory");
    if (rc != 0)
        return fail(out, RS_LE_INVALID_PARAMETER, RS_LAMBDA_MSG_BADZIP);
    if (zlen > api->zip_max) {
        free(zip);
        return failf(out, RS_LE_ENTITY_TOO_LARGE, "Zipped size must be smaller than %llu bytes",
                     (unsigned long long)api->zip_max);
    }
    rs_lambda_reg_new_code_dir(api->reg, up->dir, sizeof(up->dir));
    rs_lambda_sha256_b64(zip, zlen, up->sha);
    up->size = zlen;
    rc = rs_lambda_code_extract(zip, zlen, up->dir, api->unzipped_max, NULL);
    if (rc == 0)
        rc = keep_zip(up->dir, zip, zlen);
    int e = errno;
    free(zip);
    if (rc == RS_ERR)
        rs_lambda_code_discard(up->dir);
    if (rc == RS_EINVAL)
        return fail(out, RS_LE_INVALID_PARAMETER, RS_LAMBDA_MSG_BADZIP);
    if (rc == RS_ETOOBIG)
        return failf(out, RS_LE_INVALID_PARAMETER, "Unzipped size must be smaller than %llu bytes",
                     (unsigned long long)api->unzipped_max);
    if (rc != 0) {
        rs_log(RS_LOG_ERR, rq->request_id, "lambda: cannot store code in %s: %s", up->dir,
               strerror(e));
        return failf(out, RS_LE_SERVICE, "RustStack could not store the function code: %s",
                     strerror(e));
    }
    return 0;
}

/* the Code member must carry ZipFile (the worker turned S3 code into ZipFile) */
static int code_source(json_object *code, json_object **zip, rs_lambda_resp_t *out)
{
    if (member(code, "ImageUri"))
        return fail(out, RS_LE_INVALID_PARAMETER,
                    "RustStack runs Zip functions only: container image functions (ImageUri, "
                    "PackageType Image) are not supported");
    *zip = member(code, "ZipFile");
    if (!*zip) {
        if (member(code, "S3Bucket") || member(code, "S3Key"))
            return fail(out, RS_LE_INVALID_PARAMETER,
                        "Both S3Bucket and S3Key are required to fetch code from S3");
        return fail(out, RS_LE_INVALID_PARAMETER, "Please provide a source for function code.");
    }
    return 0;
}

/* ---- the operations ------------------------------------------------------------------- */

static int not_latest(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    char suffix[140];
    snprintf(suffix, sizeof(suffix), ":%s", rq->qualifier);
    rs_lambda_reply_not_found(out, rq, suffix);
    return 0;
}

int rs_lambda_op_create(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    if (rq->len > RS_LAMBDA_CREATE_REQUEST_MAX)
        return REPLY0(failf(out, RS_LE_ENTITY_TOO_LARGE,
                            "Request must be smaller than %u bytes for the CreateFunction "
                            "operation",
                            RS_LAMBDA_CREATE_REQUEST_MAX));
    json_object *b = body_object(rq, out), *v, *zip = NULL;
    if (!b)
        return 0;
    upload_t up = {.dir = ""};
    json_object *fname = member(b, "FunctionName");
    if (!fname || !json_object_is_type(fname, json_type_string)) {
        fail(out, RS_LE_VALIDATION,
             "1 validation error detected: Value null at 'functionName' failed to satisfy "
             "constraint: Member must not be null");
        goto done;
    }
    if (rs_lambda_parse_name(rq, json_object_get_string(fname), out) != 0)
        goto done;
    if (rq->qualifier[0] || strchr(rq->name, '.') != NULL) {
        rs_lambda_reply_errorf(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%s' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_]+)",
            json_object_get_string(fname));
        goto done;
    }
    if (!member(b, "Role")) {
        fail(out, RS_LE_VALIDATION,
             "1 validation error detected: Value null at 'role' failed to satisfy constraint: "
             "Member must not be null");
        goto done;
    }
    if ((v = member(b, "PackageType")) && strcmp(json_object_get_string(v), "Zip") != 0) {
        fail(out, RS_LE_INVALID_PARAMETER,
             "RustStack runs Zip functions only: container image functions (ImageUri, "
             "PackageType Image) are not supported");
        goto done;
    }
    if (check_config(b, out))
        goto done;
    if (!member(b, "Runtime") || !member(b, "Handler")) {
        fail(out, RS_LE_INVALID_PARAMETER,
             "Runtime and Handler are mandatory parameters for functions created with "
             "deployment packages.");
        goto done;
    }
    if ((v = member(b, "Architectures")) && check_archs(v, out))
        goto done;
    json_object *code = member(b, "Code");
    if (!code || !json_object_is_type(code, json_type_object)) {
        fail(out, RS_LE_VALIDATION,
             "1 validation error detected: Value null at 'code' failed to satisfy constraint: "
             "Member must not be null");
        goto done;
    }
    if (code_source(code, &zip, out))
        goto done;
    if (rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, NULL, NULL) == 0) {
        rs_lambda_reply_errorf(out, RS_LE_RESOURCE_CONFLICT, "Function already exist: %s",
                               rq->name);
        goto done;
    }
    if (take_zip(rq, zip, &up, out))
        goto done;
    /* the stored configuration */
    json_object *cfg = json_object_new_object();
    char arn[256], grp[100], rtv[200];
    snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:%s:function:%s", rq->region, rq->account,
             rq->name);
    snprintf(grp, sizeof(grp), "/aws/lambda/%s", rq->name);
    json_object_object_add(cfg, "FunctionName", json_object_new_string(rq->name));
    json_object_object_add(cfg, "FunctionArn", json_object_new_string(arn));
    json_object_object_add(cfg, "Runtime", json_object_get(member(b, "Runtime")));
    json_object_object_add(cfg, "Role", json_object_get(member(b, "Role")));
    json_object_object_add(cfg, "Handler", json_object_get(member(b, "Handler")));
    json_object_object_add(cfg, "CodeSize", json_object_new_int64((int64_t)up.size));
    json_object_object_add(cfg, "Description", json_object_new_string(""));
    json_object_object_add(cfg, "Timeout", json_object_new_int(3));
    json_object_object_add(cfg, "MemorySize", json_object_new_int(128));
    json_object_object_add(cfg, "CodeSha256", json_object_new_string(up.sha));
    json_object_object_add(cfg, "Version", json_object_new_string("$LATEST"));
    json_object_object_add(cfg, "TracingConfig",
                           obj2("Mode", json_object_new_string("PassThrough"), NULL, NULL));
    json_object_object_add(cfg, "PackageType", json_object_new_string("Zip"));
    v = member(b, "Architectures");
    json_object *archs = json_object_new_array();
    json_object_array_add(
        archs, json_object_new_string(v ? json_object_get_string(json_object_array_get_idx(v, 0))
                                        : "x86_64"));
    json_object_object_add(cfg, "Architectures", archs);
    json_object_object_add(cfg, "EphemeralStorage",
                           obj2("Size", json_object_new_int(512), NULL, NULL));
    json_object_object_add(cfg, "SnapStart",
                           obj2("ApplyOn", json_object_new_string("None"), "OptimizationStatus",
                                json_object_new_string("Off")));
    json_object_object_add(
        cfg, "LoggingConfig",
        obj2("LogFormat", json_object_new_string("Text"), "LogGroup", json_object_new_string(grp)));
    {
        uint8_t md[SHA256_DIGEST_LENGTH];
        char hex[2 * SHA256_DIGEST_LENGTH + 1];
        const char *rt = json_object_get_string(member(b, "Runtime"));
        SHA256((const uint8_t *)rt, strlen(rt), md);
        rs_hex_encode(md, sizeof(md), hex);
        snprintf(rtv, sizeof(rtv), "arn:aws:lambda:%s::runtime:%s", rq->region, hex);
        json_object_object_add(cfg, "RuntimeVersionConfig",
                               obj2("RuntimeVersionArn", json_object_new_string(rtv), NULL, NULL));
    }
    apply_config(cfg, b, rq->name);
    if ((v = member(b, "Tags")) && json_object_is_type(v, json_type_object))
        json_object_object_add(cfg, "_Tags", json_object_get(v));
    json_object *view = rs_lambda_cfg_view(cfg, RS_LCFG_CREATE, NULL);
    int rc = rs_lambda_reg_create(rq->api->reg, rq->account, rq->region, rq->name, cfg, up.dir);
    if (rc == 0) {
        up.dir[0] = '\0'; /* the registry owns it */
        rs_log(RS_LOG_INFO, rq->request_id, "lambda: created function %s", arn);
        rs_lambda_reply_json(out, 201, view);
        view = NULL;
    } else if (rc == RS_EEXIST) {
        rs_lambda_reply_errorf(out, RS_LE_RESOURCE_CONFLICT, "Function already exist: %s",
                               rq->name);
    } else {
        rs_lambda_reply_errorf(out, RS_LE_SERVICE, "RustStack could not record the function: %s",
                               rc == RS_ERR ? strerror(errno) : rs_err_str(rc));
    }
    json_object_put(view);
done:
    if (up.dir[0])
        rs_lambda_code_discard(up.dir);
    json_object_put(b);
    return 0;
}

static int get_common(rs_lambda_req_t *rq, rs_lambda_resp_t *out, json_object **cfg)
{
    int rc = rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, cfg, NULL);
    if (rc == RS_ENOMEM) {
        fail(out, RS_LE_SERVICE, "out of memory");
        return 1;
    }
    if (rc != 0 || (rq->qualifier[0] && strcmp(rq->qualifier, "$LATEST") != 0)) {
        json_object_put(rc == 0 ? *cfg : NULL);
        if (rq->qualifier[0])
            not_latest(rq, out);
        else
            rs_lambda_reply_not_found(out, rq, NULL);
        return 1;
    }
    return 0;
}

static void code_location(const rs_lambda_req_t *rq, char *out, size_t len)
{
    const rs_conf_t *c = rq->api->conf;
    const char *host = "127.0.0.1";
    if (c && c->bind[0] && strcmp(c->bind, "0.0.0.0") != 0 && strcmp(c->bind, "::") != 0 &&
        strchr(c->bind, ':') == NULL)
        host = c->bind;
    snprintf(out, len, "http://%s:%u" RS_LAMBDA_CODE_PATH "%s/%s/%s.zip", host,
             c ? (unsigned)c->port : 4566u, rq->account, rq->region, rq->name);
}

int rs_lambda_op_get(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    json_object *cfg;
    if (get_common(rq, out, &cfg))
        return 0;
    char loc[600];
    code_location(rq, loc, sizeof(loc));
    json_object *r = json_object_new_object(), *tags;
    json_object_object_add(r, "Configuration", rs_lambda_cfg_view(cfg, RS_LCFG_GET, rq->qualifier));
    json_object_object_add(r, "Code",
                           obj2("RepositoryType", json_object_new_string("S3"), "Location",
                                json_object_new_string(loc)));
    if (json_object_object_get_ex(cfg, "_Tags", &tags) && json_object_object_length(tags) > 0)
        json_object_object_add(r, "Tags", json_object_get(tags));
    json_object_put(cfg);
    return rs_lambda_reply_json(out, 200, r);
}

int rs_lambda_op_get_config(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    json_object *cfg;
    if (get_common(rq, out, &cfg))
        return 0;
    json_object *v = rs_lambda_cfg_view(cfg, RS_LCFG_GET, rq->qualifier);
    json_object_put(cfg);
    return rs_lambda_reply_json(out, 200, v);
}

int rs_lambda_op_list(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    if (rq->has_function_version && strcmp(rq->function_version, "ALL") != 0)
        return REPLY0(rs_lambda_reply_errorf(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%.64s' at 'functionVersion' failed to "
            "satisfy constraint: Member must satisfy enum value set: [ALL]",
            rq->function_version));
    long max = LIST_PAGE_MAX;
    if (rq->max_items[0]) {
        char *end;
        errno = 0;
        max = strtol(rq->max_items, &end, 10);
        if (*end || errno || max < 1 || max > 10000)
            return REPLY0(rs_lambda_reply_errorf(
                out, RS_LE_VALIDATION,
                "1 validation error detected: Value '%s' at 'maxItems' failed to "
                "satisfy constraint: Member must have value %s",
                rq->max_items,
                max > 10000 ? "less than or equal to 10000" : "greater than or equal to 1"));
        if (max > LIST_PAGE_MAX)
            max = LIST_PAGE_MAX;
    }
    json_object *arr = json_object_new_array(), *fns = json_object_new_array();
    int more = 0;
    if (rs_lambda_reg_list(rq->api->reg, rq->account, rq->region, rq->marker, (size_t)max, arr,
                           &more) != 0) {
        json_object_put(arr);
        json_object_put(fns);
        return REPLY0(fail(out, RS_LE_SERVICE, "out of memory"));
    }
    const char *last = NULL;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *c = json_object_array_get_idx(arr, i);
        json_object_array_add(
            fns, rs_lambda_cfg_view(c, RS_LCFG_LIST, rq->has_function_version ? "$LATEST" : NULL));
        last = json_object_get_string(json_object_object_get(c, "FunctionName"));
    }
    json_object *r = json_object_new_object();
    json_object_object_add(r, "Functions", fns);
    if (more && last)
        json_object_object_add(r, "NextMarker", json_object_new_string(last));
    json_object_put(arr);
    return rs_lambda_reply_json(out, 200, r);
}

int rs_lambda_op_delete(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    if (strcmp(rq->qualifier, "$LATEST") == 0)
        return REPLY0(fail(out, RS_LE_INVALID_PARAMETER,
                           "$LATEST version cannot be deleted without deleting the function."));
    if (rq->qualifier[0]) {
        if (rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, NULL, NULL) != 0)
            return rs_lambda_reply_not_found(out, rq, NULL);
        return not_latest(rq, out);
    }
    int rc = rs_lambda_reg_delete(rq->api->reg, rq->account, rq->region, rq->name);
    if (rc == RS_ENOENT)
        return rs_lambda_reply_not_found(out, rq, NULL);
    if (rc != 0)
        return REPLY0(failf(out, RS_LE_SERVICE, "RustStack could not record the deletion: %s",
                            strerror(errno)));
    if (rq->api->pool)
        rs_lambda_pool_retire(rq->api->pool, rq->account, rq->region, rq->name);
    rs_log(RS_LOG_INFO, rq->request_id, "lambda: deleted function %s", rq->named_arn);
    out->status = 204;
    return 0;
}

/* ---- updates -------------------------------------------------------------------------- */

typedef struct edit {
    json_object *body;
    const char *name;
    const upload_t *up; /* new code, or NULL */
} edit_t;

static int revision_matches(json_object *cfg, json_object *b)
{
    json_object *want = member(b, "RevisionId"), *have;
    if (!want)
        return 1;
    return json_object_object_get_ex(cfg, "RevisionId", &have) &&
           strcmp(json_object_get_string(want), json_object_get_string(have)) == 0;
}

static int edit_config(json_object *cfg, void *arg)
{
    edit_t *e = arg;
    if (!revision_matches(cfg, e->body))
        return RS_EPRECOND;
    apply_config(cfg, e->body, e->name);
    return 0;
}

static int edit_code(json_object *cfg, void *arg)
{
    edit_t *e = arg;
    if (!revision_matches(cfg, e->body))
        return RS_EPRECOND;
    json_object_object_add(cfg, "CodeSha256", json_object_new_string(e->up->sha));
    json_object_object_add(cfg, "CodeSize", json_object_new_int64((int64_t)e->up->size));
    json_object *a = member(e->body, "Architectures");
    if (a)
        json_object_object_add(cfg, "Architectures", json_object_get(a));
    char lm[40], rev[37];
    last_modified(lm);
    rs_lambda_uuid(rev);
    json_object_object_add(cfg, "LastModified", json_object_new_string(lm));
    json_object_object_add(cfg, "RevisionId", json_object_new_string(rev));
    return 0;
}

static int update_result(rs_lambda_req_t *rq, rs_lambda_resp_t *out, int rc, json_object *cfg)
{
    if (rc == RS_ENOENT)
        return rs_lambda_reply_not_found(out, rq, NULL);
    if (rc == RS_EPRECOND)
        return REPLY0(
            fail(out, RS_LE_PRECONDITION_FAILED,
                 "The Revision Id provided does not match the latest Revision Id. Call the "
                 "GetFunction/GetAlias API to retrieve the latest Revision Id"));
    if (rc != 0 || !cfg)
        return REPLY0(failf(out, RS_LE_SERVICE, "RustStack could not record the update: %s",
                            rc == RS_ERR ? strerror(errno) : rs_err_str(rc)));
    if (rq->api->pool)
        rs_lambda_pool_retire(rq->api->pool, rq->account, rq->region, rq->name);
    json_object *v = rs_lambda_cfg_view(cfg, RS_LCFG_UPDATE, NULL);
    json_object_put(cfg);
    return rs_lambda_reply_json(out, 200, v);
}

static int update_preamble(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    if (rq->qualifier[0] && strcmp(rq->qualifier, "$LATEST") != 0) {
        not_latest(rq, out);
        return 1;
    }
    if (rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, NULL, NULL) != 0) {
        rs_lambda_reply_not_found(out, rq, NULL);
        return 1;
    }
    return 0;
}

int rs_lambda_op_update_config(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    json_object *b = body_object(rq, out);
    if (!b)
        return 0;
    if (typed(b, "RevisionId", json_type_string, out) || update_preamble(rq, out) ||
        check_config(b, out)) {
        json_object_put(b);
        return 0;
    }
    edit_t e = {b, rq->name, NULL};
    json_object *cfg = NULL;
    int rc = rs_lambda_reg_update(rq->api->reg, rq->account, rq->region, rq->name, edit_config, &e,
                                  NULL, &cfg);
    json_object_put(b);
    return update_result(rq, out, rc, cfg);
}

int rs_lambda_op_update_code(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    json_object *b = body_object(rq, out), *zip = NULL, *v;
    if (!b)
        return 0;
    upload_t up = {.dir = ""};
    if (typed(b, "RevisionId", json_type_string, out) || update_preamble(rq, out) ||
        ((v = member(b, "Architectures")) && check_archs(v, out)) || code_source(b, &zip, out) ||
        take_zip(rq, zip, &up, out)) {
        json_object_put(b);
        return 0;
    }
    json_object *dry = member(b, "DryRun");
    if (dry && json_object_get_boolean(dry)) {
        /* validated and unpacked: show what the update would give, change nothing */
        rs_lambda_code_discard(up.dir);
        json_object *cfg = NULL;
        int rc = rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, &cfg, NULL);
        if (rc == 0 && !revision_matches(cfg, b))
            rc = RS_EPRECOND;
        if (rc == 0)
            rc = edit_code(cfg, &(edit_t){b, rq->name, &up});
        json_object_put(b);
        if (rc != 0) {
            json_object_put(cfg);
            return update_result(rq, out, rc, NULL);
        }
        json_object *view = rs_lambda_cfg_view(cfg, RS_LCFG_GET, NULL);
        json_object_put(cfg);
        return rs_lambda_reply_json(out, 200, view);
    }
    edit_t e = {b, rq->name, &up};
    json_object *cfg = NULL;
    int rc = rs_lambda_reg_update(rq->api->reg, rq->account, rq->region, rq->name, edit_code, &e,
                                  up.dir, &cfg);
    if (rc != 0)
        rs_lambda_code_discard(up.dir);
    json_object_put(b);
    return update_result(rq, out, rc, cfg);
}

/* GET /_ruststack/lambda/code/<account>/<region>/<name>.zip: the current code of a
 * function (GetFunction's Code.Location) */
int rs_lambda_op_code_download(rs_lambda_req_t *rq, const char *rest, rs_lambda_resp_t *out)
{
    char acct[16], region[40], name[65];
    const char *a = rest, *b = strchr(a, '/'), *c = b ? strchr(b + 1, '/') : NULL;
    size_t nl = c ? strlen(c + 1) : 0;
    if (!b || !c || (size_t)(b - a) >= sizeof(acct) || (size_t)(c - b - 1) >= sizeof(region) ||
        nl <= 4 || nl - 4 >= sizeof(name) || strcmp(c + 1 + nl - 4, ".zip") != 0)
        return REPLY0(fail(out, RS_LE_RESOURCE_NOT_FOUND, "No such function code."));
    snprintf(acct, sizeof(acct), "%.*s", (int)(b - a), a);
    snprintf(region, sizeof(region), "%.*s", (int)(c - b - 1), b + 1);
    snprintf(name, sizeof(name), "%.*s", (int)(nl - 4), c + 1);
    rq->account = acct;
    rq->region = region;
    snprintf(rq->name, sizeof(rq->name), "%s", name);
    rs_lambda_fn_t *fn = NULL;
    if (rs_lambda_reg_get(rq->api->reg, acct, region, name, NULL, &fn) != 0)
        return rs_lambda_reply_not_found(out, rq, NULL);
    char path[1100];
    snprintf(path, sizeof(path), "%s.zip", fn->code_dir);
    rs_lambda_fn_unref(fn);
    FILE *f = fopen(path, "rbe");
    long size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (!f || size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        return REPLY0(fail(out, RS_LE_RESOURCE_NOT_FOUND, "No such function code."));
    }
    if ((uint64_t)size > RS_IPC_MAX_BODY_LAMBDA) {
        fclose(f);
        return REPLY0(fail(out, RS_LE_SERVICE,
                           "The code is larger than RustStack can return through GetFunction's "
                           "Code.Location (32 MiB)"));
    }
    out->body = malloc((size_t)size + 1);
    if (!out->body || fread(out->body, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        return REPLY0(fail(out, RS_LE_SERVICE, "could not read the function code"));
    }
    fclose(f);
    out->body_len = (size_t)size;
    out->status = 200;
    json_object_object_add(out->headers, "Content-Type", json_object_new_string("application/zip"));
    return 0;
}
