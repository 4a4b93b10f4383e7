"""ListObjects (V1) (reference/s3.md section 5.2): Marker, NextMarker only with a delimiter,
Owner by default, max-keys, encoding."""

import pytest
from botocore.exceptions import ClientError

import s3util
from s3util import err

KEYS = ["a", "b", "folder/aSubfolder/subFile1", "folder/aSubfolder/subFile2",
        "folder/file1", "folder/file2", "x y", "z+z"]


@pytest.fixture
def tree(s3, bucket):
    for k in KEYS:
        s3.put_object(Bucket=bucket, Key=k, Body=b"v1")
    return bucket


def test_list_v1_all(s3, tree):
    p = s3.list_objects(Bucket=tree)
    assert [c["Key"] for c in p["Contents"]] == KEYS
    assert p["IsTruncated"] is False
    assert p["Marker"] == ""
    assert p["MaxKeys"] == 1000
    assert "NextMarker" not in p
    assert "KeyCount" not in p
    for c in p["Contents"]:
        assert c["Owner"]["ID"]


def test_list_v1_marker(s3, tree):
    p = s3.list_objects(Bucket=tree, Marker="folder/file1")
    assert [c["Key"] for c in p["Contents"]] == ["folder/file2", "x y", "z+z"]
    assert p["Marker"] == "folder/file1"


def test_list_v1_truncated_without_delimiter_has_no_next_marker(s3, tree):
    p = s3.list_objects(Bucket=tree, MaxKeys=3)
    assert p["IsTruncated"] is True
    assert "NextMarker" not in p
    assert [c["Key"] for c in p["Contents"]] == KEYS[:3]


def test_list_v1_next_marker_with_delimiter(s3, tree):
    p = s3.list_objects(Bucket=tree, Delimiter="/", MaxKeys=3)
    assert [c["Key"] for c in p["Contents"]] == ["a", "b"]
    assert [x["Prefix"] for x in p["CommonPrefixes"]] == ["folder/"]
    assert p["IsTruncated"] is True
    assert p["NextMarker"] == "folder/"
    p2 = s3.list_objects(Bucket=tree, Delimiter="/", MaxKeys=3, Marker=p["NextMarker"])
    assert [c["Key"] for c in p2["Contents"]] == ["x y", "z+z"]
    assert p2["IsTruncated"] is False
    assert "NextMarker" not in p2


def test_list_v1_marker_skips_common_prefix_group(s3, tree):
    p = s3.list_objects(Bucket=tree, Prefix="folder/", Delimiter="/",
                        Marker="folder/aSubfolder/subFile1")
    assert "CommonPrefixes" not in p or p["CommonPrefixes"] == []
    assert [c["Key"] for c in p["Contents"]] == ["folder/file1", "folder/file2"]


def test_list_v1_max_keys_zero(s3, tree):
    p = s3.list_objects(Bucket=tree, MaxKeys=0)
    assert "Contents" not in p
    assert p["IsTruncated"] is False


def test_list_v1_paginator(s3, tree):
    pages = list(s3.get_paginator("list_objects").paginate(
        Bucket=tree, PaginationConfig={"PageSize": 3}))
    assert [c["Key"] for p in pages for c in p.get("Contents", [])] == KEYS
    assert len(pages) == 3


def test_list_v1_raw_shape(raw, tree):
    r = raw("GET", "/%s?encoding-type=url&max-keys=100" % tree)
    assert r.status == 200
    root = r.xml()
    assert root.tag == "ListBucketResult"
    assert s3util.text(root, "Marker") == ""
    assert root.find("KeyCount") is None
    keys = s3util.texts(root, "Contents/Key")
    assert "x%20y" in keys and "z%2Bz" in keys
    assert s3util.text(root, "Contents/Owner/ID")


def test_list_v1_missing_bucket(s3):
    with pytest.raises(ClientError) as ei:
        s3.list_objects(Bucket="no-such-v1-bucket")
    assert err(ei)[0]["Code"] == "NoSuchBucket"
