/*
 * fuzz_awschunked.c: fuzz target for the aws-chunked body decoder
 * (src/s3/awschunked.c). A decoded body must consist of segments inside the input whose
 * lengths add up to decoded_len. Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "rs/awschunked.h"
#include "rs/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *in = fz_dup(data, size);
    rs_pool_t pool;
    rs_pool_init(&pool);
    rs_chunked_result_t res;
    int rc = rs_awschunked_decode(&pool, in, size, &res);
    if (rc != 0 && rc != RS_EINVAL)
        abort();
    if (rc == 0) {
        size_t total = 0;
        for (size_t i = 0; i < res.nseg; i++) {
            const uint8_t *b = res.segs[i].iov_base;
            size_t n = res.segs[i].iov_len;
            if (n && (b < in || b + n > in + size))
                abort();
            total += n;
        }
        if (total != res.decoded_len)
            abort();
        for (size_t i = 0; i < res.ntrailers; i++)
            if (res.trailers[i].name == NULL || res.trailers[i].value == NULL)
                abort();
    }
    rs_pool_clear(&pool);
    free(in);
    return 0;
}
