/*
 * master.c: the thin master: create the store before any fork, open the listener, fork
 * one worker per slot, reap and respawn with backoff, and act on signals: TERM/INT/QUIT
 * graceful stop (SIGKILL after shutdown_timeout, or at once on a second signal), HUP
 * reload (validate, then roll the workers one by one), USR1 reopen logs. It also
 * creates the service status board before any fork and runs the ddb supervisor (when
 * `dynamodb` is on) and the lambda supervisor (when `lambda` is on) as supervised children
 * (respawned with backoff, stopped after the workers). Its watchdog kills a child whose
 * heartbeat on the status board stopped moving (watchdog_worker, watchdog_supervisor).
 * Runs in: master. Never takes a lock in shared memory, never parses HTTP; its only
 * store write is rs_store_slot_mark_dead after reaping.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ddb/ddb.h"
#include "lambda/lambda.h"
#include "proc/proc.h"
#include "rs/child.h"
#include "rs/os.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/metrics.h"
#include "rs/status.h"

/* workers: a death sooner than this is a start-up failure; so many in a row: give up */
#define WORKER_STABLE_MS 5000
#define WORKER_MAX_FAILURES 6
#define WORKER_BACKOFF_MIN_MS 100
#define WORKER_BACKOFF_MAX_MS 10000

/* one child of the master: a worker (in its store slot) or a supervisor; restarted by the
 * one policy of rs_child_reaped */
typedef struct kid {
    rs_child_t child; /* pid, restart backoff, stop */
    int worker;       /* 1: a worker in `slot`; 0: the supervisor of `svc` */
    unsigned slot;
    rs_svc_t svc;
    int enabled;       /* 0: never (re)spawned (switched off, or exited RS_EXIT_FATAL) */
    unsigned conf_gen; /* workers: configuration generation it was forked with */
    unsigned spawns;   /* 1 during the first spawn: the lambda registry starts empty */
    int wd_killed;     /* the watchdog killed this incarnation (not killed twice) */
    char name[32];
} kid_t;
#define NSUPS 2 /* kids[0] the ddb, kids[1] the lambda supervisor, then the workers */

static struct {
    rs_conf_t conf;
    const char *path;
    const char *const *kv;
    size_t nkv;
    rs_store_t *st;
    int lfd;
    pid_t pid;
    kid_t kids[NSUPS + RS_CONF_MAX_WORKERS];
    unsigned nkids;
    unsigned conf_gen;
    int stopping;
    int exit_code;
    int killed;
    rs_status_board_t *board;
    int ready_sent; /* systemd has been told READY=1 */
} M;

/* running workers (worker 1) or supervisors (worker 0) */
static unsigned alive(int worker)
{
    unsigned k = 0;
    for (unsigned i = 0; i < M.nkids; i++)
        k += M.kids[i].child.pid > 0 && M.kids[i].worker == worker;
    return k;
}

static void signal_all(int sig, int worker)
{
    for (unsigned i = 0; i < M.nkids; i++)
        if (M.kids[i].child.pid > 0 && M.kids[i].worker == worker)
            kill(M.kids[i].child.pid, sig);
}

static void sup_init(kid_t *k, rs_svc_t svc, const char *name, int enabled, const char *key)
{
    char why[96];
    rs_child_init(&k->child, k->name);
    snprintf(k->name, sizeof(k->name), "%s", name);
    k->svc = svc;
    k->enabled = enabled;
    if (enabled) {
        snprintf(why, sizeof(why), "the %s is starting", name);
        rs_status_set(M.board, svc, RS_SVC_STARTING, why);
    } else {
        snprintf(why, sizeof(why), "switched off in the configuration (%s = off)", key);
        rs_status_set(M.board, svc, RS_SVC_DISABLED, why);
    }
}

static void worker_init(kid_t *k, unsigned slot)
{
    rs_child_init(&k->child, k->name);
    snprintf(k->name, sizeof(k->name), "worker in slot %u", slot);
    k->child.stable_ms = WORKER_STABLE_MS;
    k->child.max_failures = WORKER_MAX_FAILURES;
    k->child.backoff_min_ms = WORKER_BACKOFF_MIN_MS;
    k->child.backoff_max_ms = WORKER_BACKOFF_MAX_MS;
    k->child.fatal_code = RS_EXIT_FATAL;
    k->worker = 1;
    k->slot = slot;
    k->enabled = 1;
}

/* in the forked child */
static void kid_main(void *arg)
{
    kid_t *k = arg;
    if (k->worker)
        rs_worker_run(&M.conf, M.st, M.lfd, k->slot, M.pid);
    close(M.lfd);
    if (k->svc == RS_SVC_DYNAMODB)
        rs_ddb_supervisor_main(&M.conf, M.board, M.pid);
    rs_lambda_supervisor_main(&M.conf, M.board, M.pid, k->spawns == 1);
}

/* its heartbeat on the status board */
static unsigned beat_who(const kid_t *k)
{
    return k->worker ? RS_BEAT_WORKER(k->slot) : RS_BEAT_SUP(k->svc);
}

static void spawn(kid_t *k, int64_t now)
{
    k->spawns++;
    k->wd_killed = 0;
    rs_status_beat_at(M.board, beat_who(k), now); /* a hang before the first beat counts */
    if (rs_child_spawn(&k->child, SIGTERM, kid_main, k) != 0) {
        rs_log(RS_LOG_ALERT, NULL, "fork failed for the %s: %m", k->name);
        k->child.next_spawn_ms = now + 1000;
        k->spawns--;
        return;
    }
    k->conf_gen = M.conf_gen;
}

static void begin_stop(int code, const char *why)
{
    if (M.stopping) {
        if (!M.killed) {
            rs_log(RS_LOG_NOTICE, NULL, "second stop request: killing the workers");
            signal_all(SIGKILL, 1);
            signal_all(SIGKILL, 0);
            M.killed = 1;
        }
        return;
    }
    M.stopping = 1;
    M.exit_code = code;
    rs_notify("STOPPING=1\nSTATUS=stopping");
    rs_log(RS_LOG_NOTICE, NULL, "%s: stopping %u worker(s) gracefully", why, alive(1));
    int64_t now = rs_mono_ms();
    for (unsigned i = NSUPS; i < M.nkids; i++)
        rs_child_stop_begin(&M.kids[i].child, (int)M.conf.shutdown_timeout * 1000 + 1000, now);
}

static void reaped(kid_t *k, int status, int64_t now)
{
    int64_t delay = rs_child_reaped(&k->child, status, now);
    if (k->worker)
        rs_store_slot_mark_dead(M.st, k->slot);
    if (M.stopping)
        return;
    if (!k->worker) {
        char why[96];
        snprintf(why, sizeof(why), "the %s is restarting%s", k->name,
                 delay > 0 ? " (backoff)" : "");
        rs_status_set(M.board, k->svc, RS_SVC_STARTING, why);
    } else if (delay < 0 && WIFEXITED(status) && WEXITSTATUS(status) == RS_EXIT_FATAL) {
        k->enabled = 0;
    } else if (delay < 0) {
        begin_stop(1, "workers keep dying");
    }
}

static void reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (unsigned i = 0; i < M.nkids; i++) {
            if (M.kids[i].child.pid == pid) {
                reaped(&M.kids[i], status, rs_mono_ms());
                break;
            }
        }
    }
}

static void reload(void)
{
    static rs_conf_t nc; /* large: not on the stack */
    char err[1024], changed[512];
    rs_notify("RELOADING=1\nSTATUS=reloading the configuration");
    M.ready_sent = 0; /* READY=1 again once the services are settled */
    if (rs_conf_build(&nc, M.path, M.kv, M.nkv, err, sizeof(err)) != 0) {
        rs_log(RS_LOG_ERR, NULL, "reload failed, keeping the running configuration: %s", err);
        return;
    }
    rs_conf_keep_restart_only(&M.conf, &nc, changed, sizeof(changed));
    if (changed[0] != '\0')
        rs_log(RS_LOG_WARN, NULL, "reload: %s changed but only apply after a restart", changed);
    if (strcmp(nc.log_file, M.conf.log_file) != 0 && rs_log_open(nc.log_file) != 0) {
        rs_log(RS_LOG_ERR, NULL, "reload failed, cannot open log_file %s: %m", nc.log_file);
        return;
    }
    rs_log_set_level(nc.log_level);
    rs_log_set_access(nc.access_log);
    M.conf = nc;
    M.conf_gen++;
    rs_log(RS_LOG_NOTICE, NULL, "configuration reloaded; rolling %u worker(s)", alive(1));
}

/* one worker at a time: retire the next stale one once the previous has been replaced */
static void roll_step(int64_t now)
{
    for (unsigned i = NSUPS; i < M.nkids; i++)
        if (M.kids[i].child.stopping || (M.kids[i].child.pid == 0 && M.kids[i].enabled))
            return;
    for (unsigned i = NSUPS; i < M.nkids; i++) {
        kid_t *k = &M.kids[i];
        if (k->child.pid > 0 && k->conf_gen != M.conf_gen) {
            rs_child_stop_begin(&k->child, (int)M.conf.shutdown_timeout * 1000 + 1000, now);
            return;
        }
    }
}

/* spawn every child that is due; returns the next wake-up time */
static int64_t spawn_due(int64_t now)
{
    int64_t next = now + 1000;
    unsigned usable = 0;
    for (unsigned i = 0; i < M.nkids; i++) {
        kid_t *k = &M.kids[i];
        if (!k->enabled)
            continue;
        usable += k->worker;
        rs_child_stop_tick(&k->child, now); /* a retiring worker that does not go */
        if (k->child.pid == 0 && k->child.next_spawn_ms <= now)
            spawn(k, now);
        else if (k->child.pid == 0 && k->child.next_spawn_ms < next)
            next = k->child.next_spawn_ms;
    }
    if (usable == 0)
        begin_stop(1, "no worker can run");
    return next;
}

/* The watchdog: a child whose heartbeat is older than its limit is stuck (a loop that
 * never returns, a stopped process): SIGKILL it, say why, and let the reaper respawn it;
 * the successor repairs what it held as after any crash. Reads atomics only. */
static void watchdog(int64_t now)
{
    for (unsigned i = 0; i < M.nkids; i++) {
        kid_t *k = &M.kids[i];
        int64_t limit =
            (int64_t)(k->worker ? M.conf.watchdog_worker : M.conf.watchdog_supervisor) * 1000;
        int64_t last = rs_status_last_beat(M.board, beat_who(k));
        if (limit == 0 || k->child.pid <= 0 || k->wd_killed || k->child.stopping ||
            now - last <= limit)
            continue;
        rs_log(RS_LOG_ERR, NULL,
               "watchdog: the %s (pid %d) made no progress for %lld ms (limit %lld ms): killing "
               "it; its successor repairs what it held",
               k->name, (int)k->child.pid, (long long)(now - last), (long long)limit);
        kill(k->child.pid, SIGKILL);
        k->wd_killed = 1;
    }
}

/* systemd Type=notify: READY=1 once a worker serves and no enabled service is still
 * starting (each is running, or unavailable with its reason in STATUS=). Until then the
 * board is looked at every 100 ms. Returns the next wake-up time. */
static int64_t notify_ready(int64_t now, int64_t wake)
{
    static const char *const names[NSUPS] = {"dynamodb", "lambda"}; /* kids[0], kids[1] */
    char msg[1024], reason[256];
    if (M.ready_sent || M.stopping)
        return wake;
    if (alive(1) == 0)
        return wake < now + 100 ? wake : now + 100;
    int n = snprintf(msg, sizeof(msg), "READY=1\nSTATUS=s3 running");
    for (unsigned i = 0; i < NSUPS; i++) {
        rs_svc_state_t st = rs_status_get(M.board, M.kids[i].svc, reason, sizeof(reason));
        if (M.kids[i].enabled && st == RS_SVC_STARTING)
            return wake < now + 100 ? wake : now + 100;
        if (n > 0 && (size_t)n < sizeof(msg))
            n += snprintf(msg + n, sizeof(msg) - (size_t)n, "; %s %s%s%s", names[i],
                          rs_status_name(st), st == RS_SVC_UNAVAILABLE ? ": " : "",
                          st == RS_SVC_UNAVAILABLE ? reason : "");
    }
    if (rs_notify(msg) != 0)
        rs_log(RS_LOG_WARN, NULL, "cannot notify systemd (NOTIFY_SOCKET): %m");
    M.ready_sent = 1;
    rs_log(RS_LOG_INFO, NULL, "ready: %s", msg + sizeof("READY=1\nSTATUS=") - 1);
    return wake;
}

/* s3_durability = interval: the master msyncs the whole mapping (MS_SYNC) once a second.
 * msync takes no lock of the store (the master must not), writes only the dirty pages and
 * never blocks a worker; the master is the one process that lives as long as the mapping
 * and is idle otherwise. Returns the next wake-up. */
static int64_t durability_tick(int64_t now, int64_t wake)
{
    static int64_t next;

    if (rs_store_durability(M.st) != RS_DUR_INTERVAL)
        return wake;
    if (now >= next) {
        if (rs_store_sync(M.st) != 0)
            rs_log(RS_LOG_ERR, NULL, "s3_durability = interval: cannot sync the S3 store: %m");
        next = rs_mono_ms() + 1000;
    }
    return next < wake ? next : wake;
}

static int serve(const sigset_t *wait_mask)
{
    for (;;) {
        int64_t now = rs_mono_ms(), wake = now + 1000;
        if (rs_sig_child) {
            rs_sig_child = 0;
            reap();
        }
        if (rs_sig_stop) {
            int sig = rs_sig_last;
            rs_sig_stop = 0;
            begin_stop(0, sig == SIGQUIT ? "SIGQUIT" : (sig == SIGINT ? "SIGINT" : "SIGTERM"));
        }
        if (rs_sig_reopen) {
            rs_sig_reopen = 0;
            if (rs_log_reopen() != 0)
                rs_log(RS_LOG_ERR, NULL, "cannot reopen the log file: %m");
            signal_all(SIGUSR1, 1);
            signal_all(SIGUSR1, 0);
        }
        if (rs_sig_reload) {
            rs_sig_reload = 0;
            if (!M.stopping)
                reload();
        }
        if (M.stopping) {
            /* the workers are gone: now the supervisors (they stop DynamoDB Local and the
             * Lambda execution environments) */
            for (unsigned i = 0; i < M.nkids; i++) {
                if (M.kids[i].worker == 0 && alive(1) == 0)
                    rs_child_stop_begin(&M.kids[i].child, (int)M.conf.shutdown_timeout * 1000, now);
                if (!M.killed)
                    rs_child_stop_tick(&M.kids[i].child, now);
            }
            if (alive(1) == 0 && alive(0) == 0)
                return M.exit_code;
            wake = now + 100;
        } else {
            wake = notify_ready(now, spawn_due(now));
            if (!M.stopping)
                roll_step(now);
            if (!M.stopping)
                watchdog(now);
            wake = durability_tick(now, wake);
        }
        int64_t ms = wake - rs_mono_ms();
        if (ms < 1)
            ms = 1;
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
        /* sleeps with the control signals unblocked: a signal ends the wait at once */
        ppoll(NULL, 0, &ts, wait_mask);
    }
}

int rs_master_run(const rs_conf_t *conf, const char *path, const char *const *kv, size_t nkv)
{
    sigset_t wait_mask;
    char role[] = "master";
    int rc;

    memset(&M, 0, sizeof(M));
    M.conf = *conf;
    M.path = path;
    M.kv = kv;
    M.nkv = nkv;
    M.pid = getpid();
    M.lfd = -1;
    rs_log_set_role(role);

    rs_store_conf_t sc = {
        .capacity_bytes = conf->s3_capacity,
        .max_objects = conf->s3_max_objects,
        .max_buckets = conf->s3_max_buckets,
        .shards = conf->s3_shards,
        .max_workers = conf->workers,
        .max_object_size = conf->s3_max_object_size,
        .max_uploads = conf->s3_max_uploads,
    };
    /* signals first: a TERM during start-up must still remove the region */
    if (rs_signals_master(&wait_mask) != 0) {
        rs_log(RS_LOG_EMERG, NULL, "signal set-up failed: %m");
        return 1;
    }
    if ((M.board = rs_status_create()) == NULL) {
        rs_log(RS_LOG_EMERG, NULL, "cannot create the status board: %m");
        return 1;
    }
    /* request counters: one writer slot per worker, then the ddb and lambda supervisors */
    if (rs_metrics_create(conf->workers + NSUPS) == NULL) {
        rs_log(RS_LOG_EMERG, NULL, "cannot create the metrics region: %m");
        return 1;
    }
    sup_init(&M.kids[0], RS_SVC_DYNAMODB, "ddb supervisor", conf->dynamodb, "dynamodb");
    sup_init(&M.kids[1], RS_SVC_LAMBDA, "lambda supervisor", conf->lambda, "lambda");
    for (unsigned i = 0; i < conf->workers; i++)
        worker_init(&M.kids[NSUPS + i], i);
    M.nkids = NSUPS + conf->workers;
    if (conf->data_dir[0]) { /* persistent: <data_dir>/s3/store.region, see region_file.c */
        char dir[sizeof conf->data_dir + 4], why[768];
        snprintf(dir, sizeof dir, "%s/s3", conf->data_dir);
        if ((rc = rs_store_open_dir(dir, &sc, &M.st, why, sizeof why)) != 0) {
            rs_log(RS_LOG_EMERG, NULL, "cannot open the S3 store in %s: %s", dir,
                   why[0] ? why : rs_err_str(rc));
            return 1;
        }
        rs_store_set_durability(M.st, rs_conf_durability(conf->s3_durability));
    } else if ((rc = rs_store_create(conf->shm_name, &sc, &M.st)) != 0) {
        rs_log(RS_LOG_EMERG, NULL, "cannot create the shared store %s: %s", conf->shm_name,
               rs_err_str(rc));
        return 1;
    }
    if ((M.lfd = rs_tcp_listen(conf->bind, (uint16_t)conf->port, 1024, RS_NET_NONBLOCK, NULL)) <
        0) {
        rs_log(RS_LOG_EMERG, NULL, "cannot listen on %s port %u: %m", conf->bind, conf->port);
        rs_store_destroy(M.st, 1);
        return 1;
    }
    rs_log(RS_LOG_NOTICE, NULL,
           "ruststack %s listening on %s:%u with %u worker(s), store %s (%llu MiB)",
           PACKAGE_VERSION, conf->bind, conf->port, conf->workers,
           conf->data_dir[0] ? "in <data_dir>/s3/store.region" : conf->shm_name,
           (unsigned long long)(conf->s3_capacity >> 20));
    rc = serve(&wait_mask);
    close(M.lfd);
    rs_store_destroy(M.st, 1);
    rmdir(conf->runtime_dir); /* only when empty: the supervisors removed their sockets */
    rs_status_destroy(M.board);
    rs_metrics_destroy(rs_metrics_current());
    rs_log(RS_LOG_NOTICE, NULL, "stopped");
    return rc;
}
