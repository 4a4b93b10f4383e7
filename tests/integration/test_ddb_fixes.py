"""DynamoDB Local's data bugs that the ddb supervisor fixes (issue 12, cause 4): an
UpdateItem that only REMOVEs / DELETEs creates nothing on a missing item (and `REMOVE a.b`
there is no error), the caller's own condition still fails as on DynamoDB, legacy
AttributeUpdates without Action are PUTs, UPDATED_NEW / UPDATED_OLD answer only the updated
paths, DeleteItem's ConsumedCapacity only when asked. With the boto3 client and resource,
PynamoDB and the AWS CLI. Runs in: the pytest process."""

import json

import requests

import pytest
from boto3.dynamodb.conditions import Attr
from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, \
    UnicodeSetAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from conftest import ddb_error, unique_name


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


def K(v):
    return {"pk": {"S": v}}


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=K(key), ConsistentRead=True).get("Item")


def count(ddb, table):
    return ddb.scan(TableName=table)["Count"]


# ---- REMOVE / DELETE only on a missing item ---------------------------------------------

def test_remove_on_missing_item_creates_nothing(ddb, ddb_table):
    t = ddb_table()
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x")
    assert "Attributes" not in r
    assert get(ddb, t, "a") is None
    assert count(ddb, t) == 0


@pytest.mark.parametrize("rv", ["ALL_NEW", "ALL_OLD", "UPDATED_NEW", "UPDATED_OLD", "NONE"])
def test_remove_on_missing_item_return_values(ddb, ddb_table, rv):
    t = ddb_table()
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x, y",
                        ReturnValues=rv)
    assert "Attributes" not in r
    assert count(ddb, t) == 0


def test_remove_nested_path_on_missing_item_is_ignored(ddb, ddb_table):
    t = ddb_table()
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE a.b, l[0]")
    assert "Attributes" not in r
    assert count(ddb, t) == 0


def test_delete_from_set_on_missing_item_creates_nothing(ddb, ddb_table):
    t = ddb_table()
    ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="DELETE s :v",
                    ExpressionAttributeValues={":v": {"SS": ["x"]}})
    assert count(ddb, t) == 0


def test_remove_and_delete_lowercase_with_names(ddb, ddb_table):
    t = ddb_table()
    ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="remove #x delete #s :v",
                    ExpressionAttributeNames={"#x": "x", "#s": "s"},
                    ExpressionAttributeValues={":v": {"SS": ["x"]}})
    assert count(ddb, t) == 0


def test_consumed_capacity_on_noop(ddb, ddb_table):
    t = ddb_table()
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x",
                        ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["TableName"] == t
    assert r["ConsumedCapacity"]["CapacityUnits"] >= 1
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x")
    assert "ConsumedCapacity" not in r


def test_remove_on_existing_item_still_works(ddb, ddb_table):
    t = ddb_table()
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "x": {"S": "1"}, "y": {"S": "2"},
                                    "m": {"M": {"b": {"S": "3"}, "c": {"S": "4"}}}})
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x, m.b",
                        ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": {"S": "a"}, "y": {"S": "2"}, "m": {"M": {"c": {"S": "4"}}}}
    assert get(ddb, t, "a") == r["Attributes"]


def test_remove_with_range_key(ddb, ddb_table):
    t = ddb_table(range_key=("sk", "N"))
    key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    ddb.update_item(TableName=t, Key=key, UpdateExpression="REMOVE x")
    assert count(ddb, t) == 0
    ddb.put_item(TableName=t, Item=dict(key, x={"S": "1"}))
    ddb.update_item(TableName=t, Key=key, UpdateExpression="REMOVE x")
    assert ddb.get_item(TableName=t, Key=key)["Item"] == key


def test_set_on_missing_item_still_creates(ddb, ddb_table):
    t = ddb_table()
    ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="SET v = :v REMOVE x",
                    ExpressionAttributeValues={":v": {"S": "1"}})
    assert get(ddb, t, "a") == {"pk": {"S": "a"}, "v": {"S": "1"}}


# ---- the caller's own condition ---------------------------------------------------------

def test_caller_condition_failing_on_missing_item(ddb, ddb_table):
    t = ddb_table()
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as e:
        ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x",
                        ConditionExpression="attribute_exists(x)")
    code, msg, _ = ddb_error(e)
    assert code == "ConditionalCheckFailedException"
    assert msg == "The conditional request failed"
    assert count(ddb, t) == 0


def test_caller_condition_passing_on_missing_item(ddb, ddb_table):
    t = ddb_table()
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE #x",
                        ConditionExpression="attribute_not_exists(#x) OR #x <> :v",
                        ExpressionAttributeNames={"#x": "x"},
                        ExpressionAttributeValues={":v": {"S": "1"}})
    assert "Attributes" not in r
    assert count(ddb, t) == 0


def test_caller_condition_failing_on_existing_item(ddb, ddb_table):
    t = ddb_table()
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "x": {"S": "1"}})
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException) as e:
        ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x",
                        ConditionExpression="x = :v",
                        ExpressionAttributeValues={":v": {"S": "2"}},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Item"] == {"pk": {"S": "a"}, "x": {"S": "1"}}
    assert get(ddb, t, "a") == {"pk": {"S": "a"}, "x": {"S": "1"}}


def test_caller_condition_passing_on_existing_item(ddb, ddb_table):
    t = ddb_table()
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "x": {"S": "1"}})
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x",
                        ConditionExpression="x = :v",
                        ExpressionAttributeValues={":v": {"S": "1"}}, ReturnValues="ALL_OLD")
    assert r["Attributes"] == {"pk": {"S": "a"}, "x": {"S": "1"}}
    assert get(ddb, t, "a") == {"pk": {"S": "a"}}


def test_condition_on_the_key_itself(ddb, ddb_table):
    t = ddb_table()
    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x",
                        ConditionExpression="attribute_exists(pk)")
    ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="REMOVE x",
                    ConditionExpression="attribute_not_exists(pk)")
    assert count(ddb, t) == 0


# ---- legacy AttributeUpdates ------------------------------------------------------------

def test_legacy_update_without_action_is_put(ddb, ddb_table):
    t = ddb_table()
    r = ddb.update_item(TableName=t, Key=K("a"), AttributeUpdates={"v": {"Value": {"S": "1"}}},
                        ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": {"S": "a"}, "v": {"S": "1"}}
    ddb.update_item(TableName=t, Key=K("a"),
                    AttributeUpdates={"v": {"Value": {"S": "2"}},
                                      "w": {"Value": {"N": "3"}, "Action": "ADD"}})
    assert get(ddb, t, "a") == {"pk": {"S": "a"}, "v": {"S": "2"}, "w": {"N": "3"}}


def test_legacy_delete_only_on_missing_item(ddb, ddb_table):
    t = ddb_table()
    r = ddb.update_item(TableName=t, Key=K("a"), AttributeUpdates={"v": {"Action": "DELETE"}},
                        ReturnValues="ALL_NEW")
    assert "Attributes" not in r
    assert count(ddb, t) == 0
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "v": {"S": "1"}, "w": {"S": "2"}})
    ddb.update_item(TableName=t, Key=K("a"), AttributeUpdates={"v": {"Action": "DELETE"}})
    assert get(ddb, t, "a") == {"pk": {"S": "a"}, "w": {"S": "2"}}


# ---- ReturnValues on nested paths -------------------------------------------------------

def nested_item(ddb, t):
    ddb.put_item(TableName=t, Item={
        "pk": {"S": "a"}, "top": {"S": "t"},
        "a": {"M": {"b": {"S": "1"}, "c": {"S": "2"}, "d": {"M": {"e": {"S": "3"}}}}},
        "l": {"L": [{"S": "0"}, {"S": "1"}, {"S": "2"}]}})


def test_updated_new_nested(ddb, ddb_table):
    t = ddb_table()
    nested_item(ddb, t)
    r = ddb.update_item(
        TableName=t, Key=K("a"),
        UpdateExpression="SET a.b = :v, #a.d.e = :v, l[1] = :v, top = :v",
        ExpressionAttributeNames={"#a": "a"}, ExpressionAttributeValues={":v": {"S": "9"}},
        ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {
        "a": {"M": {"b": {"S": "9"}, "d": {"M": {"e": {"S": "9"}}}}},
        "l": {"L": [{"S": "9"}]},
        "top": {"S": "9"}}


def test_updated_old_nested(ddb, ddb_table):
    t = ddb_table()
    nested_item(ddb, t)
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="SET a.b = :v REMOVE l[2]",
                        ExpressionAttributeValues={":v": {"S": "9"}},
                        ReturnValues="UPDATED_OLD")
    assert r["Attributes"] == {"a": {"M": {"b": {"S": "1"}}}, "l": {"L": [{"S": "2"}]}}


def test_updated_new_new_nested_member(ddb, ddb_table):
    t = ddb_table()
    nested_item(ddb, t)
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="SET a.z = :v ADD n :one",
                        ExpressionAttributeValues={":v": {"S": "9"}, ":one": {"N": "1"}},
                        ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"a": {"M": {"z": {"S": "9"}}}, "n": {"N": "1"}}
    r = ddb.update_item(TableName=t, Key=K("a"), UpdateExpression="SET a.y = :v",
                        ExpressionAttributeValues={":v": {"S": "9"}},
                        ReturnValues="UPDATED_OLD")
    assert "Attributes" not in r


def test_updated_new_resource_nested(ddb_resource, ddb_table):
    t = ddb_table()
    tab = ddb_resource.Table(t)
    tab.put_item(Item={"pk": "a", "prefs": {"theme": "dark", "lang": "en"}})
    r = tab.update_item(Key={"pk": "a"}, UpdateExpression="SET prefs.theme = :t",
                        ExpressionAttributeValues={":t": "light"}, ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"prefs": {"theme": "light"}}


# ---- DeleteItem's ConsumedCapacity ------------------------------------------------------

def test_delete_item_capacity_only_when_asked(ddb, ddb_table):
    t = ddb_table()
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}})
    r = ddb.delete_item(TableName=t, Key=K("a"))
    assert "ConsumedCapacity" not in r
    r = ddb.delete_item(TableName=t, Key=K("b"), ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in r
    r = ddb.delete_item(TableName=t, Key=K("c"), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["TableName"] == t
    r = ddb.delete_item(TableName=t, Key=K("c"), ReturnConsumedCapacity="INDEXES")
    assert "ConsumedCapacity" in r


def test_delete_item_raw_body(ddb_raw, ddb_table):
    t = ddb_table()
    r = ddb_raw("DeleteItem", json.dumps({"TableName": t, "Key": K("a")}))
    assert r.status_code == 200
    assert r.json() == {}


# ---- the boto3 resource -----------------------------------------------------------------

def test_resource_remove_on_missing_item(ddb_resource, ddb_table):
    t = ddb_table()
    tab = ddb_resource.Table(t)
    tab.update_item(Key={"pk": "a"}, UpdateExpression="REMOVE x.y")
    tab.update_item(Key={"pk": "a"}, UpdateExpression="DELETE tags :t",
                    ExpressionAttributeValues={":t": {"x"}})
    assert "Item" not in tab.get_item(Key={"pk": "a"})
    with pytest.raises(tab.meta.client.exceptions.ConditionalCheckFailedException):
        tab.update_item(Key={"pk": "a"}, UpdateExpression="REMOVE x",
                        ConditionExpression=Attr("x").exists())
    tab.update_item(Key={"pk": "a"}, UpdateExpression="REMOVE x",
                    ConditionExpression=Attr("x").not_exists())
    assert tab.scan()["Count"] == 0


def test_resource_legacy_without_action(ddb_resource, ddb_table):
    t = ddb_table()
    tab = ddb_resource.Table(t)
    tab.update_item(Key={"pk": "a"}, AttributeUpdates={"v": {"Value": "x"}})
    assert tab.get_item(Key={"pk": "a"})["Item"] == {"pk": "a", "v": "x"}


# ---- the AWS CLI ------------------------------------------------------------------------

def test_cli_remove_on_missing_item(ddb_cli, ddb, ddb_table):
    t = ddb_table()
    p, out = ddb_cli.json("update-item", "--table-name", t, "--key", json.dumps(K("a")),
                          "--update-expression", "REMOVE a.b", "--return-values", "ALL_NEW")
    assert p.returncode == 0, p.stderr
    assert out is None or "Attributes" not in out
    assert count(ddb, t) == 0
    p, out = ddb_cli.json("update-item", "--table-name", t, "--key", json.dumps(K("a")),
                          "--update-expression", "REMOVE x", "--condition-expression",
                          "attribute_exists(x)")
    assert p.returncode != 0
    assert "ConditionalCheckFailedException" in p.stderr


def test_cli_updated_new_nested(ddb_cli, ddb, ddb_table):
    t = ddb_table()
    nested_item(ddb, t)
    p, out = ddb_cli.json("update-item", "--table-name", t, "--key", json.dumps(K("a")),
                          "--update-expression", "SET a.c = :v",
                          "--expression-attribute-values", json.dumps({":v": {"S": "x"}}),
                          "--return-values", "UPDATED_NEW")
    assert p.returncode == 0, p.stderr
    assert out["Attributes"] == {"a": {"M": {"c": {"S": "x"}}}}


def test_cli_delete_item_no_capacity(ddb_cli, ddb_table):
    t = ddb_table()
    p = ddb_cli("dynamodb", "delete-item", "--table-name", t, "--key", json.dumps(K("a")),
                "--output", "json", timeout=60)
    assert p.returncode == 0, p.stderr
    assert "ConsumedCapacity" not in p.stdout


# ---- PynamoDB ---------------------------------------------------------------------------

def pyn_model(endpoint):
    class Prefs(MapAttribute):
        theme = UnicodeAttribute(null=True)
        lang = UnicodeAttribute(null=True)

    class Thing(Model):
        class Meta:
            table_name = unique_name("pynfix")
            host = endpoint
            region = "us-east-1"
            aws_access_key_id = "test"
            aws_secret_access_key = "test"
        pk = UnicodeAttribute(hash_key=True)
        note = UnicodeAttribute(null=True)
        n = NumberAttribute(null=True)
        tags = UnicodeSetAttribute(null=True)
        prefs = Prefs(null=True)
    return Thing


def test_pynamodb_fixes(ddb_endpoint, ddb):
    Thing = pyn_model(ddb_endpoint)
    Thing.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    try:
        t = Thing.Meta.table_name
        # remove / delete on a missing item: nothing created; DynamoDB answers no
        # Attributes, which PynamoDB's Model.update (ALL_NEW) cannot read (as on AWS)
        with pytest.raises((KeyError, Thing.DoesNotExist)):
            Thing("a").update(actions=[Thing.note.remove(), Thing.tags.delete({"x"})])
        assert count(ddb, t) == 0
        with pytest.raises(UpdateError) as e:
            Thing("a").update(actions=[Thing.note.remove()], condition=Thing.note.exists())
        assert e.value.cause_response_code == "ConditionalCheckFailedException"
        assert count(ddb, t) == 0
        # nested update: the item comes back right
        x = Thing("b", prefs={"theme": "dark", "lang": "en"})
        x.save()
        x.update(actions=[Thing.prefs.theme.set("light")])
        assert x.prefs.theme == "light"
        assert Thing.get("b", consistent_read=True).prefs.lang == "en"
        x.update(actions=[Thing.note.remove()])
        assert Thing.get("b", consistent_read=True).note is None
        Thing("b").delete()
        assert count(ddb, t) == 0
    finally:
        Thing.delete_table()


# ---- cause 5: the request id, CORS, null capacities -------------------------------------

def is_aws_request_id(s):
    return len(s) == 52 and all(c.isdigit() or ("A" <= c <= "Z") for c in s)


def test_request_id_is_52_characters(ddb, ddb_raw, ddb_table):
    t = ddb_table()
    r = ddb.describe_table(TableName=t)
    assert is_aws_request_id(r["ResponseMetadata"]["RequestId"])
    with pytest.raises(ddb.exceptions.ResourceNotFoundException) as e:
        ddb.describe_table(TableName="no-such-table")
    assert is_aws_request_id(e.value.response["ResponseMetadata"]["RequestId"])
    # answered by the worker itself (unknown operation)
    r = ddb_raw("NoSuchOperation", {})
    assert r.status_code == 400
    assert is_aws_request_id(r.headers["x-amzn-RequestId"])
    ids = {ddb_raw("ListTables", {}).headers["x-amzn-RequestId"] for _ in range(5)}
    assert len(ids) == 5


def test_resource_request_id(ddb_resource, ddb_table):
    tab = ddb_resource.Table(ddb_table())
    r = tab.put_item(Item={"pk": "a"})
    assert is_aws_request_id(r["ResponseMetadata"]["RequestId"])


EXPOSE = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"


def test_cors_headers_with_origin(ddb_raw, ddb_table):
    t = ddb_table()
    r = ddb_raw("DescribeTable", {"TableName": t}, headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Expose-Headers"] == EXPOSE
    assert "Access-Control-Max-Age" not in r.headers
    r = ddb_raw("DescribeTable", {"TableName": "no-such-table"},
                headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 400
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    r = ddb_raw("NoSuchOperation", {}, headers={"Origin": "http://localhost:3000"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_no_cors_headers_without_origin(ddb_raw):
    r = ddb_raw("ListTables", {})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Expose-Headers" not in r.headers


def test_cors_preflight(ddb_endpoint):
    hdrs = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers":
                "authorization,content-type,x-amz-date,x-amz-target,x-amz-user-agent"}
    r = requests.options(ddb_endpoint + "/", headers=hdrs, timeout=10)
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Access-Control-Allow-Methods"] == "POST"
    assert r.headers["Access-Control-Allow-Headers"] == hdrs["Access-Control-Request-Headers"]
    assert r.headers["Access-Control-Expose-Headers"] == EXPOSE
    assert int(r.headers["Access-Control-Max-Age"]) > 0
    assert is_aws_request_id(r.headers["x-amzn-RequestId"])


# the model validator's order (the members' order in the request); AWS's order for this
# case is not recorded (README, DynamoDB compatibility)
NULL_MSG = ("2 validation errors detected: Value null at 'provisionedThroughput.readCapacityUnits'"
            " failed to satisfy constraint: Member must not be null; Value null at "
            "'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must "
            "not be null")


def test_create_table_null_capacities(ddb_raw):
    base = {"TableName": unique_name("nul"),
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}
    r = ddb_raw("CreateTable", dict(base, ProvisionedThroughput={"ReadCapacityUnits": None,
                                                                 "WriteCapacityUnits": None}))
    assert r.status_code == 400
    assert r.json()["__type"] == "com.amazon.coral.validate#ValidationException"
    assert r.json()["message"] == NULL_MSG
    r = ddb_raw("CreateTable", dict(base, ProvisionedThroughput={"ReadCapacityUnits": 5,
                                                                 "WriteCapacityUnits": None}))
    assert r.json()["message"] == (
        "1 validation error detected: Value null at 'provisionedThroughput.writeCapacityUnits' "
        "failed to satisfy constraint: Member must not be null")


def test_pynamodb_create_table_without_capacities(ddb_endpoint):
    from pynamodb.exceptions import TableError

    class NoCapacity(Model):
        class Meta:
            table_name = unique_name("pynnull")
            host = ddb_endpoint
            region = "us-east-1"
            aws_access_key_id = "test"
            aws_secret_access_key = "test"
        pk = UnicodeAttribute(hash_key=True)

    with pytest.raises(TableError) as e:
        NoCapacity.create_table()
    assert e.value.cause_response_code == "ValidationException"
    assert e.value.cause_response_message == NULL_MSG
    assert not NoCapacity.exists()


def test_cli_create_table_request_id_and_errors(ddb_cli):
    p = ddb_cli("dynamodb", "describe-table", "--table-name", "no-such-table", "--debug",
                timeout=60)
    assert p.returncode != 0
    import re
    ids = re.findall(r"x-amzn-RequestId['\"]?: ['\"]?([A-Z0-9]+)", p.stderr, re.I)
    assert ids and all(len(i) == 52 for i in ids), p.stderr[-2000:]
