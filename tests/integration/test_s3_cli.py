"""The AWS CLI (v1) against the server: aws s3 mb / cp / sync / ls / rm / rb and aws s3api
error exit codes."""

import os

import pytest


def ok(res):
    assert res.returncode == 0, "rc=%d\nstdout=%s\nstderr=%s" % (res.returncode, res.stdout,
                                                                res.stderr)
    return res


@pytest.fixture
def payload(tmp_path):
    data = os.urandom(300 * 1024) + b"\x00\r\n\xff" * 10
    p = tmp_path / "payload.bin"
    p.write_bytes(data)
    return p, data


def test_mb_and_ls(aws, s3):
    ok(aws("s3", "mb", "s3://cli-bucket"))
    assert "cli-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    out = ok(aws("s3", "ls")).stdout
    assert "cli-bucket" in out


def test_cp_up_and_down_byte_exact(aws, s3, payload, tmp_path):
    path, data = payload
    ok(aws("s3", "mb", "s3://cli-cp"))
    ok(aws("s3", "cp", str(path), "s3://cli-cp/dir/payload.bin"))
    assert s3.get_object(Bucket="cli-cp", Key="dir/payload.bin")["Body"].read() == data
    down = tmp_path / "down.bin"
    ok(aws("s3", "cp", "s3://cli-cp/dir/payload.bin", str(down)))
    assert down.read_bytes() == data


def test_cp_guesses_content_type(aws, s3, tmp_path):
    f = tmp_path / "page.html"
    f.write_text("<html></html>")
    ok(aws("s3", "mb", "s3://cli-ct"))
    ok(aws("s3", "cp", str(f), "s3://cli-ct/page.html"))
    assert s3.head_object(Bucket="cli-ct", Key="page.html")["ContentType"] == "text/html"


def test_sync_tree_and_ls(aws, s3, tmp_path):
    src = tmp_path / "tree"
    files = {"a.txt": b"A", "sub/b.txt": b"BB", "sub/deeper/c.bin": bytes(range(256)),
             "with space.txt": b"space", "plus+name.txt": b"plus"}
    for rel, data in files.items():
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    ok(aws("s3", "mb", "s3://cli-sync"))
    ok(aws("s3", "sync", str(src), "s3://cli-sync/site"))
    keys = sorted(c["Key"] for c in s3.list_objects_v2(Bucket="cli-sync")["Contents"])
    assert keys == sorted("site/" + k for k in files)
    for rel, data in files.items():
        assert s3.get_object(Bucket="cli-sync", Key="site/" + rel)["Body"].read() == data
    # a second sync uploads nothing
    again = ok(aws("s3", "sync", str(src), "s3://cli-sync/site"))
    assert "upload:" not in again.stdout
    out = ok(aws("s3", "ls", "s3://cli-sync/site/")).stdout
    assert "PRE sub/" in out
    assert "a.txt" in out and "with space.txt" in out and "plus+name.txt" in out
    assert "b.txt" not in out
    rec = ok(aws("s3", "ls", "--recursive", "s3://cli-sync/")).stdout
    assert "site/sub/deeper/c.bin" in rec
    # and back down
    dst = tmp_path / "back"
    ok(aws("s3", "sync", "s3://cli-sync/site", str(dst)))
    for rel, data in files.items():
        assert (dst / rel).read_bytes() == data


def test_rm_recursive_and_rb_force(aws, s3):
    ok(aws("s3", "mb", "s3://cli-rm"))
    for i in range(5):
        s3.put_object(Bucket="cli-rm", Key="d/%d" % i, Body=b"x")
    s3.put_object(Bucket="cli-rm", Key="keep", Body=b"x")
    ok(aws("s3", "rm", "--recursive", "s3://cli-rm/d/"))
    assert [c["Key"] for c in s3.list_objects_v2(Bucket="cli-rm")["Contents"]] == ["keep"]
    ok(aws("s3", "rb", "--force", "s3://cli-rm"))
    assert "cli-rm" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_rb_non_empty_fails(aws, s3):
    ok(aws("s3", "mb", "s3://cli-rb"))
    s3.put_object(Bucket="cli-rb", Key="x", Body=b"x")
    res = aws("s3", "rb", "s3://cli-rb")
    assert res.returncode != 0
    assert "BucketNotEmpty" in res.stderr


def test_s3api_error_exit_codes(aws, s3):
    res = aws("s3api", "list-objects-v2", "--bucket", "cli-missing-bucket")
    assert res.returncode == 255
    assert "(NoSuchBucket)" in res.stderr
    ok(aws("s3", "mb", "s3://cli-api"))
    res = aws("s3api", "get-object", "--bucket", "cli-api", "--key", "nope", "/dev/null")
    assert res.returncode == 255
    assert "(NoSuchKey)" in res.stderr
    res = aws("s3api", "head-object", "--bucket", "cli-api", "--key", "nope")
    assert res.returncode == 255
    assert "(404)" in res.stderr
    res = aws("s3", "cp", "s3://cli-api/nope", "-")
    assert res.returncode == 1


def test_s3api_put_get(aws, s3, tmp_path):
    ok(aws("s3api", "create-bucket", "--bucket", "cli-api2"))
    f = tmp_path / "f.txt"
    f.write_bytes(b"s3api body")
    out = ok(aws("s3api", "put-object", "--bucket", "cli-api2", "--key", "f.txt", "--body",
                 str(f))).stdout
    assert "ETag" in out
    dst = tmp_path / "g.txt"
    ok(aws("s3api", "get-object", "--bucket", "cli-api2", "--key", "f.txt", str(dst)))
    assert dst.read_bytes() == b"s3api body"


def test_presign_command(aws, s3):
    import requests
    s3.create_bucket(Bucket="cli-presign")
    s3.put_object(Bucket="cli-presign", Key="p.txt", Body=b"presigned by cli")
    url = ok(aws("s3", "presign", "s3://cli-presign/p.txt")).stdout.strip()
    r = requests.get(url, timeout=10)
    assert (r.status_code, r.content) == (200, b"presigned by cli")


def test_mb_in_other_region_sends_location_constraint(aws, s3):
    ok(aws("s3", "mb", "s3://cli-west", region="us-west-2"))
    h = s3.head_bucket(Bucket="cli-west")
    assert h["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-west-2"
    ok(aws("s3", "cp", "-", "s3://cli-west/stdin.txt", region="us-west-2",
           input="streamed from stdin\n"))
    assert s3.get_object(Bucket="cli-west", Key="stdin.txt")["Body"].read() == \
        b"streamed from stdin\n"
    out = ok(aws("s3", "ls", "s3://cli-west/", region="us-west-2")).stdout
    assert "stdin.txt" in out


def test_cp_with_metadata_and_content_type(aws, s3, tmp_path):
    f = tmp_path / "m.dat"
    f.write_bytes(b"meta")
    ok(aws("s3", "mb", "s3://cli-meta"))
    ok(aws("s3", "cp", str(f), "s3://cli-meta/m.dat", "--content-type", "application/x-meta",
           "--metadata", "owner=cli,stage=test", "--cache-control", "max-age=9"))
    h = s3.head_object(Bucket="cli-meta", Key="m.dat")
    assert h["ContentType"] == "application/x-meta"
    assert h["Metadata"] == {"owner": "cli", "stage": "test"}
    assert h["CacheControl"] == "max-age=9"


def test_cp_and_sync_large_multipart_both_ways(aws, s3, tmp_path):
    """A 100 MB+ file: `aws s3 cp` and `aws s3 sync` go multipart (8 MiB parts, threads)
    up and ranged parallel GETs down; every copy byte-exact."""
    data = os.urandom(101 * 1024 * 1024 + 4321)
    src = tmp_path / "up"
    src.mkdir()
    (src / "big.bin").write_bytes(data)
    ok(aws("s3", "mb", "s3://cli-big"))
    ok(aws("s3", "cp", str(src / "big.bin"), "s3://cli-big/cp/big.bin"))
    h = s3.head_object(Bucket="cli-big", Key="cp/big.bin")
    assert h["ContentLength"] == len(data) and h["ETag"].endswith('-13"')
    down = tmp_path / "cp-down.bin"
    ok(aws("s3", "cp", "s3://cli-big/cp/big.bin", str(down)))
    assert down.read_bytes() == data
    down.unlink()
    # a copy inside S3: HeadObject, then UploadPartCopy with ranges and CopySourceIfMatch
    ok(aws("s3", "cp", "s3://cli-big/cp/big.bin", "s3://cli-big/copy.bin"))
    h2 = s3.head_object(Bucket="cli-big", Key="copy.bin")
    assert h2["ContentLength"] == len(data) and h2["ETag"].endswith('-13"')
    got = s3.get_object(Bucket="cli-big", Key="copy.bin", Range="bytes=%d-%d"
                        % (len(data) - 9000000, len(data) - 1))["Body"].read()
    assert got == data[-9000000:]
    ok(aws("s3", "rm", "s3://cli-big/copy.bin"))
    ok(aws("s3", "rm", "s3://cli-big/cp/big.bin"))
    ok(aws("s3", "sync", str(src), "s3://cli-big/sync"))
    assert s3.head_object(Bucket="cli-big", Key="sync/big.bin")["ContentLength"] == len(data)
    back = tmp_path / "back"
    ok(aws("s3", "sync", "s3://cli-big/sync", str(back)))
    assert (back / "big.bin").read_bytes() == data
    assert s3.list_multipart_uploads(Bucket="cli-big").get("Uploads", []) == []
