"""bench/ddb_hops.py: where a DynamoDB request's proxy microseconds go, and an A/B of
RustStack builds measured in the same minute. For each binary given it starts RustStack
(1 worker) with its own DynamoDB Local, warms the JVM up, then times one GetItem at a time
three ways, one request per path in turn, so that the machine's load hits all alike:
  java   HTTP straight to that DynamoDB Local (the baseline),
  sup    one IPC frame straight to the ddb supervisor's Unix socket (the supervisor hop:
         frame in, SigV4 + HTTP to DynamoDB Local, rewrite, frame out),
  proxy  HTTP to the worker (the whole path: worker hop + supervisor hop).
It prints medians per binary: sup - java is the supervisor's cost, proxy - sup the
worker's. The client is the same Python loop on all three, so its own cost cancels.
Then (unless --cpu-seconds 0) the CPU time per proxied request of each build's worker and
supervisor (/proc/<pid>/stat over wrk runs of GetItem, PutItem and Query at 1 and 8
connections, the builds taking turns in every round): the figure a shared machine's load
disturbs least.
  python3 bench/ddb_hops.py [--rounds N] [--requests N] [--cpu-seconds N] NAME=BINARY ...
Runs in: the benchmark driver process (never inside a server)."""

import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import ddb_bench  # noqa: E402

BODY = b'{"TableName":"bench","Key":{"pk":{"S":"k1"},"sk":{"N":"0"}}}'
HDR = struct.Struct("<IHHQII")  # include/rs/ipc.h: magic, version, type, id, meta, body
MAGIC, REQUEST = 0x50495352, 1


def http_request(port):
    # the account's key id, as the supervisor sends it, so all three read the same table
    auth = ddb_bench.AUTH.replace("Credential=test/", "Credential=A000000000000/")
    return ("POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n"
            "X-Amz-Target: DynamoDB_20120810.GetItem\r\nAuthorization: %s\r\n"
            "X-Amz-Date: %s\r\nContent-Length: %d\r\n\r\n"
            % (port, auth, ddb_bench.AMZDATE, len(BODY))).encode() + BODY


def tcp(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def http_round_trip(s, req):
    s.sendall(req)
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            continue
        head = buf[:i].decode("latin-1").lower()
        if not head.startswith("http/1.1 200"):
            raise OSError("HTTP answer: %r" % head[:80])
        clen = int(head.split("content-length:")[1].split("\r\n")[0])
        while len(buf) < i + 4 + clen:
            buf += s.recv(65536)
        return


META = json.dumps({"target": "DynamoDB_20120810.GetItem", "account": "000000000000",
                   "region": "us-east-1", "request_id": "hops",
                   "content_type": "application/x-amz-json-1.0",
                   "access_key": "test"}).encode()


def frame_round_trip(s, rid):
    s.sendall(HDR.pack(MAGIC, 1, REQUEST, rid, len(META), len(BODY)) + META + BODY)
    buf = b""
    while len(buf) < HDR.size:
        buf += s.recv(65536)
    _, _, _, got, mlen, blen = HDR.unpack(buf[:HDR.size])
    while len(buf) < HDR.size + mlen + blen:
        buf += s.recv(65536)
    if got != rid or b'"status":200' not in buf[HDR.size:HDR.size + mlen]:
        raise OSError("frame answer: %r" % buf[HDR.size:HDR.size + mlen])


def cpu_phase(ready, pids, lua, seconds, rounds):
    """CPU microseconds per proxied request (worker + supervisor) of each build, per
    operation and connection count, summed over rounds in which the builds take turns."""
    acc = {}
    for _ in range(rounds):
        for op in ("GetItem", "PutItem", "Query"):
            for conns in (1, 8):
                for name, port, _ in ready:
                    counts = {}
                    before = ddb_bench.cpu_sample(pids[name])
                    ddb_bench.run_wrk(port, op, conns, seconds, lua, counts)
                    after = ddb_bench.cpu_sample(pids[name])
                    a = acc.setdefault((name, op, conns), [0.0, 0.0, 0])
                    a[0] += after[0] - before[0]
                    a[1] += after[1] - before[1]
                    a[2] += counts.get("requests", 0)
    print("CPU per proxied request in microseconds (worker + supervisor), %d round(s) of "
          "%d s runs, load average %.1f" % (rounds, seconds, os.getloadavg()[0]))
    for op in ("GetItem", "PutItem", "Query"):
        for conns in (1, 8):
            parts = []
            for name, _, _ in ready:
                w, sup, n = acc[(name, op, conns)]
                if n:
                    parts.append("%-8s %5.1f (worker %5.1f + sup %5.1f)"
                                 % (name, (w + sup) * 1e6 / n, w * 1e6 / n, sup * 1e6 / n))
            print("  %-8s c=%d  %s" % (op, conns, "   ".join(parts)))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=300, help="per path per round")
    ap.add_argument("--cpu-seconds", type=int, default=2,
                    help="seconds per wrk run of the CPU phase (0: skip it; at most 5)")
    ap.add_argument("--ddb-local-dir", default=os.path.join(os.path.dirname(HERE), "build",
                                                            "dynamodb-local"))
    ap.add_argument("builds", nargs="+", help="NAME=BINARY")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="rs-ddb-hops-")
    lua = os.path.join(work, "ddb.lua")
    with open(lua, "w") as f:
        f.write(ddb_bench.LUA)
    servers, ready, paths, pids = [], [], [], {}
    try:
        for spec in args.builds:
            name, binary = spec.split("=", 1)
            d = os.path.join(work, name)
            os.mkdir(d)
            srv, port, _ = ddb_bench.start_ruststack(binary, 1, args.ddb_local_dir, d, 90)
            if srv is None:
                sys.exit("ddb_hops: %s did not start" % name)
            servers.append(srv)
            jport = ddb_bench.java_port(srv)
            ddb_bench.setup_table(port)
            for op in ("GetItem", "PutItem", "Query"):  # JIT warm-up
                ddb_bench.run_wrk(port, op, 4, 2, lua)
            ready.append((name, port, jport))
            pids[name] = ddb_bench.proxy_pids(srv)
        for name, port, jport in ready:  # connect only now: idle connections get closed
            uds = socket.socket(socket.AF_UNIX)
            uds.connect("/tmp/ruststack-%d/ddb.sock" % port)
            j, p = tcp(jport), tcp(port)
            jreq, preq = http_request(jport), http_request(port)
            paths.append((name, {
                "java": lambda rid, j=j, r=jreq: http_round_trip(j, r),
                "sup": lambda rid, u=uds: frame_round_trip(u, rid),
                "proxy": lambda rid, p=p, r=preq: http_round_trip(p, r),
            }))
        times = {(n, k): [] for n, fns in paths for k in fns}
        rid = 0
        for _ in range(args.rounds * args.requests):  # one request per path in turn
            for name, fns in paths:
                for kind, fn in fns.items():
                    rid += 1
                    t0 = time.perf_counter()
                    fn(rid)
                    times[(name, kind)].append((time.perf_counter() - t0) * 1e6)
        print("GetItem p50 in microseconds, %d requests per path, load average %.1f"
              % (args.rounds * args.requests, os.getloadavg()[0]))
        for name, _ in paths:
            m = {k: statistics.median(times[(name, k)]) for k in ("java", "sup", "proxy")}
            print("  %-8s java %5.0f  sup %5.0f (+%3.0f supervisor hop)  proxy %5.0f "
                  "(+%3.0f worker hop; +%3.0f in all, %+.0f%%)"
                  % (name, m["java"], m["sup"], m["sup"] - m["java"], m["proxy"],
                     m["proxy"] - m["sup"], m["proxy"] - m["java"],
                     100.0 * (m["proxy"] / m["java"] - 1)))
        if args.cpu_seconds > 0:
            cpu_phase(ready, pids, lua, min(args.cpu_seconds, 5), max(1, args.rounds // 2))
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
