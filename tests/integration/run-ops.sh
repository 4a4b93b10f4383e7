#!/bin/sh
# tests/integration/run-ops.sh: automake test script for the operations suite: the
# systemd notify protocol and unit, the Prometheus metrics endpoint, the Debian package.
# TAP on stdout through pytest-tap.sh.
srcdir=${RS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec sh "$srcdir/tests/integration/pytest-tap.sh" 'test_ops_*.py' 'pytest requests' "$@"
