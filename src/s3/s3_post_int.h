/*
 * s3_post_int.h: private declarations of S3 POST object (s3_post.c, s3_post_form.c,
 * s3_post_policy.c): the form's fields as read before the file, and the policy check.
 * Runs in: workers.
 */
#ifndef RS_S3_POST_INT_H
#define RS_S3_POST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "s3/s3_int.h"

typedef struct rs_s3_form_field {
    const char *name;  /* as sent */
    const char *lname; /* lower-case */
    const char *value; /* NUL-terminated (pool) */
    size_t value_len;
} rs_s3_form_field_t;

typedef struct rs_s3_form {
    rs_s3_form_field_t *f; /* the fields before `file`, in order */
    size_t n, cap;
    size_t pre_bytes; /* bytes of those fields (names and values) */
    int has_file;
    const char *filename; /* the file part's filename ("" when none) */
    struct iovec *iov;    /* the file's bytes */
    size_t iovcnt, iovcap;
    uint64_t size;
} rs_s3_form_t;

/* the first field named `lname` (lower-case), or NULL */
const rs_s3_form_field_t *rs_s3_form_get(const rs_s3_form_t *form, const char *lname);

/* Read the multipart/form-data body into `form` (fields up to `file`, the file's bytes as
 * spans of the request body; what follows the file is ignored, as AWS does). Renders
 * PreconditionFailed (not form-data), MalformedPOSTRequest,
 * MaxPostPreDataLengthExceededError and returns -1. */
int rs_s3_form_read(rs_s3_call_t *c, rs_s3_form_t *form);

/* Decode the base64 JSON policy and enforce it on the form: expiration, every condition
 * (eq, starts-with, content-length-range, the bucket), every field named by a condition.
 * Renders InvalidPolicyDocument, AccessDenied "Invalid according to Policy: ...",
 * EntityTooSmall / EntityTooLarge and returns -1. */
int rs_s3_post_policy_check(rs_s3_call_t *c, const rs_s3_form_t *form, const char *policy,
                            size_t policy_len);

#endif
