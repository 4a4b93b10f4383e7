/*
 * sig.c: a process's own signals (rs/sig.h): handlers that only set flags, the master's
 * and the children's masks, the prologue of the master's children and the supervisors'
 * main-thread wait. Runs in: master, workers and supervisors. Loops (master ppoll loop,
 * worker event loop, supervisor main threads) act on the flags; no handler logs,
 * allocates or touches shared memory.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/log.h"
#include "rs/sig.h"

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

void rs_child_prologue(const char *role, pid_t master_pid, sigset_t *wait_mask)
{
    static const int control[] = {SIGTERM, SIGINT, SIGQUIT, SIGUSR1};
    rs_log_set_role(role);
    if (rs_signals_worker() != 0) {
        rs_log(RS_LOG_ALERT, NULL, "signal set-up failed: %m");
        _exit(RS_EXIT_FATAL);
    }
    /* die with the master; then re-check, the master may have gone before prctl */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master_pid)
        _exit(0);
    if (wait_mask == NULL)
        return;
    sigset_t block;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof(control) / sizeof(control[0]); i++)
        sigaddset(&block, control[i]);
    sigaddset(&block, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &block, wait_mask);
    for (size_t i = 0; i < sizeof(control) / sizeof(control[0]); i++)
        sigdelset(wait_mask, control[i]);
}

int rs_sup_wait(const sigset_t *wait_mask, int ms, pid_t master_pid)
{
    if (rs_sig_stop || getppid() != master_pid)
        return 0;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    ppoll(NULL, 0, &ts, wait_mask);
    if (rs_sig_reopen) {
        rs_sig_reopen = 0;
        rs_log_reopen();
    }
    return !rs_sig_stop && getppid() == master_pid;
}
