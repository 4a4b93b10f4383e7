#!/bin/sh
# bench/run-lambda.sh: run the Lambda benchmark (bench/lambda_bench.py) on this machine,
# bounded to eight and a half minutes; prints the table and writes it to
# bench/results-lambda-latest.txt.
#   sh bench/run-lambda.sh [--executors docker,process] [--requests N] [--seconds N] [--cold N]
#                          [--hot N] [--only-hot] [--only-cold]
# Measures, per executor: hot reload of examples/flask-app (the 1st Invoke after an edit
# of app.py against the app's import time in the same environment and a cold start of the
# same function; --hot N rounds, 0 skips; --only-hot: nothing else), cold start
# (CreateFunction -> first response), warm Invoke p50/p99 of a trivial handler with 1 and 10 clients beside the handler's own time, and an API
# Gateway proxy request to examples/flask-app (built with its build.sh: PyPI once); for
# the docker executor first, the container engine's CPU with 10 idle warm environments over
# 60 s (--idle-envs N, --idle-seconds N; 0 skips it).
# Cold starts are printed beside AWS's Runtime Interface Emulator running awslambdaric on
# the same handler, in the same run, with the targets (process executor <= RIE, docker
# executor < 100 ms) and PASS/MISS: RIE is built by bench/build-rie.sh (Go module proxy,
# into build/rie, once) unless RS_RIE names a binary; RS_RIE=none skips it.
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
rie=${RS_RIE:-}
if [ -z "$rie" ]; then
    rie=$(timeout 300 sh "$here/build-rie.sh" "$root/build/rie" | tail -n 1) || {
        echo "bench: RIE could not be built (see above); its cold start is not measured" >&2
        rie=
    }
fi
[ "$rie" = none ] && rie=
exec timeout --kill-after=10 510 python3 "$here/lambda_bench.py" --binary "$binary" \
    --rie "$rie" --out "$here/results-lambda-latest.txt" "$@"
