# bootstrap.py (awslambdaric shim): point lambda_runtime_path at this directory to run
# functions with AWS's own runtime client (pip install awslambdaric) instead of RustStack's
# runtime/bootstrap.py, as `python -m awslambdaric <handler>` would; test_lambda_pool uses
# it to check the Runtime API against the real client.
# Runs in: an execution environment (cwd = the function's code).
import os
import sys

from awslambdaric.__main__ import main

task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
os.chdir(task_root)
sys.path.insert(0, task_root)  # awslambdaric leaves sys.path alone
main(["awslambdaric", os.environ["_HANDLER"]])
