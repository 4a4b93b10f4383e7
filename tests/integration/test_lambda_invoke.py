"""Lambda Invoke against the real binary, for both executors (docker: a container per
execution environment through the engine, skipped with the reason when RS_DOCKER_SOCKET /
RS_LAMBDA_IMAGE are unset; process: plain child processes). boto3's Lambda client drives
the control plane and Invoke; small handler modules built here in memory, and the Flask
example (examples/flask-app, built with its build.sh) called with hand-made API Gateway v1
events. Covers the plan's milestone-3 cases by name, invocation types, LogType Tail,
handler exceptions, timeouts, crashes, init errors, the context object, boto3 inside the
function reaching RustStack's S3 and DynamoDB, warm reuse, code updates and concurrency.
The helpers at the top are shared with test_lambda_flask.py.
Runs in: the pytest process (the functions run in the server's execution environments)."""

import base64
import concurrent.futures
import hashlib
import io
import json
import os
import re
import subprocess
import time
import uuid
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import make_ddb_client, make_lambda_client, wait_ddb_state

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.normpath(os.path.join(HERE, "..", ".."))
ROLE = "arn:aws:iam::000000000000:role/lambda-role"
EXECUTORS = ["docker", "process"]
FIXTURE_FOR = {"docker": "lambda_server", "process": "lambda_process_server"}

# The handlers the tests run (module main.py of a zip built in memory).
MAIN_PY = r'''
import json
import logging
import os
import sys
import time
import uuid

TOKEN = uuid.uuid4().hex
COUNT = 0
VERSION = "%(version)s"


def echo(event, context):
    return {"event": event}


def version(event, context):
    return {"version": VERSION, "token": TOKEN}


def none(event, context):
    return None


def env(event, context):
    root = os.environ.get("LAMBDA_TASK_ROOT", "")
    return {"env": {k: os.environ.get(k) for k in event["names"]},
            "cwd": os.getcwd(), "main_in_root": os.path.exists(os.path.join(root, "main.py"))}


def maybe_fail(event, context):
    if event.get("fail"):
        raise ValueError("bad value: %%s" %% event.get("v"))
    return {"token": TOKEN}


def sleep(event, context):
    time.sleep(event.get("seconds", 0))
    return {"slept": event.get("seconds", 0), "token": TOKEN}


def crash(event, context):
    if event.get("exit") is not None:
        sys.stdout.flush()
        sys.exit(event["exit"])
    return {"alive": True, "token": TOKEN}


def counter(event, context):
    global COUNT
    COUNT += 1
    return {"count": COUNT, "token": TOKEN}


def log(event, context):
    print("stdout-" + event["marker"])
    print("stderr-" + event["marker"], file=sys.stderr)
    logging.getLogger().warning("logger-%%s", event["marker"])
    return "logged"


def ctx(event, context):
    ident = context.identity
    cc = context.client_context
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "identity": None if ident is None else [ident.cognito_identity_id,
                                                ident.cognito_identity_pool_id],
        "client_context": None if cc is None else {"custom": cc.custom, "env": cc.env},
        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
    }


def s3put(event, context):
    import boto3
    from botocore.config import Config
    s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
    s3.put_object(Bucket=event["bucket"], Key=event["key"], Body=event["body"].encode())
    return {"put": event["key"]}


def aws(event, context):
    import boto3
    from botocore.config import Config
    s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
    s3.put_object(Bucket=event["bucket"], Key=event["key"], Body=event["body"].encode())
    got = s3.get_object(Bucket=event["bucket"], Key=event["key"])["Body"].read().decode()
    ddb = boto3.client("dynamodb")
    ddb.put_item(TableName=event["table"],
                 Item={"pk": {"S": event["key"]}, "body": {"S": event["body"]}})
    item = ddb.get_item(TableName=event["table"], Key={"pk": {"S": event["key"]}},
                        ConsistentRead=True)["Item"]
    return {"s3": got, "ddb": item["body"]["S"], "endpoint": os.environ.get("AWS_ENDPOINT_URL")}
'''

BAD_IMPORT_PY = "import does_not_exist_rs_test\n\n\ndef handler(event, context):\n    return 1\n"


# ---- helpers shared with test_lambda_flask.py ---------------------------------------------

def zip_bytes(files):
    """A zip (bytes) of {name: text or bytes}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def main_zip(version="v1"):
    return zip_bytes({"main.py": MAIN_PY % {"version": version}})


def sha256_b64(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def unique(prefix="fn"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def flask_zip_path():
    """Build (or reuse) examples/flask-app's zip into the build tree; fail loudly when it
    cannot be built (it needs PyPI once)."""
    out = os.environ.get("RS_FLASK_APP_BUILD") or os.path.join(
        os.environ.get("RS_BUILDDIR") or SRCDIR, "examples", "flask-app", "build")
    script = os.path.join(SRCDIR, "examples", "flask-app", "build.sh")
    p = subprocess.run(["sh", script, out], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        pytest.fail("examples/flask-app/build.sh failed (%d):\n%s" % (p.returncode,
                                                                     p.stderr[-3000:]),
                    pytrace=False)
    path = p.stdout.strip().splitlines()[-1]
    assert os.path.isfile(path), path
    return path


def require_ddb(srv):
    """Wait (bounded) until the server's DynamoDB is running; fail with the reason."""
    h = wait_ddb_state(srv.endpoint, ("running",), 90)
    if h.get("state") != "running":
        pytest.fail("DynamoDB is not running on the lambda server (%r); fetch DynamoDB "
                    "Local with sh packaging/fetch-dynamodb-local.sh" % (h,), pytrace=False)


def aws_client(service, endpoint, **config):
    cfg = dict(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=10,
               read_timeout=60)
    cfg.update(config)
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(**cfg))


class Functions:
    """Creates functions with unique names and deletes them at teardown."""

    def __init__(self, lam):
        self.lam = lam
        self.made = []

    def create(self, handler, code=None, name=None, timeout=30, memory=256, env=None,
               s3=None):
        name = name or unique()
        kw = dict(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler=handler,
                  Timeout=timeout, MemorySize=memory)
        kw["Code"] = {"S3Bucket": s3[0], "S3Key": s3[1]} if s3 else {
            "ZipFile": code if code is not None else main_zip()}
        if env is not None:
            kw["Environment"] = {"Variables": env}
        out = self.lam.create_function(**kw)
        self.made.append(name)
        self.lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        return name, out

    def cleanup(self):
        for name in self.made:
            try:
                self.lam.delete_function(FunctionName=name)
            except ClientError:
                pass


def invoke(lam, name, event=None, **kw):
    """Invoke; returns (response dict, decoded JSON payload or None for an empty body)."""
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(event if event is not None
                                                            else {}), **kw)
    raw = resp["Payload"].read()
    return resp, (json.loads(raw) if raw else None)


def apigw_event(method, path, query=None, headers=None, body=None, stage="dev"):
    """A v1 proxy event as API Gateway sends it (for a direct Invoke)."""
    mvh = {"Host": ["127.0.0.1:4566"], "User-Agent": ["rs-test"], "X-Forwarded-For":
           ["127.0.0.1"], "X-Forwarded-Port": ["4566"], "X-Forwarded-Proto": ["http"]}
    for k, v in (headers or {}).items():
        mvh[k] = [v]
    b64 = False
    if isinstance(body, bytes):
        body, b64 = base64.b64encode(body).decode(), True
    return {
        "resource": "/{proxy+}", "path": path, "httpMethod": method,
        "headers": {k: v[-1] for k, v in mvh.items()}, "multiValueHeaders": mvh,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")} if path != "/" else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000", "apiId": "test", "httpMethod": method,
            "path": "/%s%s" % (stage, path), "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()), "requestTimeEpoch": int(time.time() * 1000),
            "resourceId": "abc123", "resourcePath": "/{proxy+}", "stage": stage,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "rs-test"}},
        "body": body, "isBase64Encoded": b64}


# ---- fixtures ------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 suite's per-test reset: functions get unique names instead."""
    yield


@pytest.fixture(scope="module", params=EXECUTORS)
def lsrv(request):
    """The lambda server of one executor (conftest's session fixtures)."""
    return request.getfixturevalue(FIXTURE_FOR[request.param])


@pytest.fixture(scope="module")
def lam(lsrv):
    return make_lambda_client(lsrv.endpoint)


@pytest.fixture
def functions(lam):
    f = Functions(lam)
    yield f
    f.cleanup()


@pytest.fixture(scope="module")
def flask_zip():
    with open(flask_zip_path(), "rb") as f:
        return f.read()


# ---- milestone 3 ---------------------------------------------------------------------------

def test_create_invoke_delete_function(lam, functions):
    code = main_zip()
    name, created = functions.create("main.echo", code=code)
    assert created["FunctionName"] == name
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:" + name
    assert created["CodeSha256"] == sha256_b64(code)
    assert created["CodeSize"] == len(code)
    assert lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active"

    resp, payload = invoke(lam, name, {"hello": "world", "n": [1, 2.5, None]})
    assert resp["StatusCode"] == 200
    assert "FunctionError" not in resp
    assert resp["ExecutedVersion"] == "$LATEST"
    assert payload == {"event": {"hello": "world", "n": [1, 2.5, None]}}

    out = lam.delete_function(FunctionName=name)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.get_function(FunctionName=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_flask_get_request(lam, functions, flask_zip):
    name, _ = functions.create("handler_apig.handler", code=flask_zip)
    resp, out = invoke(lam, name, apigw_event("GET", "/hello", {"name": ["RustStack"]}))
    assert "FunctionError" not in resp, out
    assert out["statusCode"] == 200
    headers = {k.lower(): v for k, v in (out.get("multiValueHeaders") or {}).items()}
    assert headers["content-type"] == ["application/json"]
    assert json.loads(out["body"]) == {"message": "Hello, RustStack!"}


def test_flask_post_with_body(lam, functions, flask_zip):
    name, _ = functions.create("handler_apig.handler", code=flask_zip)
    doc = {"name": "Ada", "langs": ["en", "fr"], "n": 3}
    resp, out = invoke(lam, name, apigw_event(
        "POST", "/echo/items", {"tag": ["a", "b"]}, {"Content-Type": "application/json"},
        json.dumps(doc)))
    assert "FunctionError" not in resp, out
    assert out["statusCode"] == 200
    seen = json.loads(out["body"])
    assert seen["method"] == "POST"
    assert seen["path"] == "/echo/items"
    assert seen["json"] == doc
    assert seen["args"] == {"tag": ["a", "b"]}
    assert seen["body_length"] == len(json.dumps(doc))


def test_flask_error_response(lam, functions, flask_zip):
    name, _ = functions.create("handler_apig.handler", code=flask_zip)
    resp, out = invoke(lam, name, apigw_event("GET", "/boom"))
    # Flask handled its own exception: a 500 HTTP response, not a function error
    assert "FunctionError" not in resp, out
    assert out["statusCode"] == 500
    assert "Internal Server Error" in out["body"]
    # an unknown route is Flask's 404
    resp, out = invoke(lam, name, apigw_event("GET", "/no/such/route"))
    assert out["statusCode"] == 404


def test_environment_variables(lam, lsrv, functions):
    names = ["GREETING", "EMPTY", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
             "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION", "AWS_DEFAULT_REGION",
             "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT",
             "_HANDLER", "TZ", "AWS_LAMBDA_MAX_CONCURRENCY"]
    name, created = functions.create("main.env", env={"GREETING": "hello world",
                                                      "EMPTY": ""}, memory=512)
    assert created["Environment"]["Variables"] == {"GREETING": "hello world", "EMPTY": ""}
    resp, out = invoke(lam, name, {"names": names})
    assert "FunctionError" not in resp, out
    env = out["env"]
    assert env["GREETING"] == "hello world"
    assert env["EMPTY"] == ""
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL"] == lsrv.endpoint
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/" + name
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["_HANDLER"] == "main.env"
    assert env["TZ"] == ":UTC"
    assert env["AWS_LAMBDA_MAX_CONCURRENCY"] is None
    assert out["main_in_root"] is True
    assert out["cwd"] == env["LAMBDA_TASK_ROOT"]
    if lsrv.executor == "docker":
        assert env["LAMBDA_TASK_ROOT"] == "/var/task"

    # a configuration update replaces the whole map, and new invocations see it
    lam.update_function_configuration(FunctionName=name,
                                      Environment={"Variables": {"GREETING": "bonjour"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    resp, out = invoke(lam, name, {"names": ["GREETING", "EMPTY"]})
    assert out["env"] == {"GREETING": "bonjour", "EMPTY": None}


# ---- Invoke details ------------------------------------------------------------------------

def test_invocation_types(lam, lsrv, functions):
    s3 = aws_client("s3", lsrv.endpoint)
    bucket = unique("evt")
    s3.create_bucket(Bucket=bucket)
    name, _ = functions.create("main.s3put")

    # DryRun: 204, empty body, nothing runs
    resp = lam.invoke(FunctionName=name, InvocationType="DryRun",
                      Payload=json.dumps({"bucket": bucket, "key": "dry", "body": "x"}))
    assert resp["StatusCode"] == 204
    assert resp["Payload"].read() == b""

    # Event: 202 at once, empty body, no executed version; the function runs later
    resp = lam.invoke(FunctionName=name, InvocationType="Event",
                      Payload=json.dumps({"bucket": bucket, "key": "event", "body": "async"}))
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    assert "ExecutedVersion" not in resp
    deadline = time.monotonic() + 60
    got = None
    while time.monotonic() < deadline:
        try:
            got = s3.get_object(Bucket=bucket, Key="event")["Body"].read()
            break
        except ClientError:
            time.sleep(0.2)
    assert got == b"async"

    # RequestResponse (explicit): 200 with the result
    resp, out = invoke(lam, name, {"bucket": bucket, "key": "sync", "body": "s"},
                       InvocationType="RequestResponse")
    assert resp["StatusCode"] == 200
    assert out == {"put": "sync"}
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="dry")


def test_payload_edge_cases(lam, functions):
    name, _ = functions.create("main.echo")
    # an empty body is the event {}
    resp = lam.invoke(FunctionName=name)
    assert json.loads(resp["Payload"].read()) == {"event": {}}
    # any JSON value is an event
    for ev in ([1, "two"], "text", 42, None):
        resp = lam.invoke(FunctionName=name, Payload=json.dumps(ev))
        assert json.loads(resp["Payload"].read()) == {"event": ev}
    # a handler returning None gives the body null
    name2, _ = functions.create("main.none")
    resp = lam.invoke(FunctionName=name2, Payload=b"{}")
    assert resp["Payload"].read() == b"null"
    # a body that is not JSON: 400 InvalidRequestContentException
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=name, Payload=b"{not json")
    assert e.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_log_type_tail(lam, functions):
    name, _ = functions.create("main.log")
    marker = uuid.uuid4().hex
    resp, out = invoke(lam, name, {"marker": marker}, LogType="Tail")
    assert out == "logged"
    rid = resp["ResponseMetadata"]["RequestId"]
    log = base64.b64decode(resp["LogResult"]).decode()
    assert len(base64.b64decode(resp["LogResult"])) <= 4096
    assert "START RequestId: %s Version: $LATEST" % rid in log
    assert "END RequestId: %s" % rid in log
    assert "REPORT RequestId: %s" % rid in log
    assert "stdout-" + marker in log
    assert "stderr-" + marker in log
    assert "logger-" + marker in log
    report = [line for line in log.splitlines() if line.startswith("REPORT")][0]
    assert re.search(r"\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
                     r"Memory Size: 256 MB\tMax Memory Used: \d+ MB", report), report
    # order: START, the function's output, END, REPORT
    assert log.index("START") < log.index("stdout-" + marker) < log.index("END RequestId")
    assert log.index("END RequestId") < log.index("REPORT RequestId")
    # without LogType there is no log
    resp, out = invoke(lam, name, {"marker": marker})
    assert "LogResult" not in resp


def test_handler_exception(lam, functions):
    name, _ = functions.create("main.maybe_fail")
    resp, ok = invoke(lam, name, {})
    token = ok["token"]
    resp, out = invoke(lam, name, {"fail": True, "v": 7})
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "ValueError"
    assert out["errorMessage"] == "bad value: 7"
    assert out["requestId"] == resp["ResponseMetadata"]["RequestId"]
    assert isinstance(out["stackTrace"], list) and out["stackTrace"]
    assert any("main.py" in frame and "maybe_fail" in frame for frame in out["stackTrace"])
    assert not any("bootstrap.py" in frame for frame in out["stackTrace"])
    # a handled exception keeps the environment warm
    resp, again = invoke(lam, name, {})
    assert "FunctionError" not in resp
    assert again["token"] == token


def test_timeout(lam, functions):
    name, _ = functions.create("main.sleep", timeout=1)
    resp, first = invoke(lam, name, {"seconds": 0})
    assert "FunctionError" not in resp, first
    t0 = time.monotonic()
    resp, out = invoke(lam, name, {"seconds": 30})
    elapsed = time.monotonic() - t0
    rid = resp["ResponseMetadata"]["RequestId"]
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Sandbox.Timedout"
    assert out["errorMessage"] == ("RequestId: %s Error: Task timed out after 1.00 seconds"
                                   % rid)
    assert elapsed < 15, "the timeout took %.1f s" % elapsed
    # the environment was reset: the next invoke works in a new one
    resp, after = invoke(lam, name, {"seconds": 0})
    assert "FunctionError" not in resp, after
    assert after["token"] != first["token"]


def test_sys_exit_crash(lam, functions):
    name, _ = functions.create("main.crash")
    resp, first = invoke(lam, name, {})
    resp, out = invoke(lam, name, {"exit": 0})
    rid = resp["ResponseMetadata"]["RequestId"]
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ExitError"
    assert out["errorMessage"] == ("RequestId: %s Error: Runtime exited without providing a "
                                   "reason" % rid)
    resp, out = invoke(lam, name, {"exit": 3})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 3" in out["errorMessage"]
    resp, after = invoke(lam, name, {})
    assert "FunctionError" not in resp, after
    assert after["alive"] is True and after["token"] != first["token"]


def test_init_error(lam, functions):
    name, _ = functions.create("main.handler", code=zip_bytes({"main.py": BAD_IMPORT_PY}))
    for _ in range(2):  # every invoke re-attempts init
        resp, out = invoke(lam, name, {})
        assert resp["StatusCode"] == 200
        assert resp["FunctionError"] == "Unhandled"
        assert out["errorType"] == "Runtime.ImportModuleError"
        assert out["errorMessage"] == ("Unable to import module 'main': No module named "
                                       "'does_not_exist_rs_test'")
    # a handler name that is missing on the module
    name2, _ = functions.create("main.no_such_handler")
    resp, out = invoke(lam, name2, {})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.HandlerNotFound"
    # a module that does not exist
    name3, _ = functions.create("nomodule.handler")
    resp, out = invoke(lam, name3, {})
    assert out["errorType"] == "Runtime.ImportModuleError"
    assert "nomodule" in out["errorMessage"]


def test_context_fields(lam, functions):
    name, created = functions.create("main.ctx", timeout=20, memory=384)
    resp, out = invoke(lam, name, {})
    assert "FunctionError" not in resp, out
    assert out["function_name"] == name
    assert out["function_version"] == "$LATEST"
    assert out["invoked_function_arn"] == created["FunctionArn"]
    assert out["memory_limit_in_mb"] == "384"
    assert out["aws_request_id"] == resp["ResponseMetadata"]["RequestId"]
    assert out["log_group_name"] == "/aws/lambda/" + name
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", out["log_stream_name"]), \
        out["log_stream_name"]
    assert 10000 < out["remaining_ms"] <= 20000
    assert out["identity"] == [None, None]
    assert out["client_context"] is None
    assert out["trace_id"] and out["trace_id"].startswith("Root=1-")
    # a client context is passed (decoded) to synchronous invokes
    cc = {"custom": {"team": "rs"}, "env": {"platform": "test"}, "client": {}}
    resp, out = invoke(lam, name, {},
                       ClientContext=base64.b64encode(json.dumps(cc).encode()).decode())
    assert out["client_context"] == {"custom": {"team": "rs"}, "env": {"platform": "test"}}
    # the invoked ARN mirrors how the function was named
    resp, out = invoke(lam, created["FunctionArn"], {})
    assert out["invoked_function_arn"] == created["FunctionArn"]


def test_boto3_inside_function(lam, lsrv, functions):
    require_ddb(lsrv)
    s3 = aws_client("s3", lsrv.endpoint)
    ddb = make_ddb_client(lsrv.endpoint)
    bucket, table = unique("inside"), unique("inside")
    s3.create_bucket(Bucket=bucket)
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    try:
        name, _ = functions.create("main.aws")
        body = "from the function " + uuid.uuid4().hex
        resp, out = invoke(lam, name, {"bucket": bucket, "table": table, "key": "k1",
                                       "body": body})
        assert "FunctionError" not in resp, out
        assert out == {"s3": body, "ddb": body, "endpoint": lsrv.endpoint}
        # what the function wrote is visible from outside
        assert s3.get_object(Bucket=bucket, Key="k1")["Body"].read().decode() == body
        item = ddb.get_item(TableName=table, Key={"pk": {"S": "k1"}}, ConsistentRead=True)
        assert item["Item"]["body"]["S"] == body
    finally:
        ddb.delete_table(TableName=table)


def test_warm_reuse(lam, functions):
    name, _ = functions.create("main.counter")
    outs = [invoke(lam, name, {})[1] for _ in range(4)]
    assert [o["count"] for o in outs] == [1, 2, 3, 4]
    assert len({o["token"] for o in outs}) == 1


def test_update_function_code(lam, functions):
    name, created = functions.create("main.version", code=main_zip("v1"))
    resp, out = invoke(lam, name, {})
    assert out["version"] == "v1"
    code2 = main_zip("v2")
    upd = lam.update_function_code(FunctionName=name, ZipFile=code2)
    assert upd["CodeSha256"] == sha256_b64(code2) != created["CodeSha256"]
    assert upd["RevisionId"] != created["RevisionId"]
    lam.get_waiter("function_updated_v2").wait(FunctionName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    resp, out2 = invoke(lam, name, {})
    assert out2["version"] == "v2"
    assert out2["token"] != out["token"]  # a new environment runs the new code
    # and a configuration change (handler) is honoured too
    lam.update_function_configuration(FunctionName=name, Handler="main.echo")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name,
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    resp, out3 = invoke(lam, name, {"x": 1})
    assert out3 == {"event": {"x": 1}}


def test_concurrent_invokes(lam, functions):
    name, _ = functions.create("main.sleep")
    invoke(lam, name, {"seconds": 0})  # one warm environment

    def one(i):
        resp, out = invoke(lam, name, {"seconds": 1})
        return resp["StatusCode"], resp.get("FunctionError"), out

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(one, range(10)))
    assert [r[0] for r in results] == [200] * 10
    assert [r[1] for r in results] == [None] * 10, results
    assert all(r[2]["slept"] == 1 for r in results)
    # one invocation per environment at a time: 10 overlapping 1 s invocations cannot all
    # have run in the single warm environment
    assert len({r[2]["token"] for r in results}) >= 2


def test_unknown_function(lam):
    with pytest.raises(ClientError) as e:
        lam.invoke(FunctionName=unique("missing"), Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
