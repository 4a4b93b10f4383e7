/*
 * gw_v2.h: private to the apigatewayv2 control plane (gw_v2*.c): one parsed request, the
 * operations by concern, and the helpers they share (member checks in the wire form,
 * paging, not-found answers).
 * Runs in: the lambda supervisor (handler threads).
 *   gw_v2.c          dispatch, shared helpers, APIs (quick create), tags
 *   gw_v2_routes.c   routes and integrations
 *   gw_v2_stages.c   stages and deployments
 *   gw_v2_domains.c  domain names and API mappings
 */
#ifndef RS_LAMBDA_GW_V2_H
#define RS_LAMBDA_GW_V2_H

#include <json-c/json.h>

#include "lambda/gw_api.h"

#define RS_V2_SEGS 6

/* One request: what the operation reads, and what it answers (set under the store lock;
 * replied after it). */
typedef struct rs_v2_req {
    const rs_gw_call_t *c;
    rs_lambda_resp_t *out;
    json_object *body;                   /* the request body as an object ({} when empty) */
    char seg[RS_V2_SEGS][RS_GW_SEG_LEN]; /* the path segments after /v2/, percent-decoded */
    int nseg;
    char max_results[32];  /* query maxResults ("" when absent) */
    char next_token[64];   /* query nextToken */
    json_object *tag_keys; /* query tagKeys (array of strings) */
    /* the answer of a successful operation: status and body (NULL: no body; shares nothing
     * with the document: it is written after the lock is released) */
    int status;
    json_object *result;
} rs_v2_req_t;

/* An operation runs under the store's lock (edit for changes, read otherwise): 0 with
 * q->status / q->result set (and *changed for a change), or RS_V2_REPLIED after filling
 * the error response (the document is then restored). */
#define RS_V2_REPLIED 1
typedef int (*rs_v2_op_fn)(json_object *doc, void *q, int *changed);

/* ---- helpers (gw_v2.c) ----------------------------------------------------------- */

/* Fill an error and give RS_V2_REPLIED. */
int rs_v2_fail(rs_v2_req_t *q, rs_apigw_err_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A member spec: name in the wire form and type: 's' string, 'b' boolean, 'i' integer,
 * 'm' map of strings, 'l' list of strings, 'o' object. */
typedef struct rs_v2_member {
    const char *name;
    char type;
} rs_v2_member_t;

/* Check the body's members of `spec` (n entries; JSON null counts as absent) and copy the
 * present ones into dst. 0, or RS_V2_REPLIED (BadRequestException). */
int rs_v2_copy(rs_v2_req_t *q, json_object *dst, const rs_v2_member_t *spec, size_t n);
/* Member k of o as a string (NULL when absent or not a string). */
const char *rs_v2_str(json_object *o, const char *k);
/* 0 when the body has member k, else RS_V2_REPLIED (BadRequestException). */
int rs_v2_require(rs_v2_req_t *q, const char *k);

/* The caller's HTTP API entry of id (NULL: answered NotFoundException). */
json_object *rs_v2_api(rs_v2_req_t *q, json_object *doc, const char *id);
/* The sub-collection `name` of an API entry (created when missing). */
json_object *rs_v2_sub(json_object *entry, const char *name);

/* A page of `all` (an array, taken) by maxResults / nextToken into q->result as
 * {"items": [...], "nextToken"?}. 0 or RS_V2_REPLIED. */
int rs_v2_page(rs_v2_req_t *q, json_object *all);
/* The values of an object as a new array (each a new reference). */
json_object *rs_v2_values(json_object *o);
/* Answer a deep copy of record with status. Returns 0. */
int rs_v2_answer(rs_v2_req_t *q, int status, json_object *record);
/* A deep copy (NULL on ENOMEM). */
json_object *rs_v2_copy_of(json_object *o);

/* ---- operations ------------------------------------------------------------------ */
int rs_v2_create_route(json_object *doc, void *arg, int *changed);
int rs_v2_get_route(json_object *doc, void *arg, int *changed);
int rs_v2_get_routes(json_object *doc, void *arg, int *changed);
int rs_v2_update_route(json_object *doc, void *arg, int *changed);
int rs_v2_delete_route(json_object *doc, void *arg, int *changed);
int rs_v2_create_integration(json_object *doc, void *arg, int *changed);
int rs_v2_get_integration(json_object *doc, void *arg, int *changed);
int rs_v2_get_integrations(json_object *doc, void *arg, int *changed);
int rs_v2_update_integration(json_object *doc, void *arg, int *changed);
int rs_v2_delete_integration(json_object *doc, void *arg, int *changed);
/* 1 when uri names a Lambda function (its ARN, or the apigateway invocation URI) */
int rs_v2_lambda_uri(const char *uri);
/* route key "$default" | "<METHOD> /path": 0 valid, else -1 */
int rs_v2_route_key_ok(const char *key);
/* New records as quick create makes them (gw_v2_routes.c). */
json_object *rs_v2_new_integration(const char *id, const char *type);
json_object *rs_v2_new_route(const char *id, const char *key);

int rs_v2_create_stage(json_object *doc, void *arg, int *changed);
int rs_v2_get_stage(json_object *doc, void *arg, int *changed);
int rs_v2_get_stages(json_object *doc, void *arg, int *changed);
int rs_v2_update_stage(json_object *doc, void *arg, int *changed);
int rs_v2_delete_stage(json_object *doc, void *arg, int *changed);
int rs_v2_create_deployment(json_object *doc, void *arg, int *changed);
int rs_v2_get_deployment(json_object *doc, void *arg, int *changed);
int rs_v2_get_deployments(json_object *doc, void *arg, int *changed);
int rs_v2_update_deployment(json_object *doc, void *arg, int *changed);
int rs_v2_delete_deployment(json_object *doc, void *arg, int *changed);
/* A new stage record (gw_v2_stages.c). */
json_object *rs_v2_new_stage(const char *name);

int rs_v2_create_domain(json_object *doc, void *arg, int *changed);
int rs_v2_get_domain(json_object *doc, void *arg, int *changed);
int rs_v2_get_domains(json_object *doc, void *arg, int *changed);
int rs_v2_update_domain(json_object *doc, void *arg, int *changed);
int rs_v2_delete_domain(json_object *doc, void *arg, int *changed);
int rs_v2_create_mapping(json_object *doc, void *arg, int *changed);
int rs_v2_get_mapping(json_object *doc, void *arg, int *changed);
int rs_v2_get_mappings(json_object *doc, void *arg, int *changed);
int rs_v2_update_mapping(json_object *doc, void *arg, int *changed);
int rs_v2_delete_mapping(json_object *doc, void *arg, int *changed);
/* The caller's domain entry by name (any case; NULL: answered NotFoundException). */
json_object *rs_v2_domain(rs_v2_req_t *q, json_object *doc, const char *name);
/* The v2 view of a domain entry (its "v2", else made from the v1 "domain"; new ref). */
json_object *rs_v2_domain_view(json_object *entry, const char *name);

#endif
