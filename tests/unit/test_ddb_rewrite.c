/*
 * test_ddb_rewrite.c: the ddb supervisor's response rewriter (src/ddb/ddb_rewrite.c) on
 * bodies captured from DynamoDB Local 3.3.1, the request signer's shape, the access key.
 * Runs in: the test.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"
#include "rs/err.h"

static const char create_resp[] =
    "{\"TableDescription\":{\"AttributeDefinitions\":[{\"AttributeName\":\"k\","
    "\"AttributeType\":\"S\"},{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],\"TableName\":"
    "\"tab1\",\"KeySchema\":[{\"AttributeName\":\"k\",\"KeyType\":\"HASH\"}],\"TableStatus\":"
    "\"ACTIVE\",\"CreationDateTime\":1795474904.963,\"ProvisionedThroughput\":{"
    "\"LastIncreaseDateTime\":0.000,\"LastDecreaseDateTime\":0.000,\"NumberOfDecreasesToday\":0,"
    "\"ReadCapacityUnits\":0,\"WriteCapacityUnits\":0},\"TableSizeBytes\":0,\"ItemCount\":0,"
    "\"TableArn\":\"arn:aws:dynamodb:ddblocal:000000000000:table/tab1\",\"BillingModeSummary\":{"
    "\"BillingMode\":\"PAY_PER_REQUEST\",\"LastUpdateToPayPerRequestDateTime\":1795474904.963},"
    "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"gidx\",\"KeySchema\":[{\"AttributeName\":\"g\","
    "\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"ALL\"},\"IndexStatus\":\"ACTIVE\","
    "\"IndexSizeBytes\":0,\"ItemCount\":0,\"IndexArn\":\"arn:aws:dynamodb:ddblocal:000000000000:"
    "table/tab1/index/gidx\"}],\"DeletionProtectionEnabled\":false}}";

static const char rnf[] = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                          "ResourceNotFoundException\",\"Message\":\"Cannot do operations on a "
                          "non-existent table\"}";

static json_object *run(const char *op, const char *req, int *status, const char *body)
{
    rs_ddb_rw_t rw = {op, "eu-west-2", "123456789012", req, req ? strlen(req) : 0};
    char *out;
    size_t n;
    cr_assert_eq(rs_ddb_rewrite(&rw, status, body, strlen(body), &out, &n), 0);
    cr_assert_eq(strlen(out), n);
    json_object *o = json_tokener_parse(out);
    cr_assert_not_null(o, "not JSON: %s", out);
    free(out);
    return o;
}

static const char *get(json_object *o, const char *path)
{
    /* dotted path through objects; a number selects an array element */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    json_object *cur = o;
    for (char *tok = strtok(buf, "."); tok != NULL; tok = strtok(NULL, ".")) {
        if (json_object_is_type(cur, json_type_array))
            cur = json_object_array_get_idx(cur, (size_t)atoi(tok));
        else if (!json_object_object_get_ex(cur, tok, &cur))
            return NULL;
        if (cur == NULL)
            return NULL;
    }
    return json_object_get_string(cur);
}

Test(ddb_rewrite, arns_carry_request_region_and_account)
{
    int st = 200;
    json_object *o = run("DescribeTable", "{\"TableName\":\"tab1\"}", &st,
                         "{\"Table\":{\"TableArn\":\"arn:aws:dynamodb:ddblocal:000000000000:"
                         "table/tab1\",\"LatestStreamArn\":\"arn:aws:dynamodb:ddblocal:"
                         "000000000000:table/tab1/stream/2026\",\"TableStatus\":\"ACTIVE\"}}");
    cr_assert_eq(st, 200);
    cr_assert_str_eq(get(o, "Table.TableArn"),
                     "arn:aws:dynamodb:eu-west-2:123456789012:table/tab1");
    cr_assert_str_eq(get(o, "Table.LatestStreamArn"),
                     "arn:aws:dynamodb:eu-west-2:123456789012:table/tab1/stream/2026");
    cr_assert_str_eq(get(o, "Table.TableStatus"), "ACTIVE");
    json_object_put(o);
}

Test(ddb_rewrite, arn_text_function)
{
    const char *s = "x arn:aws:dynamodb:ddblocal:000000000000:table/a y arn:aws:dynamodb:bad";
    char *out;
    size_t n;
    cr_assert_eq(rs_ddb_rewrite_arns(s, strlen(s), "us-west-1", "111122223333", &out, &n), 1);
    cr_assert_str_eq(out,
                     "x arn:aws:dynamodb:us-west-1:111122223333:table/a y arn:aws:dynamodb:bad");
    free(out);
    cr_assert_eq(rs_ddb_rewrite_arns("none", 4, "r", "1", &out, &n), 0);
    cr_assert_str_eq(out, "none");
    free(out);
}

Test(ddb_rewrite, create_table_creating_and_index_arns)
{
    int st = 200;
    json_object *o = run("CreateTable", "{\"TableName\":\"tab1\"}", &st, create_resp);
    cr_assert_str_eq(get(o, "TableDescription.TableStatus"), "CREATING");
    cr_assert_str_eq(get(o, "TableDescription.GlobalSecondaryIndexes.0.IndexStatus"), "CREATING");
    cr_assert_str_eq(get(o, "TableDescription.GlobalSecondaryIndexes.0.IndexArn"),
                     "arn:aws:dynamodb:eu-west-2:123456789012:table/tab1/index/gidx");
    cr_assert_str_eq(get(o, "TableDescription.KeySchema.0.AttributeName"), "k");
    /* never-changed throughput dates (0 in Local) are left out, as DynamoDB does */
    cr_assert_null(get(o, "TableDescription.ProvisionedThroughput.LastIncreaseDateTime"));
    cr_assert_null(get(o, "TableDescription.ProvisionedThroughput.LastDecreaseDateTime"));
    cr_assert_str_eq(get(o, "TableDescription.ProvisionedThroughput.NumberOfDecreasesToday"), "0");
    json_object_put(o);
}

Test(ddb_rewrite, changed_throughput_dates_kept)
{
    int st = 200;
    json_object *o = run("DescribeTable", "{\"TableName\":\"t\"}", &st,
                         "{\"Table\":{\"ProvisionedThroughput\":{\"LastIncreaseDateTime\":"
                         "1795474904.963,\"LastDecreaseDateTime\":0.000}}}");
    cr_assert_str_eq(get(o, "Table.ProvisionedThroughput.LastIncreaseDateTime"), "1795474904.963");
    cr_assert_null(get(o, "Table.ProvisionedThroughput.LastDecreaseDateTime"));
    json_object_put(o);
}

Test(ddb_rewrite, numbers_keep_their_text)
{
    int st = 200;
    rs_ddb_rw_t rw = {"DescribeTable", "us-east-1", "000000000000", NULL, 0};
    char *out;
    size_t n;
    cr_assert_eq(rs_ddb_rewrite(&rw, &st, create_resp, strlen(create_resp), &out, &n), 0);
    cr_assert(strstr(out, "\"CreationDateTime\":1795474904.963") != NULL, "%s", out);
    cr_assert(strstr(out, "\"ReadCapacityUnits\":0") != NULL, "%s", out);
    free(out);
}

Test(ddb_rewrite, delete_table_reduced_deleting)
{
    int st = 200;
    json_object *o = run("DeleteTable", "{\"TableName\":\"tab1\"}", &st, create_resp);
    json_object *td;
    cr_assert(json_object_object_get_ex(o, "TableDescription", &td));
    cr_assert_str_eq(get(o, "TableDescription.TableStatus"), "DELETING");
    cr_assert_str_eq(get(o, "TableDescription.TableName"), "tab1");
    cr_assert_str_eq(get(o, "TableDescription.TableArn"),
                     "arn:aws:dynamodb:eu-west-2:123456789012:table/tab1");
    cr_assert_not_null(get(o, "TableDescription.ItemCount"));
    cr_assert_not_null(get(o, "TableDescription.ProvisionedThroughput"));
    cr_assert_null(get(o, "TableDescription.KeySchema"));
    cr_assert_null(get(o, "TableDescription.AttributeDefinitions"));
    cr_assert_null(get(o, "TableDescription.CreationDateTime"));
    cr_assert_null(get(o, "TableDescription.GlobalSecondaryIndexes"));
    json_object_put(o);
}

Test(ddb_rewrite, missing_table_texts)
{
    int st = 400;
    json_object *o = run("DescribeTable", "{\"TableName\":\"nope\"}", &st, rnf);
    cr_assert_eq(st, 400);
    cr_assert_str_eq(get(o, "__type"),
                     "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException");
    cr_assert_str_eq(get(o, "message"), "Requested resource not found: Table: nope not found");
    cr_assert_null(get(o, "Message"));
    json_object_put(o);
    o = run("DeleteTable", "{\"TableName\":\"gone\"}", &st, rnf);
    cr_assert_str_eq(get(o, "message"), "Requested resource not found: Table: gone not found");
    json_object_put(o);
    o = run("GetItem", "{\"TableName\":\"nope\",\"Key\":{}}", &st, rnf);
    cr_assert_str_eq(get(o, "message"), "Requested resource not found");
    json_object_put(o);
    o = run("BatchWriteItem", "{\"RequestItems\":{}}", &st, rnf);
    cr_assert_str_eq(get(o, "message"), "Requested resource not found");
    json_object_put(o);
}

Test(ddb_rewrite, table_already_exists)
{
    int st = 400;
    json_object *o = run("CreateTable", "{\"TableName\":\"tab1\",\"KeySchema\":[]}", &st,
                         "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceInUseException\","
                         "\"Message\":\"Cannot create preexisting table\"}");
    cr_assert_str_eq(get(o, "message"), "Table already exists: tab1");
    cr_assert_str_eq(get(o, "__type"), "com.amazonaws.dynamodb.v20120810#ResourceInUseException");
    json_object_put(o);
}

Test(ddb_rewrite, type_namespaces_added_when_missing)
{
    int st = 400;
    json_object *o = run("PutItem", NULL, &st,
                         "{\"__type\":\"ConditionalCheckFailedException\",\"Message\":\"The "
                         "conditional request failed\",\"Item\":{\"k\":{\"S\":\"a\"}}}");
    cr_assert_str_eq(get(o, "__type"),
                     "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException");
    cr_assert_str_eq(get(o, "message"), "The conditional request failed");
    cr_assert_str_eq(get(o, "Item.k.S"), "a");
    json_object_put(o);
    o = run("PutItem", NULL, &st, "{\"__type\":\"ValidationException\",\"message\":\"bad\"}");
    cr_assert_str_eq(get(o, "__type"), "com.amazon.coral.validate#ValidationException");
    json_object_put(o);
    o = run("PutItem", NULL, &st, "{\"__type\":\"SerializationException\",\"Message\":\"x\"}");
    cr_assert_str_eq(get(o, "__type"), "com.amazon.coral.service#SerializationException");
    cr_assert_str_eq(get(o, "Message"), "x"); /* coral service errors keep Message */
    json_object_put(o);
    o = run("TransactWriteItems", NULL, &st,
            "{\"__type\":\"com.amazonaws.dynamodb.v20120810#TransactionCanceledException\","
            "\"Message\":\"Transaction cancelled\"}");
    cr_assert_str_eq(get(o, "Message"), "Transaction cancelled");
    json_object_put(o);
}

Test(ddb_rewrite, validation_message_lowercase)
{
    int st = 400;
    json_object *o = run("PutItem", "{\"TableName\":\"tab1\"}", &st,
                         "{\"__type\":\"com.amazon.coral.validate#ValidationException\","
                         "\"Message\":\"A value provided cannot be converted into a number\"}");
    cr_assert_str_eq(get(o, "message"), "A value provided cannot be converted into a number");
    cr_assert_null(get(o, "Message"));
    json_object_put(o);
}

Test(ddb_rewrite, item_bodies_untouched)
{
    /* user data that looks like an ARN, in an item operation: byte for byte the same */
    const char *body = "{\"Item\":{\"a\":{\"S\":\"arn:aws:dynamodb:ddblocal:000000000000:t\"},"
                       "\"n\":{\"N\":\"1.000\"}}}";
    int st = 200;
    rs_ddb_rw_t rw = {"GetItem", "eu-west-2", "123456789012", NULL, 0};
    char *out;
    size_t n;
    cr_assert_eq(rs_ddb_rewrite(&rw, &st, body, strlen(body), &out, &n), 0);
    cr_assert_str_eq(out, body);
    free(out);
    rw.op = "Query";
    cr_assert_eq(rs_ddb_rewrite(&rw, &st, "{}", 2, &out, &n), 0);
    cr_assert_str_eq(out, "{}");
    free(out);
}

/* the pass-through decision: successes of the operations whose answers hold user data go
 * out byte for byte (the supervisor sends the received body); errors of those operations
 * and every answer of the others get rewritten */
Test(ddb_rewrite, pass_through_decision)
{
    static const char *const pass[] = {"GetItem",
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
                                       "ExecuteTransaction"};
    for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
        cr_assert(rs_ddb_rewrite_passes(pass[i], 200), "%s", pass[i]);
        cr_assert(!rs_ddb_rewrite_passes(pass[i], 400), "%s", pass[i]);
        cr_assert(!rs_ddb_rewrite_passes(pass[i], 500), "%s", pass[i]);
    }
    static const char *const rewrite[] = {
        "CreateTable", "DescribeTable", "DeleteTable", "ListTables",
        "UpdateTable", "TagResource",   "getitem",     "",
        "GetItemX"};
    for (size_t i = 0; i < sizeof(rewrite) / sizeof(rewrite[0]); i++)
        cr_assert(!rs_ddb_rewrite_passes(rewrite[i], 200), "%s", rewrite[i]);
    /* what passes is what rs_ddb_rewrite would have left as it was */
    const char *body = "{\"Items\":[{\"a\":{\"S\":\"arn:aws:dynamodb:ddblocal:000000000000:t\"}}]}";
    int st = 200;
    rs_ddb_rw_t rw = {"Scan", "eu-west-2", "123456789012", NULL, 0};
    char *out;
    size_t n;
    cr_assert_eq(rs_ddb_rewrite(&rw, &st, body, strlen(body), &out, &n), 0);
    cr_assert_str_eq(out, body);
    free(out);
}

Test(ddb_rewrite, non_json_copied)
{
    int st = 500;
    rs_ddb_rw_t rw = {"DescribeTable", "eu-west-2", "123456789012", NULL, 0};
    char *out;
    size_t n;
    cr_assert_eq(rs_ddb_rewrite(&rw, &st, "<html>oops</html>", 17, &out, &n), 0);
    cr_assert_str_eq(out, "<html>oops</html>");
    cr_assert_eq(st, 500);
    free(out);
}

Test(ddb_rewrite, access_key_and_error_body)
{
    char k[32];
    rs_ddb_access_key("123456789012", k, sizeof(k));
    cr_assert_str_eq(k, "A123456789012");
    size_t n;
    char *b = rs_ddb_err_body(RS_DDBE_ServiceUnavailable, "later", &n);
    cr_assert_str_eq(b, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ServiceUnavailable\","
                        "\"message\":\"later\"}");
    free(b);
    b = rs_ddb_err_body(RS_DDBE_Serialization, NULL, &n);
    cr_assert_str_eq(b, "{\"__type\":\"com.amazon.coral.service#SerializationException\"}");
    free(b);
}

Test(ddb_rewrite, unknown_operation_type_only)
{
    int st = 400;
    json_object *o = run("Foo", "{}", &st,
                         "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                         "UnknownOperationException\",\"Message\":\"An unknown operation was "
                         "requested.\"}");
    cr_assert_str_eq(get(o, "__type"), "com.amazon.coral.service#UnknownOperationException");
    cr_assert_null(get(o, "Message"));
    cr_assert_null(get(o, "message"));
    json_object_put(o);
}

Test(ddb_rewrite, list_tables_limit_text)
{
    int st = 400;
    json_object *o = run("ListTables", "{\"Limit\":101}", &st,
                         "{\"__type\":\"com.amazon.coral.validate#ValidationException\","
                         "\"Message\":\"Limit in ListTables must be <= 100\"}");
    cr_assert_str_eq(get(o, "message"),
                     "1 validation error detected: Value '101' at 'limit' failed to satisfy "
                     "constraint: Member must have value less than or equal to 100");
    json_object_put(o);
}

Test(ddb_rewrite, table_id_stable_uuid)
{
    int st = 200;
    json_object *a = run("DescribeTable", "{\"TableName\":\"tab1\"}", &st, create_resp);
    json_object *b = run("DeleteTable", "{\"TableName\":\"tab1\"}", &st, create_resp);
    const char *ida = get(a, "TableDescription.TableId"), *idb = get(b, "TableDescription.TableId");
    cr_assert_not_null(ida);
    cr_assert_eq(strlen(ida), 36);
    cr_assert_eq(ida[8], '-');
    cr_assert_eq(ida[14], '4');
    cr_assert_str_eq(ida, idb); /* the same table keeps its id */
    json_object_put(b);
    /* another region: another table, another id */
    rs_ddb_rw_t rw = {"DescribeTable", "us-east-1", "123456789012", NULL, 0};
    char *out;
    size_t n;
    cr_assert_eq(rs_ddb_rewrite(&rw, &st, create_resp, strlen(create_resp), &out, &n), 0);
    cr_assert(strstr(out, ida) == NULL);
    free(out);
    json_object_put(a);
}

Test(ddb_rewrite, check_request_number_types)
{
    int st = 0;
    char *out = NULL;
    size_t n;
    const char *bad = "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\": 5}}}";
    cr_assert_eq(rs_ddb_check_request("PutItem", bad, strlen(bad), &st, &out, &n), 1);
    cr_assert_eq(st, 400);
    cr_assert(strstr(out, "com.amazon.coral.service#SerializationException") != NULL, "%s", out);
    free(out);
    const char *ok[] = {
        "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"5\"}}}",
        /* a map attribute called N, and "N": 5 inside a string value */
        "{\"Item\":{\"m\":{\"M\":{\"N\":{\"S\":\"x\"}}},\"s\":{\"S\":\"\\\"N\\\": 5\"}}}",
        "{}",
    };
    for (size_t i = 0; i < 3; i++) {
        out = NULL;
        cr_assert_eq(rs_ddb_check_request("PutItem", ok[i], strlen(ok[i]), &st, &out, &n), 0, "%s",
                     ok[i]);
        cr_assert_null(out);
    }
}

/* ---- ddb_messages.c ---------------------------------------------------------------- */

static const char *fix(const char *op, const char *msg, const char *req)
{
    static char buf[8192];
    return rs_ddb_fix_message(op, "ValidationException", msg, req, req ? strlen(req) : 0, buf,
                              sizeof(buf));
}

Test(ddb_messages, key_mismatch_texts)
{
    cr_assert_str_eq(fix("GetItem", "The number of conditions on the keys is invalid", "{}"),
                     "The provided key element does not match the schema");
    cr_assert_str_eq(
        fix("DeleteItem", "One or more parameter values were invalid: Type mismatch for key", "{}"),
        "The provided key element does not match the schema");
    cr_assert_str_eq(fix("BatchWriteItem", "One of the required keys was not given a value",
                         "{\"RequestItems\":{\"t\":[{}]}}"),
                     "The provided key element does not match the schema");
    /* PutItem's type mismatch names the key on AWS: not guessed here */
    cr_assert_null(
        fix("PutItem", "One or more parameter values were invalid: Type mismatch for key", "{}"));
    cr_assert_null(rs_ddb_fix_message("GetItem", "ResourceNotFoundException",
                                      "The number of conditions on the keys is invalid", "{}", 2,
                                      (char[64]){0}, 64));
}

Test(ddb_messages, batches)
{
    char req[8192] = "{\"RequestItems\":{\"tab\":[";
    for (int i = 0; i < 26; i++)
        strcat(req, i ? ",{}" : "{}");
    strcat(req, "]}}");
    const char *m = fix("BatchWriteItem", "Too many items", req);
    cr_assert(strncmp(m, "1 validation error detected: Value '{tab=[", 42) == 0, "%s", m);
    cr_assert(strstr(m, "]}' at 'requestItems' failed to satisfy constraint: Map value must "
                        "satisfy constraint: [Member must have length less than or equal to 25, "
                        "Member must have length greater than or equal to 1]") != NULL,
              "%s", m);
    /* answered by the worker's validator before forwarding: no rule here any more */
    cr_assert_null(fix("BatchGetItem", "whatever Local says", "{\"RequestItems\":{}}"));
}

Test(ddb_messages, return_values_numbers_sets)
{
    cr_assert_str_eq(
        fix("PutItem", "Return values set to invalid value", "{\"ReturnValues\":\"ALL_NEW\"}"),
        "ReturnValues can only be ALL_OLD or NONE");
    /* numbers inside legacy conditions: the worker's rules do not read those */
    cr_assert_str_eq(fix("PutItem", "A value provided cannot be converted into a number",
                         "{\"Expected\":{\"a\":{\"ComparisonOperator\":\"IN\","
                         "\"AttributeValueList\":[{\"N\":\"1.5e3\"},{\"NS\":[\"1\",\"dog\"]}]}}}"),
                     "The parameter cannot be converted to a numeric value: dog");
    cr_assert_str_eq(fix("Scan",
                         "One or more parameter values were invalid: Input collection [a, "
                         "a] contains duplicates",
                         "{}"),
                     "One or more parameter values were invalid: Input collection [a, a] contains "
                     "duplicates.");
    cr_assert_str_eq(fix("Scan", "DynamoDB only supports precision up to 38 digits", "{}"),
                     "Attempting to store more than 38 significant digits in a Number");
    /* moved to the worker (rs/ddb_oprules.h, rs/ddb_validate.h): Local's texts pass */
    cr_assert_null(fix("Query", "Select must be ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES",
                       "{\"Select\":\"EVERYTHING\"}"));
    cr_assert_null(fix("GetItem", "Invalid table/index name.  Table/index names must be",
                       "{\"TableName\":\"bad table!\"}"));
    cr_assert_null(fix("CreateTable", "No provisioned throughput specified for the table", "{}"));
}

Test(ddb_messages, prechecks)
{
    char buf[4096];
    /* enums and CreateTable's capacities are the worker's: nothing here */
    const char *r = "{\"TableName\":\"no-such\",\"ReturnConsumedCapacity\":\"BOGUS\"}";
    cr_assert_eq(rs_ddb_precheck("GetItem", r, strlen(r), buf, sizeof(buf)), 0);
    r = "{\"TableName\":\"t\",\"BillingMode\":\"PAY_PER_REQUEST\",\"ProvisionedThroughput\":{}}";
    cr_assert_eq(rs_ddb_precheck("CreateTable", r, strlen(r), buf, sizeof(buf)), 0);
    /* item size: 409,600 bytes is the limit, names included */
    size_t n = 409600 + 100;
    char *big = malloc(n + 100);
    strcpy(big, "{\"Item\":{\"pk\":{\"S\":\"a\"},\"b\":{\"S\":\"");
    size_t o = strlen(big), x0 = o;
    memset(big + o, 'x', 409600 - 2 - 1 - 1);
    o += 409600 - 2 - 1 - 1;
    strcpy(big + o, "\"}}}");
    cr_assert_eq(rs_ddb_precheck("PutItem", big, strlen(big), buf, sizeof(buf)), 0);
    memmove(big + x0 + 1, big + x0, strlen(big + x0) + 1); /* one byte more */
    cr_assert_eq(rs_ddb_precheck("PutItem", big, strlen(big), buf, sizeof(buf)), 1);
    cr_assert_str_eq(buf, "Item size has exceeded the maximum allowed size");
    free(big);
}

Test(ddb_messages, schema_named_keys)
{
    static const char desc[] =
        "{\"Table\":{\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
        "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"},{\"AttributeName\":\"g\","
        "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
        "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],\"GlobalSecondaryIndexes\":[{"
        "\"IndexName\":\"by-g\",\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}]}]}}";
    char buf[512];
    const char *missing = "One of the required keys was not given a value";
    const char *mismatch = "One or more parameter values were invalid: Type mismatch for key";
    cr_assert(rs_ddb_needs_schema("PutItem", missing));
    cr_assert(rs_ddb_needs_schema("Query", "Query condition missed key schema element"));
    cr_assert(!rs_ddb_needs_schema("GetItem", missing));
    const char *r = "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"}}}";
    cr_assert_str_eq(rs_ddb_schema_message("PutItem", missing, r, strlen(r), desc, strlen(desc),
                                           buf, sizeof(buf)),
                     "One or more parameter values were invalid: Missing the key sk in the item");
    r = "{\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"S\":\"1\"}}}";
    cr_assert_str_eq(rs_ddb_schema_message("PutItem", mismatch, r, strlen(r), desc, strlen(desc),
                                           buf, sizeof(buf)),
                     "One or more parameter values were invalid: Type mismatch for key sk "
                     "expected: N actual: S");
    r = "{\"TableName\":\"t\",\"KeyConditionExpression\":\"sk = :v\"}";
    cr_assert_str_eq(rs_ddb_schema_message("Query", "Query condition missed key schema element", r,
                                           strlen(r), desc, strlen(desc), buf, sizeof(buf)),
                     "Query condition missed key schema element: pk");
    r = "{\"TableName\":\"t\",\"IndexName\":\"by-g\",\"KeyConditionExpression\":\"pk = :v\"}";
    cr_assert_str_eq(rs_ddb_schema_message("Query", "Query condition missed key schema element", r,
                                           strlen(r), desc, strlen(desc), buf, sizeof(buf)),
                     "Query condition missed key schema element: g");
    /* the hash key is there (through an alias): not this rule's case */
    r = "{\"KeyConditionExpression\":\"#p = :v\",\"ExpressionAttributeNames\":{\"#p\":\"pk\"}}";
    cr_assert_null(rs_ddb_schema_message("Query", "Query condition missed key schema element", r,
                                         strlen(r), desc, strlen(desc), buf, sizeof(buf)));
}

Test(ddb_messages, index_key_type_mismatch)
{
    static const char desc[] =
        "{\"Table\":{\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
        "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":"
        "\"pk\",\"KeyType\":\"HASH\"}],\"GlobalSecondaryIndexes\":[{\"IndexName\":\"gix\","
        "\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}]}]}}";
    const char *msg = "One or more parameter values were invalid: Type mismatch for Index Key";
    const char *r = "{\"Item\":{\"pk\":{\"S\":\"a\"},\"g\":{\"N\":\"1\"}}}";
    char buf[512];
    cr_assert(rs_ddb_needs_schema("PutItem", msg));
    cr_assert_str_eq(
        rs_ddb_schema_message("PutItem", msg, r, strlen(r), desc, strlen(desc), buf, sizeof(buf)),
        "One or more parameter values were invalid: Type mismatch for Index Key g "
        "Expected: S Actual: N IndexName: gix");
}
