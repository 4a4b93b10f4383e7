#!/bin/sh
# tests/integration/run-ddb.sh: automake test script for the DynamoDB integration suite.
# Runs tests/integration/test_ddb_*.py (boto3 client and resource API, the AWS CLI,
# PynamoDB, fault tests) against the real ruststack binary with the real DynamoDB Local
# (conftest.py starts both) and streams TAP on stdout, one test point per case
# (tap_report.py, through pytest-tap.sh).
# DynamoDB Local comes from packaging/fetch-dynamodb-local.sh into RS_DDB_LOCAL_DIR
# (default <srcdir>/build/dynamodb-local); when it is missing this script runs the fetch
# once (Maven Central) and bails out if that fails.

srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
RS_DDB_LOCAL_DIR=${RS_DDB_LOCAL_DIR:-$srcdir/build/dynamodb-local}
export RS_DDB_LOCAL_DIR

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

exec sh "$srcdir/tests/integration/pytest-tap.sh" 'test_ddb_*.py' \
    'pytest boto3 requests pynamodb' "$@"
