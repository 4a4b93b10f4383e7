"""tests/image/conftest.py: fixtures of the container image acceptance (runs on the test
machine, outside the containers): containers of the RustStack image started with the
podman CLI on a free loopback port, waited for until healthy (bounded), stopped and
removed afterwards. The image is RS_RUSTSTACK_IMAGE (default localhost/ruststack:latest;
tests/image/run-image.sh builds it)."""
import json
import os
import shutil
import socket
import subprocess
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config

IMAGE = os.environ.get("RS_RUSTSTACK_IMAGE", "localhost/ruststack:latest")
HEALTHY_TIMEOUT = float(os.environ.get("RS_IMAGE_HEALTHY_TIMEOUT", "120"))


def podman(*args, check=True, timeout=120):
    p = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("podman %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                         p.stderr.strip()[-2000:]))
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def services_ready(doc):
    states = [s.get("state") for s in doc.get("services", {}).values()]
    return bool(states) and all(st in ("running", "disabled") for st in states)


class Container:
    """One container of the image: `start()` runs it and waits until health says every
    service runs; `started_s` is the time from `podman run` to that moment."""

    def __init__(self, env=None, volumes=(), args=(), user=None, network_host=False):
        self.name = "rs-image-test-" + uuid.uuid4().hex[:10]
        self.env = dict(env or {})
        self.volumes = list(volumes)
        self.args = list(args)
        self.user = user
        self.network_host = network_host
        self.port = None
        self.started_s = None

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        self.port = free_port()
        env = dict(self.env)
        if self.network_host:
            # the server listens on the host's network itself: a free port of the host
            env["RUSTSTACK_PORT"] = str(self.port)
            cmd = ["run", "-d", "--name", self.name, "--network", "host"]
        else:
            cmd = ["run", "-d", "--name", self.name, "-p", "127.0.0.1:%d:4566" % self.port]
        for k, v in env.items():
            cmd += ["-e", "%s=%s" % (k, v)]
        for v in self.volumes:
            cmd += ["-v", v]
        if self.user:
            cmd += ["--user", self.user]
        t0 = time.monotonic()
        podman(*cmd, IMAGE, *self.args)
        self.wait_healthy(t0)
        self.started_s = time.monotonic() - t0
        return self

    def health(self):
        return requests.get(self.endpoint + "/_ruststack/health", timeout=2).json()

    def wait_healthy(self, t0):
        last = None
        while time.monotonic() - t0 < HEALTHY_TIMEOUT:
            try:
                last = self.health()
                if services_ready(last):
                    return
            except (requests.RequestException, ValueError) as e:
                last = e
            if podman("inspect", "-f", "{{.State.Running}}", self.name,
                      check=False).stdout.strip() != "true":
                raise AssertionError("container exited before it was healthy:\n" + self.logs())
            time.sleep(0.1)
        raise AssertionError("not healthy after %ss (last: %r):\n%s" % (HEALTHY_TIMEOUT, last,
                                                                         self.logs()))

    def logs(self, tail=60):
        p = podman("logs", "--tail", str(tail), self.name, check=False)
        return p.stdout + p.stderr

    def exec(self, *cmd):
        return podman("exec", self.name, *cmd, check=False)

    def remove(self):
        podman("rm", "-f", "-t", "10", self.name, check=False)

    def client(self, service, key="test", secret="test"):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 1}, read_timeout=60))


@pytest.fixture(scope="session", autouse=True)
def _image():
    if shutil.which("podman") is None:
        pytest.exit("podman is not installed (sh packaging/setup.sh deps)", returncode=1)
    if podman("image", "exists", IMAGE, check=False).returncode != 0:
        pytest.exit("no image %s (sh packaging/image/build.sh)" % IMAGE, returncode=1)
    return IMAGE


@pytest.fixture(scope="session")
def config_file(tmp_path_factory):
    """A configuration file to mount at /etc/ruststack/ruststack.conf."""
    d = tmp_path_factory.mktemp("conf")
    path = d / "ruststack.conf"
    path.write_text("# mounted by tests/image\ns3_max_buckets = 64\nworkers = 3\n")
    os.chmod(d, 0o755)
    os.chmod(path, 0o644)
    return str(path)


@pytest.fixture(scope="session")
def volume():
    name = "rs-image-test-" + uuid.uuid4().hex[:10]
    podman("volume", "create", name)
    yield name
    podman("volume", "rm", "-f", name, check=False)


@pytest.fixture(scope="session")
def box(config_file, volume):
    """The container most tests share: the data volume, the mounted file (3 workers,
    64 buckets) and environment settings (RUSTSTACK_WORKERS=2 wins over the file;
    a second key pair)."""
    env = {"RUSTSTACK_WORKERS": "2",
           "RUSTSTACK_CREDENTIALS": "test:test:000000000000,alice:alicesecret:111111111111",
           "RUSTSTACK_AUTH_VERIFY": "on"}
    c = Container(env=env, volumes=["%s:/var/lib/ruststack" % volume,
                                    "%s:/etc/ruststack/ruststack.conf:ro" % config_file])
    c.start()
    print("image %s: podman run -> healthy in %.2f s" % (IMAGE, c.started_s))
    yield c
    c.remove()


def json_of(resp):
    return json.loads(resp["Payload"].read())
