/*
 * gw_rest_tags.c: the tags of apigateway (v1) resources by ARN: GetTags, TagResource,
 * UntagResource on "arn:aws:apigateway:<region>::/restapis/<id>",
 * ".../restapis/<id>/stages/<name>" and ".../domainnames/<name>" (the "tags" member of the
 * stored RestApi, Stage and DomainName shapes).
 * Runs in: the lambda supervisor (its handler threads).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/gw_rest.h"
#include "rs/err.h"

#define TAGS_MAX 50

/* answer an error (already filled by rs_gw_rest_fail) as "no entry" */
static json_object *none(int rc)
{
    (void)rc;
    return NULL;
}

/* the stored shape whose "tags" the ARN (segment 1) names; NULL after answering */
static json_object *tagged_of(rs_gw_rest_op_t *op, json_object *doc)
{
    char prefix[128], rest[RS_GW_SEG_LEN], part[4][RS_GW_SEG_LEN];
    snprintf(prefix, sizeof(prefix), "arn:aws:apigateway:%s::", op->c->region);
    const char *arn = op->seg[1];
    size_t pl = strlen(prefix);
    if (strncmp(arn, "arn:aws:apigateway:", 19) != 0 || strstr(arn, "::/") == NULL)
        return none(rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid ARN specified in the request"));
    snprintf(rest, sizeof(rest), "%s", strncmp(arn, prefix, pl) == 0 ? arn + pl : "/");
    int n = rs_gw_split_path(rest, part, 4);
    if (n == 2 && strcmp(part[0], "restapis") == 0) {
        json_object *e = rs_gw_doc_owned(doc, "rest", part[1], op->c->account, op->c->region);
        if (e == NULL)
            return none(rs_gw_rest_fail(op, RS_GE_NOT_FOUND,
                                        "Invalid API identifier specified %s:%s", op->c->account,
                                        part[1]));
        return rs_gw_get(e, "api");
    }
    if (n == 4 && strcmp(part[0], "restapis") == 0 && strcmp(part[2], "stages") == 0) {
        json_object *e = rs_gw_doc_owned(doc, "rest", part[1], op->c->account, op->c->region);
        json_object *s = rs_gw_get(rs_gw_get(e, "stages"), part[3]);
        if (s == NULL)
            return none(rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid Stage identifier specified"));
        return s;
    }
    if (n == 2 && strcmp(part[0], "domainnames") == 0) {
        for (char *p = part[1]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        json_object *d = rs_gw_doc_owned(doc, "domains", part[1], op->c->account, op->c->region);
        json_object *v = rs_gw_get(d, "domain");
        if (v == NULL)
            return none(
                rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid domain name identifier specified"));
        return v;
    }
    return none(
        rs_gw_rest_fail(op, RS_GE_NOT_FOUND, "Invalid resource identifier specified: %s", arn));
}

static int get_tags(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    (void)changed;
    json_object *t = tagged_of(op, doc);
    if (t == NULL)
        return RS_GW_REPLIED;
    json_object *tags = rs_gw_get(t, "tags");
    op->result = json_object_new_object();
    json_object_object_add(op->result, "tags",
                           json_object_is_type(tags, json_type_object) ? rs_gw_copy(tags)
                                                                       : json_object_new_object());
    op->status = 200;
    return 0;
}

static int tag_resource(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *t = tagged_of(op, doc), *in = rs_gw_get(op->in, "tags");
    if (t == NULL)
        return RS_GW_REPLIED;
    if (!json_object_is_type(in, json_type_object))
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST,
                               "1 validation error detected: Value null at "
                               "'tagResourceInput.tags' failed to satisfy constraint: Member "
                               "must not be null");
    json_object *tags = rs_gw_obj(t, "tags");
    json_object_object_foreach(in, k, v)
    {
        if (!*k || strlen(k) > 128 || strncmp(k, "aws:", 4) == 0 ||
            !json_object_is_type(v, json_type_string) || strlen(json_object_get_string(v)) > 256)
            return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "Invalid tag specified: %s", k);
        json_object_object_add(tags, k, json_object_new_string(json_object_get_string(v)));
    }
    if (json_object_object_length(tags) > TAGS_MAX)
        return rs_gw_rest_fail(op, RS_GE_BAD_REQUEST, "A resource can have at most %d tags",
                               TAGS_MAX);
    op->status = 204;
    *changed = 1;
    return 0;
}

static int untag_resource(json_object *doc, void *arg, int *changed)
{
    rs_gw_rest_op_t *op = arg;
    json_object *t = tagged_of(op, doc);
    if (t == NULL)
        return RS_GW_REPLIED;
    json_object *tags = rs_gw_obj(t, "tags");
    char key[256];
    for (int i = 0; i < 200 && rs_gw_query_get(op->c->query, "tagKeys", i, key, sizeof(key)); i++)
        json_object_object_del(tags, key);
    op->status = 204;
    *changed = 1;
    return 0;
}

int rs_gw_rest_tags(rs_gw_rest_op_t *op)
{
    const char *m = op->c->method;
    if (op->nseg != 2)
        return RS_GW_NO_ROUTE;
    if (strcmp(m, "GET") == 0)
        return rs_gw_rest_run(op, get_tags, 0);
    if (strcmp(m, "PUT") == 0)
        return rs_gw_rest_run(op, tag_resource, 1);
    if (strcmp(m, "DELETE") == 0)
        return rs_gw_rest_run(op, untag_resource, 1);
    return RS_GW_NO_ROUTE;
}
