"""GetObject / HeadObject Range handling: the whole table of reference/s3.md section 3.2
(206, 416 InvalidRange with RangeRequested + ActualObjectSize, 200 for ignored ranges)."""

import pytest
from botocore.exceptions import ClientError

from s3util import err

DATA = b"0123456789"

SATISFIABLE = [
    ("bytes=0-8", "bytes 0-8/10", DATA[0:9]),
    ("bytes=1-1", "bytes 1-1/10", b"1"),
    ("bytes=0-0", "bytes 0-0/10", b"0"),
    ("bytes=1-", "bytes 1-9/10", DATA[1:]),
    ("bytes=-2", "bytes 8-9/10", b"89"),
    ("bytes=-15", "bytes 0-9/10", DATA),
    ("bytes=0-100", "bytes 0-9/10", DATA),
    ("bytes=9-9", "bytes 9-9/10", b"9"),
    ("bytes=9-", "bytes 9-9/10", b"9"),
]

IGNORED = ["bytes=1-0", "bytes=0--1", "bytes=-1-", "bytes=-", "0-1", "bytes=0-1,3-4,7-9"]

UNSATISFIABLE = ["bytes=-0", "bytes=100-200", "bytes=10-", "bytes=10-20"]


@pytest.fixture
def digits(raw, bucket):
    r = raw("PUT", "/%s/digits" % bucket, body=DATA)
    assert r.status == 200
    return "/%s/digits" % bucket


@pytest.mark.parametrize("rng,content_range,body", SATISFIABLE)
def test_range_206(raw, digits, rng, content_range, body):
    r = raw("GET", digits, headers={"Range": rng})
    assert r.status == 206, r
    assert r.header("Content-Range") == content_range
    assert r.header("Content-Length") == str(len(body))
    assert r.body == body
    assert r.header("Accept-Ranges") == "bytes"


@pytest.mark.parametrize("rng", IGNORED)
def test_range_ignored_200(raw, digits, rng):
    r = raw("GET", digits, headers={"Range": rng})
    assert r.status == 200, r
    assert r.header("Content-Range") is None
    assert r.body == DATA


@pytest.mark.parametrize("rng", UNSATISFIABLE)
def test_range_416(raw, digits, rng):
    r = raw("GET", digits, headers={"Range": rng})
    assert r.status == 416, r
    e = r.error()
    assert e["Code"] == "InvalidRange"
    assert e["Message"] == "The requested range is not satisfiable"
    assert e["RangeRequested"] == rng
    assert e["ActualObjectSize"] == "10"


def test_range_416_boto3_extras(s3, digits, bucket):
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="digits", Range="bytes=100-200")
    e, status = err(ei)
    assert status == 416
    assert e["Code"] == "InvalidRange"
    assert e["RangeRequested"] == "bytes=100-200"
    assert e["ActualObjectSize"] == "10"


@pytest.mark.parametrize("rng", ["bytes=0-0", "bytes=-1", "bytes=0-"])
def test_range_on_empty_object_is_416(raw, bucket, rng):
    raw("PUT", "/%s/empty" % bucket, body=b"")
    r = raw("GET", "/%s/empty" % bucket, headers={"Range": rng})
    assert r.status == 416
    e = r.error()
    assert e["Code"] == "InvalidRange"
    assert e["ActualObjectSize"] == "0"


def test_range_missing_key_is_no_such_key(raw, bucket):
    r = raw("GET", "/%s/absent" % bucket, headers={"Range": "bytes=100-200"})
    assert r.status == 404
    e = r.error()
    assert e["Code"] == "NoSuchKey"
    assert e["Key"] == "absent"


def test_head_range_satisfiable(raw, digits):
    r = raw("HEAD", digits, headers={"Range": "bytes=2-4"})
    assert r.status == 206
    assert r.header("Content-Length") == "3"
    assert r.header("Content-Range") == "bytes 2-4/10"
    assert r.body == b""


def test_head_range_unsatisfiable_is_bare_416(raw, s3, bucket, digits):
    r = raw("HEAD", digits, headers={"Range": "bytes=100-200"})
    assert r.status == 416
    assert r.body == b""
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="digits", Range="bytes=100-200")
    assert err(ei)[0]["Code"] == "416"


def test_head_without_range_reports_full_length(raw, digits):
    r = raw("HEAD", digits)
    assert r.status == 200
    assert r.header("Content-Length") == "10"
    assert r.body == b""


def test_large_object_range(s3, bucket):
    data = bytes(range(256)) * 4096  # 1 MiB
    s3.put_object(Bucket=bucket, Key="big", Body=data)
    r = s3.get_object(Bucket=bucket, Key="big", Range="bytes=500000-600000")
    assert r["ContentRange"] == "bytes 500000-600000/%d" % len(data)
    assert r["Body"].read() == data[500000:600001]


def test_download_file_validates_content_range(s3, bucket, tmp_path):
    data = bytes(range(256)) * 2048
    s3.put_object(Bucket=bucket, Key="dl", Body=data)
    target = tmp_path / "dl.bin"
    s3.download_file(bucket, "dl", str(target))
    assert target.read_bytes() == data


def test_part_number_single_part_object(raw, digits):
    r = raw("GET", digits + "?partNumber=1")
    assert r.status == 206
    assert r.header("Content-Range") == "bytes 0-9/10"
    assert r.body == DATA
    r = raw("GET", digits + "?partNumber=2")
    assert r.status == 416
    e = r.error()
    assert e["Code"] == "InvalidPartNumber"
    assert e["Message"] == "The requested partnumber is not satisfiable"
    assert e["PartNumberRequested"] == "2"
    assert e["ActualPartCount"] == "1"


def test_range_with_part_number_is_invalid(raw, digits):
    r = raw("GET", digits + "?partNumber=1", headers={"Range": "bytes=0-1"})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidRequest"
    assert e["Message"] == "Cannot specify both Range header and partNumber query parameter"
