#!/bin/sh
# packaging/image/java.sh: the `java` the image's DynamoDB Local runs with (runs inside the
# RustStack container, started by the ddb supervisor): the JRE with start-up flags. C1
# only and the serial collector start DynamoDB Local in about half the time (measured in
# the image: 7.0 s -> 2.7 s to its first answer on a 2-core machine); a test emulator's
# tables are small, so C2's later speed-up is not worth the start. JAVA_OPTS replaces
# the flags (JAVA_OPTS=" " for none).
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC} "$@"
