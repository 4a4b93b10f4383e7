/*
 * gw_deadline.c: integration timeouts without a second thread per request
 * (gw_invoke.h): a request whose function may outlive the integration's timeout registers
 * its ready-made timeout answer with a deadline, then invokes on its own handler thread.
 * One watchdog thread sends the answer at the deadline (the invocation goes on, as on AWS);
 * whichever comes second, the watchdog or the handler's own answer, is dropped.
 * Runs in: the lambda supervisor (handler threads; the watchdog thread, started on first
 * use).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/gw_invoke.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

struct rs_gw_deadline {
    rs_gw_deadline_t *next; /* the list: under mu */
    int64_t at_ms;          /* rs_mono_ms() deadline */
    int fired;              /* the watchdog answered (under mu) */
    rs_ipc_conn_t *conn;    /* a reference, put when the entry goes */
    uint64_t id;            /* the request frame's id */
    char *meta;             /* the timeout answer (malloc'd) */
    size_t meta_len;
    char *body;
    size_t body_len;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static rs_gw_deadline_t *list; /* under mu */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int started; /* the watchdog runs (set once) */

static void entry_free(rs_gw_deadline_t *d)
{
    rs_ipc_conn_put(d->conn);
    free(d->meta);
    free(d->body);
    free(d);
}

static void *watchdog(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        int64_t now = rs_mono_ms(), next = now + 60000;
        rs_gw_deadline_t *due = NULL;
        for (rs_gw_deadline_t *d = list; d != NULL; d = d->next) {
            if (!d->fired && d->at_ms <= now) {
                d->fired = 1;
                due = d;
                break;
            }
            if (!d->fired && d->at_ms < next)
                next = d->at_ms;
        }
        if (due != NULL) {
            /* the entry stays listed (fired) until its handler takes it off: the reply
             * may be sent without the lock */
            pthread_mutex_unlock(&mu);
            rs_ipc_conn_reply(due->conn, due->id, due->meta, due->meta_len, due->body,
                              due->body_len);
            pthread_mutex_lock(&mu);
            continue;
        }
        rs_cond_wait_ms(&cv, &mu, next - now);
    }
    return NULL;
}

static void start(void)
{
    rs_cond_init_mono(&cv);
    started = rs_thread_start(NULL, 0, 0, watchdog, NULL) == 0;
    if (!started)
        rs_log(RS_LOG_ERR, NULL, "apigw: cannot start the integration timeout thread");
}

rs_gw_deadline_t *rs_gw_deadline_arm(const rs_gw_reply_to_t *to, int64_t ms,
                                     const rs_lambda_resp_t *answer)
{
    pthread_once(&once, start);
    if (!started || to == NULL || to->conn == NULL)
        return NULL;
    rs_gw_deadline_t *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    rs_ipc_resp_t m = {answer->status, answer->headers};
    d->meta = rs_ipc_resp_encode(&m, &d->meta_len);
    d->body = answer->body_len > 0 ? malloc(answer->body_len) : NULL;
    if (d->meta == NULL || (answer->body_len > 0 && d->body == NULL)) {
        free(d->meta);
        free(d->body);
        free(d);
        return NULL;
    }
    if (answer->body_len > 0)
        memcpy(d->body, answer->body, answer->body_len);
    d->body_len = answer->body_len;
    d->at_ms = rs_mono_ms() + ms;
    d->id = to->id;
    d->conn = to->conn;
    rs_ipc_conn_ref(d->conn);
    pthread_mutex_lock(&mu);
    d->next = list;
    list = d;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return d;
}

int rs_gw_deadline_disarm(rs_gw_deadline_t *d)
{
    if (d == NULL)
        return 0;
    pthread_mutex_lock(&mu);
    for (rs_gw_deadline_t **pp = &list; *pp != NULL; pp = &(*pp)->next)
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    int fired = d->fired;
    pthread_mutex_unlock(&mu);
    entry_free(d);
    return fired;
}
