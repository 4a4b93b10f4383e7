#!/bin/sh
# tests/integration/run-persist.sh: automake test script for the persistence suite
# (data_dir: S3 store file, DynamoDB Local -dbPath, Lambda registry; SIGTERM and SIGKILL
# restarts, refusals) and s3_durability (test_s3_durability.py). TAP on stdout through
# pytest-tap.sh.
srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec sh "$srcdir/tests/integration/pytest-tap.sh" 'test_persist.py test_s3_durability.py' 'pytest requests boto3' "$@"
