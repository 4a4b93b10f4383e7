/*
 * ddb_ctable.c: CreateTable's rules beyond the model, with AWS's texts (DynamoDB Local
 * words all of these its own way): billing mode against provisioned throughput (table
 * and global indexes), capacity bounds, the key schema (one HASH first, an optional RANGE
 * second, distinct names, every key attribute defined), attribute definitions that no key
 * schema uses, local indexes (same hash key, a range key, at most 5, a projection type,
 * NonKeyAttributes only with INCLUDE), global indexes (at most 20), distinct index names,
 * a disabled stream with a view type.
 * Runs in: workers (pure).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ddb_avcheck.h"

#define INVALID "One or more parameter values were invalid: "
#define NAME_CAP 256
#define MAX_DEFS 64

typedef struct ct {
    rs_jv_t defs[MAX_DEFS];
    int ndefs;
    int used[MAX_DEFS];
    rs_jv_t index_names[64];
    int nindex;
} ct_t;

static int def_index(const ct_t *c, rs_jv_t name)
{
    for (int i = 0; i < c->ndefs; i++)
        if (rs_jv_str_same(c->defs[i], name))
            return i;
    return -1;
}

/* "[a, b]" of the AttributeName members of a list of structures */
static void names_list(rs_jv_t list, char *out, size_t cap)
{
    rs_jv_iter_t it;
    rs_jv_t e;
    size_t w = (size_t)snprintf(out, cap, "[");
    int k = 0;
    rs_jv_iter(list, &it);
    while (rs_jv_next(&it, NULL, &e) && w + 4 < cap) {
        char n[NAME_CAP];
        rs_jv_str(rs_jv_get(e, "AttributeName"), n, sizeof(n));
        w += (size_t)snprintf(out + w, cap - w, "%s%s", k++ ? ", " : "", n);
    }
    if (w < cap)
        snprintf(out + w, cap - w, "]");
}

/* a key schema (table or index): 0 or the message */
static int key_schema(ct_t *c, rs_jv_t ks, rs_jv_t defs, int two_needs_defs, char *msg, size_t cap)
{
    rs_jv_t k[2] = {{NULL, 0}, {NULL, 0}};
    rs_jv_iter_t it;
    rs_jv_t e;
    int n = 0, undefined = 0;
    rs_jv_iter(ks, &it);
    while (rs_jv_next(&it, NULL, &e) && n < 2) {
        k[n] = e;
        int d = def_index(c, rs_jv_get(e, "AttributeName"));
        if (d < 0)
            undefined = 1;
        else
            c->used[d] = 1;
        n++;
    }
    if (n == 0)
        return 0; /* the model validator reported it */
    rs_jv_t a0 = rs_jv_get(k[0], "AttributeName"), a1 = rs_jv_get(k[1], "AttributeName");
    if (undefined || (two_needs_defs && n == 2 && rs_jv_str_same(a0, a1) && c->ndefs == 1)) {
        char keys[600], dl[600];
        if (n == 2 && two_needs_defs) {
            snprintf(msg, cap, "Invalid KeySchema: Some index key attribute have no definition");
            return 1;
        }
        names_list(ks, keys, sizeof(keys));
        names_list(defs, dl, sizeof(dl));
        snprintf(msg, cap,
                 "%sSome index key attributes are not defined in AttributeDefinitions. Keys: %s, "
                 "AttributeDefinitions: %s",
                 INVALID, keys, dl);
        return 1;
    }
    if (n == 2 && rs_jv_str_same(a0, a1)) {
        snprintf(msg, cap,
                 "Both the Hash Key and the Range Key element in the KeySchema have the same name");
        return 1;
    }
    if (!rs_jv_streq(rs_jv_get(k[0], "KeyType"), "HASH")) {
        snprintf(msg, cap, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
        return 1;
    }
    if (n == 2 && !rs_jv_streq(rs_jv_get(k[1], "KeyType"), "RANGE")) {
        snprintf(msg, cap,
                 "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
        return 1;
    }
    return 0;
}

static int projection(rs_jv_t ix, char *msg, size_t cap)
{
    rs_jv_t p = rs_jv_get(ix, "Projection");
    rs_jv_t t = rs_jv_get(p, "ProjectionType");
    if (rs_jv_type(t) != RS_JV_STRING) {
        snprintf(msg, cap, "%sUnknown ProjectionType: null", INVALID);
        return 1;
    }
    char tn[32];
    rs_jv_str(t, tn, sizeof(tn));
    int include = strcmp(tn, "INCLUDE") == 0;
    int has_nka = rs_jv_type(rs_jv_get(p, "NonKeyAttributes")) != RS_JV_NONE;
    if (has_nka && !include) {
        snprintf(msg, cap, "%sProjectionType is %s, but NonKeyAttributes is specified", INVALID,
                 tn);
        return 1;
    }
    if (!has_nka && include) {
        snprintf(msg, cap, "%sProjectionType is INCLUDE, but NonKeyAttributes is not specified",
                 INVALID);
        return 1;
    }
    return 0;
}

static int index_name_dup(ct_t *c, rs_jv_t ix, char *msg, size_t cap)
{
    rs_jv_t name = rs_jv_get(ix, "IndexName");
    for (int i = 0; i < c->nindex; i++)
        if (rs_jv_str_same(c->index_names[i], name)) {
            char n[NAME_CAP];
            rs_jv_str(name, n, sizeof(n));
            snprintf(msg, cap, "%sDuplicate index name: %s", INVALID, n);
            return 1;
        }
    if (c->nindex < 64)
        c->index_names[c->nindex++] = name;
    return 0;
}

static int capacity(rs_jv_t pt, char *msg, size_t cap)
{
    static const char *const m[] = {"ReadCapacityUnits", "WriteCapacityUnits"};
    for (int i = 0; i < 2; i++) {
        rs_jv_t v = rs_jv_get(pt, m[i]);
        if (rs_jv_type(v) != RS_JV_NUMBER)
            continue;
        /* more than 13 digits, or 13 digits above 1000000000000 */
        size_t n = v.n;
        if (n > 13 || (n == 13 && memcmp(v.p, "1000000000000", 13) > 0)) {
            snprintf(msg, cap, "Given value %.*s for %s is out of bounds", (int)(n > 40 ? 40 : n),
                     v.p, m[i]);
            return 1;
        }
    }
    return 0;
}

int rs_ddb_create_table_rules(rs_jv_t req, char *msg, size_t cap)
{
    static __thread ct_t ctx;
    ct_t *c = &ctx;
    memset(c, 0, sizeof(*c));
    rs_jv_t billing = rs_jv_get(req, "BillingMode");
    rs_jv_t pt = rs_jv_get(req, "ProvisionedThroughput");
    rs_jv_t defs = rs_jv_get(req, "AttributeDefinitions");
    rs_jv_t ks = rs_jv_get(req, "KeySchema");
    rs_jv_t lsis = rs_jv_get(req, "LocalSecondaryIndexes");
    rs_jv_t gsis = rs_jv_get(req, "GlobalSecondaryIndexes");
    int ppr = rs_jv_streq(billing, "PAY_PER_REQUEST");
    rs_jv_iter_t it;
    rs_jv_t e;

    if (ppr && pt.p != NULL) {
        snprintf(msg, cap,
                 "%sNeither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                 "BillingMode is PAY_PER_REQUEST",
                 INVALID);
        return 1;
    }
    if (!ppr && pt.p == NULL) {
        snprintf(msg, cap,
                 "%sReadCapacityUnits and WriteCapacityUnits must both be specified when "
                 "BillingMode is PROVISIONED",
                 INVALID);
        return 1;
    }
    if (capacity(pt, msg, cap))
        return 1;

    rs_jv_iter(defs, &it);
    while (rs_jv_next(&it, NULL, &e) && c->ndefs < MAX_DEFS)
        c->defs[c->ndefs++] = rs_jv_get(e, "AttributeName");
    if (key_schema(c, ks, defs, 1, msg, cap))
        return 1;
    size_t nkeys = rs_jv_count(ks);
    if (lsis.p == NULL && gsis.p == NULL && (int)nkeys != c->ndefs) {
        snprintf(msg, cap,
                 "%sNumber of attributes in KeySchema does not exactly match number of "
                 "attributes defined in AttributeDefinitions",
                 INVALID);
        return 1;
    }
    rs_jv_iter_t ki;
    rs_jv_t k0;
    rs_jv_iter(ks, &ki);
    rs_jv_next(&ki, NULL, &k0);
    rs_jv_t table_hash = rs_jv_get(k0, "AttributeName");

    if (lsis.p != NULL) {
        size_t n = rs_jv_count(lsis);
        if (n == 0) {
            snprintf(msg, cap, "%sList of LocalSecondaryIndexes is empty", INVALID);
            return 1;
        }
        if (nkeys != 2) {
            snprintf(msg, cap,
                     "%sTable KeySchema does not have a range key, which is required when "
                     "specifying a LocalSecondaryIndex",
                     INVALID);
            return 1;
        }
        rs_jv_iter(lsis, &it);
        while (rs_jv_next(&it, NULL, &e)) {
            rs_jv_t iks = rs_jv_get(e, "KeySchema");
            char iname[NAME_CAP];
            rs_jv_str(rs_jv_get(e, "IndexName"), iname, sizeof(iname));
            if (key_schema(c, iks, defs, 0, msg, cap))
                return 1;
            if (rs_jv_count(iks) != 2) {
                snprintf(msg, cap, "%sIndex KeySchema does not have a range key for index: %s",
                         INVALID, iname);
                return 1;
            }
            rs_jv_iter_t ii;
            rs_jv_t i0;
            rs_jv_iter(iks, &ii);
            rs_jv_next(&ii, NULL, &i0);
            rs_jv_t ih = rs_jv_get(i0, "AttributeName");
            if (!rs_jv_str_same(ih, table_hash)) {
                char a[NAME_CAP], b[NAME_CAP];
                rs_jv_str(ih, a, sizeof(a));
                rs_jv_str(table_hash, b, sizeof(b));
                snprintf(msg, cap,
                         "%sIndex KeySchema does not have the same leading hash key as table "
                         "KeySchema for index: %s. index hash key: %s, table hash key: %s",
                         INVALID, iname, a, b);
                return 1;
            }
            if (projection(e, msg, cap) || index_name_dup(c, e, msg, cap))
                return 1;
        }
        if (n > 5) {
            snprintf(msg, cap, "%sNumber of LocalSecondaryIndexes exceeds per-table limit of 5",
                     INVALID);
            return 1;
        }
    }
    if (gsis.p != NULL) {
        size_t n = rs_jv_count(gsis);
        if (n == 0) {
            snprintf(msg, cap, "%sList of GlobalSecondaryIndexes is empty", INVALID);
            return 1;
        }
        rs_jv_iter(gsis, &it);
        while (rs_jv_next(&it, NULL, &e)) {
            if (key_schema(c, rs_jv_get(e, "KeySchema"), defs, 0, msg, cap) ||
                projection(e, msg, cap) || index_name_dup(c, e, msg, cap))
                return 1;
            rs_jv_t ipt = rs_jv_get(e, "ProvisionedThroughput");
            if (ppr && ipt.p != NULL) {
                char iname[NAME_CAP];
                rs_jv_str(rs_jv_get(e, "IndexName"), iname, sizeof(iname));
                snprintf(msg, cap,
                         "%sProvisionedThroughput should not be specified for index: %s when "
                         "BillingMode is PAY_PER_REQUEST",
                         INVALID, iname);
                return 1;
            }
            if (capacity(ipt, msg, cap))
                return 1;
        }
        if (n > 20) {
            snprintf(msg, cap, "%sGlobalSecondaryIndex count exceeds the per-table limit of 20",
                     INVALID);
            return 1;
        }
    }
    rs_jv_t stream = rs_jv_get(req, "StreamSpecification");
    if (rs_jv_type(rs_jv_get(stream, "StreamEnabled")) == RS_JV_BOOL &&
        !rs_jv_true(rs_jv_get(stream, "StreamEnabled")) &&
        rs_jv_get(stream, "StreamViewType").p != NULL) {
        /* AWS's text (recorded by the Parity Suite against AWS); StreamEnabled without a
         * view type is left to DynamoDB Local's wording */
        snprintf(msg, cap,
                 "%sTable is being created with a stream disabled, UpdateViewType should not be "
                 "specified",
                 INVALID);
        return 1;
    }
    for (int i = 0; i < c->ndefs; i++)
        if (!c->used[i]) {
            snprintf(msg, cap,
                     "%sNumber of attributes in KeySchema does not exactly match number of "
                     "attributes defined in AttributeDefinitions",
                     INVALID);
            return 1;
        }
    return 0;
}
