/*
 * lambda_api.h: private to src/lambda: the Lambda control plane and Invoke front
 * (lambda_api.c: dispatch, name forms, replies; lambda_api_fn.c: the function operations;
 * lambda_validate.c: their validation rules; lambda_config.c: the configuration JSON;
 * lambda_api_code.c: code intake and download; lambda_api_invoke.c: Invoke). Testable without
 * sockets: one call takes the request the worker forwarded and gives the HTTP response. Runs in:
 * the lambda supervisor (the IPC server's handler threads, src/ipc/server.c).
 */
#ifndef RS_LAMBDA_API_H
#define RS_LAMBDA_API_H

#include <json-c/json.h>
#include <stdatomic.h>
#include <stddef.h>

#include "lambda/lambda_int.h"
#include "lambda/lambda_registry.h"
#include "rs/conf.h"
#include "rs/lambda_errors.h"
#include "rs/lambda_routes.h"

struct rs_gw_store;

typedef struct rs_lambda_api {
    rs_lambda_reg_t *reg;
    struct rs_gw_store *gw; /* API Gateway and function URL definitions (gw_store.h); NULL
                               in tests that need none */
    rs_lambda_pool_t *pool; /* NULL: invokes answer 500 ServiceException pool_why */
    char pool_why[256];
    const rs_conf_t *conf;     /* NULL in tests: defaults */
    uint64_t zip_max;          /* RS_LAMBDA_ZIP_MAX unless a test lowers it */
    uint64_t unzipped_max;     /* RS_LAMBDA_UNZIPPED_MAX unless a test lowers it */
    _Atomic int async_running; /* Event invocations in flight */
} rs_lambda_api_t;

/* Initialise with defaults (pool NULL, why ""). */
void rs_lambda_api_init(rs_lambda_api_t *api, rs_lambda_reg_t *reg, rs_lambda_pool_t *pool,
                        const char *pool_why, const rs_conf_t *conf);

/* The response to one request. */
typedef struct rs_lambda_resp {
    int status;
    json_object *headers; /* {"name": "value"}: always x-amzn-RequestId */
    char *body;           /* malloc'd (may be NULL when body_len is 0) */
    size_t body_len;
} rs_lambda_resp_t;

void rs_lambda_resp_free(rs_lambda_resp_t *r);

/* Handle one request: method, raw path (percent-encoded), raw query ("" when none), the
 * request headers (lower-case names; may be NULL), the caller's account and region, the
 * request id (= x-amzn-RequestId; for Invoke also the aws_request_id), the body.
 * Always fills `out` (errors are AWS error responses); returns 0 or RS_ENOMEM. */
int rs_lambda_api_handle(rs_lambda_api_t *api, const char *method, const char *path,
                         const char *query, json_object *headers, const char *account,
                         const char *region, const char *request_id, const void *body, size_t len,
                         rs_lambda_resp_t *out);

/* ---- shared by the operation files ------------------------------------------------ */

/* One parsed request: the function named in the path, resolved. */
typedef struct rs_lambda_req {
    rs_lambda_api_t *api;
    const char *method;
    const char *account; /* the account that owns the function named (caller's or ARN's) */
    const char *region;
    const char *request_id;
    json_object *headers;
    const void *body;
    size_t len;
    char name[65];       /* function name ("" for the collection routes) */
    char qualifier[130]; /* from the name or ?Qualifier= ("" when none) */
    int named_qualifier; /* the path named a qualifier itself */
    char named_arn[300]; /* the ARN as the caller named it (with its qualifier) */
    char acct_buf[13];
    char query_qualifier[130];
    char marker[300];
    char max_items[16];
    char function_version[32];
    int has_function_version;
} rs_lambda_req_t;

/* Resolve a FunctionName in any form (name, name:qualifier, partial ARN, full ARN; already
 * percent-decoded) into rq->name / rq->account / rq->qualifier / rq->named_arn, checking
 * pattern, length, region and the qualifier given separately (rq->query_qualifier).
 * 0, or 1 when `out` was filled with the error. */
int rs_lambda_parse_name(rs_lambda_req_t *rq, const char *raw, rs_lambda_resp_t *out);

/* Fill an error response. */
int rs_lambda_reply_error(rs_lambda_resp_t *out, rs_lambda_err_t e, const char *msg,
                          const char *reason);
/* The same with a printf-style message (no reason; up to 2 KiB). */
int rs_lambda_reply_errorf(rs_lambda_resp_t *out, rs_lambda_err_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fill a JSON response (takes `body`). */
int rs_lambda_reply_json(rs_lambda_resp_t *out, int status, json_object *body);
/* "Function not found: arn:aws:lambda:<region>:<account>:function:<name>[suffix]" */
int rs_lambda_reply_not_found(rs_lambda_resp_t *out, const rs_lambda_req_t *rq, const char *suffix);
/* A header of the request ("" when absent). */
const char *rs_lambda_req_header(const rs_lambda_req_t *rq, const char *name);

/* Fill an error response and give 1 ("replied"), for the validation helpers. */
int rs_lambda_fail(rs_lambda_resp_t *out, rs_lambda_err_t e, const char *msg);
#define RS_LAMBDA_FAILF(out, e, ...) ((void)rs_lambda_reply_errorf(out, e, __VA_ARGS__), 1)
/* the same giving 0: operations answer 0 after filling the error response */
#define RS_LAMBDA_ERR0(out, e, ...) ((void)rs_lambda_reply_errorf(out, e, __VA_ARGS__), 0)

/* ---- lambda_validate.c: request validation ----------------------------------------- */

/* The body as a JSON object, or NULL with the error filled. */
json_object *rs_lambda_body_object(const rs_lambda_req_t *rq, rs_lambda_resp_t *out);
/* Member k of o, NULL when absent or JSON null. */
json_object *rs_lambda_member(json_object *o, const char *k);
/* The checks below: 0 when fine (or absent), 1 when `out` holds the error. */
int rs_lambda_typed(json_object *o, const char *k, json_type t, rs_lambda_resp_t *out);
/* the configuration members shared by CreateFunction and UpdateFunctionConfiguration */
int rs_lambda_check_config(json_object *b, rs_lambda_resp_t *out);
int rs_lambda_check_archs(json_object *a, rs_lambda_resp_t *out);
/* the Code member must carry ZipFile (the worker turned S3 code into ZipFile): *zip, or
 * name a hot-reload directory: *zip = NULL */
int rs_lambda_code_source(json_object *code, json_object **zip, rs_lambda_resp_t *out);
/* S3Key when the code's S3Bucket is "hot-reload", else NULL */
const char *rs_lambda_hot_key(json_object *code);
/* CreateFunction's whole body (names rq->name); *zip its ZipFile member */
int rs_lambda_check_create(rs_lambda_req_t *rq, json_object *b, json_object **zip,
                           rs_lambda_resp_t *out);

/* ---- lambda_api_code.c: code intake ------------------------------------------------ */

typedef struct rs_lambda_upload {
    char dir[1200]; /* the extracted code ("" when none; discard it unless recorded) */
    char sha[45];   /* CodeSha256 */
    uint64_t size;  /* CodeSize */
    int hot;        /* dir is a hot-reload directory: the user's, never discarded */
} rs_lambda_upload_t;

/* Take the code of `code` (Code member, or UpdateFunctionCode's body): zip (from
 * rs_lambda_code_source) extracted, or, when zip is NULL, the hot-reload directory checked
 * against lambda_hot_reload_roots and digested. 0 or 1 (replied) */
int rs_lambda_take_code(rs_lambda_req_t *rq, json_object *code, json_object *zip,
                        rs_lambda_upload_t *up, rs_lambda_resp_t *out);
/* Forget an upload that was not recorded (a hot-reload directory is left alone). */
void rs_lambda_upload_discard(rs_lambda_upload_t *up);

/* ZipFile (base64) -> a fresh extracted code directory in up; 0 or 1 (replied) */
int rs_lambda_take_zip(rs_lambda_req_t *rq, json_object *zipfile, rs_lambda_upload_t *up,
                       rs_lambda_resp_t *out);

/* ---- lambda_config.c: the stored configuration and its views ----------------------- */

/* A new function's stored configuration from CreateFunction's (validated) body. */
json_object *rs_lambda_cfg_new(const rs_lambda_req_t *rq, json_object *b,
                               const rs_lambda_upload_t *up);
/* Copy the configuration members of a request body into the stored configuration (new
 * LastModified and RevisionId). */
void rs_lambda_cfg_apply(json_object *cfg, json_object *b, const char *name);
/* "2024-01-01T00:00:00.000+0000" now */
void rs_lambda_last_modified(char out[40]);
/* {k1: v1[, k2: v2]} (k2 NULL: one member) */
json_object *rs_lambda_obj2(const char *k1, json_object *v1, const char *k2, json_object *v2);

/* FunctionConfiguration for a response from the stored one. `view`: what the operation
 * shows: */
enum { RS_LCFG_CREATE, RS_LCFG_GET, RS_LCFG_UPDATE, RS_LCFG_LIST };
json_object *rs_lambda_cfg_view(json_object *stored, int view, const char *qualifier);

/* The operations (lambda_api_fn.c, lambda_api_invoke.c). */
int rs_lambda_op_create(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_list(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_get(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_get_config(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_delete(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_update_code(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_update_config(rs_lambda_req_t *rq, rs_lambda_resp_t *out);
int rs_lambda_op_invoke(rs_lambda_req_t *rq, rs_lambda_resp_t *out);

/* GetFunction's Code.Location: GET RS_LAMBDA_CODE_PATH<account>/<region>/<name>.zip answers
 * the current zip (application/zip). The worker forwards this path to the supervisor like
 * a Lambda REST request; `rest` is what follows RS_LAMBDA_CODE_PATH. */
#define RS_LAMBDA_CODE_PATH "/_ruststack/lambda/code/"
#define RS_IPC_MAX_BODY_LAMBDA (32u * 1024 * 1024 - 4096)
int rs_lambda_op_code_download(rs_lambda_req_t *rq, const char *rest, rs_lambda_resp_t *out);

#endif
