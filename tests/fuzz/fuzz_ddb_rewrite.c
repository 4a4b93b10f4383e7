/*
 * fuzz_ddb_rewrite.c: fuzz target for the DynamoDB supervisor's JSON handling
 * (src/ddb/ddb_rewrite.c, ddb_messages.c): rs_ddb_check_request and rs_ddb_precheck on a
 * fuzzed request body, rs_ddb_rewrite on a fuzzed DynamoDB Local response,
 * rs_ddb_rewrite_arns, rs_ddb_fix_message and the schema messages. Fields separated by
 * "\n--\n": operation, request body, response body, error message, status digit.
 * Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"
#include "fuzz.h"
#include "rs/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_t z;
    fz_split(&z, data, size, 5);
    const char *op = z.f[0];
    int status = z.len[4] && (z.f[4][0] & 1) ? 400 : 200;
    char *out = NULL;
    size_t outlen = 0;
    int st = 0;
    int rc = rs_ddb_check_request(op, z.f[1], z.len[1], &st, &out, &outlen);
    if (rc < 0 || rc > 1)
        abort();
    if (rc == 1 && (out == NULL || out[outlen] != '\0'))
        abort();
    free(out);
    char buf[1024];
    rc = rs_ddb_precheck(op, z.f[1], z.len[1], buf, sizeof(buf));
    if (rc == 1 && strnlen(buf, sizeof(buf)) == sizeof(buf))
        abort();
    rs_ddb_rw_t rw = {.op = op,
                      .region = "eu-west-1",
                      .account = "123456789012",
                      .req_body = z.f[1],
                      .req_len = z.len[1]};
    out = NULL;
    rc = rs_ddb_rewrite(&rw, &status, z.f[2], z.len[2], &out, &outlen);
    if (rc != 0 || out == NULL || out[outlen] != '\0')
        abort();
    free(out);
    out = NULL;
    rc = rs_ddb_rewrite_arns(z.f[2], z.len[2], "eu-west-1", "123456789012", &out, &outlen);
    if (rc < 0 || out == NULL)
        abort();
    free(out);
    const char *m =
        rs_ddb_fix_message(op, "ValidationException", z.f[3], z.f[1], z.len[1], buf, sizeof(buf));
    if (m != NULL && strnlen(m, sizeof(buf)) == sizeof(buf))
        abort();
    if (rs_ddb_needs_schema(op, z.f[3])) {
        m = rs_ddb_schema_message(op, z.f[3], z.f[1], z.len[1], z.f[2], z.len[2], buf, sizeof(buf));
        if (m != NULL && strnlen(m, sizeof(buf)) == sizeof(buf))
            abort();
    }
    fz_free(&z);
    return 0;
}
