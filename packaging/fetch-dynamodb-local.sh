#!/bin/sh
# packaging/fetch-dynamodb-local.sh: obtain DynamoDB Local from Maven Central (runs on the
# developer's or the CI machine, outside the server).
#
#   sh packaging/fetch-dynamodb-local.sh [DEST]     (default DEST: <repo>/build/dynamodb-local)
#
# Lays out what the ddb supervisor expects in its `dynamodb_local_dir`:
#   DEST/DynamoDBLocal.jar                        the server
#   DEST/DynamoDBLocal_lib/*.jar                  its dependencies (Maven names)
#   DEST/DynamoDBLocal_lib/libsqlite4java-linux-amd64.so   the SQLite native library
# The Maven jars do not carry the names of the jar's manifest Class-Path, so the server is
# started with `-cp DEST/DynamoDBLocal.jar:DEST/DynamoDBLocal_lib/*` and its main class, and
# `-Djava.library.path=DEST/DynamoDBLocal_lib` (sqlite4java looks there for
# libsqlite4java-linux-amd64.so). Idempotent: does nothing when DEST is complete.
# Needs `mvn` (Debian package maven) and `java` (openjdk-17-jre-headless).
# Environment: RS_DDBLOCAL_VERSION (default below), RS_SQLITE4JAVA_VERSION, MVN.
set -eu

RS_ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$RS_ROOT/build/dynamodb-local}
VERSION=${RS_DDBLOCAL_VERSION:-3.3.1}
SQLITE_VERSION=${RS_SQLITE4JAVA_VERSION:-1.0.392}
MVN=${MVN:-mvn}
NATIVE=libsqlite4java-linux-amd64.so

die()
{
    printf 'fetch-dynamodb-local.sh: %s\n' "$*" >&2
    exit 1
}

complete()
{
    [ -s "$DEST/DynamoDBLocal.jar" ] && [ -s "$DEST/DynamoDBLocal_lib/$NATIVE" ] &&
        [ -f "$DEST/.version" ] && [ "$(cat "$DEST/.version")" = "$VERSION" ]
}

if complete; then
    exit 0
fi

command -v "$MVN" >/dev/null 2>&1 ||
    die "maven not found: install it (apt-get install maven) or set MVN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rs-ddblocal.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

cat >"$WORK/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ruststack</groupId>
  <artifactId>fetch-dynamodb-local</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>software.amazon.dynamodb</groupId>
      <artifactId>DynamoDBLocal</artifactId>
      <version>$VERSION</version>
    </dependency>
    <dependency>
      <groupId>com.almworks.sqlite4java</groupId>
      <artifactId>libsqlite4java-linux-amd64</artifactId>
      <version>$SQLITE_VERSION</version>
      <type>so</type>
    </dependency>
  </dependencies>
</project>
EOF

mkdir -p "$WORK/lib"
if ! "$MVN" -q -B -f "$WORK/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$WORK/lib" -DincludeScope=runtime >"$WORK/mvn.log" 2>&1; then
    cat "$WORK/mvn.log" >&2
    die "mvn could not fetch software.amazon.dynamodb:DynamoDBLocal:$VERSION"
fi

JAR=$WORK/lib/DynamoDBLocal-$VERSION.jar
SO=$WORK/lib/libsqlite4java-linux-amd64-$SQLITE_VERSION.so
[ -s "$JAR" ] || die "DynamoDBLocal-$VERSION.jar missing from the Maven download"
[ -s "$SO" ] || die "libsqlite4java-linux-amd64-$SQLITE_VERSION.so missing from the Maven download"

# Stage next to DEST and swap in, so an interrupted run never leaves a half-filled DEST.
mkdir -p "$(dirname "$DEST")"
STAGE=$DEST.new.$$
rm -rf "$STAGE"
mkdir -p "$STAGE/DynamoDBLocal_lib"
mv "$JAR" "$STAGE/DynamoDBLocal.jar"
mv "$SO" "$STAGE/DynamoDBLocal_lib/$NATIVE"
rm -f "$WORK"/lib/*.so "$WORK"/lib/*.dll "$WORK"/lib/*.dylib
mv "$WORK"/lib/*.jar "$STAGE/DynamoDBLocal_lib/"
printf '%s\n' "$VERSION" >"$STAGE/.version"
rm -rf "$DEST"
mv "$STAGE" "$DEST"
complete || die "layout check failed in $DEST"
