/*
 * lambda_config.c: the stored FunctionConfiguration JSON of the Lambda control plane: a
 * new function's configuration (CreateFunction's defaults), the request's configuration
 * members applied to it (create and UpdateFunctionConfiguration), and the views the
 * operations answer with (Pending on create, Active on get, InProgress on update).
 * Runs in: the lambda supervisor (request threads).
 */
#include "config.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lambda/lambda_api.h"
#include "lambda/lambda_code.h"
#include "rs/codec.h"
#include "rs/os.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

void rs_lambda_last_modified(char out[40])
{
    int64_t ms = rs_wall_ms();
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char d[32];
    strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%.19s.%03d+0000", d, (int)(ms % 1000));
}

/* copy the configuration members of a request body into the stored configuration */
void rs_lambda_cfg_apply(json_object *cfg, json_object *b, const char *name)
{
    static const char *const plain[] = {
        "Role",    "Runtime",    "Handler",          "Description",
        "Timeout", "MemorySize", "EphemeralStorage", "TracingConfig"};
    for (size_t i = 0; i < N(plain); i++) {
        json_object *v = rs_lambda_member(b, plain[i]);
        if (v)
            json_object_object_add(cfg, plain[i], json_object_get(v));
    }
    json_object *env = rs_lambda_member(b, "Environment");
    if (env) {
        json_object *vars = rs_lambda_member(env, "Variables");
        if (vars && json_object_object_length(vars) > 0) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "Variables", json_object_get(vars));
            json_object_object_add(cfg, "Environment", e);
        } else {
            json_object_object_del(cfg, "Environment");
        }
    }
    json_object *lc = rs_lambda_member(b, "LoggingConfig");
    if (lc && json_object_is_type(lc, json_type_object)) {
        json_object *o = json_object_new_object(), *f = rs_lambda_member(lc, "LogFormat"),
                    *g = rs_lambda_member(lc, "LogGroup");
        char grp[128];
        snprintf(grp, sizeof(grp), "/aws/lambda/%s", name);
        json_object_object_add(o, "LogFormat",
                               f ? json_object_get(f) : json_object_new_string("Text"));
        json_object_object_add(o, "LogGroup", g ? json_object_get(g) : json_object_new_string(grp));
        json_object_object_add(cfg, "LoggingConfig", o);
    }
    char lm[40], rev[37];
    rs_lambda_last_modified(lm);
    rs_lambda_uuid(rev);
    json_object_object_add(cfg, "LastModified", json_object_new_string(lm));
    json_object_object_add(cfg, "RevisionId", json_object_new_string(rev));
}

json_object *rs_lambda_obj2(const char *k1, json_object *v1, const char *k2, json_object *v2)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, k1, v1);
    if (k2)
        json_object_object_add(o, k2, v2);
    return o;
}

json_object *rs_lambda_cfg_new(const rs_lambda_req_t *rq, json_object *b,
                               const rs_lambda_upload_t *up)
{
    json_object *v;
    json_object *cfg = json_object_new_object();
    char arn[256], grp[100], rtv[200];
    snprintf(arn, sizeof(arn), "arn:aws:lambda:%s:%s:function:%s", rq->region, rq->account,
             rq->name);
    snprintf(grp, sizeof(grp), "/aws/lambda/%s", rq->name);
    json_object_object_add(cfg, "FunctionName", json_object_new_string(rq->name));
    json_object_object_add(cfg, "FunctionArn", json_object_new_string(arn));
    json_object_object_add(cfg, "Runtime", json_object_get(rs_lambda_member(b, "Runtime")));
    json_object_object_add(cfg, "Role", json_object_get(rs_lambda_member(b, "Role")));
    json_object_object_add(cfg, "Handler", json_object_get(rs_lambda_member(b, "Handler")));
    json_object_object_add(cfg, "CodeSize", json_object_new_int64((int64_t)up->size));
    json_object_object_add(cfg, "Description", json_object_new_string(""));
    json_object_object_add(cfg, "Timeout", json_object_new_int(3));
    json_object_object_add(cfg, "MemorySize", json_object_new_int(128));
    json_object_object_add(cfg, "CodeSha256", json_object_new_string(up->sha));
    if (up->hot) /* GetFunction's Code.Location (hidden from the configuration views) */
        json_object_object_add(cfg, "_HotReloadDir", json_object_new_string(up->dir));
    json_object_object_add(cfg, "Version", json_object_new_string("$LATEST"));
    json_object_object_add(
        cfg, "TracingConfig",
        rs_lambda_obj2("Mode", json_object_new_string("PassThrough"), NULL, NULL));
    json_object_object_add(cfg, "PackageType", json_object_new_string("Zip"));
    v = rs_lambda_member(b, "Architectures");
    json_object *archs = json_object_new_array();
    json_object_array_add(
        archs, json_object_new_string(v ? json_object_get_string(json_object_array_get_idx(v, 0))
                                        : "x86_64"));
    json_object_object_add(cfg, "Architectures", archs);
    json_object_object_add(cfg, "EphemeralStorage",
                           rs_lambda_obj2("Size", json_object_new_int(512), NULL, NULL));
    json_object_object_add(cfg, "SnapStart",
                           rs_lambda_obj2("ApplyOn", json_object_new_string("None"),
                                          "OptimizationStatus", json_object_new_string("Off")));
    json_object_object_add(cfg, "LoggingConfig",
                           rs_lambda_obj2("LogFormat", json_object_new_string("Text"), "LogGroup",
                                          json_object_new_string(grp)));
    {
        uint8_t md[SHA256_DIGEST_LENGTH];
        char hex[2 * SHA256_DIGEST_LENGTH + 1];
        const char *rt = json_object_get_string(rs_lambda_member(b, "Runtime"));
        SHA256((const uint8_t *)rt, strlen(rt), md);
        rs_hex_encode(md, sizeof(md), hex);
        snprintf(rtv, sizeof(rtv), "arn:aws:lambda:%s::runtime:%s", rq->region, hex);
        json_object_object_add(
            cfg, "RuntimeVersionConfig",
            rs_lambda_obj2("RuntimeVersionArn", json_object_new_string(rtv), NULL, NULL));
    }
    rs_lambda_cfg_apply(cfg, b, rq->name);
    if ((v = rs_lambda_member(b, "Tags")) && json_object_is_type(v, json_type_object))
        json_object_object_add(cfg, "_Tags", json_object_get(v));
    return cfg;
}

json_object *rs_lambda_cfg_view(json_object *stored, int view, const char *qualifier)
{
    json_object *c = json_object_new_object();
    if (!c)
        return NULL;
    json_object_object_foreach(stored, k, v)
    {
        if (k[0] == '_')
            continue; /* private members (tags) */
        if (view == RS_LCFG_LIST && strcmp(k, "RuntimeVersionConfig") == 0)
            continue;
        json_object_object_add(c, k, json_object_get(v));
    }
    if (qualifier && *qualifier) {
        json_object *arn;
        if (json_object_object_get_ex(stored, "FunctionArn", &arn)) {
            char q[512];
            snprintf(q, sizeof(q), "%s:%s", json_object_get_string(arn), qualifier);
            json_object_object_add(c, "FunctionArn", json_object_new_string(q));
        }
    }
    switch (view) {
    case RS_LCFG_CREATE:
        json_object_object_add(c, "State", json_object_new_string("Pending"));
        json_object_object_add(c, "StateReason",
                               json_object_new_string("The function is being created."));
        json_object_object_add(c, "StateReasonCode", json_object_new_string("Creating"));
        break;
    case RS_LCFG_GET:
        json_object_object_add(c, "State", json_object_new_string("Active"));
        json_object_object_add(c, "LastUpdateStatus", json_object_new_string("Successful"));
        break;
    case RS_LCFG_UPDATE:
        json_object_object_add(c, "State", json_object_new_string("Active"));
        json_object_object_add(c, "LastUpdateStatus", json_object_new_string("InProgress"));
        json_object_object_add(c, "LastUpdateStatusReason",
                               json_object_new_string("The function is being created."));
        json_object_object_add(c, "LastUpdateStatusReasonCode", json_object_new_string("Creating"));
        break;
    default:
        break;
    }
    return c;
}
