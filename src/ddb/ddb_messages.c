/*
 * ddb_messages.c: DynamoDB's texts for the ValidationException messages where DynamoDB
 * Local words things its own way (dynamodb.md sections 3, 4 and 13) and the worker's checks
 * before forwarding (the model validator, rs/ddb_validate.h, and the operation rules,
 * rs/ddb_oprules.h) cannot answer first: key/schema mismatches, oversized write batches,
 * ReturnValues, numbers and set duplicates inside legacy conditions, the item size. Each
 * rule needs both Local's text and a request that shows the AWS case, so a message is only
 * replaced when the request proves which AWS text applies. (Enums, table names, empty or
 * oversized get batches, Select, segments, CreateTable's key schema and billing are
 * answered in the worker and have no rule here.)
 * Runs in: the ddb supervisor (pure; unit-tested in test_ddb_rewrite.c).
 */
#include "config.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"

#define KEY_MISMATCH "The provided key element does not match the schema"

static int op_in(const char *op, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(op, list[i]) == 0)
            return 1;
    return 0;
}

const char *rs_ddb_json_str(json_object *o, const char *k)
{
    json_object *v;
    if (o != NULL && json_object_object_get_ex(o, k, &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

/* what a rule needs to build its text */
typedef struct fix_ctx {
    const char *op, *msg;
    json_object *req; /* the request body, NULL when it is not a JSON object */
    char *buf;
    size_t len;
} fix_ctx_t;

/* a valid DynamoDB number text: optional sign, digits with at most one point, optional
 * exponent */
static int numeric(const char *s)
{
    const char *p = s;
    int digits = 0;
    if (*p == '-' || *p == '+')
        p++;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits++;
        }
    }
    if (digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

/* first N / NS member whose text is not a number, anywhere in the request */
static const char *bad_number(json_object *v)
{
    if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            const char *r = bad_number(json_object_array_get_idx(v, i));
            if (r != NULL)
                return r;
        }
        return NULL;
    }
    if (!json_object_is_type(v, json_type_object))
        return NULL;
    json_object_object_foreach(v, key, val)
    {
        if (strcmp(key, "N") == 0 && json_object_is_type(val, json_type_string) &&
            !numeric(json_object_get_string(val)))
            return json_object_get_string(val);
        if (strcmp(key, "NS") == 0 && json_object_is_type(val, json_type_array))
            for (size_t i = 0; i < json_object_array_length(val); i++) {
                json_object *e = json_object_array_get_idx(val, i);
                if (json_object_is_type(e, json_type_string) && !numeric(json_object_get_string(e)))
                    return json_object_get_string(e);
            }
        const char *r = bad_number(val);
        if (r != NULL)
            return r;
    }
    return NULL;
}

/* BatchWriteItem: the first table with more than 25 requests, and the AWS text */
static const char *fix_write_too_many(const fix_ctx_t *c)
{
    json_object *ri;
    char *buf = c->buf;
    size_t len = c->len;
    if (c->req == NULL || !json_object_object_get_ex(c->req, "RequestItems", &ri) ||
        !json_object_is_type(ri, json_type_object))
        return NULL;
    json_object_object_foreach(ri, table, list)
    {
        if (!json_object_is_type(list, json_type_array) || json_object_array_length(list) <= 25)
            continue;
        /* the value is Java's rendering of the map: request objects by identity */
        size_t w = (size_t)snprintf(buf, len, "1 validation error detected: Value '{%s=[", table);
        size_t n = json_object_array_length(list);
        for (size_t i = 0; i < n && w + 80 < len; i++)
            w += (size_t)snprintf(buf + w, len - w,
                                  "%scom.amazonaws.dynamodb.v20120810.WriteRequest@%08zx",
                                  i ? ", " : "", (size_t)0x1f3e5a7bu * (i + 1) & 0xffffffffu);
        snprintf(buf + w, len > w ? len - w : 0,
                 "]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy "
                 "constraint: [Member must have length less than or equal to 25, Member must "
                 "have length greater than or equal to 1]");
        return buf;
    }
    return NULL;
}

/* ---- DynamoDB's texts for DynamoDB Local's ValidationExceptions --------------------- */

/* builders: the text (often buf), or NULL when the rule does not apply after all */
static const char *fix_return_values(const fix_ctx_t *c)
{
    static const char *const rv_set[] = {"ALL_NEW", "UPDATED_OLD", "ALL_OLD",
                                         "NONE",    "UPDATED_NEW", NULL};
    const char *v = rs_ddb_json_str(c->req, "ReturnValues");
    return v != NULL && op_in(v, rv_set) ? "ReturnValues can only be ALL_OLD or NONE" : NULL;
}

static const char *fix_number(const fix_ctx_t *c)
{
    const char *v = c->req != NULL ? bad_number(c->req) : NULL;
    if (v == NULL)
        return NULL;
    snprintf(c->buf, c->len, "The parameter cannot be converted to a numeric value: %.200s", v);
    return c->buf;
}

static const char *fix_full_stop(const fix_ctx_t *c)
{
    if (c->msg[strlen(c->msg) - 1] == '.')
        return NULL;
    snprintf(c->buf, c->len, "%s.", c->msg);
    return c->buf;
}

enum { EQ, PREFIX, CONTAINS, ANY }; /* how a rule matches DynamoDB Local's text */

static const char *const key_ops[] = {"GetItem",      "DeleteItem",     "UpdateItem",
                                      "BatchGetItem", "BatchWriteItem", NULL};
static const char *const batch_write[] = {"BatchWriteItem", NULL};
static const char *const put_delete[] = {"PutItem", "DeleteItem", NULL};

/* first rule that applies wins: operations (NULL: any), DynamoDB Local's text, and
 * DynamoDB's text (fixed, or built by fn) */
static const struct fix_rule {
    const char *const *ops;
    int match;
    const char *local;
    const char *aws;
    const char *(*fn)(const fix_ctx_t *c);
} fix_rules[] = {
    {key_ops, EQ, "The number of conditions on the keys is invalid", KEY_MISMATCH, NULL},
    {key_ops, EQ, "One or more parameter values were invalid: Type mismatch for key", KEY_MISMATCH,
     NULL},
    {batch_write, EQ, "One of the required keys was not given a value", KEY_MISMATCH, NULL},
    {batch_write, ANY, NULL, NULL, fix_write_too_many},
    {put_delete, EQ, "Return values set to invalid value", NULL, fix_return_values},
    {NULL, EQ, "A value provided cannot be converted into a number", NULL, fix_number},
    {NULL, PREFIX, "One or more parameter values were invalid: Input collection ", NULL,
     fix_full_stop},
    {NULL, EQ, "DynamoDB only supports precision up to 38 digits",
     "Attempting to store more than 38 significant digits in a Number", NULL},
};

static int text_matches(int match, const char *pattern, const char *msg)
{
    switch (match) {
    case EQ:
        return strcmp(msg, pattern) == 0;
    case PREFIX:
        return strncmp(msg, pattern, strlen(pattern)) == 0;
    case CONTAINS:
        return strstr(msg, pattern) != NULL;
    default:
        return 1;
    }
}

const char *rs_ddb_fix_message(const char *op, const char *code, const char *msg,
                               const char *req_body, size_t req_len, char *buf, size_t len)
{
    if (strcmp(code, "ValidationException") != 0)
        return NULL;
    fix_ctx_t c = {op, msg, NULL, buf, len};
    if (req_body != NULL && req_len > 0) {
        json_tokener *tok = json_tokener_new();
        if (tok != NULL) {
            c.req = json_tokener_parse_ex(tok, req_body, (int)req_len);
            json_tokener_free(tok);
        }
    }
    if (c.req != NULL && !json_object_is_type(c.req, json_type_object)) {
        json_object_put(c.req);
        c.req = NULL;
    }
    const char *out = NULL;
    for (size_t i = 0; out == NULL && i < sizeof(fix_rules) / sizeof(fix_rules[0]); i++) {
        const struct fix_rule *r = &fix_rules[i];
        if ((r->ops != NULL && !op_in(op, r->ops)) || !text_matches(r->match, r->local, msg))
            continue;
        out = r->fn != NULL ? r->fn(&c) : r->aws;
    }
    if (out != NULL && out != buf) {
        snprintf(buf, len, "%s", out);
        out = buf;
    }
    json_object_put(c.req);
    return out;
}

/* ---- checks made before forwarding ------------------------------------------------- */

/* DynamoDB's item size: attribute names plus values (numbers about one byte per two
 * digits plus one) */
static size_t value_size(json_object *av);

static size_t number_size(const char *s)
{
    size_t digits = 0;
    for (const char *p = s; *p != '\0' && *p != 'e' && *p != 'E'; p++)
        digits += isdigit((unsigned char)*p) != 0;
    return (digits + 1) / 2 + 1;
}

static size_t value_size(json_object *av)
{
    size_t sz = 0;
    if (!json_object_is_type(av, json_type_object))
        return 0;
    json_object_object_foreach(av, type, v)
    {
        if (strcmp(type, "S") == 0)
            sz += (size_t)json_object_get_string_len(v);
        else if (strcmp(type, "N") == 0)
            sz += number_size(json_object_get_string(v));
        else if (strcmp(type, "B") == 0)
            sz += (size_t)json_object_get_string_len(v) * 3 / 4;
        else if (strcmp(type, "BOOL") == 0 || strcmp(type, "NULL") == 0)
            sz += 1;
        else if (json_object_is_type(v, json_type_array)) {
            sz += 3;
            for (size_t i = 0; i < json_object_array_length(v); i++) {
                json_object *e = json_object_array_get_idx(v, i);
                if (strcmp(type, "L") == 0)
                    sz += 1 + value_size(e);
                else if (strcmp(type, "NS") == 0)
                    sz += number_size(json_object_get_string(e));
                else
                    sz += (size_t)json_object_get_string_len(e);
            }
        } else if (strcmp(type, "M") == 0 && json_object_is_type(v, json_type_object)) {
            sz += 3;
            json_object_object_foreach(v, name, mv)
            {
                sz += 1 + strlen(name) + value_size(mv);
            }
        }
    }
    return sz;
}

static size_t item_size(json_object *item)
{
    size_t sz = 0;
    if (!json_object_is_type(item, json_type_object))
        return 0;
    json_object_object_foreach(item, name, av)
    {
        sz += strlen(name) + value_size(av);
    }
    return sz;
}

int rs_ddb_precheck(const char *op, const char *body, size_t len, char *buf, size_t buflen)
{
    if (strcmp(op, "PutItem") != 0 || len <= 409600)
        return 0;
    json_tokener *tok = json_tokener_new();
    json_object *req = tok != NULL ? json_tokener_parse_ex(tok, body, (int)len) : NULL, *v;
    json_tokener_free(tok);
    int hit = 0;
    if (req != NULL && json_object_is_type(req, json_type_object) &&
        json_object_object_get_ex(req, "Item", &v) && item_size(v) > 409600) {
        snprintf(buf, buflen, "Item size has exceeded the maximum allowed size");
        hit = 1;
    }
    json_object_put(req);
    return hit;
}

/* ---- messages that name a key: they need the table's key schema ------------------- */

int rs_ddb_needs_schema(const char *op, const char *msg)
{
    if (strcmp(op, "PutItem") == 0)
        return strcmp(msg, "One of the required keys was not given a value") == 0 ||
               strcmp(msg, "One or more parameter values were invalid: Type mismatch for key") ==
                   0 ||
               strcmp(msg, "One or more parameter values were invalid: Type mismatch for Index "
                           "Key") == 0;
    if (strcmp(op, "Query") == 0)
        return strcmp(msg, "Query condition missed key schema element") == 0;
    return 0;
}

/* the KeySchema that applies: the index's when IndexName names one */
static json_object *key_schema(json_object *table, const char *index)
{
    static const char *const kinds[] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    json_object *ks = NULL, *list;
    if (index != NULL)
        for (size_t k = 0; k < 2; k++)
            if (json_object_object_get_ex(table, kinds[k], &list) &&
                json_object_is_type(list, json_type_array))
                for (size_t i = 0; i < json_object_array_length(list); i++) {
                    json_object *ix = json_object_array_get_idx(list, i);
                    const char *n = rs_ddb_json_str(ix, "IndexName");
                    if (n != NULL && strcmp(n, index) == 0 &&
                        json_object_object_get_ex(ix, "KeySchema", &ks))
                        return ks;
                }
    if (json_object_object_get_ex(table, "KeySchema", &ks))
        return ks;
    return NULL;
}

static const char *attr_type(json_object *table, const char *name)
{
    json_object *defs;
    if (!json_object_object_get_ex(table, "AttributeDefinitions", &defs) ||
        !json_object_is_type(defs, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(defs); i++) {
        json_object *d = json_object_array_get_idx(defs, i);
        const char *n = rs_ddb_json_str(d, "AttributeName");
        if (n != NULL && strcmp(n, name) == 0)
            return rs_ddb_json_str(d, "AttributeType");
    }
    return NULL;
}

/* does the expression refer to attribute `name` (directly or through #aliases)? */
static int expr_names(json_object *req, const char *expr, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = expr; (p = strstr(p, name)) != NULL; p += nl) {
        int before = p == expr || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '#' ||
                                    p[-1] == ':');
        int after = !(isalnum((unsigned char)p[nl]) || p[nl] == '_');
        if (before && after)
            return 1;
    }
    json_object *names;
    if (json_object_object_get_ex(req, "ExpressionAttributeNames", &names) &&
        json_object_is_type(names, json_type_object)) {
        json_object_object_foreach(names, alias, target)
        {
            if (json_object_is_type(target, json_type_string) &&
                strcmp(json_object_get_string(target), name) == 0 && strstr(expr, alias) != NULL)
                return 1;
        }
    }
    return 0;
}

/* the first index key attribute of the item whose type is not the defined one */
static const char *index_mismatch(json_object *table, json_object *req, char *buf, size_t len)
{
    static const char *const kinds[] = {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"};
    json_object *item, *list, *ks, *av;
    if (!json_object_object_get_ex(req, "Item", &item))
        return NULL;
    for (size_t k = 0; k < 2; k++) {
        if (!json_object_object_get_ex(table, kinds[k], &list) ||
            !json_object_is_type(list, json_type_array))
            continue;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            json_object *ix = json_object_array_get_idx(list, i);
            if (!json_object_object_get_ex(ix, "KeySchema", &ks) ||
                !json_object_is_type(ks, json_type_array))
                continue;
            for (size_t e = 0; e < json_object_array_length(ks); e++) {
                const char *key =
                    rs_ddb_json_str(json_object_array_get_idx(ks, e), "AttributeName");
                const char *want = key ? attr_type(table, key) : NULL;
                if (want == NULL || !json_object_object_get_ex(item, key, &av) ||
                    !json_object_is_type(av, json_type_object))
                    continue;
                json_object_object_foreach(av, actual, unused)
                {
                    (void)unused;
                    if (strcmp(actual, want) != 0) {
                        snprintf(buf, len,
                                 "One or more parameter values were invalid: Type mismatch for "
                                 "Index Key %s Expected: %s Actual: %s IndexName: %s",
                                 key, want, actual, rs_ddb_json_str(ix, "IndexName"));
                        return buf;
                    }
                    break;
                }
            }
        }
    }
    return NULL;
}

const char *rs_ddb_schema_message(const char *op, const char *msg, const char *req_body,
                                  size_t req_len, const char *describe, size_t dlen, char *buf,
                                  size_t len)
{
    json_object *req = json_tokener_parse(req_body != NULL && req_len > 0 ? req_body : "{}");
    json_tokener *tok = json_tokener_new();
    json_object *desc = tok != NULL ? json_tokener_parse_ex(tok, describe, (int)dlen) : NULL;
    json_tokener_free(tok);
    json_object *table = NULL, *item, *ks;
    const char *out = NULL;
    if (req == NULL || desc == NULL || !json_object_object_get_ex(desc, "Table", &table))
        goto done;
    if (strcmp(msg, "One or more parameter values were invalid: Type mismatch for Index Key") ==
        0) {
        out = index_mismatch(table, req, buf, len);
        goto done;
    }
    ks = key_schema(table, strcmp(op, "Query") == 0 ? rs_ddb_json_str(req, "IndexName") : NULL);
    if (ks == NULL || !json_object_is_type(ks, json_type_array))
        goto done;
    for (size_t i = 0; i < json_object_array_length(ks) && out == NULL; i++) {
        const char *key = rs_ddb_json_str(json_object_array_get_idx(ks, i), "AttributeName");
        if (key == NULL)
            continue;
        if (strcmp(op, "Query") == 0) {
            const char *expr = rs_ddb_json_str(req, "KeyConditionExpression");
            if (i == 0 && (expr == NULL || !expr_names(req, expr, key))) {
                snprintf(buf, len, "Query condition missed key schema element: %s", key);
                out = buf;
            }
            continue;
        }
        json_object *av;
        if (!json_object_object_get_ex(req, "Item", &item))
            break;
        if (!json_object_object_get_ex(item, key, &av) ||
            !json_object_is_type(av, json_type_object)) {
            if (strcmp(msg, "One of the required keys was not given a value") == 0) {
                snprintf(buf, len,
                         "One or more parameter values were invalid: Missing the key %s in the "
                         "item",
                         key);
                out = buf;
            }
            continue;
        }
        const char *want = attr_type(table, key);
        json_object_object_foreach(av, actual, unused)
        {
            (void)unused;
            if (want != NULL && strcmp(actual, want) != 0 &&
                strcmp(msg, "One or more parameter values were invalid: Type mismatch for key") ==
                    0) {
                snprintf(buf, len,
                         "One or more parameter values were invalid: Type mismatch for key %s "
                         "expected: %s actual: %s",
                         key, want, actual);
                out = buf;
            }
            break;
        }
    }
done:
    json_object_put(req);
    json_object_put(desc);
    return out;
}
