/*
 * fuzz_docker.c: fuzz target for the Docker Engine client's answer reading
 * (rs_docker_answer_feed in src/docker/docker_http.c, on the shared src/core/http1.c): the
 * input after one byte is the engine's answer, fed as it would arrive in two reads split
 * where that byte says, to GET and to HEAD, then once more at EOF. Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker_int.h"
#include "fuzz.h"
#include "rs/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t total = size - 1, cut = total == 0 ? 0 : data[0] % (total + 1);
    static const char *methods[2] = {"GET", "HEAD"};
    for (int m = 0; m < 2; m++) {
        char *buf = malloc(total + 1);
        rs_docker_answer_t a;
        size_t len = 0;
        int rc = 0;
        memset(&a, 0, sizeof(a));
        a.method = methods[m];
        /* first read, the rest, then EOF */
        size_t pieces[2] = {cut, total - cut};
        for (int step = 0; step < 3 && rc == 0; step++) {
            if (step < 2) {
                memcpy(buf + len, data + 1 + (step == 0 ? 0 : cut), pieces[step]);
                len += pieces[step];
            }
            if (len == 0)
                continue;
            rc = rs_docker_answer_feed(&a, buf, &len, step == 2);
            if (len > total)
                abort();
        }
        if (rc == 1 && (a.head.status < 200 || a.head.status > 599 ||
                        a.head.head_len + a.body_len > len || a.body_len > RS_DOCKER_MAX_BODY))
            abort();
        if (rc != 0 && rc != 1 && rc != RS_EINVAL)
            abort();
        free(buf);
    }
    return 0;
}
