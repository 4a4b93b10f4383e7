/*
 * apigw_route.c: how well a resource path or route path template matches a request path
 * (rs_apigw_match, rs/apigw.h): literal segments, {param} (one non-empty segment) and a
 * final greedy {name+} (one or more segments); the rank orders matches the way API Gateway
 * picks the most specific one (segment by segment: literal > {param} > {name+}).
 * Runs in: the lambda supervisor and unit tests (pure).
 */
#include "config.h"

#include <string.h>

#include "rs/apigw.h"

#define RANK_SEGS 20 /* segments that count in the rank (2 bits each) */

/* the next '/'-separated segment of [*p, end): its start and length; *p moves past it */
static const char *next_seg(const char **p, const char *end, size_t *n)
{
    const char *s = *p, *slash = memchr(s, '/', (size_t)(end - s));
    const char *e = slash != NULL ? slash : end;
    *n = (size_t)(e - s);
    *p = slash != NULL ? slash + 1 : end;
    return s;
}

long rs_apigw_match(rs_pool_t *pool, const char *tmpl, const char *path, rs_apigw_kv_t *params,
                    size_t *nparams)
{
    const char *tp = tmpl[0] == '/' ? tmpl + 1 : tmpl, *tend = tmpl + strlen(tmpl);
    const char *pp = path[0] == '/' ? path + 1 : path, *pend = path + strlen(path);
    long rank = 0;
    size_t np = 0, seg = 0;

    if (pend > pp && pend[-1] == '/')
        pend--; /* "/items/" is "/items"; the root stays the root */
    if (nparams != NULL)
        *nparams = 0;
    while (tp < tend) {
        size_t tn, pn;
        const char *ts = next_seg(&tp, tend, &tn);
        int param = tn >= 2 && ts[0] == '{' && ts[tn - 1] == '}';
        int greedy = param && tn >= 3 && ts[tn - 2] == '+';
        int score;
        if (pp >= pend)
            return -1; /* the path ended first */
        if (greedy) {
            if (tp < tend)
                return -1; /* {name+} must be the last segment */
            pn = (size_t)(pend - pp);
            if (params != NULL && np < RS_APIGW_MAX_PARAMS) {
                params[np].name = rs_pool_strndup(pool, ts + 1, tn - 3);
                params[np].value = rs_pool_strndup(pool, pp, pn);
                np++;
            }
            pp = pend;
            score = 1;
        } else {
            const char *ps = next_seg(&pp, pend, &pn);
            if (param) {
                if (pn == 0)
                    return -1;
                if (params != NULL && np < RS_APIGW_MAX_PARAMS) {
                    params[np].name = rs_pool_strndup(pool, ts + 1, tn - 2);
                    params[np].value = rs_pool_strndup(pool, ps, pn);
                    np++;
                }
                score = 2;
            } else {
                if (pn != tn || memcmp(ps, ts, tn) != 0)
                    return -1;
                score = 3;
            }
        }
        if (seg < RANK_SEGS)
            rank |= (long)score << (2 * (RANK_SEGS - 1 - seg));
        seg++;
    }
    if (pp < pend)
        return -1; /* path segments left over */
    if (nparams != NULL)
        *nparams = np;
    return rank + 1;
}
