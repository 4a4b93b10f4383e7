/*
 * test_supervisor.c: supervised children (src/core/child.c): spawn and reap, the
 * restart backoff (doubling, capped, reset after a stable life), output capture, stop
 * with TERM, stop escalating to KILL, death with the parent (PR_SET_PDEATHSIG).
 * Runs in: the test.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rs/child.h"
#include "rs/os.h"
#include "rs/log.h"

static void exit3(void *arg)
{
    (void)arg;
    _exit(3);
}

static void say_hello(void *arg)
{
    (void)arg;
    printf("hello from the child\n");
    fflush(stdout);
    fprintf(stderr, "and stderr\n");
    _exit(0);
}

static void sleeper(void *arg)
{
    int ignore_term = arg != NULL;
    if (ignore_term)
        signal(SIGTERM, SIG_IGN);
    for (;;)
        pause();
}

static int wait_reaped(rs_child_t *c, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (rs_child_poll(c, rs_mono_ms()))
            return 1;
        usleep(10000);
    }
    return 0;
}

Test(supervisor, spawn_reap_and_backoff)
{
    rs_log_set_level(RS_LOG_EMERG); /* obituaries would clutter the TAP output */
    rs_child_t c;
    rs_child_init(&c, "test child");
    c.backoff_min_ms = 100;
    c.backoff_max_ms = 350;
    int64_t delays[5];
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(rs_child_spawn(&c, SIGKILL, exit3, NULL), 0);
        cr_assert_gt(c.pid, 0);
        cr_assert(wait_reaped(&c, 5000));
        cr_assert_eq(c.pid, 0);
        delays[i] = c.next_spawn_ms - rs_mono_ms();
    }
    /* 0, then 100, 200, then capped at 350 */
    cr_assert_leq(delays[0], 0);
    cr_assert(delays[1] > 50 && delays[1] <= 100, "%lld", (long long)delays[1]);
    cr_assert(delays[2] > 150 && delays[2] <= 200, "%lld", (long long)delays[2]);
    cr_assert(delays[3] > 300 && delays[3] <= 350, "%lld", (long long)delays[3]);
    cr_assert(delays[4] > 300 && delays[4] <= 350, "%lld", (long long)delays[4]);
    /* a child that lived longer than stable_ms resets the backoff */
    c.stable_ms = 0;
    cr_assert_eq(rs_child_spawn(&c, SIGKILL, exit3, NULL), 0);
    cr_assert(wait_reaped(&c, 5000));
    cr_assert_leq(c.next_spawn_ms - rs_mono_ms(), 0);
}

Test(supervisor, capture_output)
{
    rs_log_set_level(RS_LOG_EMERG);
    rs_child_t c;
    rs_child_init(&c, "talker");
    c.capture = 1;
    cr_assert_eq(rs_child_spawn(&c, SIGKILL, say_hello, NULL), 0);
    cr_assert_geq(c.out_fd, 0);
    char buf[256];
    size_t got = 0;
    ssize_t n;
    while ((n = read(c.out_fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    cr_assert(strstr(buf, "hello from the child\n") != NULL, "%s", buf);
    cr_assert(strstr(buf, "and stderr\n") != NULL, "%s", buf);
    cr_assert(wait_reaped(&c, 5000));
    close(c.out_fd);
}

Test(supervisor, stop_with_term)
{
    rs_log_set_level(RS_LOG_EMERG);
    rs_child_t c;
    rs_child_init(&c, "sleeper");
    cr_assert_eq(rs_child_spawn(&c, SIGKILL, sleeper, NULL), 0);
    pid_t pid = c.pid;
    int64_t t0 = rs_mono_ms();
    rs_child_stop(&c, 5000);
    cr_assert_eq(c.pid, 0);
    cr_assert_lt(rs_mono_ms() - t0, 2000);
    cr_assert_eq(kill(pid, 0), -1); /* reaped: gone */
}

Test(supervisor, stop_escalates_to_kill, .timeout = 10)
{
    rs_log_set_level(RS_LOG_EMERG);
    rs_child_t c;
    rs_child_init(&c, "stubborn");
    cr_assert_eq(rs_child_spawn(&c, SIGKILL, sleeper, (void *)1), 0);
    usleep(100000); /* let it install SIG_IGN */
    int64_t t0 = rs_mono_ms();
    rs_child_stop(&c, 300);
    int64_t took = rs_mono_ms() - t0;
    cr_assert_eq(c.pid, 0);
    cr_assert(took >= 300 && took < 3000, "%lld", (long long)took);
}

/* the grandchild dies when its parent (the middle process) dies */
Test(supervisor, dies_with_parent, .timeout = 10)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t mid = fork();
    if (mid == 0) {
        rs_log_set_level(RS_LOG_EMERG);
        rs_child_t c;
        rs_child_init(&c, "grandchild");
        if (rs_child_spawn(&c, SIGKILL, sleeper, NULL) != 0)
            _exit(1);
        if (write(p[1], &c.pid, sizeof(c.pid)) != sizeof(c.pid))
            _exit(1);
        _exit(0); /* without stopping it */
    }
    pid_t gc;
    cr_assert_eq(read(p[0], &gc, sizeof(gc)), (ssize_t)sizeof(gc));
    int st;
    waitpid(mid, &st, 0);
    int gone = 0;
    for (int i = 0; i < 300 && !gone; i++) {
        char path[64], s[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)gc);
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            gone = 1;
            break;
        }
        size_t n = fread(s, 1, sizeof(s) - 1, f);
        fclose(f);
        s[n] = '\0';
        char *r = strrchr(s, ')');
        if (r != NULL && (r[2] == 'Z' || r[2] == 'X'))
            gone = 1;
        else
            usleep(10000);
    }
    cr_assert(gone, "grandchild %d outlived its parent", (int)gc);
}

/* ---- the one restart policy (rs_child_reaped), on synthetic wait statuses ------------ */

static int64_t died(rs_child_t *c, int status, int64_t lived_ms)
{
    c->pid = 4242;
    c->started_ms = 1000;
    return rs_child_reaped(c, status, 1000 + lived_ms);
}

Test(supervisor, policy_gives_up_after_max_quick_deaths)
{
    rs_log_set_level(RS_LOG_EMERG);
    rs_child_t c;
    rs_child_init(&c, "worker in slot 0");
    c.backoff_min_ms = 100;
    c.max_failures = 3;
    cr_assert_eq(died(&c, W_EXITCODE(1, 0), 10), 0);
    cr_assert_eq(died(&c, W_EXITCODE(1, 0), 10), 100);
    cr_assert_eq(died(&c, W_EXITCODE(1, 0), 10), -1);
    /* a stable life in between starts the count again */
    c.failures = 0;
    cr_assert_eq(died(&c, W_EXITCODE(1, 0), 10), 0);
    cr_assert_eq(died(&c, W_EXITCODE(1, 0), 20000), 0);
    cr_assert_eq(died(&c, W_EXITCODE(1, 0), 10), 0);
    cr_assert_eq(c.failures, 1);
}

Test(supervisor, policy_sigkill_and_asked_stops_do_not_count)
{
    rs_log_set_level(RS_LOG_EMERG);
    rs_child_t c;
    rs_child_init(&c, "worker in slot 1");
    c.max_failures = 2;
    cr_assert_eq(died(&c, W_EXITCODE(1, 0), 10), 0);
    cr_assert_eq(c.failures, 1);
    cr_assert_eq(died(&c, SIGKILL, 10), 0); /* from outside: restart at once */
    cr_assert_eq(c.failures, 0);
    cr_assert_eq(died(&c, W_EXITCODE(1, 0), 10), 0);
    c.stopping = 1; /* a reload roll: asked to go */
    cr_assert_eq(died(&c, SIGTERM, 10), 0);
    cr_assert_eq(c.failures, 0);
    cr_assert_eq(c.stopping, 0);
}

Test(supervisor, policy_fatal_code_is_never_restarted)
{
    rs_log_set_level(RS_LOG_EMERG);
    rs_child_t c;
    rs_child_init(&c, "worker in slot 2");
    c.fatal_code = 2;
    cr_assert_eq(died(&c, W_EXITCODE(2, 0), 60000), -1);
    cr_assert_eq(c.pid, 0);
    cr_assert_eq(died(&c, W_EXITCODE(3, 0), 60000), 0);
}
