"""DynamoDB wire protocol through ruststack (reference/dynamodb.md §1): x-amzn-RequestId on
every answer, x-amz-crc32 absent or equal to the CRC32 of the raw body, the JSON 1.0
content type, `{}` for a write with nothing to return, UnknownOperationException for an
unknown target, SerializationException for a body that is not JSON, the error envelope
(`__type` namespace, lowercase `message`), and many requests in flight at once.
Runs in: the pytest process."""

import json
import threading

import pytest

from conftest import crc32_ok, make_ddb_client


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: DynamoDB tables have unique names and are dropped."""


def check_envelope(r):
    assert r.headers.get("x-amzn-RequestId"), "no x-amzn-RequestId: %r" % dict(r.headers)
    assert crc32_ok(r), "x-amz-crc32 %r does not match the body" % r.headers.get("x-amz-crc32")
    assert r.headers.get("Content-Type", "").startswith("application/x-amz-json-1.0")


def test_request_id_and_crc32_on_success(ddb_raw, ddb_table):
    name = ddb_table()
    r = ddb_raw("DescribeTable", {"TableName": name})
    assert r.status_code == 200
    check_envelope(r)
    assert json.loads(r.content)["Table"]["TableName"] == name
    r = ddb_raw("PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "v": {"S": "é" * 50}}})
    assert r.status_code == 200
    check_envelope(r)
    assert json.loads(r.content) == {}  # an object, never an empty body
    r = ddb_raw("GetItem", {"TableName": name, "Key": {"pk": {"S": "a"}}})
    check_envelope(r)
    assert json.loads(r.content)["Item"]["v"] == {"S": "é" * 50}
    ids = {ddb_raw("ListTables", {}).headers["x-amzn-RequestId"] for _ in range(5)}
    assert len(ids) == 5, "request ids repeat"


def test_request_id_and_crc32_on_errors(ddb_raw):
    r = ddb_raw("DescribeTable", {"TableName": "no-such-table"})
    assert r.status_code == 400
    check_envelope(r)
    body = json.loads(r.content)
    assert body["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    assert body["message"] == "Requested resource not found: Table: no-such-table not found"


def test_unknown_operation(ddb_raw):
    r = ddb_raw("FlyToTheMoon", {})
    assert r.status_code == 400
    check_envelope(r)
    body = json.loads(r.content)
    assert body["__type"] == "com.amazon.coral.service#UnknownOperationException"


def test_invalid_json_is_serialization_exception(ddb_raw):
    r = ddb_raw("ListTables", b"{this is not json")
    assert r.status_code == 400
    check_envelope(r)
    body = json.loads(r.content)
    assert body["__type"] == "com.amazon.coral.service#SerializationException"


def test_number_as_json_number_is_serialization_exception(ddb_raw, ddb_table):
    name = ddb_table()
    r = ddb_raw("PutItem", {"TableName": name, "Item": {"pk": {"S": "a"}, "n": {"N": 5}}})
    assert r.status_code == 400
    check_envelope(r)
    assert json.loads(r.content)["__type"].endswith("#SerializationException")


def test_application_json_content_type_accepted(ddb_raw):
    r = ddb_raw("ListTables", {}, content_type="application/json")
    assert r.status_code == 200
    assert "TableNames" in json.loads(r.content)


def test_botocore_accepts_every_crc(ddb_endpoint, ddb_table):
    """A wrong x-amz-crc32 makes botocore retry (standard mode checks it): with retries
    allowed, a clean server never needs them."""
    name = ddb_table()
    client = make_ddb_client(ddb_endpoint, retries={"mode": "standard", "max_attempts": 3})
    big = {"pk": {"S": "big"}, "blob": {"S": "z" * 100000}}
    client.put_item(TableName=name, Item=big)
    r = client.get_item(TableName=name, Key={"pk": {"S": "big"}})
    assert r["Item"] == big
    assert r["ResponseMetadata"]["RetryAttempts"] == 0


def test_many_requests_in_flight(ddb_endpoint, ddb_table):
    name = ddb_table()
    errors, done = [], []

    def worker(n):
        c = make_ddb_client(ddb_endpoint)
        try:
            for i in range(25):
                c.put_item(TableName=name, Item={"pk": {"S": "w%d-%d" % (n, i)}})
                got = c.get_item(TableName=name, Key={"pk": {"S": "w%d-%d" % (n, i)}})
                assert got["Item"]["pk"]["S"] == "w%d-%d" % (n, i)
            done.append(n)
        except Exception as e:  # collected and reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    assert len(done) == 16
    c = make_ddb_client(ddb_endpoint)
    assert c.scan(TableName=name, Select="COUNT")["Count"] == 400


def test_large_items_and_one_megabyte_pages(ddb, ddb_table):
    """Big requests and answers cross the worker/supervisor hand-off intact; a Scan page
    stops at about 1 MB of data with a LastEvaluatedKey."""
    name = ddb_table()
    blobs = {}
    for i in range(12):
        v = ("%02d" % i) * 150000  # 300,000 bytes
        blobs["big-%02d" % i] = v
        ddb.put_item(TableName=name, Item={"pk": {"S": "big-%02d" % i}, "v": {"S": v}})
    got, pages, start = {}, 0, None
    for _ in range(30):
        kw = {"TableName": name}
        if start:
            kw["ExclusiveStartKey"] = start
        r = ddb.scan(**kw)
        pages += 1
        assert len(r["Items"]) <= 4, "a page holds more than ~1 MB"
        for it in r["Items"]:
            got[it["pk"]["S"]] = it["v"]["S"]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert got == blobs
    assert pages >= 3
    r = ddb.batch_get_item(RequestItems={name: {"Keys": [{"pk": {"S": k}} for k in blobs]}})
    n = len(r["Responses"][name]) + len(r.get("UnprocessedKeys", {}).get(name, {})
                                         .get("Keys", []))
    assert n == 12
    for it in r["Responses"][name]:
        assert it["v"]["S"] == blobs[it["pk"]["S"]]
