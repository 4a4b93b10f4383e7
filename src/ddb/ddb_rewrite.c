/*
 * ddb_rewrite.c: turn DynamoDB Local's answers into DynamoDB's (dynamodb.md sections 1.2,
 * 4.1, 12, 13): ARNs with the request's region and account, namespaced error `__type`,
 * lowercase `message` for DynamoDB's own exceptions, AWS texts for a missing table and an
 * existing table, CreateTable's CREATING status and DeleteTable's reduced description.
 * Successful item operations (whose bodies hold user data) are never touched.
 * Runs in: the ddb supervisor (pure functions; unit-tested on captured bodies).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"
#include "rs/err.h"
#include "rs/sigv4.h"

#define ARN_PREFIX "arn:aws:dynamodb:"

/* operations whose successful answer carries user data: passed through untouched */
static const char *const item_ops[] = {
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
    NULL,
};

/* operations on a table as a whole: a missing table is "Table: <name> not found" */
static const char *const table_ops[] = {
    "DescribeTable",
    "DeleteTable",
    "UpdateTable",
    "DescribeTimeToLive",
    "UpdateTimeToLive",
    "DescribeContinuousBackups",
    "UpdateContinuousBackups",
    "DescribeKinesisStreamingDestination",
    NULL,
};

static int emit(json_object *o, char **out, size_t *outlen);

static int in(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

void rs_ddb_access_key(const char *account, char *out, size_t outlen)
{
    /* DynamoDB Local wants an alphanumeric key id; the region is its own dimension */
    size_t o = 0;
    if (outlen == 0)
        return;
    if (o + 1 < outlen)
        out[o++] = 'A';
    for (const char *p = account; *p != '\0' && o + 1 < outlen; p++)
        if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
            out[o++] = *p;
    out[o] = '\0';
}

static int region_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int rs_ddb_rewrite_arns(const char *s, size_t n, const char *region, const char *account,
                        char **out, size_t *outlen)
{
    const size_t plen = sizeof(ARN_PREFIX) - 1;
    size_t rl = strlen(region), al = strlen(account);
    size_t cap = n + 1, count = 0;
    /* upper bound: every ARN could grow by rl + al */
    for (const char *p = s; (p = memmem(p, (size_t)(s + n - p), ARN_PREFIX, plen)) != NULL;
         p += plen)
        cap += rl + al;
    char *o = malloc(cap);
    if (o == NULL)
        return RS_ENOMEM;
    size_t w = 0, i = 0;
    while (i < n) {
        const char *hit = memmem(s + i, n - i, ARN_PREFIX, plen);
        if (hit == NULL) {
            memcpy(o + w, s + i, n - i);
            w += n - i;
            break;
        }
        size_t at = (size_t)(hit - s), j = at + plen;
        memcpy(o + w, s + i, j - i);
        w += j - i;
        size_t r0 = j;
        while (j < n && region_char(s[j]))
            j++;
        size_t a0 = j + 1;
        size_t k = a0;
        while (j < n && s[j] == ':' && k < n && s[k] >= '0' && s[k] <= '9')
            k++;
        if (j < n && s[j] == ':' && k < n && s[k] == ':' && k > a0) {
            memcpy(o + w, region, rl);
            w += rl;
            o[w++] = ':';
            memcpy(o + w, account, al);
            w += al;
            o[w++] = ':';
            i = k + 1;
            count++;
        } else {
            i = r0; /* not an ARN shape we know: leave it */
        }
    }
    o[w] = '\0';
    *out = o;
    *outlen = w;
    return (int)count;
}

/* walk a JSON value and rewrite the ARNs inside every string */
static int walk_arns(json_object *v, const rs_ddb_rw_t *rw)
{
    switch (json_object_get_type(v)) {
    case json_type_string: {
        const char *s = json_object_get_string(v);
        size_t n = (size_t)json_object_get_string_len(v), m;
        if (memmem(s, n, ARN_PREFIX, sizeof(ARN_PREFIX) - 1) == NULL)
            return 0;
        char *r;
        int k = rs_ddb_rewrite_arns(s, n, rw->region, rw->account, &r, &m);
        if (k < 0)
            return k;
        if (k > 0)
            json_object_set_string_len(v, r, (int)m);
        free(r);
        return 0;
    }
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(v); i++)
            if (walk_arns(json_object_array_get_idx(v, i), rw) != 0)
                return RS_ENOMEM;
        return 0;
    case json_type_object: {
        json_object_object_foreach(v, key, val)
        {
            (void)key;
            if (walk_arns(val, rw) != 0)
                return RS_ENOMEM;
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* DynamoDB Local reports never-changed throughput dates as 0 (1970 in the SDKs); DynamoDB
 * leaves them out until the throughput changes */
static void drop_zero_dates(json_object *v)
{
    static const char *const keys[] = {"LastIncreaseDateTime", "LastDecreaseDateTime"};
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            drop_zero_dates(json_object_array_get_idx(v, i));
        return;
    }
    if (!json_object_is_type(v, json_type_object))
        return;
    json_object *pt;
    if (json_object_object_get_ex(v, "ProvisionedThroughput", &pt) &&
        json_object_is_type(pt, json_type_object))
        for (size_t i = 0; i < 2; i++) {
            json_object *d;
            if (json_object_object_get_ex(pt, keys[i], &d) &&
                (json_object_is_type(d, json_type_double) ||
                 json_object_is_type(d, json_type_int)) &&
                json_object_get_double(d) == 0.0)
                json_object_object_del(pt, keys[i]);
        }
    json_object_object_foreach(v, key, val)
    {
        (void)key;
        if (json_object_is_type(val, json_type_object) || json_object_is_type(val, json_type_array))
            drop_zero_dates(val);
    }
}

static json_object *parse(const char *s, size_t n)
{
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return NULL;
    json_object *o = json_tokener_parse_ex(tok, s, (int)n);
    if (o != NULL && json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    if (o != NULL && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

/* TableName of the request, or "" */
static void request_table(const rs_ddb_rw_t *rw, char *out, size_t outlen)
{
    out[0] = '\0';
    if (rw->req_body == NULL || rw->req_len == 0)
        return;
    json_object *o = parse(rw->req_body, rw->req_len), *t;
    if (o == NULL)
        return;
    if (json_object_object_get_ex(o, "TableName", &t) && json_object_is_type(t, json_type_string))
        snprintf(out, outlen, "%s", json_object_get_string(t));
    json_object_put(o);
}

/* Limit of the request (0 when absent) */
static long request_limit(const rs_ddb_rw_t *rw)
{
    long v = 0;
    json_object *o = rw->req_body != NULL ? parse(rw->req_body, rw->req_len) : NULL, *l;
    if (o != NULL && json_object_object_get_ex(o, "Limit", &l))
        v = (long)json_object_get_int64(l);
    json_object_put(o);
    return v;
}

static void set_str(json_object *o, const char *key, const char *val)
{
    json_object_object_add(o, key, json_object_new_string(val));
}

static void fix_error(json_object *o, const rs_ddb_rw_t *rw)
{
    json_object *t, *m;
    if (!json_object_object_get_ex(o, "__type", &t) || !json_object_is_type(t, json_type_string))
        return;
    char type[256];
    snprintf(type, sizeof(type), "%s", json_object_get_string(t));
    const char *hash = strchr(type, '#');
    const char *code = hash != NULL ? hash + 1 : type;
    /* namespace and message member from the error table; other codes are DynamoDB's own */
    const rs_ddb_err_def_t *d = rs_ddb_err_find(code);
    int coral = d != NULL && strcmp(d->ns, RS_DDB_NS_SERVICE) == 0;
    if (hash == NULL || (coral && strncmp(type, d->ns, strlen(d->ns)) != 0)) {
        char full[320];
        snprintf(full, sizeof(full), "%s%s", d != NULL ? d->ns : RS_DDB_NS_DDB, code);
        json_object_set_string(t, full);
    }
    if (d != NULL && d->member == NULL) {
        /* DynamoDB sends the type alone */
        json_object_object_del(o, "Message");
        json_object_object_del(o, "message");
        return;
    }
    int keep_capital = d != NULL && strcmp(d->member, "Message") == 0;
    /* the message text: take it out, fix it, put it back under the right key */
    char *msg = NULL;
    if (json_object_object_get_ex(o, "Message", &m) && json_object_is_type(m, json_type_string))
        msg = strdup(json_object_get_string(m));
    else if (json_object_object_get_ex(o, "message", &m) &&
             json_object_is_type(m, json_type_string))
        msg = strdup(json_object_get_string(m));
    if (msg == NULL)
        return;
    static __thread char bigfix[8192];
    char table[300], fixed[400];
    const char *text = msg;
    if (strcmp(code, "ResourceNotFoundException") == 0 &&
        strcmp(msg, "Cannot do operations on a non-existent table") == 0) {
        request_table(rw, table, sizeof(table));
        if (in(table_ops, rw->op) && table[0] != '\0') {
            snprintf(fixed, sizeof(fixed), "Requested resource not found: Table: %s not found",
                     table);
            text = fixed;
        } else {
            text = "Requested resource not found";
        }
    } else if (strcmp(code, "ValidationException") == 0 && strcmp(rw->op, "ListTables") == 0 &&
               strncmp(msg, "Limit in ListTables must be", 27) == 0) {
        long limit = request_limit(rw);
        snprintf(fixed, sizeof(fixed),
                 "1 validation error detected: Value '%ld' at 'limit' failed to satisfy "
                 "constraint: Member must have value %s",
                 limit, limit < 1 ? "greater than or equal to 1" : "less than or equal to 100");
        text = fixed;
    } else if (strcmp(code, "ResourceInUseException") == 0 && strcmp(rw->op, "CreateTable") == 0 &&
               strcmp(msg, "Cannot create preexisting table") == 0) {
        request_table(rw, table, sizeof(table));
        snprintf(fixed, sizeof(fixed), "Table already exists: %s", table);
        text = fixed;
    } else {
        const char *f = rs_ddb_fix_message(rw->op, code, msg, rw->req_body, rw->req_len, bigfix,
                                           sizeof(bigfix));
        if (f != NULL)
            text = f;
    }
    /* ARNs in a message (e.g. a stream or index ARN) follow the same rule */
    char *arned = NULL;
    size_t alen;
    if (rs_ddb_rewrite_arns(text, strlen(text), rw->region, rw->account, &arned, &alen) > 0)
        text = arned;
    json_object_object_del(o, "Message");
    json_object_object_del(o, "message");
    json_object_object_add(o, keep_capital ? "Message" : "message", json_object_new_string(text));
    free(arned);
    free(msg);
}

/* CreateTable answers CREATING on DynamoDB (Local: ACTIVE at once); DescribeTable keeps
 * Local's ACTIVE, so waiters (table_exists) return on their first call */
static void fix_create(json_object *root)
{
    json_object *td, *gsis;
    if (!json_object_object_get_ex(root, "TableDescription", &td) ||
        !json_object_is_type(td, json_type_object))
        return;
    set_str(td, "TableStatus", "CREATING");
    if (json_object_object_get_ex(td, "GlobalSecondaryIndexes", &gsis) &&
        json_object_is_type(gsis, json_type_array))
        for (size_t i = 0; i < json_object_array_length(gsis); i++) {
            json_object *g = json_object_array_get_idx(gsis, i);
            if (json_object_is_type(g, json_type_object))
                set_str(g, "IndexStatus", "CREATING");
        }
}

/* DeleteTable: DELETING and only the members DynamoDB returns there */
static void fix_delete(json_object *root)
{
    static const char *const keep[] = {
        "TableName",
        "TableArn",
        "TableId",
        "TableStatus",
        "ItemCount",
        "TableSizeBytes",
        "ProvisionedThroughput",
        "DeletionProtectionEnabled",
        "BillingModeSummary",
        "SSEDescription",
        "StreamSpecification",
        "LatestStreamArn",
        "LatestStreamLabel",
        "TableClassSummary",
        "WarmThroughput",
        NULL,
    };
    json_object *td;
    if (!json_object_object_get_ex(root, "TableDescription", &td) ||
        !json_object_is_type(td, json_type_object))
        return;
    json_object *nd = json_object_new_object();
    for (size_t i = 0; keep[i] != NULL; i++) {
        json_object *v;
        if (json_object_object_get_ex(td, keep[i], &v))
            json_object_object_add(nd, keep[i], json_object_get(v));
    }
    set_str(nd, "TableStatus", "DELETING");
    json_object_object_add(root, "TableDescription", nd);
}

/* TableId: DynamoDB Local has none; DynamoDB's is a UUID stable for the table's life.
 * Derived from account, region, name and creation time: the same table always shows the
 * same id, a re-created one a new id. */
static void add_table_id(json_object *td, const rs_ddb_rw_t *rw)
{
    json_object *name, *created;
    if (!json_object_is_type(td, json_type_object) ||
        json_object_object_get_ex(td, "TableId", NULL) ||
        !json_object_object_get_ex(td, "TableName", &name) ||
        !json_object_object_get_ex(td, "CreationDateTime", &created))
        return;
    char seed[640], hex[65], uuid[37];
    snprintf(seed, sizeof(seed), "%s/%s/%s/%s", rw->account, rw->region,
             json_object_get_string(name), json_object_get_string(created));
    rs_sha256_hex(seed, strlen(seed), hex);
    hex[12] = '4'; /* version 4 layout */
    hex[16] = "89ab"[(hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0') & 3]; /* variant */
    snprintf(uuid, sizeof(uuid), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
    json_object_object_add(td, "TableId", json_object_new_string(uuid));
}

static void add_table_ids(json_object *root, const rs_ddb_rw_t *rw)
{
    static const char *const keys[] = {"Table", "TableDescription"};
    for (size_t i = 0; i < 2; i++) {
        json_object *td;
        if (json_object_object_get_ex(root, keys[i], &td))
            add_table_id(td, rw);
    }
}

int rs_ddb_check_request(const char *op, const char *body, size_t len, int *status, char **out,
                         size_t *outlen)
{
    static __thread char msg[8192];
    if (rs_ddb_precheck(op, body, len, msg, sizeof(msg))) {
        *out = rs_ddb_err_body(RS_DDBE_Validation, msg, outlen);
        *status = rs_ddb_error_status(RS_DDBE_Validation);
        return *out != NULL ? 1 : RS_ENOMEM;
    }
    /* an AttributeValue whose S/N/B member is a JSON number: DynamoDB's deserializer
     * rejects it (DynamoDB Local accepts it); map members are objects, so a key "N"
     * followed by a number is always a scalar of the wrong JSON type */
    static const char *const tags[] = {"\"N\"", "\"S\"", "\"B\""};
    for (size_t t = 0; t < 3; t++) {
        for (const char *p = body; (p = memmem(p, (size_t)(body + len - p), tags[t], 3)) != NULL;
             p += 3) {
            if (p > body && p[-1] == '\\')
                continue; /* inside a string */
            const char *q = p + 3, *end = body + len;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                q++;
            if (q >= end || *q != ':')
                continue;
            q++;
            while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
                q++;
            if (q < end && ((*q >= '0' && *q <= '9') || *q == '-')) {
                *out = rs_ddb_err_body(RS_DDBE_Serialization,
                                       t == 2 ? "NUMBER_VALUE cannot be converted to Blob"
                                              : "NUMBER_VALUE cannot be converted to String",
                                       outlen);
                *status = rs_ddb_error_status(RS_DDBE_Serialization);
                return *out != NULL ? 1 : RS_ENOMEM;
            }
        }
    }
    return 0;
}

static int emit(json_object *o, char **out, size_t *outlen)
{
    size_t n;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *r = s != NULL ? malloc(n + 1) : NULL;
    if (r == NULL)
        return RS_ENOMEM;
    memcpy(r, s, n);
    r[n] = '\0';
    *out = r;
    *outlen = n;
    return 0;
}

static int copy(const char *body, size_t len, char **out, size_t *outlen)
{
    char *r = malloc(len + 1);
    if (r == NULL)
        return RS_ENOMEM;
    memcpy(r, body, len);
    r[len] = '\0';
    *out = r;
    *outlen = len;
    return 0;
}

int rs_ddb_rewrite_passes(const char *op, int status)
{
    return status >= 200 && status < 300 && in(item_ops, op);
}

int rs_ddb_rewrite(const rs_ddb_rw_t *rw, int *status, const char *body, size_t len, char **out,
                   size_t *outlen)
{
    int ok = *status >= 200 && *status < 300;
    if (rs_ddb_rewrite_passes(rw->op, *status))
        return copy(body, len, out, outlen);
    json_object *o = parse(body, len);
    if (o == NULL)
        return copy(body, len, out, outlen);
    int rc = 0;
    if (!ok) {
        fix_error(o, rw);
    } else {
        add_table_ids(o, rw);
        if (strcmp(rw->op, "CreateTable") == 0)
            fix_create(o);
        else if (strcmp(rw->op, "DeleteTable") == 0)
            fix_delete(o);
        drop_zero_dates(o);
        rc = walk_arns(o, rw);
    }
    if (rc == 0)
        rc = emit(o, out, outlen);
    json_object_put(o);
    return rc;
}
