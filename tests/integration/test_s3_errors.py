"""Error responses (reference/s3.md section 1): XML shape, request-id headers on every
response, extras surfacing in boto3's e.response['Error']."""

import pytest
from botocore.exceptions import ClientError

import s3util
from s3util import err


def _ids(r):
    rid = r.header("x-amz-request-id")
    hid = r.header("x-amz-id-2")
    assert rid and s3util.REQUEST_ID_RE.match(rid), rid
    assert hid and len(hid) >= 16, hid
    return rid, hid


def test_error_body_shape(raw):
    r = raw("GET", "/no-such-bucket-err/key")
    assert r.status == 404
    assert r.header("Content-Type", "").startswith("application/xml")
    assert r.body.lower().startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    e = r.error()
    assert e["_root"] == "Error"  # no namespace on <Error>
    assert e["_order"][:2] == ["Code", "Message"]
    assert e["Code"] == "NoSuchBucket"
    assert e["BucketName"] == "no-such-bucket-err"
    rid, hid = _ids(r)
    assert e["RequestId"] == rid
    assert e["HostId"] == hid
    assert e["_order"][-2:] == ["RequestId", "HostId"]


def test_success_carries_request_ids(raw, bucket):
    r = raw("PUT", "/%s/k" % bucket, body=b"x")
    _ids(r)
    _ids(raw("GET", "/%s/k" % bucket))
    _ids(raw("GET", "/"))


def test_head_error_has_headers_no_body(raw, bucket):
    r = raw("HEAD", "/%s/missing" % bucket)
    assert r.status == 404
    assert r.body == b""
    _ids(r)


def test_request_ids_are_unique(raw):
    ids = {raw("GET", "/").header("x-amz-request-id") for _ in range(20)}
    assert len(ids) == 20


def test_boto3_sees_request_ids(s3, bucket):
    md = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ResponseMetadata"]
    assert s3util.REQUEST_ID_RE.match(md["RequestId"])
    assert md["HostId"]
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="nope")
    md = ei.value.response["ResponseMetadata"]
    assert s3util.REQUEST_ID_RE.match(md["RequestId"])


def test_boto3_error_extras(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"0123")
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="a/missing key")
    assert err(ei)[0]["Key"] == "a/missing key"
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="k", IfMatch='"x"')
    assert err(ei)[0]["Condition"] == "If-Match"
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="k", Range="bytes=10-20")
    e = err(ei)[0]
    assert (e["RangeRequested"], e["ActualObjectSize"]) == ("bytes=10-20", "4")
    with pytest.raises(ClientError) as ei:
        s3.list_objects_v2(Bucket="no-bucket-extra")
    assert err(ei)[0]["BucketName"] == "no-bucket-extra"


def test_error_xml_escaping(raw, bucket):
    r = raw("GET", "/%s/%s" % (bucket, s3util.quote_key("<&>'\"")))
    assert r.status == 404
    assert r.error()["Key"] == "<&>'\""


def test_unknown_method_on_object(raw, bucket):
    r = raw("PATCH", "/%s/k" % bucket, body=b"x")
    assert r.status in (405, 501)
    e = r.error()
    assert e["Code"] in ("MethodNotAllowed", "NotImplemented")
    _ids(r)


def test_keep_alive_across_errors(port, bucket):
    """Errors that arrive with a request body must not desynchronise the connection."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        def req(method, path, body=None, headers=None):
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()

        assert req("PUT", "/%s/ka" % bucket, b"first")[0] == 200
        assert req("HEAD", "/%s/none" % bucket)[0] == 404
        st, body = req("PUT", "/%s/ka" % bucket, b"x" * 5000,
                       {"Content-MD5": s3util.md5_b64(b"other")})
        assert st == 400 and b"BadDigest" in body
        st, body = req("PUT", "/no-such-bucket-ka/k", b"y" * 5000)
        assert st == 404
        assert req("GET", "/%s/ka" % bucket) == (200, b"first")
        assert req("GET", "/%s/none" % bucket)[0] == 404
        assert req("DELETE", "/%s/ka" % bucket)[0] == 204
        assert req("GET", "/%s/ka" % bucket)[0] == 404
    finally:
        conn.close()


@pytest.mark.parametrize("raw_key", ["%FF%FE", "ok-%C3%28", "%ED%A0%80", "%C0%AF"])
def test_key_not_utf8_is_invalid_uri(raw, bucket, raw_key):
    """A key that is not UTF-8 (a lone byte, a bad continuation, a surrogate, an overlong
    form) is AWS's 400 InvalidURI, without the bytes echoed (it used to be a 404 NoSuchKey
    with the raw bytes inside the XML)."""
    for method in ("GET", "PUT"):
        r = raw(method, "/%s/%s" % (bucket, raw_key), body=b"x" if method == "PUT" else None)
        assert r.status == 400, (method, raw_key, r.status, r.body[:300])
        assert r.error()["Code"] == "InvalidURI", r.body
        assert b"\xff" not in r.body and b"\xc3(" not in r.body
