/*
 * test_store.c: buckets, the object index (put/get/overwrite/delete, conditions) and the
 * blob allocator (classes, big objects, full -> RS_ENOSPC / RS_ENOENTRIES with earlier
 * data intact, reclamation respecting pins), stats and reset.
 * Runs in: tests (one region per test; some tests fork).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/store.h"

static char g_name[64];

static rs_store_t *mk(uint64_t cap, uint32_t objs, uint64_t maxobj)
{
    rs_store_conf_t c = {.capacity_bytes = cap,
                         .max_objects = objs,
                         .max_buckets = 8,
                         .max_workers = 4,
                         .max_object_size = maxobj};
    rs_store_t *st;
    snprintf(g_name, sizeof g_name, "/rs-test-store-%d", getpid());
    cr_assert_eq(rs_store_create(g_name, &c, &st), 0);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    return st;
}

static void fin(rs_store_t *st)
{
    char why[256];
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "check: %s", why);
    rs_store_destroy(st, 1);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

static int put(rs_store_t *st, const rs_bucket_t *b, const char *key, const uint8_t *d, size_t n,
               const rs_put_cond_t *cond)
{
    struct iovec v = {(void *)d, n};
    rs_obj_put_t p = {.bucket = b,
                      .key = key,
                      .key_len = strlen(key),
                      .data = &v,
                      .data_iovcnt = 1,
                      .meta = (const uint8_t *)"m=1",
                      .meta_len = 3};
    p.info.size = n;
    p.info.mtime_ms = 1234;
    memset(p.info.etag, 0, 16);
    memcpy(p.info.etag, d, n < 16 ? n : 16);
    if (cond)
        p.cond = *cond;
    return rs_obj_put(st, &p);
}

static int same(rs_store_t *st, const rs_bucket_t *b, const char *key, const uint8_t *d, size_t n)
{
    rs_obj_view_t v;
    size_t off = 0;
    int ok = 1;
    if (rs_obj_get(st, b, key, strlen(key), &v) != 0)
        return 0;
    if (v.info.size != n || v.meta_len != 3 || memcmp(v.meta, "m=1", 3) != 0)
        ok = 0;
    for (size_t i = 0; ok && i < v.nseg; i++) {
        if (off + v.seg[i].iov_len > n || memcmp(d + off, v.seg[i].iov_base, v.seg[i].iov_len))
            ok = 0;
        off += v.seg[i].iov_len;
    }
    rs_obj_release(st, &v);
    return ok && off == n;
}

Test(bucket, create_lookup_owner_list_delete)
{
    rs_store_t *st = mk(4 << 20, 256, 1 << 20);
    rs_bucket_t b, c, *v;
    size_t n;
    uint8_t d[10] = "0123456789";

    cr_assert_eq(rs_bucket_create(st, "000000000000", "zeta", "us-east-1", &b), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "alpha", "eu-west-1", &c), 0);
    cr_assert_eq(rs_bucket_create(st, "111111111111", "mid", "us-east-1", NULL), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "zeta", "us-east-1", &c), RS_EEXIST);
    cr_assert_eq(rs_bucket_create(st, "111111111111", "zeta", "us-east-1", &c), RS_EOWNER);
    cr_assert_str_eq(c.account, "000000000000");
    cr_assert_eq(rs_bucket_lookup(st, "alpha", &c), 0);
    cr_assert_str_eq(c.region, "eu-west-1");
    cr_assert_eq(rs_bucket_lookup(st, "nope", &c), RS_ENOENT);
    cr_assert_eq(rs_bucket_list(st, NULL, &v, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(v[0].name, "alpha");
    cr_assert_str_eq(v[1].name, "mid");
    cr_assert_str_eq(v[2].name, "zeta");
    free(v);
    cr_assert_eq(rs_bucket_list(st, "111111111111", &v, &n), 0);
    cr_assert_eq(n, 1);
    free(v);
    cr_assert_eq(put(st, &b, "k", d, 10, NULL), 0);
    cr_assert_eq(rs_bucket_delete(st, "zeta"), RS_ENOTEMPTY);
    cr_assert_eq(rs_bucket_lookup(st, "zeta", &c), 0, "not-empty delete keeps the bucket");
    cr_assert_eq(rs_obj_delete(st, &b, "k", 1, NULL), 0);
    cr_assert_eq(rs_bucket_delete(st, "zeta"), 0);
    cr_assert_eq(rs_bucket_delete(st, "zeta"), RS_ENOENT);
    cr_assert_eq(put(st, &b, "k", d, 10, NULL), RS_ENOENT, "stale handle after delete");
    cr_assert_eq(rs_bucket_create(st, "000000000000", "zeta", "us-east-1", &c), 0);
    cr_assert_neq(c.gen, b.gen);
    cr_assert_eq(put(st, &b, "k", d, 10, NULL), RS_ENOENT, "old life stays dead");
    fin(st);
}

Test(bucket, table_full)
{
    rs_store_t *st = mk(2 << 20, 16, 1 << 20);
    char nm[16];
    for (int i = 0; i < 8; i++) {
        snprintf(nm, sizeof nm, "b%d", i);
        cr_assert_eq(rs_bucket_create(st, "000000000000", nm, "r", NULL), 0);
    }
    cr_assert_eq(rs_bucket_create(st, "000000000000", "one-more", "r", NULL), RS_ENOBUCKETS);
    cr_assert_eq(rs_bucket_delete(st, "b3"), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "one-more", "r", NULL), 0);
    fin(st);
}

Test(bucket, delete_racing_put)
{
    rs_store_t *st = mk(16 << 20, 4096, 1 << 20);
    rs_bucket_t b;
    for (int round = 0; round < 20; round++) {
        cr_assert_eq(rs_bucket_create(st, "000000000000", "race", "r", &b), 0);
        pid_t p = fork();
        if (p == 0) {
            uint8_t d[64];
            char k[32];
            int stored = 0;
            if (rs_store_attach(st, 1) != 0)
                _exit(2);
            for (int i = 0; i < 100; i++) {
                snprintf(k, sizeof k, "k%d", i);
                fill(d, sizeof d, (unsigned)i);
                int rc = put(st, &b, k, d, sizeof d, NULL);
                if (rc == 0)
                    stored++;
                else if (rc != RS_ENOENT)
                    _exit(3);
            }
            rs_store_detach(st);
            _exit(stored ? 0 : 1);
        }
        int rc, deleted = 0;
        for (int i = 0; i < 2000 && !deleted; i++) {
            rc = rs_bucket_delete(st, "race");
            cr_assert(rc == 0 || rc == RS_ENOTEMPTY, "rc %d", rc);
            if (rc == 0)
                deleted = 1;
            else {
                /* empty it again so the delete can win */
                rs_list_query_t q = {.max_items = 1000};
                rs_list_result_t r;
                cr_assert_eq(rs_obj_list(st, &b, &q, &r), 0);
                for (size_t j = 0; j < r.n; j++)
                    rs_obj_delete(st, &b, r.items[j].key, r.items[j].key_len, NULL);
                rs_list_result_free(&r);
            }
        }
        int ws;
        waitpid(p, &ws, 0);
        cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) <= 1, "child status %d", ws);
        char why[256];
        cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s", why);
        if (!deleted) {
            rs_list_query_t q = {.max_items = 1000};
            rs_list_result_t r;
            cr_assert_eq(rs_obj_list(st, &b, &q, &r), 0);
            for (size_t j = 0; j < r.n; j++)
                rs_obj_delete(st, &b, r.items[j].key, r.items[j].key_len, NULL);
            rs_list_result_free(&r);
            cr_assert_eq(rs_bucket_delete(st, "race"), 0);
        }
        cr_assert_eq(rs_bucket_lookup(st, "race", NULL), RS_ENOENT);
    }
    fin(st);
}

Test(index, put_get_overwrite_delete)
{
    rs_store_t *st = mk(8 << 20, 256, 4 << 20);
    rs_bucket_t b, b2;
    uint8_t d1[1000], d2[5000];
    fill(d1, sizeof d1, 1);
    fill(d2, sizeof d2, 2);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "r", &b), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk2", "r", &b2), 0);
    cr_assert_eq(put(st, &b, "a/b", d1, sizeof d1, NULL), 0);
    cr_assert(same(st, &b, "a/b", d1, sizeof d1));
    rs_obj_view_t v;
    cr_assert_eq(rs_obj_get(st, &b2, "a/b", 3, &v), RS_ENOENT, "buckets are separate");
    cr_assert_eq(rs_obj_get(st, &b, "a/c", 3, &v), RS_ENOENT);
    cr_assert_eq(put(st, &b, "a/b", d2, sizeof d2, NULL), 0);
    cr_assert(same(st, &b, "a/b", d2, sizeof d2));
    cr_assert_eq(put(st, &b, "empty", d1, 0, NULL), 0);
    cr_assert(same(st, &b, "empty", d1, 0));
    rs_store_stats_t s;
    rs_store_stats(st, &s);
    cr_assert_eq(s.objects, 2);
    cr_assert_eq(s.buckets, 2);
    cr_assert_eq(rs_obj_delete(st, &b, "a/b", 3, NULL), 0);
    cr_assert_eq(rs_obj_get(st, &b, "a/b", 3, &v), RS_ENOENT);
    cr_assert_eq(rs_obj_delete(st, &b, "a/b", 3, NULL), RS_ENOENT);
    char longkey[RS_MAX_KEY + 1];
    memset(longkey, 'x', RS_MAX_KEY);
    longkey[RS_MAX_KEY] = 0;
    cr_assert_eq(put(st, &b, longkey, d1, 10, NULL), 0);
    cr_assert(same(st, &b, longkey, d1, 10));
    fin(st);
}

Test(index, conditions)
{
    rs_store_t *st = mk(4 << 20, 64, 1 << 20);
    rs_bucket_t b;
    uint8_t d1[32], d2[32];
    rs_put_cond_t inm = {.if_none_match_star = 1}, im = {.has_if_match = 1};
    fill(d1, 32, 1);
    fill(d2, 32, 2);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "r", &b), 0);
    cr_assert_eq(put(st, &b, "k", d1, 32, &im), RS_ENOENT, "If-Match on absent key");
    cr_assert_eq(put(st, &b, "k", d1, 32, &inm), 0);
    cr_assert_eq(put(st, &b, "k", d2, 32, &inm), RS_EPRECOND, "If-None-Match * on existing");
    cr_assert(same(st, &b, "k", d1, 32));
    memcpy(im.if_match, d2, 16); /* etag of d2 != current (d1) */
    cr_assert_eq(put(st, &b, "k", d2, 32, &im), RS_EPRECOND);
    memcpy(im.if_match, d1, 16);
    cr_assert_eq(put(st, &b, "k", d2, 32, &im), 0);
    cr_assert(same(st, &b, "k", d2, 32));
    cr_assert_eq(rs_obj_delete(st, &b, "k", 1, d1), RS_EPRECOND);
    cr_assert(same(st, &b, "k", d2, 32));
    cr_assert_eq(rs_obj_delete(st, &b, "k", 1, d2), 0);
    fin(st);
}

Test(alloc, classes_and_big_objects)
{
    rs_store_t *st = mk(32 << 20, 256, 8 << 20);
    rs_bucket_t b;
    size_t sizes[] = {
        1, 100, 400, 513, 4000, 70000, 1000000, (1 << 20) - 200, 1 << 20, (3 << 20) + 17, 8 << 20};
    uint8_t *d = malloc(8 << 20);
    char k[32];
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "r", &b), 0);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        snprintf(k, sizeof k, "obj%zu", i);
        fill(d, sizes[i], (unsigned)i);
        cr_assert_eq(put(st, &b, k, d, sizes[i], NULL), 0, "size %zu", sizes[i]);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        snprintf(k, sizeof k, "obj%zu", i);
        fill(d, sizes[i], (unsigned)i);
        cr_assert(same(st, &b, k, d, sizes[i]), "size %zu", sizes[i]);
    }
    rs_obj_view_t v;
    cr_assert_eq(rs_obj_get(st, &b, "obj10", 5, &v), 0);
    cr_assert_eq(v.nseg, 8, "8 MiB = 8 data chunks");
    rs_obj_release(st, &v);
    cr_assert_eq(put(st, &b, "huge", d, (8 << 20) + 1, NULL), RS_ETOOBIG);
    free(d);
    fin(st);
}

Test(alloc, full_then_enospc_with_data_intact)
{
    rs_store_t *st = mk(8 << 20, 4096, 4 << 20);
    rs_bucket_t b;
    uint8_t d[100000];
    char k[32];
    int i, rc = 0;
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "r", &b), 0);
    for (i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        fill(d, sizeof d, (unsigned)i);
        rc = put(st, &b, k, d, sizeof d, NULL);
        if (rc)
            break;
    }
    cr_assert_eq(rc, RS_ENOSPC);
    cr_assert_gt(i, 30);
    /* overwrite of an existing key when full fails and leaves the old value */
    fill(d, sizeof d, 999);
    cr_assert_eq(put(st, &b, "k0", d, sizeof d, NULL), RS_ENOSPC);
    for (int j = 0; j < i; j++) {
        snprintf(k, sizeof k, "k%d", j);
        fill(d, sizeof d, (unsigned)j);
        cr_assert(same(st, &b, k, d, sizeof d), "k%d damaged", j);
    }
    char why[256];
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s", why);
    /* delete half: space comes back through reclamation */
    for (int j = 0; j < i; j += 2) {
        snprintf(k, sizeof k, "k%d", j);
        cr_assert_eq(rs_obj_delete(st, &b, k, strlen(k), NULL), 0);
    }
    fill(d, sizeof d, 5);
    cr_assert_eq(put(st, &b, "again", d, sizeof d, NULL), 0);
    cr_assert(same(st, &b, "again", d, sizeof d));
    /* a big object needs whole pages: pages of freed small chunks are released */
    uint8_t *big = malloc(2 << 20);
    fill(big, 2 << 20, 77);
    for (int j = 1; j < i; j += 2) {
        snprintf(k, sizeof k, "k%d", j);
        cr_assert_eq(rs_obj_delete(st, &b, k, strlen(k), NULL), 0);
    }
    cr_assert_eq(put(st, &b, "big", big, 2 << 20, NULL), 0);
    cr_assert(same(st, &b, "big", big, 2 << 20));
    free(big);
    fin(st);
}

Test(alloc, entries_full)
{
    rs_store_t *st = mk(8 << 20, 16, 1 << 20);
    rs_bucket_t b;
    uint8_t d[10] = {0};
    char k[32];
    int i, rc = 0;
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "r", &b), 0);
    for (i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "k%d", i);
        rc = put(st, &b, k, d, sizeof d, NULL);
        if (rc)
            break;
    }
    cr_assert_eq(rc, RS_ENOENTRIES);
    cr_assert_geq(i, 16, "at least max_objects fit");
    for (int j = 0; j < i; j++) {
        snprintf(k, sizeof k, "k%d", j);
        cr_assert(same(st, &b, k, d, sizeof d));
    }
    fin(st);
}

Test(alloc, reclaim_respects_pins)
{
    rs_store_t *st = mk(4 << 20, 256, 1 << 20);
    rs_bucket_t b;
    uint8_t d1[300000], d2[300000];
    rs_obj_view_t v;
    fill(d1, sizeof d1, 1);
    fill(d2, sizeof d2, 2);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "r", &b), 0);
    cr_assert_eq(put(st, &b, "k", d1, sizeof d1, NULL), 0);
    cr_assert_eq(rs_obj_get(st, &b, "k", 1, &v), 0); /* pin version 1 */
    cr_assert_eq(put(st, &b, "k", d2, sizeof d2, NULL), 0);
    /* churn: the arena holds ~6 such objects; the pinned one must survive reclamation */
    for (int i = 0; i < 40; i++) {
        uint8_t *d = (i & 1) ? d1 : d2;
        cr_assert_eq(put(st, &b, "other", d, sizeof d1, NULL), 0);
        rs_store_tick(st);
    }
    cr_assert_eq(v.nseg, 1);
    cr_assert_eq(memcmp(v.seg[0].iov_base, d1, sizeof d1), 0, "pinned extent was reused");
    rs_store_stats_t s1, s2;
    for (int i = 0; i < 20; i++)
        rs_store_tick(st);
    rs_store_stats(st, &s1);
    rs_obj_release(st, &v);
    for (int i = 0; i < 20; i++)
        rs_store_tick(st);
    rs_store_stats(st, &s2);
    cr_assert_lt(s2.used_bytes, s1.used_bytes, "unpinned retired extent reclaimed");
    cr_assert(same(st, &b, "k", d2, sizeof d2));
    fin(st);
}

Test(store, reset_empties_everything)
{
    rs_store_t *st = mk(8 << 20, 256, 1 << 20);
    rs_bucket_t b;
    uint8_t d[700];
    char k[32];
    fill(d, sizeof d, 3);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "r", &b), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk2", "r", NULL), 0);
    for (int i = 0; i < 50; i++) {
        snprintf(k, sizeof k, "k%d", i);
        cr_assert_eq(put(st, &b, k, d, sizeof d, NULL), 0);
    }
    cr_assert_eq(rs_store_reset(st), 0);
    rs_store_stats_t s;
    rs_store_stats(st, &s);
    cr_assert_eq(s.objects, 0);
    cr_assert_eq(s.buckets, 0);
    cr_assert_eq(s.used_bytes, 0);
    cr_assert_eq(rs_bucket_lookup(st, "bk", NULL), RS_ENOENT);
    fin(st);
}
