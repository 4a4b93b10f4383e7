#!/bin/sh
# tests/integration/run-s3.sh: automake test script for the S3 integration suite
# (tests/integration/test_s3_*.py with boto3, the AWS CLI and curl against the real
# binary), reported as TAP through pytest-tap.sh.
srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec sh "$srcdir/tests/integration/pytest-tap.sh" 'test_s3_*.py' 'pytest boto3 requests' "$@"
