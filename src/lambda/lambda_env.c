/*
 * lambda_env.c: what an execution environment is given: its environment variables
 * (Lambda's reserved set of lambda.md 4.4, the user's variables, the endpoint, region and
 * credentials), its log stream name, per-invocation trace ids, and the directory helpers
 * for the per-environment dirs. Runs in: the lambda supervisor (pool threads).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lambda/lambda_exec.h"
#include "rs/codec.h"
#include "rs/err.h"

/* nhex (even, at most 128) random lower-case hex digits and a NUL */
static void random_hex(char *out, size_t nhex)
{
    uint8_t b[64];
    size_t nb = nhex / 2;
    if (nb > sizeof(b))
        nb = sizeof(b);
    if (getrandom(b, nb, 0) != (ssize_t)nb) {
        for (size_t i = 0; i < nb; i++)
            b[i] = (uint8_t)rand();
    }
    rs_hex_encode(b, nb, out);
}

void rs_lambda_log_stream_name(char *out, size_t outlen)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char hex[33];
    random_hex(hex, 32);
    snprintf(out, outlen, "%04d/%02d/%02d/[$LATEST]%s", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, hex);
}

void rs_lambda_trace_id(char *out, size_t outlen)
{
    char a[25], p[17];
    random_hex(a, 24);
    random_hex(p, 16);
    snprintf(out, outlen, "Root=1-%08lx-%s;Parent=%s;Sampled=0", (unsigned long)time(NULL), a, p);
}

void rs_lambda_endpoint_url(const rs_conf_t *conf, char *out, size_t outlen)
{
    if (conf->lambda_endpoint_url[0]) {
        snprintf(out, outlen, "%s", conf->lambda_endpoint_url);
        return;
    }
    const char *b = conf->bind;
    if (!b[0] || strcmp(b, "0.0.0.0") == 0 || strcmp(b, "*") == 0)
        snprintf(out, outlen, "http://127.0.0.1:%u", conf->port);
    else if (strcmp(b, "::") == 0 || strcmp(b, "[::]") == 0)
        snprintf(out, outlen, "http://[::1]:%u", conf->port);
    else if (strchr(b, ':') && b[0] != '[')
        snprintf(out, outlen, "http://[%s]:%u", b, conf->port);
    else
        snprintf(out, outlen, "http://%s:%u", b, conf->port);
}

typedef struct envv {
    char **v;
    size_t n, cap;
    int failed;
} envv_t;

static void add(envv_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(envv_t *e, const char *fmt, ...)
{
    if (e->failed)
        return;
    if (e->n + 2 > e->cap) {
        size_t nc = e->cap ? e->cap * 2 : 64;
        char **nv = realloc(e->v, nc * sizeof(*nv));
        if (!nv) {
            e->failed = 1;
            return;
        }
        e->v = nv;
        e->cap = nc;
    }
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&e->v[e->n], fmt, ap);
    va_end(ap);
    if (r < 0) {
        e->failed = 1;
        return;
    }
    /* the first definition of a name wins (the user's PATH, LANG, ... over ours) */
    size_t nl = strcspn(e->v[e->n], "=");
    for (size_t i = 0; i < e->n; i++) {
        if (strncmp(e->v[i], e->v[e->n], nl + 1) == 0) {
            free(e->v[e->n]);
            e->v[e->n] = NULL;
            return;
        }
    }
    e->v[++e->n] = NULL;
}

/* Lambda's own variables (lambda.md 4.4). CreateFunction refuses the first
 * RESERVED_REFUSED of them in a user's Environment; the builder drops them all. */
static const char *const reserved_names[] = {"_HANDLER",
                                             "_X_AMZN_TRACE_ID",
                                             "AWS_REGION",
                                             "AWS_DEFAULT_REGION",
                                             "AWS_EXECUTION_ENV",
                                             "AWS_LAMBDA_FUNCTION_NAME",
                                             "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                             "AWS_LAMBDA_FUNCTION_VERSION",
                                             "AWS_LAMBDA_INITIALIZATION_TYPE",
                                             "AWS_LAMBDA_LOG_GROUP_NAME",
                                             "AWS_LAMBDA_LOG_STREAM_NAME",
                                             "AWS_ACCESS_KEY",
                                             "AWS_ACCESS_KEY_ID",
                                             "AWS_SECRET_ACCESS_KEY",
                                             "AWS_SESSION_TOKEN",
                                             "AWS_LAMBDA_RUNTIME_API",
                                             "LAMBDA_TASK_ROOT",
                                             "LAMBDA_RUNTIME_DIR",
                                             "TZ",
                                             "AWS_LAMBDA_MAX_CONCURRENCY",
                                             "_LAMBDA_TELEMETRY_LOG_FD"};
#define RESERVED_REFUSED 19

int rs_lambda_env_reserved(const char *kv, int refused_only)
{
    size_t n = refused_only ? RESERVED_REFUSED : sizeof(reserved_names) / sizeof(reserved_names[0]);
    size_t len = strcspn(kv, "=");
    for (size_t i = 0; i < n; i++)
        if (strlen(reserved_names[i]) == len && strncmp(kv, reserved_names[i], len) == 0)
            return 1;
    return 0;
}

char **rs_lambda_env_build(const rs_conf_t *conf, const rs_lambda_fn_t *fn, uint16_t rapi_port,
                           const rs_lexec_net_t *net, int in_container, const char *runtime_dir,
                           const char *tmp_dir, const char *log_stream)
{
    envv_t e = {0};
    const rs_conf_cred_t *cred = NULL;
    for (uint32_t i = 0; i < conf->ncreds && !cred; i++)
        if (strcmp(conf->creds[i].account, fn->account) == 0)
            cred = &conf->creds[i];
    /* no credential of the function's own account: its 12-digit id as the access key (the
     * server takes it as that account), so the function's clients reach its account's
     * buckets and tables, not the default account's; only when signatures are not
     * verified (such a key has no configured secret) */
    int own_key = !cred && !conf->auth_verify && strcmp(fn->account, conf->default_account) != 0;
    if (!cred && conf->ncreds > 0)
        cred = &conf->creds[0];
    char endpoint[300];
    if (net && net->endpoint[0])
        snprintf(endpoint, sizeof(endpoint), "%s", net->endpoint);
    else
        rs_lambda_endpoint_url(conf, endpoint, sizeof(endpoint));
    const char *task = in_container ? "/var/task" : fn->code_dir;
    const char *rt = in_container ? "/var/runtime" : runtime_dir;

    /* the user's variables first: Lambda's own come later and cannot be overridden */
    for (size_t i = 0; i < fn->nenv; i++)
        if (!rs_lambda_env_reserved(fn->env[i], 0))
            add(&e, "%s", fn->env[i]);
    add(&e, "AWS_LAMBDA_RUNTIME_API=%s:%u", net && net->rapi_addr[0] ? net->rapi_addr : "127.0.0.1",
        rapi_port);
    add(&e, "_HANDLER=%s", fn->handler);
    add(&e, "LAMBDA_TASK_ROOT=%s", task);
    add(&e, "LAMBDA_RUNTIME_DIR=%s", rt);
    add(&e, "AWS_EXECUTION_ENV=AWS_Lambda_%s", fn->runtime);
    add(&e, "AWS_LAMBDA_FUNCTION_NAME=%s", fn->name);
    add(&e, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%u", fn->memory_mb);
    add(&e, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
    add(&e, "AWS_LAMBDA_FUNCTION_TIMEOUT=%u", fn->timeout_s);
    add(&e, "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand");
    add(&e, "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s", fn->name);
    add(&e, "AWS_LAMBDA_LOG_STREAM_NAME=%s", log_stream);
    add(&e, "AWS_REGION=%s", fn->region);
    add(&e, "AWS_DEFAULT_REGION=%s", fn->region);
    add(&e, "AWS_ACCESS_KEY_ID=%s", own_key ? fn->account : cred ? cred->access_key : "test");
    add(&e, "AWS_SECRET_ACCESS_KEY=%s", own_key ? "test" : cred ? cred->secret_key : "test");
    add(&e, "AWS_ENDPOINT_URL=%s", endpoint);
    add(&e, "AWS_XRAY_CONTEXT_MISSING=LOG_ERROR");
    add(&e, "AWS_XRAY_DAEMON_ADDRESS=169.254.79.129:2000");
    add(&e, "_AWS_XRAY_DAEMON_ADDRESS=169.254.79.129");
    add(&e, "_AWS_XRAY_DAEMON_PORT=2000");
    add(&e, "TZ=:UTC");
    add(&e, "LANG=en_US.UTF-8");
    add(&e, "LC_CTYPE=C.UTF-8");
    add(&e, "PYTHONUNBUFFERED=1");
    add(&e, "PYTHONPATH=%s", rt);
    add(&e, "PWD=%s", task);
    if (fn->hot) {
        /* bootstrap.py supervises the runtime process and restarts it on a reload; no
         * __pycache__ written into the user's directory */
        add(&e, "_RUSTSTACK_HOT_RELOAD=1");
        add(&e, "PYTHONDONTWRITEBYTECODE=1");
    }
    if (in_container) {
        add(&e, "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin");
        add(&e, "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:"
                "/var/runtime/lib:/var/task:/var/task/lib:/opt/lib");
    } else {
        const char *path = getenv("PATH");
        add(&e, "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
        add(&e, "TMPDIR=%s", tmp_dir);
        /* the environment's own dir, not the server user's (~/.aws, caches) */
        add(&e, "HOME=%s", tmp_dir);
    }
    if (e.failed) {
        rs_lambda_env_free(e.v);
        return NULL;
    }
    return e.v;
}

void rs_lambda_env_free(char **envp)
{
    if (!envp)
        return;
    for (size_t i = 0; envp[i]; i++)
        free(envp[i]);
    free(envp);
}
