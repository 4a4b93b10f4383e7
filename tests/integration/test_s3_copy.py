"""CopyObject (reference/s3.md section 3.5): metadata directives, copy onto itself, missing
and malformed sources, source preconditions, the CopyObjectResult body."""

import datetime
import hashlib

import pytest
from botocore.exceptions import ClientError

import s3util
from s3util import err

DATA = b"source object bytes"


@pytest.fixture
def src(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src.txt", Body=DATA, ContentType="text/plain",
                  CacheControl="max-age=10", ContentLanguage="en",
                  Metadata={"color": "blue", "size": "xl"})
    h = s3.head_object(Bucket=bucket, Key="src.txt")
    return {"etag": h["ETag"], "lm": h["LastModified"], "bucket": bucket}


def test_copy_default_directive_copies_everything(s3, bucket, src):
    r = s3.copy_object(Bucket=bucket, Key="dst.txt",
                       CopySource={"Bucket": bucket, "Key": "src.txt"},
                       Metadata={"ignored": "yes"})
    res = r["CopyObjectResult"]
    assert res["ETag"] == '"%s"' % hashlib.md5(DATA).hexdigest()
    assert isinstance(res["LastModified"], datetime.datetime)
    g = s3.get_object(Bucket=bucket, Key="dst.txt")
    assert g["Body"].read() == DATA
    assert g["ContentType"] == "text/plain"
    assert g["CacheControl"] == "max-age=10"
    assert g["ContentLanguage"] == "en"
    assert g["Metadata"] == {"color": "blue", "size": "xl"}


def test_copy_replace_directive(s3, bucket, src):
    s3.copy_object(Bucket=bucket, Key="dst.txt", CopySource={"Bucket": bucket, "Key": "src.txt"},
                   MetadataDirective="REPLACE", Metadata={"new": "1"})
    g = s3.get_object(Bucket=bucket, Key="dst.txt")
    assert g["Body"].read() == DATA
    assert g["Metadata"] == {"new": "1"}
    assert g["ContentType"] == "binary/octet-stream"
    assert "CacheControl" not in g
    assert "ContentLanguage" not in g


def test_copy_result_xml(raw, bucket, src):
    r = raw("PUT", "/%s/dst2" % bucket, headers={"x-amz-copy-source": "/%s/src.txt" % bucket})
    assert r.status == 200, r
    root = r.xml()
    assert root.tag == "CopyObjectResult"
    assert s3util.text(root, "ETag") == src["etag"]
    assert s3util.ISO_MS_RE.match(s3util.text(root, "LastModified"))


def test_copy_across_buckets_and_special_key(s3, bucket):
    s3.create_bucket(Bucket="other-bucket")
    key = "dir/a b+c%d.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=DATA)
    s3.copy_object(Bucket="other-bucket", Key="copied/" + key,
                   CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket="other-bucket", Key="copied/" + key)["Body"].read() == DATA


def test_copy_source_without_leading_slash(raw, s3, bucket, src):
    r = raw("PUT", "/%s/dst3" % bucket, headers={"x-amz-copy-source": "%s/src.txt" % bucket})
    assert r.status == 200
    assert s3.get_object(Bucket=bucket, Key="dst3")["Body"].read() == DATA


def test_copy_onto_itself_is_invalid(s3, bucket, src):
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=bucket, Key="src.txt",
                       CopySource={"Bucket": bucket, "Key": "src.txt"})
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "InvalidRequest"
    assert e["Message"] == (
        "This copy request is illegal because it is trying to copy an object to itself "
        "without changing the object's metadata, storage class, website redirect location "
        "or encryption attributes.")


def test_copy_onto_itself_with_replace_is_allowed(s3, bucket, src):
    s3.copy_object(Bucket=bucket, Key="src.txt", CopySource={"Bucket": bucket, "Key": "src.txt"},
                   MetadataDirective="REPLACE", Metadata={"color": "red"},
                   ContentType="text/markdown")
    h = s3.head_object(Bucket=bucket, Key="src.txt")
    assert h["Metadata"] == {"color": "red"}
    assert h["ContentType"] == "text/markdown"


def test_copy_onto_itself_with_storage_class_is_allowed(s3, bucket, src):
    s3.copy_object(Bucket=bucket, Key="src.txt", CopySource={"Bucket": bucket, "Key": "src.txt"},
                   StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="src.txt")["StorageClass"] == "STANDARD_IA"


def test_copy_missing_source_key(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "nope"})
    e, status = err(ei)
    assert status == 404
    assert e["Code"] == "NoSuchKey"
    assert e["Key"] == "nope"


def test_copy_missing_source_bucket(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=bucket, Key="dst",
                       CopySource={"Bucket": "no-such-src-bucket", "Key": "k"})
    e, status = err(ei)
    assert status == 404
    assert e["Code"] == "NoSuchBucket"


def test_copy_to_missing_bucket(s3, bucket, src):
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket="no-such-dst-bucket", Key="dst",
                       CopySource={"Bucket": bucket, "Key": "src.txt"})
    assert err(ei)[0]["Code"] == "NoSuchBucket"


@pytest.mark.parametrize("source", ["nobucketslash", "/onlybucket"])
def test_copy_bad_source(raw, bucket, source):
    r = raw("PUT", "/%s/dst" % bucket, headers={"x-amz-copy-source": source})
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidArgument"
    assert e["Message"] == "Invalid copy source object key"
    assert e["ArgumentName"] == "x-amz-copy-source"


def _copy_err(s3, bucket, **cond):
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src.txt"},
                       **cond)
    e, status = err(ei)
    assert status == 412
    assert e["Code"] == "PreconditionFailed"
    return e["Condition"]


def test_copy_source_if_match(s3, bucket, src):
    assert _copy_err(s3, bucket, CopySourceIfMatch='"abc"') == "x-amz-copy-source-If-Match"
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src.txt"},
                   CopySourceIfMatch=src["etag"].strip('"'))


def test_copy_source_if_none_match(s3, bucket, src):
    assert (_copy_err(s3, bucket, CopySourceIfNoneMatch=src["etag"])
            == "x-amz-copy-source-If-None-Match")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src.txt"},
                   CopySourceIfNoneMatch='"other"')


def test_copy_source_if_modified_since(s3, bucket, src):
    assert (_copy_err(s3, bucket, CopySourceIfModifiedSince=src["lm"])
            == "x-amz-copy-source-If-Modified-Since")
    # a future date is ignored
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src.txt"},
                   CopySourceIfModifiedSince=datetime.datetime.now(datetime.timezone.utc)
                   + datetime.timedelta(days=3))


def test_copy_source_if_unmodified_since(s3, bucket, src):
    past = src["lm"] - datetime.timedelta(hours=2)
    assert (_copy_err(s3, bucket, CopySourceIfUnmodifiedSince=past)
            == "x-amz-copy-source-If-Unmodified-Since")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src.txt"},
                   CopySourceIfUnmodifiedSince=src["lm"])


def test_copy_source_if_match_true_overrides_unmodified(s3, bucket, src):
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src.txt"},
                   CopySourceIfMatch=src["etag"],
                   CopySourceIfUnmodifiedSince=src["lm"] - datetime.timedelta(hours=2))
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == DATA


def test_copy_keeps_checksum(s3, bucket, src):
    r = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src.txt"})
    g = s3.get_object(Bucket=bucket, Key="dst", ChecksumMode="ENABLED")
    assert g["ChecksumCRC32"] == s3util.crc32_b64(DATA)
    assert r["CopyObjectResult"].get("ChecksumCRC32") == s3util.crc32_b64(DATA)
    assert g["Body"].read() == DATA


# ---- destination preconditions --------------------------------------------------------

def test_copy_dest_if_none_match_star(s3, bucket, src):
    s3.put_object(Bucket=bucket, Key="exists", Body=b"already")
    with pytest.raises(ClientError) as ei:
        s3.copy_object(Bucket=bucket, Key="exists",
                       CopySource={"Bucket": bucket, "Key": "src.txt"}, IfNoneMatch="*")
    e, status = err(ei)
    assert (status, e["Code"], e["Condition"]) == (412, "PreconditionFailed", "If-None-Match")
    assert s3.get_object(Bucket=bucket, Key="exists")["Body"].read() == b"already"
    s3.copy_object(Bucket=bucket, Key="fresh", CopySource={"Bucket": bucket, "Key": "src.txt"},
                   IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="fresh")["Body"].read() == DATA


@pytest.mark.parametrize("headers,header", [
    ({"If-None-Match": '"abc"'}, "If-None-Match"),
    ({"If-Match": "*"}, "If-Match"),
    ({"If-Match": '"abc"', "If-None-Match": "*"}, "If-Match,If-None-Match"),
])
def test_copy_dest_precondition_validation(raw, bucket, src, headers, header):
    raw("PUT", "/%s/target" % bucket, body=b"t")
    h = dict(headers)
    h["x-amz-copy-source"] = "/%s/src.txt" % bucket
    r = raw("PUT", "/%s/target" % bucket, headers=h)
    assert r.status == 501
    e = r.error()
    assert e["Code"] == "NotImplemented"
    assert e["Header"] == header
    assert raw("GET", "/%s/target" % bucket).body == b"t"
