"""The pytest plugin (entry point ``pytest11``: ruststack).

Server: RUSTSTACK_ENDPOINT (or --ruststack-endpoint) names a running RustStack; otherwise
the plugin starts the ``ruststack`` binary (--ruststack-binary, RUSTSTACK_BINARY, or PATH)
once for the session on a free port with a temporary configuration and stops it at the
end. Under pytest-xdist the controller starts it once and every worker uses it.

Isolation: every test gets its own AWS account (a random 12-digit account id, used as the
access key, which RustStack takes as that account) and its teardown drops everything of
the account (POST /_ruststack/reset?account=...). With isolation "module" or "session"
(--ruststack-isolation, ini ruststack_isolation, or the marker
@pytest.mark.ruststack(isolation=...)) the tests of a module, or of the session (of one
xdist worker), share one account, dropped after the last of them.
"""

import os

import pytest

from pytest_ruststack.account import Account
from pytest_ruststack.server import RustStackError, Server, connect, find_binary

ISOLATION = ("test", "module", "session")
ENDPOINT_KEY = "ruststack_endpoint"


def pytest_addoption(parser):
    g = parser.getgroup("ruststack", "RustStack (local AWS emulator)")
    g.addoption("--ruststack-endpoint", default=None,
                help="use the RustStack running at this URL (default: $RUSTSTACK_ENDPOINT; "
                     "when neither is set the plugin starts the binary)")
    g.addoption("--ruststack-binary", default=None,
                help="the ruststack binary to start (default: $RUSTSTACK_BINARY, else PATH)")
    g.addoption("--ruststack-isolation", default=None, choices=ISOLATION,
                help="one account per test (default), per module or per session")
    g.addoption("--ruststack-conf", action="append", default=[],
                help="an extra 'key = value' line for the configuration of a started server "
                     "(repeatable), e.g. --ruststack-conf 'lambda_executor = docker'")
    g.addoption("--ruststack-region", default=None, help="region of the clients (us-east-1)")
    parser.addini("ruststack_isolation", "test (default), module or session", default="test")
    parser.addini("ruststack_conf", "extra configuration lines of a started server",
                  type="linelist", default=[])
    parser.addini("ruststack_region", "region of the clients", default="us-east-1")
    parser.addini("ruststack_start_timeout", "seconds to wait for a started server",
                  default="90")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "ruststack(isolation='test'|'module'|'session'): how the tests marked "
                   "share a RustStack account")
    config._ruststack = _State(config)
    config._ruststack.isolation()  # a bad option or ini value stops the run here


def pytest_unconfigure(config):
    state = getattr(config, "_ruststack", None)
    if state is not None:
        state.stop()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist, in the controller: start (once) the server every worker will share."""
    state = node.config._ruststack
    try:
        node.workerinput[ENDPOINT_KEY] = state.endpoint()
    except RustStackError as e:
        node.workerinput[ENDPOINT_KEY + "_error"] = str(e)


class _State:
    """The session's server: found, or started on first use and stopped at the end."""

    def __init__(self, config):
        self.config = config
        self.server = None
        self._endpoint = None
        self._error = None

    def _opt(self, name, ini=None):
        v = self.config.getoption(name)
        return v if v is not None else (self.config.getini(ini) if ini else None)

    def isolation(self):
        v = self._opt("--ruststack-isolation", "ruststack_isolation") or "test"
        if v not in ISOLATION:
            raise pytest.UsageError("ruststack_isolation must be one of %s, not %r"
                                    % ("/".join(ISOLATION), v))
        return v

    def region(self):
        return self._opt("--ruststack-region", "ruststack_region") or "us-east-1"

    def endpoint(self):
        if self._endpoint is not None:
            return self._endpoint
        if self._error is not None:
            raise RustStackError(self._error)
        try:
            self._endpoint = self._find()
        except RustStackError as e:
            self._error = str(e)
            raise
        return self._endpoint

    def _find(self):
        wi = getattr(self.config, "workerinput", None)
        if wi is not None and (ENDPOINT_KEY in wi or ENDPOINT_KEY + "_error" in wi):
            if ENDPOINT_KEY + "_error" in wi:
                raise RustStackError(wi[ENDPOINT_KEY + "_error"])
            return wi[ENDPOINT_KEY]  # the controller's server
        url = self.config.getoption("--ruststack-endpoint") or os.environ.get(
            "RUSTSTACK_ENDPOINT")
        timeout = float(self.config.getini("ruststack_start_timeout"))
        if url:
            return connect(url, timeout)
        binary = find_binary(self.config.getoption("--ruststack-binary"))
        conf = list(self.config.getini("ruststack_conf")) + list(
            self.config.getoption("--ruststack-conf"))
        self.server = Server(binary, conf, start_timeout=timeout)
        return self.server.start()

    def stop(self):
        if self.server is not None:
            self.server.stop()
            self.server = None


def _isolation_of(request):
    m = request.node.get_closest_marker("ruststack")
    if m is not None:
        v = m.kwargs.get("isolation", m.args[0] if m.args else None)
        if v is not None:
            if v not in ISOLATION:
                raise pytest.UsageError("@pytest.mark.ruststack(isolation=...) must be one of "
                                        "%s, not %r" % ("/".join(ISOLATION), v))
            return v
    return request.config._ruststack.isolation()


class _Shared:
    """An account made on first use by the tests of one scope, reset when it ends."""

    def __init__(self, endpoint_fn, region):
        self._endpoint_fn = endpoint_fn
        self._region = region
        self.account = None

    def get(self):
        if self.account is None:
            self.account = Account(self._endpoint_fn(), self._region)
        return self.account

    def close(self):
        if self.account is not None:
            self.account.reset()
            self.account = None


def _server_endpoint(config):
    try:
        return config._ruststack.endpoint()
    except RustStackError as e:
        pytest.fail("pytest-ruststack: %s" % e, pytrace=False)


def _shared_account(pytestconfig):
    """The body of the scoped account fixtures below: one _Shared, reset at scope end."""
    shared = _Shared(lambda: _server_endpoint(pytestconfig), pytestconfig._ruststack.region())
    yield shared
    shared.close()


_ruststack_session_account = pytest.fixture(scope="session",
                                            name="_ruststack_session_account")(_shared_account)
_ruststack_module_account = pytest.fixture(scope="module",
                                           name="_ruststack_module_account")(_shared_account)


@pytest.fixture(scope="module")
def ruststack_module(_ruststack_module_account):
    """The account the tests of this module share under isolation "module" (made on first
    use, dropped after the module): for module-scoped set-up such as a deployment."""
    return _ruststack_module_account.get()


@pytest.fixture(scope="session")
def ruststack_session(_ruststack_session_account):
    """The account the tests share under isolation "session" (per xdist worker)."""
    return _ruststack_session_account.get()


@pytest.fixture
def ruststack(request, monkeypatch, _ruststack_module_account, _ruststack_session_account):
    """The test's AWS account on the RustStack server (endpoint, region, account_id,
    access_key_id, secret_access_key; client(), resource(), session(), reset()). Sets
    AWS_ENDPOINT_URL, the credentials and the region in the environment, and a fresh
    boto3 default session, for code that builds its own clients (restored after the
    test)."""
    isolation = _isolation_of(request)
    if isolation == "module":
        acct = _ruststack_module_account.get()
    elif isolation == "session":
        acct = _ruststack_session_account.get()
    else:
        acct = Account(_server_endpoint(request.config), request.config._ruststack.region())
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    for k, v in acct.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # boto3.client() uses a default session that keeps the credentials it found first:
    # a fresh one per test sees this test's environment
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    yield acct
    if isolation == "test":
        acct.reset()


@pytest.fixture
def boto3_session(ruststack):
    """A boto3 Session with the test account's credentials and region."""
    return ruststack.session()


@pytest.fixture
def s3(ruststack):
    return ruststack.client("s3")


@pytest.fixture
def dynamodb(ruststack):
    return ruststack.client("dynamodb")


@pytest.fixture
def dynamodb_resource(ruststack):
    return ruststack.resource("dynamodb")


@pytest.fixture
def lambda_client(ruststack):
    return ruststack.client("lambda")
