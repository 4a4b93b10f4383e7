#!/bin/sh
# tests/integration/run-ddb.sh: automake test script for the DynamoDB integration suite.
# Runs tests/integration/test_ddb_*.py (boto3 client and resource API, the AWS CLI,
# PynamoDB, fault tests) against the real ruststack binary with the real DynamoDB Local
# (conftest.py starts both) and streams TAP on stdout, one test point per case
# (tap_report.py); pytest's own report goes to stderr (the log).
# DynamoDB Local comes from packaging/fetch-dynamodb-local.sh into RS_DDB_LOCAL_DIR
# (default <srcdir>/build/dynamodb-local); when it is missing this script runs the fetch
# once (Maven Central) and bails out if that fails.
# Exit status: pytest's; "no tests collected" (5) counts as a failure.

srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${RS_BUILDDIR:-$(pwd)}
RS_BUILDDIR=$builddir
export RS_BUILDDIR
RS_DDB_LOCAL_DIR=${RS_DDB_LOCAL_DIR:-$srcdir/build/dynamodb-local}
export RS_DDB_LOCAL_DIR

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import pytest, boto3, requests, pynamodb' >/dev/null 2>&1; then
    echo "Bail out! python3 lacks pytest, boto3, requests or pynamodb (pip install pynamodb)"
    exit 1
fi
if ! command -v java >/dev/null 2>&1; then
    echo "Bail out! no java on PATH (apt-get install openjdk-17-jre-headless)"
    exit 1
fi
if [ ! -s "$RS_DDB_LOCAL_DIR/DynamoDBLocal.jar" ]; then
    echo "# fetching DynamoDB Local into $RS_DDB_LOCAL_DIR"
    if ! sh "$srcdir/packaging/fetch-dynamodb-local.sh" "$RS_DDB_LOCAL_DIR" >&2; then
        echo "Bail out! no DynamoDB Local in $RS_DDB_LOCAL_DIR" \
            "(sh packaging/fetch-dynamodb-local.sh failed)"
        exit 1
    fi
fi

# Never write bytecode or caches into a (possibly read-only) source tree.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

cd "$srcdir/tests/integration" || {
    echo "Bail out! no $srcdir/tests/integration"
    exit 1
}
"$PYTHON" -m pytest test_ddb_*.py -p no:cacheprovider -p no:tap -p tap_report \
    --rs-tap-fd 3 -rfE "$@" 3>&1 1>&2
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "# pytest collected no tests"
    exit 1
fi
exit "$rc"
