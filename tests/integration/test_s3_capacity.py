"""A full S3 store over HTTP: a PUT that does not fit fails with 507 InsufficientStorage
naming the setting to raise (s3_capacity, s3_max_objects), every object stored before is
intact, and deleting objects makes room again. Runs in: the pytest process, against small
ruststack instances started by this module."""

import hashlib

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server


def client(srv):
    return boto3.session.Session().client(
        "s3", endpoint_url=srv.endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "max_attempts": 1}))


@pytest.fixture
def small(tmp_path, request):
    srv = Server(tmp_path, workers=1, extra_conf=request.param)
    srv.start()
    yield srv
    rc, leftover = srv.stop()
    assert rc == 0 and not leftover


def fill(s3, bucket, size, limit):
    """PUT distinct objects until one is refused; returns (stored {key: md5}, error)."""
    stored = {}
    for i in range(limit):
        body = (b"%08d" % i) * (size // 8)
        key = "obj-%05d" % i
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        except ClientError as e:
            return stored, e
        stored[key] = hashlib.md5(body).hexdigest()
    return stored, None


@pytest.mark.parametrize("small", ["s3_capacity = 4m\ns3_max_object_size = 1m\n"],
                         indirect=True)
def test_arena_full_names_s3_capacity(small):
    s3 = client(small)
    s3.create_bucket(Bucket="full-bucket")
    stored, err = fill(s3, "full-bucket", 256 * 1024, 64)
    assert err is not None, "4 MiB of arena took %d objects of 256 KiB" % len(stored)
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 507
    assert err.response["Error"]["Code"] == "InsufficientStorage"
    assert "s3_capacity" in err.response["Error"]["Message"]
    assert stored, "not even one object fitted"
    for key, md5 in stored.items():
        got = s3.get_object(Bucket="full-bucket", Key=key)["Body"].read()
        assert hashlib.md5(got).hexdigest() == md5, key
    # the refused key was not half-written
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket="full-bucket", Key="obj-%05d" % len(stored))
    assert e.value.response["Error"]["Code"] == "404"
    # deleting makes room again
    for key in list(stored)[:2]:
        s3.delete_object(Bucket="full-bucket", Key=key)
    s3.put_object(Bucket="full-bucket", Key="after-delete", Body=b"x" * (256 * 1024))


@pytest.mark.parametrize("small", ["s3_max_objects = 16\ns3_shards = 4\n"], indirect=True)
def test_index_full_names_s3_max_objects(small):
    s3 = client(small)
    s3.create_bucket(Bucket="many-bucket")
    stored, err = fill(s3, "many-bucket", 8, 200)
    assert err is not None, "s3_max_objects = 16 took %d objects" % len(stored)
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 507
    assert "s3_max_objects" in err.response["Error"]["Message"]
    listed = s3.list_objects_v2(Bucket="many-bucket")
    assert sorted(o["Key"] for o in listed.get("Contents", [])) == sorted(stored)
