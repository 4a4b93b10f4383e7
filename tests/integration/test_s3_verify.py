"""S3 with signature verification turned on (`auth_verify = on`): configured credentials
pass (header SigV4 from boto3, presigned SigV4 and SigV2, signed aws-chunked streaming
uploads), a wrong secret gets SignatureDoesNotMatch, an unknown key InvalidAccessKeyId,
a tampered chunk signature SignatureDoesNotMatch, and accounts come from the credentials.
Runs in: the pytest process, against a second ruststack started by this module."""

import datetime
import hashlib
import hmac

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server

AK, SK, ACCOUNT = "AKIDVERIFY", "verify-secret", "111122223333"


@pytest.fixture(scope="module")
def vserver(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("verify"), workers=1,
                 extra_conf="auth_verify = on\ncredentials = %s:%s:%s\n" % (AK, SK, ACCOUNT))
    srv.start()
    yield srv
    rc, leftover = srv.stop()
    assert rc == 0 and not leftover


def client(srv, key=AK, secret=SK, **cfg):
    return boto3.session.Session().client(
        "s3", endpoint_url=srv.endpoint, region_name="us-east-1", aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"mode": "standard", "max_attempts": 1}, **cfg))


def test_configured_credentials_work(vserver):
    s3 = client(vserver)
    s3.create_bucket(Bucket="verified-bucket")
    s3.put_object(Bucket="verified-bucket", Key="k", Body=b"payload")
    assert s3.get_object(Bucket="verified-bucket", Key="k")["Body"].read() == b"payload"
    owner = s3.list_buckets()["Owner"]["ID"]
    assert owner == hashlib.sha256(ACCOUNT.encode()).hexdigest()


def test_wrong_secret_is_signature_does_not_match(vserver):
    with pytest.raises(ClientError) as e:
        client(vserver, secret="not-the-secret").list_buckets()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert e.value.response["Error"]["AWSAccessKeyId"] == AK


def test_unknown_key_is_invalid_access_key_id(vserver):
    with pytest.raises(ClientError) as e:
        client(vserver, key="AKIDUNKNOWN").list_buckets()
    assert e.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_presigned_urls_are_verified(vserver):
    s3 = client(vserver)
    s3.create_bucket(Bucket="presign-bucket")
    s3.put_object(Bucket="presign-bucket", Key="p.txt", Body=b"presigned")
    for cfg in ({}, {"signature_version": "s3v4"}):
        url = client(vserver, **cfg).generate_presigned_url(
            "get_object", Params={"Bucket": "presign-bucket", "Key": "p.txt"}, ExpiresIn=60)
        r = requests.get(url, timeout=10)
        assert r.status_code == 200 and r.content == b"presigned", (cfg, r.text)
        bad = client(vserver, secret="wrong", **cfg).generate_presigned_url(
            "get_object", Params={"Bucket": "presign-bucket", "Key": "p.txt"}, ExpiresIn=60)
        r = requests.get(bad, timeout=10)
        assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text, cfg


def _sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _signed_chunked_put(srv, bucket, key, chunks, tamper=False):
    """PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD, signing the header and every chunk."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = "%s/us-east-1/s3/aws4_request" % day
    host = "127.0.0.1:%d" % srv.port
    decoded = sum(len(c) for c in chunks)
    sig_len = len(";chunk-signature=") + 64
    enc_len = sum(len("%x" % len(c)) + sig_len + 2 + len(c) + 2 for c in chunks)
    enc_len += len("0") + sig_len + 4
    headers = {
        "host": host,
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(decoded),
        "content-encoding": "aws-chunked",
        "content-length": str(enc_len),
    }
    signed = sorted(headers)
    canonical = "\n".join([
        "PUT", "/%s/%s" % (bucket, key), "",
        "".join("%s:%s\n" % (h, headers[h]) for h in signed),
        ";".join(signed), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
    k = _sign(("AWS4" + SK).encode(), day)
    k = _sign(_sign(_sign(k, "us-east-1"), "s3"), "aws4_request")
    seed = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    body, prev = b"", seed
    for c in list(chunks) + [b""]:
        csts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev,
                          hashlib.sha256(b"").hexdigest(), hashlib.sha256(c).hexdigest()])
        sig = hmac.new(k, csts.encode(), hashlib.sha256).hexdigest()
        if tamper and c:
            sig = ("0" if sig[0] != "0" else "1") + sig[1:]
        body += b"%x;chunk-signature=%s\r\n%s\r\n" % (len(c), sig.encode(), c)
        prev = sig
    assert len(body) == enc_len
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (AK, scope, ";".join(signed), seed))
    del headers["host"]
    return requests.put("%s/%s/%s" % (srv.endpoint, bucket, key), data=body, headers=headers,
                        timeout=10)


def test_signed_streaming_upload(vserver):
    client(vserver).create_bucket(Bucket="stream-bucket")
    chunks = [b"a" * 8192, b"b" * 100]
    r = _signed_chunked_put(vserver, "stream-bucket", "obj", chunks)
    assert r.status_code == 200, r.text
    got = client(vserver).get_object(Bucket="stream-bucket", Key="obj")["Body"].read()
    assert got == b"".join(chunks)
    r = _signed_chunked_put(vserver, "stream-bucket", "obj2", chunks, tamper=True)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text, r.text
    with pytest.raises(ClientError):
        client(vserver).head_object(Bucket="stream-bucket", Key="obj2")


@pytest.mark.parametrize("body", [b"", b"signed length"])
def test_content_length_in_signed_headers(vserver, body):
    """Java and Rust SDKs sign Content-Length; h2o keeps it out of its header list, so the
    server must still present it to the canonical request (bug found and fixed)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    client(vserver).create_bucket(Bucket="length-bucket")
    url = "%s/length-bucket/k%d" % (vserver.endpoint, len(body))
    req = AWSRequest(method="PUT", url=url, data=body,
                     headers={"Content-Length": str(len(body))})
    S3SigV4Auth(Credentials(AK, SK), "s3", "us-east-1").add_auth(req)
    assert "content-length" in req.headers["Authorization"]
    r = requests.put(url, data=body, headers=dict(req.headers.items()), timeout=10)
    assert r.status_code == 200, r.text


def test_anonymous_requests_are_refused(vserver):
    """No bucket is public here: with auth_verify an unsigned request gets AWS's answer for
    a private bucket (403 AccessDenied), on every level; presigned URLs still work."""
    s3 = client(vserver)
    s3.create_bucket(Bucket="anon-refused")
    s3.put_object(Bucket="anon-refused", Key="k", Body=b"private")
    for method, path, body in (("GET", "/", None), ("GET", "/anon-refused", None),
                               ("GET", "/anon-refused/k", None), ("HEAD", "/anon-refused/k", None),
                               ("PUT", "/anon-refused/new", b"x"),
                               ("DELETE", "/anon-refused/k", None)):
        r = requests.request(method, vserver.endpoint + path, data=body, timeout=10)
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        if method != "HEAD":
            assert "<Code>AccessDenied</Code>" in r.text and "<Message>Access Denied</Message>" \
                in r.text, r.text
    assert s3.get_object(Bucket="anon-refused", Key="k")["Body"].read() == b"private"
    assert "Contents" not in s3.list_objects_v2(Bucket="anon-refused", Prefix="new")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "anon-refused", "Key": "k"})
    assert requests.get(url, timeout=10).content == b"private"


def test_sigv2_header_bucket_level_requests(vserver):
    """botocore's SigV2 (signature_version "s3") signs a path-style bucket request with the
    resource "/bucket/": CreateBucket, ListObjects and DeleteBucket verify like object
    requests; a wrong secret is still refused."""
    s3 = client(vserver, signature_version="s3")
    s3.create_bucket(Bucket="sigv2-bucket")
    s3.put_object(Bucket="sigv2-bucket", Key="a/b", Body=b"v2")
    assert [o["Key"] for o in s3.list_objects(Bucket="sigv2-bucket")["Contents"]] == ["a/b"]
    assert s3.get_object(Bucket="sigv2-bucket", Key="a/b")["Body"].read() == b"v2"
    bad = client(vserver, secret="wrong", signature_version="s3")
    with pytest.raises(ClientError) as e:
        bad.list_objects(Bucket="sigv2-bucket")
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    s3.delete_object(Bucket="sigv2-bucket", Key="a/b")
    s3.delete_bucket(Bucket="sigv2-bucket")
