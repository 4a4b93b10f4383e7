/*
 * ddb_avcheck.c: AttributeValues checked as AWS checks them before any table lookup
 * (rs_ddb_av_check in rs/ddb_oprules.h): exactly one data type, sets non-empty and
 * without duplicates (numbers by value), numbers that parse, with at most 38 significant
 * digits and a magnitude in 1E-130 .. 9.99..E+125, NULL only true; maps and lists
 * recursively. Duplicates are looked for in sets of up to MAX_DUP_SET members (larger
 * sets are left to DynamoDB Local, which words that error as AWS does).
 * Runs in: workers (pure).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb_avcheck.h"
#include "rs/ddb_json.h"
#include "rs/ddb_oprules.h"

#define MAX_DUP_SET 512
#define INVALID "One or more parameter values were invalid: "

static const char *const types[] = {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"};

/* a DynamoDB number: its canonical form (sign, significant digits, exponent of the first
 * digit) in canon; 0 valid, else the message */
static const char *number(const char *s, size_t n, char *canon, size_t cap)
{
    size_t i = 0;
    int neg = 0;
    char digits[64];
    size_t nd = 0, total = 0;
    long point = -1, first = -1, last = -1;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    size_t start = i;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch == '.' && point < 0) {
            point = (long)total;
            continue;
        }
        if (ch < '0' || ch > '9')
            break;
        if (ch != '0') {
            if (first < 0)
                first = (long)total;
            last = (long)total;
        }
        if (first >= 0 && nd < sizeof(digits))
            digits[nd++] = ch;
        total++;
    }
    if (total == 0 || (i == start))
        return "bad";
    long exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9')
            return "bad";
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (exp < 100000)
                exp = exp * 10 + (s[i] - '0');
        if (eneg)
            exp = -exp;
    }
    if (i != n)
        return "bad";
    if (point < 0)
        point = (long)total;
    if (first < 0) {
        snprintf(canon, cap, "0");
        return NULL; /* zero */
    }
    long sig = last - first + 1;
    if (sig > 38)
        return "Attempting to store more than 38 significant digits in a Number";
    long mag = point - first - 1 + exp; /* the first digit's power of ten */
    if (mag > 125)
        return "Number overflow. Attempting to store a number with magnitude larger than "
               "supported range";
    if (mag < -130)
        return "Number underflow. Attempting to store a number with magnitude smaller than "
               "supported range";
    snprintf(canon, cap, "%s%.*se%ld", neg ? "-" : "", (int)sig, digits, mag);
    return NULL;
}

static int number_msg(rs_jv_t v, char *msg, size_t cap, char *canon, size_t ccap)
{
    char s[512];
    size_t n = rs_jv_str(v, s, sizeof(s));
    const char *m = n < sizeof(s) ? number(s, n, canon, ccap) : "bad";
    if (m == NULL)
        return 0;
    if (strcmp(m, "bad") != 0)
        snprintf(msg, cap, "%s", m);
    else if (n == 0)
        snprintf(msg, cap, "The parameter cannot be converted to a numeric value");
    else
        snprintf(msg, cap, "The parameter cannot be converted to a numeric value: %.200s", s);
    return 1;
}

static int set_check(int t, rs_jv_t set, char *msg, size_t cap)
{
    rs_jv_iter_t it;
    rs_jv_t e;
    size_t count = 0;
    char canon[2][80];
    rs_jv_iter(set, &it);
    while (rs_jv_next(&it, NULL, &e)) {
        count++;
        if (t == 4 && number_msg(e, msg, cap, canon[0], sizeof(canon[0])))
            return 1;
    }
    if (count == 0) {
        snprintf(msg, cap, "%s%s", INVALID,
                 t == 3   ? "An string set  may not be empty"
                 : t == 4 ? "An number set  may not be empty"
                          : "Binary sets should not be empty");
        return 1;
    }
    if (count > MAX_DUP_SET)
        return 0;
    rs_jv_iter_t a, b;
    rs_jv_t x, y;
    rs_jv_iter(set, &a);
    size_t ia = 0;
    int dup = 0;
    while (!dup && rs_jv_next(&a, NULL, &x)) {
        b = a;
        if (t == 4)
            number_msg(x, msg, cap, canon[0], sizeof(canon[0]));
        while (rs_jv_next(&b, NULL, &y)) {
            if (t == 4) {
                number_msg(y, msg, cap, canon[1], sizeof(canon[1]));
                if (strcmp(canon[0], canon[1]) == 0) {
                    dup = 1;
                    break;
                }
            } else if (rs_jv_str_same(x, y)) {
                dup = 1;
                break;
            }
        }
        ia++;
    }
    if (!dup)
        return 0;
    if (t == 4) {
        snprintf(msg, cap, "Input collection contains duplicates");
    } else if (t == 5) {
        snprintf(msg, cap, "%sInput collection of type BS contains duplicates.", INVALID);
    } else {
        /* the whole collection, as Java prints a list */
        size_t w = (size_t)snprintf(msg, cap, "%sInput collection [", INVALID);
        rs_jv_iter(set, &a);
        int k = 0;
        while (rs_jv_next(&a, NULL, &x) && w + 8 < cap) {
            char s[256];
            rs_jv_str(x, s, sizeof(s));
            w += (size_t)snprintf(msg + w, cap - w, "%s%s", k++ ? ", " : "", s);
        }
        if (w < cap)
            snprintf(msg + w, cap - w, "] contains duplicates.");
    }
    return 1;
}

/* canon: [-]digits e mag, or "0": the sign (-1, 0, 1), digits and the first digit's power */
static int canon_parts(const char *canon, const char **digits, size_t *nd, long *mag)
{
    int neg = canon[0] == '-';
    const char *d = canon + neg;
    if (strcmp(d, "0") == 0)
        return 0;
    const char *e = strchr(d, 'e');
    *digits = d;
    *nd = e != NULL ? (size_t)(e - d) : strlen(d);
    *mag = e != NULL ? strtol(e + 1, NULL, 10) : 0;
    return neg ? -1 : 1;
}

int rs_ddb_num_cmp(const char *a, size_t an, const char *b, size_t bn, int *cmp)
{
    char ca[80], cb[80];
    if (number(a, an, ca, sizeof(ca)) != NULL || number(b, bn, cb, sizeof(cb)) != NULL)
        return -1;
    const char *da = NULL, *db = NULL;
    size_t na = 0, nb = 0;
    long ma = 0, mb = 0;
    int sa = canon_parts(ca, &da, &na, &ma), sb = canon_parts(cb, &db, &nb, &mb);
    if (sa != sb) {
        *cmp = sa < sb ? -1 : 1;
        return 0;
    }
    if (sa == 0) {
        *cmp = 0;
        return 0;
    }
    int r = ma < mb ? -1 : ma > mb ? 1 : 0;
    for (size_t i = 0; r == 0 && (i < na || i < nb); i++) {
        char x = i < na ? da[i] : '0', y = i < nb ? db[i] : '0';
        r = x < y ? -1 : x > y ? 1 : 0;
    }
    *cmp = sa < 0 ? -r : r;
    return 0;
}

int rs_ddb_av_check_jv(rs_jv_t v, int depth, char *msg, size_t cap)
{
    rs_jv_iter_t it;
    rs_jv_t k, x, val = {NULL, 0};
    int found = 0, t = -1;
    if (rs_jv_type(v) != RS_JV_OBJECT)
        return 0; /* the model validator has answered for other types */
    if (depth > 64)
        return 0;
    rs_jv_iter(v, &it);
    while (rs_jv_next(&it, &k, &x)) {
        if (x.p == NULL)
            continue;
        for (int i = 0; i < (int)(sizeof(types) / sizeof(types[0])); i++)
            if (rs_jv_streq(k, types[i])) {
                found++;
                t = i;
                val = x;
                break;
            }
    }
    if (found == 0) {
        snprintf(msg, cap,
                 "Supplied AttributeValue is empty, must contain exactly one of the supported "
                 "datatypes");
        return 1;
    }
    if (found > 1) {
        snprintf(msg, cap,
                 "Supplied AttributeValue has more than one datatypes set, must contain exactly "
                 "one of the supported datatypes");
        return 1;
    }
    char canon[80];
    switch (t) {
    case 1:
        return number_msg(val, msg, cap, canon, sizeof(canon));
    case 3:
    case 4:
    case 5:
        return set_check(t, val, msg, cap);
    case 6:
    case 7:
        rs_jv_iter(val, &it);
        while (rs_jv_next(&it, t == 6 ? &k : NULL, &x))
            if (rs_ddb_av_check_jv(x, depth + 1, msg, cap))
                return 1;
        return 0;
    case 8:
        if (!rs_jv_true(val)) {
            snprintf(msg, cap, "%sNull attribute value types must have the value of true", INVALID);
            return 1;
        }
        return 0;
    default:
        return 0;
    }
}

int rs_ddb_av_check(const char *av, size_t len, char *msg, size_t cap)
{
    return rs_ddb_av_check_jv(rs_jv_parse(av, len), 0, msg, cap);
}

int rs_ddb_item_check(rs_jv_t item, char *msg, size_t cap)
{
    rs_jv_iter_t it;
    rs_jv_t k, x;
    rs_jv_iter(item, &it);
    while (rs_jv_next(&it, &k, &x))
        if (rs_ddb_av_check_jv(x, 0, msg, cap))
            return 1;
    return 0;
}

int rs_ddb_key_check(rs_jv_t key, char *msg, size_t cap)
{
    rs_jv_iter_t it;
    rs_jv_t k, x;
    if (rs_ddb_item_check(key, msg, cap))
        return 1;
    rs_jv_iter(key, &it);
    while (rs_jv_next(&it, &k, &x)) {
        rs_jv_t s = rs_jv_get(x, "S");
        if (rs_jv_type(s) == RS_JV_STRING && s.n == 2) {
            char name[300];
            rs_jv_str(k, name, sizeof(name));
            snprintf(msg, cap,
                     "One or more parameter values are not valid. The AttributeValue for a key "
                     "attribute cannot contain an empty string value. Key: %s",
                     name);
            return 1;
        }
    }
    return 0;
}
