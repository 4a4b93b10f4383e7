/*
 * ipc_client.h: private to src/http: the worker's non-blocking client for the framed
 * supervisor protocol (include/rs/ipc.h) on the worker's h2o event loop. One client per
 * supervisor socket (<runtime_dir>/<name>.sock: "ddb" and "lambda"); many calls in
 * flight on one connection, matched by id; a per-call timeout; on-demand reconnection
 * with backoff; when the connection drops every pending call fails at once.
 * Runs in: workers. Includes h2o.h (the call embeds an h2o timeout entry).
 */
#ifndef RS_HTTP_IPC_CLIENT_H
#define RS_HTTP_IPC_CLIENT_H

#include <h2o.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rs_ipc_client rs_ipc_client_t;

/* How a call ended (passed to its callback). */
typedef enum {
    RS_IPC_OK = 0,    /* a response frame arrived: the reply is valid */
    RS_IPC_NOCONN,    /* the supervisor socket is not there or refused us */
    RS_IPC_DROPPED,   /* the connection went away while the call was pending */
    RS_IPC_TIMEOUT,   /* no response within the client's timeout */
    RS_IPC_OVERLOADED /* too much unsent data queued for the supervisor */
} rs_ipc_outcome_t;

typedef struct rs_ipc_reply {
    const char *meta; /* response meta JSON (not NUL-terminated) */
    size_t meta_len;
    const void *body;
    size_t body_len;
} rs_ipc_reply_t;

/* `reply` is only valid during the callback (NULL unless RS_IPC_OK). */
typedef void (*rs_ipc_done_cb)(void *arg, rs_ipc_outcome_t outcome, const rs_ipc_reply_t *reply);

/* One call; embedded in the caller's per-request state, zero-initialised by it. */
typedef struct rs_ipc_call {
    rs_ipc_client_t *client;
    uint64_t id;
    h2o_linklist_t link; /* in the client's id table while pending */
    h2o_timeout_entry_t timer;
    rs_ipc_done_cb cb;
    void *arg;
} rs_ipc_call_t;

typedef struct rs_ipc_client_stats {
    uint64_t calls, replies, timeouts, dropped, noconn, late_replies;
    uint64_t connects, connect_failures;
    size_t pending;
    int connected;
} rs_ipc_client_stats_t;

/* Create a client for <runtime_dir>/<name>.sock (no connection is made yet). 0, RS_EINVAL
 * (path too long) or RS_ENOMEM. */
int rs_ipc_client_create(h2o_loop_t *loop, const char *runtime_dir, const char *name,
                         uint32_t timeout_ms, rs_ipc_client_t **out);
/* Fail every pending call (RS_IPC_DROPPED), close and free. */
void rs_ipc_client_destroy(rs_ipc_client_t *c);

/* Send a request frame. Returns 0 when the call is pending (its callback runs exactly
 * once later, from the event loop, unless it is cancelled first), or the outcome
 * (RS_IPC_NOCONN / RS_IPC_OVERLOADED) when it could not be sent; then no callback runs. */
int rs_ipc_call_start(rs_ipc_client_t *c, rs_ipc_call_t *call, const char *meta, size_t meta_len,
                      const void *body, size_t body_len, rs_ipc_done_cb cb, void *arg);
/* Forget a pending call (its requester went away): no callback; a late reply is dropped.
 * Harmless on a call that is not pending. */
void rs_ipc_call_cancel(rs_ipc_call_t *call);
int rs_ipc_call_pending(const rs_ipc_call_t *call);

void rs_ipc_client_stats(const rs_ipc_client_t *c, rs_ipc_client_stats_t *out);

#endif
