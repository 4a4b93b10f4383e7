"""The plugin's own tests: inner pytest sessions (pytester, in subprocesses so the plugin
loads from its entry point and pytest-xdist can run) against a shared RustStack
(RUSTSTACK_ENDPOINT) or one the plugin starts itself, then checks from outside with the
inner tests' own credentials: isolation of buckets, tables and functions between tests
(also under -n 4), the account reset at teardown, module/session sharing, the environment
for code that builds its own clients, and the errors when no RustStack can be had.
Runs in: the pytest process."""

import json
import os
import socket
import urllib.parse

import boto3
import pytest

from conftest import binary, server_conf

ZIP_CODE = """
import io, zipfile
def zip_code(src):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("h.py", src)
    return b.getvalue()
"""


def clients(endpoint, account):
    s = boto3.session.Session(aws_access_key_id=account, aws_secret_access_key="test",
                              region_name="us-east-1")
    return (s.client("s3", endpoint_url=endpoint), s.client("dynamodb", endpoint_url=endpoint),
            s.client("lambda", endpoint_url=endpoint))


def assert_empty(endpoint, account):
    s3, ddb, lam = clients(endpoint, account)
    assert s3.list_buckets()["Buckets"] == []
    assert ddb.list_tables()["TableNames"] == []
    assert lam.list_functions()["Functions"] == []


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def run_inner(pytester, *args):
    # -p no:cacheprovider: the inner runs write nothing next to the tests
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=600)


ISOLATION_TESTS = ZIP_CODE + r'''
import json, os, time, boto3, pytest

OUT = os.environ["RS_TEST_OUT"]

def note(ruststack, **kw):
    kw.update(account=ruststack.account_id, endpoint=ruststack.endpoint,
              worker=os.environ.get("PYTEST_XDIST_WORKER", "main"))
    with open(OUT, "a") as f:
        f.write(json.dumps(kw) + "\n")

@pytest.mark.parametrize("i", range(8))
def test_isolated(i, ruststack, s3, dynamodb, lambda_client, dynamodb_resource):
    note(ruststack, i=i)
    # the same table and function names in every test: they never clash
    bucket = "iso-%s" % ruststack.account_id
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"%d" % i)
    dynamodb.create_table(TableName="items", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    dynamodb_resource.Table("items").put_item(Item={"id": "x", "i": i})
    lambda_client.create_function(
        FunctionName="fn", Runtime="python3.11", Role="arn:aws:iam::%s:role/r" % ruststack.account_id,
        Handler="h.handler", Code={"ZipFile": zip_code("def handler(e, c):\n    return %d\n" % i)})
    for _ in range(3):  # while the other tests run
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [bucket]
        assert dynamodb.list_tables()["TableNames"] == ["items"]
        assert int(dynamodb_resource.Table("items").get_item(Key={"id": "x"})["Item"]["i"]) == i
        assert [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]] == ["fn"]
        time.sleep(0.05)
    # code that builds its own clients reaches the same account
    own = boto3.client("s3")
    assert [b["Name"] for b in own.list_buckets()["Buckets"]] == [bucket]
    assert os.environ["AWS_ENDPOINT_URL"] == ruststack.endpoint
'''


def check_isolation(out, n_workers):
    recs = records(out)
    assert len(recs) == 8
    accounts = {r["account"] for r in recs}
    assert len(accounts) == 8, "every test has its own account"
    endpoints = {r["endpoint"] for r in recs}
    assert len(endpoints) == 1, "one server for every test (and xdist worker)"
    if n_workers > 1:
        assert len({r["worker"] for r in recs}) > 1, recs
    for a in accounts:  # each test's teardown dropped its account
        assert_empty(recs[0]["endpoint"], a)


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "n4"])
def test_isolation_between_tests(pytester, clean_env, shared_server, tmp_path, xdist):
    out = tmp_path / "records.jsonl"
    clean_env.setenv("RUSTSTACK_ENDPOINT", shared_server.endpoint)
    clean_env.setenv("RS_TEST_OUT", str(out))
    pytester.makepyfile(test_iso=ISOLATION_TESTS)
    args = ["-n", "4"] if xdist else []
    res = run_inner(pytester, *args)
    res.assert_outcomes(passed=8)
    check_isolation(str(out), 4 if xdist else 1)


def test_env_restored_and_reset_answer(pytester, clean_env, shared_server, tmp_path):
    """The environment is the test's only during the test; reset() reports what it dropped."""
    clean_env.setenv("RUSTSTACK_ENDPOINT", shared_server.endpoint)
    clean_env.setenv("AWS_ENDPOINT_URL", "http://outer.invalid")
    pytester.makepyfile(test_env=r'''
import os

def test_sets(ruststack, s3):
    assert os.environ["AWS_ENDPOINT_URL"] == ruststack.endpoint
    assert os.environ["AWS_ACCESS_KEY_ID"] == ruststack.access_key_id == ruststack.account_id
    assert len(ruststack.account_id) == 12 and ruststack.account_id.isdigit()
    assert os.environ["AWS_DEFAULT_REGION"] == ruststack.region == "us-east-1"
    s3.create_bucket(Bucket="rs-%s-a" % ruststack.account_id)
    s3.create_bucket(Bucket="rs-%s-b" % ruststack.account_id)
    s3.put_object(Bucket="rs-%s-a" % ruststack.account_id, Key="k", Body=b"1")
    got = ruststack.reset()
    assert got["reset"] is True and got["account"] == ruststack.account_id
    assert sorted(got["s3"]["buckets"]) == ["rs-%s-a" % ruststack.account_id,
                                            "rs-%s-b" % ruststack.account_id]
    assert got["s3"]["objects"] == 1
    assert s3.list_buckets()["Buckets"] == []

def test_after():
    assert os.environ["AWS_ENDPOINT_URL"] == "http://outer.invalid"
''')
    res = run_inner(pytester)
    res.assert_outcomes(passed=2)


SHARING_TESTS = r'''
import json, os, pytest

def note(ruststack, name):
    with open(os.environ["RS_TEST_OUT"], "a") as f:
        f.write(json.dumps({"test": name, "account": ruststack.account_id,
                            "endpoint": ruststack.endpoint}) + "\n")

def test_one(ruststack, s3):
    note(ruststack, "one")
    s3.create_bucket(Bucket="shared-%s" % ruststack.account_id)

def test_two(ruststack, s3):
    note(ruststack, "two")
    # set up by test_one in the same account
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["shared-%s" % ruststack.account_id]
'''


def test_module_isolation_by_marker(pytester, clean_env, shared_server, tmp_path):
    out = tmp_path / "records.jsonl"
    clean_env.setenv("RUSTSTACK_ENDPOINT", shared_server.endpoint)
    clean_env.setenv("RS_TEST_OUT", str(out))
    pytester.makepyfile(
        test_mod_a="import pytest\npytestmark = pytest.mark.ruststack(isolation='module')\n"
        + SHARING_TESTS,
        test_mod_b="import pytest\npytestmark = pytest.mark.ruststack(isolation='module')\n"
        + SHARING_TESTS)
    res = run_inner(pytester)
    res.assert_outcomes(passed=4)
    recs = records(str(out))
    assert len(recs) == 4
    assert recs[0]["account"] == recs[1]["account"]
    assert recs[2]["account"] == recs[3]["account"]
    assert recs[0]["account"] != recs[2]["account"], "one account per module"
    for r in recs:  # dropped after the module's last test
        assert_empty(shared_server.endpoint, r["account"])


def test_session_isolation_by_option(pytester, clean_env, shared_server, tmp_path):
    out = tmp_path / "records.jsonl"
    clean_env.setenv("RUSTSTACK_ENDPOINT", shared_server.endpoint)
    clean_env.setenv("RS_TEST_OUT", str(out))
    pytester.makepyfile(test_sa=SHARING_TESTS, test_sb=r'''
import json, os
def test_three(ruststack, s3):
    with open(os.environ["RS_TEST_OUT"], "a") as f:
        f.write(json.dumps({"test": "three", "account": ruststack.account_id}) + "\n")
    assert len(s3.list_buckets()["Buckets"]) == 1
''')
    res = run_inner(pytester, "--ruststack-isolation", "session")
    res.assert_outcomes(passed=3)
    recs = records(str(out))
    assert len({r["account"] for r in recs}) == 1
    assert_empty(shared_server.endpoint, recs[0]["account"])


def test_isolation_default_is_per_test(pytester, clean_env, shared_server, tmp_path):
    """Without the marker test_two does not see test_one's bucket."""
    clean_env.setenv("RUSTSTACK_ENDPOINT", shared_server.endpoint)
    clean_env.setenv("RS_TEST_OUT", str(tmp_path / "r.jsonl"))
    pytester.makepyfile(test_default=SHARING_TESTS)
    res = run_inner(pytester)
    res.assert_outcomes(passed=1, failed=1)


def test_ini_isolation_and_bad_value(pytester, clean_env, shared_server, tmp_path):
    clean_env.setenv("RUSTSTACK_ENDPOINT", shared_server.endpoint)
    clean_env.setenv("RS_TEST_OUT", str(tmp_path / "r.jsonl"))
    pytester.makepyfile(test_ini=SHARING_TESTS)
    pytester.makeini("[pytest]\nruststack_isolation = module\n")
    run_inner(pytester).assert_outcomes(passed=2)
    pytester.makeini("[pytest]\nruststack_isolation = sometimes\n")
    res = run_inner(pytester)
    assert res.ret != 0
    res.stderr.fnmatch_lines(["*ruststack_isolation must be one of test/module/session*"])


def test_starts_the_binary(pytester, clean_env, tmp_path):
    """No RUSTSTACK_ENDPOINT: the plugin starts the binary on a free port for the session
    (once, also under -n 4) and stops it at the end."""
    out = tmp_path / "records.jsonl"
    clean_env.setenv("RS_TEST_OUT", str(out))
    pytester.makepyfile(test_iso=ISOLATION_TESTS)
    conf = []
    for line in server_conf():
        conf += ["--ruststack-conf", line]
    res = run_inner(pytester, "-n", "4", "--ruststack-binary", binary(), *conf)
    res.assert_outcomes(passed=8)
    recs = records(str(out))
    endpoints = {r["endpoint"] for r in recs}
    assert len(endpoints) == 1
    port = urllib.parse.urlsplit(endpoints.pop()).port
    with pytest.raises(OSError):  # stopped at the end of the session
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_binary_from_path(pytester, clean_env, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(binary(), str(bindir / "ruststack"))
    clean_env.setenv("PATH", "%s:%s" % (bindir, os.environ.get("PATH", "")))
    pytester.makepyfile(test_one=r'''
def test_it(ruststack, s3):
    assert ruststack.endpoint.startswith("http://127.0.0.1:")
    s3.create_bucket(Bucket="p-%s" % ruststack.account_id)
''')
    run_inner(pytester).assert_outcomes(passed=1)


def test_error_without_server_or_binary(pytester, clean_env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    clean_env.setenv("PATH", str(empty))
    pytester.makepyfile(test_one="def test_it(s3):\n    pass\n\ndef test_plain():\n    pass\n")
    res = run_inner(pytester)
    res.assert_outcomes(passed=1, errors=1)
    res.stdout.fnmatch_lines(["*no RustStack to test against: RUSTSTACK_ENDPOINT is not set "
                              "and no `ruststack` binary is on PATH*"])


def test_error_endpoint_down(pytester, clean_env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed
    clean_env.setenv("RUSTSTACK_ENDPOINT", "http://127.0.0.1:%d" % port)
    pytester.makepyfile(test_one="def test_it(ruststack):\n    pass\n")
    res = run_inner(pytester, "-n", "2")
    res.assert_outcomes(errors=1)
    res.stdout.fnmatch_lines(["*RUSTSTACK_ENDPOINT is http://127.0.0.1:%d but nothing answers*"
                              % port])


def test_error_bad_binary(pytester, clean_env, tmp_path):
    pytester.makepyfile(test_one="def test_it(ruststack):\n    pass\n")
    res = run_inner(pytester, "--ruststack-binary", str(tmp_path / "nope"))
    res.assert_outcomes(errors=1)
    res.stdout.fnmatch_lines(["*--ruststack-binary names * which is not an executable file*"])


FUNCTION_TESTS = ZIP_CODE + r'''
import json

HANDLER = """
import boto3
def handler(event, context):
    s3 = boto3.client("s3")
    return {"buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]]}
"""

def test_function_sees_its_account(ruststack, s3, lambda_client):
    bucket = "fn-%s" % ruststack.account_id
    s3.create_bucket(Bucket=bucket)
    lambda_client.create_function(
        FunctionName="lister", Runtime="python3.11", Role="arn:aws:iam::%s:role/r" % ruststack.account_id,
        Handler="h.handler", Code={"ZipFile": zip_code(HANDLER)}, Timeout=30)
    r = lambda_client.invoke(FunctionName="lister", Payload=b"{}")
    body = json.loads(r["Payload"].read())
    assert "FunctionError" not in r, body
    assert body == {"buckets": [bucket]}
    got = ruststack.reset()
    assert got["lambda"]["functions"] == [{"region": "us-east-1", "name": "lister"}]
'''


def test_function_clients_reach_the_test_account(pytester, clean_env, shared_server):
    """A function of the test's account builds its own boto3 client: it lists that
    account's buckets (its environment carries the account's key)."""
    h = json.loads(__import__("urllib.request").request.urlopen(
        shared_server.endpoint + "/_ruststack/health").read())
    if h["services"]["lambda"]["state"] != "running":
        pytest.skip("lambda is %s here" % h["services"]["lambda"])
    clean_env.setenv("RUSTSTACK_ENDPOINT", shared_server.endpoint)
    pytester.makepyfile(test_fn=FUNCTION_TESTS)
    run_inner(pytester).assert_outcomes(passed=1)
