"""DynamoDB milestone-2 cases of the plan, by name: put/get, a failing condition, an update
expression, a key-condition query, a GSI query, a filtered scan and query pagination,
through boto3 (client and resource API) against ruststack + DynamoDB Local.
Runs in: the pytest process."""

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from conftest import ddb_error, ddb_index


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


@pytest.fixture
def orders(ddb_table):
    """customer (S, hash) + order (N, range), GSI by status/total."""
    return ddb_table(hash_key=("customer", "S"), range_key=("order", "N"),
                     extra_attrs=(("state", "S"), ("total", "N")),
                     gsis=[ddb_index("by-state", "state", "total")])


def test_put_get_item(ddb, ddb_resource, ddb_table):
    name = ddb_table()
    ddb.put_item(TableName=name, Item={"pk": {"S": "u1"}, "n": {"N": "42"},
                                       "tags": {"SS": ["a", "b"]}, "blob": {"B": b"\x00\xff"},
                                       "m": {"M": {"x": {"L": [{"BOOL": True}, {"NULL": True}]}}}})
    got = ddb.get_item(TableName=name, Key={"pk": {"S": "u1"}}, ConsistentRead=True)
    item = got["Item"]
    assert item["pk"] == {"S": "u1"}
    assert item["n"] == {"N": "42"}
    assert sorted(item["tags"]["SS"]) == ["a", "b"]
    assert item["blob"] == {"B": b"\x00\xff"}
    assert item["m"] == {"M": {"x": {"L": [{"BOOL": True}, {"NULL": True}]}}}
    # missing item: {} without Item
    miss = ddb.get_item(TableName=name, Key={"pk": {"S": "nope"}})
    assert "Item" not in miss
    # the resource API sees the same item, numbers as Decimal
    table = ddb_resource.Table(name)
    assert table.get_item(Key={"pk": "u1"})["Item"]["n"] == 42
    table.put_item(Item={"pk": "u2", "name": "Ada"})
    assert table.get_item(Key={"pk": "u2"})["Item"] == {"pk": "u2", "name": "Ada"}


def test_condition_expression_fails(ddb, ddb_table):
    name = ddb_table()
    ddb.put_item(TableName=name, Item={"pk": {"S": "k"}, "v": {"N": "1"}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=name, Item={"pk": {"S": "k"}, "v": {"N": "2"}},
                     ConditionExpression="attribute_not_exists(pk)")
    code, msg, resp = ddb_error(e)
    assert code == "ConditionalCheckFailedException"
    assert msg == "The conditional request failed"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Item" not in resp  # not asked for
    # nothing was written
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "k"}})["Item"]["v"] == {"N": "1"}
    # the same condition passes for a new key
    ddb.put_item(TableName=name, Item={"pk": {"S": "k2"}},
                 ConditionExpression="attribute_not_exists(pk)")


def test_update_expression(ddb, ddb_resource, ddb_table):
    name = ddb_table()
    table = ddb_resource.Table(name)
    table.put_item(Item={"pk": "c", "count": 1, "stale": "x", "tags": {"a", "b"}})
    r = table.update_item(
        Key={"pk": "c"},
        UpdateExpression="SET #c = #c + :one, newattr = :s REMOVE stale ADD tags :t",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": 1, ":s": "hello", ":t": {"c"}},
        ReturnValues="ALL_NEW")
    assert r["Attributes"] == {"pk": "c", "count": 2, "newattr": "hello",
                               "tags": {"a", "b", "c"}}
    assert table.get_item(Key={"pk": "c"})["Item"] == r["Attributes"]


def test_query_with_key_condition(ddb_resource, orders):
    table = ddb_resource.Table(orders)
    for i in range(1, 11):
        table.put_item(Item={"customer": "alice", "order": i, "state": "open", "total": i * 10})
    table.put_item(Item={"customer": "bob", "order": 1, "state": "open", "total": 5})
    r = table.query(KeyConditionExpression=Key("customer").eq("alice") & Key("order").gt(7))
    assert [it["order"] for it in r["Items"]] == [8, 9, 10]
    assert r["Count"] == 3 and r["ScannedCount"] == 3
    r = table.query(KeyConditionExpression=Key("customer").eq("alice") &
                    Key("order").between(2, 4), ScanIndexForward=False)
    assert [it["order"] for it in r["Items"]] == [4, 3, 2]


def test_query_gsi(ddb_resource, orders):
    table = ddb_resource.Table(orders)
    rows = [("alice", 1, "open", 30), ("alice", 2, "closed", 10), ("bob", 1, "open", 20),
            ("carol", 7, "open", 99), ("dave", 1, "closed", 1)]
    for c, o, s, t in rows:
        table.put_item(Item={"customer": c, "order": o, "state": s, "total": t})
    table.put_item(Item={"customer": "erin", "order": 1})  # sparse: not in the index
    r = table.query(IndexName="by-state", KeyConditionExpression=Key("state").eq("open"))
    assert [(it["customer"], it["total"]) for it in r["Items"]] == [
        ("bob", 20), ("alice", 30), ("carol", 99)]
    r = table.query(IndexName="by-state",
                    KeyConditionExpression=Key("state").eq("open") & Key("total").lt(50),
                    ScanIndexForward=False)
    assert [it["total"] for it in r["Items"]] == [30, 20]
    assert table.scan(IndexName="by-state")["Count"] == 5


def test_scan_with_filter(ddb_resource, ddb_table):
    name = ddb_table()
    table = ddb_resource.Table(name)
    for i in range(20):
        table.put_item(Item={"pk": "k%02d" % i, "n": i, "kind": "even" if i % 2 == 0 else "odd"})
    r = table.scan(FilterExpression=Attr("kind").eq("odd") & Attr("n").gte(10))
    assert sorted(it["n"] for it in r["Items"]) == [11, 13, 15, 17, 19]
    assert r["Count"] == 5 and r["ScannedCount"] == 20


def test_query_pagination(ddb, ddb_resource, ddb_table):
    name = ddb_table(range_key=("sk", "N"))
    table = ddb_resource.Table(name)
    with table.batch_writer() as bw:
        for i in range(25):
            bw.put_item(Item={"pk": "p", "sk": i, "pad": "x" * 10})
    seen, start, pages = [], None, 0
    while pages < 20:
        kw = dict(KeyConditionExpression=Key("pk").eq("p"), Limit=10)
        if start:
            kw["ExclusiveStartKey"] = start
        r = table.query(**kw)
        pages += 1
        seen += [it["sk"] for it in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
        assert start == {"pk": "p", "sk": seen[-1]}
    assert seen == list(range(25))
    assert pages == 3
    # boto3's paginator over the client API gives the same
    pag = ddb.get_paginator("query")
    got = []
    for page in pag.paginate(TableName=name, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "p"}},
                             PaginationConfig={"PageSize": 7}):
        got += [int(it["sk"]["N"]) for it in page["Items"]]
    assert got == list(range(25))
