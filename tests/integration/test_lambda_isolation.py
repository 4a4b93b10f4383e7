"""Lambda isolation on a shared box (README, Lambda: isolation): with the docker executor
a function's container has MemorySize as its memory limit (an allocation past it is killed
and the Invoke answers Runtime.ExitError "signal: killed"), a CPU share in proportion to
memory, no capabilities, a read-only root with a writable /tmp; with lambda_network =
bridge it reaches RustStack as http://ruststack:<port> (boto3 through AWS_ENDPOINT_URL) but
nothing on the host's 127.0.0.1. With the process executor the function runs under
rlimits from MemorySize, with HOME and TMPDIR its environment's own dir.
Runs in: the pytest process."""

import io
import json
import os
import resource
import socket
import subprocess
import threading
import time
import urllib.parse
import zipfile

import boto3
import pytest
import requests

from conftest import (LambdaServer, _stop_checked, binary_path, engine_containers, engine_get,
                      have_engine, make_lambda_client)

ROLE = "arn:aws:iam::000000000000:role/lambda"

PROBE = r'''
import errno, os, resource, socket

def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return "error: %s" % e.strerror

def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as e:
        return "refused" if e.errno == errno.ECONNREFUSED else "error: %s" % e

def handler(event, context):
    out = {}
    status = read("/proc/self/status")
    out["cap_eff"] = [l.split()[1] for l in status.splitlines() if l.startswith("CapEff:")][0]
    out["mem_limit"] = read("/sys/fs/cgroup/memory/memory.limit_in_bytes")
    out["mem_max"] = read("/sys/fs/cgroup/memory.max")
    out["cpu_quota"] = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
    out["cpu_period"] = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
    out["cpu_max"] = read("/sys/fs/cgroup/cpu.max")
    out["cpu_shares"] = read("/sys/fs/cgroup/cpu/cpu.shares")
    out["cpu_weight"] = read("/sys/fs/cgroup/cpu.weight")
    try:
        open("/rs-root-write", "w").close()
        out["root_write"] = "ok"
    except OSError as e:
        out["root_write"] = errno.errorcode.get(e.errno, str(e.errno))
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "probe.txt")
    with open(tmp, "w") as f:
        f.write("x" * 1000)
    out["tmp_write"] = os.path.getsize(tmp)
    out["endpoint"] = os.environ.get("AWS_ENDPOINT_URL")
    out["rapi"] = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    out["home"] = os.environ.get("HOME")
    out["tmpdir"] = os.environ.get("TMPDIR")
    out["cwd"] = os.getcwd()
    # started as a standby (docker: its hand-off FIFO is mounted; process: /proc keeps the
    # environment it was started with)
    out["on_standby"] = (os.path.exists("/var/rsctl/handoff") or
                         b"_RUSTSTACK_STANDBY=" in open("/proc/self/environ", "rb").read())
    for name in ("RLIMIT_DATA", "RLIMIT_AS", "RLIMIT_NOFILE", "RLIMIT_CORE"):
        out[name] = list(resource.getrlimit(getattr(resource, name)))
    for k, (h, p) in (event.get("connect") or {}).items():
        out["connect_" + k] = connect(h, p)
    if event.get("buckets"):
        import boto3
        s3 = boto3.client("s3")
        out["buckets"] = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        if event.get("put"):
            s3.put_object(Bucket=event["put"], Key="from-fn", Body=b"inside")
            out["got"] = s3.get_object(Bucket=event["put"], Key="from-fn")["Body"].read().decode()
    if event.get("threads"):
        import threading
        ev = threading.Event()
        ts = [threading.Thread(target=ev.wait) for _ in range(event["threads"])]
        try:
            for t in ts:
                t.start()
            out["threads"] = sum(1 for t in ts if t.is_alive())
        except RuntimeError as e:
            out["threads"] = str(e)
        ev.set()
        for t in ts:
            if t.is_alive():
                t.join()
    if event.get("allocate_mb"):
        try:
            blob = bytearray(event["allocate_mb"] * 1048576)
            for i in range(0, len(blob), 4096):
                blob[i] = 1
            out["allocated"] = len(blob)
        except MemoryError:
            out["allocated"] = "MemoryError"
    return out
'''


def zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", PROBE)
    return buf.getvalue()


def invoke(lam, name, event):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return r, json.loads(r["Payload"].read())


class HostListener:
    """A TCP server on 127.0.0.1 (an unrelated service of the host) that counts accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            c.close()

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def create(lam, name, memory):
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE,
                        Handler="app.handler", Code={"ZipFile": zip_bytes()},
                        MemorySize=memory, Timeout=30)


@pytest.fixture
def bridge_srv(tmp_path):
    if not have_engine():
        pytest.skip("no container engine: RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE unset")
    s = LambdaServer(tmp_path, "docker",
                     extra_conf="dynamodb = off\nlambda_network = bridge\nlambda_cpu = quota\n")
    s.start_lambda()
    yield s
    rc, _ = _stop_checked(s)
    assert rc == 0
    assert engine_containers(s.shm_name) == [], "containers left after SIGTERM"


def test_docker_bridge_limits_and_reach(bridge_srv):
    srv = bridge_srv
    net = engine_get("/v1.41/networks/ruststack")
    gateway = net["IPAM"]["Config"][0]["Gateway"]
    s3 = boto3.client("s3", endpoint_url=srv.endpoint, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket="iso-bridge-bucket")
    host = HostListener()
    try:
        lam = make_lambda_client(srv.endpoint)
        create(lam, "iso-probe", 256)
        r, out = invoke(lam, "iso-probe", {
            "buckets": True, "put": "iso-bridge-bucket",
            "connect": {"host_loopback": ["127.0.0.1", host.port],
                        "server_loopback": ["127.0.0.1", srv.port],
                        "host_by_gateway": [gateway, host.port],
                        "server_by_name": ["ruststack", srv.port]}})
        assert "FunctionError" not in r, out
        # memory = MemorySize, no swap (cgroup v1 here; v2 reads memory.max)
        limit = out["mem_limit"] if not out["mem_limit"].startswith("error") else out["mem_max"]
        assert int(limit) == 256 * 1048576, out
        # CPU (lambda_cpu = quota): a hard cap of 256/1769 of a CPU
        if not out["cpu_quota"].startswith("error"):
            share = int(out["cpu_quota"]) / int(out["cpu_period"])
        else:
            q, p = out["cpu_max"].split()
            share = int(q) / int(p)
        assert abs(share - 256 / 1769) < 0.01, out
        assert out["cap_eff"] == "0000000000000000", out
        assert out["root_write"] == "EROFS", out
        assert out["tmp_write"] == 1000
        assert out["endpoint"] == "http://ruststack:%d" % srv.port, out
        assert out["rapi"].startswith(gateway + ":"), out
        assert "iso-bridge-bucket" in out["buckets"], out
        assert out["got"] == "inside", out
        assert s3.get_object(Bucket="iso-bridge-bucket", Key="from-fn")["Body"].read() == b"inside"
        assert out["connect_server_by_name"] == "connected", out
        for k in ("host_loopback", "server_loopback", "host_by_gateway"):
            assert out["connect_" + k] != "connected", (k, out)
        assert host.accepted == 0
        # the Runtime API serves only this environment's container: the host (or another
        # container) connecting to it is closed without an answer
        h, p = out["rapi"].rsplit(":", 1)
        c = socket.create_connection((h, int(p)), timeout=10)
        c.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = c.recv(100)
        except ConnectionResetError:  # closed with the request unread
            answer = b""
        assert answer == b"", answer
        c.close()
        r, again = invoke(lam, "iso-probe", {})
        assert "FunctionError" not in r and again["rapi"] == out["rapi"], again
        assert b"Runtime API connection from %s refused" % gateway.encode() in open(
            srv.log_path, "rb").read()
        # the engine got the confinement asked for
        cid = engine_containers(srv.shm_name)[0]
        info = engine_get("/v1.41/containers/%s/json" % cid)
        hc = info["HostConfig"]
        assert hc["Memory"] == hc["MemorySwap"] == 256 * 1048576
        assert hc["ReadonlyRootfs"] is True and hc["Privileged"] is False
        assert "no-new-privileges" in hc["SecurityOpt"]
        # (podman 4.3 reports NetworkMode "bridge" for any bridge network)
        assert list(info["NetworkSettings"]["Networks"]) == ["ruststack"], info["NetworkSettings"]
        # the first container's limits were compared with what the engine applied
        assert b"the engine applies the container limits" in open(srv.log_path, "rb").read()
    finally:
        host.close()


def test_docker_allocation_past_memory_size_is_killed(bridge_srv):
    lam = make_lambda_client(bridge_srv.endpoint)
    create(lam, "iso-oom", 128)
    r, out = invoke(lam, "iso-oom", {"allocate_mb": 32})
    assert "FunctionError" not in r and out["allocated"] == 32 * 1048576, out
    r, out = invoke(lam, "iso-oom", {"allocate_mb": 400})
    assert r.get("FunctionError") == "Unhandled", out
    assert out["errorType"] == "Runtime.ExitError", out
    assert out["errorMessage"].endswith("Error: Runtime exited with error: signal: killed"), out
    # the next invoke gets a fresh environment
    r, out = invoke(lam, "iso-oom", {})
    assert "FunctionError" not in r, out


def test_process_executor_rlimits_and_dirs(lambda_process_server):
    srv = lambda_process_server
    lam = make_lambda_client(srv.endpoint)
    create(lam, "iso-proc-a", 256)
    create(lam, "iso-proc-b", 128)
    r, a = invoke(lam, "iso-proc-a", {})
    assert "FunctionError" not in r, a
    # the shared server keeps standby processes: a standby gets the limits at its hand-off
    assert a["on_standby"] is True, a
    mib = 1048576
    assert a["RLIMIT_DATA"] == [(256 + 320) * mib] * 2, a
    assert a["RLIMIT_AS"] == list(resource.getrlimit(resource.RLIMIT_AS)), a  # inherited
    assert a["RLIMIT_NOFILE"][1] <= 1024, a
    assert a["RLIMIT_CORE"] == [0, 0], a
    r, b = invoke(lam, "iso-proc-b", {})
    assert b["RLIMIT_DATA"] == [(128 + 320) * mib] * 2, b
    # HOME and TMPDIR: the environment's own dir under the server's runtime dir, one per
    # function; the working directory is the code (LAMBDA_TASK_ROOT), as on AWS
    assert a["home"] == a["tmpdir"] and b["home"] == b["tmpdir"], (a, b)
    assert "/lambda-envs/" in a["home"] and "iso-proc-a" in a["home"], a
    assert "iso-proc-b" in b["home"] and a["home"] != b["home"], (a, b)
    assert a["cwd"] != b["cwd"] and os.path.isfile(os.path.join(a["cwd"], "app.py")), a
    # an allocation past MemorySize fails in the function (MemoryError), the process lives
    r, out = invoke(lam, "iso-proc-b", {"allocate_mb": 600})
    assert "FunctionError" not in r and out["allocated"] == "MemoryError", out
    r, out = invoke(lam, "iso-proc-b", {"allocate_mb": 64})
    assert out["allocated"] == 64 * mib, out
    # a 128 MB function with boto3 loaded starts 24 threads (with a data limit of
    # MemorySize + 64 MiB the 17th failed: each 8 MiB stack counts in full)
    r, out = invoke(lam, "iso-proc-b", {"buckets": True, "threads": 24})
    assert "FunctionError" not in r and out["threads"] == 24, out


def start_on_every_address(srv, timeout=10.0):
    """Server.start with --bind 0.0.0.0 (the fixture's binds 127.0.0.1)."""
    srv._log = open(srv.log_path, "wb")
    srv.proc = subprocess.Popen(
        [binary_path(), "--config", srv.conf_path, "--port", str(srv.port), "--bind", "0.0.0.0",
         "--workers", str(srv.workers)],
        stdout=srv._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(srv.endpoint + "/_ruststack/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    srv.kill()
    raise RuntimeError("ruststack not healthy:\n" + srv.log_tail())


def test_docker_bridge_with_server_on_every_address(tmp_path):
    """bind = 0.0.0.0: the gateway address reaches the server itself, no relay."""
    if not have_engine():
        pytest.skip("no container engine: RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE unset")
    srv = LambdaServer(tmp_path, "docker",
                       extra_conf="dynamodb = off\nlambda_network = bridge\n")
    srv.start = lambda: start_on_every_address(srv)
    srv.start_lambda()
    try:
        boto3.client("s3", endpoint_url=srv.endpoint, region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test").create_bucket(
                         Bucket="iso-wildcard-bucket")
        lam = make_lambda_client(srv.endpoint)
        create(lam, "iso-wild", 512)
        r, out = invoke(lam, "iso-wild", {"buckets": True})
        assert "FunctionError" not in r, out
        assert "iso-wildcard-bucket" in out["buckets"], out
        # lambda_cpu = shares (the default): a weight of 1024 * 512 / 1769, no hard cap
        if not out["cpu_shares"].startswith("error"):
            assert int(out["cpu_shares"]) == 296, out
            assert out["cpu_quota"] == "-1", out
        else:  # cgroup v2: the engine maps shares to a weight of 1..10000
            assert 1 <= int(out["cpu_weight"]) < 100, out
            assert out["cpu_max"].split()[0] == "max", out
        assert b"the engine applies the container limits" in open(srv.log_path, "rb").read()
        log = open(srv.log_path, "rb").read()
        assert b"reach the server as http://ruststack:%d" % srv.port in log
        assert b"relayed to the server's listener" not in log
    finally:
        rc, _ = _stop_checked(srv)
    assert rc == 0
    assert engine_containers(srv.shm_name) == []


def test_docker_bridge_survives_a_supervisor_kill(bridge_srv):
    """The successor of a SIGKILLed lambda supervisor listens on the gateway again (the
    relay's fixed port) and its functions reach RustStack by name."""
    from test_lambda_containers import supervisor_pid, wait_for
    srv = bridge_srv
    lam = make_lambda_client(srv.endpoint)
    create(lam, "iso-restart", 256)
    r, out = invoke(lam, "iso-restart", {"buckets": True})
    assert "FunctionError" not in r, out
    old = supervisor_pid(srv)
    os.kill(old, 9)
    wait_for(lambda: supervisor_pid(srv) not in (None, old), 15, "a new lambda supervisor")

    def ok():
        try:
            r, out = invoke(lam, "iso-restart", {"buckets": True})
            return out if "FunctionError" not in r else None
        except Exception:
            return None
    out = wait_for(ok, 60, "an invoke reaching RustStack after the restart")
    assert isinstance(out["buckets"], list), out


def test_docker_standby_is_confined_like_any_container(tmp_path):
    """A cold start on a standby container (lambda_standby) on the bridge: the same memory,
    CPU weight, read-only root, no capabilities and reach as a container made for the
    function."""
    if not have_engine():
        pytest.skip("no container engine: RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE unset")
    srv = LambdaServer(tmp_path, "docker", extra_conf="dynamodb = off\nlambda_network = bridge\n"
                       "lambda_standby = 1\n")
    srv.start_lambda()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if engine_get("/v1.41/containers/json?filters=" + urllib.parse.quote(json.dumps(
                    {"label": ["io.ruststack.instance=" + srv.shm_name,
                               "io.ruststack.standby=1"]}))):
                break
            time.sleep(0.2)
        else:
            pytest.fail("no standby container within 60 s")
        boto3.client("s3", endpoint_url=srv.endpoint, region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test").create_bucket(
                         Bucket="iso-standby-bucket")
        lam = make_lambda_client(srv.endpoint)
        create(lam, "iso-sb", 128)  # the standbys' first size
        r, out = invoke(lam, "iso-sb", {"buckets": True,
                                        "connect": {"server_by_name": ["ruststack", srv.port],
                                                    "server_loopback": ["127.0.0.1",
                                                                        srv.port]}})
        assert "FunctionError" not in r, out
        assert out["on_standby"] is True, out
        limit = out["mem_limit"] if not out["mem_limit"].startswith("error") else out["mem_max"]
        assert int(limit) == 128 * 1048576, out
        if not out["cpu_shares"].startswith("error"):
            assert int(out["cpu_shares"]) == 74, out
        assert out["cap_eff"] == "0000000000000000", out
        assert out["root_write"] == "EROFS", out
        assert out["tmp_write"] == 1000
        assert out["endpoint"] == "http://ruststack:%d" % srv.port, out
        assert "iso-standby-bucket" in out["buckets"], out
        assert out["connect_server_by_name"] == "connected", out
        assert out["connect_server_loopback"] != "connected", out
    finally:
        rc, _ = _stop_checked(srv)
    assert rc == 0
    assert engine_containers(srv.shm_name) == []
