#!/bin/sh
# packaging/build-lambda-image.sh: builds the container image the Lambda docker executor
# runs functions in (runs on the developer's or the CI machine, outside the server): a
# Debian bookworm minbase root file system with python3 (3.11) and ca-certificates from
# the machine's own apt mirror, plus a recent boto3 installed with the host's pip, imported
# into podman with CMD python3 and the label io.ruststack.image-version=<N>.
#
#   sh packaging/build-lambda-image.sh [IMAGE]    default localhost/ruststack-python:3.11
#
# Idempotent: does nothing when IMAGE exists with the current version label. Quiet apart
# from one summary line; on failure prints the end of the build log and exits non-zero.
# Needs root (debootstrap), podman, debootstrap, python3 with pip.
# Environment: RS_DEBIAN_MIRROR (default: read from /etc/apt/sources.list*),
# RS_IMAGE_WORKDIR (default ${TMPDIR:-/var/tmp}), RS_IMAGE_FORCE=1 (rebuild anyway).
set -eu

# Bump when the recipe below changes: existing images with an older label are rebuilt.
RS_IMAGE_VERSION=1
RS_IMAGE_SUITE=bookworm
RS_IMAGE_PYTHON=3.11

IMAGE=${1:-localhost/ruststack-python:3.11}
WORKROOT=${RS_IMAGE_WORKDIR:-${TMPDIR:-/var/tmp}}

die()
{
    printf 'build-lambda-image.sh: %s\n' "$*" >&2
    exit 1
}

# current_version: the io.ruststack.image-version label of IMAGE (empty if none / absent).
current_version()
{
    podman image inspect --format '{{ index .Labels "io.ruststack.image-version" }}' \
        "$IMAGE" 2>/dev/null || true
}

# find_mirror: the Debian mirror URI of the machine's apt sources (the first one serving
# the plain suite, either one-line or deb822 format).
find_mirror()
{
    if [ -n "${RS_DEBIAN_MIRROR:-}" ]; then
        printf '%s\n' "$RS_DEBIAN_MIRROR"
        return 0
    fi
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        m=$(awk -v s="$RS_IMAGE_SUITE" '$1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == s) { print $i; exit }
            }' "$f")
        [ -z "$m" ] || {
            printf '%s\n' "$m"
            return 0
        }
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # deb822 stanzas are separated by blank lines; one URI per stanza is enough
        m=$(awk -v s="$RS_IMAGE_SUITE" '
            function flush() { if (deb && suite && uri != "") { print uri; found = 1; exit } }
            /^[ \t]*$/ { flush(); deb = 0; suite = 0; uri = ""; next }
            /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) suite = 1 }
            /^URIs:/ { uri = $2 }
            END { if (!found) flush() }' "$f")
        [ -z "$m" ] || {
            printf '%s\n' "$m"
            return 0
        }
    done
    printf '%s\n' http://deb.debian.org/debian
}

command -v podman >/dev/null 2>&1 || die "podman is not installed"
if [ "${RS_IMAGE_FORCE:-0}" != 1 ] && [ "$(current_version)" = "$RS_IMAGE_VERSION" ]; then
    echo "lambda image $IMAGE: up to date (version $RS_IMAGE_VERSION)"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed"
python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip is not available"

start=$(date +%s)
mirror=$(find_mirror)
work=$(mktemp -d "$WORKROOT/rs-lambda-image.XXXXXX")
log=$work/build.log
rootfs=$work/rootfs
keep_log=""
cleanup()
{
    if [ -n "$keep_log" ]; then
        cp "$log" "$keep_log" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail()
{
    keep_log=$WORKROOT/rs-lambda-image.log
    tail -n 30 "$log" >&2 || true
    die "$* (full log: $keep_log)"
}

debootstrap --variant=minbase --include=python3,ca-certificates "$RS_IMAGE_SUITE" \
    "$rootfs" "$mirror" >>"$log" 2>&1 || fail "debootstrap $RS_IMAGE_SUITE from $mirror failed"
[ -x "$rootfs/usr/bin/python3" ] || fail "no python3 in the root file system"
[ -d "$rootfs/usr/lib/python$RS_IMAGE_PYTHON" ] || fail "the root file system's python is not $RS_IMAGE_PYTHON"

# boto3 and its dependencies are pure-Python wheels: resolve them for the image's Python
# whatever the host's, and keep the compiled .pyc files (containers start faster).
site=$rootfs/usr/local/lib/python$RS_IMAGE_PYTHON/dist-packages
mkdir -p "$site"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --disable-pip-version-check \
    --no-cache-dir --target "$site" --python-version "$RS_IMAGE_PYTHON" \
    --only-binary=:all: boto3 >>"$log" 2>&1 || fail "pip install boto3 failed"
rm -rf "$site/bin"

# trim: package caches, documentation, locales
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
if [ -d "$rootfs/usr/share/locale" ]; then
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias \
        -exec rm -rf {} +
fi

boto3_version=$(sed -n 's/^Version: //p' "$site"/boto3-*.dist-info/METADATA 2>/dev/null | head -n 1)
[ -n "$boto3_version" ] || fail "boto3 is missing from $site"

tar -C "$rootfs" -c . 2>>"$log" |
    podman import --quiet --change 'CMD ["/usr/bin/python3"]' \
        --change "LABEL io.ruststack.image-version=$RS_IMAGE_VERSION" \
        --change "LABEL io.ruststack.boto3-version=$boto3_version" \
        - "$IMAGE" >>"$log" 2>&1 || fail "podman import $IMAGE failed"
[ "$(current_version)" = "$RS_IMAGE_VERSION" ] || fail "$IMAGE has no version label after import"

podman run --rm --network none "$IMAGE" python3 -c 'import boto3, json, http.client, ssl' \
    >>"$log" 2>&1 || fail "$IMAGE cannot import boto3"

size=$(podman image inspect --format '{{ .Size }}' "$IMAGE" 2>/dev/null || echo 0)
echo "lambda image $IMAGE: built version $RS_IMAGE_VERSION (python $RS_IMAGE_PYTHON, boto3 $boto3_version, $((size / 1048576)) MB) in $(($(date +%s) - start)) s"
