/*
 * ddb_oprules.h: the operation-level rules AWS checks before it looks a table up, run
 * after the model validator (rs/ddb_validate.h) on a body that passed it: CreateTable's
 * key schema, indexes, billing and streams; expression and legacy parameters (mixing,
 * ExpressionAttributeNames / Values without expressions, empty, bad keys, bad values,
 * undefined and unused placeholders); the expressions themselves (rs/ddb_expr.h); the
 * attribute values of items and keys (one type each, sets non-empty and without
 * duplicates, numbers, NULL true, key strings non-empty); Query's key parameters.
 * Runs in: workers (pure: no allocation).
 */
#ifndef RS_DDB_OPRULES_H
#define RS_DDB_OPRULES_H

#include <stddef.h>
#include <stdint.h>

#include "rs/ddb_errors.h"

/* 0 when the request passes; else 1, *err and AWS's message in msg */
int rs_ddb_oprules(const char *op, size_t op_len, const uint8_t *body, size_t len,
                   rs_ddb_err_t *err, char *msg, size_t cap);

/* one AttributeValue (JSON text): 0 when valid, else 1 and AWS's message */
int rs_ddb_av_check(const char *av, size_t len, char *msg, size_t cap);

#endif
