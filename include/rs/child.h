/*
 * child.h: one supervised child
 * process: spawn (the child dies with its parent), the obituary log line, restart delay
 * with exponential backoff, and stop with TERM then KILL.
 * Runs in: master (the ddb/lambda supervisors) and supervisors (their own children).
 */
#ifndef RS_CHILD_H
#define RS_CHILD_H

#include <stdint.h>
#include <sys/types.h>

typedef struct rs_child {
    const char *name;         /* for log lines: "ddb supervisor", "DynamoDB Local" */
    pid_t pid;                /* 0: not running */
    int64_t started_ms;       /* monotonic */
    int64_t next_spawn_ms;    /* earliest restart */
    int64_t stop_deadline_ms; /* rs_child_stop_begin: KILL after this */
    unsigned failures;        /* quick deaths in a row (before `stable_ms` of life) */
    unsigned backoff_min_ms, backoff_max_ms, stable_ms;
    unsigned max_failures; /* give up after this many quick deaths in a row (0: never) */
    int fatal_code;        /* an exit with this code (nonzero) is never restarted */
    int out_fd;            /* read end of the child's stdout+stderr (-1: not captured) */
    int capture;           /* rs_child_spawn: capture stdout/stderr into out_fd */
    int stopping;
} rs_child_t;

/* Defaults: backoff 250 ms doubling to 30 s; a life of 10 s resets it; never gives up. */
void rs_child_init(rs_child_t *c, const char *name);

/* Fork. In the child: PR_SET_PDEATHSIG(`death_sig`), exit at once if the parent is
 * already gone, stdout/stderr to the capture pipe when asked, then `fn(arg)`, which must
 * not return (exec or _exit; 127 if it does). Returns 0 or RS_ERR (fork failed). */
int rs_child_spawn(rs_child_t *c, int death_sig, void (*fn)(void *), void *arg);

/* The child was reaped with `status`: log its obituary and schedule the restart
 * (c->next_spawn_ms). The one restart policy: a quick death (before stable_ms of life,
 * not asked for with rs_child_stop_begin, not a SIGKILL from outside) counts as a failure,
 * any other death resets the count; the first failure restarts at once, then the delay
 * doubles from backoff_min_ms up to backoff_max_ms. Returns the restart delay in ms, or
 * -1 when the child must not be restarted (fatal_code, or max_failures reached). */
int64_t rs_child_reaped(rs_child_t *c, int status, int64_t now_ms);

/* waitpid(pid, WNOHANG) on this child: 1 and the status handled (rs_child_reaped) when it
 * ended, else 0. */
int rs_child_poll(rs_child_t *c, int64_t now_ms);

/* Non-blocking stop: TERM now, remember a deadline; rs_child_stop_tick sends KILL once
 * it passed. */
void rs_child_stop_begin(rs_child_t *c, int timeout_ms, int64_t now_ms);
void rs_child_stop_tick(rs_child_t *c, int64_t now_ms);

/* Blocking stop: TERM, wait up to timeout_ms, KILL, reap. */
void rs_child_stop(rs_child_t *c, int timeout_ms);

/* Describe a wait status ("exited with code 1", "killed by signal 9 (Killed)"). */
void rs_child_describe(int status, char *buf, size_t n);

#endif
