/*
 * xml.c: bounded parsing (libxml2) of the S3 request bodies we accept
 * (CreateBucketConfiguration, Delete, Tagging, CORSConfiguration); the writer is
 * xml_write.c. Runs in: workers.
 * Parsing: size cap, no network, no DTD (rejected), no entity substitution; the S3
 * namespace is optional; element names must match exactly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "rs/err.h"
#include "rs/xml.h"

#define RS_XML_MAX_BODY (4u << 20)
#define RS_S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

/* ---- parsing -------------------------------------------------------------------- */

static int xml_blank(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

static int xml_has(const uint8_t *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; i + k <= n; i++)
        if (s[i] == (uint8_t)needle[0] && memcmp(s + i, needle, k) == 0)
            return 1;
    return 0;
}

static xmlDocPtr xml_read(const uint8_t *body, size_t len)
{
    xmlDocPtr doc;

    if (len == 0 || len > RS_XML_MAX_BODY)
        return NULL;
    /* no DTDs at all: that also rules out entity declarations and external subsets */
    if (xml_has(body, len, "<!DOCTYPE") || xml_has(body, len, "<!ENTITY"))
        return NULL;
    doc = xmlReadMemory((const char *)body, (int)len, "body.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL)
        return NULL;
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* element named `name`, in no namespace or the S3 one */
static int xml_is(const xmlNode *n, const char *name)
{
    if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
        return 0;
    return n->ns == NULL || n->ns->href == NULL || strcmp((const char *)n->ns->href, RS_S3_NS) == 0;
}

/* next element child after `n` (NULL = first); -1 when stray text or odd nodes are met */
static int xml_next_elem(const xmlNode *parent, const xmlNode **n)
{
    const xmlNode *c = *n ? (*n)->next : parent->children;

    for (; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            *n = c;
            return 1;
        }
        if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE)
            continue;
        if (c->type == XML_TEXT_NODE && c->content != NULL &&
            xml_blank(c->content, strlen((const char *)c->content)))
            continue;
        return -1;
    }
    *n = NULL;
    return 0;
}

/* text content of a leaf element into the pool; -1 when it has element children */
static int xml_node_text(rs_pool_t *pool, const xmlNode *e, char **out, size_t *out_len)
{
    rs_buf_t b;

    rs_buf_init(&b);
    for (const xmlNode *c = e->children; c != NULL; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content != NULL)
                rs_buf_appends(&b, (const char *)c->content);
        } else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
            rs_buf_free(&b);
            return -1;
        }
    }
    *out = rs_pool_strndup(pool, b.data ? b.data : "", b.len);
    if (out_len != NULL)
        *out_len = b.len;
    rs_buf_free(&b);
    return 0;
}

int rs_xml_parse_create_bucket(rs_pool_t *pool, const uint8_t *body, size_t len, char **location)
{
    xmlDocPtr doc;
    const xmlNode *root, *c = NULL;
    int rc = 0, seen = 0, r;

    *location = NULL;
    if (len == 0 || xml_blank(body, len))
        return 0;
    doc = xml_read(body, len);
    if (doc == NULL)
        return RS_EINVAL;
    root = xmlDocGetRootElement(doc);
    if (root == NULL || !xml_is(root, "CreateBucketConfiguration")) {
        xmlFreeDoc(doc);
        return RS_EINVAL;
    }
    while ((r = xml_next_elem(root, &c)) > 0) {
        if (xml_is(c, "LocationConstraint")) {
            char *loc;
            if (seen++ || xml_node_text(pool, c, &loc, NULL) != 0) {
                rc = RS_EINVAL;
                break;
            }
            *location = loc[0] ? loc : NULL;
        } else if (!xml_is(c, "Location") && !xml_is(c, "Bucket") && !xml_is(c, "Tags")) {
            rc = RS_EINVAL;
            break;
        }
    }
    if (r < 0)
        rc = RS_EINVAL;
    if (rc != 0)
        *location = NULL;
    xmlFreeDoc(doc);
    return rc;
}

static int xml_delete_object(rs_pool_t *pool, const xmlNode *obj, rs_xml_delobj_t *d)
{
    const xmlNode *c = NULL;
    int r, have_key = 0;

    d->key = NULL;
    d->key_len = 0;
    d->version_id = NULL;
    while ((r = xml_next_elem(obj, &c)) > 0) {
        if (xml_is(c, "Key")) {
            if (have_key++ || xml_node_text(pool, c, &d->key, &d->key_len) != 0)
                return RS_EINVAL;
        } else if (xml_is(c, "VersionId")) {
            if (d->version_id != NULL || xml_node_text(pool, c, &d->version_id, NULL) != 0)
                return RS_EINVAL;
        } else if (!xml_is(c, "ETag") && !xml_is(c, "LastModifiedTime") && !xml_is(c, "Size")) {
            return RS_EINVAL;
        }
    }
    return r < 0 || !have_key ? RS_EINVAL : 0;
}

int rs_xml_parse_delete(rs_pool_t *pool, const uint8_t *body, size_t len, size_t max,
                        rs_xml_delobj_t **objs, size_t *n, int *quiet)
{
    xmlDocPtr doc;
    const xmlNode *root, *c = NULL;
    size_t count = 0, i = 0;
    int r, rc = 0, seen_quiet = 0;

    *objs = NULL;
    *n = 0;
    *quiet = 0;
    doc = xml_read(body, len);
    if (doc == NULL)
        return RS_EINVAL;
    root = xmlDocGetRootElement(doc);
    if (root == NULL || !xml_is(root, "Delete")) {
        xmlFreeDoc(doc);
        return RS_EINVAL;
    }
    while ((r = xml_next_elem(root, &c)) > 0)
        if (xml_is(c, "Object") && ++count > max)
            break;
    if (r < 0 || count == 0 || count > max) {
        xmlFreeDoc(doc);
        return RS_EINVAL;
    }
    rs_xml_delobj_t *arr = rs_pool_alloc(pool, count * sizeof(*arr));
    c = NULL;
    while (rc == 0 && xml_next_elem(root, &c) > 0) {
        if (xml_is(c, "Object")) {
            rc = xml_delete_object(pool, c, &arr[i++]);
        } else if (xml_is(c, "Quiet")) {
            char *t;
            size_t tl;
            if (seen_quiet++ || xml_node_text(pool, c, &t, &tl) != 0) {
                rc = RS_EINVAL;
                break;
            }
            while (tl > 0 && (t[tl - 1] == ' ' || t[tl - 1] == '\n' || t[tl - 1] == '\r' ||
                              t[tl - 1] == '\t'))
                t[--tl] = '\0';
            while (*t == ' ' || *t == '\n' || *t == '\r' || *t == '\t')
                t++;
            if (strcasecmp(t, "true") == 0)
                *quiet = 1;
            else if (strcasecmp(t, "false") != 0)
                rc = RS_EINVAL;
        } else {
            rc = RS_EINVAL;
        }
    }
    xmlFreeDoc(doc);
    if (rc != 0) {
        *quiet = 0;
        return RS_EINVAL;
    }
    *objs = arr;
    *n = count;
    return 0;
}

/* ---- CompleteMultipartUpload ------------------------------------------------------ */

static const char *const xml_cksum_names[] = {"CRC32", "CRC32C", "CRC64NVME",
                                              "SHA1",  "SHA256", NULL};

static int xml_part(rs_pool_t *pool, const xmlNode *part, rs_xml_part_t *p)
{
    const xmlNode *c = NULL;
    int r, have_num = 0;

    memset(p, 0, sizeof *p);
    while ((r = xml_next_elem(part, &c)) > 0) {
        if (xml_is(c, "PartNumber")) {
            char *t, *end;
            if (have_num++ || xml_node_text(pool, c, &t, NULL) != 0)
                return RS_EINVAL;
            while (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r')
                t++;
            p->number = strtol(t, &end, 10);
            while (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
                end++;
            if (t[0] == '\0' || *end != '\0')
                return RS_EINVAL;
        } else if (xml_is(c, "ETag")) {
            if (p->etag != NULL || xml_node_text(pool, c, &p->etag, &p->etag_len) != 0)
                return RS_EINVAL;
        } else {
            size_t k;
            const char *nm = (const char *)c->name;
            if (strncmp(nm, "Checksum", 8) != 0)
                return RS_EINVAL;
            for (k = 0; xml_cksum_names[k] != NULL; k++)
                if (xml_is(c, nm) && strcmp(nm + 8, xml_cksum_names[k]) == 0)
                    break;
            if (xml_cksum_names[k] == NULL || p->cksum_name != NULL ||
                xml_node_text(pool, c, &p->cksum, NULL) != 0)
                return RS_EINVAL;
            p->cksum_name = xml_cksum_names[k];
        }
    }
    return r < 0 || !have_num || p->etag == NULL ? RS_EINVAL : 0;
}

int rs_xml_parse_complete(rs_pool_t *pool, const uint8_t *body, size_t len, size_t max,
                          rs_xml_part_t **parts, size_t *n)
{
    xmlDocPtr doc;
    const xmlNode *root, *c = NULL;
    size_t count = 0, i = 0;
    int r, rc = 0;

    *parts = NULL;
    *n = 0;
    doc = xml_read(body, len);
    if (doc == NULL)
        return RS_EINVAL;
    root = xmlDocGetRootElement(doc);
    if (root == NULL || !xml_is(root, "CompleteMultipartUpload")) {
        xmlFreeDoc(doc);
        return RS_EINVAL;
    }
    while ((r = xml_next_elem(root, &c)) > 0) {
        if (!xml_is(c, "Part") || ++count > max) {
            r = -1;
            break;
        }
    }
    if (r < 0) {
        xmlFreeDoc(doc);
        return RS_EINVAL;
    }
    rs_xml_part_t *arr = rs_pool_alloc(pool, (count ? count : 1) * sizeof(*arr));
    c = NULL;
    while (rc == 0 && xml_next_elem(root, &c) > 0)
        rc = xml_part(pool, c, &arr[i++]);
    xmlFreeDoc(doc);
    if (rc != 0)
        return RS_EINVAL;
    *parts = arr;
    *n = count;
    return 0;
}

/* ---- Tagging and CORSConfiguration ------------------------------------------------ */

static int xml_count_children(const xmlNode *parent, const char *name, size_t *n)
{
    const xmlNode *c = NULL;
    int r;
    *n = 0;
    while ((r = xml_next_elem(parent, &c)) > 0) {
        if (!xml_is(c, name))
            return RS_EINVAL;
        (*n)++;
    }
    return r < 0 ? RS_EINVAL : 0;
}

static int xml_tag(rs_pool_t *pool, const xmlNode *tag, rs_xml_tag_t *t)
{
    const xmlNode *c = NULL;
    int r;
    memset(t, 0, sizeof *t);
    while ((r = xml_next_elem(tag, &c)) > 0) {
        if (xml_is(c, "Key")) {
            if (t->key != NULL || xml_node_text(pool, c, &t->key, &t->key_len) != 0)
                return RS_EINVAL;
        } else if (xml_is(c, "Value")) {
            if (t->value != NULL || xml_node_text(pool, c, &t->value, &t->value_len) != 0)
                return RS_EINVAL;
        } else {
            return RS_EINVAL;
        }
    }
    return r < 0 || t->key == NULL || t->value == NULL ? RS_EINVAL : 0;
}

int rs_xml_parse_tagging(rs_pool_t *pool, const uint8_t *body, size_t len, rs_xml_tag_t **tags,
                         size_t *n)
{
    xmlDocPtr doc = xml_read(body, len);
    const xmlNode *root, *set = NULL, *extra, *c = NULL;
    size_t count = 0, i = 0;
    int rc = 0;

    *tags = NULL;
    *n = 0;
    if (doc == NULL)
        return RS_EINVAL;
    root = xmlDocGetRootElement(doc);
    if (root == NULL || !xml_is(root, "Tagging") || xml_next_elem(root, &set) <= 0 ||
        !xml_is(set, "TagSet")) {
        xmlFreeDoc(doc);
        return RS_EINVAL;
    }
    extra = set;
    if (xml_next_elem(root, &extra) != 0 || xml_count_children(set, "Tag", &count) != 0) {
        xmlFreeDoc(doc);
        return RS_EINVAL;
    }
    *tags = rs_pool_alloc(pool, (count ? count : 1) * sizeof **tags);
    while (rc == 0 && xml_next_elem(set, &c) > 0)
        rc = xml_tag(pool, c, &(*tags)[i++]);
    xmlFreeDoc(doc);
    if (rc != 0)
        return RS_EINVAL;
    *n = count;
    return 0;
}

static int xml_strs(rs_pool_t *pool, const xmlNode *e, char ***v, size_t *n, size_t cap)
{
    char *s;
    if (*n == cap || xml_node_text(pool, e, &s, NULL) != 0)
        return RS_EINVAL;
    (*v)[(*n)++] = s;
    return 0;
}

static int xml_cors_rule(rs_pool_t *pool, const xmlNode *rule, rs_xml_cors_rule_t *o)
{
    const xmlNode *c = NULL;
    size_t kids = 0;
    int r;

    memset(o, 0, sizeof *o);
    o->max_age = -1;
    while ((r = xml_next_elem(rule, &c)) > 0)
        kids++;
    if (r < 0)
        return RS_EINVAL;
    o->origins = rs_pool_alloc(pool, (kids + 1) * sizeof(char *));
    o->methods = rs_pool_alloc(pool, (kids + 1) * sizeof(char *));
    o->headers = rs_pool_alloc(pool, (kids + 1) * sizeof(char *));
    o->expose = rs_pool_alloc(pool, (kids + 1) * sizeof(char *));
    c = NULL;
    while (xml_next_elem(rule, &c) > 0) {
        int e = 0;
        if (xml_is(c, "AllowedOrigin")) {
            e = xml_strs(pool, c, &o->origins, &o->norigins, kids);
        } else if (xml_is(c, "AllowedMethod")) {
            e = xml_strs(pool, c, &o->methods, &o->nmethods, kids);
        } else if (xml_is(c, "AllowedHeader")) {
            e = xml_strs(pool, c, &o->headers, &o->nheaders, kids);
        } else if (xml_is(c, "ExposeHeader")) {
            e = xml_strs(pool, c, &o->expose, &o->nexpose, kids);
        } else if (xml_is(c, "ID")) {
            e = o->id != NULL ? RS_EINVAL : xml_node_text(pool, c, &o->id, NULL);
        } else if (xml_is(c, "MaxAgeSeconds")) {
            char *s, *end;
            long v;
            if (o->max_age >= 0 || xml_node_text(pool, c, &s, NULL) != 0)
                return RS_EINVAL;
            v = strtol(s, &end, 10);
            if (s[0] == '\0' || *end != '\0' || v < 0 || v > 2147483647L)
                return RS_EINVAL;
            o->max_age = v;
        } else {
            return RS_EINVAL;
        }
        if (e != 0)
            return RS_EINVAL;
    }
    /* AllowedOrigin and AllowedMethod are required */
    return o->norigins == 0 || o->nmethods == 0 ? RS_EINVAL : 0;
}

int rs_xml_parse_cors(rs_pool_t *pool, const uint8_t *body, size_t len, size_t max,
                      rs_xml_cors_rule_t **rules, size_t *n)
{
    xmlDocPtr doc = xml_read(body, len);
    const xmlNode *root, *c = NULL;
    size_t count = 0, i = 0;
    int rc = 0;

    *rules = NULL;
    *n = 0;
    if (doc == NULL)
        return RS_EINVAL;
    root = xmlDocGetRootElement(doc);
    if (root == NULL || !xml_is(root, "CORSConfiguration") ||
        xml_count_children(root, "CORSRule", &count) != 0 || count == 0 || count > max) {
        xmlFreeDoc(doc);
        return RS_EINVAL;
    }
    *rules = rs_pool_alloc(pool, count * sizeof **rules);
    while (rc == 0 && xml_next_elem(root, &c) > 0)
        rc = xml_cors_rule(pool, c, &(*rules)[i++]);
    xmlFreeDoc(doc);
    if (rc != 0)
        return RS_EINVAL;
    *n = count;
    return 0;
}
