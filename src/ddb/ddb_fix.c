/*
 * ddb_fix.c: the item fixes planned from the request and applied to the answer (issue 12,
 * cause 4), where DynamoDB Local's data differ from DynamoDB's:
 * - UpdateItem that only REMOVEs / DELETEs (legacy: only DELETE actions): DynamoDB creates
 *   nothing for a missing item, Local creates a key-only item (and rejects `REMOVE a.b`):
 *   the request goes on with an existence guard on a key attribute (ANDed with the
 *   caller's condition, under a name of its own), and the guard's failure becomes the
 *   no-op answer (ddb_fix_io.c tells it from the caller's condition failing);
 * - legacy AttributeUpdates without Action: DynamoDB's default is PUT, Local ignores them;
 * - ReturnValues UPDATED_NEW / UPDATED_OLD: only the updated paths (Local returns the
 *   whole top-level attributes);
 * - DeleteItem: ConsumedCapacity only when ReturnConsumedCapacity asks for it.
 * Runs in: the ddb supervisor (pure functions; unit-tested).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"
#include "rs/err.h"

#define GUARD_NAME "#rsGuardKey0"

static json_object *parse_obj(const char *s, size_t n)
{
    json_tokener *tok = json_tokener_new();
    if (tok == NULL)
        return NULL;
    json_object *o = json_tokener_parse_ex(tok, s, (int)n);
    if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
                      !json_object_is_type(o, json_type_object))) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

static char *dump(json_object *o, size_t *len)
{
    size_t n;
    const char *s = json_object_to_json_string_length(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *r = s != NULL ? malloc(n + 1) : NULL;
    if (r == NULL)
        return NULL;
    memcpy(r, s, n + 1);
    *len = n;
    return r;
}

static json_object *member(json_object *o, const char *k, json_type t)
{
    json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
        return NULL;
    return v;
}

/* legacy AttributeUpdates: add Action PUT where it is missing; 1 when every action is a
 * DELETE (nothing that would create the item) */
static int legacy_updates(json_object *au)
{
    int only_delete = 1, any = 0;
    json_object_object_foreach(au, name, upd)
    {
        (void)name;
        if (!json_object_is_type(upd, json_type_object))
            return 0;
        any = 1;
        const char *a = rs_ddb_json_str(upd, "Action");
        if (!json_object_object_get_ex(upd, "Action", NULL)) {
            json_object_object_add(upd, "Action", json_object_new_string("PUT"));
            a = "PUT";
        }
        if (a == NULL || strcmp(a, "DELETE") != 0)
            only_delete = 0;
    }
    return any && only_delete;
}

/* the ConditionCheck of TransactWriteItems that checks the caller's condition alone on a
 * missing item: "(<cond>) AND attribute_not_exists(<key>)", with only the names and values
 * that condition uses (TransactWriteItems rejects unused ones) */
static char *check_body(json_object *req, const char *table, json_object *key, const char *kname,
                        const char *cond, size_t *len)
{
    json_object *names = member(req, "ExpressionAttributeNames", json_type_object);
    json_object *values = member(req, "ExpressionAttributeValues", json_type_object);
    json_object *cc = json_object_new_object(), *nn = json_object_new_object(), *nv = NULL;
    json_object_object_add(cc, "TableName", json_object_new_string(table));
    json_object_object_add(cc, "Key", json_object_get(key));
    size_t clen = strlen(cond) + 64;
    char *c = malloc(clen);
    if (c == NULL) {
        json_object_put(cc);
        json_object_put(nn);
        return NULL;
    }
    snprintf(c, clen, "(%s) AND attribute_not_exists(" GUARD_NAME ")", cond);
    json_object_object_add(cc, "ConditionExpression", json_object_new_string(c));
    free(c);
    json_object_object_add(nn, GUARD_NAME, json_object_new_string(kname));
    for (const char *p = cond; *p != '\0'; p++) {
        if (*p != '#' && *p != ':')
            continue;
        char ref[256];
        size_t n = 1;
        while (n < sizeof(ref) - 1 &&
               (p[n] == '_' || (p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'z') ||
                (p[n] >= 'A' && p[n] <= 'Z')))
            n++;
        snprintf(ref, sizeof(ref), "%.*s", (int)n, p);
        json_object *src = *p == '#' ? names : values, *v;
        if (src != NULL && json_object_object_get_ex(src, ref, &v)) {
            if (*p == ':' && nv == NULL)
                nv = json_object_new_object();
            json_object_object_add(*p == '#' ? nn : nv, ref, json_object_get(v));
        }
        p += n - 1;
    }
    json_object_object_add(cc, "ExpressionAttributeNames", nn);
    if (nv != NULL)
        json_object_object_add(cc, "ExpressionAttributeValues", nv);
    json_object *item = json_object_new_object(), *arr = json_object_new_array(),
                *root = json_object_new_object();
    json_object_object_add(item, "ConditionCheck", cc);
    json_object_array_add(arr, item);
    json_object_object_add(root, "TransactItems", arr);
    char *r = dump(root, len);
    json_object_put(root);
    return r;
}

/* UpdateItem: the guard, the legacy default action, the paths to prune to */
static int plan_update(json_object *req, rs_ddb_fix_t *fx)
{
    json_object *key = member(req, "Key", json_type_object);
    const char *table = rs_ddb_json_str(req, "TableName");
    const char *expr = rs_ddb_json_str(req, "UpdateExpression");
    const char *cond = rs_ddb_json_str(req, "ConditionExpression");
    const char *rv = rs_ddb_json_str(req, "ReturnValues");
    json_object *au = member(req, "AttributeUpdates", json_type_object);
    int changed = 0, guard = 0;
    if (key == NULL || table == NULL || json_object_object_length(key) == 0)
        return 0;
    snprintf(fx->table, sizeof(fx->table), "%s", table);
    const char *kname = NULL;
    json_object_object_foreach(key, k0, v0)
    {
        (void)v0;
        kname = k0;
        break;
    }
    if (expr != NULL && au == NULL) {
        unsigned cl = rs_ddb_uexpr_clauses(expr);
        guard = cl != 0 && (cl & (RS_DDB_UX_SET | RS_DDB_UX_ADD)) == 0;
        if (rv != NULL && (strcmp(rv, "UPDATED_NEW") == 0 || strcmp(rv, "UPDATED_OLD") == 0))
            fx->keep =
                rs_ddb_uexpr_paths(expr, member(req, "ExpressionAttributeNames", json_type_object));
        if (guard) {
            json_object *names = member(req, "ExpressionAttributeNames", json_type_object);
            if (names == NULL) {
                names = json_object_new_object();
                json_object_object_add(req, "ExpressionAttributeNames", names);
            }
            json_object_object_add(names, GUARD_NAME, json_object_new_string(kname));
            size_t clen = (cond != NULL ? strlen(cond) : 0) + 64;
            char *c = malloc(clen);
            if (c == NULL)
                return RS_ENOMEM;
            if (cond != NULL) {
                fx->what |= RS_DDB_FIX_CALLER_COND;
                fx->check_body = check_body(req, table, key, kname, cond, &fx->check_len);
                if (fx->check_body == NULL) {
                    free(c);
                    return RS_ENOMEM;
                }
                snprintf(c, clen, "(%s) AND attribute_exists(" GUARD_NAME ")", cond);
            } else {
                snprintf(c, clen, "attribute_exists(" GUARD_NAME ")");
            }
            json_object_object_add(req, "ConditionExpression", json_object_new_string(c));
            free(c);
            changed = 1;
        }
    } else if (au != NULL && expr == NULL && cond == NULL) {
        size_t before = strlen(json_object_to_json_string(au));
        guard = legacy_updates(au);
        changed = strlen(json_object_to_json_string(au)) != before;
        if (guard && !json_object_object_get_ex(req, "Expected", NULL)) {
            /* a caller's Expected (maybe with ConditionalOperator OR) is left alone */
            json_object *ex = json_object_new_object(), *c = json_object_new_object();
            json_object_object_add(c, "ComparisonOperator", json_object_new_string("NOT_NULL"));
            json_object_object_add(ex, kname, c);
            json_object_object_add(req, "Expected", ex);
            changed = 1;
        } else {
            guard = 0;
        }
    }
    if (guard)
        fx->what |= RS_DDB_FIX_GUARD;
    if (changed && (fx->body = dump(req, &fx->len)) == NULL)
        return RS_ENOMEM;
    return 0;
}

int rs_ddb_fix_plan(const char *op, const char *body, size_t len, rs_ddb_fix_t *fx)
{
    memset(fx, 0, sizeof(*fx));
    int upd = strcmp(op, "UpdateItem") == 0, del = strcmp(op, "DeleteItem") == 0;
    if (!upd && !del)
        return 0;
    json_object *req = parse_obj(body, len);
    if (req == NULL)
        return 0;
    const char *rcc = rs_ddb_json_str(req, "ReturnConsumedCapacity");
    fx->capacity = rcc != NULL && (strcmp(rcc, "TOTAL") == 0 || strcmp(rcc, "INDEXES") == 0);
    fx->op_delete = del;
    int rc = upd ? plan_update(req, fx) : 0;
    json_object_put(req);
    return rc;
}

void rs_ddb_fix_free(rs_ddb_fix_t *fx)
{
    free(fx->body);
    free(fx->check_body);
    json_object_put(fx->keep);
    memset(fx, 0, sizeof(*fx));
}

int rs_ddb_fix_guard_failed(const rs_ddb_fix_t *fx, int status, const char *body)
{
    return (fx->what & RS_DDB_FIX_GUARD) && status == 400 && body != NULL &&
           strstr(body, "ConditionalCheckFailedException") != NULL;
}

char *rs_ddb_fix_noop_body(const rs_ddb_fix_t *fx, size_t *len)
{
    json_object *o = json_object_new_object();
    if (fx->capacity) {
        json_object *cc = json_object_new_object();
        json_object_object_add(cc, "TableName", json_object_new_string(fx->table));
        json_object_object_add(cc, "CapacityUnits", json_object_new_double(1.0));
        json_object_object_add(o, "ConsumedCapacity", cc);
    }
    char *r = dump(o, len);
    json_object_put(o);
    return r;
}

int rs_ddb_fix_answer(const rs_ddb_fix_t *fx, int status, char **body, size_t *len)
{
    if (status != 200 || (fx->keep == NULL && !(fx->op_delete && !fx->capacity)))
        return 0;
    json_object *o = parse_obj(*body, *len), *attrs;
    if (o == NULL)
        return 0;
    int changed = 0;
    if (fx->op_delete && !fx->capacity && json_object_object_get_ex(o, "ConsumedCapacity", NULL)) {
        json_object_object_del(o, "ConsumedCapacity");
        changed = 1;
    }
    if (fx->keep != NULL && (attrs = member(o, "Attributes", json_type_object)) != NULL) {
        json_object *p = rs_ddb_uexpr_prune(attrs, fx->keep);
        if (json_object_object_length(p) == 0) {
            json_object_put(p);
            json_object_object_del(o, "Attributes");
        } else {
            json_object_object_add(o, "Attributes", p);
        }
        changed = 1;
    }
    int rc = 0;
    if (changed) {
        size_t n;
        char *r = dump(o, &n);
        if (r == NULL) {
            rc = RS_ENOMEM;
        } else {
            free(*body);
            *body = r;
            *len = n;
        }
    }
    json_object_put(o);
    return rc;
}
