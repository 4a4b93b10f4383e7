"""curl: plain unsigned (anonymous) PUT / GET / HEAD / DELETE requests are accepted."""

import shutil
import subprocess

import pytest

CURL = shutil.which("curl")


def curl(*args):
    assert CURL, "curl is not installed"
    res = subprocess.run([CURL, "-sS", "--max-time", "20"] + list(args), capture_output=True,
                         timeout=30)
    assert res.returncode == 0, res.stderr
    return res


def status_of(*args, output="/dev/null"):
    return int(curl("-o", output, "-w", "%{http_code}", *args).stdout)


@pytest.fixture
def base(endpoint):
    return endpoint


def test_curl_bucket_and_object_cycle(base, tmp_path):
    assert status_of("-X", "PUT", base + "/curl-bucket") == 200
    f = tmp_path / "in.bin"
    data = bytes(range(256)) * 100
    f.write_bytes(data)
    assert status_of("-X", "PUT", "--data-binary", "@" + str(f),
                     "-H", "Content-Type: application/octet-stream",
                     base + "/curl-bucket/dir/in.bin") == 200
    out = tmp_path / "out.bin"
    assert status_of(base + "/curl-bucket/dir/in.bin", output=str(out)) == 200
    assert out.read_bytes() == data
    head = curl("-I", base + "/curl-bucket/dir/in.bin").stdout.decode()
    assert head.startswith("HTTP/1.1 200")
    assert "content-length: %d" % len(data) in head.lower()
    assert "x-amz-request-id:" in head.lower()
    assert status_of("-X", "DELETE", base + "/curl-bucket/dir/in.bin") == 204
    assert status_of(base + "/curl-bucket/dir/in.bin") == 404
    assert status_of("-X", "DELETE", base + "/curl-bucket") == 204


def test_curl_upload_file_T(base, tmp_path):
    status_of("-X", "PUT", base + "/curl-t")
    f = tmp_path / "t.txt"
    f.write_bytes(b"uploaded with -T\n")
    assert status_of("-T", str(f), base + "/curl-t/t.txt") == 200
    assert curl(base + "/curl-t/t.txt").stdout == b"uploaded with -T\n"


def test_curl_range_and_list(base):
    status_of("-X", "PUT", base + "/curl-r")
    status_of("-X", "PUT", "--data-binary", "0123456789", base + "/curl-r/d")
    assert curl("-r", "3-5", base + "/curl-r/d").stdout == b"345"
    listing = curl(base + "/curl-r?list-type=2").stdout
    assert b"<Key>d</Key>" in listing
