"""API Gateway invoke URLs as AWS serves them, against the real binary (process executor):
a small Flask app behind serverless-wsgi logs in (form POST, session cookie, redirect to a
protected page, url_for(_external=True)) through the host-based URL
http://<fn>.execute-api.localhost:<port>/<stage>/..., and through AWS's own host form
<fn>.execute-api.<region>.amazonaws.com (serverless-wsgi then puts the stage in
SCRIPT_NAME); the event fields behind it (path without the stage, requestContext.path with
it, stage, domainName, domainPrefix, apiId, resource, pathParameters, the Host as sent);
a function in eu-west-2 reached by host <fn>.execute-api.eu-west-2.localhost and by its
percent-encoded ARN; the /_aws/execute-api path form; the old /restapis form; unknown
functions and addresses without a stage; each line the function prints logged once.
Requests go to 127.0.0.1 with the Host header set (no resolver needed); redirects are
followed by hand so that the Host is kept.
Runs in: the pytest process (the app runs in the server's execution environments)."""

import io
import json
import uuid
import zipfile
from urllib.parse import quote, urlsplit

import pytest
import requests

from conftest import make_lambda_client
from test_lambda_invoke import Functions, flask_zip_path, unique

LOGIN_APP = r'''
import os

import serverless_wsgi
from flask import Flask, jsonify, redirect, request, session, url_for

app = Flask(__name__)
app.secret_key = "gateway-urls-test"


@app.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        if request.form.get("password") != "pw":
            return "wrong password", 403
        session["user"] = request.form["user"]
        return redirect(url_for("private"))
    return '<form method="post" action="%s"><input name="user"><input name="password">' \
        '</form>' % url_for("login")


@app.route("/private")
def private():
    if "user" not in session:
        return redirect(url_for("login"))
    return jsonify(user=session["user"], me=url_for("private", _external=True),
                   script_root=request.script_root, path=request.path)


@app.route("/event", defaults={"rest": ""}, methods=["GET", "POST"])
@app.route("/event/<path:rest>", methods=["GET", "POST"])
def event(rest):
    mark = request.args.get("mark")
    if mark:
        print("gateway-urls mark %s" % mark)
    ev = request.environ["serverless.event"]
    return jsonify(event=ev, region=os.environ.get("AWS_REGION"))


def handler(event, context):
    return serverless_wsgi.handle_request(app, event, context)
'''


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 suite's per-test reset: everything here has unique names."""
    yield


@pytest.fixture(scope="module")
def login_zip():
    """examples/flask-app's zip (Flask, serverless-wsgi) with login_app.py added."""
    with open(flask_zip_path(), "rb") as f:
        src = zipfile.ZipFile(io.BytesIO(f.read()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, src.read(info.filename))
        info = zipfile.ZipInfo("login_app.py", date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = 0o100644 << 16
        z.writestr(info, LOGIN_APP)
    return buf.getvalue()


class Gateway:
    """The app deployed in us-east-1 (the default region) and in eu-west-2."""

    def __init__(self, srv, code):
        self.srv = srv
        self.port = srv.port
        self.endpoint = srv.endpoint
        self.lam = make_lambda_client(srv.endpoint)
        self.lam_w2 = make_lambda_client(srv.endpoint, region="eu-west-2")
        self.functions = Functions(self.lam)
        self.functions_w2 = Functions(self.lam_w2)
        self.fn, _ = self.functions.create("login_app.handler", code=code,
                                           name=unique("gw"))
        self.fn_w2, out = self.functions_w2.create("login_app.handler", code=code,
                                                   name=unique("gw-w2"))
        self.arn_w2 = out["FunctionArn"]
        self.http = requests.Session()
        self.http.trust_env = False

    def call(self, method, path, host=None, **kw):
        """One request to 127.0.0.1 with the Host header `host`; redirects not followed."""
        headers = dict(kw.pop("headers", {}))
        if host is not None:
            headers["Host"] = host
        return self.http.request(method, self.endpoint + path, headers=headers,
                                 allow_redirects=False, timeout=120, **kw)

    def host(self, fn=None, region=None):
        middle = ".%s" % region if region else ""
        return "%s.execute-api%s.localhost:%d" % (fn or self.fn, middle, self.port)

    def close(self):
        self.http.close()
        self.functions.cleanup()
        self.functions_w2.cleanup()


@pytest.fixture(scope="module")
def gw(lambda_process_server, login_zip):
    g = Gateway(lambda_process_server, login_zip)
    yield g
    g.close()


def gateway_answer(r):
    """The response came from the gateway (not S3)."""
    assert r.headers.get("x-amzn-RequestId"), (r.status_code, r.headers, r.text[:300])
    assert r.headers.get("x-amz-apigw-id"), r.headers


def location_path(r, host):
    """The Location of a redirect as a path on `host` (absolute URLs must stay on it)."""
    assert r.status_code in (301, 302, 303, 307, 308), (r.status_code, r.text[:300])
    loc = urlsplit(r.headers["Location"])
    if loc.netloc:
        assert loc.netloc == host, r.headers["Location"]
    return loc.path


# ---- the login flow ----------------------------------------------------------------------

def login(gw, host, stage_prefix):
    """Log in through `host`; returns the path the POST redirects to."""
    r = gw.call("GET", stage_prefix + "/login", host)
    assert r.status_code == 200, r.text
    gateway_answer(r)
    assert "<form" in r.text
    r = gw.call("POST", stage_prefix + "/login", host, data={"user": "ada", "password": "nope"})
    assert r.status_code == 403, r.text
    r = gw.call("POST", stage_prefix + "/login", host, data={"user": "ada", "password": "pw"})
    gateway_answer(r)
    assert "session=" in r.headers.get("Set-Cookie", ""), r.headers
    assert gw.http.cookies.get("session"), "the session cookie was not kept"
    return location_path(r, host)


def test_login_flow_through_localhost_host(gw):
    host = gw.host()
    gw.http.cookies.clear()
    # without a session the protected page redirects to the login form
    r = gw.call("GET", "/dev/private", host)
    gateway_answer(r)
    assert location_path(r, host) == "/login"  # the host's root: AWS's behaviour too
    # serverless-wsgi adds the stage to SCRIPT_NAME only for amazonaws.com hosts: for this
    # host the app sits at the host root, so the redirect leaves out the stage, as on AWS
    where = login(gw, host, "/dev")
    assert where == "/private"
    # followed as a browser would: the gateway takes "private" for the stage, the app
    # sees "/" (no such page) -- still the app behind the gateway, not S3
    r = gw.call("GET", where, host)
    gateway_answer(r)
    assert r.status_code == 404 and "Not Found" in r.text, r.text[:300]
    # under the stage the cookie opens the protected page; url_for(_external=True) names
    # the same host
    r = gw.call("GET", "/dev/private", host)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["user"] == "ada"
    assert doc["path"] == "/private"
    assert doc["script_root"] == ""
    assert doc["me"] == "http://%s/private" % host
    gw.http.cookies.clear()


def test_login_flow_through_amazonaws_host(gw):
    """With AWS's own host name serverless-wsgi puts the stage in SCRIPT_NAME: the
    redirect and the external URL include /<stage>, and following them works."""
    host = "%s.execute-api.us-east-1.amazonaws.com" % gw.fn
    gw.http.cookies.clear()
    r = gw.call("GET", "/prod/private", host)
    assert location_path(r, host) == "/prod/login"
    where = login(gw, host, "/prod")
    assert where == "/prod/private"
    r = gw.call("GET", where, host)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["user"] == "ada"
    assert doc["script_root"] == "/prod"
    assert doc["me"] == "http://%s/prod/private" % host
    # the form posts back under the stage too
    r = gw.call("GET", "/prod/login", host)
    assert 'action="/prod/login"' in r.text
    gw.http.cookies.clear()


# ---- the event --------------------------------------------------------------------------

def event_of(r):
    assert r.status_code == 200, (r.status_code, r.text[:500])
    gateway_answer(r)
    return r.json()


def test_event_fields_host_form(gw):
    host = gw.host()
    out = event_of(gw.call("GET", "/dev/event/a/b?x=1", host))
    ev = out["event"]
    assert ev["path"] == "/event/a/b"
    assert ev["resource"] == "/{proxy+}"
    assert ev["pathParameters"] == {"proxy": "event/a/b"}
    assert ev["httpMethod"] == "GET"
    assert ev["queryStringParameters"] == {"x": "1"}
    assert ev["headers"]["host"] == host
    assert ev["headers"]["X-Forwarded-Port"] == str(gw.port)
    rc = ev["requestContext"]
    assert rc["path"] == "/dev/event/a/b"
    assert rc["stage"] == "dev"
    assert rc["apiId"] == gw.fn
    assert rc["domainName"] == "%s.execute-api.localhost" % gw.fn
    assert rc["domainPrefix"] == gw.fn
    assert rc["accountId"] == "000000000000"
    assert rc["resourcePath"] == "/{proxy+}"
    assert out["region"] == "us-east-1"
    # the stage's root
    ev = event_of(gw.call("GET", "/dev/event", host))["event"]
    assert ev["path"] == "/event"


def test_function_in_another_region_by_host(gw):
    host = gw.host(gw.fn_w2, "eu-west-2")
    out = event_of(gw.call("POST", "/v1/event/x", host, data=b"hello"))
    assert out["region"] == "eu-west-2"
    ev = out["event"]
    assert ev["body"] == "hello"
    assert ev["requestContext"]["domainName"] == "%s.execute-api.eu-west-2.localhost" % gw.fn_w2
    assert ev["requestContext"]["path"] == "/v1/event/x"
    # the region is the host's: the same name in the default region is no function (nor
    # an API): AWS's answer to an unknown API id
    r = gw.call("GET", "/v1/event/x", gw.host(gw.fn_w2))
    assert r.status_code == 403
    assert r.json() == {"message": "Forbidden"}
    # AWS's host form names the region as well
    host = "%s.execute-api.eu-west-2.amazonaws.com" % gw.fn_w2
    out = event_of(gw.call("GET", "/v1/event/y", host))
    assert out["region"] == "eu-west-2"


def test_path_form(gw):
    out = event_of(gw.call("GET", "/_aws/execute-api/%s/dev/event/p?q=a+b" % gw.fn))
    ev = out["event"]
    assert ev["path"] == "/event/p"
    assert ev["pathParameters"] == {"proxy": "event/p"}
    assert ev["queryStringParameters"] == {"q": "a b"}
    rc = ev["requestContext"]
    assert rc["path"] == "/dev/event/p"
    assert rc["stage"] == "dev"
    assert rc["apiId"] == gw.fn
    assert rc["domainName"] == "127.0.0.1"
    assert ev["headers"]["host"] == "127.0.0.1:%d" % gw.port


def test_arn_forms_reach_other_regions(gw):
    """The percent-encoded ARN used to answer 500: the Invoke ran in the caller's region."""
    enc = quote(gw.arn_w2, safe="")
    for path in ("/restapis/%s/dev/_user_request_/event/z" % enc,
                 "/_aws/execute-api/%s/dev/event/z" % enc):
        out = event_of(gw.call("GET", path))
        assert out["region"] == "eu-west-2", path
        ev = out["event"]
        assert ev["path"] == "/event/z"
        assert ev["requestContext"]["apiId"] == gw.arn_w2
        assert ev["requestContext"]["accountId"] == gw.arn_w2.split(":")[4]
    # and the default region's function by its ARN
    arn = gw.lam.get_function(FunctionName=gw.fn)["Configuration"]["FunctionArn"]
    out = event_of(gw.call("GET", "/restapis/%s/dev/_user_request_/event" % quote(arn, safe="")))
    assert out["region"] == "us-east-1"
    assert out["event"]["path"] == "/event"


def test_restapis_form_unchanged(gw):
    ev = event_of(gw.call("GET", "/restapis/%s/dev/_user_request_/event/w" % gw.fn))["event"]
    assert ev["path"] == "/event/w"
    assert ev["requestContext"]["path"] == "/dev/event/w"
    assert ev["resource"] == "/{proxy+}"


def test_unknown_function_and_missing_stage(gw):
    for host, path in ((gw.host("no-such-fn-" + uuid.uuid4().hex[:8]), "/dev/x"),
                       (None, "/_aws/execute-api/no-such-fn-%s/dev/x" % uuid.uuid4().hex[:8]),
                       (None, "/restapis/no-such-fn/dev/_user_request_/x")):
        r = gw.call("GET", path, host)
        assert r.status_code == 403, (host, path, r.status_code, r.text)
        assert r.json() == {"message": "Forbidden"}
        gateway_answer(r)
    for host, path in ((gw.host(), "/"), (None, "/_aws/execute-api/%s" % gw.fn),
                       (None, "/_aws/execute-api/%s/" % gw.fn)):
        r = gw.call("GET", path, host)
        assert r.status_code == 403, (host, path, r.status_code, r.text)
        assert r.json() == {"message": "Missing Authentication Token"}


def test_printed_lines_logged_once(gw):
    """Each line a function prints is in the server's log once, with its request id."""
    mark = uuid.uuid4().hex
    for _ in range(3):
        event_of(gw.call("GET", "/dev/event?mark=" + mark, gw.host()))
    with open(gw.srv.log_path, "rb") as f:
        lines = [ln for ln in f.read().decode(errors="replace").splitlines()
                 if "gateway-urls mark " + mark in ln]
    assert len(lines) == 3, lines
