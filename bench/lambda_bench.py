"""bench/lambda_bench.py: the Lambda benchmark (run it through bench/run-lambda.sh). For
each executor (docker, process) it starts RustStack with Lambda on and measures:
- cold start: CreateFunction sent -> first Invoke response of a new function (median of a
  few functions), and the first Invoke alone;
- warm Invoke of a trivial handler, p50/p99 with 1 and 10 concurrent clients (keep-alive
  HTTP, one connection per client), beside the handler's own time (measured inside the
  handler) and the REPORT Duration, to show the emulator's overhead;
- a direct Invoke beside the same function behind a REST API and an HTTP API (made through
  the control planes), interleaved: what the gateway adds at p50;
- an API Gateway proxy request (GET /hello of examples/flask-app with apig-wsgi) p50/p99
  with 1 and 10 concurrent clients;
- the memory (RSS/PSS) of the server's process tree afterwards;
- docker executor only, first: the container engine's CPU (podman service plus the conmon
  processes of our containers, /proc/<pid>/stat utime+stime) with --idle-envs warm
  environments (one function each, invoked once) left idle for --idle-seconds.
- with --rie (bench/build-rie.sh builds AWS's Runtime Interface Emulator from its Go
  source): the cold start of RIE running awslambdaric (RIE started with the same handler ->
  first Invoke response), beside which the cold start rows print their targets (process
  executor: at most RIE's p50; docker executor: under 100 ms) with PASS/MISS; the docker
  executor's cold starts run 2 s apart so its standby containers are refilled between
  them, and once more with lambda_standby = 0 (--only-cold: nothing else).
Every loop is bounded in count and in time. The peer column says "n/a" when moto cannot
run Lambda here (its server mode runs functions only in Docker images it pulls from a
registry). Prints a table and writes it to the results file.
Runs in: the benchmark driver process (never inside a server)."""

import argparse
import base64
import http.client
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import servers  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
_NOW = time.gmtime()
HEADERS = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/%s/us-east-1/lambda/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=%s" % (time.strftime("%Y%m%d", _NOW), "0" * 64),
    "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", _NOW),
}
TRIVIAL_PY = '''
import time


def handler(event, context):
    t0 = time.perf_counter()
    out = {"ok": True, "n": event.get("n", 0) if isinstance(event, dict) else 0}
    out["handler_us"] = (time.perf_counter() - t0) * 1e6
    return out
'''
PROXY_PY = '''
def proxy(event, context):
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "ok"}
'''
PEER_NA = "n/a"
PEER_WHY = ("peer n/a: moto's server mode runs Lambda functions only in Docker images "
            "it pulls from a registry (none reachable here)")


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def call(conn, method, path, body=b"", headers=None, sign=True):
    """One request on `conn`. sign: the Lambda API's (unverified) SigV4 headers; API
    Gateway requests go out bare, as a browser or curl sends them."""
    hdrs = dict(HEADERS) if sign else {}
    hdrs.update(headers or {})
    conn.request(method, path, body=body, headers=hdrs)
    resp = conn.getresponse()
    return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()


def api(port, method, path, doc=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps(doc).encode() if doc is not None else b""
        return call(conn, method, path, body, {"Content-Type": "application/json"})
    finally:
        conn.close()


# the functions' Timeout; 30 s is longer than a REST API's 29 s, so the gateway rows include
# the integration-timeout watchdog
FN_TIMEOUT = int(os.environ.get("RS_BENCH_FN_TIMEOUT", "30"))


def create_function(port, name, zip_data, handler, memory=256, timeout=FN_TIMEOUT):
    return api(port, "POST", "/2015-03-31/functions", {
        "FunctionName": name, "Runtime": "python3.11", "Role": ROLE, "Handler": handler,
        "Code": {"ZipFile": base64.b64encode(zip_data).decode()}, "Timeout": timeout,
        "MemorySize": memory})


def delete_function(port, name):
    api(port, "DELETE", "/2015-03-31/functions/" + name)


def invoke_path(name):
    return "/2015-03-31/functions/%s/invocations" % name


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def fmt(v, digits=3):
    return "-" if v is None else ("%.*f" % (digits, v))


class Loop:
    """`clients` threads, each with its own keep-alive connection, issue requests until
    `count` requests in all or `seconds` have passed; latencies in ms."""

    def __init__(self, port, clients, count, seconds, make_request):
        self.port, self.clients, self.count, self.seconds = port, clients, count, seconds
        self.make_request = make_request
        self.lat, self.errors, self.extra = [], 0, []
        self.lock = threading.Lock()
        self.issued = 0

    def _take(self):
        with self.lock:
            if self.issued >= self.count:
                return False
            self.issued += 1
            return True

    def _client(self, deadline):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            while time.monotonic() < deadline and self._take():
                method, path, body, headers, check = self.make_request()
                t0 = time.perf_counter()
                try:
                    status, hdrs, data = call(conn, method, path, body, headers,
                                              sign=not path.startswith(("/restapis/",
                                                                        "/_aws/")))
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    with self.lock:
                        self.errors += 1
                    continue
                ms = (time.perf_counter() - t0) * 1000.0
                ok, extra = check(status, hdrs, data)
                with self.lock:
                    if ok:
                        self.lat.append(ms)
                        if extra is not None:
                            self.extra.append(extra)
                    else:
                        self.errors += 1
        finally:
            conn.close()

    def run(self):
        t0 = time.monotonic()
        deadline = t0 + self.seconds
        threads = [threading.Thread(target=self._client, args=(deadline,))
                   for _ in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.wall = time.monotonic() - t0
        return self


def check_invoke(status, hdrs, data):
    if status != 200 or "x-amz-function-error" in hdrs:
        return False, None
    try:
        return True, json.loads(data).get("handler_us")
    except ValueError:
        return False, None


def check_apigw(status, hdrs, data):
    return status == 200 and b"Hello, bench!" in data, None


def check_proxy(status, hdrs, data):
    return status == 200 and b"ok" in data, None


def gateway_apis(port, fn_arn):
    """A REST API (/{proxy+} ANY, stage "bench") and an HTTP API (quick create) in front of
    fn_arn, made through the control planes; their ids."""
    import boto3
    kw = dict(endpoint_url="http://127.0.0.1:%d" % port, region_name="us-east-1",
              aws_access_key_id="test", aws_secret_access_key="test")
    v1 = boto3.session.Session().client("apigateway", **kw)
    v2 = boto3.session.Session().client("apigatewayv2", **kw)
    rest = v1.create_rest_api(name="bench")["id"]
    root = v1.get_resources(restApiId=rest)["items"][0]["id"]
    rid = v1.create_resource(restApiId=rest, parentId=root, pathPart="{proxy+}")["id"]
    v1.put_method(restApiId=rest, resourceId=rid, httpMethod="ANY", authorizationType="NONE")
    v1.put_integration(restApiId=rest, resourceId=rid, httpMethod="ANY", type="AWS_PROXY",
                       integrationHttpMethod="POST",
                       uri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                           "%s/invocations" % fn_arn)
    v1.create_deployment(restApiId=rest, stageName="bench")
    http = v2.create_api(Name="bench", ProtocolType="HTTP", Target=fn_arn)["ApiId"]
    return rest, http


def gateway_overhead(executor, port, trivial_zip, args, rows, notes):
    """Direct Invoke against the same function through a REST API and an HTTP API, c=1,
    interleaved in rounds so that drift hits all three alike; the gateway's added p50."""
    name = "bench-gw-%s" % uuid.uuid4().hex[:8]
    status, _, body = create_function(port, name, trivial_zip, "main.proxy")
    if status != 201:
        notes.append("%s: CreateFunction (gateway) %d %s" % (executor, status, body[:200]))
        return
    try:
        arn = json.loads(body)["FunctionArn"]
        rest, http = gateway_apis(port, arn)
    except Exception as e:  # the control planes are part of what is measured
        notes.append("%s: gateway rows not measured: %s" % (executor, e))
        delete_function(port, name)
        return
    kinds = [
        ("direct Invoke (proxy handler)",
         lambda: ("POST", invoke_path(name), b"{}", None, check_invoke_any)),
        ("REST API /{proxy+} -> same function",
         lambda: ("GET", "/_aws/execute-api/%s/bench/x" % rest, b"", None, check_proxy)),
        ("HTTP API $default -> same function",
         lambda: ("GET", "/_aws/execute-api/%s/x" % http, b"", None, check_proxy)),
    ]
    lat = {k: [] for k, _ in kinds}
    errs = {k: 0 for k, _ in kinds}
    for k, req in kinds:
        Loop(port, 1, 20, args.seconds, req).run()  # warm-up
    rounds = 5
    for _ in range(rounds):
        for k, req in kinds:
            lp = Loop(port, 1, max(1, args.requests // rounds), args.seconds, req).run()
            lat[k] += lp.lat
            errs[k] += lp.errors
    for k, _ in kinds:
        rows.append((executor, k, 1, len(lat[k]), pct(lat[k], 50), pct(lat[k], 99), None,
                     errs[k], PEER_NA))
    base = pct(lat[kinds[0][0]], 50)
    for k, label in ((kinds[1][0], "REST API"), (kinds[2][0], "HTTP API")):
        if base is not None and lat[k]:
            notes.append("%s: %s adds %.3f ms at p50 to a direct Invoke (%.3f vs %.3f ms; "
                         "target <= 0.3 ms)" % (executor, label, pct(lat[k], 50) - base,
                                                pct(lat[k], 50), base))
    delete_function(port, name)


def _proc_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return 0
    f = s[s.rindex(")") + 2:].split()
    return int(f[11]) + int(f[12])


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def engine_processes(socket_path, container_ids):
    """(service pid or None, conmon pids of these containers): the podman API service
    serving socket_path, and the conmon monitoring each container."""
    svc, conmons = None, []
    ids = [c.encode() for c in container_ids]
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        cmd = _cmdline(int(d))
        if not cmd:
            continue
        exe = os.path.basename(cmd[0])
        if exe == b"conmon" and any(i in cmd for i in ids):
            conmons.append(int(d))
        elif (exe == b"podman" and b"system" in cmd and b"service" in cmd
              and any(socket_path.encode() in a for a in cmd)):
            svc = int(d)
    return svc, conmons


def engine_containers(socket_path, label, functions):
    """Ids of the running containers whose `label` names one of `functions` (GET
    /containers/json on the engine); label "" and functions None: every running one."""
    import socket
    import urllib.parse
    f = urllib.parse.quote(json.dumps({"label": [label]} if label else {}))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(socket_path)
    s.sendall(("GET /v1.41/containers/json?filters=%s HTTP/1.0\r\nHost: d\r\n\r\n"
               % f).encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    out = []
    for c in json.loads(data.partition(b"\r\n\r\n")[2]):
        arn = (c.get("Labels") or {}).get(label, "")
        if functions is None or arn.rsplit(":", 1)[-1] in functions:
            out.append(c["Id"])
    return out


def idle_engine_cpu(port, trivial_zip, args, idle_rows, notes):
    """The engine's CPU with args.idle_envs warm environments left idle args.idle_seconds
    (bounded: the set-up stops at 60 s); the functions are deleted afterwards."""
    sock = args.docker_socket or "/var/run/docker.sock"
    names, t_setup = [], time.monotonic()
    try:
        for i in range(args.idle_envs):
            if time.monotonic() - t_setup > 60:
                notes.append("docker: idle row: set-up stopped after %d environments (time "
                             "bound)" % i)
                break
            name = "bench-idle-%s" % uuid.uuid4().hex[:8]
            status, _, body = create_function(port, name, trivial_zip, "main.handler")
            if status != 201:
                notes.append("docker: idle row: CreateFunction %d %s" % (status, body[:200]))
                break
            names.append(name)
            for _ in range(600):  # Pending answers 409
                status, hdrs, body = api(port, "POST", invoke_path(name), {"n": 1})
                if status != 409:
                    break
                time.sleep(0.005)
            if status != 200 or "x-amz-function-error" in hdrs:
                notes.append("docker: idle row: invoke %d %s" % (status, body[:200]))
        ids = engine_containers(sock, "io.ruststack.function", names)
        if len(ids) != len(names):
            notes.append("docker: idle row: %d containers for %d functions" % (len(ids),
                                                                              len(names)))
        svc, conmons = engine_processes(sock, ids)
        if svc is None:
            notes.append("docker: idle engine CPU not measured: no podman API service "
                          "serving %s found in /proc" % sock)
            return
        time.sleep(2)  # the start-up work settles
        pids = [svc] + conmons
        a = {p: _proc_ticks(p) for p in pids}
        t0 = time.monotonic()
        time.sleep(args.idle_seconds)
        dt = time.monotonic() - t0
        b = {p: _proc_ticks(p) for p in pids}
        hz = os.sysconf("SC_CLK_TCK")
        svc_pct = 100.0 * (b[svc] - a[svc]) / hz / dt
        con_pct = 100.0 * sum(b[p] - a[p] for p in conmons) / hz / dt
        idle_rows.append(("docker", "idle warm environments, no invokes", len(names), dt,
                          svc_pct + con_pct, svc_pct, len(conmons), con_pct))
        others = len(engine_containers(sock, "", None)) - len(ids)
        if others > 0:
            notes.append("docker: the engine is shared: %d other containers were running "
                         "during the idle measurement (their activity is in the figure)"
                         % others)
    finally:
        for n in names:
            delete_function(port, n)


def check_invoke_any(status, hdrs, data):
    return status == 200 and "x-amz-function-error" not in hdrs, None


def start_server(binary, executor, workdir, args, extra=""):
    workdir = os.path.join(workdir, executor + ("-extra" if extra else ""))
    os.makedirs(workdir, exist_ok=True)
    conf = os.path.join(workdir, "rs-%s.conf" % executor)
    with open(conf, "w") as f:
        f.write("access_log = off\nlog_level = warn\ndynamodb = off\nlambda = on\n"
                "lambda_executor = %s\nlambda_runtime_path = %s\n"
                "lambda_max_concurrency = 10\n" % (executor, os.path.join(ROOT, "runtime")))
        f.write("lambda_hot_reload_roots = %s\n" % os.path.dirname(workdir))
        f.write(extra)
        if args.docker_socket:
            f.write("docker_socket = %s\n" % args.docker_socket)
        if args.image:
            f.write("lambda_image = %s\n" % args.image)
    srv, port = servers.ruststack(binary, conf, 2, workdir)
    if not srv.start(port):
        return None, None, "did not start (log %s)" % srv.log_path
    deadline = time.monotonic() + 60
    state = {}
    while time.monotonic() < deadline:
        try:
            _, _, body = api(port, "GET", "/_ruststack/health", timeout=5)
            state = json.loads(body).get("services", {}).get("lambda", {})
        except (OSError, ValueError):
            state = {}
        if state.get("state") in ("running", "unavailable"):
            break
        time.sleep(0.1)
    if state.get("state") != "running":
        srv.stop()
        return None, None, "lambda %s: %s" % (state.get("state"), state.get("reason", ""))
    return srv, port, None


def cold_starts(port, trivial_zip, n, budget, gap=0.0):
    """(create->first response ms list, first-invoke-only ms list, notes). 128 MB functions
    (Lambda's default), `gap` seconds before each."""
    both, first, notes = [], [], []
    deadline = time.monotonic() + budget
    for i in range(n):
        time.sleep(gap)
        if time.monotonic() > deadline:
            notes.append("cold start: stopped after %d functions (time bound)" % i)
            break
        name = "bench-cold-%s" % uuid.uuid4().hex[:8]
        t0 = time.perf_counter()
        status, _, body = create_function(port, name, trivial_zip, "main.handler", memory=128)
        if status != 201:
            notes.append("CreateFunction %d: %s" % (status, body[:200]))
            break
        t1 = time.perf_counter()
        # invoke at once; a function still Pending answers 409: retry (bounded)
        for _ in range(600):
            status, hdrs, body = api(port, "POST", invoke_path(name), {"n": 1})
            if status != 409:
                break
            time.sleep(0.005)
        t2 = time.perf_counter()
        if status == 200 and "x-amz-function-error" not in hdrs:
            both.append((t2 - t0) * 1000.0)
            first.append((t2 - t1) * 1000.0)
        else:
            notes.append("cold invoke %d: %s" % (status, body[:200]))
        delete_function(port, name)
    return both, first, notes


def free_port():
    import socket

    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def rie_cold_starts(rie, trivial_zip, n, budget, work):
    """AWS's Runtime Interface Emulator running awslambdaric on the same handler: RIE
    started -> first Invoke response, n times (ms list, notes)."""
    import signal

    code = os.path.join(work, "rie-code")
    with zipfile.ZipFile(io.BytesIO(trivial_zip)) as z:
        z.extractall(code)
    out, notes = [], []
    deadline = time.monotonic() + budget
    body = b'{"n": 1}'
    for i in range(n):
        if time.monotonic() > deadline:
            notes.append("RIE cold start: stopped after %d starts (time bound)" % i)
            break
        port, rport = free_port(), free_port()
        env = dict(os.environ, AWS_LAMBDA_FUNCTION_TIMEOUT=str(FN_TIMEOUT))
        t0 = time.perf_counter()
        p = subprocess.Popen([rie, "--log-level", "error", "--runtime-interface-emulator-address",
                              "127.0.0.1:%d" % port, "--runtime-api-address",
                              "127.0.0.1:%d" % rport, sys.executable, "-m", "awslambdaric",
                              "main.handler"], cwd=code, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            ok = False
            while time.perf_counter() - t0 < 30:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("POST", "/2015-03-31/functions/function/invocations", body)
                    r = conn.getresponse()
                    data = r.read()
                    conn.close()
                    ok = r.status == 200 and b'"ok": true' in data
                    if not ok:
                        notes.append("RIE invoke %d: %r" % (r.status, data[:200]))
                    break
                except OSError:
                    time.sleep(0.001)
            if ok:
                out.append((time.perf_counter() - t0) * 1000.0)
            else:
                break
        finally:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
    return out, notes


def one_cold_start(port, trivial_zip):
    """CreateFunction -> first response of one new 128 MB function (Lambda's default):
    (create->response ms, invoke-only ms, note)."""
    both, first, notes = cold_starts(port, trivial_zip, 1, 60)
    return (both[0] if both else None), (first[0] if first else None), notes


def cold_rows(binary, trivial_zip, args, work, rows, notes):
    """The cold start rows, interleaved so a busy machine weighs on all alike: per round,
    one RIE + awslambdaric start, one cold start per RustStack server (docker, docker with
    lambda_standby = 0, process), then a pause of 2 s (the standbys refill meanwhile, as
    between a user's deploys)."""
    servers_ = []
    for executor in [e.strip() for e in args.executors.split(",") if e.strip()]:
        variants = [("", ""), (" (lambda_standby = 0)", "lambda_standby = 0\n")]
        for label, extra in variants:
            srv, port, why = start_server(binary, executor, work, args, extra)
            if srv is None:
                notes.append("%s%s: cold start not measured: %s" % (executor, label, why))
                continue
            servers_.append((executor, label, srv, port, {"both": [], "first": []}))
    rie = []
    try:
        time.sleep(3)  # the standbys start
        deadline = time.monotonic() + args.seconds * 6 + 30
        for i in range(args.cold):
            if time.monotonic() > deadline:
                notes.append("cold start: stopped after %d rounds (time bound)" % i)
                break
            if args.rie:
                r, rn = rie_cold_starts(args.rie, trivial_zip, 1, 60, work)
                rie += r
                notes += rn
            for executor, label, srv, port, acc in servers_:
                both, first, n = one_cold_start(port, trivial_zip)
                notes += ["%s%s: %s" % (executor, label, x) for x in n]
                if both is not None:
                    acc["both"].append(both)
                    acc["first"].append(first)
            time.sleep(2)
    finally:
        for _, _, srv, _, _ in servers_:
            srv.stop()
    rie_p50 = None
    if args.rie:
        rie_p50 = pct(rie, 50)
        rows.append(("RIE", "cold start: RIE start -> 1st response", 1, len(rie), rie_p50,
                     pct(rie, 99), None, 0, "awslambdaric"))
    else:
        notes.append("RIE cold start not measured (no --rie / RS_RIE: sh bench/build-rie.sh)")
    for executor, label, _, _, acc in servers_:
        rows.append((executor, "cold start, lambda_standby = 0" if label else
                     "cold start: Create -> 1st response", 1,
                     len(acc["both"]), pct(acc["both"], 50), pct(acc["both"], 99), None, 0,
                     PEER_NA))
        if not label:
            rows.append((executor, "cold start: 1st Invoke only", 1, len(acc["first"]),
                         pct(acc["first"], 50), pct(acc["first"], 99), None, 0, PEER_NA))
    return rie_p50


def cold_targets(rows, rie_p50):
    """PASS/MISS lines for the cold start targets (rows measured in this run)."""
    lines = []
    for r in rows:
        if r[1] != "cold start: Create -> 1st response" or r[4] is None:
            continue
        if r[0] == "process":
            if rie_p50 is None:
                lines.append("target process cold start <= RIE's: not measured (no RIE)")
            else:
                lines.append("target process cold start <= RIE's %.1f ms: %.1f ms: %s" % (
                    rie_p50, r[4], "PASS" if r[4] <= rie_p50 else "MISS"))
        elif r[0] == "docker":
            lines.append("target docker cold start < 100 ms: %.1f ms: %s" % (
                r[4], "PASS" if r[4] < 100 else "MISS"))
    return lines


def report_durations(port, name, n):
    out = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for _ in range(n):
            status, hdrs, _ = call(conn, "POST", invoke_path(name), b"{}",
                                   {"X-Amz-Log-Type": "Tail"})
            if status != 200 or "x-amz-log-result" not in hdrs:
                continue
            log = base64.b64decode(hdrs["x-amz-log-result"]).decode(errors="replace")
            m = re.search(r"REPORT RequestId: \S+\tDuration: ([0-9.]+) ms", log)
            if m:
                out.append(float(m.group(1)))
    finally:
        conn.close()
    return out


IMPORT_TIMER_PY = '''
import subprocess
import sys


def handler(event, context):
    """The Flask example's import time in this environment: a fresh interpreter of the
    runtime's own python, timing `import handler_apig` only (interpreter start excluded)."""
    code = ("import sys, time; sys.path.insert(0, '.'); t = time.perf_counter(); "
            "import handler_apig; print((time.perf_counter() - t) * 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    return {"ms": float(out.stdout.strip().splitlines()[-1])} if out.returncode == 0 else {
        "error": out.stderr[-500:]}
'''
HOT_EVENT = {"httpMethod": "GET", "path": "/hello", "resource": "/{proxy+}", "headers": {},
             "queryStringParameters": {"name": "bench"}, "requestContext": {}, "body": None,
             "isBase64Encoded": False}


def invoke_ok(port, name, event):
    status, hdrs, body = api(port, "POST", invoke_path(name), event)
    if status != 200 or "x-amz-function-error" in hdrs:
        raise RuntimeError("Invoke %s: %d %s" % (name, status, body[:300]))
    return json.loads(body)


def hot_reload_rows(executor, port, flask_zip, work, args, rows, notes):
    """Hot reload of examples/flask-app (unpacked into a directory under the server's
    lambda_hot_reload_roots; app.py's .pyc removed, so an edited app.py is compiled as in a
    developer's tree): per round, edit app.py and time the first Invoke after the edit (the
    runtime process restarted in the warm environment), beside the app's import time
    measured in the same environment and a cold start (a new environment) of the same
    function."""
    d = os.path.join(work, "hot-flask-%s" % executor)
    if not os.path.isdir(d):
        with zipfile.ZipFile(io.BytesIO(flask_zip)) as z:
            z.extractall(d)
        for root, dirs, names in os.walk(d):
            os.chmod(root, 0o755)
            for n in names:
                os.chmod(os.path.join(root, n), 0o644)
        for n in os.listdir(os.path.join(d, "__pycache__")):
            if n.startswith("app."):
                os.unlink(os.path.join(d, "__pycache__", n))
        with open(os.path.join(d, "bench_import.py"), "w") as f:
            f.write(IMPORT_TIMER_PY)
        os.chmod(os.path.join(d, "bench_import.py"), 0o644)
    names = []
    try:
        name = "bench-hot-%s" % uuid.uuid4().hex[:8]
        timer = "bench-hotimp-%s" % uuid.uuid4().hex[:8]
        for n, h in ((name, "handler_apig.handler"), (timer, "bench_import.handler")):
            status, _, body = api(port, "POST", "/2015-03-31/functions", {
                "FunctionName": n, "Runtime": "python3.11", "Role": ROLE, "Handler": h,
                "Code": {"S3Bucket": "hot-reload", "S3Key": d}, "Timeout": FN_TIMEOUT,
                "MemorySize": 256})
            if status != 201:
                raise RuntimeError("CreateFunction (hot) %d %s" % (status, body[:300]))
            names.append(n)
        t0 = time.perf_counter()
        invoke_ok(port, name, HOT_EVENT)
        cold = (time.perf_counter() - t0) * 1000.0
        src = open(os.path.join(d, "app.py")).read()
        after, imports = [], []
        for i in range(args.hot):
            imp = invoke_ok(port, timer, {})
            if "ms" not in imp:
                raise RuntimeError("import timer: %s" % imp.get("error"))
            imports.append(imp["ms"])
            with open(os.path.join(d, "app.py"), "w") as f:
                f.write(src + "\n# bench edit %d\n" % i)
            t0 = time.perf_counter()
            out = invoke_ok(port, name, HOT_EVENT)
            after.append((time.perf_counter() - t0) * 1000.0)
            if out.get("statusCode") != 200:
                raise RuntimeError("hot invoke answered %r" % out)
        with open(os.path.join(d, "app.py"), "w") as f:
            f.write(src)
        rows.append((executor, "hot: Flask 1st Invoke after an edit", 1, len(after),
                     pct(after, 50), pct(after, 99), None, 0, PEER_NA))
        rows.append((executor, "  Flask app import time (same env)", 1, len(imports),
                     pct(imports, 50), pct(imports, 99), None, 0, ""))
        rows.append((executor, "hot: Flask cold start (new env)", 1, 1, cold, cold, None, 0,
                     PEER_NA))
        if after and imports:
            over = pct(after, 50) - pct(imports, 50)
            notes.append("%s: hot reload: 1st Invoke after an edit p50 %.1f ms = import %.1f ms "
                         "+ %.1f ms (target: + 50 ms at most: %s); cold start %.1f ms" % (
                             executor, pct(after, 50), pct(imports, 50), over,
                             "met" if over <= 50 else "NOT met", cold))
    except (RuntimeError, OSError, ValueError) as e:
        notes.append("%s: hot reload rows not measured: %s" % (executor, e))
    finally:
        for n in names:
            delete_function(port, n)


def bench_executor(executor, binary, flask_zip, trivial_zip, args, work, rows, idle_rows,
                   notes):
    srv, port, why = start_server(binary, executor, work, args)
    if srv is None:
        notes.append("%s executor: not measured: %s" % (executor, why))
        rows.append((executor, "(not measured)", "-", 0, None, None, None, 0, why))
        return
    try:
        if args.hot > 0 and flask_zip is not None and not args.only_cold:
            hot_reload_rows(executor, port, flask_zip, work, args, rows, notes)
        if args.only_hot:
            return
        if executor == "docker" and args.idle_envs > 0 and args.idle_seconds > 0 \
                and not args.only_cold:
            idle_engine_cpu(port, trivial_zip, args, idle_rows, notes)
        if args.only_cold:
            return

        name = "bench-warm-%s" % uuid.uuid4().hex[:8]
        status, _, body = create_function(port, name, trivial_zip, "main.handler")
        if status != 201:
            notes.append("%s: CreateFunction %d %s" % (executor, status, body[:200]))
            return
        req = lambda: ("POST", invoke_path(name), b'{"n": 1}', None, check_invoke)  # noqa
        Loop(port, 1, 20, args.seconds, req).run()  # warm-up: one environment
        for clients in (1, 10):
            if clients > 1:  # warm-up: let the pool grow
                Loop(port, clients, clients * 10, args.seconds, req).run()
            lp = Loop(port, clients, args.requests * clients, args.seconds, req).run()
            rows.append((executor, "warm Invoke (trivial handler)", clients, len(lp.lat),
                         pct(lp.lat, 50), pct(lp.lat, 99), len(lp.lat) / lp.wall, lp.errors,
                         PEER_NA))
            if clients == 1:
                own = [x / 1000.0 for x in lp.extra]
                rows.append((executor, "  handler's own time", 1, len(own), pct(own, 50),
                             pct(own, 99), None, 0, ""))
                dur = report_durations(port, name, min(50, args.requests))
                rows.append((executor, "  REPORT Duration", 1, len(dur), pct(dur, 50),
                             pct(dur, 99), None, 0, ""))
                if lp.lat and own:
                    notes.append("%s: warm Invoke overhead at p50 = %.2f ms (client latency "
                                 "%.2f ms - handler %.3f ms)" % (
                                     executor, pct(lp.lat, 50) - pct(own, 50), pct(lp.lat, 50),
                                     pct(own, 50)))
        delete_function(port, name)
        gateway_overhead(executor, port, trivial_zip, args, rows, notes)

        if flask_zip is None:
            notes.append("%s: API Gateway rows skipped (no Flask zip)" % executor)
        else:
            fname = "bench-flask-%s" % uuid.uuid4().hex[:8]
            status, _, body = create_function(port, fname, flask_zip, "handler_apig.handler")
            if status != 201:
                notes.append("%s: CreateFunction (flask) %d %s" % (executor, status, body[:200]))
                return
            path = "/restapis/%s/bench/_user_request_/hello?name=bench" % fname
            greq = lambda: ("GET", path, b"", None, check_apigw)  # noqa: E731
            t0 = time.perf_counter()
            cold = Loop(port, 1, 1, 120, greq).run()
            if cold.lat:
                rows.append((executor, "API GW Flask cold (1st request)", 1, 1, cold.lat[0],
                             cold.lat[0], None, cold.errors, PEER_NA))
            else:
                notes.append("%s: first API GW request failed after %.0f ms" % (
                    executor, (time.perf_counter() - t0) * 1000.0))
            for clients in (1, 10):
                Loop(port, clients, clients * 10, args.seconds, greq).run()  # warm-up
                lp = Loop(port, clients, args.requests * clients, args.seconds, greq).run()
                rows.append((executor, "API GW Flask GET /hello", clients, len(lp.lat),
                             pct(lp.lat, 50), pct(lp.lat, 99), len(lp.lat) / lp.wall,
                             lp.errors, PEER_NA))
            rss, pss = srv.memory_mib()
            notes.append("%s: server process tree with the Flask function's warm "
                         "environments: RSS %.0f MiB, PSS %.0f MiB%s" % (
                             executor, rss, pss, " (containers not included)"
                             if executor == "docker" else " (environments included)"))
            delete_function(port, fname)
    finally:
        srv.stop()


def build_flask(out):
    script = os.path.join(ROOT, "examples", "flask-app", "build.sh")
    try:
        p = subprocess.run(["sh", script, out], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return None, "examples/flask-app/build.sh timed out"
    if p.returncode != 0:
        return None, "examples/flask-app/build.sh failed: " + p.stderr[-300:]
    with open(p.stdout.strip().splitlines()[-1], "rb") as f:
        return f.read(), None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--executors", default="docker,process")
    ap.add_argument("--docker-socket", default=os.environ.get("RS_DOCKER_SOCKET", ""))
    ap.add_argument("--image", default=os.environ.get("RS_LAMBDA_IMAGE", ""))
    ap.add_argument("--requests", type=int, default=300,
                    help="requests per client in a measured loop (count bound)")
    ap.add_argument("--seconds", type=int, default=10, help="time bound of each loop")
    ap.add_argument("--cold", type=int, default=7,
                    help="cold start rounds (each: RIE, then every RustStack server)")
    ap.add_argument("--idle-envs", type=int, default=10,
                    help="docker: warm environments left idle for the engine CPU row")
    ap.add_argument("--idle-seconds", type=int, default=60,
                    help="docker: how long the engine CPU is measured (0: no idle row)")
    ap.add_argument("--flask-build", default=None, help="where build.sh puts the zip")
    ap.add_argument("--hot", type=int, default=5,
                    help="hot reload rounds (edit app.py, time the next Invoke); 0 skips")
    ap.add_argument("--only-hot", action="store_true", help="only the hot reload rows")
    ap.add_argument("--only-cold", action="store_true",
                    help="only the cold start rows (and RIE's)")
    ap.add_argument("--rie", default=os.environ.get("RS_RIE", ""),
                    help="aws-lambda-rie binary (bench/build-rie.sh) for the RIE cold start")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    t_start = time.monotonic()
    load0 = os.getloadavg()[0]
    rows, idle_rows, notes = [], [], []
    work = tempfile.mkdtemp(prefix="rs-lambda-bench-")
    flask_zip, why = None, None
    if not args.only_cold:
        flask_zip, why = build_flask(args.flask_build or os.path.join(work, "flask"))
    if why:
        notes.append(why)
    trivial_zip = zip_of({"main.py": TRIVIAL_PY + PROXY_PY})
    rie_p50 = None
    try:
        if args.cold > 0 and not args.only_hot:
            rie_p50 = cold_rows(args.binary, trivial_zip, args, work, rows, notes)
        for executor in [e.strip() for e in args.executors.split(",") if e.strip()]:
            if args.only_cold:
                break
            bench_executor(executor, args.binary, flask_zip, trivial_zip, args, work, rows,
                           idle_rows, notes)
    finally:
        subprocess.run(["rm", "-rf", work])
    lines = ["Lambda benchmark %s on %s (%d CPUs), loops bounded to %d requests per client "
             "and %d s; load average %.1f at the start, %.1f at the end"
             % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.node(),
                os.cpu_count() or 0, args.requests, args.seconds, load0, os.getloadavg()[0]),
             "%-8s %-36s %3s %5s %9s %9s %8s %4s  %s" % (
                 "executor", "measure", "c", "n", "p50 ms", "p99 ms", "req/s", "err",
                 "moto")]
    for r in rows:
        lines.append("%-8s %-36s %3s %5d %9s %9s %8s %4d  %s" % (
            r[0], r[1], r[2], r[3], fmt(r[4]), fmt(r[5]), fmt(r[6], 0), r[7], r[8]))
    if idle_rows:
        lines.append("%-8s %-36s %4s %5s  %s" % ("executor", "idle cost", "envs", "secs",
                                                 "container engine CPU, % of one core"))
    for r in idle_rows:
        lines.append("%-8s %-36s %4d %5.0f  %.2f (podman service %.2f, %d conmon %.2f)" % r)
    if args.cold > 0 and not args.only_hot:
        lines += cold_targets(rows, rie_p50)
    notes.append(PEER_WHY)
    lines += ["note: " + n for n in notes]
    lines.append("total %.0f s" % (time.monotonic() - t_start))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    measured = [r for r in rows if r[1] != "(not measured)"]
    return 0 if measured and all(r[7] == 0 for r in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
