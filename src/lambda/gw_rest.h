/*
 * gw_rest.h: private to the apigateway (v1) control plane (gw_rest*.c): one parsed request
 * (rs_gw_rest_op_t), how an operation runs against the store and answers, the request
 * helpers (path segments, query, body, patch operations, paging) and the operations of
 * each file.
 * Runs in: the lambda supervisor (its handler threads).
 *   gw_rest.c         dispatch; REST APIs (Create/Get/Update/Delete RestApi, GetRestApis)
 *   gw_rest_util.c    the request helpers and the run/answer step
 *   gw_rest_res.c     resources, methods, integrations, method/integration responses
 *   gw_rest_stage.c   deployments and stages
 *   gw_rest_domain.c  custom domain names and base path mappings
 *   gw_rest_tags.c    GetTags, TagResource, UntagResource
 *   gw_rest_update.c  UpdateResource, UpdateMethod, UpdateIntegration (patch operations)
 */
#ifndef RS_LAMBDA_GW_REST_H
#define RS_LAMBDA_GW_REST_H

#include <json-c/json.h>
#include <stddef.h>

#include "lambda/gw_api.h"

#define RS_GW_SEG_MAX 10

/* an operation's callback answered (an error reply is in op->out): the edit is undone */
#define RS_GW_REPLIED 1
/* an operation file has no route for the request (UnknownOperationException) */
#define RS_GW_NO_ROUTE 2

typedef struct rs_gw_rest_op {
    const rs_gw_call_t *c;
    rs_lambda_resp_t *out;
    char seg[RS_GW_SEG_MAX][RS_GW_SEG_LEN]; /* the path's segments, percent-decoded */
    size_t nseg;
    json_object *in;     /* the request body (an object; {} when empty) */
    json_object *result; /* the answer's body, built by the callback (owned) */
    int status;          /* the answer's status on success */
} rs_gw_rest_op_t;

/* ---- gw_rest_util.c -------------------------------------------------------------------- */

/* A JSON pointer segment decoded ("~1" -> "/", "~0" -> "~"), in place. Pure. */
void rs_gw_pointer_unescape(char *s);

/* Fill an error reply; gives RS_GW_REPLIED (or RS_ENOMEM). */
int rs_gw_rest_fail(rs_gw_rest_op_t *op, rs_apigw_err_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Run fn under the store (an edit when `edit`, else a read) and answer: fn's 0 answers
 * op->status with op->result (no body when NULL); RS_GW_REPLIED: fn answered. 0/RS_ENOMEM */
int rs_gw_rest_run(rs_gw_rest_op_t *op, rs_gw_edit_fn fn, int edit);

/* Members of the request body: a string (NULL when absent or not a string); whether the
 * member is present. */
const char *rs_gw_in_str(const rs_gw_rest_op_t *op, const char *name);
int rs_gw_in_has(const rs_gw_rest_op_t *op, const char *name);

/* Copy member `name` of src into dst (deep) when present with type t. */
void rs_gw_copy_member(json_object *dst, json_object *src, const char *name, json_type t);
/* A deep copy (NULL on ENOMEM). */
json_object *rs_gw_copy(json_object *o);
/* A member of o (NULL when absent); a string member ("" when absent or not a string). */
json_object *rs_gw_get(json_object *o, const char *name);
const char *rs_gw_get_str(json_object *o, const char *name);
/* The object member `name` of o, created empty when missing (edits only). */
json_object *rs_gw_obj(json_object *o, const char *name);
/* The object member `name` of o, or NULL (reads: never creates it). */
json_object *rs_gw_members(json_object *o, const char *name);

/* The REST API named by segment 1, owned by the caller; NULL after answering NotFound. */
json_object *rs_gw_rest_api_entry(rs_gw_rest_op_t *op, json_object *doc);

/* A page of `items` (an array, taken) as {"item": [...], "position": next} from the
 * query's position/limit. 0, or RS_GW_REPLIED for a bad position or limit. */
int rs_gw_rest_page(rs_gw_rest_op_t *op, json_object *items, json_object **result);

/* The request's patchOperations: 0 with *ops the array (may be NULL: none), or
 * RS_GW_REPLIED when malformed. Each element then has a string "op" and "path". */
int rs_gw_rest_patches(rs_gw_rest_op_t *op, json_object **ops);

/* Whether s is one of API Gateway's method names (GET ... ANY). */
int rs_gw_http_method_ok(const char *s);

/* ---- gw_rest_res.c: shared with gw_rest_update.c --------------------------------------- */

/* resource `id` of API entry e; NULL after answering NotFound */
json_object *rs_gw_rest_resource_of(rs_gw_rest_op_t *op, json_object *e, const char *id);
/* the method the request names (API seg 1, resource seg 3, method seg 5), its resource in
 * *res when not NULL; NULL after answering NotFound */
json_object *rs_gw_rest_method_req(rs_gw_rest_op_t *op, json_object *doc, json_object **res);
/* a resource as answered (methods in full when `embed`, else their names) */
json_object *rs_gw_rest_resource_view(json_object *r, int embed);
/* a pathPart: 0 a literal, 1 {param}, 2 {param+}, -1 invalid. Pure. */
int rs_gw_path_part_kind(const char *p);

/* A resource with path part pp under parent (parent_id) among the API's resources `res`:
 * the path part's form, no child of a greedy resource, no sibling (other than self_id,
 * NULL on create) with the same part or a second variable part. 0, or the error replied. */
int rs_gw_check_placement(rs_gw_rest_op_t *op, json_object *res, const char *self_id,
                          json_object *parent, const char *parent_id, const char *pp);
/* an integration's uri checked for its type (AWS's BadRequest texts): 0 or answered */
int rs_gw_rest_check_uri(rs_gw_rest_op_t *op, const char *type, const char *uri);

/* ---- the operations (each answers op->out: 0 or RS_ENOMEM; or RS_GW_NO_ROUTE) -------- */

int rs_gw_rest_apis(rs_gw_rest_op_t *op);   /* /restapis[/{id}] */
int rs_gw_rest_res(rs_gw_rest_op_t *op);    /* /restapis/{id}/resources... */
int rs_gw_rest_stage(rs_gw_rest_op_t *op);  /* /restapis/{id}/deployments|stages... */
int rs_gw_rest_domain(rs_gw_rest_op_t *op); /* /domainnames... */
int rs_gw_rest_tags(rs_gw_rest_op_t *op);   /* /tags/{arn} */
/* UpdateResource, UpdateMethod, UpdateIntegration (PATCH under /resources) */
int rs_gw_rest_update(rs_gw_rest_op_t *op);

#endif
