/*
 * lambda_pool.c: the pool of execution environments (rs_lambda_pool_* of lambda_int.h):
 * per function up to lambda_max_concurrency environments, one invocation each at a time;
 * warm reuse per revision, cold starts, waiting for a free environment (throttled after
 * the function's timeout), retirement of old revisions, the idle reaper, and the result of
 * every invocation (payloads for timeouts, crashes, init errors, oversized responses; the
 * LogResult tail with START/END/REPORT). Runs in: the lambda supervisor (the invoking
 * request threads, the reaper thread, the executor's watcher threads).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lambda/lambda_exec.h"
#include "lambda/lambda_hot.h"
#include "lambda/lambda_int.h"
#include "rs/os.h"
#include "rs/err.h"
#include "rs/log.h"

#define LOG_TAIL_MAX 4096
#define LOG_READ_MAX (1u << 20)

enum env_state { E_BUSY, E_IDLE };

typedef struct env {
    struct env *next;
    rs_lambda_pool_t *pool;
    rs_lambda_fn_t *fn;
    enum env_state state;
    int retired;
    int exited; /* the watcher saw the runtime end */
    int slot;
    uint64_t id;
    rs_rapi_t *rapi;
    rs_lexec_t *x;
    pthread_t watcher;
    int have_watcher;
    int64_t last_used;
    uint64_t hot_gen; /* hot reload: the code generation the runtime process imported */
    int init_failed;  /* hot reload: that import failed; the next invoke imports again */
    char dir[1200];
    char log_path[1300];
    char tmp_dir[1300];
} env_t;

struct rs_lambda_pool {
    rs_conf_t conf;
    const rs_lexec_ops_t *ops;
    void *xstate;
    char base[1100];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    env_t *envs;
    uint64_t next_id;
    int stopping;
    pthread_t reaper;
    rs_lambda_pool_stats_t st;
};

static int same_fn(const rs_lambda_fn_t *a, const rs_lambda_fn_t *b)
{
    return strcmp(a->name, b->name) == 0 && strcmp(a->account, b->account) == 0 &&
           strcmp(a->region, b->region) == 0;
}

static void cond_wait_ms(rs_lambda_pool_t *p, int64_t ms)
{
    rs_cond_wait_ms(&p->cv, &p->mu, ms);
}

/* Unlink e from the list (pool lock held). */
static void unlink_env(rs_lambda_pool_t *p, env_t *e)
{
    for (env_t **pp = &p->envs; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    e->next = NULL;
    pthread_cond_broadcast(&p->cv);
}

/* Stop and free an environment already unlinked (no lock held; may block). */
static void destroy_env(rs_lambda_pool_t *p, env_t *e)
{
    if (e->x)
        p->ops->kill(e->x);
    if (e->have_watcher)
        pthread_join(e->watcher, NULL);
    if (e->rapi)
        rs_rapi_destroy(e->rapi);
    if (e->x)
        p->ops->release(e->x);
    rs_lambda_fn_unref(e->fn);
    free(e);
}

static void destroy_list(rs_lambda_pool_t *p, env_t *list)
{
    while (list) {
        env_t *n = list->next;
        destroy_env(p, list);
        list = n;
    }
}

static void *watcher_main(void *arg)
{
    env_t *e = arg;
    int status = e->pool->ops->wait(e->x);
    rs_rapi_notify_exit(e->rapi, status);
    pthread_mutex_lock(&e->pool->mu);
    e->exited = 1;
    pthread_cond_broadcast(&e->pool->cv);
    pthread_mutex_unlock(&e->pool->mu);
    return NULL;
}

static void *reaper_main(void *arg)
{
    rs_lambda_pool_t *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        cond_wait_ms(p, 1000);
        int64_t now = rs_mono_ms();
        env_t *dead = NULL;
        for (env_t *e = p->envs, *n; e; e = n) {
            n = e->next;
            if (e->state != E_IDLE)
                continue;
            if (e->exited || e->retired ||
                now - e->last_used >= (int64_t)p->conf.lambda_idle_timeout * 1000) {
                unlink_env(p, e);
                e->next = dead;
                dead = e;
            }
        }
        if (dead) {
            pthread_mutex_unlock(&p->mu);
            destroy_list(p, dead);
            pthread_mutex_lock(&p->mu);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int rs_lambda_pool_create(const rs_conf_t *conf, rs_lambda_pool_t **out, char *why, size_t whylen)
{
    *out = NULL;
    const rs_lexec_ops_t *ops;
    if (strcmp(conf->lambda_executor, "process") == 0)
        ops = &rs_lexec_process_ops;
    else if (strcmp(conf->lambda_executor, "docker") == 0)
        ops = &rs_lexec_docker_ops;
    else {
        snprintf(why, whylen, "unknown lambda_executor '%s' (docker or process)",
                 conf->lambda_executor);
        return RS_ERR;
    }
    rs_lambda_pool_t *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(why, whylen, "out of memory");
        return RS_ENOMEM;
    }
    p->conf = *conf;
    p->ops = ops;
    snprintf(p->base, sizeof(p->base), "%s/lambda-envs", conf->runtime_dir);
    rs_rm_r(p->base);
    if (rs_mkdir_p(p->base, 0700) < 0) {
        snprintf(why, whylen, "cannot create %s: %s", p->base, strerror(errno));
        free(p);
        return RS_ERR;
    }
    int rc = ops->init(conf, &p->xstate, why, whylen);
    if (rc < 0) {
        free(p);
        return rc < 0 ? rc : RS_ERR;
    }
    ops->cleanup_orphans(p->xstate);
    rs_cond_init_mono(&p->cv);
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->reaper, NULL, reaper_main, p) != 0) {
        ops->fini(p->xstate);
        free(p);
        snprintf(why, whylen, "cannot start the reaper thread");
        return RS_ERR;
    }
    rs_log_notice("lambda: %s executor ready (max %u environments per function)", ops->name,
                  conf->lambda_max_concurrency);
    *out = p;
    return 0;
}

/* ---- one invocation ----------------------------------------------------------------- */

typedef struct run {
    rs_lambda_pool_t *p;
    env_t *e;
    const rs_lambda_invoke_t *inv;
    rs_lambda_result_t *out;
    int cold;
    double init_ms;
    size_t init_bytes; /* log bytes written during init (before START) */
    int timed_out;
    int env_dead; /* the environment must not be reused */
} run_t;

static int set_payload(rs_lambda_result_t *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int set_payload(rs_lambda_result_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return RS_ENOMEM;
    free(out->payload);
    out->payload = s;
    out->payload_len = (size_t)n;
    return 0;
}

static void exit_message(int status, char *buf, size_t len)
{
    if (status == 0)
        snprintf(buf, len, "Runtime exited without providing a reason");
    else if (status > 0)
        snprintf(buf, len, "Runtime exited with error: exit status %d", status);
    else {
        const char *s = strsignal(-status);
        char low[64];
        size_t i = 0;
        for (; s && s[i] && i < sizeof(low) - 1; i++)
            low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
        low[i] = '\0';
        snprintf(buf, len, "Runtime exited with error: signal: %s", low);
    }
}

static int set_exit_error(run_t *r, int status)
{
    char msg[128];
    exit_message(status, msg, sizeof(msg));
    r->out->function_error = 1;
    r->env_dead = 1;
    return set_payload(r->out,
                       "{\"errorType\": \"Runtime.ExitError\", \"errorMessage\": \"RequestId: "
                       "%s Error: %s\"}",
                       r->inv->request_id, msg);
}

static int set_timeout(run_t *r)
{
    r->out->function_error = 1;
    r->env_dead = 1;
    r->timed_out = 1;
    return set_payload(r->out,
                       "{\"errorType\": \"Sandbox.Timedout\", \"errorMessage\": \"RequestId: %s "
                       "Error: Task timed out after %u.00 seconds\"}",
                       r->inv->request_id, r->e->fn->timeout_s);
}

static void take_payload(rs_lambda_result_t *out, rs_rapi_outcome_t *o)
{
    free(out->payload);
    out->payload = o->payload;
    out->payload_len = o->payload_len;
    o->payload = NULL;
    if (!out->payload) {
        out->payload = strdup("");
        out->payload_len = 0;
    }
}

static void kill_and_reap(run_t *r)
{
    r->p->ops->kill(r->e->x);
    rs_rapi_outcome_t o;
    do {
        rs_rapi_wait(r->e->rapi, -1, &o);
        free(o.payload);
    } while (o.event != RS_RAPI_EXITED);
}

static size_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static int await_init(run_t *r, int64_t deadline, int64_t c0);

/* Start the environment's runtime and wait for its first /next. 0: ready; 1: the result
 * is already in r->out (init error, crash, init timeout, service error). */
static int cold_start(run_t *r)
{
    rs_lambda_pool_t *p = r->p;
    env_t *e = r->e;
    const rs_lambda_fn_t *fn = e->fn;
    if (rs_mkdir_p(e->tmp_dir, 0777) < 0 || chmod(e->tmp_dir, 01777) < 0) {
        snprintf(r->out->service_error, sizeof(r->out->service_error),
                 "cannot create the environment directory %.150s: %s", e->dir, strerror(errno));
        return 1;
    }
    char logdir[1300];
    snprintf(logdir, sizeof(logdir), "%s/log", e->dir);
    rs_mkdir_p(logdir, 0777);
    int fd = open(e->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd >= 0) {
        fchmod(fd, 0666);
        close(fd);
    }
    uint16_t port = 0;
    rs_lexec_net_t net = {{0}, {0}};
    if (p->ops->net)
        p->ops->net(p->xstate, &net);
    if (rs_rapi_create(&e->rapi) == 0 && fn->hot)
        rs_rapi_set_hot(e->rapi);
    if (!e->rapi || rs_rapi_listen(e->rapi, net.rapi_addr[0] ? net.rapi_addr : NULL, &port) < 0) {
        snprintf(r->out->service_error, sizeof(r->out->service_error),
                 "cannot open a Runtime API listener: %s", strerror(errno));
        return 1;
    }
    char stream[128];
    rs_lambda_log_stream_name(stream, sizeof(stream));
    int in_container = strcmp(p->ops->name, "docker") == 0;
    char **envp = rs_lambda_env_build(&p->conf, fn, port, &net, in_container,
                                      p->conf.lambda_runtime_path, e->tmp_dir, stream);
    if (!envp) {
        snprintf(r->out->service_error, sizeof(r->out->service_error), "out of memory");
        return 1;
    }
    rs_lexec_spec_t spec = {
        .fn = fn, .envp = envp, .env_dir = e->dir, .log_path = e->log_path, .tmp_dir = e->tmp_dir};
    char err[200] = "";
    int64_t t0 = rs_mono_ms();
    int64_t c0 = rs_mono_ns();
    if (fn->hot)
        e->hot_gen = rs_lambda_hot_gen(fn->code_dir);
    if (net.rapi_addr[0] && p->ops->peer)
        rs_rapi_expect_peer(e->rapi); /* the bridge: only this environment's container */
    int rc = p->ops->start(p->xstate, &spec, &e->x, err, sizeof(err));
    rs_lambda_env_free(envp);
    if (rc == 0 && net.rapi_addr[0] && p->ops->peer) {
        char ip[64] = "";
        p->ops->peer(e->x, ip, sizeof(ip));
        rs_rapi_set_peer(e->rapi, ip);
    }
    if (rc < 0) {
        e->x = NULL;
        snprintf(r->out->service_error, sizeof(r->out->service_error), "lambda executor %s: %s",
                 p->ops->name, err);
        rs_log_error("lambda: %s: %s", fn->name, r->out->service_error);
        return 1;
    }
    if (pthread_create(&e->watcher, NULL, watcher_main, e) == 0) {
        e->have_watcher = 1;
    } else {
        snprintf(r->out->service_error, sizeof(r->out->service_error),
                 "cannot start a watcher thread");
        return 1;
    }
    int64_t limit = ((int64_t)p->conf.lambda_start_timeout + fn->timeout_s) * 1000;
    return await_init(r, t0 + limit, c0);
}

/* Hot reload: the code changed since this warm environment's runtime imported it: restart
 * only the runtime process (bootstrap.py forks a fresh one), not the environment. Same
 * outcomes as cold_start. */
static int hot_restart(run_t *r)
{
    env_t *e = r->e;
    const rs_lambda_fn_t *fn = e->fn;
    int64_t t0 = rs_mono_ms();
    int64_t c0 = rs_mono_ns();
    e->hot_gen = rs_lambda_hot_gen(fn->code_dir); /* later changes: the next invoke */
    e->init_failed = 0;
    if (rs_rapi_reload(e->rapi) != 0) {
        snprintf(r->out->service_error, sizeof(r->out->service_error),
                 "the execution environment refused the reload");
        return 1;
    }
    r->cold = 1; /* the log shows the import's output and Init Duration, as on a cold start */
    int64_t limit = ((int64_t)r->p->conf.lambda_start_timeout + fn->timeout_s) * 1000;
    return await_init(r, t0 + limit, c0);
}

/* Wait for the runtime's first /next after a start or reload. 0: ready; 1: the result is
 * in r->out. */
static int await_init(run_t *r, int64_t deadline, int64_t c0)
{
    env_t *e = r->e;
    rs_rapi_outcome_t o;
    rs_rapi_wait(e->rapi, deadline, &o);
    r->init_ms = (double)(rs_mono_ns() - c0) / 1e6;
    r->init_bytes = file_size(e->log_path);
    switch (o.event) {
    case RS_RAPI_READY:
        return 0;
    case RS_RAPI_INIT_ERROR:
        r->out->function_error = 1;
        if (o.payload) {
            take_payload(r->out, &o);
        } else {
            set_payload(r->out,
                        "{\"errorType\": \"Runtime.InitError\", \"errorMessage\": \"RequestId: "
                        "%s Error: the init error report was too large\"}",
                        r->inv->request_id);
        }
        if (e->fn->hot) {
            /* the environment stays: its bootstrap waits for the next reload, and the
             * next invoke imports the code again (fixed or not) */
            e->init_failed = 1;
        } else {
            r->env_dead = 1;
            kill_and_reap(r);
        }
        r->init_bytes = file_size(e->log_path);
        return 1;
    case RS_RAPI_EXITED:
        set_exit_error(r, o.exit_status);
        r->init_bytes = file_size(e->log_path);
        return 1;
    default:
        free(o.payload);
        set_timeout(r);
        kill_and_reap(r);
        return 1;
    }
}

static void run_invoke(run_t *r)
{
    env_t *e = r->e;
    const rs_lambda_invoke_t *inv = r->inv;
    uint32_t timeout_ms = e->fn->timeout_s * 1000;
    char trace[128];
    rs_lambda_trace_id(trace, sizeof(trace));
    rs_rapi_invocation_t ri = {.request_id = inv->request_id,
                               .deadline_epoch_ms = rs_wall_ms() + timeout_ms,
                               .invoked_arn = inv->invoked_arn ? inv->invoked_arn : e->fn->arn,
                               .trace_id = trace,
                               .client_context = inv->client_context,
                               .payload = inv->payload,
                               .payload_len = inv->payload_len};
    int64_t t0 = rs_mono_ms();
    if (rs_rapi_invoke(e->rapi, &ri) < 0) {
        snprintf(r->out->service_error, sizeof(r->out->service_error),
                 "the execution environment refused the invocation");
        r->env_dead = 1;
        return;
    }
    rs_rapi_outcome_t o;
    do {
        rs_rapi_wait(e->rapi, t0 + timeout_ms, &o);
    } while (o.event == RS_RAPI_READY);
    switch (o.event) {
    case RS_RAPI_RESPONSE:
        take_payload(r->out, &o);
        break;
    case RS_RAPI_ERROR:
        r->out->function_error = 1;
        take_payload(r->out, &o);
        break;
    case RS_RAPI_TOO_LARGE:
        r->out->function_error = 1;
        set_payload(r->out, "{\"errorMessage\": \"Response payload size exceeded maximum "
                            "allowed payload size (" RS_LAMBDA_RESPONSE_MAX_TEXT
                            " bytes).\", \"errorType\": "
                            "\"Function.ResponseSizeTooLarge\"}");
        break;
    case RS_RAPI_EXITED:
        set_exit_error(r, o.exit_status);
        break;
    default:
        free(o.payload);
        set_timeout(r);
        kill_and_reap(r);
        break;
    }
}

static unsigned max_memory_mb(rs_lambda_pool_t *p, env_t *e)
{
    int pid = e->x ? p->ops->pid(e->x) : 0;
    if (pid <= 0)
        return 0;
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    unsigned long kb = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
            break;
    fclose(f);
    return (unsigned)((kb + 1023) / 1024);
}

/* The log file's content, at most its last LOG_READ_MAX bytes (*skipped: bytes left out). */
static char *read_log(const char *path, size_t *len, size_t *skipped)
{
    *len = 0;
    *skipped = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return NULL;
    }
    size_t cap = (size_t)st.st_size;
    if (cap > LOG_READ_MAX) {
        *skipped = cap - LOG_READ_MAX;
        cap = LOG_READ_MAX;
        if (lseek(fd, (off_t)*skipped, SEEK_SET) < 0) {
            close(fd);
            return NULL;
        }
    }
    char *b = malloc(cap + 1);
    size_t n = 0;
    while (b && n < cap) {
        ssize_t r = read(fd, b + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (b)
        b[n] = '\0';
    *len = n;
    return b;
}

/* Copy each output line to RustStack's log, prefixed with the function name. */
static void copy_lines(const char *fname, const char *rid, const char *s, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(s, '\n', n);
        size_t l = nl ? (size_t)(nl - s) : n;
        if (l > RS_LOG_LINE_MAX - 256)
            l = RS_LOG_LINE_MAX - 256;
        rs_log(RS_LOG_INFO, rid, "%s: %.*s", fname, (int)l, s);
        size_t adv = nl ? (size_t)(nl - s) + 1 : n;
        s += adv;
        n -= adv;
    }
}

/* Compose this invocation's log, copy its output to RustStack's log, fill log_tail. The
 * file is emptied once copied: the next warm invoke logs only what comes after (output
 * written between the read and the truncation is lost, as at the start of a warm invoke). */
static void finish_log(run_t *r, double dur_ms)
{
    env_t *e = r->e;
    const char *rid = r->inv->request_id;
    size_t n, skipped;
    char *out = read_log(e->log_path, &n, &skipped);
    if (out && n)
        copy_lines(e->fn->name, rid, out, n);
    if ((skipped > 0 || n > 0) && truncate(e->log_path, 0) < 0)
        rs_log_warn("lambda: cannot truncate %s: %s", e->log_path, strerror(errno));
    if (!r->inv->want_log) {
        free(out);
        return;
    }
    size_t init_n = r->cold && r->init_bytes > skipped ? r->init_bytes - skipped : 0;
    if (init_n > n)
        init_n = n;
    char *buf = NULL;
    size_t blen = 0;
    FILE *m = open_memstream(&buf, &blen);
    if (!m) {
        free(out);
        return;
    }
    if (init_n)
        fwrite(out, 1, init_n, m);
    fprintf(m, "START RequestId: %s Version: $LATEST\n", rid);
    if (out && n > init_n) {
        fwrite(out + init_n, 1, n - init_n, m);
        if (out[n - 1] != '\n')
            fputc('\n', m);
    }
    if (r->timed_out) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        char ts[32];
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(m, "%s %s Task timed out after %u.00 seconds\n", ts, rid, e->fn->timeout_s);
    }
    fprintf(m, "END RequestId: %s\n", rid);
    fprintf(m,
            "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %.0f ms\tMemory Size: "
            "%u MB\tMax Memory Used: %u MB\t",
            rid, dur_ms, ceil(dur_ms), e->fn->memory_mb, max_memory_mb(r->p, e));
    if (r->cold)
        fprintf(m, "Init Duration: %.2f ms\t", r->init_ms);
    if (r->timed_out)
        fprintf(m, "Status: timeout");
    fputc('\n', m);
    fclose(m);
    free(out);
    if (!buf)
        return;
    size_t start = blen > LOG_TAIL_MAX ? blen - LOG_TAIL_MAX : 0;
    r->out->log_tail = malloc(blen - start + 1);
    if (r->out->log_tail) {
        memcpy(r->out->log_tail, buf + start, blen - start);
        r->out->log_tail[blen - start] = '\0';
        r->out->log_len = blen - start;
    }
    free(buf);
}

/* The smallest /tmp slot no live environment of fn uses (pool lock held): a reset
 * environment's successor finds the same /tmp, as on Lambda. */
static int free_slot(rs_lambda_pool_t *p, const rs_lambda_fn_t *fn)
{
    for (int slot = 0;; slot++) {
        int used = 0;
        for (env_t *e = p->envs; e && !used; e = e->next)
            used = same_fn(e->fn, fn) && e->slot == slot;
        if (!used)
            return slot;
    }
}

/* Take an environment for inv (pool lock held). Returns the env or NULL (throttled or
 * stopping); *cold says whether it is new. Idle environments that must go are moved to
 * *dead for the caller to destroy without the lock. */
static env_t *acquire(rs_lambda_pool_t *p, const rs_lambda_invoke_t *inv, int *cold, env_t **dead)
{
    const rs_lambda_fn_t *fn = inv->fn;
    int64_t deadline = rs_mono_ms() + (int64_t)fn->timeout_s * 1000;
    for (;;) {
        if (p->stopping)
            return NULL;
        env_t *idle_other = NULL;
        unsigned count = 0;
        for (env_t *e = p->envs, *n; e; e = n) {
            n = e->next;
            if (!same_fn(e->fn, fn))
                continue;
            /* an older revision never runs again once a newer one is invoked */
            if (e->fn->generation < fn->generation)
                e->retired = 1;
            if (e->state == E_IDLE && (e->retired || e->exited)) {
                unlink_env(p, e);
                e->next = *dead;
                *dead = e;
                continue;
            }
            count++;
            if (e->state != E_IDLE)
                continue;
            if (e->fn->generation == fn->generation) {
                e->state = E_BUSY;
                *cold = 0;
                return e;
            }
            idle_other = e;
        }
        if (count >= p->conf.lambda_max_concurrency && idle_other) {
            unlink_env(p, idle_other);
            idle_other->next = *dead;
            *dead = idle_other;
            count--;
        }
        if (count < p->conf.lambda_max_concurrency) {
            env_t *e = calloc(1, sizeof(*e));
            if (!e)
                return NULL;
            int slot = free_slot(p, fn);
            e->pool = p;
            e->slot = slot;
            e->id = ++p->next_id;
            e->state = E_BUSY;
            rs_lambda_fn_ref(inv->fn);
            e->fn = inv->fn;
            if (snprintf(e->dir, sizeof(e->dir), "%s/%s-%s-%s/slot%d", p->base, fn->account,
                         fn->region, fn->name, slot) >= (int)sizeof(e->dir) ||
                snprintf(e->tmp_dir, sizeof(e->tmp_dir), "%s/tmp", e->dir) < 0 ||
                snprintf(e->log_path, sizeof(e->log_path), "%s/log/output.log", e->dir) < 0)
                e->dir[0] = '\0'; /* cold_start reports it */
            e->next = p->envs;
            p->envs = e;
            *cold = 1;
            return e;
        }
        int64_t now = rs_mono_ms();
        if (now >= deadline)
            return NULL;
        cond_wait_ms(p, deadline - now);
    }
}

int rs_lambda_pool_invoke(rs_lambda_pool_t *p, const rs_lambda_invoke_t *inv,
                          rs_lambda_result_t *out)
{
    memset(out, 0, sizeof(*out));
    env_t *dead = NULL;
    int cold = 0;
    pthread_mutex_lock(&p->mu);
    env_t *e = acquire(p, inv, &cold, &dead);
    int stopping = p->stopping;
    if (e) {
        if (cold)
            p->st.cold_starts++;
        else
            p->st.warm_starts++;
    }
    pthread_mutex_unlock(&p->mu);
    destroy_list(p, dead);
    if (!e) {
        if (stopping)
            snprintf(out->service_error, sizeof(out->service_error), "the lambda pool is stopping");
        else
            out->throttled = 1;
        return 0;
    }
    run_t r = {.p = p, .e = e, .inv = inv, .out = out, .cold = cold};
    if (!cold) {
        /* output written between invocations belongs to no one: log it, start afresh */
        size_t n, skipped;
        char *left = read_log(e->log_path, &n, &skipped);
        if (left && n)
            copy_lines(e->fn->name, NULL, left, n);
        free(left);
        if (truncate(e->log_path, 0) < 0)
            rs_log_warn("lambda: cannot truncate %s: %s", e->log_path, strerror(errno));
    }
    int done = cold ? cold_start(&r) : 0;
    if (!cold && e->fn->hot && (e->init_failed || rs_lambda_hot_gen(e->fn->code_dir) != e->hot_gen))
        done = hot_restart(&r);
    int64_t c0 = rs_mono_ns();
    if (!done)
        run_invoke(&r);
    double dur = (double)(rs_mono_ns() - c0) / 1e6;
    if (out->service_error[0]) {
        r.env_dead = 1;
    } else {
        finish_log(&r, dur);
        if (!out->payload) {
            out->payload = strdup("");
            if (!out->payload)
                r.env_dead = 1;
        }
    }
    pthread_mutex_lock(&p->mu);
    if (r.timed_out)
        p->st.timeouts++;
    else if (r.env_dead && !out->service_error[0])
        p->st.crashes++;
    env_t *gone = NULL;
    if (r.env_dead || e->exited || e->retired || p->stopping) {
        unlink_env(p, e);
        gone = e;
    } else {
        e->state = E_IDLE;
        e->last_used = rs_mono_ms();
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (gone)
        destroy_env(p, gone);
    if (!out->service_error[0] && !out->payload)
        return RS_ENOMEM;
    return 0;
}

void rs_lambda_result_free(rs_lambda_result_t *r)
{
    if (!r)
        return;
    free(r->payload);
    free(r->log_tail);
    r->payload = r->log_tail = NULL;
    r->payload_len = r->log_len = 0;
}

void rs_lambda_pool_retire(rs_lambda_pool_t *p, const char *account, const char *region,
                           const char *name)
{
    env_t *dead = NULL;
    pthread_mutex_lock(&p->mu);
    for (env_t *e = p->envs, *n; e; e = n) {
        n = e->next;
        if (strcmp(e->fn->account, account) != 0 || strcmp(e->fn->region, region) != 0 ||
            strcmp(e->fn->name, name) != 0)
            continue;
        e->retired = 1;
        if (e->state == E_IDLE) {
            unlink_env(p, e);
            e->next = dead;
            dead = e;
        }
    }
    pthread_mutex_unlock(&p->mu);
    destroy_list(p, dead);
}

void rs_lambda_pool_stats(rs_lambda_pool_t *p, rs_lambda_pool_stats_t *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->st;
    out->envs_total = out->envs_busy = 0;
    for (env_t *e = p->envs; e; e = e->next) {
        out->envs_total++;
        if (e->state == E_BUSY)
            out->envs_busy++;
    }
    pthread_mutex_unlock(&p->mu);
}

void rs_lambda_pool_destroy(rs_lambda_pool_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->reaper, NULL);
    pthread_mutex_lock(&p->mu);
    env_t *dead = NULL;
    for (env_t *e = p->envs, *n; e; e = n) {
        n = e->next;
        if (e->state == E_IDLE) {
            unlink_env(p, e);
            e->next = dead;
            dead = e;
        } else if (e->x) {
            p->ops->kill(e->x); /* its invocation ends as a crash and removes it */
        }
    }
    pthread_mutex_unlock(&p->mu);
    destroy_list(p, dead);
    pthread_mutex_lock(&p->mu);
    while (p->envs) {
        for (env_t *e = p->envs; e; e = e->next)
            if (e->x)
                p->ops->kill(e->x);
        cond_wait_ms(p, 100);
    }
    pthread_mutex_unlock(&p->mu);
    p->ops->fini(p->xstate);
    rs_rm_r(p->base);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
