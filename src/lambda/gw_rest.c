/*
 * gw_rest.c: the apigateway (v1, REST API) control plane: the dispatch of a request by its
 * path to the files of gw_rest.h, and the REST APIs themselves (CreateRestApi, GetRestApi,
 * GetRestApis, UpdateRestApi, DeleteRestApi). Everything else under the service answers
 * UnknownOperationException.
 * Runs in: the lambda supervisor (its handler threads).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/gw_rest.h"
#include "rs/err.h"

/* ---- CreateRestApi ------------------------------------------------------------------- */

static int endpoint_config(rs_gw_rest_op_t *op, json_object *api)
{
    json_object *ec = rs_gw_get(op->in, "endpointConfiguration");
    json_object *types = rs_gw_get(ec, "types");
    json_object *out = json_object_new_object(), *t = json_object_new_array();
    json_object_object_add(out, "types", t);
    json_object_object_add(api, "endpointConfiguration", out);
    if (types != NULL && !json_object_is_type(types, json_type_array))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid endpoint configuration");
    if (types == NULL || json_object_array_length(types) == 0) {
        json_object_array_add(t, json_object_new_string("EDGE"));
        return 0;
    }
    for (size_t i = 0; i < json_object_array_length(types); i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(types, i));
        if (s == NULL ||
            (strcmp(s, "EDGE") != 0 && strcmp(s, "REGIONAL") != 0 && strcmp(s, "PRIVATE") != 0))
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "1 validation error detected: Value '[%s]' at "
                                   "'createRestApiInput.endpointConfiguration.types' failed to "
                                   "satisfy constraint: Member must satisfy constraint: "
                                   "[Member must satisfy enum value set: [PRIVATE, EDGE, "
                                   "REGIONAL]]",
                                   s != NULL ? s : "null");
        json_object_array_add(t, json_object_new_string(s));
    }
    rs_gw_copy_member(out, ec, "vpcEndpointIds", json_type_array);
    rs_gw_copy_member(out, ec, "ipAddressType", json_type_string);
    return 0;
}

static int create_api(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    const char *name = rs_gw_in_str(op, "name");
    if (name == NULL || !*name)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "1 validation error detected: Value null at "
                               "'createRestApiInput.name' failed to satisfy constraint: Member "
                               "must not be null");
    const char *aks = rs_gw_in_str(op, "apiKeySource");
    if (aks != NULL && strcmp(aks, "HEADER") != 0 && strcmp(aks, "AUTHORIZER") != 0)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "1 validation error detected: Value '%s' at "
                               "'createRestApiInput.apiKeySource' failed to satisfy "
                               "constraint: Member must satisfy enum value set: [HEADER, "
                               "AUTHORIZER]",
                               aks);
    json_object *coll = rs_gw_doc_coll(doc, "rest");
    char id[11], root[7];
    do /* ids are unique across REST and HTTP APIs: the data plane finds one by id */
        rs_gw_new_id(id, 10);
    while (rs_gw_get(coll, id) != NULL || rs_gw_get(rs_gw_doc_coll(doc, "http"), id) != NULL);
    rs_gw_new_id(root, 6);
    json_object *api = json_object_new_object();
    json_object_object_add(api, "id", json_object_new_string(id));
    json_object_object_add(api, "name", json_object_new_string(name));
    rs_gw_copy_member(api, op->in, "description", json_type_string);
    json_object_object_add(api, "createdDate", json_object_new_int64((int64_t)time(NULL)));
    rs_gw_copy_member(api, op->in, "version", json_type_string);
    rs_gw_copy_member(api, op->in, "binaryMediaTypes", json_type_array);
    rs_gw_copy_member(api, op->in, "minimumCompressionSize", json_type_int);
    json_object_object_add(api, "apiKeySource", json_object_new_string(aks ? aks : "HEADER"));
    int rc = endpoint_config(op, api);
    if (rc != 0) {
        json_object_put(api);
        return rc;
    }
    rs_gw_copy_member(api, op->in, "policy", json_type_string);
    rs_gw_copy_member(api, op->in, "tags", json_type_object);
    json_object *dis = rs_gw_get(op->in, "disableExecuteApiEndpoint");
    json_object_object_add(api, "disableExecuteApiEndpoint",
                           json_object_new_boolean(json_object_get_boolean(dis)));
    json_object_object_add(api, "rootResourceId", json_object_new_string(root));

    json_object *e = json_object_new_object();
    json_object_object_add(e, "account", json_object_new_string(op->c->account));
    json_object_object_add(e, "region", json_object_new_string(op->c->region));
    json_object_object_add(e, "api", api);
    json_object *res = json_object_new_object(), *r = json_object_new_object();
    json_object_object_add(r, "id", json_object_new_string(root));
    json_object_object_add(r, "path", json_object_new_string("/"));
    json_object_object_add(r, "resourceMethods", json_object_new_object());
    json_object_object_add(res, root, r);
    json_object_object_add(e, "resources", res);
    json_object_object_add(e, "deployments", json_object_new_object());
    json_object_object_add(e, "stages", json_object_new_object());
    json_object_object_add(coll, id, e);
    op->result = rs_gw_copy(api);
    op->status = 201;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

/* ---- GetRestApi(s) ------------------------------------------------------------------- */

static int get_api(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *e = rs_gw_rest_api_entry(op, doc);
    if (e == NULL)
        return RS_GW_REPLIED;
    op->result = rs_gw_copy(rs_gw_get(e, "api"));
    op->status = 200;
    return op->result ? 0 : RS_ENOMEM;
}

static int list_apis(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *items = json_object_new_array();
    json_object_object_foreach(rs_gw_doc_coll(doc, "rest"), id, e)
    {
        if (rs_gw_doc_owned(doc, "rest", id, op->c->account, op->c->region) == NULL)
            continue;
        json_object_array_add(items, rs_gw_copy(rs_gw_get(e, "api")));
    }
    op->status = 200;
    return rs_gw_rest_page(op, items, &op->result);
}

/* ---- UpdateRestApi ------------------------------------------------------------------- */

static int patch_bool(json_object *api, const char *member, const char *value)
{
    json_object_object_add(api, member,
                           json_object_new_boolean(value != NULL && strcmp(value, "true") == 0));
    return 0;
}

static int patch_api_one(rs_gw_rest_op_t *op, json_object *api, json_object *p)
{
    const char *o = rs_gw_get_str(p, "op"), *path = rs_gw_get_str(p, "path");
    json_object *vj = rs_gw_get(p, "value");
    const char *value =
        json_object_is_type(vj, json_type_string) ? json_object_get_string(vj) : NULL;
    int replace = strcmp(o, "replace") == 0 || strcmp(o, "add") == 0;
    int remove = strcmp(o, "remove") == 0;
    if (strcmp(path, "/name") == 0 && replace) {
        if (value == NULL || !*value)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid REST API name specified");
        json_object_object_add(api, "name", json_object_new_string(value));
        return 0;
    }
    if (strcmp(path, "/description") == 0 || strcmp(path, "/version") == 0 ||
        strcmp(path, "/policy") == 0) {
        if (remove || value == NULL)
            json_object_object_del(api, path + 1);
        else if (replace)
            json_object_object_add(api, path + 1, json_object_new_string(value));
        else
            goto bad;
        return 0;
    }
    if (strcmp(path, "/apiKeySource") == 0 && replace && value != NULL &&
        (strcmp(value, "HEADER") == 0 || strcmp(value, "AUTHORIZER") == 0)) {
        json_object_object_add(api, "apiKeySource", json_object_new_string(value));
        return 0;
    }
    if (strncmp(path, "/endpointConfiguration/types/", 29) == 0 && replace && value != NULL &&
        (strcmp(value, "EDGE") == 0 || strcmp(value, "REGIONAL") == 0 ||
         strcmp(value, "PRIVATE") == 0)) {
        json_object *types = rs_gw_get(rs_gw_obj(api, "endpointConfiguration"), "types");
        for (size_t i = 0;
             json_object_is_type(types, json_type_array) && i < json_object_array_length(types);
             i++) {
            const char *t = json_object_get_string(json_object_array_get_idx(types, i));
            if (t != NULL && strcmp(t, path + 29) == 0) {
                json_object_array_put_idx(types, i, json_object_new_string(value));
                return 0;
            }
        }
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "Invalid patch path '%s' specified for op '%s': the API's endpoint "
                               "type is not %s",
                               path, o, path + 29);
    }
    if (strcmp(path, "/disableExecuteApiEndpoint") == 0 && replace)
        return patch_bool(api, "disableExecuteApiEndpoint", value);
    if (strcmp(path, "/minimumCompressionSize") == 0 && (replace || remove)) {
        if (remove || value == NULL || !*value) {
            json_object_object_del(api, "minimumCompressionSize");
            return 0;
        }
        char *end;
        long v = strtol(value, &end, 10);
        if (*end || v < 0 || v > 10485760)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "Invalid minimumCompressionSize specified: %s", value);
        json_object_object_add(api, "minimumCompressionSize", json_object_new_int((int)v));
        return 0;
    }
    if (strncmp(path, "/binaryMediaTypes/", 18) == 0 && (replace || remove)) {
        char mt[RS_GW_SEG_LEN];
        snprintf(mt, sizeof(mt), "%s", path + 18);
        rs_gw_pointer_unescape(mt);
        json_object *list = rs_gw_get(api, "binaryMediaTypes"), *keep = json_object_new_array();
        for (size_t i = 0;
             json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
             i++) {
            const char *s = json_object_get_string(json_object_array_get_idx(list, i));
            if (s != NULL && strcmp(s, mt) != 0)
                json_object_array_add(keep, json_object_new_string(s));
        }
        if (!remove)
            json_object_array_add(keep, json_object_new_string(mt));
        json_object_object_add(api, "binaryMediaTypes", keep);
        return 0;
    }
bad:
    return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                           "Invalid patch path '%s' specified for op '%s'. Must be one of: "
                           "[/name, /description, /version, /policy, /apiKeySource, "
                           "/minimumCompressionSize, /disableExecuteApiEndpoint, "
                           "/binaryMediaTypes/{mediaType}, /endpointConfiguration/types/{type}]",
                           path, o);
}

static int update_api(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc), *ops;
    if (e == NULL)
        return RS_GW_REPLIED;
    int rc = rs_gw_rest_patches(op, &ops);
    json_object *api = rs_gw_obj(e, "api");
    for (size_t i = 0; rc == 0 && ops != NULL && i < json_object_array_length(ops); i++)
        rc = patch_api_one(op, api, json_object_array_get_idx(ops, i));
    if (rc != 0)
        return rc;
    op->result = rs_gw_copy(api);
    op->status = 200;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

/* ---- DeleteRestApi ------------------------------------------------------------------- */

static int delete_api(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    if (rs_gw_rest_api_entry(op, doc) == NULL)
        return RS_GW_REPLIED;
    json_object_object_del(rs_gw_doc_coll(doc, "rest"), op->seg[1]);
    /* base path mappings to it go with it */
    json_object_object_foreach(rs_gw_doc_coll(doc, "domains"), dn, d)
    {
        (void)dn;
        json_object *maps = rs_gw_get(d, "mappings");
        if (!json_object_is_type(maps, json_type_object))
            continue;
        const char *gone[64];
        size_t ngone = 0;
        json_object_object_foreach(maps, mid, m)
        {
            if (ngone < 64 && strcmp(rs_gw_get_str(m, "apiId"), op->seg[1]) == 0)
                gone[ngone++] = mid;
        }
        for (size_t i = 0; i < ngone; i++)
            json_object_object_del(maps, gone[i]);
    }
    op->status = 202;
    *changed = 1;
    return 0;
}

int rs_gw_rest_apis(rs_gw_rest_op_t *op)
{
    const char *m = op->c->method;
    if (op->nseg == 1 && strcmp(m, "POST") == 0)
        return rs_gw_rest_run(op, create_api, 1);
    if (op->nseg == 1 && strcmp(m, "GET") == 0)
        return rs_gw_rest_run(op, list_apis, 0);
    if (op->nseg == 2 && strcmp(m, "GET") == 0)
        return rs_gw_rest_run(op, get_api, 0);
    if (op->nseg == 2 && strcmp(m, "PATCH") == 0)
        return rs_gw_rest_run(op, update_api, 1);
    if (op->nseg == 2 && strcmp(m, "DELETE") == 0)
        return rs_gw_rest_run(op, delete_api, 1);
    return RS_GW_NO_ROUTE;
}

/* ---- dispatch ------------------------------------------------------------------------ */

static int unknown(const rs_gw_call_t *c, rs_lambda_resp_t *out)
{
    return rs_gw_reply_error(out, RS_GE_UNKNOWN_OP,
                             "RustStack does not implement the apigateway operation %s %s",
                             c->method, c->path);
}

static int parse_body(rs_gw_rest_op_t *op)
{
    if (op->c->len == 0 || op->c->body == NULL) {
        op->in = json_object_new_object();
        return op->in ? 0 : RS_ENOMEM;
    }
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return RS_ENOMEM;
    op->in = json_tokener_parse_ex(tok, op->c->body, (int)op->c->len);
    int ok = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    if (!ok || !json_object_is_type(op->in, json_type_object)) {
        json_object_put(op->in);
        op->in = NULL;
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Could not parse request body into json");
    }
    return 0;
}

static int dispatch(rs_gw_rest_op_t *op)
{
    const char *s0 = op->seg[0];
    if (op->nseg >= 1 && strcmp(s0, "restapis") == 0) {
        if (op->nseg <= 2)
            return rs_gw_rest_apis(op);
        if (strcmp(op->seg[2], "resources") == 0)
            return rs_gw_rest_res(op);
        if (strcmp(op->seg[2], "deployments") == 0 || strcmp(op->seg[2], "stages") == 0)
            return rs_gw_rest_stage(op);
        return RS_GW_NO_ROUTE;
    }
    if (op->nseg >= 1 && strcmp(s0, "domainnames") == 0)
        return rs_gw_rest_domain(op);
    if (op->nseg >= 1 && strcmp(s0, "tags") == 0)
        return rs_gw_rest_tags(op);
    return RS_GW_NO_ROUTE;
}

int rs_gw_rest_handle(const rs_gw_call_t *c, rs_lambda_resp_t *out)
{
    rs_gw_rest_op_t *op = calloc(1, sizeof(*op));
    if (op == NULL)
        return RS_ENOMEM;
    op->c = c;
    op->out = out;
    int n = rs_gw_split_path(c->path, op->seg, RS_GW_SEG_MAX);
    int rc;
    if (n <= 0) {
        rc = unknown(c, out);
    } else {
        op->nseg = (size_t)n;
        rc = parse_body(op);
        if (rc == 0) {
            rc = dispatch(op);
            if (rc == RS_GW_NO_ROUTE)
                rc = unknown(c, out);
        } else if (rc == RS_GW_REPLIED) {
            rc = 0;
        }
    }
    json_object_put(op->in);
    json_object_put(op->result);
    free(op);
    return rc;
}
