"""POST /_ruststack/reset?account=<12 digits>: everything of one account goes (S3 buckets
with their objects, CORS and tags; DynamoDB tables in every region; Lambda functions, their
warm environments and URL configs; REST APIs, HTTP APIs and custom domain names), every
other account keeps all of its own; the answer lists what was dropped; bad accounts and
methods are refused; the whole-store reset without the parameter is unchanged.
Runs in: the pytest process, against the process-executor server of conftest.py (DynamoDB
on when DynamoDB Local is there)."""

import io
import json
import time
import zipfile

import boto3
import pytest
import requests

A, B = "210987654321", "345678901234"


@pytest.fixture(autouse=True)
def _reset():
    """No whole-store reset (the S3 server of conftest.py is not used here)."""


@pytest.fixture(scope="module")
def srv(lambda_process_server):
    """The server once DynamoDB settled (running, or unavailable without DynamoDB Local):
    while it starts, the reset answers 503 for its tables (retryable)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        h = requests.get(lambda_process_server.endpoint + "/_ruststack/health", timeout=5).json()
        if h["services"]["dynamodb"]["state"] != "starting":
            break
        time.sleep(0.2)
    return lambda_process_server


def has_ddb(srv):
    h = requests.get(srv.endpoint + "/_ruststack/health", timeout=5).json()
    return h["services"]["dynamodb"]["state"] == "running"


def session(account, region="us-east-1"):
    return boto3.session.Session(aws_access_key_id=account, aws_secret_access_key="test",
                                 region_name=region)


def code():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("h.py", "import os\ndef handler(e, c):\n    return os.getpid()\n")
    return buf.getvalue()


def populate(srv, account, regions=("us-east-1",)):
    """Buckets (one with CORS and tags), tables per region, two functions (one warm, one
    with a URL config), a REST API, an HTTP API and a domain name."""
    ep = srv.endpoint
    s = session(account)
    s3 = s.client("s3", endpoint_url=ep)
    for i in range(3):
        b = "rst-%s-%d" % (account, i)
        s3.create_bucket(Bucket=b)
        for k in range(i + 1):
            s3.put_object(Bucket=b, Key="k%d" % k, Body=b"x" * k)
    s3.put_bucket_tagging(Bucket="rst-%s-0" % account,
                          Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    s3.put_bucket_cors(Bucket="rst-%s-0" % account, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    if has_ddb(srv):
        for region in regions:
            ddb = session(account, region).client("dynamodb", endpoint_url=ep)
            for t in ("users", "orders"):
                ddb.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "id",
                                                        "AttributeType": "S"}])
    lam = s.client("lambda", endpoint_url=ep)
    for f in ("one", "two"):
        lam.create_function(FunctionName=f, Runtime="python3.11", Handler="h.handler",
                            Role="arn:aws:iam::%s:role/r" % account, Code={"ZipFile": code()})
    pid = json.loads(lam.invoke(FunctionName="one")["Payload"].read())
    lam.create_function_url_config(FunctionName="two", AuthType="NONE")
    s.client("apigateway", endpoint_url=ep).create_rest_api(name="rest-" + account)
    v2 = s.client("apigatewayv2", endpoint_url=ep)
    v2.create_api(Name="http-" + account, ProtocolType="HTTP")
    v2.create_domain_name(DomainName="d%s.example.com" % account, DomainNameConfigurations=[
        {"CertificateArn": "arn:aws:acm:us-east-1:%s:certificate/x" % account,
         "EndpointType": "REGIONAL"}])
    return pid


def inventory(srv, account, regions=("us-east-1",)):
    ep = srv.endpoint
    s = session(account)
    out = {
        "buckets": sorted(b["Name"] for b in
                          s.client("s3", endpoint_url=ep).list_buckets()["Buckets"]),
        "functions": sorted(f["FunctionName"] for f in
                            s.client("lambda", endpoint_url=ep).list_functions()["Functions"]),
        "rest": [a["name"] for a in
                 s.client("apigateway", endpoint_url=ep).get_rest_apis()["items"]],
        "http": [a["Name"] for a in
                 s.client("apigatewayv2", endpoint_url=ep).get_apis()["Items"]],
        "domains": [d["DomainName"] for d in
                    s.client("apigatewayv2", endpoint_url=ep).get_domain_names()["Items"]],
    }
    if has_ddb(srv):
        out["tables"] = {r: sorted(session(account, r).client(
            "dynamodb", endpoint_url=ep).list_tables()["TableNames"]) for r in regions}
    return out


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_drops_one_account_and_keeps_the_others(srv):
    regions = ("us-east-1", "eu-west-1")
    pid_a = populate(srv, A, regions)
    populate(srv, B, regions)
    before_b = inventory(srv, B, regions)
    assert len(before_b["buckets"]) == 3 and before_b["functions"] == ["one", "two"]

    r = requests.post(srv.endpoint + "/_ruststack/reset?account=" + A, timeout=60)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["reset"] is True and got["account"] == A
    assert sorted(got["s3"]["buckets"]) == ["rst-%s-%d" % (A, i) for i in range(3)]
    assert got["s3"]["objects"] == 6
    assert sorted((f["region"], f["name"]) for f in got["lambda"]["functions"]) == [
        ("us-east-1", "one"), ("us-east-1", "two")]
    assert (got["lambda"]["function_urls"], got["lambda"]["rest_apis"],
            got["lambda"]["http_apis"], got["lambda"]["domain_names"]) == (1, 1, 1, 1)
    if has_ddb(srv):
        assert sorted((t["region"], t["name"]) for t in got["dynamodb"]["tables"]) == sorted(
            (r_, t) for r_ in regions for t in ("users", "orders"))

    after_a = inventory(srv, A, regions)
    assert after_a["buckets"] == [] and after_a["functions"] == []
    assert after_a["rest"] == [] and after_a["http"] == [] and after_a["domains"] == []
    if has_ddb(srv):
        assert after_a["tables"] == {r_: [] for r_ in regions}
    assert inventory(srv, B, regions) == before_b, "another account lost something"

    # the warm environment of A's function was stopped
    deadline = time.monotonic() + 10
    while pid_alive(pid_a) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(pid_a)

    # the old tables are gone from DynamoDB Local itself too (deleted in the background:
    # the account's key moved to a new generation; the old key is "A<account>")
    if has_ddb(srv):
        h = requests.get(srv.endpoint + "/_ruststack/health", timeout=5).json()
        port = int(h["services"]["dynamodb"]["reason"].split("127.0.0.1:")[1].split()[0])
        deadline = time.monotonic() + 20
        left = None
        while time.monotonic() < deadline:
            left = {r_: boto3.client(
                "dynamodb", endpoint_url="http://127.0.0.1:%d" % port, region_name=r_,
                aws_access_key_id="A" + A, aws_secret_access_key="x").list_tables()["TableNames"]
                for r_ in regions}
            if not any(left.values()):
                break
            time.sleep(0.1)
        assert left == {r_: [] for r_ in regions}

    # A can start again with the same names
    assert populate(srv, A) > 0
    again = requests.post(srv.endpoint + "/_ruststack/reset?account=" + A, timeout=60).json()
    assert again["reset"] is True and len(again["s3"]["buckets"]) == 3
    if has_ddb(srv):  # the tables of A's second generation
        assert sorted(t["name"] for t in again["dynamodb"]["tables"]) == ["orders", "users"]
        assert session(A).client("dynamodb", endpoint_url=srv.endpoint).list_tables()[
            "TableNames"] == []
    r = requests.post(srv.endpoint + "/_ruststack/reset?account=" + B, timeout=60)
    assert r.status_code == 200 and r.json()["reset"] is True


def test_empty_account_answers_empty_lists(srv):
    got = requests.post(srv.endpoint + "/_ruststack/reset?account=999999999999",
                        timeout=60).json()
    assert got["reset"] is True
    assert got["s3"] == {"buckets": [], "objects": 0}
    assert got["lambda"]["functions"] == []
    assert got["dynamodb"]["tables"] == []


@pytest.mark.parametrize("query", ["account=", "account=12345678901", "account=1234567890123",
                                   "account=12345678901x", "account=%31%32"])
def test_bad_account_is_400(srv, query):
    r = requests.post(srv.endpoint + "/_ruststack/reset?" + query, timeout=10)
    assert r.status_code == 400
    assert r.json() == {"error": "account must be 12 digits, e.g. ?account=123456789012"}


def test_get_is_405_and_plain_reset_unchanged(srv):
    r = requests.get(srv.endpoint + "/_ruststack/reset?account=123456789012", timeout=10)
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    s3 = session(A).client("s3", endpoint_url=srv.endpoint)
    s3.create_bucket(Bucket="rst-plain-" + A)
    r = requests.post(srv.endpoint + "/_ruststack/reset", timeout=10)
    assert r.status_code == 200 and r.json() == {"reset": True}
    assert s3.list_buckets()["Buckets"] == []


def test_with_data_dir_tables_are_deleted_before_the_answer(tmp_path_factory):
    """With data_dir (DynamoDB Local on disk) no key generation: the tables are deleted in
    DynamoDB Local itself before the reset answers."""
    from conftest import LambdaServer, _stop_checked
    work = tmp_path_factory.mktemp("reset-data-dir")
    srv = LambdaServer(work, "process", extra_conf="data_dir = %s\n" % (work / "data"))
    try:
        srv.start_lambda()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and requests.get(
                srv.endpoint + "/_ruststack/health", timeout=5).json()["services"][
                    "dynamodb"]["state"] == "starting":
            time.sleep(0.2)
        if not has_ddb(srv):
            pytest.skip("no DynamoDB Local here")
        ddb = session(A).client("dynamodb", endpoint_url=srv.endpoint)
        ddb.create_table(TableName="disk", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        got = requests.post(srv.endpoint + "/_ruststack/reset?account=" + A, timeout=60).json()
        assert got["reset"] is True
        assert got["dynamodb"]["tables"] == [{"region": "us-east-1", "name": "disk"}]
        h = requests.get(srv.endpoint + "/_ruststack/health", timeout=5).json()
        port = int(h["services"]["dynamodb"]["reason"].split("127.0.0.1:")[1].split()[0])
        local = boto3.client("dynamodb", endpoint_url="http://127.0.0.1:%d" % port,
                             region_name="us-east-1", aws_access_key_id="A" + A,
                             aws_secret_access_key="x")
        assert local.list_tables()["TableNames"] == []
        assert ddb.list_tables()["TableNames"] == []
    finally:
        rc, _alive = _stop_checked(srv)
        srv.kill()
    assert rc == 0
