"""GET /_ruststack/metrics: Prometheus text format 0.0.4 with request counters summed over
every worker (shared memory), latency histograms, and the store and service gauges.
Runs in: the pytest process."""

import re

import requests

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|\+Inf|NaN)$')


def scrape(endpoint):
    r = requests.get(endpoint + "/_ruststack/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples, typed = {}, set()
    for line in r.text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        family = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert m.group(1) in typed or family in typed, "no TYPE for %s" % m.group(1)
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


def count(samples, op, status):
    key = 'ruststack_requests_total{service="s3",operation="%s",status="%s"}' % (op, status)
    return samples.get(key, 0)


def test_requests_are_counted_across_workers(endpoint, s3):
    before = scrape(endpoint)
    s3.create_bucket(Bucket="metrics-b")
    n = 40  # boto3 keeps several connections: the requests land on both workers
    for i in range(n):
        s3.put_object(Bucket="metrics-b", Key="k%d" % i, Body=b"x" * 10)
    for i in range(5):
        try:
            s3.get_object(Bucket="metrics-b", Key="missing%d" % i)
        except s3.exceptions.NoSuchKey:
            pass
    after = scrape(endpoint)
    assert count(after, "PutObject", 200) - count(before, "PutObject", 200) == n
    assert count(after, "GetObject", 404) - count(before, "GetObject", 404) == 5
    hist = 'ruststack_request_duration_seconds_count{service="s3"}'
    inf = 'ruststack_request_duration_seconds_bucket{service="s3",le="+Inf"}'
    assert after[hist] == after[inf]
    assert after[hist] - before.get(hist, 0) >= n + 6
    assert after["ruststack_s3_objects"] == n
    assert after["ruststack_s3_buckets"] == 1
    assert after["ruststack_s3_used_bytes"] > 0


def test_service_gauges(endpoint):
    s = scrape(endpoint)
    for svc in ("dynamodb", "lambda"):
        assert 'ruststack_service_up{service="%s"}' % svc in s


def test_lambda_pool_gauges(lambda_process_server):
    import io
    import time
    import zipfile

    from conftest import make_lambda_client

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("m.py", "def handler(e, c):\n    return 1\n")
    lam = make_lambda_client(lambda_process_server.endpoint)
    lam.create_function(FunctionName="metrics-fn", Runtime="python3.12", Handler="m.handler",
                        Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": buf.getvalue()})
    assert lam.invoke(FunctionName="metrics-fn")["StatusCode"] == 200
    deadline = time.monotonic() + 5  # the supervisor publishes them every second
    s = {}
    while time.monotonic() < deadline:
        s = scrape(lambda_process_server.endpoint)
        # published once a second: wait for a sample taken after the invoke ended
        if (s.get("ruststack_lambda_environments", 0) >= 1
                and s.get("ruststack_lambda_environments_busy", 1) == 0):
            break
        time.sleep(0.2)
    assert s.get("ruststack_lambda_environments", 0) >= 1, sorted(s)[:40]
    assert s.get("ruststack_lambda_cold_starts", 0) >= 1
    assert s["ruststack_lambda_environments_busy"] == 0
    lam.delete_function(FunctionName="metrics-fn")
