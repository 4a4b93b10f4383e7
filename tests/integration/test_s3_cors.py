"""CORS as S3 answers it (reference/s3.md section 8): without a bucket CORS configuration
a preflight is refused (403 "CORSResponse: CORS is not enabled for this bucket.", or
"Bucket not found") and actual responses carry no CORS headers; a preflight without an
Origin is 400. With a configuration, a Flask app on http://localhost:5000 can upload from
the browser to a presigned URL. Rule matching itself: test_s3_cors_config.py."""

import urllib.parse

import requests

ORIGIN = "http://localhost:5000"
UPLOAD_RULES = {"CORSRules": [{
    "AllowedOrigins": [ORIGIN], "AllowedMethods": ["GET", "PUT", "POST"],
    "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag", "x-amz-request-id"],
    "MaxAgeSeconds": 3000}]}


def _split(value):
    return [v.strip().lower() for v in (value or "").split(",") if v.strip()]


def test_preflight_for_presigned_put(s3, s3_v4, raw, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=UPLOAD_RULES)
    url = s3_v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up.txt"},
                                       ExpiresIn=300)
    parts = urllib.parse.urlsplit(url)
    path = parts.path + "?" + parts.query
    r = raw("OPTIONS", path, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-amz-meta-owner"}, anon=True)
    assert r.status == 200, r
    assert r.header("Access-Control-Allow-Origin") == ORIGIN
    assert r.header("Access-Control-Allow-Credentials") == "true"
    assert r.header("Access-Control-Allow-Methods") == "GET, PUT, POST"
    assert r.header("Access-Control-Allow-Headers") == "content-type, x-amz-meta-owner"
    assert r.header("Access-Control-Expose-Headers") == "ETag, x-amz-request-id"
    assert r.header("Access-Control-Max-Age") == "3000"
    assert r.header("Vary") == ("Origin, Access-Control-Request-Headers, "
                                "Access-Control-Request-Method")
    # then the browser's actual PUT succeeds and exposes ETag
    put = requests.put(url, data=b"from the browser", headers={"Origin": ORIGIN}, timeout=10)
    assert put.status_code == 200
    assert put.headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert "etag" in _split(put.headers.get("Access-Control-Expose-Headers"))
    assert s3_v4.get_object(Bucket=bucket, Key="up.txt")["Body"].read() == b"from the browser"


def test_preflight_without_configuration(raw, bucket):
    r = raw("OPTIONS", "/%s" % bucket, headers={"Origin": ORIGIN,
                                                 "Access-Control-Request-Method": "PUT"},
            anon=True)
    assert r.status == 403
    e = r.error()
    assert e["Code"] == "AccessForbidden"
    assert e["Message"] == "CORSResponse: CORS is not enabled for this bucket."
    assert e["Method"] == "PUT" and e["ResourceType"] == "BUCKET"
    assert r.header("Access-Control-Allow-Origin") is None
    r = raw("OPTIONS", "/%s/some/key" % bucket, headers={"Origin": ORIGIN}, anon=True)
    assert r.status == 403
    e = r.error()
    assert e["Message"] == "CORSResponse: CORS is not enabled for this bucket."
    assert e["Method"] == "OPTIONS"


def test_preflight_no_such_bucket(raw):
    r = raw("OPTIONS", "/no-such-bucket-x/k", headers={"Origin": ORIGIN}, anon=True)
    assert r.status == 403
    e = r.error()
    assert e["Code"] == "AccessForbidden"
    assert e["Message"] == "CORSResponse: Bucket not found"
    assert e["Method"] == "OPTIONS" and e["ResourceType"] == "BUCKET"


def test_options_without_origin(raw, bucket):
    r = raw("OPTIONS", "/%s/up.txt" % bucket, headers={"Access-Control-Request-Method": "PUT"},
            anon=True)
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "BadRequest"
    assert e["Message"] == "Insufficient information. Origin request header needed."
    r = raw("OPTIONS", "/no-such-bucket-x", anon=True)
    assert r.status == 400 and r.error()["Code"] == "BadRequest"


def test_actual_response_without_configuration(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    r = raw("GET", "/%s/k" % bucket, headers={"Origin": ORIGIN})
    assert r.status == 200
    for h in ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
              "Access-Control-Expose-Headers", "Vary"):
        assert r.header(h) is None


def test_get_with_origin_gets_cors_headers(raw, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=UPLOAD_RULES)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    r = raw("GET", "/%s/k" % bucket, headers={"Origin": ORIGIN})
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") == ORIGIN
    r = raw("GET", "/%s/k" % bucket)
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") is None
