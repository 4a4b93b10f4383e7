"""Lambda hot reload (Code={"S3Bucket": "hot-reload", "S3Key": "/abs/dir"}), with both
executors: an edited handler runs on the next Invoke in the same warm environment (same
supervising bootstrap process, no new container); a syntax error gives the runtime's init
error and fixing it recovers; only directories under lambda_hot_reload_roots are accepted
(refused when the setting is empty, outside the roots, relative, missing, or escaping
through ".." or a symlink); UpdateFunctionCode from a directory to a zip and back.
Runs in: the pytest process."""

import base64
import hashlib
import io
import json
import os
import threading
import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from conftest import (Cli, LambdaServer, _lambda_teardown, engine_containers, have_engine,
                      make_lambda_client)

ROLE = "arn:aws:iam::000000000000:role/lambda"

APP = """import os
import time
VERSION = %r
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"v": VERSION, "pid": os.getpid(), "ppid": os.getppid()}
"""


@pytest.fixture(scope="module", params=["process", "docker"])
def hot(request, tmp_path_factory):
    """(server, lambda client, roots dir) with lambda_hot_reload_roots set."""
    executor = request.param
    if executor == "docker" and not have_engine():
        pytest.skip("no container engine: RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE unset")
    roots = tmp_path_factory.mktemp("hot-roots-" + executor)
    os.chmod(str(roots), 0o755)
    srv = LambdaServer(tmp_path_factory.mktemp("ruststack-hot-" + executor), executor,
                       extra_conf="lambda_hot_reload_roots = %s\n" % roots)
    try:
        srv.start_lambda()
    except RuntimeError as e:
        srv.kill()
        pytest.fail(str(e), pytrace=False)
    yield srv, make_lambda_client(srv.endpoint), str(roots)
    _lambda_teardown(srv)


def code_dir(roots, name, version="one"):
    d = os.path.join(roots, name)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    write(d, "app.py", APP % version)
    return d


def write(d, name, text):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, 0o644)


def create(lam, name, d):
    return lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                               Handler="app.handler",
                               Code={"S3Bucket": "hot-reload", "S3Key": d})


def invoke(lam, name, payload=b"{}"):
    r = lam.invoke(FunctionName=name, Payload=payload)
    return r.get("FunctionError"), json.loads(r["Payload"].read())


def digest(d):
    """The documented CodeSha256 / CodeSize of a directory."""
    h = hashlib.sha256()
    files = []
    for root, dirs, names in os.walk(d):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for n in names:
            p = os.path.join(root, n)
            if n.endswith(".pyc") or os.path.islink(p) or not os.path.isfile(p):
                continue
            files.append(os.path.relpath(p, d))
    size = 0
    for rel in sorted(files, key=lambda s: s.encode()):
        data = open(os.path.join(d, rel), "rb").read()
        h.update(rel.encode() + b"\0" + b"%020d" % len(data) + b"\0" + data)
        size += len(data)
    return base64.b64encode(h.digest()).decode(), size


def test_edit_runs_in_the_same_environment(hot):
    srv, lam, roots = hot
    d = code_dir(roots, "edit")
    cfg = create(lam, "hot-edit", d)
    sha, size = digest(d)
    assert cfg["CodeSha256"] == sha and cfg["CodeSize"] == size
    err, first = invoke(lam, "hot-edit")
    assert err is None and first["v"] == "one", first
    before = engine_containers(srv.shm_name) if srv.executor == "docker" else None
    write(d, "app.py", APP % "two")
    err, second = invoke(lam, "hot-edit")
    assert err is None and second["v"] == "two", second
    # a new runtime process under the same supervising bootstrap: the environment stayed
    assert second["ppid"] == first["ppid"] and second["pid"] != first["pid"]
    if before is not None:
        assert engine_containers(srv.shm_name) == before
    # no change: the warm runtime process is reused as is
    err, third = invoke(lam, "hot-edit")
    assert third["pid"] == second["pid"]
    # a change in a new subdirectory (watched recursively) reloads too
    os.makedirs(os.path.join(d, "pkg"), exist_ok=True)
    os.chmod(os.path.join(d, "pkg"), 0o755)
    write(os.path.join(d, "pkg"), "__init__.py", "X = 1\n")
    err, fourth = invoke(lam, "hot-edit")
    assert fourth["pid"] != third["pid"] and fourth["ppid"] == first["ppid"]
    write(os.path.join(d, "pkg"), "__init__.py", "X = 2\n")
    err, fifth = invoke(lam, "hot-edit")
    assert fifth["pid"] != fourth["pid"] and fifth["ppid"] == first["ppid"]
    got = lam.get_function(FunctionName="hot-edit")
    assert got["Code"] == {"RepositoryType": "S3",
                           "Location": "Code location: " + os.path.realpath(d)}
    lam.delete_function(FunctionName="hot-edit")
    assert os.path.exists(os.path.join(d, "app.py")), "the user's directory must stay"


def test_change_during_an_invoke_applies_to_the_next(hot):
    srv, lam, roots = hot
    d = code_dir(roots, "during")
    create(lam, "hot-during", d)
    assert invoke(lam, "hot-during")[1]["v"] == "one"
    out = {}
    t = threading.Thread(target=lambda: out.update(r=invoke(lam, "hot-during",
                                                              b'{"sleep": 2}')))
    t.start()
    time.sleep(0.8)
    write(d, "app.py", APP % "two")
    t.join(30)
    err, body = out["r"]
    assert err is None and body["v"] == "one", body
    err, after = invoke(lam, "hot-during")
    assert err is None and after["v"] == "two", after
    assert after["ppid"] == body["ppid"]
    lam.delete_function(FunctionName="hot-during")


def test_syntax_error_then_fix(hot):
    srv, lam, roots = hot
    d = code_dir(roots, "syntax")
    create(lam, "hot-syntax", d)
    err, first = invoke(lam, "hot-syntax")
    assert first["v"] == "one"
    before = engine_containers(srv.shm_name) if srv.executor == "docker" else None
    write(d, "app.py", "def handler(event, context)\n    return 1\n")
    err, body = invoke(lam, "hot-syntax")
    assert err == "Unhandled", body
    assert body["errorType"] == "Runtime.UserCodeSyntaxError", body
    assert "Syntax error in module 'app'" in body["errorMessage"]
    # still broken: the next invoke imports again and fails again, as Lambda re-inits
    err, body = invoke(lam, "hot-syntax")
    assert err == "Unhandled" and body["errorType"] == "Runtime.UserCodeSyntaxError", body
    write(d, "app.py", "import nosuchmodule_xyz\n")
    err, body = invoke(lam, "hot-syntax")
    assert err == "Unhandled" and body["errorType"] == "Runtime.ImportModuleError", body
    assert "Unable to import module 'app'" in body["errorMessage"]
    write(d, "app.py", APP % "fixed")
    err, body = invoke(lam, "hot-syntax")
    assert err is None and body["v"] == "fixed", body
    # the environment survived the init errors: same bootstrap, same container
    assert body["ppid"] == first["ppid"]
    if before is not None:
        assert engine_containers(srv.shm_name) == before
    lam.delete_function(FunctionName="hot-syntax")


def refused(lam, key, name="hot-refused"):
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                            Handler="app.handler",
                            Code={"S3Bucket": "hot-reload", "S3Key": key})
    err = e.value.response["Error"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Code"] == "InvalidParameterValueException", err
    return err["Message"]


def test_paths_outside_the_roots_are_refused(hot, tmp_path):
    srv, lam, roots = hot
    outside = str(tmp_path / "outside")
    os.makedirs(outside)
    write(outside, "app.py", APP % "x")
    assert "lambda_hot_reload_roots" in refused(lam, outside)
    assert "absolute" in refused(lam, "relative/dir")
    assert "does not exist" in refused(lam, os.path.join(roots, "missing"))
    inside = code_dir(roots, "inside")
    assert "lambda_hot_reload_roots" in refused(lam, inside + "/../../" + os.path.basename(
        os.path.dirname(outside)) + "/outside")
    link = os.path.join(roots, "link")
    if not os.path.lexists(link):
        os.symlink(outside, link)
    assert "lambda_hot_reload_roots" in refused(lam, link)
    with pytest.raises(ClientError):
        lam.get_function(FunctionName="hot-refused")
    # UpdateFunctionCode applies the same checks
    create(lam, "hot-upd-refused", inside)
    with pytest.raises(ClientError) as e:
        lam.update_function_code(FunctionName="hot-upd-refused", S3Bucket="hot-reload",
                                 S3Key=outside)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    lam.delete_function(FunctionName="hot-upd-refused")


def test_empty_setting_refuses(lambda_process_server, tmp_path):
    lam = make_lambda_client(lambda_process_server.endpoint)
    d = str(tmp_path)
    write(d, "app.py", APP % "x")
    msg = refused(lam, d)
    assert "disabled" in msg and "lambda_hot_reload_roots" in msg


def zip_of(version):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", APP % version)
    return buf.getvalue()


def test_update_code_dir_to_zip_and_back(hot):
    srv, lam, roots = hot
    d = code_dir(roots, "swap", "dir")
    create(lam, "hot-swap", d)
    assert invoke(lam, "hot-swap")[1]["v"] == "dir"
    z = zip_of("zip")
    cfg = lam.update_function_code(FunctionName="hot-swap", ZipFile=z)
    assert cfg["CodeSha256"] == base64.b64encode(hashlib.sha256(z).digest()).decode()
    lam.get_waiter("function_updated_v2").wait(FunctionName="hot-swap")
    assert invoke(lam, "hot-swap")[1]["v"] == "zip"
    write(d, "app.py", APP % "ignored")  # the zip's code does not follow the directory
    assert invoke(lam, "hot-swap")[1]["v"] == "zip"
    loc = lam.get_function(FunctionName="hot-swap")["Code"]["Location"]
    assert loc.startswith("http://") and loc.endswith("/hot-swap.zip")
    write(d, "app.py", APP % "back")
    cfg = lam.update_function_code(FunctionName="hot-swap", S3Bucket="hot-reload", S3Key=d)
    assert (cfg["CodeSha256"], cfg["CodeSize"]) == digest(d)
    assert invoke(lam, "hot-swap")[1]["v"] == "back"
    assert lam.get_function(FunctionName="hot-swap")["Code"]["Location"] == (
        "Code location: " + os.path.realpath(d))
    write(d, "app.py", APP % "again")
    assert invoke(lam, "hot-swap")[1]["v"] == "again"
    lam.delete_function(FunctionName="hot-swap")
    assert os.path.exists(os.path.join(d, "app.py"))


def test_aws_cli_create_and_refusal(hot, tmp_path):
    """The AWS CLI's shorthand, as LocalStack's documentation shows it."""
    srv, lam, roots = hot
    cli = Cli(srv.endpoint)
    assert cli.exe, "the aws CLI is not installed"
    d = code_dir(roots, "cli", "cli")
    r = cli("lambda", "create-function", "--function-name", "hot-cli", "--runtime",
            "python3.11", "--role", ROLE, "--handler", "app.handler", "--code",
            "S3Bucket=hot-reload,S3Key=%s" % d)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["CodeSha256"] == digest(d)[0]
    r = cli("lambda", "invoke", "--function-name", "hot-cli", str(tmp_path / "out.json"))
    assert r.returncode == 0, r.stderr
    assert json.load(open(str(tmp_path / "out.json")))["v"] == "cli"
    r = cli("lambda", "update-function-code", "--function-name", "hot-cli", "--s3-bucket",
            "hot-reload", "--s3-key", str(tmp_path))
    assert r.returncode != 0
    assert "InvalidParameterValueException" in r.stderr, r.stderr
    assert "lambda_hot_reload_roots" in r.stderr, r.stderr
    lam.delete_function(FunctionName="hot-cli")
