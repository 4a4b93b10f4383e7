#!/bin/sh
# bench/run-mpu.sh: the multipart upload benchmark (bench/mpu_bench.py), bounded to five
# minutes; prints the table and writes it to bench/results-mpu-latest.txt.
#   sh bench/run-mpu.sh [--mib N] [--moto-mib N] [--rounds N]
# Environment: RS_BINARY (default ./build/ruststack). Needs boto3 and moto. The store gets
# 2 x --mib + 6 MiB per --parts + 512 MiB of capacity (1,000 parts of 5 MiB by default): mind the RAM.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
binary=${RS_BINARY:-$root/build/ruststack}
[ -x "$binary" ] || {
    echo "bench: no ruststack binary at $binary (sh packaging/setup.sh build)" >&2
    exit 1
}
cd "$here"
exec timeout --kill-after=10 300 python3 "$here/mpu_bench.py" --binary "$binary" \
    --out "$here/results-mpu-latest.txt" "$@"
