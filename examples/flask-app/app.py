"""examples/flask-app/app.py: a small Flask application meant to run on AWS Lambda behind
an API Gateway REST API (v1 proxy integration), here on RustStack. It keeps uploaded files
in S3 and records in DynamoDB through plain boto3 clients: no endpoint is configured in the
code, so inside the function AWS_ENDPOINT_URL (set by RustStack) points them at the
emulator, and on real AWS they reach the real services.

Routes:
  GET  /hello?name=NAME     JSON greeting
  ANY  /echo[/...]          JSON description of the request as Flask saw it
  POST /files/<name>        body -> s3://$FILES_BUCKET/<name> + a DynamoDB record; 201
  GET  /files/<name>        the stored bytes with their content type; 404 JSON if missing
  GET  /records/<id>        a DynamoDB record as JSON; 404 JSON if missing
  POST /records             JSON {"id": ..., ...}: conditional put; 201, or 409 if the id
                            exists (ConditionalCheckFailedException)
  GET  /image.png           a generated PNG (binary response)
  GET  /cookies             sets two cookies (two Set-Cookie headers)
  GET  /boom                raises: Flask answers 500
Configuration (environment): FILES_BUCKET (default flask-files), RECORDS_TABLE (default
flask-records); the table has a string hash key "id".
Runs in: the Lambda execution environment (or any WSGI server)."""

import json
import os
import struct
import zlib
from decimal import Decimal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Flask, Response, jsonify, request

app = Flask(__name__)

_clients = {}


def bucket_name():
    return os.environ.get("FILES_BUCKET", "flask-files")


def table_name():
    return os.environ.get("RECORDS_TABLE", "flask-records")


def s3():
    """S3 client, created on first use (path-style addressing works against any endpoint,
    an IP address included)."""
    if "s3" not in _clients:
        _clients["s3"] = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
    return _clients["s3"]


def table():
    if "table" not in _clients:
        _clients["table"] = boto3.resource("dynamodb").Table(table_name())
    return _clients["table"]


def _plain(value):
    """DynamoDB values (Decimal, set, Binary) -> JSON-serialisable Python values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    return value


def error(status, code, message):
    resp = jsonify({"error": code, "message": message})
    resp.status_code = status
    return resp


@app.get("/hello")
def hello():
    name = request.args.get("name", "world")
    return jsonify({"message": "Hello, %s!" % name})


@app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@app.route("/echo/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def echo(rest=None):
    body = request.get_data()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return jsonify({
        "method": request.method,
        "path": request.path,
        "script_root": request.script_root,
        "args": {k: request.args.getlist(k) for k in request.args},
        "headers": {k.lower(): v for k, v in request.headers.items()},
        "body": text,
        "body_length": len(body),
        "json": request.get_json(silent=True),
        "scheme": request.scheme,
        "remote_addr": request.remote_addr,
    })


@app.post("/files/<name>")
def put_file(name):
    data = request.get_data()
    ctype = request.content_type or "application/octet-stream"
    put = s3().put_object(Bucket=bucket_name(), Key=name, Body=data, ContentType=ctype)
    etag = put["ETag"].strip('"')
    table().put_item(Item={"id": "file:" + name, "kind": "file", "bucket": bucket_name(),
                           "key": name, "size": len(data), "etag": etag,
                           "content_type": ctype})
    resp = jsonify({"name": name, "size": len(data), "etag": etag})
    resp.status_code = 201
    resp.headers["Location"] = "/files/" + name
    return resp


@app.get("/files/<name>")
def get_file(name):
    try:
        obj = s3().get_object(Bucket=bucket_name(), Key=name)
    except ClientError as e:
        if e.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return error(404, "NotFound", "no file named %s" % name)
        raise
    return Response(obj["Body"].read(),
                    mimetype=obj.get("ContentType") or "application/octet-stream")


@app.get("/records/<record_id>")
def get_record(record_id):
    item = table().get_item(Key={"id": record_id}, ConsistentRead=True).get("Item")
    if item is None:
        return error(404, "NotFound", "no record with id %s" % record_id)
    return jsonify(_plain(item))


@app.post("/records")
def create_record():
    try:
        doc = json.loads(request.get_data() or b"null", parse_float=Decimal)
    except ValueError:
        return error(400, "BadRequest", "the body must be a JSON object")
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or not doc["id"]:
        return error(400, "BadRequest", "the body must be a JSON object with a string id")
    try:
        table().put_item(Item=doc, ConditionExpression="attribute_not_exists(id)")
    except ClientError as e:
        if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return error(409, "Conflict", "a record with id %s already exists" % doc["id"])
        raise
    resp = jsonify(_plain(doc))
    resp.status_code = 201
    resp.headers["Location"] = "/records/" + doc["id"]
    return resp


def _png(width, height):
    """A valid RGB PNG with a gradient (every byte value appears for 16x16)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(
        b"\x00" + b"".join(bytes(((x * 16 + y) % 256, (255 - x * 16) % 256, (y * 16) % 256))
                           for x in range(width))
        for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@app.get("/image.png")
def image():
    size = min(max(request.args.get("size", 16, type=int), 1), 256)
    return Response(_png(size, size), mimetype="image/png")


@app.get("/cookies")
def cookies():
    resp = jsonify({"cookies": ["session", "theme"]})
    resp.set_cookie("session", "abc123", httponly=True)
    resp.set_cookie("theme", "dark", path="/")
    return resp


@app.get("/boom")
def boom():
    raise RuntimeError("boom: this route always fails")


if __name__ == "__main__":
    app.run(port=5000, debug=True)
