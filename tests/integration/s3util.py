"""Helpers for the S3 integration tests: raw HTTP requests with exact control of the path,
Host header and body; XML parsing of S3 error and result bodies; SigV4 signing for raw
requests (header auth and aws-chunked chunk signatures); CRC32 / CRC32C / CRC64NVME and
aws-chunked body encoders. Runs in: the pytest process (no server code here)."""

import base64
import binascii
import datetime
import hashlib
import hmac
import http.client
import re
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
REQUEST_ID_RE = re.compile(r"^[A-Z0-9]{16}$")
ISO_MS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


# ---- raw HTTP ---------------------------------------------------------------------------

class RawResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage: case-insensitive get()
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    def xml(self):
        return parse_xml(self.body)

    def error(self):
        return parse_error(self.body)

    def __repr__(self):
        return "RawResponse(%d %s, %r)" % (self.status, self.reason, self.body[:400])


def raw_request(port, method, path, headers=None, body=None, host=None, chunked=False,
                timeout=30):
    """Send one request with http.client; `path` is sent byte-exact (already encoded).
    `body` may be bytes or, with chunked=True, an iterable of byte chunks sent with
    Transfer-Encoding: chunked."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        lower = {k.lower() for k in hdrs}
        if "host" not in lower:
            hdrs["Host"] = host or ("127.0.0.1:%d" % port)
        if chunked:
            if "transfer-encoding" not in lower:
                hdrs["Transfer-Encoding"] = "chunked"
        elif body is not None and "content-length" not in lower:
            hdrs["Content-Length"] = str(len(body))
        elif body is None and method in ("PUT", "POST") and "content-length" not in lower:
            hdrs["Content-Length"] = "0"
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders()
        if chunked:
            for piece in body:
                if piece:
                    conn.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        elif body:
            conn.send(body)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, resp.reason, resp.msg, data)
    finally:
        conn.close()


def quote_key(key):
    """Percent-encode an object key like botocore does (safe chars '/~')."""
    return urllib.parse.quote(key, safe="/~")


# ---- XML ----------------------------------------------------------------------------------

def _strip_ns(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def parse_xml(body):
    root = ET.fromstring(body)
    for el in root.iter():
        el.tag = _strip_ns(el.tag)
    return root


def parse_error(body):
    """An S3 error body as {'_root': tag, '_order': [child tags], child: text, ...}."""
    root = ET.fromstring(body)
    out = {"_root": root.tag, "_order": []}
    for child in root:
        out["_order"].append(child.tag)
        out[child.tag] = child.text if child.text is not None else ""
    return out


def texts(root, path):
    return [el.text if el.text is not None else "" for el in root.findall(path)]


def text(root, path):
    el = root.find(path)
    if el is None:
        return None
    return el.text if el.text is not None else ""


# ---- digests -----------------------------------------------------------------------------

def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32_b64(data):
    return base64.b64encode((zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")).decode()


def _make_table(poly, width):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c & ((1 << width) - 1))
    return table


_CRC32C_TABLE = _make_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _make_table(0x9A6C9329AC4BC9B5, 64)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc32c_b64(data):
    return base64.b64encode(crc32c(data).to_bytes(4, "big")).decode()


def crc64nvme(data):
    c = 0xFFFFFFFFFFFFFFFF
    for b in data:
        c = _CRC64NVME_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFFFFFFFFFF


def crc64nvme_b64(data):
    return base64.b64encode(crc64nvme(data).to_bytes(8, "big")).decode()


def sha1_b64(data):
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def sha256_b64(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888


# ---- SigV4 (header auth and aws-chunked chunk signatures) --------------------------------

def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region, service="s3"):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def _canonical_query(query):
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        k, _, v = part.partition("=")
        k = urllib.parse.quote(urllib.parse.unquote(k), safe="-_.~")
        v = urllib.parse.quote(urllib.parse.unquote(v), safe="-_.~")
        pairs.append((k, v))
    pairs.sort()
    return "&".join("%s=%s" % kv for kv in pairs)


def sigv4_sign(method, path, headers, payload_hash, region="us-east-1",
               access_key="test", secret="test", now=None):
    """Add x-amz-date, x-amz-content-sha256 and Authorization to `headers` (a dict whose
    keys are sent as given; must include Host). `path` is the raw path with query.
    Returns (headers, seed_signature, amz_date, scope)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    headers = dict(headers)
    headers["x-amz-date"] = amz_date
    headers["x-amz-content-sha256"] = payload_hash
    raw_path, _, query = path.partition("?")
    lowered = {}
    for k, v in headers.items():
        lowered[k.lower()] = " ".join(str(v).strip().split())
    signed = sorted(lowered)
    canonical_headers = "".join("%s:%s\n" % (k, lowered[k]) for k in signed)
    signed_headers = ";".join(signed)
    creq = "\n".join([method, raw_path, _canonical_query(query), canonical_headers,
                      signed_headers, payload_hash])
    scope = "%s/%s/s3/aws4_request" % (date, region)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    key = signing_key(secret, date, region)
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (access_key, scope, signed_headers, sig))
    return headers, sig, amz_date, scope


def signed_chunked_body(data, chunk_size, seed_sig, amz_date, scope, secret="test",
                        region="us-east-1"):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD body for `data`."""
    key = signing_key(secret, amz_date[:8], region)
    prev = seed_sig
    out = []
    pieces = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for piece in pieces:
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA256,
                         hashlib.sha256(piece).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        out.append(b"%x;chunk-signature=%s\r\n" % (len(piece), sig.encode()) + piece + b"\r\n")
        prev = sig
    return b"".join(out)


def unsigned_trailer_body(data, chunk_size, trailers):
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER body: chunks, a zero chunk, trailer lines."""
    out = []
    for i in range(0, len(data), chunk_size):
        piece = data[i:i + chunk_size]
        out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
    out.append(b"0\r\n")
    for name, value in trailers:
        out.append(("%s:%s\r\n" % (name, value)).encode())
    out.append(b"\r\n")
    return b"".join(out)


def http_date(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


def b64(data):
    return base64.b64encode(data).decode()


def is_b64(value):
    try:
        base64.b64decode(value, validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


def err(exc_info):
    """(boto3 error dict, HTTP status) of a pytest.raises(ClientError) result."""
    e = exc_info.value
    return e.response["Error"], e.response["ResponseMetadata"]["HTTPStatusCode"]
