/*
 * ddb_oprules.c: rs_ddb_oprules (rs/ddb_oprules.h), the operation-level rules AWS applies
 * before it looks the table up, in AWS's order (observed against DynamoDB Local, whose
 * front end shares it, and the recorded AWS texts):
 *   1. expression and non-expression parameters mixed; Query without key conditions;
 *   2. ExpressionAttributeNames / Values given without an expression that can use them;
 *   3. the attribute values of the item or key (a key string may not be empty);
 *   4. ExpressionAttributeNames: empty, bad keys; ExpressionAttributeValues: empty, bad
 *      keys, bad values;
 *   5. each expression (rs/ddb_expr.h), in the operation's order (UpdateItem: update then
 *      condition; Query: filter, projection, key condition);
 *   6. unused names, then unused values.
 * Scan's Segment / TotalSegments come before its expressions.
 * CreateTable's rules live in ddb_ctable.c; Query's legacy KeyConditions with an operator
 * that cannot use the index are answered here (DynamoDB Local fails on NE with HTTP 500).
 * Batch and transaction operations apply the same rules per table or per action.
 * Runs in: workers (pure).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ddb_avcheck.h"
#include "rs/ddb_expr.h"
#include "rs/ddb_json.h"
#include "rs/ddb_oprules.h"

typedef struct opdef {
    const char *op;
    const char *legacy[5];   /* in AWS's order of the message */
    const char *expr[3];     /* in AWS's order of the message */
    const char *check[3];    /* the order the expressions are checked in */
    const char *values_null; /* "... can only be specified when using expressions: <this>" */
    const char *item;        /* "Item" or "Key", checked as values */
} opdef_t;

static const opdef_t ops[] = {
    {"PutItem",
     {"Expected", "ConditionalOperator"},
     {"ConditionExpression"},
     {"ConditionExpression"},
     "ConditionExpression is null",
     "Item"},
    {"DeleteItem",
     {"Expected", "ConditionalOperator"},
     {"ConditionExpression"},
     {"ConditionExpression"},
     "ConditionExpression is null",
     "Key"},
    {"UpdateItem",
     {"AttributeUpdates", "Expected", "ConditionalOperator"},
     {"UpdateExpression", "ConditionExpression"},
     {"UpdateExpression", "ConditionExpression"},
     "UpdateExpression and ConditionExpression are null",
     "Key"},
    {"GetItem",
     {"AttributesToGet"},
     {"ProjectionExpression"},
     {"ProjectionExpression"},
     NULL,
     "Key"},
    {"Query",
     {"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"},
     {"ProjectionExpression", "FilterExpression", "KeyConditionExpression"},
     {"FilterExpression", "ProjectionExpression", "KeyConditionExpression"},
     "FilterExpression and KeyConditionExpression are null",
     NULL},
    {"Scan",
     {"AttributesToGet", "ScanFilter", "ConditionalOperator"},
     {"ProjectionExpression", "FilterExpression"},
     {"FilterExpression", "ProjectionExpression"},
     "FilterExpression is null",
     NULL},
};

static rs_ddbx_kind_t kind_of(const char *param)
{
    switch (param[0]) {
    case 'C':
        return RS_DDBX_CONDITION;
    case 'F':
        return RS_DDBX_FILTER;
    case 'K':
        return RS_DDBX_KEY;
    case 'P':
        return RS_DDBX_PROJECTION;
    default:
        return RS_DDBX_UPDATE;
    }
}

/* the top-level members of a request (or of one batch / transaction entry), read once:
 * the body is scanned once for them instead of once per lookup (an Item of 400 KB) */
#define TOP_MAX 32
typedef struct top {
    rs_jv_t obj;
    rs_jv_t k[TOP_MAX], v[TOP_MAX];
    int n, overflow;
} top_t;

static void top_build(rs_jv_t obj, top_t *t)
{
    rs_jv_iter_t it;
    rs_jv_t k, v;
    t->obj = obj;
    t->n = 0;
    t->overflow = 0;
    rs_jv_iter(obj, &it);
    while (rs_jv_next(&it, &k, &v)) {
        if (t->n == TOP_MAX) {
            t->overflow = 1;
            return;
        }
        t->k[t->n] = k;
        t->v[t->n++] = v;
    }
}

static rs_jv_t tget(const top_t *t, const char *m)
{
    static const rs_jv_t none = {NULL, 0};
    for (int i = 0; i < t->n; i++)
        if (rs_jv_streq(t->k[i], m))
            return t->v[i]; /* the first, as rs_jv_get */
    return t->overflow ? rs_jv_get(t->obj, m) : none;
}

static int present(const top_t *req, const char *m)
{
    return tget(req, m).p != NULL;
}

/* a legacy parameter counts when it is there and not an empty map (DynamoDB ignores
 * "AttributeUpdates": {} beside an UpdateExpression) */
static int legacy_present(const top_t *req, const char *m)
{
    rs_jv_t v = tget(req, m);
    return v.p != NULL && !(rs_jv_type(v) == RS_JV_OBJECT && rs_jv_count(v) == 0);
}

/* "{a, b}" of the members of list present in req (legacy: as legacy_present) */
static size_t present_list(const top_t *req, const char *const *list, int n, int legacy, char *out,
                           size_t cap)
{
    size_t w = (size_t)snprintf(out, cap, "{");
    int k = 0;
    for (int i = 0; i < n && list[i] != NULL; i++)
        if ((legacy ? legacy_present(req, list[i]) : present(req, list[i])) && w < cap)
            w += (size_t)snprintf(out + w, cap - w, "%s%s", k++ ? ", " : "", list[i]);
    if (w < cap)
        w += (size_t)snprintf(out + w, cap - w, "}");
    return (size_t)k;
}

static int placeholders(rs_jv_t map, const char *what, char sigil, int values, char *msg,
                        size_t cap)
{
    rs_jv_iter_t it;
    rs_jv_t k, v;
    char key[300];
    if (map.p == NULL)
        return 0;
    if (rs_jv_count(map) == 0) {
        snprintf(msg, cap, "%s must not be empty", what);
        return 1;
    }
    rs_jv_iter(map, &it);
    while (rs_jv_next(&it, &k, &v)) {
        size_t n = rs_jv_str(k, key, sizeof(key));
        if (!rs_ddbx_placeholder_ok(sigil, key, n < sizeof(key) ? n : sizeof(key) - 1)) {
            snprintf(msg, cap, "%s contains invalid key: Syntax error; key: \"%s\"", what, key);
            return 1;
        }
    }
    if (!values)
        return 0;
    rs_jv_iter(map, &it);
    while (rs_jv_next(&it, &k, &v)) {
        char inner[512];
        if (rs_ddb_av_check_jv(v, 0, inner, sizeof(inner))) {
            rs_jv_str(k, key, sizeof(key));
            snprintf(msg, cap, "%s contains invalid value: %s for key %s", what, inner, key);
            return 1;
        }
    }
    return 0;
}

static int unused(rs_jv_t map, const uint8_t *used, const char *what, char *msg, size_t cap)
{
    rs_jv_iter_t it;
    rs_jv_t k, v;
    int idx = 0, n = 0;
    size_t w = 0;
    char list[1024];
    list[0] = '\0';
    rs_jv_iter(map, &it);
    while (rs_jv_next(&it, &k, &v)) {
        if (idx < RS_DDBX_MAX_REFS && !(used[idx / 8] & (1u << (idx % 8))) && w < sizeof(list)) {
            char key[300];
            rs_jv_str(k, key, sizeof(key));
            w += (size_t)snprintf(list + w, sizeof(list) - w, "%s%s", n++ ? ", " : "", key);
        }
        idx++;
    }
    if (n == 0)
        return 0;
    snprintf(msg, cap, "Value provided in %s unused in expressions: keys: {%s}", what, list);
    return 1;
}

/* the expression parameters of one request (or one batch / transaction entry) */
static int expressions(const top_t *req, const opdef_t *d, char *msg, size_t cap)
{
    static __thread rs_ddbx_refs_t refs;
    char nonexpr[200], expr[200];
    size_t nl = present_list(req, d->legacy, 5, 1, nonexpr, sizeof(nonexpr));
    size_t ne = present_list(req, d->expr, 3, 0, expr, sizeof(expr));
    if (nl > 0 && ne > 0) {
        snprintf(msg, cap,
                 "Can not use both expression and non-expression parameters in the same request: "
                 "Non-expression parameters: %s Expression parameters: %s",
                 nonexpr, expr);
        return 1;
    }
    rs_jv_t names = tget(req, "ExpressionAttributeNames");
    rs_jv_t values = tget(req, "ExpressionAttributeValues");
    if (names.p != NULL && ne == 0) {
        snprintf(msg, cap, "ExpressionAttributeNames can only be specified when using expressions");
        return 1;
    }
    int value_exprs = 0;
    for (int i = 0; i < 3 && d->expr[i] != NULL; i++)
        if (strcmp(d->expr[i], "ProjectionExpression") != 0 && present(req, d->expr[i]))
            value_exprs++;
    if (values.p != NULL && value_exprs == 0 && d->values_null != NULL) {
        snprintf(msg, cap,
                 "ExpressionAttributeValues can only be specified when using expressions: %s",
                 d->values_null);
        return 1;
    }
    if (d->item != NULL) {
        rs_jv_t it = tget(req, d->item);
        int bad =
            d->item[0] == 'K' ? rs_ddb_key_check(it, msg, cap) : rs_ddb_item_check(it, msg, cap);
        if (bad)
            return 1;
    }
    if (placeholders(names, "ExpressionAttributeNames", '#', 0, msg, cap) ||
        placeholders(values, "ExpressionAttributeValues", ':', 1, msg, cap))
        return 1;
    memset(&refs, 0, sizeof(refs));
    refs.names = names;
    refs.values = values;
    for (int i = 0; i < 3 && d->check[i] != NULL; i++) {
        rs_jv_t x = tget(req, d->check[i]);
        if (rs_jv_type(x) != RS_JV_STRING)
            continue;
        static __thread char text[4200];
        /* longer than the limit: only its length is read (AWS prints it) */
        size_t n = rs_jv_str(x, text, sizeof(text));
        if (rs_ddbx_check(kind_of(d->check[i]), text, n, &refs, msg, cap))
            return 1;
    }
    if (ne > 0 && (unused(names, refs.used_names, "ExpressionAttributeNames", msg, cap) ||
                   unused(values, refs.used_values, "ExpressionAttributeValues", msg, cap)))
        return 1;
    return 0;
}

/* Query's key parameters */
static int query_keys(const top_t *req, char *msg, size_t cap)
{
    rs_jv_t kc = tget(req, "KeyConditions");
    if (kc.p == NULL && !present(req, "KeyConditionExpression")) {
        snprintf(msg, cap,
                 "Either the KeyConditions or KeyConditionExpression parameter must be specified "
                 "in the request.");
        return 1;
    }
    /* two legacy conditions, one of them not indexable: AWS's text (DynamoDB Local fails
     * on NE with HTTP 500) */
    if (rs_jv_count(kc) == 2) {
        static const char *const bad[] = {"NE",       "IN",       "NULL",
                                          "NOT_NULL", "CONTAINS", "NOT_CONTAINS"};
        rs_jv_iter_t it;
        rs_jv_t k, v;
        rs_jv_iter(kc, &it);
        while (rs_jv_next(&it, &k, &v)) {
            rs_jv_t op = rs_jv_get(v, "ComparisonOperator");
            for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (rs_jv_streq(op, bad[i])) {
                    snprintf(msg, cap,
                             "Attempted conditional constraint is not an indexable operation");
                    return 1;
                }
        }
    }
    return 0;
}

/* Scan's parallel segments */
static int scan_segments(const top_t *req, char *msg, size_t cap)
{
    rs_jv_t seg = tget(req, "Segment"), total = tget(req, "TotalSegments");
    if (seg.p != NULL && total.p == NULL) {
        snprintf(msg, cap,
                 "The TotalSegments parameter is required but was not present in the request "
                 "when Segment parameter is present");
        return 1;
    }
    if (seg.p == NULL && total.p != NULL) {
        snprintf(msg, cap,
                 "The Segment parameter is required but was not present in the request when "
                 "parameter TotalSegments is present");
        return 1;
    }
    if (seg.p == NULL || rs_jv_type(seg) != RS_JV_NUMBER || rs_jv_type(total) != RS_JV_NUMBER)
        return 0;
    /* both are integers in range (the model validator checked them) */
    long long s = 0, t = 0;
    for (size_t i = 0; i < seg.n && seg.p[i] >= '0' && seg.p[i] <= '9' && s < 10000000; i++)
        s = s * 10 + (seg.p[i] - '0');
    for (size_t i = 0; i < total.n && total.p[i] >= '0' && total.p[i] <= '9' && t < 10000000; i++)
        t = t * 10 + (total.p[i] - '0');
    if (s >= t) {
        snprintf(msg, cap,
                 "The Segment parameter is zero-based and must be less than parameter "
                 "TotalSegments: Segment: %lld is not less than TotalSegments: %lld",
                 s, t);
        return 1;
    }
    return 0;
}

static const opdef_t *find_op(const char *name)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(ops[i].op, name) == 0)
            return &ops[i];
    return NULL;
}

/* BatchGetItem: per table, the projection parameters */
static int batch_get(rs_jv_t req, char *msg, size_t cap)
{
    static const opdef_t get = {"BatchGetItem",
                                {"AttributesToGet"},
                                {"ProjectionExpression"},
                                {"ProjectionExpression"},
                                NULL,
                                NULL};
    rs_jv_iter_t it, ki;
    rs_jv_t t, v, key;
    rs_jv_iter(rs_jv_get(req, "RequestItems"), &it);
    while (rs_jv_next(&it, &t, &v)) {
        rs_jv_iter(rs_jv_get(v, "Keys"), &ki);
        while (rs_jv_next(&ki, NULL, &key))
            if (rs_ddb_key_check(key, msg, cap))
                return 1;
        top_t top;
        top_build(v, &top);
        if (expressions(&top, &get, msg, cap))
            return 1;
    }
    return 0;
}

/* BatchWriteItem: the items and keys */
static int batch_write(rs_jv_t req, char *msg, size_t cap)
{
    rs_jv_iter_t it, wi;
    rs_jv_t t, v, w;
    rs_jv_iter(rs_jv_get(req, "RequestItems"), &it);
    while (rs_jv_next(&it, &t, &v)) {
        rs_jv_iter(v, &wi);
        while (rs_jv_next(&wi, NULL, &w)) {
            rs_jv_t put = rs_jv_get(w, "PutRequest"), del = rs_jv_get(w, "DeleteRequest");
            if (put.p != NULL && rs_ddb_item_check(rs_jv_get(put, "Item"), msg, cap))
                return 1;
            if (del.p != NULL && rs_ddb_key_check(rs_jv_get(del, "Key"), msg, cap))
                return 1;
        }
    }
    return 0;
}

/* TransactWriteItems / TransactGetItems: each action as its single-item operation */
static int transact(rs_jv_t req, int write, char *msg, size_t cap)
{
    static const opdef_t check = {"ConditionCheck",
                                  {NULL},
                                  {"ConditionExpression"},
                                  {"ConditionExpression"},
                                  "ConditionExpression is null",
                                  "Key"};
    rs_jv_iter_t it;
    rs_jv_t a;
    rs_jv_iter(rs_jv_get(req, "TransactItems"), &it);
    while (rs_jv_next(&it, NULL, &a)) {
        static const struct {
            const char *member, *op;
        } acts[] = {{"Put", "PutItem"},
                    {"Delete", "DeleteItem"},
                    {"Update", "UpdateItem"},
                    {"Get", "GetItem"},
                    {"ConditionCheck", NULL}};
        for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
            rs_jv_t x = rs_jv_get(a, acts[i].member);
            if (x.p == NULL)
                continue;
            if ((write && i == 3) || (!write && i != 3))
                continue;
            const opdef_t *d = acts[i].op != NULL ? find_op(acts[i].op) : &check;
            top_t top;
            top_build(x, &top);
            if (expressions(&top, d, msg, cap))
                return 1;
        }
    }
    return 0;
}

int rs_ddb_oprules(const char *op, size_t op_len, const uint8_t *body, size_t len,
                   rs_ddb_err_t *err, char *msg, size_t cap)
{
    char name[40];
    if (op_len == 0 || op_len >= sizeof(name))
        return 0;
    memcpy(name, op, op_len);
    name[op_len] = '\0';
    rs_jv_t req = rs_jv_parse((const char *)body, len);
    if (rs_jv_type(req) != RS_JV_OBJECT)
        return 0;
    int bad = 0;
    msg[0] = '\0';
    const opdef_t *d = find_op(name);
    if (d != NULL) {
        top_t top;
        top_build(req, &top);
        if (strcmp(name, "Query") == 0) {
            /* mixing is reported before a missing key condition */
            char a[200], b[200];
            if (present_list(&top, d->legacy, 5, 1, a, sizeof(a)) == 0 ||
                present_list(&top, d->expr, 3, 0, b, sizeof(b)) == 0)
                bad = query_keys(&top, msg, cap);
        }
        if (!bad && strcmp(name, "Scan") == 0)
            bad = scan_segments(&top, msg, cap);
        if (!bad)
            bad = expressions(&top, d, msg, cap);
    } else if (strcmp(name, "CreateTable") == 0) {
        bad = rs_ddb_create_table_rules(req, msg, cap);
    } else if (strcmp(name, "BatchGetItem") == 0) {
        bad = batch_get(req, msg, cap);
    } else if (strcmp(name, "BatchWriteItem") == 0) {
        bad = batch_write(req, msg, cap);
    } else if (strcmp(name, "TransactWriteItems") == 0) {
        bad = transact(req, 1, msg, cap);
    } else if (strcmp(name, "TransactGetItems") == 0) {
        bad = transact(req, 0, msg, cap);
    }
    if (bad)
        *err = RS_DDBE_Validation;
    return bad;
}
