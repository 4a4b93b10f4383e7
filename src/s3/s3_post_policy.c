/*
 * s3_post_policy.c: the policy document of an S3 POST object form (base64 JSON with
 * `expiration` and `conditions`), decoded and enforced as S3 does: the document's shape
 * (InvalidPolicyDocument "Invalid Policy: ..."), then its expiration, then each condition
 * in order ({"field": "value"}, ["eq", "$f", v], ["starts-with", "$f", prefix],
 * ["content-length-range", min, max]; `bucket` is the bucket posted to), then every form
 * field not exempt must be named by a condition. Runs in: workers.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "rs/codec.h"
#include "s3/s3_post_int.h"

#define POLICY_MAX_DEPTH 8

static int invalid(rs_s3_call_t *c, const char *detail)
{
    rs_s3_fail(c, RS_S3E_InvalidPolicyDocument,
               rs_pool_printf(c->pool, "Invalid Policy: %s", detail), NULL);
    return -1;
}

static int denied(rs_s3_call_t *c, const char *detail)
{
    rs_s3_fail(c, RS_S3E_AccessDenied,
               rs_pool_printf(c->pool, "Invalid according to Policy: %s", detail), NULL);
    return -1;
}

/* "2007-12-01T12:00:00.000Z" or without the fraction -> milliseconds; -1 when not that */
static int parse_expiration(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, n = 0;
    struct tm tm;
    long frac = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
        return -1;
    s += 19;
    if (*s == '.') {
        int digits = 0;
        s++;
        while (isdigit((unsigned char)*s)) {
            if (digits < 3)
                frac = frac * 10 + (*s - '0');
            digits++, s++;
        }
        if (digits == 0)
            return -1;
        while (digits < 3)
            frac *= 10, digits++;
    }
    if (strcmp(s, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
    tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
    *ms = (int64_t)timegm(&tm) * 1000 + frac;
    return 0;
}

/* a condition as S3 prints it: ["op", "a", "b"], every element quoted */
static void print_elem(rs_buf_t *b, json_object *v)
{
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                             : json_object_to_json_string(v);
    rs_buf_appends(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            rs_buf_append(b, "\\", 1);
        rs_buf_append(b, s, 1);
    }
    rs_buf_appends(b, "\"");
}

static int failed(rs_s3_call_t *c, json_object *cond)
{
    rs_buf_t b;
    rs_buf_init(&b);
    rs_buf_appends(&b, "Policy Condition failed: [");
    if (json_object_is_type(cond, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(cond); i++) {
            if (i > 0)
                rs_buf_appends(&b, ", ");
            print_elem(&b, json_object_array_get_idx(cond, i));
        }
    } else {
        json_object_object_foreach(cond, k, v)
        {
            rs_buf_appends(&b, "\"eq\", ");
            json_object *name = json_object_new_string(rs_pool_printf(c->pool, "$%s", k));
            print_elem(&b, name);
            json_object_put(name);
            rs_buf_appends(&b, ", ");
            print_elem(&b, v);
        }
    }
    rs_buf_appends(&b, "]");
    int rc = denied(c, rs_pool_strndup(c->pool, b.data, b.len));
    rs_buf_free(&b);
    return rc;
}

/* the value a condition names: "$name" (case-insensitive) -> the form field or the
 * bucket; NULL when the name has no '$' (the condition then fails) */
static const char *named_value(rs_s3_call_t *c, const rs_s3_form_t *form, const char *name,
                               int dollar)
{
    if (dollar) {
        if (name[0] != '$')
            return NULL;
        name++;
    }
    if (strcasecmp(name, "bucket") == 0)
        return c->bucket;
    char *l = rs_pool_strndup(c->pool, name, strlen(name));
    for (char *p = l; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const rs_s3_form_field_t *f = rs_s3_form_get(form, l);
    return f != NULL ? f->value : "";
}

static const char *str_of(json_object *v)
{
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                    : json_object_to_json_string(v);
}

/* starts-with; for Content-Type every comma-separated value must start with the prefix */
static int starts_with(const char *field, const char *value, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (pl == 0)
        return 1;
    if (strcasecmp(field, "$content-type") != 0)
        return strncmp(value, prefix, pl) == 0;
    for (;;) {
        while (*value == ' ')
            value++;
        if (strncmp(value, prefix, pl) != 0)
            return 0;
        value = strchr(value, ',');
        if (value == NULL)
            return 1;
        value++;
    }
}

static int number_of(json_object *v, int64_t *out)
{
    const char *s = str_of(v);
    char *end;
    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string) || *s == '\0')
        return -1;
    long long n = strtoll(s, &end, 10);
    if (*end != '\0')
        return -1;
    *out = n;
    return 0;
}

/* 1: holds; 0: fails (the caller renders it); -1: rendered (EntityTooSmall/Large) */
static int holds(rs_s3_call_t *c, const rs_s3_form_t *form, json_object *cond)
{
    if (json_object_is_type(cond, json_type_object)) {
        json_object_object_foreach(cond, k, v)
        {
            const char *have = named_value(c, form, k, 0);
            return strcmp(have, str_of(v)) == 0;
        }
        return 0;
    }
    const char *op = json_object_get_string(json_object_array_get_idx(cond, 0));
    json_object *a = json_object_array_get_idx(cond, 1), *b = json_object_array_get_idx(cond, 2);
    if (strcasecmp(op, "content-length-range") == 0) {
        int64_t lo, hi;
        char ps[32], ls[32];
        if (number_of(a, &lo) != 0 || number_of(b, &hi) != 0)
            return 0;
        snprintf(ps, sizeof ps, "%llu", (unsigned long long)form->size);
        if (lo > 0 && form->size < (uint64_t)lo) {
            snprintf(ls, sizeof ls, "%lld", (long long)lo);
            rs_s3_fail(c, RS_S3E_EntityTooSmall, NULL, "ProposedSize", ps, "MinSizeAllowed", ls,
                       NULL);
            return -1;
        }
        if (hi < 0 || form->size > (uint64_t)hi) {
            snprintf(ls, sizeof ls, "%lld", (long long)hi);
            rs_s3_fail(c, RS_S3E_EntityTooLarge, NULL, "ProposedSize", ps, "MaxSizeAllowed", ls,
                       NULL);
            return -1;
        }
        return 1;
    }
    const char *field = str_of(a);
    const char *have = named_value(c, form, field, 1);
    if (have == NULL)
        return 0;
    if (strcasecmp(op, "eq") == 0)
        return strcmp(have, str_of(b)) == 0;
    return starts_with(field, have, str_of(b));
}

/* the document's shape; renders InvalidPolicyDocument */
static int shape_ok(rs_s3_call_t *c, json_object *conds)
{
    for (size_t i = 0; i < json_object_array_length(conds); i++) {
        json_object *cond = json_object_array_get_idx(conds, i);
        if (json_object_is_type(cond, json_type_object)) {
            if (json_object_object_length(cond) != 1)
                return invalid(c, "Invalid Simple-Condition: Simple-Conditions must have exactly "
                                  "one property specified.");
            json_object_object_foreach(cond, k, v)
            {
                (void)k;
                if (!json_object_is_type(v, json_type_string))
                    return invalid(c, "Invalid Simple-Condition: value must be a string.");
            }
            continue;
        }
        if (!json_object_is_type(cond, json_type_array))
            return invalid(c, "Invalid condition test: must be a List or Object.");
        json_object *op = json_object_array_get_idx(cond, 0);
        if (op == NULL || !json_object_is_type(op, json_type_string))
            return invalid(c, "Invalid Condition: missing operation identifier.");
        const char *o = json_object_get_string(op);
        if (strcasecmp(o, "eq") != 0 && strcasecmp(o, "starts-with") != 0 &&
            strcasecmp(o, "content-length-range") != 0)
            return invalid(
                c, rs_pool_printf(c->pool, "Invalid Condition: unknown operation '%s'.", o));
        if (json_object_array_length(cond) != 3)
            return invalid(c, rs_pool_printf(c->pool, "Invalid %s: wrong number of arguments.", o));
    }
    return 0;
}

static int exempt(const char *lname)
{
    return strcmp(lname, "policy") == 0 || strcmp(lname, "x-amz-signature") == 0 ||
           strcmp(lname, "signature") == 0 || strcmp(lname, "awsaccesskeyid") == 0 ||
           strcmp(lname, "file") == 0 || strncmp(lname, "x-ignore-", 9) == 0;
}

/* whether a condition names the field */
static int covered(json_object *conds, const char *lname)
{
    for (size_t i = 0; i < json_object_array_length(conds); i++) {
        json_object *cond = json_object_array_get_idx(conds, i);
        const char *name = NULL;
        if (json_object_is_type(cond, json_type_object)) {
            json_object_object_foreach(cond, k, v)
            {
                (void)v;
                name = k;
            }
        } else {
            const char *op = json_object_get_string(json_object_array_get_idx(cond, 0));
            if (strcasecmp(op, "content-length-range") == 0)
                continue;
            name = str_of(json_object_array_get_idx(cond, 1));
            if (name[0] != '$')
                continue;
            name++;
        }
        if (name != NULL && strcasecmp(name, lname) == 0)
            return 1;
    }
    return 0;
}

static int check(rs_s3_call_t *c, const rs_s3_form_t *form, json_object *doc)
{
    json_object *exp, *conds;
    int64_t exp_ms;
    if (!json_object_is_type(doc, json_type_object))
        return invalid(c, "Invalid JSON.");
    if (!json_object_object_get_ex(doc, "expiration", &exp))
        return invalid(c, "Policy missing expiration.");
    if (!json_object_is_type(exp, json_type_string) ||
        parse_expiration(json_object_get_string(exp), &exp_ms) != 0)
        return invalid(c, rs_pool_printf(c->pool, "Invalid 'expiration' value: '%s'", str_of(exp)));
    if (!json_object_object_get_ex(doc, "conditions", &conds))
        return invalid(c, "Policy missing conditions.");
    if (!json_object_is_type(conds, json_type_array))
        return invalid(c, "Invalid 'conditions' value: must be a List.");
    if (shape_ok(c, conds) != 0)
        return -1;
    if (exp_ms <= c->now_ms)
        return denied(c, "Policy expired.");
    for (size_t i = 0; i < json_object_array_length(conds); i++) {
        json_object *cond = json_object_array_get_idx(conds, i);
        int h = holds(c, form, cond);
        if (h < 0)
            return -1;
        if (h == 0)
            return failed(c, cond);
    }
    for (size_t i = 0; i < form->n; i++)
        if (!exempt(form->f[i].lname) && !covered(conds, form->f[i].lname))
            return denied(c, rs_pool_printf(c->pool, "Extra input fields: %s", form->f[i].name));
    return 0;
}

int rs_s3_post_policy_check(rs_s3_call_t *c, const rs_s3_form_t *form, const char *policy,
                            size_t policy_len)
{
    uint8_t *raw = rs_pool_alloc(c->pool, policy_len + 1);
    long n = rs_base64_decode(policy, policy_len, raw, policy_len + 1);
    if (n < 0)
        return invalid(c, "invalid Base64 encoding.");
    if (n == 0)
        return invalid(c, "Expecting '{' but found End-of-Input");
    json_tokener *tok = json_tokener_new_ex(POLICY_MAX_DEPTH);
    if (tok == NULL) {
        rs_s3_fail(c, RS_S3E_InternalError, NULL, NULL);
        return -1;
    }
    json_object *doc = json_tokener_parse_ex(tok, (const char *)raw, (int)n);
    int bad = doc == NULL || json_tokener_get_error(tok) != json_tokener_success;
    for (size_t i = bad ? (size_t)n : json_tokener_get_parse_end(tok); i < (size_t)n; i++)
        bad = bad || !isspace(raw[i]);
    json_tokener_free(tok);
    if (bad) {
        json_object_put(doc);
        return invalid(c, "Invalid JSON.");
    }
    int rc = check(c, form, doc);
    json_object_put(doc);
    return rc;
}
