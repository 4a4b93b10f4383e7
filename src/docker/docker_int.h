/*
 * docker_int.h: what the files of the Docker Engine API client share (docker_http.c: the
 * HTTP/1.1 exchange over the Unix socket, answers parsed by rs/http1.h; docker.c: the API
 * calls). Runs in: the lambda supervisor.
 */
#ifndef RS_DOCKER_INT_H
#define RS_DOCKER_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "rs/docker.h"
#include "rs/http1.h"

/* Largest answer body accepted (a container list of a busy engine fits easily); heads
 * are limited by the shared parser (RS_HTTP1_MAX_HEAD). */
#define RS_DOCKER_MAX_BODY (64u * 1024u * 1024u)

/* An answer being read: zero it and set `method`, then feed it every time bytes came. */
typedef struct rs_docker_answer {
    const char *method; /* of the request: answers to HEAD have no body */
    int have_head;
    rs_http1_head_t head;
    rs_http1_chunked_t chunked;
    size_t body_len; /* when complete: the body is at buf + head.head_len */
} rs_docker_answer_t;

/* Feed buf[0, *len), every byte received so far (a chunked body is decoded in place, so
 * *len may shrink): 1 when the answer is complete, 0 when more bytes are needed (eof: the
 * engine closed, so none will come), RS_EINVAL when it is not HTTP/1.x, its body is
 * malformed or larger than RS_DOCKER_MAX_BODY. Interim 1xx answers are skipped. */
int rs_docker_answer_feed(rs_docker_answer_t *a, char *buf, size_t *len, int eof);

/* rs_docker_request with a one-line reason in `err` on failure. */
int rs_docker_exchange(const rs_docker_t *d, const char *method, const char *path, const char *body,
                       size_t body_len, int *status, char **resp_body, size_t *resp_len,
                       uint32_t timeout_ms, char *err, size_t errlen);

/* Percent-encode s into out (all but unreserved characters and those in `keep`). */
int rs_docker_url_escape(const char *s, const char *keep, char *out, size_t outlen);
/* API path of a container or image operation: /v1.41/<kind>/<escaped name><suffix>. */
int rs_docker_object_path(char *out, size_t outlen, const char *kind, const char *name,
                          const char *suffix, char *err, size_t errlen);
/* One call whose 2xx answer is JSON of `type` (*out, for the caller to put); non-2xx
 * statuses mapped as in rs/docker.h. */
int rs_docker_call_json(const rs_docker_t *d, const char *method, const char *path, const char *req,
                        uint32_t timeout_ms, json_type type, json_object **out, char *err,
                        size_t errlen);

/* The bytes of an event stream (docker_events.c): the answer's head, then a chunked or
 * read-to-EOF body cut into lines, one JSON object each. Zero it with
 * rs_docker_evbuf_init; after the head, buf[0, ready) is decoded body. */
typedef struct rs_docker_evbuf {
    char *buf;
    size_t len, cap, ready;
    int have_head, status, chunked, failed;
    rs_http1_chunked_t ch;
} rs_docker_evbuf_t;

void rs_docker_evbuf_init(rs_docker_evbuf_t *b);
void rs_docker_evbuf_free(rs_docker_evbuf_t *b);
/* Append received bytes: 0, RS_EINVAL (not HTTP, a malformed chunk, a line over the
 * limit: the stream is unusable from then on), RS_ENOMEM. */
int rs_docker_evbuf_feed(rs_docker_evbuf_t *b, const void *bytes, size_t n);
/* The next complete event (*event, the caller puts it): 1, 0 when none is complete yet,
 * RS_EINVAL when a line is not a JSON object (the stream is unusable). Empty lines are
 * skipped. */
int rs_docker_evbuf_pop(rs_docker_evbuf_t *b, json_object **event);

#endif
