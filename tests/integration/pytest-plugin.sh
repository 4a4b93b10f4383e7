#!/bin/sh
# tests/integration/pytest-plugin.sh MODE [pytest args]: the pytest plugin's suite behind
# run-pytest-plugin.sh (MODE serial) and run-pytest-plugin-n4.sh (MODE n4: pytest-xdist
# with -n 4). Installs python/pytest-ruststack with pip (from a copy in the build tree,
# into <builddir>/pytest-plugin-MODE/site, put on PYTHONPATH: the system's python is left
# alone), then runs two pytest sessions against the built binary (RS_BUILDDIR/ruststack,
# started by the plugin itself; DynamoDB Local from RS_DDB_LOCAL_DIR, the Lambda runtime
# of the source tree, the process executor): the plugin's own tests
# (python/pytest-ruststack/tests) and examples/flask-app/tests. Streams one TAP stream on
# stdout (the two sessions' points renumbered, one plan); pytest's report goes to stderr.
mode=$1
shift
srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
RS_BUILDDIR=${RS_BUILDDIR:-$(pwd)}
PYTHON=${PYTHON:-python3}
export RS_BUILDDIR

case "$mode" in
serial) xdist="" ;;
n4) xdist="-n 4" ;;
*)
    echo "Bail out! pytest-plugin.sh: MODE is serial or n4, not '$mode'"
    exit 1
    ;;
esac
if ! "$PYTHON" -c "import pytest, boto3, requests, flask, xdist" >/dev/null 2>&1; then
    echo "Bail out! python3 lacks one of: pytest boto3 requests flask xdist (pytest-xdist:" \
        "sh packaging/setup.sh deps)"
    exit 1
fi
if [ ! -x "$RS_BUILDDIR/ruststack" ]; then
    echo "Bail out! no ruststack binary in $RS_BUILDDIR"
    exit 1
fi

work="$RS_BUILDDIR/pytest-plugin-$mode"
rm -rf "$work"
mkdir -p "$work/tap" || exit 1
# pip builds in the package's directory: a copy, so the source tree stays clean
cp -R "$srcdir/python/pytest-ruststack" "$work/pkg" || exit 1
rm -rf "$work/pkg/build" "$work/pkg/src/"*.egg-info
if ! PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
    "$PYTHON" -m pip install -q --no-deps --target "$work/site" "$work/pkg" >"$work/pip.log" 2>&1; then
    echo "Bail out! pip install ./python/pytest-ruststack failed: $(tail -n 3 "$work/pip.log")"
    exit 1
fi

PYTHONPATH="$work/site:$srcdir/tests/integration${PYTHONPATH:+:$PYTHONPATH}"
PYTHONDONTWRITEBYTECODE=1
RS_BINARY="$RS_BUILDDIR/ruststack"
RS_RUNTIME_DIR="$srcdir/runtime"
RS_DDB_LOCAL_DIR=${RS_DDB_LOCAL_DIR:-$RS_BUILDDIR/dynamodb-local}
[ -f "$RS_DDB_LOCAL_DIR/DynamoDBLocal.jar" ] || RS_DDB_LOCAL_DIR="$srcdir/build/dynamodb-local"
FLASK_APP_BUILD="$RS_BUILDDIR/examples/flask-app/build"
export PYTHONPATH PYTHONDONTWRITEBYTECODE RS_BINARY RS_RUNTIME_DIR RS_DDB_LOCAL_DIR FLASK_APP_BUILD
unset RUSTSTACK_ENDPOINT RUSTSTACK_BINARY

status=0
n=0
for suite in plugin flask; do
    n=$((n + 1))
    case $suite in
    plugin) dir="$srcdir/python/pytest-ruststack/tests" ;;
    flask) dir="$srcdir/examples/flask-app/tests" ;;
    esac
    # shellcheck disable=SC2086
    (cd "$dir" && "$PYTHON" -m pytest -p no:cacheprovider -p no:tap -p tap_report \
        --rs-tap-fd 3 -rfE --basetemp="$work/tmp-$suite" $xdist \
        --ruststack-binary "$RS_BINARY" \
        --ruststack-conf "dynamodb_local_dir = $RS_DDB_LOCAL_DIR" \
        --ruststack-conf "lambda_runtime_path = $RS_RUNTIME_DIR" \
        "$@" 3>"$work/tap/$n" 1>&2)
    rc=$?
    [ "$rc" -eq 0 ] || status=1
    if [ "$rc" -eq 5 ]; then
        echo "not ok - $suite: pytest collected no tests" >>"$work/tap/$n"
    fi
done

# one stream: the points renumbered with the mode and suite in their names, one plan
awk -v mode="$mode" '
    FNR == 1 { suite = (FILENAME ~ /\/1$/) ? "plugin" : "flask" }
    /^1\.\.[0-9]+$/ { next }
    /^(not )?ok / {
        ok = ($1 == "ok")
        sub(/^(not )?ok [0-9]* *-? */, "")
        count++
        printf "%s %d - [%s %s] %s\n", ok ? "ok" : "not ok", count, mode, suite, $0
        next
    }
    { print }
    END { printf "1..%d\n", count }
' "$work/tap/1" "$work/tap/2"
exit $status
