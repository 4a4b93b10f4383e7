"""bench/ddb_bench.py: the DynamoDB benchmark (run it through bench/run-ddb.sh). One run on
one machine measures GetItem, PutItem and Query requests/s and p50/p99 latency (wrk, one
connection for latency, several for throughput) through RustStack (1 and 2 workers),
straight to the very DynamoDB Local that RustStack's supervisor runs (its -port), and
moto's server mode, then prints a table and the ratios (proxy overhead at p50, worker
scaling, RustStack vs moto) and writes them to the results file. Every phase is bounded.
Each RustStack server starts its own DynamoDB Local, so each is warmed up first (the JIT
of a fresh JVM would otherwise make whichever target runs first look slow) and measured
back to back with its own DynamoDB Local. The floor: bench/ddb_floor.c (built here with
cc) times a bare TCP round trip against the same message relayed over one more TCP hop
and one Unix-socket hop (the proxy's shape with no work in it), interleaved, with the
CPU time its two relays use per round trip, and wrk times RustStack's own
/_ruststack/health (the worker hop alone).
CPU per request: utime + stime of RustStack's workers and DynamoDB supervisor (the
master's children; the servers run with lambda = off) and of DynamoDB Local, from
/proc/<pid>/stat before and after each wrk run, divided by wrk's request count. The
issue's three targets are printed last, each beside what it is measured against, with
PASS/MISS: p50 added latency at 1 connection <= the two-hop floor + 30 us, CPU per proxied
request (worker + supervisor, at --conns) <= 40 us, rps at --conns >= 0.85x DynamoDB Local.
--workers 1 --no-moto measures only what the targets need.
Runs in: the benchmark driver process (never inside a server)."""

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import servers  # noqa: E402

_NOW = time.gmtime()
AUTH = ("AWS4-HMAC-SHA256 Credential=test/%s/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=%s"
        % (time.strftime("%Y%m%d", _NOW), "0" * 64))
AMZDATE = time.strftime("%Y%m%dT%H%M%SZ", _NOW)
TABLE = "bench"
NKEYS = 1000

# wrk script: POST one DynamoDB operation; "%d" in the body becomes a rotating key number.
LUA = r"""
local tmpl = os.getenv("DDB_BODY")
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810." .. os.getenv("DDB_OP")
wrk.headers["Authorization"] = os.getenv("DDB_AUTH")
wrk.headers["X-Amz-Date"] = os.getenv("DDB_DATE")
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format(tmpl, n % 1000))
end
"""

OPS = {
    "GetItem": '{"TableName":"bench","Key":{"pk":{"S":"k%d"},"sk":{"N":"0"}}}',
    "PutItem": '{"TableName":"bench","Item":{"pk":{"S":"k%d"},"sk":{"N":"0"},'
               '"v":{"S":"benchmark value 0123456789"},"n":{"N":"42"}}}',
    "Query": '{"TableName":"bench","KeyConditionExpression":"pk = :p",'
             '"ExpressionAttributeValues":{":p":{"S":"q"}}}',
}


def post(port, op, body, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=json.dumps(body),
                     headers={"Content-Type": "application/x-amz-json-1.0",
                              "X-Amz-Target": "DynamoDB_20120810." + op,
                              "Authorization": AUTH, "X-Amz-Date": AMZDATE})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def setup_table(port):
    """Table bench (pk S, sk N), NKEYS items k0..k999 (sk 0) and 10 items in partition q."""
    st, body = post(port, "CreateTable", {
        "TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}]})
    if st != 200 and b"ResourceInUse" not in body:
        raise RuntimeError("CreateTable: HTTP %d %r" % (st, body[:300]))
    items = [{"pk": {"S": "k%d" % i}, "sk": {"N": "0"}, "v": {"S": "value %d" % i}}
             for i in range(NKEYS)]
    items += [{"pk": {"S": "q"}, "sk": {"N": str(i)}, "v": {"S": "row %d" % i}}
              for i in range(10)]
    for i in range(0, len(items), 25):
        reqs = [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]
        for _ in range(10):
            st, body = post(port, "BatchWriteItem", {"RequestItems": {TABLE: reqs}})
            if st != 200:
                raise RuntimeError("BatchWriteItem: HTTP %d %r" % (st, body[:300]))
            left = json.loads(body).get("UnprocessedItems", {}).get(TABLE, [])
            if not left:
                break
            reqs = left
    # the answers are real: GetItem finds the item, Query returns 10 rows
    st, body = post(port, "GetItem", {"TableName": TABLE,
                                      "Key": {"pk": {"S": "k7"}, "sk": {"N": "0"}}})
    if st != 200 or json.loads(body).get("Item", {}).get("v") != {"S": "value 7"}:
        raise RuntimeError("GetItem check failed: %d %r" % (st, body[:200]))
    st, body = post(port, "Query", json.loads(OPS["Query"]))
    if st != 200 or json.loads(body).get("Count") != 10:
        raise RuntimeError("Query check failed: %d %r" % (st, body[:200]))


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    if not m:
        return None
    v = float(m.group(1))
    return {"us": v / 1000.0, "ms": v, "s": v * 1000.0}[m.group(2)]


def run_wrk(port, op, conns, seconds, lua_path, counts=None):
    """(requests/s, p50 ms, p99 ms, errors); errors = non-2xx + socket errors. counts: a
    dict that receives wrk's total of requests ("requests")."""
    env = dict(os.environ, DDB_BODY=OPS[op], DDB_OP=op, DDB_AUTH=AUTH, DDB_DATE=AMZDATE)
    argv = ["wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds, "--latency", "-s", lua_path,
            "http://127.0.0.1:%d/" % port]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, env=env,
                             timeout=seconds + 20).stdout
    except subprocess.TimeoutExpired:
        return None
    rps, p50, p99, errors = 0.0, None, None, 0
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            rps = float(line.split()[1])
        elif re.match(r"\d+ requests in ", line) and counts is not None:
            counts["requests"] = int(line.split()[0])
        elif line.startswith("50%"):
            p50 = _ms(line.split()[1])
        elif line.startswith("99%"):
            p99 = _ms(line.split()[1])
        elif line.startswith("Non-2xx or 3xx responses:"):
            errors += int(line.split()[-1])
        elif line.startswith("Socket errors:"):
            errors += sum(int(n) for n in re.findall(r"\d+", line))
    return rps, p50, p99, errors


def ddb_state(port):
    try:
        st, body = servers.request(port, "GET", "/_ruststack/health", timeout=2)
        return json.loads(body)["services"]["dynamodb"]["state"] if st == 200 else None
    except (OSError, ValueError, KeyError):
        return None


def java_port(server):
    """-port of the java (DynamoDB Local) descendant of a ruststack server."""
    for pid in servers.tree(server.proc.pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "-port" in argv and any("DynamoDBLocal" in a for a in argv):
            return int(argv[argv.index("-port") + 1])
    return None


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process (all its threads) in seconds; None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return None


def proxy_pids(server):
    """{"workers": [pids], "supervisor": pid, "java": pid} of a running ruststack (started
    with lambda = off: the master's children are its workers and the ddb supervisor, the
    one with DynamoDB Local below it)."""
    out = {"workers": [], "supervisor": None, "java": None}
    for child in servers._children(server.proc.pid):
        below = servers.tree(child)[1:]
        java = [p for p in below if _is_java(p)]
        if java:
            out["supervisor"], out["java"] = child, java[0]
        else:
            out["workers"].append(child)
    return out


def _is_java(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"DynamoDBLocal" in f.read()
    except OSError:
        return False


def cpu_sample(pids):
    """(workers' CPU s, supervisor's CPU s, java's CPU s) now."""
    w = sum(cpu_seconds(p) or 0.0 for p in pids["workers"])
    sup = cpu_seconds(pids["supervisor"]) if pids["supervisor"] else None
    java = cpu_seconds(pids["java"]) if pids["java"] else None
    return w, sup or 0.0, java or 0.0


def measure_targets(targets, args, lua, rows, warmup=0, cpu=None):
    """targets: [(name, port)] or [(name, port, pids)] (pids from proxy_pids: the run's
    CPU time per request of the workers and the supervisor goes into cpu[(name, op,
    conns)] as (worker us, supervisor us, java us)); each op/connection count runs on
    every target back to back, so that a change in the machine's load hits all of them
    alike. warmup: seconds of load per operation on the first target before anything is
    measured."""
    targets = [t if len(t) == 3 else (t[0], t[1], None) for t in targets]
    for _, port, _ in targets:
        setup_table(port)
    if warmup > 0:
        for op in ("GetItem", "PutItem", "Query"):
            run_wrk(targets[0][1], op, args.conns, warmup, lua)
    for op in ("GetItem", "PutItem", "Query"):
        for conns in (1, args.conns):
            for name, port, pids in targets:
                counts = {}
                before = cpu_sample(pids) if pids else None
                r = run_wrk(port, op, conns, args.seconds, lua, counts)
                rows.append((name, op, conns) + (r if r else (0.0, None, None, -1)))
                extra = ""
                if before is not None and counts.get("requests") and cpu is not None:
                    after = cpu_sample(pids)
                    per = tuple((a - b) * 1e6 / counts["requests"] for a, b in zip(after, before))
                    cpu[(name, op, conns)] = per
                    extra = ("  cpu/req worker %.1f + sup %.1f = %.1f us (java %.1f)"
                             % (per[0], per[1], per[0] + per[1], per[2]) if pids["workers"]
                             else "  cpu/req java %.1f us" % per[2])
                print("  %-16s %-8s c=%-2d %s%s" % (name, op, conns, fmt_row(rows[-1]), extra),
                      flush=True)


def fmt_ms(v):
    return "n/a" if v is None else "%.3f" % v


def fmt_row(row):
    _, _, _, rps, p50, p99, err = row
    return "%9.0f req/s  p50 %s ms  p99 %s ms  errors %d" % (rps, fmt_ms(p50), fmt_ms(p99),
                                                            err)


def start_ruststack(binary, workers, local_dir, workdir, timeout):
    conf = os.path.join(workdir, "rs-%dw.conf" % workers)
    with open(conf, "w") as f:
        f.write("access_log = off\nlog_level = warn\ndynamodb = on\nlambda = off\n"
                "dynamodb_local_dir = %s\n" % local_dir)
    srv, port = servers.ruststack(binary, conf, workers, workdir)
    if not srv.start(port):
        return None, None, None
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if ddb_state(port) == "running":
            return srv, port, time.monotonic() - t0
        time.sleep(0.05)
    sys.stderr.write("ddb_bench: dynamodb not running within %d s\n" % timeout)
    srv.stop()
    return None, None, None


# CPU microseconds per round trip of the floor's two relays (ddb_floor.c), once measured
RELAY_CPU = []


def run_floor(work, health_port):
    """[(name, p50 us, p99 us)] from bench/ddb_floor.c, plus the worker hop (wrk c=1 on
    /_ruststack/health of a running RustStack); [] when cc is missing."""
    out = []
    cc = shutil.which("cc")
    exe = os.path.join(work, "ddb_floor")
    if cc and subprocess.run([cc, "-O2", "-o", exe, os.path.join(HERE, "ddb_floor.c")],
                             capture_output=True, timeout=60).returncode == 0:
        try:
            text = subprocess.run([exe, "5000", "300"], capture_output=True, text=True,
                                  timeout=60).stdout
        except subprocess.TimeoutExpired:
            text = ""
        for line in text.splitlines():
            f = line.split()
            if len(f) == 3 and f[0] != "relay_cpu_us":
                out.append((f[0], float(f[1]), float(f[2])))
            elif len(f) == 3:
                RELAY_CPU[:] = [float(f[1]), float(f[2])]
    if health_port:
        argv = ["wrk", "-t1", "-c1", "-d2s", "--latency",
                "http://127.0.0.1:%d/_ruststack/health" % health_port]
        try:
            text = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
        except subprocess.TimeoutExpired:
            text = ""
        p50 = p99 = None
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("50%"):
                p50 = _ms(line.split()[1])
            elif line.startswith("99%"):
                p99 = _ms(line.split()[1])
        if p50 is not None and p99 is not None:
            out.append(("wrk_ruststack_health", p50 * 1000, p99 * 1000))
    return out


def find(rows, name, op, conns):
    for r in rows:
        if r[0] == name and r[1] == op and r[2] == conns:
            return r
    return None


def ratios(rows, conns):
    out = []
    for op in ("GetItem", "PutItem", "Query"):
        rs1, rs2 = find(rows, "ruststack 1w", op, 1), find(rows, "ruststack 2w", op, conns)
        rs1c = find(rows, "ruststack 1w", op, conns)
        direct, directc = find(rows, "DynamoDB Local", op, 1), \
            find(rows, "DynamoDB Local", op, conns)
        rs2_1, d2_1 = find(rows, "ruststack 2w", op, 1), find(rows, "DynamoDB Local 2w", op, 1)
        d2c = find(rows, "DynamoDB Local 2w", op, conns)
        moto_c = find(rows, "moto", op, conns)
        parts = [op + ":"]
        if rs1 and direct and rs1[4] and direct[4]:
            parts.append("p50 overhead c=1 %+.1f%% (%.3f vs %.3f ms)"
                         % ((rs1[4] / direct[4] - 1) * 100, rs1[4], direct[4]))
        if rs1c and directc and directc[3]:
            parts.append("1w/direct rps c=%d %.2f" % (conns, rs1c[3] / directc[3]))
        if rs2_1 and d2_1 and rs2_1[4] and d2_1[4]:
            parts.append("2w p50 overhead c=1 %+.1f%%" % ((rs2_1[4] / d2_1[4] - 1) * 100))
        if rs1c and rs2 and rs1c[3]:
            parts.append("2w/1w rps %.2f" % (rs2[3] / rs1c[3]))
        if rs2 and d2c and d2c[3]:
            parts.append("2w/direct rps c=%d %.2f" % (conns, rs2[3] / d2c[3]))
        best = max((r for r in (rs1c, rs2) if r), key=lambda r: r[3], default=None)
        if best and moto_c and moto_c[3]:
            parts.append("ruststack/moto rps %.2f" % (best[3] / moto_c[3]))
        out.append("  " + "  ".join(parts))
    return out


CPU_TARGET_US = 40.0
RPS_TARGET = 0.85
LATENCY_SLACK_US = 30.0


def targets_table(rows, cpu, floor, conns):
    """The issue's three targets per operation, each beside what it is measured against,
    with PASS/MISS: p50 added latency at c=1 (ruststack 1w - DynamoDB Local) <= the
    two-hop floor + 30 us; CPU per request (worker + supervisor, the c=conns run) <= 40
    us; rps at c=conns >= 0.85x DynamoDB Local."""
    fl = dict((f[0], f[1]) for f in floor)
    hops = (fl["tcp_uds_relay_chain"] - fl["tcp_direct"]
            if "tcp_direct" in fl and "tcp_uds_relay_chain" in fl else None)
    out = ["targets (ruststack 1w vs DynamoDB Local of the same run):"]
    if hops is not None:
        out.append("  two-hop floor %.1f us at p50: added p50 must be <= %.1f us"
                   % (hops, hops + LATENCY_SLACK_US))
    if RELAY_CPU:
        out.append("  CPU floor: the two bare relays of ddb_floor (no work, blocking read/"
                   "write) use %.1f us per round trip; target %.0f us%s"
                   % (sum(RELAY_CPU), CPU_TARGET_US,
                      " is below that floor on this machine" if sum(RELAY_CPU) > CPU_TARGET_US
                      else ""))

    def verdict(ok):
        return "n/a " if ok is None else ("PASS" if ok else "MISS")

    for op in ("GetItem", "PutItem", "Query"):
        rs1, d1 = find(rows, "ruststack 1w", op, 1), find(rows, "DynamoDB Local", op, 1)
        rsc, dc = find(rows, "ruststack 1w", op, conns), find(rows, "DynamoDB Local", op, conns)
        parts = ["  %-8s" % op]
        if rs1 and d1 and rs1[4] is not None and d1[4] is not None:
            added = (rs1[4] - d1[4]) * 1000.0
            ok = None if hops is None else added <= hops + LATENCY_SLACK_US
            parts.append("p50 added %6.1f us (%.3f vs direct %.3f ms) %s"
                         % (added, rs1[4], d1[4], verdict(ok)))
        c1, cc = cpu.get(("ruststack 1w", op, 1)), cpu.get(("ruststack 1w", op, conns))
        if cc:
            total = cc[0] + cc[1]
            parts.append("cpu/req %5.1f us (worker %.1f + sup %.1f; c=1 %.1f) %s"
                         % (total, cc[0], cc[1], (c1[0] + c1[1]) if c1 else float("nan"),
                            verdict(total <= CPU_TARGET_US)))
        jd = cpu.get(("DynamoDB Local", op, conns))
        if cc and jd:
            parts.append("java/req %.0f proxied vs %.0f direct" % (cc[2], jd[2]))
        if rsc and dc and dc[3]:
            ratio = rsc[3] / dc[3]
            parts.append("rps c=%d %.2fx direct (%.0f vs %.0f) %s"
                         % (conns, ratio, rsc[3], dc[3], verdict(ratio >= RPS_TARGET)))
        out.append("  ".join(parts))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--ddb-local-dir", required=True)
    ap.add_argument("--seconds", type=int, default=3, help="per wrk run")
    ap.add_argument("--conns", type=int, default=8, help="connections for throughput runs")
    ap.add_argument("--warmup", type=int, default=2,
                    help="seconds of load per operation on a fresh DynamoDB Local first")
    ap.add_argument("--no-moto", action="store_true")
    ap.add_argument("--workers", default="1,2",
                    help="worker counts to measure, e.g. 1 (the targets need 1)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    for tool in ("wrk", "java"):
        if not shutil.which(tool):
            sys.exit("ddb_bench: %s not found" % tool)
    if not os.path.exists(os.path.join(args.ddb_local_dir, "DynamoDBLocal.jar")):
        sys.exit("ddb_bench: no DynamoDBLocal.jar in %s (sh packaging/fetch-dynamodb-local.sh)"
                 % args.ddb_local_dir)
    t_start = time.monotonic()
    load0 = os.getloadavg()[0]
    rows, notes, floor, cpu = [], [], [], {}
    work = tempfile.mkdtemp(prefix="rs-ddb-bench-")
    lua = os.path.join(work, "ddb.lua")
    with open(lua, "w") as f:
        f.write(LUA)
    try:
        for workers in [int(w) for w in args.workers.split(",")]:
            srv, port, ready = start_ruststack(args.binary, workers, args.ddb_local_dir, work, 90)
            if srv is None:
                notes.append("ruststack %dw did not start" % workers)
                continue
            notes.append("ruststack %dw: DynamoDB Local running %.1f s after health"
                         % (workers, ready))
            try:
                pids = proxy_pids(srv)
                if not pids["workers"] or pids["supervisor"] is None:
                    notes.append("ruststack %dw: could not tell its workers and supervisor "
                                 "apart; no CPU figures" % workers)
                    pids = None
                targets = [("ruststack %dw" % workers, port, pids)]
                jport = java_port(srv)
                if jport:
                    # the same DynamoDB Local's CPU per request when it is called directly
                    jpids = {"workers": [], "supervisor": None,
                             "java": pids["java"] if pids else None}
                    targets.append(("DynamoDB Local" + (" 2w" if workers == 2 else ""), jport,
                                    jpids if pids else None))
                else:
                    notes.append("could not find DynamoDB Local's port")
                measure_targets(targets, args, lua, rows, args.warmup, cpu)
                if workers == 1:
                    floor = run_floor(work, port)
            finally:
                srv.stop()
        if not args.no_moto:
            m, mport = servers.moto(work)
            if m.start(mport, timeout=30):
                try:
                    measure_targets([("moto", mport)], args, lua, rows)
                finally:
                    m.stop()
            else:
                notes.append("moto did not start")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = ["DynamoDB benchmark %s on %s (%d CPUs), wrk -t1, %d s per run, load average "
             "%.1f at the start, %.1f at the end (figures are only comparable on a quiet box)"
             % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.node(),
                os.cpu_count() or 0, args.seconds, load0, os.getloadavg()[0]),
             "%-16s %-8s %-4s %s" % ("target", "op", "c", "figures")]
    order = ["ruststack 1w", "DynamoDB Local", "ruststack 2w", "DynamoDB Local 2w", "moto"]
    ops = ["GetItem", "PutItem", "Query"]
    for r in sorted(rows, key=lambda r: (order.index(r[0]), ops.index(r[1]), r[2])):
        c = cpu.get((r[0], r[1], r[2]))
        extra = ""
        if c and r[0].startswith("ruststack"):
            extra = "  cpu/req %.1f us (worker %.1f, sup %.1f; java %.1f)" % (
                c[0] + c[1], c[0], c[1], c[2])
        elif c:
            extra = "  cpu/req java %.1f us" % c[2]
        lines.append("%-16s %-8s %-4d %s%s" % (r[0], r[1], r[2], fmt_row(r), extra))
    lines.append("ratios:")
    lines += ratios(rows, args.conns)
    if floor:
        lines.append("floor (round trips of 300 bytes, no work; microseconds):")
        lines += ["  %-22s p50 %7.1f  p99 %8.1f" % f for f in floor]
        if RELAY_CPU:
            lines.append("  the two bare relays' CPU per round trip: %.1f + %.1f = %.1f us"
                         % (RELAY_CPU[0], RELAY_CPU[1], sum(RELAY_CPU)))
        fl = dict((f[0], f[1]) for f in floor)
        if "tcp_direct" in fl and "tcp_uds_relay_chain" in fl:
            lines.append("  two extra hops (TCP + Unix socket) cost at least %.1f us at p50"
                         % (fl["tcp_uds_relay_chain"] - fl["tcp_direct"]))
    lines += targets_table(rows, cpu, floor, args.conns)
    lines += ["note: " + n for n in notes]
    lines.append("total %.0f s" % (time.monotonic() - t_start))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0 if rows and all(r[6] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
