/*
 * test_shm.c: the robust-mutex wrapper (EOWNERDEAD repair, failed repair -> poison ->
 * ENOTRECOVERABLE), the crash-point table, and region create/stale replacement.
 * Runs in: tests (forks children that die holding a lock).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/store.h"
#include "shm/crashpoint.h"
#include "shm/lock.h"

typedef struct {
    rs_shm_mutex_t m;
    int value;
    int repaired;
} shared_t;

static shared_t *mk(void)
{
    shared_t *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert(s != MAP_FAILED);
    cr_assert_eq(rs_shm_mutex_init(&s->m), 0);
    return s;
}

static void die_holding(shared_t *s)
{
    pid_t p = fork();
    int st;
    cr_assert(p >= 0);
    if (p == 0) {
        rs_shm_lock(&s->m, NULL, NULL);
        s->value = -1; /* half-done work */
        raise(SIGKILL);
        _exit(0);
    }
    cr_assert_eq(waitpid(p, &st, 0), p);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static int repair_ok(void *arg)
{
    shared_t *s = arg;
    s->value = 0;
    s->repaired++;
    return 0;
}

static int repair_fail(void *arg)
{
    (void)arg;
    return RS_EPOISON;
}

Test(shm_lock, plain_lock_unlock)
{
    shared_t *s = mk();
    cr_assert_eq(rs_shm_lock(&s->m, repair_ok, s), 0);
    rs_shm_unlock(&s->m);
    cr_assert_eq(s->repaired, 0);
}

Test(shm_lock, owner_dead_runs_repair_once)
{
    shared_t *s = mk();
    die_holding(s);
    cr_assert_eq(s->value, -1);
    cr_assert_eq(rs_shm_lock(&s->m, repair_ok, s), 0);
    cr_assert_eq(s->value, 0, "repair must have run");
    cr_assert_eq(s->repaired, 1);
    rs_shm_unlock(&s->m);
    cr_assert_eq(rs_shm_lock(&s->m, repair_ok, s), 0);
    rs_shm_unlock(&s->m);
    cr_assert_eq(s->repaired, 1, "consistent mutex must not repair again");
    cr_assert_eq(s->m.poisoned, 0);
}

Test(shm_lock, repairer_killed_reruns_repair)
{
    shared_t *s = mk();
    die_holding(s);
    /* a repairer that dies in its repair: the next locker gets EOWNERDEAD again */
    pid_t p = fork();
    if (p == 0) {
        pthread_mutex_lock(&s->m.mu); /* EOWNERDEAD: start repair, then die */
        raise(SIGKILL);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    cr_assert(WIFSIGNALED(st));
    cr_assert_eq(rs_shm_lock(&s->m, repair_ok, s), 0);
    cr_assert_eq(s->repaired, 1);
    rs_shm_unlock(&s->m);
}

Test(shm_lock, failed_repair_poisons)
{
    shared_t *s = mk();
    die_holding(s);
    cr_assert_eq(rs_shm_lock(&s->m, repair_fail, s), RS_EPOISON);
    cr_assert_eq(s->m.poisoned, 1);
    /* now ENOTRECOVERABLE: every later lock fails without running a repair */
    cr_assert_eq(rs_shm_lock(&s->m, repair_ok, s), RS_EPOISON);
    cr_assert_eq(s->repaired, 0);
}

Test(crashpoint, table_and_arming)
{
    int n = rs_crashpoint_count();
    cr_assert_gt(n, 20);
    for (int i = 0; i < n; i++) {
        cr_assert_not_null(rs_crashpoint_name(i));
        for (int j = 0; j < i; j++)
            cr_assert_str_neq(rs_crashpoint_name(i), rs_crashpoint_name(j));
    }
    cr_assert_null(rs_crashpoint_name(n));
    cr_assert_eq(rs_crashpoint_arm("NO_SUCH_POINT"), RS_EINVAL);
    pid_t p = fork();
    if (p == 0) {
        rs_crashpoint_arm("PUT_INTENT");
        RS_CRASHPOINT(PUT_SEQ_ODD); /* not armed: passes */
        RS_CRASHPOINT(PUT_INTENT);
        _exit(3);
    }
    int st;
    waitpid(p, &st, 0);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    rs_crashpoint_disarm();
    RS_CRASHPOINT(PUT_INTENT);
}

Test(region, create_stale_and_live)
{
    char name[64];
    rs_store_conf_t c = {.capacity_bytes = 4 << 20,
                         .max_objects = 64,
                         .max_buckets = 4,
                         .max_workers = 2,
                         .max_object_size = 1 << 20};
    rs_store_t *a, *b;
    rs_store_stats_t s;

    snprintf(name, sizeof name, "/rs-test-shm-%d", getpid());
    cr_assert_eq(rs_store_create(name, &c, &a), 0);
    rs_store_stats(a, &s);
    cr_assert_eq(s.generation, 1);
    cr_assert_eq(s.capacity_bytes, 4 << 20);
    /* a live creator's region is not taken over */
    pid_t p = fork();
    if (p == 0) {
        rs_store_t *x;
        _exit(rs_store_create(name, &c, &x) == RS_EEXIST ? 0 : 1);
    }
    int st;
    waitpid(p, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "live region must be refused");
    rs_store_destroy(a, 1);
    /* a region whose creator is dead is replaced with generation + 1 */
    p = fork();
    if (p == 0) {
        rs_store_t *x;
        _exit(rs_store_create(name, &c, &x) == 0 ? 0 : 1);
    }
    waitpid(p, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cr_assert_eq(rs_store_create(name, &c, &b), 0);
    rs_store_stats(b, &s);
    cr_assert_eq(s.generation, 2);
    rs_store_destroy(b, 1);
    c.shards = 3;
    cr_assert_eq(rs_store_create(name, &c, &b), RS_EINVAL);
    cr_assert_str_eq(rs_err_str(RS_ENOTEMPTY), "not empty");
}
