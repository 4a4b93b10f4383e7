/*
 * gw_v2_domains.c: apigatewayv2 custom domain names (shared with the apigateway control
 * plane: one "domains" entry per lower-case name, "v2" the apigatewayv2 shape, "domain" the
 * v1 shape) and their API mappings ("mappings", shared with v1 base path mappings:
 * apiMappingKey "" is the root).
 * Runs in: the lambda supervisor (handler threads).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lambda/gw_v2.h"

#define NMEMBERS(a) (sizeof(a) / sizeof((a)[0]))

static void lower(char *out, size_t cap, const char *in)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

json_object *rs_v2_domain(rs_v2_req_t *q, json_object *doc, const char *name)
{
    char key[512];
    lower(key, sizeof(key), name);
    json_object *e = rs_gw_doc_owned(doc, "domains", key, q->c->account, q->c->region);
    if (e == NULL)
        rs_v2_fail(q, RS_GE_NOT_FOUND,
                   "The domain name resource specified in the request was not found.");
    return e;
}

static json_object *config_of(json_object *cfg, const char *name)
{
    json_object *c = json_object_new_object(), *v;
    json_object_object_add(c, "apiGatewayDomainName", json_object_new_string(name));
    json_object_object_foreach(cfg, k, val)
    {
        if (strcmp(k, "apiGatewayDomainName") != 0)
            json_object_object_add(c, k, rs_v2_copy_of(val));
    }
    if (!json_object_object_get_ex(c, "domainNameStatus", &v))
        json_object_object_add(c, "domainNameStatus", json_object_new_string("AVAILABLE"));
    if (!json_object_object_get_ex(c, "endpointType", &v))
        json_object_object_add(c, "endpointType", json_object_new_string("REGIONAL"));
    if (!json_object_object_get_ex(c, "securityPolicy", &v))
        json_object_object_add(c, "securityPolicy", json_object_new_string("TLS_1_2"));
    return c;
}

json_object *rs_v2_domain_view(json_object *entry, const char *name)
{
    json_object *v2, *v1;
    if (json_object_object_get_ex(entry, "v2", &v2))
        return rs_v2_copy_of(v2);
    /* made by the apigateway (v1) control plane: its shape seen through v2 */
    json_object *d = json_object_new_object(), *cfg = json_object_new_object(), *tags;
    json_object_object_get_ex(entry, "domain", &v1);
    const char *cert = rs_v2_str(v1, "regionalCertificateArn");
    if (cert == NULL)
        cert = rs_v2_str(v1, "certificateArn");
    if (cert != NULL)
        json_object_object_add(cfg, "certificateArn", json_object_new_string(cert));
    json_object *cfgs = json_object_new_array();
    json_object_array_add(cfgs, config_of(cfg, name));
    json_object_put(cfg);
    json_object_object_add(d, "apiMappingSelectionExpression",
                           json_object_new_string("$request.basepath"));
    json_object_object_add(d, "domainName", json_object_new_string(name));
    json_object_object_add(d, "domainNameConfigurations", cfgs);
    json_object_object_add(d, "tags",
                           v1 != NULL && json_object_object_get_ex(v1, "tags", &tags)
                               ? rs_v2_copy_of(tags)
                               : json_object_new_object());
    return d;
}

/* domainNameConfigurations of the body, checked, in the stored form (NULL: replied) */
static json_object *configs(rs_v2_req_t *q, const char *name)
{
    json_object *in, *out = json_object_new_array();
    if (!json_object_object_get_ex(q->body, "domainNameConfigurations", &in) || in == NULL) {
        json_object *c = json_object_new_object();
        json_object_array_add(out, config_of(c, name));
        json_object_put(c);
        return out;
    }
    if (!json_object_is_type(in, json_type_array)) {
        json_object_put(out);
        rs_v2_fail(q, RS_GE_BAD_REQUEST,
                   "Invalid input: domainNameConfigurations must be a list of objects");
        return NULL;
    }
    for (size_t i = 0; i < json_object_array_length(in); i++) {
        json_object *c = json_object_array_get_idx(in, i);
        if (!json_object_is_type(c, json_type_object)) {
            json_object_put(out);
            rs_v2_fail(q, RS_GE_BAD_REQUEST,
                       "Invalid input: domainNameConfigurations must be a list of objects");
            return NULL;
        }
        json_object_array_add(out, config_of(c, name));
    }
    return out;
}

int rs_v2_create_domain(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    static const rs_v2_member_t spec[] = {
        {"domainName", 's'}, {"mutualTlsAuthentication", 'o'}, {"routingMode", 's'}, {"tags", 'm'}};
    json_object *scratch = json_object_new_object(), *x, *tags;
    int rc = rs_v2_copy(q, scratch, spec, NMEMBERS(spec));
    json_object_put(scratch);
    if (rc != 0 || rs_v2_require(q, "domainName"))
        return RS_V2_REPLIED;
    const char *given = rs_v2_str(q->body, "domainName");
    char name[512];
    lower(name, sizeof(name), given);
    if (name[0] == '\0' || strlen(given) > 253 || strchr(name, '/') != NULL ||
        strchr(name, ' ') != NULL)
        return rs_v2_fail(q, RS_GE_BAD_REQUEST, "Invalid domain name specified: %s", given);
    json_object *domains = rs_gw_doc_coll(doc, "domains");
    if (json_object_object_get_ex(domains, name, &x))
        return rs_v2_fail(q, RS_GE_CONFLICT, "The domain name resource already exists.");
    json_object *cfgs = configs(q, name);
    if (cfgs == NULL)
        return RS_V2_REPLIED;
    char arn[700];
    snprintf(arn, sizeof(arn), "arn:aws:apigateway:%s::/domainnames/%s", q->c->region, name);
    json_object *d = json_object_new_object();
    json_object_object_add(d, "apiMappingSelectionExpression",
                           json_object_new_string("$request.basepath"));
    json_object_object_add(d, "domainName", json_object_new_string(name));
    json_object_object_add(d, "domainNameArn", json_object_new_string(arn));
    json_object_object_add(d, "domainNameConfigurations", cfgs);
    if (json_object_object_get_ex(q->body, "mutualTlsAuthentication", &x) && x != NULL)
        json_object_object_add(d, "mutualTlsAuthentication", rs_v2_copy_of(x));
    const char *mode = rs_v2_str(q->body, "routingMode");
    json_object_object_add(d, "routingMode",
                           json_object_new_string(mode != NULL ? mode : "API_MAPPING_ONLY"));
    json_object_object_add(d, "tags",
                           json_object_object_get_ex(q->body, "tags", &tags) && tags != NULL
                               ? rs_v2_copy_of(tags)
                               : json_object_new_object());
    json_object *e = json_object_new_object();
    json_object_object_add(e, "account", json_object_new_string(q->c->account));
    json_object_object_add(e, "region", json_object_new_string(q->c->region));
    json_object_object_add(e, "v2", d);
    json_object_object_add(e, "mappings", json_object_new_object());
    json_object_object_add(domains, name, e);
    *changed = 1;
    return rs_v2_answer(q, 201, d);
}

int rs_v2_get_domain(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *e = rs_v2_domain(q, doc, q->seg[1]);
    if (e == NULL)
        return RS_V2_REPLIED;
    char name[512];
    lower(name, sizeof(name), q->seg[1]);
    q->status = 200;
    q->result = rs_v2_domain_view(e, name);
    return 0;
}

int rs_v2_get_domains(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *all = json_object_new_array();
    json_object_object_foreach(rs_gw_doc_coll(doc, "domains"), name, e)
    {
        if (rs_gw_doc_owned(doc, "domains", name, q->c->account, q->c->region) == e)
            json_object_array_add(all, rs_v2_domain_view(e, name));
    }
    return rs_v2_page(q, all);
}

int rs_v2_update_domain(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    static const rs_v2_member_t spec[] = {{"mutualTlsAuthentication", 'o'}, {"routingMode", 's'}};
    json_object *e = rs_v2_domain(q, doc, q->seg[1]), *x;
    if (e == NULL)
        return RS_V2_REPLIED;
    char name[512];
    lower(name, sizeof(name), q->seg[1]);
    json_object *d = rs_v2_domain_view(e, name);
    if (rs_v2_copy(q, d, spec, NMEMBERS(spec)) != 0) {
        json_object_put(d);
        return RS_V2_REPLIED;
    }
    if (json_object_object_get_ex(q->body, "domainNameConfigurations", &x) && x != NULL) {
        json_object *cfgs = configs(q, name);
        if (cfgs == NULL) {
            json_object_put(d);
            return RS_V2_REPLIED;
        }
        json_object_object_add(d, "domainNameConfigurations", cfgs);
    }
    json_object_object_add(e, "v2", d);
    *changed = 1;
    return rs_v2_answer(q, 200, d);
}

int rs_v2_delete_domain(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    if (rs_v2_domain(q, doc, q->seg[1]) == NULL)
        return RS_V2_REPLIED;
    char name[512];
    lower(name, sizeof(name), q->seg[1]);
    json_object_object_del(rs_gw_doc_coll(doc, "domains"), name);
    *changed = 1;
    return rs_v2_answer(q, 204, NULL);
}

/* ---- API mappings ------------------------------------------------------------------------- */

static const rs_v2_member_t mapping_members[] = {
    {"apiId", 's'}, {"apiMappingKey", 's'}, {"stage", 's'}};

/* the mapping the body would make (cur: the one updated, or NULL) */
static int check_mapping(rs_v2_req_t *q, json_object *doc, json_object *dom, json_object *cur)
{
    json_object *scratch = json_object_new_object(), *x;
    int rc = rs_v2_copy(q, scratch, mapping_members, NMEMBERS(mapping_members));
    json_object_put(scratch);
    if (rc != 0)
        return rc;
    const char *api = rs_v2_str(q->body, "apiId"), *stage = rs_v2_str(q->body, "stage");
    const char *key = rs_v2_str(q->body, "apiMappingKey");
    if (stage == NULL)
        stage = rs_v2_str(cur, "stage");
    /* a domain maps REST APIs as well as HTTP APIs (AWS: "API mappings ... for REST APIs
     * and HTTP APIs") */
    json_object *e = rs_gw_doc_owned(doc, "rest", api, q->c->account, q->c->region);
    if (e == NULL && (e = rs_v2_api(q, doc, api)) == NULL)
        return RS_V2_REPLIED;
    if (stage == NULL || !json_object_object_get_ex(rs_v2_sub(e, "stages"), stage, &x))
        return rs_v2_fail(q, RS_GE_NOT_FOUND, "Invalid stage identifier specified");
    if (key == NULL)
        return 0;
    size_t n = strlen(key);
    if (n > 0 && (key[0] == '/' || strstr(key, "//") != NULL))
        return rs_v2_fail(q, RS_GE_BAD_REQUEST,
                          "API mapping key should not start with a '/' or have consecutive "
                          "'/'s.");
    if (n > 0 && key[n - 1] == '/')
        return rs_v2_fail(q, RS_GE_BAD_REQUEST, "API mapping key should not end with a '/'.");
    json_object_object_foreach(rs_gw_doc_coll(dom, "mappings"), id, m)
    {
        const char *k = rs_v2_str(m, "apiMappingKey");
        if (m != cur && strcmp(k != NULL ? k : "", key) == 0)
            return rs_v2_fail(q, RS_GE_CONFLICT,
                              "ApiMapping with key '%s' already exists for this domain name "
                              "(apiMappingId %s)",
                              key, id);
    }
    return 0;
}

static json_object *mapping_of(rs_v2_req_t *q, json_object *dom)
{
    json_object *m;
    if (json_object_object_get_ex(rs_gw_doc_coll(dom, "mappings"), q->seg[3], &m))
        return m;
    rs_v2_fail(q, RS_GE_NOT_FOUND,
               "The api mapping resource specified in the request was not found.");
    return NULL;
}

int rs_v2_create_mapping(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *dom = rs_v2_domain(q, doc, q->seg[1]), *x;
    if (dom == NULL || rs_v2_require(q, "apiId") || rs_v2_require(q, "stage"))
        return RS_V2_REPLIED;
    if (rs_v2_str(q->body, "apiMappingKey") == NULL)
        json_object_object_add(q->body, "apiMappingKey", json_object_new_string(""));
    if (check_mapping(q, doc, dom, NULL))
        return RS_V2_REPLIED;
    json_object *maps = rs_gw_doc_coll(dom, "mappings");
    char id[7];
    do
        rs_gw_new_id(id, 6);
    while (json_object_object_get_ex(maps, id, &x));
    json_object *m = json_object_new_object();
    json_object_object_add(m, "apiMappingId", json_object_new_string(id));
    rs_v2_copy(q, m, mapping_members, NMEMBERS(mapping_members));
    json_object_object_add(maps, id, m);
    *changed = 1;
    return rs_v2_answer(q, 201, m);
}

int rs_v2_get_mapping(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *dom = rs_v2_domain(q, doc, q->seg[1]), *m;
    if (dom == NULL || (m = mapping_of(q, dom)) == NULL)
        return RS_V2_REPLIED;
    return rs_v2_answer(q, 200, m);
}

int rs_v2_get_mappings(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    (void)changed;
    json_object *dom = rs_v2_domain(q, doc, q->seg[1]);
    if (dom == NULL)
        return RS_V2_REPLIED;
    return rs_v2_page(q, rs_v2_values(rs_gw_doc_coll(dom, "mappings")));
}

int rs_v2_update_mapping(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *dom = rs_v2_domain(q, doc, q->seg[1]), *m;
    if (dom == NULL || (m = mapping_of(q, dom)) == NULL || rs_v2_require(q, "apiId") ||
        check_mapping(q, doc, dom, m))
        return RS_V2_REPLIED;
    rs_v2_copy(q, m, mapping_members, NMEMBERS(mapping_members));
    *changed = 1;
    return rs_v2_answer(q, 200, m);
}

int rs_v2_delete_mapping(json_object *doc, void *arg, int *changed)
{
    rs_v2_req_t *q = arg;
    json_object *dom = rs_v2_domain(q, doc, q->seg[1]);
    if (dom == NULL || mapping_of(q, dom) == NULL)
        return RS_V2_REPLIED;
    json_object_object_del(rs_gw_doc_coll(dom, "mappings"), q->seg[3]);
    *changed = 1;
    return rs_v2_answer(q, 204, NULL);
}
