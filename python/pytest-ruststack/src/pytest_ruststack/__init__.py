"""pytest-ruststack: pytest fixtures for RustStack, a local AWS emulator (S3, DynamoDB,
Lambda, API Gateway on one port).

The plugin (registered through the ``pytest11`` entry point, module
``pytest_ruststack.plugin``) uses a running RustStack when ``RUSTSTACK_ENDPOINT`` is set and
otherwise starts the ``ruststack`` binary for the session. Every test gets its own AWS
account (its own access key) on that server, and its teardown drops everything of that
account (``POST /_ruststack/reset?account=...``)."""

from pytest_ruststack.account import Account
from pytest_ruststack.server import RustStackError, Server, free_port

__all__ = ["Account", "RustStackError", "Server", "free_port"]
__version__ = "0.1.0"
