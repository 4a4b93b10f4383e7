/*
 * docker_int.h: what the files of the Docker Engine API client share (docker_http.c: the
 * HTTP/1.1 exchange over the Unix socket; docker_parse.c: parsing the answer; docker.c:
 * the API calls). Runs in: the lambda supervisor.
 */
#ifndef RS_DOCKER_INT_H
#define RS_DOCKER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rs/docker.h"

/* Largest answer body accepted (a container list of a busy engine fits easily), and
 * largest status line plus headers. */
#define RS_DOCKER_MAX_BODY (64u * 1024u * 1024u)
#define RS_DOCKER_MAX_HEAD (64u * 1024u)

enum rs_docker_body_mode {
    RS_DOCKER_BODY_NONE,    /* 1xx/204/304 or HEAD: no body whatever the headers say */
    RS_DOCKER_BODY_LENGTH,  /* Content-Length */
    RS_DOCKER_BODY_CHUNKED, /* Transfer-Encoding: chunked */
    RS_DOCKER_BODY_EOF,     /* neither: the body ends when the engine closes */
};

typedef struct rs_docker_head {
    int status;
    size_t body_off; /* where the body starts in the buffer */
    enum rs_docker_body_mode mode;
    size_t length; /* RS_DOCKER_BODY_LENGTH */
} rs_docker_head_t;

/* Parse the status line and headers at the start of buf: 1 when complete (*h filled),
 * 0 when more bytes are needed, RS_EINVAL when this is not an HTTP/1.x answer. Interim
 * 1xx answers are skipped. */
int rs_docker_parse_head(const char *buf, size_t len, const char *method, rs_docker_head_t *h);

/* 1 with the body (*out malloc'd, NUL-terminated) when the answer in buf is complete, 0
 * when more bytes are needed (eof: the engine closed, so none will come), RS_EINVAL on a
 * malformed body, RS_ENOMEM. */
int rs_docker_body_done(const char *buf, size_t len, const rs_docker_head_t *h, int eof, char **out,
                        size_t *out_len);

/* rs_docker_request with a one-line reason in `err` on failure. */
int rs_docker_exchange(const rs_docker_t *d, const char *method, const char *path, const char *body,
                       size_t body_len, int *status, char **resp_body, size_t *resp_len,
                       uint32_t timeout_ms, char *err, size_t errlen);

/* printf into err (when non-NULL), newlines turned into spaces. */
void rs_docker_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
