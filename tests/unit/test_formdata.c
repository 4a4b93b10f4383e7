/*
 * test_formdata.c: unit tests for the streaming multipart/form-data parser: the boundary
 * parameter, fields and files with the same result whatever the feed sizes (every split
 * point, one byte at a time), CR/LF and partial delimiters inside data, quoted names,
 * stopping from a callback, and the malformed inputs it refuses.
 * Runs in: the test binary.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/formdata.h"

typedef struct seen {
    char log[8192]; /* "begin name|filename|ctype\n" "data...", "end\n" */
    size_t len;
    int stop_after_end; /* return 1 from the n-th part_end */
    int ends;
} seen_t;

static void add(seen_t *s, const char *p, size_t n)
{
    cr_assert(s->len + n < sizeof s->log);
    memcpy(s->log + s->len, p, n);
    s->len += n;
    s->log[s->len] = '\0';
}

static int on_begin(void *arg, const rs_formdata_part_t *p)
{
    seen_t *s = arg;
    char line[1024];
    cr_assert(p->name != NULL && strlen(p->name) == p->name_len);
    snprintf(line, sizeof line, "[%s|%s|%s]", p->name, p->filename ? p->filename : "-",
             p->content_type ? p->content_type : "-");
    add(s, line, strlen(line));
    return 0;
}

static int on_data(void *arg, const uint8_t *p, size_t n)
{
    cr_assert(n > 0);
    add(arg, (const char *)p, n);
    return 0;
}

static int on_end(void *arg)
{
    seen_t *s = arg;
    add(s, "<end>", 5);
    return ++s->ends == s->stop_after_end ? 1 : 0;
}

static const rs_formdata_cb_t cbs = {on_begin, on_data, on_end};

/* parse `body` fed in pieces of `step` bytes (0: at `split` then the rest) */
static int parse(const char *boundary, const char *body, size_t len, size_t step, size_t split,
                 seen_t *s)
{
    rs_formdata_t f;
    int rc = 0;
    memset(s, 0, sizeof *s);
    cr_assert_eq(rs_formdata_init(&f, boundary, strlen(boundary), &cbs, s), 0);
    if (step == 0) {
        rc = rs_formdata_feed(&f, (const uint8_t *)body, split);
        if (rc == 0)
            rc = rs_formdata_feed(&f, (const uint8_t *)body + split, len - split);
    } else {
        for (size_t i = 0; i < len && rc == 0; i += step)
            rc = rs_formdata_feed(&f, (const uint8_t *)body + i, len - i < step ? len - i : step);
    }
    if (rc < 0)
        return rc;
    return rs_formdata_finish(&f);
}

#define FORM                                                                                       \
    "preamble\r\n--XyZ\r\n"                                                                        \
    "Content-Disposition: form-data; name=\"key\"\r\n\r\n"                                         \
    "uploads/${filename}\r\n--XyZ\r\n"                                                             \
    "content-disposition: form-data; name=\"x-amz-meta-a\"\r\n\r\n"                                \
    "\r\n--Xy\r\r\n--XyY\r\n--XyZ\r\n"                                                             \
    "Content-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n"              \
    "Content-Type: text/plain\r\n\r\n"                                                             \
    "line1\r\nline2\r\r\n\r\n-\r\n--\r\n--X\r\n--XyZ--\r\nepilogue"

#define WANT                                                                                       \
    "[key|-|-]uploads/${filename}<end>"                                                            \
    "[x-amz-meta-a|-|-]\r\n--Xy\r\r\n--XyY<end>"                                                   \
    "[file|a \"b\".txt|text/plain]line1\r\nline2\r\r\n\r\n-\r\n--\r\n--X<end>"

Test(formdata, every_split_gives_the_same_parts)
{
    seen_t s;
    size_t len = strlen(FORM);
    for (size_t split = 0; split <= len; split++) {
        cr_assert_eq(parse("XyZ", FORM, len, 0, split, &s), 0, "split %zu", split);
        cr_assert_str_eq(s.log, WANT, "split %zu", split);
    }
    for (size_t step = 1; step < 9; step++) {
        cr_assert_eq(parse("XyZ", FORM, len, step, 0, &s), 0);
        cr_assert_str_eq(s.log, WANT, "step %zu", step);
    }
}

Test(formdata, body_opening_with_the_boundary_and_empty_parts)
{
    seen_t s;
    const char *b = "--b\r\nContent-Disposition: form-data; name=e\r\n\r\n\r\n--b\r\n"
                    "Content-Disposition: form-data; filename=\"\"; name=\"f\"\r\n\r\n"
                    "\r\n--b--";
    cr_assert_eq(parse("b", b, strlen(b), 0, 0, &s), 0);
    cr_assert_str_eq(s.log, "[e|-|-]<end>[f||-]<end>");
}

Test(formdata, transport_padding_after_a_boundary)
{
    seen_t s;
    const char *b = "--b \t\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv\r\n--b--\r\n";
    cr_assert_eq(parse("b", b, strlen(b), 1, 0, &s), 0);
    cr_assert_str_eq(s.log, "[k|-|-]v<end>");
}

Test(formdata, a_callback_stops_the_parse)
{
    seen_t s;
    rs_formdata_t f;
    const char *b = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nDATA\r\n--b\r\n"
                    "garbage without headers end";
    memset(&s, 0, sizeof s);
    s.stop_after_end = 1;
    cr_assert_eq(rs_formdata_init(&f, "b", 1, &cbs, &s), 0);
    cr_assert_eq(rs_formdata_feed(&f, (const uint8_t *)b, strlen(b)), 1);
    cr_assert_eq(rs_formdata_finish(&f), 0);
    cr_assert_str_eq(s.log, "[file|-|-]DATA<end>");
}

Test(formdata, malformed_inputs_are_refused)
{
    static const char *const bad[] = {
        "",                                                           /* nothing */
        "--b\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv", /* no closing boundary */
        "--b\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\nv\r\n--b",
        "--bX\r\n",                                          /* junk after a boundary */
        "--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--", /* no disposition */
        "--b\r\nContent-Disposition: attachment; name=\"k\"\r\n\r\nv\r\n--b--",
        "--b\r\nContent-Disposition: form-data; filename=\"k\"\r\n\r\nv\r\n--b--", /* no name */
        "--b\r\nContent-Disposition: form-data; name=\"k\r\n\r\nv\r\n--b--",       /* open quote */
        "--b\r\nno colon here\r\n\r\nv\r\n--b--",
        "--b\r\n-x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seen_t s;
        cr_assert_lt(parse("b", bad[i], strlen(bad[i]), 1, 0, &s), 0, "input %zu", i);
        cr_assert_lt(parse("b", bad[i], strlen(bad[i]), 0, 0, &s), 0, "input %zu", i);
    }
}

Test(formdata, header_block_limit)
{
    size_t n = RS_FORMDATA_MAX_HEADERS + 64;
    char *b = malloc(n + 64);
    seen_t s;
    strcpy(b, "--b\r\nX-Long: ");
    size_t at = strlen(b);
    memset(b + at, 'a', n);
    b[at + n] = '\0';
    strcat(b, "\r\n\r\n--b--");
    cr_assert_lt(parse("b", b, strlen(b), 0, 0, &s), 0);
    free(b);
}

Test(formdata, boundary_parameter)
{
    const char *b;
    size_t n;
    const char *ct1 = "multipart/form-data; boundary=----WebKitFormBoundaryAbc";
    cr_assert_eq(rs_formdata_boundary(ct1, strlen(ct1), &b, &n), 0);
    cr_assert_eq(n, 25);
    cr_assert_eq(strncmp(b, "----WebKitFormBoundaryAbc", 25), 0);
    const char *ct2 = "Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b;c\"";
    cr_assert_eq(rs_formdata_boundary(ct2, strlen(ct2), &b, &n), 0);
    cr_assert_eq(n, 5);
    cr_assert_eq(strncmp(b, "a b;c", 5), 0);
    const char *bad[] = {"multipart/mixed; boundary=x", "multipart/form-data",
                         "multipart/form-data; boundary=", "multipart/form-data; boundary=\"x",
                         "application/x-www-form-urlencoded"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(rs_formdata_boundary(bad[i], strlen(bad[i]), &b, &n), -1, "%s", bad[i]);
    rs_formdata_t f;
    cr_assert_eq(rs_formdata_init(&f, "a\r\nb", 4, &cbs, NULL), -1);
    cr_assert_eq(rs_formdata_init(&f, "", 0, &cbs, NULL), -1);
}
