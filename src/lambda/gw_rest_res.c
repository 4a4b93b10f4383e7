/*
 * gw_rest_res.c: the resources of a REST API and what hangs off them (apigateway v1):
 * GetResources, GetResource, CreateResource, DeleteResource; PutMethod, GetMethod,
 * DeleteMethod; PutIntegration, GetIntegration, DeleteIntegration; Put/Get/Delete of
 * method responses and integration responses. A resource is stored with all its methods
 * (resourceMethods, each with its methodIntegration) as gw_store.h says.
 * Runs in: the lambda supervisor (its handler threads).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/gw_rest.h"
#include "rs/err.h"

#define TIMEOUT_MIN 50
#define TIMEOUT_MAX 29000

/* ---- lookups (each answers NotFound when missing) ------------------------------------ */

json_object *rs_gw_rest_resource_of(rs_gw_rest_op_t *op, json_object *e, const char *id)
{
    json_object *r = rs_gw_get(rs_gw_get(e, "resources"), id);
    if (r == NULL)
        rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Resource identifier specified");
    return r;
}

static json_object *method_of(rs_gw_rest_op_t *op, json_object *r, const char *m)
{
    json_object *v = rs_gw_get(rs_gw_get(r, "resourceMethods"), m);
    if (v == NULL)
        rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Method identifier specified");
    return v;
}

/* the API, resource (seg 3) and method (seg 5) of the request; NULL after answering */
json_object *rs_gw_rest_method_req(rs_gw_rest_op_t *op, json_object *doc, json_object **res)
{
    json_object *e = rs_gw_rest_api_entry(op, doc), *r;
    if (e == NULL || (r = rs_gw_rest_resource_of(op, e, op->seg[3])) == NULL)
        return NULL;
    if (res != NULL)
        *res = r;
    return method_of(op, r, op->seg[5]);
}

static int embed_methods(const rs_gw_rest_op_t *op)
{
    char v[64];
    for (int i = 0; i < 16 && rs_gw_query_get(op->c->query, "embed", i, v, sizeof(v)); i++) {
        /* a list may also come comma-separated */
        char *save = NULL;
        for (char *t = strtok_r(v, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
            if (strcmp(t, "methods") == 0)
                return 1;
    }
    return 0;
}

/* a resource as answered: with its methods in full when `embed`, else their names only */
json_object *rs_gw_rest_resource_view(json_object *r, int embed)
{
    json_object *v = rs_gw_copy(r);
    if (v == NULL)
        return NULL;
    json_object *rm = rs_gw_get(v, "resourceMethods");
    if (!json_object_is_type(rm, json_type_object) || json_object_object_length(rm) == 0) {
        json_object_object_del(v, "resourceMethods");
        return v;
    }
    if (!embed) {
        json_object *names = json_object_new_object();
        json_object_object_foreach(rm, m, unused)
        {
            (void)unused;
            json_object_object_add(names, m, json_object_new_object());
        }
        json_object_object_add(v, "resourceMethods", names);
    }
    return v;
}

/* ---- resources ----------------------------------------------------------------------- */

static int get_resources(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *e = rs_gw_rest_api_entry(op, doc);
    if (e == NULL)
        return RS_GW_REPLIED;
    int embed = embed_methods(op);
    json_object *items = json_object_new_array(), *res = rs_gw_members(e, "resources");
    if (res != NULL) {
        json_object_object_foreach(res, id, r)
        {
            (void)id;
            json_object_array_add(items, rs_gw_rest_resource_view(r, embed));
        }
    }
    op->status = 200;
    return rs_gw_rest_page(op, items, &op->result);
}

static int get_resource(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *e = rs_gw_rest_api_entry(op, doc), *r;
    if (e == NULL || (r = rs_gw_rest_resource_of(op, e, op->seg[3])) == NULL)
        return RS_GW_REPLIED;
    op->result = rs_gw_rest_resource_view(r, embed_methods(op));
    op->status = 200;
    return op->result ? 0 : RS_ENOMEM;
}

static int name_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '.' || ch == '_' || ch == '-' || ch == ':' ||
           ch == '@' || ch == '$' || ch == '~' || ch == '!' || ch == '\'' || ch == '*' ||
           ch == '=' || ch == ',' || ch == ';' || ch == '&';
}

/* 0: a literal, 1: {param}, 2: {param+}, -1: invalid */
int rs_gw_path_part_kind(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 255)
        return -1;
    if (p[0] == '{') {
        if (n < 3 || p[n - 1] != '}')
            return -1;
        int greedy = p[n - 2] == '+';
        size_t end = n - 1 - (size_t)greedy;
        if (end <= 1)
            return -1;
        for (size_t i = 1; i < end; i++)
            if (!isalnum((unsigned char)p[i]) && p[i] != '.' && p[i] != '_' && p[i] != '-')
                return -1;
        return greedy ? 2 : 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!name_char(p[i]))
            return -1;
    return 0;
}

int rs_gw_check_placement(rs_gw_rest_op_t *op, json_object *res, const char *self_id,
                          json_object *parent, const char *parent_id, const char *pp)
{
    int kind = pp != NULL ? rs_gw_path_part_kind(pp) : -1;
    if (kind < 0)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "Resource's path part only allow a-zA-Z0-9._- and curly braces "
                               "at the beginning and the end and an optional plus sign before "
                               "the closing brace.");
    const char *ppp = rs_gw_get_str(parent, "pathPart");
    if (rs_gw_path_part_kind(ppp) == 2)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "Cannot create a child of a resource with a greedy path "
                               "variable: %s",
                               ppp);
    json_object_object_foreach(res, sid, s)
    {
        if ((self_id != NULL && strcmp(sid, self_id) == 0) ||
            strcmp(rs_gw_get_str(s, "parentId"), parent_id) != 0)
            continue;
        const char *spp = rs_gw_get_str(s, "pathPart");
        if (strcmp(spp, pp) == 0)
            return rs_gw_rest_fail(op, RS_GE_CONFLICT,
                                   "Another resource with the same parent already has this "
                                   "name: %s",
                                   pp);
        if (kind > 0 && rs_gw_path_part_kind(spp) > 0)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "A sibling (%s) of this resource already has a variable "
                                   "path part -- only one is allowed",
                                   spp);
    }
    return 0;
}

static int create_resource(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc), *parent;
    if (e == NULL || (parent = rs_gw_rest_resource_of(op, e, op->seg[3])) == NULL)
        return RS_GW_REPLIED;
    const char *pp = rs_gw_in_str(op, "pathPart");
    json_object *res = rs_gw_obj(e, "resources");
    int rc = rs_gw_check_placement(op, res, NULL, parent, op->seg[3], pp);
    if (rc != 0)
        return rc;
    char id[7], path[2048];
    do
        rs_gw_new_id(id, 6);
    while (rs_gw_get(res, id) != NULL);
    const char *parent_path = rs_gw_get_str(parent, "path");
    snprintf(path, sizeof(path), "%s/%s", strcmp(parent_path, "/") == 0 ? "" : parent_path, pp);
    json_object *r = json_object_new_object();
    json_object_object_add(r, "id", json_object_new_string(id));
    json_object_object_add(r, "parentId", json_object_new_string(op->seg[3]));
    json_object_object_add(r, "pathPart", json_object_new_string(pp));
    json_object_object_add(r, "path", json_object_new_string(path));
    json_object_object_add(r, "resourceMethods", json_object_new_object());
    json_object_object_add(res, id, r);
    op->result = rs_gw_rest_resource_view(r, 0);
    op->status = 201;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

/* whether resource `id` is `top` or under it */
static int is_under(json_object *res, const char *id, const char *top)
{
    for (int depth = 0; depth < 1000 && id != NULL && *id; depth++) {
        if (strcmp(id, top) == 0)
            return 1;
        json_object *r = rs_gw_get(res, id);
        if (r == NULL)
            return 0;
        id = rs_gw_get_str(r, "parentId");
    }
    return 0;
}

static int delete_resource(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc), *r;
    if (e == NULL || (r = rs_gw_rest_resource_of(op, e, op->seg[3])) == NULL)
        return RS_GW_REPLIED;
    if (strcmp(rs_gw_get_str(rs_gw_get(e, "api"), "rootResourceId"), op->seg[3]) == 0)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Cannot delete root resource");
    json_object *res = rs_gw_obj(e, "resources");
    /* collect the ids first: a deletion would break the parent chains */
    json_object *gone = json_object_new_array();
    json_object_object_foreach(res, id, unused)
    {
        (void)unused;
        if (is_under(res, id, op->seg[3]))
            json_object_array_add(gone, json_object_new_string(id));
    }
    for (size_t i = 0; i < json_object_array_length(gone); i++)
        json_object_object_del(res, json_object_get_string(json_object_array_get_idx(gone, i)));
    json_object_put(gone);
    op->status = 202;
    *changed = 1;
    return 0;
}

/* ---- methods ------------------------------------------------------------------------- */

static int put_method(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *e = rs_gw_rest_api_entry(op, doc), *r;
    if (e == NULL || (r = rs_gw_rest_resource_of(op, e, op->seg[3])) == NULL)
        return RS_GW_REPLIED;
    const char *m = op->seg[5];
    if (!rs_gw_http_method_ok(m))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "Invalid HttpMethod specified. Valid options are "
                               "GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY");
    const char *auth = rs_gw_in_str(op, "authorizationType");
    if (auth == NULL || !*auth)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "1 validation error detected: Value null at "
                               "'putMethodInput.authorizationType' failed to satisfy "
                               "constraint: Member must not be null");
    if (strcmp(auth, "CUSTOM") == 0 || strcmp(auth, "COGNITO_USER_POOLS") == 0)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "Invalid authorizer ID specified. Setting the authorization "
                               "type to CUSTOM or COGNITO_USER_POOLS requires a valid "
                               "authorizer.");
    if (strcmp(auth, "NONE") != 0 && strcmp(auth, "AWS_IAM") != 0)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid authorization type specified");
    json_object *methods = rs_gw_obj(r, "resourceMethods");
    if (rs_gw_get(methods, m) != NULL)
        return rs_gw_rest_fail(op, RS_GE_CONFLICT, "Method already exists for this resource");
    json_object *v = json_object_new_object();
    json_object_object_add(v, "httpMethod", json_object_new_string(m));
    json_object_object_add(v, "authorizationType", json_object_new_string(auth));
    json_object *akr = rs_gw_get(op->in, "apiKeyRequired");
    json_object_object_add(v, "apiKeyRequired",
                           json_object_new_boolean(json_object_get_boolean(akr)));
    rs_gw_copy_member(v, op->in, "operationName", json_type_string);
    rs_gw_copy_member(v, op->in, "requestParameters", json_type_object);
    rs_gw_copy_member(v, op->in, "requestModels", json_type_object);
    rs_gw_copy_member(v, op->in, "requestValidatorId", json_type_string);
    rs_gw_copy_member(v, op->in, "authorizationScopes", json_type_array);
    json_object_object_add(methods, m, v);
    op->result = rs_gw_copy(v);
    op->status = 201;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

static int get_method(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *v = rs_gw_rest_method_req(op, doc, NULL);
    if (v == NULL)
        return RS_GW_REPLIED;
    op->result = rs_gw_copy(v);
    op->status = 200;
    return op->result ? 0 : RS_ENOMEM;
}

static int delete_method(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *r;
    if (rs_gw_rest_method_req(op, doc, &r) == NULL)
        return RS_GW_REPLIED;
    json_object_object_del(rs_gw_obj(r, "resourceMethods"), op->seg[5]);
    op->status = 204;
    *changed = 1;
    return 0;
}

/* ---- integrations -------------------------------------------------------------------- */

int rs_gw_rest_check_uri(rs_gw_rest_op_t *op, const char *type, const char *uri)
{
    if (strcmp(type, "HTTP") == 0 || strcmp(type, "HTTP_PROXY") == 0) {
        if (uri == NULL || (strncmp(uri, "http://", 7) != 0 && strncmp(uri, "https://", 8) != 0))
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "Invalid HTTP endpoint specified for URI");
        return 0;
    }
    if (strcmp(type, "AWS") == 0 || strcmp(type, "AWS_PROXY") == 0) {
        if (uri == NULL || strncmp(uri, "arn:", 4) != 0)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid ARN specified in the request");
        if (strcmp(type, "AWS_PROXY") == 0 && strstr(uri, ":lambda:path/") == NULL &&
            strstr(uri, ":firehose:") == NULL)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "Integrations of type 'AWS_PROXY' currently only supports "
                                   "Lambda function and Firehose stream invocations.");
        if (strstr(uri, ":path/") == NULL && strstr(uri, ":action/") == NULL)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "AWS ARN for integration must contain path or action");
    }
    return 0;
}

static int put_integration(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *v = rs_gw_rest_method_req(op, doc, NULL);
    if (v == NULL)
        return RS_GW_REPLIED;
    const char *type = rs_gw_in_str(op, "type");
    if (type == NULL || !*type)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "Enumeration value for IntegrationType must be non-empty");
    if (strcmp(type, "HTTP") != 0 && strcmp(type, "AWS") != 0 && strcmp(type, "MOCK") != 0 &&
        strcmp(type, "HTTP_PROXY") != 0 && strcmp(type, "AWS_PROXY") != 0)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "1 validation error detected: Value '%s' at "
                               "'putIntegrationInput.type' failed to satisfy constraint: "
                               "Member must satisfy enum value set: [HTTP, AWS, MOCK, "
                               "HTTP_PROXY, AWS_PROXY]",
                               type);
    const char *hm = rs_gw_in_str(op, "httpMethod");
    int mock = strcmp(type, "MOCK") == 0;
    if (!mock && (hm == NULL || !*hm))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "Enumeration value for HttpMethod must be non-empty");
    if (hm != NULL && *hm && !rs_gw_http_method_ok(hm))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "Invalid HttpMethod specified. Valid options are "
                               "GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY");
    const char *uri = rs_gw_in_str(op, "uri");
    int rc = rs_gw_rest_check_uri(op, type, uri);
    if (rc != 0)
        return rc;
    int64_t timeout = TIMEOUT_MAX;
    json_object *t = rs_gw_get(op->in, "timeoutInMillis");
    if (t != NULL && !json_object_is_type(t, json_type_null)) {
        timeout = json_object_get_int64(t);
        if (!json_object_is_type(t, json_type_int) || timeout < TIMEOUT_MIN ||
            timeout > TIMEOUT_MAX)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "Timeout should be between %d ms and %d ms", TIMEOUT_MIN,
                                   TIMEOUT_MAX);
    }
    json_object *in = json_object_new_object();
    json_object_object_add(in, "type", json_object_new_string(type));
    if (hm != NULL && *hm)
        json_object_object_add(in, "httpMethod", json_object_new_string(hm));
    if (uri != NULL)
        json_object_object_add(in, "uri", json_object_new_string(uri));
    const char *ct = rs_gw_in_str(op, "connectionType");
    json_object_object_add(in, "connectionType", json_object_new_string(ct ? ct : "INTERNET"));
    rs_gw_copy_member(in, op->in, "connectionId", json_type_string);
    rs_gw_copy_member(in, op->in, "credentials", json_type_string);
    rs_gw_copy_member(in, op->in, "requestParameters", json_type_object);
    rs_gw_copy_member(in, op->in, "requestTemplates", json_type_object);
    const char *pb = rs_gw_in_str(op, "passthroughBehavior");
    json_object_object_add(in, "passthroughBehavior",
                           json_object_new_string(pb ? pb : "WHEN_NO_MATCH"));
    rs_gw_copy_member(in, op->in, "contentHandling", json_type_string);
    json_object_object_add(in, "timeoutInMillis", json_object_new_int64(timeout));
    const char *cn = rs_gw_in_str(op, "cacheNamespace");
    json_object_object_add(in, "cacheNamespace", json_object_new_string(cn ? cn : op->seg[3]));
    json_object *ckp = rs_gw_get(op->in, "cacheKeyParameters");
    json_object_object_add(in, "cacheKeyParameters",
                           json_object_is_type(ckp, json_type_array) ? rs_gw_copy(ckp)
                                                                     : json_object_new_array());
    rs_gw_copy_member(in, op->in, "tlsConfig", json_type_object);
    rs_gw_copy_member(in, op->in, "responseTransferMode", json_type_string);
    rs_gw_copy_member(in, op->in, "integrationTarget", json_type_string);
    json_object_object_add(v, "methodIntegration", in);
    op->result = rs_gw_copy(in);
    op->status = 201;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

static json_object *integration_of(rs_gw_rest_op_t *op, json_object *doc)
{
    json_object *v = rs_gw_rest_method_req(op, doc, NULL), *in;
    if (v == NULL)
        return NULL;
    in = rs_gw_get(v, "methodIntegration");
    if (in == NULL)
        rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Integration identifier specified");
    return in;
}

static int get_integration(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *in = integration_of(op, doc);
    if (in == NULL)
        return RS_GW_REPLIED;
    op->result = rs_gw_copy(in);
    op->status = 200;
    return op->result ? 0 : RS_ENOMEM;
}

static int delete_integration(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *v = rs_gw_rest_method_req(op, doc, NULL);
    if (v == NULL)
        return RS_GW_REPLIED;
    if (rs_gw_get(v, "methodIntegration") == NULL)
        return rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Integration identifier specified");
    json_object_object_del(v, "methodIntegration");
    op->status = 204;
    *changed = 1;
    return 0;
}

/* ---- method and integration responses ------------------------------------------------ */

static int status_code_ok(const char *s)
{
    return strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && isdigit((unsigned char)s[1]) &&
           isdigit((unsigned char)s[2]);
}

/* the map of responses the request names: the method's methodResponses (seg 6
 * "responses") or its integration's integrationResponses, made when `create` (else *map
 * may be NULL: none); 0 or RS_GW_REPLIED */
static int responses_of(rs_gw_rest_op_t *op, json_object *doc, int integration, int create,
                        json_object **map)
{
    json_object *holder =
        integration ? integration_of(op, doc) : rs_gw_rest_method_req(op, doc, NULL);
    const char *name = integration ? "integrationResponses" : "methodResponses";
    if (holder == NULL)
        return RS_GW_REPLIED;
    *map = create ? rs_gw_obj(holder, name) : rs_gw_members(holder, name);
    return 0;
}

static int put_response(json_object *doc, rs_gw_rest_op_t *op, int *changed, int integration)
{
    json_object *map = NULL;
    const char *code = op->seg[op->nseg - 1];
    if (responses_of(op, doc, integration, 1, &map) != 0)
        return RS_GW_REPLIED;
    if (!status_code_ok(code))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid response status code specified");
    json_object *v = json_object_new_object();
    json_object_object_add(v, "statusCode", json_object_new_string(code));
    if (integration) {
        rs_gw_copy_member(v, op->in, "selectionPattern", json_type_string);
        rs_gw_copy_member(v, op->in, "responseParameters", json_type_object);
        rs_gw_copy_member(v, op->in, "responseTemplates", json_type_object);
        rs_gw_copy_member(v, op->in, "contentHandling", json_type_string);
    } else {
        rs_gw_copy_member(v, op->in, "responseParameters", json_type_object);
        rs_gw_copy_member(v, op->in, "responseModels", json_type_object);
    }
    json_object_object_add(map, code, v);
    op->result = rs_gw_copy(v);
    op->status = 201;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

static int get_or_delete_response(json_object *doc, rs_gw_rest_op_t *op, int *changed,
                                  int integration, int del)
{
    json_object *map = NULL, *v;
    const char *code = op->seg[op->nseg - 1];
    if (responses_of(op, doc, integration, 0, &map) != 0)
        return RS_GW_REPLIED;
    if ((v = rs_gw_get(map, code)) == NULL)
        return rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Response status code specified");
    if (del) {
        json_object_object_del(map, code);
        op->status = 204;
        *changed = 1;
        return 0;
    }
    op->result = rs_gw_copy(v);
    op->status = 200;
    return op->result ? 0 : RS_ENOMEM;
}

static int put_method_response(json_object *doc, void *arg, int *changed)
{
    return put_response(doc, arg, changed, 0);
}

static int put_integration_response(json_object *doc, void *arg, int *changed)
{
    return put_response(doc, arg, changed, 1);
}

static int get_method_response(json_object *doc, void *arg, int *changed)
{
    return get_or_delete_response(doc, arg, changed, 0, 0);
}

static int get_integration_response(json_object *doc, void *arg, int *changed)
{
    return get_or_delete_response(doc, arg, changed, 1, 0);
}

static int delete_method_response(json_object *doc, void *arg, int *changed)
{
    return get_or_delete_response(doc, arg, changed, 0, 1);
}

static int delete_integration_response(json_object *doc, void *arg, int *changed)
{
    return get_or_delete_response(doc, arg, changed, 1, 1);
}

/* ---- routes -------------------------------------------------------------------------- */

typedef struct route {
    const char *method;
    rs_gw_edit_fn fn;
    int edit;
} route_t;

static int pick(rs_gw_rest_op_t *op, const route_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(op->c->method, r[i].method) == 0)
            return rs_gw_rest_run(op, r[i].fn, r[i].edit);
    return RS_GW_NO_ROUTE;
}

int rs_gw_rest_res(rs_gw_rest_op_t *op)
{
    static const route_t coll[] = {{"GET", get_resources, 0}};
    static const route_t one[] = {
        {"GET", get_resource, 0}, {"POST", create_resource, 1}, {"DELETE", delete_resource, 1}};
    static const route_t meth[] = {
        {"PUT", put_method, 1}, {"GET", get_method, 0}, {"DELETE", delete_method, 1}};
    static const route_t integ[] = {{"PUT", put_integration, 1},
                                    {"GET", get_integration, 0},
                                    {"DELETE", delete_integration, 1}};
    static const route_t mresp[] = {{"PUT", put_method_response, 1},
                                    {"GET", get_method_response, 0},
                                    {"DELETE", delete_method_response, 1}};
    static const route_t iresp[] = {{"PUT", put_integration_response, 1},
                                    {"GET", get_integration_response, 0},
                                    {"DELETE", delete_integration_response, 1}};
    if (strcmp(op->c->method, "PATCH") == 0)
        return rs_gw_rest_update(op);
#define PICK(t) pick(op, t, sizeof(t) / sizeof(t[0]))
    char(*s)[RS_GW_SEG_LEN] = op->seg;
    switch (op->nseg) {
    case 3:
        return PICK(coll);
    case 4:
        return PICK(one);
    case 6:
        return strcmp(s[4], "methods") == 0 ? PICK(meth) : RS_GW_NO_ROUTE;
    case 7:
        return strcmp(s[4], "methods") == 0 && strcmp(s[6], "integration") == 0 ? PICK(integ)
                                                                                : RS_GW_NO_ROUTE;
    case 8:
        return strcmp(s[4], "methods") == 0 && strcmp(s[6], "responses") == 0 ? PICK(mresp)
                                                                              : RS_GW_NO_ROUTE;
    case 9:
        return strcmp(s[4], "methods") == 0 && strcmp(s[6], "integration") == 0 &&
                       strcmp(s[7], "responses") == 0
                   ? PICK(iresp)
                   : RS_GW_NO_ROUTE;
    default:
        return RS_GW_NO_ROUTE;
    }
#undef PICK
}
