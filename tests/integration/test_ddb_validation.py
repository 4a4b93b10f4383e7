"""DynamoDB validation errors a Flask developer meets, with the exact `__type` (as botocore
reads it) and message of reference/dynamodb.md §2-§4: missing or wrong-typed key
attributes, empty string keys, reserved words, undefined/unused expression attributes,
item size, syntax errors, enum values, and the validation order. Runs in: the pytest
process."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ddb_error, ddb_index


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


@pytest.fixture
def tbl(ddb_table):
    return ddb_table(range_key=("sk", "N"))


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def err(call, *a, **kw):
    with pytest.raises(ClientError) as e:
        call(*a, **kw)
    code, msg, resp = ddb_error(e)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    return code, msg


V = "ValidationException"
KEY_SCHEMA = "The provided key element does not match the schema"


def test_get_item_key_missing_attribute(ddb, tbl):
    assert err(ddb.get_item, TableName=tbl, Key={"pk": S("a")}) == (V, KEY_SCHEMA)


def test_get_item_key_wrong_type(ddb, tbl):
    assert err(ddb.get_item, TableName=tbl, Key={"pk": S("a"), "sk": S("1")}) == (V, KEY_SCHEMA)


def test_get_item_key_extra_attribute(ddb, tbl):
    assert err(ddb.get_item, TableName=tbl,
               Key={"pk": S("a"), "sk": N(1), "x": S("y")}) == (V, KEY_SCHEMA)


def test_delete_and_update_key_wrong_type(ddb, tbl):
    assert err(ddb.delete_item, TableName=tbl, Key={"pk": N(1), "sk": N(1)}) == (V, KEY_SCHEMA)
    assert err(ddb.update_item, TableName=tbl, Key={"pk": S("a")},
               UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": N(1)}) \
        == (V, KEY_SCHEMA)


def test_put_item_missing_key(ddb, tbl):
    assert err(ddb.put_item, TableName=tbl, Item={"pk": S("a"), "v": N(1)}) == (
        V, "One or more parameter values were invalid: Missing the key sk in the item")


def test_put_item_key_type_mismatch(ddb, tbl):
    assert err(ddb.put_item, TableName=tbl, Item={"pk": S("a"), "sk": S("x")}) == (
        V, "One or more parameter values were invalid: Type mismatch for key sk expected: N "
           "actual: S")


def test_empty_string_key(ddb, tbl):
    want = (V, "One or more parameter values are not valid. The AttributeValue for a key "
               "attribute cannot contain an empty string value. Key: pk")
    assert err(ddb.put_item, TableName=tbl, Item={"pk": S(""), "sk": N(1)}) == want
    assert err(ddb.get_item, TableName=tbl, Key={"pk": S(""), "sk": N(1)}) == want


def test_reserved_word_without_names(ddb, tbl):
    assert err(ddb.update_item, TableName=tbl, Key={"pk": S("a"), "sk": N(1)},
               UpdateExpression="SET status = :s", ExpressionAttributeValues={":s": S("x")}) == (
        V, "Invalid UpdateExpression: Attribute name is a reserved keyword; "
           "reserved keyword: status")
    assert err(ddb.scan, TableName=tbl, FilterExpression="Name = :n",
               ExpressionAttributeValues={":n": S("x")}) == (
        V, "Invalid FilterExpression: Attribute name is a reserved keyword; "
           "reserved keyword: Name")
    assert err(ddb.get_item, TableName=tbl, Key={"pk": S("a"), "sk": N(1)},
               ProjectionExpression="data") == (
        V, "Invalid ProjectionExpression: Attribute name is a reserved keyword; "
           "reserved keyword: data")
    # with a placeholder it works
    ddb.update_item(TableName=tbl, Key={"pk": S("a"), "sk": N(1)},
                    UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":s": S("x")})


def test_unused_expression_attribute_values(ddb, tbl):
    assert err(ddb.put_item, TableName=tbl, Item={"pk": S("a"), "sk": N(1)},
               ConditionExpression="attribute_not_exists(pk)",
               ExpressionAttributeValues={":unused": S("x")}) == (
        V, "Value provided in ExpressionAttributeValues unused in expressions: "
           "keys: {:unused}")
    assert err(ddb.put_item, TableName=tbl, Item={"pk": S("a"), "sk": N(1)},
               ConditionExpression="attribute_not_exists(pk)",
               ExpressionAttributeNames={"#u": "x"}) == (
        V, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}")


def test_undefined_placeholders(ddb, tbl):
    assert err(ddb.update_item, TableName=tbl, Key={"pk": S("a"), "sk": N(1)},
               UpdateExpression="SET v = :v") == (
        V, "Invalid UpdateExpression: An expression attribute value used in expression is not "
           "defined; attribute value: :v")
    assert err(ddb.query, TableName=tbl, KeyConditionExpression="#p = :v",
               ExpressionAttributeValues={":v": S("a")}) == (
        V, "Invalid KeyConditionExpression: An expression attribute name used in the document "
           "path is not defined; attribute name: #p")


def test_values_without_expression(ddb, tbl):
    assert err(ddb.put_item, TableName=tbl, Item={"pk": S("a"), "sk": N(1)},
               ExpressionAttributeValues={":v": S("x")}) == (
        V, "ExpressionAttributeValues can only be specified when using expressions: "
           "ConditionExpression is null")


def test_syntax_error(ddb, tbl):
    assert err(ddb.update_item, TableName=tbl, Key={"pk": S("a"), "sk": N(1)},
               UpdateExpression="SET _x = :v", ExpressionAttributeValues={":v": S("x")}) == (
        V, 'Invalid UpdateExpression: Syntax error; token: "_", near: "SET _x"')


def test_update_key_attribute(ddb, tbl):
    assert err(ddb.update_item, TableName=tbl, Key={"pk": S("a"), "sk": N(1)},
               UpdateExpression="SET sk = :v", ExpressionAttributeValues={":v": N(2)}) == (
        V, "One or more parameter values were invalid: Cannot update attribute sk. "
           "This attribute is part of the key")


def test_item_too_large(ddb, tbl):
    big = "x" * (400 * 1024)
    assert err(ddb.put_item, TableName=tbl, Item={"pk": S("a"), "sk": N(1), "b": S(big)}) == (
        V, "Item size has exceeded the maximum allowed size")
    # checked before the table lookup (AWS validation order)
    assert err(ddb.put_item, TableName="no-such-table",
               Item={"pk": S("a"), "sk": N(1), "b": S(big)}) == (
        V, "Item size has exceeded the maximum allowed size")
    # just under the limit (409,600 bytes counting names and values) is fine
    ok = "y" * (409600 - 64)
    ddb.put_item(TableName=tbl, Item={"pk": S("a"), "sk": N(1), "b": S(ok)})


def test_update_item_too_large(ddb, tbl):
    ddb.put_item(TableName=tbl, Item={"pk": S("a"), "sk": N(1), "b": S("x" * 300000)})
    assert err(ddb.update_item, TableName=tbl, Key={"pk": S("a"), "sk": N(1)},
               UpdateExpression="SET c = :c", ExpressionAttributeValues={":c": S("y" * 200000)}) \
        == (V, "Item size to update has exceeded the maximum allowed size")


def test_invalid_enum_before_table_lookup(ddb):
    assert err(ddb.get_item, TableName="no-such-table", Key={"pk": S("a")},
               ReturnConsumedCapacity="BOGUS") == (
        V, "1 validation error detected: Value 'BOGUS' at 'returnConsumedCapacity' failed to "
           "satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]")


def test_invalid_select_enum(ddb, tbl):
    assert err(ddb.scan, TableName=tbl, Select="EVERYTHING") == (
        V, "1 validation error detected: Value 'EVERYTHING' at 'select' failed to satisfy "
           "constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, "
           "ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]")


def test_bad_table_name(ddb):
    assert err(ddb.get_item, TableName="bad table!", Key={"pk": S("a")}) == (
        V, "1 validation error detected: Value 'bad table!' at 'tableName' failed to satisfy "
           "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")


def test_empty_set_and_bad_number(ddb, tbl):
    assert err(ddb.put_item, TableName=tbl, Item={"pk": S("a"), "sk": N(1), "s": {"SS": []}}) \
        == (V, "One or more parameter values were invalid: An string set  may not be empty")
    assert err(ddb.put_item, TableName=tbl, Item={"pk": S("a"), "sk": N(1), "n": N("dog")}) \
        == (V, "The parameter cannot be converted to a numeric value: dog")


def test_create_table_key_not_defined(ddb):
    assert err(ddb.create_table, TableName="t-bad-def", BillingMode="PAY_PER_REQUEST",
               KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "b", "AttributeType": "S"}]) == (
        V, "One or more parameter values were invalid: Some index key attributes are not "
           "defined in AttributeDefinitions. Keys: [a], AttributeDefinitions: [b]")


def test_create_table_provisioned_without_throughput(ddb):
    assert err(ddb.create_table, TableName="t-bad-prov",
               KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}]) == (
        V, "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
           "must both be specified when BillingMode is PROVISIONED")
    assert "t-bad-prov" not in ddb.list_tables()["TableNames"]


def test_create_table_pay_per_request_with_throughput(ddb):
    assert err(ddb.create_table, TableName="t-bad-ppr", BillingMode="PAY_PER_REQUEST",
               ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
               KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}]) == (
        V, "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
           "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")


def test_create_table_lsi_on_hash_only_table(ddb):
    assert err(ddb.create_table, TableName="t-bad-lsi", BillingMode="PAY_PER_REQUEST",
               KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
               AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"},
                                     {"AttributeName": "b", "AttributeType": "S"}],
               LocalSecondaryIndexes=[{
                   "IndexName": "lsi1", "Projection": {"ProjectionType": "ALL"},
                   "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"},
                                 {"AttributeName": "b", "KeyType": "RANGE"}]}]) == (
        V, "One or more parameter values were invalid: Table KeySchema does not have a range "
           "key, which is required when specifying a LocalSecondaryIndex")


def test_conditional_check_error_type_namespaced(ddb_raw, ddb, tbl):
    """The raw body carries AWS's namespaced __type (botocore strips it either way)."""
    ddb.put_item(TableName=tbl, Item={"pk": S("a"), "sk": N(1)})
    r = ddb_raw("PutItem", {"TableName": tbl, "Item": {"pk": S("a"), "sk": N(1)},
                            "ConditionExpression": "attribute_not_exists(pk)"})
    assert r.status_code == 400
    body = json.loads(r.content)
    assert body["__type"] == \
        "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    assert body["message"] == "The conditional request failed"
    r = ddb_raw("GetItem", {"TableName": tbl, "Key": {"pk": S("a")}})
    body = json.loads(r.content)
    assert r.status_code == 400
    assert body["__type"] == "com.amazon.coral.validate#ValidationException"
    assert body["message"] == KEY_SCHEMA
    r = ddb_raw("DescribeTable", {"TableName": "no-such-table"})
    body = json.loads(r.content)
    assert body["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"


@pytest.fixture
def gtbl(ddb_table):
    """pk (S) + sk (N) with a GSI `gix` on g (S)."""
    name = ddb_table(range_key=("sk", "N"), extra_attrs=(("g", "S"),),
                     gsis=[ddb_index("gix", "g")])
    return name


def test_query_value_type_differs_from_key(ddb, gtbl):
    assert err(ddb.query, TableName=gtbl, KeyConditionExpression="pk = :v",
               ExpressionAttributeValues={":v": N(1)}) == (
        V, "One or more parameter values were invalid: Condition parameter type does not match "
           "schema type")


def test_index_key_type_mismatch(ddb, gtbl):
    assert err(ddb.put_item, TableName=gtbl, Item={"pk": S("a"), "sk": N(1), "g": N(5)}) == (
        V, "One or more parameter values were invalid: Type mismatch for Index Key g "
           "Expected: S Actual: N IndexName: gix")
    assert "Item" not in ddb.get_item(TableName=gtbl, Key={"pk": S("a"), "sk": N(1)})


def test_index_key_empty_string(ddb, gtbl):
    assert err(ddb.put_item, TableName=gtbl, Item={"pk": S("a"), "sk": N(1), "g": S("")}) == (
        V, "One or more parameter values are not valid. A value specified for a secondary index "
           "key is not supported. The AttributeValue for a key attribute cannot contain an empty "
           "string value. IndexName: gix, IndexKey: g")


def test_string_set_duplicates(ddb, gtbl):
    assert err(ddb.put_item, TableName=gtbl,
               Item={"pk": S("a"), "sk": N(1), "x": {"SS": ["a", "a"]}}) == (
        V, "One or more parameter values were invalid: Input collection [a, a] contains "
           "duplicates.")


def test_number_too_precise(ddb, gtbl):
    assert err(ddb.put_item, TableName=gtbl, Item={"pk": S("a"), "sk": N(1), "x": N("1" * 39)}) \
        == (V, "Attempting to store more than 38 significant digits in a Number")


def test_update_runtime_errors(ddb, gtbl):
    ddb.put_item(TableName=gtbl, Item={"pk": S("a"), "sk": N(1), "s": S("x")})
    key = {"pk": S("a"), "sk": N(1)}
    assert err(ddb.update_item, TableName=gtbl, Key=key, UpdateExpression="ADD s :v",
               ExpressionAttributeValues={":v": N(1)}) == (
        V, "An operand in the update expression has an incorrect data type")
    assert err(ddb.update_item, TableName=gtbl, Key=key,
               UpdateExpression="SET l = list_append(l, :v)",
               ExpressionAttributeValues={":v": {"L": []}}) == (
        V, "The provided expression refers to an attribute that does not exist in the item")


def test_expression_parameter_errors(ddb, gtbl):
    key = {"pk": S("a"), "sk": N(1)}
    assert err(ddb.update_item, TableName=gtbl, Key=key, UpdateExpression="SET s = :v",
               ExpressionAttributeValues={}) == (V, "ExpressionAttributeValues must not be empty")
    assert err(ddb.put_item, TableName=gtbl, Item=key,
               ConditionExpression="attribute_exists(pk) AND") == (
        V, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"')
    assert err(ddb.get_item, TableName=gtbl, Key=key, ProjectionExpression="#x") == (
        V, "Invalid ProjectionExpression: An expression attribute name used in the document path "
           "is not defined; attribute name: #x")
    assert err(ddb.put_item, TableName=gtbl, Item=key, ConditionExpression="attribute_exists(pk)",
               Expected={"pk": {"Exists": False}}) == (
        V, "Can not use both expression and non-expression parameters in the same request: "
           "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}")
    assert err(ddb.update_item, TableName=gtbl, Key=key, UpdateExpression="") == (
        V, "Invalid UpdateExpression: The expression can not be empty;")
