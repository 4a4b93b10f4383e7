#!/bin/sh
# bench/run.sh: run the RustStack benchmark (bench/bench.py) on this machine, bounded to
# five minutes; prints the table and writes it to bench/results-latest.txt.
#   sh bench/run.sh [--seconds N] [--keys N] [--moto-keys N]
# Environment: RS_BINARY (default ./build/ruststack). Options: --config FILE (default:
# a config with access_log = off). Needs wrk, h2o and moto: sh packaging/setup.sh deps.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
binary=${RS_BINARY:-$root/build/ruststack}
[ -x "$binary" ] || {
    echo "bench: no ruststack binary at $binary (sh packaging/setup.sh build)" >&2
    exit 1
}
exec timeout --kill-after=10 300 python3 "$here/bench.py" --binary "$binary" \
    --out "$here/results-latest.txt" "$@"
