/*
 * test_log.c: the log line format, escaping, truncation, level filtering, the access
 * line, file output and reopen after rotation. Runs in: the test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rs/log.h"

static size_t fmt(char *buf, size_t cap, int64_t ms, const char *rid, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    size_t n = rs_log_format(buf, cap, ms, "worker3", 4242, "info", rid, f, ap);
    va_end(ap);
    return n;
}

Test(log, line_format)
{
    char buf[512];
    /* 2026-11-23T22:01:48.123Z */
    size_t n = fmt(buf, sizeof(buf), 1795471308123ll, "ABCDEFGHIJKLMNOP", "hello %d", 7);
    cr_assert_str_eq(buf,
                     "2026-11-23T22:01:48.123Z worker3[4242] info [ABCDEFGHIJKLMNOP] hello 7\n");
    cr_assert_eq(n, strlen(buf));
}

Test(log, no_request_id_is_dash)
{
    char buf[512];
    fmt(buf, sizeof(buf), 0, NULL, "x");
    cr_assert_str_eq(buf, "1970-01-01T00:00:00.000Z worker3[4242] info [-] x\n");
    fmt(buf, sizeof(buf), 0, "", "y");
    cr_assert(strstr(buf, " [-] y\n") != NULL, "%s", buf);
}

Test(log, control_bytes_escaped_single_line)
{
    char buf[512];
    fmt(buf, sizeof(buf), 0, NULL, "a\nb\rc\x01%s", "\x7f");
    cr_assert(strstr(buf, "a\\x0ab\\x0dc\\x01\\x7f\n") != NULL, "%s", buf);
    cr_assert_eq(strchr(buf, '\n'), buf + strlen(buf) - 1);
}

Test(log, truncation_keeps_newline)
{
    char buf[64];
    char big[300];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    size_t n = fmt(buf, sizeof(buf), 0, NULL, "%s", big);
    cr_assert_leq(n, sizeof(buf) - 1);
    cr_assert_eq(buf[n - 1], '\n');
    cr_assert_eq(buf[n], '\0');
}

Test(log, levels)
{
    cr_assert_eq(rs_log_level_parse("debug"), RS_LOG_DEBUG);
    cr_assert_eq(rs_log_level_parse("info"), RS_LOG_INFO);
    cr_assert_eq(rs_log_level_parse("notice"), RS_LOG_NOTICE);
    cr_assert_eq(rs_log_level_parse("warn"), RS_LOG_WARN);
    cr_assert_eq(rs_log_level_parse("warning"), RS_LOG_WARN);
    cr_assert_eq(rs_log_level_parse("error"), RS_LOG_ERR);
    cr_assert_eq(rs_log_level_parse("emerg"), RS_LOG_EMERG);
    cr_assert_eq(rs_log_level_parse("verbose"), -1);
    cr_assert_str_eq(rs_log_level_name(RS_LOG_WARN), "warn");
    cr_assert_str_eq(rs_log_level_name(99), "?");
}

static char *slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(log, file_output_filter_and_reopen)
{
    char path[] = "/tmp/rs-test-log-XXXXXX";
    char rotated[64];
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    snprintf(rotated, sizeof(rotated), "%s.1", path);

    cr_assert_eq(rs_log_open(path), 0);
    rs_log_set_role("master");
    rs_log_set_level(RS_LOG_NOTICE);
    rs_log(RS_LOG_INFO, NULL, "filtered out");
    rs_log(RS_LOG_WARN, "REQ0000000000001", "kept %s", "one");
    errno = ENOENT;
    rs_log(RS_LOG_ERR, NULL, "open failed: %m");
    char *s = slurp(path);
    cr_assert_not_null(s);
    cr_assert_eq(count_lines(s), 2, "%s", s);
    cr_assert_null(strstr(s, "filtered out"));
    cr_assert(strstr(s, " warn [REQ0000000000001] kept one\n") != NULL, "%s", s);
    cr_assert(strstr(s, "open failed: No such file or directory\n") != NULL, "%s", s);
    char pidpart[32];
    snprintf(pidpart, sizeof(pidpart), " master[%d] ", (int)getpid());
    cr_assert(strstr(s, pidpart) != NULL, "%s", s);

    /* rotation: rename, reopen, the next line lands in a fresh file */
    cr_assert_eq(rename(path, rotated), 0);
    rs_log(RS_LOG_WARN, NULL, "still old");
    cr_assert_eq(rs_log_reopen(), 0);
    rs_log(RS_LOG_WARN, NULL, "after reopen");
    s = slurp(path);
    cr_assert_not_null(s, "reopen did not create the file");
    cr_assert_eq(count_lines(s), 1, "%s", s);
    cr_assert(strstr(s, "after reopen") != NULL);
    s = slurp(rotated);
    cr_assert(strstr(s, "still old") != NULL, "%s", s);

    rs_log_close();
    unlink(path);
    unlink(rotated);
    rs_log_set_level(RS_LOG_INFO);
}

Test(log, access_line)
{
    char path[] = "/tmp/rs-test-access-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(rs_log_open(path), 0);
    rs_log_set_role("worker0");
    rs_log_set_level(RS_LOG_ERR); /* access lines do not depend on the level */
    rs_log_set_access(1);
    rs_access_rec_t a = {"AAAABBBBCCCCDDDD", "s3", "PutObject", "PUT",
                         "/bkt/a%20b",       200,  1234,        1.5};
    rs_log_access(&a);
    rs_access_rec_t b = {"EEEEFFFFGGGGHHHH", "internal", NULL, "GET", "/x", 404, 0, 0.25};
    rs_log_access(&b);
    rs_log_set_access(0);
    rs_log_access(&a);
    char *s = slurp(path);
    cr_assert_eq(count_lines(s), 2, "%s", s);
    cr_assert(strstr(s, " access [AAAABBBBCCCCDDDD] s3 PutObject PUT /bkt/a%20b 200 1234 1.500\n"),
              "%s", s);
    cr_assert(strstr(s, " access [EEEEFFFFGGGGHHHH] internal - GET /x 404 0 0.250\n"), "%s", s);
    rs_log_close();
    unlink(path);
    rs_log_set_access(1);
    rs_log_set_level(RS_LOG_INFO);
}

Test(log, open_failure_keeps_previous_destination)
{
    cr_assert_neq(rs_log_open("/nonexistent-dir/x/y.log"), 0);
    cr_assert_eq(rs_log_reopen(), 0); /* still stderr: reopen is a no-op */
}
