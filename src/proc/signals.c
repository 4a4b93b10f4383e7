/*
 * signals.c: signal handlers that only set flags, for the master and the workers.
 * Runs in: master and workers. Loops (master ppoll loop, worker event loop) act on the
 * flags; no handler logs, allocates or touches shared memory.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "proc/proc.h"
#include "rs/err.h"

volatile sig_atomic_t rs_sig_stop;
volatile sig_atomic_t rs_sig_reload;
volatile sig_atomic_t rs_sig_reopen;
volatile sig_atomic_t rs_sig_child;
volatile sig_atomic_t rs_sig_last;

static void on_signal(int sig)
{
    switch (sig) {
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
        rs_sig_stop++;
        rs_sig_last = sig;
        break;
    case SIGHUP:
        rs_sig_reload = 1;
        break;
    case SIGUSR1:
        rs_sig_reopen = 1;
        break;
    case SIGCHLD:
        rs_sig_child = 1;
        break;
    default:
        break;
    }
}

static int set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = sig == SIGCHLD ? SA_NOCLDSTOP : 0; /* no SA_RESTART: waits wake up */
    return sigaction(sig, &sa, NULL) == 0 ? 0 : RS_ERR;
}

static const int handled[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGCHLD};
#define NHANDLED (sizeof(handled) / sizeof(handled[0]))

int rs_signals_master(sigset_t *wait_mask)
{
    sigset_t block;
    sigemptyset(&block);
    for (size_t i = 0; i < NHANDLED; i++) {
        if (set_handler(handled[i], on_signal) != 0)
            return RS_ERR;
        sigaddset(&block, handled[i]);
    }
    if (set_handler(SIGPIPE, SIG_IGN) != 0)
        return RS_ERR;
    if (sigprocmask(SIG_BLOCK, &block, wait_mask) != 0)
        return RS_ERR;
    /* wait_mask: the mask from before, i.e. these signals unblocked */
    for (size_t i = 0; i < NHANDLED; i++)
        sigdelset(wait_mask, handled[i]);
    return 0;
}

int rs_signals_worker(void)
{
    sigset_t all;
    rs_sig_stop = rs_sig_reload = rs_sig_reopen = rs_sig_child = 0;
    if (set_handler(SIGTERM, on_signal) || set_handler(SIGINT, on_signal) ||
        set_handler(SIGQUIT, on_signal) || set_handler(SIGUSR1, on_signal) ||
        set_handler(SIGHUP, SIG_IGN) || set_handler(SIGCHLD, SIG_DFL) ||
        set_handler(SIGPIPE, SIG_IGN))
        return RS_ERR;
    sigemptyset(&all);
    for (size_t i = 0; i < NHANDLED; i++)
        sigaddset(&all, handled[i]);
    return sigprocmask(SIG_UNBLOCK, &all, NULL) == 0 ? 0 : RS_ERR;
}
