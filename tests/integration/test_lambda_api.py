"""The Lambda control plane against the real binary (process executor: the control plane
does not need a container engine): boto3 and the AWS CLI for CreateFunction (zip and S3
code), GetFunction, GetFunctionConfiguration, ListFunctions (paginator), the
function_active_v2 / function_updated_v2 waiters returning at once, UpdateFunctionCode,
UpdateFunctionConfiguration, DeleteFunction, the name forms and AWS's errors; the registry
surviving a crash of the lambda supervisor.
Runs in: the pytest process."""

import io
import json
import os
import re
import signal
import subprocess
import time
import uuid
import zipfile

import boto3
import pytest
from botocore.exceptions import ClientError, WaiterError

from conftest import LambdaServer, lambda_health, make_lambda_client

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
HANDLER_V1 = "def handler(event, context):\n    return {'v': 1, 'event': event}\n"
HANDLER_V2 = "def handler(event, context):\n    return {'v': 2, 'event': event}\n"


def zip_bytes(source, name="app.py"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, source)
    return buf.getvalue()


def unique(prefix="fn"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


@pytest.fixture(scope="module")
def srv(lambda_process_server):
    return lambda_process_server


@pytest.fixture(scope="module")
def lam(srv):
    return make_lambda_client(srv.endpoint)


@pytest.fixture
def fn(lam):
    name = unique()
    lam.create_function(FunctionName=name, Role=ROLE, Runtime="python3.12",
                        Handler="app.handler", Code={"ZipFile": zip_bytes(HANDLER_V1)})
    yield name
    try:
        lam.delete_function(FunctionName=name)
    except ClientError:
        pass


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as ei:
        call(*args, **kwargs)
    err = ei.value.response
    return (err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"],
            err["Error"]["Message"])


def invoke_json(lam, name, payload):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    assert r["StatusCode"] == 200
    assert "FunctionError" not in r, r["Payload"].read()
    return json.loads(r["Payload"].read())


def test_lifecycle_with_waiters(lam):
    name = unique()
    zip1 = zip_bytes(HANDLER_V1)
    r = lam.create_function(FunctionName=name, Role=ROLE, Runtime="python3.12",
                            Handler="app.handler", Code={"ZipFile": zip1},
                            Description="first", Timeout=10, MemorySize=256,
                            Environment={"Variables": {"GREETING": "hi"}})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert r["State"] == "Pending"
    assert r["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:" + name
    assert r["CodeSize"] == len(zip1)
    import base64
    import hashlib
    assert r["CodeSha256"] == base64.b64encode(hashlib.sha256(zip1).digest()).decode()
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$", r["LastModified"])
    assert r["Version"] == "$LATEST"
    assert r["Environment"] == {"Variables": {"GREETING": "hi"}}
    assert r["ResponseMetadata"]["RequestId"]
    t0 = time.monotonic()
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    lam.get_waiter("function_active").wait(FunctionName=name)
    assert time.monotonic() - t0 < 3, "the active waiters return at once"
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Code"]["RepositoryType"] == "S3"
    assert invoke_json(lam, name, {"a": 1}) == {"v": 1, "event": {"a": 1}}

    rev = got["Configuration"]["RevisionId"]
    u = lam.update_function_configuration(FunctionName=name, Timeout=20, RevisionId=rev,
                                          Environment={"Variables": {"GREETING": "yo"}})
    assert u["LastUpdateStatus"] == "InProgress"
    assert u["Timeout"] == 20 and u["RevisionId"] != rev
    t0 = time.monotonic()
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    lam.get_waiter("function_updated").wait(FunctionName=name)
    assert time.monotonic() - t0 < 3, "the updated waiters return at once"
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["Timeout"] == 20 and cfg["MemorySize"] == 256 and cfg["Description"] == "first"
    assert cfg["Environment"] == {"Variables": {"GREETING": "yo"}}

    c = lam.update_function_code(FunctionName=name, ZipFile=zip_bytes(HANDLER_V2))
    assert c["CodeSha256"] != r["CodeSha256"]
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert invoke_json(lam, name, {"b": 2}) == {"v": 2, "event": {"b": 2}}, \
        "new code runs in new environments"

    d = lam.delete_function(FunctionName=name)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    st, code, msg = error_of(lam.get_function, FunctionName=name)
    assert (st, code) == (404, "ResourceNotFoundException")
    assert msg == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:" + name
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName=name)


def test_list_functions_paginates_in_name_order(lam):
    prefix = unique("ls")
    names = ["%s-%02d" % (prefix, i) for i in range(7)]
    for n in reversed(names):
        lam.create_function(FunctionName=n, Role=ROLE, Runtime="python3.11",
                            Handler="app.handler", Code={"ZipFile": zip_bytes(HANDLER_V1)})
    try:
        seen = []
        pages = 0
        for page in lam.get_paginator("list_functions").paginate(
                PaginationConfig={"PageSize": 3}):
            pages += 1
            seen += [f["FunctionName"] for f in page["Functions"]]
            for f in page["Functions"]:
                assert "State" not in f and "LastUpdateStatus" not in f
        mine = [n for n in seen if n.startswith(prefix)]
        assert mine == names
        assert pages >= 3
        allv = lam.list_functions(FunctionVersion="ALL")["Functions"]
        arns = [f["FunctionArn"] for f in allv if f["FunctionName"] == names[0]]
        assert arns == ["arn:aws:lambda:us-east-1:000000000000:function:%s:$LATEST" % names[0]]
        st, code, msg = error_of(lam.list_functions, FunctionVersion="invalid")
        assert (st, code) == (400, "ValidationException")
        assert msg == ("1 validation error detected: Value 'invalid' at 'functionVersion' "
                       "failed to satisfy constraint: Member must satisfy enum value set: [ALL]")
    finally:
        for n in names:
            lam.delete_function(FunctionName=n)


def test_name_forms_and_qualifiers(lam, fn):
    arn = "arn:aws:lambda:us-east-1:000000000000:function:" + fn
    for form in (fn, arn, "000000000000:function:" + fn, fn + ":$LATEST"):
        assert lam.get_function_configuration(FunctionName=form)["FunctionName"] == fn
        assert invoke_json(lam, form, {"f": form})["event"] == {"f": form}
    q = lam.get_function_configuration(FunctionName=fn, Qualifier="$LATEST")
    assert q["FunctionArn"] == arn + ":$LATEST"
    st, code, msg = error_of(lam.get_function, FunctionName=fn + ":$LATEST", Qualifier="1")
    assert (st, code) == (400, "InvalidParameterValueException")
    assert msg == ("The derived qualifier from the function name does not match the "
                   "specified qualifier.")
    st, code, msg = error_of(lam.get_function, FunctionName=fn, Qualifier="1221")
    assert (st, code, msg) == (404, "ResourceNotFoundException",
                               "Function not found: %s:1221" % arn)
    st, code, msg = error_of(lam.get_function,
                             FunctionName=arn.replace("us-east-1", "ap-southeast-1"))
    assert (st, code, msg) == (404, "ResourceNotFoundException",
                               "Functions from 'ap-southeast-1' are not reachable in this "
                               "region ('us-east-1')")
    st, code, msg = error_of(lam.delete_function, FunctionName=fn, Qualifier="$LATEST")
    assert (st, code, msg) == (400, "InvalidParameterValueException",
                               "$LATEST version cannot be deleted without deleting the function.")
    st, code, msg = error_of(lam.invoke, FunctionName=unique("ghost"), Payload=b"{}")
    assert st == 404 and code == "ResourceNotFoundException" and msg.endswith(":$LATEST")


def test_create_errors(lam, fn):
    ok = dict(Role=ROLE, Runtime="python3.12", Handler="app.handler",
              Code={"ZipFile": zip_bytes(HANDLER_V1)})

    def create_err(**kw):
        args = dict(ok, FunctionName=unique())
        args.update(kw)
        return error_of(lam.create_function, **args)

    with pytest.raises(lam.exceptions.ResourceConflictException) as ei:
        lam.create_function(FunctionName=fn, **ok)
    assert ei.value.response["Error"]["Message"] == "Function already exist: " + fn
    st, code, msg = create_err(Role="r1")
    assert (st, code) == (400, "ValidationException") and "at 'role'" in msg
    st, code, msg = create_err(Runtime="python3.7")
    assert (st, code) == (400, "InvalidParameterValueException")
    assert msg.startswith("The runtime parameter of python3.7 is no longer supported")
    st, code, msg = create_err(Runtime="nodejs20.x")
    assert (st, code) == (400, "InvalidParameterValueException") and "python3.12" in msg
    st, code, msg = create_err(Runtime="cobol")
    assert "Member must satisfy enum value set" in msg
    st, code, msg = create_err(Timeout=3000)
    assert (st, code, msg) == (400, "ValidationException",
                               "1 validation error detected: Value '3000' at 'timeout' failed "
                               "to satisfy constraint: Member must have value less than or "
                               "equal to 900")
    st, code, msg = create_err(MemorySize=20000)
    assert (st, code) == (400, "ValidationException") and "10240" in msg
    st, code, msg = create_err(Environment={"Variables": {"AWS_REGION": "x"}})
    assert (st, code) == (400, "InvalidParameterValueException")
    assert msg.endswith("Reserved keys used in this request: AWS_REGION")
    st, code, msg = create_err(Environment={"Variables": {"BIG": "x" * 5000}})
    assert (st, code) == (400, "InvalidParameterValueException") and "4KB limit" in msg
    st, code, msg = create_err(Architectures=["x86_64", "arm64"])
    assert (st, code) == (400, "ValidationException")
    st, code, msg = create_err(Code={"ZipFile": b"this is not a zip"})
    assert (st, code, msg) == (400, "InvalidParameterValueException",
                               "Could not unzip uploaded file. Please check your file, then try "
                               "to upload again.")
    st, code, msg = create_err(FunctionName="a" * 65)
    assert (st, code) == (400, "InvalidParameterValueException")
    assert "Member must have length less than or equal to 64" in msg
    st, code, msg = create_err(FunctionName="bad name!")
    assert (st, code) == (400, "ValidationException")


def test_update_errors(lam, fn):
    st, code, msg = error_of(lam.update_function_configuration, FunctionName=fn,
                             RevisionId="not-the-revision", Timeout=5)
    assert (st, code) == (412, "PreconditionFailedException")
    assert msg.startswith("The Revision Id provided does not match the latest Revision Id.")
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_function_code(FunctionName=fn, ZipFile=zip_bytes(HANDLER_V2),
                                 RevisionId="nope")
    st, code, _ = error_of(lam.update_function_code, FunctionName=fn, ZipFile=b"garbage")
    assert (st, code) == (400, "InvalidParameterValueException")
    st, code, _ = error_of(lam.update_function_configuration, FunctionName=unique("ghost"),
                           Timeout=5)
    assert (st, code) == (404, "ResourceNotFoundException")
    # nothing of the failed updates stuck
    assert invoke_json(lam, fn, {})["v"] == 1


def test_invoke_types_and_payload_errors(lam, fn):
    r = lam.invoke(FunctionName=fn, InvocationType="DryRun")
    assert r["StatusCode"] == 204
    r = lam.invoke(FunctionName=fn, InvocationType="Event", Payload=b'{"e": 1}')
    assert r["StatusCode"] == 202
    r = lam.invoke(FunctionName=fn)
    assert json.loads(r["Payload"].read()) == {"v": 1, "event": {}}
    assert r["ExecutedVersion"] == "$LATEST"
    st, code, msg = error_of(lam.invoke, FunctionName=fn, Payload=b'{"a": ')
    assert (st, code) == (400, "InvalidRequestContentException")
    assert msg.startswith("Could not parse request body into json: Could not parse payload "
                          "into json: ")
    st, code, _ = error_of(lam.invoke, FunctionName=fn, Payload=b'"n\x87r"')
    assert (st, code) == (400, "InvalidRequestContentException")


def test_create_from_s3(lam, srv):
    s3 = boto3.session.Session().client(
        "s3", endpoint_url=srv.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test")
    bucket = unique("code")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="v1/app.zip", Body=zip_bytes(HANDLER_V1))
    s3.put_object(Bucket=bucket, Key="v2/app.zip", Body=zip_bytes(HANDLER_V2))
    name = unique()
    try:
        r = lam.create_function(FunctionName=name, Role=ROLE, Runtime="python3.12",
                                Handler="app.handler",
                                Code={"S3Bucket": bucket, "S3Key": "v1/app.zip"})
        assert r["CodeSize"] == len(zip_bytes(HANDLER_V1))
        assert invoke_json(lam, name, {})["v"] == 1
        lam.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="v2/app.zip")
        assert invoke_json(lam, name, {})["v"] == 2
        st, code, msg = error_of(lam.create_function, FunctionName=unique(), Role=ROLE,
                                 Runtime="python3.12", Handler="app.handler",
                                 Code={"S3Bucket": bucket, "S3Key": "missing.zip"})
        assert (st, code) == (400, "InvalidParameterValueException")
        assert "NoSuchKey" in msg
        st, code, msg = error_of(lam.create_function, FunctionName=unique(), Role=ROLE,
                                 Runtime="python3.12", Handler="app.handler",
                                 Code={"S3Bucket": unique("nobucket"), "S3Key": "x.zip"})
        assert (st, code) == (400, "InvalidParameterValueException")
        assert "NoSuchBucket" in msg
    finally:
        try:
            lam.delete_function(FunctionName=name)
        except ClientError:
            pass


def run_cli(srv, *args, input_=None):
    exe = subprocess.run(["which", "aws"], capture_output=True, text=True).stdout.strip()
    if not exe:
        pytest.fail("the aws CLI is not installed")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    p = subprocess.run([exe, "--endpoint-url", srv.endpoint, "--output", "json"] + list(args),
                       capture_output=True, text=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def test_aws_cli(srv, tmp_path):
    name = unique("cli")
    zpath = tmp_path / "fn.zip"
    zpath.write_bytes(zip_bytes(HANDLER_V1))
    rc, out, err = run_cli(srv, "lambda", "create-function", "--function-name", name,
                           "--runtime", "python3.12", "--handler", "app.handler", "--role", ROLE,
                           "--zip-file", "fileb://%s" % zpath)
    assert rc == 0, err
    assert json.loads(out)["FunctionName"] == name
    rc, out, err = run_cli(srv, "lambda", "wait", "function-active-v2", "--function-name", name)
    assert rc == 0, err
    rc, out, err = run_cli(srv, "lambda", "get-function", "--function-name", name)
    assert rc == 0, err
    assert json.loads(out)["Configuration"]["State"] == "Active"
    rc, out, err = run_cli(srv, "lambda", "list-functions")
    assert rc == 0, err
    assert name in [f["FunctionName"] for f in json.loads(out)["Functions"]]
    outfile = tmp_path / "out.json"
    rc, out, err = run_cli(srv, "lambda", "invoke", "--function-name", name,
                           "--payload", '{"cli": true}', str(outfile))
    assert rc == 0, err
    assert json.loads(out)["StatusCode"] == 200
    assert json.loads(outfile.read_text()) == {"v": 1, "event": {"cli": True}}
    rc, out, err = run_cli(srv, "lambda", "update-function-configuration", "--function-name",
                           name, "--timeout", "42")
    assert rc == 0, err
    assert json.loads(out)["Timeout"] == 42
    rc, out, err = run_cli(srv, "lambda", "delete-function", "--function-name", name)
    assert rc == 0, err
    rc, out, err = run_cli(srv, "lambda", "get-function", "--function-name", name)
    assert rc != 0 and "ResourceNotFoundException" in err


def lambda_supervisor_pid(srv):
    pids = re.findall(rb"started lambda supervisor \(pid (\d+)\)",
                      open(srv.log_path, "rb").read())
    return int(pids[-1]) if pids else None


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own (these tests kill and restart it)."""
    made = []

    def make(extra_conf=""):
        wd = tmp_path / ("srv%d" % len(made))
        wd.mkdir()
        # DynamoDB stays off: these tests restart the server and need Lambda only
        s = LambdaServer(wd, "process", extra_conf="dynamodb = off\n" + extra_conf)
        made.append(s)
        s.start_lambda()
        return s
    yield make
    for s in made:
        if s.proc and s.proc.poll() is None:
            rc, _ = s.stop()
            assert rc == 0, s.log_tail()
        s.kill()


def create_v1(lam, name):
    lam.create_function(FunctionName=name, Role=ROLE, Runtime="python3.12",
                        Handler="app.handler", Code={"ZipFile": zip_bytes(HANDLER_V1)})


def test_registry_survives_supervisor_crash(own_server):
    srv = own_server()
    lam = make_lambda_client(srv.endpoint)
    name = unique()
    create_v1(lam, name)
    lam.update_function_configuration(FunctionName=name, Timeout=33)
    cfg = lam.get_function_configuration(FunctionName=name)
    pid = lambda_supervisor_pid(srv)
    assert pid, "the master logs the lambda supervisor's pid"
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 15
    again = None
    while time.monotonic() < deadline and again is None:
        if lambda_supervisor_pid(srv) not in (None, pid):
            try:
                again = lam.get_function_configuration(FunctionName=name)
            except ClientError:
                pass
        time.sleep(0.2)
    assert again is not None, "the lambda supervisor did not come back:\n" + srv.log_tail()
    assert again["RevisionId"] == cfg["RevisionId"]
    assert again["CodeSha256"] == cfg["CodeSha256"]
    assert again["Timeout"] == 33
    assert invoke_json(lam, name, {"after": "crash"})["event"] == {"after": "crash"}


def test_data_dir_keeps_functions_across_restarts(own_server, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    srv = own_server("data_dir = %s\n" % data)
    lam = make_lambda_client(srv.endpoint)
    name = unique()
    create_v1(lam, name)
    sha = lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"]
    rc, _ = srv.stop()
    assert rc == 0
    srv2 = own_server("data_dir = %s\n" % data)
    lam2 = make_lambda_client(srv2.endpoint)
    assert lam2.get_function(FunctionName=name)["Configuration"]["CodeSha256"] == sha
    assert invoke_json(lam2, name, {"again": 1})["v"] == 1
    # without a data_dir a fresh server starts empty
    srv3 = own_server()
    lam3 = make_lambda_client(srv3.endpoint)
    assert name not in [f["FunctionName"] for f in lam3.list_functions()["Functions"]]


def test_pool_failure_keeps_the_control_plane(tmp_path):
    """An executor that cannot run: health says why, the control plane still works and
    invokes answer 500 ServiceException with that reason."""
    wd = tmp_path / "srv"
    wd.mkdir()
    srv = LambdaServer(wd, "process",
                       extra_conf="dynamodb = off\nlambda_python = /nonexistent/python3\n")
    try:
        srv.start()
        deadline = time.monotonic() + 20
        h = {}
        while time.monotonic() < deadline:
            h = lambda_health(srv.endpoint)
            if h.get("state") == "unavailable":
                break
            time.sleep(0.1)
        assert h.get("state") == "unavailable", h
        assert h.get("reason")
        lam = make_lambda_client(srv.endpoint)
        name = unique()
        create_v1(lam, name)
        assert lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active"
        st, code, msg = error_of(lam.invoke, FunctionName=name, Payload=b"{}")
        assert (st, code) == (500, "ServiceException")
        assert h["reason"] in msg
        lam.delete_function(FunctionName=name)
        rc, _ = srv.stop()
        assert rc == 0, srv.log_tail()
    finally:
        srv.kill()


def raw_lambda(srv, method, path, body=b"", headers=None):
    """A SigV4-signed Lambda request without botocore's parsing: (status, headers, JSON)"""
    import requests
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url=srv.endpoint + path, data=body,
                     headers=dict(headers or {}))
    SigV4Auth(Credentials("test", "test"), "lambda", "us-east-1").add_auth(req)
    r = requests.request(method, req.url, data=body, headers=dict(req.headers), timeout=60)
    return r.status_code, r.headers, r.json()


def test_error_members_are_the_same_from_worker_and_supervisor(srv, fn):
    """One error table: the worker's 413 (a synchronous Invoke over 6 MB) and the
    supervisor's 413 (an Event Invoke over 1 MB) carry the same members, "Type" and the
    model's lower-case "message" (RequestTooLargeException's); the supervisor's
    ResourceNotFoundException the model's "Message"."""
    path = "/2015-03-31/functions/%s/invocations" % fn
    status, hdrs, worker = raw_lambda(srv, "POST", path, b"x" * (6291456 + 1))
    assert status == 413
    assert hdrs["x-amzn-ErrorType"] == "RequestEntityTooLargeException"
    assert worker == {"Type": "User", "message": "Request must be smaller than 6291456 bytes "
                      "for the InvokeFunction operation"}
    status, hdrs, sup = raw_lambda(srv, "POST", path, b"1" * (1048576 + 1),
                                   {"X-Amz-Invocation-Type": "Event"})
    assert status == 413
    assert hdrs["x-amzn-ErrorType"] == "RequestEntityTooLargeException"
    assert sorted(sup) == sorted(worker) == ["Type", "message"]
    assert sup["message"] == ("1048577 byte payload is too large for the Event invocation "
                              "type (limit 1048576 bytes)")
    status, hdrs, nf = raw_lambda(srv, "GET", "/2015-03-31/functions/%s" % unique("absent"))
    assert status == 404
    assert hdrs["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert sorted(nf) == ["Message", "Type"]
    # botocore reads either member: the message reaches the caller both ways
    lam = make_lambda_client(srv.endpoint)
    assert error_of(lam.invoke, FunctionName=fn, Payload=b"x" * (6291456 + 1)) == (
        413, "RequestEntityTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation")


def test_worker_and_supervisor_invalid_parameter_members(srv, lam):
    """InvalidParameterValueException from the worker (S3-hosted code in a bucket that does
    not exist) and from the supervisor (a bad zip) both say "message", as the model does"""
    body = {"FunctionName": unique(), "Role": ROLE, "Runtime": "python3.12",
            "Handler": "app.handler"}
    status, hdrs, worker = raw_lambda(srv, "POST", "/2015-03-31/functions", json.dumps(
        dict(body, Code={"S3Bucket": unique("nobucket"), "S3Key": "k.zip"})).encode(),
        {"Content-Type": "application/json"})
    assert (status, hdrs["x-amzn-ErrorType"]) == (400, "InvalidParameterValueException")
    status, hdrs, sup = raw_lambda(srv, "POST", "/2015-03-31/functions", json.dumps(
        dict(body, Code={"ZipFile": "bm90IGEgemlw"})).encode(),
        {"Content-Type": "application/json"})
    assert (status, hdrs["x-amzn-ErrorType"]) == (400, "InvalidParameterValueException")
    assert sorted(worker) == sorted(sup) == ["Type", "message"]
