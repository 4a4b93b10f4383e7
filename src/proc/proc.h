/*
 * proc.h: private to src/proc and main.c: process roles (master, worker) and the signal
 * flags their loops poll. Runs in: master and workers.
 */
#ifndef RS_PROC_H
#define RS_PROC_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h> /* rs/store.h uses struct iovec */

#include "rs/conf.h"
#include "rs/store.h"

/* Exit code of a worker that must not be respawned (nginx's convention). */
#define RS_EXIT_FATAL 2

/* Set by the signal handlers only; the loops read and clear them. */
extern volatile sig_atomic_t rs_sig_stop;   /* TERM, INT, QUIT */
extern volatile sig_atomic_t rs_sig_reload; /* HUP */
extern volatile sig_atomic_t rs_sig_reopen; /* USR1 */
extern volatile sig_atomic_t rs_sig_child;  /* CHLD */
extern volatile sig_atomic_t rs_sig_last;   /* number of the last stop signal */

/* Master: install the handlers and block the signals; `wait_mask` receives the mask to
 * atomically unblock while sleeping (ppoll). */
int rs_signals_master(sigset_t *wait_mask);
/* Worker, right after fork: own handlers (stop/reopen flags, HUP ignored), unblocked. */
int rs_signals_worker(void);

/* systemd's readiness protocol: send `state` ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET.
 * 0 (also when the variable is unset), or RS_ERR with errno. */
int rs_notify(const char *state);

/* Master: run until stopped; returns the process exit code. `path` and the command-line
 * overrides (kv pairs) are kept for SIGHUP reloads. */
int rs_master_run(const rs_conf_t *conf, const char *path, const char *const *kv, size_t nkv);

/* Worker: never returns (exits 0 after a drain, RS_EXIT_FATAL on set-up failure). */
void rs_worker_run(const rs_conf_t *conf, rs_store_t *st, int listen_fd, unsigned slot,
                   pid_t master_pid) __attribute__((noreturn));

#endif
