/*
 * fuzz_sigv4.c: fuzz target for request authentication parsing (src/auth/sigv4.c,
 * sigv2.c): rs_auth_parse on a request built from the input (Authorization, X-Amz-Date,
 * Date, x-amz-content-sha256 headers, the raw query with presign parameters, the path),
 * then rs_auth_verify on whatever parsed (canonical request over fuzzed signed headers).
 * Fields are separated by "\n--\n". Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rs/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_t z;
    fz_split(&z, data, size, 7);
    /* auth, x-amz-date, date, content-sha256, query, path, body */
    rs_pool_t pool;
    rs_pool_init(&pool);
    static const char *names[4] = {"authorization", "x-amz-date", "date", "x-amz-content-sha256"};
    rs_hdr_t hdrs[5];
    size_t nh = 0;
    for (size_t i = 0; i < 4; i++) {
        if (z.len[i] == 0)
            continue;
        hdrs[nh].name = names[i];
        hdrs[nh].name_len = strlen(names[i]);
        hdrs[nh].value = z.f[i];
        hdrs[nh].value_len = z.len[i];
        nh++;
    }
    hdrs[nh].name = "host";
    hdrs[nh].name_len = 4;
    hdrs[nh].value = "localhost:4566";
    hdrs[nh].value_len = 14;
    nh++;
    rs_http_req_t req;
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    req.method = "GET";
    req.path = z.len[5] ? z.f[5] : "/";
    req.path_len = z.len[5] ? z.len[5] : 1;
    req.query = z.len[4] ? z.f[4] : NULL;
    req.query_len = z.len[4];
    req.host = "localhost:4566";
    req.host_len = 14;
    req.headers = hdrs;
    req.num_headers = nh;
    req.body = (const uint8_t *)z.f[6];
    req.body_len = z.len[6];
    rs_auth_t a;
    memset(&a, 0, sizeof(a));
    rs_auth_err_t e = rs_auth_parse(&req, 1767225600, &a);
    if (e > RS_AUTHE_EXPIRED)
        abort();
    if (e == RS_AUTHE_OK && a.kind != RS_AUTH_NONE) {
        if (strnlen(a.access_key, sizeof(a.access_key)) == sizeof(a.access_key) ||
            strnlen(a.region, sizeof(a.region)) == sizeof(a.region))
            abort();
        const char *sts = NULL, *creq = NULL;
        (void)rs_auth_verify(&req, &a, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &sts, &creq);
    }
    rs_pool_clear(&pool);
    fz_free(&z);
    return 0;
}
