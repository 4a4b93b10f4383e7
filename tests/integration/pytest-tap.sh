#!/bin/sh
# tests/integration/pytest-tap.sh: the one pytest runner behind the automake test scripts
# (run-s3.sh, run-ddb.sh). Usage: pytest-tap.sh 'GLOB' 'MODULES' [pytest args]: checks
# that python3 imports MODULES, runs the pytest files matching GLOB in
# tests/integration against the real ruststack binary (conftest.py starts it) and streams
# TAP on stdout, one test point per case (tap_report.py); pytest's own report goes to
# stderr (the log). pytest-tap is not used: its 3.5 release cannot load under pytest >= 9,
# so it is disabled with -p no:tap in case it is installed.
# Exit status: pytest's; "no tests collected" (5) counts as a failure.

glob=$1
modules=$2
shift 2
srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
RS_BUILDDIR=${RS_BUILDDIR:-$(pwd)}
export RS_BUILDDIR

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import $(echo "$modules" | tr ' ' ',')" >/dev/null 2>&1; then
    echo "Bail out! python3 lacks one of: $modules (sh packaging/setup.sh deps)"
    exit 1
fi

# Never write bytecode or caches into a (possibly read-only) source tree.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

cd "$srcdir/tests/integration" || {
    echo "Bail out! no $srcdir/tests/integration"
    exit 1
}
# shellcheck disable=SC2086
"$PYTHON" -m pytest $glob -p no:cacheprovider -p no:tap -p tap_report \
    --rs-tap-fd 3 -rfE "$@" 3>&1 1>&2
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "# pytest collected no tests"
    exit 1
fi
exit "$rc"
