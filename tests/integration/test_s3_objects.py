"""Object basics: PutObject / GetObject / HeadObject / DeleteObject, stored headers,
user metadata, ETag, Last-Modified, key names and limits, storage classes
(reference/s3.md sections 3.1-3.3, 3.6, 11)."""

import datetime
import email.utils
import hashlib

import pytest
from botocore.exceptions import ClientError

import s3util
from s3util import err


def test_put_get_head_delete(s3, bucket):
    data = b"some object bytes\n" * 10
    s3.put_object(Bucket=bucket, Key="obj", Body=data)
    assert s3.get_object(Bucket=bucket, Key="obj")["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="obj")["ContentLength"] == len(data)
    d = s3.delete_object(Bucket=bucket, Key="obj")
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="obj")
    assert err(ei)[0]["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="obj")
    assert err(ei) == ({"Code": "404", "Message": "Not Found"}, 404)


def test_overwrite_replaces(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first version", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"2nd")
    g = s3.get_object(Bucket=bucket, Key="k")
    assert g["Body"].read() == b"2nd"
    assert g["Metadata"] == {}


def test_delete_absent_key_is_204(s3, bucket):
    r = s3.delete_object(Bucket=bucket, Key="never-existed")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_object_ops_on_missing_bucket(s3, raw):
    for call in (lambda: s3.put_object(Bucket="nope-bucket", Key="k", Body=b"x"),
                 lambda: s3.get_object(Bucket="nope-bucket", Key="k"),
                 lambda: s3.delete_object(Bucket="nope-bucket", Key="k")):
        with pytest.raises(ClientError) as ei:
            call()
        e, status = err(ei)
        assert (e["Code"], status, e["BucketName"]) == ("NoSuchBucket", 404, "nope-bucket")
    r = raw("HEAD", "/nope-bucket/k")
    assert (r.status, r.body) == (404, b"")


def test_default_content_type_raw(raw, s3, bucket):
    r = raw("PUT", "/%s/untyped" % bucket, body=b"abc")
    assert r.status == 200
    g = raw("GET", "/%s/untyped" % bucket)
    assert g.header("Content-Type") == "binary/octet-stream"
    assert s3.head_object(Bucket=bucket, Key="untyped")["ContentType"] == "binary/octet-stream"


def test_default_content_type_boto3(s3, bucket):
    s3.put_object(Bucket=bucket, Key="untyped2", Body=b"abc")
    assert s3.get_object(Bucket=bucket, Key="untyped2")["ContentType"] == "binary/octet-stream"


def test_etag_is_quoted_md5(raw, bucket):
    data = b"etag me"
    r = raw("PUT", "/%s/e" % bucket, body=data)
    assert r.header("ETag") == '"%s"' % hashlib.md5(data).hexdigest()
    g = raw("GET", "/%s/e" % bucket)
    assert g.header("ETag") == r.header("ETag")


def test_empty_object(s3, bucket):
    p = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert p["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    g = s3.get_object(Bucket=bucket, Key="empty")
    assert g["ContentLength"] == 0
    assert g["Body"].read() == b""


def test_get_response_headers(raw, bucket):
    raw("PUT", "/%s/hdrs" % bucket, body=b"0123456789")
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    g = raw("GET", "/%s/hdrs" % bucket)
    assert g.status == 200
    assert g.header("Content-Length") == "10"
    assert g.header("Accept-Ranges") == "bytes"
    lm = g.header("Last-Modified")
    assert lm and lm.endswith(" GMT"), lm
    parsed = email.utils.parsedate_to_datetime(lm)
    assert abs((parsed - before).total_seconds()) < 120
    # the exact IMF-fixdate layout: "Wed, 21 Oct 2015 07:28:00 GMT"
    assert s3util.re.match(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$", lm)
    # nothing invented that was not stored
    assert g.header("Cache-Control") is None
    assert g.header("Content-Encoding") is None
    assert g.header("Content-Disposition") is None
    assert g.header("x-amz-storage-class") is None


def test_stored_system_headers_round_trip(raw, s3, bucket):
    hdrs = {"Content-Type": "text/html; charset=utf-8",
            "Content-Encoding": "identity",
            "Content-Disposition": 'attachment; filename="a.html"',
            "Content-Language": "de-DE",
            "Cache-Control": "max-age=60, public",
            "Expires": "Thu, 01 Jan 2037 00:00:00 GMT"}
    r = raw("PUT", "/%s/sys" % bucket, headers=hdrs, body=b"<p>x</p>")
    assert r.status == 200
    for method in ("GET", "HEAD"):
        g = raw(method, "/%s/sys" % bucket)
        for k, v in hdrs.items():
            assert g.header(k) == v, (method, k)


def test_user_metadata_lowercased_and_trimmed(raw, s3, bucket):
    r = raw("PUT", "/%s/meta" % bucket, body=b"m",
            headers={"x-amz-meta-TEST_Meta_1": "  padded value  ",
                     "X-Amz-Meta-Camel": "Keep Case Of Value",
                     "x-amz-meta-punct": "a!#$&'*+-.^_`|~b"})
    assert r.status == 200
    h = s3.head_object(Bucket=bucket, Key="meta")
    assert h["Metadata"] == {"test_meta_1": "padded value", "camel": "Keep Case Of Value",
                             "punct": "a!#$&'*+-.^_`|~b"}
    g = raw("GET", "/%s/meta" % bucket)
    assert g.header("x-amz-meta-test_meta_1") == "padded value"


def test_metadata_rfc2047_ascii_word_decoded(raw, s3, bucket):
    raw("PUT", "/%s/rfc" % bucket, body=b"m",
        headers={"x-amz-meta-enc": "=?UTF-8?B?YWJj?="})
    assert s3.head_object(Bucket=bucket, Key="rfc")["Metadata"]["enc"] == "abc"


def test_key_too_long(s3, bucket):
    ok_key = "k" * 1024
    s3.put_object(Bucket=bucket, Key=ok_key, Body=b"1")
    assert s3.get_object(Bucket=bucket, Key=ok_key)["Body"].read() == b"1"
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"1")
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "KeyTooLongError"
    assert e["Message"] == "Your key is too long"
    assert e["MaxSizeAllowed"] == "1024"
    assert e["Size"] == "1025"


def test_key_too_long_counts_utf8_bytes(s3, bucket):
    key = "\u00e9" * 513  # 1026 bytes in UTF-8, 513 characters
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key=key, Body=b"1")
    assert err(ei)[0]["Code"] == "KeyTooLongError"


def test_metadata_too_large(s3, bucket):
    s3.put_object(Bucket=bucket, Key="meta-ok", Body=b"1", Metadata={"k": "v" * 1900})
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="meta-big", Body=b"1",
                      Metadata={"a": "v" * 1100, "b": "w" * 1100})
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "MetadataTooLarge"
    assert e["Message"] == "Your metadata headers exceed the maximum allowed metadata size"
    assert e["MaxSizeAllowed"] == "2048"
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="meta-big")
    assert err(ei)[1] == 404


SPECIAL_KEYS = [
    "with space.txt",
    "plus+sign",
    "percent%41literal",
    "100%",
    "double//slash",
    "trailing/",
    "/leading-slash",
    "eq=and&amp",
    "question?mark#hash",
    "semi;colon,comma",
    "tilde~star*paren()",
    "unicode-\u00fc\u00f1\u00ee/\u65e5\u672c\u8a9e/\U0001F600.txt",
    "UPPER/lower",
    "quote'\"",
    "angle<>brackets",
]


@pytest.mark.parametrize("key", SPECIAL_KEYS)
def test_special_keys_round_trip(s3, bucket, key):
    data = ("body of " + key).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(data)
    listed = [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_keys_are_case_sensitive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="CamelCase", Body=b"1")
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="camelcase")
    assert err(ei)[0]["Key"] == "camelcase"


def test_raw_path_keeps_double_slash(raw, s3, bucket):
    r = raw("PUT", "/%s/a//b/" % bucket, body=b"ds")
    assert r.status == 200
    assert s3.get_object(Bucket=bucket, Key="a//b/")["Body"].read() == b"ds"


def test_raw_path_dot_segments_kept(raw, s3, bucket):
    r = raw("PUT", "/%s/dots/./and/../kept" % bucket, body=b"dots")
    assert r.status == 200
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Key"] == "dots/./and/../kept"
    assert raw("GET", "/%s/dots/./and/../kept" % bucket).body == b"dots"


def test_raw_path_plus_is_literal(raw, s3, bucket):
    r = raw("PUT", "/%s/a+b" % bucket, body=b"plus")
    assert r.status == 200
    assert s3.get_object(Bucket=bucket, Key="a+b")["Body"].read() == b"plus"
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="a b")


# ---- storage class ------------------------------------------------------------------------

def test_standard_storage_class_not_echoed(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="std", Body=b"1", StorageClass="STANDARD")
    h = s3.head_object(Bucket=bucket, Key="std")
    assert "StorageClass" not in h
    assert raw("GET", "/%s/std" % bucket).header("x-amz-storage-class") is None


@pytest.mark.parametrize("cls", ["STANDARD_IA", "REDUCED_REDUNDANCY", "ONEZONE_IA",
                                 "INTELLIGENT_TIERING", "GLACIER_IR"])
def test_non_standard_storage_class(raw, s3, bucket, cls):
    s3.put_object(Bucket=bucket, Key="c", Body=b"1", StorageClass=cls)
    assert s3.head_object(Bucket=bucket, Key="c")["StorageClass"] == cls
    g = raw("GET", "/%s/c" % bucket)
    assert g.status == 200
    assert g.header("x-amz-storage-class") == cls
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert listed["StorageClass"] == cls


@pytest.mark.parametrize("cls", ["FakeClass", "OUTPOSTS", "standard"])
def test_invalid_storage_class(raw, bucket, cls):
    r = raw("PUT", "/%s/bad-class" % bucket, body=b"1",
            headers={"x-amz-storage-class": cls})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidStorageClass"
    assert e["Message"] == "The storage class you specified is not valid"
    assert e["StorageClassRequested"] == cls
    assert raw("HEAD", "/%s/bad-class" % bucket).status == 404


@pytest.mark.parametrize("cls", ["GLACIER", "DEEP_ARCHIVE"])
def test_archived_object_get_is_invalid_object_state(s3, bucket, cls):
    s3.put_object(Bucket=bucket, Key="cold", Body=b"frozen", StorageClass=cls)
    h = s3.head_object(Bucket=bucket, Key="cold")
    assert h["StorageClass"] == cls
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="cold")
    e, status = err(ei)
    assert status == 403
    assert e["Code"] == "InvalidObjectState"
    assert e["Message"] == "The operation is not valid for the object's storage class"
    assert e["StorageClass"] == cls


# ---- more stored attributes ---------------------------------------------------------------

def test_server_side_encryption_header(raw, bucket):
    r = raw("PUT", "/%s/sse" % bucket, body=b"x")
    assert r.header("x-amz-server-side-encryption") == "AES256"
    g = raw("GET", "/%s/sse" % bucket)
    assert g.header("x-amz-server-side-encryption") == "AES256"


def test_tagging_count(s3, bucket):
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="team=core&env=dev")
    assert s3.get_object(Bucket=bucket, Key="tagged")["TagCount"] == 2
    s3.put_object(Bucket=bucket, Key="untagged", Body=b"x")
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="untagged")


def test_website_redirect_location(s3, bucket):
    s3.put_object(Bucket=bucket, Key="redir", Body=b"x", WebsiteRedirectLocation="/other.html")
    assert s3.head_object(Bucket=bucket, Key="redir")["WebsiteRedirectLocation"] == "/other.html"


def test_metadata_rfc2047_non_ascii_kept_encoded(raw, s3, bucket):
    raw("PUT", "/%s/rfc2" % bucket, body=b"m",
        headers={"x-amz-meta-city": "=?UTF-8?Q?Z=C3=BCrich?="})
    assert s3.head_object(Bucket=bucket, Key="rfc2")["Metadata"]["city"] == \
        "=?UTF-8?Q?Z=C3=BCrich?="


def test_put_without_content_length_is_411(port, bucket):
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"PUT /%s/nolen HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     b"Connection: close\r\n\r\n" % (bucket.encode(), port))
        data = b""
        while len(data) < 65536:
            piece = sock.recv(4096)
            if not piece:
                break
            data += piece
    status = int(data.split(b" ", 2)[1])
    assert status == 411, data[:300]
    assert b"<Code>MissingContentLength</Code>" in data


def test_truncated_body_never_visible(raw, port, bucket):
    import socket
    raw("PUT", "/%s/partial" % bucket, body=b"old value")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"PUT /%s/partial HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     b"Content-Length: 100000\r\n\r\n" % (bucket.encode(), port)
                     + b"n" * 5000)
        sock.shutdown(socket.SHUT_WR)
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass
    for _ in range(3):
        g = raw("GET", "/%s/partial" % bucket)
        assert (g.status, g.body) == (200, b"old value")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"PUT /%s/fresh HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     b"Content-Length: 100000\r\n\r\n" % (bucket.encode(), port) + b"n" * 5000)
        sock.close()
    import time
    time.sleep(0.5)
    assert raw("HEAD", "/%s/fresh" % bucket).status == 404


def test_head_matches_get_headers(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="hg", Body=b"head vs get", ContentType="text/plain",
                  Metadata={"a": "1"}, CacheControl="no-cache")
    g = raw("GET", "/%s/hg" % bucket)
    h = raw("HEAD", "/%s/hg" % bucket)
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Accept-Ranges",
                 "Cache-Control", "x-amz-meta-a"):
        assert h.header(name) == g.header(name), name


def test_raw_path_percent_decoding(raw, s3, bucket):
    assert raw("PUT", "/%s/enc%%2Fslash" % bucket, body=b"1").status == 200
    assert raw("PUT", "/%s/lower%%c3%%a9" % bucket, body=b"2").status == 200
    assert raw("PUT", "/%s/sp%%20ace" % bucket, body=b"3").status == 200
    keys = sorted(c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["enc/slash", "lower\u00e9", "sp ace"]


def test_unknown_query_params_ignored(raw, s3, bucket):
    r = raw("PUT", "/%s/xid?x-id=PutObject" % bucket, body=b"rust sdk")
    assert r.status == 200
    g = raw("GET", "/%s/xid?x-id=GetObject" % bucket)
    assert (g.status, g.body) == (200, b"rust sdk")
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Key"] == "xid"


def test_metadata_raw_utf8_returned_rfc2047_encoded(port, s3, bucket):
    """Raw UTF-8 bytes in a metadata value come back RFC 2047-encoded, as AWS sends them
    (they used to come back as raw bytes)."""
    import base64
    import socket
    value = "Zürich".encode("utf-8")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"PUT /%s/utf8meta HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     b"Content-Length: 1\r\nx-amz-meta-city: %s\r\n\r\nm"
                     % (bucket.encode(), port, value))
        assert b" 200 " in sock.recv(4096).split(b"\r\n")[0]
    got = s3.head_object(Bucket=bucket, Key="utf8meta")["Metadata"]["city"]
    assert got == "=?UTF-8?B?%s?=" % base64.b64encode(value).decode()
    # plain ASCII stays as it is
    s3.put_object(Bucket=bucket, Key="asciimeta", Body=b"x", Metadata={"city": "Bern"})
    assert s3.head_object(Bucket=bucket, Key="asciimeta")["Metadata"]["city"] == "Bern"
