"""examples/flask-app's tests run on the pytest-ruststack plugin
(pip install ./python/pytest-ruststack): every test gets its own AWS account on one
RustStack (RUSTSTACK_ENDPOINT, or the `ruststack` binary the plugin starts), so the same
bucket-per-account and table names never clash, also under pytest -n 4.

Fixtures here: `app_env` creates the app's bucket and table in the test's account and
points the app at them (FILES_BUCKET / RECORDS_TABLE); `client` is Flask's test client of
the app running in this process, its boto3 clients reaching RustStack through the
AWS_ENDPOINT_URL and credentials the plugin set.
Runs in: the pytest process."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
APP_DIR = os.path.dirname(HERE)
sys.path.insert(0, APP_DIR)


def make_app_resources(ruststack, s3, dynamodb):
    """The app's bucket (names are global: one per account) and table (per account)."""
    bucket = "flask-files-%s" % ruststack.account_id
    s3.create_bucket(Bucket=bucket)
    dynamodb.create_table(TableName="flask-records", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    return {"FILES_BUCKET": bucket, "RECORDS_TABLE": "flask-records"}


@pytest.fixture
def app_env(ruststack, s3, dynamodb, monkeypatch):
    env = make_app_resources(ruststack, s3, dynamodb)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def client(app_env, monkeypatch):
    import app as flask_app

    # the app keeps its boto3 clients in a module-level cache: a fresh one per test, so
    # they carry this test's account
    monkeypatch.setattr(flask_app, "_clients", {})
    flask_app.app.config["TESTING"] = True
    with flask_app.app.test_client() as c:
        yield c
