"""Authentication shapes (reference/s3.md section 7): presigned GET/PUT with SigV4 and with
boto3's SigV2 default, expiry, incomplete query-auth parameter sets, header auth from
several regions, anonymous requests."""

import time
import urllib.parse

import pytest
import requests

import s3util


def _query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_default_presign_is_sigv2(s3, bucket):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    q = _query(url)
    assert {"AWSAccessKeyId", "Signature", "Expires"} <= set(q)


def test_presigned_get_sigv2(s3, bucket):
    s3.put_object(Bucket=bucket, Key="v2.txt", Body=b"sigv2 body")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2.txt"},
                                    ExpiresIn=300)
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.content == b"sigv2 body"


def test_presigned_put_sigv2(s3, bucket):
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up2.bin"},
                                    ExpiresIn=300)
    r = requests.put(url, data=b"uploaded with v2", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers.get("ETag") == '"%s"' % s3util.md5_hex(b"uploaded with v2")
    assert s3.get_object(Bucket=bucket, Key="up2.bin")["Body"].read() == b"uploaded with v2"


def test_presigned_get_sigv4(s3_v4, bucket):
    s3_v4.put_object(Bucket=bucket, Key="v4 file+x.txt", Body=b"sigv4 body")
    url = s3_v4.generate_presigned_url("get_object",
                                       Params={"Bucket": bucket, "Key": "v4 file+x.txt"},
                                       ExpiresIn=300)
    assert "X-Amz-Signature=" in url
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.content == b"sigv4 body"


def test_presigned_put_sigv4_with_content_type(s3_v4, bucket):
    url = s3_v4.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "img.png", "ContentType": "image/png"},
        ExpiresIn=300)
    r = requests.put(url, data=b"\x89PNG fake", headers={"Content-Type": "image/png"},
                     timeout=10)
    assert r.status_code == 200, r.text
    h = s3_v4.head_object(Bucket=bucket, Key="img.png")
    assert h["ContentType"] == "image/png"
    assert h["ContentLength"] == 9


def test_presigned_head_sigv4(s3_v4, bucket):
    s3_v4.put_object(Bucket=bucket, Key="h", Body=b"12345")
    url = s3_v4.generate_presigned_url("head_object", Params={"Bucket": bucket, "Key": "h"})
    r = requests.head(url, timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Length"] == "5"


def test_presigned_sigv4_other_region(endpoint, bucket):
    from conftest import make_client
    west = make_client(endpoint, region="us-west-2", signature_version="s3v4")
    west.put_object(Bucket=bucket, Key="w", Body=b"west")
    url = west.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "w"})
    assert "us-west-2" in urllib.parse.unquote(url)
    r = requests.get(url, timeout=10)
    assert (r.status_code, r.content) == (200, b"west")


def _expired(url):
    time.sleep(2.2)
    r = requests.get(url, timeout=10)
    assert r.status_code == 403, r.text
    e = s3util.parse_error(r.content)
    assert e["Code"] == "AccessDenied"
    assert e["Message"] == "Request has expired"
    assert e.get("Expires")
    assert e.get("ServerTime")
    return e


def test_expired_presigned_sigv4(s3_v4, bucket):
    s3_v4.put_object(Bucket=bucket, Key="exp", Body=b"x")
    url = s3_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "exp"},
                                       ExpiresIn=1)
    e = _expired(url)
    assert e.get("X-Amz-Expires") == "1"


def test_expired_presigned_sigv2(s3, bucket):
    s3.put_object(Bucket=bucket, Key="exp2", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "exp2"},
                                    ExpiresIn=1)
    e = _expired(url)
    assert "X-Amz-Expires" not in e


@pytest.mark.parametrize("drop", ["X-Amz-Signature", "X-Amz-Credential", "X-Amz-Date",
                                  "X-Amz-Expires", "X-Amz-SignedHeaders"])
def test_partial_v4_query_params(s3_v4, bucket, drop):
    s3_v4.put_object(Bucket=bucket, Key="p", Body=b"x")
    url = s3_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"})
    parts = urllib.parse.urlsplit(url)
    q = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != drop]
    r = requests.get(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q))),
                     timeout=10)
    assert r.status_code == 400, r.text
    e = s3util.parse_error(r.content)
    assert e["Code"] == "AuthorizationQueryParametersError"
    assert e["Message"] == (
        "Query-string authentication version 4 requires the X-Amz-Algorithm, "
        "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
        "X-Amz-Expires parameters.")


def test_v4_expires_over_a_week(s3_v4, bucket):
    url = s3_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p"},
                                       ExpiresIn=604801)
    r = requests.get(url, timeout=10)
    assert r.status_code == 400
    e = s3util.parse_error(r.content)
    assert e["Code"] == "AuthorizationQueryParametersError"
    assert e["Message"] == ("X-Amz-Expires must be less than a week (in seconds); that is, the "
                            "given X-Amz-Expires must be less than 604800 seconds")


def test_partial_v2_query_params(s3, bucket):
    s3.put_object(Bucket=bucket, Key="p2", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p2"})
    parts = urllib.parse.urlsplit(url)
    q = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "Signature"]
    r = requests.get(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q))),
                     timeout=10)
    assert r.status_code == 403
    e = s3util.parse_error(r.content)
    assert e["Code"] == "AccessDenied"
    assert e["Message"] == ("Query-string authentication requires the Signature, Expires and "
                            "AWSAccessKeyId parameters")


def test_header_auth_any_access_key(endpoint):
    import boto3
    from botocore.config import Config
    c = boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIAANYKEY",
        aws_secret_access_key="whatever", config=Config(retries={"max_attempts": 1}))
    c.create_bucket(Bucket="any-key")
    c.put_object(Bucket="any-key", Key="k", Body=b"ok")
    assert c.get_object(Bucket="any-key", Key="k")["Body"].read() == b"ok"


def test_anonymous_requests_accepted(raw, bucket):
    r = raw("PUT", "/%s/anon" % bucket, body=b"anonymous!", anon=True)
    assert r.status == 200, r
    g = raw("GET", "/%s/anon" % bucket, anon=True)
    assert (g.status, g.body) == (200, b"anonymous!")
    assert raw("HEAD", "/%s/anon" % bucket, anon=True).status == 200
    assert raw("DELETE", "/%s/anon" % bucket, anon=True).status == 204


def test_signed_from_other_region_header_auth(raw, bucket):
    r = raw("PUT", "/%s/eu" % bucket, body=b"eu-signed", region="eu-central-1")
    assert r.status == 200, r
    assert raw("GET", "/%s/eu" % bucket, region="eu-central-1").body == b"eu-signed"


def test_unsigned_payload_header(raw, port, bucket):
    hdrs = {"Host": "127.0.0.1:%d" % port}
    hdrs, _, _, _ = s3util.sigv4_sign("PUT", "/%s/unsigned" % bucket, hdrs, "UNSIGNED-PAYLOAD")
    r = raw("PUT", "/%s/unsigned" % bucket, headers=hdrs, body=b"payload not hashed")
    assert r.status == 200, r
    assert raw("GET", "/%s/unsigned" % bucket).body == b"payload not hashed"


def test_sigv2_header_auth(endpoint, bucket):
    from conftest import make_client
    v2 = make_client(endpoint, signature_version="s3")
    v2.put_object(Bucket=bucket, Key="v2 header+auth.txt", Body=b"AWS key:sig",
                  ContentType="text/plain", Metadata={"m": "1"})
    g = v2.get_object(Bucket=bucket, Key="v2 header+auth.txt")
    assert g["Body"].read() == b"AWS key:sig"
    assert g["Metadata"] == {"m": "1"}
    assert [c["Key"] for c in v2.list_objects(Bucket=bucket)["Contents"]] == \
        ["v2 header+auth.txt"]
