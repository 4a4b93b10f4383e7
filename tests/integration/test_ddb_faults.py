"""DynamoDB fault tests on a ruststack of their own: SIGKILL DynamoDB Local (the java
descendant of the master, found through /proc) under a bounded load -> clients see only
clean, retryable AWS errors that fail fast, botocore's retries carry them through, health
goes starting -> running on a new java process; SIGKILL the ddb supervisor -> its java goes
too, the master starts a new supervisor and requests recover; and a ruststack whose
`dynamodb_local_dir` is empty (or whose `java` does not exist) still serves S3 while
DynamoDB is `unavailable` with a reason and requests get an AWS-shaped error naming what to
install. Every request has a timeout and every loop is bounded in time and count.
Runs in: the pytest process (plus its load threads)."""

import json
import os
import signal
import threading
import time

import pytest
import requests
from botocore.exceptions import (ClientError, ConnectionClosedError, EndpointConnectionError,
                                 ReadTimeoutError)

from conftest import (DDB_READY_TIMEOUT, DdbRaw, DdbServer, _stop_checked, children_of,
                      ddb_health, make_client, make_ddb_client, unique_name, wait_ddb_state)


@pytest.fixture(autouse=True)
def _reset():
    """Overrides the S3 reset: these tests run their own servers."""


# botocore's standard retry mode treats these as transient (retryable).
RETRYABLE_CODES = {"ServiceUnavailable", "InternalServerError", "InternalFailure",
                   "ThrottlingException", "RequestLimitExceeded", "Throttling",
                   "TransactionInProgressException", "RequestTimeout", "RequestTimeoutException",
                   "ProvisionedThroughputExceededException", "SlowDown",
                   "ServiceUnavailableException", "BadGateway", "GatewayTimeout"}


def classify(exc):
    """'clean' for an AWS-shaped error botocore would retry, else a description."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if err.get("Code") in RETRYABLE_CODES or status in (500, 502, 503, 504):
            if err.get("Code") and err.get("Message"):
                return "clean"
            return "no code/message: %r" % (exc.response,)
        return "non-retryable %s %s: %s" % (status, err.get("Code"), err.get("Message"))
    return "%s: %s" % (type(exc).__name__, exc)


def own_server(tmp_path, **kw):
    if os.environ.get("RS_DDB_ENDPOINT"):
        pytest.skip("RS_DDB_ENDPOINT: no server process to kill")
    srv = DdbServer(tmp_path, **kw)
    try:
        srv.start_ddb()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    return srv


@pytest.fixture
def faulty(tmp_path):
    srv = own_server(tmp_path)
    yield srv
    rc, alive = _stop_checked(srv)
    assert rc == 0, "exit code after SIGTERM: %r\n%s" % (rc, srv.log_tail())
    assert not alive, "processes left after SIGTERM: %r" % alive


def wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def wait_for(pred, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Load:
    """`threads` threads of ListTables + PutItem/GetItem without retries, for at most
    `seconds` and `max_requests` each; every outcome is recorded with its duration."""

    def __init__(self, endpoint, table, threads=4, seconds=60.0, max_requests=20000):
        self.endpoint, self.table = endpoint, table
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.clean = 0
        self.dirty = []
        self.slowest_failure = 0.0
        self.table_lost = 0
        self.seconds, self.max_requests = seconds, max_requests
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True)
                        for n in range(threads)]

    def run(self, n):
        c = make_ddb_client(self.endpoint, connect_timeout=5, read_timeout=15)
        deadline = time.monotonic() + self.seconds
        for i in range(self.max_requests):
            if self.stop_flag.is_set() or time.monotonic() > deadline:
                return
            t0 = time.monotonic()
            try:
                if i % 3 == 0:
                    c.list_tables(Limit=5)
                elif i % 3 == 1:
                    c.put_item(TableName=self.table, Item={"pk": {"S": "l%d-%d" % (n, i)}})
                else:
                    c.get_item(TableName=self.table, Key={"pk": {"S": "l%d-%d" % (n, i - 1)}})
                with self.lock:
                    self.ok += 1
            except Exception as e:  # every outcome is classified below
                dt = time.monotonic() - t0
                kind = classify(e)
                with self.lock:
                    self.slowest_failure = max(self.slowest_failure, dt)
                    if kind == "clean":
                        self.clean += 1
                    elif isinstance(e, ClientError) and \
                            e.response["Error"].get("Code") == "ResourceNotFoundException":
                        # -inMemory: the restarted DynamoDB Local has no tables
                        self.table_lost += 1
                    else:
                        self.dirty.append(kind)
                time.sleep(0.01)

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in self.threads), "a load thread hangs"


def make_table(client):
    name = unique_name("fault")
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    return name


def recovered_requests(endpoint):
    """A fresh client: create a table, write, read (all must succeed)."""
    c = make_ddb_client(endpoint)
    name = make_table(c)
    c.put_item(TableName=name, Item={"pk": {"S": "after"}, "v": {"N": "1"}})
    assert c.get_item(TableName=name, Key={"pk": {"S": "after"}})["Item"]["v"] == {"N": "1"}
    assert name in c.list_tables()["TableNames"]


def test_sigkill_dynamodb_local_under_load(faulty):
    client = make_ddb_client(faulty.endpoint)
    table = make_table(client)
    java = faulty.java_pids()
    assert len(java) == 1, "expected one DynamoDB Local java process, found %r" % java
    load = Load(faulty.endpoint, table)
    load.start()
    # wait (bounded) for the load to get going: a loaded machine may need more than 1 s
    wait_for(lambda: load.ok > 0, 20)
    ok_before = load.ok
    assert ok_before > 0, "no request succeeded before the kill: %r" % load.dirty[:3]
    # a retrying client (botocore standard mode) started right at the kill must get through
    retried = {}
    running_again = threading.Event()

    def retrying():
        rc = make_ddb_client(faulty.endpoint, retries={"mode": "standard", "max_attempts": 10},
                             connect_timeout=5, read_timeout=15)
        t0 = time.monotonic()
        try:
            for _ in range(2000):
                r = rc.list_tables(Limit=1)
                retried["retries"] = retried.get("retries", 0) + \
                    r["ResponseMetadata"]["RetryAttempts"]
                if running_again.is_set() or time.monotonic() - t0 > 80:
                    break
                time.sleep(0.05)
            retried["ok"] = True
        except Exception as e:  # reported by the assertion below
            retried["error"] = "%s: %s" % (type(e).__name__, e)

    rt = threading.Thread(target=retrying, daemon=True)
    t_kill = time.monotonic()
    os.kill(java[0], signal.SIGKILL)
    rt.start()
    seen = []
    h = wait_ddb_state(faulty.endpoint, ("starting", "unavailable"), 10, seen=seen)
    h = wait_ddb_state(faulty.endpoint, ("running",), DDB_READY_TIMEOUT, seen=seen)
    running_again.set()
    t_back = time.monotonic() - t_kill
    assert h.get("state") == "running", "not running again: %r\n%s" % (h, faulty.log_tail())
    assert "starting" in seen, "health never said starting: %r" % seen
    assert seen[-1] == "running"
    time.sleep(1.0)
    load.finish()
    rt.join(timeout=90)
    assert not rt.is_alive(), "the retrying client hangs"
    assert retried.get("ok"), "botocore's retries did not carry through: %r" % retried
    assert not load.dirty, "unclean errors while DynamoDB Local restarted: %r" % load.dirty[:5]
    assert load.clean > 0, "no request was refused while DynamoDB Local was down"
    assert load.slowest_failure < 5.0, "a refused request took %.1f s" % load.slowest_failure
    new_java = wait_for(lambda: faulty.java_pids(), 10)
    assert new_java and java[0] not in new_java
    recovered_requests(faulty.endpoint)
    print("figures: running again %.1f s after the kill; load ok %d, clean refusals %d, "
          "table lost %d, slowest refusal %.3f s, retrying client retries %d"
          % (t_back, load.ok, load.clean, load.table_lost, load.slowest_failure,
             retried.get("retries", 0)))


def test_sigkill_worker_keeps_dynamodb(faulty):
    """A worker killed with DynamoDB requests in flight wedges neither the supervisor nor
    DynamoDB Local: the same java and supervisor serve every later request."""
    client = make_ddb_client(faulty.endpoint)
    table = make_table(client)
    java, sup = faulty.java_pids(), faulty.supervisor_pids()
    workers = set()
    for _ in range(100):  # /_ruststack/info names the worker that answered
        workers.add(requests.get(faulty.endpoint + "/_ruststack/info", timeout=5)
                    .json()["worker_pid"])
        if len(workers) == 2:
            break
    workers = sorted(workers)
    assert workers and all(p in children_of(faulty.proc.pid) and p not in sup
                           for p in workers), (workers, sup)
    load = Load(faulty.endpoint, table, threads=6, seconds=20)
    load.start()
    time.sleep(1.0)
    os.kill(workers[0], signal.SIGKILL)
    time.sleep(2.0)
    load.finish()
    # connections of the killed worker may break; nothing else may go wrong
    others = [d for d in load.dirty if "Connection" not in d and "EndpointConnection" not in d]
    assert not others, others[:5]
    c = make_ddb_client(faulty.endpoint, connect_timeout=5, read_timeout=15)
    for i in range(50):
        c.put_item(TableName=table, Item={"pk": {"S": "after-%d" % i}})
        assert c.get_item(TableName=table, Key={"pk": {"S": "after-%d" % i}})["Item"]
    assert faulty.java_pids() == java, "DynamoDB Local was restarted"
    assert faulty.supervisor_pids() == sup, "the supervisor was restarted"
    assert ddb_health(faulty.endpoint).get("state") == "running"


def test_sigkill_supervisor(faulty):
    java = faulty.java_pids()
    sup = faulty.supervisor_pids()
    assert len(java) == 1 and len(sup) == 1, "java %r supervisor %r" % (java, sup)
    t_kill = time.monotonic()
    os.kill(sup[0], signal.SIGKILL)
    # health must not keep saying running while there is no supervisor
    seen = []
    wait_ddb_state(faulty.endpoint, ("starting", "unavailable"), 15, seen=seen)
    assert "starting" in seen, "health after the supervisor kill: %r" % seen
    # its DynamoDB Local must not outlive it as an orphan
    assert wait_gone(java[0], 15), "DynamoDB Local %d outlived its supervisor" % java[0]
    # meanwhile requests fail fast and clean (or already succeed)
    c = make_ddb_client(faulty.endpoint, connect_timeout=5, read_timeout=15)
    for _ in range(20):
        t0 = time.monotonic()
        try:
            c.list_tables()
        except Exception as e:  # classified
            assert classify(e) == "clean", classify(e)
        assert time.monotonic() - t0 < 5.0
        time.sleep(0.05)
    h = wait_ddb_state(faulty.endpoint, ("running",), DDB_READY_TIMEOUT)
    t_back = time.monotonic() - t_kill
    assert h.get("state") == "running", "%r\n%s" % (h, faulty.log_tail())
    assert faulty.proc.poll() is None, "the master died"
    new_sup = wait_for(lambda: faulty.supervisor_pids(), 10)
    assert new_sup and sup[0] not in new_sup
    recovered_requests(faulty.endpoint)
    # S3 was never affected
    s3 = make_client(faulty.endpoint)
    s3.create_bucket(Bucket="after-supervisor-kill")
    s3.put_object(Bucket="after-supervisor-kill", Key="k", Body=b"v")
    assert s3.get_object(Bucket="after-supervisor-kill", Key="k")["Body"].read() == b"v"
    print("figures: running again %.1f s after the supervisor kill" % t_back)


def test_repeated_kills_recover(faulty):
    """Three kills in a row (backoff must not give up or wedge)."""
    for n in range(3):
        java = wait_for(lambda: faulty.java_pids(), 30)
        assert java, "no DynamoDB Local after kill %d" % n
        os.kill(java[0], signal.SIGKILL)
        assert wait_gone(java[0], 10)
        h = wait_ddb_state(faulty.endpoint, ("starting", "unavailable"), 15)
        assert h.get("state") == "starting", "kill %d: health %r after the kill" % (n, h)
        h = wait_ddb_state(faulty.endpoint, ("running",), DDB_READY_TIMEOUT)
        assert h.get("state") == "running", "kill %d: %r\n%s" % (n, h, faulty.log_tail())
    recovered_requests(faulty.endpoint)


def unavailable_server(tmp_path, **kw):
    if os.environ.get("RS_DDB_ENDPOINT"):
        pytest.skip("RS_DDB_ENDPOINT: no server of our own")
    srv = DdbServer(tmp_path, **kw)
    try:
        srv.start_ddb(states=("unavailable",), timeout=30)
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    return srv


def check_unavailable(srv, words):
    try:
        h = ddb_health(srv.endpoint)
        assert h.get("state") == "unavailable"
        reason = h.get("reason", "")
        assert reason, "health gives no reason: %r" % h
        assert any(w.lower() in reason.lower() for w in words), reason
        # S3 works
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="no-ddb-here")
        s3.put_object(Bucket="no-ddb-here", Key="k", Body=b"hello")
        assert s3.get_object(Bucket="no-ddb-here", Key="k")["Body"].read() == b"hello"
        # DynamoDB: a fast, AWS-shaped error saying what to install
        raw = DdbRaw(srv.endpoint)
        t0 = time.monotonic()
        r = raw("ListTables", {})
        assert time.monotonic() - t0 < 5.0
        assert r.status_code in (400, 500, 503), r.status_code
        assert r.headers.get("x-amzn-RequestId")
        body = json.loads(r.content)
        assert "#" in body["__type"], body
        msg = body.get("message") or body.get("Message") or ""
        assert any(w.lower() in msg.lower() for w in words), msg
        c = make_ddb_client(srv.endpoint)
        with pytest.raises(ClientError) as e:
            c.list_tables()
        assert e.value.response["Error"]["Message"] == msg
        # no java was started
        assert not srv.java_pids()
    finally:
        rc, alive = _stop_checked(srv)
    assert rc == 0 and not alive, (rc, alive)


def test_without_the_jar(tmp_path):
    empty = tmp_path / "empty-ddb-dir"
    empty.mkdir()
    srv = unavailable_server(tmp_path, local_dir=str(empty))
    check_unavailable(srv, ["DynamoDBLocal.jar", "fetch-dynamodb-local", "DynamoDB Local"])


def test_without_java(tmp_path):
    srv = unavailable_server(tmp_path, extra_conf="java = /nonexistent/bin/java\n")
    check_unavailable(srv, ["java"])


def test_stop_with_master_leaves_no_java(tmp_path):
    srv = own_server(tmp_path)
    java = srv.java_pids()
    assert java
    rc, alive = _stop_checked(srv)
    assert rc == 0
    assert not alive and all(wait_gone(p, 1) for p in java)


def test_requests_never_hang_while_starting(tmp_path):
    """Right after start-up (DynamoDB Local not yet running) requests fail fast and clean."""
    if os.environ.get("RS_DDB_ENDPOINT"):
        pytest.skip("RS_DDB_ENDPOINT: no server of our own")
    srv = DdbServer(tmp_path)
    srv.start()
    try:
        # DynamoDB Local needs seconds to start: health says so meanwhile
        first = ddb_health(srv.endpoint).get("state")
        assert first == "starting", "health right after start-up: %r" % first
        c = make_ddb_client(srv.endpoint, connect_timeout=5, read_timeout=15)
        outcomes = []
        deadline = time.monotonic() + DDB_READY_TIMEOUT
        for _ in range(5000):
            t0 = time.monotonic()
            try:
                c.list_tables()
                outcomes.append("ok")
                break
            except (ConnectionClosedError, EndpointConnectionError, ReadTimeoutError) as e:
                outcomes.append("dirty %s" % type(e).__name__)
            except Exception as e:  # classified
                outcomes.append(classify(e))
            assert time.monotonic() - t0 < 5.0, "a request took %.1f s" % (time.monotonic() - t0)
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert outcomes[-1] == "ok", outcomes[-3:]
        assert ddb_health(srv.endpoint).get("state") == "running"
        assert all(o in ("ok", "clean") for o in outcomes), [o for o in outcomes
                                                             if o not in ("ok", "clean")][:3]
    finally:
        rc, alive = _stop_checked(srv)
    assert rc == 0 and not alive
