#!/bin/sh
# setup-services.sh: the post-install step of an installed RustStack (Debian package,
# RPM or `make install`): DynamoDB Local from Maven Central into
# <datadir>/ruststack/dynamodb-local (needs java 17 and maven), then the container engine
# (podman's Docker-compatible service on /var/run/docker.sock) and the Lambda Python image.
# Each part can be skipped: RS_SKIP_DYNAMODB=1, RS_SKIP_LAMBDA=1. Run as root.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "${RS_SKIP_DYNAMODB:-0}" != 1 ]; then
    sh "$HERE/fetch-dynamodb-local.sh" "$HERE/dynamodb-local"
    echo "setup-services: DynamoDB Local in $HERE/dynamodb-local"
fi
if [ "${RS_SKIP_LAMBDA:-0}" != 1 ]; then
    sh "$HERE/container-engine.sh" start
    sh "$HERE/build-lambda-image.sh"
    echo "setup-services: container engine up, Lambda image built"
fi
echo "setup-services: done; start the service with: systemctl start ruststack"
