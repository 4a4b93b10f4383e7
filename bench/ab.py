#!/usr/bin/env python3
"""bench/ab.py: A/B of two ruststack builds on the S3 hot paths in ONE run, so that a
change (a refactor, a fix) is judged against the binary before it on the same machine
state: 4 KiB GET, 4 KiB PUT and 1 MiB GET with wrk, for 1 and 2 workers, the two builds
taking turns in every round (bench.py's throughput()), best of --rounds, plus the h2o
static ceiling in the same rounds. Prints each figure, after/before, and each build's
ratio to the ceiling. With --ddb-local-dir, the same for DynamoDB instead: GetItem, PutItem
and Query at 1 and 8 connections through each build (1 worker, each with its own
DynamoDB Local), back to back in every round; the median p50 and the best req/s.
  python3 bench/ab.py --before OLD/ruststack --after NEW/ruststack [--rounds 4]
  python3 bench/ab.py --before ... --after ... --ddb-local-dir build/dynamodb-local
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import ddb_bench  # noqa: E402
import servers  # noqa: E402


def ddb_ab(args):
    """Both builds up at once, measured back to back per operation in every round."""
    work = tempfile.mkdtemp(prefix="rs-ab-ddb-")
    lua = os.path.join(work, "ddb.lua")
    with open(lua, "w") as f:
        f.write(ddb_bench.LUA)
    started, targets, rows = [], [], []
    try:
        for side in ("before", "after"):
            d = os.path.join(work, side)
            os.mkdir(d)
            srv, port, _ = ddb_bench.start_ruststack(getattr(args, side), 1, args.ddb_local_dir,
                                                     d, 90)
            if srv is None:
                print("%s did not start" % side)
                return 1
            started.append(srv)
            targets.append((side, port))
        args.conns = 8
        for _, port in targets:  # both JVMs equally warm on every operation first
            ddb_bench.setup_table(port)
            for op in ("GetItem", "PutItem", "Query"):
                ddb_bench.run_wrk(port, op, 8, 3, lua)
        for _ in range(args.rounds):
            ddb_bench.measure_targets(targets, args, lua, rows)
    finally:
        for srv in started:
            srv.stop()
        subprocess.run(["rm", "-rf", work])
    print("DynamoDB A/B, %d rounds of %d s per run, builds back to back; load average %.1f"
          % (args.rounds, args.seconds, os.getloadavg()[0]))
    print("%-16s %11s %11s %8s %12s %12s %8s" % ("op, conns", "p50 before", "p50 after",
                                                 "a-b us", "rps before", "rps after", "a/b"))
    for op in ("GetItem", "PutItem", "Query"):
        for c in (1, 8):
            fig = {}
            for side in ("before", "after"):
                sel = [r for r in rows if r[0] == side and r[1] == op and r[2] == c and r[4]]
                p50 = sorted(r[4] for r in sel)
                fig[side] = (p50[len(p50) // 2] if p50 else None,
                             max((r[3] for r in sel), default=None))
            (pb, rb), (pa, ra) = fig["before"], fig["after"]
            if None in (pb, pa, rb, ra):
                print("%-16s not measured" % ("%s c=%d" % (op, c)))
                continue
            print("%-16s %11.3f %11.3f %+8.0f %12.0f %12.0f %7.2fx" % (
                "%s c=%d" % (op, c), pb, pa, (pa - pb) * 1000, rb, ra, ra / rb))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--ddb-local-dir", default=None,
                    help="A/B the DynamoDB path instead (DynamoDB Local's folder)")
    args = ap.parse_args()
    if args.ddb_local_dir:
        return ddb_ab(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))
    work = tempfile.mkdtemp(prefix="rs-ab-")
    os.chmod(work, 0o755)
    blobs = {"/bench/k4": os.urandom(4096), "/bench/m1": os.urandom(bench.MIB)}
    entries = [bench.Entry(bench.Figures("h2o static"),
                           *servers.h2o_static(os.path.join(work, "h2o"), blobs), s3=False)]
    for w in (1, 2):
        for side in ("before", "after"):
            binary = getattr(args, side)
            cfg = bench.bench_config(binary, os.path.join(work))
            entries.append(bench.Entry(bench.Figures("%s %dw" % (side, w)),
                                       *servers.ruststack(binary, cfg, w, work)))
    try:
        for e in entries:
            bench.start(e, blobs)
        bench.throughput(entries, args)
    finally:
        for e in entries:
            e.srv.stop()
        subprocess.run(["rm", "-rf", work])
    fig = {e.fig.name: e.fig for e in entries}
    print("A/B, %d rounds of %d s, builds taking turns; load average %.1f at the end"
          % (args.rounds, args.seconds, os.getloadavg()[0]))
    print("%-22s %10s %10s %8s %12s %12s" % ("figure", "before", "after", "a/b",
                                             "before/h2o", "after/h2o"))
    bad = 0
    for attr, label in (("get4k", "4 KiB GET req/s"), ("put4k", "4 KiB PUT req/s"),
                        ("get1m", "1 MiB GET MiB/s")):
        ceil = bench.rps(fig["h2o static"], attr)
        for w in (1, 2):
            b = bench.rps(fig["before %dw" % w], attr)
            a = bench.rps(fig["after %dw" % w], attr)
            if a is None or b is None:
                print("%-22s not measured" % ("%s %dw" % (label, w)))
                bad = 1
                continue
            print("%-22s %10.0f %10.0f %7.2fx %12s %12s" % (
                "%s %dw" % (label, w), b, a, a / b,
                bench.ratio(b, ceil), bench.ratio(a, ceil)))
    for e in entries:
        for n in e.fig.notes:
            print("note: %s: %s" % (e.fig.name, n))
    return bad


if __name__ == "__main__":
    sys.exit(main())
