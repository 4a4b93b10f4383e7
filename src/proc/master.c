/*
 * master.c: the thin master: create the store before any fork, open the listener, fork
 * one worker per slot, reap and respawn with backoff, and act on signals: TERM/INT/QUIT
 * graceful stop (SIGKILL after shutdown_timeout, or at once on a second signal), HUP
 * reload (validate, then roll the workers one by one), USR1 reopen logs. It also
 * creates the service status board before any fork and runs the ddb supervisor (when
 * `dynamodb` is on) and the lambda supervisor (when `lambda` is on) as supervised children
 * (respawned with backoff, stopped after the workers).
 * Runs in: master. Never takes a lock in shared memory, never parses HTTP; its only
 * store write is rs_store_slot_mark_dead after reaping.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

#define QUICK_DEATH_MS 5000 /* a worker exiting/crashing sooner than this failed at start-up */
#define MAX_QUICK_DEATHS 6  /* in a row, in one slot: give up instead of looping */
#define BACKOFF_MAX_MS 10000

typedef struct wslot {
    pid_t pid; /* 0: not running */
    int64_t started_ms;
    int64_t next_spawn_ms;
    unsigned quick_deaths;
    int retiring;      /* sent TERM for a reload roll; respawn at once */
    int disabled;      /* exited RS_EXIT_FATAL: never respawned */
    unsigned conf_gen; /* configuration generation it was forked with */
} wslot_t;

/* one supervised service child */
typedef struct sup {
    rs_child_t child;
    rs_svc_t svc;
    int enabled;
    unsigned spawns; /* 1 during the first spawn: the lambda registry starts empty */
} sup_t;
#define NSUPS 2

static struct {
    rs_conf_t conf;
    const char *path;
    const char *const *kv;
    size_t nkv;
    rs_store_t *st;
    int lfd;
    pid_t pid;
    wslot_t slots[RS_CONF_MAX_WORKERS];
    unsigned n;
    unsigned conf_gen;
    int stopping;
    int exit_code;
    int64_t deadline_ms;
    int killed;
    rs_status_board_t *board;
    sup_t sups[NSUPS]; /* the ddb and lambda supervisors */
    int ready_sent;    /* systemd has been told READY=1 */
} M;

static int open_listener(const char *addr, unsigned port, int *out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        len = sizeof(*v6);
    } else {
        errno = EINVAL;
        return RS_EINVAL;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return RS_ERR;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return RS_ERR;
    }
    *out = fd;
    return 0;
}

static unsigned alive(void)
{
    unsigned k = 0;
    for (unsigned i = 0; i < M.n; i++)
        k += M.slots[i].pid > 0;
    return k;
}

static void signal_all(int sig)
{
    for (unsigned i = 0; i < M.n; i++)
        if (M.slots[i].pid > 0)
            kill(M.slots[i].pid, sig);
}

static void sup_init(sup_t *sp, rs_svc_t svc, const char *name, int enabled, const char *key)
{
    char why[96];
    rs_child_init(&sp->child, name);
    sp->svc = svc;
    sp->enabled = enabled;
    if (enabled) {
        snprintf(why, sizeof(why), "the %s is starting", name);
        rs_status_set(M.board, svc, RS_SVC_STARTING, why);
    } else {
        snprintf(why, sizeof(why), "switched off in the configuration (%s = off)", key);
        rs_status_set(M.board, svc, RS_SVC_DISABLED, why);
    }
}

static void sup_child(void *arg)
{
    sup_t *sp = arg;
    close(M.lfd);
    if (sp->svc == RS_SVC_DYNAMODB)
        rs_ddb_supervisor_main(&M.conf, M.board, M.pid);
    rs_lambda_supervisor_main(&M.conf, M.board, M.pid, sp->spawns == 1);
}

static void spawn_sups(int64_t now)
{
    for (unsigned i = 0; i < NSUPS; i++) {
        sup_t *sp = &M.sups[i];
        if (!sp->enabled || M.stopping || sp->child.pid > 0 || now < sp->child.next_spawn_ms)
            continue;
        sp->spawns++;
        if (rs_child_spawn(&sp->child, SIGTERM, sup_child, sp) != 0) {
            rs_log(RS_LOG_ALERT, NULL, "fork failed for the %s: %m", sp->child.name);
            sp->child.next_spawn_ms = now + 1000;
            sp->spawns--;
        }
    }
}

/* signal every running supervisor */
static void signal_sups(int sig)
{
    for (unsigned i = 0; i < NSUPS; i++)
        if (M.sups[i].child.pid > 0)
            kill(M.sups[i].child.pid, sig);
}

static unsigned sups_alive(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NSUPS; i++)
        n += M.sups[i].child.pid > 0;
    return n;
}

static void spawn(unsigned i)
{
    wslot_t *w = &M.slots[i];
    pid_t pid = fork();
    if (pid < 0) {
        rs_log(RS_LOG_ALERT, NULL, "fork failed for slot %u: %m", i);
        w->next_spawn_ms = rs_mono_ms() + 1000;
        return;
    }
    if (pid == 0)
        rs_worker_run(&M.conf, M.st, M.lfd, i, M.pid);
    w->pid = pid;
    w->started_ms = rs_mono_ms();
    w->conf_gen = M.conf_gen;
    w->retiring = 0;
    rs_log(RS_LOG_INFO, NULL, "started worker %d in slot %u", (int)pid, i);
}

static void begin_stop(int code, const char *why)
{
    if (M.stopping) {
        if (!M.killed) {
            rs_log(RS_LOG_NOTICE, NULL, "second stop request: killing the workers");
            signal_all(SIGKILL);
            signal_sups(SIGKILL);
            M.killed = 1;
        }
        return;
    }
    M.stopping = 1;
    M.exit_code = code;
    rs_notify("STOPPING=1\nSTATUS=stopping");
    M.deadline_ms = rs_mono_ms() + (int64_t)M.conf.shutdown_timeout * 1000 + 1000;
    rs_log(RS_LOG_NOTICE, NULL, "%s: stopping %u worker(s) gracefully", why, alive());
    signal_all(SIGTERM);
}

static void reaped(unsigned i, int status)
{
    wslot_t *w = &M.slots[i];
    int64_t now = rs_mono_ms();
    char how[96];
    rs_child_describe(status, how, sizeof(how));
    rs_store_slot_mark_dead(M.st, i);
    int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    rs_log(clean || M.stopping || w->retiring ? RS_LOG_INFO : RS_LOG_ALERT, NULL,
           "worker %d (slot %u) %s", (int)w->pid, i, how);
    w->pid = 0;
    if (M.stopping)
        return;
    if (w->retiring) {
        w->retiring = 0;
        w->quick_deaths = 0;
        w->next_spawn_ms = now;
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == RS_EXIT_FATAL) {
        w->disabled = 1;
        rs_log(RS_LOG_ALERT, NULL, "slot %u: fatal worker error, not respawning", i);
        return;
    }
    /* A start-up failure is the worker's own exit or crash soon after spawning. A SIGKILL
     * comes from outside (an operator, the OOM killer, a stress test) and says nothing
     * about start-up, so it never counts towards giving up. */
    if (now - w->started_ms < QUICK_DEATH_MS &&
        !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
        w->quick_deaths++;
    else
        w->quick_deaths = 0;
    if (w->quick_deaths >= MAX_QUICK_DEATHS) {
        rs_log(RS_LOG_ALERT, NULL, "slot %u: worker died %u times in a row at start-up, giving up",
               i, w->quick_deaths);
        begin_stop(1, "workers keep dying");
        return;
    }
    int64_t delay = 0;
    if (w->quick_deaths > 0) {
        delay = 100ll << (w->quick_deaths - 1);
        if (delay > BACKOFF_MAX_MS)
            delay = BACKOFF_MAX_MS;
    }
    w->next_spawn_ms = now + delay;
    if (delay > 0)
        rs_log(RS_LOG_NOTICE, NULL, "slot %u: respawning in %lld ms", i, (long long)delay);
}

static void reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        sup_t *sp = NULL;
        for (unsigned i = 0; i < NSUPS; i++)
            if (M.sups[i].child.pid == pid)
                sp = &M.sups[i];
        if (sp != NULL) {
            int64_t delay = rs_child_reaped(&sp->child, status, rs_mono_ms());
            char why[96];
            snprintf(why, sizeof(why), "the %s is restarting%s", sp->child.name,
                     delay > 0 ? " (backoff)" : "");
            if (!M.stopping)
                rs_status_set(M.board, sp->svc, RS_SVC_STARTING, why);
            continue;
        }
        for (unsigned i = 0; i < M.n; i++) {
            if (M.slots[i].pid == pid) {
                reaped(i, status);
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
    rs_log(RS_LOG_NOTICE, NULL, "configuration reloaded; rolling %u worker(s)", alive());
}

/* one worker at a time: retire the next stale one once the previous has been replaced */
static void roll_step(void)
{
    for (unsigned i = 0; i < M.n; i++)
        if (M.slots[i].retiring || (M.slots[i].pid == 0 && !M.slots[i].disabled))
            return;
    for (unsigned i = 0; i < M.n; i++) {
        wslot_t *w = &M.slots[i];
        if (w->pid > 0 && w->conf_gen != M.conf_gen) {
            w->retiring = 1;
            kill(w->pid, SIGTERM);
            return;
        }
    }
}

static int64_t spawn_due(int64_t now)
{
    int64_t next = now + 1000;
    unsigned usable = 0;
    for (unsigned i = 0; i < M.n; i++) {
        wslot_t *w = &M.slots[i];
        if (w->disabled)
            continue;
        usable++;
        if (w->pid == 0) {
            if (w->next_spawn_ms <= now)
                spawn(i);
            else if (w->next_spawn_ms < next)
                next = w->next_spawn_ms;
        }
    }
    if (usable == 0)
        begin_stop(1, "no worker can run");
    return next;
}

/* systemd Type=notify: READY=1 once a worker serves and no enabled service is still
 * starting (each is running, or unavailable with its reason in STATUS=). Until then the
 * board is looked at every 100 ms. Returns the next wake-up time. */
static int64_t notify_ready(int64_t now, int64_t wake)
{
    static const char *const names[NSUPS] = {"dynamodb", "lambda"};
    char msg[1024], reason[256];
    if (M.ready_sent || M.stopping)
        return wake;
    if (alive() == 0)
        return wake < now + 100 ? wake : now + 100;
    int n = snprintf(msg, sizeof(msg), "READY=1\nSTATUS=s3 running");
    for (unsigned i = 0; i < NSUPS; i++) {
        rs_svc_state_t st = rs_status_get(M.board, M.sups[i].svc, reason, sizeof(reason));
        if (M.sups[i].enabled && st == RS_SVC_STARTING)
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
            signal_all(SIGUSR1);
            signal_sups(SIGUSR1);
        }
        if (rs_sig_reload) {
            rs_sig_reload = 0;
            if (!M.stopping)
                reload();
        }
        if (M.stopping) {
            /* the workers are gone: now the supervisors (they stop DynamoDB Local and the
             * Lambda execution environments) */
            for (unsigned i = 0; alive() == 0 && i < NSUPS; i++) {
                if (M.sups[i].child.pid > 0) {
                    rs_child_stop_begin(&M.sups[i].child, (int)M.conf.shutdown_timeout * 1000, now);
                    rs_child_stop_tick(&M.sups[i].child, now);
                }
            }
            if (alive() == 0 && sups_alive() == 0)
                return M.exit_code;
            if (!M.killed && now >= M.deadline_ms) {
                rs_log(RS_LOG_WARN, NULL, "graceful stop timed out: killing %u worker(s)", alive());
                signal_all(SIGKILL);
                M.killed = 1;
            }
            wake = M.killed ? now + 1000 : M.deadline_ms;
            if (alive() == 0 && wake > now + 100)
                wake = now + 100;
        } else {
            spawn_sups(now);
            wake = spawn_due(now);
            for (unsigned i = 0; i < NSUPS; i++) {
                const rs_child_t *ch = &M.sups[i].child;
                if (M.sups[i].enabled && ch->pid == 0 && ch->next_spawn_ms < wake)
                    wake = ch->next_spawn_ms;
            }
            if (!M.stopping)
                roll_step();
            wake = notify_ready(now, wake);
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
    M.n = conf->workers;
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
    sup_init(&M.sups[0], RS_SVC_DYNAMODB, "ddb supervisor", conf->dynamodb, "dynamodb");
    sup_init(&M.sups[1], RS_SVC_LAMBDA, "lambda supervisor", conf->lambda, "lambda");
    if (conf->data_dir[0]) { /* persistent: <data_dir>/s3/store.region, see region_file.c */
        char dir[sizeof conf->data_dir + 4], why[768];
        snprintf(dir, sizeof dir, "%s/s3", conf->data_dir);
        if ((rc = rs_store_open_dir(dir, &sc, &M.st, why, sizeof why)) != 0) {
            rs_log(RS_LOG_EMERG, NULL, "cannot open the S3 store in %s: %s", dir,
                   why[0] ? why : rs_err_str(rc));
            return 1;
        }
    } else if ((rc = rs_store_create(conf->shm_name, &sc, &M.st)) != 0) {
        rs_log(RS_LOG_EMERG, NULL, "cannot create the shared store %s: %s", conf->shm_name,
               rs_err_str(rc));
        return 1;
    }
    if (open_listener(conf->bind, conf->port, &M.lfd) != 0) {
        rs_log(RS_LOG_EMERG, NULL, "cannot listen on %s port %u: %m", conf->bind, conf->port);
        rs_store_destroy(M.st, 1);
        return 1;
    }
    rs_log(RS_LOG_NOTICE, NULL,
           "ruststack %s listening on %s:%u with %u worker(s), store %s (%llu MiB)",
           PACKAGE_VERSION, conf->bind, conf->port, M.n,
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
