"""The Flask app deployed as a Lambda function (examples/flask-app/build.sh's zip, the
apig-wsgi handler) in a module-scoped account (@pytest.mark.ruststack(isolation="module"):
the deployment is made once for the module and dropped after its last test), reached over
HTTP through its function URL (/_aws/lambda-url/<id>/...). The function's own boto3
clients write to the bucket and table of the module's account.
Runs in: the pytest process (the app runs in RustStack's execution environment)."""

import json
import os
import subprocess
import urllib.parse

import pytest
import requests

from conftest import APP_DIR, make_app_resources

pytestmark = pytest.mark.ruststack(isolation="module")


def zip_path():
    """examples/flask-app/build.sh's zip (FLASK_APP_ZIP: an existing one; the build needs
    PyPI once, then it is reused)."""
    if os.environ.get("FLASK_APP_ZIP"):
        return os.environ["FLASK_APP_ZIP"]
    out = os.environ.get("FLASK_APP_BUILD") or os.path.join(APP_DIR, "build")
    p = subprocess.run(["sh", os.path.join(APP_DIR, "build.sh"), out], capture_output=True,
                       text=True, timeout=600)
    if p.returncode != 0:
        pytest.fail("build.sh failed:\n" + p.stderr[-2000:], pytrace=False)
    return p.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def deployed(ruststack_module):
    """Deploy once per module into the module's account (the plugin's `ruststack_module`:
    what `ruststack` gives every test of this module)."""
    acct = ruststack_module
    s3, ddb, lam = acct.client("s3"), acct.client("dynamodb"), acct.client("lambda")
    env = make_app_resources(acct, s3, ddb)
    with open(zip_path(), "rb") as f:
        code = f.read()
    lam.create_function(FunctionName="flask-app", Runtime="python3.11",
                        Handler="handler_apig.handler", Timeout=30, MemorySize=256,
                        Role="arn:aws:iam::%s:role/flask" % acct.account_id,
                        Code={"ZipFile": code}, Environment={"Variables": env})
    url = lam.create_function_url_config(FunctionName="flask-app", AuthType="NONE")
    url_id = urllib.parse.urlsplit(url["FunctionUrl"]).netloc.split(".")[0]
    return {"base": "%s/_aws/lambda-url/%s" % (acct.endpoint, url_id), "env": env}


def test_hello_through_the_function_url(ruststack, deployed):
    r = requests.get(deployed["base"] + "/hello", params={"name": "λ"}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "Hello, λ!"}


def test_function_stores_in_the_accounts_bucket(ruststack, deployed, s3, dynamodb_resource):
    r = requests.post(deployed["base"] + "/files/note.txt", data=b"from lambda",
                      headers={"Content-Type": "text/plain"}, timeout=60)
    assert r.status_code == 201, r.text
    obj = s3.get_object(Bucket=deployed["env"]["FILES_BUCKET"], Key="note.txt")
    assert obj["Body"].read() == b"from lambda"
    item = dynamodb_resource.Table("flask-records").get_item(Key={"id": "file:note.txt"})["Item"]
    assert item["content_type"].startswith("text/plain")


def test_module_shares_one_account(ruststack, ruststack_module, deployed, lambda_client):
    """Every test of the module runs in the account the deployment was made in (under
    pytest -n N: per worker; --dist loadscope keeps a module on one worker)."""
    assert ruststack.account_id == ruststack_module.account_id
    names = [f["FunctionName"] for f in lambda_client.list_functions()["Functions"]]
    assert names == ["flask-app"]
    r = requests.post(deployed["base"] + "/files/again.txt", data=b"2", timeout=60)
    assert r.status_code == 201
    r = requests.get(deployed["base"] + "/files/again.txt", timeout=60)
    assert r.status_code == 200 and r.content == b"2"


def test_conflict_and_binary(ruststack, deployed):
    rec = {"id": "x1", "v": 1}
    assert requests.post(deployed["base"] + "/records", data=json.dumps(rec),
                         headers={"Content-Type": "application/json"},
                         timeout=60).status_code == 201
    r = requests.post(deployed["base"] + "/records", data=json.dumps(rec),
                      headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 409
    r = requests.get(deployed["base"] + "/image.png", timeout=60)
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
