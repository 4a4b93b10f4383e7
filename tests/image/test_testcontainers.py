"""tests/image/test_testcontainers.py: the README's testcontainers-python example, run as
written (runs on the test machine): a generic DockerContainer on the image through
podman's Docker-compatible socket (DOCKER_HOST, default unix:///var/run/docker.sock;
the Ryuk reaper is off: its image would come from a registry; connection mode
docker_host, see below)."""
import os
import time

import boto3
import pytest
import requests

from conftest import IMAGE

os.environ.setdefault("DOCKER_HOST", "unix://" + os.environ.get("RS_DOCKER_SOCKET",
                                                               "/var/run/docker.sock"))
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
# this machine is itself container-like: without this testcontainers looks for a gateway
# through the list API, whose podman answer lacks HostConfig
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")

from testcontainers.core.container import DockerContainer  # noqa: E402


# ---- the README example, from here ----
@pytest.fixture(scope="module")
def ruststack():
    with DockerContainer(IMAGE).with_exposed_ports(4566) \
            .with_env("RUSTSTACK_LOG_LEVEL", "warn") as c:
        url = "http://%s:%s" % (c.get_container_host_ip(), c.get_exposed_port(4566))
        deadline = time.monotonic() + 90
        while True:  # healthy: every service running
            try:
                h = requests.get(url + "/_ruststack/health", timeout=2).json()
                if all(s["state"] == "running" for s in h["services"].values()):
                    break
            except (requests.RequestException, ValueError):
                pass
            assert time.monotonic() < deadline, c.get_logs()
            time.sleep(0.2)
        yield url


def test_s3_through_testcontainers(ruststack):
    s3 = boto3.client("s3", endpoint_url=ruststack, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket="tc-bucket")
    s3.put_object(Bucket="tc-bucket", Key="k", Body=b"v")
    assert s3.get_object(Bucket="tc-bucket", Key="k")["Body"].read() == b"v"
# ---- to here ----


def test_dynamodb_through_testcontainers(ruststack):
    ddb = boto3.client("dynamodb", endpoint_url=ruststack, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    ddb.create_table(TableName="tc-table", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    assert ddb.describe_table(TableName="tc-table")["Table"]["TableStatus"] == "ACTIVE"
