#!/bin/sh
# regen.sh: regenerate the autotools files under a lock (several people edit *.am at once).
cd "$(dirname "$0")/.." && exec flock /tmp/rs-autoreconf.lock autoreconf -fi
