"""bench/measure.py: the measurements of the benchmark: wrk runs (GET, PUT), the bulk
load of a many-key bucket, and ListObjectsV2 page latency. Runs in the benchmark driver
process (bench/bench.py)."""

import http.client
import os
import re
import statistics
import subprocess
import time
import urllib.parse

from servers import HEADERS, request

HERE = os.path.dirname(os.path.abspath(__file__))


class WrkResult:
    def __init__(self, rps=0.0, errors=0, p99_ms=None, requests=0, note=""):
        self.rps = rps
        self.errors = errors
        self.p99_ms = p99_ms
        self.requests = requests
        self.note = note


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    if not m:
        return None
    v = float(m.group(1))
    return {"us": v / 1000.0, "ms": v, "s": v * 1000.0}[m.group(2)]


def wrk(port, path, conns, seconds, threads=1, script=None, env=None):
    """Run wrk against 127.0.0.1:port; errors are non-2xx/3xx responses + socket errors."""
    argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency"]
    for name, value in HEADERS.items():
        argv += ["-H", f"{name}: {value}"]
    if script:
        argv += ["-s", os.path.join(HERE, script)]
    argv.append(f"http://127.0.0.1:{port}{path}")
    run_env = dict(os.environ, **(env or {}))
    try:
        out = subprocess.run(argv, capture_output=True, text=True, env=run_env,
                             timeout=seconds + 30).stdout
    except subprocess.TimeoutExpired:
        return WrkResult(note="wrk timed out")
    res = WrkResult()
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            res.rps = float(line.split()[1])
        elif line.startswith("Non-2xx or 3xx responses:"):
            res.errors += int(line.split()[-1])
        elif line.startswith("Socket errors:"):
            res.errors += sum(int(n) for n in re.findall(r"\d+", line))
        elif line.startswith("99%"):
            res.p99_ms = _ms(line.split()[1])
        elif re.match(r"\d+ requests in", line):
            res.requests = int(line.split()[0])
    if res.rps == 0.0:
        res.note = "wrk failed: " + out.strip().replace("\n", " ")[-200:]
    return res


def _list_page(conn, bucket, start_after=None, token=None, max_keys=1000):
    q = f"/{bucket}?list-type=2&max-keys={max_keys}"
    if start_after:
        q += f"&start-after={start_after}"
    if token:
        q += "&continuation-token=" + urllib.parse.quote(token, safe="")
    conn.request("GET", q, headers=HEADERS)
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    if resp.status != 200:
        raise RuntimeError(f"ListObjectsV2 {q}: HTTP {resp.status}: {body[:200]}")
    keys = re.findall(r"<Key>([^<]*)</Key>", body)
    m = re.search(r"<NextContinuationToken>([^<]*)</NextContinuationToken>", body)
    return keys, (m.group(1) if m else None)


def list_all(port, bucket):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    keys, token = [], None
    try:
        for _ in range(10000):
            page, token = _list_page(conn, bucket, token=token)
            keys += page
            if not token:
                break
    finally:
        conn.close()
    return keys


def key_name(i):
    return "k%06d" % i


def load_keys(port, bucket, n, conns=32):
    """PUT n small objects k000000.. with wrk (bench/load.lua), then list the bucket and
    PUT any key wrk left out. Returns (seconds, PUT/s, number filled in afterwards)."""
    status, body = request(port, "PUT", f"/{bucket}")
    if status != 200:
        raise RuntimeError(f"create bucket {bucket}: HTTP {status} {body[:200]!r}")
    env = {"BENCH_LOAD_N": str(n), "BENCH_LOAD_PREFIX": f"/{bucket}/k",
           "BENCH_LOAD_CONNS": str(conns)}
    t0 = time.monotonic()
    # load.lua exits wrk itself once every key was answered; -d only bounds the run.
    wrk(port, "/", conns, 120, script="load.lua", env=env)
    secs = time.monotonic() - t0
    have = set(list_all(port, bucket))
    missing = [key_name(i) for i in range(n) if key_name(i) not in have]
    for k in missing:
        status, _ = request(port, "PUT", f"/{bucket}/{k}", body=b"0123456789abcdef")
        if status != 200:
            raise RuntimeError(f"PUT {bucket}/{k}: HTTP {status}")
    if missing and len(set(list_all(port, bucket))) != n:
        raise RuntimeError(f"bucket {bucket} does not hold {n} keys after the load")
    return secs, n / secs, len(missing)


def list_latency(port, bucket, n, repeat):
    """Median ms of a 1000-key ListObjectsV2 page at the start, the middle and the end of
    an n-key bucket (start-after), each position `repeat` times on one connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out = {}
    try:
        for pos, after in (("start", None), ("middle", key_name(n // 2 - 1)),
                           ("end", key_name(n - 1001))):
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                keys, _ = _list_page(conn, bucket, start_after=after)
                times.append((time.perf_counter() - t0) * 1000.0)
                if len(keys) != 1000:
                    raise RuntimeError(f"{pos} page returned {len(keys)} keys, not 1000")
            out[pos] = statistics.median(times)
    finally:
        conn.close()
    return out
