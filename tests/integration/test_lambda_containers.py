"""Container lifecycle with the real engine: warm containers are labelled with the
instance; a SIGKILLed lambda supervisor's containers are removed by its successor (which
serves the same functions); SIGTERM of RustStack removes every container; and a whole
RustStack killed with SIGKILL leaves containers that the next start on the same instance
removes. Runs in: the pytest process."""

import io
import os
import re
import signal
import time
import zipfile

import pytest

from conftest import (LambdaServer, _stop_checked, engine_containers, have_engine,
                      make_lambda_client)

pytestmark = pytest.mark.skipif(
    not have_engine(), reason="no container engine: RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE unset")

ROLE = "arn:aws:iam::000000000000:role/lambda"


def zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "import os\ndef handler(e, c):\n    return {'pid': os.getpid()}\n")
    return buf.getvalue()


def supervisor_pid(srv):
    pids = re.findall(rb"started lambda supervisor \(pid (\d+)\)", open(srv.log_path, "rb").read())
    return int(pids[-1]) if pids else None


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def start(tmp_path, name, shm=None):
    wd = tmp_path / name
    wd.mkdir()
    srv = LambdaServer(wd, "docker", extra_conf="dynamodb = off\n")
    if shm is not None:
        # the same instance name as a previous (killed) server: its orphans are ours
        text = open(srv.conf_path).read().replace(srv.shm_name, shm)
        open(srv.conf_path, "w").write(text)
        srv.shm_name = shm
    srv.start_lambda()
    return srv


def test_supervisor_crash_and_stop_leave_no_containers(tmp_path):
    srv = start(tmp_path, "a")
    try:
        lam = make_lambda_client(srv.endpoint)
        lam.create_function(FunctionName="c1", Runtime="python3.12", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": zip_bytes()})
        lam.invoke(FunctionName="c1")
        first = engine_containers(srv.shm_name)
        assert len(first) == 1, first
        old = supervisor_pid(srv)
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: supervisor_pid(srv) not in (None, old), 15, "a new lambda supervisor")
        # the successor removes the dead one's container and serves the same function
        wait_for(lambda: not (set(first) & set(engine_containers(srv.shm_name))), 30,
                 "the orphaned container to be removed")
        r = wait_for(lambda: _try_invoke(lam, "c1"), 60, "an invoke after the restart")
        assert r["StatusCode"] == 200
        assert len(engine_containers(srv.shm_name)) == 1
    finally:
        rc, alive = _stop_checked(srv)
    assert rc == 0
    assert engine_containers(srv.shm_name) == [], "containers left after SIGTERM"


def _try_invoke(lam, name):
    try:
        r = lam.invoke(FunctionName=name)
        return r if "FunctionError" not in r else None
    except Exception:
        return None


def test_killed_instance_orphans_removed_at_next_start(tmp_path):
    srv = start(tmp_path, "b")
    shm = srv.shm_name
    lam = make_lambda_client(srv.endpoint)
    lam.create_function(FunctionName="c2", Runtime="python3.12", Role=ROLE,
                        Handler="app.handler", Code={"ZipFile": zip_bytes()})
    lam.invoke(FunctionName="c2")
    assert len(engine_containers(shm)) == 1
    # SIGKILL everything: master, workers, supervisors
    pids = [srv.proc.pid] + [int(p) for p in re.findall(
        rb"started .*?\(pid (\d+)\)", open(srv.log_path, "rb").read())]
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    srv.proc.wait()
    try:
        os.unlink("/dev/shm" + shm)
    except FileNotFoundError:
        pass
    assert len(engine_containers(shm)) == 1, "the container outlived its killed instance"
    again = start(tmp_path, "c", shm=shm)
    try:
        wait_for(lambda: engine_containers(shm) == [], 30, "the next start to remove the orphan")
    finally:
        rc, _ = _stop_checked(again)
    assert rc == 0
