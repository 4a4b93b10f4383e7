"""Path-style and virtual-hosted addressing on one port (reference/s3.md section 6):
`<bucket>.localhost:PORT`, `<bucket>.s3.localhost.localstack.cloud:PORT`; `localhost:PORT`
and `127.0.0.1:PORT` are never buckets."""

import pytest

import s3util


def test_path_style_boto3(s3):
    s3.create_bucket(Bucket="path-style")
    s3.put_object(Bucket="path-style", Key="k/1", Body=b"p")
    assert s3.get_object(Bucket="path-style", Key="k/1")["Body"].read() == b"p"


def test_virtual_hosted_boto3(s3_virtual, s3):
    s3_virtual.create_bucket(Bucket="vhost-bucket")
    s3_virtual.put_object(Bucket="vhost-bucket", Key="dir/obj.txt", Body=b"virtual")
    assert s3_virtual.get_object(Bucket="vhost-bucket", Key="dir/obj.txt")["Body"].read() \
        == b"virtual"
    assert [c["Key"] for c in s3_virtual.list_objects_v2(Bucket="vhost-bucket")["Contents"]] \
        == ["dir/obj.txt"]
    # the same object through path-style
    assert s3.get_object(Bucket="vhost-bucket", Key="dir/obj.txt")["Body"].read() == b"virtual"
    s3_virtual.delete_object(Bucket="vhost-bucket", Key="dir/obj.txt")
    s3_virtual.delete_bucket(Bucket="vhost-bucket")
    assert "vhost-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_virtual_host_raw(raw, port, s3):
    host = "rawv.localhost:%d" % port
    assert raw("PUT", "/", host=host).status == 200
    assert raw("PUT", "/a/b.txt", host=host, body=b"vh").status == 200
    assert s3.get_object(Bucket="rawv", Key="a/b.txt")["Body"].read() == b"vh"
    g = raw("GET", "/a/b.txt", host=host)
    assert (g.status, g.body) == (200, b"vh")
    lst = raw("GET", "/?list-type=2", host=host)
    assert lst.status == 200
    root = lst.xml()
    assert s3util.text(root, "Name") == "rawv"
    assert s3util.texts(root, "Contents/Key") == ["a/b.txt"]
    assert raw("HEAD", "/", host=host).status == 200
    missing = raw("GET", "/nokey", host=host)
    assert missing.status == 404
    assert missing.error()["Key"] == "nokey"


def test_virtual_host_without_port(raw, s3):
    s3.create_bucket(Bucket="noport")
    s3.put_object(Bucket="noport", Key="k", Body=b"np")
    g = raw("GET", "/k", host="noport.localhost")
    assert (g.status, g.body) == (200, b"np")


def test_virtual_host_dotted_bucket(raw, port, s3):
    s3.create_bucket(Bucket="my.dotted.bucket")
    s3.put_object(Bucket="my.dotted.bucket", Key="k", Body=b"dots")
    g = raw("GET", "/k", host="my.dotted.bucket.localhost:%d" % port)
    assert (g.status, g.body) == (200, b"dots")


def test_virtual_host_localstack_style(raw, port, s3):
    s3.create_bucket(Bucket="ls-style")
    s3.put_object(Bucket="ls-style", Key="k", Body=b"ls")
    g = raw("GET", "/k", host="ls-style.s3.localhost.localstack.cloud:%d" % port)
    assert (g.status, g.body) == (200, b"ls")


def test_virtual_host_missing_bucket(raw, port):
    r = raw("GET", "/k", host="ghost-bucket.localhost:%d" % port)
    assert r.status == 404
    e = r.error()
    assert e["Code"] == "NoSuchBucket"
    assert e["BucketName"] == "ghost-bucket"


@pytest.mark.parametrize("host_fmt", ["localhost:%d", "127.0.0.1:%d", "localhost",
                                      "127.0.0.1", "s3.localhost.localstack.cloud:%d",
                                      "s3.amazonaws.com"])
def test_service_hosts_are_never_buckets(raw, port, s3, host_fmt):
    s3.create_bucket(Bucket="listed-bucket")
    host = host_fmt % port if "%d" in host_fmt else host_fmt
    r = raw("GET", "/", host=host)
    assert r.status == 200, r
    root = r.xml()
    assert root.tag == "ListAllMyBucketsResult"
    assert s3util.texts(root, "Buckets/Bucket/Name") == ["listed-bucket"]
    # and path-style works through that host
    s3.put_object(Bucket="listed-bucket", Key="k", Body=b"x")
    g = raw("GET", "/listed-bucket/k", host=host)
    assert (g.status, g.body) == (200, b"x")


def test_presigned_url_virtual_host(s3_virtual, raw, s3, port):
    import urllib.parse
    s3.create_bucket(Bucket="vh-presign")
    s3.put_object(Bucket="vh-presign", Key="f.txt", Body=b"vh presigned")
    url = s3_virtual.generate_presigned_url("get_object",
                                            Params={"Bucket": "vh-presign", "Key": "f.txt"})
    parts = urllib.parse.urlsplit(url)
    assert parts.netloc == "vh-presign.localhost:%d" % port
    r = raw("GET", parts.path + "?" + parts.query, host=parts.netloc, anon=True)
    assert (r.status, r.body) == (200, b"vh presigned")
