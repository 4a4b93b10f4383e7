"""aws-chunked request bodies (reference/s3.md section 4): STREAMING-UNSIGNED-PAYLOAD-TRAILER
with a trailing checksum (boto3's https path, emulated), signed
STREAMING-AWS4-HMAC-SHA256-PAYLOAD, Content-Encoding handling, and the stored bytes being
exactly the decoded bytes."""

import gzip
import hashlib

import pytest

import s3util

PAYLOAD = bytes((i * 7 + 3) % 256 for i in range(150000))


def _trailer_headers(decoded_len, extra=None, encoding="aws-chunked"):
    h = {"x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
         "x-amz-trailer": "x-amz-checksum-crc32",
         "x-amz-decoded-content-length": str(decoded_len),
         "x-amz-sdk-checksum-algorithm": "CRC32"}
    if encoding:
        h["Content-Encoding"] = encoding
    h.update(extra or {})
    return h


def _get(raw, path, **hdrs):
    return raw("GET", path, headers=hdrs)


def test_unsigned_trailer_content_length(raw, bucket):
    body = s3util.unsigned_trailer_body(PAYLOAD, 65536,
                                        [("x-amz-checksum-crc32", s3util.crc32_b64(PAYLOAD))])
    r = raw("PUT", "/%s/ut" % bucket, body=body, headers=_trailer_headers(len(PAYLOAD)))
    assert r.status == 200, r
    assert r.header("ETag") == '"%s"' % hashlib.md5(PAYLOAD).hexdigest()
    assert r.header("x-amz-checksum-crc32") == s3util.crc32_b64(PAYLOAD)
    g = _get(raw, "/%s/ut" % bucket, **{"x-amz-checksum-mode": "ENABLED"})
    assert g.status == 200
    assert g.body == PAYLOAD
    assert g.header("Content-Length") == str(len(PAYLOAD))
    assert g.header("Content-Encoding") is None
    assert g.header("x-amz-checksum-crc32") == s3util.crc32_b64(PAYLOAD)


def test_unsigned_trailer_http_chunked_like_boto3_https(raw, bucket):
    """boto3 over https: Transfer-Encoding: chunked, no Content-Length, 1 MiB chunks."""
    data = bytes(range(256)) * 9000  # ~2.2 MiB
    body = s3util.unsigned_trailer_body(data, 1 << 20,
                                        [("x-amz-checksum-crc32", s3util.crc32_b64(data))])
    pieces = [body[i:i + 40000] for i in range(0, len(body), 40000)]
    r = raw("PUT", "/%s/te" % bucket, body=pieces, chunked=True,
            headers=_trailer_headers(len(data)))
    assert r.status == 200, r
    g = _get(raw, "/%s/te" % bucket)
    assert g.body == data


def test_boto3_https_path_emulated(s3_https_emulated, s3, bucket):
    data = b"over https the body is aws-chunked" * 100
    put = s3_https_emulated.put_object(Bucket=bucket, Key="https", Body=data)
    assert put["ChecksumCRC32"] == s3util.crc32_b64(data)
    got = s3.get_object(Bucket=bucket, Key="https")
    assert got["Body"].read() == data
    assert "ContentEncoding" not in got


def test_boto3_https_path_gzip_encoding(s3_https_emulated, raw, bucket):
    data = gzip.compress(b"compressed text " * 200)
    s3_https_emulated.put_object(Bucket=bucket, Key="gz", Body=data, ContentEncoding="gzip")
    g = _get(raw, "/%s/gz" % bucket)
    assert g.header("Content-Encoding") == "gzip"
    assert g.body == data


@pytest.mark.parametrize("encoding", ["gzip,aws-chunked", "aws-chunked,gzip"])
def test_aws_chunked_token_removed_from_encoding(raw, bucket, encoding):
    data = gzip.compress(b"zip me " * 100)
    body = s3util.unsigned_trailer_body(data, 100,
                                        [("x-amz-checksum-crc32", s3util.crc32_b64(data))])
    r = raw("PUT", "/%s/enc" % bucket, body=body,
            headers=_trailer_headers(len(data), encoding=encoding))
    assert r.status == 200, r
    g = _get(raw, "/%s/enc" % bucket)
    assert g.header("Content-Encoding") == "gzip"
    assert g.body == data


def test_trailer_checksum_mismatch(raw, bucket):
    raw("PUT", "/%s/bad" % bucket, body=b"before")
    body = s3util.unsigned_trailer_body(PAYLOAD, 65536,
                                        [("x-amz-checksum-crc32", s3util.crc32_b64(b"x"))])
    r = raw("PUT", "/%s/bad" % bucket, body=body, headers=_trailer_headers(len(PAYLOAD)))
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "BadDigest"
    assert e["Message"] == "The CRC32 you specified did not match the calculated checksum."
    assert _get(raw, "/%s/bad" % bucket).body == b"before"


def test_trailer_checksum_invalid_value(raw, bucket):
    body = s3util.unsigned_trailer_body(b"abc", 10, [("x-amz-checksum-crc32", "%%%")])
    r = raw("PUT", "/%s/badv" % bucket, body=body, headers=_trailer_headers(3))
    assert r.status == 400
    e = r.error()
    assert e["Code"] == "InvalidRequest"
    assert e["Message"] == "Value for x-amz-checksum-crc32 header is invalid."


def test_trailer_sha256(raw, bucket):
    data = b"sha trailer"
    body = s3util.unsigned_trailer_body(data, 4, [("x-amz-checksum-sha256",
                                                   s3util.sha256_b64(data))])
    r = raw("PUT", "/%s/sha" % bucket, body=body, headers=_trailer_headers(
        len(data), extra={"x-amz-trailer": "x-amz-checksum-sha256",
                          "x-amz-sdk-checksum-algorithm": "SHA256"}))
    assert r.status == 200, r
    g = _get(raw, "/%s/sha" % bucket, **{"x-amz-checksum-mode": "ENABLED"})
    assert g.body == data
    assert g.header("x-amz-checksum-sha256") == s3util.sha256_b64(data)


def test_missing_decoded_length_is_411(raw, bucket):
    body = s3util.unsigned_trailer_body(b"abc", 10,
                                        [("x-amz-checksum-crc32", s3util.crc32_b64(b"abc"))])
    h = _trailer_headers(3)
    del h["x-amz-decoded-content-length"]
    r = raw("PUT", "/%s/nolen" % bucket, body=body, headers=h)
    assert r.status == 411
    assert r.error()["Code"] == "MissingContentLength"
    assert raw("HEAD", "/%s/nolen" % bucket).status == 404


def test_decoded_length_mismatch_rejected(raw, bucket):
    body = s3util.unsigned_trailer_body(b"abcdef", 10,
                                        [("x-amz-checksum-crc32", s3util.crc32_b64(b"abcdef"))])
    r = raw("PUT", "/%s/mis" % bucket, body=body, headers=_trailer_headers(10))
    assert r.status == 400
    assert raw("HEAD", "/%s/mis" % bucket).status == 404


def test_empty_object_unsigned_trailer(raw, bucket):
    body = s3util.unsigned_trailer_body(b"", 10, [("x-amz-checksum-crc32", "AAAAAA==")])
    r = raw("PUT", "/%s/empty" % bucket, body=body, headers=_trailer_headers(0))
    assert r.status == 200, r
    g = _get(raw, "/%s/empty" % bucket)
    assert (g.status, g.body, g.header("Content-Length")) == (200, b"", "0")


@pytest.mark.parametrize("with_encoding", [True, False])
def test_signed_streaming_payload(raw, port, bucket, with_encoding):
    data = PAYLOAD[:70000]
    path = "/%s/signed" % bucket
    headers = {"Host": "127.0.0.1:%d" % port,
               "x-amz-decoded-content-length": str(len(data))}
    if with_encoding:
        headers["Content-Encoding"] = "aws-chunked"
    chunk = 65536
    nchunks = (len(data) + chunk - 1) // chunk
    # encoded length: each chunk "<hex>;chunk-signature=<64>\r\n<data>\r\n" plus final
    enc_len = 0
    for i in range(nchunks):
        n = min(chunk, len(data) - i * chunk)
        enc_len += len("%x" % n) + 17 + 64 + 2 + n + 2
    enc_len += 1 + 17 + 64 + 2 + 2
    headers["Content-Length"] = str(enc_len)
    headers, seed, amz_date, scope = s3util.sigv4_sign(
        "PUT", path, headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    body = s3util.signed_chunked_body(data, chunk, seed, amz_date, scope)
    assert len(body) == enc_len
    r = raw("PUT", path, headers=headers, body=body)
    assert r.status == 200, r
    assert r.header("ETag") == '"%s"' % hashlib.md5(data).hexdigest()
    g = _get(raw, path)
    assert g.body == data
    assert g.header("Content-Encoding") is None


def test_signed_streaming_gzip_encoding(raw, port, bucket):
    data = gzip.compress(b"signed and gzipped " * 50)
    path = "/%s/signed-gz" % bucket
    headers = {"Host": "127.0.0.1:%d" % port, "Content-Encoding": "gzip,aws-chunked",
               "x-amz-decoded-content-length": str(len(data))}
    headers, seed, amz_date, scope = s3util.sigv4_sign(
        "PUT", path, headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    body = s3util.signed_chunked_body(data, 100, seed, amz_date, scope)
    r = raw("PUT", path, headers=headers, body=body)
    assert r.status == 200, r
    g = _get(raw, path)
    assert g.header("Content-Encoding") == "gzip"
    assert g.body == data


def test_unsigned_stream_without_trailer(raw, bucket):
    data = b"no trailer at all"
    body = s3util.unsigned_trailer_body(data, 5, [])
    h = _trailer_headers(len(data))
    del h["x-amz-trailer"]
    del h["x-amz-sdk-checksum-algorithm"]
    r = raw("PUT", "/%s/notrailer" % bucket, body=body, headers=h)
    assert r.status == 200, r
    g = _get(raw, "/%s/notrailer" % bucket, **{"x-amz-checksum-mode": "ENABLED"})
    assert g.body == data
    assert g.header("x-amz-checksum-crc64nvme") == s3util.crc64nvme_b64(data)


def test_encoding_without_the_token_kept_as_sent(s3, raw, bucket):
    """A Content-Encoding with no aws-chunked token comes back exactly as sent (it used to
    lose its spaces: "deflate, gzip" -> "deflate,gzip")."""
    s3.put_object(Bucket=bucket, Key="enc", Body=b"x", ContentEncoding="deflate, gzip")
    assert s3.head_object(Bucket=bucket, Key="enc")["ContentEncoding"] == "deflate, gzip"
    assert _get(raw, "/%s/enc" % bucket).header("Content-Encoding") == "deflate, gzip"
