"""response-* query overrides on GetObject / HeadObject, through presigned URLs (SigV2
default and SigV4) and boto3 parameters (reference/s3.md section 3.2)."""

import pytest
import requests

OVERRIDES = {
    "ResponseContentType": ("Content-Type", "application/x-custom"),
    "ResponseContentDisposition": ("Content-Disposition",
                                   'attachment; filename="report 2026.csv"'),
    "ResponseCacheControl": ("Cache-Control", "no-store"),
    "ResponseContentLanguage": ("Content-Language", "fr-CA"),
    "ResponseExpires": ("Expires", "Wed, 21 Oct 2037 07:28:00 GMT"),
    "ResponseContentEncoding": ("Content-Encoding", "identity"),
}


@pytest.fixture
def obj(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc.csv", Body=b"a,b\n1,2\n", ContentType="text/csv")
    return {"Bucket": bucket, "Key": "doc.csv"}


@pytest.mark.parametrize("client_name", ["s3", "s3_v4"])
def test_presigned_get_with_overrides(request, obj, client_name):
    client = request.getfixturevalue(client_name)
    params = dict(obj)
    for p, (_, v) in OVERRIDES.items():
        params[p] = v
    url = client.generate_presigned_url("get_object", Params=params, ExpiresIn=300)
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.content == b"a,b\n1,2\n"
    for _, (header, value) in OVERRIDES.items():
        assert r.headers.get(header) == value, header


def test_presigned_disposition_only(s3_v4, obj):
    url = s3_v4.generate_presigned_url(
        "get_object", Params=dict(obj, ResponseContentDisposition="attachment; filename=x.csv"),
        ExpiresIn=60)
    r = requests.get(url, timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == "attachment; filename=x.csv"
    assert r.headers["Content-Type"] == "text/csv"


def test_get_object_response_content_type(s3, obj):
    r = s3.get_object(ResponseContentType="text/plain; charset=utf-8", **obj)
    assert r["ContentType"] == "text/plain; charset=utf-8"
    assert r["Body"].read() == b"a,b\n1,2\n"
    # the stored value is unchanged
    assert s3.head_object(**obj)["ContentType"] == "text/csv"


def test_head_object_response_overrides(s3, obj):
    r = s3.head_object(ResponseContentType="image/png", ResponseCacheControl="max-age=5", **obj)
    assert r["ContentType"] == "image/png"
    assert r["CacheControl"] == "max-age=5"


def test_override_on_range_request(s3, obj):
    r = s3.get_object(Range="bytes=0-2", ResponseContentType="text/x-part", **obj)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["ContentType"] == "text/x-part"
    assert r["Body"].read() == b"a,b"
