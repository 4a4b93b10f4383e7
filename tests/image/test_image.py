"""tests/image/test_image.py: acceptance of the RustStack container image (runs on the test
machine against a container of the image, see conftest.py): S3, DynamoDB, Lambda (the
process executor) and an HTTP API through its invoke URL from the host; health and the
HEALTHCHECK; the non-root user; configuration from the environment and a mounted file;
the data volume across a new container."""
import io
import json
import os
import time
import urllib.parse
import uuid
import zipfile

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import IMAGE, Container, json_of, podman

ROLE = "arn:aws:iam::000000000000:role/any"
HANDLER = """
import json, os
import boto3

def handler(event, context):
    # boto3 inside the function reaches the container's own S3 (AWS_ENDPOINT_URL)
    s3 = boto3.client("s3")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    body = event.get("body") if isinstance(event, dict) else None
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"buckets": names, "got": body,
                                "path": event.get("rawPath") if isinstance(event, dict) else None,
                                "fn": context.function_name})}
"""


def zip_of(source):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
    return buf.getvalue()


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def test_health_and_healthcheck(box):
    doc = box.health()
    assert {k: v["state"] for k, v in doc["services"].items()} == {
        "s3": "running", "dynamodb": "running", "lambda": "running"}
    # the image's HEALTHCHECK (docker format keeps it) and the command it runs
    img = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    hc = img.get("Healthcheck") or img["Config"]["Healthcheck"]
    assert hc["Test"] == ["CMD", "/usr/local/bin/ruststack-healthcheck"]
    p = podman("healthcheck", "run", box.name, check=False)
    assert p.returncode == 0, p.stdout + p.stderr


def test_runs_as_non_root(box):
    p = box.exec("id", "-u")
    assert p.returncode == 0 and p.stdout.strip() == "10001", p.stderr
    p = box.exec("sh", "-c", "ps -o user= -p 1 2>/dev/null || stat -c %u /proc/1")
    assert p.stdout.strip() in ("ruststack", "10001")


def test_config_from_env_and_mounted_file(box):
    doc = box.health()
    assert doc["services"]["s3"]["max_buckets"] == 64  # the mounted file
    assert doc["workers"] == 2  # RUSTSTACK_WORKERS wins over the file's workers = 3
    # RUSTSTACK_CREDENTIALS + RUSTSTACK_AUTH_VERIFY=on: alice signs, a wrong secret fails
    alice = box.client("s3", "alice", "alicesecret")
    b = unique("alice")
    alice.create_bucket(Bucket=b)
    assert b in [x["Name"] for x in alice.list_buckets()["Buckets"]]
    assert b not in [x["Name"] for x in box.client("s3").list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as e:
        box.client("s3", "alice", "wrong").list_buckets()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_s3_put_get_list(box):
    s3 = box.client("s3")
    s3.create_bucket(Bucket="keep")
    body = b"hello from the image " * 1000
    s3.put_object(Bucket="keep", Key="dir/a.txt", Body=body)
    s3.put_object(Bucket="keep", Key="dir/b.txt", Body=b"b")
    assert s3.get_object(Bucket="keep", Key="dir/a.txt")["Body"].read() == body
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="keep", Prefix="dir/")["Contents"]]
    assert keys == ["dir/a.txt", "dir/b.txt"]


def test_dynamodb_table_and_items(box):
    ddb = box.client("dynamodb")
    ddb.create_table(TableName="keep", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName="keep", Item={"pk": {"S": "k1"}, "n": {"N": "42"}})
    got = ddb.get_item(TableName="keep", Key={"pk": {"S": "k1"}}, ConsistentRead=True)
    assert got["Item"] == {"pk": {"S": "k1"}, "n": {"N": "42"}}


def test_lambda_process_executor(box):
    lam = box.client("lambda")
    lam.create_function(FunctionName="keep", Runtime="python3.11", Handler="app.handler",
                        Role=ROLE, Code={"ZipFile": zip_of(HANDLER)}, Timeout=30)
    r = lam.invoke(FunctionName="keep", Payload=b'{"body": "x"}')
    assert r["StatusCode"] == 200 and "FunctionError" not in r, r
    out = json.loads(json_of(r)["body"])
    assert out["fn"] == "keep" and out["got"] == "x"
    assert "keep" in out["buckets"]  # the function's boto3 reached the container's S3
    logs = box.logs(tail=400)
    assert "process" in logs  # the startup log names the executor


def test_http_api_quick_create_invoke_url(box):
    lam = box.client("lambda")
    fn = lam.get_function(FunctionName="keep")["Configuration"]["FunctionArn"]
    gw = box.client("apigatewayv2")
    api = gw.create_api(Name=unique("img"), ProtocolType="HTTP", Target=fn)
    url = urllib.parse.urlsplit(api["ApiEndpoint"])
    assert url.hostname.startswith(api["ApiId"] + ".execute-api.")
    # the invoke URL names the container's port 4566; the host reaches it on box.port
    r = requests.post("%s/items/7?x=1" % box.endpoint, data="payload",
                      headers={"Host": url.netloc}, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["path"] == "/items/7" and out["got"] == "payload"


def test_data_volume_survives_a_new_container(box, volume, config_file):
    box.remove()  # stop and delete the container; the volume stays
    c = Container(env={"RUSTSTACK_WORKERS": "1"},
                  volumes=["%s:/var/lib/ruststack" % volume,
                           "%s:/etc/ruststack/ruststack.conf:ro" % config_file])
    try:
        c.start()
        s3 = c.client("s3")
        assert s3.get_object(Bucket="keep", Key="dir/b.txt")["Body"].read() == b"b"
        got = c.client("dynamodb").get_item(TableName="keep", Key={"pk": {"S": "k1"}})
        assert got["Item"]["n"] == {"N": "42"}
        r = c.client("lambda").invoke(FunctionName="keep", Payload=b'{"body": "again"}')
        assert json.loads(json_of(r)["body"])["got"] == "again"
        assert len(c.client("apigatewayv2").get_apis()["Items"]) == 1
    finally:
        c.remove()


def test_docker_executor_with_the_engine_socket(tmp_path):
    """The documented docker-executor set-up: the host engine's socket mounted, host
    network, the data directory at the same path on both sides, root for the socket.
    The function runs in a container the host's engine starts beside RustStack's."""
    sock = os.environ.get("RS_DOCKER_SOCKET", "/var/run/docker.sock")
    lambda_image = os.environ.get("RS_LAMBDA_IMAGE", "localhost/ruststack-python:3.11")
    data = str(tmp_path / "data")
    os.makedirs(data)
    c = Container(env={"RUSTSTACK_DATA_DIR": data, "RUSTSTACK_PORT": "0",
                       "RUSTSTACK_BIND": "127.0.0.1", "RUSTSTACK_DYNAMODB": "off",
                       "RUSTSTACK_LAMBDA_IMAGE": lambda_image},
                  volumes=["%s:/var/run/docker.sock" % sock, "%s:%s" % (data, data)],
                  user="0", network_host=True)
    try:
        c.start()
        lam = c.client("lambda")
        lam.create_function(FunctionName="dock", Runtime="python3.11", Handler="app.handler",
                            Role=ROLE, Code={"ZipFile": zip_of(
                                "import os\ndef handler(e, c):\n"
                                "    return {'e': e, 'host': open('/etc/hostname').read()}\n")})
        r = lam.invoke(FunctionName="dock", Payload=b'{"a": 1}')
        assert "FunctionError" not in r, r["Payload"].read()
        out = json_of(r)
        assert out["e"] == {"a": 1}
        assert "docker executor ready" in c.logs(tail=400)
        names = podman("ps", "--format", "{{.Names}}").stdout.split()
        assert any(n.startswith("rs-lambda-ruststack-%d-" % c.port) for n in names), names
    finally:
        c.remove()


def test_docker_executor_chosen_when_socket_mounted(tmp_path):
    """Without starting the server: the entry point picks docker when the engine socket
    is mounted (-t only checks the written configuration)."""
    sock = tmp_path / "engine.sock"
    s = __import__("socket").socket(__import__("socket").AF_UNIX)
    s.bind(str(sock))
    try:
        tmp_path.chmod(0o755)
        p = podman("run", "--rm", "-e", "RUSTSTACK_PRINT_CONFIG=1", "-v",
                   "%s:/var/run/docker.sock" % sock, "--entrypoint", "sh", IMAGE, "-c",
                   "/usr/local/bin/ruststack-entrypoint -t", check=False)
        assert "lambda_executor = docker" in p.stderr, p.stderr
        p = podman("run", "--rm", "-e", "RUSTSTACK_PRINT_CONFIG=1", IMAGE, "-t", check=False)
        assert p.returncode == 0, p.stderr
        assert "lambda_executor = process" in p.stderr
    finally:
        s.close()


def test_bad_env_setting_is_refused():
    p = podman("run", "--rm", "-e", "RUSTSTACK_NO_SUCH_SETTING=1", IMAGE, "-t", check=False)
    assert p.returncode != 0
    assert "no_such_setting" in (p.stdout + p.stderr)
