/*
 * proc.h: private to src/proc and main.c: process roles (master, worker), systemd
 * notification. Runs in: master and workers.
 */
#ifndef RS_PROC_H
#define RS_PROC_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h> /* rs/store.h uses struct iovec */

#include "rs/conf.h"
#include "rs/sig.h" /* the flags the loops poll */
#include "rs/store.h"

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
