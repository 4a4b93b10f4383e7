/*
 * fuzz_query.c: fuzz target for query strings and percent decoding (src/core/query.c):
 * rs_query_parse and rs_pct_decode over the raw input; every parameter must come back
 * NUL-terminated with its stated length. Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rs/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = (char *)fz_dup(data, size);
    rs_pool_t pool;
    rs_pool_init(&pool);
    rs_qparam_t *params = NULL;
    size_t n = rs_query_parse(&pool, q, size, &params);
    if (n > size + 1)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (params[i].name == NULL || params[i].value == NULL)
            abort();
        if (params[i].value[params[i].value_len] != '\0')
            abort();
        (void)rs_query_get(params, n, params[i].name);
    }
    char *out = NULL;
    size_t olen = 0;
    int rc = rs_pct_decode(&pool, q, size, &out, &olen);
    if (rc == 0 && (olen > size || out[olen] != '\0'))
        abort();
    if (rc != 0 && rc != -1)
        abort();
    rs_pool_clear(&pool);
    free(q);
    return 0;
}
