/*
 * gw_rest_domain.c: custom domain names and their base path mappings (apigateway v1):
 * CreateDomainName, GetDomainName(s), DeleteDomainName; CreateBasePathMapping,
 * GetBasePathMapping(s), DeleteBasePathMapping. A domain is one record of the store's
 * "domains" (key: the lower-case name) shared with apigatewayv2: "domain" is the v1 shape,
 * "mappings" holds v1 base path mappings and v2 API mappings alike (basePath "(none)" is
 * apiMappingKey ""). RustStack serves the domain itself by Host, so regionalDomainName and
 * distributionDomainName are the domain name.
 * Runs in: the lambda supervisor (its handler threads).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambda/gw_rest.h"
#include "rs/err.h"

#define REGIONAL_ZONE "Z1UJRXOUMOOFQ8"
#define CLOUDFRONT_ZONE "Z2FDTNDATAQYW2"

static void lower_into(char *out, size_t outlen, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < outlen; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

static int domain_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' && *s != '*')
            return 0;
    return 1;
}

/* the domain record named by segment 1, owned by the caller; NULL after answering */
static json_object *domain_of(rs_gw_rest_op_t *op, json_object *doc, char key[RS_GW_SEG_LEN])
{
    lower_into(key, RS_GW_SEG_LEN, op->seg[1]);
    json_object *d = rs_gw_doc_owned(doc, "domains", key, op->c->account, op->c->region);
    if (d == NULL)
        rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid domain name identifier specified");
    return d;
}

/* the v1 shape of a record (made up from the apigatewayv2 shape when only that control
 * plane made it) */
static json_object *domain_view(json_object *d, const char *key)
{
    json_object *v = rs_gw_get(d, "domain");
    if (v != NULL)
        return rs_gw_copy(v);
    json_object *v2 = rs_gw_get(d, "v2"), *cfgs = rs_gw_get(v2, "domainNameConfigurations");
    json_object *cfg =
        json_object_is_type(cfgs, json_type_array) && json_object_array_length(cfgs) > 0
            ? json_object_array_get_idx(cfgs, 0)
            : NULL;
    const char *name = rs_gw_get_str(v2, "domainName");
    int edge = strcmp(rs_gw_get_str(cfg, "endpointType"), "EDGE") == 0;
    v = json_object_new_object();
    json_object_object_add(v, "domainName", json_object_new_string(*name ? name : key));
    rs_gw_copy_member(v, v2, "domainNameArn", json_type_string);
    if (*rs_gw_get_str(cfg, "certificateArn"))
        json_object_object_add(v, edge ? "certificateArn" : "regionalCertificateArn",
                               json_object_new_string(rs_gw_get_str(cfg, "certificateArn")));
    if (*rs_gw_get_str(cfg, "certificateName"))
        json_object_object_add(v, edge ? "certificateName" : "regionalCertificateName",
                               json_object_new_string(rs_gw_get_str(cfg, "certificateName")));
    json_object_object_add(v, edge ? "distributionDomainName" : "regionalDomainName",
                           json_object_new_string(key));
    json_object_object_add(v, edge ? "distributionHostedZoneId" : "regionalHostedZoneId",
                           json_object_new_string(edge ? CLOUDFRONT_ZONE : REGIONAL_ZONE));
    json_object *ec = json_object_new_object(), *types = json_object_new_array();
    json_object_array_add(types, json_object_new_string(edge ? "EDGE" : "REGIONAL"));
    json_object_object_add(ec, "types", types);
    json_object_object_add(v, "endpointConfiguration", ec);
    json_object_object_add(v, "domainNameStatus", json_object_new_string("AVAILABLE"));
    const char *sp = rs_gw_get_str(cfg, "securityPolicy");
    json_object_object_add(v, "securityPolicy", json_object_new_string(*sp ? sp : "TLS_1_2"));
    rs_gw_copy_member(v, v2, "tags", json_type_object);
    return v;
}

/* ---- domain names -------------------------------------------------------------------- */

/* the endpoint types asked for (default EDGE) into ec; 0 or answered */
static int endpoint_types(rs_gw_rest_op_t *op, json_object *ec, int *edge, int *regional)
{
    json_object *in = rs_gw_get(rs_gw_get(op->in, "endpointConfiguration"), "types");
    json_object *types = json_object_new_array();
    json_object_object_add(ec, "types", types);
    *edge = *regional = 0;
    if (!json_object_is_type(in, json_type_array) || json_object_array_length(in) == 0) {
        json_object_array_add(types, json_object_new_string("EDGE"));
        *edge = 1;
        return 0;
    }
    for (size_t i = 0; i < json_object_array_length(in); i++) {
        const char *t = json_object_get_string(json_object_array_get_idx(in, i));
        if (t == NULL ||
            (strcmp(t, "EDGE") != 0 && strcmp(t, "REGIONAL") != 0 && strcmp(t, "PRIVATE") != 0))
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                                   "1 validation error detected: Value '[%s]' at "
                                   "'createDomainNameInput.endpointConfiguration.types' failed "
                                   "to satisfy constraint: Member must satisfy constraint: "
                                   "[Member must satisfy enum value set: [PRIVATE, EDGE, "
                                   "REGIONAL]]",
                                   t != NULL ? t : "null");
        *edge |= strcmp(t, "EDGE") == 0;
        *regional |= strcmp(t, "REGIONAL") == 0 || strcmp(t, "PRIVATE") == 0;
        json_object_array_add(types, json_object_new_string(t));
    }
    return 0;
}

static int create_domain(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    const char *name = rs_gw_in_str(op, "domainName");
    char key[RS_GW_SEG_LEN];
    if (name == NULL || !*name)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "No Domain Name specified");
    if (!domain_name_ok(name) || strlen(name) >= sizeof(key))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid domain name specified: %s", name);
    lower_into(key, sizeof(key), name);
    json_object *coll = rs_gw_doc_coll(doc, "domains");
    if (rs_gw_get(coll, key) != NULL)
        return rs_gw_rest_fail(op, RS_GE_CONFLICT, "The domain name you provided already exists.");
    json_object *v = json_object_new_object(), *ec = json_object_new_object();
    int edge, regional;
    int rc = endpoint_types(op, ec, &edge, &regional);
    if (rc != 0) {
        json_object_put(v);
        json_object_put(ec);
        return rc;
    }
    char arn[700];
    snprintf(arn, sizeof(arn), "arn:aws:apigateway:%s::/domainnames/%s", op->c->region, key);
    json_object_object_add(v, "domainName", json_object_new_string(name));
    json_object_object_add(v, "domainNameArn", json_object_new_string(arn));
    rs_gw_copy_member(v, op->in, "certificateName", json_type_string);
    rs_gw_copy_member(v, op->in, "certificateArn", json_type_string);
    if (rs_gw_in_has(op, "certificateArn") || rs_gw_in_has(op, "certificateBody"))
        json_object_object_add(v, "certificateUploadDate",
                               json_object_new_int64((int64_t)time(NULL)));
    if (regional) {
        json_object_object_add(v, "regionalDomainName", json_object_new_string(key));
        json_object_object_add(v, "regionalHostedZoneId", json_object_new_string(REGIONAL_ZONE));
    }
    rs_gw_copy_member(v, op->in, "regionalCertificateName", json_type_string);
    rs_gw_copy_member(v, op->in, "regionalCertificateArn", json_type_string);
    if (edge) {
        json_object_object_add(v, "distributionDomainName", json_object_new_string(key));
        json_object_object_add(v, "distributionHostedZoneId",
                               json_object_new_string(CLOUDFRONT_ZONE));
    }
    rs_gw_copy_member(ec, rs_gw_get(op->in, "endpointConfiguration"), "ipAddressType",
                      json_type_string);
    json_object_object_add(v, "endpointConfiguration", ec);
    json_object_object_add(v, "domainNameStatus", json_object_new_string("AVAILABLE"));
    const char *sp = rs_gw_in_str(op, "securityPolicy");
    json_object_object_add(v, "securityPolicy", json_object_new_string(sp ? sp : "TLS_1_2"));
    rs_gw_copy_member(v, op->in, "tags", json_type_object);
    rs_gw_copy_member(v, op->in, "policy", json_type_string);
    rs_gw_copy_member(v, op->in, "routingMode", json_type_string);
    rs_gw_copy_member(v, op->in, "ownershipVerificationCertificateArn", json_type_string);
    json_object *d = json_object_new_object();
    json_object_object_add(d, "account", json_object_new_string(op->c->account));
    json_object_object_add(d, "region", json_object_new_string(op->c->region));
    json_object_object_add(d, "domain", v);
    json_object_object_add(d, "mappings", json_object_new_object());
    json_object_object_add(coll, key, d);
    op->result = rs_gw_copy(v);
    op->status = 201;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

static int get_domain(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    char key[RS_GW_SEG_LEN];
    (void)changed;
    json_object *d = domain_of(op, doc, key);
    if (d == NULL)
        return RS_GW_REPLIED;
    op->result = domain_view(d, key);
    op->status = 200;
    return op->result ? 0 : RS_ENOMEM;
}

static int get_domains(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *items = json_object_new_array();
    json_object_object_foreach(rs_gw_doc_coll(doc, "domains"), key, d)
    {
        if (rs_gw_doc_owned(doc, "domains", key, op->c->account, op->c->region) != NULL)
            json_object_array_add(items, domain_view(d, key));
    }
    op->status = 200;
    return rs_gw_rest_page(op, items, &op->result);
}

static int delete_domain(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    char key[RS_GW_SEG_LEN];
    if (domain_of(op, doc, key) == NULL)
        return RS_GW_REPLIED;
    json_object_object_del(rs_gw_doc_coll(doc, "domains"), key);
    op->status = 202;
    *changed = 1;
    return 0;
}

/* ---- base path mappings -------------------------------------------------------------- */

static json_object *mapping_view(json_object *m)
{
    const char *k = rs_gw_get_str(m, "apiMappingKey");
    json_object *v = json_object_new_object();
    json_object_object_add(v, "basePath", json_object_new_string(*k ? k : "(none)"));
    json_object_object_add(v, "restApiId", json_object_new_string(rs_gw_get_str(m, "apiId")));
    if (*rs_gw_get_str(m, "stage"))
        json_object_object_add(v, "stage", json_object_new_string(rs_gw_get_str(m, "stage")));
    return v;
}

/* the mapping of key `bp` ("(none)" is ""), with its id in *id; NULL when none */
static json_object *mapping_by_key(json_object *maps, const char *bp, const char **id)
{
    const char *want = strcmp(bp, "(none)") == 0 ? "" : bp;
    if (maps == NULL)
        return NULL;
    json_object_object_foreach(maps, mid, m)
    {
        if (strcmp(rs_gw_get_str(m, "apiMappingKey"), want) == 0) {
            *id = mid;
            return m;
        }
    }
    return NULL;
}

static int create_mapping(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    char key[RS_GW_SEG_LEN];
    json_object *d = domain_of(op, doc, key);
    if (d == NULL)
        return RS_GW_REPLIED;
    const char *api = rs_gw_in_str(op, "restApiId"), *bp = rs_gw_in_str(op, "basePath");
    const char *stage = rs_gw_in_str(op, "stage");
    if (bp == NULL || strcmp(bp, "(none)") == 0)
        bp = "";
    if (strchr(bp, '/') != NULL)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "API Gateway V1 doesn't support the slash character (/) in base "
                               "path mappings. To create a multi-level base path mapping, use "
                               "API Gateway V2.");
    for (const char *c = bp; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' && *c != '-' && *c != '$')
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid base path specified: %s", bp);
    json_object *e = rs_gw_doc_owned(doc, "rest", api, op->c->account, op->c->region);
    if (api == NULL || e == NULL)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid REST API identifier specified");
    if (stage != NULL && *stage && rs_gw_get(rs_gw_get(e, "stages"), stage) == NULL)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid stage identifier specified");
    json_object *maps = rs_gw_obj(d, "mappings");
    const char *old;
    if (mapping_by_key(maps, *bp ? bp : "(none)", &old) != NULL)
        return rs_gw_rest_fail(op, RS_GE_CONFLICT, "Base path already exists for this domain name");
    char id[7];
    do
        rs_gw_new_id(id, 6);
    while (rs_gw_get(maps, id) != NULL);
    json_object *m = json_object_new_object();
    json_object_object_add(m, "apiMappingId", json_object_new_string(id));
    json_object_object_add(m, "apiId", json_object_new_string(api));
    if (stage != NULL && *stage)
        json_object_object_add(m, "stage", json_object_new_string(stage));
    json_object_object_add(m, "apiMappingKey", json_object_new_string(bp));
    json_object_object_add(maps, id, m);
    op->result = mapping_view(m);
    op->status = 201;
    *changed = 1;
    return op->result ? 0 : RS_ENOMEM;
}

static int get_mappings(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    char key[RS_GW_SEG_LEN];
    (void)changed;
    json_object *d = domain_of(op, doc, key);
    if (d == NULL)
        return RS_GW_REPLIED;
    json_object *items = json_object_new_array(), *maps = rs_gw_members(d, "mappings");
    if (maps != NULL) {
        json_object_object_foreach(maps, mid, m)
        {
            (void)mid;
            json_object_array_add(items, mapping_view(m));
        }
    }
    op->status = 200;
    return rs_gw_rest_page(op, items, &op->result);
}

/* GetBasePathMapping and DeleteBasePathMapping */
static int one_mapping(rs_gw_rest_op_t *op, json_object *doc, int *changed, int del)
{
    char key[RS_GW_SEG_LEN];
    json_object *d = domain_of(op, doc, key), *m;
    if (d == NULL)
        return RS_GW_REPLIED;
    const char *id = NULL;
    json_object *maps = rs_gw_members(d, "mappings");
    if ((m = mapping_by_key(maps, op->seg[3], &id)) == NULL)
        return rs_gw_rest_fail(op, RS_GE_NOT_FOUND,
                               "Invalid base path mapping identifier specified");
    if (del) {
        json_object_object_del(maps, id);
        op->status = 202;
        *changed = 1;
        return 0;
    }
    op->result = mapping_view(m);
    op->status = 200;
    return op->result ? 0 : RS_ENOMEM;
}

static int get_mapping(json_object *doc, void *arg, int *changed)
{
    return one_mapping(arg, doc, changed, 0);
}

static int delete_mapping(json_object *doc, void *arg, int *changed)
{
    return one_mapping(arg, doc, changed, 1);
}

int rs_gw_rest_domain(rs_gw_rest_op_t *op)
{
    const char *m = op->c->method;
    int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
    int del = strcmp(m, "DELETE") == 0;
    switch (op->nseg) {
    case 1:
        return post  ? rs_gw_rest_run(op, create_domain, 1)
               : get ? rs_gw_rest_run(op, get_domains, 0)
                     : RS_GW_NO_ROUTE;
    case 2:
        return get   ? rs_gw_rest_run(op, get_domain, 0)
               : del ? rs_gw_rest_run(op, delete_domain, 1)
                     : RS_GW_NO_ROUTE;
    case 3:
        if (strcmp(op->seg[2], "basepathmappings") != 0)
            return RS_GW_NO_ROUTE;
        return post  ? rs_gw_rest_run(op, create_mapping, 1)
               : get ? rs_gw_rest_run(op, get_mappings, 0)
                     : RS_GW_NO_ROUTE;
    case 4:
        if (strcmp(op->seg[2], "basepathmappings") != 0)
            return RS_GW_NO_ROUTE;
        return get   ? rs_gw_rest_run(op, get_mapping, 0)
               : del ? rs_gw_rest_run(op, delete_mapping, 1)
                     : RS_GW_NO_ROUTE;
    default:
        return RS_GW_NO_ROUTE;
    }
}
