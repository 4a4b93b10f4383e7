#!/bin/sh
# packaging/build-deb.sh BUILDDIR [OUTDIR]: the Debian package from the release tarball:
# `make dist` in a configured BUILDDIR, unpack, add packaging/debian as debian/, then
# dpkg-buildpackage -b (binary only, unsigned). Prints the path of the .deb.
# Needs: dpkg-dev, debhelper (apt-get install debhelper) and the build dependencies.
set -eu
BUILD=$(cd "${1:?usage: build-deb.sh BUILDDIR [OUTDIR]}" && pwd)
OUT=${2:-$BUILD/deb}
SRC=$(cd "$(dirname "$0")/.." && pwd)
VERSION=$(sed -n 's/^PACKAGE_VERSION = //p' "$BUILD/Makefile")
rm -rf "$OUT" && mkdir -p "$OUT"
make -C "$BUILD" -s dist-gzip >/dev/null
tar -C "$OUT" -xzf "$BUILD/ruststack-$VERSION.tar.gz"
cp -r "$SRC/packaging/debian" "$OUT/ruststack-$VERSION/debian"
(cd "$OUT/ruststack-$VERSION" && dpkg-buildpackage -b -us -uc >"$OUT/build.log" 2>&1) || {
    tail -40 "$OUT/build.log" >&2
    echo "build-deb.sh: dpkg-buildpackage failed (log: $OUT/build.log)" >&2
    exit 1
}
ls "$OUT"/ruststack_"$VERSION"_*.deb
