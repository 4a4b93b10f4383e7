/*
 * ddb_avcheck.h: the attribute-value checks of ddb_avcheck.c for the other rule files of
 * src/proto (on values of the JSON cursor).
 * Runs in: workers (pure).
 */
#ifndef RS_PROTO_DDB_AVCHECK_H
#define RS_PROTO_DDB_AVCHECK_H

#include <stddef.h>

#include "rs/ddb_json.h"

/* one AttributeValue; 1 and the message when AWS rejects it */
int rs_ddb_av_check_jv(rs_jv_t v, int depth, char *msg, size_t cap);
/* every value of an item (a map of AttributeValues) */
int rs_ddb_item_check(rs_jv_t item, char *msg, size_t cap);
/* a key: its values, and no empty string */
int rs_ddb_key_check(rs_jv_t key, char *msg, size_t cap);
/* two DynamoDB numbers compared by value (*cmp -1, 0, 1); -1 when one is no number */
int rs_ddb_num_cmp(const char *a, size_t an, const char *b, size_t bn, int *cmp);
/* CreateTable's rules (ddb_ctable.c) */
int rs_ddb_create_table_rules(rs_jv_t req, char *msg, size_t cap);

#endif
