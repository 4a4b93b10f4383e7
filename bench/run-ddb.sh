#!/bin/sh
# bench/run-ddb.sh: run the DynamoDB benchmark (bench/ddb_bench.py) on this machine,
# bounded to three minutes; prints the table and writes it to bench/results-ddb-latest.txt.
#   sh bench/run-ddb.sh [--seconds N] [--conns N] [--no-moto]
# Environment: RS_BINARY (default ./build/ruststack), RS_DDB_LOCAL_DIR (default
# ./build/dynamodb-local, from sh packaging/fetch-dynamodb-local.sh). Needs wrk, java, moto.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
binary=${RS_BINARY:-$root/build/ruststack}
ddbdir=${RS_DDB_LOCAL_DIR:-$root/build/dynamodb-local}
[ -x "$binary" ] || {
    echo "bench: no ruststack binary at $binary (sh packaging/setup.sh build)" >&2
    exit 1
}
exec timeout --kill-after=10 180 python3 "$here/ddb_bench.py" --binary "$binary" \
    --ddb-local-dir "$ddbdir" --out "$here/results-ddb-latest.txt" "$@"
