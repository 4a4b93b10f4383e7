#!/bin/sh
# tests/integration/run-pytest-plugin.sh: automake test script: the pytest plugin's own
# tests and examples/flask-app/tests, run serially (pytest-plugin.sh), as TAP.
srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec sh "$srcdir/tests/integration/pytest-plugin.sh" serial "$@"
