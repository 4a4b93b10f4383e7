/*
 * test_ddb_oprules.c: the operation-level DynamoDB rules (src/proto/ddb_oprules.c,
 * ddb_expr.c, ddb_avcheck.c, ddb_ctable.c, ddb_json.c): every expected text was observed
 * from DynamoDB Local on a table that exists (its front end words these as AWS does) or is
 * AWS's recorded text where DynamoDB Local words it its own way (CreateTable, numbers);
 * valid requests pass; the JSON cursor and the tokenizer survive any input.
 * Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/ddb_expr.h"
#include "rs/ddb_json.h"
#include "rs/ddb_oprules.h"

static char msg[4096];
static rs_ddb_err_t err;

static int r(const char *op, const char *body)
{
    msg[0] = '\0';
    err = RS_DDBE__COUNT;
    return rs_ddb_oprules(op, strlen(op), (const uint8_t *)body, strlen(body), &err, msg,
                          sizeof(msg));
}

static void ok(const char *op, const char *body)
{
    cr_assert_eq(r(op, body), 0, "%s %s: %s", op, body, msg);
}

static void bad(const char *op, const char *body, const char *want)
{
    cr_assert_eq(r(op, body), 1, "%s %s passed (want %s)", op, body, want);
    cr_assert_eq(err, RS_DDBE_Validation);
    cr_assert_str_eq(msg, want, "%s %s", op, body);
}

#define KEY "\"TableName\":\"ttt\",\"Key\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"b\"}}"
#define ITEM "\"TableName\":\"ttt\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"b\"}"
#define V "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"a\"}}"

Test(ddb_oprules, valid_requests_pass)
{
    ok("PutItem", "{" ITEM "}}");
    ok("PutItem", "{" ITEM ",\"n\":{\"N\":\"-17.4E37\"},\"m\":{\"M\":{\"x\":{\"NULL\":true}}},"
                  "\"s\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1\",\"2\"]}}}");
    ok("PutItem", "{" ITEM "},\"ConditionExpression\":\"attribute_not_exists(pk)\"}");
    ok("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = :v, #b = list_append(if_not_exists("
                     "#b, :v), :v) REMOVE c[1].d ADD e :n DELETE f :s\","
                     "\"ExpressionAttributeNames\":{\"#b\":\"b\"},\"ExpressionAttributeValues\":{"
                     "\":v\":{\"L\":[]},\":n\":{\"N\":\"1\"},\":s\":{\"SS\":[\"x\"]}}}");
    ok("UpdateItem", "{" KEY ",\"UpdateExpression\":\"remove a, b set c = :v\"," V "}");
    ok("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = a + :v\"," V "}");
    /* an empty legacy map beside an expression is ignored, as DynamoDB Local does */
    ok("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = :v\",\"AttributeUpdates\":{}," V "}");
    ok("Query", "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"pk = :v AND begins_with(sk, "
                ":v)\"," V "}");
    ok("Query",
       "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"(pk = :v) AND sk BETWEEN :v "
       "AND :w\",\"ExpressionAttributeValues\":{\":v\":{\"S\":\"a\"},\":w\":{\"S\":\"b\"}}}");
    ok("Query", "{\"TableName\":\"ttt\",\"KeyConditions\":{\"pk\":{\"ComparisonOperator\":\"EQ\","
                "\"AttributeValueList\":[{\"S\":\"a\"}]}}}");
    ok("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"a < b OR NOT c IN (:v, d) AND "
               "size(e) >= :v\"," V "}");
    ok("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"((a = :v) AND b = :v)\"," V "}");
    ok("GetItem", "{" KEY ",\"ProjectionExpression\":\"a, b.c[0], #d\","
                  "\"ExpressionAttributeNames\":{\"#d\":\"d\"}}");
    ok("DescribeTable", "{\"TableName\":\"ttt\"}");
    ok("PutItem", "not json at all");
}

Test(ddb_oprules, syntax_errors)
{
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = :v , \"," V "}",
        "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \", \"");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = :v + :v + :v\"," V "}",
        "Invalid UpdateExpression: Syntax error; token: \"+\", near: \":v + :v\"");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET _a = :v\"," V "}",
        "Invalid UpdateExpression: Syntax error; token: \"_\", near: \"SET _a\"");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET :v = a\"," V "}",
        "Invalid UpdateExpression: Syntax error; token: \":v\", near: \"SET :v =\"");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a < :v\"," V "}",
        "Invalid UpdateExpression: Syntax error; token: \"<\", near: \"a < :v\"");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"ADD a b\"}",
        "Invalid UpdateExpression: Syntax error; token: \"b\", near: \"a b\"");
    bad("Query",
        "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"pk = :v\"," V
        ",\"ProjectionExpression\":\"a,\"}",
        "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"");
    bad("Query",
        "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"pk = :v\"," V
        ",\"ProjectionExpression\":\"a,,\"}",
        "Invalid ProjectionExpression: Syntax error; token: \",\", near: \",,\"");
    bad("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"a\"}",
        "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \"a\"");
    bad("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"!!! INVALID !!!\"}",
        "Invalid FilterExpression: Syntax error; token: \"!\", near: \"!!\"");
    bad("Query", "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"\"}",
        "Invalid KeyConditionExpression: The expression can not be empty;");
}

Test(ddb_oprules, expression_semantics)
{
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET status = :v\"," V "}",
        "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET #a = :v\"," V "}",
        "Invalid UpdateExpression: An expression attribute name used in the document path is "
        "not defined; attribute name: #a");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = :w, #z = :v\"," V "}",
        "Invalid UpdateExpression: An expression attribute name used in the document path is "
        "not defined; attribute name: #z");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = :w\"," V "}",
        "Invalid UpdateExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :w");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = foo(:v), status = :v\"," V "}",
        "Invalid UpdateExpression: Invalid function name; function: foo");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = :v SET b = :v\"," V "}",
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update "
        "expression;");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = :v, a = :v\"," V "}",
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or "
        "rewrite one of these paths; path one: [a], path two: [a]");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a.b = :v, a[1] = :v\"," V "}",
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or "
        "rewrite one of these paths; path one: [a, b], path two: [a, [1]]");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = size(b)\"," V "}",
        "Invalid UpdateExpression: The function is not allowed in an update expression; "
        "function: size");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"SET a = :v\",\"ConditionExpression\":\"b = :w\"," V "}",
        "Invalid ConditionExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :w");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"SET a = :w\",\"ConditionExpression\":\"b = = :v\"," V "}",
        "Invalid UpdateExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :w");
    bad("PutItem", "{" ITEM "},\"ConditionExpression\":\"((a = :v))\"," V "}",
        "Invalid ConditionExpression: The expression has redundant parentheses;");
    bad("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"size(a)\"}",
        "Invalid FilterExpression: The function is not allowed to be used this way in an "
        "expression; function: size");
    bad("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"attribute_exists(a) = :v\"," V "}",
        "Invalid FilterExpression: The function is not allowed to be used this way in an "
        "expression; function: attribute_exists");
    bad("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"foo(a) AND size(b)\"}",
        "Invalid FilterExpression: Invalid function name; function: foo");
    bad("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"begins_with(a)\"}",
        "Invalid FilterExpression: Incorrect number of operands for operator or function; "
        "operator or function: begins_with, number of operands: 1");
    bad("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"a = a\"}",
        "Invalid FilterExpression: The first operand must be distinct from the remaining "
        "operands for this operator or function; operator: =, first operand: [a]");
    bad("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"attribute_exists(:v)\"," V "}",
        "Invalid FilterExpression: Operator or function requires a document path; operator or "
        "function: attribute_exists");
    bad("Scan", "{\"TableName\":\"ttt\",\"FilterExpression\":\"if_not_exists(a, :v) = :v\"," V "}",
        "Invalid FilterExpression: The function is not allowed in a condition expression; "
        "function: if_not_exists");
    bad("Query",
        "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"pk = :v\",\"ProjectionExpression\":"
        "\"a, b.c, b\"," V "}",
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove "
        "or rewrite one of these paths; path one: [b, c], path two: [b]");
}

/* the order DynamoDB Local (AWS's front end) reports several findings in, and the checks
 * on constant operands */
Test(ddb_oprules, order_and_operand_types)
{
#define F(e, vals)                                                                                 \
    "{\"TableName\":\"ttt\",\"FilterExpression\":\"" e "\",\"ExpressionAttributeValues\":" vals "}"
#define VS "{\":v\":{\"S\":\"a\"}}"
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"SET a = :w, b = size(c)\"," V "}",
        "Invalid UpdateExpression: The function is not allowed in an update expression; "
        "function: size");
    bad("Scan", F("attribute_exists(:v) AND a = :x", VS),
        "Invalid FilterExpression: Operator or function requires a document path; operator or "
        "function: attribute_exists");
    bad("Scan", F("a = :x AND attribute_exists(:v)", VS),
        "Invalid FilterExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :x");
    bad("Scan", F("b = :x AND a = a", VS),
        "Invalid FilterExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :x");
    bad("Scan", F("b = :x AND #q = :v", VS),
        "Invalid FilterExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :x");
    bad("Scan", F("b = :x AND foo(a)", VS),
        "Invalid FilterExpression: Invalid function name; function: foo");
    bad("Scan", F("status = :v AND ((a = :v))", VS),
        "Invalid FilterExpression: The expression has redundant parentheses;");
    bad("Query",
        "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"begins_with(sk, :n) AND pk = :x\","
        "\"ExpressionAttributeValues\":{\":n\":{\"N\":\"1\"}}}",
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: begins_with, operand type: N");
    bad("Scan", F("size(:n) = :v", "{\":n\":{\"N\":\"1\"},\":v\":{\"S\":\"a\"}}"),
        "Invalid FilterExpression: Incorrect operand type for operator or function; operator or "
        "function: size, operand type: N");
    bad("Scan", F("a BETWEEN :h AND :l", "{\":h\":{\"N\":\"5\"},\":l\":{\"N\":\"1\"}}"),
        "Invalid FilterExpression: The BETWEEN operator requires upper bound to be greater than "
        "or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound "
        "operand: AttributeValue: {N:1}");
    ok("Scan", F("a BETWEEN :h AND :l", "{\":h\":{\"N\":\"-5\"},\":l\":{\"N\":\"1e-3\"}}"));
    bad("Scan", F("a BETWEEN :h AND :l", "{\":h\":{\"N\":\"5\"},\":l\":{\"S\":\"1\"}}"),
        "Invalid FilterExpression: The BETWEEN operator requires same data type for lower and "
        "upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: "
        "AttributeValue: {S:1}");
    bad("Scan", F("a < :l", "{\":l\":{\"BOOL\":true}}"),
        "Invalid FilterExpression: Incorrect operand type for operator or function; operator or "
        "function: <, operand type: BOOL");
    bad("Scan", F("attribute_type(a, :l)", "{\":l\":{\"N\":\"1\"}}"),
        "Invalid FilterExpression: Incorrect operand type for operator or function; operator or "
        "function: attribute_type, operand type: N");
    bad("UpdateItem", "{" KEY ",\"UpdateExpression\":\"ADD a :v\"," V "}",
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
        "ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"DELETE a :v\",\"ExpressionAttributeValues\":{\":v\":{"
        "\"N\":\"1\"}}}",
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
        "DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"SET a = list_append(list_append(a, :v), :v)\"," V "}",
        "Invalid UpdateExpression: The function is not allowed to be used this way in an "
        "expression; function: list_append");
}

Test(ddb_oprules, limits)
{
    static char e[8192], body[16384];
    rs_ddbx_refs_t refs;
    memset(&refs, 0, sizeof(refs));
    const char *vals = "{\":v\":{\"S\":\"x\"}}";
    refs.values = rs_jv_parse(vals, strlen(vals));
    size_t w = (size_t)snprintf(e, sizeof(e), "a IN (");
    for (int i = 0; i < 101; i++)
        w += (size_t)snprintf(e + w, sizeof(e) - w, "%s:v", i ? ", " : "");
    snprintf(e + w, sizeof(e) - w, ") AND b = :zz");
    cr_assert_eq(rs_ddbx_check(RS_DDBX_FILTER, e, strlen(e), &refs, msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "Invalid FilterExpression: The IN operator is provided with too many "
                          "operands; number of operands: 101");
    e[0] = '\0';
    for (int i = 0; i < 151; i++)
        strcat(e, i ? " OR a = :v" : "a = :v");
    cr_assert_eq(rs_ddbx_check(RS_DDBX_FILTER, e, strlen(e), &refs, msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "Invalid FilterExpression: The expression contains too many operators; "
                          "operator count: 301");
    e[strlen(e) - strlen(" OR a = :v")] = '\0'; /* 299 */
    cr_assert_eq(rs_ddbx_check(RS_DDBX_FILTER, e, strlen(e), &refs, msg, sizeof(msg)), 0, "%s",
                 msg);
    const char *p = "a[99999999999999], b[0002147483647]";
    cr_assert_eq(rs_ddbx_check(RS_DDBX_PROJECTION, p, strlen(p), &refs, msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "Invalid ProjectionExpression: List index is not within the allowable "
                          "range; index: [99999999999999]");
    p = "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a";
    cr_assert_eq(rs_ddbx_check(RS_DDBX_PROJECTION, p, strlen(p), &refs, msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "Invalid ProjectionExpression: The document path has too many nesting "
                          "levels; nesting levels: 33");
    memset(e, 'a', 4097);
    e[4097] = '\0';
    snprintf(body, sizeof(body), "{" KEY ",\"ProjectionExpression\":\"%s\"}", e);
    bad("GetItem", body,
        "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size;");
}

Test(ddb_oprules, key_conditions)
{
#define Q(e) "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"" e "\"," V "}"
    bad("Query", Q("pk <> :v"), "Invalid operator used in KeyConditionExpression: <>");
    bad("Query", Q("pk = :v OR sk = :v"), "Invalid operator used in KeyConditionExpression: OR");
    bad("Query", Q("NOT pk = :v"), "Invalid operator used in KeyConditionExpression: NOT");
    bad("Query", Q("contains(pk, :v)"),
        "Invalid operator used in KeyConditionExpression: contains");
    bad("Query", Q("pk IN (:v)"), "Invalid operator used in KeyConditionExpression: IN");
    bad("Query", Q("size(pk) = :v"), "KeyConditionExpressions cannot contain nested operations");
    bad("Query", Q("pk = :v AND pk = :v"),
        "KeyConditionExpressions must only contain one condition per key");
    /* nested key paths: the text depends on the schema, DynamoDB Local answers */
    ok("Query", Q("pk.x = :v"));
    ok("Query", Q("pk[1] = :v OR pk[2] = :v"));
    bad("Query", Q("pk = :v OR pk[2] = :v"), "Invalid operator used in KeyConditionExpression: OR");
    bad("Query", Q("size(pk) IN (:v)"), "Invalid operator used in KeyConditionExpression: IN");
    bad("Query", Q("size(size(pk)) = :v"),
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
        "operator or function: size, operand type: N");
    bad("Query", Q(":v = :v"),
        "Invalid condition in KeyConditionExpression: No key attribute specified");
    bad("Query", Q("pk = :v OR pk = :w"),
        "Invalid KeyConditionExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :w");
    bad("Query", Q("pk = :v AND status = :v"),
        "Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: "
        "status");
    bad("Query", "{\"TableName\":\"ttt\"}",
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request.");
    bad("Query",
        "{\"TableName\":\"ttt\",\"KeyConditions\":{\"pk\":{\"ComparisonOperator\":\"EQ\","
        "\"AttributeValueList\":[{\"S\":\"a\"}]},\"sk\":{\"ComparisonOperator\":\"NE\","
        "\"AttributeValueList\":[{\"S\":\"a\"}]}}}",
        "Attempted conditional constraint is not an indexable operation");
    /* the order of expressions: filter, projection, key condition */
    bad("Query",
        "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"pk = = :w\",\"ProjectionExpression\":"
        "\"#q\"," V "}",
        "Invalid ProjectionExpression: An expression attribute name used in the document path is "
        "not defined; attribute name: #q");
    bad("Query",
        "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"pk = = :w\",\"FilterExpression\":"
        "\"a = :z\",\"ProjectionExpression\":\"#q\"," V "}",
        "Invalid FilterExpression: An expression attribute value used in expression is not "
        "defined; attribute value: :z");
}

Test(ddb_oprules, parameters)
{
    bad("Query",
        "{\"TableName\":\"ttt\",\"KeyConditionExpression\":\"pk = :v\",\"FilterExpression\":\"a = "
        ":v\",\"ProjectionExpression\":\"a\",\"AttributesToGet\":[\"a\"],\"QueryFilter\":{\"a\":{"
        "\"ComparisonOperator\":\"NULL\"}},\"ConditionalOperator\":\"AND\",\"KeyConditions\":{"
        "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"a\"}]}}," V "}",
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator, "
        "KeyConditions} Expression parameters: {ProjectionExpression, FilterExpression, "
        "KeyConditionExpression}");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"SET a = :v\",\"ConditionExpression\":\"a = :v\","
        "\"Expected\":{\"a\":{\"Exists\":false}},\"AttributeUpdates\":{\"x\":{\"Action\":\"PUT\","
        "\"Value\":{\"S\":\"a\"}}},\"ConditionalOperator\":\"AND\"," V "}",
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributeUpdates, Expected, ConditionalOperator} Expression "
        "parameters: {UpdateExpression, ConditionExpression}");
    bad("PutItem", "{" ITEM "},\"ExpressionAttributeNames\":{\"#v\":\"a\"}," V "}",
        "ExpressionAttributeNames can only be specified when using expressions");
    bad("PutItem", "{" ITEM "}," V "}",
        "ExpressionAttributeValues can only be specified when using expressions: "
        "ConditionExpression is null");
    bad("UpdateItem", "{" KEY "," V "}",
        "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression "
        "and ConditionExpression are null");
    bad("Scan", "{\"TableName\":\"ttt\",\"ProjectionExpression\":\"a\"," V "}",
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression "
        "is null");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"SET a = :w\",\"ExpressionAttributeNames\":{},"
        "\"ExpressionAttributeValues\":{}}",
        "ExpressionAttributeNames must not be empty");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"SET a = :v\",\"ExpressionAttributeValues\":{\":v\":{},"
        "\"x\":{\"S\":\"a\"}}}",
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"x\"");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"SET a = :w\",\"ExpressionAttributeValues\":{\":v\":{"
        "\"SS\":[]}}}",
        "ExpressionAttributeValues contains invalid value: One or more parameter values were "
        "invalid: An string set  may not be empty for key :v");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"SET a = :v\",\"ExpressionAttributeValues\":{\":v\":{"
        "\"S\":\"a\"},\":x\":{\"S\":\"a\"}},\"ExpressionAttributeNames\":{\"#q\":\"x\",\"#r\":"
        "\"y\"}}",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#q, #r}");
    bad("UpdateItem",
        "{" KEY ",\"UpdateExpression\":\"SET a = :w\",\"ExpressionAttributeValues\":{\":w\":{"
        "\"S\":\"a\"},\":z\":{\"S\":\"a\"},\":y\":{\"S\":\"a\"}}}",
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:z, :y}");
    bad("GetItem",
        "{" KEY ",\"ProjectionExpression\":\"a\",\"ExpressionAttributeNames\":{\"#a\":"
        "\"a\"}}",
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}");
}

Test(ddb_oprules, scan_segments)
{
    ok("Scan", "{\"TableName\":\"ttt\",\"Segment\":4,\"TotalSegments\":5}");
    bad("Scan", "{\"TableName\":\"ttt\",\"Segment\":5,\"TotalSegments\":5}",
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 5 is not less than TotalSegments: 5");
    bad("Scan", "{\"TableName\":\"ttt\",\"Segment\":0}",
        "The TotalSegments parameter is required but was not present in the request when "
        "Segment parameter is present");
    bad("Scan", "{\"TableName\":\"ttt\",\"TotalSegments\":2}",
        "The Segment parameter is required but was not present in the request when parameter "
        "TotalSegments is present");
}

Test(ddb_oprules, attribute_values)
{
#define P(v) "{" ITEM ",\"x\":" v "}}"
    bad("PutItem", P("{}"),
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    bad("PutItem", P("{\"S\":\"a\",\"N\":\"1\"}"),
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
        "the supported datatypes");
    bad("PutItem", P("{\"SS\":[]}"),
        "One or more parameter values were invalid: An string set  may not be empty");
    bad("PutItem", P("{\"NS\":[]}"),
        "One or more parameter values were invalid: An number set  may not be empty");
    bad("PutItem", P("{\"BS\":[]}"),
        "One or more parameter values were invalid: Binary sets should not be empty");
    bad("PutItem", P("{\"NS\":[\"1\",\"1.0\"]}"), "Input collection contains duplicates");
    bad("PutItem", P("{\"NS\":[\"100\",\"1e2\"]}"), "Input collection contains duplicates");
    ok("PutItem", P("{\"NS\":[\"100\",\"1e3\"]}"));
    bad("PutItem", P("{\"SS\":[\"a\",\"a\"]}"),
        "One or more parameter values were invalid: Input collection [a, a] contains duplicates.");
    bad("PutItem", P("{\"BS\":[\"YQ==\",\"YQ==\"]}"),
        "One or more parameter values were invalid: Input collection of type BS contains "
        "duplicates.");
    bad("PutItem", P("{\"N\":\"1e126\"}"),
        "Number overflow. Attempting to store a number with magnitude larger than supported range");
    ok("PutItem", P("{\"N\":\"9.9999999999999999999999999999999999999E+125\"}"));
    ok("PutItem", P("{\"N\":\"1E-130\"}"));
    bad("PutItem", P("{\"N\":\"1e-131\"}"),
        "Number underflow. Attempting to store a number with magnitude smaller than supported "
        "range");
    bad("PutItem", P("{\"N\":\"123456789012345678901234567890123456789\"}"),
        "Attempting to store more than 38 significant digits in a Number");
    ok("PutItem", P("{\"N\":\"12345678901234567890123456789012345678000000\"}"));
    bad("PutItem", P("{\"N\":\"abc\"}"),
        "The parameter cannot be converted to a numeric value: abc");
    bad("PutItem", P("{\"N\":\"\"}"), "The parameter cannot be converted to a numeric value");
    bad("PutItem", P("{\"N\":\" 1\"}"), "The parameter cannot be converted to a numeric value:  1");
    ok("PutItem", P("{\"N\":\"+.5e-3\"}"));
    bad("PutItem", P("{\"NULL\":false}"),
        "One or more parameter values were invalid: Null attribute value types must have the "
        "value of true");
    bad("PutItem", P("{\"M\":{\"y\":{}}}"),
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    bad("PutItem", P("{\"L\":[{\"SS\":[]}]}"),
        "One or more parameter values were invalid: An string set  may not be empty");
    bad("UpdateItem",
        "{\"TableName\":\"ttt\",\"Key\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"\"}},"
        "\"UpdateExpression\":\"SET a = :v\",\"ExpressionAttributeValues\":{\":v\":{}}}",
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty string value. Key: sk");
    /* names without expressions come before the item's values, which come before expressions */
    bad("PutItem", "{" ITEM ",\"x\":{\"SS\":[]}},\"ExpressionAttributeNames\":{\"#v\":\"a\"}}",
        "ExpressionAttributeNames can only be specified when using expressions");
    bad("PutItem", "{" ITEM ",\"x\":{\"S\":\"a\",\"N\":\"1\"}},\"ConditionExpression\":\"a = :q\"}",
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
        "the supported datatypes");
    bad("BatchWriteItem",
        "{\"RequestItems\":{\"ttt\":[{\"PutRequest\":{\"Item\":{\"pk\":{\"NS\":[]}}}}]}}",
        "One or more parameter values were invalid: An number set  may not be empty");
}

#define CT_KEYS(ks, defs)                                                                          \
    "{\"TableName\":\"ccc1\",\"KeySchema\":" ks ",\"AttributeDefinitions\":" defs                  \
    ",\"BillingMode\":\"PAY_PER_REQUEST\""
#define H(n) "{\"AttributeName\":\"" n "\",\"KeyType\":\"HASH\"}"
#define R(n) "{\"AttributeName\":\"" n "\",\"KeyType\":\"RANGE\"}"
#define D(n) "{\"AttributeName\":\"" n "\",\"AttributeType\":\"S\"}"
#define LSI(name, h, rk, proj)                                                                     \
    "{\"IndexName\":\"" name "\",\"KeySchema\":[" H(h) "," R(rk) "],\"Projection\":" proj "}"
#define ALL "{\"ProjectionType\":\"ALL\"}"

Test(ddb_oprules, create_table)
{
    ok("CreateTable", CT_KEYS("[" H("pk") "]", "[" D("pk") "]") "}");
    ok("CreateTable",
       CT_KEYS(
           "[" H("pk") "," R("sk") "]",
           "[" D("pk") "," D("sk") "," D("a1") "," D("a2") "," D("a3") "," D("a4") "," D(
               "a5") "]") ",\"LocalSecondaryIndexes\":[" LSI("lsi1", "pk", "a1",
                                                             ALL) "," LSI("lsi2", "pk", "a2",
                                                                          ALL) "," LSI("lsi3", "pk",
                                                                                       "a3",
                                                                                       ALL) "," LSI("lsi4",
                                                                                                    "pk",
                                                                                                    "a4",
                                                                                                    ALL) "," LSI("lsi5",
                                                                                                                 "pk",
                                                                                                                 "a5",
                                                                                                                 ALL) "]}");
    bad("CreateTable", CT_KEYS("[" H("pk") "]", "[" D("pk") "," D("x") "]") "}",
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions");
    bad("CreateTable", CT_KEYS("[" H("pk") "]", "[" D("q") "]") "}",
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [pk], AttributeDefinitions: [q]");
    bad("CreateTable", CT_KEYS("[" R("pk") "]", "[" D("pk") "]") "}",
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    bad("CreateTable", CT_KEYS("[" H("pk") "," H("sk") "]", "[" D("pk") "," D("sk") "]") "}",
        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    bad("CreateTable", CT_KEYS("[" H("pk") "," R("pk") "]", "[" D("pk") "," D("x") "]") "}",
        "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    bad("CreateTable", CT_KEYS("[" H("pk") "," R("sk") "]", "[" D("pk") "]") "}",
        "Invalid KeySchema: Some index key attribute have no definition");
    bad("CreateTable",
        "{\"TableName\":\"ccc1\",\"KeySchema\":[" H("pk") "],\"AttributeDefinitions\":[" D(
            "pk") "]}",
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must "
        "both be specified when BillingMode is PROVISIONED");
    bad("CreateTable",
        CT_KEYS("[" H("pk") "]",
                "[" D("pk") "]") ",\"ProvisionedThroughput\":{\"ReadCapacityUnits\""
                                 ":1,\"WriteCapacityUnits\":1}}",
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
        "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    bad("CreateTable",
        "{\"TableName\":\"ccc1\",\"KeySchema\":[" H("pk") "],\"AttributeDefinitions\":[" D(
            "pk") "],\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1000000000001,"
                  "\"WriteCapacityUnits\""
                  ":1}}",
        "Given value 1000000000001 for ReadCapacityUnits is out of bounds");
    bad("CreateTable",
        CT_KEYS("[" H("pk") "]",
                "[" D("pk") "]") ",\"LocalSecondaryIndexes\":[" LSI("idx1", "pk", "pk", ALL) "]}",
        "One or more parameter values were invalid: Table KeySchema does not have a range key, "
        "which is required when specifying a LocalSecondaryIndex");
    bad("CreateTable",
        CT_KEYS("[" H("pk") "," R("sk") "]",
                "[" D("pk") "," D("sk") "," D(
                    "x") "]") ",\"LocalSecondaryIndexes\":[" LSI("idx1", "x", "sk", ALL) "]}",
        "One or more parameter values were invalid: Index KeySchema does not have the same "
        "leading hash key as table KeySchema for index: idx1. index hash key: x, table hash key: "
        "pk");
    bad("CreateTable",
        CT_KEYS("[" H("pk") "," R("sk") "]",
                "[" D("pk") "," D("sk") "," D(
                    "x") "]") ",\"LocalSecondaryIndexes\":[" LSI("idx1", "pk", "x",
                                                                 ALL) "," LSI("idx1", "pk", "x",
                                                                              ALL) "]}",
        "One or more parameter values were invalid: Duplicate index name: idx1");
    bad("CreateTable",
        CT_KEYS(
            "[" H("pk") "," R("sk") "]",
            "[" D("pk") "," D("sk") "," D(
                "x") "]") ",\"LocalSecondaryIndexes\":[" LSI("idx1", "pk", "x",
                                                             "{\"ProjectionType\":\"KEYS_ONLY\","
                                                             "\"NonKeyAttributes\":[\"a\"]}") "]}",
        "One or more parameter values were invalid: ProjectionType is KEYS_ONLY, but "
        "NonKeyAttributes is specified");
    bad("CreateTable",
        CT_KEYS("[" H("pk") "," R("sk") "]",
                "[" D("pk") "," D("sk") "," D(
                    "x") "]") ",\"LocalSecondaryIndexes\":[" LSI("idx1", "pk", "x", "{}") "]}",
        "One or more parameter values were invalid: Unknown ProjectionType: null");
    bad("CreateTable",
        CT_KEYS("[" H("pk") "," R("sk") "]",
                "[" D("pk") "," D("sk") "]") ",\"LocalSecondaryIndexes\":[]}",
        "One or more parameter values were invalid: List of LocalSecondaryIndexes is empty");
    bad("CreateTable",
        CT_KEYS("[" H("pk") "]",
                "[" D("pk") "," D(
                    "g") "]") ",\"GlobalSecondaryIndexes\":[{\"IndexName\":\"gsi1\",\"KeySchema\":"
                              "[" H("g") "],"
                                         "\"Projection\":" ALL
                                         ",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":1,"
                                         "\"WriteCapacityUnits\":1}}]}",
        "One or more parameter values were invalid: ProvisionedThroughput should not be "
        "specified for index: gsi1 when BillingMode is PAY_PER_REQUEST");
    bad("CreateTable",
        CT_KEYS("[" H("pk") "]",
                "[" D("pk") "," D("g") "]") ",\"GlobalSecondaryIndexes\":[{\"IndexName\":\"gsi1\","
                                            "\"KeySchema\":[" H("x") "],"
                                                                     "\"Projection\":" ALL "}]}",
        "One or more parameter values were invalid: Some index key attributes are not defined in "
        "AttributeDefinitions. Keys: [x], AttributeDefinitions: [pk, g]");
    bad("CreateTable",
        CT_KEYS("[" H("pk") "," R("sk") "]",
                "[" D("pk") "," D("sk") "," D("x") "," D(
                    "y") "]") ",\"LocalSecondaryIndexes\":[" LSI("idx1", "pk", "x", ALL) "]}",
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions");
}

static void collect(void *arg, unsigned clause, const char *path, int depth)
{
    char *out = arg;
    size_t w = strlen(out);
    snprintf(out + w, 512 - w, "%u:%s/%d;", clause, path != NULL ? path : "-", depth);
}

/* the update parser as the supervisor's item fixes read it (src/ddb/ddb_uexpr.c) */
Test(ddb_oprules, update_actions)
{
    char out[512] = "";
    rs_ddbx_refs_t refs;
    memset(&refs, 0, sizeof(refs));
    const char *names = "{\"#n\":\"x.y\"}";
    refs.names = rs_jv_parse(names, strlen(names));
    const char *e = "SET a.b[2] = :v, #n = if_not_exists(#n, :v) remove c ADD d :w";
    cr_assert_eq(rs_ddbx_update_actions(e, strlen(e), &refs, collect, out), 0);
    cr_assert_str_eq(out, "1:-/0;1:a\x1f"
                          "b\x1f[2]/3;1:x.y/1;2:-/0;2:c/1;4:-/0;4:d/1;");
    out[0] = '\0';
    e = "REMOVE #set, a.#add, :x";
    cr_assert_eq(rs_ddbx_update_actions(e, strlen(e), &refs, collect, out), 1);
    cr_assert_str_eq(out, "2:-/0;2:#set/1;2:a\x1f#add/2;");
}

Test(ddb_oprules, json_cursor)
{
    const char *t = " { \"a\" : [1, \"x\\u00e9\", {\"b\":null}], \"c\": true, \"d\":null } ";
    rs_jv_t v = rs_jv_parse(t, strlen(t));
    cr_assert_eq(rs_jv_type(v), RS_JV_OBJECT);
    cr_assert_eq(rs_jv_count(v), 3);
    cr_assert_eq(rs_jv_count(rs_jv_get(v, "a")), 3);
    cr_assert(rs_jv_true(rs_jv_get(v, "c")));
    cr_assert_eq(rs_jv_type(rs_jv_get(v, "d")), RS_JV_NONE);
    cr_assert_eq(rs_jv_type(rs_jv_get(v, "zz")), RS_JV_NONE);
    rs_jv_iter_t it;
    rs_jv_t e;
    char buf[16];
    rs_jv_iter(rs_jv_get(v, "a"), &it);
    cr_assert(rs_jv_next(&it, NULL, &e));
    cr_assert_eq(rs_jv_type(e), RS_JV_NUMBER);
    cr_assert_eq(e.n, 1);
    cr_assert(rs_jv_next(&it, NULL, &e));
    cr_assert_eq(rs_jv_str(e, buf, sizeof(buf)), 3);
    cr_assert_str_eq(buf, "x\xc3\xa9");
    cr_assert(rs_jv_streq(e, "x\xc3\xa9"));
    /* escaped quotes and backslashes before a closing quote; a value inside a longer text */
    const char *q = "{\"a\":\"x\\\"y\",\"b\":\"z\\\\\",\"c\":[1,{\"d\":\"}\"}]} ";
    v = rs_jv_parse(q, strlen(q));
    cr_assert_eq(rs_jv_count(v), 3);
    cr_assert_eq(rs_jv_str(rs_jv_get(v, "a"), buf, sizeof(buf)), 3);
    cr_assert_str_eq(buf, "x\"y");
    cr_assert_eq(rs_jv_str(rs_jv_get(v, "b"), buf, sizeof(buf)), 2);
    cr_assert_str_eq(buf, "z\\");
    cr_assert_eq(rs_jv_count(rs_jv_get(v, "c")), 2);
    rs_jv_t part = rs_jv_parse(q + 5, strlen(q) - 5); /* "x\"y",... : the string alone */
    cr_assert_eq(rs_jv_type(part), RS_JV_STRING);
    cr_assert_eq(part.n, 6);
}

/* any bytes as an expression or a body: an answer, never a crash */
Test(ddb_oprules, any_input)
{
    unsigned seed = 7;
    char buf[300];
    static const char alphabet[] = "ab#:()[].,=<> +-0123456789ANDORNOTBETWEENINSETREMOVE\"\\{}_!";
    rs_ddbx_refs_t refs;
    memset(&refs, 0, sizeof(refs));
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand_r(&seed) % 60);
        for (size_t i = 0; i < n; i++)
            buf[i] = alphabet[(size_t)rand_r(&seed) % (sizeof(alphabet) - 1)];
        buf[n] = '\0';
        for (int k = RS_DDBX_CONDITION; k <= RS_DDBX_UPDATE; k++)
            (void)rs_ddbx_check((rs_ddbx_kind_t)k, buf, n, &refs, msg, sizeof(msg));
        (void)r("PutItem", buf);
    }
    /* members the model requires, missing (the validator answers these first in the
     * server): no crash, an answer */
    static const char *const partial[] = {"{\"TableName\":\"x\"}", "{\"KeySchema\":[]}",
                                          "{\"LocalSecondaryIndexes\":[{}],\"KeySchema\":[{},{}]}",
                                          "{\"GlobalSecondaryIndexes\":[1,[],{}]}"};
    for (size_t i = 0; i < sizeof(partial) / sizeof(partial[0]); i++) {
        int rc = r("CreateTable", partial[i]);
        cr_assert(rc == 0 || rc == 1);
    }
    char deep[5000];
    memset(deep, '(', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    cr_assert_eq(rs_ddbx_check(RS_DDBX_CONDITION, deep, 4000, &refs, msg, sizeof(msg)), 1);
    cr_assert_eq(rs_ddbx_check(RS_DDBX_CONDITION, deep, 4097, &refs, msg, sizeof(msg)), 1);
    cr_assert_str_eq(msg, "Invalid ConditionExpression: Expression size has exceeded the maximum "
                          "allowed size; expression size: 4097");
}
