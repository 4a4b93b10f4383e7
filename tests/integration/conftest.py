"""pytest harness for the S3 integration tests: starts the real `ruststack` binary once per
session on a free loopback port (2 workers, temp config), waits for /_ruststack/health,
resets the store before every test, provides boto3 clients (us-east-1, us-west-2,
virtual-hosted), raw-request and AWS CLI helpers, and on teardown stops the server with
SIGTERM and checks it exits 0 within 10 s leaving no /dev/shm region.
Runs in: the pytest process."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse

import boto3
import pytest
import requests
from botocore.config import Config

import s3util

HERE = os.path.dirname(os.path.abspath(__file__))

# Keep any developer/CI AWS settings out of the clients under test.
for _var in list(os.environ):
    if _var.startswith("AWS_"):
        del os.environ[_var]
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def binary_path():
    if os.environ.get("RS_BINARY"):
        return os.environ["RS_BINARY"]
    if os.environ.get("RS_BUILDDIR"):
        return os.path.join(os.environ["RS_BUILDDIR"], "ruststack")
    return os.path.normpath(os.path.join(HERE, "..", "..", "ruststack"))


RUNTIME_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "runtime"))


def engine_conf():
    """The container engine and image make check found (packaging/setup.sh exports
    RS_DOCKER_SOCKET and RS_LAMBDA_IMAGE when the engine answers)."""
    out = ""
    if os.environ.get("RS_DOCKER_SOCKET"):
        out += "docker_socket = %s\n" % os.environ["RS_DOCKER_SOCKET"]
    if os.environ.get("RS_LAMBDA_IMAGE"):
        out += "lambda_image = %s\n" % os.environ["RS_LAMBDA_IMAGE"]
    return out


def have_engine():
    return bool(os.environ.get("RS_DOCKER_SOCKET") and os.environ.get("RS_LAMBDA_IMAGE"))


def engine_get(path):
    """GET on the Docker Engine API socket (RS_DOCKER_SOCKET; stdlib only): parsed JSON.
    Fails the test unless the engine answers 200."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.environ["RS_DOCKER_SOCKET"])
    s.sendall(("GET %s HTTP/1.0\r\nHost: d\r\n\r\n" % path).encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split()[1] == b"200", head
    return json.loads(body)


def engine_containers(instance):
    """Sorted ids of every container (running or not) labelled with the RustStack
    instance `instance` (its shm name)."""
    f = urllib.parse.quote(
        json.dumps({"label": ["io.ruststack.instance=%s" % instance]}))
    return sorted(c["Id"] for c in engine_get("/v1.41/containers/json?all=1&filters=" + f))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid):
    """Direct children of `pid` (from /proc/<pid>/task/*/children)."""
    out = []
    base = "/proc/%d/task" % pid
    try:
        for tid in os.listdir(base):
            try:
                with open(os.path.join(base, tid, "children")) as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


class Server:
    """One running ruststack process."""

    def __init__(self, workdir, workers=2, extra_conf=""):
        self.port = free_port()
        self.shm_name = "/rs-it-%d-%d" % (os.getpid(), self.port)
        self.workdir = str(workdir)
        self.conf_path = os.path.join(self.workdir, "ruststack.conf")
        self.log_path = os.path.join(self.workdir, "server.log")
        with open(self.conf_path, "w") as f:
            f.write("# written by tests/integration/conftest.py\n"
                    "bind = 127.0.0.1\n"
                    "port = %d\n"
                    "workers = %d\n"
                    "shm_name = %s\n"
                    "s3_capacity = 256m\n"
                    "lambda_runtime_path = %s\n"
                    "%s"
                    "%s" % (self.port, workers, self.shm_name, RUNTIME_DIR, engine_conf(),
                            extra_conf))
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.proc = None
        self.workers = workers

    def start(self, timeout=10.0):
        binary = binary_path()
        if not os.access(binary, os.X_OK):
            raise RuntimeError("ruststack binary not found or not executable: %s" % binary)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "--config", self.conf_path, "--port", str(self.port),
             "--bind", "127.0.0.1", "--workers", str(self.workers)],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ruststack exited with %s during start-up:\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            try:
                r = requests.get(self.endpoint + "/_ruststack/health", timeout=1)
                if r.status_code == 200:
                    return
                last = "status %d" % r.status_code
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("ruststack not healthy within %.0f s (%s):\n%s"
                           % (timeout, last, self.log_tail()))

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def shm_path(self):
        return "/dev/shm/" + self.shm_name.lstrip("/")

    def stop(self, timeout=10.0):
        """SIGTERM; returns (exit code or None on timeout, leftover child pids)."""
        kids = children_of(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
            self.kill()
        leftover = []
        deadline = time.monotonic() + 2
        for pid in kids:
            while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
                if _is_zombie_or_gone(pid):
                    break
                time.sleep(0.05)
            if os.path.exists("/proc/%d" % pid) and not _is_zombie_or_gone(pid):
                leftover.append(pid)
        self._log.close()
        return rc, leftover

    def kill(self):
        """Last-resort cleanup of this instance: SIGKILL the master and its workers and
        remove the shared-memory region it can no longer unlink itself."""
        if self.proc and self.proc.poll() is None:
            for pid in children_of(self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            self.proc.kill()
            self.proc.wait(timeout=10)
        try:
            os.unlink(self.shm_path())
        except OSError:
            pass

    def close(self):
        """Fixture teardown: a graceful stop if still running, then make sure nothing
        (process or region) is left behind."""
        if self.proc and self.proc.poll() is None:
            self.stop()
        self.kill()


def _is_zombie_or_gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("ruststack"))
    try:
        srv.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield srv
    rc, leftover = srv.stop()
    shm_left = os.path.exists(srv.shm_path())
    srv.kill()
    assert rc == 0, "ruststack exit code after SIGTERM: %r\n%s" % (rc, srv.log_tail())
    assert not leftover, "worker processes left after SIGTERM: %r" % leftover
    assert not shm_left, "shared memory region left behind: %s" % srv.shm_path()


@pytest.fixture(scope="session")
def endpoint(server):
    return server.endpoint


@pytest.fixture(scope="session")
def port(server):
    return server.port


@pytest.fixture(autouse=True)
def _reset(server):
    r = requests.post(server.endpoint + "/_ruststack/reset", timeout=10)
    assert r.status_code == 200, "reset failed: %d %r" % (r.status_code, r.text)


def make_client(endpoint, region="us-east-1", **config):
    cfg = dict(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=10,
               read_timeout=30)
    cfg.update(config)
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(**cfg))


@pytest.fixture(scope="session")
def s3(endpoint):
    return make_client(endpoint)


@pytest.fixture(scope="session")
def s3_west(endpoint):
    return make_client(endpoint, region="us-west-2")


@pytest.fixture(scope="session")
def s3_v4(endpoint):
    return make_client(endpoint, signature_version="s3v4")


def resolves(name):
    try:
        socket.getaddrinfo(name, 80)
        return True
    except OSError:
        return False


def _route_to_loopback(port):
    """before-send hook: connect to 127.0.0.1 but keep the virtual Host header."""

    def hook(request, **kwargs):
        parts = urllib.parse.urlsplit(request.url)
        if parts.hostname and parts.hostname.endswith(".localhost"):
            request.headers["Host"] = parts.netloc
            request.url = urllib.parse.urlunsplit(
                (parts.scheme, "127.0.0.1:%d" % port, parts.path, parts.query, ""))
        return None

    return hook


@pytest.fixture(scope="session")
def s3_virtual(server):
    """boto3 with virtual-hosted addressing against http://localhost:PORT. When
    `<bucket>.localhost` does not resolve here, the requests still carry
    Host: <bucket>.localhost:PORT but are sent to 127.0.0.1."""
    client = make_client("http://localhost:%d" % server.port,
                         s3={"addressing_style": "virtual"})
    if not resolves("rs-probe.localhost"):
        client.meta.events.register("before-send.s3", _route_to_loopback(server.port))
    return client


@pytest.fixture(scope="session")
def s3_https_emulated(server):
    """boto3 believing it talks https (so it takes the aws-chunked trailer path of
    botocore) while the bytes go over plain http to the server."""
    client = make_client("https://127.0.0.1:%d" % server.port)

    def hook(request, **kwargs):
        if request.url.startswith("https://"):
            request.url = "http://" + request.url[len("https://"):]
        return None

    client.meta.events.register("before-send.s3", hook)
    return client


class Raw:
    """Raw HTTP against the server (see s3util.raw_request). Requests are SigV4-signed
    like an SDK would sign them (the payload hash is the body's SHA-256, or the
    x-amz-content-sha256 header the caller gave, e.g. a STREAMING-* value) unless
    anon=True or the caller already put an Authorization header."""

    def __init__(self, port):
        self.port = port

    def __call__(self, method, path, headers=None, body=None, host=None, chunked=False,
                 anon=False, region="us-east-1"):
        hdrs = dict(headers or {})
        if not anon and not any(k.lower() == "authorization" for k in hdrs):
            if not any(k.lower() == "host" for k in hdrs):
                hdrs["Host"] = host or ("127.0.0.1:%d" % self.port)
            payload = None
            for k in list(hdrs):
                if k.lower() == "x-amz-content-sha256":
                    payload = hdrs.pop(k)
            if payload is None:
                if chunked:
                    payload = "UNSIGNED-PAYLOAD"
                else:
                    payload = s3util.hashlib.sha256(body or b"").hexdigest()
            hdrs, _, _, _ = s3util.sigv4_sign(method, path, hdrs, payload, region=region)
        return s3util.raw_request(self.port, method, path, headers=hdrs, body=body,
                                  host=host, chunked=chunked)

@pytest.fixture(scope="session")
def raw(server):
    return Raw(server.port)


class Cli:
    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.exe = shutil.which("aws")

    def __call__(self, *args, cwd=None, timeout=120, region="us-east-1", input=""):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                    "AWS_DEFAULT_REGION": region, "AWS_CONFIG_FILE": "/dev/null",
                    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_PAGER": ""})
        return subprocess.run([self.exe, "--endpoint-url", self.endpoint] + list(args),
                              env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, input=input)


@pytest.fixture(scope="session")
def aws(endpoint):
    cli = Cli(endpoint)
    assert cli.exe, "the aws CLI is not installed"
    return cli


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket="test-bucket")
    return "test-bucket"


# ---- DynamoDB (helper ddb-tests) -----------------------------------------------------------
# A second ruststack (session scope) with DynamoDB on: `dynamodb_local_dir` is the fetched
# jar directory (env RS_DDB_LOCAL_DIR, default <repo>/build/dynamodb-local, filled by
# packaging/fetch-dynamodb-local.sh). The fixture waits (bounded, 90 s) until health says
# dynamodb `running`. RS_DDB_ENDPOINT=http://host:port runs the DynamoDB suite against an
# already running endpoint instead (differential runs: DynamoDB Local itself, real AWS);
# the tests that need the server's processes skip then. The DynamoDB modules override the
# S3 `_reset` fixture (tables get unique names and are deleted by `ddb_table`).

import binascii
import uuid

import botocore.auth
import botocore.awsrequest
import botocore.credentials

DDB_READY_TIMEOUT = 90.0
DDB_TARGET = "DynamoDB_20120810."


def ddb_local_dir():
    return os.environ.get("RS_DDB_LOCAL_DIR") or os.path.normpath(
        os.path.join(HERE, "..", "..", "build", "dynamodb-local"))


def descendants(pid):
    """All descendants of `pid` (children, grandchildren, ...)."""
    out, todo = [], [pid]
    while todo:
        kids = children_of(todo.pop())
        out += kids
        todo += kids
    return out


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def proc_exe_name(pid):
    try:
        return os.path.basename(os.readlink("/proc/%d/exe" % pid))
    except OSError:
        return ""


def ddb_health(endpoint, timeout=5):
    """The `services.dynamodb` object of /_ruststack/health ({} when unreadable)."""
    try:
        r = requests.get(endpoint + "/_ruststack/health", timeout=timeout)
        return r.json().get("services", {}).get("dynamodb", {})
    except (requests.RequestException, ValueError):
        return {}


def wait_ddb_state(endpoint, states, timeout, seen=None):
    """Poll health (every 50 ms, at most `timeout` s) until the dynamodb state is in
    `states`; returns the last health object. `seen` (a list) collects every distinct
    state observed, in order."""
    deadline = time.monotonic() + timeout
    h = {}
    while True:
        h = ddb_health(endpoint, timeout=2)
        st = h.get("state")
        if seen is not None and st and (not seen or seen[-1] != st):
            seen.append(st)
        if st in states or time.monotonic() >= deadline:
            return h
        time.sleep(0.05)


class DdbServer(Server):
    """ruststack with DynamoDB on, `dynamodb_local_dir` = local_dir."""

    def __init__(self, workdir, workers=2, local_dir=None, extra_conf=""):
        self.local_dir = local_dir or ddb_local_dir()
        Server.__init__(self, workdir, workers,
                        "dynamodb = on\ndynamodb_local_dir = %s\n%s" % (self.local_dir,
                                                                       extra_conf))
        self.external = False

    def start_ddb(self, states=("running",), timeout=DDB_READY_TIMEOUT):
        self.start()
        h = wait_ddb_state(self.endpoint, states, timeout)
        if h.get("state") not in states:
            self.kill()
            raise RuntimeError("dynamodb not %s within %.0f s (health: %r):\n%s"
                               % ("/".join(states), timeout, h, self.log_tail(80)))
        return h

    def java_pids(self):
        """DynamoDB Local: the java descendants of the master."""
        return [p for p in descendants(self.proc.pid)
                if proc_exe_name(p).startswith("java") or "DynamoDBLocal" in proc_cmdline(p)]

    def supervisor_pids(self):
        """The master's children that have a java child (the ddb supervisor)."""
        out = []
        java = set(self.java_pids())
        for p in children_of(self.proc.pid):
            if any(k in java for k in descendants(p)):
                out.append(p)
        return out


class ExternalDdb:
    """RS_DDB_ENDPOINT: an endpoint this suite does not own."""

    def __init__(self, endpoint):
        self.endpoint = endpoint.rstrip("/")
        self.external = True


def _stop_checked(srv):
    kids = descendants(srv.proc.pid)
    rc, leftover = srv.stop()
    deadline = time.monotonic() + 10
    alive = [p for p in kids if not _is_zombie_or_gone(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if not _is_zombie_or_gone(p)]
    return rc, alive


@pytest.fixture(scope="session")
def ddb_server(tmp_path_factory):
    if os.environ.get("RS_DDB_ENDPOINT"):
        yield ExternalDdb(os.environ["RS_DDB_ENDPOINT"])
        return
    srv = DdbServer(tmp_path_factory.mktemp("ruststack-ddb"))
    try:
        srv.start_ddb()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    yield srv
    rc, alive = _stop_checked(srv)
    assert rc == 0, "ruststack exit code after SIGTERM: %r\n%s" % (rc, srv.log_tail())
    assert not alive, "processes (DynamoDB Local?) left after SIGTERM: %r" % [
        (p, proc_cmdline(p)[:80]) for p in alive]


@pytest.fixture(scope="session")
def ddb_endpoint(ddb_server):
    return ddb_server.endpoint


def ddb_config(**config):
    cfg = dict(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=10,
               read_timeout=40)
    cfg.update(config)
    return Config(**cfg)


def make_ddb_client(endpoint, region="us-east-1", access_key="test", **config):
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
        aws_secret_access_key="test", config=ddb_config(**config))


def make_ddb_resource(endpoint, region="us-east-1", access_key="test", **config):
    return boto3.session.Session().resource(
        "dynamodb", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
        aws_secret_access_key="test", config=ddb_config(**config))


@pytest.fixture(scope="session")
def ddb(ddb_endpoint):
    """boto3 DynamoDB client, us-east-1, default account (access key `test`)."""
    return make_ddb_client(ddb_endpoint)


@pytest.fixture(scope="session")
def ddb_resource(ddb_endpoint):
    return make_ddb_resource(ddb_endpoint)


def unique_name(prefix="t"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def ddb_error(exc_info):
    """(code, message, full parsed error dict) of a botocore ClientError."""
    err = exc_info.value.response.get("Error", {})
    return err.get("Code"), err.get("Message"), exc_info.value.response


class TableFactory:
    """Creates tables with unique names; deletes them all at teardown."""

    def __init__(self, client):
        self.client = client
        self.made = []

    def __call__(self, hash_key=("pk", "S"), range_key=None, gsis=(), lsis=(),
                 billing="PAY_PER_REQUEST", name=None, client=None, extra_attrs=()):
        client = client or self.client
        name = name or unique_name()
        attrs = {hash_key[0]: hash_key[1]}
        schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
        if range_key:
            attrs[range_key[0]] = range_key[1]
            schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        for a, t in extra_attrs:
            attrs[a] = t
        kw = dict(TableName=name, KeySchema=schema, BillingMode=billing)
        if billing == "PROVISIONED":
            kw["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        for spec in gsis:
            kw.setdefault("GlobalSecondaryIndexes", []).append(spec)
        for spec in lsis:
            kw.setdefault("LocalSecondaryIndexes", []).append(spec)
        kw["AttributeDefinitions"] = [{"AttributeName": a, "AttributeType": t}
                                      for a, t in attrs.items()]
        client.create_table(**kw)
        self.made.append((client, name))
        return name

    def track(self, name, client=None):
        self.made.append((client or self.client, name))

    def cleanup(self):
        for client, name in reversed(self.made):
            try:
                client.delete_table(TableName=name)
            except Exception:
                pass


@pytest.fixture
def ddb_table(ddb):
    """Factory: ddb_table(hash_key=("pk","S"), range_key=None, gsis=(), lsis=(), ...) -> name."""
    f = TableFactory(ddb)
    yield f
    f.cleanup()


def ddb_index(name, hash_key, range_key=None, projection="ALL", non_key=None,
              provisioned=False):
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    proj = {"ProjectionType": projection}
    if non_key:
        proj["NonKeyAttributes"] = list(non_key)
    spec = {"IndexName": name, "KeySchema": schema, "Projection": proj}
    if provisioned:
        spec["ProvisionedThroughput"] = {"ReadCapacityUnits": 3, "WriteCapacityUnits": 3}
    return spec


class DdbRaw:
    """Raw DynamoDB requests: JSON 1.0 POST signed with botocore's SigV4Auth (or not),
    returning the `requests` response (the exact body bytes are in `.content`)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def __call__(self, target, body, region="us-east-1", access_key="test", sign=True,
                 headers=None, content_type="application/x-amz-json-1.0", timeout=30):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        # like botocore (urllib3): no compressed answers, so .content is the wire body
        hdrs = {"Content-Type": content_type, "Accept-Encoding": "identity"}
        if target is not None:
            hdrs["X-Amz-Target"] = target if "." in target else DDB_TARGET + target
        hdrs.update(headers or {})
        if sign:
            req = botocore.awsrequest.AWSRequest(method="POST", url=self.endpoint + "/",
                                                 data=body, headers=hdrs)
            creds = botocore.credentials.Credentials(access_key, "test")
            botocore.auth.SigV4Auth(creds, "dynamodb", region).add_auth(req)
            hdrs = dict(req.headers.items())
        return requests.post(self.endpoint + "/", data=body, headers=hdrs, timeout=timeout)


@pytest.fixture(scope="session")
def ddb_raw(ddb_endpoint):
    return DdbRaw(ddb_endpoint)


def crc32_ok(resp):
    """True when x-amz-crc32 is absent, or equal to the CRC32 of the raw body."""
    v = resp.headers.get("x-amz-crc32")
    if v is None:
        return True
    return v.strip().isdigit() and int(v) == (binascii.crc32(resp.content) & 0xFFFFFFFF)


class DdbCli(Cli):
    """`aws dynamodb ...` against the DynamoDB server (JSON output)."""

    def __init__(self, endpoint):
        Cli.__init__(self, endpoint)

    def json(self, *args, region="us-east-1"):
        p = self("dynamodb", *args, "--output", "json", region=region, timeout=60)
        out = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None
        return p, out


@pytest.fixture(scope="session")
def ddb_cli(ddb_endpoint):
    cli = DdbCli(ddb_endpoint)
    assert cli.exe, "the aws CLI is not installed"
    return cli


# ---- Lambda ---------------------------------------------------------------------------

LAMBDA_READY_TIMEOUT = 30


def lambda_health(endpoint, timeout=5):
    r = requests.get(endpoint + "/_ruststack/health", timeout=timeout)
    r.raise_for_status()
    return r.json()["services"]["lambda"]


class LambdaServer(Server):
    """ruststack with Lambda on and the given executor ("docker" or "process"); DynamoDB on
    when DynamoDB Local is available (functions use it), else off."""

    def __init__(self, workdir, executor="docker", workers=2, extra_conf="", standby=0):
        self.executor = executor
        local = ddb_local_dir()
        ddb = ("dynamodb = on\ndynamodb_local_dir = %s\n" % local
               if os.path.exists(os.path.join(local, "DynamoDBLocal.jar")) else "dynamodb = off\n")
        # standby environments: none unless asked (standby containers would count among
        # the instance's containers; None: the server's default); extra_conf wins
        sb = "" if standby is None else "lambda_standby = %d\n" % standby
        Server.__init__(self, workdir, workers,
                        "lambda = on\nlambda_executor = %s\n%s%s%s"
                        % (executor, sb, ddb, extra_conf))

    def start_lambda(self, timeout=LAMBDA_READY_TIMEOUT):
        self.start()
        deadline = time.monotonic() + timeout
        h = {}
        while time.monotonic() < deadline:
            h = lambda_health(self.endpoint)
            if h.get("state") in ("running", "unavailable"):
                break
            time.sleep(0.1)
        if h.get("state") != "running":
            raise RuntimeError("lambda (%s executor) is %r: %s\n%s" % (
                self.executor, h.get("state"), h.get("reason"), self.log_tail()))


def _lambda_server(tmp_path_factory, executor):
    if executor == "docker" and not have_engine():
        pytest.skip("no container engine: RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE are not set "
                    "(sh packaging/setup.sh deps sets up podman and the image)")
    # the shared servers run with the default standby environments
    srv = LambdaServer(tmp_path_factory.mktemp("ruststack-lambda-" + executor), executor,
                       standby=None)
    try:
        srv.start_lambda()
    except RuntimeError as e:
        srv.kill()
        pytest.fail(str(e), pytrace=False)
    return srv


def _lambda_teardown(srv):
    rc, alive = _stop_checked(srv)
    assert rc == 0, "ruststack exit code after SIGTERM: %r\n%s" % (rc, srv.log_tail())
    assert not alive, "processes left after SIGTERM: %r" % [
        (p, proc_cmdline(p)[:80]) for p in alive]


@pytest.fixture(scope="session")
def lambda_server(tmp_path_factory):
    """ruststack with the docker executor (skipped without an engine)."""
    srv = _lambda_server(tmp_path_factory, "docker")
    yield srv
    _lambda_teardown(srv)


@pytest.fixture(scope="session")
def lambda_process_server(tmp_path_factory):
    """ruststack with the process executor."""
    srv = _lambda_server(tmp_path_factory, "process")
    yield srv
    _lambda_teardown(srv)


def make_lambda_client(endpoint, region="us-east-1", access_key="test", **config):
    cfg = dict(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=10,
               read_timeout=120)
    cfg.update(config)
    return boto3.session.Session().client(
        "lambda", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
        aws_secret_access_key="test", config=Config(**cfg))
