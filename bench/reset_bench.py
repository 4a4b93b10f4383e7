#!/usr/bin/env python3
"""bench/reset_bench.py: how long POST /_ruststack/reset?account=... takes for an account
holding 10 buckets (one object each), 5 DynamoDB tables and 2 Lambda functions (the
pytest plugin calls it after every test). Bounded: --rounds (default 20, at most 100)
populate + reset rounds; prints min, p50, p90 and max of the reset alone.

    python3 bench/reset_bench.py [--endpoint URL | --binary build/ruststack] [--rounds N]

Without --endpoint it starts the binary (process executor, DynamoDB Local from
RS_DDB_LOCAL_DIR or build/dynamodb-local) through the pytest plugin's Server class and
stops it at the end. Runs in: a developer's shell (never in make check)."""

import argparse
import io
import os
import statistics
import sys
import time
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python", "pytest-ruststack", "src"))

import boto3  # noqa: E402

from pytest_ruststack.server import Server  # noqa: E402

ACCOUNT = "424242424242"


def code():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("h.py", "def handler(e, c):\n    return 1\n")
    return buf.getvalue()


def populate(endpoint, zipped):
    s = boto3.session.Session(aws_access_key_id=ACCOUNT, aws_secret_access_key="test",
                              region_name="us-east-1")
    s3 = s.client("s3", endpoint_url=endpoint)
    ddb = s.client("dynamodb", endpoint_url=endpoint)
    lam = s.client("lambda", endpoint_url=endpoint)
    for i in range(10):
        b = "bench-reset-%d" % i
        s3.create_bucket(Bucket=b)
        s3.put_object(Bucket=b, Key="k", Body=b"x")
    for i in range(5):
        ddb.create_table(TableName="bench%d" % i, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    for i in range(2):
        lam.create_function(FunctionName="bench%d" % i, Runtime="python3.11",
                            Handler="h.handler", Role="arn:aws:iam::%s:role/r" % ACCOUNT,
                            Code={"ZipFile": zipped})


def reset(endpoint):
    req = urllib.request.Request(endpoint + "/_ruststack/reset?account=" + ACCOUNT, data=b"",
                                 method="POST")
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        body = r.read()
    ms = (time.perf_counter() - t) * 1000
    if r.status != 200:
        raise SystemExit("reset failed: %s" % body)
    return ms, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "ruststack"))
    ap.add_argument("--rounds", type=int, default=20)
    a = ap.parse_args()
    rounds = max(1, min(a.rounds, 100))
    srv = None
    endpoint = a.endpoint
    if not endpoint:
        ddb = os.environ.get("RS_DDB_LOCAL_DIR") or os.path.join(ROOT, "build", "dynamodb-local")
        srv = Server(a.binary, ["dynamodb_local_dir = %s" % ddb,
                                "lambda_runtime_path = %s" % os.path.join(ROOT, "runtime")])
        endpoint = srv.start()
    try:
        zipped = code()
        reset(endpoint)
        populate(endpoint, zipped)  # warm-up round (DynamoDB Local's first tables)
        reset(endpoint)
        times = []
        for _ in range(rounds):
            populate(endpoint, zipped)
            ms, body = reset(endpoint)
            if body.count(b'"bench') != 17:  # 10 buckets, 5 tables, 2 functions
                raise SystemExit("the reset did not drop everything: %s" % body)
            times.append(ms)
        times.sort()
        p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
        print("account reset (10 buckets, 5 tables, 2 functions), %d rounds: min %.1f ms, "
              "p50 %.1f ms, p90 %.1f ms, max %.1f ms"
              % (rounds, times[0], statistics.median(times), p90, times[-1]))
    finally:
        if srv is not None:
            srv.stop()


if __name__ == "__main__":
    main()
