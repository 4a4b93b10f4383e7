#!/bin/sh
# tests/integration/run-s3.sh: automake test script for the S3 integration suite. Runs the
# pytest files tests/integration/test_s3_*.py against the real ruststack binary (started by
# conftest.py) and streams TAP on stdout (one test point per case, tap_report.py) so the
# automake TAP driver records every test case; pytest's own report goes to stderr (the log).
# pytest-tap is not used: its 3.5 release cannot load under pytest >= 9, so it is disabled
# with -p no:tap in case it is installed.
# Exit status: pytest's; "no tests collected" (5) counts as a failure.

srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${RS_BUILDDIR:-$(pwd)}
RS_BUILDDIR=$builddir
export RS_BUILDDIR

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import pytest, boto3, requests' >/dev/null 2>&1; then
    echo "Bail out! python3 lacks pytest, boto3 or requests"
    exit 1
fi

# Never write bytecode or caches into a (possibly read-only) source tree.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

cd "$srcdir/tests/integration" || {
    echo "Bail out! no $srcdir/tests/integration"
    exit 1
}
"$PYTHON" -m pytest test_s3_*.py -p no:cacheprovider -p no:tap -p tap_report \
    --rs-tap-fd 3 -rfE "$@" 3>&1 1>&2
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "# pytest collected no tests"
    exit 1
fi
exit "$rc"
