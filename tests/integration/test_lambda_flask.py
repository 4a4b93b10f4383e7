"""The Flask example (examples/flask-app) deployed on RustStack's Lambda and reached with
`requests` and `curl` through the API Gateway v1 proxy route
/restapis/<function>/<stage>/_user_request_/<path>, once per adapter (apig-wsgi,
serverless-wsgi, Mangum over WsgiToAsgi) and per executor (docker, skipped without an
engine; process). Deployment with boto3 from a ZipFile and from an S3 bucket; GET with a
query, POST bodies, binary round trips, cookies, a missing S3 object (404), a failed
DynamoDB condition (409), Flask's 500, malformed function results (502), and the plan's
week-7 full-stack cases by name (S3 file storage, DynamoDB data, missing objects, failed
conditions).
Runs in: the pytest process (the app runs in the server's execution environments)."""

import base64
import json
import os
import subprocess
import sys
import uuid

import pytest
import requests

from conftest import make_ddb_client, make_lambda_client
from test_lambda_invoke import (EXECUTORS, FIXTURE_FOR, Functions, aws_client, apigw_event,
                                flask_zip_path, require_ddb, sha256_b64, unique, zip_bytes)

ADAPTERS = {"apig": "handler_apig.handler", "sls": "handler_sls.handler",
            "mangum": "handler_mangum.handler"}
FROM_S3 = "sls"  # this adapter's function is created from code in an S3 bucket

# Lambda proxy results API Gateway must reject or map (lambda.md 6.2).
PROXY_PY = r'''
def bad_key(event, context):
    return {"statusCode": 200, "body": "x", "wrongValue": 1}


def not_object(event, context):
    return "just a string"


def raises(event, context):
    raise RuntimeError("the function failed")


def bad_status(event, context):
    return {"statusCode": "abc", "body": "x"}


def bad_multi(event, context):
    return {"statusCode": 200, "multiValueHeaders": {"X-A": "not-a-list"}, "body": "x"}


def str_status(event, context):
    return {"statusCode": "201", "body": "created"}


def no_status(event, context):
    return {"body": "{\"ok\": true}"}


def merged(event, context):
    return {"statusCode": 200, "headers": {"X-Solo": "one", "X-Both": "solo", "X-Flag": True},
            "multiValueHeaders": {"X-Both": ["multi"], "X-Multi": ["a", "b"]},
            "body": "m"}


def b64(event, context):
    import base64
    return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}


def bad_b64(event, context):
    return {"statusCode": 200, "body": "!!! not base64 !!!", "isBase64Encoded": True}
'''


# ---- fixtures ------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 suite's per-test reset: everything here has unique names."""
    yield


@pytest.fixture(scope="module", params=EXECUTORS)
def lsrv(request):
    return request.getfixturevalue(FIXTURE_FOR[request.param])


@pytest.fixture(scope="module")
def flask_zip():
    path = flask_zip_path()
    with open(path, "rb") as f:
        return path, f.read()


class FlaskApp:
    """The example deployed once per adapter, with its bucket and table."""

    def __init__(self, srv, zip_path, zip_data):
        self.srv = srv
        self.endpoint = srv.endpoint
        self.lam = make_lambda_client(srv.endpoint)
        self.s3 = aws_client("s3", srv.endpoint)
        self.ddb = make_ddb_client(srv.endpoint)
        self.bucket = unique("files")
        self.table = unique("records")
        self.code_bucket = unique("code")
        self.zip_data = zip_data
        self.functions = Functions(self.lam)
        self.s3.create_bucket(Bucket=self.bucket)
        self.s3.create_bucket(Bucket=self.code_bucket)
        self.s3.upload_file(zip_path, self.code_bucket, "flask-app.zip")
        self.ddb.create_table(
            TableName=self.table, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        env = {"FILES_BUCKET": self.bucket, "RECORDS_TABLE": self.table}
        self.fn = {}
        for adapter, handler in ADAPTERS.items():
            if adapter == FROM_S3:
                name, _ = self.functions.create(handler, env=env, name=unique("flask-" + adapter),
                                                s3=(self.code_bucket, "flask-app.zip"))
            else:
                name, _ = self.functions.create(handler, code=zip_data, env=env,
                                                name=unique("flask-" + adapter))
            self.fn[adapter] = name
        self.proxy_fn = None

    def base(self, adapter_or_fn, stage="dev"):
        fn = self.fn.get(adapter_or_fn, adapter_or_fn)
        return "%s/restapis/%s/%s/_user_request_" % (self.endpoint, fn, stage)

    def proxy_function(self):
        """A function with the hand-written proxy results of PROXY_PY (created once)."""
        if self.proxy_fn is None:
            self.proxy_fn, _ = self.functions.create(
                "proxy.bad_key", code=zip_bytes({"proxy.py": PROXY_PY}))
        return self.proxy_fn

    def close(self):
        self.functions.cleanup()
        try:
            self.ddb.delete_table(TableName=self.table)
        except Exception:
            pass


@pytest.fixture(scope="module")
def app(lsrv, flask_zip):
    require_ddb(lsrv)
    a = FlaskApp(lsrv, *flask_zip)
    yield a
    a.close()


@pytest.fixture(params=sorted(ADAPTERS))
def adapter(request):
    return request.param


@pytest.fixture(scope="module")
def http():
    s = requests.Session()
    s.trust_env = False
    yield s
    s.close()


def curl(*args, timeout=90):
    """curl with the headers dumped to stdout (before the body unless -o names a file);
    returns (status, [(lower-case name, value)], body bytes) of the final response (1xx
    interim responses skipped)."""
    p = subprocess.run(["curl", "-sS", "-D", "-", "--max-time", "60"] + list(args),
                       capture_output=True, timeout=timeout)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    rest = p.stdout
    while True:
        head, _, rest = rest.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if status >= 200:
            break
    headers = [(k.strip().lower(), v.strip()) for k, _, v in
               (line.partition(":") for line in lines[1:])]
    return status, headers, rest


def hget(headers, name):
    return [v for k, v in headers if k == name]


# ---- deployment ----------------------------------------------------------------------------

def test_deployed_from_zip_and_s3(app):
    for adapter, name in app.fn.items():
        conf = app.lam.get_function(FunctionName=name)["Configuration"]
        assert conf["State"] == "Active"
        assert conf["Handler"] == ADAPTERS[adapter]
        assert conf["CodeSha256"] == sha256_b64(app.zip_data), adapter
        assert conf["CodeSize"] == len(app.zip_data)


# ---- requests and curl per adapter ---------------------------------------------------------

def test_get_with_query(app, adapter, http):
    r = http.get(app.base(adapter) + "/hello", params={"name": "Ada Lovelace"}, timeout=120)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"message": "Hello, Ada Lovelace!"}
    assert r.headers.get("x-amzn-RequestId")

    r = http.get(app.base(adapter) + "/echo/a/b?x=1&x=2&y=a%20b&plus=c+d",
                 headers={"X-Custom": "v1"}, timeout=60)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["method"] == "GET"
    assert seen["path"] == "/echo/a/b"
    assert seen["args"] == {"x": ["1", "2"], "y": ["a b"], "plus": ["c d"]}
    assert seen["headers"]["x-custom"] == "v1"
    assert seen["headers"]["host"] == "127.0.0.1:%d" % app.srv.port
    assert seen["remote_addr"] == "127.0.0.1"


def test_get_with_query_curl(app, adapter):
    status, headers, body = curl(app.base(adapter) + "/hello?name=curl%20user")
    assert status == 200, body
    assert hget(headers, "content-type") == ["application/json"]
    assert json.loads(body) == {"message": "Hello, curl user!"}


def test_post_body(app, adapter, http):
    doc = {"title": "caf\u00e9 \u2615", "items": [1, 2, 3], "nested": {"ok": True}}
    r = http.post(app.base(adapter) + "/echo", json=doc, timeout=60)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["method"] == "POST"
    assert seen["json"] == doc
    assert seen["body_length"] == len(json.dumps(doc).encode())

    status, headers, body = curl("-X", "PUT", "-H", "Content-Type: text/plain",
                                 "--data-binary", "plain text body\nline 2",
                                 app.base(adapter) + "/echo/put")
    assert status == 200, body
    seen = json.loads(body)
    assert seen["method"] == "PUT"
    assert seen["body"] == "plain text body\nline 2"
    assert seen["headers"]["content-type"] == "text/plain"


def test_binary_round_trip(app, adapter, http, tmp_path):
    data = bytes(range(256)) * 8 + b"\xff\xfe\x00end"
    key = "blob-%s-%s.bin" % (adapter, uuid.uuid4().hex[:6])
    r = http.post(app.base(adapter) + "/files/" + key, data=data,
                  headers={"Content-Type": "application/octet-stream"}, timeout=60)
    assert r.status_code == 201, r.text
    assert r.json()["size"] == len(data)
    r = http.get(app.base(adapter) + "/files/" + key, timeout=60)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.content == data

    # curl: upload a PNG from a file, download it into another
    png = http.get(app.base(adapter) + "/image.png?size=32", timeout=60)
    assert png.status_code == 200
    assert png.headers["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.content.endswith(b"IEND\xaeB`\x82")
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    src.write_bytes(png.content)
    status, _, body = curl("-H", "Content-Type: image/png", "--data-binary", "@%s" % src,
                           app.base(adapter) + "/files/" + key + ".png")
    assert status == 201, body
    status, headers, _ = curl("-o", str(dst), app.base(adapter) + "/files/" + key + ".png")
    assert status == 200
    assert hget(headers, "content-type") == ["image/png"]
    assert dst.read_bytes() == png.content


def test_cookies(app, adapter, http):
    r = http.get(app.base(adapter) + "/cookies", timeout=60)
    assert r.status_code == 200, r.text
    cookies = r.raw.headers.getlist("Set-Cookie")
    assert len(cookies) == 2, cookies
    assert any(c.startswith("session=abc123") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("theme=dark") for c in cookies)
    assert r.cookies.get("session") == "abc123" and r.cookies.get("theme") == "dark"

    status, headers, _ = curl(app.base(adapter) + "/cookies")
    assert status == 200
    assert len(hget(headers, "set-cookie")) == 2


def test_flask_500(app, adapter, http):
    r = http.get(app.base(adapter) + "/boom", timeout=60)
    assert r.status_code == 500
    assert r.headers["Content-Type"].startswith("text/html")
    assert "Internal Server Error" in r.text
    r = http.get(app.base(adapter) + "/no/such/page", timeout=60)
    assert r.status_code == 404


def test_stage_name_is_free(app, adapter, http):
    r = http.get(app.base(adapter, stage="prod") + "/hello?name=p", timeout=60)
    assert r.status_code == 200
    assert r.json() == {"message": "Hello, p!"}


# ---- week 7: full stack ----------------------------------------------------------------------

def test_flask_app_s3_file_storage(app, adapter, http):
    key = "notes-%s-%s.txt" % (adapter, uuid.uuid4().hex[:6])
    text = "stored through Flask on Lambda\n" * 100
    r = http.post(app.base(adapter) + "/files/" + key, data=text.encode(),
                  headers={"Content-Type": "text/plain"}, timeout=60)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/files/" + key
    etag = r.json()["etag"]
    # the object is in RustStack's S3, as the app stored it
    obj = app.s3.get_object(Bucket=app.bucket, Key=key)
    assert obj["Body"].read().decode() == text
    assert obj["ContentType"] == "text/plain"
    assert obj["ETag"].strip('"') == etag
    # and its record in DynamoDB
    item = app.ddb.get_item(TableName=app.table, Key={"id": {"S": "file:" + key}},
                            ConsistentRead=True)["Item"]
    assert item["size"] == {"N": str(len(text))}
    assert item["etag"] == {"S": etag}
    assert item["bucket"] == {"S": app.bucket}
    # read back through the app
    r = http.get(app.base(adapter) + "/files/" + key, timeout=60)
    assert r.status_code == 200 and r.text == text
    # an object written from outside is served by the app
    app.s3.put_object(Bucket=app.bucket, Key=key + ".out", Body=b"outside",
                      ContentType="text/x-outside")
    r = http.get(app.base(adapter) + "/files/" + key + ".out", timeout=60)
    assert r.status_code == 200 and r.content == b"outside"
    assert r.headers["Content-Type"].startswith("text/x-outside")


def test_flask_app_dynamodb_data(app, adapter, http):
    rid = "rec-%s-%s" % (adapter, uuid.uuid4().hex[:6])
    doc = {"id": rid, "name": "Grace", "score": 97.5, "count": 3, "tags": ["a", "b"],
           "meta": {"active": True, "level": 2}}
    r = http.post(app.base(adapter) + "/records", json=doc, timeout=60)
    assert r.status_code == 201, r.text
    assert r.json() == doc
    r = http.get(app.base(adapter) + "/records/" + rid, timeout=60)
    assert r.status_code == 200
    assert r.json() == doc
    item = app.ddb.get_item(TableName=app.table, Key={"id": {"S": rid}},
                            ConsistentRead=True)["Item"]
    assert item["score"] == {"N": "97.5"}
    assert item["tags"] == {"L": [{"S": "a"}, {"S": "b"}]}
    assert item["meta"]["M"]["active"] == {"BOOL": True}
    # an item written from outside is read by the app
    app.ddb.put_item(TableName=app.table, Item={"id": {"S": rid + "-o"}, "v": {"N": "1"}})
    r = http.get(app.base(adapter) + "/records/" + rid + "-o", timeout=60)
    assert r.status_code == 200 and r.json() == {"id": rid + "-o", "v": 1}
    # a body that is not a JSON object: the app's 400
    r = http.post(app.base(adapter) + "/records", data="[1, 2]", timeout=60)
    assert r.status_code == 400


def test_flask_app_missing_objects(app, adapter, http):
    r = http.get(app.base(adapter) + "/files/does-not-exist-" + uuid.uuid4().hex, timeout=60)
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/json"
    assert r.json()["error"] == "NotFound"
    status, headers, body = curl(app.base(adapter) + "/records/no-such-record")
    assert status == 404
    assert json.loads(body)["error"] == "NotFound"


def test_flask_app_failed_conditions(app, adapter, http):
    rid = "cond-%s-%s" % (adapter, uuid.uuid4().hex[:6])
    r = http.post(app.base(adapter) + "/records", json={"id": rid, "v": 1}, timeout=60)
    assert r.status_code == 201, r.text
    r = http.post(app.base(adapter) + "/records", json={"id": rid, "v": 2}, timeout=60)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "Conflict"
    # the first write stands
    r = http.get(app.base(adapter) + "/records/" + rid, timeout=60)
    assert r.json() == {"id": rid, "v": 1}
    status, _, body = curl("-H", "Content-Type: application/json", "--data",
                           json.dumps({"id": rid}), app.base(adapter) + "/records")
    assert status == 409, body


# ---- the gateway's own answers -----------------------------------------------------------------

@pytest.mark.parametrize("handler", ["bad_key", "not_object", "raises", "bad_status",
                                     "bad_multi"])
def test_malformed_result_is_502(app, http, handler):
    fn = app.proxy_function()
    app.lam.update_function_configuration(FunctionName=fn, Handler="proxy." + handler)
    app.lam.get_waiter("function_updated_v2").wait(
        FunctionName=fn, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    r = http.get(app.base(fn) + "/anything", timeout=60)
    assert r.status_code == 502, (handler, r.status_code, r.text)
    assert r.json() == {"message": "Internal server error"}
    assert r.headers.get("x-amzn-ErrorType") == "InternalServerErrorException"


@pytest.mark.parametrize("handler,status,ctype,body", [
    ("str_status", 201, None, b"created"),
    ("no_status", 200, "application/json", b'{"ok": true}'),
    ("b64", 200, "application/octet-stream", bytes(range(256))),
])
def test_proxy_result_mapping(app, http, handler, status, ctype, body):
    fn = app.proxy_function()
    app.lam.update_function_configuration(FunctionName=fn, Handler="proxy." + handler)
    app.lam.get_waiter("function_updated_v2").wait(
        FunctionName=fn, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    r = http.get(app.base(fn) + "/x", timeout=60)
    assert r.status_code == status, r.text
    assert r.content == body
    if ctype:
        assert r.headers["Content-Type"] == ctype


def test_proxy_header_merge(app, http):
    fn = app.proxy_function()
    app.lam.update_function_configuration(FunctionName=fn, Handler="proxy.merged")
    app.lam.get_waiter("function_updated_v2").wait(
        FunctionName=fn, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    r = http.get(app.base(fn) + "/x", timeout=60)
    assert r.status_code == 200
    assert r.headers["X-Solo"] == "one"
    assert r.headers["X-Flag"] == "true"
    assert r.raw.headers.getlist("X-Both") == ["multi", "solo"] or \
        r.headers["X-Both"] == "multi, solo"
    assert r.raw.headers.getlist("X-Multi") == ["a", "b"] or r.headers["X-Multi"] == "a, b"


def test_missing_route_is_403(app, http):
    r = http.get(app.endpoint + "/restapis/" + app.fn["apig"], timeout=30)
    assert r.status_code == 403
    assert r.json() == {"message": "Missing Authentication Token"}


# ---- the handlers without a server ---------------------------------------------------------

INPROC = r'''
import base64, json, sys
sys.path.insert(0, sys.argv[1])
import handler_apig, handler_sls, handler_mangum
events = json.loads(sys.stdin.read())
out = {}
for mod in (handler_apig, handler_sls, handler_mangum):
    out[mod.__name__] = [mod.handler(ev, None) for ev in events]
print(json.dumps(out))
'''


def test_handlers_in_process(flask_zip):
    """The three adapters called directly with v1 events, in a plain python3 with the
    packaged dependencies: the example itself works whatever the server does."""
    pkg = os.path.join(os.path.dirname(flask_zip[0]), "package")
    events = [apigw_event("GET", "/hello", {"name": ["proc"]}),
              apigw_event("POST", "/echo", None, {"Content-Type": "application/json"},
                          '{"a": 1}'),
              apigw_event("GET", "/image.png", {"size": ["8"]}),
              apigw_event("GET", "/cookies")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.run([sys.executable, "-c", INPROC, pkg], input=json.dumps(events),
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    for name, (hello, echo, image, cookies) in out.items():
        assert hello["statusCode"] == 200, name
        assert json.loads(hello["body"]) == {"message": "Hello, proc!"}, name
        assert echo["statusCode"] == 200 and json.loads(echo["body"])["json"] == {"a": 1}, name
        assert image["isBase64Encoded"] is True, name
        assert base64.b64decode(image["body"]).startswith(b"\x89PNG"), name
        mvh = {k.lower(): v for k, v in (cookies.get("multiValueHeaders") or {}).items()}
        assert len(mvh.get("set-cookie", [])) == 2, (name, cookies)
