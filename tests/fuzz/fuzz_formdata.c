/*
 * fuzz_formdata.c: fuzz target for the streaming multipart/form-data parser
 * (src/proto/formdata.c). Fields are separated by "\n--\n": the Content-Type value, then
 * the body. The body is parsed in one feed and again in pieces whose sizes come from the
 * input; both must agree on the result and on every part and byte they report.
 * Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rs/formdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fz_log {
    uint8_t *p;
    size_t len, cap;
} fz_log_t;

static void fz_add(fz_log_t *l, const void *p, size_t n)
{
    if (l->len + n > l->cap) {
        size_t cap = (l->len + n) * 2 + 64;
        uint8_t *np = realloc(l->p, cap);
        if (np == NULL)
            abort();
        l->p = np, l->cap = cap;
    }
    if (n > 0)
        memcpy(l->p + l->len, p, n);
    l->len += n;
}

static int on_begin(void *arg, const rs_formdata_part_t *p)
{
    if (p->name == NULL || strlen(p->name) != p->name_len)
        abort();
    if (p->filename != NULL && strlen(p->filename) != p->filename_len)
        abort();
    fz_add(arg, "\0B", 2);
    fz_add(arg, p->name, p->name_len + 1);
    if (p->filename != NULL)
        fz_add(arg, p->filename, p->filename_len + 1);
    return 0;
}

static int on_data(void *arg, const uint8_t *p, size_t n)
{
    if (n == 0)
        abort();
    fz_add(arg, p, n);
    return 0;
}

static int on_end(void *arg)
{
    fz_add(arg, "\0E", 2);
    return 0;
}

static const rs_formdata_cb_t cbs = {on_begin, on_data, on_end};

static int run(const char *b, size_t bl, const uint8_t *body, size_t n, size_t step, fz_log_t *l)
{
    rs_formdata_t *f = malloc(sizeof *f);
    int rc = 0;
    if (f == NULL)
        abort();
    if (rs_formdata_init(f, b, bl, &cbs, l) != 0) {
        free(f);
        return -100;
    }
    for (size_t i = 0; i < n && rc == 0; i += step)
        rc = rs_formdata_feed(f, body + i, n - i < step ? n - i : step);
    if (rc == 0)
        rc = rs_formdata_finish(f);
    if (rc < 0 && f->error == NULL)
        abort();
    free(f);
    return rc < 0 ? -1 : rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_t z;
    fz_split(&z, data, size, 2);
    const char *b = NULL;
    size_t bl = 0;
    if (rs_formdata_boundary(z.f[0], z.len[0], &b, &bl) == 0) {
        if (b < z.f[0] || b + bl > z.f[0] + z.len[0] || bl == 0)
            abort();
        fz_log_t one = {0}, many = {0};
        size_t step = z.len[1] > 0 ? (size_t)((const uint8_t *)z.f[1])[0] % 13 + 1 : 1;
        int r1 = run(b, bl, (const uint8_t *)z.f[1], z.len[1], z.len[1] ? z.len[1] : 1, &one);
        int r2 = run(b, bl, (const uint8_t *)z.f[1], z.len[1], step, &many);
        if (r1 != r2)
            abort();
        /* a failed parse may stop at different points; a good one reports the same */
        if (r1 == 0 && (one.len != many.len || (one.len && memcmp(one.p, many.p, one.len) != 0)))
            abort();
        free(one.p);
        free(many.p);
    }
    fz_free(&z);
    return 0;
}
