"""The ASGI/WSGI adapters behind every API Gateway door, against the real binary (process
executor), with APIs made through boto3's apigateway / apigatewayv2 / lambda clients as AWS
documents them, and requests.Session FOLLOWING redirects by itself on the gateway's host
(an adapter sends each request for that host to 127.0.0.1:<port> with the Host kept, and
fails the test if a redirect or a link leaves the host):
  - examples/fastapi-app (FastAPI under Mangum): Starlette's trailing-slash redirect
    (GET /items -> 307 to the absolute http://<host>/items/), /docs naming /openapi.json,
    an item, POST /echo (query, JSON body, headers, the URL the app saw), two cookies and a
    PNG, through an HTTP API's $default stage (quick create, payload 2.0; and an
    integration with payload 1.0), a function URL, a custom domain (apigateway domain name
    + base path mapping to a REST API with /{proxy+} ANY and / ANY, AWS_PROXY, deployed)
    and a REST stage URL /prod/... with handler.py's API_GATEWAY_BASE_PATH (Mangum's
    api_gateway_base_path + the root path), which also serves an HTTP API's named stage
    and a custom domain's mapping key /v1;
  - examples/flask-app with each of its handlers (apig-wsgi, serverless-wsgi, Mangum over
    WsgiToAsgi) behind an HTTP API whose integration has PayloadFormatVersion 2.0 and 1.0:
    a GET with a multi-value query string, a JSON POST body, the binary /image.png and two
    cookies arriving as two Set-Cookie headers.
Every test deletes the APIs, domain names and URL configs it made; the functions are made
once for the module and deleted after it.
Runs in: the pytest process (the apps run in the server's execution environments)."""

import os
import re
import struct
import subprocess
import uuid
import zlib
from urllib.parse import urljoin, urlsplit

import boto3
import pytest
import requests
from botocore.config import Config

from conftest import make_lambda_client
from test_lambda_invoke import SRCDIR, Functions, flask_zip_path, unique

FLASK_ADAPTERS = {"apig": "handler_apig.handler", "sls": "handler_sls.handler",
                  "mangum": "handler_mangum.handler"}
STAGE = "prod"


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 suite's per-test reset: everything here has unique names."""
    yield


def fastapi_zip_path():
    """Build (or reuse) examples/fastapi-app's zip into the build tree; fail loudly when it
    cannot be built (it needs PyPI once)."""
    out = os.environ.get("RS_FASTAPI_APP_BUILD") or os.path.join(
        os.environ.get("RS_BUILDDIR") or SRCDIR, "examples", "fastapi-app", "build")
    script = os.path.join(SRCDIR, "examples", "fastapi-app", "build.sh")
    p = subprocess.run(["sh", script, out], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        pytest.fail("examples/fastapi-app/build.sh failed (%d):\n%s" % (p.returncode,
                                                                       p.stderr[-3000:]),
                    pytrace=False)
    path = p.stdout.strip().splitlines()[-1]
    assert os.path.isfile(path), path
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Env:
    """Clients and the module's functions: the FastAPI app at the host root, under /prod
    and under /v1 (API_GATEWAY_BASE_PATH), and the Flask app once per adapter."""

    def __init__(self, srv):
        self.port = srv.port
        self.endpoint = srv.endpoint
        kw = dict(endpoint_url=srv.endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test",
                  config=Config(retries={"mode": "standard", "max_attempts": 1}))
        self.lam = make_lambda_client(srv.endpoint)
        self.v1 = boto3.session.Session().client("apigateway", **kw)
        self.v2 = boto3.session.Session().client("apigatewayv2", **kw)
        self.functions = Functions(self.lam)
        self.fns = {}
        try:
            fastapi = read(fastapi_zip_path())
            self.fns["fastapi"] = self.make("handler.handler", fastapi)
            self.fns["fastapi-stage"] = self.make(
                "handler.handler", fastapi, env={"API_GATEWAY_BASE_PATH": "/" + STAGE})
            self.fns["fastapi-v1"] = self.make(
                "handler.handler", fastapi, env={"API_GATEWAY_BASE_PATH": "/v1"})
            flask = read(flask_zip_path())
            for adapter, handler in sorted(FLASK_ADAPTERS.items()):
                self.fns["flask-" + adapter] = self.make(handler, flask)
        except BaseException:
            self.functions.cleanup()
            raise

    def make(self, handler, code, env=None):
        name, out = self.functions.create(handler, code=code, name=unique("adapters"),
                                          env=env)
        return {"name": name, "arn": out["FunctionArn"]}

    def api_host(self, api_id):
        return "%s.execute-api.localhost:%d" % (api_id, self.port)

    def close(self):
        self.functions.cleanup()


@pytest.fixture(scope="module")
def env(lambda_process_server):
    e = Env(lambda_process_server)
    yield e
    e.close()


class Made:
    """What one test made, undone in reverse order when it ends (the undo must work)."""

    def __init__(self):
        self.undo = []

    def add(self, what, fn, **kw):
        self.undo.append((what, fn, kw))

    def cleanup(self):
        failed = []
        for what, fn, kw in reversed(self.undo):
            try:
                fn(**kw)
            except Exception as e:  # noqa: BLE001 (every undo is tried, then reported)
                failed.append("%s: %r" % (what, e))
        assert not failed, failed


@pytest.fixture
def made():
    m = Made()
    yield m
    m.cleanup()


# ---- the doors ----------------------------------------------------------------------------

def invocation_uri(arn):
    region = arn.split(":")[3]
    return "arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations" % (region,
                                                                                    arn)


def http_api_quick(env, made, fn):
    """An HTTP API by quick create (Target): $default route and stage, payload 2.0."""
    api = env.v2.create_api(Name=unique("adapters"), ProtocolType="HTTP", Target=fn["arn"])
    made.add("HTTP API " + api["ApiId"], env.v2.delete_api, ApiId=api["ApiId"])
    return urlsplit(api["ApiEndpoint"]).netloc


def http_api_payload(env, made, fn, version, stage="$default"):
    """An HTTP API with an AWS_PROXY integration of PayloadFormatVersion `version`, the
    $default route and an auto-deployed stage (default $default)."""
    api = env.v2.create_api(Name=unique("adapters"), ProtocolType="HTTP")
    api_id = api["ApiId"]
    made.add("HTTP API " + api_id, env.v2.delete_api, ApiId=api_id)
    integ = env.v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                      IntegrationUri=fn["arn"], PayloadFormatVersion=version)
    assert integ["PayloadFormatVersion"] == version
    env.v2.create_route(ApiId=api_id, RouteKey="$default",
                        Target="integrations/" + integ["IntegrationId"])
    env.v2.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
    return urlsplit(api["ApiEndpoint"]).netloc


def function_url(env, made, fn):
    cfg = env.lam.create_function_url_config(FunctionName=fn["name"], AuthType="NONE")
    made.add("URL config of " + fn["name"], env.lam.delete_function_url_config,
             FunctionName=fn["name"])
    return urlsplit(cfg["FunctionUrl"]).netloc


def rest_api(env, made, fn, stage=STAGE):
    """A REST API with / ANY and /{proxy+} ANY (AWS_PROXY to fn), deployed to `stage`.
    binaryMediaTypes */*: without it AWS returns a base64 body as text."""
    api = env.v1.create_rest_api(name=unique("adapters"), binaryMediaTypes=["*/*"])
    api_id = api["id"]
    made.add("REST API " + api_id, env.v1.delete_rest_api, restApiId=api_id)
    root = [r for r in env.v1.get_resources(restApiId=api_id)["items"] if r["path"] == "/"]
    assert len(root) == 1, root
    proxy = env.v1.create_resource(restApiId=api_id, parentId=root[0]["id"],
                                   pathPart="{proxy+}")
    assert proxy["path"] == "/{proxy+}"
    for rid in (root[0]["id"], proxy["id"]):
        env.v1.put_method(restApiId=api_id, resourceId=rid, httpMethod="ANY",
                          authorizationType="NONE")
        env.v1.put_integration(restApiId=api_id, resourceId=rid, httpMethod="ANY",
                               type="AWS_PROXY", integrationHttpMethod="POST",
                               uri=invocation_uri(fn["arn"]))
    env.v1.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def custom_domain(env, made, api_id, stage=STAGE, base_path=None):
    """A REGIONAL domain name with a base path mapping (default: none) -> api_id/stage."""
    domain = "adapters-%s.example.com" % uuid.uuid4().hex[:8]
    env.v1.create_domain_name(
        domainName=domain, endpointConfiguration={"types": ["REGIONAL"]},
        regionalCertificateArn="arn:aws:acm:us-east-1:000000000000:certificate/adapters")
    made.add("domain name " + domain, env.v1.delete_domain_name, domainName=domain)
    kw = {"basePath": base_path} if base_path else {}
    mapping = env.v1.create_base_path_mapping(domainName=domain, restApiId=api_id,
                                              stage=stage, **kw)
    assert mapping["basePath"] == (base_path or "(none)"), mapping
    made.add("base path mapping of " + domain, env.v1.delete_base_path_mapping,
             domainName=domain, basePath=mapping["basePath"])
    return "%s:%d" % (domain, env.port)


# ---- a browser-like session on the gateway's host -------------------------------------------

class GatewayAdapter(requests.adapters.HTTPAdapter):
    """Sends every request for http://<host>/... to the server with Host: <host>; the
    response keeps the gateway's URL (so redirects and cookies are resolved against it). A
    request for any other address is a failure: the app sent the client off the gateway."""

    def __init__(self, host, endpoint):
        super().__init__()
        self.host = host
        self.endpoint = endpoint

    def send(self, request, **kw):
        parts = urlsplit(request.url)
        if parts.scheme != "http" or parts.netloc != self.host:
            raise AssertionError("left the gateway host %s: %s" % (self.host, request.url))
        wire = request.copy()
        wire.url = self.endpoint + request.url[len("http://" + self.host):]
        wire.headers["Host"] = self.host
        kw["timeout"] = kw.get("timeout") or 120
        resp = super().send(wire, **kw)
        resp.url = request.url
        resp.request = request
        return resp


def gateway_session(env, host):
    s = requests.Session()
    s.trust_env = False
    adapter = GatewayAdapter(host, env.endpoint)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


def set_cookies(r):
    return r.raw.headers.getlist("Set-Cookie")


def png_pixels(data):
    """(width, height, raw scanlines) of a PNG, every chunk's CRC checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        chunks.append((kind, body))
        pos += 12 + length
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"], chunks
    width, height = struct.unpack(">II", chunks[0][1][:8])
    return width, height, zlib.decompress(chunks[1][1])


def gradient(size):
    """The scanlines both examples draw for /image.png?size=N."""
    return b"".join(
        b"\x00" + b"".join(bytes(((x * 16 + y) % 256, (255 - x * 16) % 256, (y * 16) % 256))
                           for x in range(size))
        for y in range(size))


def check_png(r, size):
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"] == "image/png", r.headers
    assert png_pixels(r.content) == (size, size, gradient(size))


# ---- FastAPI through each door --------------------------------------------------------------

FASTAPI_COOKIES = ["session=abc123; HttpOnly; Path=/; SameSite=lax",
                   "theme=dark; Path=/; SameSite=lax"]


def fastapi_through(env, host, prefix=""):
    """The FastAPI example at http://<host><prefix>/, followed like a browser."""
    base = "http://%s%s" % (host, prefix)
    s = gateway_session(env, host)
    try:
        # the trailing-slash redirect: absolute, on the same host and prefix, query kept
        r = s.get(base + "/items?x=1")
        assert r.status_code == 200, (r.status_code, r.text[:300])
        assert [h.status_code for h in r.history] == [307], r.history
        assert r.history[0].headers["Location"] == base + "/items/?x=1"
        assert r.url == base + "/items/?x=1"
        assert r.json() == {"items": [{"id": 1, "name": "apple"}, {"id": 2, "name": "pear"}],
                            "url": base + "/items/?x=1"}
        assert s.get(base + "/items/2").json() == {"id": 2, "name": "pear"}
        r = s.get(base + "/items/9")
        assert r.status_code == 404
        assert r.json() == {"detail": "Item not found"}
        # /docs names the OpenAPI document; fetched relative to the page, it is on the host
        r = s.get(base + "/docs")
        assert r.status_code == 200, (r.status_code, r.text[:300])
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        urls = re.findall(r"url: '([^']*)'", r.text)
        assert urls == [prefix + "/openapi.json"], urls
        r = s.get(urljoin(r.url, urls[0]))
        assert r.status_code == 200, (r.status_code, r.text[:300])
        assert r.url == base + "/openapi.json"
        doc = r.json()
        assert doc["info"] == {"title": "RustStack FastAPI example", "version": "1.0.0"}
        assert sorted(doc["paths"]) == ["/", "/cookies", "/echo", "/image.png", "/items/",
                                        "/items/{item_id}"]
        assert doc.get("servers") == ([{"url": prefix}] if prefix else None)
        # what the app saw of a request
        r = s.post(base + "/echo?a=1&a=2&b=x%20y&c=%26%3D", json={"k": [1, "two"], "u": "\u00e9"},
                   headers={"X-Custom": "v1"})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        seen = r.json()
        assert seen["method"] == "POST"
        assert seen["path"] == prefix + "/echo"
        assert seen["root_path"] == prefix
        assert urlsplit(seen["url"])[:3] == ("http", host, prefix + "/echo")
        assert seen["query"] == [["a", "1"], ["a", "2"], ["b", "x y"], ["c", "&="]]
        assert seen["json"] == {"k": [1, "two"], "u": "\u00e9"}
        assert seen["body_length"] == len(r.request.body)
        assert seen["headers"]["host"] == host
        assert seen["headers"]["x-custom"] == "v1"
        assert seen["headers"]["content-type"] == "application/json"
        # two cookies: two Set-Cookie headers, both kept by the session
        r = s.get(base + "/cookies")
        assert r.status_code == 200, (r.status_code, r.text[:300])
        assert set_cookies(r) == FASTAPI_COOKIES
        assert r.json() == {"cookies": ["session", "theme"]}
        assert s.cookies.get("session") == "abc123" and s.cookies.get("theme") == "dark"
        # bytes
        check_png(s.get(base + "/image.png?size=16"), 16)
        check_png(s.get(base + "/image.png?size=3"), 3)
    finally:
        s.close()


def test_fastapi_http_api_default_stage(env, made):
    fastapi_through(env, http_api_quick(env, made, env.fns["fastapi"]))


def test_fastapi_http_api_payload_1_0(env, made):
    fastapi_through(env, http_api_payload(env, made, env.fns["fastapi"], "1.0"))


def test_fastapi_function_url(env, made):
    host = function_url(env, made, env.fns["fastapi"])
    assert ".lambda-url.us-east-1." in host, host
    fastapi_through(env, host)


def test_fastapi_custom_domain(env, made):
    api_id = rest_api(env, made, env.fns["fastapi"])
    fastapi_through(env, custom_domain(env, made, api_id))


def test_fastapi_rest_stage_with_base_path(env, made):
    """The REST stage URL /prod/...: the event's path has no stage; handler.py's
    API_GATEWAY_BASE_PATH=/prod gives the app its root path."""
    api_id = rest_api(env, made, env.fns["fastapi-stage"])
    fastapi_through(env, env.api_host(api_id), "/" + STAGE)


def test_fastapi_http_api_named_stage_with_base_path(env, made):
    """An HTTP API's named stage: rawPath carries /prod, Mangum's api_gateway_base_path
    strips it."""
    host = http_api_payload(env, made, env.fns["fastapi-stage"], "2.0", stage=STAGE)
    fastapi_through(env, host, "/" + STAGE)


def test_fastapi_custom_domain_mapping_key_with_base_path(env, made):
    """A base path mapping with the key v1: the event's path carries /v1, Mangum's
    api_gateway_base_path strips it."""
    api_id = rest_api(env, made, env.fns["fastapi-v1"])
    fastapi_through(env, custom_domain(env, made, api_id, base_path="v1"), "/v1")


# ---- the Flask example's three adapters behind HTTP API payloads 2.0 and 1.0 ---------------

FLASK_COOKIES = ["session=abc123; HttpOnly; Path=/", "theme=dark; Path=/"]


@pytest.mark.parametrize("version", ["2.0", "1.0"])
@pytest.mark.parametrize("adapter", sorted(FLASK_ADAPTERS))
def test_flask_adapter_http_api_payload(env, made, adapter, version):
    host = http_api_payload(env, made, env.fns["flask-" + adapter], version)
    base = "http://" + host
    s = gateway_session(env, host)
    try:
        r = s.get(base + "/echo/a/b?a=1&a=2&b=x%20y&c=%26%3D&empty=")
        assert r.status_code == 200, (r.status_code, r.text[:300])
        seen = r.json()
        assert seen["method"] == "GET"
        assert seen["path"] == "/echo/a/b"
        assert seen["script_root"] == ""
        assert seen["args"] == {"a": ["1", "2"], "b": ["x y"], "c": ["&="], "empty": [""]}
        assert seen["headers"]["host"] == host
        assert seen["body_length"] == 0
        body = b'{"id": "r1", "tags": ["a", "b"], "name": "\xc3\xa9t\xc3\xa9"}'
        r = s.post(base + "/echo", data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        seen = r.json()
        assert seen["method"] == "POST"
        assert seen["json"] == {"id": "r1", "tags": ["a", "b"], "name": "\u00e9t\u00e9"}
        assert seen["body"] == body.decode()
        assert seen["body_length"] == len(body)
        assert seen["headers"]["content-type"] == "application/json"
        check_png(s.get(base + "/image.png?size=16"), 16)
        r = s.get(base + "/cookies")
        assert r.status_code == 200, (r.status_code, r.text[:300])
        assert set_cookies(r) == FLASK_COOKIES
        assert r.json() == {"cookies": ["session", "theme"]}
        assert s.cookies.get("session") == "abc123" and s.cookies.get("theme") == "dark"
    finally:
        s.close()
