/*
 * gw_rest_stage.c: the deployments and stages of a REST API (apigateway v1):
 * CreateDeployment (a snapshot of the API's resources, and with stageName the stage made
 * or moved to it), GetDeployment(s), UpdateDeployment (/description), DeleteDeployment;
 * CreateStage, GetStage, GetStages, UpdateStage (patch operations), DeleteStage. The data plane
 * serves a stage's deploymentId's snapshot with its variables (gw_store.h). Runs in: the lambda
 * supervisor (its handler threads).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/gw_rest.h"
#include "rs/err.h"

#define BAD_VAR_NAME "Stage variable names may only contain alphanumeric characters and underscores"
#define BAD_VAR_VALUE                                                                              \
    "Stage variable values must match the regular expression [A-Za-z0-9-._~:/?#&=,]+"

/* a stage variable value: [A-Za-z0-9-._~:/?#&=,]+, at most 512 characters */
static int var_value_ok(const char *v)
{
    if (v == NULL || !*v || strlen(v) > 512)
        return 0;
    for (; *v; v++)
        if (!isalnum((unsigned char)*v) && strchr("-._~:/?#&=,", *v) == NULL)
            return 0;
    return 1;
}

static int stage_name_ok(const char *s)
{
    if (s == NULL || !*s || strlen(s) > 128)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return 0;
    return 1;
}

static int bad_stage_name(rs_gw_rest_op_t *op)
{
    return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Stage name only allows a-zA-Z0-9_-");
}

/* the request's "variables" (an object of strings; NULL when absent): 0 or answered */
static int check_variables(rs_gw_rest_op_t *op, json_object **vars)
{
    json_object *v = rs_gw_get(op->in, "variables");
    *vars = NULL;
    if (v == NULL || json_object_is_type(v, json_type_null))
        return 0;
    if (!json_object_is_type(v, json_type_object))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid stage variables specified");
    json_object_object_foreach(v, name, val)
    {
        int ok = *name != '\0' && strlen(name) <= 64;
        for (const char *p = name; ok && *p; p++)
            ok = isalnum((unsigned char)*p) || *p == '_';
        if (!ok)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "%s", BAD_VAR_NAME);
        if (!json_object_is_type(val, json_type_string) ||
            !var_value_ok(json_object_get_string(val)))
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "%s", BAD_VAR_VALUE);
    }
    *vars = v;
    return 0;
}

static json_object *new_stage(const char *name, const char *deployment, const char *desc,
                              json_object *vars)
{
    int64_t now = (int64_t)time(NULL);
    json_object *s = json_object_new_object();
    json_object_object_add(s, "deploymentId", json_object_new_string(deployment));
    json_object_object_add(s, "stageName", json_object_new_string(name));
    if (desc != NULL)
        json_object_object_add(s, "description", json_object_new_string(desc));
    json_object_object_add(s, "cacheClusterEnabled", json_object_new_boolean(0));
    json_object_object_add(s, "cacheClusterStatus", json_object_new_string("NOT_AVAILABLE"));
    json_object_object_add(s, "methodSettings", json_object_new_object());
    if (vars != NULL)
        json_object_object_add(s, "variables", rs_gw_copy(vars));
    json_object_object_add(s, "tracingEnabled", json_object_new_boolean(0));
    json_object_object_add(s, "createdDate", json_object_new_int64(now));
    json_object_object_add(s, "lastUpdatedDate", json_object_new_int64(now));
    return s;
}

/* ---- deployments --------------------------------------------------------------------- */

/* BadRequest unless every resource's methods have integrations and there is one */
static int check_deployable(rs_gw_rest_op_t *op, json_object *e)
{
    size_t methods = 0;
    json_object_object_foreach(rs_gw_obj(e, "resources"), id, r)
    {
        (void)id;
        json_object_object_foreach(rs_gw_obj(r, "resourceMethods"), m, v)
        {
            (void)m;
            methods++;
            if (rs_gw_get(v, "methodIntegration") == NULL)
                return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "No integration defined for method");
        }
    }
    if (methods == 0)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "The REST API doesn't contain any methods");
    return 0;
}

static int create_deployment(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc), *vars;
    if (e == NULL)
        return RS_GW_REPLIED;
    const char *stage = rs_gw_in_str(op, "stageName");
    if (stage != NULL && !*stage)
        stage = NULL;
    if (stage != NULL && !stage_name_ok(stage))
        return bad_stage_name(op);
    int rc = check_variables(op, &vars);
    if (rc == 0)
        rc = check_deployable(op, e);
    if (rc != 0)
        return rc;
    json_object *deps = rs_gw_obj(e, "deployments");
    char id[7];
    do
        rs_gw_new_id(id, 6);
    while (rs_gw_get(deps, id) != NULL);
    json_object *d = json_object_new_object();
    json_object_object_add(d, "id", json_object_new_string(id));
    rs_gw_copy_member(d, op->in, "description", json_type_string);
    json_object_object_add(d, "createdDate", json_object_new_int64((int64_t)time(NULL)));
    json_object *rec = json_object_new_object();
    json_object_object_add(rec, "deployment", d);
    json_object_object_add(rec, "resources", rs_gw_copy(rs_gw_obj(e, "resources")));
    json_object_object_add(deps, id, rec);
    if (stage != NULL) {
        json_object *stages = rs_gw_obj(e, "stages"), *s = rs_gw_get(stages, stage);
        if (s == NULL) {
            json_object_object_add(
                stages, stage, new_stage(stage, id, rs_gw_in_str(op, "stageDescription"), vars));
        } else {
            json_object_object_add(s, "deploymentId", json_object_new_string(id));
            json_object_object_add(s, "lastUpdatedDate",
                                   json_object_new_int64((int64_t)time(NULL)));
            if (vars != NULL) {
                json_object *sv = rs_gw_obj(s, "variables");
                json_object_object_foreach(vars, k, v)
                {
                    json_object_object_add(sv, k, rs_gw_copy(v));
                }
            }
        }
    }
    op->result = rs_gw_copy(d);
    op->status = 201;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

static int get_deployments(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *e = rs_gw_rest_api_entry(op, doc);
    if (e == NULL)
        return RS_GW_REPLIED;
    json_object *items = json_object_new_array(), *deps = rs_gw_members(e, "deployments");
    if (deps != NULL) {
        json_object_object_foreach(deps, id, rec)
        {
            (void)id;
            json_object_array_add(items, rs_gw_copy(rs_gw_get(rec, "deployment")));
        }
    }
    op->status = 200;
    return rs_gw_rest_page(op, items, &op->result);
}

static json_object *deployment_of(rs_gw_rest_op_t *op, json_object *e, const char *id)
{
    json_object *rec = rs_gw_get(rs_gw_get(e, "deployments"), id);
    if (rec == NULL)
        rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Deployment identifier specified");
    return rec;
}

/* apiSummary: {path: {METHOD: {authorizationType, apiKeyRequired}}} of a snapshot */
static json_object *api_summary(json_object *resources)
{
    json_object *sum = json_object_new_object();
    if (!json_object_is_type(resources, json_type_object))
        return sum;
    json_object_object_foreach(resources, id, r)
    {
        (void)id;
        json_object *rm = rs_gw_get(r, "resourceMethods");
        if (!json_object_is_type(rm, json_type_object) || json_object_object_length(rm) == 0)
            continue;
        json_object *p = json_object_new_object();
        json_object_object_foreach(rm, m, v)
        {
            json_object *ms = json_object_new_object();
            rs_gw_copy_member(ms, v, "authorizationType", json_type_string);
            rs_gw_copy_member(ms, v, "apiKeyRequired", json_type_boolean);
            json_object_object_add(p, m, ms);
        }
        json_object_object_add(sum, rs_gw_get_str(r, "path"), p);
    }
    return sum;
}

static int get_deployment(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *e = rs_gw_rest_api_entry(op, doc), *rec;
    if (e == NULL || (rec = deployment_of(op, e, op->seg[3])) == NULL)
        return RS_GW_REPLIED;
    op->result = rs_gw_copy(rs_gw_get(rec, "deployment"));
    if (op->result == NULL)
        return RS_ENOMEM;
    char v[64];
    for (int i = 0; i < 8 && rs_gw_query_get(op->c->query, "embed", i, v, sizeof(v)); i++)
        if (strcmp(v, "apisummary") == 0)
            json_object_object_add(op->result, "apiSummary",
                                   api_summary(rs_gw_get(rec, "resources")));
    op->status = 200;
    return 0;
}

static int delete_deployment(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc);
    if (e == NULL || deployment_of(op, e, op->seg[3]) == NULL)
        return RS_GW_REPLIED;
    json_object_object_foreach(rs_gw_obj(e, "stages"), name, s)
    {
        (void)name;
        if (strcmp(rs_gw_get_str(s, "deploymentId"), op->seg[3]) == 0)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "Active stages pointing to this deployment must be moved or "
                                   "deleted");
    }
    json_object_object_del(rs_gw_obj(e, "deployments"), op->seg[3]);
    op->status = 202;
    *changed = 1;
    return 0;
}

static int update_deployment(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc), *rec, *ops;
    if (e == NULL || (rec = deployment_of(op, e, op->seg[3])) == NULL)
        return RS_GW_REPLIED;
    json_object *d = rs_gw_obj(rec, "deployment");
    int rc = rs_gw_rest_patches(op, &ops);
    for (size_t i = 0; rc == 0 && ops != NULL && i < json_object_array_length(ops); i++) {
        json_object *p = json_object_array_get_idx(ops, i), *v = rs_gw_get(p, "value");
        const char *o = rs_gw_get_str(p, "op"), *path = rs_gw_get_str(p, "path");
        if (strcmp(path, "/description") != 0 ||
            (strcmp(o, "replace") != 0 && strcmp(o, "add") != 0 && strcmp(o, "remove") != 0))
            rc = rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                 "Invalid patch path '%s' specified for op '%s'. Must be one "
                                 "of: [/description]",
                                 path, o);
        else if (strcmp(o, "remove") == 0 || !json_object_is_type(v, json_type_string))
            json_object_object_del(d, "description");
        else
            json_object_object_add(d, "description",
                                   json_object_new_string(json_object_get_string(v)));
    }
    if (rc != 0)
        return rc;
    op->result = rs_gw_copy(d);
    op->status = 200;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

/* ---- stages -------------------------------------------------------------------------- */

static int create_stage(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc), *vars;
    if (e == NULL)
        return RS_GW_REPLIED;
    const char *name = rs_gw_in_str(op, "stageName");
    const char *dep = rs_gw_in_str(op, "deploymentId");
    if (name == NULL || !*name)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "1 validation error detected: Value null at "
                               "'createStageInput.stageName' failed to satisfy constraint: "
                               "Member must not be null");
    if (dep == NULL || !*dep)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "1 validation error detected: Value null at "
                               "'createStageInput.deploymentId' failed to satisfy constraint: "
                               "Member must not be null");
    if (!stage_name_ok(name))
        return bad_stage_name(op);
    int rc = check_variables(op, &vars);
    if (rc != 0)
        return rc;
    if (rs_gw_get(rs_gw_get(e, "deployments"), dep) == NULL)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Deployment id does not exist");
    json_object *stages = rs_gw_obj(e, "stages");
    if (rs_gw_get(stages, name) != NULL)
        return rs_gw_rest_fail(op, RS_GE_CONFLICT, "Stage already exists");
    json_object *s = new_stage(name, dep, rs_gw_in_str(op, "description"), vars);
    json_object *v = rs_gw_get(op->in, "cacheClusterEnabled");
    if (v != NULL)
        json_object_object_add(s, "cacheClusterEnabled",
                               json_object_new_boolean(json_object_get_boolean(v)));
    v = rs_gw_get(op->in, "tracingEnabled");
    if (v != NULL)
        json_object_object_add(s, "tracingEnabled",
                               json_object_new_boolean(json_object_get_boolean(v)));
    rs_gw_copy_member(s, op->in, "cacheClusterSize", json_type_string);
    rs_gw_copy_member(s, op->in, "documentationVersion", json_type_string);
    rs_gw_copy_member(s, op->in, "tags", json_type_object);
    json_object_object_add(stages, name, s);
    op->result = rs_gw_copy(s);
    op->status = 201;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

static json_object *stage_of(rs_gw_rest_op_t *op, json_object *e)
{
    json_object *s = rs_gw_get(rs_gw_get(e, "stages"), op->seg[3]);
    if (s == NULL)
        rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Stage identifier specified");
    return s;
}

static int get_stage(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *e = rs_gw_rest_api_entry(op, doc), *s;
    if (e == NULL || (s = stage_of(op, e)) == NULL)
        return RS_GW_REPLIED;
    op->result = rs_gw_copy(s);
    op->status = 200;
    return op->result ? 0 : RS_ENOMEM;
}

static int get_stages(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *e = rs_gw_rest_api_entry(op, doc);
    if (e == NULL)
        return RS_GW_REPLIED;
    char dep[64];
    int filter = rs_gw_query_get(op->c->query, "deploymentId", 0, dep, sizeof(dep)) && dep[0];
    json_object *items = json_object_new_array(), *stages = rs_gw_members(e, "stages");
    if (stages != NULL) {
        json_object_object_foreach(stages, name, s)
        {
            (void)name;
            if (!filter || strcmp(rs_gw_get_str(s, "deploymentId"), dep) == 0)
                json_object_array_add(items, rs_gw_copy(s));
        }
    }
    op->result = json_object_new_object();
    json_object_object_add(op->result, "item", items);
    op->status = 200;
    return 0;
}

static int patch_stage_one(rs_gw_rest_op_t *op, json_object *e, json_object *s, json_object *p)
{
    const char *o = rs_gw_get_str(p, "op"), *path = rs_gw_get_str(p, "path");
    json_object *vj = rs_gw_get(p, "value");
    const char *value =
        json_object_is_type(vj, json_type_string) ? json_object_get_string(vj) : NULL;
    int set = strcmp(o, "replace") == 0 || strcmp(o, "add") == 0;
    int remove = strcmp(o, "remove") == 0;
    if (strcmp(path, "/deploymentId") == 0 && set) {
        if (value == NULL || rs_gw_get(rs_gw_get(e, "deployments"), value) == NULL)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Deployment id does not exist");
        json_object_object_add(s, "deploymentId", json_object_new_string(value));
        return 0;
    }
    if (strcmp(path, "/description") == 0 && (set || remove)) {
        if (remove || value == NULL)
            json_object_object_del(s, "description");
        else
            json_object_object_add(s, "description", json_object_new_string(value));
        return 0;
    }
    if (strncmp(path, "/variables/", 11) == 0 && (set || remove)) {
        char name[RS_GW_SEG_LEN];
        snprintf(name, sizeof(name), "%s", path + 11);
        rs_gw_pointer_unescape(name);
        int ok = *name != '\0';
        for (const char *c = name; ok && *c; c++)
            ok = isalnum((unsigned char)*c) || *c == '_';
        if (!ok)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "%s", BAD_VAR_NAME);
        if (!remove && (value == NULL || !var_value_ok(value)))
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "%s", BAD_VAR_VALUE);
        json_object *vars = rs_gw_obj(s, "variables");
        if (remove)
            json_object_object_del(vars, name);
        else
            json_object_object_add(vars, name, json_object_new_string(value ? value : ""));
        return 0;
    }
    if ((strcmp(path, "/tracingEnabled") == 0 || strcmp(path, "/cacheClusterEnabled") == 0) &&
        set) {
        json_object_object_add(
            s, path + 1, json_object_new_boolean(value != NULL && strcmp(value, "true") == 0));
        return 0;
    }
    if ((strcmp(path, "/cacheClusterSize") == 0 || strcmp(path, "/documentationVersion") == 0) &&
        (set || remove)) {
        if (remove || value == NULL)
            json_object_object_del(s, path + 1);
        else
            json_object_object_add(s, path + 1, json_object_new_string(value));
        return 0;
    }
    return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                           "Invalid patch path '%s' specified for op '%s'. Must be one of: "
                           "[/deploymentId, /description, /variables/{name}, /tracingEnabled, "
                           "/cacheClusterEnabled, /cacheClusterSize, /documentationVersion]",
                           path, o);
}

static int update_stage(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc), *s, *ops;
    if (e == NULL || (s = stage_of(op, e)) == NULL)
        return RS_GW_REPLIED;
    int rc = rs_gw_rest_patches(op, &ops);
    for (size_t i = 0; rc == 0 && ops != NULL && i < json_object_array_length(ops); i++)
        rc = patch_stage_one(op, e, s, json_object_array_get_idx(ops, i));
    if (rc != 0)
        return rc;
    json_object *vars = rs_gw_get(s, "variables");
    if (vars != NULL && json_object_object_length(vars) == 0)
        json_object_object_del(s, "variables");
    json_object_object_add(s, "lastUpdatedDate", json_object_new_int64((int64_t)time(NULL)));
    op->result = rs_gw_copy(s);
    op->status = 200;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

static int delete_stage(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc);
    if (e == NULL)
        return RS_GW_REPLIED;
    if (rs_gw_get(rs_gw_get(e, "stages"), op->seg[3]) == NULL) /* AWS's casing differs here */
        return rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid stage identifier specified");
    json_object_object_del(rs_gw_obj(e, "stages"), op->seg[3]);
    op->status = 202;
    *changed = 1;
    return 0;
}

int rs_gw_rest_stage(rs_gw_rest_op_t *op)
{
    const char *m = op->c->method;
    int dep = strcmp(op->seg[2], "deployments") == 0;
    if (op->nseg == 3) {
        if (strcmp(m, "POST") == 0)
            return rs_gw_rest_run(op, dep ? create_deployment : create_stage, 1);
        if (strcmp(m, "GET") == 0)
            return rs_gw_rest_run(op, dep ? get_deployments : get_stages, 0);
    } else if (op->nseg == 4) {
        if (strcmp(m, "GET") == 0)
            return rs_gw_rest_run(op, dep ? get_deployment : get_stage, 0);
        if (strcmp(m, "DELETE") == 0)
            return rs_gw_rest_run(op, dep ? delete_deployment : delete_stage, 1);
        if (strcmp(m, "PATCH") == 0)
            return rs_gw_rest_run(op, dep ? update_deployment : update_stage, 1);
    }
    return RS_GW_NO_ROUTE;
}
