"""Bucket and object tagging: Put/Get/DeleteBucketTagging, Put/Get/DeleteObjectTagging,
x-amz-tagging on PutObject and CopyObject, x-amz-tagging-count, AWS's limits and errors
(InvalidTag, BadRequest for more than 10 object tags, MalformedXML, NoSuchTagSet), through
boto3, the AWS CLI (s3api) and raw requests; the bucket's configuration keys never show in
listings and go with the bucket."""

import json

import botocore.exceptions
import pytest


def _err(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        call(**kw)
    return ei.value.response


def _tags(d):
    return [{"Key": k, "Value": v} for k, v in d.items()]


# ---- bucket tagging ----------------------------------------------------------------------

def test_bucket_tagging_crud(s3, bucket):
    e = _err(s3.get_bucket_tagging, Bucket=bucket)
    assert e["Error"]["Code"] == "NoSuchTagSet"
    assert e["Error"]["Message"] == "The TagSet does not exist"
    assert e["Error"]["BucketName"] == bucket
    assert e["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags({"env": "dev", "team": "a b"})})
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert got == _tags({"env": "dev", "team": "a b"})
    # a replacement replaces the whole set
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags({"only": ""})})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == _tags({"only": ""})
    r = s3.delete_bucket_tagging(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _err(s3.get_bucket_tagging, Bucket=bucket)["Error"]["Code"] == "NoSuchTagSet"
    # deleting again is fine
    s3.delete_bucket_tagging(Bucket=bucket)


def test_bucket_tagging_empty_set_removes(s3, bucket):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags({"a": "1"})})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": []})
    assert _err(s3.get_bucket_tagging, Bucket=bucket)["Error"]["Code"] == "NoSuchTagSet"


def test_bucket_tagging_no_bucket(s3):
    for call, kw in ((s3.get_bucket_tagging, {}), (s3.delete_bucket_tagging, {}),
                     (s3.put_bucket_tagging, {"Tagging": {"TagSet": _tags({"a": "b"})}})):
        e = _err(call, Bucket="no-such-bucket-x", **kw)
        assert e["Error"]["Code"] == "NoSuchBucket"
        assert e["Error"]["BucketName"] == "no-such-bucket-x"


@pytest.mark.parametrize("tags,code,msg,extra", [
    ([{"Key": "Key1", "Value": "a"}, {"Key": "Key1", "Value": "b"}], "InvalidTag",
     "Cannot provide multiple Tags with the same key", {"TagKey": "Key1"}),
    (_tags({"Key1,Key2": "v"}), "InvalidTag", "The TagKey you have provided is invalid",
     {"TagKey": "Key1,Key2"}),
    (_tags({"Key1": "Val1,Val2"}), "InvalidTag", "The TagValue you have provided is invalid",
     {"TagKey": "Key1", "TagValue": "Val1,Val2"}),
    (_tags({"aws:prefixed": "v"}), "InvalidTag",
     "System tags cannot be added/updated by requester", {"TagKey": "aws:prefixed"}),
    (_tags({"k" * 129: "v"}), "InvalidTag", "The TagKey you have provided is invalid", {}),
    (_tags({"k": "v" * 257}), "InvalidTag", "The TagValue you have provided is invalid", {}),
])
def test_bucket_tagging_invalid(s3, bucket, tags, code, msg, extra):
    e = _err(s3.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": tags})
    assert e["Error"]["Code"] == code
    assert e["Error"]["Message"] == msg
    assert e["ResponseMetadata"]["HTTPStatusCode"] == 400
    for k, v in extra.items():
        assert e["Error"][k] == v


def test_bucket_tagging_limits(s3, bucket):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(
        {"k%02d" % i: "v" for i in range(50)})})
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    e = _err(s3.put_bucket_tagging, Bucket=bucket,
             Tagging={"TagSet": _tags({"k%02d" % i: "v" for i in range(51)})})
    assert e["Error"]["Code"] == "BadRequest"
    # 128 / 256 characters (not bytes) are fine
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags({"é" * 128: "ü" * 256})})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == _tags({"é" * 128: "ü" * 256})


@pytest.mark.parametrize("body", [
    b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
    b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
    b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value>",
    b"<Other/>",
    b"<Tagging/>",
])
def test_bucket_tagging_malformed(raw, bucket, body):
    r = raw("PUT", "/%s?tagging" % bucket, body=body)
    assert r.status == 400
    assert r.error()["Code"] == "MalformedXML"


def test_bucket_tagging_cli(aws, s3, bucket):
    r = aws("s3api", "put-bucket-tagging", "--bucket", bucket, "--tagging",
            json.dumps({"TagSet": _tags({"cost-center": "42", "env": "ci"})}))
    assert r.returncode == 0, r.stderr
    r = aws("s3api", "get-bucket-tagging", "--bucket", bucket)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["TagSet"] == _tags({"cost-center": "42", "env": "ci"})
    r = aws("s3api", "delete-bucket-tagging", "--bucket", bucket)
    assert r.returncode == 0, r.stderr
    r = aws("s3api", "get-bucket-tagging", "--bucket", bucket)
    assert r.returncode != 0 and "NoSuchTagSet" in r.stderr
    r = aws("s3api", "put-bucket-tagging", "--bucket", bucket, "--tagging",
            json.dumps({"TagSet": _tags({"aws:x": "1"})}))
    assert r.returncode != 0 and "InvalidTag" in r.stderr


def test_bucket_config_keys_are_invisible(s3, bucket):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags({"a": "1"})})
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert "Contents" not in s3.list_objects(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="zzz", Body=b"x")
    for delim in ("/", "o", "\u00ff"):
        r = s3.list_objects_v2(Bucket=bucket, Delimiter=delim)
        assert [o["Key"] for o in r.get("Contents", [])] == ["zzz"]
        assert "CommonPrefixes" not in r
    r = s3.list_objects_v2(Bucket=bucket, MaxKeys=1)
    assert r["KeyCount"] == 1 and r["IsTruncated"] is False
    r = s3.list_objects_v2(Bucket=bucket, StartAfter="zzz")
    assert r["KeyCount"] == 0
    e = _err(s3.delete_bucket, Bucket=bucket)
    assert e["Error"]["Code"] == "BucketNotEmpty"
    # the configuration survived the refused delete
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == _tags({"a": "1"})
    s3.delete_object(Bucket=bucket, Key="zzz")
    s3.delete_bucket(Bucket=bucket)
    # a bucket of the same name starts without configuration
    s3.create_bucket(Bucket=bucket)
    assert _err(s3.get_bucket_tagging, Bucket=bucket)["Error"]["Code"] == "NoSuchTagSet"
    assert _err(s3.get_bucket_cors, Bucket=bucket)["Error"]["Code"] == "NoSuchCORSConfiguration"


def test_reserved_keys_unreachable(raw, s3, bucket):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags({"a": "1"})})
    for method in ("GET", "HEAD", "PUT", "DELETE"):
        r = raw(method, "/%s/%%FFtagging" % bucket, body=b"x" if method == "PUT" else None)
        assert r.status == 400, (method, r.status)
    r = raw("PUT", "/%s/copy" % bucket, headers={"x-amz-copy-source": "/%s/%%FFtagging" % bucket})
    assert r.status == 400
    assert r.error()["Code"] == "InvalidArgument"
    r = s3.list_objects_v2(Bucket=bucket, Prefix="\u00ff")
    assert r["KeyCount"] == 0
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == _tags({"a": "1"})


def test_reset_removes_configured_buckets(s3, endpoint):
    import requests
    s3.create_bucket(Bucket="cfg-reset")
    s3.put_bucket_tagging(Bucket="cfg-reset", Tagging={"TagSet": _tags({"a": "1"})})
    assert requests.post(endpoint + "/_ruststack/reset", timeout=10).status_code == 200
    assert s3.list_buckets()["Buckets"] == []
    assert requests.get(endpoint + "/_ruststack/check", timeout=10).status_code == 200


# ---- object tagging ----------------------------------------------------------------------

def test_object_tagging_crud(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"payload", ContentType="text/plain",
                        Metadata={"m": "1"})
    head = s3.head_object(Bucket=bucket, Key="k")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    r = s3.put_object_tagging(Bucket=bucket, Key="k",
                              Tagging={"TagSet": _tags({"a": "1", "b c": "d/e+f=g"})})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == _tags(
        {"a": "1", "b c": "d/e+f=g"})
    g = s3.get_object(Bucket=bucket, Key="k")
    assert g["Body"].read() == b"payload"
    assert g["TagCount"] == 2
    assert g["ETag"] == put["ETag"]
    assert g["ContentType"] == "text/plain"
    assert g["Metadata"] == {"m": "1"}
    assert g["LastModified"] == head["LastModified"]
    r = s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    g = s3.get_object(Bucket=bucket, Key="k")
    assert "TagCount" not in g and g["Body"].read() == b"payload"


def test_object_tagging_header_on_put_and_copy(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x", Tagging="team=core&env=dev")
    assert s3.get_object_tagging(Bucket=bucket, Key="src")["TagSet"] == _tags(
        {"team": "core", "env": "dev"})
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object_tagging(Bucket=bucket, Key="copy")["TagSet"] == _tags(
        {"team": "core", "env": "dev"})
    s3.copy_object(Bucket=bucket, Key="copy2", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE", Tagging="new=1")
    assert s3.get_object_tagging(Bucket=bucket, Key="copy2")["TagSet"] == _tags({"new": "1"})
    # tags set by PutObjectTagging are copied too
    s3.put_object_tagging(Bucket=bucket, Key="src", Tagging={"TagSet": _tags({"x": "y z"})})
    s3.copy_object(Bucket=bucket, Key="copy3", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object_tagging(Bucket=bucket, Key="copy3")["TagSet"] == _tags({"x": "y z"})
    assert s3.head_object(Bucket=bucket, Key="copy3")["ResponseMetadata"]["HTTPHeaders"][
        "x-amz-tagging-count"] == "1"


def test_object_tagging_large_object(s3, bucket):
    data = bytes(range(256)) * 4096 * 5  # 5 MiB: several chunks in the store
    s3.put_object(Bucket=bucket, Key="big", Body=data)
    s3.put_object_tagging(Bucket=bucket, Key="big", Tagging={"TagSet": _tags({"a": "b"})})
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == data


def test_object_tagging_no_key_no_bucket(s3, bucket):
    for call, kw in ((s3.get_object_tagging, {}), (s3.delete_object_tagging, {}),
                     (s3.put_object_tagging, {"Tagging": {"TagSet": _tags({"a": "b"})}})):
        e = _err(call, Bucket=bucket, Key="fake-key", **kw)
        assert e["Error"]["Code"] == "NoSuchKey"
        assert e["Error"]["Key"] == "fake-key"
        e = _err(call, Bucket="no-such-bucket-x", Key="fake-key", **kw)
        assert e["Error"]["Code"] == "NoSuchBucket"


@pytest.mark.parametrize("tags,code,msg,extra", [
    ([{"Key": "Key1", "Value": "a"}, {"Key": "Key1", "Value": "b"}], "InvalidTag",
     "Cannot provide multiple Tags with the same key", {"TagKey": "Key1"}),
    (_tags({"Key1,Key2": "v"}), "InvalidTag", "The TagKey you have provided is invalid",
     {"TagKey": "Key1,Key2"}),
    (_tags({"aws:prefixed": "v"}), "InvalidTag", "Your TagKey cannot be prefixed with aws:",
     {"TagKey": "aws:prefixed"}),
    (_tags({"k%d" % i: "v" for i in range(11)}), "BadRequest",
     "Object tags cannot be greater than 10", {}),
])
def test_object_tagging_invalid(s3, bucket, tags, code, msg, extra):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    e = _err(s3.put_object_tagging, Bucket=bucket, Key="k", Tagging={"TagSet": tags})
    assert e["Error"]["Code"] == code
    assert e["Error"]["Message"] == msg
    assert e["ResponseMetadata"]["HTTPStatusCode"] == 400
    for k, v in extra.items():
        assert e["Error"][k] == v
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []


def test_object_tagging_ten_is_fine(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    ten = _tags({"k%d" % i: "v" for i in range(10)})
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": ten})
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == ten


@pytest.mark.parametrize("header,code", [
    ("key1=val1&key1=val2", "InvalidArgument"),
    ("key1=val1,key2=val2", "InvalidArgument"),
    ("&".join("k%d=v" % i for i in range(11)), "BadRequest"),
    ("aws:x=1", "InvalidTag"),
])
def test_tagging_header_errors(s3, bucket, header, code):
    e = _err(s3.put_object, Bucket=bucket, Key="k", Body=b"x", Tagging=header)
    assert e["Error"]["Code"] == code
    if code == "InvalidArgument":
        assert e["Error"]["Message"] == ("The header 'x-amz-tagging' shall be encoded as UTF-8 "
                                         "then URLEncoded URL query parameters without tag name "
                                         "duplicates.")
        assert e["Error"]["ArgumentValue"] == header
    if code == "BadRequest":
        assert e["Error"]["Message"] == "Object tags cannot be greater than 10"


def test_object_tagging_malformed(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    r = raw("PUT", "/%s/k?tagging" % bucket,
            body=b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")
    assert r.status == 400 and r.error()["Code"] == "MalformedXML"


def test_object_tagging_version_id(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="a=1")
    r = raw("GET", "/%s/k?tagging&versionId=null" % bucket)
    assert r.status == 200
    r = raw("GET", "/%s/k?tagging&versionId=abc" % bucket)
    assert r.status == 400 and r.error()["Code"] == "InvalidArgument"


def test_object_tagging_cli(aws, s3, bucket):
    s3.put_object(Bucket=bucket, Key="obj", Body=b"x")
    r = aws("s3api", "put-object-tagging", "--bucket", bucket, "--key", "obj", "--tagging",
            json.dumps({"TagSet": _tags({"a": "1"})}))
    assert r.returncode == 0, r.stderr
    r = aws("s3api", "get-object-tagging", "--bucket", bucket, "--key", "obj")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["TagSet"] == _tags({"a": "1"})
    r = aws("s3api", "delete-object-tagging", "--bucket", bucket, "--key", "obj")
    assert r.returncode == 0, r.stderr
    r = aws("s3api", "get-object-tagging", "--bucket", bucket, "--key", "obj")
    assert json.loads(r.stdout)["TagSet"] == []
    r = aws("s3api", "put-object", "--bucket", bucket, "--key", "t2", "--tagging", "x=y&z=w")
    assert r.returncode == 0, r.stderr
    r = aws("s3api", "get-object-tagging", "--bucket", bucket, "--key", "t2")
    assert json.loads(r.stdout)["TagSet"] == _tags({"x": "y", "z": "w"})
    r = aws("s3api", "put-object-tagging", "--bucket", bucket, "--key", "obj", "--tagging",
            json.dumps({"TagSet": _tags({"k%d" % i: "v" for i in range(11)})}))
    assert r.returncode != 0 and "BadRequest" in r.stderr
    r = aws("s3api", "get-object-tagging", "--bucket", bucket, "--key", "nope")
    assert r.returncode != 0 and "NoSuchKey" in r.stderr


# ---- persistence (data_dir) --------------------------------------------------------------

def kill_tree(srv, lock=None):
    """SIGKILL the master and every descendant at once, then wait until all are gone (the
    data directory's lock goes with the last of them)."""
    import os
    import signal
    import time
    from conftest import descendants

    os.kill(srv.proc.pid, signal.SIGSTOP)
    pids = [srv.proc.pid] + list(descendants(srv.proc.pid))
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    srv.proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    # a child a supervisor forked while the tree was listed (before its exec) inherited the
    # data directory's lock too: kill whatever still holds it open
    if lock is not None:
        while time.monotonic() < deadline:
            holders = _holders(lock)
            if not holders:
                break
            for p in holders:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)


def _holders(path):
    import os
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or not _alive(int(d)):
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % d):
                if os.readlink("/proc/%s/fd/%s" % (d, fd)) == path:
                    out.append(int(d))
                    break
        except OSError:
            pass
    return out


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_configuration_survives_restart(tmp_path):
    """A bucket's tags and CORS configuration and an object's tags live in the store file:
    they survive a SIGTERM restart and a SIGKILL of every process."""
    import boto3
    import requests
    from botocore.config import Config
    from conftest import Server

    data = tmp_path / "data"
    cfg = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["http://p.test"]}]}

    def client(srv):
        return boto3.session.Session().client(
            "s3", endpoint_url=srv.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(s3={"addressing_style": "path"},
                          retries={"mode": "standard", "max_attempts": 1}))

    def check(srv):
        s3 = client(srv)
        assert s3.get_bucket_tagging(Bucket="keep")["TagSet"] == _tags({"env": "prod"})
        assert s3.get_bucket_cors(Bucket="keep")["CORSRules"] == cfg["CORSRules"]
        assert s3.get_object_tagging(Bucket="keep", Key="o")["TagSet"] == _tags({"t": "1"})
        assert s3.get_object(Bucket="keep", Key="o")["Body"].read() == b"object bytes"
        assert s3.list_objects_v2(Bucket="keep")["KeyCount"] == 1
        r = requests.options(srv.endpoint + "/keep/o", timeout=10, headers={
            "Origin": "http://p.test", "Access-Control-Request-Method": "GET"})
        assert r.status_code == 200
        assert requests.get(srv.endpoint + "/_ruststack/check", timeout=10).status_code == 200

    servers = []
    try:
        for n in range(3):
            wd = tmp_path / ("run%d" % n)
            wd.mkdir()
            srv = Server(wd, extra_conf=(
                "data_dir = %s\ns3_capacity = 64m\ns3_max_object_size = 32m\n"
                "s3_max_objects = 4096\n" % data))
            servers.append(srv)
            srv.start()
            if n == 0:
                s3 = client(srv)
                s3.create_bucket(Bucket="keep")
                s3.put_bucket_tagging(Bucket="keep", Tagging={"TagSet": _tags({"env": "prod"})})
                s3.put_bucket_cors(Bucket="keep", CORSConfiguration=cfg)
                s3.put_object(Bucket="keep", Key="o", Body=b"object bytes")
                s3.put_object_tagging(Bucket="keep", Key="o", Tagging={"TagSet": _tags(
                    {"t": "1"})})
            check(srv)
            if n == 0:
                rc, _ = srv.stop()
                assert rc == 0
            elif n == 1:
                kill_tree(srv, str(data / "s3" / "lock"))
        # on the last server the bucket goes with its configuration
        s3 = client(servers[-1])
        s3.delete_object(Bucket="keep", Key="o")
        s3.delete_bucket(Bucket="keep")
        s3.create_bucket(Bucket="keep")
        assert _err(s3.get_bucket_tagging, Bucket="keep")["Error"]["Code"] == "NoSuchTagSet"
        assert requests.get(servers[-1].endpoint + "/_ruststack/check",
                            timeout=10).status_code == 200
    finally:
        for srv in servers:
            srv.close()
