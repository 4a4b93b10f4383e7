/*
 * lambda_api_fn.c: the function operations of the Lambda control plane: CreateFunction,
 * GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionCode,
 * UpdateFunctionConfiguration, DeleteFunction: validate (lambda_validate.c), take the
 * code (lambda_api_code.c), write the registry, answer (views: lambda_config.c).
 * Runs in: the lambda supervisor (request threads).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/lambda_api.h"
#include "lambda/lambda_code.h"
#include "lambda/lambda_exec.h"
#include "lambda/lambda_url.h"
#include "rs/err.h"
#include "rs/log.h"

#define LIST_PAGE_MAX 50

/* ---- the operations ------------------------------------------------------------------- */

static int not_latest(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    char suffix[140];
    snprintf(suffix, sizeof(suffix), ":%s", rq->qualifier);
    rs_lambda_reply_not_found(out, rq, suffix);
    return 0;
}

/* a per-account quota of the registry (RS_EQUOTA functions, RS_ENOSPC code bytes): AWS's
 * answer at its code storage limit, naming the setting */
static int quota_reply(rs_lambda_req_t *rq, rs_lambda_resp_t *out, int rc)
{
    const rs_conf_t *c = rq->api->conf;
    if (rc == RS_EQUOTA)
        rs_lambda_reply_errorf(out, RS_LE_CODE_STORAGE,
                               "Function count limit exceeded: this endpoint allows %u functions "
                               "per account and region (the quota_lambda_functions setting)",
                               c ? c->quota_lambda_functions : 0);
    else
        rs_lambda_reply_errorf(out, RS_LE_CODE_STORAGE,
                               "Code storage limit exceeded: this endpoint allows %llu bytes of "
                               "code per account and region (the quota_lambda_code_bytes setting)",
                               (unsigned long long)(c ? c->quota_lambda_code_bytes : 0));
    return 0;
}

/* the function recorded in the registry and CreateFunction's answer */
static void create_record(rs_lambda_req_t *rq, json_object *b, rs_lambda_upload_t *up,
                          rs_lambda_resp_t *out)
{
    json_object *cfg = rs_lambda_cfg_new(rq, b, up);
    json_object *view = rs_lambda_cfg_view(cfg, RS_LCFG_CREATE, NULL);
    int rc = rs_lambda_reg_create_code(rq->api->reg, rq->account, rq->region, rq->name, cfg,
                                       up->dir, up->hot);
    if (rc == 0) {
        up->dir[0] = '\0'; /* the registry owns it */
        rs_log(RS_LOG_INFO, rq->request_id,
               "lambda: created function arn:aws:lambda:%s:%s:function:%s", rq->region, rq->account,
               rq->name);
        rs_lambda_reply_json(out, 201, view);
        view = NULL;
    } else if (rc == RS_EEXIST) {
        rs_lambda_reply_errorf(out, RS_LE_RESOURCE_CONFLICT, "Function already exist: %s",
                               rq->name);
    } else if (rc == RS_EQUOTA || rc == RS_ENOSPC) {
        quota_reply(rq, out, rc);
    } else {
        rs_lambda_reply_errorf(out, RS_LE_SERVICE, "RustStack could not record the function: %s",
                               rc == RS_ERR ? strerror(errno) : rs_err_str(rc));
    }
    json_object_put(view);
}

int rs_lambda_op_create(rs_lambda_req_t *rq, rs_lambda_resp_t *out)
{
    if (rq->len > RS_LAMBDA_CREATE_REQUEST_MAX)
        return RS_LAMBDA_ERR0(out, RS_LE_ENTITY_TOO_LARGE,
                              "Request must be smaller than %u bytes for the CreateFunction "
                              "operation",
                              RS_LAMBDA_CREATE_REQUEST_MAX);
    json_object *b = rs_lambda_body_object(rq, out), *zip = NULL;
    if (!b)
        return 0;
    rs_lambda_upload_t up = {.dir = ""};
    if (rs_lambda_check_create(rq, b, &zip, out) == 0 &&
        rs_lambda_take_code(rq, rs_lambda_member(b, "Code"), zip, &up, out) == 0)
        create_record(rq, b, &up, out);
    rs_lambda_upload_discard(&up);
    json_object_put(b);
    return 0;
}

static int get_common(rs_lambda_req_t *rq, rs_lambda_resp_t *out, json_object **cfg)
{
    int rc = rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, cfg, NULL);
    if (rc == RS_ENOMEM) {
        rs_lambda_fail(out, RS_LE_SERVICE, "out of memory");
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
    char loc[1100];
    json_object *r = json_object_new_object(), *tags, *hot;
    /* a hot-reload function: the directory, in LocalStack's words */
    if (json_object_object_get_ex(cfg, "_HotReloadDir", &hot))
        snprintf(loc, sizeof(loc), "Code location: %s", json_object_get_string(hot));
    else
        code_location(rq, loc, sizeof(loc));
    json_object_object_add(r, "Configuration", rs_lambda_cfg_view(cfg, RS_LCFG_GET, rq->qualifier));
    json_object_object_add(r, "Code",
                           rs_lambda_obj2("RepositoryType", json_object_new_string("S3"),
                                          "Location", json_object_new_string(loc)));
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
        return RS_LAMBDA_ERR0(
            out, RS_LE_VALIDATION,
            "1 validation error detected: Value '%.64s' at 'functionVersion' failed to "
            "satisfy constraint: Member must satisfy enum value set: [ALL]",
            rq->function_version);
    long max = LIST_PAGE_MAX;
    if (rq->max_items[0]) {
        char *end;
        errno = 0;
        max = strtol(rq->max_items, &end, 10);
        if (*end || errno || max < 1 || max > 10000)
            return RS_LAMBDA_ERR0(out, RS_LE_VALIDATION,
                                  "1 validation error detected: Value '%s' at 'maxItems' failed to "
                                  "satisfy constraint: Member must have value %s",
                                  rq->max_items,
                                  max > 10000 ? "less than or equal to 10000"
                                              : "greater than or equal to 1");
        if (max > LIST_PAGE_MAX)
            max = LIST_PAGE_MAX;
    }
    json_object *arr = json_object_new_array(), *fns = json_object_new_array();
    int more = 0;
    if (rs_lambda_reg_list(rq->api->reg, rq->account, rq->region, rq->marker, (size_t)max, arr,
                           &more) != 0) {
        json_object_put(arr);
        json_object_put(fns);
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE, "out of memory");
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
        return RS_LAMBDA_ERR0(out, RS_LE_INVALID_PARAMETER,
                              "$LATEST version cannot be deleted without deleting the function.");
    if (rq->qualifier[0]) {
        if (rs_lambda_reg_get(rq->api->reg, rq->account, rq->region, rq->name, NULL, NULL) != 0)
            return rs_lambda_reply_not_found(out, rq, NULL);
        return not_latest(rq, out);
    }
    int rc = rs_lambda_reg_delete(rq->api->reg, rq->account, rq->region, rq->name);
    if (rc == RS_ENOENT)
        return rs_lambda_reply_not_found(out, rq, NULL);
    if (rc != 0)
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE, "RustStack could not record the deletion: %s",
                              strerror(errno));
    if (rq->api->pool)
        rs_lambda_pool_retire(rq->api->pool, rq->account, rq->region, rq->name);
    if (rs_lambda_url_delete_all(rq->api, rq->account, rq->region, rq->name) != 0)
        rs_log(RS_LOG_ERR, rq->request_id, "lambda: could not forget the URL configs of %s",
               rq->named_arn);
    rs_log(RS_LOG_INFO, rq->request_id, "lambda: deleted function %s", rq->named_arn);
    out->status = 204;
    return 0;
}

/* ---- updates -------------------------------------------------------------------------- */

typedef struct edit {
    json_object *body;
    const char *name;
    const rs_lambda_upload_t *up; /* new code, or NULL */
} edit_t;

static int revision_matches(json_object *cfg, json_object *b)
{
    json_object *want = rs_lambda_member(b, "RevisionId"), *have;
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
    rs_lambda_cfg_apply(cfg, e->body, e->name);
    return 0;
}

static int edit_code(json_object *cfg, void *arg)
{
    edit_t *e = arg;
    if (!revision_matches(cfg, e->body))
        return RS_EPRECOND;
    json_object_object_add(cfg, "CodeSha256", json_object_new_string(e->up->sha));
    json_object_object_add(cfg, "CodeSize", json_object_new_int64((int64_t)e->up->size));
    if (e->up->hot)
        json_object_object_add(cfg, "_HotReloadDir", json_object_new_string(e->up->dir));
    else
        json_object_object_del(cfg, "_HotReloadDir");
    json_object *a = rs_lambda_member(e->body, "Architectures");
    if (a)
        json_object_object_add(cfg, "Architectures", json_object_get(a));
    char lm[40], rev[37];
    rs_lambda_last_modified(lm);
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
        return RS_LAMBDA_ERR0(
            out, RS_LE_PRECONDITION_FAILED,
            "The Revision Id provided does not match the latest Revision Id. Call the "
            "GetFunction/GetAlias API to retrieve the latest Revision Id");
    if (rc == RS_EQUOTA || rc == RS_ENOSPC)
        return quota_reply(rq, out, rc);
    if (rc != 0 || !cfg)
        return RS_LAMBDA_ERR0(out, RS_LE_SERVICE, "RustStack could not record the update: %s",
                              rc == RS_ERR ? strerror(errno) : rs_err_str(rc));
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
    json_object *b = rs_lambda_body_object(rq, out);
    if (!b)
        return 0;
    if (rs_lambda_typed(b, "RevisionId", json_type_string, out) || update_preamble(rq, out) ||
        rs_lambda_check_config(b, out)) {
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
    json_object *b = rs_lambda_body_object(rq, out), *zip = NULL, *v;
    if (!b)
        return 0;
    rs_lambda_upload_t up = {.dir = ""};
    if (rs_lambda_typed(b, "RevisionId", json_type_string, out) || update_preamble(rq, out) ||
        ((v = rs_lambda_member(b, "Architectures")) && rs_lambda_check_archs(v, out)) ||
        rs_lambda_code_source(b, &zip, out) || rs_lambda_take_code(rq, b, zip, &up, out)) {
        json_object_put(b);
        return 0;
    }
    json_object *dry = rs_lambda_member(b, "DryRun");
    if (dry && json_object_get_boolean(dry)) {
        /* validated and unpacked: show what the update would give, change nothing */
        rs_lambda_upload_discard(&up);
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
    int rc = rs_lambda_reg_update_code(rq->api->reg, rq->account, rq->region, rq->name, edit_code,
                                       &e, up.dir, up.hot, &cfg);
    if (rc != 0)
        rs_lambda_upload_discard(&up);
    json_object_put(b);
    return update_result(rq, out, rc, cfg);
}
