"""bench/soak.py: the soak test of a shared RustStack: mixed S3 (put, get, list, delete, a
multipart upload now and then), DynamoDB (put, get, query) and Lambda (invoke of a small
function on the process executor) traffic from several accounts (one client thread per
account, each its own access key) for RS_SOAK_SECONDS (default 600), while a killer
SIGKILLs a worker or a supervisor (alternating: worker, ddb supervisor, worker, lambda
supervisor, ...) every --kill-every seconds (default 30). A request cut by a kill is
retried for up to 30 s (counted as retries); one that still fails then is an error.
Every acknowledged S3 write is tracked; at the end every key must read back byte-exact
(or, for a write whose answer was lost, as one of the values it may have left), and each
account's usage (/_ruststack/usage) must equal what its listing shows. Printed at the
start and the end: requests, errors, retries, RSS of every process (sum and per role),
open file descriptors, shared-store use and /_ruststack/check.
Runs in: the benchmark driver process (never inside the server); loopback only."""

import argparse
import hashlib
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

import boto3
import requests
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402  (bench/servers.py: the process-tree helpers)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MIB = 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    return servers._children(pid)


def descendants(pid):
    """pid's descendants (not pid itself)."""
    return servers.tree(pid)[1:]


def rss_kib(pid):
    return servers._status_kib(pid, "VmRSS")


def private_kib(pid):
    """RssAnon: the process's own memory, without the store's shared region (RssShmem),
    which every worker maps and fills up to s3_capacity: the figure a leak would move."""
    return servers._status_kib(pid, "RssAnon")


def pss_kib(pid):
    """Proportional set size: shared pages (the store's region) split between sharers."""
    return servers._pss_kib(pid)


def nfds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Server:
    def __init__(self, binary, workdir, workers, ddb_dir, in_memory):
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.workers = workers
        self.conf = os.path.join(workdir, "soak.conf")
        self.log = os.path.join(workdir, "server.log")
        ddb = ("dynamodb = on\ndynamodb_local_dir = %s\n" % ddb_dir
               if os.path.exists(os.path.join(ddb_dir, "DynamoDBLocal.jar")) else "dynamodb = off\n")
        with open(self.conf, "w") as f:
            f.write("bind = 127.0.0.1\nport = %d\nworkers = %d\nshm_name = /rs-soak-%d\n"
                    "s3_capacity = 512m\naccess_log = off\nlog_level = warn\n"
                    "lambda = on\nlambda_executor = process\nlambda_runtime_path = %s\n"
                    "runtime_dir = %s\n%s" % (self.port, workers, os.getpid(),
                                              os.path.join(ROOT, "runtime"),
                                              os.path.join(workdir, "run"), ddb))
            if not in_memory:
                f.write("data_dir = %s\n" % os.path.join(workdir, "data"))
        self.binary = binary
        self.proc = None

    def start(self):
        self._log = open(self.log, "wb")
        self.proc = subprocess.Popen([self.binary, "--config", self.conf], stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            try:
                h = requests.get(self.endpoint + "/_ruststack/health", timeout=2).json()
                states = {k: v["state"] for k, v in h["services"].items()}
                if states["lambda"] in ("running", "unavailable") and \
                        states["dynamodb"] not in ("starting",):
                    return states
            except (requests.RequestException, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not come up; log %s" % self.log)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for p in descendants(self.proc.pid):
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            self.proc.kill()
            return None

    def worker_pids(self):
        kids = set(children(self.proc.pid))
        seen = set()
        for _ in range(60):
            if len(seen) >= self.workers:
                break
            try:
                s = requests.Session()
                seen.add(s.get(self.endpoint + "/_ruststack/info", timeout=2).json()["worker_pid"])
                s.close()
            except (requests.RequestException, ValueError):
                time.sleep(0.1)
        return sorted(p for p in seen if p in kids)

    def roles(self):
        """{pid: role} for the whole process tree."""
        out = {self.proc.pid: "master"}
        kids = children(self.proc.pid)
        workers, others = set(), []
        for _ in range(3):
            workers |= set(self.worker_pids())
            others = [k for k in kids if k not in workers]
            ddb = [k for k in others if any("DynamoDBLocal" in cmdline(d) for d in descendants(k))]
            if len(others) - len(ddb) <= 1:
                break
        for k in kids:
            desc = descendants(k)
            if k in workers:
                out[k] = "worker"
            elif any("DynamoDBLocal" in cmdline(d) for d in desc):
                out[k] = "ddb-supervisor"
                for d in desc:
                    out[d] = "dynamodb-local"
            elif len(others) - len(ddb) == 1:
                out[k] = "lambda-supervisor"
                for d in desc:
                    out[d] = "function"
            else:
                out[k] = "unidentified"
        return out


def snapshot(srv, stats, label):
    roles = srv.roles()
    per = {}
    total_rss = total_pss = total_fds = total_priv = 0
    for pid, role in roles.items():
        r, ps, n, pv = rss_kib(pid), pss_kib(pid), nfds(pid), private_kib(pid)
        p = per.setdefault(role, [0, 0, 0, 0, 0])
        p[0] += 1
        p[1] += r
        p[2] += ps
        p[3] += n
        p[4] += pv
        total_rss += r
        total_pss += ps
        total_fds += n
        total_priv += pv
    h = requests.get(srv.endpoint + "/_ruststack/health", timeout=10).json()
    chk = requests.get(srv.endpoint + "/_ruststack/check", timeout=30)
    s3 = h["services"]["s3"]
    lines = ["== %s (t = %.0f s)" % (label, stats.elapsed()),
             "requests %d  errors %d  retries %d  lost %d" % (stats.requests, stats.errors,
                                                                stats.retries, stats.lost),
             "processes %d  RSS %.1f MiB  PSS %.1f MiB  private %.1f MiB  open fds %d" % (
                 len(roles), total_rss / 1024.0, total_pss / 1024.0, total_priv / 1024.0,
                 total_fds)]
    for role in sorted(per):
        n, r, ps, f, pv = per[role]
        lines.append("  %-18s x%-2d RSS %7.1f MiB  PSS %7.1f MiB  private %7.1f MiB  fds %4d"
                     % (role, n, r / 1024.0, ps / 1024.0, pv / 1024.0, f))
    lines.append("shared store: used %.1f MiB of %.0f MiB, objects %d, buckets %d, repairs %d, "
                 "poisoned %d" % (s3["used_bytes"] / MIB, s3["capacity_bytes"] / MIB,
                                  s3["objects"], s3["buckets"], s3["repairs"], s3["poisoned"]))
    lines.append("services: " + ", ".join("%s %s" % (k, v["state"])
                                          for k, v in h["services"].items()))
    lines.append("/_ruststack/check: %s %s" % (chk.status_code, chk.text.strip()))
    return lines, chk.status_code == 200


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.requests = self.errors = self.retries = self.lost = 0
        self.by_op = {}
        self.error_samples = []

    def elapsed(self):
        return time.monotonic() - self.t0

    def note(self, op, ok, retries, why=None):
        with self.lock:
            self.requests += 1 + retries
            self.retries += retries
            o = self.by_op.setdefault(op, [0, 0])
            o[0] += 1
            if not ok:
                self.errors += 1
                o[1] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append("%s: %s" % (op, why))


def transient(e):
    """A cut connection or a 5xx (a service restarting after a kill): worth waiting for."""
    resp = getattr(e, "response", None)
    if isinstance(resp, dict):
        return resp.get("ResponseMetadata", {}).get("HTTPStatusCode", 500) >= 500
    return True


def call(stats, op, fn, attempts=None, budget=30.0):
    """fn() with retries: a transient failure (a kill cuts connections, a supervisor
    restarts) is retried for up to `budget` seconds, any other failure 3 times. Returns
    (result, True), or (None, False) when it still failed (an error)."""
    why = None
    t0 = time.monotonic()
    i = 0
    while True:
        try:
            r = fn()
            stats.note(op, True, i)
            return r, True
        except Exception as e:
            why = repr(e)[:200]
            i += 1
            limit = attempts or (10 ** 6 if transient(e) else 3)
            if i >= limit or time.monotonic() - t0 > budget:
                break
            time.sleep(min(0.1 * i, 1.0))
    stats.note(op, False, i - 1, why)
    return None, False


def digest(b):
    return hashlib.sha256(b).hexdigest()


class Account:
    """One client thread's account and what it knows about its keys."""

    def __init__(self, srv, acct, seed):
        self.acct = acct
        self.bucket = "soak-%s" % acct
        self.rng = random.Random(seed)
        cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
        kw = dict(endpoint_url=srv.endpoint, region_name="us-east-1", aws_access_key_id=acct,
                  aws_secret_access_key="test", config=cfg)
        self.s3 = boto3.client("s3", **kw)
        self.ddb = boto3.client("dynamodb", **kw)
        self.lam = boto3.client("lambda", **kw)
        self.acked = {}   # key -> digest (None: deleted) of the last acknowledged write
        self.maybe = {}   # key -> digests a write whose answer was lost may have left
        self.ddb_items = 0


def handler_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("h.py", "def handler(event, context):\n    return {'n': event.get('n', 0) + 1}\n")
    return buf.getvalue()


def setup(a, stats, has_ddb):
    call(stats, "CreateBucket", lambda: a.s3.create_bucket(Bucket=a.bucket))
    if has_ddb:
        call(stats, "CreateTable", lambda: a.ddb.create_table(
            TableName="soak", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "N"}]))
    call(stats, "CreateFunction", lambda: a.lam.create_function(
        FunctionName="soakfn", Runtime="python3.11", Handler="h.handler",
        Role="arn:aws:iam::%s:role/r" % a.acct, Code={"ZipFile": handler_zip()}))


def s3_write(a, stats, key, body):
    d = digest(body)
    _, ok = call(stats, "PutObject", lambda: a.s3.put_object(Bucket=a.bucket, Key=key, Body=body))
    if ok:
        a.acked[key] = d
        a.maybe.pop(key, None)
    else:
        a.maybe.setdefault(key, set()).add(d)


def s3_delete(a, stats, key):
    _, ok = call(stats, "DeleteObject", lambda: a.s3.delete_object(Bucket=a.bucket, Key=key))
    if ok:
        a.acked[key] = None
        a.maybe.pop(key, None)
    else:
        a.maybe.setdefault(key, set()).add(None)


def s3_read(a, stats, key):
    """The key's digest now (None: absent), or False when the read failed."""
    def get():
        try:
            return digest(a.s3.get_object(Bucket=a.bucket, Key=key)["Body"].read())
        except a.s3.exceptions.NoSuchKey:
            return None
    r, ok = call(stats, "GetObject", get)
    return r if ok else False


def consistent(a, key, got):
    if key not in a.acked and key not in a.maybe:
        return got is None
    allowed = set(a.maybe.get(key, ()))
    allowed.add(a.acked.get(key))
    return got in allowed


def multipart(a, stats):
    key = "mpu/%d" % a.rng.randrange(4)
    parts = [os.urandom(5 * MIB), os.urandom(a.rng.randrange(1, 64 * 1024))]
    body = b"".join(parts)

    def run():
        up = a.s3.create_multipart_upload(Bucket=a.bucket, Key=key)["UploadId"]
        done = []
        for i, p in enumerate(parts):
            e = a.s3.upload_part(Bucket=a.bucket, Key=key, UploadId=up, PartNumber=i + 1, Body=p)
            done.append({"PartNumber": i + 1, "ETag": e["ETag"]})
        a.s3.complete_multipart_upload(Bucket=a.bucket, Key=key, UploadId=up,
                                       MultipartUpload={"Parts": done})
    d = digest(body)
    _, ok = call(stats, "MultipartUpload", run, attempts=4)
    if ok:
        a.acked[key] = d
        a.maybe.pop(key, None)
    else:
        a.maybe.setdefault(key, set()).add(d)


def client_loop(a, stats, stop, has_ddb):
    n = 0
    while not stop.is_set():
        n += 1
        key = "k/%03d" % a.rng.randrange(150)
        x = a.rng.random()
        if x < 0.30:
            s3_write(a, stats, key, os.urandom(a.rng.choice((0, 100, 4096, 65536, 300000))))
        elif x < 0.50:
            got = s3_read(a, stats, key)
            if got is not False and not consistent(a, key, got):
                with stats.lock:
                    stats.lost += 1
                    stats.error_samples.append("lost: %s %s" % (a.bucket, key))
        elif x < 0.57:
            call(stats, "ListObjectsV2", lambda: a.s3.list_objects_v2(Bucket=a.bucket,
                                                                       Prefix="k/0", MaxKeys=50))
        elif x < 0.67:
            s3_delete(a, stats, key)
        elif x < 0.80 and has_ddb:
            sk = a.rng.randrange(200)
            call(stats, "PutItem", lambda: a.ddb.put_item(TableName="soak", Item={
                "pk": {"S": "p%d" % (sk % 8)}, "sk": {"N": str(sk)},
                "v": {"S": "x" * a.rng.randrange(1, 500)}}))
        elif x < 0.86 and has_ddb:
            sk = a.rng.randrange(200)
            call(stats, "GetItem", lambda: a.ddb.get_item(TableName="soak", Key={
                "pk": {"S": "p%d" % (sk % 8)}, "sk": {"N": str(sk)}}))
        elif x < 0.90 and has_ddb:
            call(stats, "Query", lambda: a.ddb.query(
                TableName="soak", KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "p%d" % a.rng.randrange(8)}}, Limit=20))
        elif x < 0.995:
            def inv():
                r = a.lam.invoke(FunctionName="soakfn", Payload=json.dumps({"n": n}))
                out = json.loads(r["Payload"].read())
                if r.get("FunctionError") or out != {"n": n + 1}:
                    raise RuntimeError("bad invoke answer %r" % out)
            call(stats, "Invoke", inv)
        else:
            multipart(a, stats)


def killer(srv, stats, stop, every, log, has_ddb):
    turn = 0
    while not stop.wait(every):
        roles = srv.roles()
        if turn % 2 == 0:
            target = [p for p, r in roles.items() if r == "worker"]
            what = "worker"
        else:
            sups = ["ddb-supervisor", "lambda-supervisor"] if has_ddb else ["lambda-supervisor"]
            what = sups[(turn // 2) % len(sups)]
            target = [p for p, r in roles.items() if r == what]
        turn += 1
        if not target:
            log("t=%4.0f s  kill: no %s found" % (stats.elapsed(), what))
            continue
        pid = random.choice(target)
        try:
            os.kill(pid, signal.SIGKILL)
            log("t=%4.0f s  SIGKILL %s pid %d" % (stats.elapsed(), what, pid))
        except OSError as e:
            log("t=%4.0f s  kill %s %d: %s" % (stats.elapsed(), what, pid, e))


def verify(srv, accounts, stats):
    """Every key of every account reads back as acknowledged; usage equals the listing."""
    bad, keys = [], 0
    for a in accounts:
        for key in sorted(set(a.acked) | set(a.maybe)):
            keys += 1
            got = s3_read(a, stats, key)
            if got is False or not consistent(a, key, got):
                bad.append("%s/%s" % (a.bucket, key))
        listed = n = 0
        for page in a.s3.get_paginator("list_objects_v2").paginate(Bucket=a.bucket):
            for o in page.get("Contents", []):
                n += 1
                listed += o["Size"]
        u = None
        for _ in range(50):
            u = requests.get(srv.endpoint + "/_ruststack/usage?account=" + a.acct,
                             timeout=5).json()["s3"]
            if (u["objects"], u["bytes"]) == (n, listed):
                break
            time.sleep(0.1)
        if (u["objects"], u["bytes"]) != (n, listed):
            bad.append("usage of %s: %r, listing %d objects %d bytes" % (a.acct, u, n, listed))
    return keys, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "ruststack"))
    ap.add_argument("--seconds", type=int, default=int(os.environ.get("RS_SOAK_SECONDS", "600")))
    ap.add_argument("--accounts", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--kill-every", type=float, default=30)
    ap.add_argument("--ddb-local-dir", default=os.environ.get(
        "RS_DDB_LOCAL_DIR", os.path.join(ROOT, "build", "dynamodb-local")))
    ap.add_argument("--out", default=None)
    ap.add_argument("--in-memory", action="store_true",
                    help="no data_dir: DynamoDB Local then loses its tables with its supervisor")
    args = ap.parse_args()

    out_lines = []

    def log(s):
        print(s, flush=True)
        out_lines.append(s)

    work = tempfile.mkdtemp(prefix="rs-soak-")
    srv = Server(args.binary, work, args.workers, args.ddb_local_dir, args.in_memory)
    try:
        return run(args, srv, work, log, out_lines)
    finally:
        if srv.proc is not None and srv.proc.poll() is None:  # a failure on the way
            for p in descendants(srv.proc.pid):
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            srv.proc.kill()
            srv.proc.wait()
        subprocess.run(["rm", "-rf", work])
        try:
            os.unlink("/dev/shm/rs-soak-%d" % os.getpid())
        except OSError:
            pass


def run(args, srv, work, log, out_lines):
    states = srv.start()
    has_ddb = states.get("dynamodb") == "running"
    log("soak: %d s, %d accounts, %d workers, a kill every %.0f s, %s; services %s; %s" % (
        args.seconds, args.accounts, args.workers, args.kill_every,
        "in memory" if args.in_memory else "data_dir",
        ", ".join("%s %s" % kv for kv in sorted(states.items())),
        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())))
    stats = Stats()
    accounts = [Account(srv, "4%011d" % (i + 1), i) for i in range(args.accounts)]
    for a in accounts:
        setup(a, stats, has_ddb)
    lines, _ = snapshot(srv, stats, "start")
    for s in lines:
        log(s)
    stop = threading.Event()
    threads = [threading.Thread(target=client_loop, args=(a, stats, stop, has_ddb))
               for a in accounts]
    threads.append(threading.Thread(target=killer, args=(srv, stats, stop, args.kill_every,
                                                         log, has_ddb)))
    for t in threads:
        t.start()
    try:
        time.sleep(args.seconds)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    time.sleep(2)  # the last kill's successor is up
    keys, bad = verify(srv, accounts, stats)
    lines, clean = snapshot(srv, stats, "end")
    for s in lines:
        log(s)
    log("per operation (calls, errors): " + ", ".join(
        "%s %d/%d" % (op, v[0], v[1]) for op, v in sorted(stats.by_op.items())))
    for s in stats.error_samples:
        log("  sample: " + s)
    log("verified %d keys of %d accounts: %s" % (
        keys, len(accounts), "nothing lost, byte-exact" if not bad else "%d BAD: %s" % (
            len(bad), "; ".join(bad[:10]))))
    rc = srv.stop()
    log("graceful stop: exit %r" % rc)
    ok = not bad and clean and stats.lost == 0 and rc == 0
    log("RESULT: %s" % ("PASS" if ok else "FAIL"))
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(out_lines) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
