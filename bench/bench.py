"""bench/bench.py: the RustStack benchmark driver (run it through bench/run.sh). One run on
one machine measures RustStack (1 and 2 workers), moto's server mode and the h2o
static-file server serving the same bytes (the ceiling), then prints a table of figures
and ratios and writes it to the results file."""

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import measure
import servers

MIB = 1 << 20


class Figures:
    """What one server measured; None means not measured (n/a)."""

    def __init__(self, name):
        self.name = name
        self.ok = False
        self.startup_ms = None
        self.get4k = self.put4k = self.get1m = None
        self.mem_idle = self.mem_end = None
        self.list_ms = None
        self.list_keys = None
        self.load = None
        self.notes = []


def verify_objects(port, blobs):
    """The benchmark objects read back byte-exact (so wrk measures real responses)."""
    for path, data in blobs.items():
        status, body = servers.request(port, "GET", path)
        if status != 200 or body != data:
            return f"GET {path}: HTTP {status}, {len(body)} bytes, not the {len(data)} stored"
    return None


class Entry:
    """A server under test: its figures, process, port and what it is measured on."""

    def __init__(self, fig, srv, port, s3=True, list_keys=0, list_repeat=0):
        self.fig, self.srv, self.port = fig, srv, port
        self.s3, self.list_keys, self.list_repeat = s3, list_keys, list_repeat


def start(e, blobs):
    """Start the server, time it to healthy, store the benchmark objects and check them."""
    if not e.srv.start(e.port):
        e.fig.notes.append("did not start (see its log above)")
        return
    e.fig.ok = True
    e.fig.startup_ms = e.srv.startup_ms
    e.fig.mem_idle = e.srv.memory_mib()
    if e.s3:
        servers.request(e.port, "PUT", "/bench")
        for path, data in blobs.items():
            status, _ = servers.request(e.port, "PUT", path, body=data)
            if status != 200:
                e.fig.notes.append(f"PUT {path}: HTTP {status}")
    bad = verify_objects(e.port, blobs)
    if bad:
        e.fig.notes.append(bad)


def best(a, b):
    """The better of two runs of one measurement; errors of any run are kept."""
    if a is None:
        return b
    win = b if b.rps > a.rps else a
    return measure.WrkResult(win.rps, a.errors + b.errors, win.p99_ms,
                             a.requests + b.requests, (a.note + " " + b.note).strip())


def throughput(entries, args):
    """4 KiB GET, 4 KiB PUT and 1 MiB GET, each the best of args.rounds runs; in every
    round the servers take turns, so background load on the machine hits them alike."""
    runs = (("get4k", "/bench/k4", 32, None, False), ("put4k", "/", 32, "put.lua", True),
            ("get1m", "/bench/m1", 8, None, False))
    for e in entries:
        if e.fig.ok:
            measure.wrk(e.port, "/bench/k4", 32, 1)  # warm-up, not recorded
    for attr, path, conns, script, s3_only in runs:
        for _ in range(args.rounds):
            for e in entries:
                if e.fig.ok and (e.s3 or not s3_only):
                    r = measure.wrk(e.port, path, conns, args.seconds, script=script)
                    setattr(e.fig, attr, best(getattr(e.fig, attr), r))


def listing(e):
    try:
        e.fig.load = measure.load_keys(e.port, "list", e.list_keys)
        e.fig.list_keys = e.list_keys
        e.fig.list_ms = measure.list_latency(e.port, "list", e.list_keys, e.list_repeat)
    except Exception as ex:  # a failing server must not stop the other measurements
        e.fig.notes.append(f"error: {ex}")


def cell_rps(r):
    if r is None:
        return "n/a"
    s = f"{r.rps:,.0f}"
    return s + ("!" if r.errors or r.note else "")


def cell_mibs(r):
    if r is None:
        return "n/a"
    return f"{r.rps:,.0f}" + ("!" if r.errors or r.note else "")


def ratio(a, b):
    if a is None or b is None or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def rps(fig, attr):
    r = getattr(fig, attr) if fig.ok else None
    return r.rps if r and not r.errors and not r.note else None


def table(figs, args):
    h2o, moto, rs1, rs2 = figs
    cols = [h2o, moto, rs1, rs2]
    rows = []

    def row(label, cells):
        rows.append((label, cells))

    row("4 KiB GET req/s, 32 conns", [cell_rps(f.get4k) for f in cols])
    row("4 KiB PUT req/s, 32 conns", [cell_rps(f.put4k) for f in cols])
    row("1 MiB GET MiB/s, 8 conns", [cell_mibs(f.get1m) for f in cols])
    row("4 KiB GET p99 ms", [f"{f.get4k.p99_ms:.2f}" if f.get4k and f.get4k.p99_ms is not None
                             else "n/a" for f in cols])
    for pos in ("start", "middle", "end"):
        row(f"ListObjectsV2 page ms, {pos}",
            [f"{f.list_ms[pos]:.2f}" if f.list_ms else "n/a" for f in cols])
    row("  keys in listed bucket", [f"{f.list_keys:,}" if f.list_keys else "n/a" for f in cols])
    row("  bulk load PUT/s (wrk)",
        [f"{f.load[1]:,.0f}" if f.load else "n/a" for f in cols])
    row("startup to healthy ms", [f"{f.startup_ms:.0f}" if f.startup_ms else "n/a"
                                  for f in cols])
    row("RSS MiB idle (PSS)", [f"{f.mem_idle[0]:.1f} ({f.mem_idle[1]:.1f})" if f.mem_idle
                               else "n/a" for f in cols])
    row("RSS MiB at end (PSS)", [f"{f.mem_end[0]:.1f} ({f.mem_end[1]:.1f})" if f.mem_end
                                 else "n/a" for f in cols])

    lines = []
    w0 = max(len(r[0]) for r in rows) + 2
    names = [f.name for f in cols]
    w = [max(len(n), *(len(r[1][i]) for r in rows)) + 2 for i, n in enumerate(names)]
    lines.append("".ljust(w0) + "".join(n.rjust(w[i]) for i, n in enumerate(names)))
    for label, cells in rows:
        lines.append(label.ljust(w0) + "".join(c.rjust(w[i]) for i, c in enumerate(cells)))

    g = {f.name: rps(f, "get4k") for f in cols}
    p = {f.name: rps(f, "put4k") for f in cols}
    m = {f.name: rps(f, "get1m") for f in cols}
    lines.append("")
    lines.append("Ratios (ruststack 2w unless said)      vs h2o    vs moto   2w/1w")
    lines.append("  4 KiB GET req/s                   %9s %9s %9s" % (
        ratio(g[rs2.name], g[h2o.name]), ratio(g[rs2.name], g[moto.name]),
        ratio(g[rs2.name], g[rs1.name])))
    lines.append("  4 KiB PUT req/s                   %9s %9s %9s" % (
        "n/a", ratio(p[rs2.name], p[moto.name]), ratio(p[rs2.name], p[rs1.name])))
    lines.append("  1 MiB GET MiB/s                   %9s %9s %9s" % (
        ratio(m[rs2.name], m[h2o.name]), ratio(m[rs2.name], m[moto.name]),
        ratio(m[rs2.name], m[rs1.name])))
    if rs2.list_ms and moto.list_ms:
        lines.append("  ListObjectsV2 end page, moto ms / ruststack ms: %s (moto bucket "
                     "%d keys, ruststack %d)" % (ratio(moto.list_ms["end"], rs2.list_ms["end"]),
                                                 moto.list_keys, rs2.list_keys))

    lines.append("")
    lines.append("Targets")

    def target(text, value, limit):
        if value is None:
            lines.append(f"  {text}: not measured")
        else:
            verdict = "met" if value >= limit else "NOT met"
            lines.append(f"  {text}: {value:.2f} -> {verdict}")

    def r(a, b):
        return a / b if a is not None and b else None

    target("4 KiB GET >= 0.5 x h2o static", r(g[rs2.name], g[h2o.name]), 0.5)
    target("4 KiB GET >= 100 x moto", r(g[rs2.name], g[moto.name]), 100.0)
    target("4 KiB GET grows 1 -> 2 workers (2w/1w > 1)", r(g[rs2.name], g[rs1.name]), 1.0001)
    target("4 KiB PUT grows 1 -> 2 workers (2w/1w > 1)", r(p[rs2.name], p[rs1.name]), 1.0001)

    notes = []
    for f in cols:
        for attr in ("get4k", "put4k", "get1m"):
            res = getattr(f, attr)
            if res and (res.errors or res.note):
                notes.append(f"{f.name} {attr}: {res.errors} errors of {res.requests} "
                             f"requests {res.note}".rstrip())
        if f.load and f.load[2]:
            notes.append(f"{f.name}: wrk left {f.load[2]} keys out of the bulk load; "
                         "they were PUT afterwards")
        notes += [f"{f.name}: {n}" for n in f.notes]
    if notes:
        lines.append("")
        lines.append("Notes (! = errors: the figure does not count)")
        lines += ["  " + n for n in notes]
    return lines


def bench_config(binary, workdir):
    """No access log, as for h2o (none configured) and as a busy service would run; S3
    only (DynamoDB off where this build has it), so memory counts the S3 processes."""
    config = os.path.join(workdir, "ruststack.conf")
    for extra in ("dynamodb = off\n", ""):
        with open(config, "w") as f:
            f.write("access_log = off\nlog_level = warn\n" + extra)
        try:
            if subprocess.run([binary, "-t", "--config", config], capture_output=True,
                              timeout=30).returncode == 0:
                break
        except (OSError, subprocess.TimeoutExpired):
            break
    return config


def header(args):
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f
                          if ln.startswith("model name")), "?")
    except OSError:
        model = "?"
    load = os.getloadavg()
    cfg = f"config {args.config}" if args.config else "access_log = off, S3 only"
    lines = [
        "RustStack benchmark, " + time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        f"machine: {os.cpu_count()} cores ({model}), Linux {platform.release()}, "
        f"load average {load[0]:.2f} at start",
        f"method: loopback only; wrk with 1 thread on the same cores as the servers; best of "
        f"{args.rounds} runs",
        f"  of {args.seconds} s, the servers taking turns in each round, after a 1 s warm-up; "
        "the same",
        "  4 KiB and 1 MiB objects for every server; all four servers up during the run.",
        "  h2o static: the files, num-threads 2. moto: server mode. ruststack: 1 and 2 "
        f"workers, {cfg}.",
        "  ListObjectsV2: median ms of a max-keys=1000 page at the start, middle and end "
        "of the keys;",
        f"  ruststack 2w with {args.keys:,} keys ({args.list_repeat} pages per position), "
        f"moto with {args.moto_keys:,} keys",
        f"  ({args.moto_list_repeat} per position): moto loads and lists too slowly for "
        "100k keys in the time budget.",
    ]
    if load[0] > 0.5 * (os.cpu_count() or 1):
        lines.append(f"WARNING: the machine was busy before the run (load average "
                     f"{load[0]:.2f} on {os.cpu_count()} cores): the figures are not reliable.")
    return lines + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", required=True, help="the ruststack binary")
    ap.add_argument("--config", default=None,
                    help="ruststack config file (default: access_log = off)")
    ap.add_argument("--out", default=None, help="also write the results here")
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--keys", type=int, default=100000)
    ap.add_argument("--moto-keys", type=int, default=5000)
    ap.add_argument("--list-repeat", type=int, default=15)
    ap.add_argument("--moto-list-repeat", type=int, default=3)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (sh packaging/setup.sh deps)")

    # timeout(1) sends TERM: unwind so that every started server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))
    workdir = tempfile.mkdtemp(prefix="rs-bench-")
    os.chmod(workdir, 0o755)  # h2o serves files from here as "nobody"
    try:
        blobs = {"/bench/k4": os.urandom(4096), "/bench/m1": os.urandom(MIB)}
        figs = [Figures("h2o static"), Figures("moto"), Figures("ruststack 1w"),
                Figures("ruststack 2w")]
        lines = header(args)
        print("\n".join(lines), flush=True)

        config = args.config or bench_config(args.binary, workdir)
        entries = [
            Entry(figs[0], *servers.h2o_static(os.path.join(workdir, "h2o"), blobs), s3=False),
            Entry(figs[1], *servers.moto(workdir), list_keys=args.moto_keys,
                  list_repeat=args.moto_list_repeat),
            Entry(figs[2], *servers.ruststack(args.binary, config, 1, workdir)),
            Entry(figs[3], *servers.ruststack(args.binary, config, 2, workdir),
                  list_keys=args.keys, list_repeat=args.list_repeat),
        ]
        try:
            for e in entries:
                try:
                    start(e, blobs)
                except Exception as ex:  # the other servers are still measured
                    e.fig.ok = False
                    e.fig.notes.append(f"error: {ex}")
            throughput(entries, args)
            for e in entries:
                if e.fig.ok and e.list_keys:
                    listing(e)
            for e in entries:
                if e.fig.ok:
                    e.fig.mem_end = e.srv.memory_mib()
        finally:
            for e in entries:
                e.srv.stop()

        body = table(figs, args)
        print("\n".join(body))
        if args.out:
            with open(args.out, "w") as f:
                f.write("\n".join(lines + body) + "\n")
        return 0 if all(f.ok for f in figs) else 1
    finally:
        subprocess.run(["rm", "-rf", workdir])


if __name__ == "__main__":
    sys.exit(main())
