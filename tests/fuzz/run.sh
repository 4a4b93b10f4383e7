#!/bin/sh
# run.sh: build every fuzz target (tests/fuzz/fuzz_*.c) with clang and
# -fsanitize=fuzzer,address,undefined against a clang+sanitizer build of librs.a made in
# its own directory, run each for RS_FUZZ_SECONDS (default 20) from its seed corpus
# (tests/fuzz/corpus/<target>/) after replaying tests/fuzz/regressions/<target>/, and
# print "fuzz: N passed, N failed". Exit status 0 only when every target passed.
#
# Usage: sh tests/fuzz/run.sh [BUILD_DIR] [target ...]
#   BUILD_DIR: where to put the fuzz build (BUILD_DIR/fuzz; default /tmp/rs-fuzz).
#   RS_FUZZ_SECONDS: seconds per target; RS_FUZZ_JOBS: targets run at once (default 2).
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
FZ="$SRC/tests/fuzz"
if [ $# -gt 0 ]; then
    BASE=$1
    shift
else
    BASE=/tmp/rs-fuzz
fi
mkdir -p "$BASE" || exit 1
BASE=$(cd "$BASE" && pwd)
OUT="$BASE/fuzz"
LIB="$OUT/lib"
SECS=${RS_FUZZ_SECONDS:-20}
JOBS=${RS_FUZZ_JOBS:-2}
CC_FUZZ=${RS_FUZZ_CC:-clang}

fail_setup() {
    echo "fuzz: $1" >&2
    echo "fuzz: 0 passed, 1 failed"
    exit 1
}

command -v "$CC_FUZZ" >/dev/null 2>&1 || fail_setup "$CC_FUZZ not found (apt-get install clang libclang-rt-14-dev)"
mkdir -p "$LIB" "$OUT/bin" "$OUT/logs" "$OUT/work" || fail_setup "cannot create $OUT"

# probe: can this clang link a libFuzzer binary?
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$OUT/probe.c"
"$CC_FUZZ" -fsanitize=fuzzer,address,undefined "$OUT/probe.c" -o "$OUT/probe" >"$OUT/logs/probe.log" 2>&1 ||
    fail_setup "$CC_FUZZ cannot link -fsanitize=fuzzer (see $OUT/logs/probe.log)"

# librs.a built by clang with the sanitizers and fuzzer coverage instrumentation
if [ ! -f "$LIB/Makefile" ]; then
    (cd "$LIB" && "$SRC/configure" CC="$CC_FUZZ" --enable-sanitizers \
        CFLAGS="-g -O1 -fsanitize=fuzzer-no-link" >"$OUT/logs/configure.log" 2>&1) ||
        fail_setup "configure failed (see $OUT/logs/configure.log)"
fi
make -C "$LIB" -j2 librs.a >"$OUT/logs/make.log" 2>&1 || fail_setup "librs.a failed to build (see $OUT/logs/make.log)"

LIBS="$(pkg-config --libs libh2o-evloop libxml-2.0 json-c openssl libarchive) -lpthread -lrt -lm"
CFLAGS_FUZZ="-std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter -Werror -DH2O_USE_LIBUV=0 -fno-omit-frame-pointer \
 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 -I$LIB -I$SRC/include -I$SRC/src -I$FZ $(pkg-config --cflags libxml-2.0 json-c)"

if [ $# -gt 0 ]; then
    TARGETS="$*"
else
    TARGETS=$(cd "$FZ" && ls fuzz_*.c | sed 's/\.c$//')
fi

# one target: build, replay the regressions, fuzz from the corpus for $SECS seconds
run_one() {
    t=$1
    log="$OUT/logs/$t.log"
    : >"$log"
    # shellcheck disable=SC2086
    if ! "$CC_FUZZ" $CFLAGS_FUZZ "$FZ/$t.c" "$LIB/librs.a" $LIBS -o "$OUT/bin/$t" >>"$log" 2>&1; then
        echo "FAIL $t: build (see $log)"
        return 1
    fi
    dict=""
    [ -f "$FZ/dict/$t.dict" ] && dict="-dict=$FZ/dict/$t.dict"
    opts="-timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    if [ -d "$FZ/regressions/$t" ] && [ -n "$(ls -A "$FZ/regressions/$t" 2>/dev/null)" ]; then
        # shellcheck disable=SC2086
        if ! (cd "$OUT/work" && "$OUT/bin/$t" $opts "$FZ"/regressions/$t/*) >>"$log" 2>&1; then
            echo "FAIL $t: a regression input crashes again (see $log)"
            return 1
        fi
    fi
    corpus="$OUT/work/corpus-$t"
    rm -rf "$corpus" "$OUT/work/artifacts-$t"
    mkdir -p "$corpus" "$OUT/work/artifacts-$t"
    [ -d "$FZ/corpus/$t" ] && cp "$FZ/corpus/$t"/* "$corpus"/ 2>/dev/null
    # shellcheck disable=SC2086
    if (cd "$OUT/work" && "$OUT/bin/$t" $opts $dict -max_total_time="$SECS" \
        -artifact_prefix="$OUT/work/artifacts-$t/" "$corpus") >>"$log" 2>&1; then
        echo "ok   $t"
        return 0
    fi
    echo "FAIL $t: $(grep -m1 -E 'ERROR: |runtime error|Test unit written' "$log")"
    for a in "$OUT/work/artifacts-$t"/*; do
        [ -f "$a" ] || continue
        echo "     input: $a"
        echo "     base64: $(base64 -w0 "$a" | cut -c1-4000)"
    done
    # the report's frames in our code, for a CI log that keeps only stdout
    grep -E '^ *#[0-9]+ .*(/src/|/tests/fuzz/)' "$log" | head -n 15 | sed 's/^ */     /'
    return 1
}

pass=0
failed=0
RES="$OUT/results"
: >"$RES"
running=0
for t in $TARGETS; do
    (
        if run_one "$t"; then echo "pass $t" >>"$RES"; else echo "fail $t" >>"$RES"; fi
    ) &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait
        running=0
    fi
done
wait
pass=$(grep -c '^pass' "$RES")
failed=$(grep -c '^fail' "$RES")
echo "fuzz: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
