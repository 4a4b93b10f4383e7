# bootstrap.py (awslambdaric shim): point lambda_runtime_path at this directory to run
# functions with AWS's own runtime client (pip install awslambdaric) instead of RustStack's
# runtime/bootstrap.py, as `python -m awslambdaric <handler>` would; test_lambda_pool uses
# it to check the Runtime API against the real client.
# Runs in: an execution environment (cwd = the function's code).
import json
import os
import sys

if sys.flags.no_site:  # RustStack starts runtimes with python -S
    import site

    site.main()

standby = os.environ.pop("_RUSTSTACK_STANDBY", None)
if standby:
    # a standby (lambda_standby): wait for the environment on stdin or the FIFO, as
    # RustStack's runtime/bootstrap.py does
    with open(0 if standby == "-" else standby, "rb", closefd=standby != "-") as f:
        msg = json.loads(f.readline())
    for kv in msg["env"]:
        name, _, value = kv.partition("=")
        os.environ[name] = value
    if msg.get("log"):
        out = os.open(msg["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
    if msg.get("cwd"):
        os.chdir(msg["cwd"])

# imported once the variables are set: awslambdaric reads some when imported
from awslambdaric.__main__ import main  # noqa: E402

task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
os.chdir(task_root)
sys.path.insert(0, task_root)  # awslambdaric leaves sys.path alone
main(["awslambdaric", os.environ["_HANDLER"]])
