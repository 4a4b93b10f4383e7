"""bench/servers.py: start, probe and stop the servers the benchmark compares (RustStack,
moto in server mode, the h2o static-file server); startup time and memory from /proc.
Runs in the benchmark driver process (bench/bench.py), never inside the server."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

# moto refuses anonymous GETs; it does not verify signatures, so a well-formed SigV4
# header identifies the caller (ruststack with auth_verify off accepts it too). Every
# server gets the same headers so that every server sees the same request bytes.
_NOW = time.gmtime()
HEADERS = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/%s/us-east-1/s3/aws4_request, "
    "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=%s"
    % (time.strftime("%Y%m%d", _NOW), "0" * 64),
    "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", _NOW),
    "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD",
    "Content-Type": "application/octet-stream",
}


_handed_out = set()


def free_port():
    """A free loopback port, never the same twice in one run (servers start later)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def request(port, method, path, body=None, timeout=30):
    """One request on a fresh connection; returns (status, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=HEADERS)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid):
    """pid and all its descendants."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


def _status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """A server process in its own session, with the path that answers 200 when healthy."""

    def __init__(self, name, argv, health_path, logdir):
        self.name = name
        self.argv = argv
        self.health_path = health_path
        self.port = None
        self.proc = None
        self.startup_ms = None
        self.log_path = os.path.join(logdir, name.replace(" ", "_") + ".log")

    def start(self, port, timeout=30.0):
        """Start and wait until healthy; records the time from exec to healthy."""
        self.port = port
        log = open(self.log_path, "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                status, _ = request(port, "GET", self.health_path, timeout=2)
                if status == 200:
                    self.startup_ms = (time.monotonic() - t0) * 1000.0
                    return True
            except OSError:
                pass
            time.sleep(0.002)
        sys.stderr.write(f"bench: {self.name} did not become healthy; log {self.log_path}:\n")
        with open(self.log_path, "rb") as f:
            sys.stderr.write(f.read()[-2000:].decode("utf-8", "replace"))
        self.stop()
        return False

    def memory_mib(self):
        """(RSS, PSS) in MiB summed over the server process and all its descendants.
        RSS counts shared pages once per process; PSS divides them among the sharers."""
        pids = tree(self.proc.pid)
        rss = sum(_status_kib(p, "VmRSS") for p in pids)
        pss = sum(_pss_kib(p) for p in pids)
        return rss / 1024.0, pss / 1024.0

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def h2o_static(workdir, blobs):
    """The h2o standalone server serving `blobs` ({path: bytes}) from a directory."""
    www = os.path.join(workdir, "www")
    for path, data in blobs.items():
        full = os.path.join(www, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    # Run as root, h2o drops to "nobody": everything it reads must be world-readable.
    for d, _, files in os.walk(workdir):
        os.chmod(d, 0o755)
        for name in files:
            os.chmod(os.path.join(d, name), 0o644)
    conf = os.path.join(workdir, "h2o.conf")
    port = free_port()
    with open(conf, "w") as f:
        f.write(f"listen:\n  host: 127.0.0.1\n  port: {port}\n"
                "num-threads: 2\n"
                f"hosts:\n  default:\n    paths:\n      /:\n        file.dir: {www}\n")
    h2o = "/usr/sbin/h2o" if os.path.exists("/usr/sbin/h2o") else "h2o"
    return Server("h2o static", [h2o, "-c", conf], next(iter(blobs)), workdir), port


def ruststack(binary, config, workers, workdir):
    port = free_port()
    argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if config:
        argv[1:1] = ["--config", config]
    return Server(f"ruststack {workers}w", argv, "/_ruststack/health", workdir), port


def moto(workdir):
    """moto's server mode (the `moto_server` entry point, run by this Python directly)."""
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return Server("moto", argv, "/", workdir), port
