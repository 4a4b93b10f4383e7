"""DeleteObjects (POST /{bucket}?delete) and DeleteObject on absent keys
(reference/s3.md sections 3.6, 3.7)."""

import pytest
from botocore.exceptions import ClientError

import s3util
from s3util import err


def _put(s3, bucket, keys):
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())


def test_delete_objects_reports_every_key(s3, bucket):
    _put(s3, bucket, ["a", "b", "c", "keep"])
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": k} for k in ["a", "b", "c", "never-1", "never-2"]]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["a", "b", "c", "never-1", "never-2"]
    assert not r.get("Errors")
    left = [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert left == ["keep"]


def test_delete_objects_quiet(s3, bucket):
    _put(s3, bucket, ["q1", "q2"])
    r = s3.delete_objects(Bucket=bucket, Delete={"Quiet": True, "Objects": [
        {"Key": "q1"}, {"Key": "q2"}, {"Key": "q3"}]})
    assert not r.get("Deleted")
    assert not r.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_too_many(s3, bucket):
    _put(s3, bucket, ["survivor"])
    with pytest.raises(ClientError) as ei:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [
            {"Key": "k%d" % i} for i in range(1000)] + [{"Key": "survivor"}]})
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "MalformedXML"
    assert s3.get_object(Bucket=bucket, Key="survivor")["Body"].read() == b"survivor"


def test_delete_objects_exactly_1000(s3, bucket):
    r = s3.delete_objects(Bucket=bucket, Delete={"Quiet": True, "Objects": [
        {"Key": "k%d" % i} for i in range(1000)]})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_delete_objects_missing_bucket(s3):
    with pytest.raises(ClientError) as ei:
        s3.delete_objects(Bucket="missing-bucket-do", Delete={"Objects": [{"Key": "a"}]})
    e, status = err(ei)
    assert (status, e["Code"], e["BucketName"]) == (404, "NoSuchBucket", "missing-bucket-do")


def test_delete_objects_keys_are_literal(s3, bucket):
    _put(s3, bucket, ["a%2Fb", "a/b", "x y", "amp&lt"])
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a%2Fb"}, {"Key": "x y"},
                                                             {"Key": "amp&lt"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == sorted(["a%2Fb", "x y", "amp&lt"])
    left = [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert left == ["a/b"]


def test_delete_objects_raw_xml(raw, s3, bucket):
    _put(s3, bucket, ["r1"])
    body = (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            b'<Object><Key>r1</Key></Object><Object><Key>r2</Key></Object></Delete>')
    r = raw("POST", "/%s?delete" % bucket, body=body,
            headers={"Content-MD5": s3util.md5_b64(body), "Content-Type": "application/xml"})
    assert r.status == 200, r
    root = r.xml()
    assert root.tag == "DeleteResult"
    assert sorted(s3util.texts(root, "Deleted/Key")) == ["r1", "r2"]
    # only a CRC32 header and no Content-MD5, as boto3 >= 1.36 sends it
    r = raw("POST", "/%s?delete" % bucket, body=body,
            headers={"x-amz-checksum-crc32": s3util.crc32_b64(body),
                     "x-amz-sdk-checksum-algorithm": "CRC32"})
    assert r.status == 200, r


def test_delete_objects_malformed_xml(raw, bucket):
    r = raw("POST", "/%s?delete" % bucket, body=b"<Delete><Object><Key>a</Key>")
    assert r.status == 400
    assert r.error()["Code"] == "MalformedXML"


def test_delete_object_absent_key_204(raw, bucket):
    r = raw("DELETE", "/%s/absent-key" % bucket)
    assert r.status == 204
    assert r.body == b""
