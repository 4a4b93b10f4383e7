"""CORS for a Flask app on http://localhost:5000 uploading from the browser to a presigned
URL (reference/s3.md section 8): preflight answers and the missing-Origin error."""

import urllib.parse

import requests

ORIGIN = "http://localhost:5000"


def _split(value):
    return [v.strip().lower() for v in (value or "").split(",") if v.strip()]


def test_preflight_for_presigned_put(s3_v4, raw, bucket):
    url = s3_v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up.txt"},
                                       ExpiresIn=300)
    parts = urllib.parse.urlsplit(url)
    path = parts.path + "?" + parts.query
    r = raw("OPTIONS", path, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-amz-meta-owner"}, anon=True)
    assert r.status == 200, r
    assert r.header("Access-Control-Allow-Origin") == ORIGIN
    assert "put" in _split(r.header("Access-Control-Allow-Methods"))
    allowed = _split(r.header("Access-Control-Allow-Headers"))
    assert "content-type" in allowed and "x-amz-meta-owner" in allowed
    assert "etag" in _split(r.header("Access-Control-Expose-Headers"))
    # then the browser's actual PUT succeeds and exposes ETag
    put = requests.put(url, data=b"from the browser", headers={"Origin": ORIGIN}, timeout=10)
    assert put.status_code == 200
    assert put.headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert "etag" in _split(put.headers.get("Access-Control-Expose-Headers"))
    assert s3_v4.get_object(Bucket=bucket, Key="up.txt")["Body"].read() == b"from the browser"


def test_preflight_on_bucket_path(raw, bucket):
    r = raw("OPTIONS", "/%s" % bucket, headers={"Origin": ORIGIN,
                                                 "Access-Control-Request-Method": "POST"},
            anon=True)
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") == ORIGIN
    assert "post" in _split(r.header("Access-Control-Allow-Methods"))


def test_options_without_origin(raw, bucket):
    r = raw("OPTIONS", "/%s/up.txt" % bucket, headers={"Access-Control-Request-Method": "PUT"},
            anon=True)
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "BadRequest"
    assert e["Message"] == "Insufficient information. Origin request header needed."


def test_get_with_origin_gets_cors_headers(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    r = raw("GET", "/%s/k" % bucket, headers={"Origin": ORIGIN})
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") == ORIGIN
    r = raw("GET", "/%s/k" % bucket)
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") is None
