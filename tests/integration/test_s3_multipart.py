"""Multipart uploads (issue 11): CreateMultipartUpload, UploadPart(Copy), Complete, Abort,
ListParts, ListMultipartUploads through boto3 (client calls and the transfer manager), the
AWS CLI (s3api) and raw HTTP; ETag "md5-of-md5s-N", partNumber on GET/HEAD, per-part and
whole-object checksums (COMPOSITE and FULL_OBJECT), conditional Complete, AWS's errors."""

import base64
import hashlib
import json
import os
import zlib

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

import s3util
from s3util import err

MIB = 1024 * 1024
PART = 5 * MIB  # S3's minimum for every part but the last


def body(n, seed=0):
    """n deterministic pseudo-random bytes (fast: repeated 64 KiB of urandom-like data)."""
    block = hashlib.sha256(b"seed%d" % seed).digest() * 2048  # 64 KiB
    return (block * (n // len(block) + 1))[:n]


def mp_etag(parts):
    return '"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts))
                        .hexdigest(), len(parts))


def upload(s3, bucket, key, parts, **create):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    listed = []
    for i, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=i, Body=p)
        listed.append({"PartNumber": i, "ETag": r["ETag"]})
    return up, listed


def complete(s3, bucket, key, up, listed, **kw):
    return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up,
                                        MultipartUpload={"Parts": listed}, **kw)


def noalg(s3):
    """the same client without default request checksums (plain ETag-only uploads)"""
    from conftest import make_client
    return make_client(s3.meta.endpoint_url, request_checksum_calculation="when_required")


# ---- the whole flow ----------------------------------------------------------------------

def test_create_upload_complete_get(s3, bucket):
    parts = [body(PART, 1), body(1000, 2)]
    r = s3.create_multipart_upload(Bucket=bucket, Key="dir/obj.bin", ContentType="text/x-test",
                                   Metadata={"color": "blue"}, CacheControl="max-age=5")
    assert r["Bucket"] == bucket and r["Key"] == "dir/obj.bin"
    up = r["UploadId"]
    assert len(up) == 32
    listed = []
    for i, p in enumerate(parts, 1):
        pr = s3.upload_part(Bucket=bucket, Key="dir/obj.bin", UploadId=up, PartNumber=i, Body=p)
        assert pr["ETag"] == '"%s"' % hashlib.md5(p).hexdigest()
        listed.append({"PartNumber": i, "ETag": pr["ETag"]})
    # nothing visible before Complete
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    c = complete(s3, bucket, "dir/obj.bin", up, listed)
    assert c["ETag"] == mp_etag(parts)
    assert c["Bucket"] == bucket and c["Key"] == "dir/obj.bin"
    assert c["Location"].endswith("/%s/dir/obj.bin" % bucket)
    g = s3.get_object(Bucket=bucket, Key="dir/obj.bin")
    assert g["Body"].read() == b"".join(parts)
    assert g["ETag"] == mp_etag(parts)
    assert g["ContentType"] == "text/x-test"
    assert g["Metadata"] == {"color": "blue"}
    assert g["CacheControl"] == "max-age=5"
    lst = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert lst[0]["ETag"] == mp_etag(parts) and lst[0]["Size"] == PART + 1000
    # the upload is gone
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="dir/obj.bin", UploadId=up)
    assert err(e)[0]["Code"] == "NoSuchUpload" and err(e)[1] == 404


def test_part_replaced_and_unlisted_parts_dropped(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=body(PART, 9))
    p1 = body(PART, 1)
    e1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=p1)["ETag"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=2, Body=b"unlisted")
    p3 = b"last"
    e3 = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=3, Body=p3)["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="k", UploadId=up)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1, 2, 3]
    # no algorithm on Create: each part keeps S3's default CRC64NVME
    assert parts[2]["ChecksumCRC64NVME"] == s3util.crc64nvme_b64(p3)
    assert parts[0]["ETag"] == e1 and parts[0]["Size"] == PART
    c = complete(s3, bucket, "k", up, [{"PartNumber": 1, "ETag": e1},
                                       {"PartNumber": 3, "ETag": e3}])
    assert c["ETag"] == mp_etag([p1, p3])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == p1 + p3


def test_transfer_manager_both_ways_byte_exact(s3, bucket, tmp_path):
    """boto3's managed transfer at its defaults: 8 MiB parts, threads, CRC32 per part;
    then ranged parallel downloads with If-Match on the "-N" ETag."""
    data = os.urandom(70 * MIB + 12345)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    s3.upload_file(str(src), bucket, "big.bin")
    h = s3.head_object(Bucket=bucket, Key="big.bin")
    assert h["ContentLength"] == len(data)
    assert h["ETag"].endswith('-9"')
    down = tmp_path / "down.bin"
    s3.download_file(bucket, "big.bin", str(down))
    assert down.read_bytes() == data
    # a small chunk size: many ranged GETs across part boundaries
    cfg = TransferConfig(multipart_chunksize=3 * MIB + 7, max_concurrency=4)
    down2 = tmp_path / "down2.bin"
    s3.download_file(bucket, "big.bin", str(down2), Config=cfg)
    assert down2.read_bytes() == data
    # one whole GET with checksum validation on (COMPOSITE: boto3 skips "-N" values)
    assert s3.get_object(Bucket=bucket, Key="big.bin", ChecksumMode="ENABLED")["Body"].read() \
        == data


# ---- partNumber on GET / HEAD -------------------------------------------------------------

def test_part_number_get_and_head(s3, bucket, raw):
    parts = [body(PART, 1), body(PART, 2), body(777, 3)]
    up, listed = upload(s3, bucket, "p", parts)
    complete(s3, bucket, "p", up, listed)
    off = 0
    for i, p in enumerate(parts, 1):
        g = s3.get_object(Bucket=bucket, Key="p", PartNumber=i)
        assert g["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert g["PartsCount"] == 3
        assert g["ContentRange"] == "bytes %d-%d/%d" % (off, off + len(p) - 1, PART * 2 + 777)
        assert g["Body"].read() == p
        h = s3.head_object(Bucket=bucket, Key="p", PartNumber=i)
        assert h["PartsCount"] == 3 and h["ContentLength"] == len(p)
        off += len(p)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="p", PartNumber=4)
    e_, status = err(e)
    assert status == 416 and e_["Code"] == "InvalidPartNumber"
    r = raw("GET", "/%s/p?partNumber=4" % bucket)
    x = s3util.parse_error(r.body)
    assert x["ActualPartCount"] == "3" and x["PartNumberRequested"] == "4"
    r = raw("GET", "/%s/p?partNumber=1" % bucket, headers={"Range": "bytes=0-1"})
    assert r.status == 400 and s3util.parse_error(r.body)["Message"] == \
        "Cannot specify both Range header and partNumber query parameter"
    # a plain GET carries no parts count
    assert "PartsCount" not in s3.head_object(Bucket=bucket, Key="p")


# ---- errors ---------------------------------------------------------------------------------

FAKE = "0" * 32


@pytest.mark.parametrize("op", ["upload_part", "complete", "abort", "list_parts"])
def test_no_such_upload(s3, bucket, op):
    calls = {
        "upload_part": lambda u: s3.upload_part(Bucket=bucket, Key="k", UploadId=u,
                                                PartNumber=1, Body=b"x"),
        "complete": lambda u: complete(s3, bucket, "k", u, [{"PartNumber": 1, "ETag": "x"}]),
        "abort": lambda u: s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=u),
        "list_parts": lambda u: s3.list_parts(Bucket=bucket, Key="k", UploadId=u),
    }
    for u in ("fakeid", FAKE):
        with pytest.raises(ClientError) as e:
            calls[op](u)
        e_, status = err(e)
        assert (status, e_["Code"], e_["UploadId"]) == (404, "NoSuchUpload", u)
        assert e_["Message"] == ("The specified upload does not exist. The upload ID may be "
                                 "invalid, or the upload may have been aborted or completed.")


def test_upload_id_bound_to_key(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="right")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="wrong", UploadId=up, PartNumber=1, Body=b"x")
    assert err(e)[0]["Code"] == "NoSuchUpload"
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="wrong", UploadId=up)
    assert err(e)[0]["Code"] == "NoSuchUpload"


def test_abort_then_no_such_upload(s3, bucket):
    up, listed = upload(s3, bucket, "ab", [body(PART), b"tail"])
    r = s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=up)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "ab", up, listed)
    assert err(e)[0]["Code"] == "NoSuchUpload"
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=bucket, Key="ab", UploadId=up)
    assert err(e)[0]["Code"] == "NoSuchUpload"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="ab")
    assert err(e)[1] == 404


@pytest.mark.parametrize("num", ["0", "10001", "-1", "abc"])
def test_part_number_range(s3, bucket, raw, num):
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    r = raw("PUT", "/%s/k?partNumber=%s&uploadId=%s" % (bucket, num, up), body=b"x")
    x = s3util.parse_error(r.body)
    assert r.status == 400 and x["Code"] == "InvalidArgument"
    assert x["Message"] == "Part number must be an integer between 1 and 10000, inclusive"
    assert x["ArgumentName"] == "partNumber" and x["ArgumentValue"] == num


def test_part_number_10000_accepted(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    r = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=10000, Body=b"x")
    assert r["ETag"] == '"%s"' % hashlib.md5(b"x").hexdigest()
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=up)["Parts"][0]["PartNumber"] == 10000


def test_invalid_part_order(s3, bucket):
    up, listed = upload(s3, bucket, "k", [body(PART), body(PART, 2)])
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "k", up, [listed[1], listed[0]])
    e_, status = err(e)
    assert (status, e_["Code"], e_["UploadId"]) == (400, "InvalidPartOrder", up)
    assert e_["Message"] == ("The list of parts was not in ascending order. Parts must be "
                             "ordered by part number.")
    # a part listed twice is out of order too
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "k", up, [listed[0], listed[0], listed[1]])
    assert err(e)[0]["Code"] == "InvalidPartOrder"
    # the upload stays open after a failed Complete
    assert len(s3.list_parts(Bucket=bucket, Key="k", UploadId=up)["Parts"]) == 2


def test_invalid_part(s3, bucket):
    up, listed = upload(s3, bucket, "k", [b"1234"])
    for bad, num, etag in (({"PartNumber": 2, "ETag": listed[0]["ETag"]}, "2",
                            listed[0]["ETag"].strip('"')),
                           ({"PartNumber": 1, "ETag": '"d41d8cd98f00b204e9800998ecf8427e"'}, "1",
                            "d41d8cd98f00b204e9800998ecf8427e")):
        with pytest.raises(ClientError) as e:
            complete(s3, bucket, "k", up, [bad])
        e_, status = err(e)
        assert (status, e_["Code"]) == (400, "InvalidPart")
        assert (e_["UploadId"], e_["PartNumber"], e_["ETag"]) == (up, num, etag)
        assert e_["Message"].startswith("One or more of the specified parts could not be found.")


def test_entity_too_small(s3, bucket):
    up, listed = upload(s3, bucket, "k", [b"1234", b"5678"])
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "k", up, listed)
    e_, status = err(e)
    assert (status, e_["Code"]) == (400, "EntityTooSmall")
    assert e_["Message"] == "Your proposed upload is smaller than the minimum allowed size"
    assert (e_["ProposedSize"], e_["MinSizeAllowed"], e_["PartNumber"], e_["ETag"]) == \
        ("4", "5242880", "1", hashlib.md5(b"1234").hexdigest())
    # a single small part is fine (the last part has no minimum)
    c = complete(s3, bucket, "k", up, listed[1:])
    assert c["ETag"] == mp_etag([b"5678"])


def test_empty_part_list_and_malformed_xml(s3, bucket, raw):
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    path = "/%s/k?uploadId=%s" % (bucket, up)
    r = raw("POST", path, body=b"<CompleteMultipartUpload></CompleteMultipartUpload>")
    x = s3util.parse_error(r.body)
    assert (r.status, x["Code"], x["Message"]) == (400, "InvalidRequest",
                                                   "You must specify at least one part")
    for bad in (b"", b"<CompleteMultipartUpload><Part>", b"<Foo/>",
                b"<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>"):
        r = raw("POST", path, body=bad)
        assert r.status == 400 and s3util.parse_error(r.body)["Code"] == "MalformedXML", bad


# ---- conditional Complete -----------------------------------------------------------------

def test_conditional_complete(s3, bucket):
    s3.put_object(Bucket=bucket, Key="exists", Body=b"old")
    old_etag = s3.head_object(Bucket=bucket, Key="exists")["ETag"]
    up, listed = upload(s3, bucket, "exists", [b"new"])
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "exists", up, listed, IfNoneMatch="*")
    assert err(e)[1] == 412 and err(e)[0]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "exists", up, listed, IfMatch='"%s"' % ("0" * 32))
    assert err(e)[1] == 412
    c = complete(s3, bucket, "exists", up, listed, IfMatch=old_etag)
    assert s3.get_object(Bucket=bucket, Key="exists")["Body"].read() == b"new"
    # If-Match on the multipart ETag ("hex-N") of the object now there
    up2, listed2 = upload(s3, bucket, "exists", [b"newer"])
    c2 = complete(s3, bucket, "exists", up2, listed2, IfMatch=c["ETag"])
    assert c2["ETag"] == mp_etag([b"newer"])
    # If-Match on an absent key: 404 NoSuchKey; If-None-Match on an absent key: created
    up3, listed3 = upload(s3, bucket, "absent", [b"x"])
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "absent", up3, listed3, IfMatch=c2["ETag"])
    assert err(e)[1] == 404 and err(e)[0]["Code"] == "NoSuchKey"
    complete(s3, bucket, "absent", up3, listed3, IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="absent")["Body"].read() == b"x"


def test_get_conditions_on_multipart_etag(s3, bucket):
    up, listed = upload(s3, bucket, "k", [body(PART), b"z"])
    etag = complete(s3, bucket, "k", up, listed)["ETag"]
    assert s3.get_object(Bucket=bucket, Key="k", IfMatch=etag, Range="bytes=0-3")[
        "Body"].read() == body(PART)[:4]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k", IfNoneMatch=etag)
    assert err(e)[1] == 304


# ---- checksums ------------------------------------------------------------------------------

_TABLES = {"CRC32C": (s3util._CRC32C_TABLE, 32), "CRC64NVME": (s3util._CRC64NVME_TABLE, 64)}
_STATE = {}  # (alg, len, md5 of the bytes) -> register after them: 5 MiB in Python is slow


def _crc_register(alg, data):
    table, width = _TABLES[alg]
    mask = (1 << width) - 1
    # resume from a cached prefix (the 5 MiB first part) when there is one
    c, start = mask, 0
    for (a, n, digest), reg in _STATE.items():
        if a == alg and n <= len(data) and n > start and \
                hashlib.md5(data[:n]).digest() == digest:
            c, start = reg, n
    for b in memoryview(data)[start:]:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    if len(data) >= MIB:
        _STATE[(alg, len(data), hashlib.md5(data).digest())] = c
    return c ^ mask


def _cksum(alg, data):
    if alg == "CRC32":
        return (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    if alg in _TABLES:
        return _crc_register(alg, data).to_bytes(_TABLES[alg][1] // 8, "big")
    return hashlib.new(alg.lower(), data).digest()


def _b64(b):
    return base64.b64encode(b).decode()


CKSUM_CASES = [("CRC32", "COMPOSITE"), ("CRC32C", "COMPOSITE"), ("SHA1", "COMPOSITE"),
               ("SHA256", "COMPOSITE"), ("CRC32", "FULL_OBJECT"), ("CRC32C", "FULL_OBJECT"),
               ("CRC64NVME", "FULL_OBJECT")]


@pytest.mark.parametrize("alg,ctype", CKSUM_CASES)
def test_checksum_per_algorithm_and_type(s3, bucket, alg, ctype):
    # the last part is small so the Python CRCs stay quick; the first is 5 MiB
    parts = [body(PART, 4), b"checksummed tail \x00\xff" * 50]
    key = "ck-%s-%s" % (alg, ctype)
    r = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=alg,
                                   ChecksumType=ctype)
    assert r["ChecksumAlgorithm"] == alg and r["ChecksumType"] == ctype
    up = r["UploadId"]
    sums = [_cksum(alg, p) for p in parts]
    listed = []
    for i, (p, s) in enumerate(zip(parts, sums), 1):
        pr = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=i, Body=p,
                            **{"Checksum" + alg: _b64(s)})
        assert pr["Checksum" + alg] == _b64(s)
        listed.append({"PartNumber": i, "ETag": pr["ETag"], "Checksum" + alg: _b64(s)})
    lp = s3.list_parts(Bucket=bucket, Key=key, UploadId=up)
    assert lp["ChecksumAlgorithm"] == alg and lp["ChecksumType"] == ctype
    assert [p["Checksum" + alg] for p in lp["Parts"]] == [_b64(s) for s in sums]
    c = complete(s3, bucket, key, up, listed)
    if ctype == "COMPOSITE":
        want = "%s-%d" % (_b64(_cksum(alg, b"".join(sums))), len(parts))
    else:
        want = _b64(_cksum(alg, b"".join(parts)))
    assert c["Checksum" + alg] == want and c["ChecksumType"] == ctype
    h = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert h["Checksum" + alg] == want and h["ChecksumType"] == ctype
    # a part's own checksum with partNumber
    hp = s3.head_object(Bucket=bucket, Key=key, PartNumber=2, ChecksumMode="ENABLED")
    assert hp["Checksum" + alg] == _b64(sums[1])


def test_checksum_default_upload_is_full_object_crc64nvme(s3, bucket):
    """No algorithm on Create: S3 keeps a FULL_OBJECT CRC64NVME of the whole object."""
    plain = noalg(s3)
    parts = [body(PART, 4), b"tail"]
    up, listed = upload(plain, bucket, "k", parts)
    complete(plain, bucket, "k", up, listed)
    h = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert h["ChecksumCRC64NVME"] == _b64(_cksum("CRC64NVME", b"".join(parts)))
    assert h["ChecksumType"] == "FULL_OBJECT"


def test_checksum_boto3_default_is_composite_crc32(s3, bucket):
    """botocore sends CRC32 per part by default; the client's Create names CRC32 when the
    transfer manager is used, which S3 makes COMPOSITE."""
    up = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32")
    assert up["ChecksumType"] == "COMPOSITE"
    p = s3.upload_part(Bucket=bucket, Key="k", UploadId=up["UploadId"], PartNumber=1,
                       Body=b"abc", ChecksumAlgorithm="CRC32")
    assert p["ChecksumCRC32"] == s3util.crc32_b64(b"abc")


@pytest.mark.parametrize("alg,ctype,msg", [
    ("CRC64NVME", "COMPOSITE",
     "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."),
    ("SHA1", "FULL_OBJECT",
     "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm."),
    ("SHA256", "FULL_OBJECT",
     "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm."),
])
def test_checksum_type_compatibility(s3, bucket, alg, ctype, msg):
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm=alg,
                                   ChecksumType=ctype)
    assert err(e)[0]["Code"] == "InvalidRequest" and err(e)[0]["Message"] == msg


def test_checksum_create_errors(s3, bucket, raw):
    r = raw("POST", "/%s/k?uploads" % bucket, headers={"x-amz-checksum-type": "COMPOSITE"})
    assert r.status == 400 and s3util.parse_error(r.body)["Message"] == (
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm "
        "header.")
    r = raw("POST", "/%s/k?uploads" % bucket, headers={"x-amz-checksum-algorithm": "MD4"})
    assert r.status == 400 and s3util.parse_error(r.body)["Message"].startswith(
        "Checksum algorithm provided is unsupported.")


def test_checksum_part_and_complete_errors(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA256")[
        "UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=b"abc",
                       ChecksumCRC32=s3util.crc32_b64(b"abc"))
    assert err(e)[0]["Message"] == ("Checksum Type mismatch occurred, expected checksum Type: "
                                    "sha256, actual checksum Type: crc32")
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=b"abc",
                       ChecksumSHA256=s3util.sha256_b64(b"abd"))
    assert err(e)[0]["Code"] == "BadDigest"
    pr = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=b"abc",
                        ChecksumSHA256=s3util.sha256_b64(b"abc"))
    # COMPOSITE: every listed part needs its checksum
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "k", up, [{"PartNumber": 1, "ETag": pr["ETag"]}])
    assert err(e)[0]["Message"] == (
        "The upload was created using a sha256 checksum. The complete request must include "
        "the checksum for each part. It was missing for part 1 in the request.")
    # a wrong part checksum: InvalidPart
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "k", up, [{"PartNumber": 1, "ETag": pr["ETag"],
                                        "ChecksumSHA256": s3util.sha256_b64(b"x")}])
    assert err(e)[0]["Code"] == "InvalidPart" and err(e)[0]["PartNumber"] == "1"
    # checksum mode of Complete must match the upload's
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "k", up, [{"PartNumber": 1, "ETag": pr["ETag"],
                                        "ChecksumSHA256": pr["ChecksumSHA256"]}],
                 ChecksumType="FULL_OBJECT")
    assert err(e)[0]["Message"] == ("The upload was created using the COMPOSITE checksum mode. "
                                    "The complete request must use the same checksum mode.")
    c = complete(s3, bucket, "k", up, [{"PartNumber": 1, "ETag": pr["ETag"],
                                        "ChecksumSHA256": pr["ChecksumSHA256"]}])
    assert c["ChecksumSHA256"].endswith("-1")


def test_full_object_checksum_on_complete_verified(s3, bucket, raw):
    parts = [body(PART, 6), b"end"]
    up = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32",
                                    ChecksumType="FULL_OBJECT")["UploadId"]
    listed = []
    for i, p in enumerate(parts, 1):
        pr = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=i, Body=p,
                            ChecksumCRC32=s3util.crc32_b64(p))
        listed.append({"PartNumber": i, "ETag": pr["ETag"]})  # optional for FULL_OBJECT
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "k", up, listed, ChecksumCRC32=s3util.crc32_b64(b"other"),
                 ChecksumType="FULL_OBJECT")
    assert err(e)[0]["Code"] == "BadDigest"
    assert err(e)[0]["Message"] == "The crc32 you specified did not match the calculated checksum."
    whole = s3util.crc32_b64(b"".join(parts))
    # x-amz-mp-object-size: the total the client expects
    with pytest.raises(ClientError) as e:
        complete(s3, bucket, "k", up, listed, MpuObjectSize=PART + 4)
    assert err(e)[0]["Code"] == "InvalidRequest" and "x-amz-mp-object-size" in \
        err(e)[0]["Message"]
    r = raw("POST", "/%s/k?uploadId=%s" % (bucket, up), headers={"x-amz-mp-object-size": "size"},
            body=b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>"
                 b"</CompleteMultipartUpload>")
    assert s3util.parse_error(r.body)["Message"] == \
        "Value for x-amz-mp-object-size header is invalid: 'size'"
    c = complete(s3, bucket, "k", up, listed, ChecksumCRC32=whole, ChecksumType="FULL_OBJECT",
                 MpuObjectSize=PART + 3)
    assert c["ChecksumCRC32"] == whole
    # a whole GET validates that checksum in boto3
    assert s3.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")["Body"].read() == \
        b"".join(parts)


# ---- UploadPartCopy, CopyObject of a multipart source ---------------------------------------

def test_upload_part_copy_with_ranges(s3, bucket):
    src = body(PART + 3000, 7)
    s3.put_object(Bucket=bucket, Key="src", Body=src)
    src_etag = s3.head_object(Bucket=bucket, Key="src")["ETag"]
    up = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    r1 = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src"},
                             CopySourceRange="bytes=0-%d" % (PART - 1), CopySourceIfMatch=src_etag)
    assert r1["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(src[:PART]).hexdigest()
    mid = body(PART, 99)
    r2 = s3.upload_part(Bucket=bucket, Key="dst", UploadId=up, PartNumber=2, Body=mid)
    r3 = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=up, PartNumber=3,
                             CopySource={"Bucket": bucket, "Key": "src"},
                             CopySourceRange="bytes=%d-%d" % (PART, len(src) - 1))
    # the whole source when no range is given
    up2 = s3.create_multipart_upload(Bucket=bucket, Key="dst2")["UploadId"]
    r4 = s3.upload_part_copy(Bucket=bucket, Key="dst2", UploadId=up2, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "src"})
    assert r4["CopyPartResult"]["ETag"] == src_etag
    c = complete(s3, bucket, "dst", up, [
        {"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": r2["ETag"]},
        {"PartNumber": 3, "ETag": r3["CopyPartResult"]["ETag"]}])
    assert c["ETag"] == mp_etag([src[:PART], mid, src[PART:]])
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == src[:PART] + mid + src[PART:]
    for rng, msg in (("bytes=0-%d" % len(src), "Range specified is not valid for source "
                      "object of size: %d" % len(src)),
                     ("0-10", "The x-amz-copy-source-range value must be of the form "
                      "bytes=first-last where first and last are the zero-based offsets of the "
                      "first and last bytes to copy")):
        with pytest.raises(ClientError) as e:
            s3.upload_part_copy(Bucket=bucket, Key="dst2", UploadId=up2, PartNumber=2,
                                CopySource={"Bucket": bucket, "Key": "src"},
                                CopySourceRange=rng)
        assert err(e)[0]["Code"] == "InvalidArgument" and err(e)[0]["Message"] == msg
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst2", UploadId=up2, PartNumber=2,
                            CopySource={"Bucket": bucket, "Key": "src"},
                            CopySourceIfMatch='"%s"' % ("1" * 32))
    assert err(e)[1] == 412
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="dst2", UploadId=FAKE, PartNumber=2,
                            CopySource={"Bucket": bucket, "Key": "src"})
    assert err(e)[0]["Code"] == "NoSuchUpload"


def test_copy_object_of_multipart_source_gets_plain_etag(s3, bucket):
    parts = [body(PART, 8), b"rest"]
    up, listed = upload(s3, bucket, "mp", parts, ChecksumAlgorithm="CRC32")
    sums = [s3util.crc32_b64(p) for p in parts]
    for entry, s in zip(listed, sums):
        entry["ChecksumCRC32"] = s
    complete(s3, bucket, "mp", up, listed)
    r = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "mp"})
    data = b"".join(parts)
    assert r["CopyObjectResult"]["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    h = s3.head_object(Bucket=bucket, Key="copy", ChecksumMode="ENABLED")
    assert h["ChecksumCRC32"] == s3util.crc32_b64(data) and h["ChecksumType"] == "FULL_OBJECT"
    assert "PartsCount" not in h
    # upload_part_copy from a multipart source, by If-Match on its "-N" ETag
    src_etag = s3.head_object(Bucket=bucket, Key="mp")["ETag"]
    up2 = s3.create_multipart_upload(Bucket=bucket, Key="again")["UploadId"]
    r2 = s3.upload_part_copy(Bucket=bucket, Key="again", UploadId=up2, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "mp"}, CopySourceIfMatch=src_etag,
                             CopySourceRange="bytes=%d-%d" % (PART - 2, PART + 1))
    assert r2["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(data[PART - 2:PART + 2]).hexdigest()


# ---- tagging, storage class, listing ----------------------------------------------------------

def test_tagging_and_storage_class_on_create(s3, bucket):
    up, listed = upload(s3, bucket, "t", [b"x"], Tagging="a=1&b=two", StorageClass="STANDARD_IA")
    u = s3.list_multipart_uploads(Bucket=bucket)["Uploads"][0]
    assert u["StorageClass"] == "STANDARD_IA" and u["Key"] == "t" and u["UploadId"] == up
    assert s3.list_parts(Bucket=bucket, Key="t", UploadId=up)["StorageClass"] == "STANDARD_IA"
    complete(s3, bucket, "t", up, listed)
    h = s3.head_object(Bucket=bucket, Key="t")
    assert h["StorageClass"] == "STANDARD_IA"
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 2
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "two")]
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="t2", Tagging="=bad")
    assert err(e)[1] == 400


def test_list_parts_paging(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="lp")["UploadId"]
    for n in (1, 2, 5, 7):
        s3.upload_part(Bucket=bucket, Key="lp", UploadId=up, PartNumber=n, Body=b"p%d" % n)
    r = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up, MaxParts=2)
    assert [p["PartNumber"] for p in r["Parts"]] == [1, 2]
    assert r["IsTruncated"] is True and r["NextPartNumberMarker"] == 2 and r["MaxParts"] == 2
    assert r["Initiator"]["ID"] == r["Owner"]["ID"] and r["StorageClass"] == "STANDARD"
    r = s3.list_parts(Bucket=bucket, Key="lp", UploadId=up, MaxParts=2, PartNumberMarker=2)
    assert [p["PartNumber"] for p in r["Parts"]] == [5, 7]
    assert r["PartNumberMarker"] == 2 and r["IsTruncated"] is False
    assert r["Parts"][0]["Size"] == 2 and r["Parts"][0]["ETag"] == '"%s"' % hashlib.md5(
        b"p5").hexdigest()
    pg = s3.get_paginator("list_parts").paginate(Bucket=bucket, Key="lp", UploadId=up,
                                                 PaginationConfig={"PageSize": 1})
    assert [p["PartNumber"] for page in pg for p in page["Parts"]] == [1, 2, 5, 7]


def test_list_multipart_uploads(s3, bucket, raw):
    ids = {}
    for key in ("a/1", "a/2", "b", "c/x/y", "a/1"):
        ids.setdefault(key, []).append(
            s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    r = s3.list_multipart_uploads(Bucket=bucket)
    got = [(u["Key"], u["UploadId"]) for u in r["Uploads"]]
    assert [k for k, _ in got] == ["a/1", "a/1", "a/2", "b", "c/x/y"]
    assert sorted(i for k, i in got if k == "a/1") == sorted(ids["a/1"])
    assert r["IsTruncated"] is False and r["MaxUploads"] == 1000
    assert all("Initiated" in u and u["Initiator"]["ID"] for u in r["Uploads"])
    r = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in r["Uploads"]] == ["b"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "c/"]
    r = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert [u["Key"] for u in r["Uploads"]] == ["a/1", "a/1", "a/2"]
    # paging by key-marker and upload-id-marker
    seen, kw = [], {}
    while True:
        r = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2, **kw)
        seen += [(u["Key"], u["UploadId"]) for u in r.get("Uploads", [])]
        if not r["IsTruncated"]:
            break
        kw = {"KeyMarker": r["NextKeyMarker"], "UploadIdMarker": r["NextUploadIdMarker"]}
    assert seen == got
    r = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="a/2")
    assert [u["Key"] for u in r["Uploads"]] == ["b", "c/x/y"]
    # encoding-type=url
    s3.create_multipart_upload(Bucket=bucket, Key="sp ace")
    r = raw("GET", "/%s?uploads&encoding-type=url&prefix=sp" % bucket)
    x = s3util.parse_xml(r.body)
    assert s3util.texts(x, "Upload/Key") == ["sp%20ace"]
    assert s3util.text(x, "EncodingType") == "url"
    with pytest.raises(ClientError) as e:
        s3.list_multipart_uploads(Bucket="no-such-bucket-mpu")
    assert err(e)[0]["Code"] == "NoSuchBucket"


def test_delete_bucket_with_open_upload(s3):
    s3.create_bucket(Bucket="mpu-del")
    up = s3.create_multipart_upload(Bucket="mpu-del", Key="k")["UploadId"]
    s3.upload_part(Bucket="mpu-del", Key="k", UploadId=up, PartNumber=1, Body=b"x")
    s3.delete_bucket(Bucket="mpu-del")
    s3.create_bucket(Bucket="mpu-del")
    assert s3.list_multipart_uploads(Bucket="mpu-del").get("Uploads", []) == []
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket="mpu-del", Key="k", UploadId=up)
    assert err(e)[0]["Code"] == "NoSuchUpload"


# ---- the AWS CLI's s3api ----------------------------------------------------------------------

def test_cli_s3api_every_operation(aws, s3, bucket, tmp_path):
    def ok(*args):
        res = aws(*args)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout) if res.stdout.strip() else {}

    p1, p2 = tmp_path / "p1", tmp_path / "p2"
    p1.write_bytes(body(PART, 11))
    p2.write_bytes(b"cli tail")
    up = ok("s3api", "create-multipart-upload", "--bucket", bucket, "--key", "cli")["UploadId"]
    assert ok("s3api", "list-multipart-uploads", "--bucket", bucket)["Uploads"][0][
        "UploadId"] == up
    e1 = ok("s3api", "upload-part", "--bucket", bucket, "--key", "cli", "--upload-id", up,
            "--part-number", "1", "--body", str(p1))["ETag"]
    s3.put_object(Bucket=bucket, Key="cli-src", Body=b"0123" + p2.read_bytes() + b"5678")
    e2 = ok("s3api", "upload-part-copy", "--bucket", bucket, "--key", "cli", "--upload-id", up,
            "--part-number", "2", "--copy-source", "%s/cli-src" % bucket,
            "--copy-source-range", "bytes=4-%d" % (3 + len(b"cli tail")))["CopyPartResult"]["ETag"]
    parts = ok("s3api", "list-parts", "--bucket", bucket, "--key", "cli", "--upload-id",
               up)["Parts"]
    assert [p["ETag"] for p in parts] == [e1, e2]
    mpu = tmp_path / "mpu.json"
    listed = [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]
    for p, entry in zip(parts, listed):
        if "ChecksumCRC32" in p:  # the CLI sent CRC32 per part
            entry["ChecksumCRC32"] = p["ChecksumCRC32"]
    mpu.write_text(json.dumps({"Parts": listed}))
    c = ok("s3api", "complete-multipart-upload", "--bucket", bucket, "--key", "cli",
           "--upload-id", up, "--multipart-upload", "file://%s" % mpu)
    assert c["ETag"] == mp_etag([p1.read_bytes(), p2.read_bytes()])
    assert s3.get_object(Bucket=bucket, Key="cli")["Body"].read() == \
        p1.read_bytes() + p2.read_bytes()
    h = ok("s3api", "head-object", "--bucket", bucket, "--key", "cli", "--part-number", "2")
    assert h["PartsCount"] == 2 and h["ContentLength"] == len(b"cli tail")
    # abort, then every operation on that id is NoSuchUpload (CLI exit code 254)
    up2 = ok("s3api", "create-multipart-upload", "--bucket", bucket, "--key", "cli2")["UploadId"]
    ok("s3api", "abort-multipart-upload", "--bucket", bucket, "--key", "cli2", "--upload-id", up2)
    res = aws("s3api", "list-parts", "--bucket", bucket, "--key", "cli2", "--upload-id", up2)
    assert res.returncode != 0 and "NoSuchUpload" in res.stderr
    res = aws("s3api", "upload-part", "--bucket", bucket, "--key", "cli", "--upload-id", up,
              "--part-number", "0", "--body", str(p2))
    assert res.returncode != 0
    res = aws("s3api", "get-object", "--bucket", bucket, "--key", "cli", "--part-number", "3",
              str(tmp_path / "out"))
    assert res.returncode != 0 and "InvalidPartNumber" in res.stderr


def test_upload_part_content_md5(s3, bucket, raw):
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    path = "/%s/k?partNumber=1&uploadId=%s" % (bucket, up)
    r = raw("PUT", path, body=b"data", headers={"Content-MD5": s3util.md5_b64(b"other")})
    x = s3util.parse_error(r.body)
    assert (r.status, x["Code"]) == (400, "BadDigest")
    # UploadPart names both digests in base64 (PutObject: the expected one in hex)
    assert x["ExpectedDigest"] == s3util.md5_b64(b"other")
    assert x["CalculatedDigest"] == s3util.md5_b64(b"data")
    r = raw("PUT", path, body=b"data", headers={"Content-MD5": "MTIz"})
    assert s3util.parse_error(r.body)["Code"] == "InvalidDigest"
    r = raw("PUT", path, body=b"data", headers={"Content-MD5": s3util.md5_b64(b"data")})
    assert r.status == 200 and r.header("ETag") == '"%s"' % hashlib.md5(b"data").hexdigest()
    assert s3.list_parts(Bucket=bucket, Key="k", UploadId=up)["Parts"][0]["Size"] == 4


def test_object_larger_than_max_object_size(tmp_path):
    """s3_max_object_size bounds a PUT and each part, not a completed object; the whole
    object (more than 64 segments: several batches of the zero-copy send) comes back."""
    from conftest import Server, make_client
    srv = Server(tmp_path, extra_conf="s3_max_object_size = 6m\n")
    try:
        srv.start()
        c = make_client(srv.endpoint)
        c.create_bucket(Bucket="big")
        with pytest.raises(ClientError) as e:
            c.put_object(Bucket="big", Key="one", Body=body(7 * MIB))
        assert err(e)[0]["Code"] == "EntityTooLarge"
        up = c.create_multipart_upload(Bucket="big", Key="k")["UploadId"]
        with pytest.raises(ClientError) as e:
            c.upload_part(Bucket="big", Key="k", UploadId=up, PartNumber=1, Body=body(7 * MIB))
        assert err(e)[0]["Code"] == "EntityTooLarge"
        parts = [body(PART + MIB // 2, i) for i in range(13)] + [b"end"]
        listed = []
        for i, p in enumerate(parts, 1):
            r = c.upload_part(Bucket="big", Key="k", UploadId=up, PartNumber=i, Body=p)
            listed.append({"PartNumber": i, "ETag": r["ETag"]})
        complete(c, "big", "k", up, listed)
        data = b"".join(parts)
        g = c.get_object(Bucket="big", Key="k")
        assert g["ContentLength"] == len(data) > 70 * MIB
        assert hashlib.md5(g["Body"].read()).digest() == hashlib.md5(data).digest()
        r = c.get_object(Bucket="big", Key="k", Range="bytes=%d-%d" % (PART - 5, 3 * PART))
        assert r["Body"].read() == data[PART - 5:3 * PART + 1]
        # CopyObject is bounded like a PUT; UploadPartCopy copies it a range at a time
        with pytest.raises(ClientError) as e:
            c.copy_object(Bucket="big", Key="copy", CopySource={"Bucket": "big", "Key": "k"})
        assert err(e)[0]["Code"] == "InvalidRequest" and err(e)[0]["Message"] == (
            "The specified copy source is larger than the maximum allowable size for a copy "
            "source: %d" % (6 * MIB))
        up2 = c.create_multipart_upload(Bucket="big", Key="copy")["UploadId"]
        r = c.upload_part_copy(Bucket="big", Key="copy", UploadId=up2, PartNumber=1,
                               CopySource={"Bucket": "big", "Key": "k"},
                               CopySourceRange="bytes=%d-%d" % (PART, 2 * PART - 1))
        assert r["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(data[PART:2 * PART]).hexdigest()
    finally:
        srv.close()


def test_part_number_edges(s3, bucket):
    # an empty last part reads as 0 bytes; a plain object is one part, without a count
    p1 = body(PART, 12)
    up, listed = upload(s3, bucket, "e", [p1, b""])
    complete(s3, bucket, "e", up, listed)
    g = s3.get_object(Bucket=bucket, Key="e", PartNumber=2)
    assert g["Body"].read() == b"" and g["PartsCount"] == 2 and g["ContentLength"] == 0
    assert s3.get_object(Bucket=bucket, Key="e", PartNumber=1)["Body"].read() == p1
    s3.put_object(Bucket=bucket, Key="plain", Body=b"abc")
    h = s3.head_object(Bucket=bucket, Key="plain", PartNumber=1)
    assert h["ResponseMetadata"]["HTTPStatusCode"] == 206 and "PartsCount" not in h
    # PutObjectTagging keeps a multipart object's ETag and bytes
    parts = [body(PART, 13), b"tagged"]
    up, listed = upload(s3, bucket, "t", parts)
    etag = complete(s3, bucket, "t", up, listed)["ETag"]
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "k",
                                                                       "Value": "v"}]})
    g = s3.get_object(Bucket=bucket, Key="t")
    assert g["ETag"] == etag and g["TagCount"] == 1 and g["Body"].read() == b"".join(parts)
    g = s3.get_object(Bucket=bucket, Key="t", PartNumber=1)
    assert g["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert b"".join(parts).startswith(g["Body"].read())


def test_complete_echoing_part_checksums_of_upload_without_algorithm(s3, bucket):
    """boto3 sends CRC32 with every UploadPart; code that lists the UploadPart responses'
    checksums in Complete of an upload created without an algorithm must still work."""
    parts = [body(PART, 14), b"echo"]
    up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    listed = []
    for i, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=i, Body=p)
        assert r["ChecksumCRC32"] == s3util.crc32_b64(p)
        listed.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    assert complete(s3, bucket, "k", up, listed)["ETag"] == mp_etag(parts)


def test_transfer_manager_full_object_checksum(s3, bucket, tmp_path):
    """upload_file given the whole file's CRC32: s3transfer creates a FULL_OBJECT upload and
    sends that value (and x-amz-mp-object-size) with Complete, which S3 verifies."""
    data = os.urandom(20 * MIB + 5)
    src = tmp_path / "f"
    src.write_bytes(data)
    s3.upload_file(str(src), bucket, "k", ExtraArgs={"ChecksumCRC32": s3util.crc32_b64(data)})
    h = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert h["ChecksumCRC32"] == s3util.crc32_b64(data) and h["ChecksumType"] == "FULL_OBJECT"
    assert h["ETag"].endswith('-3"')
    with pytest.raises(Exception):
        s3.upload_file(str(src), bucket, "k2", ExtraArgs={"ChecksumCRC32": s3util.crc32_b64(b"x")})
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k2")
