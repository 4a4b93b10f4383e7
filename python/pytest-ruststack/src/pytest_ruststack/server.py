"""Finding or starting the RustStack server of a test session.

``connect(endpoint)`` checks a running server; ``Server`` starts the ``ruststack`` binary
on a free loopback port with a temporary configuration (its own shared-memory name and
runtime directory, so sessions never collide) and stops it with SIGTERM."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


class RustStackError(Exception):
    """RustStack cannot be used: the message says why and what to do."""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(endpoint, timeout=2.0):
    """The /_ruststack/health document, or None when the server does not answer it."""
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + "/_ruststack/health",
                                    timeout=timeout) as r:
            return json.loads(r.read().decode())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def settled(h):
    """True when no service is still starting (running, unavailable or disabled)."""
    services = (h or {}).get("services", {})
    return bool(services) and all(
        s.get("state") != "starting" for s in services.values() if isinstance(s, dict))


def wait_ready(endpoint, timeout, proc=None, log=None):
    deadline = time.monotonic() + timeout
    h = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RustStackError("ruststack exited with status %s during start-up%s"
                                 % (proc.returncode, log() if log else ""))
        h = health(endpoint)
        if settled(h):
            return h
        time.sleep(0.1)
    raise RustStackError("RustStack at %s was not ready within %.0f s (health: %s)%s"
                         % (endpoint, timeout, json.dumps(h), log() if log else ""))


def connect(endpoint, timeout=60.0):
    """Check a running server (RUSTSTACK_ENDPOINT): it must answer its health endpoint."""
    if health(endpoint, timeout=5.0) is None:
        raise RustStackError(
            "RUSTSTACK_ENDPOINT is %s but nothing answers %s/_ruststack/health there: start "
            "RustStack or unset RUSTSTACK_ENDPOINT to let the plugin start the binary"
            % (endpoint, endpoint.rstrip("/")))
    wait_ready(endpoint, timeout)
    return endpoint.rstrip("/")


def find_binary(explicit=None):
    """The ruststack binary: --ruststack-binary, else RUSTSTACK_BINARY, else PATH."""
    for cand, what in ((explicit, "--ruststack-binary"),
                       (os.environ.get("RUSTSTACK_BINARY"), "RUSTSTACK_BINARY")):
        if cand:
            if os.path.isfile(cand) and os.access(cand, os.X_OK):
                return os.path.abspath(cand)
            raise RustStackError("%s names %s, which is not an executable file" % (what, cand))
    found = shutil.which("ruststack")
    if found:
        return found
    raise RustStackError(
        "no RustStack to test against: RUSTSTACK_ENDPOINT is not set and no `ruststack` "
        "binary is on PATH. Set RUSTSTACK_ENDPOINT=http://host:port to use a running server, "
        "or install RustStack / pass --ruststack-binary=/path/to/ruststack")


class Server:
    """A ruststack process of our own. `conf`: extra "key = value" lines."""

    def __init__(self, binary, conf=(), workers=2, start_timeout=90.0):
        self.binary = binary
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.workers = workers
        self.start_timeout = start_timeout
        # short: runtime_dir holds Unix sockets (at most 90 bytes)
        self.dir = tempfile.mkdtemp(prefix="rs-pytest-")
        self.conf_path = os.path.join(self.dir, "ruststack.conf")
        self.log_path = os.path.join(self.dir, "ruststack.log")
        lines = ["bind = 127.0.0.1", "port = %d" % self.port, "workers = %d" % workers,
                 "shm_name = /rs-pytest-%d-%d" % (os.getpid(), self.port),
                 "runtime_dir = %s" % os.path.join(self.dir, "run"),
                 "lambda_executor = process"]
        lines += [c.strip() for c in conf if c.strip()]
        with open(self.conf_path, "w") as f:
            f.write("# written by pytest-ruststack\n" + "\n".join(lines) + "\n")
        self.shm_name = "/rs-pytest-%d-%d" % (os.getpid(), self.port)
        self.proc = None
        self._log = None

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().splitlines()[-n:]
        except OSError:
            return ""
        return "\n--- last lines of %s ---\n%s" % (
            self.log_path, b"\n".join(lines).decode(errors="replace"))

    def start(self):
        self._log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(
                [self.binary, "--config", self.conf_path], stdout=self._log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        except OSError as e:
            raise RustStackError("cannot run %s: %s" % (self.binary, e)) from None
        try:
            wait_ready(self.endpoint, self.start_timeout, self.proc, self.log_tail)
        except RustStackError:
            self.stop()
            raise
        return self.endpoint

    def stop(self, timeout=15.0):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status (None: killed)."""
        rc = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                try:  # a killed master cannot remove its shared-memory region
                    os.unlink("/dev/shm" + self.shm_name)
                except OSError:
                    pass
        elif self.proc is not None:
            rc = self.proc.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        if rc == 0:
            shutil.rmtree(self.dir, ignore_errors=True)
        return rc
