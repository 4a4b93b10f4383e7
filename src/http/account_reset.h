/*
 * account_reset.h: private to src/http: POST /_ruststack/reset?account=<12 digits>, the
 * reset of one account (account_reset.c). Runs in: workers (h2o event loop; never blocks).
 */
#ifndef RS_HTTP_ACCOUNT_RESET_H
#define RS_HTTP_ACCOUNT_RESET_H

#include "http/http_int.h"
#include "http/ipc_client.h"

typedef struct rs_acct_reset rs_acct_reset_t;

/* 1 when req is POST /_ruststack/reset with an `account` query parameter (route: the
 * internal route of req). */
int rs_acct_reset_wanted(const rs_http_req_t *req, const rs_route_t *route);

/* Drop the account's S3 buckets (here, at once), then ask the ddb and lambda supervisors
 * (ddb / lambda: their clients; NULL when unusable) for its tables, functions and gateway
 * definitions, both at once. Returns 0 when resp already holds the whole answer (also a
 * 400 for a bad account), or 1 when calls are pending: done(arg) runs once, from the
 * event loop, after resp was filled. *out is the pending state (request pool) for
 * rs_acct_reset_cancel. */
int rs_acct_reset_start(rs_http_ctx_t *c, rs_http_req_t *req, rs_http_resp_t *resp,
                        rs_ipc_client_t *ddb, rs_ipc_client_t *lambda, void (*done)(void *),
                        void *arg, rs_acct_reset_t **out);

/* The requester went away: forget pending calls (no done callback). NULL is fine. */
void rs_acct_reset_cancel(rs_acct_reset_t *r);

#endif
