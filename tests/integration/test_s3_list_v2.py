"""ListObjectsV2 (reference/s3.md section 5.1): prefix, delimiters, CommonPrefixes and
max-keys, continuation tokens, start-after, encoding-type=url, fetch-owner, pagination."""

import concurrent.futures
import urllib.parse

import pytest
from botocore.exceptions import ClientError

import s3util
from s3util import err

TREE = ["a.txt", "dir1/x", "dir1/y", "dir1/sub/z", "dir2/x", "dir3/", "e.txt",
        "f--g--h", "f--i", "zz"]


@pytest.fixture
def tree(s3, bucket):
    for k in TREE:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    return bucket


def keys_of(page):
    return [c["Key"] for c in page.get("Contents", [])]


def prefixes_of(page):
    return [p["Prefix"] for p in page.get("CommonPrefixes", [])]


def test_list_all_sorted(s3, tree):
    p = s3.list_objects_v2(Bucket=tree)
    assert keys_of(p) == sorted(TREE)
    assert p["KeyCount"] == len(TREE)
    assert p["IsTruncated"] is False
    assert p["MaxKeys"] == 1000
    c = p["Contents"][0]
    assert c["Size"] == len(c["Key"])
    assert c["StorageClass"] == "STANDARD"
    assert c["ETag"].startswith('"') and c["ETag"].endswith('"')
    assert "Owner" not in c


def test_prefix(s3, tree):
    p = s3.list_objects_v2(Bucket=tree, Prefix="dir1/")
    assert keys_of(p) == ["dir1/sub/z", "dir1/x", "dir1/y"]
    assert p["Prefix"] == "dir1/"
    assert s3.list_objects_v2(Bucket=tree, Prefix="nomatch")["KeyCount"] == 0


def test_delimiter_slash(s3, tree):
    p = s3.list_objects_v2(Bucket=tree, Delimiter="/")
    assert keys_of(p) == ["a.txt", "e.txt", "f--g--h", "f--i", "zz"]
    assert prefixes_of(p) == ["dir1/", "dir2/", "dir3/"]
    assert p["KeyCount"] == 8
    assert p["Delimiter"] == "/"


def test_prefix_and_delimiter(s3, tree):
    p = s3.list_objects_v2(Bucket=tree, Prefix="dir1/", Delimiter="/")
    assert keys_of(p) == ["dir1/x", "dir1/y"]
    assert prefixes_of(p) == ["dir1/sub/"]


def test_key_equal_to_prefix_ending_in_delimiter(s3, tree):
    p = s3.list_objects_v2(Bucket=tree, Prefix="dir3/", Delimiter="/")
    assert keys_of(p) == ["dir3/"]
    assert prefixes_of(p) == []


def test_multichar_delimiter(s3, tree):
    p = s3.list_objects_v2(Bucket=tree, Delimiter="--")
    assert prefixes_of(p) == ["f--"]
    assert "f--i" not in keys_of(p)
    assert "dir1/x" in keys_of(p)


def test_delimiter_never_occurs(s3, tree):
    p = s3.list_objects_v2(Bucket=tree, Delimiter="\n")
    assert keys_of(p) == sorted(TREE)
    assert prefixes_of(p) == []


def test_common_prefixes_count_toward_max_keys(s3, tree):
    # with "/" the order is: a.txt, dir1/, dir2/, dir3/, e.txt, f--g--h, f--i, zz
    expected = ["a.txt", "dir1/", "dir2/", "dir3/", "e.txt", "f--g--h", "f--i", "zz"]
    got, token = [], None
    for _ in range(10):
        kw = {"Bucket": tree, "Delimiter": "/", "MaxKeys": 3}
        if token:
            kw["ContinuationToken"] = token
        p = s3.list_objects_v2(**kw)
        entries = keys_of(p) + prefixes_of(p)
        assert p["KeyCount"] == len(entries)
        assert len(entries) <= 3
        got += sorted(entries)
        if not p["IsTruncated"]:
            break
        assert len(entries) == 3
        token = p["NextContinuationToken"]
    assert got == expected


def test_page_with_only_common_prefix(s3, tree):
    p = s3.list_objects_v2(Bucket=tree, Delimiter="/", MaxKeys=1, StartAfter="a.txt")
    assert prefixes_of(p) == ["dir1/"]
    assert keys_of(p) == []
    assert p["KeyCount"] == 1
    assert p["IsTruncated"] is True
    p2 = s3.list_objects_v2(Bucket=tree, Delimiter="/", MaxKeys=1,
                            ContinuationToken=p["NextContinuationToken"])
    assert prefixes_of(p2) == ["dir2/"]


def test_max_keys_zero(s3, tree):
    p = s3.list_objects_v2(Bucket=tree, MaxKeys=0)
    assert p["KeyCount"] == 0
    assert "Contents" not in p
    assert p["IsTruncated"] is False
    assert p["MaxKeys"] == 0


@pytest.mark.parametrize("value", ["-1", "abc", "2147483648"])
def test_bad_max_keys(raw, tree, value):
    r = raw("GET", "/%s?list-type=2&max-keys=%s" % (tree, value))
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidArgument"
    assert e["Message"] == "Argument maxKeys must be an integer between 0 and 2147483647"
    assert e["ArgumentName"] == "maxKeys"


def test_max_keys_above_1000_capped(s3, bucket):
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda i: s3.put_object(Bucket=bucket, Key="m%05d" % i, Body=b""),
                    range(1100)))
    p = s3.list_objects_v2(Bucket=bucket, MaxKeys=5000)
    assert p["KeyCount"] == 1000
    assert p["IsTruncated"] is True


def test_continuation_token_round_trip(s3, tree):
    p1 = s3.list_objects_v2(Bucket=tree, MaxKeys=4)
    assert p1["IsTruncated"] is True
    tok = p1["NextContinuationToken"]
    p2 = s3.list_objects_v2(Bucket=tree, MaxKeys=4, ContinuationToken=tok)
    assert p2["ContinuationToken"] == tok
    assert keys_of(p1) + keys_of(p2) == sorted(TREE)[:8]
    # StartAfter is ignored when a token is given
    p3 = s3.list_objects_v2(Bucket=tree, MaxKeys=4, ContinuationToken=tok, StartAfter="zz")
    assert keys_of(p3) == keys_of(p2)


@pytest.mark.parametrize("token", ["garbage-token", "bm90IGEgdG9rZW4=", "%2B%2F%3D"])
def test_bad_continuation_token(raw, s3, tree, token):
    with pytest.raises(ClientError) as ei:
        s3.list_objects_v2(Bucket=tree, ContinuationToken=urllib.parse.unquote(token))
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "InvalidArgument"
    assert e["Message"] == "The continuation token provided is incorrect"
    assert e["ArgumentName"] == "continuation-token"


def test_empty_continuation_token(raw, tree):
    r = raw("GET", "/%s?list-type=2&continuation-token=" % tree)
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidArgument"
    assert e["Message"] == "The continuation token provided is incorrect"


def test_start_after(s3, raw, tree):
    p = s3.list_objects_v2(Bucket=tree, StartAfter="dir2/x")
    assert keys_of(p) == ["dir3/", "e.txt", "f--g--h", "f--i", "zz"]
    assert p["StartAfter"] == "dir2/x"
    p = s3.list_objects_v2(Bucket=tree, StartAfter="dir")
    assert keys_of(p)[0] == "dir1/sub/z"
    p = s3.list_objects_v2(Bucket=tree, StartAfter="zzz")
    assert p["KeyCount"] == 0


def test_fetch_owner(s3, tree):
    p = s3.list_objects_v2(Bucket=tree, FetchOwner=True)
    for c in p["Contents"]:
        assert c["Owner"]["ID"]
    p = s3.list_objects_v2(Bucket=tree, FetchOwner=False)
    assert all("Owner" not in c for c in p["Contents"])


def test_missing_bucket(s3):
    with pytest.raises(ClientError) as ei:
        s3.list_objects_v2(Bucket="no-bucket-for-list")
    e, status = err(ei)
    assert (status, e["Code"], e["BucketName"]) == (404, "NoSuchBucket", "no-bucket-for-list")


# ---- encoding-type=url --------------------------------------------------------------------

ODD_KEYS = ["sp ace/x", "plus+key", "pct%25lit", "date=2026-03-01/obj", "tab\tkey",
            "uni\u00e9\u65e5", "amp&key", "semi;key"]


@pytest.fixture
def odd(s3, bucket):
    for k in ODD_KEYS:
        s3.put_object(Bucket=bucket, Key=k, Body=b"1")
    return bucket


def test_boto3_round_trips_odd_keys(s3, odd):
    # boto3 always sends encoding-type=url and unquote_plus()es the answer
    p = s3.list_objects_v2(Bucket=odd)
    assert keys_of(p) == sorted(ODD_KEYS, key=lambda k: k.encode())
    p = s3.list_objects_v2(Bucket=odd, Delimiter="/")
    assert prefixes_of(p) == ["date=2026-03-01/", "sp ace/"]
    p = s3.list_objects_v2(Bucket=odd, Prefix="sp ace/", StartAfter="sp ace/")
    assert keys_of(p) == ["sp ace/x"]
    assert p["Prefix"] == "sp ace/"


def test_raw_encoding_type_url(raw, odd):
    r = raw("GET", "/%s?list-type=2&encoding-type=url" % odd)
    assert r.status == 200
    root = r.xml()
    assert s3util.text(root, "EncodingType") == "url"
    got = s3util.texts(root, "Contents/Key")
    assert "sp%20ace/x" in got
    assert "plus%2Bkey" in got
    assert "pct%2525lit" in got
    assert "date%3D2026-03-01/obj" in got
    assert "tab%09key" in got
    assert "uni%C3%A9%E6%97%A5" in got
    assert "amp%26key" in got
    assert sorted(urllib.parse.unquote(k) for k in got) == sorted(ODD_KEYS)


def test_raw_encoding_type_url_prefixes_and_delimiter(raw, odd):
    r = raw("GET", "/%s?list-type=2&encoding-type=url&delimiter=%%2F&prefix=sp%%20&start-after=a"
            % odd)
    root = r.xml()
    assert s3util.texts(root, "CommonPrefixes/Prefix") == ["sp%20ace/"]
    assert s3util.text(root, "Prefix") == "sp%20"
    assert s3util.text(root, "Delimiter") == "/"
    assert s3util.text(root, "StartAfter") == "a"


def test_raw_without_encoding_type_is_literal(raw, odd):
    r = raw("GET", "/%s?list-type=2" % odd)
    root = r.xml()
    assert root.find("EncodingType") is None
    assert "sp ace/x" in s3util.texts(root, "Contents/Key")
    assert "plus+key" in s3util.texts(root, "Contents/Key")


@pytest.mark.parametrize("value", ["xml", ""])
def test_bad_encoding_type(raw, bucket, value):
    r = raw("GET", "/%s?list-type=2&encoding-type=%s" % (bucket, value))
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidArgument"
    assert e["Message"] == "Invalid Encoding Method specified in Request"
    assert e["ArgumentName"] == "encoding-type"


def test_raw_response_shape(raw, tree):
    r = raw("GET", "/%s?list-type=2&max-keys=2" % tree)
    assert r.status == 200
    assert b"http://s3.amazonaws.com/doc/2006-03-01/" in r.body
    root = r.xml()
    assert root.tag == "ListBucketResult"
    assert s3util.text(root, "Name") == tree
    assert s3util.text(root, "Prefix") == ""
    assert root.find("Delimiter") is None
    assert s3util.text(root, "MaxKeys") == "2"
    assert s3util.text(root, "KeyCount") == "2"
    assert s3util.text(root, "IsTruncated") == "true"
    assert s3util.text(root, "NextContinuationToken")
    assert root.find("StartAfter") is None
    for lm in s3util.texts(root, "Contents/LastModified"):
        assert s3util.ISO_MS_RE.match(lm), lm


def test_raw_start_after_is_literal(raw, odd):
    # a literal percent sorts before "date=" so listing starts at the beginning
    r = raw("GET", "/%s?list-type=2&start-after=date%%253D2026" % odd)
    root = r.xml()
    keys = s3util.texts(root, "Contents/Key")
    assert keys[0] == "date=2026-03-01/obj"
    assert s3util.text(root, "StartAfter") == "date%3D2026"


def test_paginator_2500_keys(s3, bucket):
    keys = ["obj/%05d" % i for i in range(2500)]
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket))
    assert [p["KeyCount"] for p in pages] == [1000, 1000, 500]
    assert [k for p in pages for k in keys_of(p)] == keys
    pages = list(s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 700}))
    assert [p["KeyCount"] for p in pages] == [700, 700, 700, 400]


def test_order_is_utf8_binary(s3, bucket):
    keys = ["a", "Z", "~tilde", "\u00e9", "\U0001F600", "0", "a/b", "a-b", "A"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"")
    got = keys_of(s3.list_objects_v2(Bucket=bucket))
    assert got == sorted(keys, key=lambda k: k.encode("utf-8"))


def test_token_survives_deletion_of_next_key(s3, tree):
    p1 = s3.list_objects_v2(Bucket=tree, MaxKeys=2)
    assert keys_of(p1) == ["a.txt", "dir1/sub/z"]
    s3.delete_object(Bucket=tree, Key="dir1/x")
    p2 = s3.list_objects_v2(Bucket=tree, MaxKeys=2, ContinuationToken=p1["NextContinuationToken"])
    assert keys_of(p2) == ["dir1/y", "dir2/x"]


def test_delimiter_pagination_many_prefixes(s3, bucket):
    keys = ["p%02d/k%d" % (i, j) for i in range(30) for j in range(4)] + \
        ["top%02d" % i for i in range(10)]
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b""), keys))
    prefixes, contents, pages = [], [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 7}):
        pages += 1
        assert page["KeyCount"] <= 7
        prefixes += prefixes_of(page)
        contents += keys_of(page)
        assert pages < 20
    assert prefixes == ["p%02d/" % i for i in range(30)]
    assert contents == ["top%02d" % i for i in range(10)]
    assert pages == 6
