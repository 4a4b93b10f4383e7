/*
 * test_metrics.c: the shared metrics (src/core/metrics.c): exact sums over forked writers
 * recording concurrently, histogram buckets, _sum and _count, a full table counting into
 * "other" and then "dropped", label escaping, gauges, a respawned writer continuing its
 * slot, and a small checker of the Prometheus text format run on every rendering.
 * Runs in: the test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rs/metrics.h"

/* ---- a tiny exposition-format checker ----------------------------------------------- */

#define MAX_FAM 64

static int is_name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

/* a sample's family: the name itself, or without _bucket/_sum/_count for a histogram */
static int family_known(char fam[][128], char types[][32], int nfam, const char *name)
{
    for (int i = 0; i < nfam; i++) {
        size_t n = strlen(fam[i]);
        if (strcmp(name, fam[i]) == 0 && strcmp(types[i], "histogram") != 0)
            return 1;
        if (strcmp(types[i], "histogram") == 0 && strncmp(name, fam[i], n) == 0 &&
            (!strcmp(name + n, "_bucket") || !strcmp(name + n, "_sum") ||
             !strcmp(name + n, "_count")))
            return 1;
    }
    return 0;
}

/* returns the number of samples, or -(line number) of the first bad line */
static int check_text(const char *text)
{
    static char fam[MAX_FAM][128], types[MAX_FAM][32];
    char help[128] = "";
    int nfam = 0, samples = 0, lineno = 0;
    const char *p = text;
    while (*p) {
        lineno++;
        const char *eol = strchr(p, '\n');
        if (eol == NULL)
            return -lineno; /* the last line must end with a newline */
        char line[1024];
        size_t n = (size_t)(eol - p);
        if (n >= sizeof(line))
            return -lineno;
        memcpy(line, p, n);
        line[n] = '\0';
        p = eol + 1;
        char name[128], word[32];
        if (strncmp(line, "# HELP ", 7) == 0) {
            if (sscanf(line + 7, "%127s", help) != 1)
                return -lineno;
            continue;
        }
        if (strncmp(line, "# TYPE ", 7) == 0) {
            if (sscanf(line + 7, "%127s %31s", name, word) != 2 || strcmp(name, help) != 0)
                return -lineno; /* TYPE must follow its family's HELP */
            if (strcmp(word, "counter") && strcmp(word, "gauge") && strcmp(word, "histogram"))
                return -lineno;
            for (int i = 0; i < nfam; i++)
                if (strcmp(fam[i], name) == 0)
                    return -lineno; /* a family appears once */
            if (nfam == MAX_FAM)
                return -lineno;
            snprintf(fam[nfam], sizeof(fam[0]), "%s", name);
            snprintf(types[nfam++], sizeof(types[0]), "%s", word);
            continue;
        }
        size_t i = 0;
        for (; is_name_char(line[i], i == 0); i++)
            name[i] = line[i];
        name[i] = '\0';
        if (i == 0 || !family_known(fam, types, nfam, name))
            return -lineno;
        if (line[i] == '{') {
            i++;
            while (line[i] != '}') {
                size_t k = i;
                while (is_name_char(line[i], i == k))
                    i++;
                if (i == k || line[i] != '=' || line[i + 1] != '"')
                    return -lineno;
                for (i += 2; line[i] != '"'; i++) {
                    if (line[i] == '\0' || line[i] == '\n')
                        return -lineno;
                    if (line[i] == '\\') {
                        i++;
                        if (line[i] != '\\' && line[i] != '"' && line[i] != 'n')
                            return -lineno;
                    }
                }
                i++;
                if (line[i] == ',')
                    i++;
                else if (line[i] != '}')
                    return -lineno;
            }
            i++;
        }
        if (line[i] != ' ')
            return -lineno;
        char *end;
        strtod(line + i + 1, &end);
        if (end == line + i + 1 || *end != '\0')
            return -lineno;
        samples++;
    }
    return samples;
}

/* the value of the sample whose line starts with `series` followed by a space, or -1 */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

static char *render_checked(rs_metrics_t *m)
{
    size_t len = 0;
    char *t = rs_metrics_render(m, &len);
    cr_assert_not_null(t);
    cr_assert_eq(strlen(t), len);
    int r = check_text(t);
    cr_assert_geq(r, 0, "bad exposition line %d in:\n%s", -r, t);
    return t;
}

/* ---- tests --------------------------------------------------------------------------- */

Test(metrics, checker_rejects_bad_text)
{
    cr_assert_eq(check_text("# HELP a x\n# TYPE a counter\na 1\n"), 1);
    cr_assert_lt(check_text("a 1\n"), 0); /* no HELP/TYPE */
    cr_assert_lt(check_text("# HELP a x\n# TYPE a counter\na{l=\"x} 1\n"), 0);
    cr_assert_lt(check_text("# HELP a x\n# TYPE a counter\na{l=\"\\q\"} 1\n"), 0);
    cr_assert_lt(check_text("# HELP a x\n# TYPE a counter\na one\n"), 0);
    cr_assert_lt(check_text("# HELP a x\n# TYPE a counter\na 1"), 0); /* no final newline */
    cr_assert_lt(check_text("# HELP h x\n# TYPE h histogram\nh 1\n"), 0);
    cr_assert_eq(check_text("# HELP h x\n# TYPE h histogram\nh_count{a=\"\\\"\"} 1\n"), 1);
}

Test(metrics, create_current_destroy_and_bad_args)
{
    cr_assert_null(rs_metrics_create(0));
    cr_assert_null(rs_metrics_create(100000));
    rs_metrics_t *m = rs_metrics_create(2);
    cr_assert_not_null(m);
    cr_assert_eq(rs_metrics_current(), m);
    rs_metrics_request(m, 2, "s3", "GetObject", 200, 1, 1); /* out of range: ignored */
    rs_metrics_request(NULL, 0, "s3", "GetObject", 200, 1, 1);
    cr_assert_null(rs_metrics_render(NULL, NULL));
    char *t = render_checked(m);
    cr_assert_eq(check_text(t), 1, "only the dropped counter:\n%s", t); /* no samples yet */
    cr_assert(strstr(t, "# TYPE ruststack_request_duration_seconds histogram\n"));
    cr_assert(strstr(t, "# TYPE ruststack_response_bytes_total counter\n"));
    free(t);
    rs_metrics_destroy(m);
    cr_assert_null(rs_metrics_current());
}

#define PER_CHILD 300000

static const char *const svcs[] = {"s3", "dynamodb", "lambda"};
static const char *const ops[] = {"PutObject", "GetItem", NULL};
static const int codes[] = {200, 404, 500, 204};

Test(metrics, exact_sums_across_forked_writers, .timeout = 60)
{
    rs_metrics_t *m = rs_metrics_create(3);
    pid_t pid[3];
    for (unsigned w = 0; w < 3; w++) {
        pid[w] = fork();
        cr_assert_geq(pid[w], 0);
        if (pid[w] == 0) {
            for (int i = 0; i < PER_CHILD; i++)
                rs_metrics_request(rs_metrics_current(), w, svcs[i % 3], ops[i % 3], codes[i % 4],
                                   (uint64_t)(i % 7) * 1000, 10);
            _exit(0);
        }
    }
    /* renders while the writers run are well-formed and never go backwards */
    const char *probe = "ruststack_request_duration_seconds_count{service=\"s3\"}";
    double last = 0;
    int alive = 3, renders = 0;
    while (alive > 0) {
        char *t = render_checked(m);
        double v = value_of(t, probe);
        if (v < 0)
            v = 0; /* no s3 request recorded yet */
        cr_assert_geq(v, last);
        last = v;
        free(t);
        renders++;
        for (unsigned w = 0; w < 3; w++) {
            int st;
            if (pid[w] > 0 && waitpid(pid[w], &st, WNOHANG) == pid[w]) {
                cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                pid[w] = 0;
                alive--;
            }
        }
    }
    cr_log_info("%d renders during the writes", renders);
    char *t = render_checked(m);
    /* per writer, i%3 picks service and operation together, i%4 the status: each of the
     * 12 combinations of (i%3, i%4) occurs PER_CHILD/12 times */
    double total = 0;
    for (int s = 0; s < 3; s++)
        for (int c = 0; c < 4; c++) {
            char series[256];
            snprintf(series, sizeof(series),
                     "ruststack_requests_total{service=\"%s\",operation=\"%s\",status=\"%d\"}",
                     svcs[s], ops[s] ? ops[s] : "unknown", codes[c]);
            double v = value_of(t, series);
            cr_assert_eq(v, 3.0 * PER_CHILD / 12, "%s = %f", series, v);
            total += v;
        }
    cr_assert_eq(total, 3.0 * PER_CHILD);
    cr_assert_eq(value_of(t, "ruststack_requests_dropped_total"), 0);
    cr_assert_eq(value_of(t, "ruststack_response_bytes_total{service=\"s3\"}"),
                 3.0 * 10 * PER_CHILD / 3);
    cr_assert_eq(value_of(t, "ruststack_request_duration_seconds_count{service=\"lambda\"}"),
                 3.0 * PER_CHILD / 3);
    free(t);
    rs_metrics_destroy(m);
}

Test(metrics, histogram_buckets_sum_count)
{
    rs_metrics_t *m = rs_metrics_create(2);
    uint64_t lat[] = {0, 1000, 1001, 5000, 250000, 5000000, 5000001, 90000000};
    for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++)
        rs_metrics_request(m, i % 2, "s3", "GetObject", 200, lat[i], 0);
    char *t = render_checked(m);
    static const char *const le[] = {"0.001", "0.005", "0.01", "0.05", "0.1",
                                     "0.5",   "1",     "5",    "+Inf"};
    static const double want[] = {2, 4, 4, 4, 4, 5, 5, 6, 8};
    for (int b = 0; b < 9; b++) {
        char series[160];
        snprintf(series, sizeof(series),
                 "ruststack_request_duration_seconds_bucket{service=\"s3\",le=\"%s\"}", le[b]);
        cr_assert_eq(value_of(t, series), want[b], "%s in\n%s", series, t);
    }
    cr_assert(strstr(t, "ruststack_request_duration_seconds_sum{service=\"s3\"} 100.257002\n"),
              "%s", t);
    cr_assert_eq(value_of(t, "ruststack_request_duration_seconds_count{service=\"s3\"}"), 8);
    free(t);
    rs_metrics_destroy(m);
}

static int count_lines(const char *t, const char *prefix)
{
    int n = 0;
    for (const char *p = t; (p = strstr(p, prefix)) != NULL; p++)
        n++;
    return n;
}

Test(metrics, full_table_counts_other_then_dropped)
{
    rs_metrics_t *m = rs_metrics_create(1);
    char op[32];
    for (int i = 0; i < 600; i++) {
        snprintf(op, sizeof(op), "Op%d", i);
        rs_metrics_request(m, 0, "s3", op, 200, 5, 1);
    }
    char *t = render_checked(m);
    /* 448 named entries (512 less the 64 kept for "other"), the rest under "other" */
    cr_assert_eq(count_lines(t, "ruststack_requests_total{service=\"s3\""), 449);
    cr_assert_eq(
        value_of(t, "ruststack_requests_total{service=\"s3\",operation=\"other\",status=\"200\"}"),
        152);
    cr_assert_eq(value_of(t, "ruststack_requests_dropped_total"), 0);
    free(t);
    /* 63 more "other" entries fill the table; beyond that requests are dropped (counted) */
    for (int i = 0; i < 70; i++)
        rs_metrics_request(m, 0, "s3", "NewOp", 300 + i, 5, 1);
    t = render_checked(m);
    cr_assert_eq(count_lines(t, "ruststack_requests_total{"), 512);
    cr_assert_eq(value_of(t, "ruststack_requests_dropped_total"), 7);
    cr_assert_eq(value_of(t, "ruststack_request_duration_seconds_count{service=\"s3\"}"), 670);
    free(t);
    rs_metrics_destroy(m);
}

Test(metrics, label_escaping_and_sanitizing)
{
    rs_metrics_t *m = rs_metrics_create(1);
    rs_metrics_request(m, 0, "we\"ird", "a\\b\nc\x01\xc3\xa9", 418, 1, 2);
    rs_metrics_request(m, 0, NULL, "", 200, 1, 2);
    char *t = render_checked(m);
    cr_assert(strstr(t, "ruststack_requests_total{service=\"we\\\"ird\",operation=\"a\\\\b\\nc___\""
                        ",status=\"418\"} 1\n"),
              "%s", t);
    cr_assert(strstr(t, "{service=\"unknown\",operation=\"unknown\",status=\"200\"} 1\n"), "%s", t);
    cr_assert(strstr(t, "ruststack_response_bytes_total{service=\"we\\\"ird\"} 2\n"), "%s", t);
    free(t);
    rs_metrics_destroy(m);
}

Test(metrics, gauges)
{
    rs_metrics_t *m = rs_metrics_create(3);
    rs_metrics_gauge(m, 1, "lambda_environments", 5);
    rs_metrics_gauge(m, 1, "lambda_environments", 3); /* replaces */
    rs_metrics_gauge(m, 2, "lambda_environments", 4); /* another slot: summed */
    rs_metrics_gauge(m, 1, "lambda_busy", -2);
    rs_metrics_gauge(m, 0, "bad name-x", 7);
    rs_metrics_gauge(m, 0, "requests_total", 9); /* would collide: ignored */
    rs_metrics_gauge(m, 0, "", 9);
    rs_metrics_gauge(m, 0, NULL, 9);
    rs_metrics_gauge(m, 3, "out_of_range", 9);
    char *t = render_checked(m);
    cr_assert_eq(value_of(t, "ruststack_lambda_environments"), 7);
    cr_assert(strstr(t, "\nruststack_lambda_busy -2\n"), "%s", t);
    cr_assert(strstr(t, "# TYPE ruststack_lambda_busy gauge\n"));
    cr_assert_eq(value_of(t, "ruststack_bad_name_x"), 7);
    cr_assert_null(strstr(t, " 9\n"), "%s", t);
    cr_assert_null(strstr(t, "out_of_range"));
    free(t);
    /* a full gauge table ignores new names but still updates known ones */
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "g%d", i);
        rs_metrics_gauge(m, 0, name, 1);
    }
    rs_metrics_gauge(m, 0, "bad_name_x", 8);
    t = render_checked(m);
    cr_assert_eq(value_of(t, "ruststack_g30"), 1);
    cr_assert_eq(value_of(t, "ruststack_g31"), -1);
    cr_assert_eq(value_of(t, "ruststack_bad_name_x"), 8);
    free(t);
    rs_metrics_destroy(m);
}

Test(metrics, respawned_writer_continues_the_series)
{
    rs_metrics_t *m = rs_metrics_create(1);
    for (int round = 0; round < 2; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            for (int i = 0; i < 100; i++)
                rs_metrics_request(rs_metrics_current(), 0, "s3", "PutObject", 200, 10, 1);
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        char *t = render_checked(m);
        cr_assert_eq(
            value_of(
                t,
                "ruststack_requests_total{service=\"s3\",operation=\"PutObject\",status=\"200\"}"),
            100.0 * (round + 1));
        free(t);
    }
    rs_metrics_destroy(m);
}

Test(metrics, many_services_share_other)
{
    rs_metrics_t *m = rs_metrics_create(1);
    char svc[16];
    for (int i = 0; i < 20; i++) {
        snprintf(svc, sizeof(svc), "svc%02d", i);
        rs_metrics_request(m, 0, svc, "Op", 200, 1, 1);
    }
    char *t = render_checked(m);
    cr_assert_eq(value_of(t, "ruststack_response_bytes_total{service=\"svc14\"}"), 1);
    cr_assert_eq(value_of(t, "ruststack_response_bytes_total{service=\"svc15\"}"), -1);
    cr_assert_eq(value_of(t, "ruststack_response_bytes_total{service=\"other\"}"), 5);
    cr_assert_eq(
        value_of(t, "ruststack_requests_total{service=\"other\",operation=\"Op\",status=\"200\"}"),
        5);
    free(t);
    rs_metrics_destroy(m);
}
