/*
 * s3_post_form.c: the body of an S3 POST object request read with the streaming
 * form-data parser (src/proto/formdata.c): the fields before the part named `file` (names
 * case-insensitive; at most 20 KB of them, as S3), then the file's bytes kept as spans of
 * the request body, without a copy; what follows the file is ignored, as S3 does.
 * Runs in: workers.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "rs/formdata.h"
#include "s3/s3_post_int.h"

#define PRE_DATA_MAX 20480 /* bytes of fields before the file */

enum { RD_FIELD = 1, RD_FILE, RD_SKIP };

typedef struct reader {
    rs_s3_call_t *c;
    rs_s3_form_t *form;
    int in; /* RD_* of the current part */
    rs_buf_t value;
    const char *name;
    int too_much;
} reader_t;

const rs_s3_form_field_t *rs_s3_form_get(const rs_s3_form_t *form, const char *lname)
{
    for (size_t i = 0; i < form->n; i++)
        if (strcmp(form->f[i].lname, lname) == 0)
            return &form->f[i];
    return NULL;
}

static int on_begin(void *arg, const rs_formdata_part_t *p)
{
    reader_t *r = arg;
    if (strcasecmp(p->name, "file") == 0) {
        r->in = RD_FILE;
        r->form->has_file = 1;
        r->form->filename = rs_pool_strndup(r->c->pool, p->filename ? p->filename : "",
                                            p->filename ? p->filename_len : 0);
        return 0;
    }
    r->form->pre_bytes += p->name_len;
    if (r->form->pre_bytes > PRE_DATA_MAX) {
        r->too_much = 1;
        return -1;
    }
    r->in = RD_FIELD;
    r->name = rs_pool_strndup(r->c->pool, p->name, p->name_len);
    r->value.len = 0;
    return 0;
}

static int on_data(void *arg, const uint8_t *p, size_t n)
{
    reader_t *r = arg;
    rs_s3_form_t *f = r->form;
    if (r->in == RD_FIELD) {
        f->pre_bytes += n;
        if (f->pre_bytes > PRE_DATA_MAX) {
            r->too_much = 1;
            return -1;
        }
        rs_buf_append(&r->value, p, n);
        return 0;
    }
    if (r->in != RD_FILE)
        return 0;
    const uint8_t *body = r->c->req->body;
    if (p < body || p + n > body + r->c->req->body_len) /* held back by the parser: copy */
        p = (const uint8_t *)rs_pool_strndup(r->c->pool, (const char *)p, n);
    if (f->iovcnt > 0 &&
        (const uint8_t *)f->iov[f->iovcnt - 1].iov_base + f->iov[f->iovcnt - 1].iov_len == p) {
        f->iov[f->iovcnt - 1].iov_len += n; /* contiguous in the body */
    } else {
        if (f->iovcnt == f->iovcap) {
            size_t cap = f->iovcap ? f->iovcap * 2 : 8;
            struct iovec *nv = rs_pool_alloc(r->c->pool, cap * sizeof *nv);
            if (f->iovcnt > 0)
                memcpy(nv, f->iov, f->iovcnt * sizeof *nv);
            f->iov = nv, f->iovcap = cap;
        }
        f->iov[f->iovcnt].iov_base = (void *)p;
        f->iov[f->iovcnt].iov_len = n;
        f->iovcnt++;
    }
    f->size += n;
    return 0;
}

static int on_end(void *arg)
{
    reader_t *r = arg;
    rs_s3_form_t *f = r->form;
    if (r->in == RD_FILE)
        return 1; /* fields after the file are ignored */
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        rs_s3_form_field_t *nf = rs_pool_alloc(r->c->pool, cap * sizeof *nf);
        if (f->n > 0)
            memcpy(nf, f->f, f->n * sizeof *nf);
        f->f = nf, f->cap = cap;
    }
    rs_s3_form_field_t *fld = &f->f[f->n++];
    char *l = rs_pool_strndup(r->c->pool, r->name, strlen(r->name));
    for (char *q = l; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    fld->name = r->name;
    fld->lname = l;
    fld->value = rs_pool_strndup(r->c->pool, r->value.data ? r->value.data : "", r->value.len);
    fld->value_len = r->value.len;
    r->in = RD_SKIP;
    return 0;
}

static const rs_formdata_cb_t callbacks = {on_begin, on_data, on_end};

int rs_s3_form_read(rs_s3_call_t *c, rs_s3_form_t *form)
{
    size_t ctl, bl;
    const char *ct = rs_s3_hdr(c, "content-type", &ctl), *b;
    rs_formdata_t *fd;
    reader_t r;
    int rc;

    memset(form, 0, sizeof *form);
    form->filename = "";
    if (ct == NULL || rs_formdata_boundary(ct, ctl, &b, &bl) != 0) {
        rs_s3_fail(c, RS_S3E_PreconditionFailed, NULL, "Condition",
                   "Bucket POST must be of the enclosure-type multipart/form-data", NULL);
        return -1;
    }
    fd = rs_pool_alloc(c->pool, sizeof *fd);
    memset(&r, 0, sizeof r);
    r.c = c;
    r.form = form;
    rs_buf_init(&r.value);
    rc = rs_formdata_init(fd, b, bl, &callbacks, &r);
    if (rc == 0) {
        rc = rs_formdata_feed(fd, c->req->body, c->req->body_len);
        if (rc >= 0)
            rc = rs_formdata_finish(fd);
    }
    rs_buf_free(&r.value);
    if (r.too_much) {
        rs_s3_fail(c, RS_S3E_MaxPostPreDataLengthExceededError, NULL, NULL);
        return -1;
    }
    if (rc < 0) {
        rs_s3_fail(c, RS_S3E_MalformedPOSTRequest, NULL, NULL);
        return -1;
    }
    return 0;
}
