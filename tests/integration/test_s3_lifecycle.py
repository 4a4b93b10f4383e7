"""Process life cycle seen from outside: a second server instance starts healthy, serves S3
with several workers, and on SIGTERM exits 0 within 10 s leaving no worker process and no
/dev/shm region; two instances on different ports do not share state."""

import os

import pytest
import requests

from conftest import Server, children_of, make_client


@pytest.fixture
def second(tmp_path):
    srv = Server(tmp_path, workers=2)
    srv.start()
    yield srv
    srv.close()


def test_sigterm_clean_exit(second):
    assert os.path.exists(second.shm_path())
    assert len(children_of(second.proc.pid)) >= 2
    c = make_client(second.endpoint)
    c.create_bucket(Bucket="life")
    c.put_object(Bucket="life", Key="k", Body=b"x" * 1000)
    rc, leftover = second.stop()
    assert rc == 0, second.log_tail()
    assert leftover == []
    assert not os.path.exists(second.shm_path())


def test_instances_are_isolated(second, s3):
    c = make_client(second.endpoint)
    c.create_bucket(Bucket="only-in-second")
    assert "only-in-second" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_all_workers_serve(second):
    c = make_client(second.endpoint)
    c.create_bucket(Bucket="spread")
    # many short connections: every worker accepts some; all see the same store
    for i in range(40):
        r = requests.put(second.endpoint + "/spread/k%d" % i, data=b"v%d" % i, timeout=10)
        assert r.status_code == 200
    for i in range(40):
        r = requests.get(second.endpoint + "/spread/k%d" % i, timeout=10)
        assert r.content == b"v%d" % i
    assert c.list_objects_v2(Bucket="spread")["KeyCount"] == 40


def test_config_check_flag(tmp_path):
    import subprocess
    from conftest import binary_path
    good = tmp_path / "good.conf"
    good.write_text("port = 4599\nworkers = 1\n")
    res = subprocess.run([binary_path(), "-t", "--config", str(good)], capture_output=True,
                         timeout=10)
    assert res.returncode == 0, res.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("port = 4599\nworkers = banana\n")
    res = subprocess.run([binary_path(), "-t", "--config", str(bad)], capture_output=True,
                         timeout=10)
    assert res.returncode == 1
    assert b"bad.conf:2" in res.stdout + res.stderr


def test_entity_too_large(tmp_path):
    srv = Server(tmp_path, workers=1, extra_conf="s3_max_object_size = 1m\n")
    srv.start()
    try:
        c = make_client(srv.endpoint)
        c.create_bucket(Bucket="limit")
        c.put_object(Bucket="limit", Key="ok", Body=b"x" * (1024 * 1024))
        r = requests.put(srv.endpoint + "/limit/big", data=b"x" * (1024 * 1024 + 1), timeout=10)
        assert r.status_code == 400, r.text
        assert b"<Code>EntityTooLarge</Code>" in r.content
        assert b"<ProposedSize>1048577</ProposedSize>" in r.content
        assert b"<MaxSizeAllowed>1048576</MaxSizeAllowed>" in r.content
        assert requests.head(srv.endpoint + "/limit/big", timeout=10).status_code == 404
    finally:
        srv.close()


def test_killed_worker_is_respawned(second):
    import signal
    import time
    c = make_client(second.endpoint)
    c.create_bucket(Bucket="survive")
    c.put_object(Bucket="survive", Key="k", Body=b"still here")
    kids = children_of(second.proc.pid)
    assert len(kids) >= 2
    os.kill(kids[0], signal.SIGKILL)
    deadline = time.monotonic() + 10
    now_kids = []
    while time.monotonic() < deadline:
        now_kids = [p for p in children_of(second.proc.pid) if p != kids[0]]
        if len(now_kids) >= len(kids):
            break
        time.sleep(0.1)
    assert len(now_kids) >= len(kids), "worker not respawned: %r" % now_kids
    for _ in range(20):
        assert c.get_object(Bucket="survive", Key="k")["Body"].read() == b"still here"
    c.put_object(Bucket="survive", Key="k2", Body=b"after respawn")
    assert requests.get(second.endpoint + "/_ruststack/check", timeout=30).json()["clean"]
    rc, leftover = second.stop()
    assert rc == 0
    assert leftover == []
    assert not os.path.exists(second.shm_path())
