/*
 * thread.c: detached threads counted against a cap, so that no kind of per-request
 * thread can grow without bound.
 * Runs in: supervisors (the only processes with threads).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "rs/err.h"
#include "rs/os.h"

typedef struct start {
    rs_thread_cap_t *cap;
    void *(*fn)(void *);
    void *arg;
} start_t;

void rs_thread_cap_init(rs_thread_cap_t *cap, int max)
{
    cap->max = max;
    cap->running = 0;
    pthread_mutex_init(&cap->mu, NULL);
    pthread_cond_init(&cap->cv, NULL);
}

static void release(rs_thread_cap_t *cap)
{
    pthread_mutex_lock(&cap->mu);
    cap->running--;
    pthread_cond_signal(&cap->cv);
    pthread_mutex_unlock(&cap->mu);
}

static void *trampoline(void *p)
{
    start_t s = *(start_t *)p;
    free(p);
    void *r = s.fn(s.arg);
    if (s.cap != NULL)
        release(s.cap);
    return r;
}

/* take a slot of the cap: 0, or RS_EAGAIN when full and not waiting */
static int acquire(rs_thread_cap_t *cap, int wait)
{
    int rc = 0;
    pthread_mutex_lock(&cap->mu);
    while (cap->max > 0 && cap->running >= cap->max && wait)
        pthread_cond_wait(&cap->cv, &cap->mu);
    if (cap->max > 0 && cap->running >= cap->max)
        rc = RS_EAGAIN;
    else
        cap->running++;
    pthread_mutex_unlock(&cap->mu);
    return rc;
}

int rs_thread_start(rs_thread_cap_t *cap, int wait, size_t stack, void *(*fn)(void *), void *arg)
{
    if (cap != NULL && acquire(cap, wait) != 0)
        return RS_EAGAIN;
    start_t *s = malloc(sizeof(*s));
    if (s == NULL) {
        if (cap != NULL)
            release(cap);
        return RS_ENOMEM;
    }
    *s = (start_t){.cap = cap, .fn = fn, .arg = arg};
    pthread_attr_t at;
    pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (stack > 0)
        pthread_attr_setstacksize(&at, stack);
    int rc = pthread_create(&t, &at, trampoline, s);
    pthread_attr_destroy(&at);
    if (rc != 0) {
        free(s);
        if (cap != NULL)
            release(cap);
        errno = rc;
        return RS_ERR;
    }
    return 0;
}

int rs_thread_running(rs_thread_cap_t *cap)
{
    pthread_mutex_lock(&cap->mu);
    int n = cap->running;
    pthread_mutex_unlock(&cap->mu);
    return n;
}

void rs_cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

int rs_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms)
{
    struct timespec ts;
    if (ms < 0)
        ms = 0;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + (ms % 1000) * 1000000;
    ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return pthread_cond_timedwait(cv, mu, &ts);
}
