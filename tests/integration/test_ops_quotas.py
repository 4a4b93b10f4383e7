"""Per-account quotas of a shared box (quota_s3_objects, quota_s3_bytes,
quota_dynamodb_tables, quota_lambda_functions, quota_lambda_code_bytes): each answered with
the AWS error of the nearest real limit (S3: 403 QuotaExceeded, AWS has no per-account
object quota; DynamoDB: 400 LimitExceededException "Subscriber limit exceeded: ...";
Lambda: 400 CodeStorageExceededException), per account (and region for tables and
functions), released by deletes and by POST /_ruststack/reset?account=; the S3 usage stays
exact when a worker is SIGKILLed between publishing an object and counting it.
Runs in: the pytest process (boto3, the AWS CLI for one case, requests)."""

import io
import os
import subprocess
import time
import zipfile

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import LambdaServer, Server, _stop_checked, children_of

A, B, C, D = "310000000001", "310000000002", "310000000003", "310000000004"
QUOTA_OBJECTS, QUOTA_BYTES = 12, 60000
QUOTA_TABLES, QUOTA_FUNCTIONS = 2, 2
QUOTA_CODE = 20000
CONF = ("quota_s3_objects = %d\nquota_s3_bytes = %d\nquota_dynamodb_tables = %d\n"
        "quota_lambda_functions = %d\nquota_lambda_code_bytes = %d\n" % (
            QUOTA_OBJECTS, QUOTA_BYTES, QUOTA_TABLES, QUOTA_FUNCTIONS, QUOTA_CODE))


@pytest.fixture(autouse=True)
def _reset():
    """No whole-store reset (the S3 server of conftest.py is not used here)."""


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = LambdaServer(tmp_path_factory.mktemp("ruststack-quota"), "process", 2, CONF)
    s.start_lambda()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        h = requests.get(s.endpoint + "/_ruststack/health", timeout=5).json()
        if h["services"]["dynamodb"]["state"] not in ("starting",):
            break
        time.sleep(0.2)
    yield s
    rc, alive = _stop_checked(s)
    assert rc == 0, s.log_tail()
    assert alive == []


def client(srv, svc, account, region="us-east-1"):
    return boto3.client(svc, endpoint_url=srv.endpoint, region_name=region,
                        aws_access_key_id=account, aws_secret_access_key="test",
                        config=Config(retries={"total_max_attempts": 1}, read_timeout=60))


def usage(srv, account):
    r = requests.get(srv.endpoint + "/_ruststack/usage?account=" + account, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()["s3"]


def err(exc_info):
    e = exc_info.value.response
    return e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Code"], e["Error"].get("Message")


def listed(s3, buckets):
    n = size = 0
    for b in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
            for o in page.get("Contents", []):
                n += 1
                size += o["Size"]
    return n, size


def reset(srv, account):
    r = requests.post(srv.endpoint + "/_ruststack/reset?account=" + account, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def has_ddb(srv):
    h = requests.get(srv.endpoint + "/_ruststack/health", timeout=5).json()
    return h["services"]["dynamodb"]["state"] == "running"


def test_s3_object_quota_spans_buckets_and_accounts(srv):
    s3, other = client(srv, "s3", A), client(srv, "s3", B)
    s3.create_bucket(Bucket="qa-one")
    s3.create_bucket(Bucket="qa-two")
    other.create_bucket(Bucket="qb-one")
    for i in range(QUOTA_OBJECTS):
        s3.put_object(Bucket="qa-one" if i % 2 else "qa-two", Key="k%d" % i, Body=b"x" * 10)
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket="qa-one", Key="one-more", Body=b"x")
    st, code, msg = err(ei)
    assert (st, code) == (403, "QuotaExceeded") and "quota_s3_objects" in msg, msg
    # an overwrite adds no object; bucket configuration is not an object
    s3.put_object(Bucket="qa-one", Key="k1", Body=b"y" * 20)
    s3.put_bucket_tagging(Bucket="qa-one", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    # CopyObject to a new key is refused too; another account has its own quota
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket="qa-two", Key="copy", CopySource={"Bucket": "qa-one", "Key": "k1"})
    assert err(ei)[:2] == (403, "QuotaExceeded")
    other.put_object(Bucket="qb-one", Key="fine", Body=b"z")
    u = usage(srv, A)
    assert (u["objects"], u["bytes"]) == listed(s3, ["qa-one", "qa-two"])
    assert u["objects"] == QUOTA_OBJECTS and u["quota_objects"] == QUOTA_OBJECTS
    s3.delete_object(Bucket="qa-one", Key="k1")
    s3.put_object(Bucket="qa-one", Key="one-more", Body=b"x")  # a delete released one
    reset(srv, A)
    reset(srv, B)


def test_s3_byte_quota_put_and_multipart_and_cli(srv):
    s3 = client(srv, "s3", C)
    s3.create_bucket(Bucket="qc-b")
    s3.put_object(Bucket="qc-b", Key="big", Body=b"b" * (QUOTA_BYTES - 1000))
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket="qc-b", Key="more", Body=b"m" * 1001)
    assert err(ei)[:2] == (403, "QuotaExceeded")
    s3.put_object(Bucket="qc-b", Key="more", Body=b"m" * 1000)  # exactly at the quota
    # a multipart Complete that would pass the quota is refused; the upload stays open
    s3.delete_object(Bucket="qc-b", Key="more")
    up = s3.create_multipart_upload(Bucket="qc-b", Key="mpu")["UploadId"]
    p1 = s3.upload_part(Bucket="qc-b", Key="mpu", UploadId=up, PartNumber=1, Body=b"p" * 2000)
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket="qc-b", Key="mpu", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}]})
    assert err(ei)[:2] == (403, "QuotaExceeded")
    s3.delete_object(Bucket="qc-b", Key="big")
    s3.complete_multipart_upload(Bucket="qc-b", Key="mpu", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p1["ETag"]}]})
    assert usage(srv, C)["bytes"] == 2000
    r = requests.get(srv.endpoint + "/_ruststack/check", timeout=10)
    assert r.status_code == 200, r.text  # the refused Complete left nothing behind
    # the AWS CLI sees the same error
    big = "/tmp/rs-quota-%d.bin" % os.getpid()
    with open(big, "wb") as f:
        f.write(b"c" * QUOTA_BYTES)
    try:
        env = dict(os.environ, AWS_ACCESS_KEY_ID=C, AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
        r = subprocess.run(["aws", "--endpoint-url", srv.endpoint, "s3api", "put-object",
                            "--bucket", "qc-b", "--key", "cli", "--body", big], env=env,
                           capture_output=True, text=True, timeout=120)
    finally:
        os.unlink(big)
    assert r.returncode != 0
    assert "QuotaExceeded" in r.stderr and "PutObject" in r.stderr, r.stderr
    # the account reset releases the usage
    got = reset(srv, C)
    assert got["s3"]["buckets"] == ["qc-b"]
    assert usage(srv, C)["bytes"] == 0 and usage(srv, C)["objects"] == 0
    s3.create_bucket(Bucket="qc-b")
    s3.put_object(Bucket="qc-b", Key="big", Body=b"b" * QUOTA_BYTES)
    reset(srv, C)


def test_dynamodb_table_quota(srv):
    if not has_ddb(srv):
        pytest.skip("DynamoDB Local is not available here")
    ddb = client(srv, "dynamodb", D)

    def create(c, name):
        c.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])

    for i in range(QUOTA_TABLES):
        create(ddb, "tab%d" % i)
    with pytest.raises(ClientError) as ei:
        create(ddb, "t-extra")
    assert err(ei) == (400, "LimitExceededException",
                       "Subscriber limit exceeded: There is a limit of %d tables per subscriber"
                       % QUOTA_TABLES)
    create(client(srv, "dynamodb", D, "eu-west-1"), "t-extra")  # another region
    create(client(srv, "dynamodb", A), "t-extra")  # another account
    ddb.delete_table(TableName="tab0")
    create(ddb, "t-extra")  # a delete released one
    got = reset(srv, D)
    assert len(got["dynamodb"]["tables"]) == QUOTA_TABLES + 1
    for i in range(QUOTA_TABLES):  # the reset released them all
        create(ddb, "again%d" % i)
    reset(srv, D)
    reset(srv, A)


def zipped(pad=0):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("h.py", "def handler(e, c):\n    return 1\n")
        if pad:
            z.writestr("pad.bin", os.urandom(pad))
    return buf.getvalue()


def test_lambda_function_quota(srv):
    lam = client(srv, "lambda", A)

    def create(c, name):
        c.create_function(FunctionName=name, Runtime="python3.11", Handler="h.handler",
                          Role="arn:aws:iam::%s:role/r" % A, Code={"ZipFile": zipped()})

    for i in range(QUOTA_FUNCTIONS):
        create(lam, "f%d" % i)
    with pytest.raises(ClientError) as ei:
        create(lam, "f-extra")
    st, code, msg = err(ei)
    assert (st, code) == (400, "CodeStorageExceededException"), (st, code)
    assert "quota_lambda_functions" in msg, msg
    create(client(srv, "lambda", A, "eu-west-1"), "f-extra")  # another region
    create(client(srv, "lambda", B), "f-extra")  # another account
    lam.delete_function(FunctionName="f0")
    create(lam, "f-extra")
    got = reset(srv, A)
    assert len(got["lambda"]["functions"]) == QUOTA_FUNCTIONS + 1
    for i in range(QUOTA_FUNCTIONS):
        create(lam, "g%d" % i)
    reset(srv, A)
    reset(srv, B)


def test_usage_endpoint_refuses_bad_accounts(srv):
    for q in ("", "?account=12", "?account=abcdefghijkl"):
        r = requests.get(srv.endpoint + "/_ruststack/usage" + q, timeout=5)
        assert r.status_code == 400, (q, r.text)


def wait_for(pred, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


@pytest.mark.parametrize("point", ["PUT_PUBLISHED", "DEL_UNHASHED"])
def test_usage_exact_after_worker_sigkill(tmp_path, monkeypatch, point):
    """A worker hangs between the linearisation point and its counter update (it holds the
    shard lock); the watchdog SIGKILLs it; the successor repairs the shard and the usage is
    recounted: it equals what the listing shows."""
    once = tmp_path / "hang-once"
    once.write_text("")
    monkeypatch.setenv("RS_TEST_HANG_AT", point)
    monkeypatch.setenv("RS_TEST_HANG_ONCE", str(once))
    s = Server(tmp_path, 1, "watchdog_worker = 1\ndynamodb = off\nlambda = off\n"
               "quota_s3_objects = 100\n")
    s.start()
    try:
        s3 = boto3.client("s3", endpoint_url=s.endpoint, region_name="us-east-1",
                          aws_access_key_id=A, aws_secret_access_key="test",
                          config=Config(retries={"total_max_attempts": 1}, read_timeout=8))
        s3.create_bucket(Bucket="qk-b")
        hung = requests.get(s.endpoint + "/_ruststack/info", timeout=5).json()["worker_pid"]
        if point == "PUT_PUBLISHED":
            with pytest.raises(Exception):
                s3.put_object(Bucket="qk-b", Key="victim", Body=b"v" * 777)
        else:
            # a PUT never reaches DEL_UNHASHED: it passes, the DELETE hangs
            s3.put_object(Bucket="qk-b", Key="victim", Body=b"v" * 777)
            with pytest.raises(Exception):
                s3.delete_object(Bucket="qk-b", Key="victim")
        assert wait_for(lambda: hung not in children_of(s.proc.pid), 6), s.log_tail()
        for i in range(10):
            s3.put_object(Bucket="qk-b", Key="k%d" % i, Body=b"x" * (i + 1))
        want = listed(s3, ["qk-b"])
        assert want[0] == (11 if point == "PUT_PUBLISHED" else 10), want
        got = wait_for(lambda: (lambda u: (u["objects"], u["bytes"]))(usage(s, A)) == want, 5)
        assert got, (usage(s, A), want)
        r = requests.get(s.endpoint + "/_ruststack/check", timeout=10)
        assert r.status_code == 200, r.text
    finally:
        rc, alive = _stop_checked(s)
        assert rc == 0, s.log_tail()


def test_lambda_code_storage_quota(srv):
    lam = client(srv, "lambda", C)
    role = "arn:aws:iam::%s:role/r" % C
    big = zipped(QUOTA_CODE * 6 // 10)
    lam.create_function(FunctionName="code1", Runtime="python3.11", Handler="h.handler",
                        Role=role, Code={"ZipFile": big})
    with pytest.raises(ClientError) as ei:
        lam.create_function(FunctionName="code2", Runtime="python3.11", Handler="h.handler",
                            Role=role, Code={"ZipFile": big})
    st, code, msg = err(ei)
    assert (st, code) == (400, "CodeStorageExceededException") and "quota_lambda_code_bytes" in msg
    small = zipped()
    lam.create_function(FunctionName="code2", Runtime="python3.11", Handler="h.handler",
                        Role=role, Code={"ZipFile": small})
    # new code that grows past the quota is refused; the function keeps its code
    with pytest.raises(ClientError) as ei:
        lam.update_function_code(FunctionName="code2", ZipFile=big)
    assert err(ei)[:2] == (400, "CodeStorageExceededException")
    assert lam.get_function(FunctionName="code2")["Configuration"]["CodeSize"] == len(small)
    lam.update_function_code(FunctionName="code1", ZipFile=small)  # shrinking passes
    lam.update_function_code(FunctionName="code2", ZipFile=big)  # and frees room
    reset(srv, C)
