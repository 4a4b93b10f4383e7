/*
 * gw_invoke.h: private to src/lambda: the API Gateway data plane: a request to an invoke
 * URL (execute-api host or path, a custom domain, a function URL), as the worker forwarded
 * it (service "gateway"), resolved against the definitions (gw_store.h), the function
 * invoked with a payload 1.0 or 2.0 event, its result mapped to the HTTP response.
 * Runs in: the lambda supervisor (handler threads).
 */
#ifndef RS_LAMBDA_GW_INVOKE_H
#define RS_LAMBDA_GW_INVOKE_H

#include <stddef.h>

#include "lambda/gw_store.h"
#include "lambda/lambda_api.h"
#include "rs/apigw.h"
#include "rs/conf.h"
#include "rs/ipc.h"

/* Where the answer goes: the request frame's connection and id (for the integration
 * timeout, which may answer before the handler returns). */
typedef struct rs_gw_reply_to {
    rs_ipc_conn_t *conn; /* NULL: no early answer (then the handler waits on a thread) */
    uint64_t id;
} rs_gw_reply_to_t;

/* Fills out with the response for the API's client (the gateway's own errors included);
 * its header values are strings or arrays of strings (several Set-Cookie). 0, RS_ENOMEM,
 * or RS_GW_ANSWERED when the integration timed out and its answer went to `to` already
 * (out is then empty: send nothing). */
#define RS_GW_ANSWERED 1
int rs_gw_invoke(rs_lambda_api_t *api, const rs_ipc_lambda_req_t *q, const void *body, size_t len,
                 const rs_gw_reply_to_t *to, rs_lambda_resp_t *out);

/* ---- gw_deadline.c: integration timeouts ---------------------------------------------- */

typedef struct rs_gw_deadline rs_gw_deadline_t;
/* Send `answer` to `to` in `ms` milliseconds unless disarmed first (copies it; takes a
 * reference on the connection). NULL when it cannot (no memory, no watchdog thread, no
 * connection): the caller then enforces the timeout itself. */
rs_gw_deadline_t *rs_gw_deadline_arm(const rs_gw_reply_to_t *to, int64_t ms,
                                     const rs_lambda_resp_t *answer);
/* Take the entry off (freed): 1 when its answer was sent already, 0 when not (d NULL: 0). */
int rs_gw_deadline_disarm(rs_gw_deadline_t *d);

/* ---- gw_resolve.c: which integration answers a request ------------------------------ */

typedef struct rs_gw_route {
    rs_apigw_target_t t;  /* the event's address and the integration (strings in the pool) */
    rs_apigw_kind_t kind; /* REST API, HTTP API or function URL */
    int answer;           /* 0: invoke t.function; else the gateway answers this status */
    const char *message;  /* ... with {"message": message} */
    const char *err_type; /* ... and this x-amzn-ErrorType (NULL: none) */
    int no_route;         /* ... the kind's no-route answer (403 / 404) instead */
    int timeout_ms;       /* the integration's timeout */
    int auth_iam;         /* a function URL with AuthType AWS_IAM */
    int shortcut;         /* no API of that id: the id names a function (rs_apigw_resolve) */
    json_object *cors;    /* a function URL's Cors configuration (a copy; put it), or NULL */
} rs_gw_route_t;

/* Resolve req (its Host, path and method) against the definitions: an execute-api address
 * to its REST or HTTP API, stage, route and integration (an api id that names no API names
 * a function: rs_apigw_resolve); a function URL host or path to its function; a custom
 * domain to the API its mappings name. Fills r (strings in req->pool). */
void rs_gw_resolve(rs_gw_store_t *s, const rs_conf_t *conf, const rs_http_req_t *req,
                   rs_gw_route_t *r);

#endif
