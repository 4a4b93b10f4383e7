"""Cold starts at the floor: the docker executor's standby containers (a cold invoke after
CreateFunction runs on a pre-started standby with the function's variables and read-only
code, the pool refills, memory sizes, lambda_standby = 0, a refused setting)
and the process executor's quick start (python -S: site-packages still importable, the
function's variables set). Runs in: the pytest process."""

import base64
import io
import json
import os
import subprocess
import time
import urllib.parse
import zipfile

import pytest

from conftest import LambdaServer, _stop_checked, binary_path, engine_get, have_engine
from conftest import make_lambda_client

ROLE = "arn:aws:iam::000000000000:role/lambda"

HANDLER = """import os
def handler(event, context):
    try:
        open('/var/task/written', 'w').close()
        ro = False
    except OSError:
        ro = True
    import boto3  # site-packages of the interpreter (the image's, or the host's under -S)
    return {'foo': os.environ.get('FOO'), 'region': os.environ.get('AWS_REGION'),
            'fn': os.environ.get('AWS_LAMBDA_FUNCTION_NAME'), 'pid': os.getpid(),
            'on_standby': os.path.exists('/var/rsctl/handoff'),
            'standby_var': os.environ.get('_RUSTSTACK_STANDBY'), 'ro': ro,
            'at_import': AT_IMPORT, 'printed': print('hello from the handler') is None, 'event': event, 'boto3': boto3.__name__,
            'mem': os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE'), 'text': 'caf\u00e9'}
AT_IMPORT = os.environ.get('FOO')
"""


def zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", HANDLER)
        z.writestr("pkg/__init__.py", "")
    return buf.getvalue()


def standbys(instance, running_only=True):
    f = urllib.parse.quote(json.dumps({"label": ["io.ruststack.instance=%s" % instance,
                                                 "io.ruststack.standby=1"]}))
    out = engine_get("/v1.41/containers/json?all=1&filters=" + f)
    return {c["Id"][:12]: c for c in out if not running_only or c["State"] == "running"}


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def invoke(lam, name, payload):
    r = lam.invoke(FunctionName=name, Payload=json.dumps(payload).encode())
    body = json.loads(r["Payload"].read())
    assert "FunctionError" not in r, body
    return body


def raw_text(lam, name):
    """How the result's non-ASCII text comes out: python3.12 and later raw UTF-8, before
    that \\u escapes (AWS_EXECUTION_ENV, which a standby learns at its hand-off)."""
    raw = lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()
    return "raw" if "caf\u00e9".encode() in raw else "escaped" if b"caf\\u00e9" in raw else raw


def create(lam, name, foo, memory=128, runtime="python3.11"):
    lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE,
                        Handler="app.handler", Code={"ZipFile": zip_bytes()},
                        MemorySize=memory, Environment={"Variables": {"FOO": foo}})


def start(tmp_path, executor, conf):
    srv = LambdaServer(tmp_path, executor, extra_conf="dynamodb = off\n" + conf)
    srv.start_lambda()
    return srv


def stop(srv):
    rc, alive = _stop_checked(srv)
    assert rc == 0, srv.log_tail()
    assert not alive


docker_only = pytest.mark.skipif(
    not have_engine(), reason="no container engine: RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE unset")


@docker_only
def test_cold_invoke_runs_on_a_standby_and_the_pool_refills(tmp_path):
    srv = start(tmp_path, "docker", "lambda_standby = 2\n")
    try:
        ready = wait_for(lambda: len(standbys(srv.shm_name)) == 2 and standbys(srv.shm_name),
                         60, "two standby containers")
        lam = make_lambda_client(srv.endpoint)
        create(lam, "sb1", "bar")
        t0 = time.monotonic()
        body = invoke(lam, "sb1", {"k": 1})
        cold_ms = (time.monotonic() - t0) * 1000
        assert body["foo"] == "bar" and body["at_import"] == "bar", body
        assert body["fn"] == "sb1" and body["region"] == "us-east-1"
        assert body["mem"] == "128" and body["event"] == {"k": 1}
        assert body["standby_var"] is None and body["ro"] is True and body["boto3"] == "boto3"
        assert body["on_standby"] is True, body
        # warm: the same environment
        assert invoke(lam, "sb1", {"k": 2})["pid"] == body["pid"]
        # refilled in the background: two ready ones besides the one in use
        wait_for(lambda: len(set(standbys(srv.shm_name)) - set(ready)) == 1, 60,
                 "the pool to refill")
        assert len(standbys(srv.shm_name)) == 3
        # a second function gets another standby, with its own variables
        create(lam, "sb2", "baz")
        b2 = invoke(lam, "sb2", {})
        assert b2["foo"] == "baz" and b2["fn"] == "sb2" and b2["on_standby"] is True
        assert raw_text(lam, "sb1") == "escaped"
        wait_for(lambda: len(standbys(srv.shm_name)) == 4, 60, "the pool to refill")
        create(lam, "sb3", "new", runtime="python3.12")
        assert raw_text(lam, "sb3") == "raw"
        wait_for(lambda: len(standbys(srv.shm_name)) == 5, 60, "the pool to refill again")
        print("cold invoke on a standby: %.1f ms" % cold_ms)
    finally:
        stop(srv)
    # nothing of the instance left behind, standbys included
    assert not standbys(srv.shm_name, running_only=False)


@docker_only
def test_other_memory_size_misses_then_gets_a_standby(tmp_path):
    srv = start(tmp_path, "docker", "lambda_standby = 1\n")
    try:
        ready = wait_for(lambda: standbys(srv.shm_name), 60, "a standby container")
        lam = make_lambda_client(srv.endpoint)
        create(lam, "m1", "one", memory=256)
        b1 = invoke(lam, "m1", {})
        assert b1["foo"] == "one" and b1["mem"] == "256"
        assert b1["on_standby"] is False  # no 256 MB standby yet: a container made for it
        # the 128 MB standby gave way to a 256 MB one
        wait_for(lambda: set(standbys(srv.shm_name)) - set(ready)
                 and not set(ready) & set(standbys(srv.shm_name)), 60, "a 256 MB standby")
        (sid,) = set(standbys(srv.shm_name))
        mem = engine_get("/v1.41/containers/%s/json" % sid)["HostConfig"]["Memory"]
        assert mem == 256 * 1048576
        create(lam, "m2", "two", memory=256)
        b2 = invoke(lam, "m2", {})
        assert b2["foo"] == "two" and b2["on_standby"] is True and b2["mem"] == "256"
        # the standby in use is m2's now; another 256 MB one replaces it
        wait_for(lambda: set(standbys(srv.shm_name)) - {sid}, 60, "a new standby")
    finally:
        stop(srv)


@docker_only
def test_pool_size_zero_creates_containers_on_demand(tmp_path):
    srv = start(tmp_path, "docker", "lambda_standby = 0\n")
    try:
        lam = make_lambda_client(srv.endpoint)
        time.sleep(1)
        assert not standbys(srv.shm_name, running_only=False)
        create(lam, "z1", "zero")
        body = invoke(lam, "z1", {"x": "y"})
        assert body["foo"] == "zero" and body["ro"] is True and body["event"] == {"x": "y"}
        assert body["on_standby"] is False
        assert not standbys(srv.shm_name, running_only=False)
    finally:
        stop(srv)


def standby_pids():
    """Processes started as process executor standbys (_RUSTSTACK_STANDBY=- in their
    initial environment, which /proc keeps after the hand-off too)."""
    out = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if b"_RUSTSTACK_STANDBY=-\0" in f.read():
                    out.add(int(pid))
        except OSError:
            pass
    return out


@pytest.mark.parametrize("standby", [2, 0])
def test_process_executor_cold_invoke(tmp_path, standby):
    before = standby_pids()
    srv = start(tmp_path, "process", "lambda_standby = %d\n" % standby)
    try:
        mine = lambda: standby_pids() - before  # noqa: E731
        if standby:
            ready = wait_for(lambda: len(mine()) == standby and mine(), 30, "standby processes")
        else:
            time.sleep(0.5)
            assert not mine()
        lam = make_lambda_client(srv.endpoint)
        create(lam, "p1", "proc")
        body = invoke(lam, "p1", {"a": [1, 2]})
        assert body["foo"] == "proc" and body["at_import"] == "proc" and body["fn"] == "p1"
        assert body["event"] == {"a": [1, 2]} and body["boto3"] == "boto3"
        assert body["standby_var"] is None
        assert (body["pid"] in ready) if standby else not mine()
        assert invoke(lam, "p1", {})["pid"] == body["pid"]
        # the handler's output reaches the function's log
        r = lam.invoke(FunctionName="p1", LogType="Tail")
        assert "REPORT RequestId" in base64.b64decode(r["LogResult"]).decode()
        if standby:  # refilled
            wait_for(lambda: len(mine() - {body["pid"]}) == standby, 30,
                     "the standby processes to refill")
            create(lam, "p2", "other")
            b2 = invoke(lam, "p2", {})
            assert b2["foo"] == "other" and b2["pid"] in mine() - {body["pid"]}
        assert raw_text(lam, "p1") == "escaped"
        create(lam, "p3", "new", runtime="python3.12")
        assert raw_text(lam, "p3") == "raw"
    finally:
        stop(srv)
    assert not standby_pids() - before


@pytest.mark.parametrize("value", ["33", "-1", "two", ""])
def test_invalid_standby_setting_is_refused(tmp_path, value):
    conf = tmp_path / "rs.conf"
    conf.write_text("lambda_standby = %s\n" % value)
    r = subprocess.run([binary_path(), "-t", "-c", str(conf)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "lambda_standby" in r.stderr, r.stderr
