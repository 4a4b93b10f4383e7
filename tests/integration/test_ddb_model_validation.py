"""DynamoDB requests checked against the service model before forwarding
(src/proto/ddb_validate.c): wrong JSON types answer 400 SerializationException, constraint
violations 400 ValidationException with AWS's "N validation error(s) detected" text, before
any table lookup; none of them reaches DynamoDB Local (which answered several with HTTP
500). boto3 runs with its own parameter validation off, as a client in another language
would send these; raw requests cover what botocore cannot serialise. Runs in: the pytest
process."""
import json

import pytest
from botocore.exceptions import ClientError
from conftest import ddb_error, make_ddb_client, unique_name

SER = "SerializationException"
VAL = "ValidationException"
SER_TYPE = "com.amazon.coral.service#SerializationException"
VAL_TYPE = "com.amazon.coral.validate#ValidationException"


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


@pytest.fixture(scope="module")
def loose(ddb_endpoint):
    """A boto3 client that sends what it is given (no client-side parameter validation)."""
    return make_ddb_client(ddb_endpoint, parameter_validation=False)


def err(call, *a, **kw):
    with pytest.raises(ClientError) as e:
        call(*a, **kw)
    code, msg, resp = ddb_error(e)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    return code, msg


def raw_err(ddb_raw, op, body):
    r = ddb_raw(op, body)
    assert r.status_code == 400, r.content
    return json.loads(r.content)


def one(value, path, what):
    return ("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s"
            % (value, path, what))


KEY = [{"AttributeName": "pk", "KeyType": "HASH"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}]


# ---- cause 1: wrong JSON types ------------------------------------------------------------

def test_number_as_table_name(loose, ddb_raw):
    # (boto3 itself cannot send it: its endpoint rules want a string TableName)
    body = raw_err(ddb_raw, "DescribeTable", {"TableName": 12})
    assert body == {"__type": SER_TYPE, "Message": "NUMBER_VALUE cannot be converted to String"}
    body = raw_err(ddb_raw, "GetItem", {"TableName": 12, "Key": {}})
    assert body == {"__type": SER_TYPE, "Message": "NUMBER_VALUE cannot be converted to String"}


def test_boolean_as_string_and_string_as_boolean(loose, ddb_raw):
    body = raw_err(ddb_raw, "DescribeTable", {"TableName": True})
    assert body["Message"] == "TRUE_VALUE cannot be converted to String"
    assert err(loose.get_item, TableName="t-x", Key={"pk": {"S": "a"}}, ConsistentRead=1) == (
        SER, "NUMBER_VALUE cannot be converted to Boolean")
    assert err(loose.scan, TableName="t-x", Limit="5") == (
        SER, "STRING_VALUE cannot be converted to Integer")
    body = raw_err(ddb_raw, "GetItem", {"TableName": "t-x", "Key": {}, "ConsistentRead": "yes"})
    assert body["__type"] == SER_TYPE
    assert body["Message"] == "Unexpected token received from parser"
    body = raw_err(ddb_raw, "Scan", {"TableName": "t-x", "Limit": "5"})
    assert body["Message"] == "STRING_VALUE cannot be converted to Integer"


def test_string_where_a_map_or_structure_is_due(ddb_raw):
    body = raw_err(ddb_raw, "GetItem", {"TableName": "t-x", "Key": "pk"})
    assert body == {"__type": SER_TYPE, "Message": "Unexpected field type"}
    body = raw_err(ddb_raw, "PutItem", {"TableName": "t-x", "Item": {"pk": "a"}})
    assert body["Message"] == "Unexpected value type in payload"
    body = raw_err(ddb_raw, "CreateTable", {"TableName": "t-x", "KeySchema": {"a": 1},
                                            "AttributeDefinitions": ATTRS})
    assert body["Message"] == "Start of structure or map found where not expected"
    body = raw_err(ddb_raw, "PutItem", {"TableName": "t-x", "Item": {"pk": {"N": 5}}})
    assert body["Message"] == "NUMBER_VALUE cannot be converted to String"


def test_body_not_an_object_or_not_json(ddb_raw):
    for body, want in (("[]", {"__type": SER_TYPE, "Message": "UnknownError"}),
                       ("5", {"__type": SER_TYPE, "Message": "Unexpected field type"}),
                       ("{", {"__type": SER_TYPE}),
                       ('{"TableName": "t-x",}', {"__type": SER_TYPE}),
                       (b'{"TableName": "\xff\xfe"}', {"__type": SER_TYPE})):
        assert raw_err(ddb_raw, "DescribeTable", body) == want, body


def test_bad_base64_in_b(ddb_raw, ddb_table):
    tbl = ddb_table()
    body = raw_err(ddb_raw, "PutItem", {"TableName": tbl, "Item": {"pk": {"S": "a"},
                                                                    "b": {"B": "abc"}}})
    assert body == {"__type": SER_TYPE, "Message": "Base64 encoded length is expected a "
                                                   "multiple of 4 bytes but found: 3"}
    body = raw_err(ddb_raw, "PutItem", {"TableName": tbl, "Item": {"pk": {"S": "a"},
                                                                    "b": {"BS": ["ab!d"]}}})
    assert body["Message"] == "Invalid last non-pad Base64 character dectected"


def test_deep_nesting_is_answered(ddb_raw):
    body = '{"TableName": "t-x", "Item": {"a": ' + '{"L": [' * 5000
    r = ddb_raw("PutItem", body)
    assert r.status_code == 400
    assert json.loads(r.content) == {"__type": VAL_TYPE, "message": "Nesting Levels have "
                                                                    "exceeded supported limits"}


# ---- causes 2 and 3: constraints, before the table lookup -----------------------------------

def test_unknown_billing_mode(loose):
    name = unique_name()
    assert err(loose.create_table, TableName=name, KeySchema=KEY, AttributeDefinitions=ATTRS,
               BillingMode="FREE") == (
        VAL, one("'FREE'", "billingMode",
                 "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"))
    assert name not in loose.list_tables()["TableNames"]


def test_sort_key_type_creates_nothing(loose):
    name = unique_name()
    assert err(loose.create_table, TableName=name, BillingMode="PAY_PER_REQUEST",
               KeySchema=[{"AttributeName": "pk", "KeyType": "SORT"}],
               AttributeDefinitions=ATTRS) == (
        VAL, one("'SORT'", "keySchema.1.member.keyType",
                 "Member must satisfy enum value set: [HASH, RANGE]"))
    assert name not in loose.list_tables()["TableNames"]


def test_several_errors_in_one_message(loose):
    """Clauses in the order the body gives the members; a structure's missing required
    members after its present ones (AWS's own order is not recorded for this case)."""
    assert err(loose.create_table, TableName="t-several", KeySchema=[{"KeyType": "SORT"}],
               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "X"}],
               ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}) == (
        VAL, "4 validation errors detected: "
             "Value 'SORT' at 'keySchema.1.member.keyType' failed to satisfy constraint: "
             "Member must satisfy enum value set: [HASH, RANGE]; "
             "Value null at 'keySchema.1.member.attributeName' failed to satisfy constraint: "
             "Member must not be null; "
             "Value 'X' at 'attributeDefinitions.1.member.attributeType' failed to satisfy "
             "constraint: Member must satisfy enum value set: [B, N, S]; "
             "Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy "
             "constraint: Member must have value greater than or equal to 1")


def test_table_name_lengths(loose):
    assert err(loose.create_table, TableName="ab", KeySchema=KEY, AttributeDefinitions=ATTRS,
               BillingMode="PAY_PER_REQUEST") == (
        VAL, one("'ab'", "tableName", "Member must have length greater than or equal to 3"))
    # data-plane operations: the same rule for a name (the model's 1..1024 is for ARNs)
    assert err(loose.get_item, TableName="ab", Key={"pk": {"S": "a"}}) == (
        VAL, one("'ab'", "tableName", "Member must have length greater than or equal to 3"))
    assert err(loose.describe_table, TableName="x" * 256) == (
        VAL, one("'%s'" % ("x" * 256), "tableName",
                 "Member must have length less than or equal to 255"))
    assert err(loose.get_item, TableName="", Key={"pk": {"S": "a"}}) == (
        VAL, one("''", "tableName", "Member must have length greater than or equal to 1"))


def test_invalid_request_on_missing_table_is_validation(loose):
    # DynamoDB Local answered ResourceNotFoundException: AWS validates first
    assert err(loose.query, TableName="no-such-table", KeyConditionExpression="pk = :v",
               ExpressionAttributeValues={":v": {"S": "a"}}, Limit=0) == (
        VAL, one("'0'", "limit", "Member must have value greater than or equal to 1"))
    assert err(loose.scan, TableName="no-such-table", AttributesToGet=[]) == (
        VAL, one("'[]'", "attributesToGet", "Member must have length greater than or equal "
                                           "to 1"))
    assert err(loose.scan, TableName="no-such-table", Segment=0, TotalSegments=0) == (
        VAL, one("'0'", "totalSegments", "Member must have value greater than or equal to 1"))


def test_missing_required_member(loose):
    assert err(loose.get_item, TableName="no-such-table") == (
        VAL, one("null", "key", "Member must not be null"))


def test_table_name_reported_alone(loose):
    assert err(loose.put_item, TableName="a", Item={"pk": {"S": "a"}}, ReturnValues="X",
               ReturnConsumedCapacity="Y") == (
        VAL, one("'a'", "tableName", "Member must have length greater than or equal to 3"))


def test_unknown_members_are_ignored(ddb_raw, ddb_table):
    tbl = ddb_table()
    r = ddb_raw("PutItem", {"TableName": tbl, "Item": {"pk": {"S": "a"}},
                            "SomethingNew": {"x": [1, 2]}})
    assert r.status_code == 200, r.content
    r = ddb_raw("GetItem", {"TableName": tbl, "Key": {"pk": {"S": "a"}}, "Extra": None})
    assert r.status_code == 200
    assert json.loads(r.content)["Item"] == {"pk": {"S": "a"}}


def test_strict_client_still_works(ddb, ddb_table):
    """botocore's own validation on: valid requests pass the validator unchanged."""
    tbl = ddb_table(range_key=("sk", "N"))
    ddb.put_item(TableName=tbl, Item={"pk": {"S": "a"}, "sk": {"N": "1"},
                                      "b": {"B": b"\x00\x01"}, "l": {"L": [{"NULL": True}]}})
    got = ddb.get_item(TableName=tbl, Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                       ConsistentRead=True)["Item"]
    assert got["b"]["B"] == b"\x00\x01"
    assert ddb.query(TableName=tbl, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "a"}}, Limit=1)["Count"] == 1
