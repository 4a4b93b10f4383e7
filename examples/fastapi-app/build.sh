#!/bin/sh
# examples/fastapi-app/build.sh: package the FastAPI example as a Lambda zip.
#   sh examples/fastapi-app/build.sh [--force] [OUT_DIR]
# Installs requirements.txt with `pip install --target` into OUT_DIR/package (default
# OUT_DIR: examples/fastapi-app/build), adds app.py and handler.py, byte-compiles
# everything as unchecked-hash .pyc (the zip's fixed timestamps must not make them look
# stale: /var/task is read-only, a stale .pyc means compiling at every cold start) and
# writes OUT_DIR/fastapi-app.zip (sorted entries, fixed timestamps, so the same inputs give
# the same CodeSha256). The functions run on Python 3.11 (Debian 12's, as
# in RustStack's image); when PYTHON (default python3) is not 3.11, pip is told to fetch
# CPython 3.11 manylinux wheels instead. Skips the work when the zip is newer than every
# input, unless --force. Prints the zip's path on stdout.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
force=0
if [ "${1:-}" = "--force" ]; then
    force=1
    shift
fi
out=${1:-$here/build}
mkdir -p "$out"
out=$(cd "$out" && pwd)
zip="$out/fastapi-app.zip"
PYTHON=${PYTHON:-python3}
PIP_ROOT_USER_ACTION=ignore
export PIP_ROOT_USER_ACTION
sources="app.py handler.py requirements.txt build.sh"

if [ "$force" -eq 0 ] && [ -s "$zip" ]; then
    stale=0
    for f in $sources; do
        [ "$here/$f" -nt "$zip" ] && stale=1
    done
    if [ "$stale" -eq 0 ]; then
        echo "$zip"
        exit 0
    fi
fi

pkg="$out/package"
rm -rf "$pkg" "$zip.tmp"
mkdir -p "$pkg"
pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$pyver" = "3.11" ]; then
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
        --target "$pkg" -r "$here/requirements.txt" >&2
else
    echo "build.sh: $PYTHON is $pyver: fetching CPython 3.11 wheels" >&2
    "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
        --target "$pkg" --python-version 3.11 --implementation cp \
        --platform manylinux2014_x86_64 --only-binary=:all: -r "$here/requirements.txt" >&2
fi
# Entry points and caches are of no use inside a function.
rm -rf "$pkg/bin"
for f in app.py handler.py; do
    cp "$here/$f" "$pkg/$f"
done
if [ "$pyver" = "3.11" ]; then
    "$PYTHON" -m compileall -q -f --invalidation-mode unchecked-hash "$pkg" >&2 || true
fi

"$PYTHON" - "$pkg" "$zip.tmp" <<'PY'
import os
import sys
import zipfile

root, dest = sys.argv[1], sys.argv[2]
names = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for f in filenames:
        names.append(os.path.relpath(os.path.join(dirpath, f), root))
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(names):
        path = os.path.join(root, name)
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        mode = 0o755 if os.access(path, os.X_OK) else 0o644
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(path, "rb") as f:
            z.writestr(info, f.read())
PY
mv "$zip.tmp" "$zip"
echo "$zip"
