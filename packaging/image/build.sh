#!/bin/sh
# packaging/image/build.sh: builds the RustStack container image (runs on the developer's
# or the CI machine, outside the server) with podman, no registry:
#
#   sh packaging/image/build.sh [BUILDDIR [IMAGE]]
#        BUILDDIR: a configured, built tree (default ./build); IMAGE: default
#        localhost/ruststack, tagged :<version> and :latest.
#
# The base is the Lambda image (packaging/build-lambda-image.sh: Debian 12 minbase made
# with debootstrap, python3 for the process executor, boto3); it is built first when
# missing, so the machine debootstraps once for both images. The context is made here:
# rootfs/ = `make install DESTDIR=` of BUILDDIR (binary, configuration, runtime) plus
# DynamoDB Local (packaging/fetch-dynamodb-local.sh) in /usr/local/share/ruststack, the
# entry point and the health check; the Containerfile adds the binary's shared libraries
# (the Debian packages that own what ldd lists, the same release as the base) and
# openjdk-17-jre-headless. One summary line (size, seconds); on failure the end of the
# log and a non-zero exit. Needs root (podman, and debootstrap for the base).
# Environment: RS_LAMBDA_IMAGE (the base, default localhost/ruststack-python:3.11),
# RS_DDB_LOCAL_DIR (default <repo>/build/dynamodb-local), RS_IMAGE_WORKDIR,
# RS_IMAGE_NO_CACHE=1 (rebuild every layer, as on a fresh machine).
set -eu

RS_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILDDIR=$(cd "${1:-$RS_ROOT/build}" && pwd)
IMAGE=${2:-localhost/ruststack}
BASE=${RS_LAMBDA_IMAGE:-localhost/ruststack-python:3.11}
DDB=${RS_DDB_LOCAL_DIR:-$RS_ROOT/build/dynamodb-local}
WORKROOT=${RS_IMAGE_WORKDIR:-${TMPDIR:-/var/tmp}}

die()
{
    printf 'image/build.sh: %s\n' "$*" >&2
    exit 1
}

command -v podman >/dev/null 2>&1 || die "podman is not installed (sh packaging/setup.sh deps)"
[ -x "$BUILDDIR/ruststack" ] || die "no ruststack binary in $BUILDDIR (sh packaging/setup.sh build)"
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$BUILDDIR/Makefile")
[ -n "$version" ] || die "no PACKAGE_VERSION in $BUILDDIR/Makefile"

start=$(date +%s)
work=$(mktemp -d "$WORKROOT/rs-image.XXXXXX")
log=$work/build.log
trap 'rm -rf "$work"' EXIT
fail()
{
    tail -n 40 "$log" >&2 || true
    cp "$log" "$WORKROOT/rs-image.log" 2>/dev/null || true
    die "$* (full log: $WORKROOT/rs-image.log)"
}

if ! podman image exists "$BASE"; then
    sh "$RS_ROOT/packaging/build-lambda-image.sh" "$BASE" >>"$log" 2>&1 ||
        fail "the base image $BASE could not be built"
fi
sh "$RS_ROOT/packaging/fetch-dynamodb-local.sh" "$DDB" >>"$log" 2>&1 ||
    fail "no DynamoDB Local in $DDB"

# the context: rootfs/ is copied onto / by the Containerfile
ctx=$work/ctx
root=$ctx/rootfs
mkdir -p "$root"
make -C "$BUILDDIR" -s install-strip DESTDIR="$root" >>"$log" 2>&1 ||
    fail "make install into the image's root failed"
prefix=$(sed -n 's/^prefix = //p' "$BUILDDIR/Makefile")
[ "$prefix" = /usr/local ] || fail "BUILDDIR is configured with prefix $prefix, the image expects /usr/local"
share=$root/usr/local/share/ruststack
[ -f "$share/runtime/bootstrap.py" ] || fail "make install put no runtime in $share/runtime"
# what the image does not need: the systemd unit and the host set-up scripts
rm -rf "$root/usr/local/lib/systemd" "$share/setup-services.sh" "$share/fetch-dynamodb-local.sh"
cp -R "$DDB" "$share/dynamodb-local"
rm -f "$share/dynamodb-local/.version"
install -D -m 0755 "$RS_ROOT/packaging/image/entrypoint.sh" "$root/usr/local/bin/ruststack-entrypoint"
install -D -m 0755 "$RS_ROOT/packaging/image/healthcheck.py" "$root/usr/local/bin/ruststack-healthcheck"
install -D -m 0755 "$RS_ROOT/packaging/image/java.sh" "$root/usr/local/bin/ruststack-java"
cp "$RS_ROOT/packaging/image/Containerfile" "$ctx/Containerfile"

# the Debian packages owning the binary's shared libraries (libc6 is in the base)
libs=$(ldd "$BUILDDIR/ruststack" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
    while read -r so; do
        dpkg -S "$(readlink -f "$so")" 2>/dev/null || dpkg -S "$so" 2>/dev/null || true
    done | sed 's/:.*//; s/,.*//' | sort -u | grep -v -x -e libc6 | tr '\n' ' ')
[ -n "$libs" ] || fail "could not map the binary's libraries to Debian packages"

tags="-t $IMAGE:$version -t $IMAGE:latest"
[ "${RS_IMAGE_NO_CACHE:-0}" != 1 ] || tags="$tags --no-cache"
# --format docker: OCI image configs have no HEALTHCHECK (podman drops it there)
# shellcheck disable=SC2086
podman build --format docker --layers $tags --build-arg BASE="$BASE" \
    --build-arg RS_LIBS="$libs" --build-arg RS_VERSION="$version" \
    -f "$ctx/Containerfile" "$ctx" >>"$log" 2>&1 || fail "podman build failed"

size=$(podman image inspect --format '{{ .Size }}' "$IMAGE:$version" 2>/dev/null || echo 0)
echo "image $IMAGE:$version (and :latest): built in $(($(date +%s) - start)) s, $((size / 1000000)) MB (base $BASE; libraries: $libs)"
