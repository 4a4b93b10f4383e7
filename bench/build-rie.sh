#!/bin/sh
# bench/build-rie.sh: fetch AWS's Lambda Runtime Interface Emulator (RIE) from its public Go
# source through the Go module proxy and build it, for bench/lambda_bench.py's cold start
# comparison; install AWS's Python runtime client (awslambdaric) from PyPI when missing.
# Nothing of RIE is kept in this repository. Prints the binary's path on the last line.
#   sh bench/build-rie.sh [DIR]     (default: build/rie; the binary is DIR/bin/aws-lambda-rie)
# Environment: RS_RIE_VERSION (the module version; default: the one pinned below),
# GOPROXY (default https://proxy.golang.org).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
dir=${1:-$root/build/rie}
version=${RS_RIE_VERSION:-v0.0.0-20261030222936-bef5c4ba774d}
module=github.com/aws/aws-lambda-runtime-interface-emulator
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$dir/bin/aws-lambda-rie
if [ ! -x "$bin" ] || [ "$(cat "$dir/version" 2>/dev/null)" != "$version" ]; then
    command -v go >/dev/null 2>&1 || {
        echo "build-rie: no go toolchain on PATH (apt-get install golang or set PATH)" >&2
        exit 1
    }
    echo "build-rie: building $module/cmd/aws-lambda-rie@$version" >&2
    GOFLAGS=-mod=mod GOPROXY=${GOPROXY:-https://proxy.golang.org} GOPATH=$dir/gopath \
        GOBIN=$dir/bin GOCACHE=$dir/gocache CGO_ENABLED=0 \
        go install "$module/cmd/aws-lambda-rie@$version" >&2
    chmod -R u+w "$dir/gopath" 2>/dev/null || true
    echo "$version" >"$dir/version"
fi
python3 -c 'import awslambdaric' 2>/dev/null || python3 -m pip install -q awslambdaric >&2
echo "$bin"
