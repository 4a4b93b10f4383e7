/*
 * formdata.h: a streaming multipart/form-data parser (RFC 7578 / RFC 2046): bytes are fed
 * in pieces of any size; each part is reported as its beginning (name, filename, content
 * type from its headers), its data in spans and its end. Runs in: workers (pure, no
 * allocation: all state lives in rs_formdata_t). Used by S3 POST object (s3_post.c).
 */
#ifndef RS_FORMDATA_H
#define RS_FORMDATA_H

#include <stddef.h>
#include <stdint.h>

#define RS_FORMDATA_MAX_BOUNDARY 200 /* RFC 2046 says 70; browsers stay under 70 */
#define RS_FORMDATA_MAX_HEADERS 8192 /* the header block of one part */

typedef struct rs_formdata_part {
    const char *name; /* Content-Disposition name="" (NUL-terminated, inside the parser) */
    size_t name_len;
    const char *filename; /* NULL when the part has no filename parameter */
    size_t filename_len;
    const char *content_type; /* NULL when the part has no Content-Type header */
    size_t content_type_len;
} rs_formdata_part_t;

/* Callbacks return 0 to go on, 1 to stop (the rest of the input is then ignored and
 * rs_formdata_feed returns 1), or a negative value to fail with that value. Data spans
 * point into the input given to rs_formdata_feed, or into the parser for bytes held
 * back across two feeds; they are valid during the call only. */
typedef struct rs_formdata_cb {
    int (*part_begin)(void *arg, const rs_formdata_part_t *part);
    int (*part_data)(void *arg, const uint8_t *p, size_t n);
    int (*part_end)(void *arg);
} rs_formdata_cb_t;

typedef struct rs_formdata {
    const rs_formdata_cb_t *cb;
    void *arg;
    char delim[4 + RS_FORMDATA_MAX_BOUNDARY + 1]; /* "\r\n--" boundary */
    size_t dlen;
    size_t k; /* bytes of delim matched so far */
    int state;
    size_t hlen; /* header bytes collected */
    char hdr[RS_FORMDATA_MAX_HEADERS + 1];
    char aux[RS_FORMDATA_MAX_HEADERS + 1]; /* the filename of the current part */
    size_t parts;
    const char *error; /* why the input was refused (static text) */
} rs_formdata_t;

/* The boundary parameter of a Content-Type value ("multipart/form-data; boundary=x",
 * quoted or not). 0 and *b, *blen pointing into ct, or -1 when ct is not
 * multipart/form-data or has no usable boundary. */
int rs_formdata_boundary(const char *ct, size_t n, const char **b, size_t *blen);

/* 0, or -1 for a boundary that is empty, too long or holds CR/LF */
int rs_formdata_init(rs_formdata_t *f, const char *boundary, size_t blen,
                     const rs_formdata_cb_t *cb, void *arg);
/* 0: consumed, more expected or the closing delimiter was seen; 1: a callback stopped the
 * parse; <0: malformed input (f->error says why) or a callback's failure. */
int rs_formdata_feed(rs_formdata_t *f, const uint8_t *p, size_t n);
/* after the last feed: 0 when the closing delimiter was seen (or a callback stopped the
 * parse), -1 when the input ended early */
int rs_formdata_finish(rs_formdata_t *f);

#endif
