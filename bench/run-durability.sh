#!/bin/sh
# bench/run-durability.sh: 4 KiB PUT req/s for each s3_durability mode (always, interval,
# stop) in one run, a few seconds each, bounded to two minutes; prints the table and
# writes it to bench/results-durability-latest.txt.
#   sh bench/run-durability.sh [--seconds N] [--workers N] [--conns N]
# Environment: RS_BINARY (default ./build/ruststack). Needs wrk.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
binary=${RS_BINARY:-$root/build/ruststack}
[ -x "$binary" ] || {
    echo "bench: no ruststack binary at $binary (sh packaging/setup.sh build)" >&2
    exit 1
}
exec timeout --kill-after=10 120 python3 "$here/durability.py" --binary "$binary" \
    --out "$here/results-durability-latest.txt" "$@"
