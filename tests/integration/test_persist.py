"""Persistence with `data_dir`: the S3 store is the file <data_dir>/s3/store.region,
DynamoDB Local runs with -dbPath <data_dir>/dynamodb (when DynamoDB Local is available) and
Lambda keeps its functions under <data_dir>/lambda (process executor). Writes S3 objects
(small, multi-MB), a DynamoDB table with items and a Lambda function, then:
(a) SIGTERM + restart: all there; (b) SIGKILL of every process at once (master, workers,
both supervisors, java, function processes) + restart: all there, /_ruststack/check
clean, objects byte-exact, new writes work; (c) a second server on the same data_dir
refuses to start; (d) a changed s3_capacity is refused naming the setting and the file.
Runs in: the pytest process (the servers are real ruststack binaries)."""

import hashlib
import io
import json
import os
import signal
import time
import zipfile

import boto3
import pytest
import requests
from botocore.config import Config

from conftest import (LambdaServer, descendants, ddb_local_dir, make_ddb_client,
                      make_lambda_client, wait_ddb_state)

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
BUCKET = "persist-bucket"
FUNCTION = "persist-fn"
TABLE = "persist-table"
MAIN_PY = "def handler(event, context):\n    return {'echo': event, 'from': 'persisted'}\n"


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 suite's per-test reset: these tests run their own servers."""
    yield


def have_ddb():
    return os.path.exists(os.path.join(ddb_local_dir(), "DynamoDBLocal.jar"))


def body(n, seed):
    """n deterministic, incompressible-looking bytes."""
    out = bytearray()
    block = hashlib.sha256(b"seed-%d" % seed).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


# key -> (size, seed)
OBJECTS = {
    "small/a.txt": (11, 1),
    "small/b.bin": (4000, 2),
    "dir/medium.bin": (700 * 1024, 3),
    "big/three-mib.bin": (3 * 1024 * 1024 + 17, 4),
    "big/twelve-mib.bin": (12 * 1024 * 1024 + 5, 5),
}


def s3_client(endpoint):
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "path"},
                      retries={"mode": "standard", "max_attempts": 1}))


class Persisted:
    """One data directory and the servers started on it in turn."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.data_dir = str(tmp_path / "data")
        self.n = 0
        self.servers = []
        self.ddb = have_ddb()

    def server(self, capacity="64m"):
        self.n += 1
        wd = self.tmp / ("run%d" % self.n)
        wd.mkdir()
        srv = LambdaServer(wd, "process", extra_conf=(
            "data_dir = %s\ns3_capacity = %s\ns3_max_object_size = 32m\n"
            "s3_max_objects = 4096\n" % (self.data_dir, capacity)))
        self.servers.append(srv)
        return srv

    def start(self):
        srv = self.server()
        srv.start_lambda()
        if self.ddb:
            h = wait_ddb_state(srv.endpoint, ("running",), 90)
            assert h.get("state") == "running", "dynamodb: %r\n%s" % (h, srv.log_tail())
        return srv

    def close(self):
        for srv in self.servers:
            srv.close()


@pytest.fixture
def pers(tmp_path):
    p = Persisted(tmp_path)
    yield p
    p.close()


def write_everything(srv):
    s3 = s3_client(srv.endpoint)
    s3.create_bucket(Bucket=BUCKET)
    for key, (n, seed) in OBJECTS.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body(n, seed))
    s3.put_object(Bucket=BUCKET, Key="overwritten", Body=b"first")
    s3.put_object(Bucket=BUCKET, Key="overwritten", Body=b"second value")
    s3.put_object(Bucket=BUCKET, Key="deleted", Body=b"gone soon")
    s3.delete_object(Bucket=BUCKET, Key="deleted")

    if have_ddb():
        ddb = make_ddb_client(srv.endpoint)
        ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        for i in range(20):
            ddb.put_item(TableName=TABLE, Item={"pk": {"S": "k%02d" % i}, "n": {"N": str(i)}})

    lam = make_lambda_client(srv.endpoint)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("main.py", date_time=(2020, 1, 1, 0, 0, 0)), MAIN_PY)
    lam.create_function(FunctionName=FUNCTION, Runtime="python3.11", Role=ROLE,
                        Handler="main.handler", Code={"ZipFile": buf.getvalue()}, Timeout=30)
    lam.get_waiter("function_active_v2").wait(
        FunctionName=FUNCTION, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    out = json.loads(lam.invoke(FunctionName=FUNCTION, Payload=b'{"x": 1}')["Payload"].read())
    assert out == {"echo": {"x": 1}, "from": "persisted"}


def check_everything(srv, extra=()):
    r = requests.get(srv.endpoint + "/_ruststack/check", timeout=60)
    assert r.status_code == 200 and r.json().get("clean") is True, r.text

    s3 = s3_client(srv.endpoint)
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]
    want = dict(OBJECTS)
    want.update(extra)
    for key, (n, seed) in want.items():
        got = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert len(got) == n and got == body(n, seed), "%s differs after the restart" % key
    assert s3.get_object(Bucket=BUCKET, Key="overwritten")["Body"].read() == b"second value"
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted(list(want) + ["overwritten"])

    if have_ddb():
        ddb = make_ddb_client(srv.endpoint)
        assert TABLE in ddb.list_tables()["TableNames"]
        items = ddb.scan(TableName=TABLE)["Items"]
        assert sorted(int(i["n"]["N"]) for i in items) == list(range(20))
        assert ddb.get_item(TableName=TABLE, Key={"pk": {"S": "k07"}})["Item"]["n"]["N"] == "7"

    lam = make_lambda_client(srv.endpoint)
    assert lam.get_function(FunctionName=FUNCTION)["Configuration"]["Handler"] == "main.handler"
    out = json.loads(lam.invoke(FunctionName=FUNCTION, Payload=b'{"y": 2}')["Payload"].read())
    assert out == {"echo": {"y": 2}, "from": "persisted"}

    # new writes work on the restarted store
    s3.put_object(Bucket=BUCKET, Key="after-restart", Body=body(2 * 1024 * 1024, 9))
    assert s3.get_object(Bucket=BUCKET, Key="after-restart")["Body"].read() == body(
        2 * 1024 * 1024, 9)
    s3.delete_object(Bucket=BUCKET, Key="after-restart")
    s3.put_object(Bucket=BUCKET, Key="overwritten", Body=b"second value")
    if have_ddb():
        make_ddb_client(srv.endpoint).put_item(TableName=TABLE,
                                               Item={"pk": {"S": "k07"}, "n": {"N": "7"}})


def kill_everything(srv):
    """SIGKILL every process of the instance at once: freeze the tree (so nothing respawns
    or reaps), collect it until stable, then kill them all. Returns {pid: command line}."""
    pids = {srv.proc.pid}
    os.kill(srv.proc.pid, signal.SIGSTOP)
    while True:
        more = set()
        for p in list(pids):
            more.update(descendants(p))
        new = more - pids
        if not new:
            break
        for p in new:
            try:
                os.kill(p, signal.SIGSTOP)
            except OSError:
                pass
        pids |= new
    cmdlines = {p: _cmdline(p) for p in pids}
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    srv.proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists("/proc/%d" % p) for p in pids
                                              if not _gone(p)):
        time.sleep(0.05)
    srv._log.close()
    return cmdlines


def _gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_sigterm_restart_keeps_everything(pers):
    srv = pers.start()
    write_everything(srv)
    rc, alive = srv.stop()
    assert rc == 0 and not alive, srv.log_tail()
    assert os.path.getsize(os.path.join(pers.data_dir, "s3", "store.region")) > 0
    srv = pers.start()
    check_everything(srv)


def test_sigkill_of_everything_keeps_everything(pers):
    srv = pers.start()
    write_everything(srv)
    # acknowledged right before the kill, no pause: must survive too
    s3_client(srv.endpoint).put_object(Bucket=BUCKET, Key="last/ack.bin", Body=body(1500000, 7))
    killed = kill_everything(srv)
    assert len(killed) >= 5, "expected master, 2 workers, 2 supervisors: %r" % killed
    if pers.ddb:
        assert any("DynamoDBLocal" in c for c in killed.values()), "java not killed: %r" % killed
    srv = pers.start()
    check_everything(srv, {"last/ack.bin": (1500000, 7)})
    # and once more, after the restarted server's own writes
    kill_everything(srv)
    srv = pers.start()
    check_everything(srv, {"last/ack.bin": (1500000, 7)})


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def test_second_server_on_same_data_dir_refused(pers):
    srv = pers.start()
    s3_client(srv.endpoint).create_bucket(Bucket=BUCKET)
    second = pers.server()
    with pytest.raises(RuntimeError) as e:
        second.start()
    assert second.proc.returncode != 0
    msg = second.log_tail()
    assert "in use by another ruststack" in msg and str(srv.proc.pid) in msg, msg
    assert os.path.join(pers.data_dir, "s3") in msg, msg
    assert "exited" in str(e.value)
    # the first one is untouched
    s3 = s3_client(srv.endpoint)
    s3.put_object(Bucket=BUCKET, Key="still", Body=b"works")
    assert s3.get_object(Bucket=BUCKET, Key="still")["Body"].read() == b"works"
    assert requests.get(srv.endpoint + "/_ruststack/check", timeout=60).json()["clean"]


def test_changed_capacity_refused(pers):
    srv = pers.start()
    s3_client(srv.endpoint).create_bucket(Bucket=BUCKET)
    s3_client(srv.endpoint).put_object(Bucket=BUCKET, Key="k", Body=b"v")
    rc, _ = srv.stop()
    assert rc == 0
    bigger = pers.server(capacity="128m")
    with pytest.raises(RuntimeError):
        bigger.start()
    msg = bigger.log_tail()
    region = os.path.join(pers.data_dir, "s3", "store.region")
    assert "s3_capacity" in msg and region in msg, msg
    # the file is untouched: the old setting still serves the data
    srv = pers.start()
    assert s3_client(srv.endpoint).get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"v"


def test_multipart_upload_across_sigkill_restart(tmp_path):
    """An upload in progress keeps its id and parts across a SIGKILL of every process and
    a restart on the same data_dir; a completed multipart object keeps its parts."""
    from conftest import Server
    data_dir = tmp_path / "data"
    conf = ("data_dir = %s\ns3_capacity = 64m\ns3_max_object_size = 32m\n"
            "s3_max_objects = 4096\ndynamodb = off\n" % data_dir)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    srv = Server(tmp_path / "a", extra_conf=conf)
    srv2 = None
    try:
        srv.start()
        s3 = s3_client(srv.endpoint)
        s3.create_bucket(Bucket=BUCKET)
        p1, p2 = body(5 * 1024 * 1024, 21), body(1000, 22)
        done = s3.create_multipart_upload(Bucket=BUCKET, Key="done")["UploadId"]
        e = [s3.upload_part(Bucket=BUCKET, Key="done", UploadId=done, PartNumber=i,
                            Body=p)["ETag"] for i, p in ((1, p1), (2, p2))]
        etag = s3.complete_multipart_upload(
            Bucket=BUCKET, Key="done", UploadId=done,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e[0]},
                                       {"PartNumber": 2, "ETag": e[1]}]})["ETag"]
        up = s3.create_multipart_upload(Bucket=BUCKET, Key="open")["UploadId"]
        e1 = s3.upload_part(Bucket=BUCKET, Key="open", UploadId=up, PartNumber=1,
                            Body=p1)["ETag"]
        kill_everything(srv)
        srv2 = Server(tmp_path / "b", extra_conf=conf)
        srv2.start()
        s3 = s3_client(srv2.endpoint)
        parts = s3.list_parts(Bucket=BUCKET, Key="open", UploadId=up)["Parts"]
        assert [(p["PartNumber"], p["ETag"]) for p in parts] == [(1, e1)]
        e2 = s3.upload_part(Bucket=BUCKET, Key="open", UploadId=up, PartNumber=2,
                            Body=p2)["ETag"]
        s3.complete_multipart_upload(
            Bucket=BUCKET, Key="open", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                       {"PartNumber": 2, "ETag": e2}]})
        assert s3.get_object(Bucket=BUCKET, Key="open")["Body"].read() == p1 + p2
        g = s3.get_object(Bucket=BUCKET, Key="done", PartNumber=2)
        assert g["ETag"] == etag and g["PartsCount"] == 2 and g["Body"].read() == p2
        assert requests.get(srv2.endpoint + "/_ruststack/check", timeout=30).status_code == 200
    finally:
        srv.close()
        if srv2 is not None:
            srv2.close()
