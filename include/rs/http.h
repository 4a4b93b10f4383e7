/*
 * http.h: h2o-free request and response structs, and the per-request memory pool.
 * Runs in: workers. src/http/adapter.c converts h2o_req_t into rs_http_req_t and
 * rs_http_resp_t back into an h2o response; everything else (S3, SigV4, routing, the
 * internal endpoints) works on these structs so that Criterion tests need no sockets.
 */
#ifndef RS_HTTP_H
#define RS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* ---- pool: bump allocator freed at once when the request ends ------------------ */
typedef struct rs_pool_chunk rs_pool_chunk_t;
typedef struct rs_pool {
    rs_pool_chunk_t *chunks;
} rs_pool_t;

void rs_pool_init(rs_pool_t *p);
void *rs_pool_alloc(rs_pool_t *p, size_t n); /* aborts on OOM, like h2o_mem_alloc */
char *rs_pool_strndup(rs_pool_t *p, const char *s, size_t n); /* NUL-terminated copy */
char *rs_pool_printf(rs_pool_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rs_pool_clear(rs_pool_t *p);

/* ---- growable byte buffer (heap) ---------------------------------------------- */
typedef struct rs_buf {
    char *data;
    size_t len, cap;
} rs_buf_t;

void rs_buf_init(rs_buf_t *b);
void rs_buf_append(rs_buf_t *b, const void *p, size_t n);
void rs_buf_appends(rs_buf_t *b, const char *s);
void rs_buf_printf(rs_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rs_buf_free(rs_buf_t *b);

/* ---- headers -------------------------------------------------------------------- */
typedef struct rs_hdr {
    const char *name; /* lower-case, as h2o gives it */
    size_t name_len;
    const char *value;
    size_t value_len;
} rs_hdr_t;

/* first of the n headers named `name` (case-insensitive), or NULL */
const rs_hdr_t *rs_hdr_find(const rs_hdr_t *hs, size_t n, const char *name);

/* ---- request -------------------------------------------------------------------- */
typedef struct rs_http_req {
    rs_pool_t *pool;
    const char *method; /* "GET", ... NUL-terminated */
    const char *path;   /* raw path as sent (percent-encoded), without the query */
    size_t path_len;
    const char *query; /* raw query without '?', NULL when there was no '?' */
    size_t query_len;
    const char *host; /* Host header / authority, may include ":port" */
    size_t host_len;
    const rs_hdr_t *headers;
    size_t num_headers;
    const uint8_t *body;
    size_t body_len;
    int has_content_length; /* the client sent Content-Length */
    char request_id[17];    /* 16 upper-case alphanumerics, set by the adapter */
    /* set by the router from the credentials (SigV4 scope / access key) */
    char account[13];
    char region[32];
    char access_key[129];
    const char *service;   /* "s3", "dynamodb", "lambda", "internal" */
    const char *operation; /* e.g. "PutObject"; for the access log */
} rs_http_req_t;

/* first header with that lower-case name, or NULL */
const rs_hdr_t *rs_http_req_header(const rs_http_req_t *req, const char *lname);

/* ---- response ------------------------------------------------------------------- */
#define RS_HTTP_MAX_HEADERS 96

typedef struct rs_http_resp {
    rs_pool_t *pool; /* same pool as the request */
    int status;
    rs_hdr_t headers[RS_HTTP_MAX_HEADERS];
    size_t num_headers;
    rs_buf_t body; /* owned body (heap); used when zc_nseg == 0 */
    /* zero-copy body straight out of shared memory (pinned by the S3 layer) */
    const struct iovec *zc;
    size_t zc_nseg;
    size_t content_length; /* total length when the body is zero-copy */
    int head_only;         /* HEAD: send headers (incl. Content-Length) but no body */
    /* called once when the response is done or the client went away */
    void (*on_dispose)(void *arg);
    void *dispose_arg;
} rs_http_resp_t;

void rs_http_resp_init(rs_http_resp_t *resp, rs_pool_t *pool);
/* copies name and value into the pool */
void rs_http_resp_header(rs_http_resp_t *resp, const char *name, const char *value);
void rs_http_resp_headern(rs_http_resp_t *resp, const char *name, const char *value, size_t vlen);
void rs_http_resp_free(rs_http_resp_t *resp); /* body buffer only; runs no dispose */
/* the reason phrase of a status line ("Not Found"); a class phrase for unlisted codes */
const char *rs_http_reason(int status);

/* ---- query strings -------------------------------------------------------------- */
typedef struct rs_qparam {
    char *name;  /* percent-decoded, NUL-terminated */
    char *value; /* percent-decoded ('+' stays '+'), NUL-terminated; "" when no '=' */
    size_t value_len;
    int has_value; /* "?delete" has no '=' */
} rs_qparam_t;

/* Split and percent-decode a raw query; arrays come from the pool. */
size_t rs_query_parse(rs_pool_t *pool, const char *q, size_t qlen, rs_qparam_t **out);
const rs_qparam_t *rs_query_get(const rs_qparam_t *params, size_t n, const char *name);

/* Percent-decode into the pool (NUL-terminated); returns -1 on a bad escape. */
int rs_pct_decode(rs_pool_t *pool, const char *s, size_t n, char **out, size_t *out_len);

#endif
