/*
 * lambda_exec.h: private to the execution side of src/lambda: the per-environment Runtime
 * API server (lambda_rapi.c), the executors that run one runtime process or container
 * (lambda_exec_process.c, lambda_exec_docker.c), the environment variables and dirs of an
 * environment (lambda_env.c). The pool (lambda_pool.c) drives them.
 * Runs in: the lambda supervisor (pool threads, one Runtime API thread per connection).
 */
#ifndef RS_LAMBDA_EXEC_H
#define RS_LAMBDA_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "lambda/lambda_int.h"
#include "rs/child.h"
#include "rs/os.h"
#include "rs/codec.h"
#include "rs/conf.h"
#include "rs/lambda_routes.h"

/* ---- Runtime API (lambda_rapi.c) ------------------------------------------------------ */

typedef struct rs_rapi rs_rapi_t;

/* What the pool waits for. */
typedef enum rs_rapi_event {
    RS_RAPI_NONE = 0,
    RS_RAPI_READY,      /* the runtime called /next for the first time (init done) */
    RS_RAPI_INIT_ERROR, /* the runtime posted /init/error (payload) */
    RS_RAPI_RESPONSE,   /* the runtime posted /response (payload) */
    RS_RAPI_ERROR,      /* the runtime posted /error (payload, error_type) */
    RS_RAPI_TOO_LARGE,  /* /response or /error over RS_LAMBDA_RESPONSE_MAX (answered 413) */
    RS_RAPI_EXITED,     /* the executor reported the process/container gone */
    RS_RAPI_TIMEOUT     /* the deadline passed first */
} rs_rapi_event_t;

typedef struct rs_rapi_outcome {
    rs_rapi_event_t event;
    char *payload; /* malloc'd (RESPONSE, ERROR, INIT_ERROR), NUL-terminated */
    size_t payload_len;
    char error_type[128]; /* ERROR / INIT_ERROR: header value, else the body's errorType */
    int exit_status;      /* EXITED: >= 0 exit code, < 0 killed by signal -exit_status */
} rs_rapi_outcome_t;

/* One invocation handed to the runtime by /next. Strings are copied. */
typedef struct rs_rapi_invocation {
    const char *request_id;
    int64_t deadline_epoch_ms;
    const char *invoked_arn;
    const char *trace_id;
    const char *client_context; /* NULL: header omitted */
    const void *payload;
    size_t payload_len;
} rs_rapi_invocation_t;

/* A new Runtime API in the "init" state, without a listener. */
int rs_rapi_create(rs_rapi_t **out);
/* Listen on <addr>:<ephemeral> (NULL: 127.0.0.1; another IPv4 address is bound with
 * IP_FREEBIND, as a bridge's gateway exists only once a container joined the bridge, and
 * expects its peer from the first connection on, as after rs_rapi_expect_peer) and serve
 * each connection on its own thread. */
int rs_rapi_listen(rs_rapi_t *r, const char *addr, uint16_t *port_out);
/* Serve one connected socket until it closes or rs_rapi_stop (blocking; takes the fd). */
void rs_rapi_serve_fd(rs_rapi_t *r, int fd);
/* Queue the invocation the next /next delivers (RS_EEXIST if one is pending/running). */
int rs_rapi_invoke(rs_rapi_t *r, const rs_rapi_invocation_t *inv);
/* Wait for the next event until deadline_mono_ms (CLOCK_MONOTONIC ms; < 0: no limit).
 * READY is reported once; EXITED is sticky. The caller frees out->payload. */
void rs_rapi_wait(rs_rapi_t *r, int64_t deadline_mono_ms, rs_rapi_outcome_t *out);
/* Hot reload: make the runtime process restart (its supervising bootstrap forks a new one
 * that imports the code again): the pending or next /next is answered with
 * "Lambda-Runtime-RustStack-Reload: 1", and the state goes back to init, so the pool waits
 * for READY or INIT_ERROR as after a cold start. RS_EEXIST while an invocation runs. */
int rs_rapi_reload(rs_rapi_t *r);
/* Bridge network: from now on a connection is served only once rs_rapi_set_peer named
 * its source address (it waits up to 30 s for that), and only from that address; others
 * are closed and logged. */
void rs_rapi_expect_peer(rs_rapi_t *r);
/* The environment's container address (NULL or "": unknown, every connection refused). */
void rs_rapi_set_peer(rs_rapi_t *r, const char *addr);
/* Hot reload: after /init/error the runtime's bootstrap stays and waits in /next for a
 * reload order (rs_rapi_reload), instead of the environment ending. */
void rs_rapi_set_hot(rs_rapi_t *r);
/* The executor's watcher reports the end of the runtime process. */
void rs_rapi_notify_exit(rs_rapi_t *r, int exit_status);
/* Close the listener and every connection, wake every waiter, wait for the threads. */
void rs_rapi_stop(rs_rapi_t *r);
void rs_rapi_destroy(rs_rapi_t *r);

/* ---- executors (lambda_exec_process.c, lambda_exec_docker.c) -------------------------- */

typedef struct rs_lexec rs_lexec_t; /* one running environment of an executor */

typedef struct rs_lexec_spec {
    const rs_lambda_fn_t *fn;
    char *const *envp;    /* NULL-terminated "NAME=value" */
    const char *env_dir;  /* per-environment dir (the log file lives in <env_dir>/log/) */
    const char *log_path; /* <env_dir>/log/output.log: stdout + stderr, appended */
    const char *tmp_dir;  /* the environment's /tmp */
} rs_lexec_spec_t;

/* Where an environment reaches the supervisor's host, when it is not 127.0.0.1 (bridge
 * network): the address the Runtime API listens on (and AWS_LAMBDA_RUNTIME_API names),
 * and the AWS_ENDPOINT_URL the function gets. Empty strings: the loopback defaults. */
typedef struct rs_lexec_net {
    char rapi_addr[64];
    char endpoint[300];
} rs_lexec_net_t;

typedef struct rs_lexec_ops {
    const char *name; /* "process" / "docker" */
    /* Can this executor run here? Resolves what it needs into its private state. */
    int (*init)(const rs_conf_t *conf, void **state, char *why, size_t whylen);
    void (*fini)(void *state);
    /* How environments reach the host (may be NULL: loopback). */
    void (*net)(void *state, rs_lexec_net_t *out);
    /* Remove leftovers of a killed predecessor (containers labelled with the instance). */
    void (*cleanup_orphans)(void *state);
    int (*start)(void *state, const rs_lexec_spec_t *spec, rs_lexec_t **out, char *err,
                 size_t errlen);
    void (*kill)(rs_lexec_t *x);
    /* Block until the runtime is gone; its status (>= 0 exit code, < 0 -signal). */
    int (*wait)(rs_lexec_t *x);
    /* The environment's address on the bridge ("" unknown; may be NULL: loopback). */
    void (*peer)(rs_lexec_t *x, char *addr, size_t addrlen);
    /* Host pid of the runtime (memory figures), 0 if unknown. */
    int (*pid)(rs_lexec_t *x);
    /* After wait returned: free (and remove the container). */
    void (*release)(rs_lexec_t *x);
} rs_lexec_ops_t;

extern const rs_lexec_ops_t rs_lexec_process_ops;
extern const rs_lexec_ops_t rs_lexec_docker_ops;

/* ---- environment setup (lambda_env.c) ------------------------------------------------- */

/* Build the runtime's environment: Lambda's variables (lambda.md 4.4), the user's, the
 * endpoint, region, credentials; `net` (NULL: loopback) overrides the Runtime API's host
 * and the endpoint. `in_container` selects /var/task paths. Returns a
 * malloc'd NULL-terminated array (free with rs_lambda_env_free) or NULL. */
char **rs_lambda_env_build(const rs_conf_t *conf, const rs_lambda_fn_t *fn, uint16_t rapi_port,
                           const rs_lexec_net_t *net, int in_container, const char *runtime_dir,
                           const char *tmp_dir, const char *log_stream);
void rs_lambda_env_free(char **envp);
/* 1 when the variable ("NAME" or "NAME=value") is one of Lambda's own: with `refused_only`,
 * one that CreateFunction refuses in a user's Environment; else one the builder drops. */
int rs_lambda_env_reserved(const char *kv, int refused_only);
/* "YYYY/MM/DD/[$LATEST]<32 hex>" */
void rs_lambda_log_stream_name(char *out, size_t outlen);
/* Lambda's AWS_ENDPOINT_URL for this configuration. */
void rs_lambda_endpoint_url(const rs_conf_t *conf, char *out, size_t outlen);
/* "Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0" */
void rs_lambda_trace_id(char *out, size_t outlen);

#endif
