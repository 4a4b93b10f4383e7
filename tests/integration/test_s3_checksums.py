"""Content-MD5 and flexible checksums sent as headers (boto3's plain-http path), checksum
echo on PUT, return on GET/HEAD with checksum mode, none on partial ranges
(reference/s3.md sections 3.1, 3.4, 4)."""

import base64
import hashlib

import pytest
from botocore.exceptions import ClientError

import s3util
from s3util import err

DATA = b"hello world"


def headers_of(resp):
    return resp["ResponseMetadata"]["HTTPHeaders"]


# ---- Content-MD5 --------------------------------------------------------------------------

def test_content_md5_good(s3, raw, bucket):
    r = s3.put_object(Bucket=bucket, Key="md5", Body=DATA, ContentMD5=s3util.md5_b64(DATA))
    assert r["ETag"] == '"%s"' % s3util.md5_hex(DATA)
    rr = raw("PUT", "/%s/md5raw" % bucket, body=DATA,
             headers={"Content-MD5": s3util.md5_b64(DATA)})
    assert rr.status == 200


def test_content_md5_mismatch_is_bad_digest(raw, bucket):
    raw("PUT", "/%s/keep" % bucket, body=b"previous")
    wrong = hashlib.md5(b"something else").digest()
    r = raw("PUT", "/%s/keep" % bucket, body=DATA,
            headers={"Content-MD5": base64.b64encode(wrong).decode()})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "BadDigest"
    assert e["Message"] == "The Content-MD5 you specified did not match what we received."
    assert e["ExpectedDigest"] == wrong.hex()
    assert e["CalculatedDigest"] == s3util.md5_b64(DATA)
    assert raw("GET", "/%s/keep" % bucket).body == b"previous"


def test_content_md5_mismatch_boto3(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="m", Body=DATA, ContentMD5=s3util.md5_b64(b"x"))
    e, status = err(ei)
    assert (status, e["Code"]) == (400, "BadDigest")
    assert e["CalculatedDigest"] == s3util.md5_b64(DATA)
    assert e["ExpectedDigest"] == s3util.md5_hex(b"x")


@pytest.mark.parametrize("value", ["__invalid__", "000", "MTIz",
                                   base64.b64encode(b"11 bytes!!!").decode()])
def test_content_md5_invalid(raw, bucket, value):
    r = raw("PUT", "/%s/inv" % bucket, body=DATA, headers={"Content-MD5": value})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidDigest"
    assert e["Message"] == "The Content-MD5 you specified was invalid."
    assert e["Content-MD5"] == value
    assert raw("HEAD", "/%s/inv" % bucket).status == 404


# ---- boto3 default CRC32 (header path over http) ------------------------------------------

def test_boto3_default_crc32(s3, raw, bucket):
    put = s3.put_object(Bucket=bucket, Key="crc", Body=DATA)
    h = headers_of(put)
    assert h.get("x-amz-checksum-crc32") == "DUoRhQ=="
    assert h.get("x-amz-checksum-type") == "FULL_OBJECT"
    assert put["ChecksumCRC32"] == s3util.crc32_b64(DATA)
    got = s3.get_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == "DUoRhQ=="
    assert got["ChecksumType"] == "FULL_OBJECT"
    assert got["Body"].read() == DATA  # boto3 validates the checksum while reading
    head = s3.head_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == "DUoRhQ=="
    r = raw("GET", "/%s/crc" % bucket, headers={"x-amz-checksum-mode": "enabled"})
    assert r.header("x-amz-checksum-crc32") == "DUoRhQ=="
    # without checksum mode no checksum header
    r = raw("GET", "/%s/crc" % bucket)
    assert r.header("x-amz-checksum-crc32") is None


def test_boto3_get_default_validation_larger(s3, bucket):
    data = bytes(range(256)) * 3000
    s3.put_object(Bucket=bucket, Key="crc-big", Body=data)
    # boto3 sends checksum mode by default and validates what comes back
    assert s3.get_object(Bucket=bucket, Key="crc-big")["Body"].read() == data


def test_checksum_listed_in_list_objects(s3, raw, bucket):
    s3.put_object(Bucket=bucket, Key="listed", Body=DATA)
    c = s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert c["ChecksumAlgorithm"] == ["CRC32"]
    assert c.get("ChecksumType") == "FULL_OBJECT"
    root = raw("GET", "/%s?list-type=2" % bucket).xml()
    assert s3util.text(root, "Contents/ChecksumAlgorithm") == "CRC32"
    assert s3util.text(root, "Contents/ChecksumType") == "FULL_OBJECT"


CHECKSUMS = [
    ("SHA1", "ChecksumSHA1", "x-amz-checksum-sha1", s3util.sha1_b64),
    ("SHA256", "ChecksumSHA256", "x-amz-checksum-sha256", s3util.sha256_b64),
    ("CRC32", "ChecksumCRC32", "x-amz-checksum-crc32", s3util.crc32_b64),
]


@pytest.mark.parametrize("alg,field,header,fn", CHECKSUMS)
def test_checksum_algorithm_boto3(s3, bucket, alg, field, header, fn):
    put = s3.put_object(Bucket=bucket, Key="alg", Body=DATA, ChecksumAlgorithm=alg)
    assert headers_of(put).get(header) == fn(DATA)
    assert headers_of(put).get("x-amz-checksum-type") == "FULL_OBJECT"
    got = s3.get_object(Bucket=bucket, Key="alg", ChecksumMode="ENABLED")
    assert got[field] == fn(DATA)
    assert got["Body"].read() == DATA


def test_checksum_crc32c(s3, raw, bucket):
    # botocore needs awscrt to compute CRC32C; send the value computed here instead
    value = s3util.crc32c_b64(DATA)
    put = s3.put_object(Bucket=bucket, Key="c32c", Body=DATA, ChecksumCRC32C=value)
    assert headers_of(put).get("x-amz-checksum-crc32c") == value
    r = raw("GET", "/%s/c32c" % bucket, headers={"x-amz-checksum-mode": "ENABLED"})
    assert r.header("x-amz-checksum-crc32c") == value
    assert r.header("x-amz-checksum-type") == "FULL_OBJECT"
    rr = raw("PUT", "/%s/c32c-raw" % bucket, body=DATA,
             headers={"x-amz-checksum-crc32c": value, "x-amz-sdk-checksum-algorithm": "CRC32C"})
    assert rr.status == 200
    assert rr.header("x-amz-checksum-crc32c") == value


def test_checksum_crc64nvme_header(raw, bucket):
    value = s3util.crc64nvme_b64(DATA)
    r = raw("PUT", "/%s/c64" % bucket, body=DATA, headers={"x-amz-checksum-crc64nvme": value})
    assert r.status == 200
    assert r.header("x-amz-checksum-crc64nvme") == value


def test_no_checksum_gets_crc64nvme(raw, bucket):
    r = raw("PUT", "/%s/plain" % bucket, body=DATA)
    assert r.status == 200
    g = raw("GET", "/%s/plain" % bucket, headers={"x-amz-checksum-mode": "ENABLED"})
    assert g.header("x-amz-checksum-crc64nvme") == s3util.crc64nvme_b64(DATA)
    assert g.header("x-amz-checksum-type") == "FULL_OBJECT"


@pytest.mark.parametrize("alg,param,name,fn", [
    ("CRC32", "ChecksumCRC32", "CRC32", s3util.crc32_b64),
    ("SHA256", "ChecksumSHA256", "SHA256", s3util.sha256_b64),
    ("SHA1", "ChecksumSHA1", "SHA1", s3util.sha1_b64),
    ("CRC32C", "ChecksumCRC32C", "CRC32C", s3util.crc32c_b64),
])
def test_wrong_checksum_is_bad_digest(s3, bucket, alg, param, name, fn):
    s3.put_object(Bucket=bucket, Key="wrong", Body=b"old")
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="wrong", Body=DATA, **{param: fn(b"other")})
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "BadDigest"
    assert e["Message"] == "The %s you specified did not match the calculated checksum." % name
    assert s3.get_object(Bucket=bucket, Key="wrong")["Body"].read() == b"old"


def test_wrong_checksum_without_sdk_header(raw, bucket):
    r = raw("PUT", "/%s/w" % bucket, body=DATA,
            headers={"x-amz-checksum-crc32": s3util.crc32_b64(b"nope")})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "BadDigest"
    assert e["Message"] == "The CRC32 you specified did not match the calculated checksum."
    assert raw("HEAD", "/%s/w" % bucket).status == 404


def test_two_checksum_headers(raw, bucket):
    r = raw("PUT", "/%s/two" % bucket, body=DATA,
            headers={"x-amz-checksum-crc32": s3util.crc32_b64(DATA),
                     "x-amz-checksum-sha256": s3util.sha256_b64(DATA)})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidRequest"
    assert e["Message"] == ("Expecting a single x-amz-checksum- header. Multiple checksum "
                            "Types are not allowed.")


@pytest.mark.parametrize("value", ["not base64!", "AAAAAAAA", "AAA="])
def test_invalid_checksum_value(raw, bucket, value):
    r = raw("PUT", "/%s/inv" % bucket, body=DATA, headers={"x-amz-checksum-crc32": value})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidRequest"
    assert e["Message"] == "Value for x-amz-checksum-crc32 header is invalid."


def test_invalid_sha256_value(raw, bucket):
    r = raw("PUT", "/%s/inv" % bucket, body=DATA,
            headers={"x-amz-checksum-sha256": s3util.crc32_b64(DATA)})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidRequest"
    assert e["Message"] == "Value for x-amz-checksum-sha256 header is invalid."


def test_sdk_algorithm_without_checksum(raw, bucket):
    r = raw("PUT", "/%s/sdk" % bucket, body=DATA,
            headers={"x-amz-sdk-checksum-algorithm": "CRC32"})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidRequest"
    assert e["Message"] == ("x-amz-sdk-checksum-algorithm specified, but no corresponding "
                            "x-amz-checksum-* or x-amz-trailer headers were found.")


def test_checksum_algorithm_header_ignored_on_put(raw, bucket):
    r = raw("PUT", "/%s/ign" % bucket, body=DATA, headers={"x-amz-checksum-algorithm": "TEST"})
    assert r.status == 200


def test_md5_and_checksum_both_checked(raw, bucket):
    r = raw("PUT", "/%s/both" % bucket, body=DATA,
            headers={"Content-MD5": s3util.md5_b64(DATA),
                     "x-amz-checksum-crc32": s3util.crc32_b64(b"bad")})
    assert r.status == 400
    assert r.error()["Code"] == "BadDigest"
    r = raw("PUT", "/%s/both" % bucket, body=DATA,
            headers={"Content-MD5": s3util.md5_b64(b"bad"),
                     "x-amz-checksum-crc32": s3util.crc32_b64(DATA)})
    assert r.status == 400
    assert r.error()["Code"] == "BadDigest"
    assert raw("HEAD", "/%s/both" % bucket).status == 404


# ---- checksums and ranges -----------------------------------------------------------------

def test_no_checksum_on_partial_range(s3, raw, bucket):
    data = b"0123456789"
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    r = s3.get_object(Bucket=bucket, Key="r", Range="bytes=0-8", ChecksumMode="ENABLED")
    assert r["Body"].read() == data[:9]
    assert "ChecksumCRC32" not in r
    rr = raw("GET", "/%s/r" % bucket, headers={"Range": "bytes=2-3",
                                                "x-amz-checksum-mode": "ENABLED"})
    assert rr.status == 206
    assert not [k for k in rr.headers.keys() if k.lower().startswith("x-amz-checksum-")]


def test_checksum_on_range_covering_whole_object(raw, s3, bucket):
    data = b"0123456789"
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    for rng in ("bytes=0-100", "bytes=-15", "bytes=0-9"):
        rr = raw("GET", "/%s/r" % bucket, headers={"Range": rng,
                                                    "x-amz-checksum-mode": "ENABLED"})
        assert rr.status == 206
        assert rr.header("x-amz-checksum-crc32") == s3util.crc32_b64(data), rng
