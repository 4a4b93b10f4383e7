"""The plan's milestone-1 S3 cases, by name, driven through boto3 against the real binary."""

import datetime
import hashlib

import pytest
from botocore.exceptions import ClientError

from s3util import err


def test_put_get_object(s3, bucket):
    data = b"hello world"
    put = s3.put_object(Bucket=bucket, Key="greeting.txt", Body=data)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert put["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    got = s3.get_object(Bucket=bucket, Key="greeting.txt")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    assert got["ETag"] == put["ETag"]


def test_get_nonexistent_key_returns_no_such_key(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="missing.txt")
    e, status = err(ei)
    assert status == 404
    assert e["Code"] == "NoSuchKey"
    assert e["Message"] == "The specified key does not exist."
    assert e["Key"] == "missing.txt"


def test_delete_nonexistent_bucket_returns_no_such_bucket(s3):
    with pytest.raises(ClientError) as ei:
        s3.delete_bucket(Bucket="no-such-bucket-here")
    e, status = err(ei)
    assert status == 404
    assert e["Code"] == "NoSuchBucket"
    assert e["Message"] == "The specified bucket does not exist"
    assert e["BucketName"] == "no-such-bucket-here"


def test_list_objects_pagination(s3, bucket):
    keys = ["key-%03d" % i for i in range(25)]
    for k in reversed(keys):
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    seen, token, pages = [], None, 0
    for _ in range(10):
        kw = {"Bucket": bucket, "MaxKeys": 10}
        if token:
            kw["ContinuationToken"] = token
        page = s3.list_objects_v2(**kw)
        pages += 1
        contents = page.get("Contents", [])
        assert page["KeyCount"] == len(contents)
        assert page["MaxKeys"] == 10
        seen += [c["Key"] for c in contents]
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            break
        assert len(contents) == 10
        token = page["NextContinuationToken"]
    assert pages == 3
    assert seen == keys


def test_head_object_metadata(s3, bucket):
    data = b"x" * 1234
    s3.put_object(Bucket=bucket, Key="meta.bin", Body=data, ContentType="text/plain",
                  Metadata={"Owner-Name": "alice", "project": "ruststack"})
    before = datetime.datetime.now(datetime.timezone.utc)
    head = s3.head_object(Bucket=bucket, Key="meta.bin")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert head["ContentLength"] == 1234
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"owner-name": "alice", "project": "ruststack"}
    assert head["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    assert head["AcceptRanges"] == "bytes"
    assert abs((head["LastModified"] - before).total_seconds()) < 120


def test_range_request(s3, bucket):
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    r = s3.get_object(Bucket=bucket, Key="digits", Range="bytes=2-5")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["ContentRange"] == "bytes 2-5/10"
    assert r["ContentLength"] == 4
    assert r["Body"].read() == b"2345"
