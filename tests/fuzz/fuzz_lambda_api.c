/*
 * fuzz_lambda_api.c: fuzz target for the Lambda control plane and Invoke front
 * (src/lambda/lambda_api*.c): rs_lambda_api_handle with a fuzzed method, path, query,
 * headers and body against a registry in a temporary directory and no execution pool.
 * Every request must get an AWS answer: a status, x-amzn-RequestId, and for errors a JSON
 * body. Fields separated by "\n--\n": method, path, query, headers ("name: value"
 * lines), body. Runs in: the fuzz binary.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lambda/lambda_api.h"
#include "lambda/lambda_registry.h"
#include "rs/os.h"
#include "rs/err.h"
#include "rs/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];
static rs_lambda_reg_t *reg;
static rs_lambda_api_t api;

static void cleanup(void)
{
    if (reg)
        rs_lambda_reg_close(reg);
    if (root[0])
        rs_rm_r(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!reg) {
        rs_log_set_level(RS_LOG_CRIT);
        snprintf(root, sizeof(root), "/tmp/rs-fuzz-lapi-XXXXXX");
        if (!mkdtemp(root))
            abort();
        if (rs_lambda_reg_open(root, 0, &reg) != 0)
            abort();
        rs_lambda_api_init(&api, reg, NULL, "no execution pool in the fuzz target", NULL);
        api.zip_max = 1u << 20;
        api.unzipped_max = 4u << 20;
        atexit(cleanup);
    }
    fz_t z;
    fz_split(&z, data, size, 5);
    rs_hdr_t hdrs[16];
    size_t nh = fz_headers(z.f[3], z.len[3], hdrs, 16);
    json_object *h = json_object_new_object();
    for (size_t i = 0; i < nh; i++) {
        char *k = strndup(hdrs[i].name, hdrs[i].name_len);
        json_object_object_add(h, k,
                               json_object_new_string_len(hdrs[i].value, (int)hdrs[i].value_len));
        free(k);
    }
    rs_lambda_resp_t out;
    memset(&out, 0, sizeof(out));
    int rc = rs_lambda_api_handle(&api, z.len[0] ? z.f[0] : "GET", z.f[1], z.f[2], h,
                                  "000000000000", "us-east-1",
                                  "c0ffee00-0000-4000-8000-0000000000aa", z.f[4], z.len[4], &out);
    if (rc != 0 && rc != RS_ENOMEM)
        abort();
    if (rc == 0) {
        if (out.status < 200 || out.status > 599 || out.headers == NULL)
            abort();
        json_object *rid = NULL;
        if (!json_object_object_get_ex(out.headers, "x-amzn-RequestId", &rid))
            abort();
        if (out.status >= 400) {
            json_object *b = json_tokener_parse(out.body ? out.body : "");
            if (b == NULL)
                abort();
            json_object_put(b);
        }
    }
    rs_lambda_resp_free(&out);
    json_object_put(h);
    fz_free(&z);
    return 0;
}
