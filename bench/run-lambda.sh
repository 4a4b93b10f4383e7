#!/bin/sh
# bench/run-lambda.sh: run the Lambda benchmark (bench/lambda_bench.py) on this machine,
# bounded to eight and a half minutes; prints the table and writes it to
# bench/results-lambda-latest.txt.
#   sh bench/run-lambda.sh [--executors docker,process] [--requests N] [--seconds N] [--cold N]
# Measures, per executor: cold start (CreateFunction -> first response), warm Invoke p50/p99
# of a trivial handler with 1 and 10 clients beside the handler's own time, and an API
# Gateway proxy request to examples/flask-app (built with its build.sh: PyPI once); for
# the docker executor first, the container engine's CPU with 10 idle warm environments over
# 60 s (--idle-envs N, --idle-seconds N; 0 skips it).
# Environment: RS_BINARY (default ./build/ruststack); RS_DOCKER_SOCKET and RS_LAMBDA_IMAGE
# for the docker executor (defaults: the server's, /var/run/docker.sock and
# localhost/ruststack-python:3.11; sh packaging/container-engine.sh start). An executor
# that cannot run is reported as not measured, with the reason. RS_BENCH_FN_TIMEOUT: the
# functions' Timeout in seconds (default 30).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
binary=${RS_BINARY:-$root/build/ruststack}
[ -x "$binary" ] || {
    echo "bench: no ruststack binary at $binary (sh packaging/setup.sh build)" >&2
    exit 1
}
exec timeout --kill-after=10 510 python3 "$here/lambda_bench.py" --binary "$binary" \
    --out "$here/results-lambda-latest.txt" "$@"
