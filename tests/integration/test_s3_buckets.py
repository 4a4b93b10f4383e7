"""Bucket operations: CreateBucket (name rules, LocationConstraint matrix, re-create),
DeleteBucket, HeadBucket, ListBuckets (reference/s3.md section 2)."""

import datetime

import pytest
from botocore.exceptions import ClientError

import s3util
from s3util import err

INVALID_NAMES = [
    "ab",                      # too short
    "a",
    "a" * 64,                  # too long
    "UpperCase",               # upper case
    "bucket_underscore",       # underscore
    "-leading-dash",           # must begin with a letter or digit
    ".leading-dot",
    "trailing-dash-",          # must end with a letter or digit
    "trailing-dot.",
    "double..dot",             # no ".."
    "dot.-dash",               # s3-tests: ".-" and "-."
    "dash-.dot",
    "192.168.5.4",             # IPv4 form
    "xn--punycode",            # reserved prefixes
    "sthree-bucket",
    "amzn-s3-demo-bucket",
    "bucket-s3alias",          # reserved suffixes
    "bucket--ol-s3",
    "bucket.mrap",
    "bucket--x-s3",
    "bad!char",
    "has%20space",
]

VALID_NAMES = ["abc", "a" * 63, "1bucket", "my.bucket-name.v2", "0-0", "a.b.c"]


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_create_bucket_invalid_name(raw, name):
    r = raw("PUT", "/" + name)
    assert r.status == 400, r
    e = r.error()
    assert e["Code"] == "InvalidBucketName"
    assert e["Message"] == "The specified bucket is not valid."
    assert s3util.urllib.parse.unquote(name) == e["BucketName"] or e["BucketName"] == name


@pytest.mark.parametrize("name", ["UpperCase", "under_score", "ab"])
def test_create_bucket_invalid_name_boto3(s3, name):
    with pytest.raises(ClientError) as ei:
        s3.create_bucket(Bucket=name)
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "InvalidBucketName"
    assert e["BucketName"] == name


@pytest.mark.parametrize("name", VALID_NAMES)
def test_create_bucket_valid_name(s3, name):
    r = s3.create_bucket(Bucket=name)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_create_bucket_location_header_us_east_1(raw):
    r = raw("PUT", "/loc-bucket")
    assert r.status == 200
    assert r.header("Location") == "/loc-bucket"


# ---- LocationConstraint matrix ------------------------------------------------------------

def test_us_east_1_no_constraint(s3):
    s3.create_bucket(Bucket="east-plain")
    h = s3.head_bucket(Bucket="east-plain")
    assert h["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"


@pytest.mark.parametrize("value", ["us-east-1", "foo", "aws-global"])
def test_us_east_1_invalid_location_constraint(s3, value):
    with pytest.raises(ClientError) as ei:
        s3.create_bucket(Bucket="east-invalid",
                         CreateBucketConfiguration={"LocationConstraint": value})
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "InvalidLocationConstraint"
    assert e["Message"] == "The specified location-constraint is not valid"
    assert e["LocationConstraint"] == value
    with pytest.raises(ClientError) as ei:
        s3.head_bucket(Bucket="east-invalid")
    assert err(ei)[0]["Code"] == "404"


def test_us_east_1_other_region_creates_there(s3):
    s3.create_bucket(Bucket="east-to-west1",
                     CreateBucketConfiguration={"LocationConstraint": "us-west-1"})
    h = s3.head_bucket(Bucket="east-to-west1")
    assert h["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-west-1"


def test_other_region_without_constraint(s3_west):
    with pytest.raises(ClientError) as ei:
        s3_west.create_bucket(Bucket="west-plain")
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "IllegalLocationConstraintException"
    assert e["Message"] == ("The unspecified location constraint is incompatible for the "
                            "region specific endpoint this request was sent to.")


def test_other_region_same_constraint(s3_west):
    r = s3_west.create_bucket(Bucket="west-same",
                              CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    h = s3_west.head_bucket(Bucket="west-same")
    assert h["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-west-2"


@pytest.mark.parametrize("value", ["us-east-1", "aws-global", "bar", "EU", "eu-central-1"])
def test_other_region_different_constraint(s3_west, value):
    with pytest.raises(ClientError) as ei:
        s3_west.create_bucket(Bucket="west-other",
                              CreateBucketConfiguration={"LocationConstraint": value})
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "IllegalLocationConstraintException"
    assert e["Message"] == ("The %s location constraint is incompatible for the region "
                            "specific endpoint this request was sent to." % value)


def test_eu_alias_from_eu_west_1(endpoint):
    from conftest import make_client
    eu = make_client(endpoint, region="eu-west-1")
    r = eu.create_bucket(Bucket="eu-alias", CreateBucketConfiguration={"LocationConstraint": "EU"})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_location_constraint_malformed_xml(raw):
    r = raw("PUT", "/bad-xml-bucket", body=b"<CreateBucketConfiguration><Loc")
    assert r.status == 400
    assert r.error()["Code"] == "MalformedXML"


# ---- re-create ----------------------------------------------------------------------------

def test_recreate_us_east_1_is_200(s3):
    s3.create_bucket(Bucket="again")
    s3.put_object(Bucket="again", Key="k", Body=b"kept")
    r = s3.create_bucket(Bucket="again")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object(Bucket="again", Key="k")["Body"].read() == b"kept"


def test_recreate_other_region_is_already_owned(s3_west):
    cfg = {"LocationConstraint": "us-west-2"}
    s3_west.create_bucket(Bucket="again-west", CreateBucketConfiguration=cfg)
    with pytest.raises(ClientError) as ei:
        s3_west.create_bucket(Bucket="again-west", CreateBucketConfiguration=cfg)
    e, status = err(ei)
    assert status == 409
    assert e["Code"] == "BucketAlreadyOwnedByYou"
    assert e["Message"] == ("Your previous request to create the named bucket succeeded "
                            "and you already own it.")
    assert e["BucketName"] == "again-west"


def test_recreate_us_east_1_with_constraint_is_already_owned(s3):
    cfg = {"LocationConstraint": "us-west-1"}
    s3.create_bucket(Bucket="again-east-west1", CreateBucketConfiguration=cfg)
    with pytest.raises(ClientError) as ei:
        s3.create_bucket(Bucket="again-east-west1", CreateBucketConfiguration=cfg)
    e, status = err(ei)
    assert status == 409
    assert e["Code"] == "BucketAlreadyOwnedByYou"


# ---- delete / head ------------------------------------------------------------------------

def test_delete_bucket_204(s3):
    s3.create_bucket(Bucket="to-delete")
    r = s3.delete_bucket(Bucket="to-delete")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as ei:
        s3.head_bucket(Bucket="to-delete")
    assert err(ei)[1] == 404


def test_delete_missing_bucket(raw):
    r = raw("DELETE", "/never-created")
    assert r.status == 404
    e = r.error()
    assert e["Code"] == "NoSuchBucket"
    assert e["BucketName"] == "never-created"


def test_delete_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="x", Body=b"1")
    with pytest.raises(ClientError) as ei:
        s3.delete_bucket(Bucket=bucket)
    e, status = err(ei)
    assert status == 409
    assert e["Code"] == "BucketNotEmpty"
    assert e["Message"] == "The bucket you tried to delete is not empty"
    assert e["BucketName"] == bucket
    s3.delete_object(Bucket=bucket, Key="x")
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_head_bucket(raw, s3, bucket):
    r = raw("HEAD", "/" + bucket)
    assert r.status == 200
    assert r.header("x-amz-bucket-region") == "us-east-1"
    assert r.body == b""


def test_head_missing_bucket_is_bare_404(raw, s3):
    r = raw("HEAD", "/no-such-bucket-x")
    assert r.status == 404
    assert r.body == b""
    with pytest.raises(ClientError) as ei:
        s3.head_bucket(Bucket="no-such-bucket-x")
    e, status = err(ei)
    assert status == 404
    assert e["Code"] == "404"


# ---- list ---------------------------------------------------------------------------------

def test_list_buckets_sorted(s3):
    names = ["zeta-bucket", "alpha-bucket", "mid-bucket", "alpha-bucket-2"]
    before = datetime.datetime.now(datetime.timezone.utc)
    for n in names:
        s3.create_bucket(Bucket=n)
    r = s3.list_buckets()
    got = [b["Name"] for b in r["Buckets"]]
    assert got == sorted(names)
    for b in r["Buckets"]:
        assert isinstance(b["CreationDate"], datetime.datetime)
        assert abs((b["CreationDate"] - before).total_seconds()) < 120
        assert "BucketRegion" not in b
    assert r["Owner"]["ID"]


def test_list_buckets_xml_shape(raw, s3):
    s3.create_bucket(Bucket="shape-bucket")
    r = raw("GET", "/")
    assert r.status == 200
    assert b"http://s3.amazonaws.com/doc/2006-03-01/" in r.body
    root = r.xml()
    assert root.tag == "ListAllMyBucketsResult"
    assert s3util.texts(root, "Buckets/Bucket/Name") == ["shape-bucket"]
    created = s3util.text(root, "Buckets/Bucket/CreationDate")
    assert s3util.ISO_MS_RE.match(created), created
    assert root.find("Buckets/Bucket/BucketRegion") is None
    assert s3util.text(root, "Owner/ID")


def test_list_buckets_empty(s3):
    r = s3.list_buckets()
    assert r["Buckets"] == []


def test_list_buckets_region_with_params(raw, s3_west):
    s3_west.create_bucket(Bucket="regional",
                          CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    r = raw("GET", "/?max-buckets=10")
    assert r.status == 200
    assert s3util.text(r.xml(), "Buckets/Bucket/BucketRegion") == "us-west-2"


def test_list_buckets_pagination_and_prefix(s3):
    for n in ("pg-a", "pg-b", "pg-c", "other-d"):
        s3.create_bucket(Bucket=n)
    p1 = s3.list_buckets(MaxBuckets=2)
    assert [b["Name"] for b in p1["Buckets"]] == ["other-d", "pg-a"]
    assert p1["ContinuationToken"]
    assert p1["Buckets"][0]["BucketRegion"] == "us-east-1"
    p2 = s3.list_buckets(MaxBuckets=2, ContinuationToken=p1["ContinuationToken"])
    assert [b["Name"] for b in p2["Buckets"]] == ["pg-b", "pg-c"]
    assert "ContinuationToken" not in p2
    pre = s3.list_buckets(Prefix="pg-")
    assert [b["Name"] for b in pre["Buckets"]] == ["pg-a", "pg-b", "pg-c"]
    assert pre["Prefix"] == "pg-"


def test_list_buckets_invalid_region(s3):
    with pytest.raises(ClientError) as ei:
        s3.list_buckets(BucketRegion="eu-east-1")
    e, status = err(ei)
    assert status == 400
    assert e["Code"] == "InvalidArgument"
    assert e["Message"] == "Argument value eu-east-1 is not a valid AWS Region"
    assert e["ArgumentName"] == "bucket-region"


def test_list_buckets_by_region(s3, s3_west):
    s3.create_bucket(Bucket="in-east")
    s3_west.create_bucket(Bucket="in-west",
                          CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    r = s3.list_buckets(BucketRegion="us-west-2")
    assert [b["Name"] for b in r["Buckets"]] == ["in-west"]


def test_region_header_on_list_objects_outside_us_east_1(raw, s3_west):
    s3_west.create_bucket(Bucket="west-list",
                          CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    r = raw("GET", "/west-list?list-type=2", region="us-west-2")
    assert r.status == 200
    assert r.header("x-amz-bucket-region") == "us-west-2"
