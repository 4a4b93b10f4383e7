/*
 * sig.h: a process's own signals and start-up (src/core/sig.c): handlers that only set
 * flags, the master's and the children's masks, and the prologue every forked child of
 * the master runs (log role, flags, death with the master, a parent check), plus the
 * supervisors' main-thread wait.
 * Runs in: master, workers and supervisors.
 */
#ifndef RS_SIG_H
#define RS_SIG_H

#include <signal.h>
#include <sys/types.h>

/* Exit code of a child that must not be respawned (nginx's convention). */
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
/* A child, right after fork: own handlers (stop/reopen flags, HUP ignored, PIPE
 * ignored), unblocked. */
int rs_signals_worker(void);

/* The prologue of a child of the master, right after fork: log role, rs_signals_worker
 * (_exit(RS_EXIT_FATAL) when it fails), death with the master (SIGTERM), _exit(0) when
 * the master is already gone. With `wait_mask` (supervisors, before any thread starts)
 * the control signals (TERM, INT, QUIT, USR1) and CHLD are blocked so threads never take
 * them; *wait_mask is the mask to wait with (rs_sup_wait). */
void rs_child_prologue(const char *role, pid_t master_pid, sigset_t *wait_mask);

/* A supervisor's main thread: sleep up to `ms` with the control signals deliverable,
 * reopen the log on USR1. 1 while the supervisor should keep running, 0 once it was told
 * to stop or the master is gone. */
int rs_sup_wait(const sigset_t *wait_mask, int ms, pid_t master_pid);

#endif
