#!/bin/sh
# packaging/setup.sh: the one set-up script of RustStack (runs on the developer's or the
# CI machine, outside the server).
#
#   sh packaging/setup.sh deps    install the Debian packages and Python packages we need
#   sh packaging/setup.sh build   autoreconf, configure --enable-werror, make in ./build
#                                 (no deps step)
#   sh packaging/setup.sh run     deps + build, then run the server on 127.0.0.1:4566
#                                 (extra arguments go to ruststack, e.g. --workers 4)
#   sh packaging/setup.sh test    deps + build, make check (with the container image
#                                 suite, tests/image), ASan/UBSan unit+crash tests,
#                                 make distcheck, then one summary line per suite
#   sh packaging/setup.sh summary print the summary of the last test run again
#   sh packaging/setup.sh wheel   build the pytest plugin's wheel into <build>/wheels
#
# Every dependency is one function deps_<name>; `deps` runs the functions named in
# RS_DEP_STEPS in order, so a new dependency is a new function plus its name there.
# Environment: RS_BUILD_DIR (default ./build), RS_ASAN_DIR (default ./build-asan),
# RS_JOBS (default: number of cores), RS_CONFIG (default conf/ruststack.conf),
# RS_SKIP_DEPS=1 (use what is installed), CI=true (clean build dirs, full failing logs),
# RS_CONTAINERS=auto|1|0 (the containers step: auto warns and goes on when the machine
# cannot run containers, 1 makes that fatal, 0 skips the step).
set -eu

RS_ROOT=$(cd "$(dirname "$0")/.." && pwd)
RS_BUILD_DIR=${RS_BUILD_DIR:-$RS_ROOT/build}
RS_ASAN_DIR=${RS_ASAN_DIR:-$RS_ROOT/build-asan}
RS_JOBS=${RS_JOBS:-$(nproc 2>/dev/null || echo 2)}
RS_CONFIG=${RS_CONFIG:-$RS_ROOT/conf/ruststack.conf}
RS_DEP_STEPS="apt python dynamodb containers"
CI=${CI:-false}

RS_APT_PACKAGES="build-essential autoconf automake libtool autoconf-archive pkg-config
libh2o-evloop-dev h2o libxml2-dev libjson-c-dev libssl-dev libarchive-dev libcriterion-dev
clang-format wrk curl ca-certificates python3 util-linux procps
maven openjdk-17-jre-headless systemd dpkg-dev debhelper fakeroot clang libclang-rt-14-dev
chromium chromium-driver"

# Python modules the tests and benchmarks import, as "module=pip-requirement".
# (pytest-tap is not used: its 3.5 release cannot load under pytest >= 9; the
# integration suite reports TAP through its own plugin, tests/integration/tap_report.py.)
RS_PY_MODULES="boto3=boto3 awscli=awscli pytest=pytest requests=requests
moto=moto[server] flask=moto[server] flask_cors=moto[server]
pynamodb=pynamodb awslambdaric=awslambdaric apig_wsgi=apig-wsgi
serverless_wsgi=serverless-wsgi mangum=mangum asgiref=asgiref selenium=selenium
testcontainers=testcontainers xdist=pytest-xdist"

log()
{
    printf '==> %s\n' "$*" >&2
}

die()
{
    printf 'setup.sh: %s\n' "$*" >&2
    exit 1
}

as_root()
{
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# ---- dependencies ---------------------------------------------------------------------

deps_apt()
{
    missing=""
    for p in $RS_APT_PACKAGES; do
        st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$st" = installed ] || missing="$missing $p"
    done
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
        missing="$missing python3-pip"
    fi
    if [ -z "$missing" ]; then
        log "apt: all packages present"
        return 0
    fi
    log "apt: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q
    # shellcheck disable=SC2086
    as_root apt-get install -y -q --no-install-recommends $missing
}

# py_missing: the pip requirements (deduplicated) whose module python3 cannot import.
py_missing()
{
    python3 - $RS_PY_MODULES <<'EOF'
import importlib, sys
reqs = []
for pair in sys.argv[1:]:
    mod, req = pair.split("=", 1)
    try:
        importlib.import_module(mod)
    except Exception:
        if req not in reqs:
            reqs.append(req)
print(" ".join(reqs))
EOF
}

deps_python()
{
    command -v python3 >/dev/null 2>&1 || die "python3 not found"
    reqs=$(py_missing)
    if [ -z "$reqs" ]; then
        log "python: all modules present ($(command -v python3))"
        return 0
    fi
    log "python: installing $reqs into $(command -v python3)"
    # Debian's own python3 is "externally managed" (PEP 668); pip versions that know
    # PEP 668 honour this variable, older ones ignore it.
    PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore \
        python3 -m pip install -q $reqs
    if command -v pyenv >/dev/null 2>&1; then
        pyenv rehash || true
    fi
    [ -z "$(py_missing)" ] || die "python packages still missing: $(py_missing)"
}

# DynamoDB Local from Maven Central into build/dynamodb-local (the ddb supervisor's
# dynamodb_local_dir for source-tree runs and the tests).
RS_DDB_LOCAL_DIR=${RS_DDB_LOCAL_DIR:-$RS_ROOT/build/dynamodb-local}
export RS_DDB_LOCAL_DIR

deps_dynamodb()
{
    log "dynamodb: DynamoDB Local in $RS_DDB_LOCAL_DIR"
    sh "$RS_ROOT/packaging/fetch-dynamodb-local.sh" "$RS_DDB_LOCAL_DIR"
}

# The container engine for the Lambda docker executor (podman's Docker API service with
# runc, see packaging/container-engine.sh) and the Lambda image; on success
# RS_DOCKER_SOCKET and RS_LAMBDA_IMAGE are exported (the real-engine tests use them).
RS_CONTAINER_PACKAGES="podman runc uidmap slirp4netns fuse-overlayfs debootstrap"
RS_CONTAINERS=${RS_CONTAINERS:-auto}
# CI must prove Lambda on the real engine: there a containers failure is fatal
if [ "$CI" = true ] && [ "$RS_CONTAINERS" = auto ]; then
    RS_CONTAINERS=1
fi
RS_LAMBDA_IMAGE=${RS_LAMBDA_IMAGE:-localhost/ruststack-python:3.11}

containers_fail()
{
    if [ "$RS_CONTAINERS" = 1 ]; then
        die "containers: $*"
    fi
    log "containers: WARNING: $* (Lambda's docker executor and its tests will not run;"
    log "containers: RS_CONTAINERS=1 makes this fatal)"
}

deps_containers()
{
    if [ "$RS_CONTAINERS" = 0 ]; then
        log "containers: skipped (RS_CONTAINERS=0)"
        return 0
    fi
    missing=""
    for p in $RS_CONTAINER_PACKAGES; do
        st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$st" = installed ] || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        log "containers: installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086
        if ! { as_root apt-get update -q && as_root apt-get install -y -q $missing; }; then
            containers_fail "could not install$missing"
            return 0
        fi
    fi
    RS_DOCKER_SOCKET=${RS_DOCKER_SOCKET:-/var/run/docker.sock}
    log "containers: engine on $RS_DOCKER_SOCKET"
    if ! as_root env RS_DOCKER_SOCKET="$RS_DOCKER_SOCKET" \
        sh "$RS_ROOT/packaging/container-engine.sh" start; then
        containers_fail "the container engine did not start"
        return 0
    fi
    log "containers: image $RS_LAMBDA_IMAGE"
    if ! as_root sh "$RS_ROOT/packaging/build-lambda-image.sh" "$RS_LAMBDA_IMAGE"; then
        containers_fail "the Lambda image $RS_LAMBDA_IMAGE could not be built"
        return 0
    fi
    export RS_DOCKER_SOCKET RS_LAMBDA_IMAGE
}

do_deps()
{
    if [ "${RS_SKIP_DEPS:-0}" = 1 ]; then
        log "deps: skipped (RS_SKIP_DEPS=1)"
        return 0
    fi
    for step in $RS_DEP_STEPS; do
        "deps_$step"
    done
}

# ---- build ----------------------------------------------------------------------------

# autoreconf under a lock (/tmp/rs-autoreconf.lock): parallel builds may regenerate at once.
regen()
{
    log "autoreconf -fi"
    (cd "$RS_ROOT" && sh tests/unit/gen-local-am.sh &&
        flock /tmp/rs-autoreconf.lock autoreconf -fi)
}

# configure_in DIR ARGS...: configure DIR out of tree unless it is already configured.
configure_in()
{
    dir=$1
    shift
    mkdir -p "$dir"
    if [ ! -f "$dir/config.status" ]; then
        log "configure $* in $dir"
        (cd "$dir" && "$RS_ROOT/configure" -q "$@")
    fi
}

do_build()
{
    if [ "$CI" = true ]; then
        # a clean build, keeping the DynamoDB Local download that deps put there
        if [ -d "$RS_BUILD_DIR" ]; then
            find "$RS_BUILD_DIR" -mindepth 1 -maxdepth 1 ! -name dynamodb-local \
                -exec rm -rf {} +
        fi
        rm -rf "$RS_ASAN_DIR"
    fi
    regen
    configure_in "$RS_BUILD_DIR" --enable-werror
    log "make -j$RS_JOBS in $RS_BUILD_DIR"
    make -C "$RS_BUILD_DIR" -s -j"$RS_JOBS"
}

do_run()
{
    do_deps
    do_build
    # the configuration, plus the source tree's DynamoDB Local (later lines win)
    runconf="$RS_BUILD_DIR/ruststack-run.conf"
    {
        cat "$RS_CONFIG"
        printf '\n# added by packaging/setup.sh run\ndynamodb_local_dir = %s\n' "$RS_DDB_LOCAL_DIR"
        printf 'lambda_runtime_path = %s\n' "$RS_ROOT/runtime"
        if [ -n "${RS_DOCKER_SOCKET:-}" ]; then
            printf 'docker_socket = %s\nlambda_image = %s\n' "$RS_DOCKER_SOCKET" "$RS_LAMBDA_IMAGE"
        else
            # no container engine here (RS_CONTAINERS=0 or it failed, see above)
            printf 'lambda_executor = process\n'
        fi
    } >"$runconf"
    log "starting ruststack on 127.0.0.1:4566 (Ctrl-C stops it)"
    exec "$RS_BUILD_DIR/ruststack" --config "$runconf" --bind 127.0.0.1 --port 4566 "$@"
}

# ---- tests ----------------------------------------------------------------------------

# list_tests DIR: the TESTS list of the configured build in DIR, one per line.
list_tests()
{
    printf 'rs-print-tests:\n\t@echo $(TESTS)\n' >"$RS_TMP/print.mk"
    make -s -C "$1" -f Makefile -f "$RS_TMP/print.mk" rs-print-tests | tr ' ' '\n' | sed '/^$/d'
}

# trs_of TEST: the .trs file automake writes for TEST (the .sh extension is a test
# extension; binaries have none).
trs_of()
{
    case "$1" in
    *.sh) printf '%s.trs\n' "${1%.sh}" ;;
    *) printf '%s.trs\n' "$1" ;;
    esac
}

# summarize DIR LABEL SUITE...: append "LABEL<suite>: N passed, N failed" per suite,
# counted from the .trs files of DIR, to $RS_TMP/summary, and the logs of failed tests to
# $RS_TMP/failed; a test with no .trs (not built, crashed driver) counts as failed.
# Returns non-zero when any suite has a failure.
summarize()
{
    dir=$1
    label=$2
    shift 2
    list_tests "$dir" >"$RS_TMP/tests"
    bad=0
    for suite in "$@"; do
        pass=0
        fail=0
        skip=0
        for t in $(grep "^tests/$suite/" "$RS_TMP/tests" || true); do
            trs="$dir/$(trs_of "$t")"
            if [ ! -f "$trs" ]; then
                printf '%s%s: %s produced no results\n' "$label" "$suite" "$t" \
                    >>"$RS_TMP/summary"
                fail=$((fail + 1))
                continue
            fi
            # One line per test case: ":test-result: PASS|FAIL|XFAIL|SKIP|ERROR|XPASS".
            counts=$(awk '/^:test-result:/ {
                    if ($2 == "PASS" || $2 == "XFAIL") p++;
                    else if ($2 == "SKIP") s++;
                    else f++;
                } END { printf "%d %d %d\n", p, f, s }' "$trs")
            read -r p f s <<EOF
$counts
EOF
            pass=$((pass + p))
            fail=$((fail + f))
            skip=$((skip + s))
            [ "$f" -eq 0 ] || echo "${trs%.trs}.log" >>"$RS_TMP/failed"
        done
        {
            [ "$skip" -eq 0 ] || printf '%s%s: %d skipped\n' "$label" "$suite" "$skip"
            # a suite that skipped itself whole (1..0 # SKIP) says so above
            if [ $((pass + fail + skip)) -eq 0 ]; then
                printf '%s%s: no test ran (build failed?)\n' "$label" "$suite"
                fail=1
            fi
            printf '%s%s: %d passed, %d failed\n' "$label" "$suite" "$pass" "$fail"
        } >>"$RS_TMP/summary"
        [ "$fail" -eq 0 ] || bad=1
    done
    return $bad
}

do_test()
{
    do_deps
    do_build
    RS_TMP=$(mktemp -d)
    trap 'rm -rf "$RS_TMP"' EXIT
    status=0

    log "make check in $RS_BUILD_DIR"
    make -C "$RS_BUILD_DIR" -j"$RS_JOBS" check || status=1

    log "ASan/UBSan build in $RS_ASAN_DIR (unit and crash tests)"
    asan_ok=1
    configure_in "$RS_ASAN_DIR" --enable-werror --enable-sanitizers || asan_ok=0
    if [ $asan_ok = 1 ]; then
        asan_tests=$(list_tests "$RS_ASAN_DIR" | grep -E '^tests/(unit|crash)/' | tr '\n' ' ')
        # Criterion's runner leaks its parsed arguments: not ours, so not reported.
        printf 'leak:libcriterion.so\n' >"$RS_TMP/lsan.supp"
        ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
            LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$RS_TMP/lsan.supp:print_suppressions=0} \
            UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
            make -C "$RS_ASAN_DIR" -j"$RS_JOBS" check TESTS="$asan_tests" || asan_ok=0
    fi
    [ $asan_ok = 1 ] || status=1

    log "clang-format check (.clang-format)"
    : >"$RS_TMP/format"
    for f in $(cd "$RS_ROOT" && git ls-files '*.c' '*.h' 2>/dev/null ||
        find src include tests -name '*.[ch]'); do
        clang-format --dry-run --Werror "$RS_ROOT/$f" >/dev/null 2>&1 || echo "$f" >>"$RS_TMP/format"
    done
    [ ! -s "$RS_TMP/format" ] || status=1

    # distcheck: the tarball builds (-Werror), installs, uninstalls and passes the unit and
    # crash suites out of tree; the integration suites already ran above, so instead the
    # tarball must hold every file git tracks (what the integration suites need included)
    log "make distcheck (unit and crash suites) and the tarball's file list"
    dist_ok=1
    make -C "$RS_BUILD_DIR" -j"$RS_JOBS" distcheck \
        DISTCHECK_CONFIGURE_FLAGS="--enable-werror --disable-integration-tests" || dist_ok=0
    if [ $dist_ok = 1 ] && command -v git >/dev/null 2>&1 && [ -d "$RS_ROOT/.git" ]; then
        version=$(sed -n 's/^PACKAGE_VERSION = //p' "$RS_BUILD_DIR/Makefile")
        tar -tzf "$RS_BUILD_DIR/ruststack-$version.tar.gz" | sed "s|^ruststack-$version/||" |
            sort >"$RS_TMP/tar.list"
        (cd "$RS_ROOT" && git ls-files) | grep -v -e '^\.ci/' -e '^\.gitignore$' |
            sort >"$RS_TMP/git.list"
        comm -13 "$RS_TMP/tar.list" "$RS_TMP/git.list" >"$RS_TMP/missing"
        if [ -s "$RS_TMP/missing" ]; then
            log "tracked files missing from the tarball (add them to EXTRA_DIST):"
            cat "$RS_TMP/missing" >&2
            dist_ok=0
        fi
    fi
    [ $dist_ok = 1 ] || status=1

    if [ $dist_ok = 1 ]; then
        echo "distcheck: passed" >"$RS_TMP/dist"
    else
        echo "distcheck: FAILED" >"$RS_TMP/dist"
    fi

    log "fuzz targets (libFuzzer, ${RS_FUZZ_SECONDS:-15} s each)"
    RS_FUZZ_SECONDS=${RS_FUZZ_SECONDS:-15} sh "$RS_ROOT/tests/fuzz/run.sh" "$RS_BUILD_DIR" \
        >"$RS_TMP/fuzz.out" 2>&1 || status=1
    tail -n 20 "$RS_TMP/fuzz.out" >&2
    grep '^fuzz: ' "$RS_TMP/fuzz.out" | tail -n 1 >>"$RS_TMP/dist" ||
        echo "fuzz: 0 passed, 1 failed (no summary line)" >>"$RS_TMP/dist"

    log "pytest plugin wheel (pip wheel ./python/pytest-ruststack)"
    do_wheel "$RS_BUILD_DIR/wheels" >>"$RS_TMP/dist" || status=1

    log "Debian package: build (dpkg-buildpackage) and install check"
    if deb=$(sh "$RS_ROOT/packaging/build-deb.sh" "$RS_BUILD_DIR" "$RS_TMP/deb"); then
        as_root sh "$RS_ROOT/packaging/check-deb.sh" "$deb" >>"$RS_TMP/dist" || status=1
    else
        echo "deb: FAILED: the package did not build" >>"$RS_TMP/dist"
        status=1
    fi
    do_summary || status=1
    return $status
}

# do_wheel DIR: build the pytest plugin's wheel (python/pytest-ruststack, from a copy: pip
# builds in the package's directory) into DIR and check it registers the pytest11 entry
# point; prints "wheel: passed (<file>)" or "wheel: FAILED (...)".
do_wheel()
{
    wdir=$1
    wsrc=$(mktemp -d)
    cp -R "$RS_ROOT/python/pytest-ruststack" "$wsrc/pkg"
    rm -rf "$wsrc/pkg/build" "$wsrc/pkg/src/"*.egg-info "$wdir"
    if PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
        python3 -m pip wheel -q --no-deps -w "$wdir" "$wsrc/pkg" >"$wsrc/log" 2>&1; then
        whl=$(ls "$wdir"/pytest_ruststack-*.whl 2>/dev/null | head -n 1)
        if [ -n "$whl" ] && python3 -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
ep = [n for n in z.namelist() if n.endswith(".dist-info/entry_points.txt")]
sys.exit(0 if ep and "pytest11" in z.read(ep[0]).decode() else 1)' "$whl"; then
            echo "wheel: passed ($(basename "$whl"))"
            rm -rf "$wsrc"
            return 0
        fi
        echo "wheel: FAILED (no wheel with a pytest11 entry point in $wdir)"
    else
        echo "wheel: FAILED (pip wheel: $(tail -n 2 "$wsrc/log" | tr '\n' ' '))"
    fi
    rm -rf "$wsrc"
    return 1
}

# do_summary: the summary of the last test run in the build directories (the closing
# lines of `test`; `sh packaging/setup.sh summary` prints it again).
do_summary()
{
    if [ -z "${RS_TMP:-}" ]; then
        RS_TMP=$(mktemp -d)
        trap 'rm -rf "$RS_TMP"' EXIT
    fi
    : >"$RS_TMP/summary"
    : >"$RS_TMP/failed"
    sbad=0
    # image: the container image suite (tests/image/run-image.sh builds the image and runs
    # the acceptance against containers of it)
    summarize "$RS_BUILD_DIR" "" unit crash integration image || sbad=1
    if [ -f "$RS_ASAN_DIR/Makefile" ]; then
        summarize "$RS_ASAN_DIR" "asan " unit crash || sbad=1
    else
        echo "asan: not built" >>"$RS_TMP/summary"
        sbad=1
    fi
    if [ "$CI" = true ]; then
        # The logs of failed tests first (their ends), so the summary closes the output.
        while read -r f; do
            printf -- '\n---- %s (last 150 lines) ----\n' "$f"
            tail -n 150 "$f" 2>/dev/null || true
        done <"$RS_TMP/failed"
    fi
    echo
    echo "==== RustStack test summary ===="
    cat "$RS_TMP/summary"
    if [ -f "$RS_TMP/format" ]; then
        if [ -s "$RS_TMP/format" ]; then
            printf 'format: %d files differ from clang-format:' "$(wc -l <"$RS_TMP/format")"
            tr '\n' ' ' <"$RS_TMP/format"
            echo
            sbad=1
        else
            echo "format: clang-format clean"
        fi
    fi
    if [ -f "$RS_TMP/dist" ]; then
        cat "$RS_TMP/dist"
        ! grep -q -e FAILED -e 'fuzz: .* [1-9][0-9]* failed' "$RS_TMP/dist" || sbad=1
    fi
    if [ $sbad = 0 ]; then echo "RESULT: all passed"; else echo "RESULT: FAILED"; fi
    return $sbad
}

# ---- main -----------------------------------------------------------------------------

cmd=${1:-}
[ $# -eq 0 ] || shift
case "$cmd" in
deps) do_deps ;;
build) do_build ;;
run) do_run "$@" ;;
test) do_test ;;
summary) do_summary ;;
wheel) do_wheel "$RS_BUILD_DIR/wheels" ;;
*)
    echo "usage: sh packaging/setup.sh deps|build|run|test|summary|wheel" >&2
    exit 2
    ;;
esac
