/*
 * ddb_int.h: private to src/ddb: the ddb supervisor's pieces: the response rewriter
 * (ddb_rewrite.c), the keep-alive HTTP client to DynamoDB Local (ddb_http.c), the Java
 * child (ddb_java.c) and the process main loop (ddb_supervisor.c).
 * Runs in: the ddb supervisor (the rewriter is pure and also runs in the unit tests).
 */
#ifndef RS_DDB_INT_H
#define RS_DDB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rs/conf.h"
#include "rs/ddb_errors.h"
#include "rs/ddb_expr.h"
#include "rs/status.h"

/* ---- ddb_rewrite.c ---------------------------------------------------------------- */

/* What the rewriter needs to know about the request a response answers. */
typedef struct rs_ddb_rw {
    const char *op;      /* operation name: "DeleteTable" (no "DynamoDB_20120810.") */
    const char *region;  /* the request's region */
    const char *account; /* the request's account (12 digits) */
    const char *req_body;
    size_t req_len;
} rs_ddb_rw_t;

/* Rewrite DynamoDB Local's response into what DynamoDB answers: ARNs carry the request's
 * region and account, error `__type` gets its namespace, `Message` becomes `message` for
 * DynamoDB's own exceptions, AWS texts for the missing-table and existing-table errors,
 * CreateTable reports CREATING, DeleteTable the reduced DELETING description. `*status`
 * may change. *out is malloc'd (NUL-terminated). Returns 0 or RS_ENOMEM. A body that is
 * not a JSON object is copied unchanged. */
int rs_ddb_rewrite(const rs_ddb_rw_t *rw, int *status, const char *body, size_t len, char **out,
                   size_t *outlen);
/* 1 when DynamoDB Local's answer goes to the client byte for byte (rs_ddb_rewrite would
 * copy it unchanged): a success of an operation whose answer holds user data. The
 * supervisor then sends the received body itself, without parsing or copying it. */
int rs_ddb_rewrite_passes(const char *op, int status);

/* Request checks DynamoDB makes and DynamoDB Local does not (an AttributeValue member of
 * the wrong JSON type). Returns 0 when the request may go on, 1 with the error answer in
 * *out and *status, or RS_ENOMEM. */
int rs_ddb_check_request(const char *op, const char *body, size_t len, int *status, char **out,
                         size_t *outlen);

/* Replace every "arn:aws:dynamodb:<r>:<a>:" in s (length n) by the request's region and
 * account; *out malloc'd. Returns the number of ARNs replaced or RS_ENOMEM. */
int rs_ddb_rewrite_arns(const char *s, size_t n, const char *region, const char *account,
                        char **out, size_t *outlen);

/* ddb_messages.c: DynamoDB's text for a ValidationException DynamoDB Local words
 * differently, when the request shows which one applies: the text in buf, or NULL. */
const char *rs_ddb_fix_message(const char *op, const char *code, const char *msg,
                               const char *req_body, size_t req_len, char *buf, size_t len);

/* ddb_messages.c: checks DynamoDB makes before it looks at the table (enum members, item
 * size, CreateTable billing) and DynamoDB Local makes late or not at all: 1 with the
 * ValidationException text in buf, else 0. */
int rs_ddb_precheck(const char *op, const char *body, size_t len, char *buf, size_t buflen);

/* ddb_messages.c: DynamoDB Local texts that DynamoDB words with a key's name
 * (PutItem's missing key / key type, Query's missing key condition): 1 when the table's
 * key schema is needed; then rs_ddb_schema_message builds the text from the request and
 * DynamoDB Local's DescribeTable answer (NULL when it cannot tell). */
int rs_ddb_needs_schema(const char *op, const char *msg);
const char *rs_ddb_schema_message(const char *op, const char *msg, const char *req_body,
                                  size_t req_len, const char *describe, size_t dlen, char *buf,
                                  size_t len);

/* The access key id the supervisor uses for an account towards DynamoDB Local: DynamoDB
 * Local keeps one database per access key id and region. */
void rs_ddb_access_key(const char *account, char *out, size_t outlen);

/* the string member `k` of a JSON object, or NULL (absent, not a string, o NULL) */
struct json_object;
const char *rs_ddb_json_str(struct json_object *o, const char *k);

/* ---- ddb_uexpr.c / ddb_fix.c / ddb_fix_io.c: the item fixes ------------------------ */

#define RS_DDB_UX_SET RS_DDBX_SET /* rs/ddb_expr.h's clause bits */
#define RS_DDB_UX_REMOVE RS_DDBX_REMOVE
#define RS_DDB_UX_ADD RS_DDBX_ADD
#define RS_DDB_UX_DELETE RS_DDBX_DELETE
/* the clauses of an UpdateExpression (RS_DDB_UX_* bits; 0 when none is found) */
unsigned rs_ddb_uexpr_clauses(const char *expr);
/* the paths the expression updates, names resolved, as a keep tree (a JSON object:
 * "n:<name>" / "i:<index>" children, "" marks a path kept whole); never NULL but on
 * memory exhaustion */
struct json_object *rs_ddb_uexpr_paths(const char *expr, struct json_object *names);
/* a new map of the AttributeValues of attrs pruned to the keep tree */
struct json_object *rs_ddb_uexpr_prune(struct json_object *attrs, struct json_object *tree);

#define RS_DDB_FIX_GUARD 1u       /* forwarded with an existence guard */
#define RS_DDB_FIX_CALLER_COND 2u /* ... ANDed with the caller's ConditionExpression */

typedef struct rs_ddb_fix {
    unsigned what;   /* RS_DDB_FIX_* */
    int op_delete;   /* DeleteItem */
    int capacity;    /* ReturnConsumedCapacity TOTAL or INDEXES */
    char table[256]; /* TableName (UpdateItem) */
    char *body;      /* the body to forward (malloc'd), or NULL: the caller's */
    size_t len;
    char *check_body; /* TransactWriteItems: the caller's condition on a missing item */
    size_t check_len;
    struct json_object *keep; /* UPDATED_NEW / UPDATED_OLD: the paths to answer, or NULL */
} rs_ddb_fix_t;

/* Plan the fixes of one request (nothing for other operations or unparsable bodies).
 * Returns 0 or RS_ENOMEM; rs_ddb_fix_free after either. */
int rs_ddb_fix_plan(const char *op, const char *body, size_t len, rs_ddb_fix_t *fx);
void rs_ddb_fix_free(rs_ddb_fix_t *fx);
/* 1 when the answer is a ConditionalCheckFailedException of a guarded request */
int rs_ddb_fix_guard_failed(const rs_ddb_fix_t *fx, int status, const char *body);
/* DynamoDB's answer to an update that changes nothing on a missing item (malloc'd) */
char *rs_ddb_fix_noop_body(const rs_ddb_fix_t *fx, size_t *len);
/* Apply the answer fixes (pruning, DeleteItem's capacity) to a successful answer in place
 * (*body malloc'd, replaced when changed). Returns 0 or RS_ENOMEM. */
int rs_ddb_fix_answer(const rs_ddb_fix_t *fx, int status, char **body, size_t *len);

/* ---- ddb_http.c ------------------------------------------------------------------- */

typedef struct rs_ddb_conn {
    int fd; /* -1: not connected */
    uint16_t port;
    unsigned requests; /* answered on this connection */
    int64_t rcv_ms;    /* its SO_RCVTIMEO (the socket is blocking once connected) */
} rs_ddb_conn_t;

typedef struct rs_ddb_req {
    const char *target; /* "DynamoDB_20120810.PutItem" */
    const char *region;
    const char *account;
    const char *content_type; /* may be NULL or "" */
    const void *body;
    size_t body_len;
} rs_ddb_req_t;

typedef struct rs_ddb_resp {
    int status;
    char *body; /* malloc'd, NUL-terminated */
    size_t body_len;
} rs_ddb_resp_t;

void rs_ddb_conn_init(rs_ddb_conn_t *c);
void rs_ddb_conn_close(rs_ddb_conn_t *c);
/* One request on the keep-alive connection to 127.0.0.1:port (connects or reconnects
 * as needed; a stale kept-alive connection is retried once on a fresh one when nothing
 * was received). Returns 0, RS_EAGAIN (timeout), or RS_ERR (connection failure). */
int rs_ddb_http_do(rs_ddb_conn_t *c, uint16_t port, const rs_ddb_req_t *req, int timeout_ms,
                   rs_ddb_resp_t *resp);
void rs_ddb_resp_free(rs_ddb_resp_t *r);
/* The Authorization and X-Amz-Date headers towards DynamoDB Local (exposed for tests):
 * SigV4's shape with the credential scope it reads (the account's access key id, the
 * day, the request's region) and a fixed signature of 64 zeros, which it does not verify. */
void rs_ddb_auth(const rs_ddb_req_t *req, int64_t now, char *auth, size_t authlen,
                 char amzdate[17]);

/* ---- ddb_java.c ------------------------------------------------------------------- */

typedef struct rs_ddb_java rs_ddb_java_t;

/* Check java and the jar; on a problem returns RS_ENOENT with the reason (what to
 * install) in why. */
int rs_ddb_java_check(const rs_conf_t *conf, char *why, size_t whylen);
rs_ddb_java_t *rs_ddb_java_new(const rs_conf_t *conf, rs_status_board_t *board);
/* Manage the child for one tick: spawn when due, wait for the first good answer,
 * health-check, notice its death and schedule a restart. Returns the port of a healthy
 * DynamoDB Local, or 0 while none is. */
uint16_t rs_ddb_java_tick(rs_ddb_java_t *j, int64_t now_ms);
/* Milliseconds until the next tick is needed. */
int rs_ddb_java_next_ms(const rs_ddb_java_t *j, int64_t now_ms);
/* Tell the manager a forwarded request could not reach the port (probe at once). */
void rs_ddb_java_suspect(rs_ddb_java_t *j);
/* Stop the child (TERM, then KILL) and free. */
void rs_ddb_java_free(rs_ddb_java_t *j);

/* ddb_fix_io.c: after a guarded request failed its condition, tell the guard from the
 * caller's condition (a ConditionCheck of the caller's condition on a missing item) and
 * put DynamoDB's answer in *resp. Returns 0 (resp possibly replaced) or RS_ENOMEM. */
int rs_ddb_fix_followup(const rs_ddb_fix_t *fx, rs_ddb_conn_t *hc, uint16_t port,
                        const rs_ddb_req_t *req, int timeout_ms, rs_ddb_resp_t *resp);

/* ---- ddb_reset.c: the account-scoped reset ------------------------------------------ */

/* (asked for with X-Amz-Target RS_IPC_DDB_RESET_TARGET, rs/ipc.h) */
/* Remember a region a request named (the regions the reset visits). */
void rs_ddb_regions_note(const char *region);
/* Delete every table of `account` in every region noted (and request_region). *body
 * (malloc'd JSON {"tables": [{"region", "name"}], "error": why when incomplete}). With
 * `in_memory` (no data_dir) the account moves to a new key generation at once and the old
 * tables are deleted by a background thread. Returns 0, RS_EAGAIN (incomplete: DynamoDB
 * Local failed; the body says why) or RS_ENOMEM. */
int rs_ddb_reset_account(rs_ddb_conn_t *hc, uint16_t port, const char *account,
                         const char *request_region, int in_memory, int timeout_ms, char **body,
                         size_t *len);
/* The number of tables of (key account, region) in DynamoDB Local: 0, or -1 with *why. */
int rs_ddb_count_tables(rs_ddb_conn_t *hc, uint16_t port, const char *key, const char *region,
                        int timeout_ms, size_t *n, const char **why);
/* The account name the key towards DynamoDB Local is made of (rs_ddb_access_key): the
 * account itself, or "<account>G<n>" after n resets (buf holds it). */
const char *rs_ddb_key_account(const char *account, char *buf, size_t len);

#endif
