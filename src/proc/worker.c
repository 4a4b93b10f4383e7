/*
 * worker.c: one worker process: take the store slot, serve HTTP on the inherited
 * listener with h2o, tick the store every 100 ms, and on TERM (or when the master dies)
 * drain: stop accepting, let in-flight requests finish (bounded by shutdown_timeout),
 * detach from the store and exit 0. Runs in: workers (forked by the master).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "http/server.h"
#include "proc/proc.h"
#include "rs/os.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/status.h"
#include "shm/crashpoint.h"

/* after the last request ended, idle keep-alive connections get this long to go away */
#define IDLE_GRACE_MS 1000
/* how often the worker asks whether the master is still its parent */
#define PARENT_CHECK_MS 100

typedef struct ticker {
    rs_store_t *st;
    unsigned slot;
} ticker_t;

/* every 100 ms from the event loop: the store's bounded reclamation, and the heartbeat
 * the master's watchdog reads (a loop that stops moving stops beating) */
static void tick(void *arg)
{
    ticker_t *t = arg;
    rs_store_tick(t->st);
    rs_status_beat(rs_status_current(), RS_BEAT_WORKER(t->slot));
}

/* Tests of the watchdog only: RS_TEST_HANG_AT=<crash point> makes ONE worker hang at that
 * point (holding whatever it holds there): the one that removes the file named by
 * RS_TEST_HANG_ONCE first; its successors run normally. */
static void test_hang_hook(unsigned slot)
{
    const char *at = getenv("RS_TEST_HANG_AT"), *once = getenv("RS_TEST_HANG_ONCE");
    if (at == NULL || once == NULL || unlink(once) != 0)
        return;
    if (rs_crashpoint_arm_hang(at) == 0)
        rs_log(RS_LOG_WARN, NULL, "test hook: worker in slot %u will hang at %s", slot, at);
    else
        rs_log(RS_LOG_ERR, NULL, "test hook: no crash point named %s", at);
}

void rs_worker_run(const rs_conf_t *conf, rs_store_t *st, int listen_fd, unsigned slot,
                   pid_t master_pid)
{
    char role[32];
    rs_server_t *srv = NULL;
    int rc;

    snprintf(role, sizeof(role), "worker%u", slot);
    rs_child_prologue(role, master_pid, NULL);

    if ((rc = rs_store_attach(st, slot)) != 0) {
        rs_log(RS_LOG_ALERT, NULL, "cannot attach store slot %u: %s", slot, rs_err_str(rc));
        _exit(1);
    }
    rs_store_set_quota(st, conf->quota_s3_objects, conf->quota_s3_bytes);
    static ticker_t ticker;
    ticker.st = st;
    ticker.slot = slot;
    test_hang_hook(slot);
    if ((rc = rs_server_create(conf, st, listen_fd, slot, master_pid, tick, &ticker, &srv)) != 0) {
        rs_log(RS_LOG_ALERT, NULL, "cannot start the HTTP server: %s", rs_err_str(rc));
        rs_store_detach(st);
        _exit(RS_EXIT_FATAL);
    }
    rs_log(RS_LOG_INFO, NULL, "worker started (slot %u)", slot);

    int draining = 0;
    int64_t deadline = 0, idle_since = 0, next_parent_check = 0;
    for (;;) {
        if (rs_server_run_once(srv, 100) != 0) {
            rs_log(RS_LOG_ALERT, NULL, "event loop failed: %m");
            break;
        }
        if (rs_sig_reopen) {
            rs_sig_reopen = 0;
            if (rs_log_reopen() != 0)
                rs_log(RS_LOG_ERR, NULL, "cannot reopen the log file: %m");
        }
        /* the master's death also arrives as a signal (PR_SET_PDEATHSIG); getppid is the
         * backstop, asked every PARENT_CHECK_MS rather than on every loop turn (that was
         * a system call per request) */
        int orphan = 0;
        if (!draining && rs_mono_ms() >= next_parent_check) {
            orphan = getppid() != master_pid;
            next_parent_check = rs_mono_ms() + PARENT_CHECK_MS;
        }
        if (!draining && (rs_sig_stop || orphan)) {
            draining = 1;
            deadline = rs_mono_ms() + (int64_t)conf->shutdown_timeout * 1000;
            rs_log(RS_LOG_INFO, NULL, "draining: %llu request(s) in flight",
                   (unsigned long long)rs_server_inflight(srv));
            rs_server_shutdown(srv);
        }
        if (!draining)
            continue;
        if (rs_server_quiet(srv))
            break;
        int64_t now = rs_mono_ms();
        if (rs_server_inflight(srv) == 0) {
            if (idle_since == 0)
                idle_since = now;
            if (now - idle_since >= IDLE_GRACE_MS)
                break; /* only idle keep-alive connections are left */
        } else {
            idle_since = 0;
        }
        if (now >= deadline) {
            rs_log(RS_LOG_WARN, NULL, "drain timed out with %llu request(s) in flight",
                   (unsigned long long)rs_server_inflight(srv));
            break;
        }
    }
    int idle = rs_server_inflight(srv) == 0;
    rs_server_destroy(srv);
    if (idle)
        rs_store_detach(st);
    /* requests still in flight may pin extents: exiting without detach leaves the slot to
     * the master (mark dead) and the successor (cleanup) */
    rs_log(RS_LOG_INFO, NULL, "worker exiting");
    _exit(0);
}
