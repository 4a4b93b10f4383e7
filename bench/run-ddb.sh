#!/bin/sh
# bench/run-ddb.sh: run the DynamoDB benchmark (bench/ddb_bench.py) on this machine,
# bounded to three minutes; prints the table and writes it to bench/results-ddb-latest.txt.
#   sh bench/run-ddb.sh [--seconds N] [--conns N] [--warmup N] [--no-moto] [--workers 1]
# It also prints the latency floor of the proxy's shape (bench/ddb_floor.c, built with cc)
# and its relays' CPU, the CPU per request of the workers, the ddb supervisor and
# DynamoDB Local, and the issue's three targets with PASS/MISS (--workers 1 --no-moto: only
# what the targets need).
# Where the microseconds go (supervisor hop vs worker hop), and an A/B of two builds in
# the same minute: python3 bench/ddb_hops.py before=BINARY after=BINARY.
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
