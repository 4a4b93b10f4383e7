/*
 * child.c: supervised child processes (rs/child.h): spawn with
 * PR_SET_PDEATHSIG and optional output capture, obituaries, exponential restart
 * backoff, TERM-then-KILL stops. Runs in: master (its supervisors) and supervisors (their
 * children). No threads of its own; the caller's loop drives it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rs/child.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

void rs_child_init(rs_child_t *c, const char *name)
{
    memset(c, 0, sizeof(*c));
    c->name = name;
    c->backoff_min_ms = 250;
    c->backoff_max_ms = 30000;
    c->stable_ms = 10000;
    c->out_fd = -1;
}

int rs_child_spawn(rs_child_t *c, int death_sig, void (*fn)(void *), void *arg)
{
    int pfd[2] = {-1, -1};
    if (c->capture && pipe2(pfd, O_CLOEXEC) != 0)
        return RS_ERR;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (pfd[0] >= 0) {
            close(pfd[0]);
            close(pfd[1]);
        }
        errno = e;
        return RS_ERR;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, death_sig);
        if (getppid() != parent)
            _exit(0);
        if (pfd[1] >= 0) {
            /* dup2 clears FD_CLOEXEC on the copies */
            dup2(pfd[1], STDOUT_FILENO);
            dup2(pfd[1], STDERR_FILENO);
        }
        fn(arg);
        _exit(127);
    }
    if (pfd[1] >= 0) {
        close(pfd[1]);
        if (c->out_fd >= 0)
            close(c->out_fd);
        c->out_fd = pfd[0];
    }
    c->pid = pid;
    c->started_ms = rs_mono_ms();
    c->stopping = 0;
    rs_log(RS_LOG_INFO, NULL, "started %s (pid %d)", c->name, (int)pid);
    return 0;
}

void rs_child_describe(int status, char *buf, size_t n)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exited with code %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
    else
        snprintf(buf, n, "ended with status %d", status);
}

int64_t rs_child_reaped(rs_child_t *c, int status, int64_t now_ms)
{
    char how[96];
    rs_child_describe(status, how, sizeof(how));
    int64_t lived = now_ms - c->started_ms;
    int expected = c->stopping, clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    rs_log(expected || clean ? RS_LOG_INFO : RS_LOG_ALERT, NULL, "%s (pid %d) %s after %lld ms",
           c->name, (int)c->pid, how, (long long)lived);
    c->pid = 0;
    c->stopping = 0;
    c->stop_deadline_ms = 0;
    /* a SIGKILL comes from outside (an operator, the OOM killer, a stress test) and says
     * nothing about start-up */
    int quick = !expected && lived < (int64_t)c->stable_ms &&
                !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    c->failures = quick ? c->failures + 1 : 0;
    int64_t delay = 0;
    if (c->failures >= 2) {
        delay = (int64_t)c->backoff_min_ms << (c->failures > 18 ? 16 : c->failures - 2);
        if (delay > (int64_t)c->backoff_max_ms)
            delay = c->backoff_max_ms;
    }
    c->next_spawn_ms = now_ms + delay;
    if (c->fatal_code != 0 && WIFEXITED(status) && WEXITSTATUS(status) == c->fatal_code) {
        rs_log(RS_LOG_ALERT, NULL, "%s: fatal error, not restarting", c->name);
        return -1;
    }
    if (c->max_failures > 0 && c->failures >= c->max_failures) {
        rs_log(RS_LOG_ALERT, NULL, "%s died %u times in a row at start-up, giving up", c->name,
               c->failures);
        return -1;
    }
    if (!expected)
        rs_log(RS_LOG_NOTICE, NULL, "%s: restarting in %lld ms", c->name, (long long)delay);
    return delay;
}

int rs_child_poll(rs_child_t *c, int64_t now_ms)
{
    int status;
    if (c->pid <= 0)
        return 0;
    pid_t r = waitpid(c->pid, &status, WNOHANG);
    if (r < 0 && errno == ECHILD) { /* reaped elsewhere: nothing left to wait for */
        c->pid = 0;
        c->stopping = 0;
        return 1;
    }
    if (r != c->pid)
        return 0;
    rs_child_reaped(c, status, now_ms);
    return 1;
}

void rs_child_stop_begin(rs_child_t *c, int timeout_ms, int64_t now_ms)
{
    if (c->pid <= 0 || c->stopping)
        return;
    c->stopping = 1;
    c->stop_deadline_ms = now_ms + timeout_ms;
    kill(c->pid, SIGTERM);
}

void rs_child_stop_tick(rs_child_t *c, int64_t now_ms)
{
    if (c->pid > 0 && c->stopping && c->stop_deadline_ms != 0 && now_ms >= c->stop_deadline_ms) {
        rs_log(RS_LOG_WARN, NULL, "%s (pid %d) did not stop in time: killing it", c->name,
               (int)c->pid);
        kill(c->pid, SIGKILL);
        c->stop_deadline_ms = 0;
    }
}

void rs_child_stop(rs_child_t *c, int timeout_ms)
{
    if (c->pid <= 0)
        return;
    int64_t t0 = rs_mono_ms();
    rs_child_stop_begin(c, timeout_ms, t0);
    for (;;) {
        int64_t now = rs_mono_ms();
        if (rs_child_poll(c, now))
            return;
        rs_child_stop_tick(c, now);
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
}
