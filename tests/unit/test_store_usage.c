/*
 * test_store_usage.c: per-account usage counters of the S3 store and the quotas they
 * enforce: objects and bytes per account across buckets, overwrites, deletes, bucket
 * deletion releasing usage, reserved keys not counted, accounts kept apart, and exact
 * counters under concurrent writers in forked processes.
 * Runs in: tests.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/store.h"

static rs_store_t *st;

static void setup(void)
{
    char name[64];
    rs_store_conf_t c = {.capacity_bytes = 16 << 20,
                         .max_objects = 4096,
                         .max_buckets = 8,
                         .max_workers = 8,
                         .max_object_size = 1 << 20};
    snprintf(name, sizeof name, "/rs-test-usage-%d", getpid());
    cr_assert_eq(rs_store_create(name, &c, &st), 0);
    cr_assert_eq(rs_store_attach(st, 0), 0);
}

static void teardown(void)
{
    char why[256];
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "check: %s", why);
    cr_assert_eq(rs_store_usage_check(st, why, sizeof why), 0, "usage: %s", why);
    rs_store_destroy(st, 1);
}

static int put(const rs_bucket_t *b, const char *key, size_t n)
{
    static uint8_t d[1 << 16];
    struct iovec v = {d, n};
    rs_obj_put_t p = {
        .bucket = b, .key = key, .key_len = strlen(key), .data = &v, .data_iovcnt = 1};
    memset(d, 'x', n);
    p.info.size = n;
    return rs_obj_put(st, &p);
}

static rs_usage_t usage(const char *account)
{
    rs_usage_t u;
    rs_store_account_usage(st, account, &u);
    return u;
}

#define A1 "111111111111"
#define A2 "222222222222"

Test(usage, counts_objects_and_bytes_per_account, .init = setup, .fini = teardown)
{
    rs_bucket_t b1, b2, c1;
    cr_assert_eq(rs_bucket_create(st, A1, "b1", "us-east-1", &b1), 0);
    cr_assert_eq(rs_bucket_create(st, A1, "b2", "us-east-1", &b2), 0);
    cr_assert_eq(rs_bucket_create(st, A2, "c1", "us-east-1", &c1), 0);
    cr_assert_eq(put(&b1, "a", 100), 0);
    cr_assert_eq(put(&b2, "a", 200), 0);
    cr_assert_eq(put(&c1, "a", 5), 0);
    cr_assert_eq(usage(A1).objects, 2);
    cr_assert_eq(usage(A1).bytes, 300);
    cr_assert_eq(usage(A2).objects, 1);
    cr_assert_eq(usage(A2).bytes, 5);
    cr_assert_eq(put(&b1, "a", 1000), 0); /* overwrite: one object, new size */
    cr_assert_eq(usage(A1).objects, 2);
    cr_assert_eq(usage(A1).bytes, 1200);
    cr_assert_eq(put(&b1,
                     "\xff"
                     "cfg",
                     50),
                 0); /* a reserved key is not an object */
    cr_assert_eq(usage(A1).objects, 2);
    cr_assert_eq(rs_obj_delete(st, &b1, "a", 1, NULL), 0);
    cr_assert_eq(usage(A1).objects, 1);
    cr_assert_eq(usage(A1).bytes, 200);
    cr_assert_eq(rs_obj_delete(st, &b1,
                               "\xff"
                               "cfg",
                               4, NULL),
                 0);
    cr_assert_eq(rs_obj_delete(st, &b2, "a", 1, NULL), 0);
    cr_assert_eq(rs_bucket_delete(st, "b2"), 0);
    cr_assert_eq(usage(A1).objects, 0);
    cr_assert_eq(usage(A1).bytes, 0);
    cr_assert_eq(usage(A2).objects, 1);
}

Test(usage, object_quota_refuses_new_keys_not_overwrites, .init = setup, .fini = teardown)
{
    rs_bucket_t b1, b2, c1;
    rs_store_set_quota(st, 3, 0);
    cr_assert_eq(rs_bucket_create(st, A1, "b1", "us-east-1", &b1), 0);
    cr_assert_eq(rs_bucket_create(st, A1, "b2", "us-east-1", &b2), 0);
    cr_assert_eq(rs_bucket_create(st, A2, "c1", "us-east-1", &c1), 0);
    cr_assert_eq(put(&b1, "1", 10), 0);
    cr_assert_eq(put(&b1, "2", 10), 0);
    cr_assert_eq(put(&b2, "3", 10), 0);
    cr_assert_eq(put(&b2, "4", 10), RS_EQUOTA, "the quota spans the account's buckets");
    cr_assert_eq(put(&b1, "1", 20), 0, "an overwrite adds no object");
    cr_assert_eq(put(&b1,
                     "\xff"
                     "cfg",
                     20),
                 0, "bucket configuration is not an object");
    cr_assert_eq(put(&c1, "x", 10), 0, "another account has its own quota");
    cr_assert_eq(usage(A1).objects, 3);
    cr_assert_eq(rs_obj_delete(st, &b1, "2", 1, NULL), 0);
    cr_assert_eq(put(&b2, "4", 10), 0, "a delete releases usage");
    cr_assert_eq(put(&b2, "5", 10), RS_EQUOTA);
}

Test(usage, byte_quota_counts_growth, .init = setup, .fini = teardown)
{
    rs_bucket_t b1;
    rs_store_set_quota(st, 0, 1000);
    cr_assert_eq(rs_bucket_create(st, A1, "b1", "us-east-1", &b1), 0);
    cr_assert_eq(put(&b1, "a", 600), 0);
    cr_assert_eq(put(&b1, "b", 401), RS_EQUOTA);
    cr_assert_eq(put(&b1, "b", 400), 0, "exactly at the quota is allowed");
    cr_assert_eq(put(&b1, "a", 601), RS_EQUOTA, "an overwrite that grows counts its growth");
    cr_assert_eq(put(&b1, "a", 10), 0, "an overwrite that shrinks always passes");
    cr_assert_eq(usage(A1).bytes, 410);
    cr_assert_eq(rs_obj_delete(st, &b1, "a", 1, NULL), 0);
    cr_assert_eq(rs_obj_delete(st, &b1, "b", 1, NULL), 0);
    cr_assert_eq(usage(A1).bytes, 0);
}

/* Four processes write and delete their own keys in one bucket at once: the counters
 * equal what the index holds, and what the test knows each process left. */
Test(usage, exact_under_concurrent_writers, .init = setup, .fini = teardown, .timeout = 60)
{
    rs_bucket_t b1;
    cr_assert_eq(rs_bucket_create(st, A1, "b1", "us-east-1", &b1), 0);
    rs_store_detach(st);
    for (int w = 0; w < 4; w++) {
        pid_t p = fork();
        cr_assert(p >= 0);
        if (p == 0) {
            char k[32];
            if (rs_store_attach(st, (unsigned)w + 1) != 0)
                _exit(2);
            for (int i = 0; i < 600; i++) {
                snprintf(k, sizeof k, "w%d/%03d", w, i % 150);
                int rc = i % 3 == 2 ? rs_obj_delete(st, &b1, k, strlen(k), NULL) : 0;
                if (rc != 0 && rc != RS_ENOENT)
                    _exit(3);
                if (i % 3 != 2 && put(&b1, k, (size_t)(i % 7) * 100 + 1) != 0)
                    _exit(4);
            }
            rs_store_detach(st);
            _exit(0);
        }
    }
    for (int w = 0; w < 4; w++) {
        int ws;
        cr_assert_gt(wait(&ws), 0);
        cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "writer failed (%#x)", ws);
    }
    cr_assert_eq(rs_store_attach(st, 0), 0);
    /* each key k of a writer: i = k, k+150, k+300, k+450; i%3==2 deletes, else puts */
    uint64_t objs = 0, bytes = 0;
    for (int k = 0; k < 150; k++) {
        int last = k + 450;
        if (last % 3 != 2) {
            objs++;
            bytes += (uint64_t)(last % 7) * 100 + 1;
        }
    }
    cr_assert_eq(usage(A1).objects, 4 * objs);
    cr_assert_eq(usage(A1).bytes, 4 * bytes);
}
