/*
 * apigw_addr.c: an invoke address split into API id, stage and path (an execute-api Host,
 * /_aws/execute-api or /restapis), and the integration when the api id names no API but a
 * function (rs_apigw_resolve; rs/apigw.h).
 * Runs in: the lambda supervisor and unit tests (pure).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rs/apigw.h"
#include "rs/err.h"

#define SLEN(s) (sizeof(s) - 1)

static const char user_request[] = "_user_request_";

/* ---- address ----------------------------------------------------------------------- */

static const char *decode_seg(rs_pool_t *pool, const char *s, size_t n)
{
    char *d;
    size_t len;
    if (rs_pct_decode(pool, s, n, &d, &len) != 0 || len == 0 || strlen(d) != len)
        return NULL; /* bad escape, empty, or an escaped NUL */
    return d;
}

/* "<stage>[/<rest>]" at p: the decoded stage, *rem the raw remainder ("" or "/...") */
static const char *stage_seg(rs_pool_t *pool, const char *p, const char *end, const char **rem)
{
    const char *slash = memchr(p, '/', (size_t)(end - p));
    *rem = slash != NULL ? slash : end;
    return *rem > p ? decode_seg(pool, p, (size_t)(*rem - p)) : NULL;
}

/* the form's api id, stage and raw remainder; 0 or RS_EINVAL */
static int split_address(rs_pool_t *pool, const rs_route_t *route, rs_apigw_target_t *t,
                         const char **rem, const char **end)
{
    const char *p = route->rest;
    if (p == NULL)
        return RS_EINVAL;
    *end = p + route->rest_len;
    if (route->apigw_form == RS_APIGW_HOST) {
        if (route->api_id == NULL || route->api_id_len == 0 || p == *end || *p != '/')
            return RS_EINVAL;
        t->api_id = rs_pool_strndup(pool, route->api_id, route->api_id_len);
        if (route->api_region != NULL)
            t->api_region = rs_pool_strndup(pool, route->api_region, route->api_region_len);
        t->stage = stage_seg(pool, p + 1, *end, rem);
        return t->stage != NULL ? 0 : RS_EINVAL;
    }
    const char *s1 = memchr(p, '/', (size_t)(*end - p));
    if (s1 == NULL || s1 == p)
        return RS_EINVAL;
    t->api_id = decode_seg(pool, p, (size_t)(s1 - p));
    t->stage = stage_seg(pool, s1 + 1, *end, rem);
    if (t->api_id == NULL || t->stage == NULL)
        return RS_EINVAL;
    if (route->apigw_form == RS_APIGW_PATH)
        return 0;
    /* /restapis/<id>/<stage>/_user_request_[/...] */
    const char *u = *rem;
    if (u == *end || (size_t)(*end - u - 1) < SLEN(user_request) ||
        memcmp(u + 1, user_request, SLEN(user_request)) != 0)
        return RS_EINVAL;
    u += 1 + SLEN(user_request);
    if (u < *end && *u != '/')
        return RS_EINVAL;
    *rem = u;
    return 0;
}

int rs_apigw_parse(const rs_http_req_t *req, const rs_route_t *route, rs_apigw_target_t *t)
{
    rs_pool_t *pool = req->pool;
    const char *rem, *end;

    memset(t, 0, sizeof(*t));
    if (split_address(pool, route, t, &rem, &end) != 0)
        return RS_EINVAL;
    rs_apigw_set_path(pool, t, rem, (size_t)(end - rem));
    return rs_apigw_resolve(pool, req->method, req->region, req->account, t);
}

void rs_apigw_set_path(rs_pool_t *pool, rs_apigw_target_t *t, const char *rem, size_t rlen)
{
    t->path = rlen == 0 ? rs_pool_strndup(pool, "/", 1) : rs_pool_strndup(pool, rem, rlen);
    t->stage_path = rs_pool_printf(pool, "/%s%.*s", t->stage, (int)rlen, rem);
}

/* ---- integration ------------------------------------------------------------------- */

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n > 0;
}

/* A function ARN "arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]"
 * or a partial one "<account>:function:<name>[:<qualifier>]": its region (NULL for the
 * partial form) and account into the pool; 1 when fn is one of those. */
int rs_apigw_function_arn(rs_pool_t *pool, const char *fn, const char **region,
                          const char **account)
{
    const char *f[9];
    size_t len[9], n = 0;
    for (const char *p = fn;; n++) {
        const char *c = strchr(p, ':');
        if (n == 9)
            return 0;
        f[n] = p;
        len[n] = c != NULL ? (size_t)(c - p) : strlen(p);
        if (c == NULL) {
            n++;
            break;
        }
        p = c + 1;
    }
#define IS(i, lit) (len[i] == SLEN(lit) && memcmp(f[i], lit, SLEN(lit)) == 0)
    if ((n == 7 || n == 8) && IS(0, "arn") && IS(2, "lambda") && IS(5, "function") && len[3] > 0 &&
        len[4] == 12 && all_digits(f[4], 12) && len[6] > 0) {
        *region = rs_pool_strndup(pool, f[3], len[3]);
        *account = rs_pool_strndup(pool, f[4], 12);
        return 1;
    }
    if ((n == 3 || n == 4) && len[0] == 12 && all_digits(f[0], 12) && IS(1, "function") &&
        len[2] > 0) {
        *region = NULL;
        *account = rs_pool_strndup(pool, f[0], 12);
        return 1;
    }
#undef IS
    return 0;
}

int rs_apigw_resolve(rs_pool_t *pool, const char *method, const char *region, const char *account,
                     rs_apigw_target_t *t)
{
    const char *fn_region = NULL, *fn_account = NULL;
    (void)method; /* every method goes to the function */

    /* today's rule: the api id names the function */
    t->function = t->api_id;
    rs_apigw_function_arn(pool, t->function, &fn_region, &fn_account);
    if (fn_region == NULL)
        fn_region = t->api_region != NULL ? t->api_region : region != NULL ? region : "";
    if (fn_account == NULL)
        fn_account = account != NULL ? account : "";
    /* copies: the caller's strings may be overwritten with these */
    t->region = rs_pool_strndup(pool, fn_region, strlen(fn_region));
    t->account = rs_pool_strndup(pool, fn_account, strlen(fn_account));

    /* pathParameters.proxy: the path without its leading '/' and one trailing '/' (AWS
     * gives {"proxy": "test-path"} for "/test-path/") */
    if (t->path == NULL || t->path[0] != '/')
        t->path = "/";
    size_t plen = strlen(t->path) - 1;
    const char *pp = t->path + 1;
    if (plen > 0 && pp[plen - 1] == '/')
        plen--;
    t->version = 1;
    t->nparams = 0;
    if (plen == 0) {
        t->resource = "/";
    } else {
        t->resource = "/{proxy+}";
        t->params[0].name = "proxy";
        t->params[0].value = rs_pool_strndup(pool, pp, plen);
        t->nparams = 1;
    }
    return 0;
}
