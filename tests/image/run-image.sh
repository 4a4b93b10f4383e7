#!/bin/sh
# tests/image/run-image.sh: automake test script of the container image suite (runs on the
# test machine, outside the containers). Builds the image from this build tree with
# packaging/image/build.sh (the Lambda image is its base: built first when missing), then
# runs tests/image/test_*.py against containers of it (podman CLI) and the testcontainers
# example through podman's Docker-compatible socket (RS_DOCKER_SOCKET, default
# /var/run/docker.sock, started with packaging/container-engine.sh when it does not
# answer), and streams TAP on stdout, one test point per case (tests/integration's
# tap_report.py). Prints the build time, the image size and run -> healthy as # lines.
# Environment: RS_RUSTSTACK_IMAGE (skip the build and test that image), RS_BUILDDIR,
# RS_CONTAINERS=0 (skip the suite, as packaging/setup.sh skips the engine).

srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
RS_BUILDDIR=${RS_BUILDDIR:-$(pwd)}
RS_DOCKER_SOCKET=${RS_DOCKER_SOCKET:-/var/run/docker.sock}
export RS_BUILDDIR RS_DOCKER_SOCKET
PYTHON=${PYTHON:-python3}
start=$(date +%s)

if [ "${RS_CONTAINERS:-auto}" = 0 ]; then
    echo "1..0 # SKIP RS_CONTAINERS=0: no container engine wanted"
    exit 0
fi
if ! command -v podman >/dev/null 2>&1; then
    echo "Bail out! podman is not installed (sh packaging/setup.sh deps)"
    exit 1
fi
if ! "$PYTHON" -c 'import pytest, boto3, requests, testcontainers' >/dev/null 2>&1; then
    echo "Bail out! python3 lacks one of: pytest boto3 requests testcontainers (sh packaging/setup.sh deps)"
    exit 1
fi
if ! RS_DOCKER_SOCKET=$RS_DOCKER_SOCKET sh "$srcdir/packaging/container-engine.sh" start >&2; then
    echo "Bail out! no container engine on $RS_DOCKER_SOCKET"
    exit 1
fi
if [ -z "${RS_RUSTSTACK_IMAGE:-}" ]; then
    if ! out=$(sh "$srcdir/packaging/image/build.sh" "$RS_BUILDDIR" localhost/ruststack); then
        echo "Bail out! the image did not build (packaging/image/build.sh)"
        exit 1
    fi
    echo "# $out"
    RS_RUSTSTACK_IMAGE=localhost/ruststack:latest
fi
export RS_RUSTSTACK_IMAGE
echo "# image $RS_RUSTSTACK_IMAGE: $(podman image inspect --format '{{.Size}}' "$RS_RUSTSTACK_IMAGE" |
    awk '{printf "%d MB", $1 / 1000000}') ($(($(date +%s) - start)) s so far)"

PYTHONDONTWRITEBYTECODE=1
PYTHONPATH=$srcdir/tests/integration${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE PYTHONPATH
cd "$srcdir/tests/image" || {
    echo "Bail out! no $srcdir/tests/image"
    exit 1
}
"$PYTHON" -m pytest test_image.py test_testcontainers.py -p no:cacheprovider -p no:tap \
    -p tap_report --rs-tap-fd 3 -rfE -s "$@" 3>&1 1>&2
rc=$?
echo "# image suite: $(($(date +%s) - start)) s in all (build and tests)"
if [ "$rc" -eq 5 ]; then
    echo "# pytest collected no tests"
    exit 1
fi
exit "$rc"
