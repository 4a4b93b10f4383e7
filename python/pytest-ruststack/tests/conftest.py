"""Harness of the plugin's own tests: pytester runs inner pytest sessions in subprocesses
(the installed plugin loads through its entry point, as in a user's project). One RustStack
is started here for the endpoint-variable tests (RS_BINARY or RUSTSTACK_BINARY or PATH;
RS_DDB_LOCAL_DIR and RS_RUNTIME_DIR add the DynamoDB Local directory and the Lambda
runtime of a source tree to its configuration).
Runs in: the pytest process."""

import os

import pytest

from pytest_ruststack.server import Server, find_binary

pytest_plugins = ["pytester"]


def binary():
    return find_binary(os.environ.get("RS_BINARY") or None)


def server_conf():
    """Configuration lines for a server started from a source tree."""
    conf = []
    if os.environ.get("RS_DDB_LOCAL_DIR"):
        conf.append("dynamodb_local_dir = %s" % os.environ["RS_DDB_LOCAL_DIR"])
    if os.environ.get("RS_RUNTIME_DIR"):
        conf.append("lambda_runtime_path = %s" % os.environ["RS_RUNTIME_DIR"])
    return conf


@pytest.fixture(scope="session")
def shared_server():
    srv = Server(binary(), server_conf())
    srv.start()
    yield srv
    assert srv.stop() == 0, "ruststack did not stop cleanly" + srv.log_tail()


@pytest.fixture
def clean_env(monkeypatch):
    """No RustStack or AWS settings of the outer environment leak into inner runs."""
    for k in list(os.environ):
        if k.startswith("AWS_") or k.startswith("RUSTSTACK_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    return monkeypatch
