#!/bin/sh
# tests/integration/run-lambda.sh: automake test script for the Lambda integration suite.
# Runs tests/integration/test_lambda_*.py (boto3 control plane and Invoke for both
# executors, the Flask example of examples/flask-app through the API Gateway proxy with
# requests and curl) against the real ruststack binary (conftest.py starts it) and streams
# TAP on stdout, one test point per case (tap_report.py, through pytest-tap.sh).
# The docker executor's cases need RS_DOCKER_SOCKET and RS_LAMBDA_IMAGE (make check sets
# them when the container engine answers); without them they are reported as skipped.
# The Flask zip is built once with examples/flask-app/build.sh (PyPI) into
# $RS_BUILDDIR/examples/flask-app/build. Functions use DynamoDB: DynamoDB Local comes from
# packaging/fetch-dynamodb-local.sh into RS_DDB_LOCAL_DIR (default
# <srcdir>/build/dynamodb-local), fetched once here when missing.

srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
RS_DDB_LOCAL_DIR=${RS_DDB_LOCAL_DIR:-$srcdir/build/dynamodb-local}
export RS_DDB_LOCAL_DIR

for tool in curl java; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "Bail out! no $tool on PATH (sh packaging/setup.sh deps)"
        exit 1
    fi
done
if [ ! -s "$RS_DDB_LOCAL_DIR/DynamoDBLocal.jar" ]; then
    echo "# fetching DynamoDB Local into $RS_DDB_LOCAL_DIR"
    if ! sh "$srcdir/packaging/fetch-dynamodb-local.sh" "$RS_DDB_LOCAL_DIR" >&2; then
        echo "Bail out! no DynamoDB Local in $RS_DDB_LOCAL_DIR" \
            "(sh packaging/fetch-dynamodb-local.sh failed)"
        exit 1
    fi
fi
if [ -z "${RS_DOCKER_SOCKET:-}" ] || [ -z "${RS_LAMBDA_IMAGE:-}" ]; then
    echo "# RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE unset: the docker executor's cases are skipped"
fi

exec sh "$srcdir/tests/integration/pytest-tap.sh" 'test_lambda_*.py' \
    'pytest boto3 requests' "$@"
