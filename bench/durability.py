"""bench/durability.py: 4 KiB PUT req/s of RustStack with data_dir for each s3_durability
mode (always, interval, stop) in the same run, a few seconds each (wrk + bench/put.lua,
the same 1,000 keys overwritten), then the objects are read back after a restart of the
server on the same data directory. Run by bench/run-durability.sh."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import measure
import servers

MODES = ("stop", "interval", "always")


def one(binary, mode, args, workdir):
    data = os.path.join(workdir, "data-" + mode)
    config = os.path.join(workdir, mode + ".conf")
    with open(config, "w") as f:
        f.write(f"access_log = off\nlog_level = warn\ndynamodb = off\nlambda = off\n"
                f"data_dir = {data}\ns3_durability = {mode}\ns3_capacity = 256m\n"
                f"s3_max_objects = 65536\n")
    srv, port = servers.ruststack(binary, config, args.workers, workdir)
    srv.name = f"ruststack-{mode}"
    srv.log_path = os.path.join(workdir, srv.name + ".log")
    if not srv.start(port):
        return None, "did not start"
    try:
        servers.request(port, "PUT", "/bench")
        res = measure.wrk(port, "/", args.conns, args.seconds, script="put.lua")
    finally:
        srv.stop()
    # restart on the same directory: the last round of PUTs is all there
    srv2, port2 = servers.ruststack(binary, config, 1, workdir)
    srv2.log_path = os.path.join(workdir, srv.name + "-restart.log")
    note = ""
    if srv2.start(port2):
        status, body = servers.request(port2, "GET", "/bench/put-010")
        if status != 200 or len(body) != 4096:
            note = (f"after restart GET put-010: HTTP {status}, {len(body)} bytes "
                    f"{body[:200]!r}")
        srv2.stop()
    else:
        note = "restart failed"
    shutil.rmtree(data, ignore_errors=True)
    return res, note


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated subset")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (sh packaging/setup.sh deps)")
    lines = [f"# RustStack 4 KiB PUT, data_dir on {os.environ.get('TMPDIR', '/tmp')}, "
             f"{args.workers} worker(s), wrk 1 thread {args.conns} connections, "
             f"{args.seconds} s per mode, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"# host: {os.cpu_count()} CPU(s); "
             f"{subprocess.run(['uname', '-sr'], capture_output=True, text=True).stdout.strip()}",
             f"{'s3_durability':<14} {'PUT/s':>9} {'p99 ms':>8} {'errors':>7}  note"]
    with tempfile.TemporaryDirectory(prefix="rs-dur-bench-") as workdir:
        for mode in args.modes.split(","):
            res, note = one(args.binary, mode, args, workdir)
            if res is None:
                lines.append(f"{mode:<14} {'-':>9} {'-':>8} {'-':>7}  {note}")
                continue
            p99 = f"{res.p99_ms:.2f}" if res.p99_ms is not None else "-"
            lines.append(f"{mode:<14} {res.rps:>9.0f} {p99:>8} {res.errors:>7}  "
                         f"{note or res.note or 'restart kept the objects'}")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
