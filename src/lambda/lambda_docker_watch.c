/*
 * lambda_docker_watch.c: the docker executor's watch of its containers' ends
 * (lambda_docker_watch.h): one thread, one event stream for every container of the
 * instance, a condition variable the waiters sleep on, inspects when an event may have
 * been missed. Measured with podman 4.3.1 and 10 idle containers: a blocking wait per
 * container kept the service at 112 % of a core, the event stream at its idle 0.3 %, an
 * inspect of each container every second at 3 %.
 * Runs in: the lambda supervisor (the watch thread; pool threads call add/wait/drop).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambda/lambda_docker_watch.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

/* a full inspect of every watched container while the stream is up: the insurance
 * against an event the engine did not deliver (10 containers: 10 inspects a minute) */
#define WATCH_SWEEP_MS 30000
/* while the stream is down, the watched containers are inspected this often */
#define WATCH_DOWN_SWEEP_MS 1000
/* reconnection back-off */
#define WATCH_BACKOFF_MIN_MS 250
#define WATCH_BACKOFF_MAX_MS 5000
/* a kill the engine accepted whose death was not reported this long: inspect it; after
 * WATCH_KILL_GIVEUP_MS of an unreachable engine the container counts as gone */
#define WATCH_KILL_CHECK_MS 3000
#define WATCH_KILL_GIVEUP_MS 10000

struct rs_dwatch_entry {
    rs_dwatch_entry_t *next;
    char id[80];
    int started, ended, code;
    int64_t kill_at; /* 0: no kill asked */
};

struct rs_dwatch {
    rs_docker_t d;
    char label[128];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rs_dwatch_entry_t *list;
    int stop;
    int wake[2]; /* written to make the thread look again (a kill, the stop) */
    pthread_t th;
};

static void wake(rs_dwatch_t *w)
{
    char c = 1;
    ssize_t n = write(w->wake[1], &c, 1);
    (void)n; /* a full pipe already wakes it */
}

static rs_dwatch_entry_t *find(rs_dwatch_t *w, const char *id)
{
    for (rs_dwatch_entry_t *e = w->list; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return e;
    return NULL;
}

/* Record an end (lock held). */
static void end_entry(rs_dwatch_t *w, rs_dwatch_entry_t *e, int code)
{
    if (e->ended)
        return;
    e->ended = 1;
    e->code = code;
    pthread_cond_broadcast(&w->cv);
}

/* Inspect one container (no lock held) and record its end if it ended. */
static void check_one(rs_dwatch_t *w, const char *id, int64_t kill_at)
{
    rs_docker_state_t st;
    char err[256];
    int rc = rs_docker_inspect_state(&w->d, id, &st, err, sizeof(err));
    int code = -2; /* -2: still running, or cannot tell yet */
    if (rc == 0 && st.stopped)
        code = st.exit_code;
    else if (rc == RS_ENOENT)
        code = -1;
    else if (rc < 0 && kill_at > 0 && rs_mono_ms() - kill_at >= WATCH_KILL_GIVEUP_MS)
        code = -1;
    if (rc < 0 && rc != RS_ENOENT)
        rs_log_debug("lambda: inspecting container %.12s: %s", id, err);
    if (code == -2)
        return;
    pthread_mutex_lock(&w->mu);
    rs_dwatch_entry_t *e = find(w, id);
    if (e)
        end_entry(w, e, code);
    pthread_mutex_unlock(&w->mu);
}

/* Inspect the started containers not known to have ended: all of them (`all`), or those
 * whose kill was not followed by their death within WATCH_KILL_CHECK_MS. */
static void sweep(rs_dwatch_t *w, int all)
{
    typedef struct {
        char id[80];
        int64_t kill_at;
    } item_t;
    item_t *items = NULL;
    size_t n = 0, cap = 0;
    int64_t now = rs_mono_ms();
    pthread_mutex_lock(&w->mu);
    for (rs_dwatch_entry_t *e = w->list; e; e = e->next) {
        if (!e->started || e->ended)
            continue;
        if (!all && (e->kill_at == 0 || now - e->kill_at < WATCH_KILL_CHECK_MS))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            item_t *ni = realloc(items, nc * sizeof(*ni));
            if (!ni)
                break;
            items = ni;
            cap = nc;
        }
        memcpy(items[n].id, e->id, sizeof(e->id));
        items[n].kill_at = e->kill_at;
        n++;
    }
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < n; i++)
        check_one(w, items[i].id, items[i].kill_at);
    free(items);
}

/* Handle the events received; RS_EINVAL when the stream is malformed. */
static int drain_events(rs_dwatch_t *w, rs_docker_events_t *ev)
{
    json_object *j;
    int r;
    while ((r = rs_docker_events_pop(ev, &j)) == 1) {
        char id[80];
        int code;
        int is_exit = rs_docker_event_exit(j, id, sizeof(id), &code);
        json_object_put(j);
        if (!is_exit)
            continue;
        if (code < 0) { /* an engine that does not say: ask it */
            check_one(w, id, 0);
            continue;
        }
        pthread_mutex_lock(&w->mu);
        rs_dwatch_entry_t *e = find(w, id);
        if (e)
            end_entry(w, e, code);
        pthread_mutex_unlock(&w->mu);
    }
    return r;
}

static int open_stream(rs_dwatch_t *w, rs_docker_events_t **ev, char *err, size_t errlen)
{
    json_object *f = rs_docker_die_filter(w->label);
    if (!f)
        return RS_ENOMEM;
    int rc = rs_docker_events_open(&w->d, f, ev, err, errlen);
    json_object_put(f);
    return rc;
}

static void *watch_main(void *arg)
{
    rs_dwatch_t *w = arg;
    rs_docker_events_t *ev = NULL;
    int64_t next_connect = 0, next_sweep = 0;
    int backoff = WATCH_BACKOFF_MIN_MS, down_logged = 0;
    char err[256];
    for (;;) {
        pthread_mutex_lock(&w->mu);
        int stop = w->stop, kill_pending = 0;
        for (rs_dwatch_entry_t *e = w->list; e && !kill_pending; e = e->next)
            kill_pending = e->started && !e->ended && e->kill_at > 0;
        pthread_mutex_unlock(&w->mu);
        if (stop)
            break;
        int64_t now = rs_mono_ms();
        if (!ev && now >= next_connect) {
            if (open_stream(w, &ev, err, sizeof(err)) == 0) {
                if (down_logged)
                    rs_log_notice("lambda: container event stream connected again");
                down_logged = 0;
                backoff = WATCH_BACKOFF_MIN_MS;
                next_sweep = now; /* whatever ended while it was down */
            } else {
                ev = NULL;
                if (!down_logged)
                    rs_log_warn("lambda: no container event stream (%s): inspecting the "
                                "containers every %d ms until it connects",
                                err, WATCH_DOWN_SWEEP_MS);
                down_logged = 1;
                next_connect = now + backoff;
                backoff = backoff * 2 > WATCH_BACKOFF_MAX_MS ? WATCH_BACKOFF_MAX_MS : backoff * 2;
            }
        }
        if (now >= next_sweep) {
            sweep(w, 1);
            now = rs_mono_ms();
            next_sweep = now + (ev ? WATCH_SWEEP_MS : WATCH_DOWN_SWEEP_MS);
        } else if (kill_pending) {
            sweep(w, 0);
            now = rs_mono_ms();
        }
        int64_t until = next_sweep;
        if (!ev && next_connect < until)
            until = next_connect;
        if (kill_pending && now + 1000 < until)
            until = now + 1000;
        int timeout = until <= now ? 0 : (int)(until - now);
        struct pollfd pf[2] = {{w->wake[0], POLLIN, 0},
                               {ev ? rs_docker_events_fd(ev) : -1, POLLIN, 0}};
        int pr = poll(pf, 2, timeout);
        if (pr < 0 && errno != EINTR) {
            rs_log_warn("lambda: container watch poll: %s", strerror(errno));
            usleep(100000);
            continue;
        }
        if (pr > 0 && (pf[0].revents & POLLIN)) {
            char buf[64];
            while (read(w->wake[0], buf, sizeof(buf)) > 0)
                ;
        }
        if (ev && pr > 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            int r = rs_docker_events_recv(ev, err, sizeof(err));
            if (r == 0 || r == RS_ERR) /* events received before a close still count */
                if (drain_events(w, ev) < 0 && r == 0)
                    r = RS_EINVAL;
            if (r < 0) {
                rs_log_warn("lambda: container event stream lost (%s): reconnecting",
                            r == RS_EINVAL ? "malformed" : err);
                rs_docker_events_close(ev);
                ev = NULL;
                down_logged = 1;
                next_connect = rs_mono_ms() + WATCH_BACKOFF_MIN_MS;
                next_sweep = next_connect; /* after the reconnection attempt */
            }
        }
    }
    rs_docker_events_close(ev);
    return NULL;
}

int rs_dwatch_start(const rs_docker_t *d, const char *instance, rs_dwatch_t **out)
{
    *out = NULL;
    rs_dwatch_t *w = calloc(1, sizeof(*w));
    if (!w)
        return RS_ENOMEM;
    w->d = *d;
    snprintf(w->label, sizeof(w->label), "io.ruststack.instance=%s", instance);
    if (pipe2(w->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        free(w);
        return RS_ERR;
    }
    pthread_mutex_init(&w->mu, NULL);
    rs_cond_init_mono(&w->cv);
    if (pthread_create(&w->th, NULL, watch_main, w) != 0) {
        close(w->wake[0]);
        close(w->wake[1]);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return RS_ERR;
    }
    *out = w;
    return 0;
}

void rs_dwatch_stop(rs_dwatch_t *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_mutex_unlock(&w->mu);
    wake(w);
    pthread_join(w->th, NULL);
    while (w->list) {
        rs_dwatch_entry_t *n = w->list->next;
        free(w->list);
        w->list = n;
    }
    close(w->wake[0]);
    close(w->wake[1]);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

rs_dwatch_entry_t *rs_dwatch_add(rs_dwatch_t *w, const char *id)
{
    rs_dwatch_entry_t *e = calloc(1, sizeof(*e));
    if (!e || strlen(id) >= sizeof(e->id)) {
        free(e);
        return NULL;
    }
    memcpy(e->id, id, strlen(id) + 1);
    pthread_mutex_lock(&w->mu);
    e->next = w->list;
    w->list = e;
    pthread_mutex_unlock(&w->mu);
    return e;
}

void rs_dwatch_started(rs_dwatch_t *w, rs_dwatch_entry_t *e)
{
    pthread_mutex_lock(&w->mu);
    e->started = 1;
    pthread_mutex_unlock(&w->mu);
}

void rs_dwatch_killed(rs_dwatch_t *w, rs_dwatch_entry_t *e, int killed_ok)
{
    char id[80];
    int64_t now = rs_mono_ms();
    pthread_mutex_lock(&w->mu);
    if (e->kill_at == 0)
        e->kill_at = now;
    int64_t kill_at = e->kill_at;
    int look = !e->ended && e->started && !killed_ok;
    memcpy(id, e->id, sizeof(id));
    pthread_mutex_unlock(&w->mu);
    if (look)
        check_one(w, id, kill_at); /* already stopped or gone: no event will come */
    wake(w);                       /* the thread checks pending kills every second */
}

int rs_dwatch_wait(rs_dwatch_t *w, rs_dwatch_entry_t *e)
{
    pthread_mutex_lock(&w->mu);
    while (!e->ended)
        pthread_cond_wait(&w->cv, &w->mu);
    int code = e->code;
    pthread_mutex_unlock(&w->mu);
    return code;
}

void rs_dwatch_drop(rs_dwatch_t *w, rs_dwatch_entry_t *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&w->mu);
    for (rs_dwatch_entry_t **pp = &w->list; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    pthread_mutex_unlock(&w->mu);
    free(e);
}
