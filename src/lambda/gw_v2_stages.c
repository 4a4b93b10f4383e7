/*
 * gw_v2_stages.c: apigatewayv2 stages ("$default" too; autoDeploy, deploymentId,
 * stageVariables, tags) and deployments (a snapshot of the API's routes and integrations;
 * with stageName the stage is pointed at it), in the store's wire form (gw_store.h).
 * Runs in: the lambda supervisor (handler threads).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "lambda/gw_v2.h"

#define NMEMBERS(a) (sizeof(a) / sizeof((a)[0]))

static const rs_v2_member_t stage_members[] = {
    {"accessLogSettings", 'o'},    {"autoDeploy", 'b'},     {"clientCertificateId", 's'},
    {"defaultRouteSettings", 'o'}, {"deploymentId", 's'},   {"description", 's'},
    {"routeSettings", 'o'},        {"stageVariables", 'm'},
};

json_object *rs_v2_new_stage(const char *name)
{
    char now[32];
    rs_gw_iso_now(now);
    json_object *s = json_object_new_object(), *drs = json_object_new_object();
    json_object_object_add(s, "autoDeploy", json_object_new_boolean(0));
    json_object_object_add(s, "createdDate", json_object_new_string(now));
    json_object_object_add(drs, "detailedMetricsEnabled", json_object_new_boolean(0));
    json_object_object_add(s, "defaultRouteSettings", drs);
    json_object_object_add(s, "lastUpdatedDate", json_object_new_string(now));
    json_object_object_add(s, "routeSettings", json_object_new_object());
    json_object_object_add(s, "stageName", json_object_new_string(name));
    json_object_object_add(s, "stageVariables", json_object_new_object());
    json_object_object_add(s, "tags", json_object_new_object());
    return s;
}

static int check_stage(rs_v2_req_t *q, json_object *entry)
{
    json_object *scratch = json_object_new_object(), *x;
    int rc = rs_v2_copy(q, scratch, stage_members, NMEMBERS(stage_members));
    json_object_put(scratch);
    if (rc != 0)
        return rc;
    const char *dep = rs_v2_str(q->body, "deploymentId");
    if (dep != NULL && !json_object_object_get_ex(rs_v2_sub(entry, "deployments"), dep, &x))
        return rs_v2_fail(q, RS_GE_NOT_FOUND, "Invalid Deployment identifier specified %s", dep);
    return 0;
}

static json_object *stage_of(rs_v2_req_t *q, json_object *entry, const char *name)
{
    json_object *s;
    if (json_object_object_get_ex(rs_v2_sub(entry, "stages"), name, &s))
        return s;
    rs_v2_fail(q, RS_GE_NOT_FOUND, "Invalid stage identifier specified");
    return NULL;
}

static int stage_name_ok(const char *n)
{
    if (strcmp(n, "$default") == 0)
        return 1;
    size_t len = strlen(n);
    if (len < 1 || len > 128)
        return 0;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("-._~", *p) != NULL))
            return 0;
    return 1;
}

int rs_v2_create_stage(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *x, *tags;
    if (e == NULL || rs_v2_require(q, "stageName"))
        return RS_V2_REPLIED;
    static const rs_v2_member_t spec[] = {{"stageName", 's'}, {"tags", 'm'}};
    json_object *scratch = json_object_new_object();
    int rc = rs_v2_copy(q, scratch, spec, NMEMBERS(spec));
    json_object_put(scratch);
    if (rc != 0 || check_stage(q, e))
        return RS_V2_REPLIED;
    const char *name = rs_v2_str(q->body, "stageName");
    if (!stage_name_ok(name))
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "Stage name only allows a-zA-Z0-9._- (1 to 128 characters) or "
                          "$default");
    json_object *stages = rs_v2_sub(e, "stages");
    if (json_object_object_get_ex(stages, name, &x))
        return rs_v2_fail(q, RS_GE_CONFLICT, "Stage %s already exists", name);
    json_object *s = rs_v2_new_stage(name);
    rs_v2_copy(q, s, stage_members, NMEMBERS(stage_members));
    if (json_object_object_get_ex(q->body, "tags", &tags) && tags != NULL)
        json_object_object_add(s, "tags", rs_v2_copy_of(tags));
    json_object_object_add(stages, name, s);
    *changed = 1;
    return rs_v2_answer(q, 201, s);
}

int rs_v2_get_stage(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *s;
    if (e == NULL || (s = stage_of(q, e, q->seg[3])) == NULL)
        return RS_V2_REPLIED;
    return rs_v2_answer(q, 200, s);
}

int rs_v2_get_stages(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    if (e == NULL)
        return RS_V2_REPLIED;
    return rs_v2_page(q, rs_v2_values(rs_v2_sub(e, "stages")));
}

int rs_v2_update_stage(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *s;
    if (e == NULL || (s = stage_of(q, e, q->seg[3])) == NULL || check_stage(q, e))
        return RS_V2_REPLIED;
    rs_v2_copy(q, s, stage_members, NMEMBERS(stage_members));
    char now[32];
    rs_gw_iso_now(now);
    json_object_object_add(s, "lastUpdatedDate", json_object_new_string(now));
    *changed = 1;
    return rs_v2_answer(q, 200, s);
}

int rs_v2_delete_stage(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    if (e == NULL || stage_of(q, e, q->seg[3]) == NULL)
        return RS_V2_REPLIED;
    json_object_object_del(rs_v2_sub(e, "stages"), q->seg[3]);
    *changed = 1;
    return rs_v2_answer(q, 204, NULL);
}

/* ---- deployments ------------------------------------------------------------------------ */

static json_object *deployment_of(rs_v2_req_t *q, json_object *entry)
{
    json_object *d;
    if (json_object_object_get_ex(rs_v2_sub(entry, "deployments"), q->seg[3], &d))
        return d;
    rs_v2_fail(q, RS_GE_NOT_FOUND, "Invalid Deployment identifier specified %s", q->seg[3]);
    return NULL;
}

int rs_v2_create_deployment(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    static const rs_v2_member_t spec[] = {{"description", 's'}, {"stageName", 's'}};
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *scratch, *stage = NULL, *x;
    if (e == NULL)
        return RS_V2_REPLIED;
    scratch = json_object_new_object();
    int rc = rs_v2_copy(q, scratch, spec, NMEMBERS(spec));
    json_object_put(scratch);
    if (rc != 0)
        return RS_V2_REPLIED;
    const char *sname = rs_v2_str(q->body, "stageName");
    if (sname != NULL && (stage = stage_of(q, e, sname)) == NULL)
        return RS_V2_REPLIED;
    json_object *deps = rs_v2_sub(e, "deployments");
    char id[7], now[32];
    do
        rs_gw_new_id(id, 6);
    while (json_object_object_get_ex(deps, id, &x));
    rs_gw_iso_now(now);
    json_object *d = json_object_new_object();
    json_object_object_add(d, "autoDeployed", json_object_new_boolean(0));
    json_object_object_add(d, "createdDate", json_object_new_string(now));
    json_object_object_add(d, "deploymentId", json_object_new_string(id));
    json_object_object_add(d, "deploymentStatus", json_object_new_string("DEPLOYED"));
    rs_v2_copy(q, d, spec, 1);
    json_object *rec = json_object_new_object();
    json_object_object_add(rec, "deployment", d);
    json_object_object_add(rec, "routes", rs_v2_copy_of(rs_v2_sub(e, "routes")));
    json_object_object_add(rec, "integrations", rs_v2_copy_of(rs_v2_sub(e, "integrations")));
    json_object_object_add(deps, id, rec);
    if (stage != NULL) {
        json_object_object_add(stage, "deploymentId", json_object_new_string(id));
        json_object_object_add(stage, "lastUpdatedDate", json_object_new_string(now));
    }
    *changed = 1;
    return rs_v2_answer(q, 201, d);
}

int rs_v2_get_deployment(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *d;
    if (e == NULL || (d = deployment_of(q, e)) == NULL)
        return RS_V2_REPLIED;
    return rs_v2_answer(q, 200, json_object_object_get(d, "deployment"));
}

int rs_v2_get_deployments(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    if (e == NULL)
        return RS_V2_REPLIED;
    json_object *all = json_object_new_array();
    json_object_object_foreach(rs_v2_sub(e, "deployments"), id, d)
    {
        (void)id;
        json_object_array_add(all, rs_v2_copy_of(json_object_object_get(d, "deployment")));
    }
    return rs_v2_page(q, all);
}

int rs_v2_update_deployment(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    static const rs_v2_member_t spec[] = {{"description", 's'}};
    json_object *e = rs_v2_api(q, doc, q->seg[1]), *d;
    if (e == NULL || (d = deployment_of(q, e)) == NULL)
        return RS_V2_REPLIED;
    d = json_object_object_get(d, "deployment");
    if (rs_v2_copy(q, d, spec, 1) != 0)
        return RS_V2_REPLIED;
    *changed = 1;
    return rs_v2_answer(q, 200, d);
}

int rs_v2_delete_deployment(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *e = rs_v2_api(q, doc, q->seg[1]);
    if (e == NULL || deployment_of(q, e) == NULL)
        return RS_V2_REPLIED;
    json_object_object_foreach(rs_v2_sub(e, "stages"), name, s)
    {
        const char *dep = rs_v2_str(s, "deploymentId");
        if (dep != NULL && strcmp(dep, q->seg[3]) == 0)
            return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                              "Active stages pointing to this deployment must be moved or "
                              "deleted (stage %s)",
                              name);
    }
    json_object_object_del(rs_v2_sub(e, "deployments"), q->seg[3]);
    *changed = 1;
    return rs_v2_answer(q, 204, NULL);
}
