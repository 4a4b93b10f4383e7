/*
 * lambda_hot.h: private to src/lambda: hot reload (lambda_hot.c): a function whose code is
 * a local directory used in place (Code={"S3Bucket": "hot-reload", "S3Key": "/abs/dir"}),
 * checked against lambda_hot_reload_roots, digested for CodeSha256/CodeSize, and watched
 * with inotify (recursively, by one thread) so the pool can restart the runtime process of
 * a warm environment when a file changed.
 * Runs in: the lambda supervisor (request threads, pool threads, the watcher thread).
 */
#ifndef RS_LAMBDA_HOT_H
#define RS_LAMBDA_HOT_H

#include <stddef.h>
#include <stdint.h>

/* The S3Bucket value that names a local directory instead of an S3 object. */
#define RS_LAMBDA_HOT_BUCKET "hot-reload"

/* Resolve `path` (S3Key) against `roots` (lambda_hot_reload_roots: comma-separated absolute
 * directories): it must be absolute, an existing directory, and its realpath must be one of
 * the roots' realpaths or below one. 0 with `real` filled, or RS_EINVAL with `why` holding
 * the message for InvalidParameterValueException. */
int rs_lambda_hot_resolve(const char *roots, const char *path, char *real, size_t reallen,
                          char *why, size_t whylen);

/* CodeSha256 and CodeSize of a directory: SHA-256 (base64) over every regular file in
 * byte order of their relative paths (each as "<path>\0<size as 20 decimal digits>\0"
 * followed by the content); symlinks are not followed, __pycache__ dirs and *.pyc skipped;
 * size = the sum of the file sizes. 0 or RS_ERR (errno set). */
int rs_lambda_hot_digest(const char *dir, char sha[45], uint64_t *size);

/* Watch `dir` (recursively; counted: each watch is matched by one unwatch). Starts the
 * watcher thread on first use. 0, RS_ENOMEM or RS_ERR (inotify unavailable: logged; the
 * function still works, changes are then not noticed). */
int rs_lambda_hot_watch(const char *dir);
void rs_lambda_hot_unwatch(const char *dir);

/* The change generation of a watched dir: bumped by every change below it (0 when the dir
 * is not watched). */
uint64_t rs_lambda_hot_gen(const char *dir);

#endif
