/*
 * s3.h: entry point of the S3 protocol layer.
 * Runs in: workers. Pure with respect to HTTP: it reads an rs_http_req_t plus the route
 * and fills an rs_http_resp_t, using the shared store. Never includes h2o.h.
 */
#ifndef RS_S3_H
#define RS_S3_H

#include "rs/cred.h"
#include "rs/http.h"
#include "rs/router.h"
#include "rs/store.h"

typedef struct rs_s3_ctx {
    rs_store_t *store;
    int verify_signatures;  /* `auth_verify` setting */
    const rs_cred_t *creds; /* configured credentials (verification) */
    size_t ncreds;
    const char *default_account; /* "000000000000" */
    const char *default_region;  /* "us-east-1" */
    uint64_t max_object_size;
} rs_s3_ctx_t;

/* Handle one S3 request. Sets req->operation for the access log. If the response body
 * is zero-copy from shared memory, resp->on_dispose releases the pin. */
void rs_s3_handle(rs_s3_ctx_t *ctx, rs_http_req_t *req, const rs_route_t *route,
                  rs_http_resp_t *resp);

/* Account id for an access key: a configured credential's account, a 12-digit access
 * key as-is, otherwise the default account. */
const char *rs_account_for_key(const rs_s3_ctx_t *ctx, const char *access_key);

/* Drop every bucket of `account` with everything in it (s3_account.c: the account-scoped
 * reset). fn (optional) is called with the name of each bucket deleted; *objects counts
 * the objects deleted. 0, or the first store error (buckets before it are gone). */
typedef void (*rs_s3_dropped_fn)(void *arg, const char *bucket);
int rs_s3_drop_account(rs_store_t *st, const char *account, rs_s3_dropped_fn fn, void *arg,
                       uint64_t *objects);

#endif
