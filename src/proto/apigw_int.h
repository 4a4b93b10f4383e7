/*
 * apigw_int.h: private to src/proto: what the API Gateway event builders share
 * (apigw_json.c): strings made valid UTF-8 for JSON, query decoding, request headers.
 * Runs in: the lambda supervisor and unit tests (pure).
 */
#ifndef RS_PROTO_APIGW_INT_H
#define RS_PROTO_APIGW_INT_H

#include <json-c/json.h>
#include <stddef.h>

#include "rs/apigw.h"

/* a JSON string of s (invalid UTF-8 bytes become U+FFFD) */
json_object *rs_apigw_jstr(rs_pool_t *pool, const char *s, size_t n);
/* a NUL-terminated, valid UTF-8 object key (an escaped NUL ends it early) */
const char *rs_apigw_jkey(rs_pool_t *pool, const char *s, size_t n);
/* o[key] = s as a JSON string, or null when s is NULL */
void rs_apigw_add_str(json_object *o, const char *key, rs_pool_t *pool, const char *s);
/* '+' -> space, then percent-decode; a bad escape keeps the text as it was */
const char *rs_apigw_qdecode(rs_pool_t *pool, const char *s, size_t n, size_t *len);
/* Each name=value of the query, decoded ('+' -> space; the name a valid UTF-8 key), in
 * order: fn(arg, name, value, value_len). */
typedef void (*rs_apigw_param_fn)(void *arg, const char *name, const char *value, size_t vlen);
void rs_apigw_query_each(rs_pool_t *pool, const rs_http_req_t *req, rs_apigw_param_fn fn,
                         void *arg);
/* the header's name is lname (case-insensitive) */
int rs_apigw_hdr_is(const rs_hdr_t *h, const char *lname);
/* hop-by-hop and framing headers API Gateway does not pass on */
int rs_apigw_hdr_dropped(const rs_hdr_t *h);
/* every Cookie field joined with "; " (NULL when none), its length in *len */
const char *rs_apigw_cookies(rs_pool_t *pool, const rs_http_req_t *req, size_t *len);
/* the port of "host:port" / "[v6]:port", else 0 */
unsigned rs_apigw_host_port(const char *h, size_t n);
/* X-Forwarded-Port: the port of the Host the client used, else server_port */
unsigned rs_apigw_fwd_port(const rs_http_req_t *req, unsigned server_port);
/* the length of a Host without its port */
size_t rs_apigw_host_name_len(const char *h, size_t n);
/* the Host the client used (header, else the authority) and its length without the port;
 * NULL when none */
const char *rs_apigw_host(const rs_http_req_t *req, size_t *name_len);
/* the length of the first label of a host name (the whole name for an IP address):
 * requestContext.domainPrefix */
size_t rs_apigw_domain_prefix(const char *host, size_t n);
/* the payload format 2.0 event (apigw_event2.c), rs_apigw_event's contract */
int rs_apigw_event2(rs_pool_t *pool, const rs_http_req_t *req, const rs_apigw_target_t *t,
                    const char *account, const char *source_ip, unsigned server_port,
                    int64_t now_ms, const char *request_id, rs_buf_t *out);
/* the body as the event carries it: NULL when empty, the text when valid UTF-8, else base64
 * (*b64 = 1) */
json_object *rs_apigw_body(rs_pool_t *pool, const rs_http_req_t *req, int *b64);
/* "20/Feb/2018:22:48:57 +0000" (C-locale month names) */
void rs_apigw_time(int64_t now_ms, char out[32]);
/* pathParameters / stageVariables: an object of the pairs, or NULL (JSON null) when n = 0 */
json_object *rs_apigw_kv_object(rs_pool_t *pool, const rs_apigw_kv_t *kv, size_t n);

#endif
