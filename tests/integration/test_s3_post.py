"""S3 POST object (browser-based uploads): boto3's generate_presigned_post (SigV4 and SigV2)
posted with `requests` and with `curl -F`; the policy enforced (expiration, eq,
starts-with, content-length-range, bucket, extra fields) with AWS's error codes and texts;
${filename}; metadata, content type, tags, storage class and checksum fields stored;
success_action_status 200/201/204 and success_action_redirect; CORS headers on the
response; virtual-hosted POST /; and, on a second server with auth_verify on, good and bad
signatures. Runs in: the pytest process."""

import base64
import datetime
import hashlib
import json
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

import boto3
import pytest
import requests
from botocore.config import Config

from conftest import Server, make_client

AK, SK, ACCOUNT = "AKIDPOST", "post-secret", "444455556666"


def err(r):
    root = ET.fromstring(r.content)
    return {child.tag: child.text for child in root}


def post(url, fields, data=b"hello world", filename="hello.txt", extra_after=None, **kw):
    files = [(k, (None, v)) for k, v in fields.items()]
    files.append(("file", (filename, data, "application/octet-stream")))
    for k, v in (extra_after or {}).items():
        files.append((k, (None, v)))
    return requests.post(url, files=files, timeout=10, **kw)


@pytest.fixture(params=["s3v4", "s3"])
def signer(request, endpoint):
    return make_client(endpoint, signature_version=request.param)


def test_presigned_post_stores_object_with_metadata(s3, signer, bucket):
    p = signer.generate_presigned_post(
        bucket, "up/a.txt",
        Fields={"Content-Type": "text/plain", "x-amz-meta-owner": "alice",
                "Cache-Control": "max-age=60", "Content-Disposition": "inline"},
        Conditions=[{"Content-Type": "text/plain"}, {"x-amz-meta-owner": "alice"},
                    ["starts-with", "$Cache-Control", "max-age"],
                    {"Content-Disposition": "inline"}], ExpiresIn=300)
    r = post(p["url"], p["fields"], data=b"\r\n--not a boundary\r\n\x00\xff" * 1000)
    assert r.status_code == 204, r.text
    assert r.content == b""
    md5 = hashlib.md5(b"\r\n--not a boundary\r\n\x00\xff" * 1000).hexdigest()
    assert r.headers["ETag"] == '"%s"' % md5
    assert r.headers["Location"].endswith("/%s/up/a.txt" % bucket)
    o = s3.get_object(Bucket=bucket, Key="up/a.txt")
    assert o["Body"].read() == b"\r\n--not a boundary\r\n\x00\xff" * 1000
    assert o["ContentType"] == "text/plain"
    assert o["Metadata"] == {"owner": "alice"}
    assert o["CacheControl"] == "max-age=60"
    assert o["ContentDisposition"] == "inline"
    assert o["ETag"] == '"%s"' % md5


def test_default_content_type_and_fields_after_file_ignored(s3, signer, bucket):
    p = signer.generate_presigned_post(bucket, "k1")
    r = post(p["url"], p["fields"], extra_after={"x-amz-meta-late": "x", "key": "other"})
    assert r.status_code == 204, r.text
    o = s3.get_object(Bucket=bucket, Key="k1")
    assert o["ContentType"] == "binary/octet-stream"
    assert o["Metadata"] == {}
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="other")


def test_filename_substitution(s3, signer, bucket):
    p = signer.generate_presigned_post(bucket, "uploads/${filename}")
    assert ["starts-with", "$key", "uploads/"] in json.loads(
        base64.b64decode(p["fields"]["policy"]))["conditions"]
    r = post(p["url"], p["fields"], data=b"pic", filename="photo 1.png")
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="uploads/photo 1.png")["Body"].read() == b"pic"


def test_success_action_status_201_200_and_redirect(s3, signer, bucket):
    p = signer.generate_presigned_post(bucket, "s201", Fields={"success_action_status": "201"},
                                       Conditions=[{"success_action_status": "201"}])
    r = post(p["url"], p["fields"], data=b"abc")
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"] == "application/xml"
    doc = err(r)
    etag = '"%s"' % hashlib.md5(b"abc").hexdigest()
    assert doc["Bucket"] == bucket and doc["Key"] == "s201" and doc["ETag"] == etag
    assert doc["Location"].endswith("/%s/s201" % bucket)
    p = signer.generate_presigned_post(bucket, "s200", Fields={"success_action_status": "200"},
                                       Conditions=[{"success_action_status": "200"}])
    r = post(p["url"], p["fields"])
    assert r.status_code == 200 and r.content == b""
    target = "http://app.example/done?x=1"
    p = signer.generate_presigned_post(bucket, "dir/r k", Fields={"success_action_redirect": target},
                                       Conditions=[{"success_action_redirect": target}])
    r = post(p["url"], p["fields"], data=b"abc", allow_redirects=False)
    assert r.status_code == 303, r.text
    loc = urllib.parse.urlsplit(r.headers["Location"])
    assert loc.netloc == "app.example" and loc.path == "/done"
    q = urllib.parse.parse_qs(loc.query)
    assert q == {"x": ["1"], "bucket": [bucket], "key": ["dir/r k"], "etag": [etag]}
    assert s3.head_object(Bucket=bucket, Key="dir/r k")["ContentLength"] == 3


def test_tagging_storage_class_and_checksum_fields(s3, signer, bucket):
    tagging = ("<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet>"
               "</Tagging>")
    ck = base64.b64encode(hashlib.sha256(b"hello world").digest()).decode()
    p = signer.generate_presigned_post(
        bucket, "tagged", Fields={"tagging": tagging, "x-amz-storage-class": "STANDARD_IA",
                                  "x-amz-checksum-sha256": ck},
        Conditions=[{"tagging": tagging}, {"x-amz-storage-class": "STANDARD_IA"},
                    {"x-amz-checksum-sha256": ck}])
    r = post(p["url"], p["fields"])
    assert r.status_code == 204, r.text
    assert r.headers["x-amz-checksum-sha256"] == ck
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [
        {"Key": "team", "Value": "web"}]
    h = s3.head_object(Bucket=bucket, Key="tagged", ChecksumMode="ENABLED")
    assert h["StorageClass"] == "STANDARD_IA" and h["ChecksumSHA256"] == ck
    bad = dict(p["fields"])
    r = post(p["url"], bad, data=b"other bytes")
    assert r.status_code == 400 and err(r)["Code"] == "BadDigest"
    p = signer.generate_presigned_post(bucket, "t2", Fields={"tagging": "not xml"},
                                       Conditions=[{"tagging": "not xml"}])
    r = post(p["url"], p["fields"])
    assert r.status_code == 400 and err(r)["Code"] == "MalformedXML"
    p = signer.generate_presigned_post(bucket, "t3", Fields={"x-amz-storage-class": "FakeClass"},
                                       Conditions=[{"x-amz-storage-class": "FakeClass"}])
    r = post(p["url"], p["fields"])
    assert r.status_code == 400 and err(r)["Code"] == "InvalidStorageClass"
    assert err(r)["StorageClassRequested"] == "FakeClass"


def test_policy_conditions_fail_with_aws_texts(s3, signer, bucket):
    p = signer.generate_presigned_post(bucket, "user/42/${filename}",
                                       Conditions=[["starts-with", "$key", "user/42/"]])
    f = dict(p["fields"], key="user/43/x")
    r = post(p["url"], f)
    assert r.status_code == 403
    e = err(r)
    assert e["Code"] == "AccessDenied"
    assert e["Message"] == ('Invalid according to Policy: Policy Condition failed: '
                            '["starts-with", "$key", "user/42/"]')
    p = signer.generate_presigned_post(bucket, "k", Fields={"x-amz-meta-a": "1"},
                                       Conditions=[["eq", "$x-amz-meta-a", "1"]])
    r = post(p["url"], dict(p["fields"], **{"x-amz-meta-a": "2"}))
    assert err(r)["Message"] == ('Invalid according to Policy: Policy Condition failed: '
                                 '["eq", "$x-amz-meta-a", "1"]')
    p = signer.generate_presigned_post(bucket, "k")
    r = post(p["url"], dict(p["fields"], **{"x-amz-meta-note": "hi"}))
    assert r.status_code == 403
    assert err(r)["Message"] == "Invalid according to Policy: Extra input fields: x-amz-meta-note"
    # exempt fields need no condition
    r = post(p["url"], dict(p["fields"], **{"x-ignore-me": "1"}))
    assert r.status_code == 204, r.text
    # the bucket condition is the bucket posted to
    s3.create_bucket(Bucket="other-bucket")
    r = post(p["url"].replace(bucket, "other-bucket"), p["fields"])
    assert r.status_code == 403
    assert err(r)["Message"].startswith(
        'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", ')


def test_content_length_range(signer, bucket):
    p = signer.generate_presigned_post(bucket, "sized",
                                       Conditions=[["content-length-range", 5, 10]])
    r = post(p["url"], p["fields"], data=b"x" * 12)
    e = err(r)
    assert r.status_code == 400 and e["Code"] == "EntityTooLarge"
    assert e["Message"] == "Your proposed upload exceeds the maximum allowed size"
    assert e["ProposedSize"] == "12" and e["MaxSizeAllowed"] == "10"
    r = post(p["url"], p["fields"], data=b"x")
    e = err(r)
    assert r.status_code == 400 and e["Code"] == "EntityTooSmall"
    assert e["Message"] == "Your proposed upload is smaller than the minimum allowed size"
    assert e["ProposedSize"] == "1" and e["MinSizeAllowed"] == "5"
    assert post(p["url"], p["fields"], data=b"x" * 7).status_code == 204
    p = signer.generate_presigned_post(bucket, "sized",
                                       Conditions=[["content-length-range", "test", 10]])
    r = post(p["url"], p["fields"])
    assert err(r)["Message"] == ('Invalid according to Policy: Policy Condition failed: '
                                 '["content-length-range", "test", "10"]')


def test_expired_policy(signer, bucket):
    p = signer.generate_presigned_post(bucket, "late", ExpiresIn=-60)
    r = post(p["url"], p["fields"])
    assert r.status_code == 403
    assert err(r)["Message"] == "Invalid according to Policy: Policy expired."


def _policy(doc):
    return base64.b64encode(json.dumps(doc).encode()).decode()


def test_invalid_policy_documents(endpoint, bucket):
    url = "%s/%s" % (endpoint, bucket)
    base = {"key": "k", "AWSAccessKeyId": "test", "signature": "c2ln"}
    future = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")
    cases = [
        ("not-base64!", "Invalid Policy: invalid Base64 encoding."),
        (base64.b64encode(b"{nope").decode(), "Invalid Policy: Invalid JSON."),
        (_policy({"conditions": []}), "Invalid Policy: Policy missing expiration."),
        (_policy({"expiration": "tomorrow", "conditions": []}),
         "Invalid Policy: Invalid 'expiration' value: 'tomorrow'"),
        (_policy({"expiration": future}), "Invalid Policy: Policy missing conditions."),
        (_policy({"expiration": future, "conditions": {}}),
         "Invalid Policy: Invalid 'conditions' value: must be a List."),
        (_policy({"expiration": future, "conditions": [{"key": "k", "bucket": bucket}]}),
         "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
         "property specified."),
        (_policy({"expiration": future, "conditions": [["matches", "$key", "k"]]}),
         "Invalid Policy: Invalid Condition: unknown operation 'matches'."),
        (_policy({"expiration": future, "conditions": [["eq", "$key"]]}),
         "Invalid Policy: Invalid eq: wrong number of arguments."),
    ]
    for policy, message in cases:
        r = post(url, dict(base, policy=policy))
        assert r.status_code == 400, (policy, r.text)
        assert err(r)["Code"] == "InvalidPolicyDocument"
        assert err(r)["Message"] == message


def test_missing_fields_and_malformed_requests(endpoint, signer, bucket):
    url = "%s/%s" % (endpoint, bucket)
    p = signer.generate_presigned_post(bucket, "k")
    f = dict(p["fields"])
    del f["key"]
    r = post(p["url"], f)
    e = err(r)
    assert r.status_code == 400 and e["Code"] == "InvalidArgument"
    assert e["Message"] == ("Bucket POST must contain a field named 'key'.  If it is "
                            "specified, please check the order of the fields.")
    assert e["ArgumentName"] == "key"
    # the key after the file does not count
    r = post(p["url"], f, extra_after={"key": "k"})
    assert err(r)["ArgumentName"] == "key"
    sig = "x-amz-signature" if "x-amz-signature" in p["fields"] else "signature"
    shown = "X-Amz-Signature" if sig == "x-amz-signature" else "Signature"
    f = dict(p["fields"])
    del f[sig]
    r = post(p["url"], f)
    assert r.status_code == 400
    assert err(r)["Message"] == ("Bucket POST must contain a field named '%s'.  If it is "
                                 "specified, please check the order of the fields." % shown)
    assert err(r)["ArgumentName"] == shown
    # a policy without any signature field
    r = post(url, {"key": "k", "policy": p["fields"]["policy"]})
    assert r.status_code == 403 and err(r)["Code"] == "AccessDenied"
    # no file
    r = requests.post(url, files=[("key", (None, "k"))], timeout=10)
    assert r.status_code == 400 and err(r)["Code"] == "IncorrectNumberOfFilesInPostRequest"
    # not multipart/form-data
    r = requests.post(url, data={"key": "k"}, timeout=10)
    e = err(r)
    assert r.status_code == 412 and e["Code"] == "PreconditionFailed"
    assert e["Condition"] == "Bucket POST must be of the enclosure-type multipart/form-data"
    # a body cut short
    body = (b"--b\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--b\r\n"
            b"Content-Disposition: form-data; name=\"file\"\r\n\r\nabc")
    r = requests.post(url, data=body, headers={"Content-Type": "multipart/form-data; boundary=b"},
                      timeout=10)
    assert r.status_code == 400 and err(r)["Code"] == "MalformedPOSTRequest"
    # fields before the file over 20 KB
    r = post(url, {"key": "k", "x-ignore-pad": "p" * 21000})
    assert r.status_code == 400 and err(r)["Code"] == "MaxPostPreDataLengthExceededError"
    # a bucket that does not exist
    r = post("%s/no-such-bucket-here" % endpoint, {"key": "k"})
    assert r.status_code == 404 and err(r)["Code"] == "NoSuchBucket"


def test_anonymous_form_without_policy_is_accepted(s3, endpoint, bucket):
    r = post("%s/%s" % (endpoint, bucket), {"KEY": "anon/${filename}",
                                             "content-type": "image/png"}, filename="i.png")
    assert r.status_code == 204, r.text
    assert s3.head_object(Bucket=bucket, Key="anon/i.png")["ContentType"] == "image/png"


def test_curl_form_upload(s3, signer, bucket, tmp_path):
    src = tmp_path / "data.bin"
    payload = bytes(range(256)) * 40
    src.write_bytes(payload)
    p = signer.generate_presigned_post(bucket, "curl/${filename}",
                                       Fields={"success_action_status": "201"},
                                       Conditions=[{"success_action_status": "201"}])
    args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}"]
    for k, v in p["fields"].items():
        args += ["-F", "%s=%s" % (k, v)]
    args += ["-F", "file=@%s" % src, p["url"]]
    out = subprocess.run(args, capture_output=True, check=True, timeout=30).stdout
    body, code = out.rsplit(b"\n", 1)
    assert code == b"201", out
    assert ET.fromstring(body).find("Key").text == "curl/data.bin"
    assert s3.get_object(Bucket=bucket, Key="curl/data.bin")["Body"].read() == payload


def test_cors_headers_on_post_response(s3, signer, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["http://app.example"], "AllowedMethods": ["POST"],
        "ExposeHeaders": ["ETag", "Location"]}]})
    p = signer.generate_presigned_post(bucket, "cors-k")
    r = post(p["url"], p["fields"], headers={"Origin": "http://app.example"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert "ETag" in r.headers["Access-Control-Expose-Headers"]
    r = post(p["url"], p["fields"], headers={"Origin": "http://evil.example"})
    assert r.status_code == 204 and "Access-Control-Allow-Origin" not in r.headers


def test_virtual_hosted_post(s3, port, bucket):
    r = post("http://127.0.0.1:%d/" % port, {"key": "vh.txt"},
             headers={"Host": "%s.localhost:%d" % (bucket, port)}, data=b"vh")
    assert r.status_code == 204, r.text
    assert r.headers["Location"] == "http://%s.localhost:%d/vh.txt" % (bucket, port)
    assert s3.get_object(Bucket=bucket, Key="vh.txt")["Body"].read() == b"vh"


# ---- auth_verify = on ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def vserver(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("postverify"), workers=1,
                 extra_conf="auth_verify = on\ncredentials = %s:%s:%s\n" % (AK, SK, ACCOUNT))
    srv.start()
    yield srv
    rc, leftover = srv.stop()
    assert rc == 0 and not leftover


def vclient(srv, key=AK, secret=SK, sig="s3v4"):
    return boto3.session.Session().client(
        "s3", endpoint_url=srv.endpoint, region_name="us-east-1", aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(signature_version=sig, retries={"mode": "standard", "max_attempts": 1}))


@pytest.mark.parametrize("sig", ["s3v4", "s3"])
def test_verified_signatures(vserver, sig):
    good = vclient(vserver)
    try:
        good.create_bucket(Bucket="post-verify")
    except good.exceptions.BucketAlreadyOwnedByYou:
        pass
    p = vclient(vserver, sig=sig).generate_presigned_post("post-verify", "ok-%s" % sig)
    r = post(p["url"], p["fields"], data=b"signed")
    assert r.status_code == 204, r.text
    assert good.get_object(Bucket="post-verify", Key="ok-%s" % sig)["Body"].read() == b"signed"
    bad = vclient(vserver, secret="wrong", sig=sig).generate_presigned_post("post-verify", "no")
    r = post(bad["url"], bad["fields"])
    e = err(r)
    assert r.status_code == 403 and e["Code"] == "SignatureDoesNotMatch", r.text
    assert e["AWSAccessKeyId"] == AK and e["StringToSign"] == bad["fields"]["policy"]
    # a policy changed after signing
    f = dict(p["fields"], policy=_policy({"expiration": "2099-01-01T00:00:00Z",
                                          "conditions": [["starts-with", "$key", ""]]}))
    r = post(p["url"], f)
    assert r.status_code == 403 and err(r)["Code"] == "SignatureDoesNotMatch"
    unknown = vclient(vserver, key="AKIDNOBODY", sig=sig).generate_presigned_post(
        "post-verify", "no")
    r = post(unknown["url"], unknown["fields"])
    assert r.status_code == 403 and err(r)["Code"] == "InvalidAccessKeyId"
    assert "Contents" not in good.list_objects_v2(Bucket="post-verify", Prefix="no")


def test_fields_that_cannot_become_headers_are_refused(s3, endpoint, bucket):
    url = "%s/%s" % (endpoint, bucket)
    for fields in ({"key": "h1", "Content-Type": "text/plain\r\nX-Injected: 1"},
                   {"key": "h2", "Cache-Control": "a\x00b"},
                   {"key": "h3", "x-amz-meta-a b": "v"},
                   {"key": "h4", "x-amz-meta-a:b": "v"}):
        r = post(url, fields)
        assert r.status_code == 400 and err(r)["Code"] == "InvalidArgument", (fields, r.text)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="h")
    # non-ASCII metadata is kept and comes back encoded, as for PutObject
    r = post(url, {"key": "h5", "x-amz-meta-city": "Zürich\tx"})
    assert r.status_code == 204, r.text
    assert s3.head_object(Bucket=bucket, Key="h5")["Metadata"]["city"] == (
        "=?UTF-8?B?%s?=" % base64.b64encode("Zürich\tx".encode()).decode())


def test_redirect_that_is_no_url_falls_back_to_the_status(s3, endpoint, bucket):
    url = "%s/%s" % (endpoint, bucket)
    for target in ("ftp://x.example/", "http://x.example/\r\nSet-Cookie: a=b", "/relative"):
        r = post(url, {"key": "rd", "success_action_redirect": target,
                       "success_action_status": "200"}, allow_redirects=False)
        assert r.status_code == 200, (target, r.status_code)
        assert "Set-Cookie" not in r.headers
        assert r.headers["Location"].endswith("/%s/rd" % bucket)


def test_anonymous_form_refused_with_auth_verify(vserver):
    good = vclient(vserver)
    try:
        good.create_bucket(Bucket="post-verify")
    except good.exceptions.BucketAlreadyOwnedByYou:
        pass
    r = post("%s/post-verify" % vserver.endpoint, {"key": "anon-form"}, data=b"x")
    e = err(r)
    assert r.status_code == 403 and e["Code"] == "AccessDenied", r.text
    assert e["Message"] == "Access Denied"
    assert "Contents" not in good.list_objects_v2(Bucket="post-verify", Prefix="anon-form")
