/*
 * msg.c: the meta of each IPC message kind (rs/ipc.h) as a C struct and its one JSON
 * codec: DynamoDB and Lambda requests (worker -> supervisor), responses (supervisor ->
 * worker). Runs in: workers (encode requests, decode responses) and supervisors (decode
 * requests, encode responses).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/codec.h"
#include "rs/err.h"
#include "rs/http.h"
#include "rs/ipc.h"

#define TO_JSON (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* the object's text, malloc'd; the object is released */
static char *finish(json_object *o, size_t *len)
{
    size_t n = 0;
    const char *s = o != NULL ? json_object_to_json_string_length(o, TO_JSON, &n) : NULL;
    char *out = s != NULL ? malloc(n + 1) : NULL;
    if (out != NULL) {
        memcpy(out, s, n + 1);
        *len = n;
    }
    json_object_put(o);
    return out;
}

/* The request encoders write JSON text by hand, byte for byte what json-c prints with
 * TO_JSON (the decoders and the supervisors' responses use json-c): no json objects, and
 * the text lands in the caller's buffer (a worker's request pool) without a copy. */
typedef struct out {
    char *buf;
    size_t cap, len; /* len: the whole text's, even past cap */
} out_t;

static void emit(out_t *o, const char *s, size_t n)
{
    if (o->len < o->cap)
        memcpy(o->buf + o->len, s, n < o->cap - o->len ? n : o->cap - o->len);
    o->len += n;
}

/* s as a JSON string, escaped as json-c does: \" \\ \b \f \n \r \t, other control
 * characters as \u00xx, '/' and bytes >= 0x7f as they are */
static void quoted(out_t *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef", esc[] = "\"\\\b\f\n\r\t", as[] = "\"\\bfnrt";
    size_t run = 0;
    emit(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        const char *hit = memchr(esc, c, sizeof(esc) - 1);
        char e[6] = {'\\', hit != NULL ? as[hit - esc] : 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        emit(o, s + run, i - run);
        emit(o, e, hit != NULL ? 2 : 6);
        run = i + 1;
    }
    emit(o, s + run, n - run);
    emit(o, "\"", 1);
}

/* sep "key":"value" (NULL value: "") */
static void member(out_t *o, char sep, const char *k, const char *v)
{
    emit(o, &sep, 1);
    quoted(o, k, strlen(k));
    emit(o, ":", 1);
    quoted(o, v != NULL ? v : "", v != NULL ? strlen(v) : 0);
}

/* close the object, NUL-terminate what fits; the text's length */
static size_t done(out_t *o)
{
    emit(o, "}", 1);
    if (o->cap > 0)
        o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
    return o->len;
}

/* a string member, "" when missing or not a string */
static const char *get(json_object *o, const char *k)
{
    json_object *v;
    if (o != NULL && json_object_object_get_ex(o, k, &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return "";
}

static json_object *parse(const char *meta, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = tok != NULL ? json_tokener_parse_ex(tok, meta, (int)len) : NULL;
    if (tok != NULL)
        json_tokener_free(tok);
    if (o != NULL && !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    return o;
}

/* ---- flat metas read in place, without json-c ------------------------------------- */

static char *skip_ws(char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int hex4(const char *p, const char *e, unsigned *out)
{
    unsigned v = 0;
    if (e - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15)
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* the JSON string whose opening quote is at p, unescaped in place (never longer than its
 * text) and NUL-terminated: *s and *n; returns the byte after the closing quote, or NULL
 * (unterminated, a raw control character, a bad escape, \u0000 or a lone surrogate) */
static char *unquote(char *p, const char *e, char **s, size_t *n)
{
    char *r = p + 1, *w = p + 1;
    while (r < e) {
        unsigned char c = (unsigned char)*r;
        if (c == '"') {
            *w = '\0';
            *s = p + 1;
            *n = (size_t)(w - (p + 1));
            return r + 1;
        }
        if (c < 0x20)
            return NULL;
        if (c != '\\') {
            *w++ = *r++;
            continue;
        }
        if (++r >= e)
            return NULL;
        const char *hit = strchr("\"\\/bfnrt", *r);
        if (*r != 'u') {
            if (hit == NULL || *r == '\0')
                return NULL;
            *w++ = "\"\\/\b\f\n\r\t"[hit - "\"\\/bfnrt"];
            r++;
            continue;
        }
        unsigned cp, lo;
        if (hex4(r + 1, e, &cp) != 0 || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
            return NULL;
        r += 5;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (e - r < 6 || r[0] != '\\' || r[1] != 'u' || hex4(r + 2, e, &lo) != 0 ||
                lo < 0xDC00 || lo > 0xDFFF)
                return NULL;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            r += 6;
        }
        w += rs_utf8_encode(cp, w);
    }
    return NULL;
}

/* the members of a flat object {"k":"v",...} from p (at '{'); fn sees each; returns the
 * byte after the closing brace, or NULL (not that shape, or fn said no) */
typedef int (*member_fn)(void *arg, const char *k, size_t kn, char *v, size_t vn);

static char *flat_object(char *p, const char *e, member_fn fn, void *arg)
{
    if (p >= e || *p != '{')
        return NULL;
    p = skip_ws(p + 1, e);
    if (p < e && *p == '}')
        return p + 1;
    for (;;) {
        char *k, *v;
        size_t kn, vn;
        p = p < e && *p == '"' ? unquote(p, e, &k, &kn) : NULL;
        p = p != NULL ? skip_ws(p, e) : NULL;
        if (p == NULL || p >= e || *p != ':')
            return NULL;
        p = skip_ws(p + 1, e);
        p = p < e && *p == '"' ? unquote(p, e, &v, &vn) : NULL;
        if (p == NULL || fn(arg, k, kn, v, vn) != 0)
            return NULL;
        p = skip_ws(p, e);
        if (p < e && *p == '}')
            return p + 1;
        if (p >= e || *p != ',')
            return NULL;
        p = skip_ws(p + 1, e);
    }
}

size_t rs_ipc_ddb_req_encode(const rs_ipc_ddb_req_t *r, char *buf, size_t cap)
{
    out_t o = {buf, cap, 0};
    member(&o, '{', "target", r->target);
    member(&o, ',', "account", r->account);
    member(&o, ',', "region", r->region);
    member(&o, ',', "request_id", r->request_id);
    member(&o, ',', "content_type", r->content_type);
    member(&o, ',', "access_key", r->access_key);
    return done(&o);
}

static int ddb_member(void *arg, const char *k, size_t kn, char *v, size_t vn)
{
    static const char *const keys[] = {"target",     "account",      "region",
                                       "request_id", "content_type", "access_key"};
    const char **out = arg;
    (void)kn;
    (void)vn;
    for (size_t i = 0; i < 6; i++)
        if (strcmp(k, keys[i]) == 0)
            out[i] = v;
    return 0;
}

int rs_ipc_ddb_req_decode(char *meta, size_t len, rs_ipc_ddb_req_t *r)
{
    const char *v[6] = {"", "", "", "", "", ""};
    const char *e = meta + len;
    char *p = flat_object(skip_ws(meta, e), e, ddb_member, v);
    int ok = p != NULL && skip_ws(p, e) == e;
    *r = (rs_ipc_ddb_req_t){v[0], v[1], v[2], v[3], v[4], v[5]};
    return ok && r->target[0] && r->account[0] && r->region[0] ? 0 : RS_EINVAL;
}

size_t rs_ipc_lambda_req_encode(const rs_ipc_lambda_req_t *r, char *buf, size_t cap)
{
    out_t o = {buf, cap, 0};
    member(&o, '{', "method", r->method);
    member(&o, ',', "path", r->path);
    member(&o, ',', "query", r->query);
    emit(&o, ",\"headers\":", 11);
    char sep = '{';
    if (r->headers != NULL) {
        json_object_object_foreach(r->headers, k, v)
        {
            int str = json_object_is_type(v, json_type_string);
            const char *t =
                str ? json_object_get_string(v) : json_object_to_json_string_ext(v, TO_JSON);
            emit(&o, &sep, 1);
            quoted(&o, k, strlen(k));
            emit(&o, ":", 1);
            if (str)
                quoted(&o, t, (size_t)json_object_get_string_len(v));
            else
                emit(&o, t, strlen(t));
            sep = ',';
        }
    }
    emit(&o, sep == '{' ? "{}" : "}", sep == '{' ? 2 : 1);
    member(&o, ',', "account", r->account);
    member(&o, ',', "region", r->region);
    member(&o, ',', "request_id", r->request_id);
    member(&o, ',', "log_id", r->log_id);
    member(&o, ',', "access_key", r->access_key);
    if (r->service != NULL && r->service[0])
        member(&o, ',', "service", r->service);
    if (r->service != NULL && strcmp(r->service, "gateway") == 0) {
        char num[16];
        emit(&o, ",\"hdrs\":[", 9);
        for (size_t i = 0; i < r->nhdrs; i++) {
            emit(&o, i > 0 ? ",[" : "[", i > 0 ? 2 : 1);
            quoted(&o, r->hdrs[i].name, r->hdrs[i].name_len);
            emit(&o, ",", 1);
            quoted(&o, r->hdrs[i].value, r->hdrs[i].value_len);
            emit(&o, "]", 1);
        }
        emit(&o, "]", 1);
        member(&o, ',', "host", r->host);
        member(&o, ',', "source_ip", r->source_ip);
        int n = snprintf(num, sizeof(num), "%d", r->port);
        emit(&o, ",\"port\":", 8);
        emit(&o, num, (size_t)n);
        emit(&o, r->signed_ok ? ",\"signed_ok\":true" : ",\"signed_ok\":false",
             r->signed_ok ? 17 : 18);
    }
    return done(&o);
}

int rs_ipc_lambda_req_decode(const char *meta, size_t len, json_object **root,
                             rs_ipc_lambda_req_t *r)
{
    json_object *o = *root = parse(meta, len), *h = NULL;
    if (o != NULL && json_object_object_get_ex(o, "headers", &h) &&
        !json_object_is_type(h, json_type_object))
        h = NULL;
    *r = (rs_ipc_lambda_req_t){
        get(o, "method"),    get(o, "path"),   get(o, "query"),      h,
        get(o, "account"),   get(o, "region"), get(o, "request_id"), get(o, "log_id"),
        get(o, "access_key")};
    json_object *v;
    r->service = get(o, "service")[0] ? get(o, "service") : "lambda";
    if (o != NULL && json_object_object_get_ex(o, "hdrs", &v) &&
        json_object_is_type(v, json_type_array))
        r->header_list = v;
    r->host = get(o, "host");
    r->source_ip = get(o, "source_ip");
    if (o != NULL && json_object_object_get_ex(o, "port", &v) &&
        json_object_is_type(v, json_type_int))
        r->port = json_object_get_int(v);
    r->signed_ok =
        o != NULL && json_object_object_get_ex(o, "signed_ok", &v) && json_object_get_boolean(v);
    return o != NULL && r->method[0] && r->path[0] && r->account[0] && r->region[0] ? 0 : RS_EINVAL;
}

char *rs_ipc_resp_encode(const rs_ipc_resp_t *r, size_t *len)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_int(r->status));
    json_object_object_add(
        o, "headers", r->headers != NULL ? json_object_get(r->headers) : json_object_new_object());
    return finish(o, len);
}

size_t rs_ipc_resp_encode_kv(int status, const char *const *kv, size_t nkv, char *buf, size_t cap)
{
    out_t o = {buf, cap, 0};
    char num[16], *p = num + sizeof(num);
    unsigned v = status < 0 ? 0u : (unsigned)status; /* decimal by hand: once per answer */
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    emit(&o, "{\"status\":", 10);
    emit(&o, p, (size_t)(num + sizeof(num) - p));
    emit(&o, ",\"headers\":", 11);
    for (size_t i = 0; i < nkv; i++)
        member(&o, i == 0 ? '{' : ',', kv[2 * i], kv[2 * i + 1]);
    emit(&o, nkv == 0 ? "{}" : "}", nkv == 0 ? 2 : 1);
    return done(&o);
}

int rs_ipc_resp_decode(const char *meta, size_t len, json_object **root, rs_ipc_resp_t *r)
{
    json_object *o = *root = parse(meta, len), *st = NULL, *h = NULL;
    r->status = 0;
    r->headers = NULL;
    if (o != NULL && json_object_object_get_ex(o, "status", &st) &&
        json_object_is_type(st, json_type_int))
        r->status = json_object_get_int(st);
    int bad_headers = o != NULL && json_object_object_get_ex(o, "headers", &h) &&
                      !json_object_is_type(h, json_type_object);
    if (r->status < 100 || r->status > 599 || bad_headers) {
        json_object_put(o);
        *root = NULL;
        return RS_EINVAL;
    }
    r->headers = h;
    return 0;
}

typedef struct hdr_sink {
    rs_hdr_t *h;
    size_t max, n;
} hdr_sink_t;

static int hdr_member(void *arg, const char *k, size_t kn, char *v, size_t vn)
{
    hdr_sink_t *o = arg;
    if (o->n >= o->max)
        return -1;
    o->h[o->n++] = (rs_hdr_t){k, kn, v, vn};
    return 0;
}

int rs_ipc_resp_decode_flat(char *meta, size_t len, int *status, rs_hdr_t *hdrs, size_t max,
                            size_t *nhdrs)
{
    const char *e = meta + len;
    hdr_sink_t o = {hdrs, max, 0};
    int st = -1, seen_headers = 0;
    char *p = skip_ws(meta, e);
    if (p >= e || *p != '{')
        return RS_EINVAL;
    p = skip_ws(p + 1, e);
    while (p < e && *p != '}') {
        char *k;
        size_t kn;
        p = *p == '"' ? unquote(p, e, &k, &kn) : NULL;
        p = p != NULL ? skip_ws(p, e) : NULL;
        if (p == NULL || p >= e || *p != ':')
            return RS_EINVAL;
        p = skip_ws(p + 1, e);
        if (strcmp(k, "status") == 0 && st < 0) {
            st = 0;
            while (p < e && *p >= '0' && *p <= '9' && st < 1000)
                st = st * 10 + (*p++ - '0');
        } else if (strcmp(k, "headers") == 0 && !seen_headers) {
            seen_headers = 1;
            p = flat_object(p, e, hdr_member, &o);
        } else {
            return RS_EINVAL;
        }
        p = p != NULL ? skip_ws(p, e) : NULL;
        if (p == NULL || p >= e)
            return RS_EINVAL;
        if (*p == ',')
            p = skip_ws(p + 1, e);
        else if (*p != '}')
            return RS_EINVAL;
    }
    if (p >= e || skip_ws(p + 1, e) != e || st < 100 || st > 599)
        return RS_EINVAL;
    *status = st;
    *nhdrs = o.n;
    return 0;
}
