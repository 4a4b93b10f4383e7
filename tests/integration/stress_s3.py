"""tests/integration/stress_s3.py: multi-core stress test of the real ruststack binary
(run by run-stress.sh; prints TAP). Client threads mix PUT/GET/LIST/DELETE on a small set
of overlapping keys while a killer thread SIGKILLs a random worker about once a second.
Afterwards every key must read back byte-exact as a value the history allows, the
listing must match, the shared region must check clean, and the master must stop cleanly.

History model (per key, a linearizable register): each write (PUT or DELETE) is recorded
with its start time, end time and value. An acknowledged write certainly happened; a
write with no response (connection reset, timeout, 5xx) may or may not have happened.
The final value must come from a write W, acknowledged or not, that no acknowledged write
started after W ended: any such later write would have replaced W.

Environment: RS_BINARY or RS_BUILDDIR (the binary), RS_STRESS_SECONDS (20),
RS_STRESS_THREADS (8), RS_STRESS_MAX_OPS (per thread, 25000), RS_STRESS_SEED."""

import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

BUCKET = "stress"
NKEYS = 48
WORKERS = 2
INF = float("inf")


class Tap:
    def __init__(self, plan):
        self.plan, self.n, self.failed = plan, 0, 0
        print(f"1..{plan}", flush=True)

    def check(self, cond, desc, diag=()):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}", flush=True)
        if not cond:
            self.failed += 1
            for line in list(diag)[:40]:
                print(f"# {line}", flush=True)
        return cond

    def skip_rest(self, why):
        while self.n < self.plan:
            self.check(False, f"not reached: {why}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binary_path():
    if os.environ.get("RS_BINARY"):
        return os.environ["RS_BINARY"]
    return os.path.join(os.environ.get("RS_BUILDDIR", "."), "ruststack")


def key_name(i):
    return f"key-{i:02d}"


def make_body(rng, key, writer, seq):
    """A self-describing body: a header line naming key, writer, length and SHA-256 of the
    payload, so that any body read back can be checked on its own (no torn objects)."""
    r = rng.random()
    size = rng.randint(0, 8192) if r < 0.7 else (
        rng.randint(8193, 131072) if r < 0.95 else rng.randint(131073, 524288))
    payload = rng.randbytes(size)
    head = f"RS1 {key} {writer} {seq} {size} {hashlib.sha256(payload).hexdigest()}\n"
    return head.encode() + payload


def body_problem(key, body):
    """None when body is a complete, intact body written for key; else what is wrong."""
    nl = body.find(b"\n")
    if nl < 0:
        return f"no header line ({len(body)} bytes)"
    parts = body[:nl].decode("ascii", "replace").split()
    if len(parts) != 6 or parts[0] != "RS1":
        return f"bad header {body[:80]!r}"
    if parts[1] != key:
        return f"body of key {parts[1]} read under {key}"
    payload = body[nl + 1:]
    if len(payload) != int(parts[4]):
        return f"torn: payload {len(payload)} bytes, header says {parts[4]}"
    if hashlib.sha256(payload).hexdigest() != parts[5]:
        return "payload does not match its SHA-256"
    return None


class History:
    """Writes per key: (start, end, value, acked); value = SHA-256 of the body or None."""

    def __init__(self):
        self.writes = {key_name(i): [(0.0, 0.0, None, True)] for i in range(NKEYS)}
        self.lock = threading.Lock()

    def add(self, key, start, end, value, acked):
        with self.lock:
            self.writes[key].append((start, end, value, acked))

    def candidates(self, key):
        ws = self.writes[key]
        last_acked_start = max(w[0] for w in ws if w[3])
        return {w[2] for w in ws if w[1] >= last_acked_start}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = {"PUT": 0, "GET": 0, "LIST": 0, "DELETE": 0}
        self.conn_errors = 0
        self.unexpected = []  # (what, detail)
        self.bad_reads = []

    def count(self, op):
        with self.lock:
            self.ops[op] += 1

    def transport_error(self):
        with self.lock:
            self.conn_errors += 1

    def problem(self, lst, what):
        with self.lock:
            if len(lst) < 200:
                lst.append(what)


class Client:
    """One keep-alive connection that is replaced after any transport error."""

    def __init__(self, port, timeout=15):
        self.port, self.timeout, self.conn = port, timeout, None

    def call(self, method, path, body=None, headers=None):
        """(status, headers, body); raises OSError/HTTPException on transport errors."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            if hdrs.get("connection", "").lower() == "close":
                self.close()
            return resp.status, hdrs, data
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def client_thread(tid, port, deadline, max_ops, hist, stats, seed):
    rng = random.Random(seed * 1000 + tid)
    cli = Client(port)
    for seq in range(max_ops):
        if time.monotonic() >= deadline:
            break
        key = key_name(rng.randrange(NKEYS))
        r = rng.random()
        op = "PUT" if r < 0.45 else "GET" if r < 0.7 else "LIST" if r < 0.85 else "DELETE"
        stats.count(op)
        body = make_body(rng, key, tid, seq) if op == "PUT" else None
        value = hashlib.sha256(body).hexdigest() if body is not None else None
        for attempt in range(3):  # retries after transport errors
            start = time.monotonic()
            try:
                if op == "PUT":
                    st, hd, data = cli.call("PUT", f"/{BUCKET}/{key}", body, {
                        "Content-Type": "application/octet-stream"})
                elif op == "DELETE":
                    st, hd, data = cli.call("DELETE", f"/{BUCKET}/{key}")
                elif op == "GET":
                    st, hd, data = cli.call("GET", f"/{BUCKET}/{key}")
                else:
                    q = f"/{BUCKET}?list-type=2&max-keys={rng.randint(1, 60)}"
                    if rng.random() < 0.5:
                        q += "&start-after=" + key
                    st, hd, data = cli.call("GET", q)
            except socket.timeout:
                stats.transport_error()
                if op in ("PUT", "DELETE"):  # may still be applied later: end unknown
                    hist.add(key, start, INF, value, False)
                continue
            except (OSError, http.client.HTTPException):
                stats.transport_error()
                if op in ("PUT", "DELETE"):  # the worker died: applied before now or never
                    hist.add(key, start, time.monotonic(), value, False)
                time.sleep(0.01)
                continue
            end = time.monotonic()
            check_response(op, key, st, hd, data, body, start, end, value, hist, stats)
            break


def check_response(op, key, st, hd, data, body, start, end, value, hist, stats):
    if st >= 500 and op in ("PUT", "DELETE"):
        hist.add(key, start, end, value, False)  # may or may not have been applied
    if op == "PUT":
        if st == 200:
            hist.add(key, start, end, value, True)
            etag = '"%s"' % hashlib.md5(body).hexdigest()
            if hd.get("etag") != etag:
                stats.problem(stats.unexpected, f"PUT {key}: ETag {hd.get('etag')} != {etag}")
            return
    elif op == "DELETE":
        if st == 204:
            hist.add(key, start, end, None, True)
            return
    elif op == "GET":
        if st == 404:
            return
        if st == 200:
            bad = body_problem(key, data)
            if bad:
                stats.problem(stats.bad_reads, f"GET {key}: {bad}")
            elif hd.get("etag") != '"%s"' % hashlib.md5(data).hexdigest():
                stats.problem(stats.bad_reads, f"GET {key}: ETag {hd.get('etag')} "
                              "does not match the body")
            return
    else:
        if st == 200:
            keys = re.findall(r"<Key>([^<]*)</Key>", data.decode("utf-8", "replace"))
            if keys != sorted(set(keys)):
                stats.problem(stats.bad_reads, f"LIST: keys not strictly ascending: {keys}")
            stray = [k for k in keys if not re.fullmatch(r"key-\d\d", k)]
            if stray:
                stats.problem(stats.bad_reads, f"LIST: keys never written: {stray[:5]}")
            return
    stats.problem(stats.unexpected, f"{op} {key}: HTTP {st} {data[:200]!r}")


def children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def age_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            up = float(f.read().split()[0])
        return up - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def killer_thread(master, deadline, stop, kills, seed):
    """SIGKILL a random worker about once a second; only when every worker is up and the
    victim has run for half a second (so the master sees a crash, not a failed start)."""
    rng = random.Random(seed)
    while not stop.is_set() and time.monotonic() < deadline:
        stop.wait(rng.uniform(0.6, 1.4))
        if stop.is_set():
            break
        pids = children(master)
        ready = [p for p in pids if age_s(p) >= 0.5]
        if len(pids) < WORKERS or not ready:
            continue
        victim = rng.choice(ready)
        try:
            os.kill(victim, signal.SIGKILL)
            kills.append(victim)
        except ProcessLookupError:
            pass


def wait_healthy(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            st, _, _ = Client(port, timeout=2).call("GET", "/_ruststack/health")
            if st == 200:
                return True
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.05)
    return False


def call_retry(port, method, path, tries=20):
    for _ in range(tries):
        try:
            return Client(port).call(method, path)
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    raise RuntimeError(f"{method} {path}: no response after {tries} tries")


def list_all(port):
    keys, token = {}, None
    for _ in range(100):
        q = f"/{BUCKET}?list-type=2"
        if token:
            q += "&continuation-token=" + urllib.parse.quote(token, safe="")
        st, _, data = call_retry(port, "GET", q)
        text = data.decode("utf-8", "replace")
        if st != 200:
            raise RuntimeError(f"LIST: HTTP {st} {text[:200]}")
        for k, size in re.findall(r"<Key>([^<]*)</Key>.*?<Size>(\d+)</Size>", text, re.S):
            keys[k] = int(size)
        m = re.search(r"<NextContinuationToken>([^<]*)<", text)
        token = m.group(1) if m else None
        if not token:
            break
    return keys


def write_config(tmp, shm):
    """S3 only: the workers must be the master's only children (the killer picks among
    them), so other services are switched off where this build has them."""
    conf = os.path.join(tmp, "ruststack.conf")
    base = f"s3_capacity = 256m\nshm_name = {shm}\naccess_log = off\nlog_level = warn\n"
    for extra in ("dynamodb = off\nlambda = off\n", "dynamodb = off\n", ""):
        with open(conf, "w") as f:
            f.write(base + extra)
        try:
            probe = subprocess.run([binary_path(), "-t", "--config", conf],
                                   capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            break  # starting the server reports it
        if probe.returncode == 0:
            break
    return conf


def log_tail(path, n=30):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return [f"server log: {ln}" for ln in lines[-n:]]
    except OSError:
        return []


def main():
    seconds = float(os.environ.get("RS_STRESS_SECONDS", "20"))
    nthreads = int(os.environ.get("RS_STRESS_THREADS", "8"))
    max_ops = int(os.environ.get("RS_STRESS_MAX_OPS", "25000"))
    seed = int(os.environ.get("RS_STRESS_SEED", str(int(time.time()))))
    tap = Tap(9)
    print(f"# seed {seed}, {nthreads} threads, {seconds:.0f} s, {WORKERS} workers", flush=True)

    tmp = tempfile.mkdtemp(prefix="rs-stress-")
    port = free_port()
    shm = f"/rs-stress-{os.getpid()}-{port}"
    conf = write_config(tmp, shm)
    log_path = os.path.join(tmp, "server.log")
    log = open(log_path, "wb")
    argv = [binary_path(), "--config", conf, "--bind", "127.0.0.1", "--port", str(port),
            "--workers", str(WORKERS)]
    try:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as e:
        log.close()
        subprocess.run(["rm", "-rf", tmp])
        tap.check(False, f"server starts ({e})")
        tap.skip_rest("no server")
        return 1
    try:
        return run(tap, proc, port, shm, log_path, seconds, nthreads, max_ops, seed)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        subprocess.run(["rm", "-rf", tmp])
        try:
            os.unlink("/dev/shm" + shm)
        except OSError:
            pass


def run(tap, proc, port, shm, log_path, seconds, nthreads, max_ops, seed):
    if not tap.check(wait_healthy(port, proc, 15), "server starts and reports healthy",
                     log_tail(log_path)):
        tap.skip_rest("server not healthy")
        return 1
    st, _, data = call_retry(port, "PUT", f"/{BUCKET}")
    if not tap.check(st == 200, f"bucket created (HTTP {st})", [repr(data[:300])]):
        tap.skip_rest("no bucket")
        return 1

    hist, stats, kills, stop = History(), Stats(), [], threading.Event()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=client_thread,
                                args=(i, port, deadline, max_ops, hist, stats, seed))
               for i in range(nthreads)]
    killer = threading.Thread(target=killer_thread,
                              args=(proc.pid, deadline, stop, kills, seed))
    for t in threads + [killer]:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    killer.join()
    total = sum(stats.ops.values())
    print(f"# ops {stats.ops}, transport errors {stats.conn_errors}, "
          f"workers killed {len(kills)}", flush=True)

    tap.check(not stats.bad_reads and total > 0,
              f"{total} operations; every GET/LIST read a whole, valid state",
              stats.bad_reads)
    tap.check(not stats.unexpected, "no unexpected HTTP status or ETag", stats.unexpected)

    respawned = False
    t_end = time.monotonic() + 20
    while time.monotonic() < t_end and proc.poll() is None:
        if len(children(proc.pid)) >= WORKERS and wait_healthy(port, proc, 1):
            respawned = True
            break
        time.sleep(0.1)
    tap.check(len(kills) >= 3 and respawned,
              f"{len(kills)} workers SIGKILLed and every slot respawned",
              [f"children now: {children(proc.pid)}"] + log_tail(log_path))
    if proc.poll() is not None:
        tap.skip_rest(f"master exited with {proc.returncode}")
        return 1

    present, wrong = {}, []
    for i in range(NKEYS):
        key = key_name(i)
        st, _, data = call_retry(port, "GET", f"/{BUCKET}/{key}")
        if st == 200:
            got = hashlib.sha256(data).hexdigest()
            present[key] = len(data)
        elif st == 404:
            got = None
        else:
            wrong.append(f"{key}: HTTP {st} {data[:200]!r}")
            continue
        cands = hist.candidates(key)
        if got not in cands:
            acked = [w for w in hist.writes[key] if w[3]]
            wrong.append(f"{key}: read {'absent' if got is None else got[:16]}, allowed "
                         f"{sorted(str(c)[:16] for c in cands)}; last acked write value "
                         f"{str(acked[-1][2])[:16]}")
    tap.check(not wrong, f"all {NKEYS} keys read back byte-exact as the history allows",
              wrong)

    try:
        listed = list_all(port)
        diff = [f"listed {listed}", f"present {present}"] if listed != present else []
    except RuntimeError as e:
        diff = [str(e)]
    tap.check(not diff, "the listing matches the objects (names and sizes)", diff)

    st, _, data = call_retry(port, "GET", "/_ruststack/check")
    try:
        clean = st == 200 and json.loads(data).get("clean") is True
    except ValueError:
        clean = False
    tap.check(clean, f"region checks clean (GET /_ruststack/check: HTTP {st})",
              [data[:500].decode("utf-8", "replace")])

    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        code = None
    left = os.path.exists("/dev/shm" + shm)
    tap.check(code == 0 and not left,
              f"master stops on SIGTERM with 0 (got {code}) and removes {shm}",
              [f"shm left: {left}"] + log_tail(log_path))
    return 0 if tap.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
