"""The Flask app in this process against RustStack (its S3 bucket and DynamoDB table in the
test's own account): files in S3 with a DynamoDB record, conditional record creation,
missing objects and records, and per-test isolation (a record made by one test is not
there in the next, although the table name is the same).
Runs in: the pytest process."""

import json


def test_hello(client):
    r = client.get("/hello?name=RustStack")
    assert r.status_code == 200
    assert r.get_json() == {"message": "Hello, RustStack!"}


def test_file_round_trip_lands_in_s3_and_dynamodb(client, app_env, s3, dynamodb_resource):
    data = bytes(range(256)) * 4
    r = client.post("/files/blob.bin", data=data, content_type="application/octet-stream")
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.headers["Location"].endswith("/files/blob.bin")
    assert r.get_json()["size"] == len(data)
    # what the app stored, seen with the test's own clients
    obj = s3.get_object(Bucket=app_env["FILES_BUCKET"], Key="blob.bin")
    assert obj["Body"].read() == data
    item = dynamodb_resource.Table("flask-records").get_item(Key={"id": "file:blob.bin"})["Item"]
    assert item["bucket"] == app_env["FILES_BUCKET"] and int(item["size"]) == len(data)
    r = client.get("/files/blob.bin")
    assert r.status_code == 200 and r.data == data


def test_missing_file_is_404(client):
    r = client.get("/files/nothing-here")
    assert r.status_code == 404
    assert r.get_json()["error"] == "NotFound"


def test_records_conditional_create(client):
    doc = {"id": "r1", "name": "first", "n": 1.5}
    r = client.post("/records", data=json.dumps(doc), content_type="application/json")
    assert r.status_code == 201
    assert client.get("/records/r1").get_json() == doc
    r = client.post("/records", data=json.dumps({"id": "r1"}), content_type="application/json")
    assert r.status_code == 409
    assert r.get_json()["error"] == "Conflict"
    assert client.get("/records/r2").status_code == 404


def test_each_test_starts_empty(client, dynamodb_resource, s3, app_env):
    """test_records_conditional_create made r1 in its account; this test's table of the
    same name is another one, empty."""
    assert client.get("/records/r1").status_code == 404
    assert dynamodb_resource.Table("flask-records").scan()["Items"] == []
    assert s3.list_objects_v2(Bucket=app_env["FILES_BUCKET"])["KeyCount"] == 0
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [app_env["FILES_BUCKET"]]


def test_bad_record_body_is_400(client):
    r = client.post("/records", data=b"[1, 2]", content_type="application/json")
    assert r.status_code == 400
