"""systemd integration without a running systemd: the notify protocol of the real binary
against a datagram socket standing in for systemd (READY=1 only once no enabled service
is still starting, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM), and
`systemd-analyze verify` of the unit the build makes (systemd/ruststack.service).
Runs in: the pytest process."""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import Server, binary_path


class NotifyServer(Server):
    """ruststack started with NOTIFY_SOCKET pointing at our socket."""

    def __init__(self, workdir, notify_path, extra_conf=""):
        Server.__init__(self, workdir, 2, extra_conf)
        self.notify_path = notify_path

    def start_notify(self):
        binary = binary_path()
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        self.proc = subprocess.Popen(
            [binary, "--config", self.conf_path, "--port", str(self.port), "--bind",
             "127.0.0.1", "--workers", "2"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)


def receive(sock, want, timeout):
    """The messages received until one contains `want` (or the timeout)."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        got.append(msg)
        if want in msg:
            return got
    raise AssertionError("no %r within %.0f s; got %r" % (want, timeout, got))


@pytest.fixture
def notify_socket(tmp_path):
    path = str(tmp_path / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    yield path, s
    s.close()


def test_ready_reload_stopping(tmp_path, notify_socket):
    path, sock = notify_socket
    # DynamoDB on but not installable here (no jar): it settles as "unavailable", which
    # counts as settled; lambda with the process executor settles as "running"
    srv = NotifyServer(tmp_path, path, "dynamodb = on\ndynamodb_local_dir = %s\n"
                       "lambda = on\nlambda_executor = process\n" % (tmp_path / "none"))
    srv.start_notify()
    try:
        msgs = receive(sock, "READY=1", 30)
        ready = [m for m in msgs if "READY=1" in m][0]
        assert "STATUS=" in ready and "s3 running" in ready, ready
        assert "dynamodb unavailable" in ready, ready
        assert "lambda running" in ready, ready
        # READY is only sent once nothing is starting
        health = requests.get(srv.endpoint + "/_ruststack/health", timeout=5).json()
        for name in ("dynamodb", "lambda"):
            assert health["services"][name]["state"] != "starting", health
        srv.proc.send_signal(signal.SIGHUP)
        msgs = receive(sock, "READY=1", 30)
        assert any("RELOADING=1" in m for m in msgs), msgs
        srv.proc.send_signal(signal.SIGTERM)
        msgs = receive(sock, "STOPPING=1", 10)
        assert srv.proc.wait(20) == 0
    finally:
        if srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()


def test_no_ready_while_a_service_starts(tmp_path, notify_socket):
    """DynamoDB with a java that never answers keeps the service starting: no READY=1."""
    path, sock = notify_socket
    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\nexec sleep 60\n")
    fake.chmod(0o755)
    local = tmp_path / "ddb"
    local.mkdir()
    (local / "DynamoDBLocal.jar").write_bytes(b"not really a jar")
    (local / "DynamoDBLocal_lib").mkdir()
    srv = NotifyServer(tmp_path, path, "dynamodb = on\ndynamodb_local_dir = %s\njava = %s\n"
                       "dynamodb_start_timeout = 60\nlambda = off\n" % (local, fake))
    srv.start_notify()
    try:
        with pytest.raises(AssertionError):
            receive(sock, "READY=1", 3)
        health = requests.get(srv.endpoint + "/_ruststack/health", timeout=5).json()
        assert health["services"]["dynamodb"]["state"] == "starting", health
    finally:
        srv.proc.send_signal(signal.SIGTERM)
        try:
            srv.proc.wait(20)
        except subprocess.TimeoutExpired:
            srv.proc.kill()
            srv.proc.wait()


def test_unit_verifies(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (apt-get install systemd)")
    builddir = os.environ.get("RS_BUILDDIR") or os.path.dirname(binary_path())
    unit = os.path.join(builddir, "systemd", "ruststack.service")
    if not os.path.exists(unit):
        subprocess.run(["make", "-C", builddir, "systemd/ruststack.service"], check=True,
                       stdout=subprocess.DEVNULL)
    text = open(unit).read()
    assert "Type=notify" in text and "ExecReload=/bin/kill -HUP $MAINPID" in text
    # point ExecStart at the binary under test (the unit names the installed path)
    start = [l for l in text.splitlines() if l.startswith("ExecStart=")][0]
    exe = start.split("=", 1)[1].split()[0]
    local = tmp_path / "ruststack.service"
    local.write_text(text.replace(exe, os.path.abspath(binary_path())))
    r = subprocess.run([analyze, "verify", str(local)], capture_output=True, text=True)
    # verify also lints the host's own units; only lines about ours count
    ours = [l for l in (r.stdout + r.stderr).splitlines() if "ruststack.service" in l]
    assert not ours, "\n".join(ours)
