/*
 * test_status.c: the status board (src/core/status.c): defaults, set/get across fork,
 * reason truncation, the names, a writer that died mid-update (readers do not wedge and
 * report STARTING; the next write repairs it), concurrent reader consistency.
 * Runs in: the test.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rs/status.h"

/* the board's private layout, mirrored to simulate a writer killed mid-update; the
 * test checks the mirror against the API before relying on it */
typedef struct mirror_entry {
    _Atomic uint64_t seq;
    _Atomic uint32_t state;
    _Atomic char reason[256];
} mirror_entry_t;
typedef struct mirror {
    uint32_t magic;
    mirror_entry_t e[RS_SVC__COUNT];
} mirror_t;

Test(status, defaults_and_names)
{
    rs_status_board_t *b = rs_status_create();
    cr_assert_not_null(b);
    cr_assert_eq(rs_status_current(), b);
    char r[64] = "junk";
    cr_assert_eq(rs_status_get(b, RS_SVC_DYNAMODB, r, sizeof(r)), RS_SVC_DISABLED);
    cr_assert_str_eq(r, "");
    cr_assert_str_eq(rs_status_name(RS_SVC_DISABLED), "disabled");
    cr_assert_str_eq(rs_status_name(RS_SVC_STARTING), "starting");
    cr_assert_str_eq(rs_status_name(RS_SVC_RUNNING), "running");
    cr_assert_str_eq(rs_status_name(RS_SVC_UNAVAILABLE), "unavailable");
    rs_status_destroy(b);
    cr_assert_null(rs_status_current());
}

Test(status, set_get_and_truncate)
{
    rs_status_board_t *b = rs_status_create();
    rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_UNAVAILABLE, "java not found: install it");
    rs_status_set(b, RS_SVC_LAMBDA, RS_SVC_RUNNING, NULL);
    char r[128];
    cr_assert_eq(rs_status_get(b, RS_SVC_DYNAMODB, r, sizeof(r)), RS_SVC_UNAVAILABLE);
    cr_assert_str_eq(r, "java not found: install it");
    cr_assert_eq(rs_status_get(b, RS_SVC_LAMBDA, r, sizeof(r)), RS_SVC_RUNNING);
    cr_assert_str_eq(r, "");
    char small[5];
    rs_status_get(b, RS_SVC_DYNAMODB, small, sizeof(small));
    cr_assert_str_eq(small, "java");
    char longr[600];
    memset(longr, 'x', sizeof(longr));
    longr[599] = '\0';
    rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_STARTING, longr);
    char back[600];
    cr_assert_eq(rs_status_get(b, RS_SVC_DYNAMODB, back, sizeof(back)), RS_SVC_STARTING);
    cr_assert_eq(strlen(back), 255);
    cr_assert_eq(rs_status_get(b, RS_SVC__COUNT, back, sizeof(back)), RS_SVC_DISABLED);
    rs_status_destroy(b);
}

Test(status, shared_across_fork)
{
    rs_status_board_t *b = rs_status_create();
    pid_t pid = fork();
    if (pid == 0) {
        rs_status_set(rs_status_current(), RS_SVC_DYNAMODB, RS_SVC_RUNNING, "from child");
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    char r[64];
    cr_assert_eq(rs_status_get(b, RS_SVC_DYNAMODB, r, sizeof(r)), RS_SVC_RUNNING);
    cr_assert_str_eq(r, "from child");
    rs_status_destroy(b);
}

/* Heartbeats: one per process, written by the child and read by the master. */
Test(status, heartbeats_cross_fork)
{
    rs_status_board_t *b = rs_status_create();
    cr_assert_eq(rs_status_last_beat(b, RS_BEAT_WORKER(3)), 0);
    rs_status_beat_at(b, RS_BEAT_WORKER(3), 1234);
    cr_assert_eq(rs_status_last_beat(b, RS_BEAT_WORKER(3)), 1234);
    pid_t pid = fork();
    if (pid == 0) {
        rs_status_beat(rs_status_current(), RS_BEAT_SUP(RS_SVC_LAMBDA));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    cr_assert_gt(rs_status_last_beat(b, RS_BEAT_SUP(RS_SVC_LAMBDA)), 0);
    cr_assert_eq(rs_status_last_beat(b, RS_BEAT_SUP(RS_SVC_DYNAMODB)), 0);
    /* out of range: ignored, reads 0 */
    rs_status_beat_at(b, RS_BEAT_WORKER(100000), 5);
    cr_assert_eq(rs_status_last_beat(b, RS_BEAT_WORKER(100000)), 0);
    cr_assert_eq(rs_status_last_beat(NULL, 0), 0);
    rs_status_destroy(b);
}

Test(status, dead_writer_does_not_wedge, .timeout = 10)
{
    rs_status_board_t *b = rs_status_create();
    mirror_t *m = (mirror_t *)b;
    rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_RUNNING, "ok");
    cr_assert_eq(atomic_load(&m->e[RS_SVC_DYNAMODB].seq), 2, "mirror layout is stale");
    cr_assert_eq(atomic_load(&m->e[RS_SVC_DYNAMODB].state), RS_SVC_RUNNING);
    /* a writer killed between its two seq stores */
    atomic_store(&m->e[RS_SVC_DYNAMODB].seq, 3);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char r[64] = "x";
    cr_assert_eq(rs_status_get(b, RS_SVC_DYNAMODB, r, sizeof(r)), RS_SVC_STARTING);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert_lt(t1.tv_sec - t0.tv_sec, 2);
    /* the other service is untouched */
    cr_assert_eq(rs_status_get(b, RS_SVC_LAMBDA, r, sizeof(r)), RS_SVC_DISABLED);
    /* the next write repairs it */
    rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_RUNNING, "again");
    cr_assert_eq(atomic_load(&m->e[RS_SVC_DYNAMODB].seq) % 2, 0);
    cr_assert_eq(rs_status_get(b, RS_SVC_DYNAMODB, r, sizeof(r)), RS_SVC_RUNNING);
    cr_assert_str_eq(r, "again");
    rs_status_destroy(b);
}

/* a reader never sees a state paired with another state's reason */
Test(status, readers_see_consistent_pairs, .timeout = 30)
{
    rs_status_board_t *b = rs_status_create();
    rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_STARTING, "starting reason");
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 200000; i++) {
            if (i & 1)
                rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_RUNNING, "running reason, long text");
            else
                rs_status_set(b, RS_SVC_DYNAMODB, RS_SVC_STARTING, "starting reason");
        }
        _exit(0);
    }
    int bad = 0, st;
    for (int i = 0; i < 200000; i++) {
        char r[64];
        rs_svc_state_t s = rs_status_get(b, RS_SVC_DYNAMODB, r, sizeof(r));
        if (s == RS_SVC_RUNNING && strcmp(r, "running reason, long text") != 0)
            bad++;
        if (s == RS_SVC_STARTING && strcmp(r, "starting reason") != 0 && r[0] != '\0')
            bad++;
    }
    waitpid(pid, &st, 0);
    cr_assert_eq(bad, 0);
    rs_status_destroy(b);
}

Test(status, domains_generation)
{
    rs_status_board_t *b = rs_status_create();
    cr_assert_not_null(b);
    uint32_t n = 99;
    uint64_t g0 = rs_status_domains(b, &n);
    cr_assert_eq(n, 0);
    rs_status_set_domains(b, 2);
    uint64_t g1 = rs_status_domains(b, &n);
    cr_assert_eq(n, 2);
    cr_assert_neq(g0, g1);
    rs_status_set_domains(b, 2); /* a republication moves the generation too */
    cr_assert_neq(rs_status_domains(b, &n), g1);
    rs_status_set_domains(NULL, 1); /* no board: nothing */
    rs_status_destroy(b);
}
