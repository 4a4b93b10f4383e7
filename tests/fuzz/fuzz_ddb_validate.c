/*
 * fuzz_ddb_validate.c: fuzz target for the DynamoDB request validator
 * (src/proto/ddb_validate.c) and the operation rules after it (src/proto/ddb_oprules.c,
 * ddb_expr.c, ddb_avcheck.c, ddb_ctable.c, ddb_json.c): rs_ddb_validate and
 * rs_ddb_oprules on a fuzzed operation name and body, with a fuzzed message capacity, and
 * the body as each kind of expression. Valid: 0; invalid: 1 with a Serialization or
 * Validation error and a NUL-terminated message within the capacity. Fields "op\n--\nbody"; the
 * first byte of op picks the capacity. (The full request path, validator included, is
 * fuzz_ddb_prepare.) Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rs/ddb_expr.h"
#include "rs/ddb_oprules.h"
#include "rs/ddb_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_t z;
    fz_split(&z, data, size, 2);
    static const size_t caps[4] = {64, 200, 1024, 8192};
    size_t cap = caps[z.len[0] > 0 ? (uint8_t)z.f[0][0] & 3 : 2];
    const char *op = z.len[0] > 1 ? z.f[0] + 1 : "PutItem";
    size_t op_len = z.len[0] > 1 ? z.len[0] - 1 : 7;
    char *msg = malloc(cap);
    if (msg == NULL)
        abort();
    memset(msg, 'Z', cap);
    rs_ddb_err_t err = RS_DDBE__COUNT;
    int rc = rs_ddb_validate(op, op_len, (const uint8_t *)z.f[1], z.len[1], &err, msg, cap);
    if (rc == 1) {
        if (err != RS_DDBE_Serialization && err != RS_DDBE_Validation)
            abort();
        if (memchr(msg, '\0', cap) == NULL)
            abort();
    } else if (rc != 0) {
        abort();
    }
    /* the operation rules: after the validator in the server, on any bytes here */
    memset(msg, 'Z', cap);
    rc = rs_ddb_oprules(op, op_len, (const uint8_t *)z.f[1], z.len[1], &err, msg, cap);
    if (rc == 1 && (err != RS_DDBE_Validation || memchr(msg, '\0', cap) == NULL))
        abort();
    if (rc != 0 && rc != 1)
        abort();
    /* the same body under every operation of the model */
    for (size_t i = 0; i < rs_ddbm_num_ops && size < 4096; i++) {
        const char *name = rs_ddbm_ops[i].name;
        rc = rs_ddb_validate(name, strlen(name), (const uint8_t *)z.f[1], z.len[1], &err, msg, cap);
        if (rc != 0 && rc != 1)
            abort();
        rc = rs_ddb_oprules(name, strlen(name), (const uint8_t *)z.f[1], z.len[1], &err, msg, cap);
        if (rc != 0 && rc != 1)
            abort();
    }
    /* the body as an expression of each kind, with the placeholders of the body */
    static rs_ddbx_refs_t refs;
    memset(&refs, 0, sizeof(refs));
    refs.names = rs_jv_get(rs_jv_parse(z.f[1], z.len[1]), "ExpressionAttributeNames");
    refs.values = rs_jv_get(rs_jv_parse(z.f[1], z.len[1]), "ExpressionAttributeValues");
    for (int k = RS_DDBX_CONDITION; k <= RS_DDBX_UPDATE; k++) {
        rc = rs_ddbx_check((rs_ddbx_kind_t)k, z.f[1], z.len[1], &refs, msg, cap);
        if (rc != 0 && rc != 1)
            abort();
        if (rc == 1 && memchr(msg, '\0', cap) == NULL)
            abort();
    }
    free(msg);
    fz_free(&z);
    return 0;
}
