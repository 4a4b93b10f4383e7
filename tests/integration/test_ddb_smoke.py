"""DynamoDB smoke test of the ddb supervisor (helper ddb-super): ruststack with the fetched
DynamoDB Local does CreateTable/PutItem/GetItem through boto3; ARNs carry the request's
region and account; regions do not see each other's tables; the hand-off socket is 0600;
x-amz-crc32 matches the body; and without Java or the jar (or with dynamodb = off) the
server still starts, health says why and requests get a clear non-retryable error.
Runs in: the pytest process."""

import binascii
import os
import stat
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import DdbServer, make_ddb_client, wait_ddb_state, _stop_checked


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: nothing to reset for these tests."""


def _name():
    return "smoke-" + uuid.uuid4().hex[:12]


def _key_table(client, name):
    return client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])


def test_create_put_get(ddb_server, ddb):
    name = _name()
    r = _key_table(ddb, name)
    desc = r["TableDescription"]
    assert desc["TableArn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/" + name
    assert desc["TableStatus"] == "CREATING"  # as DynamoDB answers CreateTable
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1,
                                                                       "MaxAttempts": 5})
    try:
        ddb.put_item(TableName=name, Item={"pk": {"S": "k1"}, "n": {"N": "7"}})
        got = ddb.get_item(TableName=name, Key={"pk": {"S": "k1"}})
        assert got["Item"] == {"pk": {"S": "k1"}, "n": {"N": "7"}}
        hdrs = got["ResponseMetadata"]["HTTPHeaders"]
        assert hdrs["content-type"] == "application/x-amz-json-1.0"
        assert hdrs["x-amzn-requestid"]
        d = ddb.describe_table(TableName=name)["Table"]
        assert d["TableStatus"] == "ACTIVE"
        assert ":ddblocal:" not in d["TableArn"]
    finally:
        out = ddb.delete_table(TableName=name)["TableDescription"]
    assert out["TableStatus"] == "DELETING"
    assert "KeySchema" not in out and "AttributeDefinitions" not in out


def test_regions_are_separate(ddb_server):
    east = make_ddb_client(ddb_server.endpoint, region="us-east-1")
    west = make_ddb_client(ddb_server.endpoint, region="eu-west-1")
    name = _name()
    r = _key_table(west, name)
    try:
        assert r["TableDescription"]["TableArn"].startswith("arn:aws:dynamodb:eu-west-1:")
        assert name in west.list_tables()["TableNames"]
        assert name not in east.list_tables()["TableNames"]
        with pytest.raises(ClientError) as e:
            east.describe_table(TableName=name)
        assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert e.value.response["Error"]["Message"] == (
            "Requested resource not found: Table: %s not found" % name)
    finally:
        west.delete_table(TableName=name)


def test_crc32_and_error_shape(ddb_server):
    body = b'{"TableName": "smoke-missing-table", "Key": {"pk": {"S": "x"}}}'
    r = requests.post(ddb_server.endpoint + "/", data=body, headers={
        "X-Amz-Target": "DynamoDB_20120810.GetItem",
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/"
                         "aws4_request, SignedHeaders=host, Signature=00"}, timeout=30)
    assert r.status_code == 400
    assert r.json() == {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
                        "message": "Requested resource not found"}
    if "x-amz-crc32" in r.headers:
        assert int(r.headers["x-amz-crc32"]) == binascii.crc32(r.content) & 0xffffffff


def test_socket_is_private(ddb_server):
    if getattr(ddb_server, "external", False):
        pytest.skip("external endpoint")
    path = "/tmp/ruststack-%d/ddb.sock" % ddb_server.port
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600


def _start_without(tmp_path, extra, states):
    srv = DdbServer(tmp_path, extra_conf=extra)
    srv.start_ddb(states=states, timeout=20)
    return srv


def test_missing_java_is_unavailable(tmp_path):
    srv = _start_without(tmp_path, "java = /nonexistent/bin/java\n", ("unavailable",))
    try:
        h = wait_ddb_state(srv.endpoint, ("unavailable",), 5)
        assert h["state"] == "unavailable"
        assert "openjdk-17-jre-headless" in h["reason"]
        c = make_ddb_client(srv.endpoint)
        with pytest.raises(ClientError) as e:
            c.list_tables()
        resp = e.value.response
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert "openjdk-17-jre-headless" in resp["Error"]["Message"]
        # S3 still works on the same server
        assert requests.get(srv.endpoint + "/_ruststack/health", timeout=5).status_code == 200
    finally:
        rc, alive = _stop_checked(srv)
    assert rc == 0 and not alive


def test_missing_jar_is_unavailable(tmp_path):
    empty = tmp_path / "no-jar-here"
    empty.mkdir()
    srv = DdbServer(tmp_path, local_dir=str(empty))
    srv.start_ddb(states=("unavailable",), timeout=20)
    try:
        h = wait_ddb_state(srv.endpoint, ("unavailable",), 5)
        assert "DynamoDBLocal.jar" in h["reason"]
        assert "fetch-dynamodb-local.sh" in h["reason"]
    finally:
        rc, alive = _stop_checked(srv)
    assert rc == 0 and not alive


def test_switched_off_is_disabled(tmp_path):
    srv = DdbServer(tmp_path, extra_conf="dynamodb = off\n")
    srv.start_ddb(states=("disabled",), timeout=20)
    try:
        assert not os.path.exists("/tmp/ruststack-%d/ddb.sock" % srv.port)
        with pytest.raises(ClientError) as e:
            make_ddb_client(srv.endpoint).list_tables()
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    finally:
        rc, alive = _stop_checked(srv)
    assert rc == 0 and not alive
