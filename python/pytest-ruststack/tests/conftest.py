"""Harness of the plugin's own tests: pytester runs inner pytest sessions in subprocesses
(the installed plugin loads through its entry point, as in a user's project). The outer
session's own RustStack (the plugin's, shared by xdist workers: started from RS_BINARY or
PATH, with RS_DDB_LOCAL_DIR and RS_RUNTIME_DIR added to its configuration for a source
tree, or --ruststack-binary/--ruststack-conf) serves the endpoint-variable tests.
Runs in: the pytest process."""

import os

import pytest

from pytest_ruststack.server import RustStackError, find_binary

pytest_plugins = ["pytester"]


def binary():
    """The binary the inner runs start: RS_BINARY, else PATH."""
    return find_binary(os.environ.get("RS_BINARY") or None)


def server_conf():
    """Configuration lines for a server started from a source tree."""
    conf = []
    if os.environ.get("RS_DDB_LOCAL_DIR"):
        conf.append("dynamodb_local_dir = %s" % os.environ["RS_DDB_LOCAL_DIR"])
    if os.environ.get("RS_RUNTIME_DIR"):
        conf.append("lambda_runtime_path = %s" % os.environ["RS_RUNTIME_DIR"])
    return conf


class Shared:
    def __init__(self, endpoint):
        self.endpoint = endpoint


def pytest_configure(config):
    """Without --ruststack-binary: the source tree's binary (RS_BINARY) and settings, for
    the outer session's server (also in the xdist controller, which starts it)."""
    if config.getoption("--ruststack-binary") is None and os.environ.get("RS_BINARY"):
        config.option.ruststack_binary = os.environ["RS_BINARY"]
        config.option.ruststack_conf = server_conf() + list(config.option.ruststack_conf)


@pytest.fixture(scope="session")
def shared_server(pytestconfig):
    """The RustStack of this (outer) session, from the plugin itself (RUSTSTACK_ENDPOINT,
    or the binary it starts: one for every xdist worker). The inner runs get its endpoint
    through RUSTSTACK_ENDPOINT."""
    try:
        return Shared(pytestconfig._ruststack.endpoint())
    except RustStackError as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture
def clean_env(monkeypatch):
    """No RustStack or AWS settings of the outer environment leak into inner runs."""
    for k in list(os.environ):
        if k.startswith("AWS_") or k.startswith("RUSTSTACK_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    return monkeypatch
