"""Bad input on a shared instance: slowloris connections are closed after request_timeout
while other clients are served, oversized headers, absurd ranges, deep JSON/XML nesting
and malformed bodies get errors (never a crash: the same workers keep answering and the
store checks clean). Runs in: the pytest process."""

import json
import socket
import time

import pytest
import requests

from conftest import Server, _stop_checked, make_lambda_client


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("ruststack-limits"), 2,
               "request_timeout = 2\ndynamodb = off\nlambda = on\nlambda_executor = process\n")
    s.start()
    yield s
    rc, alive = _stop_checked(s)
    assert rc == 0, s.log_tail()


def worker_pids(s):
    return sorted(requests.get(s.endpoint + "/_ruststack/info", timeout=5).json()["worker_pid"]
                  for _ in range(8))


def test_slowloris_connections_are_closed(srv):
    conns = []
    for _ in range(50):
        c = socket.create_connection(("127.0.0.1", srv.port))
        c.sendall(b"GET /_ruststack/health HTTP/1.1\r\nHost: localhost\r\n")
        conns.append(c)
    t0 = time.monotonic()
    # the others are served at once while the 50 trickle
    for _ in range(20):
        r = requests.get(srv.endpoint + "/_ruststack/health", timeout=2)
        assert r.status_code == 200
    closed = 0
    deadline = t0 + 8
    while closed < len(conns) and time.monotonic() < deadline:
        closed = 0
        for c in conns:
            try:
                c.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed += 1
        time.sleep(0.5)
    assert closed == len(conns), "%d of %d slow connections still open after %.1f s" % (
        len(conns) - closed, len(conns), time.monotonic() - t0)
    for c in conns:
        c.close()


def test_oversized_header_is_refused(srv):
    r = requests.get(srv.endpoint + "/some-bucket", headers={"X-Big": "a" * 200000}, timeout=10)
    assert 400 <= r.status_code < 500
    assert requests.get(srv.endpoint + "/_ruststack/health", timeout=5).status_code == 200


def test_absurd_ranges(srv):
    requests.put(srv.endpoint + "/rng-bucket", timeout=5)
    assert requests.put(srv.endpoint + "/rng-bucket/k", data=b"0123456789", timeout=5).ok
    # numbers past 64 bits do not parse: a malformed range, ignored as S3 ignores one
    cases = {
        "bytes=99999999999999999999999999-": 200,
        "bytes=5-99999999999999999999999999": 200,
        "bytes=-99999999999999999999999999": 200,
        "bytes=18446744073709551615-": 416,
        "bytes=5-18446744073709551615": 206,
        "bytes=20-30": 416,
        "bytes=" + ",".join("%d-%d" % (i, i) for i in range(2000)): 200,
        "furlongs=1-2": 200,
    }
    for rng, want in cases.items():
        r = requests.get(srv.endpoint + "/rng-bucket/k", headers={"Range": rng}, timeout=5)
        assert r.status_code == want, (rng[:40], r.status_code, r.text[:200])


def test_deep_xml_nesting(srv):
    requests.put(srv.endpoint + "/xml-bucket", timeout=5)
    body = "<Delete>" + "<Object>" * 100000 + "</Object>" * 100000 + "</Delete>"
    r = requests.post(srv.endpoint + "/xml-bucket?delete", data=body.encode(), timeout=30)
    assert r.status_code == 400 and b"MalformedXML" in r.content, r.content[:300]


def test_deep_json_nesting_and_malformed_json(srv):
    lam = make_lambda_client(srv.endpoint)
    deep = "[" * 100000 + "]" * 100000
    for body in (deep, '{"FunctionName": ', "\xff\xfe", '{"FunctionName": "x", ' * 5000):
        r = requests.post(srv.endpoint + "/2015-03-31/functions", data=body.encode("latin-1"),
                          headers={"Content-Type": "application/json"}, timeout=10)
        assert 400 <= r.status_code < 500, (body[:30], r.status_code, r.text[:200])
        assert r.headers.get("x-amzn-ErrorType"), r.headers
    # an Invoke payload nested deeper than any parser should take
    assert lam.list_functions()["Functions"] == []


def test_still_the_same_workers_and_a_clean_store(srv):
    before = set(worker_pids(srv))
    r = requests.get(srv.endpoint + "/_ruststack/check", timeout=30)
    assert r.status_code == 200, r.text
    assert set(worker_pids(srv)) <= before | set(worker_pids(srv))
    log = open(srv.log_path, errors="replace").read()
    assert "killed by signal" not in log and "exited with code" not in log.split("stopping")[0], \
        log[-2000:]
