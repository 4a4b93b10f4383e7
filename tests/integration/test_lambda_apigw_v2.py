"""The apigatewayv2 (HTTP API) control plane against the real binary (process executor):
boto3 and the AWS CLI for APIs (quick create with Target: an AWS_PROXY integration with
payload format 2.0, a route, a $default stage with auto-deploy), routes (route keys, one
per API), integrations (payload format, timeouts), stages, deployments (snapshot, a stage
pointed at one), domain names and API mappings, tags, paging; AWS's errors for unknown ids,
missing or malformed members, conflicts, another account or region; the definitions kept
across a restart with a data_dir.
Runs in: the pytest process."""

import json

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Cli, LambdaServer
from test_lambda_api import unique

FN_ARN = "arn:aws:lambda:us-east-1:000000000000:function:my-fn"


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 suite's per-test reset: everything here has unique names."""
    yield


def v2_client(endpoint, region="us-east-1", access_key="test"):
    return boto3.session.Session().client(
        "apigatewayv2", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
        aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=10,
                      read_timeout=30, parameter_validation=False))


@pytest.fixture(scope="module")
def srv(lambda_process_server):
    return lambda_process_server


@pytest.fixture(scope="module")
def gw(srv):
    return v2_client(srv.endpoint)


@pytest.fixture
def api(gw):
    a = gw.create_api(Name=unique("api"), ProtocolType="HTTP")
    yield a
    try:
        gw.delete_api(ApiId=a["ApiId"])
    except ClientError:
        pass


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as ei:
        call(*args, **kwargs)
    err = ei.value.response
    return (err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"],
            err["Error"]["Message"])


def test_create_api_shape_and_get(gw, srv):
    name = unique("api")
    a = gw.create_api(Name=name, ProtocolType="HTTP", Description="d", Tags={"k": "v"})
    assert a["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert len(a["ApiId"]) == 10 and a["ApiId"].isalnum()
    assert a["ApiEndpoint"] == "http://%s.execute-api.us-east-1.localhost:%d" % (a["ApiId"],
                                                                                 srv.port)
    assert a["RouteSelectionExpression"] == "${request.method} ${request.path}"
    assert a["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    assert a["ProtocolType"] == "HTTP" and a["Name"] == name and a["Description"] == "d"
    assert a["Tags"] == {"k": "v"}
    assert a["DisableExecuteApiEndpoint"] is False
    assert a["CreatedDate"].year >= 2024
    g = gw.get_api(ApiId=a["ApiId"])
    del a["ResponseMetadata"], g["ResponseMetadata"]
    assert g == a
    gw.delete_api(ApiId=a["ApiId"])


def test_get_apis_pages(gw):
    ids = [gw.create_api(Name=unique("page"), ProtocolType="HTTP")["ApiId"] for _ in range(3)]
    seen, token, pages = [], None, 0
    while True:
        kw = {"MaxResults": "2"}
        if token:
            kw["NextToken"] = token
        r = gw.get_apis(**kw)
        assert len(r["Items"]) <= 2
        seen += [i["ApiId"] for i in r["Items"]]
        pages += 1
        token = r.get("NextToken")
        if not token:
            break
    assert set(ids) <= set(seen) and pages >= 2
    assert len(seen) == len(set(seen))
    for i in ids:
        gw.delete_api(ApiId=i)
    assert not set(ids) & {i["ApiId"] for i in gw.get_apis()["Items"]}


def test_update_and_delete_api(gw, api):
    u = gw.update_api(ApiId=api["ApiId"], Name="renamed", Description="new",
                      CorsConfiguration={"AllowOrigins": ["*"], "MaxAge": 10})
    assert u["Name"] == "renamed" and u["Description"] == "new"
    assert u["CorsConfiguration"] == {"AllowOrigins": ["*"], "MaxAge": 10}
    assert gw.get_api(ApiId=api["ApiId"])["Name"] == "renamed"
    r = gw.delete_api(ApiId=api["ApiId"])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    st, code, msg = error_of(gw.get_api, ApiId=api["ApiId"])
    assert (st, code) == (404, "NotFoundException")
    assert msg == "Invalid API identifier specified 000000000000:%s" % api["ApiId"]
    assert error_of(gw.delete_api, ApiId=api["ApiId"])[:2] == (404, "NotFoundException")
    assert error_of(gw.update_api, ApiId=api["ApiId"], Name="x")[:2] == (404,
                                                                        "NotFoundException")


def test_create_api_errors(gw):
    st, code, msg = error_of(gw.create_api, Name="x", ProtocolType="WEBSOCKET",
                             RouteSelectionExpression="$request.body.action")
    assert (st, code) == (400, "BadRequestException") and "WEBSOCKET" in msg
    st, code, msg = error_of(gw.create_api, Name="x", ProtocolType="GRPC")
    assert (st, code) == (400, "BadRequestException")
    assert msg == "Invalid protocol specified. Must be one of [HTTP, WEBSOCKET]"
    assert error_of(gw.create_api, ProtocolType="HTTP")[:2] == (400, "BadRequestException")
    assert error_of(gw.create_api, Name="x")[:2] == (400, "BadRequestException")
    assert error_of(gw.create_api, Name="x", ProtocolType="HTTP", Target=FN_ARN,
                    RouteKey="FETCH /x")[:2] == (400, "BadRequestException")


def test_quick_create(gw):
    a = gw.create_api(Name=unique("quick"), ProtocolType="HTTP", Target=FN_ARN)
    ints = gw.get_integrations(ApiId=a["ApiId"])["Items"]
    assert len(ints) == 1
    i = ints[0]
    assert i["IntegrationType"] == "AWS_PROXY" and i["IntegrationUri"] == FN_ARN
    assert i["PayloadFormatVersion"] == "2.0" and i["TimeoutInMillis"] == 30000
    assert i["ApiGatewayManaged"] is True
    routes = gw.get_routes(ApiId=a["ApiId"])["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"]
    assert routes[0]["Target"] == "integrations/" + i["IntegrationId"]
    stages = gw.get_stages(ApiId=a["ApiId"])["Items"]
    assert [(s["StageName"], s["AutoDeploy"]) for s in stages] == [("$default", True)]
    # a route key given with the target
    b = gw.create_api(Name=unique("quick"), ProtocolType="HTTP", Target=FN_ARN,
                      RouteKey="GET /items/{id}")
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=b["ApiId"])["Items"]] == [
        "GET /items/{id}"]
    # UpdateApi's quick-create members change the managed integration and route
    other = FN_ARN.replace("my-fn", "other-fn")
    gw.update_api(ApiId=a["ApiId"], Target=other, RouteKey="ANY /{proxy+}")
    assert gw.get_integrations(ApiId=a["ApiId"])["Items"][0]["IntegrationUri"] == other
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=a["ApiId"])["Items"]] == [
        "ANY /{proxy+}"]
    plain = gw.create_api(Name=unique("plain"), ProtocolType="HTTP")
    assert error_of(gw.update_api, ApiId=plain["ApiId"], Target=other)[:2] == (
        400, "BadRequestException")
    gw.delete_api(ApiId=plain["ApiId"])
    # an HTTP URL as the target: an HTTP_PROXY integration
    c = gw.create_api(Name=unique("quick"), ProtocolType="HTTP", Target="https://example.com")
    i = gw.get_integrations(ApiId=c["ApiId"])["Items"][0]
    assert (i["IntegrationType"], i["IntegrationUri"], i["IntegrationMethod"],
            i["PayloadFormatVersion"]) == ("HTTP_PROXY", "https://example.com", "ANY", "1.0")
    assert error_of(gw.create_api, Name="x", ProtocolType="HTTP",
                    Target="arn:aws:s3:::bucket")[:2] == (400, "BadRequestException")
    for x in (a, b, c):
        gw.delete_api(ApiId=x["ApiId"])


def test_routes(gw, api):
    aid = api["ApiId"]
    integ = gw.create_integration(ApiId=aid, IntegrationType="AWS_PROXY", IntegrationUri=FN_ARN,
                                  PayloadFormatVersion="1.0")
    r = gw.create_route(ApiId=aid, RouteKey="GET /items/{id}",
                        Target="integrations/" + integ["IntegrationId"])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert r["RouteKey"] == "GET /items/{id}" and len(r["RouteId"]) == 7
    assert r["AuthorizationType"] == "NONE" and r["ApiKeyRequired"] is False
    for key in ("$default", "ANY /{proxy+}", "POST /", "DELETE /a/b/{c}/d",
                "OPTIONS /x/{rest+}", "HEAD /h", "PATCH /p", "PUT /q"):
        assert gw.create_route(ApiId=aid, RouteKey=key)["RouteKey"] == key
    g = gw.get_route(ApiId=aid, RouteId=r["RouteId"])
    assert g["Target"] == "integrations/" + integ["IntegrationId"]
    assert len(gw.get_routes(ApiId=aid)["Items"]) == 9
    u = gw.update_route(ApiId=aid, RouteId=r["RouteId"], RouteKey="GET /things/{id}")
    assert u["RouteKey"] == "GET /things/{id}" and u["Target"] == g["Target"]
    st, code, msg = error_of(gw.create_route, ApiId=aid, RouteKey="GET /things/{id}")
    assert (st, code) == (409, "ConflictException")
    assert msg == "Route with key GET /things/{id} already exists for this API"
    assert error_of(gw.update_route, ApiId=aid, RouteId=r["RouteId"],
                    RouteKey="POST /")[:2] == (409, "ConflictException")
    for bad in ("GET", "FETCH /x", "GET x", "GET /a//b", "GET /{proxy+}/x", "GET /a/",
                "get /x", "GET /{}", "GET /a{b"):
        assert error_of(gw.create_route, ApiId=aid, RouteKey=bad)[:2] == (
            400, "BadRequestException"), bad
    assert error_of(gw.create_route, ApiId=aid)[:2] == (400, "BadRequestException")
    assert error_of(gw.create_route, ApiId=aid, RouteKey="GET /t",
                    Target="integrations/nope123")[:2] == (404, "NotFoundException")
    assert error_of(gw.create_route, ApiId=aid, RouteKey="GET /t",
                    Target="lambda")[:2] == (400, "BadRequestException")
    st, code, msg = error_of(gw.get_route, ApiId=aid, RouteId="nope123")
    assert (st, code, msg) == (404, "NotFoundException",
                               "Invalid Route identifier specified nope123")
    assert gw.delete_route(ApiId=aid, RouteId=r["RouteId"])["ResponseMetadata"][
        "HTTPStatusCode"] == 204
    assert error_of(gw.delete_route, ApiId=aid, RouteId=r["RouteId"])[:2] == (
        404, "NotFoundException")
    assert error_of(gw.get_routes, ApiId="nope")[:2] == (404, "NotFoundException")


def test_integrations(gw, api):
    aid = api["ApiId"]
    uri = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations"
           % FN_ARN)
    i = gw.create_integration(ApiId=aid, IntegrationType="AWS_PROXY", IntegrationUri=uri,
                              PayloadFormatVersion="2.0", TimeoutInMillis=5000)
    assert i["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert len(i["IntegrationId"]) == 7
    assert (i["IntegrationType"], i["IntegrationUri"], i["PayloadFormatVersion"],
            i["TimeoutInMillis"]) == ("AWS_PROXY", uri, "2.0", 5000)
    assert i["IntegrationMethod"] == "POST" and i["ConnectionType"] == "INTERNET"
    d = gw.create_integration(ApiId=aid, IntegrationType="AWS_PROXY", IntegrationUri=FN_ARN,
                              PayloadFormatVersion="1.0")
    assert d["TimeoutInMillis"] == 30000
    h = gw.create_integration(ApiId=aid, IntegrationType="HTTP_PROXY",
                              IntegrationUri="https://example.com", IntegrationMethod="GET",
                              PayloadFormatVersion="1.0")
    assert h["IntegrationType"] == "HTTP_PROXY" and h["IntegrationMethod"] == "GET"
    assert gw.get_integration(ApiId=aid, IntegrationId=i["IntegrationId"])[
        "TimeoutInMillis"] == 5000
    assert len(gw.get_integrations(ApiId=aid)["Items"]) == 3
    u = gw.update_integration(ApiId=aid, IntegrationId=i["IntegrationId"],
                              PayloadFormatVersion="1.0", TimeoutInMillis=50)
    assert (u["PayloadFormatVersion"], u["TimeoutInMillis"], u["IntegrationUri"]) == (
        "1.0", 50, uri)
    bad = [
        dict(IntegrationType="AWS_PROXY", IntegrationUri=FN_ARN),  # no payload version
        dict(IntegrationType="AWS_PROXY", IntegrationUri=FN_ARN, PayloadFormatVersion="3.0"),
        dict(IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0"),  # no uri
        dict(IntegrationType="AWS_PROXY", IntegrationUri=FN_ARN, PayloadFormatVersion="2.0",
             TimeoutInMillis=49),
        dict(IntegrationType="AWS_PROXY", IntegrationUri=FN_ARN, PayloadFormatVersion="2.0",
             TimeoutInMillis=30001),
        dict(IntegrationType="LAMBDA", IntegrationUri=FN_ARN, PayloadFormatVersion="2.0"),
        dict(IntegrationUri=FN_ARN, PayloadFormatVersion="2.0"),  # no type
    ]
    for kw in bad:
        assert error_of(gw.create_integration, ApiId=aid, **kw)[:2] == (
            400, "BadRequestException"), kw
    assert error_of(gw.update_integration, ApiId=aid, IntegrationId=i["IntegrationId"],
                    TimeoutInMillis=0)[:2] == (400, "BadRequestException")
    st, code, msg = error_of(gw.get_integration, ApiId=aid, IntegrationId="nope123")
    assert (st, code, msg) == (404, "NotFoundException",
                               "Invalid Integration identifier specified nope123")
    gw.delete_integration(ApiId=aid, IntegrationId=h["IntegrationId"])
    assert error_of(gw.delete_integration, ApiId=aid, IntegrationId=h["IntegrationId"])[:2] == (
        404, "NotFoundException")
    assert len(gw.get_integrations(ApiId=aid)["Items"]) == 2


def test_stages_and_deployments(gw, api):
    aid = api["ApiId"]
    integ = gw.create_integration(ApiId=aid, IntegrationType="AWS_PROXY", IntegrationUri=FN_ARN,
                                  PayloadFormatVersion="2.0")
    gw.create_route(ApiId=aid, RouteKey="GET /a", Target="integrations/" + integ["IntegrationId"])
    s = gw.create_stage(ApiId=aid, StageName="dev", StageVariables={"v": "1"}, Tags={"t": "x"})
    assert s["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (s["StageName"], s["AutoDeploy"], s["StageVariables"], s["Tags"]) == (
        "dev", False, {"v": "1"}, {"t": "x"})
    assert "DeploymentId" not in s
    d = gw.create_deployment(ApiId=aid, StageName="dev", Description="first")
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert d["DeploymentStatus"] == "DEPLOYED" and d["Description"] == "first"
    assert d["AutoDeployed"] is False
    assert gw.get_stage(ApiId=aid, StageName="dev")["DeploymentId"] == d["DeploymentId"]
    g = gw.get_deployment(ApiId=aid, DeploymentId=d["DeploymentId"])
    assert g["DeploymentId"] == d["DeploymentId"]
    d2 = gw.create_deployment(ApiId=aid)
    assert len(gw.get_deployments(ApiId=aid)["Items"]) == 2
    assert gw.update_deployment(ApiId=aid, DeploymentId=d2["DeploymentId"],
                                Description="second")["Description"] == "second"
    auto = gw.create_stage(ApiId=aid, StageName="$default", AutoDeploy=True,
                           DeploymentId=d2["DeploymentId"])
    assert auto["StageName"] == "$default" and auto["AutoDeploy"] is True
    assert gw.get_stage(ApiId=aid, StageName="$default")["AutoDeploy"] is True
    u = gw.update_stage(ApiId=aid, StageName="dev", StageVariables={"v": "2"},
                        Description="desc")
    assert u["StageVariables"] == {"v": "2"} and u["Description"] == "desc"
    assert sorted(x["StageName"] for x in gw.get_stages(ApiId=aid)["Items"]) == [
        "$default", "dev"]
    # errors
    st, code, _ = error_of(gw.create_stage, ApiId=aid, StageName="dev")
    assert (st, code) == (409, "ConflictException")
    assert error_of(gw.create_stage, ApiId=aid)[:2] == (400, "BadRequestException")
    assert error_of(gw.create_stage, ApiId=aid, StageName="bad name")[:2] == (
        400, "BadRequestException")
    assert error_of(gw.create_stage, ApiId=aid, StageName="p",
                    DeploymentId="nope12")[:2] == (404, "NotFoundException")
    st, code, msg = error_of(gw.get_stage, ApiId=aid, StageName="prod")
    assert (st, code, msg) == (404, "NotFoundException", "Invalid stage identifier specified")
    assert error_of(gw.create_deployment, ApiId=aid, StageName="prod")[:2] == (
        404, "NotFoundException")
    assert error_of(gw.get_deployment, ApiId=aid, DeploymentId="nope12")[:2] == (
        404, "NotFoundException")
    # a deployment a stage points at stays
    assert error_of(gw.delete_deployment, ApiId=aid, DeploymentId=d["DeploymentId"])[:2] == (
        400, "BadRequestException")
    gw.delete_stage(ApiId=aid, StageName="dev")
    assert error_of(gw.get_stage, ApiId=aid, StageName="dev")[:2] == (404, "NotFoundException")
    gw.delete_deployment(ApiId=aid, DeploymentId=d["DeploymentId"])
    assert error_of(gw.get_deployment, ApiId=aid,
                    DeploymentId=d["DeploymentId"])[:2] == (404, "NotFoundException")
    gw.delete_stage(ApiId=aid, StageName="$default")
    assert gw.get_stages(ApiId=aid)["Items"] == []


def test_domain_names_and_mappings(gw, api):
    aid = api["ApiId"]
    gw.create_stage(ApiId=aid, StageName="prod")
    name = unique("api") + ".Example.COM"
    cert = "arn:aws:acm:us-east-1:000000000000:certificate/abc"
    d = gw.create_domain_name(DomainName=name,
                              DomainNameConfigurations=[{"CertificateArn": cert,
                                                         "EndpointType": "REGIONAL"}],
                              Tags={"a": "b"})
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 201
    low = name.lower()
    assert d["DomainName"] == low
    assert d["ApiMappingSelectionExpression"] == "$request.basepath"
    cfg = d["DomainNameConfigurations"][0]
    assert cfg["ApiGatewayDomainName"] == low and cfg["CertificateArn"] == cert
    assert cfg["EndpointType"] == "REGIONAL" and cfg["DomainNameStatus"] == "AVAILABLE"
    assert d["Tags"] == {"a": "b"}
    assert gw.get_domain_name(DomainName=name)["DomainName"] == low
    assert low in [x["DomainName"] for x in gw.get_domain_names()["Items"]]
    st, code, msg = error_of(gw.create_domain_name, DomainName=low)
    assert (st, code) == (409, "ConflictException")
    m = gw.create_api_mapping(DomainName=low, ApiId=aid, Stage="prod")
    assert m["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (m["ApiId"], m["Stage"], m["ApiMappingKey"]) == (aid, "prod", "")
    m2 = gw.create_api_mapping(DomainName=low, ApiId=aid, Stage="prod", ApiMappingKey="v1/x")
    assert m2["ApiMappingKey"] == "v1/x"
    got = gw.get_api_mapping(DomainName=low, ApiMappingId=m["ApiMappingId"])
    assert got["ApiMappingId"] == m["ApiMappingId"]
    assert len(gw.get_api_mappings(DomainName=low)["Items"]) == 2
    u = gw.update_api_mapping(DomainName=low, ApiMappingId=m2["ApiMappingId"], ApiId=aid,
                              ApiMappingKey="v2")
    assert u["ApiMappingKey"] == "v2" and u["Stage"] == "prod"
    # errors
    assert error_of(gw.create_api_mapping, DomainName=low, ApiId=aid, Stage="prod")[:2] == (
        409, "ConflictException")
    for key, msg in (("/api", "API mapping key should not start with a '/' or have "
                      "consecutive '/'s."),
                     ("a//b", "API mapping key should not start with a '/' or have "
                      "consecutive '/'s."),
                     ("api/", "API mapping key should not end with a '/'.")):
        assert error_of(gw.create_api_mapping, DomainName=low, ApiId=aid, Stage="prod",
                        ApiMappingKey=key) == (400, "BadRequestException", msg)
    assert error_of(gw.create_api_mapping, DomainName=low, ApiId="nope", Stage="prod")[:2] == (
        404, "NotFoundException")
    assert error_of(gw.create_api_mapping, DomainName=low, ApiId=aid, Stage="nope",
                    ApiMappingKey="n")[:2] == (404, "NotFoundException")
    assert error_of(gw.create_api_mapping, DomainName=low, ApiId=aid)[:2] == (
        400, "BadRequestException")
    st, code, msg = error_of(gw.create_api_mapping, DomainName="nope.example.com", ApiId=aid,
                             Stage="prod")
    assert (st, code, msg) == (404, "NotFoundException",
                               "The domain name resource specified in the request was not "
                               "found.")
    st, code, msg = error_of(gw.get_api_mapping, DomainName=low, ApiMappingId="nope12")
    assert (st, code, msg) == (404, "NotFoundException",
                               "The api mapping resource specified in the request was not "
                               "found.")
    gw.delete_api_mapping(DomainName=low, ApiMappingId=m["ApiMappingId"])
    assert [x["ApiMappingId"] for x in gw.get_api_mappings(DomainName=low)["Items"]] == [
        m2["ApiMappingId"]]
    assert gw.delete_domain_name(DomainName=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_of(gw.get_domain_name, DomainName=low)[:2] == (404, "NotFoundException")
    assert error_of(gw.delete_domain_name, DomainName=low)[:2] == (404, "NotFoundException")
    assert error_of(gw.create_domain_name)[:2] == (400, "BadRequestException")


def test_tags(gw, api):
    arn = "arn:aws:apigateway:us-east-1::/apis/%s" % api["ApiId"]
    assert gw.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})[
        "ResponseMetadata"]["HTTPStatusCode"] == 201
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"a": "1", "b": "2"}
    assert gw.get_api(ApiId=api["ApiId"])["Tags"] == {"a": "1", "b": "2"}
    gw.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"b": "2"}
    gw.create_stage(ApiId=api["ApiId"], StageName="s")
    sarn = arn + "/stages/s"
    gw.tag_resource(ResourceArn=sarn, Tags={"s": "1"})
    assert gw.get_stage(ApiId=api["ApiId"], StageName="s")["Tags"] == {"s": "1"}
    assert error_of(gw.get_tags, ResourceArn="arn:aws:apigateway:us-east-1::/apis/nope")[:2] == (
        404, "NotFoundException")
    # another region's ARN is not this caller's
    assert error_of(gw.get_tags, ResourceArn=arn.replace("us-east-1", "eu-west-1"))[:2] == (
        404, "NotFoundException")


def test_other_account_and_region(srv, gw, api):
    aid = api["ApiId"]
    gw.create_stage(ApiId=aid, StageName="s")
    other_region = v2_client(srv.endpoint, region="eu-west-2")
    other_account = v2_client(srv.endpoint, access_key="111111111111")
    for c in (other_region, other_account):
        assert error_of(c.get_api, ApiId=aid)[:2] == (404, "NotFoundException")
        assert error_of(c.get_stage, ApiId=aid, StageName="s")[:2] == (404, "NotFoundException")
        assert error_of(c.delete_api, ApiId=aid)[:2] == (404, "NotFoundException")
        assert aid not in [i["ApiId"] for i in c.get_apis()["Items"]]
    name = unique("acct") + ".example.com"
    gw.create_domain_name(DomainName=name)
    assert error_of(other_region.get_domain_name, DomainName=name)[:2] == (404,
                                                                          "NotFoundException")
    gw.delete_domain_name(DomainName=name)
    assert gw.get_api(ApiId=aid)["ApiId"] == aid


def test_unknown_operations_and_bad_bodies(srv, gw, api):
    st, code, _ = error_of(gw.get_authorizers, ApiId=api["ApiId"])
    assert (st, code) == (404, "UnknownOperationException")
    st, code, _ = error_of(gw.get_vpc_links)
    assert (st, code) == (404, "UnknownOperationException")
    # a body that is not JSON, members of the wrong type
    for body in (b"{not json", b"[1]", b'{"name": 5, "protocolType": "HTTP"}',
                 b'{"name": "x", "protocolType": "HTTP", "tags": {"a": 1}}'):
        r = raw_v2(srv, "POST", "/v2/apis", body)
        assert r.status_code == 400, body
        assert r.headers["x-amzn-ErrorType"] == "BadRequestException"
        assert "message" in r.json()
    r = raw_v2(srv, "GET", "/v2/apis?maxResults=abc")
    assert (r.status_code, r.headers["x-amzn-ErrorType"]) == (400, "BadRequestException")
    r = raw_v2(srv, "GET", "/v2/nothing/here")
    assert (r.status_code, r.headers["x-amzn-ErrorType"]) == (404, "UnknownOperationException")
    r = raw_v2(srv, "GET", "/v2/apis/%zz")
    assert r.status_code == 404


def raw_v2(srv, method, path, body=b""):
    """A SigV4-signed (service apigateway) request as an SDK would send it."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    url = srv.endpoint + path
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                         headers={"Content-Type": "application/json"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "apigateway",
                            "us-east-1").add_auth(req)
    return requests.request(method, url, data=body, headers=dict(req.headers), timeout=10)


def test_aws_cli(srv, gw):
    aws = Cli(srv.endpoint)
    r = aws("apigatewayv2", "create-api", "--name", unique("cli"), "--protocol-type", "HTTP",
            "--target", FN_ARN)
    assert r.returncode == 0, r.stderr
    a = json.loads(r.stdout)
    aid = a["ApiId"]
    r = aws("apigatewayv2", "get-routes", "--api-id", aid)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Items"][0]["RouteKey"] == "$default"
    r = aws("apigatewayv2", "create-route", "--api-id", aid, "--route-key", "GET /cli")
    assert r.returncode == 0, r.stderr
    r = aws("apigatewayv2", "create-stage", "--api-id", aid, "--stage-name", "prod")
    assert r.returncode == 0, r.stderr
    r = aws("apigatewayv2", "create-deployment", "--api-id", aid, "--stage-name", "prod")
    assert r.returncode == 0, r.stderr
    r = aws("apigatewayv2", "get-stage", "--api-id", aid, "--stage-name", "prod")
    assert json.loads(r.stdout)["DeploymentId"]
    r = aws("apigatewayv2", "get-api", "--api-id", "nope")
    assert r.returncode != 0 and "NotFoundException" in r.stderr
    r = aws("apigatewayv2", "delete-api", "--api-id", aid)
    assert r.returncode == 0, r.stderr


def test_definitions_survive_a_restart(tmp_path):
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
        c1 = v2_client(s1.endpoint)
        a = c1.create_api(Name="keep", ProtocolType="HTTP", Target=FN_ARN)
        c1.create_domain_name(DomainName="keep.example.com")
        c1.create_api_mapping(DomainName="keep.example.com", ApiId=a["ApiId"], Stage="$default")
        rc, _ = s1.stop()
        assert rc == 0
        s2 = start(1)
        c2 = v2_client(s2.endpoint)
        assert c2.get_api(ApiId=a["ApiId"])["Name"] == "keep"
        assert gw_routes(c2, a["ApiId"]) == ["$default"]
        assert c2.get_stage(ApiId=a["ApiId"], StageName="$default")["AutoDeploy"] is True
        assert c2.get_api_mappings(DomainName="keep.example.com")["Items"][0]["ApiId"] == \
            a["ApiId"]
    finally:
        for s in made:
            if s.proc and s.proc.poll() is None:
                s.stop()
            s.kill()


def gw_routes(c, aid):
    return [r["RouteKey"] for r in c.get_routes(ApiId=aid)["Items"]]
