/*
 * fuzz_xml.c: fuzz target for the S3 XML request bodies (src/s3/xml.c):
 * CreateBucketConfiguration, Delete (DeleteObjects) and CompleteMultipartUpload. Any input must
 * give 0 or RS_EINVAL, never a crash, leak or hang. Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "rs/err.h"
#include "rs/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *body = fz_dup(data, size);
    rs_pool_t pool;
    rs_pool_init(&pool);
    char *loc = NULL;
    int rc = rs_xml_parse_create_bucket(&pool, body, size, &loc);
    if (rc != 0 && rc != RS_EINVAL)
        abort();
    rs_xml_delobj_t *objs = NULL;
    size_t n = 0;
    int quiet = 0;
    rc = rs_xml_parse_delete(&pool, body, size, 1000, &objs, &n, &quiet);
    if (rc != 0 && rc != RS_EINVAL)
        abort();
    if (rc == 0) {
        if (n > 1000)
            abort();
        for (size_t i = 0; i < n; i++)
            if (objs[i].key == NULL)
                abort();
    }
    rs_xml_part_t *parts = NULL;
    rc = rs_xml_parse_complete(&pool, body, size, 10000, &parts, &n);
    if (rc != 0 && rc != RS_EINVAL)
        abort();
    if (rc == 0) {
        if (n > 10000)
            abort();
        for (size_t i = 0; i < n; i++)
            if (parts[i].etag == NULL || (parts[i].cksum_name != NULL && parts[i].cksum == NULL))
                abort();
    }
    rs_pool_clear(&pool);
    free(body);
    return 0;
}
