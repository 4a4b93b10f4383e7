/*
 * err.h: the project-wide internal result codes.
 * Runs in: every process. Functions return 0 on success or a negative rs_err_t;
 * protocol layers (s3_error.c, later ddb/lambda) map them to AWS errors.
 */
#ifndef RS_ERR_H
#define RS_ERR_H

typedef enum rs_err {
    RS_OK = 0,
    RS_ERR = -1,         /* generic internal failure */
    RS_ENOMEM = -2,      /* process heap exhausted */
    RS_ENOENT = -3,      /* no such bucket / key / thing */
    RS_EEXIST = -4,      /* already exists */
    RS_ENOTEMPTY = -5,   /* bucket not empty */
    RS_ENOSPC = -6,      /* shared store capacity exhausted (blob arena) */
    RS_ENOENTRIES = -7,  /* shared store capacity exhausted (object index entries) */
    RS_ENOBUCKETS = -8,  /* shared store capacity exhausted (bucket table) */
    RS_EPRECOND = -9,    /* conditional write precondition failed */
    RS_EINVAL = -10,     /* invalid argument */
    RS_EPOISON = -11,    /* shared structure failed its invariant check after a crash */
    RS_ETOOBIG = -12,    /* object larger than the configured maximum */
    RS_EOWNER = -13,     /* exists, owned by another account */
    RS_EAGAIN = -14,     /* transient, retry */
    RS_EIO = -15,        /* a peer (engine, runtime) answered with a failure */
    RS_ENOUPLOAD = -16,  /* no such multipart upload (or completed, aborted) */
    RS_ENOUPLOADS = -17, /* shared store capacity exhausted (upload table) */
    RS_EBADPART = -18,   /* a listed part is missing or its ETag differs */
    RS_EPARTORDER = -19, /* parts not listed in ascending order */
    RS_ETOOSMALL = -20,  /* a part but the last is under the minimum size */
    RS_EQUOTA = -21,     /* a per-account quota (objects, bytes, tables, functions) is reached */
} rs_err_t;

const char *rs_err_str(int err);

#include <stddef.h>
/* Format a one-line reason into err (errlen bytes; nothing when err is NULL or errlen 0):
 * the one way every module fills a caller's "why" buffer. Line breaks become spaces. */
void rs_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The one assertion for broken invariants (programming errors, never bad input): always
 * compiled in; prints what failed and where on stderr, then aborts. */
#define RS_ASSERT(cond, what)                                                                      \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0))                                                          \
            rs_assert_fail(__FILE__, __LINE__, #cond, (what));                                     \
    } while (0)
void rs_assert_fail(const char *file, int line, const char *cond, const char *what)
    __attribute__((noreturn));

#endif
