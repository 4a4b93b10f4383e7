"""The API Gateway data plane behind the control planes, against the real binary (process
executor): APIs made with boto3's apigateway / apigatewayv2 and function URLs made with the
lambda client, then called over HTTP the way a browser or requests would:
  - a REST API with resources /{proxy+}, /items/{id} and /items/new, methods, an AWS_PROXY
    integration and a deployed stage with variables: the most specific resource wins, the
    1.0 event carries resource, pathParameters, stageVariables, resourceId; an unknown
    path is 403 Missing Authentication Token, an unknown stage 403 Forbidden; an integration
    timeout is 504 "Endpoint request timed out" while the function goes on;
  - an HTTP API by quick create ($default stage, payload 2.0) and one with routes and a 1.0
    integration: 2.0 events, bare results, cookies, base64, 404 Not Found, 503 on timeout;
  - function URLs by host and by path, CORS preflight and response headers;
  - custom domain names (v1 base path mappings, v2 API mappings) by Host;
  - the Flask login flow (form POST, session cookie, redirect, url_for(_external=True)) with
    requests.Session following redirects through a custom domain, an HTTP API $default
    stage and a function URL, and through a REST stage URL with a bridge that takes the
    stage from requestContext.path.
Requests go to 127.0.0.1 with the Host header set (no resolver needed).
Runs in: the pytest process (the functions run in the server's execution environments)."""

import base64
import json
import time
import uuid
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from conftest import LambdaServer, make_lambda_client
from test_lambda_gateway_urls import login_zip  # noqa: F401 (a fixture)
from test_lambda_invoke import Functions, unique, zip_bytes

EV_PY = r'''
import base64
import json
import time


def rest(event, context):
    """A 1.0 proxy result with the event as its body; /sleep sleeps 3 s first."""
    path = event.get("rawPath") or event.get("path") or ""
    if path.endswith("/sleep"):
        time.sleep(3)
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps(event)}


def bare(event, context):
    """A 2.0 bare result: the event itself."""
    return event


def rich(event, context):
    """A 2.0 result with cookies, a header and a base64 body."""
    return {"statusCode": 201, "cookies": ["a=1; Path=/", "b=2"],
            "headers": {"x-made-by": "rich"}, "isBase64Encoded": True,
            "body": base64.b64encode(b"\x00\x01binary\xff").decode()}
'''

# A bridge that takes the stage from requestContext.path: with it a Flask app mounted at
# /<stage> builds every URL under the stage, so redirects and cookies stay on the stage URL.
STAGE_BRIDGE_PY = r'''
import serverless_wsgi

from login_app import app


def handler(event, context):
    rc = event.get("requestContext") or {}
    stage_path, path = rc.get("path") or "", event.get("path") or ""
    base = stage_path[: len(stage_path) - len(path)] if path and stage_path.endswith(path) else ""

    def wsgi(environ, start_response):
        environ["SCRIPT_NAME"] = base
        return app(environ, start_response)

    return serverless_wsgi.handle_request(wsgi, event, context)
'''


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 suite's per-test reset: everything here has unique names."""
    yield


class Env:
    def __init__(self, srv, login_code):
        self.srv = srv
        self.port = srv.port
        self.endpoint = srv.endpoint
        kw = dict(endpoint_url=srv.endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
        self.lam = make_lambda_client(srv.endpoint)
        self.v1 = boto3.session.Session().client("apigateway", **kw)
        self.v2 = boto3.session.Session().client("apigatewayv2", **kw)
        self.functions = Functions(self.lam)
        code = zip_bytes({"ev.py": EV_PY})
        self.rest_fn = self.make("ev.rest", code, timeout=10)
        self.bare_fn = self.make("ev.bare", code)
        self.rich_fn = self.make("ev.rich", code)
        self.login_fn = self.make("login_app.handler", login_code)
        bridge = _add_to_zip(login_code, "stage_bridge.py", STAGE_BRIDGE_PY)
        self.bridge_fn = self.make("stage_bridge.handler", bridge)
        self.http = requests.Session()
        self.http.trust_env = False

    def make(self, handler, code, timeout=30):
        name, out = self.functions.create(handler, code=code, timeout=timeout)
        return out["FunctionArn"]

    def call(self, method, path, host=None, session=None, **kw):
        headers = dict(kw.pop("headers", {}))
        if host is not None:
            headers["Host"] = host
        s = session or self.http
        return s.request(method, self.endpoint + path, headers=headers, allow_redirects=False,
                         timeout=120, **kw)

    def api_host(self, api_id):
        return "%s.execute-api.localhost:%d" % (api_id, self.port)

    def close(self):
        self.http.close()
        self.functions.cleanup()


def _add_to_zip(code, name, text):
    import io
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(code))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, src.read(info.filename))
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o100644 << 16
        z.writestr(info, text)
    return buf.getvalue()


@pytest.fixture(scope="module")
def env(lambda_process_server, login_zip):  # noqa: F811
    e = Env(lambda_process_server, login_zip)
    yield e
    e.close()


def invocation_uri(arn):
    region = arn.split(":")[3]
    return "arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations" % (region, arn)


def rest_api(env, fn_arn, stage="dev", variables=None, timeout_ms=None,
             extra=("/items/{id}", "/items/new")):
    """A REST API: /{proxy+} ANY, and each `extra` resource GET, all to fn_arn; deployed."""
    api = env.v1.create_rest_api(name=unique("api"))
    api_id = api["id"]
    root = [r for r in env.v1.get_resources(restApiId=api_id)["items"] if r["path"] == "/"][0]
    ids = {"/": root["id"]}

    def resource(path):
        if path in ids:
            return ids[path]
        parent, _, part = path.rpartition("/")
        pid = resource(parent or "/")
        ids[path] = env.v1.create_resource(restApiId=api_id, parentId=pid, pathPart=part)["id"]
        return ids[path]

    def method(path, verb):
        rid = resource(path)
        env.v1.put_method(restApiId=api_id, resourceId=rid, httpMethod=verb,
                          authorizationType="NONE")
        kw = dict(restApiId=api_id, resourceId=rid, httpMethod=verb, type="AWS_PROXY",
                  integrationHttpMethod="POST", uri=invocation_uri(fn_arn))
        if timeout_ms is not None:
            kw["timeoutInMillis"] = timeout_ms
        env.v1.put_integration(**kw)

    method("/{proxy+}", "ANY")
    method("/", "ANY")
    for p in extra:
        method(p, "GET")
    env.v1.create_deployment(restApiId=api_id, stageName=stage, variables=variables or {})
    return api_id, ids


# ---- REST APIs ---------------------------------------------------------------------------

def test_rest_most_specific_resource_and_event(env):
    api_id, ids = rest_api(env, env.rest_fn, variables={"color": "blue"})
    host = env.api_host(api_id)
    r = env.call("GET", "/dev/items/42?x=1", host)
    assert r.status_code == 200, r.text
    ev = r.json()
    assert ev["resource"] == "/items/{id}"
    assert ev["pathParameters"] == {"id": "42"}
    assert ev["stageVariables"] == {"color": "blue"}
    assert ev["path"] == "/items/42"
    rc = ev["requestContext"]
    assert rc["resourceId"] == ids["/items/{id}"]
    assert rc["resourcePath"] == "/items/{id}"
    assert rc["path"] == "/dev/items/42"
    assert rc["apiId"] == api_id
    assert rc["stage"] == "dev"
    assert "version" not in ev
    # a literal resource beats {id}
    assert env.call("GET", "/dev/items/new", host).json()["resource"] == "/items/new"
    # no GET on /items/{id} for POST: the greedy resource's ANY takes it
    ev = env.call("POST", "/dev/items/42", host, data=b"x").json()
    assert ev["resource"] == "/{proxy+}"
    assert ev["pathParameters"] == {"proxy": "items/42"}
    # the root resource
    ev = env.call("GET", "/dev/", host).json()
    assert ev["resource"] == "/"
    assert ev["pathParameters"] is None
    # the path form reaches the same API
    ev = env.call("GET", "/_aws/execute-api/%s/dev/items/7" % api_id).json()
    assert ev["pathParameters"] == {"id": "7"}


def test_rest_unknown_route_and_stage(env):
    api_id, _ = rest_api(env, env.rest_fn, extra=())
    host = env.api_host(api_id)
    # a stage that does not exist
    r = env.call("GET", "/nostage/x", host)
    assert r.status_code == 403, r.text
    assert r.json() == {"message": "Forbidden"}
    # an API with only /only: every other path is Missing Authentication Token
    api = env.v1.create_rest_api(name=unique("api"))
    root = env.v1.get_resources(restApiId=api["id"])["items"][0]["id"]
    rid = env.v1.create_resource(restApiId=api["id"], parentId=root, pathPart="only")["id"]
    env.v1.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET",
                      authorizationType="NONE")
    env.v1.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET",
                           type="AWS_PROXY", integrationHttpMethod="POST",
                           uri=invocation_uri(env.rest_fn))
    env.v1.create_deployment(restApiId=api["id"], stageName="v1")
    host = env.api_host(api["id"])
    assert env.call("GET", "/v1/only", host).status_code == 200
    for method, path in (("GET", "/v1/other"), ("POST", "/v1/only"), ("GET", "/v1/")):
        r = env.call(method, path, host)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json() == {"message": "Missing Authentication Token"}
        assert r.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_rest_stage_serves_its_deployment(env):
    """Resources added after a deployment are live only after the next one."""
    api_id, ids = rest_api(env, env.rest_fn, extra=())
    rid = env.v1.create_resource(restApiId=api_id, parentId=ids["/"], pathPart="late")["id"]
    env.v1.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET",
                      authorizationType="NONE")
    env.v1.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type="AWS_PROXY",
                           integrationHttpMethod="POST", uri=invocation_uri(env.rest_fn))
    host = env.api_host(api_id)
    assert env.call("GET", "/dev/late", host).json()["resource"] == "/{proxy+}"
    env.v1.create_deployment(restApiId=api_id, stageName="dev")
    assert env.call("GET", "/dev/late", host).json()["resource"] == "/late"


def test_rest_integration_timeout_is_504(env):
    api_id, _ = rest_api(env, env.rest_fn, timeout_ms=1000, extra=())
    t0 = time.monotonic()
    r = env.call("GET", "/dev/sleep", env.api_host(api_id))
    took = time.monotonic() - t0
    assert r.status_code == 504, r.text
    assert r.json() == {"message": "Endpoint request timed out"}
    assert 0.9 < took < 2.9, took
    # the function went on and the environment is reusable afterwards
    time.sleep(2.5)
    assert env.call("GET", "/dev/ok", env.api_host(api_id)).status_code == 200


# ---- HTTP APIs ---------------------------------------------------------------------------

def test_http_quick_create_payload_2(env):
    api = env.v2.create_api(Name=unique("http"), ProtocolType="HTTP", Target=env.bare_fn)
    host = env.api_host(api["ApiId"])
    r = env.call("POST", "/some/path?a=1&a=2&b=3", host, data="hi",
                 headers={"Cookie": "s=1; t=2", "X-Two": "one"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    ev = r.json()
    assert ev["version"] == "2.0"
    assert ev["routeKey"] == "$default"
    assert ev["rawPath"] == "/some/path"
    assert ev["rawQueryString"] == "a=1&a=2&b=3"
    assert ev["queryStringParameters"] == {"a": "1,2", "b": "3"}
    assert ev["cookies"] == ["s=1", "t=2"]
    assert ev["headers"]["x-two"] == "one"
    assert "cookie" not in ev["headers"]
    assert ev["body"] == "hi" and ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["http"]["method"] == "POST"
    assert rc["http"]["path"] == "/some/path"
    assert rc["stage"] == "$default"
    assert rc["apiId"] == api["ApiId"]
    assert rc["domainName"] == "%s.execute-api.localhost" % api["ApiId"]


def test_http_routes_params_and_1_0(env):
    api = env.v2.create_api(Name=unique("http"), ProtocolType="HTTP")
    api_id = api["ApiId"]
    i2 = env.v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                   IntegrationUri=env.bare_fn, PayloadFormatVersion="2.0")
    i1 = env.v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                   IntegrationUri=env.rest_fn, PayloadFormatVersion="1.0")
    env.v2.create_route(ApiId=api_id, RouteKey="GET /items/{id}",
                        Target="integrations/" + i2["IntegrationId"])
    env.v2.create_route(ApiId=api_id, RouteKey="ANY /v1/{proxy+}",
                        Target="integrations/" + i1["IntegrationId"])
    env.v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    host = env.api_host(api_id)
    ev = env.call("GET", "/items/9", host).json()
    assert ev["routeKey"] == "GET /items/{id}"
    assert ev["pathParameters"] == {"id": "9"}
    ev = env.call("DELETE", "/v1/a/b", host).json()
    assert ev["version"] == "1.0"
    assert ev["resource"] == "/v1/{proxy+}"
    assert ev["pathParameters"] == {"proxy": "a/b"}
    r = env.call("GET", "/nothing/here", host)
    assert r.status_code == 404, r.text
    assert r.json() == {"message": "Not Found"}
    # a named stage is a path prefix, rawPath keeps it
    env.v2.create_stage(ApiId=api_id, StageName="beta", AutoDeploy=True)
    ev = env.call("GET", "/beta/items/3", host).json()
    assert ev["rawPath"] == "/beta/items/3"
    assert ev["requestContext"]["stage"] == "beta"
    assert ev["pathParameters"] == {"id": "3"}


def test_http_integration_timeout_is_503(env):
    api = env.v2.create_api(Name=unique("http"), ProtocolType="HTTP")
    integ = env.v2.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY",
                                      IntegrationUri=env.rest_fn, PayloadFormatVersion="2.0",
                                      TimeoutInMillis=800)
    env.v2.create_route(ApiId=api["ApiId"], RouteKey="$default",
                        Target="integrations/" + integ["IntegrationId"])
    env.v2.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    t0 = time.monotonic()
    r = env.call("GET", "/sleep", env.api_host(api["ApiId"]))
    took = time.monotonic() - t0
    assert r.status_code == 503, r.text
    assert r.json() == {"message": "Service Unavailable"}
    assert 0.7 < took < 2.5, took
    # answered before the function ended; the next request is served as usual
    time.sleep(2.5)
    r = env.call("GET", "/fine", env.api_host(api["ApiId"]))
    assert r.status_code == 200, r.text


def test_http_result_rules(env):
    api = env.v2.create_api(Name=unique("http"), ProtocolType="HTTP", Target=env.rich_fn)
    r = env.call("GET", "/x", env.api_host(api["ApiId"]))
    assert r.status_code == 201
    assert r.content == b"\x00\x01binary\xff"
    assert r.headers["x-made-by"] == "rich"
    assert r.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]


# ---- function URLs -----------------------------------------------------------------------

def url_host(cfg):
    return urlsplit(cfg["FunctionUrl"]).netloc


def test_function_url_by_host_and_path_with_cors(env):
    name = env.bare_fn.split(":")[6]
    cfg = env.lam.create_function_url_config(
        FunctionName=name, AuthType="NONE",
        Cors={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
              "AllowHeaders": ["x-custom"], "ExposeHeaders": ["x-made-by"], "MaxAge": 60})
    try:
        host = url_host(cfg)
        url_id = host.split(".")[0]
        assert ".lambda-url.us-east-1." in host
        r = env.call("GET", "/hello?q=1", host, headers={"Origin": "https://app.example"})
        assert r.status_code == 200, r.text
        ev = r.json()
        assert ev["version"] == "2.0" and ev["rawPath"] == "/hello"
        assert ev["requestContext"]["apiId"] == url_id
        assert ev["requestContext"]["domainPrefix"] == url_id
        assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert r.headers["Access-Control-Expose-Headers"] == "x-made-by"
        assert "x-amz-apigw-id" not in r.headers
        # the path form
        ev = env.call("GET", "/_aws/lambda-url/%s/p/q" % url_id).json()
        assert ev["rawPath"] == "/p/q"
        # a preflight is answered without the function
        r = env.call("OPTIONS", "/hello", host,
                     headers={"Origin": "https://app.example",
                              "Access-Control-Request-Method": "POST"})
        assert r.status_code == 200
        assert r.headers["Access-Control-Allow-Methods"] == "GET,POST"
        assert r.headers["Access-Control-Allow-Headers"] == "x-custom"
        assert r.headers["Access-Control-Max-Age"] == "60"
        # another origin gets no CORS headers
        r = env.call("GET", "/hello", host, headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in r.headers
    finally:
        env.lam.delete_function_url_config(FunctionName=name)
    r = env.call("GET", "/hello", host)
    assert r.status_code == 404


# ---- custom domains ----------------------------------------------------------------------

def test_custom_domain_v1_and_v2_mappings(env):
    api_id, _ = rest_api(env, env.rest_fn, extra=("/items/{id}",))
    domain = "api-%s.example.com" % uuid.uuid4().hex[:8]
    env.v1.create_domain_name(domainName=domain,
                              regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:"
                                                     "certificate/x",
                              endpointConfiguration={"types": ["REGIONAL"]})
    try:
        env.v1.create_base_path_mapping(domainName=domain, restApiId=api_id, stage="dev")
        ev = env.call("GET", "/items/5", "%s:%d" % (domain, env.port)).json()
        assert ev["resource"] == "/items/{id}"
        assert ev["pathParameters"] == {"id": "5"}
        assert ev["requestContext"]["domainName"] == domain
        assert ev["requestContext"]["stage"] == "dev"
        # a v2 API mapping with a key on the same domain
        http = env.v2.create_api(Name=unique("http"), ProtocolType="HTTP", Target=env.bare_fn)
        env.v2.create_api_mapping(DomainName=domain, ApiId=http["ApiId"], Stage="$default",
                                  ApiMappingKey="v2")
        ev = env.call("GET", "/v2/things", domain).json()
        assert ev["version"] == "2.0"
        assert ev["requestContext"]["apiId"] == http["ApiId"]
        # the REST mapping still takes the rest
        assert env.call("GET", "/items/6", domain).json()["pathParameters"] == {"id": "6"}
        # apigatewayv2 maps REST APIs too; the event's path keeps the mapping key
        env.v2.create_api_mapping(DomainName=domain, ApiId=api_id, Stage="dev",
                                  ApiMappingKey="r/s")
        ev = env.call("GET", "/r/s/items/7", domain).json()
        assert ev["resource"] == "/items/{id}"
        assert ev["pathParameters"] == {"id": "7"}
        assert ev["path"] == "/r/s/items/7"
    finally:
        env.v1.delete_domain_name(domainName=domain)
    # gone: the host is S3's again (no such bucket)
    r = env.call("GET", "/items/5", domain)
    assert r.status_code == 404
    assert "x-amz-apigw-id" not in r.headers


def test_domain_replaced_by_one_of_the_same_length(env):
    """Each worker re-reads the published names when they change: a domain deleted and
    another of the same length created (the names file may get the same inode and size)
    is routed at once, by every worker."""
    api_id, _ = rest_api(env, env.rest_fn, extra=())
    tag = uuid.uuid4().hex[:8]
    for name in ("a-%s.example.com" % tag, "b-%s.example.com" % tag):
        env.v1.create_domain_name(domainName=name, certificateArn="arn:aws:acm:x")
        try:
            env.v1.create_base_path_mapping(domainName=name, restApiId=api_id, stage="dev")
            for _ in range(6):  # new connections: both workers answer
                r = requests.get(env.endpoint + "/x", headers={"Host": name}, timeout=60)
                assert r.status_code == 200, (name, r.status_code, r.text[:200])
                assert r.json()["requestContext"]["domainName"] == name
        finally:
            env.v1.delete_domain_name(domainName=name)
        r = requests.get(env.endpoint + "/x", headers={"Host": name}, timeout=60)
        assert r.status_code == 404 and "NoSuchBucket" in r.text, r.text[:200]


# ---- the login flow through each front door ------------------------------------------------

def login_flow(env, host, prefix=""):
    """requests.Session following redirects by itself, on `host` (via 127.0.0.1)."""
    s = requests.Session()
    s.trust_env = False

    class HostAdapter(requests.adapters.HTTPAdapter):
        def send(self, request, **kw):
            parts = urlsplit(request.url)
            if parts.netloc == host:
                request.url = request.url.replace("http://" + host, env.endpoint, 1)
            request.headers["Host"] = host
            return super().send(request, **kw)

    s.mount("http://", HostAdapter())
    base = "http://%s%s" % (host, prefix)

    def stayed(r, path):
        """every redirect stayed on `host` (relative, or absolute naming it) and the last
        request was for `path`"""
        for h in r.history:
            loc = urlsplit(h.headers["Location"])
            assert loc.netloc in ("", host), h.headers["Location"]
        assert urlsplit(r.url).path == prefix + path, r.url

    r = s.get(base + "/private", timeout=60)  # redirected to the login form
    assert r.status_code == 200 and "<form" in r.text, (r.status_code, r.text[:300])
    assert r.history, "no redirect to the login form"
    stayed(r, "/login")
    r = s.post(base + "/login", data={"user": "ada", "password": "pw"}, timeout=60)
    assert r.status_code == 200, (r.status_code, r.text[:300])
    stayed(r, "/private")
    doc = r.json()
    assert doc["user"] == "ada"
    assert doc["me"] == base + "/private", doc
    assert s.cookies.get("session"), "the session cookie was not kept"
    s.close()


def test_login_through_http_api_default_stage(env):
    api = env.v2.create_api(Name=unique("http"), ProtocolType="HTTP", Target=env.login_fn)
    login_flow(env, env.api_host(api["ApiId"]))


def test_login_through_function_url(env):
    name = env.login_fn.split(":")[6]
    cfg = env.lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    try:
        login_flow(env, url_host(cfg))
    finally:
        env.lam.delete_function_url_config(FunctionName=name)


def test_login_through_custom_domain(env):
    api_id, _ = rest_api(env, env.login_fn, stage="prod", extra=())
    domain = "login-%s.example.com" % uuid.uuid4().hex[:8]
    env.v1.create_domain_name(domainName=domain, certificateArn="arn:aws:acm:us-east-1:"
                                                                "000000000000:certificate/y")
    try:
        env.v1.create_base_path_mapping(domainName=domain, restApiId=api_id, stage="prod",
                                        basePath="(none)")
        login_flow(env, "%s:%d" % (domain, env.port))
    finally:
        env.v1.delete_domain_name(domainName=domain)


def test_login_through_rest_stage_with_stage_bridge(env):
    api_id, _ = rest_api(env, env.bridge_fn, stage="prod", extra=())
    login_flow(env, env.api_host(api_id), prefix="/prod")


# ---- persistence ---------------------------------------------------------------------------

def test_apis_and_urls_answer_after_a_restart_with_data_dir(tmp_path):
    """Definitions, functions and the published domain names come back with data_dir: the
    same URLs answer after a restart."""
    data = tmp_path / "data"
    data.mkdir()
    servers = []

    def start():
        wd = tmp_path / ("srv%d" % len(servers))
        wd.mkdir()
        srv = LambdaServer(wd, "process", extra_conf="dynamodb = off\ndata_dir = %s\n" % data)
        servers.append(srv)
        srv.start_lambda()
        return srv

    try:
        srv = start()
        e = Env.__new__(Env)
        e.srv, e.port, e.endpoint = srv, srv.port, srv.endpoint
        kw = dict(endpoint_url=srv.endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
        e.lam = make_lambda_client(srv.endpoint)
        e.v1 = boto3.session.Session().client("apigateway", **kw)
        e.v2 = boto3.session.Session().client("apigatewayv2", **kw)
        e.functions = Functions(e.lam)
        e.http = requests.Session()
        e.http.trust_env = False
        e.rest_fn = e.make("ev.rest", zip_bytes({"ev.py": EV_PY}))
        rest_id, _ = rest_api(e, e.rest_fn, extra=("/items/{id}",))
        http_id = e.v2.create_api(Name=unique("http"), ProtocolType="HTTP",
                                  Target=e.rest_fn)["ApiId"]
        domain = "persist-%s.example.com" % uuid.uuid4().hex[:8]
        e.v1.create_domain_name(domainName=domain, certificateArn="arn:aws:acm:x")
        e.v1.create_base_path_mapping(domainName=domain, restApiId=rest_id, stage="dev")
        url = e.lam.create_function_url_config(FunctionName=e.rest_fn.split(":")[6],
                                               AuthType="NONE")
        rc, _ = srv.stop()
        assert rc == 0

        srv = start()
        port = srv.port

        def get(path, host):
            return requests.get(srv.endpoint + path, headers={"Host": host}, timeout=60)

        r = get("/dev/items/1", "%s.execute-api.localhost:%d" % (rest_id, port))
        assert r.status_code == 200 and r.json()["pathParameters"] == {"id": "1"}, r.text
        r = get("/x", "%s.execute-api.localhost:%d" % (http_id, port))
        assert r.status_code == 200 and r.json()["rawPath"] == "/x", r.text
        r = get("/items/2", domain)
        assert r.status_code == 200 and r.json()["pathParameters"] == {"id": "2"}, r.text
        r = get("/u", urlsplit(url["FunctionUrl"]).netloc)
        assert r.status_code == 200 and r.json()["rawPath"] == "/u", r.text
    finally:
        for srv in servers:
            if srv.proc and srv.proc.poll() is None:
                srv.stop()
            srv.kill()
