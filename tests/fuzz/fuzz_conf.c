/*
 * fuzz_conf.c: fuzz target for the configuration parser (src/core/conf.c):
 * rs_conf_parse over the input, then rs_conf_finalize; errors must come with a message.
 * Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rs/conf.h"
#include "rs/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = (char *)fz_dup(data, size);
    static rs_conf_t c;
    char err[512];
    rs_conf_defaults(&c);
    err[0] = '\0';
    int rc = rs_conf_parse(&c, text, size, "fuzz.conf", err, sizeof(err));
    if (rc != 0 && (rc != RS_EINVAL || err[0] == '\0'))
        abort();
    if (rc == 0) {
        err[0] = '\0';
        rc = rs_conf_finalize(&c, err, sizeof(err));
        if (rc != 0 && err[0] == '\0')
            abort();
    }
    free(text);
    return 0;
}
