"""DynamoDB BatchGetItem / BatchWriteItem and boto3's Table.batch_writer against AWS
behaviour (reference/dynamodb.md §4.8, §8.1, §10). Runs in: the pytest process."""

import pytest
from botocore.exceptions import ClientError

from conftest import ddb_error


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


def S(v):
    return {"S": v}


def test_batch_write_and_get_two_tables(ddb, ddb_table):
    a = ddb_table()
    b = ddb_table(hash_key=("id", "N"))
    r = ddb.batch_write_item(RequestItems={
        a: [{"PutRequest": {"Item": {"pk": S("k%d" % i), "v": {"N": str(i)}}}} for i in range(20)],
        b: [{"PutRequest": {"Item": {"id": {"N": str(i)}}}} for i in range(5)],
    })
    assert r["UnprocessedItems"] == {}
    r = ddb.batch_get_item(RequestItems={
        a: {"Keys": [{"pk": S("k1")}, {"pk": S("k19")}, {"pk": S("absent")}],
            "ProjectionExpression": "v"},
        b: {"Keys": [{"id": {"N": "3"}}], "ConsistentRead": True},
    })
    assert r["UnprocessedKeys"] == {}
    assert sorted(i["v"]["N"] for i in r["Responses"][a]) == ["1", "19"]
    assert all(set(i) == {"v"} for i in r["Responses"][a])
    assert r["Responses"][b] == [{"id": {"N": "3"}}]
    # deletes and puts mixed
    r = ddb.batch_write_item(RequestItems={a: [
        {"DeleteRequest": {"Key": {"pk": S("k1")}}},
        {"PutRequest": {"Item": {"pk": S("k1000")}}}]})
    assert r["UnprocessedItems"] == {}
    assert "Item" not in ddb.get_item(TableName=a, Key={"pk": S("k1")})
    assert "Item" in ddb.get_item(TableName=a, Key={"pk": S("k1000")})


def test_batch_get_table_with_no_hits_has_empty_list(ddb, ddb_table):
    a = ddb_table()
    r = ddb.batch_get_item(RequestItems={a: {"Keys": [{"pk": S("none")}]}})
    assert r["Responses"] == {a: []}
    assert r["UnprocessedKeys"] == {}


def test_batch_write_duplicate_keys(ddb, ddb_table):
    a = ddb_table()
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={a: [
            {"PutRequest": {"Item": {"pk": S("x")}}},
            {"DeleteRequest": {"Key": {"pk": S("x")}}}]})
    assert ddb_error(e)[:2] == ("ValidationException",
                                "Provided list of item keys contains duplicates")
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={a: {"Keys": [{"pk": S("x")}, {"pk": S("x")}]}})
    assert ddb_error(e)[:2] == ("ValidationException",
                                "Provided list of item keys contains duplicates")


def test_batch_write_one_bad_request_rejects_all(ddb, ddb_table):
    a = ddb_table()
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={a: [
            {"PutRequest": {"Item": {"pk": S("good")}}},
            {"PutRequest": {"Item": {"pk": {"N": "1"}}}}]})
    assert ddb_error(e)[:2] == ("ValidationException",
                                "The provided key element does not match the schema")
    assert "Item" not in ddb.get_item(TableName=a, Key={"pk": S("good")})


def test_batch_write_too_many(ddb, ddb_table):
    a = ddb_table()
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={a: [
            {"PutRequest": {"Item": {"pk": S("k%d" % i)}}} for i in range(26)]})
    code, msg, _ = ddb_error(e)
    assert code == "ValidationException"
    assert msg.startswith("1 validation error detected: Value '{%s=[" % a)
    assert msg.endswith("at 'requestItems' failed to satisfy constraint: Map value must satisfy "
                        "constraint: [Member must have length less than or equal to 25, "
                        "Member must have length greater than or equal to 1]")


def test_batch_empty_request_items(ddb):
    with pytest.raises(ClientError) as e:
        ddb.batch_write_item(RequestItems={})
    assert ddb_error(e)[:2] == ("ValidationException",
                                "The requestItems parameter is required for BatchWriteItem")
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={})
    assert ddb_error(e)[:2] == ("ValidationException",
                                "The requestItems parameter is required for BatchGetItem")


def test_batch_writer_resource(ddb_resource, ddb_table):
    t = ddb_resource.Table(ddb_table(range_key=("sk", "N")))
    with t.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as bw:
        for i in range(60):
            bw.put_item(Item={"pk": "p%d" % (i % 2), "sk": i % 30, "data": "v%d" % i})
        bw.delete_item(Key={"pk": "p0", "sk": 0})
    r = t.scan()
    items = r["Items"]
    while "LastEvaluatedKey" in r:
        r = t.scan(ExclusiveStartKey=r["LastEvaluatedKey"])
        items += r["Items"]
    assert len(items) == 29
    got = {(i["pk"], int(i["sk"])): i["data"] for i in items}
    assert got[("p1", 1)] == "v31"  # the later put won
    assert ("p0", 0) not in got


def test_batch_get_100_keys(ddb, ddb_resource, ddb_table):
    name = ddb_table()
    t = ddb_resource.Table(name)
    with t.batch_writer() as bw:
        for i in range(100):
            bw.put_item(Item={"pk": "k%03d" % i, "blob": "x" * 100})
    keys = [{"pk": S("k%03d" % i)} for i in range(100)]
    got, todo = [], {name: {"Keys": keys}}
    for _ in range(10):
        r = ddb.batch_get_item(RequestItems=todo)
        got += r["Responses"].get(name, [])
        todo = r["UnprocessedKeys"]
        if not todo:
            break
    assert len(got) == 100
    with pytest.raises(ClientError) as e:
        ddb.batch_get_item(RequestItems={name: {"Keys": keys + [{"pk": S("k100")}]}})
    assert ddb_error(e)[:2] == (
        "ValidationException",
        "1 validation error detected: Value at 'RequestItems.%s.member.Keys' failed to satisfy "
        "constraint: Member must have length less than or equal to 100" % name)
