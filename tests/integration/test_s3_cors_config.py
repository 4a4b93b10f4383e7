"""PutBucketCors / GetBucketCors / DeleteBucketCors (boto3 and the AWS CLI), their errors,
and S3's rule evaluation on preflights and actual responses: the first matching rule wins;
AllowedOrigin exact, "*" or with one "*"; AllowedMethod; every requested header must match
an AllowedHeader ("*" and one wildcard); ExposeHeader; MaxAgeSeconds; Vary."""

import json

import botocore.exceptions
import pytest

NOT_ALLOWED = ("CORSResponse: This CORS request is not allowed. This is usually because the "
               "evalution of Origin, request method / Access-Control-Request-Method or "
               "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")


def _err(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        call(**kw)
    return ei.value.response


def _pre(raw, path, origin, method=None, headers=None):
    h = {"Origin": origin}
    if method:
        h["Access-Control-Request-Method"] = method
    if headers:
        h["Access-Control-Request-Headers"] = headers
    return raw("OPTIONS", path, headers=h, anon=True)


def test_cors_crud(s3, bucket):
    e = _err(s3.get_bucket_cors, Bucket=bucket)
    assert e["Error"]["Code"] == "NoSuchCORSConfiguration"
    assert e["Error"]["Message"] == "The CORS configuration does not exist"
    assert e["Error"]["BucketName"] == bucket
    assert e["ResponseMetadata"]["HTTPStatusCode"] == 404
    rules = [{"ID": "one", "AllowedHeaders": ["Authorization", "x-amz-*"],
              "AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://a.example"],
              "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600},
             {"AllowedMethods": ["HEAD"], "AllowedOrigins": ["*"]}]
    r = s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules[1:]})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules[1:]
    r = s3.delete_bucket_cors(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    e = _err(s3.get_bucket_cors, Bucket=bucket)
    assert e["Error"]["Code"] == "NoSuchCORSConfiguration"
    s3.delete_bucket_cors(Bucket=bucket)


def test_cors_no_bucket(s3):
    for call, kw in ((s3.get_bucket_cors, {}), (s3.delete_bucket_cors, {}),
                     (s3.put_bucket_cors, {"CORSConfiguration": {"CORSRules": [
                         {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]}})):
        e = _err(call, Bucket="no-such-bucket-x", **kw)
        assert e["Error"]["Code"] == "NoSuchBucket"


def test_cors_invalid(s3, bucket):
    e = _err(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["MYMETHOD"], "AllowedOrigins": ["*"]}]})
    assert e["Error"]["Code"] == "InvalidRequest"
    assert e["Error"]["Message"] == ("Found unsupported HTTP method in CORS config. Unsupported "
                                     "method is MYMETHOD")
    e = _err(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": []})
    assert e["Error"]["Code"] == "MalformedXML"
    e = _err(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["http://*.a.*"]}]})
    assert e["Error"]["Code"] == "InvalidRequest"
    e = _err(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}] * 101})
    assert e["Error"]["Code"] == "MalformedXML"
    assert _err(s3.get_bucket_cors, Bucket=bucket)["Error"]["Code"] == "NoSuchCORSConfiguration"


@pytest.mark.parametrize("body", [
    b"<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>"
    b"</CORSConfiguration>",
    b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>"
    b"</CORSConfiguration>",
    b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
    b"</AllowedMethod><MaxAgeSeconds>x</MaxAgeSeconds></CORSRule></CORSConfiguration>",
    b"<CORSConfiguration><Bogus/></CORSConfiguration>",
    b"<CORSConfiguration>",
])
def test_cors_malformed(raw, bucket, body):
    r = raw("PUT", "/%s?cors" % bucket, body=body)
    assert r.status == 400
    assert r.error()["Code"] == "MalformedXML"


def test_cors_cli(aws, bucket, raw):
    cfg = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["http://cli.test"]}]}
    r = aws("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration",
            json.dumps(cfg))
    assert r.returncode == 0, r.stderr
    r = aws("s3api", "get-bucket-cors", "--bucket", bucket)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["CORSRules"] == cfg["CORSRules"]
    assert _pre(raw, "/%s/k" % bucket, "http://cli.test", "GET").status == 200
    r = aws("s3api", "delete-bucket-cors", "--bucket", bucket)
    assert r.returncode == 0, r.stderr
    r = aws("s3api", "get-bucket-cors", "--bucket", bucket)
    assert r.returncode != 0 and "NoSuchCORSConfiguration" in r.stderr
    r = aws("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration",
            json.dumps({"CORSRules": [{"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]}]}))
    assert r.returncode != 0 and "InvalidRequest" in r.stderr
    assert _pre(raw, "/%s/k" % bucket, "http://cli.test", "GET").status == 403


def test_match_origins(s3, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["http://exact.test",
                                                        "http://*.wild.test"]}]})
    p = "/%s/k" % bucket
    assert _pre(raw, p, "http://exact.test", "GET").status == 200
    assert _pre(raw, p, "http://a.wild.test", "GET").status == 200
    assert _pre(raw, p, "http://a.b.wild.test", "GET").status == 200
    for bad in ("http://exact.test.evil", "https://exact.test", "http://EXACT.test",
                "http://wild.test", "http://.wild.test.x", "null"):
        r = _pre(raw, p, bad, "GET")
        assert r.status == 403, bad
        e = r.error()
        assert e["Code"] == "AccessForbidden" and e["Message"] == NOT_ALLOWED
        assert e["Method"] == "GET" and e["ResourceType"] == "OBJECT"
    r = _pre(raw, "/%s" % bucket, "http://nope.test", "GET")
    assert r.error()["ResourceType"] == "BUCKET"


def test_match_wildcard_origin(s3, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    r = _pre(raw, "/%s/k" % bucket, "http://any.where", "GET")
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") == "*"
    assert r.header("Access-Control-Allow-Credentials") is None
    assert r.header("Access-Control-Max-Age") is None
    assert r.header("Access-Control-Expose-Headers") is None


def test_match_methods(s3, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"]}]})
    p = "/%s/k" % bucket
    assert _pre(raw, p, "http://o.test", "GET").status == 200
    assert _pre(raw, p, "http://o.test", "HEAD").status == 200
    r = _pre(raw, p, "http://o.test", "PUT")
    assert r.status == 403 and r.error()["Method"] == "PUT"
    # no Access-Control-Request-Method: not a valid preflight
    r = _pre(raw, p, "http://o.test")
    assert r.status == 403 and r.error()["Message"] == NOT_ALLOWED


def test_match_headers(s3, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["PUT"], "AllowedOrigins": ["*"],
         "AllowedHeaders": ["Content-Type", "x-amz-meta-*"]},
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    p = "/%s/k" % bucket
    r = _pre(raw, p, "http://o.test", "PUT", "content-type, X-Amz-Meta-Owner,x-amz-meta-")
    assert r.status == 200
    assert r.header("Access-Control-Allow-Headers") == ("content-type, x-amz-meta-owner, "
                                                        "x-amz-meta-")
    r = _pre(raw, p, "http://o.test", "PUT", "content-type,authorization")
    assert r.status == 403 and r.error()["Message"] == NOT_ALLOWED
    # a rule without AllowedHeader allows no requested header
    assert _pre(raw, p, "http://o.test", "GET").status == 200
    assert _pre(raw, p, "http://o.test", "GET", "x-custom").status == 403


def test_star_headers(s3, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["POST"], "AllowedOrigins": ["*"], "AllowedHeaders": ["*"]}]})
    r = _pre(raw, "/%s" % bucket, "http://o.test", "POST", "A, b ,c")
    assert r.status == 200
    assert r.header("Access-Control-Allow-Headers") == "a, b, c"


def test_first_matching_rule_wins(s3, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["PUT"], "AllowedOrigins": ["http://first.test"],
         "ExposeHeaders": ["x-first"], "MaxAgeSeconds": 1},
        {"AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["*"],
         "ExposeHeaders": ["x-second"], "MaxAgeSeconds": 2}]})
    p = "/%s/k" % bucket
    r = _pre(raw, p, "http://first.test", "PUT")
    assert r.header("Access-Control-Expose-Headers") == "x-first"
    assert r.header("Access-Control-Max-Age") == "1"
    assert r.header("Access-Control-Allow-Methods") == "PUT"
    assert r.header("Access-Control-Allow-Origin") == "http://first.test"
    r = _pre(raw, p, "http://first.test", "GET")
    assert r.header("Access-Control-Expose-Headers") == "x-second"
    assert r.header("Access-Control-Max-Age") == "2"
    assert r.header("Access-Control-Allow-Origin") == "*"


def test_actual_response_headers(s3, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["http://ok.test"],
         "ExposeHeaders": ["ETag", "x-amz-meta-a"], "MaxAgeSeconds": 60}]})
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    r = raw("GET", "/%s/k" % bucket, headers={"Origin": "http://ok.test"})
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") == "http://ok.test"
    assert r.header("Access-Control-Allow-Credentials") == "true"
    assert r.header("Access-Control-Expose-Headers") == "ETag, x-amz-meta-a"
    assert r.header("Access-Control-Allow-Methods") == "GET"
    assert r.header("Vary") == ("Origin, Access-Control-Request-Headers, "
                                "Access-Control-Request-Method")
    # no matching rule: the request still succeeds, without CORS headers
    r = raw("GET", "/%s/k" % bucket, headers={"Origin": "http://other.test"})
    assert r.status == 200 and r.header("Access-Control-Allow-Origin") is None
    r = raw("PUT", "/%s/k2" % bucket, headers={"Origin": "http://ok.test"}, body=b"y")
    assert r.status == 200 and r.header("Access-Control-Allow-Origin") is None
    # error responses of a matching request carry them too
    r = raw("GET", "/%s/missing" % bucket, headers={"Origin": "http://ok.test"})
    assert r.status == 404 and r.header("Access-Control-Allow-Origin") == "http://ok.test"
    # no Origin: no CORS headers
    r = raw("GET", "/%s/k" % bucket)
    assert r.header("Access-Control-Allow-Origin") is None and r.header("Vary") is None


def test_delete_cors_disables_preflight(s3, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    assert _pre(raw, "/%s" % bucket, "http://o.test", "GET").status == 200
    s3.delete_bucket_cors(Bucket=bucket)
    r = _pre(raw, "/%s" % bucket, "http://o.test", "GET")
    assert r.status == 403
    assert r.error()["Message"] == "CORSResponse: CORS is not enabled for this bucket."
