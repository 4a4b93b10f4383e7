/*
 * test_s3_post.c: S3 POST object driven without sockets (rs_s3_handle over a real
 * shared-memory store): policy documents of every odd shape (nulls, floats, deep nesting,
 * huge numbers, non-string values) get AWS's 400/403 answers and never a 500; the form's
 * bytes are stored exactly; ${filename}; the 201 document. Runs in: the test process
 * (plays the role of one worker).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "rs/codec.h"
#include "rs/s3.h"
#include "s3_harness.h"

#define CT "multipart/form-data; boundary=XX"

/* a form body: name/value pairs (NULL-terminated), then the file */
static char *form(const char *filename, const char *file, ...)
{
    rs_buf_t b;
    va_list ap;
    rs_buf_init(&b);
    va_start(ap, file);
    for (;;) {
        const char *n = va_arg(ap, const char *);
        if (n == NULL)
            break;
        rs_buf_printf(&b, "--XX\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n", n,
                      va_arg(ap, const char *));
    }
    va_end(ap);
    rs_buf_printf(&b,
                  "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                  "Content-Type: application/octet-stream\r\n\r\n%s\r\n--XX--\r\n",
                  filename, file);
    rs_buf_append(&b, "", 1);
    return b.data;
}

static char *b64(const char *s)
{
    char *out = malloc(strlen(s) * 2 + 8);
    rs_base64_encode((const uint8_t *)s, strlen(s), out);
    return out;
}

static void future(char out[32])
{
    time_t t = time(NULL) + 3600;
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

static rs_s3h_call_t *post_policy(const char *policy_json)
{
    char *p = b64(policy_json);
    char *body = form("f.txt", "data", "key", "k", "AWSAccessKeyId", "test", "signature", "c2ln",
                      "policy", p, NULL);
    rs_s3h_call_t *c = rs_s3h_run("POST", "/bkt", body, strlen(body), "content-type", CT, NULL);
    free(p);
    /* the body must outlive nothing after rs_s3h_run(): the store copied the bytes */
    free(body);
    return c;
}

Test(s3_post, odd_policies_never_answer_500, .init = rs_s3h_setup, .fini = rs_s3h_teardown)
{
    char exp[32], doc[512];
    future(exp);
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    static const struct {
        const char *conditions; /* JSON after "conditions": */
        int status;
        const char *needle;
    } cases[] = {
        {"null", 400, "Invalid Policy: Invalid 'conditions' value: must be a List."},
        {"[null]", 400, "Invalid condition test: must be a List or Object."},
        {"[[null, 1, 2]]", 400, "missing operation identifier"},
        {"[[\"eq\", null, null]]", 403,
         "Policy Condition failed: [&quot;eq&quot;, &quot;null&quot;"},
        {"[[\"content-length-range\", 0.5, 1e30]]", 403, "Policy Condition failed"},
        {"[[\"content-length-range\", 0, 99999999999999999999999]]", 403,
         "Extra input fields: key"}, /* the bound holds (saturated); key is not named */
        {"[[\"content-length-range\", -5, -1]]", 400, "EntityTooLarge"},
        {"[[\"starts-with\", \"$key\", [[[[[[[[[[1]]]]]]]]]]]]", 400, "Invalid JSON."},
        {"[{\"key\": 1}]", 400, "Invalid Simple-Condition: value must be a string."},
        {"[{}]", 400, "Simple-Conditions must have exactly one property specified."},
        {"[[\"EQ\", \"$KEY\", \"k\"], {\"bucket\": \"bkt\"}]", 204, NULL},
        {"[[\"starts-with\", \"$key\", \"\"], [\"eq\", \"$bucket\", \"bkt\"]]", 204, NULL},
        {"[[\"starts-with\", \"$key\", \"\"], {\"x-amz-meta-none\": \"\"}]", 204, NULL},
        {"[[\"eq\", \"$key\", \"k\"], [\"eq\", \"$bucket\", \"other\"]]", 403,
         "[&quot;eq&quot;, &quot;$bucket&quot;, &quot;other&quot;]"},
        {"[[\"eq\", \"$key\", \"k\\\"q\"]]", 403, "&quot;k\\&quot;q&quot;"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(doc, sizeof doc, "{\"expiration\": \"%s\", \"conditions\": %s}", exp,
                 cases[i].conditions);
        rs_s3h_call_t *c = post_policy(doc);
        cr_expect_eq(c->resp.status, cases[i].status, "case %zu: status %d: %s", i, c->resp.status,
                     c->body);
        if (cases[i].needle != NULL)
            cr_expect(strstr(c->body, cases[i].needle) != NULL, "case %zu: %s", i, c->body);
        rs_s3h_done(c);
    }
    static const char *const docs[] = {
        "[]",
        "\"x\"",
        "{\"expiration\": 5, \"conditions\": []}",
        "{\"expiration\": \"2099-13-01T00:00:00Z\", \"conditions\": []}",
        "{} trailing",
        ""};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        rs_s3h_call_t *c = post_policy(docs[i]);
        cr_expect_eq(c->resp.status, 400, "doc %zu: %d %s", i, c->resp.status, c->body);
        cr_expect(strstr(c->body, "<Code>InvalidPolicyDocument</Code>") != NULL, "%s", c->body);
        rs_s3h_done(c);
    }
}

Test(s3_post, stores_the_file_and_answers_201, .init = rs_s3h_setup, .fini = rs_s3h_teardown)
{
    rs_s3h_expect(rs_s3h_run("PUT", "/bkt", NULL, 0, NULL), 200, NULL);
    char *body = form("photo.png", "\r\n--XY\r\nbytes", "KEY", "in/${filename}",
                      "success_action_status", "201", "x-amz-meta-Who", "me", NULL);
    rs_s3h_call_t *c = rs_s3h_run("POST", "/bkt", body, strlen(body), "content-type", CT, NULL);
    free(body);
    cr_expect_eq(c->resp.status, 201, "%s", c->body);
    cr_expect(strstr(c->body, "<Key>in/photo.png</Key>") != NULL, "%s", c->body);
    cr_expect(strstr(c->body, "<Location>http://localhost:4566/bkt/in/photo.png</Location>") !=
                  NULL,
              "%s", c->body);
    rs_s3h_done(c);
    c = rs_s3h_run("GET", "/bkt/in/photo.png", NULL, 0, NULL);
    cr_expect_eq(c->resp.status, 200);
    cr_expect_eq(c->body_len, 13);
    cr_expect(memcmp(c->body, "\r\n--XY\r\nbytes", 13) == 0);
    cr_expect_str_eq(rs_s3h_hdr(c, "x-amz-meta-who"), "me");
    rs_s3h_done(c);
}
