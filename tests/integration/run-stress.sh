#!/bin/sh
# tests/integration/run-stress.sh: automake test script for the multi-core stress test
# (tests/integration/stress_s3.py, which prints TAP); needs the built ruststack binary
# ($RS_BUILDDIR/ruststack, set by the test harness, or RS_BINARY).
srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$srcdir/tests/integration/stress_s3.py"
