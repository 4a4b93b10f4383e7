"""Internal endpoints: /_ruststack/health JSON shape and /_ruststack/reset."""

import requests


def test_health_shape(endpoint):
    r = requests.get(endpoint + "/_ruststack/health", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert isinstance(body["version"], str) and body["version"]
    assert body["workers"] == 2
    services = body["services"]
    assert services["s3"]["state"] == "running"
    for name in ("dynamodb", "lambda"):
        assert services[name]["state"] in ("unavailable", "running", "starting")
        if services[name]["state"] == "unavailable":
            assert isinstance(services[name]["reason"], str) and services[name]["reason"]


def test_health_counts_objects(endpoint, s3):
    s3.create_bucket(Bucket="health-b")
    s3.put_object(Bucket="health-b", Key="k", Body=b"x" * 100)
    s3b = requests.get(endpoint + "/_ruststack/health", timeout=10).json()["services"]["s3"]
    assert s3b.get("buckets") == 1
    assert s3b.get("objects") == 1


def test_reset_empties_everything(endpoint, s3):
    for b in ("reset-a", "reset-b"):
        s3.create_bucket(Bucket=b)
        for i in range(3):
            s3.put_object(Bucket=b, Key="k%d" % i, Body=b"data")
    r = requests.post(endpoint + "/_ruststack/reset", timeout=10)
    assert r.status_code == 200
    assert r.json() == {"reset": True}
    assert s3.list_buckets()["Buckets"] == []
    # the names are free again and the new buckets are empty
    s3.create_bucket(Bucket="reset-a")
    assert s3.list_objects_v2(Bucket="reset-a")["KeyCount"] == 0


def test_unknown_internal_path(endpoint):
    r = requests.get(endpoint + "/_ruststack/no-such-thing", timeout=10)
    assert r.status_code == 404
    assert isinstance(r.json(), dict)


def test_check_endpoint_clean(endpoint, s3):
    s3.create_bucket(Bucket="check-b")
    s3.put_object(Bucket="check-b", Key="k", Body=b"x")
    r = requests.get(endpoint + "/_ruststack/check", timeout=30)
    assert r.status_code == 200
    assert r.json()["clean"] is True
