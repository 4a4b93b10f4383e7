/*
 * test_store_list.c: ListObjects over the per-bucket skiplist: byte order, prefix,
 * delimiter grouping, start-after (also after a common prefix), max_items, truncation,
 * pagination equals a full listing, and O(log n + page) cost on a 100k-key bucket.
 * Runs in: tests.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/store.h"

static rs_store_t *st;
static rs_bucket_t bk;

static void mk(uint64_t cap, uint32_t objs)
{
    char name[64];
    rs_store_conf_t c = {.capacity_bytes = cap,
                         .max_objects = objs,
                         .max_buckets = 4,
                         .max_workers = 2,
                         .max_object_size = 1 << 20};
    snprintf(name, sizeof name, "/rs-test-list-%d", getpid());
    cr_assert_eq(rs_store_create(name, &c, &st), 0);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "r", &bk), 0);
}

static void teardown(void)
{
    if (st)
        rs_store_destroy(st, 1);
    st = NULL;
}
TestSuite(list, .fini = teardown);

static void put(const char *key, size_t klen)
{
    uint8_t d[8] = "abcdefgh";
    struct iovec v = {d, sizeof d};
    rs_obj_put_t p = {.bucket = &bk, .key = key, .key_len = klen, .data = &v, .data_iovcnt = 1};
    p.info.size = sizeof d;
    p.info.etag[0] = (uint8_t)klen;
    cr_assert_eq(rs_obj_put(st, &p), 0, "put %.*s", (int)klen, key);
}

static void puts_(const char *const *keys)
{
    for (; *keys; keys++)
        put(*keys, strlen(*keys));
}

/* List and render "key,key/,..." (prefixes end with '/' marker P:) */
static void ls(const char *prefix, const char *delim, const char *after, size_t max, char *out,
               size_t outlen, int *trunc)
{
    rs_list_query_t q = {.prefix = prefix,
                         .prefix_len = prefix ? strlen(prefix) : 0,
                         .delim = delim,
                         .delim_len = delim ? strlen(delim) : 0,
                         .after = after,
                         .after_len = after ? strlen(after) : 0,
                         .max_items = max};
    rs_list_result_t r;
    cr_assert_eq(rs_obj_list(st, &bk, &q, &r), 0);
    out[0] = 0;
    for (size_t i = 0; i < r.n; i++) {
        size_t l = strlen(out);
        snprintf(out + l, outlen - l, "%s%s%.*s", i ? "," : "", r.items[i].is_prefix ? "P:" : "",
                 (int)r.items[i].key_len, r.items[i].key);
        if (!r.items[i].is_prefix)
            cr_assert_eq(r.items[i].info.size, 8);
    }
    *trunc = r.truncated;
    rs_list_result_free(&r);
}

static const char *const keys[] = {"a",
                                   "a/1",
                                   "a/2",
                                   "a/b/c",
                                   "b",
                                   "b/x",
                                   "ba",
                                   "c/d/e",
                                   "c/f",
                                   "photos/2023/jan.jpg",
                                   "photos/2023/feb.jpg",
                                   "photos/2024/mar.jpg",
                                   "photos/index.html",
                                   "z",
                                   NULL};

Test(list, order_prefix_delimiter)
{
    char out[4096];
    int t;
    mk(16 << 20, 1024);
    puts_(keys);
    ls(NULL, NULL, NULL, 1000, out, sizeof out, &t);
    cr_assert_str_eq(out, "a,a/1,a/2,a/b/c,b,b/x,ba,c/d/e,c/f,photos/2023/feb.jpg,"
                          "photos/2023/jan.jpg,photos/2024/mar.jpg,photos/index.html,z");
    cr_assert_eq(t, 0);
    ls(NULL, "/", NULL, 1000, out, sizeof out, &t);
    cr_assert_str_eq(out, "a,P:a/,b,P:b/,ba,P:c/,P:photos/,z");
    ls("photos/", "/", NULL, 1000, out, sizeof out, &t);
    cr_assert_str_eq(out, "P:photos/2023/,P:photos/2024/,photos/index.html");
    ls("photos/2023/", "/", NULL, 1000, out, sizeof out, &t);
    cr_assert_str_eq(out, "photos/2023/feb.jpg,photos/2023/jan.jpg");
    ls("b", NULL, NULL, 1000, out, sizeof out, &t);
    cr_assert_str_eq(out, "b,b/x,ba");
    ls("nothing", NULL, NULL, 1000, out, sizeof out, &t);
    cr_assert_str_eq(out, "");
    ls("c", "/d/", NULL, 1000, out, sizeof out, &t);
    cr_assert_str_eq(out, "P:c/d/,c/f", "multi-byte delimiter");
}

Test(list, after_max_items_truncation)
{
    char out[4096];
    int t;
    mk(16 << 20, 1024);
    puts_(keys);
    ls(NULL, "/", NULL, 3, out, sizeof out, &t);
    cr_assert_str_eq(out, "a,P:a/,b");
    cr_assert_eq(t, 1);
    ls(NULL, "/", "b", 3, out, sizeof out, &t);
    cr_assert_str_eq(out, "P:b/,ba,P:c/");
    cr_assert_eq(t, 1);
    /* resuming after a common prefix skips its whole group */
    ls(NULL, "/", "a/", 2, out, sizeof out, &t);
    cr_assert_str_eq(out, "b,P:b/");
    ls(NULL, "/", "a/1", 10, out, sizeof out, &t);
    cr_assert_str_eq(out, "b,P:b/,ba,P:c/,P:photos/,z", "group a/ is <= after");
    ls(NULL, "/", "photos/", 10, out, sizeof out, &t);
    cr_assert_str_eq(out, "z");
    cr_assert_eq(t, 0);
    ls(NULL, NULL, "photos/2023/jan.jpg", 2, out, sizeof out, &t);
    cr_assert_str_eq(out, "photos/2024/mar.jpg,photos/index.html");
    cr_assert_eq(t, 1);
    ls(NULL, NULL, "z", 2, out, sizeof out, &t);
    cr_assert_str_eq(out, "");
    cr_assert_eq(t, 0);
    ls(NULL, NULL, NULL, 0, out, sizeof out, &t);
    cr_assert_str_eq(out, "");
    ls("photos/", NULL, "a", 1, out, sizeof out, &t);
    cr_assert_str_eq(out, "photos/2023/feb.jpg", "prefix beyond after");
    ls(NULL, NULL, NULL, 14, out, sizeof out, &t);
    cr_assert_eq(t, 0, "exactly all items: not truncated");
    ls(NULL, NULL, NULL, 13, out, sizeof out, &t);
    cr_assert_eq(t, 1);
}

Test(list, byte_order_and_deletes)
{
    char out[4096];
    int t;
    mk(16 << 20, 1024);
    put("\xc3\xa9", 2); /* é sorts after ASCII */
    put("e", 1);
    put("E", 1);
    put("e\x01", 2);
    ls(NULL, NULL, NULL, 10, out, sizeof out, &t);
    cr_assert_str_eq(out, "E,e,e\x01,\xc3\xa9");
    cr_assert_eq(rs_obj_delete(st, &bk, "e", 1, NULL), 0);
    ls(NULL, NULL, NULL, 10, out, sizeof out, &t);
    cr_assert_str_eq(out, "E,e\x01,\xc3\xa9");
    put("e", 1);
    put("e", 1); /* overwrite keeps one list node */
    ls(NULL, NULL, NULL, 10, out, sizeof out, &t);
    cr_assert_str_eq(out, "E,e,e\x01,\xc3\xa9");
    char why[256];
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s", why);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: robust to a loaded box */
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

Test(list, hundred_k_keys_fast_and_sorted, .timeout = 120)
{
    const int N = 100000;
    char k[64], prev[64] = "";
    mk(128 << 20, N + 1000);
    for (int i = 0; i < N; i++) {
        /* insertion order scrambled relative to key order */
        int j = (int)(((uint64_t)i * 7919) % N);
        int n = snprintf(k, sizeof k, "dir%02d/file-%06d", j % 50, j);
        put(k, (size_t)n);
    }
    rs_list_query_t q = {.max_items = 1000};
    rs_list_result_t r;
    size_t total = 0;
    double worst = 0;
    char after[64] = "";
    for (;;) {
        double t0 = now_ms();
        q.after = total ? after : NULL;
        q.after_len = strlen(after);
        cr_assert_eq(rs_obj_list(st, &bk, &q, &r), 0);
        double dt = now_ms() - t0;
        if (dt > worst)
            worst = dt;
        for (size_t i = 0; i < r.n; i++) {
            cr_assert_lt(strcmp(prev, r.items[i].key), 0, "order %s %s", prev, r.items[i].key);
            strcpy(prev, r.items[i].key);
        }
        total += r.n;
        if (r.n)
            strcpy(after, r.items[r.n - 1].key);
        int more = r.truncated;
        rs_list_result_free(&r);
        if (!more)
            break;
    }
    cr_assert_eq(total, (size_t)N);
    cr_log_info("100k keys: slowest 1000-key page %.3f ms", worst);
    cr_assert_lt(worst, 5.0, "slowest page %.2f ms", worst);
    /* a page deep inside with a delimiter: groups are seeked past, never walked */
    rs_list_query_t g = {.delim = "/", .delim_len = 1, .max_items = 1000};
    double t0 = now_ms();
    cr_assert_eq(rs_obj_list(st, &bk, &g, &r), 0);
    double dt = now_ms() - t0;
    cr_assert_eq(r.n, 50);
    cr_assert(r.items[0].is_prefix);
    cr_assert_str_eq(r.items[49].key, "dir49/");
    rs_list_result_free(&r);
    cr_assert_lt(dt, 5.0, "delimiter page %.2f ms", dt);
    rs_list_query_t mid = {.prefix = "dir25/",
                           .prefix_len = 6,
                           .after = "dir25/file-050000",
                           .after_len = 17,
                           .max_items = 10};
    t0 = now_ms();
    cr_assert_eq(rs_obj_list(st, &bk, &mid, &r), 0);
    dt = now_ms() - t0;
    cr_assert_eq(r.n, 10);
    cr_assert_str_eq(r.items[0].key, "dir25/file-050025");
    rs_list_result_free(&r);
    cr_assert_lt(dt, 2.0, "seek page %.2f ms", dt);
    char why[256];
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s", why);
}
