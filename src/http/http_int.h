/*
 * http_int.h: private to src/http: the per-worker HTTP context shared by the adapter,
 * the internal endpoints and the service hand-offs. Runs in: workers.
 * Nothing here includes h2o.h; only server.c and adapter.c do.
 */
#ifndef RS_HTTP_INT_H
#define RS_HTTP_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "rs/child.h"
#include "rs/os.h"
#include "rs/codec.h"
#include "rs/conf.h"
#include "rs/http.h"
#include "rs/router.h"
#include "rs/s3.h"
#include "rs/store.h"

/* The custom domain names the lambda supervisor publishes (gw_hosts.c). */
typedef struct rs_gw_hosts {
    char path[300]; /* <runtime_dir>/gateway-hosts */
    char *names;    /* "\n<name>\n<name>\n" (NULL: none) */
    size_t len;
    unsigned long ino, dev; /* of the file read */
    long long size, mtime_s, mtime_ns;
    uint64_t gen; /* the status board's domains generation of what was read */
} rs_gw_hosts_t;

void rs_gw_hosts_init(rs_gw_hosts_t *h, const char *runtime_dir);
void rs_gw_hosts_free(rs_gw_hosts_t *h);
/* rs_router_conf_t.is_domain: arg is the rs_gw_hosts_t */
int rs_gw_hosts_has(void *arg, const char *host, size_t n);

typedef struct rs_http_ctx {
    const rs_conf_t *conf;
    rs_store_t *store;
    rs_s3_ctx_t s3;
    rs_cred_t creds[RS_CONF_MAX_CREDS];
    rs_router_conf_t router;
    rs_gw_hosts_t gw_hosts; /* router.is_domain's */
    unsigned slot;
    pid_t master_pid;
    int64_t started_ms;
    uint64_t served;              /* requests answered by this worker */
    uint64_t inflight;            /* requests between on_req and dispose */
    uint64_t rng;                 /* request-id generator state */
    struct rs_ipc_client *ddb;    /* DynamoDB supervisor client (ipc_client.h), made on first use */
    struct rs_ipc_client *lambda; /* lambda supervisor client, made on first use */
} rs_http_ctx_t;

void rs_http_ctx_init(rs_http_ctx_t *c, const rs_conf_t *conf, rs_store_t *st, unsigned slot,
                      pid_t master_pid);

/* A fresh 16-character upper-case alphanumeric request id (NUL-terminated). */
void rs_http_new_request_id(rs_http_ctx_t *c, char out[17]);

/* A fresh random UUID (version 4 layout, lower-case, NUL-terminated): Lambda and API
 * Gateway request ids. */
void rs_http_new_uuid(rs_http_ctx_t *c, char out[37]);

/* What the signature check of a JSON-protocol service (DynamoDB, Lambda) found. */
typedef enum {
    RS_HTTP_AUTH_OK = 0,       /* verified, or auth_verify is off */
    RS_HTTP_AUTH_INCOMPLETE,   /* an Authorization header / presign that does not parse */
    RS_HTTP_AUTH_MISSING,      /* no credentials at all */
    RS_HTTP_AUTH_UNKNOWN_KEY,  /* an access key that is not configured */
    RS_HTTP_AUTH_BAD_SIGNATURE /* the signature does not match the configured secret */
} rs_http_auth_t;

/* rs_http_set_identity, then (when auth_verify is on) the signature check against the
 * configured credentials. */
rs_http_auth_t rs_http_authenticate(rs_http_ctx_t *c, rs_http_req_t *req);

/* Fill account/region/access_key of the request from its credentials (SigV4/SigV2,
 * header or query) with the configured defaults where absent. */
void rs_http_set_identity(rs_http_ctx_t *c, rs_http_req_t *req);

/* GET /_ruststack/health|info|check, POST /_ruststack/reset. */
void rs_internal_handle(rs_http_ctx_t *c, rs_http_req_t *req, const rs_route_t *route,
                        rs_http_resp_t *resp);

struct json_object;
/* Copy the headers of a reply meta (rs_ipc_resp_t) into resp (replacing what it held); content-type
 * defaults to default_ctype (none when NULL), x-amzn-RequestId to req's id. */
void rs_ipc_reply_headers(const rs_http_req_t *req, rs_http_resp_t *resp, struct json_object *hdrs,
                          const char *default_ctype);

#endif
