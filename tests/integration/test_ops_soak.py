"""A 60-second soak (bench/soak.py, the 10-minute one is bench/soak.sh and never runs in
CI): mixed S3, DynamoDB and Lambda traffic from 3 accounts while a worker or a supervisor
is SIGKILLed every 15 s; every acknowledged S3 write reads back byte-exact, each account's
usage equals its listing, /_ruststack/check is clean and the server stops gracefully.
Runs in: the pytest process (the driver in a subprocess)."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def test_soak_60_seconds(tmp_path):
    builddir = os.environ.get("RS_BUILDDIR") or os.path.join(ROOT, "build")
    out = tmp_path / "soak.txt"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "soak.py"), "--binary",
                        os.path.join(builddir, "ruststack"), "--seconds", "60", "--kill-every",
                        "15", "--accounts", "3", "--out", str(out)],
                       capture_output=True, text=True, timeout=420)
    text = r.stdout + r.stderr
    assert r.returncode == 0, text
    assert "RESULT: PASS" in text and "nothing lost, byte-exact" in text, text
    assert text.count("SIGKILL") >= 3, text
    assert '/_ruststack/check: 200 {"clean":true}' in text.split("== end")[1], text
