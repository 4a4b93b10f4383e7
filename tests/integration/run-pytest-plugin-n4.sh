#!/bin/sh
# tests/integration/run-pytest-plugin-n4.sh: automake test script: the pytest plugin's own
# tests and examples/flask-app/tests under pytest-xdist -n 4 (pytest-plugin.sh), as TAP.
srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec sh "$srcdir/tests/integration/pytest-plugin.sh" n4 "$@"
