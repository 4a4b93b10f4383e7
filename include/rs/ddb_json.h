/*
 * ddb_json.h: a read-only cursor over a JSON text that is already known to be well formed
 * (the model validator has walked it): values are slices of the request body, members
 * are found by scanning, strings are decoded into the caller's buffer. Nothing is
 * allocated. Used by the operation-level rules (rs/ddb_oprules.h) and the expression
 * checker.
 * Runs in: workers (pure).
 */
#ifndef RS_DDB_JSON_H
#define RS_DDB_JSON_H

#include <stddef.h>

typedef enum rs_jv_type {
    RS_JV_NONE = 0, /* absent (or JSON null) */
    RS_JV_OBJECT,
    RS_JV_ARRAY,
    RS_JV_STRING,
    RS_JV_NUMBER,
    RS_JV_BOOL,
} rs_jv_type_t;

/* one JSON value: p points at its first byte, n is its length (0: absent) */
typedef struct rs_jv {
    const char *p;
    size_t n;
} rs_jv_t;

typedef struct rs_jv_iter {
    const char *p, *end;
    int first;
} rs_jv_iter_t;

/* the value starting at p (leading white space skipped); absent when it is null. A text
 * that starts with { or [ and ends (white space aside) with the matching bracket is taken
 * as that one value, unscanned: pass whole JSON texts. */
rs_jv_t rs_jv_parse(const char *p, size_t n);
rs_jv_type_t rs_jv_type(rs_jv_t v);
/* member key of an object (absent when v is not an object or has no such member; null
 * counts as absent) */
rs_jv_t rs_jv_get(rs_jv_t v, const char *key);
/* the members of an object or the elements of an array, in order */
void rs_jv_iter(rs_jv_t v, rs_jv_iter_t *it);
/* 1 and the next member (key: the key string as a value; NULL for arrays), or 0 (key and
 * val are then absent) */
int rs_jv_next(rs_jv_iter_t *it, rs_jv_t *key, rs_jv_t *val);
/* number of members / elements */
size_t rs_jv_count(rs_jv_t v);
/* a string decoded into buf (NUL-terminated, truncated to cap-1); its full length in
 * bytes. Not a string: 0 and "". */
size_t rs_jv_str(rs_jv_t v, char *buf, size_t cap);
/* the string equals lit (after decoding) */
int rs_jv_streq(rs_jv_t v, const char *lit);
/* two strings are equal after decoding */
int rs_jv_str_same(rs_jv_t a, rs_jv_t b);
/* true for the literal true */
int rs_jv_true(rs_jv_t v);

#endif
