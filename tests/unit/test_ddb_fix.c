/*
 * test_ddb_fix.c: the ddb supervisor's item fixes (src/ddb/ddb_uexpr.c, ddb_fix.c): the
 * clauses and paths of update expressions, pruning UPDATED_NEW / UPDATED_OLD answers, the
 * existence guard and the legacy default action in the forwarded request, DeleteItem's
 * ConsumedCapacity, and DynamoDB's 52-character request id (ddb_reqid.c).
 * Runs in: the test.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb.h"
#include "ddb/ddb_int.h"

Test(ddb_uexpr, clauses)
{
    cr_assert_eq(rs_ddb_uexpr_clauses("REMOVE a, b.c"), RS_DDB_UX_REMOVE);
    cr_assert_eq(rs_ddb_uexpr_clauses("remove a delete s :v"), RS_DDB_UX_REMOVE | RS_DDB_UX_DELETE);
    cr_assert_eq(rs_ddb_uexpr_clauses("SET a = :v REMOVE b"), RS_DDB_UX_SET | RS_DDB_UX_REMOVE);
    cr_assert_eq(rs_ddb_uexpr_clauses("ADD n :one"), RS_DDB_UX_ADD);
    /* names, values and path elements are never clause keywords */
    cr_assert_eq(rs_ddb_uexpr_clauses("REMOVE #set, a.#add, :x"), RS_DDB_UX_REMOVE);
    cr_assert_eq(rs_ddb_uexpr_clauses("SET a = list_append(a, :set)"), RS_DDB_UX_SET);
    cr_assert_eq(rs_ddb_uexpr_clauses(""), 0);
}

static char *prune(const char *expr, const char *names, const char *attrs)
{
    json_object *n = names != NULL ? json_tokener_parse(names) : NULL;
    json_object *a = json_tokener_parse(attrs);
    json_object *t = rs_ddb_uexpr_paths(expr, n);
    json_object *p = rs_ddb_uexpr_prune(a, t);
    char *r = strdup(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
    json_object_put(n);
    json_object_put(a);
    json_object_put(t);
    json_object_put(p);
    return r;
}

static const char attrs[] =
    "{\"a\":{\"M\":{\"b\":{\"S\":\"1\"},\"c\":{\"S\":\"2\"},\"d\":{\"M\":{"
    "\"e\":{\"S\":\"3\"},\"f\":{\"S\":\"4\"}}}}},\"l\":{\"L\":[{\"S\":\"0\"},"
    "{\"S\":\"1\"},{\"S\":\"2\"}]},\"top\":{\"S\":\"t\"}}";

Test(ddb_uexpr, prune_nested_map)
{
    char *r = prune("SET a.b = :v", NULL, attrs);
    cr_assert_str_eq(r, "{\"a\":{\"M\":{\"b\":{\"S\":\"1\"}}}}");
    free(r);
    r = prune("SET #x.d.e = :v, top = :v", "{\"#x\":\"a\"}", attrs);
    cr_assert_str_eq(r,
                     "{\"a\":{\"M\":{\"d\":{\"M\":{\"e\":{\"S\":\"3\"}}}}},\"top\":{\"S\":\"t\"}}");
    free(r);
}

Test(ddb_uexpr, prune_list_and_whole)
{
    char *r = prune("REMOVE l[2], l[0] SET a.d = :v", NULL, attrs);
    cr_assert_str_eq(r, "{\"l\":{\"L\":[{\"S\":\"0\"},{\"S\":\"2\"}]},\"a\":{\"M\":{\"d\":{\"M\":{"
                        "\"e\":{\"S\":\"3\"},\"f\":{\"S\":\"4\"}}}}}}");
    free(r);
    /* a whole attribute and a path under it: the whole attribute */
    r = prune("SET a = :v", NULL, attrs);
    cr_assert(strstr(r, "\"c\"") != NULL);
    free(r);
    /* ADD / DELETE: the path before the value; absent paths leave nothing */
    r = prune("ADD a.zz :one DELETE top :s", NULL, attrs);
    cr_assert_str_eq(r, "{\"top\":{\"S\":\"t\"}}");
    free(r);
    r = prune("SET  a . b = if_not_exists(a.c, :v)", NULL, attrs);
    cr_assert_str_eq(r, "{\"a\":{\"M\":{\"b\":{\"S\":\"1\"}}}}");
    free(r);
}

static json_object *plan(const char *op, const char *body, rs_ddb_fix_t *fx)
{
    cr_assert_eq(rs_ddb_fix_plan(op, body, strlen(body), fx), 0);
    return fx->body != NULL ? json_tokener_parse(fx->body) : NULL;
}

static const char *str(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

Test(ddb_fix, guard_without_condition)
{
    rs_ddb_fix_t fx;
    json_object *o = plan("UpdateItem",
                          "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                          "\"UpdateExpression\":\"REMOVE x\"}",
                          &fx);
    cr_assert_not_null(o);
    cr_assert_eq(fx.what, RS_DDB_FIX_GUARD);
    cr_assert_str_eq(str(o, "ConditionExpression"), "attribute_exists(#rsGuardKey0)");
    json_object *n;
    cr_assert(json_object_object_get_ex(o, "ExpressionAttributeNames", &n));
    cr_assert_str_eq(str(n, "#rsGuardKey0"), "pk");
    cr_assert(rs_ddb_fix_guard_failed(
        &fx, 400,
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\"}"));
    cr_assert(!rs_ddb_fix_guard_failed(&fx, 400, "{\"__type\":\"x#ValidationException\"}"));
    size_t len;
    char *b = rs_ddb_fix_noop_body(&fx, &len);
    cr_assert_str_eq(b, "{}");
    free(b);
    json_object_put(o);
    rs_ddb_fix_free(&fx);
}

Test(ddb_fix, guard_with_condition)
{
    rs_ddb_fix_t fx;
    json_object *o = plan(
        "UpdateItem",
        "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"UpdateExpression\":\"REMOVE #u\","
        "\"ConditionExpression\":\"#c = :v\",\"ExpressionAttributeNames\":{\"#u\":\"u\","
        "\"#c\":\"c\"},\"ExpressionAttributeValues\":{\":v\":{\"S\":\"1\"}},"
        "\"ReturnConsumedCapacity\":\"TOTAL\"}",
        &fx);
    cr_assert_eq(fx.what, RS_DDB_FIX_GUARD | RS_DDB_FIX_CALLER_COND);
    cr_assert_str_eq(str(o, "ConditionExpression"), "(#c = :v) AND attribute_exists(#rsGuardKey0)");
    /* the ConditionCheck: the caller's condition on a missing item, only its own names */
    json_object *c = json_tokener_parse(fx.check_body), *items, *cc, *n;
    cr_assert(json_object_object_get_ex(c, "TransactItems", &items));
    cc = json_object_array_get_idx(items, 0);
    cr_assert(json_object_object_get_ex(cc, "ConditionCheck", &cc));
    cr_assert_str_eq(str(cc, "ConditionExpression"),
                     "(#c = :v) AND attribute_not_exists(#rsGuardKey0)");
    cr_assert(json_object_object_get_ex(cc, "ExpressionAttributeNames", &n));
    cr_assert_eq(json_object_object_length(n), 2);
    cr_assert_null(str(n, "#u"));
    size_t len;
    char *b = rs_ddb_fix_noop_body(&fx, &len);
    cr_assert_str_eq(b, "{\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":1.0}}");
    free(b);
    json_object_put(c);
    json_object_put(o);
    rs_ddb_fix_free(&fx);
}

Test(ddb_fix, no_guard_with_set_or_add)
{
    rs_ddb_fix_t fx;
    json_object *o =
        plan("UpdateItem",
             "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
             "\"UpdateExpression\":\"SET a = :v REMOVE x\",\"ExpressionAttributeValues\":"
             "{\":v\":{\"S\":\"1\"}}}",
             &fx);
    cr_assert_null(o);
    cr_assert_eq(fx.what, 0);
    rs_ddb_fix_free(&fx);
    o = plan("PutItem", "{\"TableName\":\"t\"}", &fx);
    cr_assert_null(o);
    rs_ddb_fix_free(&fx);
}

Test(ddb_fix, legacy_actions)
{
    rs_ddb_fix_t fx;
    json_object *o = plan("UpdateItem",
                          "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                          "\"AttributeUpdates\":{\"v\":{\"Value\":{\"S\":\"1\"}}}}",
                          &fx);
    cr_assert_not_null(o);
    cr_assert_eq(fx.what, 0);
    json_object *au, *v;
    cr_assert(json_object_object_get_ex(o, "AttributeUpdates", &au));
    cr_assert(json_object_object_get_ex(au, "v", &v));
    cr_assert_str_eq(str(v, "Action"), "PUT");
    json_object_put(o);
    rs_ddb_fix_free(&fx);
    o = plan("UpdateItem",
             "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
             "\"AttributeUpdates\":{\"v\":{\"Action\":\"DELETE\"}}}",
             &fx);
    cr_assert_eq(fx.what, RS_DDB_FIX_GUARD);
    cr_assert(json_object_object_get_ex(o, "Expected", &au));
    cr_assert(json_object_object_get_ex(au, "pk", &v));
    cr_assert_str_eq(str(v, "ComparisonOperator"), "NOT_NULL");
    json_object_put(o);
    rs_ddb_fix_free(&fx);
}

Test(ddb_fix, delete_item_capacity)
{
    rs_ddb_fix_t fx;
    plan("DeleteItem", "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}}}", &fx);
    char *b = strdup("{\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":1.0}}");
    size_t n = strlen(b);
    cr_assert_eq(rs_ddb_fix_answer(&fx, 200, &b, &n), 0);
    cr_assert_str_eq(b, "{}");
    cr_assert_eq(n, 2);
    free(b);
    rs_ddb_fix_free(&fx);
    plan(
        "DeleteItem",
        "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"ReturnConsumedCapacity\":\"TOTAL\"}",
        &fx);
    b = strdup("{\"ConsumedCapacity\":{\"TableName\":\"t\",\"CapacityUnits\":1.0}}");
    n = strlen(b);
    cr_assert_eq(rs_ddb_fix_answer(&fx, 200, &b, &n), 0);
    cr_assert(strstr(b, "ConsumedCapacity") != NULL);
    free(b);
    rs_ddb_fix_free(&fx);
}

Test(ddb_fix, updated_new_answer)
{
    rs_ddb_fix_t fx;
    plan(
        "UpdateItem",
        "{\"TableName\":\"t\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"UpdateExpression\":\"SET a.b = :v\","
        "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"9\"}},\"ReturnValues\":\"UPDATED_NEW\"}",
        &fx);
    cr_assert_not_null(fx.keep);
    char *b = strdup("{\"Attributes\":{\"a\":{\"M\":{\"b\":{\"S\":\"9\"},\"c\":{\"S\":\"2\"}}}}}");
    size_t n = strlen(b);
    cr_assert_eq(rs_ddb_fix_answer(&fx, 200, &b, &n), 0);
    cr_assert_str_eq(b, "{\"Attributes\":{\"a\":{\"M\":{\"b\":{\"S\":\"9\"}}}}}");
    free(b);
    rs_ddb_fix_free(&fx);
}

Test(ddb_reqid, fifty_two)
{
    char a[RS_DDB_REQUEST_ID_LEN + 1], b[RS_DDB_REQUEST_ID_LEN + 1];
    rs_ddb_request_id("ABCDEFGH01234567", a, sizeof(a));
    rs_ddb_request_id("ABCDEFGH01234567", b, sizeof(b));
    cr_assert_eq(strlen(a), 52);
    cr_assert_str_eq(a, b);
    cr_assert_eq(strncmp(a, "ABCDEFGH01234567", 16), 0);
    for (size_t i = 0; i < 52; i++)
        cr_assert((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '0' && a[i] <= '9'));
    rs_ddb_request_id("ABCDEFGH01234568", b, sizeof(b));
    cr_assert_str_neq(a, b);
    /* any other id is kept as it is */
    rs_ddb_request_id("sup-test-1", a, sizeof(a));
    cr_assert_str_eq(a, "sup-test-1");
}
