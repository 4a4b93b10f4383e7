"""The apigateway (v1, REST API) control plane against the real binary, with boto3 and the
AWS CLI: REST APIs (create with its root resource, get, list with paging, update by patch
operations, delete), resources (literal, {param} and greedy {proxy+} path parts, conflicts,
children deleted with their parent, embed=methods), methods, integrations (AWS_PROXY to a
Lambda function, the other types stored as given, AWS's validation errors), method and
integration responses, deployments (a snapshot of the resources, with stageName the stage
made or moved) and stages (variables, patch operations), custom domain names and base path
mappings; unknown ids, missing members, another account or region, unknown operations;
the definitions kept in a data_dir across a restart, in the layout the data plane reads.
Runs in: the pytest process."""

import glob
import json
import os
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import LambdaServer

ACCOUNT = "000000000000"
FN_ARN = "arn:aws:lambda:us-east-1:000000000000:function:gw-rest-target"
LAMBDA_URI = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations"
              % FN_ARN)


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 suite's per-test reset: everything here has unique names."""
    yield


@pytest.fixture(scope="module")
def srv(lambda_process_server):
    return lambda_process_server


def gw_client(endpoint, region="us-east-1", access_key="test", validate=True):
    cfg = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=10,
                 read_timeout=60, parameter_validation=validate)
    return boto3.session.Session().client(
        "apigateway", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
        aws_secret_access_key="test", config=cfg)


@pytest.fixture(scope="module")
def gw(srv):
    return gw_client(srv.endpoint)


@pytest.fixture(scope="module")
def gw_raw(srv):
    """No client-side validation: the server's own answers to missing members."""
    return gw_client(srv.endpoint, validate=False)


def unique(prefix="api"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as ei:
        call(*args, **kwargs)
    r = ei.value.response
    return (r["Error"]["Code"], r["Error"].get("Message", ""),
            r["ResponseMetadata"]["HTTPStatusCode"])


@pytest.fixture
def api(gw):
    made = gw.create_rest_api(name=unique())
    yield made
    try:
        gw.delete_rest_api(restApiId=made["id"])
    except ClientError:
        pass


def root_of(gw, api_id):
    items = gw.get_resources(restApiId=api_id)["items"]
    return [r for r in items if r["path"] == "/"][0]["id"]


def lambda_method(gw, api_id, resource_id, method="GET"):
    gw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                  authorizationType="NONE")
    return gw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=method,
                              type="AWS_PROXY", integrationHttpMethod="POST", uri=LAMBDA_URI)


# ---- REST APIs ------------------------------------------------------------------------------

def test_rest_api_lifecycle(gw):
    name = unique()
    resp = gw.create_rest_api(name=name, description="first", tags={"team": "a"},
                              endpointConfiguration={"types": ["REGIONAL"]})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    api_id = resp["id"]
    assert len(api_id) == 10 and api_id.isalnum() and api_id == api_id.lower()
    assert resp["name"] == name and resp["description"] == "first"
    assert resp["tags"] == {"team": "a"}
    assert resp["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert resp["apiKeySource"] == "HEADER"
    assert resp["disableExecuteApiEndpoint"] is False
    assert abs(resp["createdDate"].timestamp() - time.time()) < 120
    root = resp["rootResourceId"]
    items = gw.get_resources(restApiId=api_id)["items"]
    assert items == [{"id": root, "path": "/"}]

    got = gw.get_rest_api(restApiId=api_id)
    assert got["id"] == api_id and got["rootResourceId"] == root and got["tags"] == {"team": "a"}
    assert api_id in [a["id"] for a in gw.get_rest_apis(limit=500)["items"]]

    upd = gw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "replace", "path": "/name", "value": name + "-2"},
        {"op": "replace", "path": "/description", "value": "second"},
        {"op": "add", "path": "/binaryMediaTypes/image~1png"}])
    assert upd["name"] == name + "-2" and upd["description"] == "second"
    assert upd["binaryMediaTypes"] == ["image/png"]
    assert gw.get_rest_api(restApiId=api_id)["name"] == name + "-2"
    upd = gw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "remove", "path": "/description"},
        {"op": "remove", "path": "/binaryMediaTypes/image~1png"}])
    assert "description" not in upd and upd["binaryMediaTypes"] == []
    upd = gw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "replace", "path": "/endpointConfiguration/types/REGIONAL", "value": "EDGE"},
        {"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"},
        {"op": "replace", "path": "/apiKeySource", "value": "AUTHORIZER"}])
    assert upd["endpointConfiguration"]["types"] == ["EDGE"]
    assert upd["disableExecuteApiEndpoint"] is True and upd["apiKeySource"] == "AUTHORIZER"
    code, _, _ = error_of(gw.update_rest_api, restApiId=api_id, patchOperations=[
        {"op": "replace", "path": "/endpointConfiguration/types/PRIVATE", "value": "EDGE"}])
    assert code == "BadRequestException"

    deleted = gw.delete_rest_api(restApiId=api_id)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    code, msg, status = error_of(gw.get_rest_api, restApiId=api_id)
    assert (code, status) == ("NotFoundException", 404)
    assert msg == "Invalid API identifier specified %s:%s" % (ACCOUNT, api_id)
    assert api_id not in [a["id"] for a in gw.get_rest_apis(limit=500)["items"]]


def test_rest_api_defaults(gw, api):
    assert api["endpointConfiguration"] == {"types": ["EDGE"]}
    assert "tags" not in api or api["tags"] == {}
    assert len(api["rootResourceId"]) == 6


def test_get_rest_apis_pages(gw):
    ids = [gw.create_rest_api(name=unique("page"))["id"] for _ in range(3)]
    try:
        seen, position, pages = [], None, 0
        while True:
            kw = {"limit": 2}
            if position:
                kw["position"] = position
            page = gw.get_rest_apis(**kw)
            assert len(page["items"]) <= 2
            seen += [a["id"] for a in page["items"]]
            pages += 1
            position = page.get("position")
            if not position:
                break
        assert pages >= 2
        assert len(seen) == len(set(seen))
        assert set(ids) <= set(seen)
        paged = [a["id"] for p in gw.get_paginator("get_rest_apis").paginate(
            PaginationConfig={"PageSize": 1}) for a in p["items"]]
        assert set(ids) <= set(paged)
        code, _, status = error_of(gw.get_rest_apis, limit=0)
        assert (code, status) == ("BadRequestException", 400)
    finally:
        for i in ids:
            gw.delete_rest_api(restApiId=i)


def test_rest_api_errors(gw, gw_raw, api):
    code, msg, status = error_of(gw_raw.create_rest_api)
    assert (code, status) == ("BadRequestException", 400) and "name" in msg
    code, _, status = error_of(gw_raw.create_rest_api, name="x",
                               endpointConfiguration={"types": ["SIDEWAYS"]})
    assert (code, status) == ("BadRequestException", 400)
    for call in (gw.get_rest_api, gw.delete_rest_api):
        code, msg, status = error_of(call, restApiId="nosuchapi0")
        assert (code, status) == ("NotFoundException", 404)
        assert msg == "Invalid API identifier specified %s:nosuchapi0" % ACCOUNT
    code, msg, status = error_of(gw.update_rest_api, restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/rootResourceId", "value": "x"}])
    assert (code, status) == ("BadRequestException", 400) and "/rootResourceId" in msg
    code, _, status = error_of(gw.update_rest_api, restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/name", "value": ""}])
    assert (code, status) == ("BadRequestException", 400)
    # a refused patch changes nothing
    assert gw.get_rest_api(restApiId=api["id"])["name"] == api["name"]


def test_another_account_or_region_sees_nothing(srv, gw, api):
    other_account = gw_client(srv.endpoint, access_key="111111111111")
    other_region = gw_client(srv.endpoint, region="eu-west-1")
    for other, account in ((other_account, "111111111111"), (other_region, ACCOUNT)):
        code, msg, status = error_of(other.get_rest_api, restApiId=api["id"])
        assert (code, status) == ("NotFoundException", 404)
        assert msg == "Invalid API identifier specified %s:%s" % (account, api["id"])
        assert api["id"] not in [a["id"] for a in other.get_rest_apis(limit=500)["items"]]
        code, _, _ = error_of(other.get_resources, restApiId=api["id"])
        assert code == "NotFoundException"
        code, _, _ = error_of(other.delete_rest_api, restApiId=api["id"])
        assert code == "NotFoundException"
        code, _, _ = error_of(other.create_resource, restApiId=api["id"],
                              parentId=api["rootResourceId"], pathPart="x")
        assert code == "NotFoundException"
    # still there for its owner
    assert gw.get_rest_api(restApiId=api["id"])["id"] == api["id"]
    # an API of another region is its own
    mine = other_region.create_rest_api(name=unique())
    try:
        code, _, _ = error_of(gw.get_rest_api, restApiId=mine["id"])
        assert code == "NotFoundException"
    finally:
        other_region.delete_rest_api(restApiId=mine["id"])


# ---- resources ------------------------------------------------------------------------------

def test_resources(gw, api):
    a, root = api["id"], api["rootResourceId"]
    users = gw.create_resource(restApiId=a, parentId=root, pathPart="users")
    assert users["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert len(users["id"]) == 6
    assert (users["parentId"], users["pathPart"], users["path"]) == (root, "users", "/users")
    assert "resourceMethods" not in users
    uid = gw.create_resource(restApiId=a, parentId=users["id"], pathPart="{id}")
    assert uid["path"] == "/users/{id}"
    deep = gw.create_resource(restApiId=a, parentId=uid["id"], pathPart="orders.v1")
    assert deep["path"] == "/users/{id}/orders.v1"
    proxy = gw.create_resource(restApiId=a, parentId=root, pathPart="{proxy+}")
    assert proxy["path"] == "/{proxy+}"

    got = gw.get_resource(restApiId=a, resourceId=uid["id"])
    assert got["path"] == "/users/{id}" and got["parentId"] == users["id"]
    paths = sorted(r["path"] for r in gw.get_resources(restApiId=a)["items"])
    assert paths == ["/", "/users", "/users/{id}", "/users/{id}/orders.v1", "/{proxy+}"]

    code, msg, status = error_of(gw.create_resource, restApiId=a, parentId=root,
                                 pathPart="users")
    assert (code, status) == ("ConflictException", 409)
    assert msg == "Another resource with the same parent already has this name: users"
    for bad in ("a/b", "{open", "sp ace", "{pro+xy}", "{}"):
        code, msg, status = error_of(gw.create_resource, restApiId=a, parentId=root,
                                     pathPart=bad)
        assert (code, status) == ("BadRequestException", 400), bad
        assert msg.startswith("Resource's path part only allow a-zA-Z0-9._-")
    code, msg, _ = error_of(gw.create_resource, restApiId=a, parentId=users["id"],
                            pathPart="{other}")
    assert code == "BadRequestException" and "only one is allowed" in msg
    code, msg, _ = error_of(gw.create_resource, restApiId=a, parentId=proxy["id"],
                            pathPart="x")
    assert code == "BadRequestException" and "greedy path variable" in msg
    code, msg, status = error_of(gw.create_resource, restApiId=a, parentId="nosuch",
                                 pathPart="x")
    assert (code, msg, status) == ("NotFoundException",
                                   "Invalid Resource identifier specified", 404)
    code, msg, _ = error_of(gw.get_resource, restApiId=a, resourceId="nosuch")
    assert (code, msg) == ("NotFoundException", "Invalid Resource identifier specified")

    # deleting a resource deletes what is under it
    assert gw.delete_resource(restApiId=a, resourceId=users["id"])[
        "ResponseMetadata"]["HTTPStatusCode"] == 202
    paths = sorted(r["path"] for r in gw.get_resources(restApiId=a)["items"])
    assert paths == ["/", "/{proxy+}"]
    for gone in (users["id"], uid["id"], deep["id"]):
        code, _, _ = error_of(gw.get_resource, restApiId=a, resourceId=gone)
        assert code == "NotFoundException"
    code, _, _ = error_of(gw.delete_resource, restApiId=a, resourceId=users["id"])
    assert code == "NotFoundException"
    code, _, status = error_of(gw.delete_resource, restApiId=a, resourceId=root)
    assert (code, status) == ("BadRequestException", 400)
    # the same name again, now that it is free
    again = gw.create_resource(restApiId=a, parentId=root, pathPart="users")
    assert again["path"] == "/users" and again["id"] != users["id"]


def test_get_resources_pages(gw, api):
    a, root = api["id"], api["rootResourceId"]
    for i in range(30):
        gw.create_resource(restApiId=a, parentId=root, pathPart="r%d" % i)
    first = gw.get_resources(restApiId=a)
    assert len(first["items"]) == 25 and first.get("position")
    rest = gw.get_resources(restApiId=a, position=first["position"], limit=500)
    assert len(rest["items"]) == 6 and not rest.get("position")
    allp = [r["path"] for p in gw.get_paginator("get_resources").paginate(restApiId=a)
            for r in p["items"]]
    assert len(allp) == 31 and len(set(allp)) == 31


# ---- methods and integrations ---------------------------------------------------------------

def test_methods_and_integrations(gw, api):
    a, root = api["id"], api["rootResourceId"]
    res = gw.create_resource(restApiId=a, parentId=root, pathPart="{proxy+}")["id"]
    m = gw.put_method(restApiId=a, resourceId=res, httpMethod="ANY",
                      authorizationType="NONE", requestParameters={"method.request.path.proxy":
                                                                   True})
    assert m["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (m["httpMethod"], m["authorizationType"], m["apiKeyRequired"]) == ("ANY", "NONE",
                                                                              False)
    assert m["requestParameters"] == {"method.request.path.proxy": True}
    assert "methodIntegration" not in m
    iam = gw.put_method(restApiId=a, resourceId=root, httpMethod="GET",
                        authorizationType="AWS_IAM")
    assert iam["authorizationType"] == "AWS_IAM"

    code, msg, status = error_of(gw.put_method, restApiId=a, resourceId=res, httpMethod="ANY",
                                 authorizationType="NONE")
    assert (code, status) == ("ConflictException", 409)
    assert msg == "Method already exists for this resource"
    code, msg, _ = error_of(gw.put_method, restApiId=a, resourceId=res, httpMethod="FETCH",
                            authorizationType="NONE")
    assert code == "BadRequestException" and msg.startswith("Invalid HttpMethod specified")
    code, _, _ = error_of(gw.put_method, restApiId=a, resourceId=res, httpMethod="PUT",
                          authorizationType="MAGIC")
    assert code == "BadRequestException"
    code, msg, _ = error_of(gw.put_method, restApiId=a, resourceId=res, httpMethod="PUT",
                            authorizationType="CUSTOM")
    assert code == "BadRequestException" and "authorizer" in msg
    code, msg, _ = error_of(gw.put_method, restApiId=a, resourceId="nosuch", httpMethod="GET",
                            authorizationType="NONE")
    assert (code, msg) == ("NotFoundException", "Invalid Resource identifier specified")

    code, msg, status = error_of(gw.get_integration, restApiId=a, resourceId=res,
                                 httpMethod="ANY")
    assert (code, msg, status) == ("NotFoundException",
                                   "Invalid Integration identifier specified", 404)
    integ = gw.put_integration(restApiId=a, resourceId=res, httpMethod="ANY", type="AWS_PROXY",
                               integrationHttpMethod="POST", uri=LAMBDA_URI)
    assert integ["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (integ["type"], integ["httpMethod"], integ["uri"]) == ("AWS_PROXY", "POST",
                                                                  LAMBDA_URI)
    assert integ["timeoutInMillis"] == 29000
    assert integ["passthroughBehavior"] == "WHEN_NO_MATCH"
    assert integ["cacheNamespace"] == res and integ["cacheKeyParameters"] == []
    got = gw.get_integration(restApiId=a, resourceId=res, httpMethod="ANY")
    assert got["uri"] == LAMBDA_URI and got["timeoutInMillis"] == 29000
    method = gw.get_method(restApiId=a, resourceId=res, httpMethod="ANY")
    assert method["methodIntegration"]["uri"] == LAMBDA_URI

    # replaced as a whole by another PutIntegration
    integ = gw.put_integration(restApiId=a, resourceId=res, httpMethod="ANY", type="AWS_PROXY",
                               integrationHttpMethod="POST", uri=LAMBDA_URI,
                               timeoutInMillis=5000)
    assert integ["timeoutInMillis"] == 5000
    for t, uri in (("HTTP_PROXY", "https://example.com/{proxy}"), ("HTTP", "http://h/x"),
                   ("AWS", "arn:aws:apigateway:us-east-1:s3:path/bucket/key")):
        out = gw.put_integration(restApiId=a, resourceId=root, httpMethod="GET", type=t,
                                 integrationHttpMethod="GET", uri=uri)
        assert (out["type"], out["uri"], out["httpMethod"]) == (t, uri, "GET")
    mock = gw.put_integration(restApiId=a, resourceId=root, httpMethod="GET", type="MOCK",
                              requestTemplates={"application/json": '{"statusCode": 200}'})
    assert mock["type"] == "MOCK" and "uri" not in mock
    assert mock["requestTemplates"] == {"application/json": '{"statusCode": 200}'}

    # embed=methods: the methods in full; without: only their names
    plain = {r["path"]: r for r in gw.get_resources(restApiId=a)["items"]}
    assert plain["/{proxy+}"]["resourceMethods"] == {"ANY": {}}
    assert plain["/"]["resourceMethods"] == {"GET": {}}
    full = {r["path"]: r for r in gw.get_resources(restApiId=a, embed=["methods"])["items"]}
    anym = full["/{proxy+}"]["resourceMethods"]["ANY"]
    assert anym["methodIntegration"]["uri"] == LAMBDA_URI
    assert anym["authorizationType"] == "NONE"
    one = gw.get_resource(restApiId=a, resourceId=res, embed=["methods"])
    assert one["resourceMethods"]["ANY"]["methodIntegration"]["timeoutInMillis"] == 5000
    assert gw.get_resource(restApiId=a, resourceId=res)["resourceMethods"] == {"ANY": {}}

    assert gw.delete_integration(restApiId=a, resourceId=res, httpMethod="ANY")[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "methodIntegration" not in gw.get_method(restApiId=a, resourceId=res,
                                                    httpMethod="ANY")
    code, _, _ = error_of(gw.delete_integration, restApiId=a, resourceId=res, httpMethod="ANY")
    assert code == "NotFoundException"
    assert gw.delete_method(restApiId=a, resourceId=res, httpMethod="ANY")[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    for call in (gw.get_method, gw.delete_method, gw.get_integration):
        code, msg, status = error_of(call, restApiId=a, resourceId=res, httpMethod="ANY")
        assert (code, msg, status) == ("NotFoundException",
                                       "Invalid Method identifier specified", 404)


def test_integration_errors(gw, gw_raw, api):
    a, root = api["id"], api["rootResourceId"]
    gw.put_method(restApiId=a, resourceId=root, httpMethod="POST", authorizationType="NONE")

    def put(client=gw, **kw):
        args = dict(restApiId=a, resourceId=root, httpMethod="POST", type="AWS_PROXY",
                    integrationHttpMethod="POST", uri=LAMBDA_URI)
        args.update(kw)
        args = {k: v for k, v in args.items() if v is not None}
        return error_of(client.put_integration, **args)

    code, msg, status = put(integrationHttpMethod=None)
    assert (code, msg, status) == ("BadRequestException",
                                   "Enumeration value for HttpMethod must be non-empty", 400)
    for t in (10, 49, 29001, 60000):
        code, msg, _ = put(timeoutInMillis=t)
        assert (code, msg) == ("BadRequestException",
                               "Timeout should be between 50 ms and 29000 ms"), t
    code, msg, _ = put(uri="not-an-arn")
    assert (code, msg) == ("BadRequestException", "Invalid ARN specified in the request")
    code, msg, _ = put(uri="arn:aws:apigateway:us-east-1:s3:path/b/k")
    assert code == "BadRequestException" and "AWS_PROXY" in msg
    code, msg, _ = put(type="HTTP", uri="ftp://x")
    assert (code, msg) == ("BadRequestException", "Invalid HTTP endpoint specified for URI")
    code, msg, _ = put(type="AWS", uri="arn:aws:apigateway:us-east-1:s3")
    assert (code, msg) == ("BadRequestException",
                           "AWS ARN for integration must contain path or action")
    code, _, _ = put(client=gw_raw, type="SOAP")
    assert code == "BadRequestException"
    code, _, _ = put(client=gw_raw, type=None)
    assert code == "BadRequestException"
    code, msg, _ = put(httpMethod="GET")
    assert (code, msg) == ("NotFoundException", "Invalid Method identifier specified")
    code, msg, _ = put(resourceId="nosuch")
    assert (code, msg) == ("NotFoundException", "Invalid Resource identifier specified")
    # the boundaries are allowed
    for t in (50, 29000):
        assert gw.put_integration(restApiId=a, resourceId=root, httpMethod="POST",
                                  type="AWS_PROXY", integrationHttpMethod="POST",
                                  uri=LAMBDA_URI, timeoutInMillis=t)["timeoutInMillis"] == t


def test_method_and_integration_responses(gw, api):
    a, root = api["id"], api["rootResourceId"]
    gw.put_method(restApiId=a, resourceId=root, httpMethod="GET", authorizationType="NONE")
    mr = gw.put_method_response(restApiId=a, resourceId=root, httpMethod="GET",
                                statusCode="200",
                                responseModels={"application/json": "Empty"})
    assert mr["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert mr["statusCode"] == "200" and mr["responseModels"] == {"application/json": "Empty"}
    assert gw.get_method_response(restApiId=a, resourceId=root, httpMethod="GET",
                                  statusCode="200")["statusCode"] == "200"
    assert "200" in gw.get_method(restApiId=a, resourceId=root,
                                  httpMethod="GET")["methodResponses"]
    code, msg, _ = error_of(gw.put_integration_response, restApiId=a, resourceId=root,
                            httpMethod="GET", statusCode="200")
    assert (code, msg) == ("NotFoundException", "Invalid Integration identifier specified")
    gw.put_integration(restApiId=a, resourceId=root, httpMethod="GET", type="MOCK")
    ir = gw.put_integration_response(restApiId=a, resourceId=root, httpMethod="GET",
                                     statusCode="200", selectionPattern="",
                                     responseTemplates={"application/json": "{}"})
    assert ir["statusCode"] == "200" and ir["responseTemplates"] == {"application/json": "{}"}
    got = gw.get_integration(restApiId=a, resourceId=root, httpMethod="GET")
    assert got["integrationResponses"]["200"]["statusCode"] == "200"
    assert gw.get_integration_response(restApiId=a, resourceId=root, httpMethod="GET",
                                       statusCode="200")["selectionPattern"] == ""
    code, msg, status = error_of(gw.get_integration_response, restApiId=a, resourceId=root,
                                 httpMethod="GET", statusCode="404")
    assert (code, msg, status) == ("NotFoundException",
                                   "Invalid Response status code specified", 404)
    code, _, _ = error_of(gw.put_method_response, restApiId=a, resourceId=root,
                          httpMethod="GET", statusCode="999")
    assert code == "BadRequestException"
    assert gw.delete_integration_response(restApiId=a, resourceId=root, httpMethod="GET",
                                          statusCode="200")[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    assert gw.delete_method_response(restApiId=a, resourceId=root, httpMethod="GET",
                                     statusCode="200")[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    code, _, _ = error_of(gw.get_method_response, restApiId=a, resourceId=root,
                          httpMethod="GET", statusCode="200")
    assert code == "NotFoundException"


def test_update_resource_moves_and_renames(gw, api):
    a, root = api["id"], api["rootResourceId"]
    users = gw.create_resource(restApiId=a, parentId=root, pathPart="users")["id"]
    uid = gw.create_resource(restApiId=a, parentId=users, pathPart="{id}")["id"]
    other = gw.create_resource(restApiId=a, parentId=root, pathPart="other")["id"]
    upd = gw.update_resource(restApiId=a, resourceId=users, patchOperations=[
        {"op": "replace", "path": "/pathPart", "value": "people"}])
    assert (upd["pathPart"], upd["path"]) == ("people", "/people")
    assert gw.get_resource(restApiId=a, resourceId=uid)["path"] == "/people/{id}"
    upd = gw.update_resource(restApiId=a, resourceId=users, patchOperations=[
        {"op": "replace", "path": "/parentId", "value": other}])
    assert (upd["parentId"], upd["path"]) == (other, "/other/people")
    assert gw.get_resource(restApiId=a, resourceId=uid)["path"] == "/other/people/{id}"
    code, msg, _ = error_of(gw.update_resource, restApiId=a, resourceId=other,
                            patchOperations=[{"op": "replace", "path": "/parentId",
                                              "value": uid}])
    assert (code, msg) == ("BadRequestException", "Resources cannot be cyclical.")
    gw.create_resource(restApiId=a, parentId=root, pathPart="taken")
    code, msg, _ = error_of(gw.update_resource, restApiId=a, resourceId=other,
                            patchOperations=[{"op": "replace", "path": "/pathPart",
                                              "value": "taken"}])
    assert (code, msg) == ("ConflictException",
                           "Another resource with the same parent already has this name: taken")
    for bad in ({"op": "replace", "path": "/path", "value": "x"},
                {"op": "add", "path": "/pathPart", "value": "x"},
                {"op": "replace", "path": "/pathPart", "value": "a b"}):
        code, _, _ = error_of(gw.update_resource, restApiId=a, resourceId=other,
                              patchOperations=[bad])
        assert code == "BadRequestException", bad
    code, _, _ = error_of(gw.update_resource, restApiId=a, resourceId=root,
                          patchOperations=[{"op": "replace", "path": "/pathPart", "value": "x"}])
    assert code == "BadRequestException"
    code, msg, _ = error_of(gw.update_resource, restApiId=a, resourceId="nosuch",
                            patchOperations=[])
    assert (code, msg) == ("NotFoundException", "Invalid Resource identifier specified")
    # refused patches changed nothing
    assert gw.get_resource(restApiId=a, resourceId=other)["path"] == "/other"


def test_update_method_and_integration(gw, api):
    a, root = api["id"], api["rootResourceId"]
    lambda_method(gw, a, root, "POST")
    m = gw.update_method(restApiId=a, resourceId=root, httpMethod="POST", patchOperations=[
        {"op": "replace", "path": "/authorizationType", "value": "AWS_IAM"},
        {"op": "replace", "path": "/apiKeyRequired", "value": "true"},
        {"op": "add", "path": "/requestParameters/method.request.header.X-Id", "value": "true"},
        {"op": "add", "path": "/requestModels/application~1json", "value": "Empty"}])
    assert (m["authorizationType"], m["apiKeyRequired"]) == ("AWS_IAM", True)
    assert m["requestParameters"] == {"method.request.header.X-Id": True}
    assert m["requestModels"] == {"application/json": "Empty"}
    assert m["methodIntegration"]["uri"] == LAMBDA_URI
    code, _, _ = error_of(gw.update_method, restApiId=a, resourceId=root, httpMethod="POST",
                          patchOperations=[{"op": "replace", "path": "/httpMethod",
                                            "value": "GET"}])
    assert code == "BadRequestException"
    code, _, _ = error_of(gw.update_method, restApiId=a, resourceId=root, httpMethod="GET",
                          patchOperations=[])
    assert code == "NotFoundException"

    other = LAMBDA_URI.replace("gw-rest-target", "other-fn")
    i = gw.update_integration(restApiId=a, resourceId=root, httpMethod="POST",
                              patchOperations=[
                                  {"op": "replace", "path": "/uri", "value": other},
                                  {"op": "replace", "path": "/timeoutInMillis", "value": "1234"},
                                  {"op": "add", "path": "/requestTemplates/application~1json",
                                   "value": "{}"}])
    assert (i["uri"], i["timeoutInMillis"]) == (other, 1234)
    assert i["requestTemplates"] == {"application/json": "{}"}
    assert gw.get_integration(restApiId=a, resourceId=root, httpMethod="POST")["uri"] == other
    for bad in ({"op": "replace", "path": "/timeoutInMillis", "value": "30000"},
                {"op": "replace", "path": "/uri", "value": "nope"},
                {"op": "replace", "path": "/type", "value": "MOCK"}):
        code, _, _ = error_of(gw.update_integration, restApiId=a, resourceId=root,
                              httpMethod="POST", patchOperations=[bad])
        assert code == "BadRequestException", bad
    assert gw.get_integration(restApiId=a, resourceId=root,
                              httpMethod="POST")["timeoutInMillis"] == 1234
    gw.put_method(restApiId=a, resourceId=root, httpMethod="GET", authorizationType="NONE")
    code, msg, _ = error_of(gw.update_integration, restApiId=a, resourceId=root,
                            httpMethod="GET", patchOperations=[])
    assert (code, msg) == ("NotFoundException", "Invalid Integration identifier specified")


def test_tags(gw, api):
    a = api["id"]
    lambda_method(gw, a, api["rootResourceId"])
    gw.create_deployment(restApiId=a, stageName="s1")
    dn = "tags-%s.example.com" % uuid.uuid4().hex[:8]
    gw.create_domain_name(domainName=dn, endpointConfiguration={"types": ["REGIONAL"]})
    try:
        for arn, get in (
                ("arn:aws:apigateway:us-east-1::/restapis/%s" % a,
                 lambda: gw.get_rest_api(restApiId=a)),
                ("arn:aws:apigateway:us-east-1::/restapis/%s/stages/s1" % a,
                 lambda: gw.get_stage(restApiId=a, stageName="s1")),
                ("arn:aws:apigateway:us-east-1::/domainnames/%s" % dn,
                 lambda: gw.get_domain_name(domainName=dn))):
            assert gw.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})[
                "ResponseMetadata"]["HTTPStatusCode"] == 204
            assert gw.get_tags(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
            assert get()["tags"] == {"a": "1", "b": "2"}
            gw.untag_resource(resourceArn=arn, tagKeys=["a"])
            assert gw.get_tags(resourceArn=arn)["tags"] == {"b": "2"}
        code, _, status = error_of(gw.get_tags,
                                   resourceArn="arn:aws:apigateway:us-east-1::/restapis/nosuch")
        assert (code, status) == ("NotFoundException", 404)
        code, _, _ = error_of(gw.get_tags, resourceArn="not-an-arn")
        assert code == "BadRequestException"
        code, _, _ = error_of(gw.tag_resource,
                              resourceArn="arn:aws:apigateway:us-east-1::/restapis/%s" % a,
                              tags={"aws:reserved": "x"})
        assert code == "BadRequestException"
    finally:
        gw.delete_domain_name(domainName=dn)


def test_update_deployment(gw, api):
    a = api["id"]
    lambda_method(gw, a, api["rootResourceId"])
    d = gw.create_deployment(restApiId=a, description="one")["id"]
    upd = gw.update_deployment(restApiId=a, deploymentId=d, patchOperations=[
        {"op": "replace", "path": "/description", "value": "two"}])
    assert upd["description"] == "two"
    assert gw.get_deployment(restApiId=a, deploymentId=d)["description"] == "two"
    code, _, _ = error_of(gw.update_deployment, restApiId=a, deploymentId=d,
                          patchOperations=[{"op": "replace", "path": "/id", "value": "x"}])
    assert code == "BadRequestException"
    code, _, _ = error_of(gw.update_deployment, restApiId=a, deploymentId="nosuch",
                          patchOperations=[])
    assert code == "NotFoundException"


# ---- deployments and stages -----------------------------------------------------------------

def test_deployments_and_stages(gw, api):
    a, root = api["id"], api["rootResourceId"]
    code, msg, status = error_of(gw.create_deployment, restApiId=a, stageName="dev")
    assert (code, msg, status) == ("BadRequestException",
                                   "The REST API doesn't contain any methods", 400)
    items = gw.create_resource(restApiId=a, parentId=root, pathPart="items")["id"]
    gw.put_method(restApiId=a, resourceId=items, httpMethod="GET", authorizationType="NONE")
    code, msg, _ = error_of(gw.create_deployment, restApiId=a, stageName="dev")
    assert (code, msg) == ("BadRequestException", "No integration defined for method")
    gw.put_integration(restApiId=a, resourceId=items, httpMethod="GET", type="AWS_PROXY",
                       integrationHttpMethod="POST", uri=LAMBDA_URI)
    code, msg, _ = error_of(gw.create_deployment, restApiId=a, stageName="bad name!")
    assert code == "BadRequestException"
    assert gw.get_stages(restApiId=a)["item"] == []

    d1 = gw.create_deployment(restApiId=a, stageName="dev", description="one",
                              stageDescription="the dev stage", variables={"alias": "live"})
    assert d1["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert len(d1["id"]) == 6 and d1["description"] == "one"
    assert abs(d1["createdDate"].timestamp() - time.time()) < 120
    dev = gw.get_stage(restApiId=a, stageName="dev")
    assert dev["deploymentId"] == d1["id"] and dev["variables"] == {"alias": "live"}
    assert dev["description"] == "the dev stage" and dev["stageName"] == "dev"
    assert "createdDate" in dev and "lastUpdatedDate" in dev

    got = gw.get_deployment(restApiId=a, deploymentId=d1["id"], embed=["apisummary"])
    assert got["apiSummary"] == {"/items": {"GET": {"authorizationType": "NONE",
                                                    "apiKeyRequired": False}}}
    assert "apiSummary" not in gw.get_deployment(restApiId=a, deploymentId=d1["id"])

    # the deployment is a snapshot: a later method is not in it, the next one has it
    gw.put_method(restApiId=a, resourceId=items, httpMethod="POST", authorizationType="NONE")
    gw.put_integration(restApiId=a, resourceId=items, httpMethod="POST", type="AWS_PROXY",
                       integrationHttpMethod="POST", uri=LAMBDA_URI)
    assert set(gw.get_deployment(restApiId=a, deploymentId=d1["id"], embed=["apisummary"])[
        "apiSummary"]["/items"]) == {"GET"}
    d2 = gw.create_deployment(restApiId=a, stageName="dev", variables={"extra": "1"})
    assert set(gw.get_deployment(restApiId=a, deploymentId=d2["id"], embed=["apisummary"])[
        "apiSummary"]["/items"]) == {"GET", "POST"}
    dev = gw.get_stage(restApiId=a, stageName="dev")
    assert dev["deploymentId"] == d2["id"]
    assert dev["variables"] == {"alias": "live", "extra": "1"}
    ids = [d["id"] for d in gw.get_deployments(restApiId=a)["items"]]
    assert set(ids) == {d1["id"], d2["id"]}

    prod = gw.create_stage(restApiId=a, stageName="prod", deploymentId=d1["id"],
                           description="production", variables={"v": "1"}, tags={"t": "x"})
    assert prod["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (prod["stageName"], prod["deploymentId"]) == ("prod", d1["id"])
    assert prod["variables"] == {"v": "1"} and prod["tags"] == {"t": "x"}
    assert prod["cacheClusterEnabled"] is False and prod["tracingEnabled"] is False
    code, msg, status = error_of(gw.create_stage, restApiId=a, stageName="prod",
                                 deploymentId=d1["id"])
    assert (code, msg, status) == ("ConflictException", "Stage already exists", 409)
    code, msg, status = error_of(gw.create_stage, restApiId=a, stageName="qa",
                                 deploymentId="nosuch")
    assert (code, msg, status) == ("BadRequestException", "Deployment id does not exist", 400)
    stages = gw.get_stages(restApiId=a)["item"]
    assert sorted(s["stageName"] for s in stages) == ["dev", "prod"]
    assert [s["stageName"] for s in gw.get_stages(restApiId=a, deploymentId=d1["id"])[
        "item"]] == ["prod"]

    upd = gw.update_stage(restApiId=a, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/deploymentId", "value": d2["id"]},
        {"op": "replace", "path": "/variables/color", "value": "blue"},
        {"op": "remove", "path": "/variables/v"},
        {"op": "replace", "path": "/description", "value": "moved"}])
    assert upd["deploymentId"] == d2["id"] and upd["variables"] == {"color": "blue"}
    assert upd["description"] == "moved"
    assert gw.get_stage(restApiId=a, stageName="prod")["variables"] == {"color": "blue"}
    code, _, status = error_of(gw.update_stage, restApiId=a, stageName="prod",
                               patchOperations=[{"op": "replace", "path": "/deploymentId",
                                                 "value": "nosuch"}])
    assert (code, status) == ("BadRequestException", 400)
    code, _, _ = error_of(gw.update_stage, restApiId=a, stageName="prod",
                          patchOperations=[{"op": "replace", "path": "/stageName",
                                            "value": "x"}])
    assert code == "BadRequestException"
    assert gw.get_stage(restApiId=a, stageName="prod")["deploymentId"] == d2["id"]

    code, msg, status = error_of(gw.delete_deployment, restApiId=a, deploymentId=d2["id"])
    assert (code, msg, status) == (
        "BadRequestException",
        "Active stages pointing to this deployment must be moved or deleted", 400)
    assert gw.delete_deployment(restApiId=a, deploymentId=d1["id"])[
        "ResponseMetadata"]["HTTPStatusCode"] == 202
    code, msg, _ = error_of(gw.get_deployment, restApiId=a, deploymentId=d1["id"])
    assert (code, msg) == ("NotFoundException", "Invalid Deployment identifier specified")
    assert gw.delete_stage(restApiId=a, stageName="prod")[
        "ResponseMetadata"]["HTTPStatusCode"] == 202
    code, msg, status = error_of(gw.get_stage, restApiId=a, stageName="prod")
    assert (code, msg, status) == ("NotFoundException", "Invalid Stage identifier specified", 404)
    code, msg, status = error_of(gw.delete_stage, restApiId=a, stageName="prod")
    assert (code, msg.lower(), status) == ("NotFoundException",
                                           "invalid stage identifier specified", 404)
    code, msg, _ = error_of(gw.update_stage, restApiId=a, stageName="prod",
                            patchOperations=[])
    assert (code, msg) == ("NotFoundException", "Invalid Stage identifier specified")
    gw.delete_stage(restApiId=a, stageName="dev")
    gw.delete_deployment(restApiId=a, deploymentId=d2["id"])
    assert gw.get_deployments(restApiId=a)["items"] == []


def test_stage_errors(gw, gw_raw, api):
    a = api["id"]
    code, _, _ = error_of(gw_raw.create_stage, restApiId=a, deploymentId="x")
    assert code == "BadRequestException"
    code, _, _ = error_of(gw_raw.create_stage, restApiId=a, stageName="x")
    assert code == "BadRequestException"
    code, msg, _ = error_of(gw.create_stage, restApiId="nosuchapi0", stageName="x",
                            deploymentId="y")
    assert (code, msg) == ("NotFoundException",
                           "Invalid API identifier specified %s:nosuchapi0" % ACCOUNT)
    code, _, _ = error_of(gw.get_stages, restApiId="nosuchapi0")
    assert code == "NotFoundException"
    code, _, _ = error_of(gw.get_deployments, restApiId="nosuchapi0")
    assert code == "NotFoundException"
    lambda_method(gw, a, api["rootResourceId"])
    dep = gw.create_deployment(restApiId=a)["id"]
    for variables, text in (({"bad-name": "x"}, "Stage variable names"),
                            ({"ok": "spaces are not allowed"}, "Stage variable values")):
        code, msg, _ = error_of(gw.create_stage, restApiId=a, stageName="s", deploymentId=dep,
                                variables=variables)
        assert code == "BadRequestException" and msg.startswith(text), msg
        code, msg, _ = error_of(gw.create_deployment, restApiId=a, stageName="s",
                                variables=variables)
        assert code == "BadRequestException" and msg.startswith(text), msg
    code, msg, _ = error_of(gw.create_stage, restApiId=a, stageName="bad.name",
                            deploymentId=dep)
    assert (code, msg) == ("BadRequestException", "Stage name only allows a-zA-Z0-9_-")
    gw.create_stage(restApiId=a, stageName="s-1_x", deploymentId=dep,
                    variables={"url": "https://h.example/p?q=1&r=2,3#f"})
    code, msg, _ = error_of(gw.update_stage, restApiId=a, stageName="s-1_x", patchOperations=[
        {"op": "replace", "path": "/variables/x", "value": "a b"}])
    assert code == "BadRequestException" and msg.startswith("Stage variable values")
    assert gw.get_stages(restApiId=a)["item"][0]["variables"] == {
        "url": "https://h.example/p?q=1&r=2,3#f"}


# ---- domain names and base path mappings ----------------------------------------------------

def test_domain_names_and_base_path_mappings(gw, srv, api):
    a, root = api["id"], api["rootResourceId"]
    lambda_method(gw, a, root)
    gw.create_deployment(restApiId=a, stageName="live")
    name = "%s.Example.com" % uuid.uuid4().hex[:8]
    cert = "arn:aws:acm:us-east-1:000000000000:certificate/abc"
    d = gw.create_domain_name(domainName=name, regionalCertificateArn=cert,
                              endpointConfiguration={"types": ["REGIONAL"]},
                              tags={"k": "v"})
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert d["domainName"] == name and d["regionalCertificateArn"] == cert
    assert d["regionalDomainName"] == name.lower()
    assert d["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert d["domainNameStatus"] == "AVAILABLE" and d["tags"] == {"k": "v"}
    edge_name = "edge-%s.example.com" % uuid.uuid4().hex[:8]
    e = gw.create_domain_name(domainName=edge_name, certificateArn=cert)
    assert e["distributionDomainName"] == edge_name
    assert e["endpointConfiguration"]["types"] == ["EDGE"]
    try:
        code, msg, status = error_of(gw.create_domain_name, domainName=name.upper())
        assert (code, status) == ("ConflictException", 409) and "already exists" in msg
        assert gw.get_domain_name(domainName=name)["regionalCertificateArn"] == cert
        assert gw.get_domain_name(domainName=name.lower())["domainName"] == name
        listed = [x["domainName"] for x in gw.get_domain_names(limit=500)["items"]]
        assert name in listed and edge_name in listed

        m = gw.create_base_path_mapping(domainName=name, restApiId=a, stage="live")
        assert m["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert (m["basePath"], m["restApiId"], m["stage"]) == ("(none)", a, "live")
        m2 = gw.create_base_path_mapping(domainName=name, restApiId=a, basePath="v1",
                                         stage="live")
        assert m2["basePath"] == "v1"
        code, msg, status = error_of(gw.create_base_path_mapping, domainName=name,
                                     restApiId=a, basePath="v1")
        assert (code, msg, status) == ("ConflictException",
                                       "Base path already exists for this domain name", 409)
        code, _, _ = error_of(gw.create_base_path_mapping, domainName=name, restApiId=a,
                              basePath="(none)")
        assert code == "ConflictException"
        code, msg, _ = error_of(gw.create_base_path_mapping, domainName=name, restApiId=a,
                                basePath="a/b")
        assert code == "BadRequestException" and "slash" in msg
        code, msg, _ = error_of(gw.create_base_path_mapping, domainName=name,
                                restApiId="nosuchapi0", basePath="z")
        assert (code, msg) == ("BadRequestException", "Invalid REST API identifier specified")
        code, msg, _ = error_of(gw.create_base_path_mapping, domainName=name, restApiId=a,
                                basePath="z", stage="nosuch")
        assert (code, msg) == ("BadRequestException", "Invalid stage identifier specified")
        code, msg, status = error_of(gw.create_base_path_mapping, domainName="no.such.domain",
                                     restApiId=a)
        assert (code, msg, status) == ("NotFoundException",
                                       "Invalid domain name identifier specified", 404)

        maps = gw.get_base_path_mappings(domainName=name)["items"]
        assert sorted(x["basePath"] for x in maps) == ["(none)", "v1"]
        one = gw.get_base_path_mapping(domainName=name, basePath="(none)")
        assert (one["restApiId"], one["stage"]) == (a, "live")
        assert gw.get_base_path_mapping(domainName=name, basePath="v1")["basePath"] == "v1"
        code, msg, status = error_of(gw.get_base_path_mapping, domainName=name, basePath="v9")
        assert (code, msg, status) == ("NotFoundException",
                                       "Invalid base path mapping identifier specified", 404)
        assert gw.delete_base_path_mapping(domainName=name, basePath="v1")[
            "ResponseMetadata"]["HTTPStatusCode"] == 202
        code, _, _ = error_of(gw.delete_base_path_mapping, domainName=name, basePath="v1")
        assert code == "NotFoundException"
        assert [x["basePath"] for x in gw.get_base_path_mappings(domainName=name)["items"]] \
            == ["(none)"]

        # another account or region does not see it
        for other in (gw_client(srv.endpoint, access_key="111111111111"),
                      gw_client(srv.endpoint, region="eu-west-1")):
            code, _, _ = error_of(other.get_domain_name, domainName=name)
            assert code == "NotFoundException"
            assert name not in [x["domainName"]
                                for x in other.get_domain_names(limit=500)["items"]]
            code, _, _ = error_of(other.delete_domain_name, domainName=name)
            assert code == "NotFoundException"

        # deleting the API takes its mappings with it
        other_api = gw.create_rest_api(name=unique())["id"]
        gw.create_base_path_mapping(domainName=name, restApiId=other_api, basePath="tmp")
        gw.delete_rest_api(restApiId=other_api)
        assert [x["basePath"] for x in gw.get_base_path_mappings(domainName=name)["items"]] \
            == ["(none)"]
    finally:
        assert gw.delete_domain_name(domainName=name)[
            "ResponseMetadata"]["HTTPStatusCode"] == 202
        gw.delete_domain_name(domainName=edge_name)
    code, msg, status = error_of(gw.get_domain_name, domainName=name)
    assert (code, msg, status) == ("NotFoundException",
                                   "Invalid domain name identifier specified", 404)
    code, _, _ = error_of(gw.delete_domain_name, domainName=name)
    assert code == "NotFoundException"
    code, _, _ = error_of(gw.get_base_path_mappings, domainName=name)
    assert code == "NotFoundException"


def test_domain_name_errors(gw, gw_raw):
    code, _, status = error_of(gw_raw.create_domain_name)
    assert (code, status) == ("BadRequestException", 400)
    code, _, _ = error_of(gw.create_domain_name, domainName="bad name.example.com")
    assert code == "BadRequestException"
    code, _, _ = error_of(gw.create_domain_name, domainName="x.example.com",
                          endpointConfiguration={"types": ["NOWHERE"]})
    assert code == "BadRequestException"
    code, _, _ = error_of(gw.get_domain_name, domainName="x.example.com")
    assert code == "NotFoundException"


def test_domains_are_shared_with_apigatewayv2(srv, gw, api):
    """One domain for both control planes: a v1 domain is a v2 domain, a v1 base path
    mapping a v2 API mapping (basePath "(none)" is ApiMappingKey ""), and back."""
    v2 = boto3.session.Session().client(
        "apigatewayv2", endpoint_url=srv.endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "max_attempts": 1}))
    a, root = api["id"], api["rootResourceId"]
    lambda_method(gw, a, root)
    gw.create_deployment(restApiId=a, stageName="live")
    one = "one-%s.example.com" % uuid.uuid4().hex[:8]
    two = "two-%s.example.com" % uuid.uuid4().hex[:8]
    cert = "arn:aws:acm:us-east-1:000000000000:certificate/c"
    gw.create_domain_name(domainName=one, regionalCertificateArn=cert, tags={"k": "v"},
                          endpointConfiguration={"types": ["REGIONAL"]})
    v2.create_domain_name(DomainName=two, DomainNameConfigurations=[
        {"CertificateArn": cert, "EndpointType": "REGIONAL"}])
    try:
        seen = v2.get_domain_name(DomainName=one)
        assert seen["DomainName"] == one
        assert seen["DomainNameConfigurations"][0].get("CertificateArn") == cert
        gw.create_base_path_mapping(domainName=one, restApiId=a, stage="live")
        gw.create_base_path_mapping(domainName=one, restApiId=a, basePath="v1", stage="live")
        keys = sorted(m.get("ApiMappingKey", "") for m in
                      v2.get_api_mappings(DomainName=one)["Items"])
        assert keys == ["", "v1"]

        got = gw.get_domain_name(domainName=two)
        assert got["domainName"] == two and got["regionalDomainName"] == two
        assert got["regionalCertificateArn"] == cert
        assert got["endpointConfiguration"]["types"] == ["REGIONAL"]
        assert gw.get_base_path_mappings(domainName=two).get("items", []) == []
        http = v2.create_api(Name=unique("http"), ProtocolType="HTTP")["ApiId"]
        try:
            v2.create_stage(ApiId=http, StageName="live")
            v2.create_api_mapping(DomainName=two, ApiId=http, Stage="live",
                                  ApiMappingKey="h")
            gw.create_base_path_mapping(domainName=two, restApiId=a, basePath="rest",
                                        stage="live")
            maps = gw.get_base_path_mappings(domainName=two)["items"]
            assert sorted((m["basePath"], m["restApiId"], m["stage"]) for m in maps) == [
                ("h", http, "live"), ("rest", a, "live")]
            keys = sorted(m.get("ApiMappingKey", "") for m in
                          v2.get_api_mappings(DomainName=two)["Items"])
            assert keys == ["h", "rest"]
        finally:
            v2.delete_api(ApiId=http)
        assert two in [d["domainName"] for d in gw.get_domain_names(limit=500)["items"]]
        code, _, _ = error_of(gw.create_domain_name, domainName=two)
        assert code == "ConflictException"
    finally:
        gw.delete_domain_name(domainName=one)
        gw.delete_domain_name(domainName=two)
    for name in (one, two):
        code, _, _ = error_of(v2.get_domain_name, DomainName=name)
        assert code == "NotFoundException"


# ---- other operations, the CLI ---------------------------------------------------------------

def test_unknown_operations(gw, api):
    for call, kw in ((gw.get_account, {}),
                     (gw.get_authorizers, {"restApiId": api["id"]}),
                     (gw.get_models, {"restApiId": api["id"]}),
                     (gw.get_usage_plans, {}),
                     (gw.get_api_keys, {})):
        code, msg, status = error_of(call, **kw)
        assert (code, status) == ("UnknownOperationException", 404), call
        assert "apigateway" in msg and "/" in msg


def run_cli(srv, *args):
    exe = subprocess.run(["which", "aws"], capture_output=True, text=True).stdout.strip()
    if not exe:
        pytest.fail("the aws CLI is not installed")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
               AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="")
    p = subprocess.run([exe, "--endpoint-url", srv.endpoint, "--output", "json",
                        "apigateway"] + list(args),
                       capture_output=True, text=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def cli_json(srv, *args):
    rc, out, err = run_cli(srv, *args)
    assert rc == 0, err
    return json.loads(out) if out.strip() else None


def test_aws_cli(srv):
    api = cli_json(srv, "create-rest-api", "--name", unique("cli"))
    a = api["id"]
    try:
        root = api["rootResourceId"]
        items = cli_json(srv, "get-resources", "--rest-api-id", a)["items"]
        assert items == [{"id": root, "path": "/"}]
        res = cli_json(srv, "create-resource", "--rest-api-id", a, "--parent-id", root,
                       "--path-part", "{proxy+}")
        assert res["path"] == "/{proxy+}"
        cli_json(srv, "put-method", "--rest-api-id", a, "--resource-id", res["id"],
                 "--http-method", "ANY", "--authorization-type", "NONE")
        integ = cli_json(srv, "put-integration", "--rest-api-id", a, "--resource-id",
                         res["id"], "--http-method", "ANY", "--type", "AWS_PROXY",
                         "--integration-http-method", "POST", "--uri", LAMBDA_URI)
        assert integ["uri"] == LAMBDA_URI and integ["httpMethod"] == "POST"
        dep = cli_json(srv, "create-deployment", "--rest-api-id", a, "--stage-name", "dev",
                       "--variables", "fn=target")
        stages = cli_json(srv, "get-stages", "--rest-api-id", a)["item"]
        assert [(s["stageName"], s["deploymentId"], s["variables"]) for s in stages] == [
            ("dev", dep["id"], {"fn": "target"})]
        upd = cli_json(srv, "update-stage", "--rest-api-id", a, "--stage-name", "dev",
                       "--patch-operations", "op=replace,path=/variables/fn,value=other")
        assert upd["variables"] == {"fn": "other"}
        full = cli_json(srv, "get-resources", "--rest-api-id", a, "--embed", "methods")
        got = {r["path"]: r for r in full["items"]}
        assert got["/{proxy+}"]["resourceMethods"]["ANY"]["methodIntegration"]["type"] == \
            "AWS_PROXY"
        listed = cli_json(srv, "get-rest-apis")["items"]
        assert a in [x["id"] for x in listed]
        rc, out, err = run_cli(srv, "get-stage", "--rest-api-id", a, "--stage-name", "nope")
        assert rc != 0 and "NotFoundException" in err
        assert "Invalid Stage identifier specified" in err
    finally:
        rc, _, err = run_cli(srv, "delete-rest-api", "--rest-api-id", a)
        assert rc == 0, err
    rc, _, err = run_cli(srv, "get-rest-api", "--rest-api-id", a)
    assert rc != 0 and "Invalid API identifier specified" in err


# ---- persistence ----------------------------------------------------------------------------

@pytest.fixture
def own_server(tmp_path):
    made = []

    def make(extra_conf=""):
        wd = tmp_path / ("srv%d" % len(made))
        wd.mkdir()
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


def test_data_dir_keeps_definitions_across_restarts(own_server, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    srv = own_server("data_dir = %s\n" % data)
    gw = gw_client(srv.endpoint)
    api = gw.create_rest_api(name=unique("persist"))
    a, root = api["id"], api["rootResourceId"]
    res = gw.create_resource(restApiId=a, parentId=root, pathPart="{proxy+}")["id"]
    lambda_method(gw, a, res, "ANY")
    dep = gw.create_deployment(restApiId=a, stageName="prod", variables={"x": "1"})["id"]
    dn = "persist-%s.example.com" % uuid.uuid4().hex[:8]
    gw.create_domain_name(domainName=dn, regionalCertificateArn="arn:aws:acm:x",
                          endpointConfiguration={"types": ["REGIONAL"]})
    gw.create_base_path_mapping(domainName=dn, restApiId=a, stage="prod")
    rc, _ = srv.stop()
    assert rc == 0

    # the layout the data plane reads (gw_store.h)
    paths = glob.glob(str(data / "**" / "gateway.json"), recursive=True)
    assert len(paths) == 1, paths
    with open(paths[0]) as f:
        doc = json.load(f)
    e = doc["rest"][a]
    assert (e["account"], e["region"]) == (ACCOUNT, "us-east-1")
    assert e["stages"]["prod"]["deploymentId"] == dep
    assert e["stages"]["prod"]["variables"] == {"x": "1"}
    snap = e["deployments"][dep]["resources"][res]
    assert (snap["path"], snap["pathPart"], snap["parentId"]) == ("/{proxy+}", "{proxy+}", root)
    integ = snap["resourceMethods"]["ANY"]["methodIntegration"]
    assert (integ["type"], integ["uri"], integ["httpMethod"], integ["timeoutInMillis"]) == (
        "AWS_PROXY", LAMBDA_URI, "POST", 29000)
    assert snap["resourceMethods"]["ANY"]["authorizationType"] == "NONE"
    d = doc["domains"][dn]
    assert d["domain"]["domainName"] == dn
    assert [(m["apiId"], m["stage"], m["apiMappingKey"]) for m in d["mappings"].values()] == [
        (a, "prod", "")]

    srv2 = own_server("data_dir = %s\n" % data)
    gw2 = gw_client(srv2.endpoint)
    assert gw2.get_rest_api(restApiId=a)["rootResourceId"] == root
    assert gw2.get_integration(restApiId=a, resourceId=res, httpMethod="ANY")["uri"] == \
        LAMBDA_URI
    assert gw2.get_stage(restApiId=a, stageName="prod")["deploymentId"] == dep
    assert gw2.get_domain_name(domainName=dn)["regionalDomainName"] == dn
    assert gw2.get_base_path_mapping(domainName=dn, basePath="(none)")["restApiId"] == a
    # without a data_dir a fresh server starts empty
    srv3 = own_server()
    code, _, _ = error_of(gw_client(srv3.endpoint).get_rest_api, restApiId=a)
    assert code == "NotFoundException"
