"""The docker executor learns that a container ended from the engine's event stream, not
from a POST /containers/<id>/wait held open per container (podman 4.3.1 spins a core on
each, podman issue #18150): a warm container killed from outside (podman kill) is noticed
within seconds, removed, and replaced by a cold start at the next invoke; a container killed
during an invocation ends that invocation as Lambda reports a crashed runtime
(Runtime.ExitError, "signal: killed"); and with idle warm environments the engine's CPU
(podman service plus its conmon processes) stays within a few percent of a core.
Runs in: the pytest process."""

import io
import json
import os
import shutil
import subprocess
import threading
import time
import zipfile

import pytest

from conftest import (LambdaServer, _stop_checked, engine_containers, have_engine,
                      make_lambda_client)
from test_lambda_containers import wait_for

pytestmark = pytest.mark.skipif(
    not have_engine(), reason="no container engine: RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE unset")

ROLE = "arn:aws:iam::000000000000:role/lambda"
HZ = os.sysconf("SC_CLK_TCK")
APP = (b"import os, time\n"
       b"def handler(e, c):\n"
       b"    if isinstance(e, dict) and e.get('sleep'):\n"
       b"        time.sleep(e['sleep'])\n"
       b"    return {'pid': os.getpid()}\n")


def zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", APP)
    return buf.getvalue()


@pytest.fixture
def srv(tmp_path):
    s = LambdaServer(tmp_path, "docker", extra_conf="dynamodb = off\n")
    s.start_lambda()
    yield s
    rc, _ = _stop_checked(s)
    assert rc == 0
    assert engine_containers(s.shm_name) == [], "containers left after SIGTERM"


def kill_container(cid):
    """Kill from outside RustStack: the podman CLI when there is one, else the API."""
    if shutil.which("podman"):
        subprocess.run(["podman", "kill", cid], check=True, capture_output=True, timeout=30)
        return
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.environ["RS_DOCKER_SOCKET"])
    s.sendall(("POST /v1.41/containers/%s/kill HTTP/1.0\r\nHost: d\r\n\r\n" % cid).encode())
    s.recv(4096)
    s.close()


def create(lam, name, timeout=30):
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Timeout=timeout,
                        Handler="app.handler", Code={"ZipFile": zip_bytes()})


def test_killed_warm_container_is_noticed_and_replaced(srv):
    lam = make_lambda_client(srv.endpoint)
    create(lam, "k1")
    r = lam.invoke(FunctionName="k1")
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    first = engine_containers(srv.shm_name)
    assert len(first) == 1, first
    t0 = time.monotonic()
    kill_container(first[0])
    # the end is seen (event stream), the idle environment reaped, its container removed
    wait_for(lambda: first[0] not in engine_containers(srv.shm_name), 15,
             "the killed container to be noticed and removed")
    noticed = time.monotonic() - t0
    assert noticed < 10, "noticed after %.1f s: not from the event stream" % noticed
    r = lam.invoke(FunctionName="k1")
    assert r["StatusCode"] == 200 and "FunctionError" not in r, r
    now = engine_containers(srv.shm_name)
    assert len(now) == 1 and now[0] != first[0], (first, now)
    # a second kill of the replacement is noticed as well (the stream stays up)
    kill_container(now[0])
    wait_for(lambda: now[0] not in engine_containers(srv.shm_name), 15,
             "the second killed container to be removed")


def test_container_killed_during_invoke_is_a_runtime_exit_error(srv):
    lam = make_lambda_client(srv.endpoint)
    create(lam, "k2")
    assert "FunctionError" not in lam.invoke(FunctionName="k2")
    cid = engine_containers(srv.shm_name)[0]
    out = {}

    def run():
        t = time.monotonic()
        out["r"] = lam.invoke(FunctionName="k2", Payload=json.dumps({"sleep": 20}))
        out["t"] = time.monotonic() - t

    th = threading.Thread(target=run)
    th.start()
    time.sleep(1.5)
    kill_container(cid)
    th.join(30)
    assert not th.is_alive()
    r = out["r"]
    assert r["StatusCode"] == 200
    assert r.get("FunctionError") == "Unhandled", r
    body = json.loads(r["Payload"].read())
    assert body["errorType"] == "Runtime.ExitError", body
    assert "signal: killed" in body["errorMessage"], body
    assert out["t"] < 12, "the crash took %.1f s to be reported" % out["t"]
    # the environment is replaced: the next invoke works in a new container
    r = lam.invoke(FunctionName="k2")
    assert "FunctionError" not in r
    now = engine_containers(srv.shm_name)
    assert cid not in now and len(now) == 1, now


def engine_pids():
    """The podman API service (the process serving RS_DOCKER_SOCKET) and its conmons."""
    svc, conmons = None, []
    sock = os.environ["RS_DOCKER_SOCKET"]
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % d, "rb").read().split(b"\0")
            comm = open("/proc/%s/comm" % d).read().strip()
        except OSError:
            continue
        if comm == "conmon":
            conmons.append(int(d))
        elif (os.path.basename(cmd[0].decode(errors="replace")) == "podman"
              and b"system" in cmd and b"service" in cmd
              and any(sock.encode() in a for a in cmd)):
            svc = int(d)
    return ([svc] + conmons) if svc else []


def cpu_ticks(pids):
    t = 0
    for p in pids:
        try:
            s = open("/proc/%d/stat" % p).read()
        except OSError:
            continue
        f = s[s.rindex(")") + 2:].split()
        t += int(f[11]) + int(f[12])
    return t


def test_idle_warm_environments_cost_the_engine_little(srv):
    if not engine_pids():
        pytest.skip("the engine is not a podman service on this host (no pid to measure)")
    lam = make_lambda_client(srv.endpoint)
    n = 5
    for i in range(n):
        create(lam, "idle%d" % i, timeout=60)
        assert "FunctionError" not in lam.invoke(FunctionName="idle%d" % i)
    assert len(engine_containers(srv.shm_name)) == n
    time.sleep(1)  # let the start-up work settle
    # The engine may be shared (other test runs start containers): a window of 10 s under
    # the bound passes; up to three are tried. A blocking wait per container kept podman
    # 4.3.1 above 100 % of a core in every window.
    seen = []
    for _ in range(3):
        pids = engine_pids()
        a, t0 = cpu_ticks(pids), time.monotonic()
        time.sleep(10)
        seen.append((cpu_ticks(pids) - a) / HZ / (time.monotonic() - t0))
        if seen[-1] < 0.05:
            break
    assert min(seen) < 0.05, "the engine used %s %% of a core with %d idle environments" % (
        ", ".join("%.1f" % (x * 100) for x in seen), n)
    assert len(engine_containers(srv.shm_name)) == n, "the idle environments did not stay"
