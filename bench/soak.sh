#!/bin/sh
# bench/soak.sh: the soak test (bench/soak.py): 10 minutes by default (RS_SOAK_SECONDS to
# change it) of mixed S3, DynamoDB and Lambda traffic from 4 accounts against a server
# started here on loopback, with a worker or supervisor SIGKILLed every 30 s; prints
# requests, errors, RSS, open fds and shared-store use at the start and the end, checks
# every acknowledged S3 write byte for byte and /_ruststack/check. Exit 0 when it passed.
#   sh bench/soak.sh [--seconds N] [--accounts N] [--workers N] [--kill-every S] [--out FILE]
# Environment: RS_BINARY (default ./build/ruststack), RS_SOAK_SECONDS (default 600),
# RS_DDB_LOCAL_DIR (default ./build/dynamodb-local; without it DynamoDB is off). The
# server runs with a data_dir in a temporary directory (--in-memory: without; DynamoDB
# Local then loses its tables whenever its supervisor is killed).
# The run is bounded: the seconds asked for plus 5 minutes of start-up and verification.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
binary=${RS_BINARY:-$root/build/ruststack}
[ -x "$binary" ] || {
    echo "soak: no ruststack binary at $binary (sh packaging/setup.sh build)" >&2
    exit 1
}
secs=${RS_SOAK_SECONDS:-600}
exec timeout --kill-after=10 $((secs + 300)) python3 "$here/soak.py" --binary "$binary" \
    --seconds "$secs" "$@"
