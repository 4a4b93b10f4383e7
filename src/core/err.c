/*
 * err.c: human-readable names of the internal result codes (logs, tests).
 * Runs in: every process.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rs/err.h"

const char *rs_err_str(int err)
{
    switch (err) {
    case RS_OK:
        return "ok";
    case RS_ERR:
        return "internal error";
    case RS_ENOMEM:
        return "out of memory";
    case RS_ENOENT:
        return "not found";
    case RS_EEXIST:
        return "already exists";
    case RS_ENOTEMPTY:
        return "not empty";
    case RS_ENOSPC:
        return "store capacity exhausted";
    case RS_ENOENTRIES:
        return "store object entries exhausted";
    case RS_ENOBUCKETS:
        return "bucket table full";
    case RS_EPRECOND:
        return "precondition failed";
    case RS_EINVAL:
        return "invalid argument";
    case RS_EPOISON:
        return "shared structure poisoned";
    case RS_ETOOBIG:
        return "object too large";
    case RS_EOWNER:
        return "owned by another account";
    case RS_EAGAIN:
        return "try again";
    case RS_EIO:
        return "peer failure";
    case RS_ENOUPLOAD:
        return "no such upload";
    case RS_ENOUPLOADS:
        return "upload table full";
    case RS_EBADPART:
        return "invalid part";
    case RS_EPARTORDER:
        return "parts out of order";
    case RS_ETOOSMALL:
        return "part too small";
    case RS_EQUOTA:
        return "account quota reached";
    default:
        return "unknown error";
    }
}

void rs_assert_fail(const char *file, int line, const char *cond, const char *what)
{
    fprintf(stderr, "ruststack: %s:%d: %s (%s failed)\n", file, line, what, cond);
    abort();
}

void rs_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}
