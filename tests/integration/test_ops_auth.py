"""A shared instance: signature verification against configured credentials and account
isolation by access key, for S3, DynamoDB and Lambda (auth_verify = on, two accounts).
Runs in: the pytest process."""

import io
import os
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, _stop_checked, ddb_local_dir

KEY_A, SECRET_A, ACCT_A = "AKIAALICE0000000000A", "alice-secret", "111111111111"
KEY_B, SECRET_B, ACCT_B = "AKIABOB00000000000B0", "bob-secret", "222222222222"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    local = ddb_local_dir()
    if not os.path.exists(os.path.join(local, "DynamoDBLocal.jar")):
        pytest.fail("no DynamoDB Local in %s (sh packaging/fetch-dynamodb-local.sh)" % local,
                    pytrace=False)
    srv = Server(tmp_path_factory.mktemp("ruststack-auth"), 2,
                 "auth_verify = on\ncredentials = %s:%s:%s\ncredentials = %s:%s:%s\n"
                 "dynamodb = on\ndynamodb_local_dir = %s\nlambda = on\n"
                 "lambda_executor = process\n"
                 % (KEY_A, SECRET_A, ACCT_A, KEY_B, SECRET_B, ACCT_B, local))
    srv.start()
    import time
    import requests
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        h = requests.get(srv.endpoint + "/_ruststack/health", timeout=5).json()["services"]
        if h["dynamodb"]["state"] == "running" and h["lambda"]["state"] == "running":
            break
        time.sleep(0.2)
    yield srv
    rc, alive = _stop_checked(srv)
    assert rc == 0


def client(srv, service, key, secret):
    return boto3.session.Session().client(
        service, endpoint_url=srv.endpoint, region_name="us-east-1", aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"mode": "standard", "max_attempts": 1}))


def code(srv, e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("h.py", "def handler(e, c):\n    return {'ok': True}\n")
    return buf.getvalue()


@pytest.mark.parametrize("service,call,bad_sig,unknown", [
    ("s3", lambda c: c.list_buckets(), ("SignatureDoesNotMatch", 403), ("InvalidAccessKeyId", 403)),
    ("dynamodb", lambda c: c.list_tables(), ("InvalidSignatureException", 400),
     ("UnrecognizedClientException", 400)),
    ("lambda", lambda c: c.list_functions(), ("InvalidSignatureException", 403),
     ("UnrecognizedClientException", 403)),
])
def test_wrong_secret_and_unknown_key(shared, service, call, bad_sig, unknown):
    call(client(shared, service, KEY_A, SECRET_A))  # the right secret works
    with pytest.raises(ClientError) as e:
        call(client(shared, service, KEY_A, "not-the-secret"))
    assert code(shared, e) == bad_sig
    with pytest.raises(ClientError) as e:
        call(client(shared, service, "AKIANOBODY0000000000", "x"))
    assert code(shared, e) == unknown


def test_accounts_are_isolated(shared):
    s3a, s3b = (client(shared, "s3", KEY_A, SECRET_A), client(shared, "s3", KEY_B, SECRET_B))
    s3a.create_bucket(Bucket="alice-bucket")
    assert [b["Name"] for b in s3a.list_buckets()["Buckets"]] == ["alice-bucket"]
    assert s3b.list_buckets()["Buckets"] == []

    da, db = (client(shared, "dynamodb", KEY_A, SECRET_A),
              client(shared, "dynamodb", KEY_B, SECRET_B))
    da.create_table(TableName="alice-table", BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    assert da.list_tables()["TableNames"] == ["alice-table"]
    assert db.list_tables()["TableNames"] == []
    arn = da.describe_table(TableName="alice-table")["Table"]["TableArn"]
    assert ":%s:" % ACCT_A in arn

    la, lb = (client(shared, "lambda", KEY_A, SECRET_A), client(shared, "lambda", KEY_B, SECRET_B))
    la.create_function(FunctionName="alice-fn", Runtime="python3.12", Handler="h.handler",
                       Role="arn:aws:iam::%s:role/r" % ACCT_A, Code={"ZipFile": zip_bytes()})
    assert [f["FunctionName"] for f in la.list_functions()["Functions"]] == ["alice-fn"]
    assert lb.list_functions()["Functions"] == []
    with pytest.raises(ClientError) as e:
        lb.get_function(FunctionName="alice-fn")
    assert code(shared, e) == ("ResourceNotFoundException", 404)
    fn = la.get_function(FunctionName="alice-fn")["Configuration"]
    assert fn["FunctionArn"] == "arn:aws:lambda:us-east-1:%s:function:alice-fn" % ACCT_A
