"""DynamoDB Query and Scan against AWS behaviour (reference/dynamodb.md §4.7, §8): key
conditions (=, <, <=, >, >=, BETWEEN, begins_with), filters, projections, Select COUNT,
Limit + LastEvaluatedKey paging on tables, GSIs and LSIs, and parallel scans whose
segments are disjoint and complete. Runs in: the pytest process."""

from decimal import Decimal

import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from conftest import ddb_error, ddb_index


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


@pytest.fixture
def events(ddb_resource, ddb_table):
    """pk (S) + sk (S), LSI on `score`, GSI on kind/score (KEYS_ONLY); 30 items."""
    name = ddb_table(range_key=("sk", "S"), extra_attrs=(("score", "N"), ("kind", "S")),
                     lsis=[ddb_index("by-score", "pk", "score")],
                     gsis=[ddb_index("by-kind", "kind", "score", projection="KEYS_ONLY")])
    t = ddb_resource.Table(name)
    with t.batch_writer() as bw:
        for i in range(30):
            bw.put_item(Item={"pk": "user#%d" % (i % 3), "sk": "evt#%03d" % i, "score": 100 - i,
                              "kind": "click" if i % 2 else "view", "payload": "p%d" % i})
    return t


def sks(items):
    return [it["sk"] for it in items]


def test_key_condition_operators(ddb, events):
    q = lambda cond: events.query(KeyConditionExpression=Key("pk").eq("user#0") & cond)
    assert sks(q(Key("sk").eq("evt#003"))["Items"]) == ["evt#003"]
    assert sks(q(Key("sk").lt("evt#006"))["Items"]) == ["evt#000", "evt#003"]
    assert sks(q(Key("sk").lte("evt#006"))["Items"]) == ["evt#000", "evt#003", "evt#006"]
    assert sks(q(Key("sk").gt("evt#024"))["Items"]) == ["evt#027"]
    assert sks(q(Key("sk").gte("evt#024"))["Items"]) == ["evt#024", "evt#027"]
    assert sks(q(Key("sk").between("evt#005", "evt#013"))["Items"]) == [
        "evt#006", "evt#009", "evt#012"]
    assert sks(q(Key("sk").begins_with("evt#01"))["Items"]) == [
        "evt#012", "evt#015", "evt#018"]
    # the raw expression syntax, value on the left
    r = ddb.query(TableName=events.name,
                  KeyConditionExpression=":p = pk AND begins_with(sk, :b)",
                  ExpressionAttributeValues={":p": {"S": "user#1"}, ":b": {"S": "evt#00"}})
    assert [i["sk"]["S"] for i in r["Items"]] == ["evt#001", "evt#004", "evt#007"]


def test_query_filter_projection_and_counts(ddb, events):
    r = ddb.query(TableName=events.name, KeyConditionExpression="pk = :p",
                  FilterExpression="kind = :k AND score > :s",
                  ProjectionExpression="sk, score",
                  ExpressionAttributeValues={":p": {"S": "user#2"}, ":k": {"S": "click"},
                                             ":s": {"N": "80"}})
    assert r["ScannedCount"] == 10
    assert [(i["sk"]["S"], i["score"]["N"]) for i in r["Items"]] == [
        ("evt#005", "95"), ("evt#011", "89"), ("evt#017", "83")]
    assert r["Count"] == 3
    assert all(set(i) == {"sk", "score"} for i in r["Items"])


def test_select_count(ddb, events):
    r = ddb.query(TableName=events.name, KeyConditionExpression="pk = :p", Select="COUNT",
                  FilterExpression="kind = :k",
                  ExpressionAttributeValues={":p": {"S": "user#1"}, ":k": {"S": "view"}})
    assert "Items" not in r
    assert r["Count"] == 5 and r["ScannedCount"] == 10
    r = ddb.scan(TableName=events.name, Select="COUNT")
    assert "Items" not in r and r["Count"] == 30


def test_query_filter_on_key_rejected(ddb, events):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=events.name, KeyConditionExpression="pk = :p",
                  FilterExpression="sk = :s",
                  ExpressionAttributeValues={":p": {"S": "user#1"}, ":s": {"S": "x"}})
    assert ddb_error(e)[:2] == (
        "ValidationException",
        "Filter Expression can only contain non-primary key attributes: "
        "Primary key attribute: sk")


def test_query_missing_partition_key_condition(ddb, events):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=events.name, KeyConditionExpression="sk = :s",
                  ExpressionAttributeValues={":s": {"S": "x"}})
    assert ddb_error(e)[:2] == ("ValidationException",
                                "Query condition missed key schema element: pk")


def test_query_unknown_index(ddb, events):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=events.name, IndexName="nope", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "user#1"}})
    assert ddb_error(e)[:2] == ("ValidationException",
                                "The table does not have the specified index: nope")


def test_query_limit_pagination_table(ddb, events):
    pages, items, start = 0, [], None
    while pages < 20:
        kw = dict(TableName=events.name, KeyConditionExpression="pk = :p", Limit=4,
                  ExpressionAttributeValues={":p": {"S": "user#0"}}, ScanIndexForward=False)
        if start:
            kw["ExclusiveStartKey"] = start
        r = ddb.query(**kw)
        pages += 1
        items += [i["sk"]["S"] for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk"}
    assert items == ["evt#%03d" % i for i in range(27, -1, -3)]
    assert pages == 3


def test_query_limit_equal_to_remaining_still_has_key(ddb, events):
    r = ddb.query(TableName=events.name, KeyConditionExpression="pk = :p", Limit=10,
                  ExpressionAttributeValues={":p": {"S": "user#0"}})
    assert r["Count"] == 10
    assert r["LastEvaluatedKey"] == {"pk": {"S": "user#0"}, "sk": {"S": "evt#027"}}
    r = ddb.query(TableName=events.name, KeyConditionExpression="pk = :p", Limit=10,
                  ExclusiveStartKey=r["LastEvaluatedKey"],
                  ExpressionAttributeValues={":p": {"S": "user#0"}})
    assert r["Count"] == 0 and "LastEvaluatedKey" not in r


def test_limit_with_filter_counts_evaluated(ddb, events):
    r = ddb.query(TableName=events.name, KeyConditionExpression="pk = :p", Limit=3,
                  FilterExpression="payload = :x",
                  ExpressionAttributeValues={":p": {"S": "user#0"}, ":x": {"S": "p3"}})
    assert r["ScannedCount"] == 3 and r["Count"] == 1
    assert r["LastEvaluatedKey"]["sk"] == {"S": "evt#006"}


def test_query_lsi_and_gsi_pagination(ddb, events):
    # LSI: sorted by score within the partition; key = table key + LSI range key
    r = ddb.query(TableName=events.name, IndexName="by-score", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": {"S": "user#0"}}, Limit=2)
    assert [i["score"]["N"] for i in r["Items"]] == ["73", "76"]
    assert set(r["LastEvaluatedKey"]) == {"pk", "sk", "score"}
    # GSI KEYS_ONLY: index key + table key, paginated
    got, start = [], None
    for _ in range(20):
        kw = dict(TableName=events.name, IndexName="by-kind",
                  KeyConditionExpression="kind = :k AND score >= :s", Limit=4,
                  ExpressionAttributeValues={":k": {"S": "view"}, ":s": {"N": "80"}})
        if start:
            kw["ExclusiveStartKey"] = start
        r = ddb.query(**kw)
        got += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"kind", "score", "pk", "sk"}
    assert [int(i["score"]["N"]) for i in got] == list(range(80, 101, 2))
    assert all(set(i) == {"kind", "score", "pk", "sk"} for i in got)


def test_gsi_consistent_read_rejected(ddb, events):
    with pytest.raises(ClientError) as e:
        ddb.query(TableName=events.name, IndexName="by-kind", ConsistentRead=True,
                  KeyConditionExpression="kind = :k",
                  ExpressionAttributeValues={":k": {"S": "view"}})
    assert ddb_error(e)[:2] == ("ValidationException",
                                "Consistent reads are not supported on global secondary indexes")


def test_scan_pagination_complete(ddb, events):
    seen, start = [], None
    for _ in range(40):
        kw = dict(TableName=events.name, Limit=7)
        if start:
            kw["ExclusiveStartKey"] = start
        r = ddb.scan(**kw)
        seen += [(i["pk"]["S"], i["sk"]["S"]) for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert len(seen) == 30 and len(set(seen)) == 30


def test_parallel_scan_disjoint_and_complete(ddb, ddb_resource, ddb_table):
    name = ddb_table()
    t = ddb_resource.Table(name)
    with t.batch_writer() as bw:
        for i in range(200):
            bw.put_item(Item={"pk": "item-%04d" % i, "n": i})
    for total in (1, 2, 4, 7):
        segs = []
        for seg in range(total):
            keys, start = [], None
            for _ in range(50):
                kw = dict(TableName=name, Segment=seg, TotalSegments=total, Limit=25)
                if start:
                    kw["ExclusiveStartKey"] = start
                r = ddb.scan(**kw)
                keys += [i["pk"]["S"] for i in r["Items"]]
                start = r.get("LastEvaluatedKey")
                if not start:
                    break
            segs.append(set(keys))
        union = set().union(*segs)
        assert len(union) == 200 and sum(len(s) for s in segs) == 200, total
        if total >= 4:
            assert sum(1 for s in segs if s) >= 2, "segments not split at all"


def test_parallel_scan_segment_errors(ddb, events):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=events.name, Segment=5, TotalSegments=5)
    assert ddb_error(e)[:2] == (
        "ValidationException",
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
        "Segment: 5 is not less than TotalSegments: 5")
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=events.name, Segment=1)
    assert ddb_error(e)[:2] == (
        "ValidationException",
        "The TotalSegments parameter is required but was not present in the request when "
        "Segment parameter is present")


def test_scan_filter_resource_api(events):
    r = events.scan(FilterExpression=Attr("score").between(90, 95) & Attr("kind").eq("view"))
    assert sorted(int(i["score"]) for i in r["Items"]) == [90, 92, 94]
    assert r["ScannedCount"] == 30


def test_number_sort_key_order(ddb_resource, ddb_table):
    t = ddb_resource.Table(ddb_table(range_key=("n", "N")))
    for v in (10, -5, 2, 100, 0, 3.5):
        t.put_item(Item={"pk": "x", "n": Decimal(str(v))})
    r = t.query(KeyConditionExpression=Key("pk").eq("x"))
    assert [float(i["n"]) for i in r["Items"]] == [-5, 0, 2, 3.5, 10, 100]
