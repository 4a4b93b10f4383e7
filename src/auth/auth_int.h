/*
 * auth_int.h: helpers shared by sigv4.c and sigv2.c (private to src/auth).
 * Runs in: workers.
 */
#ifndef RS_AUTH_INT_H
#define RS_AUTH_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "rs/http.h"
#include "rs/sigv4.h"

/* all values of header `lname`, each trimmed with inner blanks collapsed, joined by ','.
 * Returns the number of headers found. */
size_t rs_auth_header_values(const rs_http_req_t *req, const char *lname, size_t nlen,
                             rs_buf_t *out);

/* the calling thread's SHA-256 context, initialised (NULL when OpenSSL failed); feed it
 * with EVP_DigestUpdate, then rs_auth_sha_end (0 or -1). One hash at a time per thread. */
EVP_MD_CTX *rs_auth_sha_begin(void);
int rs_auth_sha_end(EVP_MD_CTX *ctx, uint8_t out[32]);

/* constant-time equality of two NUL-terminated strings */
int rs_auth_streq(const char *a, const char *b);

int rs_auth_verify_v2(const rs_http_req_t *req, const rs_auth_t *a, const char *secret,
                      const char **string_to_sign);

/* SigV2 parsing of the Authorization header / query (sigv2.c) */
rs_auth_err_t rs_auth_parse_v2_header(const rs_http_req_t *req, const char *v, size_t n,
                                      rs_auth_t *out);
rs_auth_err_t rs_auth_parse_v2_query(const rs_http_req_t *req, const rs_qparam_t *params, size_t np,
                                     int64_t now, rs_auth_t *out);

#endif
