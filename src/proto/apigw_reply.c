/*
 * apigw_reply.c: the gateway's answer (rs/apigw.h): a function's result mapped to the HTTP
 * response by the payload format's rules (1.0: lambda.md 6.2, a malformed result is the
 * gateway's failure; 2.0: lambda.md 6.5, a result without statusCode is a 200 JSON body,
 * `cookies` become Set-Cookie, unknown keys are ignored), and the gateway's own answers:
 * no route, failures and timeouts, each as REST APIs, HTTP APIs or function URLs word them.
 * Runs in: the lambda supervisor and unit tests (pure; json-c).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rs/apigw.h"
#include "rs/codec.h"
#include "rs/log.h"

#define INTERNAL "Internal server error"
#define MAX_PAIRS (RS_HTTP_MAX_HEADERS - 8) /* room for the gateway's own headers */

static void ids_of(const rs_http_req_t *req, rs_apigw_kind_t kind, const char *request_id,
                   rs_http_resp_t *resp)
{
    char ext[17];
    rs_http_resp_header(resp, "x-amzn-RequestId",
                        request_id != NULL ? request_id : req->request_id);
    if (kind != RS_APIGW_FURL) {
        rs_apigw_extended_id(req, ext);
        rs_http_resp_header(resp, "x-amz-apigw-id", ext);
    }
}

static void ids(const rs_http_req_t *req, const char *request_id, rs_http_resp_t *resp)
{
    ids_of(req, RS_APIGW_REST, request_id, resp);
}

void rs_apigw_error(const rs_http_req_t *req, const char *request_id, int status, const char *type,
                    const char *message, rs_http_resp_t *resp)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "message", json_object_new_string(message));
    resp->status = status;
    resp->num_headers = 0;
    resp->body.len = 0;
    rs_http_resp_header(resp, "Content-Type", "application/json");
    if (type != NULL)
        rs_http_resp_header(resp, "x-amzn-ErrorType", type);
    ids(req, request_id, resp);
    rs_buf_appends(&resp->body, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    resp->head_only = strcmp(req->method, "HEAD") == 0;
}

void rs_apigw_missing_token(const rs_http_req_t *req, rs_http_resp_t *resp)
{
    rs_apigw_error(req, NULL, 403, "MissingAuthenticationTokenException",
                   "Missing Authentication Token", resp);
}

void rs_apigw_no_route(const rs_http_req_t *req, rs_apigw_kind_t kind, rs_http_resp_t *resp)
{
    if (kind == RS_APIGW_REST)
        rs_apigw_missing_token(req, resp);
    else
        rs_apigw_error(req, NULL, 404, NULL, "Not Found", resp);
}

/* the function failed, its result was malformed, or Lambda refused the invoke: REST APIs
 * answer 502 (500 for a refusal), HTTP APIs 500, function URLs 502 */
static void failed(const rs_http_req_t *req, rs_apigw_kind_t kind, const char *request_id,
                   int refused, rs_http_resp_t *resp)
{
    if (kind == RS_APIGW_REST)
        rs_apigw_error(req, request_id, refused ? 500 : 502, "InternalServerErrorException",
                       INTERNAL, resp);
    else
        rs_apigw_error(req, request_id, kind == RS_APIGW_HTTP ? 500 : 502, NULL,
                       "Internal Server Error", resp);
}

void rs_apigw_timeout(const rs_http_req_t *req, rs_apigw_kind_t kind, const char *request_id,
                      rs_http_resp_t *resp)
{
    if (kind == RS_APIGW_REST)
        rs_apigw_error(req, request_id, 504, NULL, "Endpoint request timed out", resp);
    else if (kind == RS_APIGW_HTTP)
        rs_apigw_error(req, request_id, 503, NULL, "Service Unavailable", resp);
    else
        failed(req, kind, request_id, 0, resp);
}

/* ---- result validation ------------------------------------------------------------- */

typedef struct pair {
    const char *name;
    const char *value;
    size_t vlen;
} pair_t;

typedef struct headers {
    pair_t p[MAX_PAIRS];
    size_t n;
} headers_t;

/* hop-by-hop and framing headers the gateway sets itself, and its own id headers */
static int reserved(const char *name)
{
    static const char *const r[] = {
        "content-length",   "transfer-encoding", "connection", "keep-alive",
        "proxy-connection", "upgrade",           "te",         "trailer",
        "x-amzn-requestid", "x-amz-apigw-id"};
    for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
        if (strcasecmp(name, r[i]) == 0)
            return 1;
    return 0;
}

/* an HTTP token (RFC 9110 5.6.2) */
static int name_ok(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!(strchr("!#$%&'*+-.^_`|~", *s) != NULL || (*s >= '0' && *s <= '9') ||
              (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return 0;
    return 1;
}

/* a string or a boolean ("true"/"false"); -1 for any other JSON type or for CR, LF, NUL */
static int header_value(json_object *v, const char **s, size_t *n)
{
    if (json_object_is_type(v, json_type_boolean)) {
        *s = json_object_get_boolean(v) ? "true" : "false";
        *n = strlen(*s);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return -1;
    *s = json_object_get_string(v);
    *n = (size_t)json_object_get_string_len(v);
    for (size_t i = 0; i < *n; i++)
        if ((*s)[i] == '\r' || (*s)[i] == '\n' || (*s)[i] == '\0')
            return -1;
    return 0;
}

/* add one pair unless the identical pair is there; a name already present keeps the
 * casing it was first given (multiValueHeaders are added first, so theirs wins) */
static void add_pair(headers_t *h, const char *name, const char *value, size_t vlen)
{
    if (reserved(name))
        return;
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->p[i].name, name) != 0)
            continue;
        name = h->p[i].name;
        if (h->p[i].vlen == vlen && memcmp(h->p[i].value, value, vlen) == 0)
            return;
    }
    if (h->n == MAX_PAIRS)
        return; /* the response table's limit */
    h->p[h->n].name = name;
    h->p[h->n].value = value;
    h->p[h->n].vlen = vlen;
    h->n++;
}

static const char *collect_headers(json_object *res, headers_t *h)
{
    json_object *multi = NULL, *single = NULL;
    const char *s;
    size_t n;

    json_object_object_get_ex(res, "multiValueHeaders", &multi);
    json_object_object_get_ex(res, "headers", &single);
    if (multi != NULL && !json_object_is_type(multi, json_type_object))
        return "multiValueHeaders is not an object";
    if (single != NULL && !json_object_is_type(single, json_type_object))
        return "headers is not an object";
    if (multi != NULL) {
        json_object_object_foreach(multi, name, list)
        {
            if (!name_ok(name))
                return "invalid header name";
            if (list == NULL)
                continue;
            if (!json_object_is_type(list, json_type_array))
                return "a multiValueHeaders value is not a list";
            for (size_t i = 0; i < json_object_array_length(list); i++) {
                if (header_value(json_object_array_get_idx(list, i), &s, &n) != 0)
                    return "invalid header value";
                add_pair(h, name, s, n);
            }
        }
    }
    if (single != NULL) {
        json_object_object_foreach(single, name, v)
        {
            if (!name_ok(name))
                return "invalid header name";
            if (header_value(v, &s, &n) != 0)
                return "invalid header value";
            add_pair(h, name, s, n);
        }
    }
    return NULL;
}

/* statusCode: missing/null -> 200; an integer or a string of digits, 100..599 */
static int status_code(json_object *v)
{
    long long code;
    if (v == NULL)
        return 200;
    if (json_object_is_type(v, json_type_int)) {
        code = (long long)json_object_get_int64(v);
    } else if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (d != (double)(long long)d)
            return -1;
        code = (long long)d;
    } else if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        size_t n = (size_t)json_object_get_string_len(v);
        if (n == 0 || n > 3 || strspn(s, "0123456789") != n)
            return -1;
        code = atoll(s);
    } else {
        return -1;
    }
    return code >= 100 && code <= 599 ? (int)code : -1;
}

/* the result as JSON; *ok is 1 when it is one valid JSON value (null included: NULL) */
static json_object *parse_result(const char *payload, size_t len, int *ok)
{
    json_tokener *tok;
    json_object *o;
    size_t end;

    *ok = 0;
    if (payload == NULL || len == 0 || len > (size_t)0x7fffffff)
        return NULL;
    tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, payload, (int)len);
    end = json_tokener_get_parse_end(tok);
    if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
        o = json_tokener_parse_ex(tok, "", 1); /* a bare number ends at the end */
        end = len;
    }
    *ok = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    for (; *ok && end < len; end++) /* only white space may follow */
        if (payload[end] == '\0' || strchr(" \t\r\n", payload[end]) == NULL)
            *ok = 0;
    if (!*ok) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

/* why the result is not a proxy response, or NULL */
static const char *check_keys(json_object *res)
{
    static const char *const keys[] = {"statusCode", "headers", "multiValueHeaders", "body",
                                       "isBase64Encoded"};
    json_object_object_foreach(res, key, v)
    {
        size_t i;
        (void)v;
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (strcmp(key, keys[i]) == 0)
                break;
        if (i == sizeof(keys) / sizeof(keys[0]))
            return "unknown top-level key";
    }
    return NULL;
}

/* base64 as functions produce it: white space ignored, padding optional */
static long b64_decode(rs_pool_t *pool, const char *s, size_t n, uint8_t **out)
{
    char *clean = rs_pool_alloc(pool, n + 4);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strchr(" \t\r\n", s[i]) == NULL || s[i] == '\0')
            clean[k++] = s[i];
    while (k % 4 != 0) {
        if (k % 4 == 1)
            return -1;
        clean[k++] = '=';
    }
    *out = rs_pool_alloc(pool, k / 4 * 3 + 1);
    return rs_base64_decode(clean, k, *out, k / 4 * 3 + 1);
}

static void malformed(const rs_http_req_t *req, rs_apigw_kind_t kind, const char *request_id,
                      const char *why, rs_http_resp_t *resp)
{
    rs_log(RS_LOG_WARN, req->request_id,
           "apigw: malformed Lambda proxy response (%s): answering the gateway's failure", why);
    failed(req, kind, request_id, 0, resp);
}

/* 2.0 `cookies`: each a Set-Cookie */
static const char *collect_cookies(json_object *res, headers_t *h)
{
    json_object *c = NULL;
    if (!json_object_object_get_ex(res, "cookies", &c) || c == NULL)
        return NULL;
    if (!json_object_is_type(c, json_type_array))
        return "cookies is not a list";
    for (size_t i = 0; i < json_object_array_length(c); i++) {
        const char *s;
        size_t n;
        if (header_value(json_object_array_get_idx(c, i), &s, &n) != 0)
            return "invalid cookie";
        add_pair(h, "Set-Cookie", s, n);
    }
    return NULL;
}

/* 2.0 header values may also be numbers */
static const char *collect_headers2(rs_pool_t *pool, json_object *res, headers_t *h)
{
    json_object *single = NULL;
    if (!json_object_object_get_ex(res, "headers", &single) || single == NULL)
        return NULL;
    if (!json_object_is_type(single, json_type_object))
        return "headers is not an object";
    json_object_object_foreach(single, name, v)
    {
        const char *s;
        size_t n;
        if (!name_ok(name))
            return "invalid header name";
        if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
            s = rs_pool_strndup(pool, json_object_get_string(v), strlen(json_object_get_string(v)));
            n = strlen(s);
        } else if (header_value(v, &s, &n) != 0) {
            return "invalid header value";
        }
        add_pair(h, name, s, n);
    }
    return NULL;
}

void rs_apigw_reply(const rs_http_req_t *req, rs_apigw_kind_t kind, int version,
                    const char *request_id, int function_error, int invoke_status,
                    const char *payload, size_t len, rs_http_resp_t *resp)
{
    json_object *res, *v = NULL, *body = NULL;
    headers_t *h;
    const char *why = NULL;
    int status, b64 = 0;

    if (invoke_status != 200) {
        rs_log(RS_LOG_WARN, req->request_id,
               "apigw: the Lambda API rejected the invoke (status %d)", invoke_status);
        failed(req, kind, request_id, 1, resp);
        return;
    }
    if (function_error) {
        rs_log(RS_LOG_INFO, req->request_id, "apigw: function error");
        failed(req, kind, request_id, 0, resp);
        return;
    }
    int ok;
    res = parse_result(payload, len, &ok);
    if (version == 2 && ok &&
        (!json_object_is_type(res, json_type_object) ||
         !json_object_object_get_ex(res, "statusCode", NULL))) {
        /* 2.0: valid JSON without a statusCode is the body of a 200 */
        json_object_put(res);
        resp->status = 200;
        resp->num_headers = 0;
        resp->body.len = 0;
        rs_buf_append(&resp->body, payload, len);
        rs_http_resp_header(resp, "Content-Type", "application/json");
        ids_of(req, kind, request_id, resp);
        resp->head_only = strcmp(req->method, "HEAD") == 0;
        return;
    }
    if (res == NULL || !json_object_is_type(res, json_type_object)) {
        json_object_put(res);
        malformed(req, kind, request_id, "not a JSON object", resp);
        return;
    }
    h = rs_pool_alloc(resp->pool, sizeof(*h));
    h->n = 0;
    json_object_object_get_ex(res, "statusCode", &v);
    status = status_code(v);
    if (version != 2)
        why = check_keys(res); /* 1.0: an unknown key is a malformed result */
    if (why == NULL && status < 0)
        why = "statusCode is not an HTTP status";
    if (why == NULL)
        why = version == 2 ? collect_headers2(resp->pool, res, h) : collect_headers(res, h);
    if (why == NULL && version == 2)
        why = collect_cookies(res, h);
    if (why == NULL && json_object_object_get_ex(res, "isBase64Encoded", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_boolean))
            why = "isBase64Encoded is not a boolean";
        b64 = json_object_get_boolean(v);
    }
    if (why == NULL && json_object_object_get_ex(res, "body", &body) && body != NULL &&
        !json_object_is_type(body, json_type_string))
        why = "body is not a string";
    if (why != NULL) {
        json_object_put(res);
        malformed(req, kind, request_id, why, resp);
        return;
    }

    resp->body.len = 0;
    if (body != NULL) {
        const char *s = json_object_get_string(body);
        size_t n = (size_t)json_object_get_string_len(body);
        if (b64) {
            uint8_t *dec;
            long dn = b64_decode(resp->pool, s, n, &dec);
            if (dn < 0) {
                json_object_put(res);
                rs_log(RS_LOG_WARN, req->request_id,
                       "apigw: isBase64Encoded body is not base64: answering 500");
                rs_apigw_error(req, request_id, kind == RS_APIGW_FURL ? 502 : 500,
                               kind == RS_APIGW_REST ? "InternalServerErrorException" : NULL,
                               kind == RS_APIGW_REST ? INTERNAL : "Internal Server Error", resp);
                return;
            }
            rs_buf_append(&resp->body, dec, (size_t)dn);
        } else {
            rs_buf_append(&resp->body, s, n);
        }
    }

    resp->status = status;
    resp->num_headers = 0;
    int has_type = 0;
    for (size_t i = 0; i < h->n; i++) {
        rs_http_resp_headern(resp, h->p[i].name, h->p[i].value, h->p[i].vlen);
        has_type |= strcasecmp(h->p[i].name, "content-type") == 0;
    }
    if (!has_type)
        rs_http_resp_header(resp, "Content-Type", "application/json");
    ids_of(req, kind, request_id, resp);
    resp->head_only = strcmp(req->method, "HEAD") == 0;
    json_object_put(res); /* after the headers: their names and values point into it */
}
