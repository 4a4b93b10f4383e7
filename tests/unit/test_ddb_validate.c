/*
 * test_ddb_validate.c: the DynamoDB request validator (src/proto/ddb_validate.c) and its
 * generated tables (src/proto/ddb_model.c): valid bodies pass, wrong JSON types give
 * SerializationException with Jackson's wording, constraint violations give AWS's
 * ValidationException text (paths, plural form, enum sets in AWS's order, ranges, the
 * table-name rules), and any input (invalid JSON, deep nesting, huge bodies, invalid
 * UTF-8, odd numbers) is answered without a crash.
 * Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/ddb_validate.h"

static char msg[4096];
static rs_ddb_err_t err;

/* 0 valid, 1 invalid (err, msg) */
static int v(const char *op, const char *body)
{
    msg[0] = '\0';
    err = RS_DDBE__COUNT;
    return rs_ddb_validate(op, strlen(op), (const uint8_t *)body, strlen(body), &err, msg,
                           sizeof(msg));
}

static void expect_ser(const char *op, const char *body, const char *want)
{
    cr_assert_eq(v(op, body), 1, "%s %s passed", op, body);
    cr_assert_eq(err, RS_DDBE_Serialization, "%s: %s", body, msg);
    cr_assert_str_eq(msg, want, "%s", body);
}

static void expect_val(const char *op, const char *body, const char *want)
{
    cr_assert_eq(v(op, body), 1, "%s %s passed", op, body);
    cr_assert_eq(err, RS_DDBE_Validation, "%s: %s", body, msg);
    cr_assert_str_eq(msg, want, "%s", body);
}

Test(ddb_model, operations_and_lookup)
{
    cr_assert_eq(rs_ddbm_num_ops, 57);
    cr_assert_geq(rs_ddbm_input("GetItem", 7), 0);
    cr_assert_geq(rs_ddbm_input("UpdateTimeToLive", 16), 0);
    cr_assert_eq(rs_ddbm_input("GetItemX", 8), -1);
    cr_assert_eq(rs_ddbm_input("", 0), -1);
    cr_assert_eq(rs_ddbm_input("Get", 3), -1);
    for (size_t i = 1; i < rs_ddbm_num_ops; i++)
        cr_assert_lt(strcmp(rs_ddbm_ops[i - 1].name, rs_ddbm_ops[i].name), 0);
}

Test(ddb_validate, valid_bodies_pass)
{
    cr_assert_eq(v("ListTables", "{}"), 0);
    cr_assert_eq(v("ListTables", ""), 0);
    cr_assert_eq(v("ListTables", " { \"Limit\" : 5 } "), 0);
    cr_assert_eq(v("GetItem", "{\"TableName\":\"tbl\",\"Key\":{\"pk\":{\"S\":\"a\"}},"
                              "\"ConsistentRead\":true,\"Unknown\":[1,{\"x\":null}]}"),
                 0);
    cr_assert_eq(v("GetItem", "{\"TableName\":\"arn:aws:dynamodb:us-east-1:000000000000:"
                              "table/t\",\"Key\":{}}"),
                 0);
    cr_assert_eq(v("PutItem",
                   "{\"TableName\":\"t_1.x-y\",\"Item\":{\"a\":{\"M\":{\"b\":{\"L\":[{\"N\":"
                   "\"1\"},{\"B\":\"AAEC\"},{\"BS\":[\"QQ==\"]},{\"NULL\":true},{\"BOOL\":"
                   "false}]}}},\"s\":{\"S\":\"\\u00e9\\n\\\"\xc3\xa9\"}},"
                   "\"ReturnValues\":\"ALL_OLD\"}"),
                 0, "%s", msg);
    cr_assert_eq(v("CreateTable",
                   "{\"TableName\":\"abc\",\"KeySchema\":[{\"AttributeName\":\"a\",\"KeyType\":"
                   "\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"a\","
                   "\"AttributeType\":\"S\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}"),
                 0, "%s", msg);
    /* null is an absent member; booleans as strings are read */
    cr_assert_eq(v("Scan", "{\"TableName\":\"tbl\",\"Limit\":null,\"ConsistentRead\":\"TRUE\"}"), 0,
                 "%s", msg);
    /* an operation the model does not know: not ours to judge */
    cr_assert_eq(v("NoSuchOp", "[[["), 0);
}

Test(ddb_validate, serialization_wrong_types)
{
    expect_ser("GetItem", "{\"TableName\":12,\"Key\":{}}",
               "NUMBER_VALUE cannot be converted to String");
    expect_ser("GetItem", "{\"TableName\":1.5,\"Key\":{}}",
               "DECIMAL_VALUE cannot be converted to String");
    expect_ser("GetItem", "{\"TableName\":true,\"Key\":{}}",
               "TRUE_VALUE cannot be converted to String");
    expect_ser("GetItem", "{\"TableName\":false}", "FALSE_VALUE cannot be converted to String");
    expect_ser("GetItem", "{\"TableName\":{},\"Key\":{}}",
               "Start of structure or map found where not expected");
    expect_ser("GetItem", "{\"TableName\":[],\"Key\":{}}", "UnknownError");
    expect_ser("GetItem", "{\"TableName\":\"t\",\"Key\":\"x\"}", "Unexpected field type");
    expect_ser("GetItem", "{\"TableName\":\"t\",\"Key\":[]}", "UnknownError");
    expect_ser("GetItem", "{\"TableName\":\"tbl\",\"Key\":{\"a\":\"x\"}}",
               "Unexpected value type in payload");
    expect_ser("GetItem", "{\"TableName\":\"tbl\",\"Key\":{\"a\":{\"N\":5}}}",
               "NUMBER_VALUE cannot be converted to String");
    expect_ser("GetItem", "{\"TableName\":\"tbl\",\"ConsistentRead\":1}",
               "NUMBER_VALUE cannot be converted to Boolean");
    expect_ser("GetItem", "{\"TableName\":\"tbl\",\"ConsistentRead\":1.0}",
               "DECIMAL_VALUE cannot be converted to Boolean");
    expect_ser("GetItem", "{\"TableName\":\"tbl\",\"ConsistentRead\":\"yes\"}",
               "Unexpected token received from parser");
    expect_ser("Scan", "{\"TableName\":\"tbl\",\"Limit\":\"5\"}",
               "STRING_VALUE cannot be converted to Integer");
    expect_ser("Scan", "{\"TableName\":\"tbl\",\"AttributesToGet\":{}}",
               "Start of structure or map found where not expected");
    expect_ser("Scan", "{\"TableName\":\"tbl\",\"AttributesToGet\":\"a\"}",
               "Unexpected field type");
    expect_ser("Scan", "{\"TableName\":\"tbl\",\"AttributesToGet\":[[]]}", "UnknownError");
    expect_ser("PutItem", "{\"TableName\":\"tbl\",\"Item\":{\"a\":{\"B\":5}}}",
               "only base-64-encoded strings are convertible to bytes");
    expect_ser("PutItem", "{\"TableName\":\"tbl\",\"Item\":{\"a\":{\"B\":\"abc\"}}}",
               "Base64 encoded length is expected a multiple of 4 bytes but found: 3");
    expect_ser("PutItem", "{\"TableName\":\"tbl\",\"Item\":{\"a\":{\"BS\":[\"ab!d\"]}}}",
               "Invalid last non-pad Base64 character dectected");
    /* the body itself */
    expect_ser("ListTables", "[]", "UnknownError");
    expect_ser("ListTables", "5", "Unexpected field type");
    expect_ser("ListTables", "\"x\"", "Unexpected field type");
}

Test(ddb_validate, serialization_not_json_has_no_message)
{
    static const char *const bad[] = {
        "{",
        "{\"TableName\"}",
        "{\"a\":1,}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":-}",
        "{\"a\":tru}",
        "{} x",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{'a':1}",
        "{\"a\":[1,]}",
        "nul",

        "{\"TableName\":\"\x01\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_ser("GetItem", bad[i], "");
}

Test(ddb_validate, invalid_utf8)
{
    static const char *const bad[] = {
        "{\"TableName\":\"\xff\"}",     "{\"TableName\":\"\xc3\"}",
        "{\"TableName\":\"\xe2\x82\"}", "{\"TableName\":\"\xed\xa0\x80\"}",
        "{\"TableName\":\"\xc0\xaf\"}", "{\"X\":\"\xf5\x80\x80\x80\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_ser("DescribeTable", bad[i], "");
    /* valid multi-byte characters and escaped surrogate pairs pass */
    cr_assert_eq(v("DescribeTable",
                   "{\"TableName\":\"tbl\",\"X\":\"\xf0\x9f\x98\x80\\ud83d\\ude00\\ud800\"}"),
                 0);
}

Test(ddb_validate, constraint_messages)
{
    expect_val("DescribeTable", "{\"TableName\":\"ab\"}",
               "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
               "constraint: Member must have length greater than or equal to 3");
    expect_val("GetItem", "{\"TableName\":\"ab\",\"Key\":{}}",
               "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
               "constraint: Member must have length greater than or equal to 3");
    expect_val("GetItem", "{\"TableName\":\"\",\"Key\":{}}",
               "1 validation error detected: Value '' at 'tableName' failed to satisfy "
               "constraint: Member must have length greater than or equal to 1");
    expect_val("GetItem", "{\"TableName\":\"bad table!\",\"Key\":{}}",
               "1 validation error detected: Value 'bad table!' at 'tableName' failed to "
               "satisfy constraint: Member must satisfy regular expression pattern: "
               "[a-zA-Z0-9_.-]+");
    expect_val("GetItem", "{\"Key\":{}}",
               "1 validation error detected: Value null at 'tableName' failed to satisfy "
               "constraint: Member must not be null");
    expect_val("GetItem", "{\"TableName\":\"tbl\"}",
               "1 validation error detected: Value null at 'key' failed to satisfy "
               "constraint: Member must not be null");
    expect_val("GetItem",
               "{\"TableName\":\"no-such-table\",\"Key\":{},"
               "\"ReturnConsumedCapacity\":\"BOGUS\"}",
               "1 validation error detected: Value 'BOGUS' at 'returnConsumedCapacity' failed "
               "to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, "
               "NONE]");
    expect_val("Scan", "{\"TableName\":\"tbl\",\"Select\":\"EVERYTHING\"}",
               "1 validation error detected: Value 'EVERYTHING' at 'select' failed to satisfy "
               "constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, "
               "ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]");
    expect_val("Scan", "{\"TableName\":\"tbl\",\"Limit\":0}",
               "1 validation error detected: Value '0' at 'limit' failed to satisfy "
               "constraint: Member must have value greater than or equal to 1");
    expect_val("Scan", "{\"TableName\":\"tbl\",\"Segment\":1000000,\"TotalSegments\":0}",
               "2 validation errors detected: Value '1000000' at 'segment' failed to satisfy "
               "constraint: Member must have value less than or equal to 999999; Value '0' at "
               "'totalSegments' failed to satisfy constraint: Member must have value greater "
               "than or equal to 1");
    expect_val("Scan", "{\"TableName\":\"tbl\",\"AttributesToGet\":[]}",
               "1 validation error detected: Value '[]' at 'attributesToGet' failed to "
               "satisfy constraint: Member must have length greater than or equal to 1");
    expect_val("ListTables", "{\"Limit\":101}",
               "1 validation error detected: Value '101' at 'limit' failed to satisfy "
               "constraint: Member must have value less than or equal to 100");
    expect_val("ExecuteStatement", "{\"Statement\":\"SELECT\",\"Parameters\":[]}",
               "1 validation error detected: Value '[]' at 'parameters' failed to satisfy "
               "constraint: Member must have length greater than or equal to 1");
}

Test(ddb_validate, nested_paths_and_plural)
{
    expect_val("CreateTable",
               "{\"TableName\":\"tbl\",\"KeySchema\":[{\"AttributeName\":\"a\",\"KeyType\":"
               "\"SORT\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"a\","
               "\"AttributeType\":\"X\"}],\"BillingMode\":\"FREE\"}",
               "3 validation errors detected: Value 'SORT' at 'keySchema.1.member.keyType' "
               "failed to satisfy constraint: Member must satisfy enum value set: [HASH, "
               "RANGE]; Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to "
               "satisfy constraint: Member must satisfy enum value set: [B, N, S]; Value "
               "'FREE' at 'billingMode' failed to satisfy constraint: Member must satisfy enum "
               "value set: [PROVISIONED, PAY_PER_REQUEST]");
    expect_val("CreateTable",
               "{\"TableName\":\"tbl\",\"KeySchema\":[{\"KeyType\":\"HASH\"}],"
               "\"AttributeDefinitions\":[],\"ProvisionedThroughput\":{\"ReadCapacityUnits\":"
               "0,\"WriteCapacityUnits\":1}}",
               "2 validation errors detected: Value null at "
               "'keySchema.1.member.attributeName' failed to satisfy constraint: Member must "
               "not be null; Value '0' at 'provisionedThroughput.readCapacityUnits' failed to "
               "satisfy constraint: Member must have value greater than or equal to 1");
    expect_val("BatchGetItem", "{\"RequestItems\":{\"tbl\":{\"Keys\":[]}}}",
               "1 validation error detected: Value at 'RequestItems.tbl.member.Keys' failed to "
               "satisfy constraint: Member must have length greater than or equal to 1");
    /* inside a map: wire-case path, lists without their value (AWS's newer form) */
    expect_val("BatchGetItem",
               "{\"RequestItems\":{\"tbl\":{\"Keys\":[{}],\"ConsistentRead\":true},\"t2\":{}}}",
               "1 validation error detected: Value null at 'RequestItems.t2.member.Keys' failed to "
               "satisfy constraint: Member must not be null");
    /* a map value's own constraints are left to DynamoDB Local and the supervisor */
    cr_assert_eq(v("BatchWriteItem", "{\"RequestItems\":{\"tbl\":[]}}"), 0, "%s", msg);
    expect_val("BatchWriteItem", "{\"RequestItems\":{}}",
               "The requestItems parameter is required for BatchWriteItem");
    expect_val("BatchGetItem", "{\"ReturnConsumedCapacity\":\"X\"}",
               "The requestItems parameter is required for BatchGetItem");
    expect_val("Query",
               "{\"TableName\":\"tbl\",\"KeyConditions\":{\"pk\":{"
               "\"ComparisonOperator\":\"XX\"}}}",
               "1 validation error detected: Value 'XX' at "
               "'KeyConditions.pk.member.ComparisonOperator' failed to satisfy constraint: "
               "Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, "
               "GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]");
}

Test(ddb_validate, table_name_alone_and_create_table)
{
    expect_val("PutItem",
               "{\"ReturnValues\":\"X\",\"TableName\":\"\",\"Item\":{},"
               "\"ReturnConsumedCapacity\":\"Y\"}",
               "1 validation error detected: Value '' at 'tableName' failed to satisfy "
               "constraint: Member must have length greater than or equal to 1");
    expect_val("PutItem",
               "{\"TableName\":\"tbl\",\"Item\":{},\"ReturnValues\":\"X\","
               "\"ReturnConsumedCapacity\":\"Y\"}",
               "2 validation errors detected: Value 'X' at 'returnValues' failed to satisfy "
               "constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, "
               "NONE, UPDATED_NEW]; Value 'Y' at 'returnConsumedCapacity' failed to satisfy "
               "constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]");
    /* a type error after the table name still wins */
    expect_ser("PutItem", "{\"TableName\":\"\",\"Item\":5}", "Unexpected field type");
    expect_val("CreateTable",
               "{\"TableName\":\"a!\",\"KeySchema\":[{\"AttributeName\":\"a\",\"KeyType\":"
               "\"HASH\"}],\"AttributeDefinitions\":[]}",
               "2 validation errors detected: Value 'a!' at 'tableName' failed to satisfy "
               "constraint: Member must have length greater than or equal to 3; Value 'a!' at "
               "'tableName' failed to satisfy constraint: Member must satisfy regular "
               "expression pattern: [a-zA-Z0-9_.-]+");
    expect_val("CreateTable", "{\"KeySchema\":[],\"AttributeDefinitions\":[]}",
               "The parameter 'TableName' is required but was not present in the request");
    /* index names: 3..255 and the pattern */
    expect_val("Query", "{\"TableName\":\"tbl\",\"IndexName\":\"ix\"}",
               "1 validation error detected: Value 'ix' at 'indexName' failed to satisfy "
               "constraint: Member must have length greater than or equal to 3");
    char big[400];
    memset(big, 'a', 300);
    big[300] = '\0';
    char body[512];
    snprintf(body, sizeof(body), "{\"TableName\":\"%s\"}", big);
    cr_assert_eq(v("DescribeTable", body), 1);
    cr_assert(strstr(msg, "Member must have length less than or equal to 255") != NULL, "%s", msg);
    /* escapes are decoded for the checks and the value */
    expect_val("DescribeTable", "{\"TableName\":\"a\\u0062\"}",
               "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy "
               "constraint: Member must have length greater than or equal to 3");
    cr_assert_eq(v("Scan", "{\"TableName\":\"tbl\",\"Select\":\"\\u0043OUNT\"}"), 0, "%s", msg);
}

Test(ddb_validate, deep_nesting)
{
    size_t depth = 100000;
    char *b = malloc(depth * 8 + 64);
    size_t n = (size_t)sprintf(b, "{\"TableName\":\"tbl\",\"Item\":{\"a\":");
    for (size_t i = 0; i < depth; i++)
        n += (size_t)sprintf(b + n, "{\"L\":[");
    b[n] = '\0';
    cr_assert_eq(rs_ddb_validate("PutItem", 7, (const uint8_t *)b, n, &err, msg, sizeof(msg)), 1);
    cr_assert_eq(err, RS_DDBE_Validation);
    cr_assert_str_eq(msg, "Nesting Levels have exceeded supported limits");
    /* in an unknown member too */
    n = (size_t)sprintf(b, "{\"X\":");
    for (size_t i = 0; i < depth; i++)
        b[n++] = '[';
    cr_assert_eq(rs_ddb_validate("ListTables", 10, (const uint8_t *)b, n, &err, msg, sizeof(msg)),
                 1);
    cr_assert_eq(err, RS_DDBE_Validation);
    /* within the limit: fine */
    n = (size_t)sprintf(b, "{\"TableName\":\"tbl\",\"Item\":{\"a\":");
    for (size_t i = 0; i < 30; i++)
        n += (size_t)sprintf(b + n, "{\"L\":[");
    n += (size_t)sprintf(b + n, "{\"S\":\"x\"}");
    for (size_t i = 0; i < 30; i++)
        n += (size_t)sprintf(b + n, "]}");
    n += (size_t)sprintf(b + n, "}}");
    cr_assert_eq(rs_ddb_validate("PutItem", 7, (const uint8_t *)b, n, &err, msg, sizeof(msg)), 0,
                 "%s", msg);
    free(b);
}

Test(ddb_validate, huge_input_and_many_errors)
{
    /* 4 MB string value and 20000 list entries */
    size_t big = 4u << 20;
    char *b = malloc(big + 200000);
    size_t n = (size_t)sprintf(b, "{\"TableName\":\"tbl\",\"Item\":{\"a\":{\"S\":\"");
    memset(b + n, 'x', big);
    n += big;
    n += (size_t)sprintf(b + n, "\"},\"l\":{\"NS\":[");
    for (int i = 0; i < 20000; i++)
        n += (size_t)sprintf(b + n, "%s\"%d\"", i ? "," : "", i);
    n += (size_t)sprintf(b + n, "]}}}");
    cr_assert_eq(rs_ddb_validate("PutItem", 7, (const uint8_t *)b, n, &err, msg, sizeof(msg)), 0);
    /* 5000 invalid enum values: the count is right, the text bounded */
    n = (size_t)sprintf(b, "{\"TableName\":\"tbl\",\"KeySchema\":[");
    for (int i = 0; i < 5000; i++)
        n += (size_t)sprintf(b + n, "%s{\"AttributeName\":\"a\",\"KeyType\":\"X\"}", i ? "," : "");
    n += (size_t)sprintf(b + n, "],\"AttributeDefinitions\":[]}");
    char small[256];
    cr_assert_eq(
        rs_ddb_validate("CreateTable", 11, (const uint8_t *)b, n, &err, small, sizeof(small)), 1);
    cr_assert_eq(err, RS_DDBE_Validation);
    cr_assert(strncmp(small, "5000 validation errors detected: ", 33) == 0, "%s", small);
    cr_assert_eq(strlen(small), sizeof(small) - 1);
    free(b);
}

Test(ddb_validate, numbers)
{
    cr_assert_eq(v("Scan", "{\"TableName\":\"tbl\",\"Limit\":1e3}"), 0, "%s", msg);
    cr_assert_eq(v("Scan", "{\"TableName\":\"tbl\",\"Limit\":99999999999999999999999999}"), 0, "%s",
                 msg);
    expect_val("Scan", "{\"TableName\":\"tbl\",\"Limit\":-99999999999999999999999999}",
               "1 validation error detected: Value '-99999999999999999999999999' at 'limit' "
               "failed to satisfy constraint: Member must have value greater than or equal to 1");
    expect_val("Scan", "{\"TableName\":\"tbl\",\"Limit\":-0.5}",
               "1 validation error detected: Value '-0.5' at 'limit' failed to satisfy "
               "constraint: Member must have value greater than or equal to 1");
    expect_ser("Scan", "{\"TableName\":\"tbl\",\"Limit\":+1}", "");
    expect_ser("Scan", "{\"TableName\":\"tbl\",\"Limit\":1e}", "");
    expect_ser("Scan", "{\"TableName\":\"tbl\",\"Limit\":.5}", "");
    expect_ser("Scan", "{\"TableName\":\"tbl\",\"Limit\":NaN}", "");
}

Test(ddb_validate, every_prefix_of_a_body_is_answered)
{
    const char *body =
        "{\"TableName\":\"tbl\",\"Item\":{\"a\":{\"M\":{\"b\":{\"L\":[{\"N\":\"1\"},{\"B\":"
        "\"AAEC\"}]}}},\"s\":{\"S\":\"\\u00e9\"}},\"ReturnValues\":\"ALL_OLD\","
        "\"ConditionExpression\":\"attribute_not_exists(a)\"}";
    size_t len = strlen(body);
    for (size_t i = 1; i < len; i++) {
        int rc = rs_ddb_validate("PutItem", 7, (const uint8_t *)body, i, &err, msg, sizeof(msg));
        cr_assert_eq(rc, 1, "prefix %zu passed", i);
        cr_assert_eq(err, RS_DDBE_Serialization, "prefix %zu: %s", i, msg);
    }
    cr_assert_eq(rs_ddb_validate("PutItem", 7, (const uint8_t *)body, len, &err, msg, sizeof(msg)),
                 0, "%s", msg);
}
