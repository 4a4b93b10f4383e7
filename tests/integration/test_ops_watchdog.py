"""The master's watchdog (watchdog_worker, watchdog_supervisor): a worker or supervisor whose
loop stops moving (SIGSTOP, or a worker hung at a crash point while it holds a shard lock)
is killed, logged and replaced; the successor repairs what it held, nothing acknowledged is
lost and the store checks clean. With the watchdog off, nothing is killed.
Runs in: the pytest process."""

import os
import signal
import time

import boto3
import pytest
import requests
from botocore.config import Config

from conftest import Server, _stop_checked, children_of


def s3_client(srv, timeout=10):
    return boto3.client("s3", endpoint_url=srv.endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"total_max_attempts": 1}, read_timeout=timeout,
                                      connect_timeout=5))


def worker_pid(srv):
    return requests.get(srv.endpoint + "/_ruststack/info", timeout=5).json()["worker_pid"]


def wait_for(pred, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def log_text(srv):
    with open(srv.log_path, "rb") as f:
        return f.read().decode(errors="replace")


def check_clean(srv):
    r = requests.get(srv.endpoint + "/_ruststack/check", timeout=10)
    assert r.status_code == 200, r.text


def stop(srv):
    rc, alive = _stop_checked(srv)
    assert rc == 0, srv.log_tail()
    assert alive == []


def test_stopped_worker_is_killed_and_replaced(tmp_path):
    srv = Server(tmp_path, 1, "watchdog_worker = 1\ndynamodb = off\nlambda = off\n")
    srv.start()
    try:
        s3 = s3_client(srv)
        s3.create_bucket(Bucket="wdog")
        s3.put_object(Bucket="wdog", Key="before", Body=b"kept")
        old = worker_pid(srv)
        os.kill(old, signal.SIGSTOP)
        t0 = time.monotonic()
        gone = wait_for(lambda: old not in children_of(srv.proc.pid), 5)
        took = time.monotonic() - t0
        assert gone, "the stopped worker was not killed:\n" + srv.log_tail()
        assert took < 3.5, took  # limit 1 s + the master's 1 s wake-up, with slack
        assert wait_for(lambda: worker_pid(srv) != old, 5)
        assert s3.get_object(Bucket="wdog", Key="before")["Body"].read() == b"kept"
        text = log_text(srv)
        assert "watchdog: the worker in slot 0 (pid %d) made no progress" % old in text, text
        check_clean(srv)
    finally:
        stop(srv)


def test_worker_hung_holding_a_shard_lock(tmp_path, monkeypatch):
    once = tmp_path / "hang-once"
    once.write_text("")
    monkeypatch.setenv("RS_TEST_HANG_AT", "PUT_SEQ_ODD")
    monkeypatch.setenv("RS_TEST_HANG_ONCE", str(once))
    srv = Server(tmp_path, 1, "watchdog_worker = 1\ndynamodb = off\nlambda = off\n")
    srv.start()
    try:
        s3 = s3_client(srv, timeout=8)
        s3.create_bucket(Bucket="wdog")  # no PUT of an object yet: the hook waits for one
        hung = worker_pid(srv)
        assert not once.exists()
        # this PUT reaches the armed point with the shard lock held and never returns
        with pytest.raises(Exception):
            s3.put_object(Bucket="wdog", Key="torn", Body=b"never acknowledged")
        assert wait_for(lambda: hung not in children_of(srv.proc.pid), 5), srv.log_tail()
        assert wait_for(lambda: worker_pid(srv) != hung, 5)
        # the successor repairs the shard (the dead owner's lock) and serves the same keys
        s3.put_object(Bucket="wdog", Key="torn", Body=b"second try")
        assert s3.get_object(Bucket="wdog", Key="torn")["Body"].read() == b"second try"
        for i in range(20):
            s3.put_object(Bucket="wdog", Key="k%d" % i, Body=b"v%d" % i)
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="wdog")["Contents"]]
        assert sorted(keys) == sorted(["torn"] + ["k%d" % i for i in range(20)])
        health = requests.get(srv.endpoint + "/_ruststack/health", timeout=5).json()
        assert health["services"]["s3"]["repairs"] >= 1, health  # the dead owner's shard
        text = log_text(srv)
        assert "will hang at PUT_SEQ_ODD" in text
        assert "watchdog: the worker in slot 0 (pid %d)" % hung in text
        check_clean(srv)
    finally:
        stop(srv)


def test_stopped_supervisor_is_killed_and_replaced(tmp_path):
    srv = Server(tmp_path, 1, "watchdog_supervisor = 1\ndynamodb = off\nlambda = on\n"
                 "lambda_executor = process\n")
    srv.start()
    try:
        w = worker_pid(srv)
        sups = [p for p in children_of(srv.proc.pid) if p != w]
        assert len(sups) == 1, sups
        sup = sups[0]
        os.kill(sup, signal.SIGSTOP)
        assert wait_for(lambda: sup not in children_of(srv.proc.pid), 6), srv.log_tail()
        lam = boto3.client("lambda", endpoint_url=srv.endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")

        def answers():
            try:
                return lam.list_functions()["ResponseMetadata"]["HTTPStatusCode"] == 200
            except Exception:
                return False
        assert wait_for(answers, 10), srv.log_tail()
        assert "watchdog: the lambda supervisor (pid %d) made no progress" % sup in log_text(srv)
        assert worker_pid(srv) == w  # the workers were left alone
    finally:
        stop(srv)


def test_watchdog_off_kills_nothing(tmp_path):
    srv = Server(tmp_path, 1, "watchdog_worker = 0\ndynamodb = off\nlambda = off\n")
    srv.start()
    try:
        old = worker_pid(srv)
        os.kill(old, signal.SIGSTOP)
        time.sleep(2.5)
        alive = old in children_of(srv.proc.pid)
        os.kill(old, signal.SIGCONT)
        assert alive, srv.log_tail()
        assert worker_pid(srv) == old
        assert "watchdog:" not in log_text(srv)
    finally:
        stop(srv)
