"""Lambda function URL configs against the real binary (process executor): boto3 and the
AWS CLI for CreateFunctionUrlConfig, GetFunctionUrlConfig, UpdateFunctionUrlConfig,
DeleteFunctionUrlConfig, ListFunctionUrlConfigs (paging); the name forms; AWS's errors
(a second create, a function without a URL or without existence, $LATEST and versions as
Qualifier, aliases RustStack does not keep, bad AuthType / InvokeMode / Cors, another
account or region); DeleteFunction forgetting the URL; the configs kept across a restart.
Runs in: the pytest process."""

import json
import re

import pytest
from botocore.exceptions import ClientError

from conftest import Cli, LambdaServer, make_lambda_client
from test_lambda_api import ROLE, HANDLER_V1, unique, zip_bytes


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 suite's per-test reset: everything here has unique names."""
    yield


@pytest.fixture(scope="module")
def srv(lambda_process_server):
    return lambda_process_server


@pytest.fixture(scope="module")
def lam(srv):
    return make_lambda_client(srv.endpoint)


@pytest.fixture(scope="module")
def lam_raw(srv):
    """A client that sends what it is given (no client-side validation)."""
    return make_lambda_client(srv.endpoint, parameter_validation=False)


def create_fn(lam, name=None):
    name = name or unique()
    out = lam.create_function(FunctionName=name, Role=ROLE, Runtime="python3.12",
                              Handler="app.handler", Code={"ZipFile": zip_bytes(HANDLER_V1)})
    return name, out["FunctionArn"]


@pytest.fixture
def fn(lam):
    name, arn = create_fn(lam)
    yield name, arn
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


URL_RE = r"^http://[a-z0-9]{32}\.lambda-url\.%s\.localhost:%d/$"


def test_lifecycle(lam, srv, fn):
    name, arn = fn
    c = lam.create_function_url_config(FunctionName=name, AuthType="NONE",
                                       Cors={"AllowOrigins": ["*"], "MaxAge": 60,
                                             "AllowMethods": ["GET", "POST"],
                                             "AllowCredentials": True})
    assert c["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert re.match(URL_RE % ("us-east-1", srv.port), c["FunctionUrl"]), c["FunctionUrl"]
    assert c["FunctionArn"] == arn and c["AuthType"] == "NONE"
    assert c["InvokeMode"] == "BUFFERED"
    assert c["Cors"] == {"AllowOrigins": ["*"], "MaxAge": 60, "AllowMethods": ["GET", "POST"],
                         "AllowCredentials": True}
    assert "LastModifiedTime" not in c
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", c["CreationTime"])
    g = lam.get_function_url_config(FunctionName=name)
    assert g["FunctionUrl"] == c["FunctionUrl"] and g["CreationTime"] == c["CreationTime"]
    assert g["LastModifiedTime"]
    u = lam.update_function_url_config(FunctionName=name, AuthType="AWS_IAM",
                                       InvokeMode="RESPONSE_STREAM", Cors={"MaxAge": 0})
    assert u["AuthType"] == "AWS_IAM" and u["InvokeMode"] == "RESPONSE_STREAM"
    assert u["Cors"] == {"MaxAge": 0} and u["FunctionUrl"] == c["FunctionUrl"]
    assert lam.get_function_url_config(FunctionName=arn)["AuthType"] == "AWS_IAM"
    lst = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [x["FunctionUrl"] for x in lst] == [c["FunctionUrl"]]
    d = lam.delete_function_url_config(FunctionName=name)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []
    st, code, msg = error_of(lam.get_function_url_config, FunctionName=name)
    assert (st, code, msg) == (404, "ResourceNotFoundException",
                               "The resource you requested does not exist.")
    assert error_of(lam.delete_function_url_config, FunctionName=name)[:2] == (
        404, "ResourceNotFoundException")
    assert error_of(lam.update_function_url_config, FunctionName=name,
                    AuthType="NONE")[:2] == (404, "ResourceNotFoundException")


def test_second_create_conflicts(lam, fn):
    name, arn = fn
    lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    st, code, msg = error_of(lam.create_function_url_config, FunctionName=arn, AuthType="NONE")
    assert (st, code) == (409, "ResourceConflictException")
    assert msg == ("Failed to create function url config for [functionArn = %s]. Error "
                   "message:  FunctionUrlConfig exists for this Lambda function" % arn)


def test_missing_function(lam):
    name = unique("nofn")
    st, code, msg = error_of(lam.create_function_url_config, FunctionName=name, AuthType="NONE")
    assert (st, code, msg) == (404, "ResourceNotFoundException", "Function does not exist")
    assert error_of(lam.get_function_url_config, FunctionName=name) == (
        404, "ResourceNotFoundException", "The resource you requested does not exist.")
    assert error_of(lam.list_function_url_configs, FunctionName=name)[:2] == (
        404, "ResourceNotFoundException")
    assert error_of(lam.delete_function_url_config, FunctionName=name)[:2] == (
        404, "ResourceNotFoundException")


def test_qualifiers(lam, lam_raw, fn):
    name, _ = fn
    st, code, msg = error_of(lam_raw.create_function_url_config, FunctionName=name,
                             Qualifier="$LATEST", AuthType="NONE")
    assert (st, code) == (400, "ValidationException")
    assert "Value '$LATEST' at 'qualifier'" in msg
    assert error_of(lam_raw.get_function_url_config, FunctionName=name,
                    Qualifier="1")[:2] == (400, "ValidationException")
    # an alias RustStack does not keep
    assert error_of(lam.create_function_url_config, FunctionName=name, Qualifier="live",
                    AuthType="NONE") == (404, "ResourceNotFoundException",
                                         "Function does not exist")
    assert error_of(lam.get_function_url_config, FunctionName=name + ":live")[:2] == (
        404, "ResourceNotFoundException")


def test_validation(lam_raw, fn):
    name, _ = fn
    cases = [
        (dict(), "Value null at 'authType'"),
        (dict(AuthType="OPEN"), "Member must satisfy enum value set: [NONE, AWS_IAM]"),
        (dict(AuthType="NONE", InvokeMode="STREAM"),
         "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]"),
        (dict(AuthType="NONE", Cors={"MaxAge": 86401}), "cors.maxAge"),
        (dict(AuthType="NONE", Cors={"MaxAge": -1}), "cors.maxAge"),
        (dict(AuthType="NONE", Cors={"AllowMethods": ["GET"] * 7}), "cors.allowMethods"),
        (dict(AuthType="NONE", Cors={"AllowMethods": ["GETTING"]}), "cors.allowMethods"),
        (dict(AuthType="NONE", Cors={"AllowOrigins": [""]}), "cors.allowOrigins"),
        (dict(AuthType="NONE", Cors={"AllowHeaders": ["x" * 1025]}), "cors.allowHeaders"),
    ]
    for kw, text in cases:
        st, code, msg = error_of(lam_raw.create_function_url_config, FunctionName=name, **kw)
        assert (st, code) == (400, "ValidationException"), kw
        assert text in msg, (kw, msg)
    assert error_of(lam_raw.list_function_url_configs, FunctionName=name,
                    MaxItems=51)[:2] == (400, "ValidationException")
    assert error_of(lam_raw.list_function_url_configs, FunctionName=name,
                    MaxItems=0)[:2] == (400, "ValidationException")


def test_other_region_and_account(srv, lam, fn):
    name, arn = fn
    lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    west = make_lambda_client(srv.endpoint, region="eu-west-2")
    other = make_lambda_client(srv.endpoint, access_key="111111111111")
    for c in (west, other):
        assert error_of(c.get_function_url_config, FunctionName=name)[:2] == (
            404, "ResourceNotFoundException")
    # the same name in another region is another function with its own URL
    west_name, _ = create_fn(west, name)
    w = west.create_function_url_config(FunctionName=west_name, AuthType="AWS_IAM")
    assert ".lambda-url.eu-west-2." in w["FunctionUrl"]
    assert lam.get_function_url_config(FunctionName=name)["AuthType"] == "NONE"
    west.delete_function(FunctionName=west_name)
    assert lam.get_function_url_config(FunctionName=name)["AuthType"] == "NONE"


def test_delete_function_forgets_the_url(lam):
    name, _ = create_fn(lam)
    lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    lam.delete_function(FunctionName=name)
    create_fn(lam, name)
    assert error_of(lam.get_function_url_config, FunctionName=name)[:2] == (
        404, "ResourceNotFoundException")
    c = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert c["ResponseMetadata"]["HTTPStatusCode"] == 201
    lam.delete_function(FunctionName=name)


def test_list_pages(lam_raw, fn):
    name, _ = fn
    lam_raw.create_function_url_config(FunctionName=name, AuthType="NONE")
    r = lam_raw.list_function_url_configs(FunctionName=name, MaxItems=1)
    assert len(r["FunctionUrlConfigs"]) == 1 and "NextMarker" not in r
    assert set(r["FunctionUrlConfigs"][0]) >= {"FunctionUrl", "FunctionArn", "AuthType",
                                               "CreationTime", "LastModifiedTime"}
    r = lam_raw.list_function_url_configs(FunctionName=name, Marker="1")
    assert r["FunctionUrlConfigs"] == []


def test_aws_cli(srv, lam, fn):
    aws = Cli(srv.endpoint)
    name, arn = fn
    r = aws("lambda", "create-function-url-config", "--function-name", name, "--auth-type",
            "NONE", "--cors", "AllowOrigins=*,MaxAge=5")
    assert r.returncode == 0, r.stderr
    c = json.loads(r.stdout)
    assert c["FunctionArn"] == arn and c["Cors"]["MaxAge"] == 5
    r = aws("lambda", "get-function-url-config", "--function-name", name)
    assert r.returncode == 0 and json.loads(r.stdout)["FunctionUrl"] == c["FunctionUrl"]
    r = aws("lambda", "list-function-url-configs", "--function-name", name)
    assert r.returncode == 0 and len(json.loads(r.stdout)["FunctionUrlConfigs"]) == 1
    r = aws("lambda", "update-function-url-config", "--function-name", name, "--auth-type",
            "AWS_IAM")
    assert r.returncode == 0 and json.loads(r.stdout)["AuthType"] == "AWS_IAM"
    r = aws("lambda", "create-function-url-config", "--function-name", name, "--auth-type",
            "NONE")
    assert r.returncode != 0 and "ResourceConflictException" in r.stderr
    r = aws("lambda", "delete-function-url-config", "--function-name", name)
    assert r.returncode == 0, r.stderr


def test_url_configs_survive_a_restart(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    made = []

    def start(i):
        wd = tmp_path / ("srv%d" % i)
        wd.mkdir()
        s = LambdaServer(wd, "process", extra_conf="dynamodb = off\ndata_dir = %s\n" % data)
        made.append(s)
        s.start_lambda()
        return s

    try:
        s1 = start(0)
        l1 = make_lambda_client(s1.endpoint)
        name, _ = create_fn(l1)
        c = l1.create_function_url_config(FunctionName=name, AuthType="NONE")
        rc, _ = s1.stop()
        assert rc == 0
        s2 = start(1)
        l2 = make_lambda_client(s2.endpoint)
        g = l2.get_function_url_config(FunctionName=name)
        assert g["FunctionUrl"].split(".")[0] == c["FunctionUrl"].split(".")[0]
        assert g["AuthType"] == "NONE"
    finally:
        for s in made:
            if s.proc and s.proc.poll() is None:
                s.stop()
            s.kill()
