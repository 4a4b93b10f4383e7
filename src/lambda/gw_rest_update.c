/*
 * gw_rest_update.c: the patch operations on a REST API's resources (apigateway v1):
 * UpdateResource (/pathPart, /parentId: the paths below it follow), UpdateMethod
 * (/authorizationType, /apiKeyRequired, /operationName, /requestValidatorId,
 * /requestParameters/{name}, /requestModels/{type}) and UpdateIntegration (/uri,
 * /httpMethod, /timeoutInMillis, the string members, /requestParameters/{name},
 * /requestTemplates/{type}, /cacheKeyParameters/{name}). A refused operation leaves
 * everything as it was (rs_gw_store_edit restores the document).
 * Runs in: the lambda supervisor (its handler threads).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/gw_rest.h"
#include "rs/err.h"

#define DEPTH_MAX 1000

typedef struct patch {
    const char *op, *path;
    const char *value; /* NULL when absent or not a string */
    int set;           /* add or replace */
    int remove;
} patch_t;

static patch_t patch_of(json_object *p)
{
    json_object *v = rs_gw_get(p, "value");
    patch_t x = {rs_gw_get_str(p, "op"), rs_gw_get_str(p, "path"),
                 json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL, 0, 0};
    x.set = strcmp(x.op, "add") == 0 || strcmp(x.op, "replace") == 0;
    x.remove = strcmp(x.op, "remove") == 0;
    return x;
}

static int bad_path(rs_gw_rest_op_t *op, const patch_t *p, const char *valid)
{
    return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                           "Invalid patch path '%s' specified for op '%s'. Must be one of: [%s]",
                           p->path, p->op, valid);
}

/* path "/<member>/<key>": set or remove key of the object member (a string value, or a
 * boolean when `boolean`); 0, or -1 when the path is not of that member */
static int patch_map(json_object *o, const char *member, const patch_t *p, int boolean)
{
    size_t ml = strlen(member);
    if (p->path[0] != '/' || strncmp(p->path + 1, member, ml) != 0 || p->path[ml + 1] != '/' ||
        !p->path[ml + 2] || !(p->set || p->remove))
        return -1;
    char key[RS_GW_SEG_LEN];
    snprintf(key, sizeof(key), "%s", p->path + ml + 2);
    rs_gw_pointer_unescape(key);
    json_object *map = rs_gw_obj(o, member);
    if (p->remove)
        json_object_object_del(map, key);
    else if (boolean)
        json_object_object_add(
            map, key, json_object_new_boolean(p->value == NULL || strcmp(p->value, "true") == 0));
    else
        json_object_object_add(map, key, json_object_new_string(p->value ? p->value : ""));
    return 0;
}

/* path "/<member>": set (string) or remove; 0, or -1 when not that path */
static int patch_str(json_object *o, const char *member, const patch_t *p)
{
    if (p->path[0] != '/' || strcmp(p->path + 1, member) != 0 || !(p->set || p->remove))
        return -1;
    if (p->remove || p->value == NULL)
        json_object_object_del(o, member);
    else
        json_object_object_add(o, member, json_object_new_string(p->value));
    return 0;
}

/* apply every patch operation of the request with fn; 0 or answered */
typedef int (*patch_fn)(rs_gw_rest_op_t *op, json_object *doc, json_object *target,
                        const patch_t *p);

static int apply_all(rs_gw_rest_op_t *op, json_object *doc, json_object *target, patch_fn fn)
{
    json_object *ops;
    int rc = rs_gw_rest_patches(op, &ops);
    for (size_t i = 0; rc == 0 && ops != NULL && i < json_object_array_length(ops); i++) {
        patch_t p = patch_of(json_object_array_get_idx(ops, i));
        rc = fn(op, doc, target, &p);
    }
    return rc;
}

/* ---- UpdateResource ------------------------------------------------------------------ */

/* the path of resource id from its chain of pathParts */
static int build_path(json_object *res, const char *id, char *out, size_t outlen)
{
    const char *parts[DEPTH_MAX];
    size_t n = 0;
    for (json_object *r = rs_gw_get(res, id); r != NULL && n < DEPTH_MAX;
         r = rs_gw_get(res, rs_gw_get_str(r, "parentId"))) {
        if (!*rs_gw_get_str(r, "parentId"))
            break;
        parts[n++] = rs_gw_get_str(r, "pathPart");
    }
    if (n == DEPTH_MAX)
        return -1;
    size_t o = 0;
    out[0] = '\0';
    if (n == 0)
        snprintf(out, outlen, "/");
    for (size_t i = n; i-- > 0;) {
        int w = snprintf(out + o, outlen - o, "/%s", parts[i]);
        if (w < 0 || (size_t)w >= outlen - o)
            return -1;
        o += (size_t)w;
    }
    return 0;
}

static int is_under(json_object *res, const char *id, const char *top)
{
    for (int depth = 0; depth < DEPTH_MAX && id != NULL && *id; depth++) {
        if (strcmp(id, top) == 0)
            return 1;
        id = rs_gw_get_str(rs_gw_get(res, id), "parentId");
    }
    return 0;
}

static int resource_patch(rs_gw_rest_op_t *op, json_object *doc, json_object *r, const patch_t *p)
{
    (void)doc;
    const char *valid = "/parentId, /pathPart";
    if (strcmp(p->path, "/pathPart") != 0 && strcmp(p->path, "/parentId") != 0)
        return bad_path(op, p, valid);
    if (strcmp(p->op, "replace") != 0)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "Invalid patch path '%s' specified for op '%s'. Please choose "
                               "supported operations",
                               p->path, p->op);
    json_object_object_add(r, p->path + 1, json_object_new_string(p->value ? p->value : ""));
    return 0;
}

/* the resource as patched, checked against its new parent and siblings */
static int check_moved(rs_gw_rest_op_t *op, json_object *res, const char *id, json_object *r)
{
    const char *pp = rs_gw_get_str(r, "pathPart"), *parent_id = rs_gw_get_str(r, "parentId");
    json_object *parent = rs_gw_get(res, parent_id);
    if (parent == NULL)
        return rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Resource identifier specified");
    if (is_under(res, parent_id, id))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Resources cannot be cyclical.");
    return rs_gw_check_placement(op, res, id, parent, parent_id, pp);
}

static int update_resource(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc), *r;
    if (e == NULL || (r = rs_gw_rest_resource_of(op, e, op->seg[3])) == NULL)
        return RS_GW_REPLIED;
    if (!*rs_gw_get_str(r, "parentId"))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Root resource cannot be updated");
    json_object *res = rs_gw_obj(e, "resources");
    int rc = apply_all(op, doc, r, resource_patch);
    if (rc == 0)
        rc = check_moved(op, res, op->seg[3], r);
    if (rc != 0)
        return rc;
    char path[4096];
    json_object_object_foreach(res, id, each)
    {
        if (build_path(res, id, path, sizeof(path)) != 0)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "The resource path is too long");
        json_object_object_add(each, "path", json_object_new_string(path));
    }
    op->result = rs_gw_rest_resource_view(r, 0);
    op->status = 200;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

/* ---- UpdateMethod -------------------------------------------------------------------- */

static int method_patch(rs_gw_rest_op_t *op, json_object *doc, json_object *m, const patch_t *p)
{
    (void)doc;
    if (strcmp(p->path, "/authorizationType") == 0 && p->set) {
        const char *v = p->value ? p->value : "";
        if (strcmp(v, "CUSTOM") == 0 || strcmp(v, "COGNITO_USER_POOLS") == 0)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "Invalid authorizer ID specified. Setting the authorization "
                                   "type to CUSTOM or COGNITO_USER_POOLS requires a valid "
                                   "authorizer.");
        if (strcmp(v, "NONE") != 0 && strcmp(v, "AWS_IAM") != 0)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid authorization type specified");
        json_object_object_add(m, "authorizationType", json_object_new_string(v));
        return 0;
    }
    if (strcmp(p->path, "/apiKeyRequired") == 0 && p->set) {
        json_object_object_add(
            m, "apiKeyRequired",
            json_object_new_boolean(p->value != NULL && strcmp(p->value, "true") == 0));
        return 0;
    }
    if (patch_str(m, "operationName", p) == 0 || patch_str(m, "requestValidatorId", p) == 0 ||
        patch_map(m, "requestParameters", p, 1) == 0 || patch_map(m, "requestModels", p, 0) == 0)
        return 0;
    return bad_path(op, p,
                    "/authorizationType, /apiKeyRequired, /operationName, /requestValidatorId, "
                    "/requestParameters/{name}, /requestModels/{contentType}");
}

static int update_method(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *m = rs_gw_rest_method_req(op, doc, NULL);
    if (m == NULL)
        return RS_GW_REPLIED;
    int rc = apply_all(op, doc, m, method_patch);
    if (rc != 0)
        return rc;
    op->result = rs_gw_copy(m);
    op->status = 200;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

/* ---- UpdateIntegration --------------------------------------------------------------- */

static int integration_patch(rs_gw_rest_op_t *op, json_object *doc, json_object *in,
                             const patch_t *p)
{
    (void)doc;
    static const char *const strs[] = {"passthroughBehavior", "contentHandling", "credentials",
                                       "connectionType",      "connectionId",    "cacheNamespace",
                                       "integrationTarget"};
    if (strcmp(p->path, "/uri") == 0 && p->set) {
        int rc = rs_gw_rest_check_uri(op, rs_gw_get_str(in, "type"), p->value);
        if (rc != 0)
            return rc;
        json_object_object_add(in, "uri", json_object_new_string(p->value ? p->value : ""));
        return 0;
    }
    if (strcmp(p->path, "/httpMethod") == 0 && p->set) {
        if (p->value == NULL || !rs_gw_http_method_ok(p->value))
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "Invalid HttpMethod specified. Valid options are "
                                   "GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY");
        json_object_object_add(in, "httpMethod", json_object_new_string(p->value));
        return 0;
    }
    if (strcmp(p->path, "/timeoutInMillis") == 0 && p->set) {
        char *end = NULL;
        long v = p->value != NULL ? strtol(p->value, &end, 10) : 0;
        if (p->value == NULL || *end || v < 50 || v > 29000)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "Timeout should be between 50 ms and 29000 ms");
        json_object_object_add(in, "timeoutInMillis", json_object_new_int64(v));
        return 0;
    }
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (patch_str(in, strs[i], p) == 0)
            return 0;
    if (patch_map(in, "requestParameters", p, 0) == 0 ||
        patch_map(in, "requestTemplates", p, 0) == 0)
        return 0;
    if (strncmp(p->path, "/cacheKeyParameters/", 20) == 0 && (p->set || p->remove)) {
        char key[RS_GW_SEG_LEN];
        snprintf(key, sizeof(key), "%s", p->path + 20);
        rs_gw_pointer_unescape(key);
        json_object *old = rs_gw_get(in, "cacheKeyParameters"), *keep = json_object_new_array();
        for (size_t i = 0;
             json_object_is_type(old, json_type_array) && i < json_object_array_length(old); i++) {
            const char *s = json_object_get_string(json_object_array_get_idx(old, i));
            if (s != NULL && strcmp(s, key) != 0)
                json_object_array_add(keep, json_object_new_string(s));
        }
        if (p->set)
            json_object_array_add(keep, json_object_new_string(key));
        json_object_object_add(in, "cacheKeyParameters", keep);
        return 0;
    }
    return bad_path(op, p,
                    "/uri, /httpMethod, /timeoutInMillis, /passthroughBehavior, "
                    "/contentHandling, /credentials, /connectionType, /connectionId, "
                    "/cacheNamespace, /requestParameters/{name}, /requestTemplates/{type}, "
                    "/cacheKeyParameters/{name}");
}

static int update_integration(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *m = rs_gw_rest_method_req(op, doc, NULL), *in;
    if (m == NULL)
        return RS_GW_REPLIED;
    if ((in = rs_gw_get(m, "methodIntegration")) == NULL)
        return rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Integration identifier specified");
    int rc = apply_all(op, doc, in, integration_patch);
    if (rc != 0)
        return rc;
    op->result = rs_gw_copy(in);
    op->status = 200;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

int rs_gw_rest_update(rs_gw_rest_op_t *op)
{
    if (strcmp(op->c->method, "PATCH") != 0)
        return RS_GW_NO_ROUTE;
    if (op->nseg == 4)
        return rs_gw_rest_run(op, update_resource, 1);
    if (op->nseg == 6 && strcmp(op->seg[4], "methods") == 0)
        return rs_gw_rest_run(op, update_method, 1);
    if (op->nseg == 7 && strcmp(op->seg[4], "methods") == 0 &&
        strcmp(op->seg[6], "integration") == 0)
        return rs_gw_rest_run(op, update_integration, 1);
    return RS_GW_NO_ROUTE;
}
