/*
 * fuzz_docker.c: fuzz target for the Docker Engine HTTP response parser
 * (src/docker/docker_parse.c): rs_docker_parse_head on the input as an answer to GET and
 * to HEAD, then rs_docker_body_done on whatever follows the head, with and without EOF.
 * Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "docker/docker_int.h"
#include "fuzz.h"
#include "rs/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = (char *)fz_dup(data, size);
    static const char *methods[2] = {"GET", "HEAD"};
    for (int m = 0; m < 2; m++) {
        rs_docker_head_t h;
        int rc = rs_docker_parse_head(buf, size, methods[m], &h);
        if (rc != 0 && rc != 1 && rc != RS_EINVAL)
            abort();
        if (rc != 1)
            continue;
        if (h.body_off > size || h.status < 100 || h.status > 999)
            abort();
        for (int eof = 0; eof < 2; eof++) {
            char *out = NULL;
            size_t olen = 0;
            int b = rs_docker_body_done(buf, size, &h, eof, &out, &olen);
            if (b == 1) {
                if (out == NULL || out[olen] != '\0' || olen > RS_DOCKER_MAX_BODY)
                    abort();
                free(out);
            } else if (b != 0 && b != RS_EINVAL && b != RS_ENOMEM) {
                abort();
            }
        }
    }
    free(buf);
    return 0;
}
