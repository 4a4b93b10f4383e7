/*
 * lambda_int.h: private to src/lambda: the contract between the control plane (the
 * supervisor process, its request handlers and the function registry: lambda_supervisor.c,
 * lambda_api*.c, lambda_validate.c, lambda_config.c, lambda_registry.c, lambda_code.c) and
 * the execution side (the pool of execution environments, the Runtime API they poll, the
 * process and docker executors: lambda_pool.c, lambda_env.c, lambda_rapi.c,
 * lambda_exec_*.c).
 * Runs in: the lambda supervisor (threads: the IPC server's bounded handler pool of
 * src/ipc/server.c, the capped Event invocation threads of lambda_api_invoke.c, and the
 * pool's own threads).
 *
 * Worker -> supervisor request frames carry the HTTP request: meta rs_ipc_lambda_req_t,
 * answered with rs_ipc_resp_t (include/rs/ipc.h), bodies the HTTP bodies. The worker has
 * already replaced Code.S3Bucket/S3Key (and UpdateFunctionCode's S3Bucket/S3Key) by the
 * object's bytes as ZipFile (base64), or answered the S3 error itself; S3Bucket
 * "hot-reload" (S3Key a local directory, lambda_hot.h) is passed on unchanged. The API Gateway
 * proxy (worker side) sends an ordinary Invoke request and maps the result.
 */
#ifndef RS_LAMBDA_INT_H
#define RS_LAMBDA_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rs/conf.h"

/* One function's execution configuration at one revision: immutable once published,
 * shared by reference between the registry and the environments running it. Every
 * UpdateFunctionCode / UpdateFunctionConfiguration publishes a new one; environments of
 * an older revision never take another invocation. */
typedef struct rs_lambda_fn {
    _Atomic int refs;
    char account[13];
    char region[32];
    char name[65];
    char arn[256];        /* unqualified: arn:aws:lambda:<region>:<account>:function:<name> */
    char handler[129];    /* "app.handler" */
    char runtime[32];     /* "python3.12" (the label; the image's python runs it) */
    uint32_t timeout_s;   /* 1..900 */
    uint32_t memory_mb;   /* 128..10240 */
    char code_dir[1024];  /* extracted code, read-only: /var/task in the environment */
    int hot;              /* code_dir is a hot-reload directory (lambda_hot.h), not a copy */
    char revision_id[37]; /* RevisionId (UUID), new on every change */
    uint64_t generation;  /* strictly increasing per function: higher = newer */
    char **env;           /* user variables, "NAME=value", malloc'd */
    size_t nenv;
} rs_lambda_fn_t;

/* Reference counting (lambda_registry.c). The last unref frees the struct; a code
 * directory is removed when the last revision using it is gone (the registry's use
 * table: a configuration-only update shares its predecessor's directory). */
void rs_lambda_fn_ref(rs_lambda_fn_t *fn);
void rs_lambda_fn_unref(rs_lambda_fn_t *fn);

/* ---- the pool (lambda_pool.c and friends) ------------------------------------------- */

typedef struct rs_lambda_pool rs_lambda_pool_t;

/* Start the pool for conf->lambda_executor. Checks that the executor can run here
 * (docker: the socket answers _ping and conf->lambda_image exists; process: the python
 * binary and <lambda_runtime_path>/bootstrap.py exist) and removes containers a killed
 * predecessor left behind (label io.ruststack.instance=<shm_name>). On failure returns
 * RS_ERR with a one-line reason saying what to install or start (health shows it);
 * the control plane still runs, and invokes get that reason. Logs which executor runs. */
int rs_lambda_pool_create(const rs_conf_t *conf, rs_lambda_pool_t **out, char *why, size_t whylen);

/* What to run. The pool copies what it keeps. */
typedef struct rs_lambda_invoke {
    rs_lambda_fn_t *fn;      /* the revision to run (the caller holds a reference) */
    const char *request_id;  /* = context.aws_request_id = x-amzn-RequestId */
    const char *invoked_arn; /* the ARN as the caller named the function */
    const void *payload;     /* the event (valid JSON; "{}" for an empty body) */
    size_t payload_len;
    const char *client_context; /* decoded client-context JSON text, or NULL */
    int want_log;               /* LogType Tail: fill log_tail */
} rs_lambda_invoke_t;

typedef struct rs_lambda_result {
    int function_error; /* 1: X-Amz-Function-Error: Unhandled */
    char *payload;      /* malloc'd response body (what the runtime posted, or
                           AWS's error payload for timeouts/crashes/init errors) */
    size_t payload_len;
    char *log_tail; /* malloc'd, when want_log: the last 4096 bytes of this
                       invocation's log (START ... END, REPORT lines) */
    size_t log_len;
    int throttled;           /* 1: no environment became free in time -> 429 */
    char service_error[256]; /* non-empty: the pool could not run it (engine down,
                                image missing) -> 500 ServiceException with this text */
} rs_lambda_result_t;

/* Run one invocation synchronously (blocks the calling thread): take an idle warm
 * environment of fn's revision, or start a new one while the function has fewer than
 * conf->lambda_max_concurrency, or wait for one to be free. Returns 0 with `out` filled
 * (including function errors, throttling and service errors), RS_ENOMEM otherwise. */
int rs_lambda_pool_invoke(rs_lambda_pool_t *p, const rs_lambda_invoke_t *inv,
                          rs_lambda_result_t *out);
void rs_lambda_result_free(rs_lambda_result_t *r);

/* The function changed (new revision) or was deleted: idle environments of older
 * revisions of (account, region, name) stop now, busy ones when their invocation ends. */
void rs_lambda_pool_retire(rs_lambda_pool_t *p, const char *account, const char *region,
                           const char *name);

/* Counters for /_ruststack and the bench. */
typedef struct rs_lambda_pool_stats {
    uint64_t cold_starts, warm_starts, timeouts, crashes;
    uint32_t envs_total, envs_busy;
} rs_lambda_pool_stats_t;
void rs_lambda_pool_stats(rs_lambda_pool_t *p, rs_lambda_pool_stats_t *out);

/* Stop every environment (containers killed and removed, processes killed) and free. */
void rs_lambda_pool_destroy(rs_lambda_pool_t *p);

#endif
