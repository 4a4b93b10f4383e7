/*
 * date.c: HTTP dates (IMF-fixdate, RFC 850, asctime), ISO 8601 with milliseconds, the
 * SigV4 basic format (20261123T220148Z) and the wall clock. Runs in: every process.
 * Calendar arithmetic is done here (no locale, no TZ), proleptic Gregorian, UTC.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rs/codec.h"

static const char *const rs_wday[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const rs_wday_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                            "Thursday", "Friday", "Saturday"};
static const char *const rs_mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

typedef struct rs_civil {
    int64_t year;
    int mon; /* 1..12 */
    int day; /* 1..31 */
    int hour, min, sec;
    int wday; /* 0 = Sunday */
} rs_civil_t;

/* days since 1970-01-01 for a civil date (H. Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_secs(int64_t t, rs_civil_t *c)
{
    int64_t days = t / 86400, rem = t % 86400;

    if (rem < 0) {
        rem += 86400;
        days--;
    }
    c->hour = (int)(rem / 3600);
    c->min = (int)(rem / 60 % 60);
    c->sec = (int)(rem % 60);
    c->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
    c->year = yoe + era * 400 + (c->mon <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int civil_to_secs(const rs_civil_t *c, int64_t *out)
{
    if (c->mon < 1 || c->mon > 12 || c->day < 1 || c->day > days_in_month(c->year, c->mon))
        return -1;
    if (c->hour > 23 || c->min > 59 || c->sec > 60)
        return -1;
    *out = days_from_civil(c->year, c->mon, c->day) * 86400 + c->hour * 3600 + c->min * 60 + c->sec;
    return 0;
}

/* four-digit year for output; years outside 0..9999 are clamped */
static unsigned year4(int64_t y)
{
    return y < 0 ? 0u : y > 9999 ? 9999u : (unsigned)y;
}

/* `width` decimal digits of v, zero-padded (v < 10^width) */
static void digits(char *out, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void rs_http_date(int64_t sec, char *out)
{
    rs_civil_t c;

    char tmp[64];

    civil_from_secs(sec, &c);
    snprintf(tmp, sizeof(tmp), "%s, %02d %s %04u %02d:%02d:%02d GMT", rs_wday[c.wday], c.day,
             rs_mon[c.mon - 1], year4(c.year), c.hour, c.min, c.sec);
    memcpy(out, tmp, 30);
    out[29] = '\0';
}

void rs_iso8601_ms(int64_t ms, char *out)
{
    rs_civil_t c;
    int64_t sec = ms / 1000, frac = ms % 1000;

    if (frac < 0) {
        frac += 1000;
        sec--;
    }
    civil_from_secs(sec, &c);
    /* digit by digit: a listing page formats a thousand of these */
    digits(out, year4(c.year), 4);
    out[4] = '-';
    digits(out + 5, (unsigned)c.mon, 2);
    out[7] = '-';
    digits(out + 8, (unsigned)c.day, 2);
    out[10] = 'T';
    digits(out + 11, (unsigned)c.hour, 2);
    out[13] = ':';
    digits(out + 14, (unsigned)c.min, 2);
    out[16] = ':';
    digits(out + 17, (unsigned)c.sec, 2);
    out[19] = '.';
    digits(out + 20, (unsigned)frac, 3);
    out[23] = 'Z';
    out[24] = '\0';
}

/* ---- parsing: a tiny cursor over the input ------------------------------------ */
typedef struct rs_cur {
    const char *p, *end;
} rs_cur_t;

static int cur_digits(rs_cur_t *c, int min, int max, int *v)
{
    int n = 0, val = 0;

    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n < max) {
        val = val * 10 + (*c->p - '0');
        c->p++;
        n++;
    }
    if (n < min)
        return -1;
    *v = val;
    return 0;
}

static int cur_lit(rs_cur_t *c, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return -1;
    c->p += n;
    return 0;
}

static int cur_month(rs_cur_t *c, int *mon)
{
    if (c->end - c->p < 3)
        return -1;
    for (int i = 0; i < 12; i++) {
        if (strncmp(c->p, rs_mon[i], 3) == 0) {
            *mon = i + 1;
            c->p += 3;
            return 0;
        }
    }
    return -1;
}

static int cur_time(rs_cur_t *c, rs_civil_t *t)
{
    if (cur_digits(c, 2, 2, &t->hour) || cur_lit(c, ":") || cur_digits(c, 2, 2, &t->min) ||
        cur_lit(c, ":") || cur_digits(c, 2, 2, &t->sec))
        return -1;
    return 0;
}

/* skip a day name from `names` followed by `sep`; returns 0 when one matched */
static int cur_wday(rs_cur_t *c, const char *const *names, const char *sep)
{
    for (int i = 0; i < 7; i++) {
        size_t n = strlen(names[i]);
        if ((size_t)(c->end - c->p) >= n && strncmp(c->p, names[i], n) == 0) {
            c->p += n;
            return cur_lit(c, sep);
        }
    }
    return -1;
}

int rs_http_date_parse(const char *s, size_t n, int64_t *sec)
{
    rs_civil_t t;
    rs_cur_t c;
    int year = 0;

    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    memset(&t, 0, sizeof(t));

    /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
    c = (rs_cur_t){s, s + n};
    if (cur_wday(&c, rs_wday, ", ") == 0 && cur_digits(&c, 2, 2, &t.day) == 0 &&
        cur_lit(&c, " ") == 0 && cur_month(&c, &t.mon) == 0 && cur_lit(&c, " ") == 0 &&
        cur_digits(&c, 4, 4, &year) == 0 && cur_lit(&c, " ") == 0 && cur_time(&c, &t) == 0 &&
        cur_lit(&c, " GMT") == 0 && c.p == c.end) {
        t.year = year;
        return civil_to_secs(&t, sec);
    }
    /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (two-digit year: 70..99 -> 19xx) */
    c = (rs_cur_t){s, s + n};
    if (cur_wday(&c, rs_wday_long, ", ") == 0 && cur_digits(&c, 2, 2, &t.day) == 0 &&
        cur_lit(&c, "-") == 0 && cur_month(&c, &t.mon) == 0 && cur_lit(&c, "-") == 0 &&
        cur_digits(&c, 2, 2, &year) == 0 && cur_lit(&c, " ") == 0 && cur_time(&c, &t) == 0 &&
        cur_lit(&c, " GMT") == 0 && c.p == c.end) {
        t.year = year < 70 ? 2000 + year : 1900 + year;
        return civil_to_secs(&t, sec);
    }
    /* asctime: Sun Nov  6 08:49:37 1994 */
    c = (rs_cur_t){s, s + n};
    if (cur_wday(&c, rs_wday, " ") == 0 && cur_month(&c, &t.mon) == 0 && cur_lit(&c, " ") == 0) {
        if (c.p < c.end && *c.p == ' ')
            c.p++;
        if (cur_digits(&c, 1, 2, &t.day) == 0 && cur_lit(&c, " ") == 0 && cur_time(&c, &t) == 0 &&
            cur_lit(&c, " ") == 0 && cur_digits(&c, 4, 4, &year) == 0 && c.p == c.end) {
            t.year = year;
            return civil_to_secs(&t, sec);
        }
    }
    return -1;
}

int rs_amz_date_parse(const char *s, size_t n, int64_t *sec)
{
    rs_civil_t t;
    rs_cur_t c = {s, s + n};
    int year;

    memset(&t, 0, sizeof(t));
    if (n != 16 || cur_digits(&c, 4, 4, &year) || cur_digits(&c, 2, 2, &t.mon) ||
        cur_digits(&c, 2, 2, &t.day) || cur_lit(&c, "T") || cur_digits(&c, 2, 2, &t.hour) ||
        cur_digits(&c, 2, 2, &t.min) || cur_digits(&c, 2, 2, &t.sec) || cur_lit(&c, "Z"))
        return -1;
    t.year = year;
    return civil_to_secs(&t, sec);
}
