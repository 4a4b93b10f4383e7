/*
 * test_lambda_pool.c: the pool of execution environments (lambda_pool.c with the Runtime
 * API, the environment setup and the executors) running real python handlers from temp
 * code dirs: success and warm reuse, handler exceptions (environment stays warm), init
 * errors, timeouts (killed, next invoke cold, /tmp kept), crashes, oversized responses,
 * concurrency (N parallel invokes -> N environments, never two at once in one) and
 * throttling, environment variables and context fields, the LogResult shape, each output
 * line logged once, retirement, the idle reaper, create-time checks; the same against the
 * docker executor when RS_DOCKER_SOCKET and RS_LAMBDA_IMAGE are set, and awslambdaric
 * through the pool.
 * Prints cold and warm invoke times. Runs in: the test.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lambda/lambda_exec.h"
#include "lambda/lambda_int.h"
#include "rs/os.h"
#include "rs/docker.h"
#include "rs/log.h"

/* The registry's reference counting, for the pool alone (the real one also removes the
 * code dir). */
void rs_lambda_fn_ref(rs_lambda_fn_t *fn)
{
    atomic_fetch_add(&fn->refs, 1);
}

void rs_lambda_fn_unref(rs_lambda_fn_t *fn)
{
    if (atomic_fetch_sub(&fn->refs, 1) != 1)
        return;
    for (size_t i = 0; i < fn->nenv; i++)
        free(fn->env[i]);
    free(fn->env);
    free(fn);
}

static const char APP_PY[] =
    "import json, logging, os, sys, tempfile, time\n"
    "print('init output line')\n"
    "ENV_ID = os.urandom(8).hex()\n"
    "COUNT = 0\n"
    "BUSY = False\n"
    "def bump():\n"
    "    global COUNT\n"
    "    COUNT += 1\n"
    "    return COUNT\n"
    "def ok(event, context):\n"
    "    return {'event': event, 'pid': ENV_ID, 'ospid': os.getpid(), 'count': bump()}\n"
    "def fail(event, context):\n"
    "    bump()\n"
    "    raise ValueError('Handler fails')\n"
    "def slow(event, context):\n"
    "    p = os.path.join(tempfile.gettempdir(), 'marker')\n"
    "    existed = os.path.exists(p)\n"
    "    open(p, 'w').write('x')\n"
    "    time.sleep(event.get('sleep', 0))\n"
    "    return {'pid': ENV_ID, 'ospid': os.getpid(), 'existed': existed, 'count': bump()}\n"
    "def crash(event, context):\n"
    "    sys.exit(event.get('code', 0))\n"
    "def big(event, context):\n"
    "    return 'x' * event['n']\n"
    "def info(event, context):\n"
    "    c = context\n"
    "    return {'env': dict(os.environ), 'cwd': os.getcwd(),\n"
    "            'ctx': {'function_name': c.function_name,\n"
    "                    'function_version': c.function_version,\n"
    "                    'invoked_function_arn': c.invoked_function_arn,\n"
    "                    'memory_limit_in_mb': c.memory_limit_in_mb,\n"
    "                    'aws_request_id': c.aws_request_id,\n"
    "                    'log_group_name': c.log_group_name,\n"
    "                    'log_stream_name': c.log_stream_name,\n"
    "                    'identity_id': c.identity.cognito_identity_id,\n"
    "                    'cc_custom': c.client_context.custom if c.client_context else None,\n"
    "                    'remaining': c.get_remaining_time_in_millis()}}\n"
    "def logs(event, context):\n"
    "    print('hello stdout')\n"
    "    print('to stderr', file=sys.stderr)\n"
    "    logging.getLogger().info('logged %s', 'here')\n"
    "    return 1\n"
    "def busy(event, context):\n"
    "    global BUSY\n"
    "    if BUSY:\n"
    "        return {'pid': ENV_ID, 'ospid': os.getpid(), 'overlap': True}\n"
    "    BUSY = True\n"
    "    time.sleep(event['sleep'])\n"
    "    BUSY = False\n"
    "    return {'pid': ENV_ID, 'ospid': os.getpid(), 'overlap': False}\n"
    "def bad_result(event, context):\n"
    "    return {'when': object()}\n";

typedef struct world {
    const char *executor;
    char runtime_dir[64];
    char code_dir[64];
    rs_conf_t conf;
    rs_lambda_pool_t *pool;
    uint64_t gen;
} world_t;

static atomic_int rid_counter;

static void new_rid(char *out, size_t len)
{
    snprintf(out, len, "6f1b2c3d-0000-4000-8000-%06d%06d", (int)getpid() % 1000000,
             atomic_fetch_add(&rid_counter, 1));
}

static void srcdir(char *out, size_t len)
{
    const char *s = getenv("RS_SRCDIR");
    if (s) {
        snprintf(out, len, "%s", s);
        return;
    }
    snprintf(out, len, "%s", __FILE__);
    char *t = strstr(out, "/tests/unit/");
    if (t)
        *t = '\0';
}

static int docker_wanted(void)
{
    return getenv("RS_DOCKER_SOCKET") && getenv("RS_LAMBDA_IMAGE");
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

/* A pool for `executor` over a fresh code dir holding app.py. */
/* lambda_standby for the next world_up (-1: the default); each test runs in its own
 * process */
static int world_standby = -1;

static void world_up(world_t *w, const char *executor, unsigned maxc, const char *runtime_path)
{
    memset(w, 0, sizeof(*w));
    rs_log_set_level(RS_LOG_ERR);
    w->executor = executor;
    snprintf(w->runtime_dir, sizeof(w->runtime_dir), "/tmp/rs-lpool-rt-XXXXXX");
    snprintf(w->code_dir, sizeof(w->code_dir), "/tmp/rs-lpool-code-XXXXXX");
    cr_assert(mkdtemp(w->runtime_dir));
    cr_assert(mkdtemp(w->code_dir));
    chmod(w->code_dir, 0755);
    write_file(w->code_dir, "app.py", APP_PY);
    write_file(w->code_dir, "broken.py", "def handler(e, c)\n    return 1\n");
    rs_conf_defaults(&w->conf);
    snprintf(w->conf.lambda_executor, sizeof(w->conf.lambda_executor), "%s", executor);
    snprintf(w->conf.runtime_dir, sizeof(w->conf.runtime_dir), "%s", w->runtime_dir);
    snprintf(w->conf.shm_name, sizeof(w->conf.shm_name), "/rs-lpool-%d", (int)getpid());
    char src[512];
    srcdir(src, sizeof(src));
    if (runtime_path)
        snprintf(w->conf.lambda_runtime_path, sizeof(w->conf.lambda_runtime_path), "%s/%s", src,
                 runtime_path);
    else
        snprintf(w->conf.lambda_runtime_path, sizeof(w->conf.lambda_runtime_path), "%s/runtime",
                 src);
    if (strcmp(executor, "docker") == 0) {
        snprintf(w->conf.docker_socket, sizeof(w->conf.docker_socket), "%s",
                 getenv("RS_DOCKER_SOCKET"));
        snprintf(w->conf.lambda_image, sizeof(w->conf.lambda_image), "%s",
                 getenv("RS_LAMBDA_IMAGE"));
    }
    w->conf.lambda_max_concurrency = maxc;
    if (world_standby >= 0)
        w->conf.lambda_standby = (uint32_t)world_standby;
    w->conf.port = 4566;
    char why[512] = "";
    int rc = rs_lambda_pool_create(&w->conf, &w->pool, why, sizeof(why));
    cr_assert_eq(rc, 0, "pool_create: %s", why);
}

static void world_down(world_t *w)
{
    rs_lambda_pool_destroy(w->pool);
    rs_rm_r(w->code_dir);
    rs_rm_r(w->runtime_dir);
}

static rs_lambda_fn_t *mkfn(world_t *w, const char *name, const char *handler, unsigned timeout)
{
    rs_lambda_fn_t *fn = calloc(1, sizeof(*fn));
    atomic_init(&fn->refs, 1);
    snprintf(fn->account, sizeof(fn->account), "000000000000");
    snprintf(fn->region, sizeof(fn->region), "eu-west-3");
    snprintf(fn->name, sizeof(fn->name), "%s", name);
    snprintf(fn->arn, sizeof(fn->arn), "arn:aws:lambda:eu-west-3:000000000000:function:%s", name);
    snprintf(fn->handler, sizeof(fn->handler), "%s", handler);
    snprintf(fn->runtime, sizeof(fn->runtime), "python3.11");
    snprintf(fn->code_dir, sizeof(fn->code_dir), "%s", w->code_dir);
    snprintf(fn->revision_id, sizeof(fn->revision_id), "rev-%llu", (unsigned long long)++w->gen);
    fn->generation = w->gen;
    fn->timeout_s = timeout;
    fn->memory_mb = 256;
    return fn;
}

typedef struct call {
    rs_lambda_result_t res;
    json_object *json; /* the parsed payload (NULL if not JSON) */
    char rid[64];
    double ms;
} call_t;

static void call_free(call_t *c)
{
    json_object_put(c->json);
    rs_lambda_result_free(&c->res);
}

static void invoke_ex(world_t *w, rs_lambda_fn_t *fn, const char *event, int want_log,
                      const char *cc, call_t *c)
{
    memset(c, 0, sizeof(*c));
    new_rid(c->rid, sizeof(c->rid));
    rs_lambda_invoke_t inv = {.fn = fn,
                              .request_id = c->rid,
                              .invoked_arn = fn->arn,
                              .payload = event,
                              .payload_len = strlen(event),
                              .client_context = cc,
                              .want_log = want_log};
    int64_t t0 = rs_mono_ms();
    cr_assert_eq(rs_lambda_pool_invoke(w->pool, &inv, &c->res), 0);
    c->ms = (double)(rs_mono_ms() - t0);
    cr_assert_str_empty(c->res.service_error, "service error: %s", c->res.service_error);
    if (c->res.payload)
        c->json = json_tokener_parse(c->res.payload);
}

static void invoke(world_t *w, rs_lambda_fn_t *fn, const char *event, call_t *c)
{
    invoke_ex(w, fn, event, 0, NULL, c);
}

static json_object *get(json_object *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    char *save = NULL;
    for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
        json_object *n = NULL;
        if (!json_object_object_get_ex(o, k, &n))
            return NULL;
        o = n;
    }
    return o;
}

static const char *gets_(json_object *o, const char *path)
{
    json_object *v = get(o, path);
    return v ? json_object_get_string(v) : NULL;
}

static int geti(json_object *o, const char *path)
{
    json_object *v = get(o, path);
    cr_assert(v, "missing %s in %s", path, json_object_to_json_string(o));
    return json_object_get_int(v);
}

static void stats(world_t *w, rs_lambda_pool_stats_t *s)
{
    rs_lambda_pool_stats(w->pool, s);
}

/* ---- the scenarios, each run for one executor --------------------------------------- */

static void scenario_success_and_warm(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "ok", "app.ok", 10);
    call_t a, b;
    invoke(&w, fn, "{\"k\": [1, \"two\"]}", &a);
    cr_assert_eq(a.res.function_error, 0, "%s", a.res.payload);
    cr_assert_str_eq(json_object_to_json_string_ext(get(a.json, "event"), JSON_C_TO_STRING_PLAIN),
                     "{\"k\":[1,\"two\"]}");
    cr_assert_eq(geti(a.json, "count"), 1);
    invoke(&w, fn, "null", &b);
    cr_assert_eq(b.res.function_error, 0);
    cr_assert_str_eq(gets_(b.json, "pid"), gets_(a.json, "pid"), "not the same environment");
    cr_assert_eq(geti(b.json, "count"), 2, "module globals were not kept");
    cr_assert(json_object_is_type(get(b.json, "event"), json_type_null));
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.cold_starts, 1);
    cr_assert_eq(s.warm_starts, 1);
    cr_assert_eq(s.envs_total, 1);
    cr_assert_eq(s.envs_busy, 0);
    /* figures for the report */
    double warm_total = 0;
    for (int i = 0; i < 20; i++) {
        call_t c;
        invoke(&w, fn, "{}", &c);
        warm_total += c.ms;
        call_free(&c);
    }
    fprintf(stderr, "# %s executor: cold invoke %.1f ms, warm invoke %.2f ms (mean of 20)\n", ex,
            a.ms, warm_total / 20);
    call_free(&a);
    call_free(&b);
    rs_lambda_fn_unref(fn);
    world_down(&w);
}

static void scenario_handler_error(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "failing", "app.fail", 10);
    call_t a, b;
    invoke_ex(&w, fn, "{}", 1, NULL, &a);
    /* one log event: CR between lines, no-break spaces for the indentation */
    cr_assert(strstr(a.res.log_tail, "\n[ERROR] ValueError: Handler fails\rTraceback (most recent "
                                     "call last):\r\u00a0\u00a0File \""),
              "%s", a.res.log_tail);
    cr_assert_eq(a.res.function_error, 1);
    cr_assert_str_eq(gets_(a.json, "errorMessage"), "Handler fails");
    cr_assert_str_eq(gets_(a.json, "errorType"), "ValueError");
    cr_assert_str_eq(gets_(a.json, "requestId"), a.rid);
    json_object *st = get(a.json, "stackTrace");
    cr_assert(st && json_object_array_length(st) == 1, "%s", a.res.payload);
    const char *frame = json_object_get_string(json_object_array_get_idx(st, 0));
    cr_assert(strstr(frame, "app.py\", line 14, in fail"), "%s", frame);
    cr_assert(strstr(a.res.payload, "bootstrap.py") == NULL, "runtime frames kept");
    /* the key order of the runtime */
    cr_assert(strstr(a.res.payload, "errorMessage") < strstr(a.res.payload, "errorType"));
    invoke(&w, fn, "{}", &b);
    cr_assert_eq(b.res.function_error, 1);
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.cold_starts, 1, "a handled exception must keep the environment warm");
    cr_assert_eq(s.warm_starts, 1);
    call_free(&a);
    call_free(&b);
    rs_lambda_fn_unref(fn);
    /* unserialisable result */
    fn = mkfn(&w, "marshal", "app.bad_result", 10);
    invoke(&w, fn, "{}", &a);
    cr_assert_eq(a.res.function_error, 1);
    cr_assert_str_eq(gets_(a.json, "errorType"), "Runtime.MarshalError", "%s", a.res.payload);
    cr_assert(strstr(gets_(a.json, "errorMessage"), "Unable to marshal response"));
    call_free(&a);
    rs_lambda_fn_unref(fn);
    world_down(&w);
}

static void expect_init_error(world_t *w, const char *handler, const char *type, const char *msg)
{
    rs_lambda_fn_t *fn = mkfn(w, handler, handler, 10);
    for (int i = 0; i < 2; i++) { /* every invoke re-attempts init */
        call_t a;
        invoke(w, fn, "{}", &a);
        cr_assert_eq(a.res.function_error, 1);
        cr_assert(a.json, "not JSON: %s", a.res.payload);
        cr_assert_str_eq(gets_(a.json, "errorType"), type, "%s", a.res.payload);
        cr_assert(strstr(gets_(a.json, "errorMessage"), msg), "%s", a.res.payload);
        cr_assert_str_eq(gets_(a.json, "requestId"), "");
        cr_assert(get(a.json, "stackTrace"));
        call_free(&a);
    }
    rs_lambda_fn_unref(fn);
}

static void scenario_init_errors(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    expect_init_error(&w, "nomod.handler", "Runtime.ImportModuleError",
                      "Unable to import module 'nomod': No module named 'nomod'");
    expect_init_error(&w, "app.missing", "Runtime.HandlerNotFound",
                      "Handler 'missing' missing on module 'app'");
    expect_init_error(&w, "nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot'");
    expect_init_error(&w, "broken.handler", "Runtime.UserCodeSyntaxError",
                      "Syntax error in module 'broken'");
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.envs_total, 0, "environments of a failed init must be gone");
    world_down(&w);
}

static void scenario_timeout(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "slow", "app.slow", 1);
    call_t a, b, c;
    invoke(&w, fn, "{\"sleep\": 0}", &a);
    cr_assert_eq(a.res.function_error, 0, "%s", a.res.payload);
    cr_assert_eq(get(a.json, "existed") && json_object_get_boolean(get(a.json, "existed")), 0);
    invoke_ex(&w, fn, "{\"sleep\": 30}", 1, NULL, &b);
    cr_assert_eq(b.res.function_error, 1);
    cr_assert_str_eq(gets_(b.json, "errorType"), "Sandbox.Timedout", "%s", b.res.payload);
    char want[160];
    snprintf(want, sizeof(want), "RequestId: %s Error: Task timed out after 1.00 seconds", b.rid);
    cr_assert_str_eq(gets_(b.json, "errorMessage"), want);
    cr_assert(b.ms >= 990 && b.ms < 5000, "took %.0f ms", b.ms);
    cr_assert(strstr(b.res.log_tail, "Task timed out after 1.00 seconds"), "%s", b.res.log_tail);
    /* the environment was reset: cold start, module state fresh, /tmp kept */
    invoke(&w, fn, "{\"sleep\": 0}", &c);
    cr_assert_eq(c.res.function_error, 0, "%s", c.res.payload);
    cr_assert_str_neq(gets_(c.json, "pid"), gets_(a.json, "pid"));
    cr_assert_eq(geti(c.json, "count"), 1);
    cr_assert(json_object_get_boolean(get(c.json, "existed")), "/tmp was not kept");
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.timeouts, 1);
    cr_assert_eq(s.cold_starts, 2);
    call_free(&a);
    call_free(&b);
    call_free(&c);
    rs_lambda_fn_unref(fn);
    world_down(&w);
}

static void scenario_crash(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "crash", "app.crash", 10);
    call_t a, b, c;
    invoke(&w, fn, "{\"code\": 3}", &a);
    cr_assert_eq(a.res.function_error, 1);
    cr_assert_str_eq(gets_(a.json, "errorType"), "Runtime.ExitError");
    char want[160];
    snprintf(want, sizeof(want), "RequestId: %s Error: Runtime exited with error: exit status 3",
             a.rid);
    cr_assert_str_eq(gets_(a.json, "errorMessage"), want);
    invoke(&w, fn, "{\"code\": 0}", &b);
    snprintf(want, sizeof(want), "RequestId: %s Error: Runtime exited without providing a reason",
             b.rid);
    cr_assert_str_eq(gets_(b.json, "errorMessage"), want);
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.crashes, 2);
    cr_assert_eq(s.cold_starts, 2);
    cr_assert_eq(s.envs_total, 0);
    rs_lambda_fn_t *okf = mkfn(&w, "crash", "app.ok", 10);
    invoke(&w, okf, "{}", &c);
    cr_assert_eq(c.res.function_error, 0);
    call_free(&a);
    call_free(&b);
    call_free(&c);
    rs_lambda_fn_unref(fn);
    rs_lambda_fn_unref(okf);
    world_down(&w);
}

static void scenario_large_response(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "big", "app.big", 20);
    call_t a, b;
    invoke(&w, fn, "{\"n\": 7000000}", &a);
    cr_assert_eq(a.res.function_error, 1);
    cr_assert_str_eq(a.res.payload,
                     "{\"errorMessage\": \"Response payload size exceeded maximum allowed "
                     "payload size (6291556 bytes).\", \"errorType\": "
                     "\"Function.ResponseSizeTooLarge\"}");
    /* just under the limit: the JSON string adds 2 quotes */
    invoke(&w, fn, "{\"n\": 6291554}", &b);
    cr_assert_eq(b.res.function_error, 0);
    cr_assert_eq(b.res.payload_len, 6291556);
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.cold_starts, 1, "the environment must survive an oversized response");
    call_free(&a);
    call_free(&b);
    rs_lambda_fn_unref(fn);
    world_down(&w);
}

typedef struct par {
    world_t *w;
    rs_lambda_fn_t *fn;
    call_t c;
} par_t;

static void *par_main(void *arg)
{
    par_t *p = arg;
    invoke(p->w, p->fn, "{\"sleep\": 0.8}", &p->c);
    return NULL;
}

static void run_parallel(world_t *w, rs_lambda_fn_t *fn, par_t *ps, int n)
{
    pthread_t t[8];
    for (int i = 0; i < n; i++) {
        ps[i].w = w;
        ps[i].fn = fn;
        cr_assert_eq(pthread_create(&t[i], NULL, par_main, &ps[i]), 0);
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

static int distinct_pids(par_t *ps, int n)
{
    const char *pids[8];
    int k = 0;
    for (int i = 0; i < n; i++) {
        cr_assert_eq(ps[i].c.res.throttled, 0);
        cr_assert_eq(ps[i].c.res.function_error, 0, "%s", ps[i].c.res.payload);
        cr_assert_eq(json_object_get_boolean(get(ps[i].c.json, "overlap")), 0,
                     "two invocations at once in one environment");
        const char *pid = gets_(ps[i].c.json, "pid");
        int seen = 0;
        cr_assert(pid);
        for (int j = 0; j < k; j++)
            seen |= strcmp(pids[j], pid) == 0;
        if (!seen)
            pids[k++] = pid;
    }
    return k;
}

static void scenario_concurrency(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "par", "app.busy", 10);
    par_t ps[4];
    memset(ps, 0, sizeof(ps));
    int64_t t0 = rs_mono_ms();
    run_parallel(&w, fn, ps, 4);
    int64_t el = rs_mono_ms() - t0;
    cr_assert_eq(distinct_pids(ps, 4), 4);
    /* four environments prove the overlap: serialised invokes would reuse a warm one */
    fprintf(stderr,
            "# %s executor: 4 parallel invokes (0.8 s each) on 4 cold environments: %lld ms\n", ex,
            (long long)el);
    for (int i = 0; i < 4; i++)
        call_free(&ps[i].c);
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.envs_total, 4);
    rs_lambda_fn_unref(fn);
    world_down(&w);

    /* two environments at most: four invokes queue on two */
    world_up(&w, ex, 2, NULL);
    fn = mkfn(&w, "par", "app.busy", 10);
    memset(ps, 0, sizeof(ps));
    t0 = rs_mono_ms();
    run_parallel(&w, fn, ps, 4);
    el = rs_mono_ms() - t0;
    cr_assert_eq(distinct_pids(ps, 4), 2);
    cr_assert_geq(el, 1600, "only %lld ms for 4 x 0.8 s on 2 environments", (long long)el);
    for (int i = 0; i < 4; i++)
        call_free(&ps[i].c);
    stats(&w, &s);
    cr_assert_eq(s.envs_total, 2);
    cr_assert_eq(s.cold_starts, 2);
    cr_assert_eq(s.warm_starts, 2);
    rs_lambda_fn_unref(fn);
    world_down(&w);
}

typedef struct slow_arg {
    world_t *w;
    rs_lambda_fn_t *fn;
    call_t c;
} slow_arg_t;

static void *slow_main(void *arg)
{
    slow_arg_t *a = arg;
    invoke(a->w, a->fn, "{\"sleep\": 2.5}", &a->c);
    return NULL;
}

static void scenario_throttle(const char *ex)
{
    world_t w;
    world_up(&w, ex, 1, NULL);
    rs_lambda_fn_t *long_fn = mkfn(&w, "thr", "app.slow", 10);
    slow_arg_t a = {.w = &w, .fn = long_fn};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, slow_main, &a), 0);
    /* wait until the only environment is busy */
    rs_lambda_pool_stats_t s;
    for (int i = 0; i < 500; i++) {
        stats(&w, &s);
        if (s.envs_busy == 1)
            break;
        usleep(10000);
    }
    cr_assert_eq(s.envs_busy, 1);
    rs_lambda_fn_t *short_fn = mkfn(&w, "thr", "app.ok", 1);
    call_t c;
    memset(&c, 0, sizeof(c));
    new_rid(c.rid, sizeof(c.rid));
    rs_lambda_invoke_t inv = {
        .fn = short_fn, .request_id = c.rid, .payload = "{}", .payload_len = 2};
    int64_t t0 = rs_mono_ms();
    cr_assert_eq(rs_lambda_pool_invoke(w.pool, &inv, &c.res), 0);
    int64_t el = rs_mono_ms() - t0;
    cr_assert_eq(c.res.throttled, 1, "%s %s", c.res.service_error, c.res.payload);
    cr_assert(el >= 950 && el < 2400, "throttled after %lld ms", (long long)el);
    pthread_join(t, NULL);
    cr_assert_eq(a.c.res.function_error, 0, "%s", a.c.res.payload);
    call_free(&a.c);
    rs_lambda_result_free(&c.res);
    /* the old revision's environment is retired once idle: the new one runs */
    call_t d;
    invoke(&w, short_fn, "{}", &d);
    cr_assert_eq(d.res.function_error, 0, "%s", d.res.payload);
    call_free(&d);
    rs_lambda_fn_unref(long_fn);
    rs_lambda_fn_unref(short_fn);
    world_down(&w);
}

static void scenario_env_and_context(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "info", "app.info", 7);
    fn->nenv = 3;
    fn->env = calloc(3, sizeof(char *));
    fn->env[0] = strdup("MY_VAR=hello world");
    fn->env[1] = strdup("AWS_REGION=us-west-2"); /* reserved: ignored */
    fn->env[2] = strdup("LANG=fr_FR.UTF-8");     /* not reserved: the user's wins */
    call_t a;
    invoke_ex(&w, fn, "{}", 0, "{\"custom\": {\"k\": \"v\"}}", &a);
    cr_assert_eq(a.res.function_error, 0, "%s", a.res.payload);
    json_object *env = get(a.json, "env");
    int docker = strcmp(ex, "docker") == 0;
    cr_assert_str_eq(gets_(env, "MY_VAR"), "hello world");
    cr_assert_str_eq(gets_(env, "LANG"), "fr_FR.UTF-8");
    cr_assert_str_eq(gets_(env, "AWS_REGION"), "eu-west-3");
    cr_assert_str_eq(gets_(env, "AWS_DEFAULT_REGION"), "eu-west-3");
    cr_assert_str_eq(gets_(env, "_HANDLER"), "app.info");
    cr_assert_str_eq(gets_(env, "AWS_LAMBDA_FUNCTION_NAME"), "info");
    cr_assert_str_eq(gets_(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "256");
    cr_assert_str_eq(gets_(env, "AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST");
    cr_assert_str_eq(gets_(env, "AWS_LAMBDA_INITIALIZATION_TYPE"), "on-demand");
    cr_assert_str_eq(gets_(env, "AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/info");
    cr_assert_str_eq(gets_(env, "AWS_EXECUTION_ENV"), "AWS_Lambda_python3.11");
    cr_assert_str_eq(gets_(env, "LAMBDA_TASK_ROOT"), docker ? "/var/task" : w.code_dir);
    cr_assert_str_eq(gets_(env, "LAMBDA_RUNTIME_DIR"),
                     docker ? "/var/runtime" : w.conf.lambda_runtime_path);
    cr_assert_str_eq(gets_(a.json, "cwd"), docker ? "/var/task" : w.code_dir);
    cr_assert_str_eq(gets_(env, "TZ"), ":UTC");
    cr_assert_str_eq(gets_(env, "PYTHONUNBUFFERED"), "1");
    cr_assert_str_eq(gets_(env, "AWS_ACCESS_KEY_ID"), "test");
    cr_assert_str_eq(gets_(env, "AWS_SECRET_ACCESS_KEY"), "test");
    cr_assert_str_eq(gets_(env, "AWS_ENDPOINT_URL"), "http://127.0.0.1:4566");
    cr_assert_str_eq(gets_(env, "AWS_XRAY_CONTEXT_MISSING"), "LOG_ERROR");
    cr_assert(strncmp(gets_(env, "AWS_LAMBDA_RUNTIME_API"), "127.0.0.1:", 10) == 0);
    cr_assert(strncmp(gets_(env, "_X_AMZN_TRACE_ID"), "Root=1-", 7) == 0);
    cr_assert_null(get(env, "AWS_LAMBDA_MAX_CONCURRENCY"));
    cr_assert_null(get(env, "_LAMBDA_TELEMETRY_LOG_FD"));
    const char *stream = gets_(env, "AWS_LAMBDA_LOG_STREAM_NAME");
    cr_assert(stream && strlen(stream) == 11 + 9 + 32 && strstr(stream, "/[$LATEST]"), "%s",
              stream);
    json_object *ctx = get(a.json, "ctx");
    cr_assert_str_eq(gets_(ctx, "function_name"), "info");
    cr_assert_str_eq(gets_(ctx, "function_version"), "$LATEST");
    cr_assert_str_eq(gets_(ctx, "invoked_function_arn"), fn->arn);
    cr_assert(json_object_is_type(get(ctx, "memory_limit_in_mb"), json_type_string));
    cr_assert_str_eq(gets_(ctx, "memory_limit_in_mb"), "256");
    cr_assert_str_eq(gets_(ctx, "aws_request_id"), a.rid);
    cr_assert_str_eq(gets_(ctx, "log_group_name"), "/aws/lambda/info");
    cr_assert_str_eq(gets_(ctx, "log_stream_name"), stream);
    cr_assert(json_object_is_type(get(ctx, "identity_id"), json_type_null));
    cr_assert_str_eq(gets_(ctx, "cc_custom.k"), "v");
    int rem = geti(ctx, "remaining");
    cr_assert(rem > 5000 && rem <= 7000, "remaining %d", rem);
    call_free(&a);
    rs_lambda_fn_unref(fn);
    world_down(&w);

    /* the first credential of the function's account, else the first one */
    world_up(&w, ex, 4, NULL);
    rs_lambda_pool_destroy(w.pool);
    w.conf.ncreds = 2;
    snprintf(w.conf.creds[0].access_key, 129, "AKOTHER");
    snprintf(w.conf.creds[0].secret_key, 129, "sother");
    snprintf(w.conf.creds[0].account, 13, "111111111111");
    snprintf(w.conf.creds[1].access_key, 129, "AKMINE");
    snprintf(w.conf.creds[1].secret_key, 129, "smine");
    snprintf(w.conf.creds[1].account, 13, "000000000000");
    snprintf(w.conf.lambda_endpoint_url, sizeof(w.conf.lambda_endpoint_url),
             "http://host.example:1234");
    char why[256];
    cr_assert_eq(rs_lambda_pool_create(&w.conf, &w.pool, why, sizeof(why)), 0, "%s", why);
    fn = mkfn(&w, "info", "app.info", 7);
    invoke(&w, fn, "{}", &a);
    env = get(a.json, "env");
    cr_assert_str_eq(gets_(env, "AWS_ACCESS_KEY_ID"), "AKMINE");
    cr_assert_str_eq(gets_(env, "AWS_SECRET_ACCESS_KEY"), "smine");
    cr_assert_str_eq(gets_(env, "AWS_ENDPOINT_URL"), "http://host.example:1234");
    call_free(&a);
    rs_lambda_fn_unref(fn);
    world_down(&w);
}

static void scenario_log_result(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "logs", "app.logs", 10);
    call_t a, b;
    invoke_ex(&w, fn, "{}", 1, NULL, &a);
    cr_assert_eq(a.res.function_error, 0, "%s", a.res.payload);
    const char *t = a.res.log_tail;
    cr_assert(t && a.res.log_len == strlen(t));
    char start[128], end[128], report[128], info[128];
    snprintf(start, sizeof(start), "START RequestId: %s Version: $LATEST\n", a.rid);
    snprintf(end, sizeof(end), "\nEND RequestId: %s\n", a.rid);
    snprintf(report, sizeof(report), "REPORT RequestId: %s\tDuration: ", a.rid);
    snprintf(info, sizeof(info), "Z\t%s\tlogged here\n", a.rid);
    const char *ps = strstr(t, start), *pe = strstr(t, end), *pr = strstr(t, report);
    cr_assert(ps && pe && pr, "%s", t);
    cr_assert(ps < strstr(t, "hello stdout\n") && strstr(t, "hello stdout\n") < pe, "%s", t);
    cr_assert(strstr(t, "to stderr\n"), "%s", t);
    cr_assert(strstr(t, "[INFO]\t") && strstr(t, info), "%s", t);
    cr_assert(strstr(t, "init output line\n") < ps, "%s", t);
    cr_assert(pe < pr);
    cr_assert(strstr(pr, " ms\tBilled Duration: "), "%s", pr);
    cr_assert(strstr(pr, " ms\tMemory Size: 256 MB\tMax Memory Used: "), "%s", pr);
    cr_assert(strstr(pr, "\tInit Duration: "), "%s", pr);
    cr_assert_eq(t[a.res.log_len - 1], '\n');
    invoke_ex(&w, fn, "{}", 1, NULL, &b);
    cr_assert(strstr(b.res.log_tail, b.rid));
    cr_assert_null(strstr(b.res.log_tail, a.rid), "the previous invocation's log leaked");
    cr_assert_null(strstr(b.res.log_tail, "Init Duration"), "%s", b.res.log_tail);
    cr_assert_null(strstr(b.res.log_tail, "init output line"));
    unsigned mem = 0;
    const char *mm = strstr(b.res.log_tail, "Max Memory Used: ");
    cr_assert(mm && sscanf(mm, "Max Memory Used: %u MB", &mem) == 1 && mem > 0, "%s",
              b.res.log_tail);
    call_free(&a);
    call_free(&b);
    /* no tail unless asked; only the last 4096 bytes */
    invoke(&w, fn, "{}", &a);
    cr_assert_null(a.res.log_tail);
    call_free(&a);
    rs_lambda_fn_unref(fn);
    world_down(&w);
}

/* Each line a function prints reaches RustStack's log once, tagged with its invocation's
 * request id (it used to come again, untagged, at the next warm invoke). */
static void scenario_log_once(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/ruststack.log", w.runtime_dir);
    cr_assert_eq(rs_log_open(path), 0);
    rs_log_set_level(RS_LOG_INFO);
    rs_lambda_fn_t *fn = mkfn(&w, "printer", "app.logs", 10);
    call_t c[3];
    for (int i = 0; i < 3; i++) {
        invoke(&w, fn, "{}", &c[i]);
        cr_assert_eq(c[i].res.function_error, 0, "%s", c[i].res.payload);
    }
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.warm_starts, 2, "not one warm environment");
    rs_log_set_level(RS_LOG_ERR);
    rs_log_close();

    FILE *f = fopen(path, "r");
    cr_assert(f);
    char line[RS_LOG_LINE_MAX];
    int total = 0, mine[3] = {0, 0, 0};
    while (fgets(line, sizeof(line), f)) {
        if (!strstr(line, "printer: hello stdout"))
            continue;
        total++;
        for (int i = 0; i < 3; i++)
            mine[i] += strstr(line, c[i].rid) != NULL;
    }
    fclose(f);
    cr_assert_eq(total, 3, "\"hello stdout\" logged %d times for 3 invokes", total);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(mine[i], 1, "invoke %d: %d lines with its request id", i, mine[i]);
    for (int i = 0; i < 3; i++)
        call_free(&c[i]);
    rs_lambda_fn_unref(fn);
    world_down(&w);
}

static void scenario_retire_and_reap(const char *ex)
{
    world_t w;
    world_up(&w, ex, 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "ret", "app.ok", 10);
    call_t a, b, c;
    invoke(&w, fn, "{}", &a);
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.envs_total, 1);
    rs_lambda_pool_retire(w.pool, "000000000000", "eu-west-3", "other");
    stats(&w, &s);
    cr_assert_eq(s.envs_total, 1, "another function's environment was retired");
    rs_lambda_pool_retire(w.pool, "000000000000", "eu-west-3", "ret");
    stats(&w, &s);
    cr_assert_eq(s.envs_total, 0);
    /* a new revision (new handler) runs in a new environment */
    rs_lambda_fn_t *fn2 = mkfn(&w, "ret", "app.slow", 10);
    invoke(&w, fn2, "{}", &b);
    cr_assert_eq(b.res.function_error, 0);
    cr_assert(get(b.json, "existed"), "old code ran: %s", b.res.payload);
    /* an invoke of the newer revision retires an idle older one by itself */
    rs_lambda_fn_t *fn3 = mkfn(&w, "ret", "app.ok", 10);
    invoke(&w, fn3, "{}", &c);
    cr_assert(get(c.json, "event"), "%s", c.res.payload);
    stats(&w, &s);
    cr_assert_eq(s.envs_total, 1);
    cr_assert_eq(s.cold_starts, 3);
    call_free(&a);
    call_free(&b);
    call_free(&c);
    rs_lambda_fn_unref(fn);
    rs_lambda_fn_unref(fn2);
    rs_lambda_fn_unref(fn3);
    world_down(&w);
}

/* ---- the tests ---------------------------------------------------------------------- */

#define BOTH(name, secs)                                                                           \
    Test(lambda_pool, name##_process, .timeout = secs)                                             \
    {                                                                                              \
        scenario_##name("process");                                                                \
    }                                                                                              \
    Test(lambda_pool, name##_docker, .timeout = secs * 3)                                          \
    {                                                                                              \
        if (!docker_wanted())                                                                      \
            cr_skip_test("RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE not set");                            \
        scenario_##name("docker");                                                                 \
    }

BOTH(success_and_warm, 60)
BOTH(handler_error, 60)
BOTH(init_errors, 60)
BOTH(timeout, 60)
BOTH(crash, 60)
BOTH(large_response, 60)
BOTH(concurrency, 60)
BOTH(throttle, 60)
BOTH(env_and_context, 60)
BOTH(log_result, 60)
BOTH(log_once, 60)
BOTH(retire_and_reap, 60)

Test(lambda_pool, idle_environments_are_reaped, .timeout = 30)
{
    world_t w;
    world_up(&w, "process", 4, NULL);
    rs_lambda_pool_destroy(w.pool);
    w.conf.lambda_idle_timeout = 1;
    char why[256];
    cr_assert_eq(rs_lambda_pool_create(&w.conf, &w.pool, why, sizeof(why)), 0, "%s", why);
    rs_lambda_fn_t *fn = mkfn(&w, "idle", "app.ok", 10);
    call_t a;
    invoke(&w, fn, "{}", &a);
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.envs_total, 1);
    int pid = geti(a.json, "ospid");
    for (int i = 0; i < 40 && s.envs_total; i++) {
        usleep(100000);
        stats(&w, &s);
    }
    cr_assert_eq(s.envs_total, 0, "idle environment not reaped");
    usleep(100000);
    cr_assert_neq(kill(pid, 0), 0, "the reaped runtime still runs");
    call_free(&a);
    rs_lambda_fn_unref(fn);
    world_down(&w);
}

Test(lambda_pool, create_reports_what_is_missing)
{
    rs_conf_t c;
    rs_conf_defaults(&c);
    char why[512] = "";
    rs_lambda_pool_t *p = (rs_lambda_pool_t *)1;
    snprintf(c.runtime_dir, sizeof(c.runtime_dir), "/tmp/rs-lpool-missing-%d", (int)getpid());
    snprintf(c.lambda_executor, sizeof(c.lambda_executor), "process");
    snprintf(c.lambda_python, sizeof(c.lambda_python), "/nonexistent/python3");
    cr_assert_neq(rs_lambda_pool_create(&c, &p, why, sizeof(why)), 0);
    cr_assert_null(p);
    cr_assert(strstr(why, "lambda_python"), "%s", why);
    snprintf(c.lambda_python, sizeof(c.lambda_python), "python3");
    snprintf(c.lambda_runtime_path, sizeof(c.lambda_runtime_path), "/nonexistent/rt");
    cr_assert_neq(rs_lambda_pool_create(&c, &p, why, sizeof(why)), 0);
    cr_assert(strstr(why, "/nonexistent/rt/bootstrap.py"), "%s", why);
    snprintf(c.lambda_executor, sizeof(c.lambda_executor), "docker");
    snprintf(c.docker_socket, sizeof(c.docker_socket), "/nonexistent/docker.sock");
    cr_assert_neq(rs_lambda_pool_create(&c, &p, why, sizeof(why)), 0);
    cr_assert(strstr(why, "/nonexistent/docker.sock"), "%s", why);
    rs_rm_r(c.runtime_dir);
}

Test(lambda_pool, awslambdaric_runs_through_the_pool, .timeout = 60)
{
    if (system("python3 -c 'import awslambdaric' >/dev/null 2>&1") != 0)
        cr_skip_test("awslambdaric is not installed (pip install awslambdaric)");
    world_t w;
    world_up(&w, "process", 4, "tests/integration/awslambdaric");
    rs_lambda_fn_t *fn = mkfn(&w, "ric", "app.ok", 10);
    call_t a, b, c, d;
    invoke(&w, fn, "{\"via\": \"awslambdaric\"}", &a);
    cr_assert_eq(a.res.function_error, 0, "%s", a.res.payload);
    cr_assert_str_eq(gets_(a.json, "event.via"), "awslambdaric");
    invoke(&w, fn, "{}", &b);
    cr_assert_eq(geti(b.json, "count"), 2, "not warm: %s", b.res.payload);
    rs_lambda_fn_t *bad = mkfn(&w, "ric-fail", "app.fail", 10);
    invoke(&w, bad, "{}", &c);
    cr_assert_eq(c.res.function_error, 1);
    cr_assert_str_eq(gets_(c.json, "errorType"), "ValueError", "%s", c.res.payload);
    cr_assert_str_eq(gets_(c.json, "requestId"), c.rid);
    rs_lambda_fn_t *nomod = mkfn(&w, "ric-nomod", "nomod.handler", 10);
    invoke(&w, nomod, "{}", &d);
    cr_assert_eq(d.res.function_error, 1);
    cr_assert_str_eq(gets_(d.json, "errorType"), "Runtime.ImportModuleError", "%s", d.res.payload);
    rs_lambda_pool_stats_t s;
    stats(&w, &s);
    cr_assert_eq(s.cold_starts, 3);
    call_free(&a);
    call_free(&b);
    call_free(&c);
    call_free(&d);
    rs_lambda_fn_unref(fn);
    rs_lambda_fn_unref(bad);
    rs_lambda_fn_unref(nomod);
    world_down(&w);
}

Test(lambda_pool, destroy_stops_every_process, .timeout = 30)
{
    world_t w;
    world_up(&w, "process", 4, NULL);
    rs_lambda_fn_t *fn = mkfn(&w, "gone", "app.ok", 10);
    call_t a;
    invoke(&w, fn, "{}", &a);
    int pid = geti(a.json, "ospid");
    cr_assert_eq(kill(pid, 0), 0);
    call_free(&a);
    rs_lambda_fn_unref(fn);
    world_down(&w);
    cr_assert_neq(kill(pid, 0), 0, "the runtime survived the pool");
}

static size_t labelled(rs_docker_t *d, const char *instance)
{
    char label[128], err[256];
    snprintf(label, sizeof(label), "io.ruststack.instance=%s", instance);
    char **ids = NULL;
    size_t n = 0;
    cr_assert_eq(rs_docker_list_by_label(d, label, &ids, &n, err, sizeof(err)), 0, "%s", err);
    rs_docker_ids_free(ids, n);
    return n;
}

Test(lambda_pool, docker_orphans_removed_and_destroy_cleans_up, .timeout = 90)
{
    if (!docker_wanted())
        cr_skip_test("RS_DOCKER_SOCKET / RS_LAMBDA_IMAGE not set");
    rs_docker_t d;
    char err[256], id[80], instance[64], name[96];
    cr_assert_eq(rs_docker_init(&d, getenv("RS_DOCKER_SOCKET"), 30000), 0);
    snprintf(instance, sizeof(instance), "/rs-lpool-%d", (int)getpid());
    snprintf(name, sizeof(name), "rs-lpool-orphan-%d", (int)getpid());
    /* what a killed predecessor leaves behind */
    json_object *cfg = json_object_new_object();
    json_object_object_add(cfg, "Image", json_object_new_string(getenv("RS_LAMBDA_IMAGE")));
    json_object *cmd = json_object_new_array();
    json_object_array_add(cmd, json_object_new_string("true"));
    json_object_object_add(cfg, "Cmd", cmd);
    json_object *labels = json_object_new_object();
    json_object_object_add(labels, "io.ruststack.instance", json_object_new_string(instance));
    json_object_object_add(cfg, "Labels", labels);
    cr_assert_eq(rs_docker_create(&d, name, cfg, id, sizeof(id), err, sizeof(err)), 0, "%s", err);
    json_object_put(cfg);
    cr_assert_eq(labelled(&d, instance), 1);
    world_t w;
    world_standby = 0; /* counted containers: the orphan, then the function's own */
    world_up(&w, "docker", 4, NULL);
    /* removed in the background (the engine may still be stopping it): wait, bounded */
    for (int i = 0; i < 100 && labelled(&d, instance) != 0; i++)
        usleep(100000);
    cr_assert_eq(labelled(&d, instance), 0, "the orphan was not removed");
    rs_lambda_fn_t *fn = mkfn(&w, "dock", "app.ok", 10);
    call_t a;
    invoke(&w, fn, "{}", &a);
    cr_assert_eq(a.res.function_error, 0, "%s", a.res.payload);
    cr_assert_eq(labelled(&d, instance), 1);
    call_free(&a);
    rs_lambda_fn_unref(fn);
    world_down(&w);
    cr_assert_eq(labelled(&d, instance), 0, "containers left after destroy");
}

Test(lambda_pool, reserved_environment_names)
{
    /* refused by CreateFunction and dropped by the builder */
    cr_assert(rs_lambda_env_reserved("TZ", 1));
    cr_assert(rs_lambda_env_reserved("AWS_REGION=eu-west-1", 0));
    cr_assert(rs_lambda_env_reserved("_HANDLER=app.h", 1));
    /* dropped by the builder only */
    cr_assert(rs_lambda_env_reserved("AWS_LAMBDA_MAX_CONCURRENCY=4", 0));
    cr_assert_not(rs_lambda_env_reserved("AWS_LAMBDA_MAX_CONCURRENCY", 1));
    cr_assert(rs_lambda_env_reserved("_LAMBDA_TELEMETRY_LOG_FD", 0));
    /* whole names only */
    cr_assert_not(rs_lambda_env_reserved("TZX=1", 0));
    cr_assert_not(rs_lambda_env_reserved("T=1", 0));
    cr_assert_not(rs_lambda_env_reserved("MY_VAR", 1));
}
