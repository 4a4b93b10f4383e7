/*
 * ddb_expr.h: DynamoDB's expression languages checked as AWS checks them before it looks
 * the table up: one tokenizer and one recursive-descent parser for the condition grammar
 * (ConditionExpression, FilterExpression, KeyConditionExpression), the update grammar
 * (UpdateExpression) and projections (ProjectionExpression). It reports AWS's texts:
 * syntax errors with their token and window, redundant parentheses, reserved words,
 * unknown functions, undefined #names and :values, function misuse and arity, operands
 * that must be distinct, overlapping document paths, the KeyConditionExpression subset.
 * The placeholders an expression uses are marked in the caller's rs_ddbx_refs_t, so the
 * request's unused ExpressionAttributeNames / Values can be reported afterwards.
 * Runs in: workers (pure: fixed per-thread buffers, no allocation).
 */
#ifndef RS_DDB_EXPR_H
#define RS_DDB_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "rs/ddb_json.h"

typedef enum rs_ddbx_kind {
    RS_DDBX_CONDITION = 0,
    RS_DDBX_FILTER,
    RS_DDBX_KEY,
    RS_DDBX_PROJECTION,
    RS_DDBX_UPDATE,
} rs_ddbx_kind_t;

#define RS_DDBX_MAX_REFS 1024 /* placeholders tracked per map (more: never "unused") */

typedef struct rs_ddbx_refs {
    rs_jv_t names;  /* the request's ExpressionAttributeNames (absent: none) */
    rs_jv_t values; /* ExpressionAttributeValues */
    uint8_t used_names[RS_DDBX_MAX_REFS / 8];
    uint8_t used_values[RS_DDBX_MAX_REFS / 8];
} rs_ddbx_refs_t;

/* expr (len bytes, decoded) of kind: 0 when AWS accepts it, else 1 and AWS's message
 * ("Invalid UpdateExpression: Syntax error; token: ...", or the unprefixed
 * KeyConditionExpression texts) in msg. Marks used placeholders in refs. */
int rs_ddbx_check(rs_ddbx_kind_t kind, const char *expr, size_t len, rs_ddbx_refs_t *refs,
                  char *msg, size_t cap);

/* the clauses of an UpdateExpression */
#define RS_DDBX_SET 1u
#define RS_DDBX_REMOVE 2u
#define RS_DDBX_ADD 4u
#define RS_DDBX_DELETE 8u
#define RS_DDBX_SEP '\x1f' /* between the elements of a reported path */

/* one clause keyword (path NULL) or one action of an UpdateExpression: the clause and the
 * path the action writes, its depth elements joined by RS_DDBX_SEP, #names resolved
 * through refs->names (an undefined one stays "#x"), list indexes as "[n]" */
typedef void (*rs_ddbx_action_fn)(void *arg, unsigned clause, const char *path, int depth);

/* The clauses and actions of an UpdateExpression, in order, through fn (the same parser
 * as rs_ddbx_check). 0 when it parses; 1 at a syntax error (what came before it has been
 * reported). */
int rs_ddbx_update_actions(const char *expr, size_t len, rs_ddbx_refs_t *refs, rs_ddbx_action_fn fn,
                           void *arg);

/* a bare name is one of DynamoDB's reserved words (case-insensitive) */
int rs_ddbx_reserved(const char *s, size_t n);

/* a placeholder key: '#' (names) or ':' (values) then one or more [A-Za-z0-9_] */
int rs_ddbx_placeholder_ok(char sigil, const char *s, size_t n);

#endif
