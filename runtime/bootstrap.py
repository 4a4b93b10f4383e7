# bootstrap.py: RustStack's Lambda runtime for Python (stdlib only, Python 3.9+).
# Runs in: an execution environment (a container or a child of the lambda supervisor).
# Speaks the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API: imports the handler named by
# $_HANDLER (init errors go to /runtime/init/error, then exit 1), then loops: GET /next,
# call the handler with the event and a context object, POST the result or the error.
# With _RUSTSTACK_HOT_RELOAD=1 (a hot-reload function) it supervises: the runtime runs in
# a forked child, replaced by a fresh fork (new import) when /next orders a reload.
# With _RUSTSTACK_STANDBY=<fifo> (a standby container of the docker executor) or "-" (a
# standby process of the process executor: stdin) it first waits, blocked without using
# CPU, for one JSON line {"env": [...]} that the supervisor writes when a cold start takes
# it (the code in place), sets those variables, then runs.
# Start-up cost is kept low: the supervisor starts python with -S (no site module: its
# .pth processing costs tens of ms); site_dirs() puts the interpreter's site-packages on
# sys.path instead. The Runtime API client is a small HTTP/1.1 client on a raw socket
# (http.client costs ~25 ms to import); traceback and decimal are imported when needed.
import json
import logging
import os
import socket
import sys
import time

API_PREFIX = "/2018-06-01/runtime"
RUNTIME_FILE = os.path.abspath(__file__)


def ensure_ascii():
    """Like awslambdaric: raw UTF-8 in results from python3.12 on, \\u escapes before."""
    return os.environ.get("AWS_EXECUTION_ENV", "") not in (
        "AWS_Lambda_python3.12", "AWS_Lambda_python3.13", "AWS_Lambda_python3.14",
        "AWS_Lambda_python3.15")


ENSURE_ASCII = ensure_ascii()  # again after a standby's hand-off


class FaultError(Exception):
    """An error the runtime reports itself, with its Lambda error type."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


class HTTPError(Exception):
    """The Runtime API connection broke or answered something that is not HTTP/1.x."""


class Response:
    __slots__ = ["status", "headers"]

    def __init__(self, status, headers):
        self.status = status
        self.headers = headers  # lower-case name -> value

    def getheader(self, name, default=None):
        return self.headers.get(name.lower(), default)


class RuntimeClient:
    """Keep-alive HTTP/1.1 client for the Runtime API on a raw socket: Content-Length and
    chunked bodies, or a body up to the close when neither is given."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.addr = (host.strip("[]") or "127.0.0.1", int(port))
        self.host = address
        self.sock = None
        self.buf = b""

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise HTTPError("connection closed by the Runtime API")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            if len(self.buf) > 1 << 20:
                raise HTTPError("header line too long")
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_response(self):
        status_line = self._line()
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HTTPError("bad status line %r" % status_line[:80])
        status = int(parts[1])
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        keep = parts[0] != b"HTTP/1.0" and headers.get("connection", "").lower() != "close"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = []
            while True:
                size = int(self._line().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self._line():  # trailers
                        pass
                    break
                body.append(self._exact(size))
                self._line()
            data = b"".join(body)
        elif "content-length" in headers:
            data = self._exact(int(headers["content-length"]))
        elif status in (204, 304) or 100 <= status < 200:
            data = b""
        else:
            try:
                while True:
                    self._fill()
            except HTTPError:
                pass
            data, self.buf, keep = self.buf, b"", False
        if not keep:
            self.close()
        return Response(status, headers), data

    def _request(self, method, path, body=None, headers=None):
        head = ["%s %s%s HTTP/1.1\r\nHost: %s\r\n" % (method, API_PREFIX, path, self.host)]
        if body is not None:
            head.append("Content-Length: %d\r\n" % len(body))
        for k, v in (headers or {}).items():
            head.append("%s: %s\r\n" % (k, v))
        head.append("\r\n")
        msg = "".join(head).encode("latin-1") + (body or b"")
        for attempt in (0, 1):
            if self.sock is None:
                self.sock = socket.create_connection(self.addr)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.sock.sendall(msg)
                return self._read_response()
            except (HTTPError, OSError, ValueError):
                self.close()
                # a kept-alive connection the server closed meanwhile: once more on a new one
                if attempt == 1 or method == "POST":
                    raise
        raise RuntimeError("unreachable")

    def next(self):
        resp, data = self._request("GET", "/invocation/next")
        if resp.status != 200:
            raise RuntimeError("Failed to get next invocation: HTTP %d" % resp.status)
        return resp, data

    def post(self, path, body, headers):
        resp, data = self._request("POST", path, body, headers)
        return resp.status


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __init__(self, identity_id=None, pool_id=None):
        self.cognito_identity_id = identity_id
        self.cognito_identity_pool_id = pool_id

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code",
                 "app_package_name"]

    def __init__(self, d):
        self.installation_id = d.get("installation_id")
        self.app_title = d.get("app_title")
        self.app_version_name = d.get("app_version_name")
        self.app_version_code = d.get("app_version_code")
        self.app_package_name = d.get("app_package_name")


class ClientContext:
    __slots__ = ["custom", "env", "client"]

    def __init__(self, d):
        self.custom = d.get("custom")
        self.env = d.get("env")
        client = d.get("client")
        self.client = Client(client) if isinstance(client, dict) else None


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity,
                 tenant_id):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = identity
        self.client_context = client_context
        self.tenant_id = tenant_id
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))
        sys.stdout.flush()

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,"
            "function_name=%s,memory_limit_in_mb=%s,function_version=%s,"
            "invoked_function_arn=%s,client_context=%s,identity=%s,tenant_id=%s])"
            % (self.aws_request_id, self.log_group_name, self.log_stream_name,
               self.function_name, self.memory_limit_in_mb, self.function_version,
               self.invoked_function_arn, self.client_context, self.identity,
               self.tenant_id)
        )


class RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = RequestIdFilter.request_id
        return True


class LambdaFormatter(logging.Formatter):
    converter = time.gmtime

    def __init__(self):
        super().__init__(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )


def setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(LambdaFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def flush_output():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def user_frames(tb):
    """traceback.format_list strings without the frames of this runtime."""
    import traceback

    frames = [f for f in traceback.extract_tb(tb) if os.path.abspath(f.filename) != RUNTIME_FILE]
    return traceback.format_list(frames)


def error_payload(exc, request_id, error_type=None, message=None, trace=None):
    if trace is None:
        trace = user_frames(exc.__traceback__) if exc is not None else []
    return {
        "errorMessage": message if message is not None else str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": trace,
    }


def log_error(payload):
    """One log event like Lambda's: lines joined by CR, indentation as no-break spaces."""
    lines = ["[ERROR] %s: %s" % (payload["errorType"], payload["errorMessage"])]
    if payload["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        for element in payload["stackTrace"]:
            for line in element.splitlines():
                lead = len(line) - len(line.lstrip(" "))
                lines.append("\u00a0" * lead + line[lead:])
    text = "\r".join(lines) + "\n"
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        sys.stdout.write(text.encode("ascii", "replace").decode("ascii"))


BUILTIN_CONFLICTS = set(sys.builtin_module_names)


def load_handler(handler):
    import importlib

    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultError("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))
    modname = modname.replace("/", ".")
    if modname.split(".")[0] in BUILTIN_CONFLICTS:
        raise FaultError("Runtime.BuiltInModuleConflict",
                         "Cannot use built-in module %s as a handler module" % modname)
    try:
        module = importlib.import_module(modname)
    except ImportError as e:
        raise FaultError("Runtime.ImportModuleError",
                         "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s\n' % (e.filename, e.lineno, (e.text or "").strip())]
        raise FaultError("Runtime.UserCodeSyntaxError",
                         "Syntax error in module '%s': %s" % (modname, e), trace)
    func = getattr(module, fname, None)
    if func is None:
        raise FaultError("Runtime.HandlerNotFound",
                         "Handler '%s' missing on module '%s'" % (fname, modname))
    return func


def json_default(obj):
    decimal = sys.modules.get("decimal")  # a Decimal exists only if decimal was imported
    if decimal is not None and isinstance(obj, decimal.Decimal):
        return float(obj) if obj % 1 else int(obj)
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


def post_error(client, path, payload, headers=None):
    flush_output()
    body = json.dumps(payload).encode()
    h = {"Content-Type": "application/json",
         "Lambda-Runtime-Function-Error-Type": payload["errorType"]}
    if headers:
        h.update(headers)
    return client.post(path, body, h)


def init(client, handler_name):
    try:
        return load_handler(handler_name)
    except FaultError as e:
        payload = error_payload(e, "", e.error_type, e.message, e.trace or [])
    except Exception as e:
        payload = error_payload(e, "")
    except SystemExit:
        raise
    log_error(payload)
    post_error(client, "/init/error", payload)
    sys.exit(INIT_FAILED_EXIT if os.environ.get("_RUSTSTACK_HOT_RELOAD") == "1" else 1)


def parse_json_header(value, what):
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError as e:
        raise FaultError("Runtime.LambdaContextUnmarshalError",
                         "Unable to parse %s JSON: %s" % (what, e))


def handle_one(client, handler, resp, data):
    request_id = resp.getheader("Lambda-Runtime-Aws-Request-Id") or ""
    RequestIdFilter.request_id = request_id
    trace_id = resp.getheader("Lambda-Runtime-Trace-Id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    base = "/invocation/%s" % request_id
    try:
        try:
            deadline = int(resp.getheader("Lambda-Runtime-Deadline-Ms") or "0")
        except ValueError:
            deadline = 0
        cc = parse_json_header(resp.getheader("Lambda-Runtime-Client-Context"), "client context")
        cog = parse_json_header(resp.getheader("Lambda-Runtime-Cognito-Identity"),
                                "cognito identity")
        identity = CognitoIdentity()
        if isinstance(cog, dict):
            identity = CognitoIdentity(cog.get("cognitoIdentityId"),
                                       cog.get("cognitoIdentityPoolId"))
        context = LambdaContext(request_id, deadline,
                                resp.getheader("Lambda-Runtime-Invoked-Function-Arn"),
                                ClientContext(cc) if isinstance(cc, dict) else None, identity,
                                resp.getheader("Lambda-Runtime-Aws-Tenant-Id"))
        ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip()
        if ctype == "application/json":
            try:
                event = json.loads(data.decode("utf-8"))
            except ValueError as e:
                raise FaultError("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
        else:
            event = data
        result = handler(event, context)
        if isinstance(result, (bytes, bytearray)):
            body, rtype = bytes(result), "application/unknown"
        else:
            try:
                body = json.dumps(result, default=json_default,
                                  ensure_ascii=ENSURE_ASCII).encode("utf-8")
            except (TypeError, ValueError) as e:
                raise FaultError("Runtime.MarshalError", "Unable to marshal response: %s" % e)
            rtype = "application/json"
    except FaultError as e:
        payload = error_payload(e, request_id, e.error_type, e.message, e.trace or [])
        log_error(payload)
        post_error(client, base + "/error", payload)
        return
    except Exception as e:
        payload = error_payload(e, request_id)
        log_error(payload)
        post_error(client, base + "/error", payload)
        return
    flush_output()
    client.post(base + "/response", body, {"Content-Type": rtype})


SITE_DONE = False


def add_site_dirs():
    """Under -S: put on sys.path what site.main() would (the user's and the interpreter's
    site-packages, and the directories the .pth files there name), without running the
    .pth files' import lines."""
    global SITE_DONE
    if not sys.flags.no_site or SITE_DONE:
        return
    SITE_DONE = True
    import site

    dirs = []
    if not sys.flags.no_user_site and not sys.flags.isolated:
        dirs.append(site.getusersitepackages())
    dirs.extend(site.getsitepackages())
    for d in dirs:
        if not os.path.isdir(d) or d in sys.path:
            continue
        sys.path.append(d)
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".pth"))
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.rstrip()
                if not line or line.startswith("#") or line.startswith(("import ", "import\t")):
                    continue
                path = os.path.join(d, line)
                if path not in sys.path and os.path.isdir(path):
                    sys.path.append(path)


def await_handoff(source):
    """Standby: block until the supervisor hands this environment a function: one JSON line
    {"env": ["NAME=value", ...], "cwd": ..., "log": ...} on the FIFO `source` (docker
    executor) or on stdin ("-", process executor); set those variables as the interpreter
    would have seen them at start, move to cwd, send the output to the log file."""
    add_site_dirs()  # what does not depend on the function, done while waiting
    import importlib

    fd = 0 if source == "-" else os.open(source, os.O_RDONLY)
    buf = b""
    while b"\n" not in buf:
        chunk = os.read(fd, 65536)
        if not chunk:
            sys.stderr.write("standby: the hand-off channel closed\n")
            sys.exit(1)
        buf += chunk
    if fd == 0:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    else:
        os.close(fd)
    msg = json.loads(buf.split(b"\n", 1)[0].decode("utf-8"))
    if msg.get("log"):
        out = os.open(msg["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
    if msg.get("cwd"):
        os.chdir(msg["cwd"])
    os.environ.pop("_RUSTSTACK_STANDBY", None)
    for kv in msg["env"]:
        name, _, value = kv.partition("=")
        os.environ[name] = value
    if "TZ" in os.environ:
        time.tzset()
    global ENSURE_ASCII
    ENSURE_ASCII = ensure_ascii()
    extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    for p in reversed(extra):
        if p not in sys.path:
            sys.path.insert(1, p)
    importlib.invalidate_caches()


def main():
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    handler_name = os.environ.get("_HANDLER", "")
    if not address:
        sys.stderr.write("AWS_LAMBDA_RUNTIME_API is not set\n")
        sys.exit(2)
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    try:
        os.chdir(task_root)
    except OSError:
        pass
    sys.path.insert(0, task_root)
    add_site_dirs()
    setup_logging()
    client = RuntimeClient(address)
    handler = init(client, handler_name)
    while True:
        resp, data = client.next()
        if resp.getheader("Lambda-Runtime-RustStack-Reload"):
            flush_output()
            os._exit(RELOAD_EXIT)
        handle_one(client, handler, resp, data)


RELOAD_EXIT = 75
INIT_FAILED_EXIT = 76


def wait_for_reload():
    """After a failed init (hot reload): wait in /next until the Runtime API orders a
    reload (the next Invoke, usually after the file was fixed)."""
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        while True:
            resp, _ = client.next()
            if resp.getheader("Lambda-Runtime-RustStack-Reload"):
                return
    finally:
        client.close()


def supervise():
    """Hot reload: this process (stdlib and the runtime already imported) stays; each runtime
    process is a fork of it that imports the handler afresh. A child leaving with
    RELOAD_EXIT (the Runtime API ordered a reload) is replaced; one whose init failed
    (INIT_FAILED_EXIT, after /init/error) is replaced once the Runtime API orders a reload;
    any other end ends the environment with the child's status."""
    while True:
        pid = os.fork()
        if pid == 0:
            try:
                main()
            except SystemExit as e:
                flush_output()
                os._exit(e.code if isinstance(e.code, int) else 1)
            except BaseException:
                import traceback

                traceback.print_exc()
                flush_output()
                os._exit(1)
            os._exit(0)
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") \
            else (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status))
        if code == RELOAD_EXIT:
            continue
        if code == INIT_FAILED_EXIT:
            wait_for_reload()
            continue
        if code < 0:
            os.kill(os.getpid(), -code)
        sys.exit(code)


if __name__ == "__main__":
    if os.environ.get("_RUSTSTACK_STANDBY"):
        await_handoff(os.environ["_RUSTSTACK_STANDBY"])
    if os.environ.get("_RUSTSTACK_HOT_RELOAD") == "1":
        supervise()
    else:
        main()
