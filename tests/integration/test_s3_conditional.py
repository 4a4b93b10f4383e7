"""Conditional requests: GET/HEAD preconditions with AWS evaluation order, and conditional
PutObject (If-None-Match / If-Match) (reference/s3.md sections 3.1 and 3.2)."""

import datetime
import email.utils

import pytest
from botocore.exceptions import ClientError

from s3util import err, http_date

DATA = b"conditional body"


@pytest.fixture
def obj(raw, bucket):
    r = raw("PUT", "/%s/cond" % bucket, body=DATA)
    assert r.status == 200
    h = raw("HEAD", "/%s/cond" % bucket)
    etag = h.header("ETag")
    lm = email.utils.parsedate_to_datetime(h.header("Last-Modified"))
    return {"path": "/%s/cond" % bucket, "etag": etag, "lm": lm}


def _past(obj, seconds):
    return http_date(obj["lm"] - datetime.timedelta(seconds=seconds))


def _future():
    return http_date(datetime.datetime.now(datetime.timezone.utc)
                     + datetime.timedelta(days=2))


def check_412(r, method, condition):
    assert r.status == 412, r
    if method == "GET":
        e = r.error()
        assert e["Code"] == "PreconditionFailed"
        assert e["Message"] == "At least one of the pre-conditions you specified did not hold"
        assert e["Condition"] == condition
    else:
        assert r.body == b""


def check_304(r):
    assert r.status == 304, r
    assert r.body == b""


def check_200(r, method):
    assert r.status == 200, r
    assert r.body == (DATA if method == "GET" else b"")


METHODS = ["GET", "HEAD"]


@pytest.mark.parametrize("method", METHODS)
def test_if_match(raw, obj, method):
    check_200(raw(method, obj["path"], headers={"If-Match": obj["etag"]}), method)
    check_200(raw(method, obj["path"], headers={"If-Match": obj["etag"].strip('"')}), method)
    check_412(raw(method, obj["path"], headers={"If-Match": '"0000"'}), method, "If-Match")


@pytest.mark.parametrize("method", METHODS)
def test_if_none_match(raw, obj, method):
    check_304(raw(method, obj["path"], headers={"If-None-Match": obj["etag"]}))
    check_304(raw(method, obj["path"], headers={"If-None-Match": obj["etag"].strip('"')}))
    check_200(raw(method, obj["path"], headers={"If-None-Match": '"0000"'}), method)


@pytest.mark.parametrize("method", METHODS)
def test_if_modified_since(raw, obj, method):
    check_304(raw(method, obj["path"], headers={"If-Modified-Since": http_date(obj["lm"])}))
    check_200(raw(method, obj["path"], headers={"If-Modified-Since": _past(obj, 3600)}), method)
    # a date in the future is ignored entirely
    check_200(raw(method, obj["path"], headers={"If-Modified-Since": _future()}), method)


@pytest.mark.parametrize("method", METHODS)
def test_if_unmodified_since(raw, obj, method):
    check_200(raw(method, obj["path"], headers={"If-Unmodified-Since": http_date(obj["lm"])}),
              method)
    check_200(raw(method, obj["path"], headers={"If-Unmodified-Since": _future()}), method)
    check_412(raw(method, obj["path"], headers={"If-Unmodified-Since": _past(obj, 3600)}),
              method, "If-Unmodified-Since")


@pytest.mark.parametrize("method", METHODS)
def test_if_match_true_overrides_if_unmodified_since(raw, obj, method):
    r = raw(method, obj["path"], headers={"If-Match": obj["etag"],
                                          "If-Unmodified-Since": _past(obj, 3600)})
    check_200(r, method)


@pytest.mark.parametrize("method", METHODS)
def test_if_none_match_miss_overrides_if_modified_since(raw, obj, method):
    r = raw(method, obj["path"], headers={"If-None-Match": '"0000"',
                                          "If-Modified-Since": http_date(obj["lm"])})
    check_200(r, method)


@pytest.mark.parametrize("method", METHODS)
def test_all_four_if_match_false_wins(raw, obj, method):
    r = raw(method, obj["path"], headers={
        "If-Match": '"0000"', "If-Unmodified-Since": _past(obj, 3600),
        "If-None-Match": obj["etag"], "If-Modified-Since": http_date(obj["lm"])})
    check_412(r, method, "If-Match")


@pytest.mark.parametrize("method", METHODS)
def test_unmodified_since_before_none_match(raw, obj, method):
    r = raw(method, obj["path"], headers={"If-Unmodified-Since": _past(obj, 3600),
                                          "If-None-Match": obj["etag"]})
    check_412(r, method, "If-Unmodified-Since")


@pytest.mark.parametrize("method", METHODS)
def test_if_match_true_and_none_match_hit_is_304(raw, obj, method):
    r = raw(method, obj["path"], headers={"If-Match": obj["etag"],
                                          "If-None-Match": obj["etag"]})
    check_304(r)


def test_dates_compare_at_seconds(raw, obj):
    # Last-Modified has whole seconds; the same second is "not modified"
    r = raw("GET", obj["path"], headers={"If-Modified-Since": _past(obj, 0)})
    check_304(r)
    r = raw("GET", obj["path"], headers={"If-Modified-Since": _past(obj, 1)})
    check_200(r, "GET")


def test_boto3_conditional_get(s3, bucket, obj):
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="cond", IfNoneMatch=obj["etag"])
    assert err(ei)[0]["Code"] == "304"
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="cond", IfMatch='"nope"')
    e, status = err(ei)
    assert (status, e["Code"], e["Condition"]) == (412, "PreconditionFailed", "If-Match")
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="cond", IfMatch='"nope"')
    assert err(ei) == ({"Code": "412", "Message": "Precondition Failed"}, 412)
    r = s3.get_object(Bucket=bucket, Key="cond", IfModifiedSince=obj["lm"]
                      - datetime.timedelta(hours=1))
    assert r["Body"].read() == DATA


def test_conditional_missing_key_is_404(raw, bucket):
    r = raw("GET", "/%s/nokey" % bucket, headers={"If-Match": '"abc"'})
    assert r.status == 404
    assert r.error()["Code"] == "NoSuchKey"


# ---- conditional PUT ----------------------------------------------------------------------

def test_put_if_none_match_star(s3, bucket):
    r = s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    e, status = err(ei)
    assert status == 412
    assert e["Code"] == "PreconditionFailed"
    assert e["Condition"] == "If-None-Match"
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"
    s3.delete_object(Bucket=bucket, Key="once")
    s3.put_object(Bucket=bucket, Key="once", Body=b"third", IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"third"


def test_put_if_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="cas", Body=b"v1")["ETag"]
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="cas", Body=b"v2", IfMatch='"0123"')
    e, status = err(ei)
    assert (status, e["Code"], e["Condition"]) == (412, "PreconditionFailed", "If-Match")
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"v1"
    etag2 = s3.put_object(Bucket=bucket, Key="cas", Body=b"v2", IfMatch=etag)["ETag"]
    # quotes are optional
    s3.put_object(Bucket=bucket, Key="cas", Body=b"v3", IfMatch=etag2.strip('"'))
    assert s3.get_object(Bucket=bucket, Key="cas")["Body"].read() == b"v3"


def test_put_if_match_absent_key_is_no_such_key(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="ghost", Body=b"v", IfMatch='"abc"')
    e, status = err(ei)
    assert status == 404
    assert e["Code"] == "NoSuchKey"
    assert e["Key"] == "ghost"


def test_put_if_none_match_not_star_is_501(raw, bucket):
    r = raw("PUT", "/%s/x" % bucket, body=b"v", headers={"If-None-Match": '"abc"'})
    assert r.status == 501
    e = r.error()
    assert e["Code"] == "NotImplemented"
    assert e["Message"] == "A header you provided implies functionality that is not implemented"
    assert e["Header"] == "If-None-Match"
    assert e["additionalMessage"] == ("We don't accept the provided value of If-None-Match "
                                      "header for this API")
    assert raw("HEAD", "/%s/x" % bucket).status == 404


def test_put_if_match_star_is_501(raw, bucket):
    raw("PUT", "/%s/x" % bucket, body=b"v")
    r = raw("PUT", "/%s/x" % bucket, body=b"w", headers={"If-Match": "*"})
    assert r.status == 501
    e = r.error()
    assert e["Code"] == "NotImplemented"
    assert e["Header"] == "If-Match"
    assert e["additionalMessage"] == ("We don't accept the provided value of If-Match header "
                                      "for this API")
    assert raw("GET", "/%s/x" % bucket).body == b"v"


def test_put_both_conditions_is_501(raw, bucket):
    raw("PUT", "/%s/x" % bucket, body=b"v")
    r = raw("PUT", "/%s/x" % bucket, body=b"w",
            headers={"If-Match": '"abc"', "If-None-Match": "*"})
    assert r.status == 501
    e = r.error()
    assert e["Code"] == "NotImplemented"
    assert e["Header"] == "If-Match,If-None-Match"
    assert e["additionalMessage"] == "Multiple conditional request headers present in the request"
    assert raw("GET", "/%s/x" % bucket).body == b"v"


# ---- conditional DELETE -------------------------------------------------------------------

def test_delete_if_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="d", Body=b"v")["ETag"]
    with pytest.raises(ClientError) as ei:
        s3.delete_object(Bucket=bucket, Key="d", IfMatch='"0000"')
    e, status = err(ei)
    assert (status, e["Code"], e["Condition"]) == (412, "PreconditionFailed", "If-Match")
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"v"
    r = s3.delete_object(Bucket=bucket, Key="d", IfMatch=etag)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="d")


@pytest.mark.parametrize("header,value", [
    ("x-amz-if-match-size", "1"),
    ("x-amz-if-match-last-modified-time", "Wed, 21 Oct 2015 07:28:00 GMT"),
])
def test_delete_express_only_conditions_not_implemented(raw, bucket, header, value):
    raw("PUT", "/%s/d" % bucket, body=b"v")
    r = raw("DELETE", "/%s/d" % bucket, headers={header: value})
    assert r.status == 501
    e = r.error()
    assert e["Code"] == "NotImplemented"
    assert e["Header"] == header
    assert raw("GET", "/%s/d" % bucket).body == b"v"
