/*
 * lambda_code.h: private to src/lambda: the code store: base64 ZipFile decoding, the
 * upload size limits, SHA-256 (base64, as CodeSha256), and the safe extraction of a zip
 * into a fresh directory (lambda_code.c).
 * Runs in: the lambda supervisor.
 */
#ifndef RS_LAMBDA_CODE_H
#define RS_LAMBDA_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "rs/lambda_routes.h" /* RS_LAMBDA_ZIP_MAX, RS_LAMBDA_UNZIPPED_MAX */

#define RS_LAMBDA_MSG_BADZIP                                                                       \
    "Could not unzip uploaded file. Please check your file, then try to upload again."

/* Decode standard base64 (padding optional, whitespace not allowed) into a malloc'd buffer.
 * 0, RS_EINVAL (not base64) or RS_ENOMEM. */
int rs_lambda_b64_decode(const char *in, size_t len, uint8_t **out, size_t *outlen);

/* CodeSha256: base64 of the SHA-256 of the bytes; out holds 45 bytes. */
void rs_lambda_sha256_b64(const void *p, size_t n, char out[45]);

/* A random UUID (version 4, lower case); out holds 37 bytes. */
void rs_lambda_uuid(char out[37]);

/* Extract the zip `zip` into `dir`, which must not exist yet (it is created 0755).
 * Entries with an absolute path, a ".." component, a path through a symlink, a symlink
 * pointing outside `dir`, or a hard link make the whole archive invalid; device files,
 * FIFOs and sockets are skipped. Regular files keep their exec bits (mode 0755 or 0644),
 * directories are 0755. Returns 0 (unzipped_out = bytes written), RS_EINVAL (not a zip or
 * an unsafe entry: the "Could not unzip" error), RS_ETOOBIG (more than max_unzipped bytes)
 * or RS_ERR (I/O; errno set). On any failure `dir` is removed again. */
int rs_lambda_code_extract(const void *zip, size_t len, const char *dir, uint64_t max_unzipped,
                           uint64_t *unzipped_out);

#endif
