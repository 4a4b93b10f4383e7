/*
 * lambda_validate.c: the request validation rules of the Lambda control plane: the body as
 * a JSON object, member types, the configuration members shared by CreateFunction and
 * UpdateFunctionConfiguration (role, runtime, handler, timeout, memory, environment,
 * architectures, ephemeral storage), CreateFunction's own rules and the code source, with
 * AWS's error codes and messages (lambda.md 2.1-2.9).
 * Runs in: the lambda supervisor (request threads).
 */
#include "config.h"

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/lambda_api.h"
#include "lambda/lambda_exec.h"
#include "lambda/lambda_hot.h"

#define ROLE_PATTERN "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"

static const char *const runtimes_ok[] = {"python3.9", "python3.10", "python3.11", "python3.12",
                                          "python3.13"};

/* container-image functions are not run here */
static const char ZIP_ONLY[] = "RustStack runs Zip functions only: container image functions "
                               "(ImageUri, PackageType Image) are not supported";
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

static int in_list(const char *s, const char *const *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, l[i]) == 0)
            return 1;
    return 0;
}

/* the body as a JSON object, or NULL with the error filled */
json_object *rs_lambda_body_object(const rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        rs_lambda_fail(out, RS_LE_SERVICE, "out of memory");
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

json_object *rs_lambda_member(json_object *o, const char *k)
{
    json_object *v;
    return o && json_object_object_get_ex(o, k, &v) && !json_object_is_type(v, json_type_null)
               ? v
               : NULL;
}

/* a member that must have a type: 0 fine or absent, 1 replied */
int rs_lambda_typed(json_object *o, const char *k, json_type t, rs_lambda_resp_t *out)
{
    json_object *v = rs_lambda_member(o, k);
    if (v && !json_object_is_type(v, t))
        return RS_LAMBDA_FAILF(
            out, RS_LE_INVALID_REQUEST_CONTENT,
            "Could not parse request body into json: member %s has the wrong type", k);
    return 0;
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
        return RS_LAMBDA_FAILF(
            out, RS_LE_INVALID_PARAMETER,
            "The runtime parameter of %s is no longer supported for creating or "
            "updating AWS Lambda functions. We recommend you use a supported runtime "
            "while creating or updating functions.",
            rt);
    if (in_list(rt, runtimes_aws, N(runtimes_aws)))
        return RS_LAMBDA_FAILF(
            out, RS_LE_INVALID_PARAMETER,
            "Runtime %s is not supported by RustStack: it runs Python functions only. "
            "Supported runtimes: python3.9, python3.10, python3.11, python3.12, "
            "python3.13",
            rt);
    return RS_LAMBDA_FAILF(
        out, RS_LE_INVALID_PARAMETER,
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
        return rs_lambda_fail(
            out, RS_LE_INVALID_REQUEST_CONTENT,
            "Could not parse request body into json: Environment must be an object");
    json_object *vars = rs_lambda_member(env, "Variables");
    if (!vars)
        return 0;
    if (!json_object_is_type(vars, json_type_object))
        return rs_lambda_fail(
            out, RS_LE_INVALID_REQUEST_CONTENT,
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
            return rs_lambda_fail(
                out, RS_LE_VALIDATION,
                "1 validation error detected: Value at 'environment.variables' failed "
                "to satisfy constraint: Map keys must satisfy constraint: [Member must "
                "satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
        if (!json_object_is_type(v, json_type_string))
            return rs_lambda_fail(
                out, RS_LE_INVALID_REQUEST_CONTENT,
                "Could not parse request body into json: environment variable values "
                "must be strings");
        if (rs_lambda_env_reserved(k, 1)) {
            size_t l = strlen(reserved);
            snprintf(reserved + l, sizeof(reserved) - l, "%s%s", l ? ", " : "", k);
        }
    }
    if (reserved[0])
        return RS_LAMBDA_FAILF(
            out, RS_LE_INVALID_PARAMETER,
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
            return rs_lambda_fail(out, RS_LE_SERVICE, "out of memory");
        rs_lambda_reply_error(out, RS_LE_INVALID_PARAMETER, msg, NULL);
        free(msg);
        return 1;
    }
    return 0;
}

int rs_lambda_check_archs(json_object *a, rs_lambda_resp_t *out)
{
    if (!json_object_is_type(a, json_type_array))
        return rs_lambda_fail(
            out, RS_LE_INVALID_REQUEST_CONTENT,
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
        return RS_LAMBDA_FAILF(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%s' at 'architectures' failed to "
            "satisfy constraint: Member must have length less than or equal to 1",
            list);
    if (n == 0)
        return RS_LAMBDA_FAILF(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%s' at 'architectures' failed to "
            "satisfy constraint: Member must have length greater than or equal to 1",
            list);
    const char *v = json_object_get_string(json_object_array_get_idx(a, 0));
    if (strcmp(v, "x86_64") != 0 && strcmp(v, "arm64") != 0)
        return RS_LAMBDA_FAILF(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%s' at 'architectures' failed to "
            "satisfy constraint: Member must satisfy constraint: [Member must satisfy "
            "enum value set: [x86_64, arm64], Member must not be null]",
            list);
    return 0;
}

/* the members shared by CreateFunction and UpdateFunctionConfiguration: 0 or 1 (replied) */
int rs_lambda_check_config(json_object *b, rs_lambda_resp_t *out)
{
    if (rs_lambda_typed(b, "Role", json_type_string, out) ||
        rs_lambda_typed(b, "Runtime", json_type_string, out) ||
        rs_lambda_typed(b, "Handler", json_type_string, out) ||
        rs_lambda_typed(b, "Description", json_type_string, out) ||
        rs_lambda_typed(b, "Timeout", json_type_int, out) ||
        rs_lambda_typed(b, "MemorySize", json_type_int, out) ||
        rs_lambda_typed(b, "EphemeralStorage", json_type_object, out))
        return 1;
    json_object *v;
    if ((v = rs_lambda_member(b, "Role")) && !role_ok(json_object_get_string(v)))
        return RS_LAMBDA_FAILF(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%.300s' at 'role' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: " ROLE_PATTERN,
            json_object_get_string(v));
    if ((v = rs_lambda_member(b, "Runtime")) && check_runtime(json_object_get_string(v), out))
        return 1;
    if ((v = rs_lambda_member(b, "Handler"))) {
        const char *h = json_object_get_string(v);
        if (strlen(h) > 128)
            return RS_LAMBDA_FAILF(
                out, RS_LE_VALIDATION,
                "1 validation error detected: Value '%.200s' at 'handler' failed to "
                "satisfy constraint: Member must have length less than or equal to 128",
                h);
        int ok = h[0] != '\0';
        for (const char *p = h; ok && *p; p++)
            ok = !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v');
        if (!ok)
            return RS_LAMBDA_FAILF(
                out, RS_LE_VALIDATION,
                "1 validation error detected: Value '%.200s' at 'handler' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "[^\\s]+",
                h);
    }
    if ((v = rs_lambda_member(b, "Description")) && strlen(json_object_get_string(v)) > 256)
        return rs_lambda_fail(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value at 'description' failed to satisfy "
            "constraint: Member must have length less than or equal to 256");
    if ((v = rs_lambda_member(b, "Timeout"))) {
        int64_t t = json_object_get_int64(v);
        if (t > 900 || t < 1)
            return RS_LAMBDA_FAILF(
                out, RS_LE_VALIDATION,
                "1 validation error detected: Value '%lld' at 'timeout' failed to "
                "satisfy constraint: Member must have value %s",
                (long long)t, t > 900 ? "less than or equal to 900" : "greater than or equal to 1");
    }
    if ((v = rs_lambda_member(b, "MemorySize"))) {
        int64_t m = json_object_get_int64(v);
        if (m > 10240)
            return rs_lambda_fail(
                out, RS_LE_VALIDATION,
                "'MemorySize' value failed to satisfy constraint: Member must have value "
                "less than or equal to 10240");
        if (m < 128)
            return rs_lambda_fail(
                out, RS_LE_VALIDATION,
                "'MemorySize' value failed to satisfy constraint: Member must have value "
                "greater than or equal to 128");
    }
    if ((v = rs_lambda_member(b, "Environment")) && check_env(v, out))
        return 1;
    if ((v = rs_lambda_member(b, "EphemeralStorage"))) {
        json_object *s = rs_lambda_member(v, "Size");
        int64_t n = s && json_object_is_type(s, json_type_int) ? json_object_get_int64(s) : -1;
        if (n < 512 || n > 10240)
            return RS_LAMBDA_FAILF(
                out, RS_LE_VALIDATION,
                "1 validation error detected: Value '%lld' at 'ephemeralStorage.size' "
                "failed to satisfy constraint: Member must have value %s",
                (long long)n,
                n > 10240 ? "less than or equal to 10240" : "greater than or equal to 512");
    }
    return 0;
}

/* S3Key when S3Bucket is "hot-reload" (both strings), else NULL */
const char *rs_lambda_hot_key(json_object *code)
{
    json_object *b = rs_lambda_member(code, "S3Bucket"), *k = rs_lambda_member(code, "S3Key");
    if (!b || !k || !json_object_is_type(b, json_type_string) ||
        !json_object_is_type(k, json_type_string) ||
        strcmp(json_object_get_string(b), RS_LAMBDA_HOT_BUCKET) != 0)
        return NULL;
    return json_object_get_string(k);
}

/* the Code member must carry ZipFile (the worker turned S3 code into ZipFile), or name a
 * hot-reload directory (*zip = NULL) */
int rs_lambda_code_source(json_object *code, json_object **zip, rs_lambda_resp_t *out)
{
    if (rs_lambda_member(code, "ImageUri"))
        return rs_lambda_fail(out, RS_LE_INVALID_PARAMETER, ZIP_ONLY);
    *zip = rs_lambda_member(code, "ZipFile");
    if (!*zip && rs_lambda_hot_key(code) != NULL)
        return 0; /* a hot-reload directory: rs_lambda_take_code checks it */
    if (!*zip) {
        if (rs_lambda_member(code, "S3Bucket") || rs_lambda_member(code, "S3Key"))
            return rs_lambda_fail(out, RS_LE_INVALID_PARAMETER,
                                  "Both S3Bucket and S3Key are required to fetch code from S3");
        return rs_lambda_fail(out, RS_LE_INVALID_PARAMETER,
                              "Please provide a source for function code.");
    }
    return 0;
}

/* CreateFunction's own rules, then the shared ones, then the code source and the name's
 * freedom: 0 with *zip the ZipFile member, or 1 (replied) */
int rs_lambda_check_create(rs_lambda_req_t *rq, json_object *b, json_object **zip,
                           rs_lambda_resp_t *out)
{
    json_object *v, *fname = rs_lambda_member(b, "FunctionName");
    if (!fname || !json_object_is_type(fname, json_type_string))
        return rs_lambda_fail(out, RS_LE_VALIDATION,
                              "1 validation error detected: Value null at 'functionName' failed to "
                              "satisfy constraint: Member must not be null");
    if (rs_lambda_parse_name(rq, json_object_get_string(fname), out) != 0)
        return 1;
    if (rq->qualifier[0] || strchr(rq->name, '.') != NULL)
        return RS_LAMBDA_FAILF(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%s' at 'functionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
            "(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)",
            json_object_get_string(fname));
    if (!rs_lambda_member(b, "Role"))
        return rs_lambda_fail(out, RS_LE_VALIDATION,
                              "1 validation error detected: Value null at 'role' failed to satisfy "
                              "constraint: Member must not be null");
    if ((v = rs_lambda_member(b, "PackageType")) && strcmp(json_object_get_string(v), "Zip") != 0)
        return rs_lambda_fail(out, RS_LE_INVALID_PARAMETER, ZIP_ONLY);
    if (rs_lambda_check_config(b, out))
        return 1;
    if (!rs_lambda_member(b, "Runtime") || !rs_lambda_member(b, "Handler"))
        return rs_lambda_fail(
            out, RS_LE_INVALID_PARAMETER,
            "Runtime and Handler are mandatory parameters for functions created with "
            "deployment packages.");
    if ((v = rs_lambda_member(b, "Architectures")) && rs_lambda_check_archs(v, out))
        return 1;
    json_object *code = rs_lambda_member(b, "Code");
    if (!code || !json_object_is_type(code, json_type_object))
        return rs_lambda_fail(out, RS_LE_VALIDATION,
                              "1 validation error detected: Value null at 'code' failed to satisfy "
                              "constraint: Member must not be null");
    if (rs_lambda_code_source(code, zip, out))
        return 1;
    if (rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, NULL, NULL) == 0)
        return RS_LAMBDA_FAILF(out, RS_LE_RESOURCE_CONFLICT, "Function already exist: %s",
                               rq->name);
    return 0;
}
