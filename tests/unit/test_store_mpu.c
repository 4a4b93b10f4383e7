/*
 * test_store_mpu.c: multipart uploads in the store (store_mpu.h): ids, Create, UploadPart
 * (replacing a part), the upload's facts, ListParts, Abort (every chunk freed), Complete
 * (checks in AWS's order, 1,000 parts, unlisted parts freed, conditions), reading a
 * multipart object (segments, parts), reclaim of an overwritten multipart object,
 * ListMultipartUploads, the table limit, reset, bucket deletion, ids across a data_dir
 * reopen; every test ends with a clean full check.
 * Runs in: tests (one region per test).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/store.h"
#include "rs/store_mpu.h"
#include "shm/region_shm.h"
#include "store/store_shm.h"

static char g_name[64];
static rs_bucket_t bk;

static rs_store_t *mk_conf(uint64_t cap, uint32_t max_uploads)
{
    rs_store_conf_t c = {.capacity_bytes = cap,
                         .max_objects = 4096,
                         .max_buckets = 8,
                         .max_workers = 4,
                         .max_object_size = 8 << 20,
                         .max_uploads = max_uploads};
    rs_store_t *st;
    snprintf(g_name, sizeof g_name, "/rs-test-mpu-%d", getpid());
    cr_assert_eq(rs_store_create(g_name, &c, &st), 0);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "us-east-1", &bk), 0);
    return st;
}

static rs_store_t *mk(void)
{
    return mk_conf(64 << 20, 64);
}

static void check_clean(rs_store_t *st)
{
    char why[256];
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "check: %s", why);
}

static void fin(rs_store_t *st)
{
    check_clean(st);
    rs_store_destroy(st, 1);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
}

static uint64_t used(rs_store_t *st)
{
    rs_store_stats_t s;
    rs_store_stats(st, &s);
    return s.used_bytes;
}

static void reclaim(rs_store_t *st)
{
    for (int i = 0; i < 48; i++)
        rs_store_tick(st);
}

static rs_upload_id_t create(rs_store_t *st, const char *key)
{
    rs_mpu_create_t c = {.bucket = &bk,
                         .key = key,
                         .key_len = strlen(key),
                         .meta = (const uint8_t *)"meta=up",
                         .meta_len = 7,
                         .checksum_alg = RS_CKSUM_CRC32,
                         .checksum_type = RS_CKSUM_TYPE_COMPOSITE,
                         .storage_class = 2,
                         .now_ms = 5000};
    rs_upload_id_t id;
    cr_assert_eq(rs_mpu_create(st, &c, &id), 0);
    return id;
}

static rs_mpu_ref_t ref(const char *key, rs_upload_id_t id)
{
    rs_mpu_ref_t r = {.bucket = &bk, .key = key, .key_len = strlen(key), .id = id};
    return r;
}

/* Part `n` of `len` bytes from seed; its etag is the seed's byte pattern. */
static int part(rs_store_t *st, const char *key, rs_upload_id_t id, uint32_t n, size_t len,
                unsigned seed)
{
    uint8_t *d = malloc(len ? len : 1);
    fill(d, len, seed);
    struct iovec v = {d, len};
    rs_mpu_part_put_t p = {.up = ref(key, id), .number = n, .data = &v, .data_iovcnt = 1};
    p.info.size = len;
    p.info.mtime_ms = 6000 + seed;
    memset(p.info.etag, (int)seed, 16);
    int rc = rs_mpu_part_put(st, &p);
    free(d);
    return rc;
}

static int summ_calls;
static int summarise(void *arg, const rs_mpu_part_info_t *parts, size_t n, rs_obj_info_t *obj,
                     size_t *bad)
{
    int fail_at = arg ? *(int *)arg : -1;
    summ_calls++;
    memset(obj->etag, 0, 16);
    for (size_t i = 0; i < n; i++) {
        if ((int)i == fail_at) {
            *bad = i;
            return RS_EBADPART;
        }
        for (int k = 0; k < 16; k++)
            obj->etag[k] ^= parts[i].info.etag[k];
    }
    obj->checksum_len = 4;
    return 0;
}

static int complete(rs_store_t *st, const char *key, rs_upload_id_t id, const uint32_t *nums,
                    const unsigned *seeds, size_t n, uint64_t min, rs_mpu_complete_t *out)
{
    rs_mpu_listed_t *l = calloc(n ? n : 1, sizeof *l);
    for (size_t i = 0; i < n; i++) {
        l[i].number = nums[i];
        memset(l[i].etag, (int)seeds[i], 16);
    }
    rs_mpu_complete_t c = {.up = ref(key, id),
                           .parts = l,
                           .nparts = n,
                           .min_part_size = min,
                           .now_ms = 9000,
                           .summarise = summarise};
    if (out)
        c.cond = out->cond;
    int rc = rs_mpu_complete(st, &c);
    if (out)
        *out = c;
    free(l);
    return rc;
}

/* The object's bytes equal the parts (lens[i] bytes of seeds[i]) in order. */
static int holds_parts(rs_store_t *st, const char *key, const size_t *lens, const unsigned *seeds,
                       size_t n)
{
    rs_obj_view_t v;
    size_t total = 0, off = 0, o = 0;
    for (size_t i = 0; i < n; i++)
        total += lens[i];
    uint8_t *want = malloc(total ? total : 1);
    for (size_t i = 0; i < n; i++) {
        fill(want + o, lens[i], seeds[i]);
        o += lens[i];
    }
    int ok = rs_obj_get(st, &bk, key, strlen(key), &v) == 0;
    if (ok) {
        ok = v.info.size == total && v.info.parts == n && v.meta_len == 7 &&
             memcmp(v.meta, "meta=up", 7) == 0;
        for (size_t i = 0; ok && i < v.nseg; i++) {
            ok = off + v.seg[i].iov_len <= total &&
                 memcmp(want + off, v.seg[i].iov_base, v.seg[i].iov_len) == 0;
            off += v.seg[i].iov_len;
        }
        ok = ok && off == total;
        rs_obj_release(st, &v);
    }
    free(want);
    return ok;
}

static double ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

Test(store_mpu, upload_id_format_and_parse)
{
    rs_upload_id_t id = {.idx = 7, .gen = 0xabc, .rand = 0x0123456789abcdefull}, back;
    char s[RS_UPLOAD_ID_LEN + 1];
    rs_upload_id_format(id, s);
    cr_assert_str_eq(s, "0000000700000abc0123456789abcdef");
    cr_assert_eq(rs_upload_id_parse(s, strlen(s), &back), 0);
    cr_assert(back.idx == 7 && back.gen == 0xabc && back.rand == id.rand);
    cr_assert_eq(rs_upload_id_parse(s, 31, &back), RS_EINVAL);
    cr_assert_eq(rs_upload_id_parse("0000000700000ABC0123456789abcdef", 32, &back), RS_EINVAL);
    cr_assert_eq(rs_upload_id_parse("0000000700000abc0123456789abcdeg", 32, &back), RS_EINVAL);
}

Test(store_mpu, create_get_list_abort)
{
    rs_store_t *st = mk();
    uint64_t base = used(st);
    rs_upload_id_t id = create(st, "a/key");
    rs_mpu_ref_t r = ref("a/key", id);
    rs_mpu_info_t mi;
    rs_store_stats_t s;

    rs_store_stats(st, &s);
    cr_assert_eq(s.uploads, 1);
    cr_assert_eq(s.max_uploads, 64);
    cr_assert_eq(rs_mpu_get(st, &r, &mi), 0);
    cr_assert(mi.meta_len == 7 && memcmp(mi.meta, "meta=up", 7) == 0);
    cr_assert_eq(mi.info.checksum_alg, RS_CKSUM_CRC32);
    cr_assert_eq(mi.info.checksum_type, RS_CKSUM_TYPE_COMPOSITE);
    cr_assert_eq(mi.info.storage_class, 2);
    cr_assert_eq(mi.info.mtime_ms, 5000);
    cr_assert_eq(mi.nparts, 0);
    rs_mpu_info_free(&mi);

    cr_assert_eq(part(st, "a/key", id, 3, 1000, 3), 0);
    cr_assert_eq(part(st, "a/key", id, 1, 2 << 20, 1), 0); /* data chunks */
    cr_assert_eq(part(st, "a/key", id, 10000, 0, 9), 0);   /* empty, last page */
    cr_assert_eq(rs_mpu_get(st, &r, &mi), 0);
    cr_assert_eq(mi.nparts, 3);
    rs_mpu_info_free(&mi);

    rs_mpu_part_info_t pi[4];
    size_t n;
    int tr;
    cr_assert_eq(rs_mpu_list_parts(st, &r, 0, 4, pi, &n, &tr), 0);
    cr_assert(n == 3 && !tr);
    cr_assert(pi[0].number == 1 && pi[0].info.size == 2 << 20 && pi[0].info.etag[0] == 1);
    cr_assert(pi[1].number == 3 && pi[1].info.size == 1000 && pi[1].info.mtime_ms == 6003);
    cr_assert(pi[2].number == 10000 && pi[2].info.size == 0);
    cr_assert_eq(rs_mpu_list_parts(st, &r, 0, 1, pi, &n, &tr), 0);
    cr_assert(n == 1 && tr && pi[0].number == 1);
    cr_assert_eq(rs_mpu_list_parts(st, &r, 1, 1, pi, &n, &tr), 0);
    cr_assert(n == 1 && tr && pi[0].number == 3);
    cr_assert_eq(rs_mpu_list_parts(st, &r, 3, 1, pi, &n, &tr), 0);
    cr_assert(n == 1 && !tr && pi[0].number == 10000);
    cr_assert_eq(rs_mpu_list_parts(st, &r, 10000, 5, pi, &n, &tr), 0);
    cr_assert(n == 0 && !tr);
    check_clean(st);

    /* every mismatch is "no such upload" */
    rs_mpu_ref_t bad = r;
    bad.key = "a/kez";
    cr_assert_eq(rs_mpu_get(st, &bad, &mi), RS_ENOUPLOAD);
    bad = r;
    bad.id.rand ^= 1;
    cr_assert_eq(rs_mpu_abort(st, &bad), RS_ENOUPLOAD);
    bad = r;
    bad.id.gen++;
    cr_assert_eq(rs_mpu_list_parts(st, &bad, 0, 4, pi, &n, &tr), RS_ENOUPLOAD);
    bad = r;
    bad.id.idx = 1000000;
    cr_assert_eq(part(st, "a/key", bad.id, 1, 10, 1), RS_ENOUPLOAD);
    rs_bucket_t other;
    cr_assert_eq(rs_bucket_create(st, "000000000000", "other", "us-east-1", &other), 0);
    bad = r;
    bad.bucket = &other;
    cr_assert_eq(rs_mpu_abort(st, &bad), RS_ENOUPLOAD);
    cr_assert_eq(part(st, "a/key", id, 0, 10, 1), RS_EINVAL);
    cr_assert_eq(part(st, "a/key", id, 10001, 10, 1), RS_EINVAL);
    cr_assert_eq(part(st, "a/key", id, 2, (8 << 20) + 1, 1), RS_ETOOBIG);

    cr_assert_eq(rs_mpu_abort(st, &r), 0);
    cr_assert_eq(rs_mpu_abort(st, &r), RS_ENOUPLOAD);
    cr_assert_eq(rs_mpu_get(st, &r, &mi), RS_ENOUPLOAD);
    cr_assert_eq(part(st, "a/key", id, 1, 10, 1), RS_ENOUPLOAD);
    cr_assert_eq(used(st), base, "abort frees every chunk");
    rs_store_stats(st, &s);
    cr_assert_eq(s.uploads, 0);
    cr_assert_eq(rs_bucket_delete(st, "other"), 0);
    fin(st);
}

Test(store_mpu, create_in_missing_bucket)
{
    rs_store_t *st = mk();
    rs_bucket_t gone = bk;
    gone.gen++;
    rs_mpu_create_t c = {.bucket = &gone, .key = "k", .key_len = 1};
    rs_upload_id_t id;
    cr_assert_eq(rs_mpu_create(st, &c, &id), RS_ENOENT);
    c.bucket = &bk;
    c.key_len = 0;
    cr_assert_eq(rs_mpu_create(st, &c, &id), RS_EINVAL);
    fin(st);
}

Test(store_mpu, replace_a_part)
{
    rs_store_t *st = mk();
    rs_upload_id_t id = create(st, "k");
    cr_assert_eq(part(st, "k", id, 2, 3 << 20, 1), 0);
    uint64_t once = used(st);
    cr_assert_eq(part(st, "k", id, 2, 3 << 20, 2), 0);
    cr_assert_eq(used(st), once, "the replaced part is freed");
    cr_assert_eq(part(st, "k", id, 2, 100, 3), 0);
    rs_mpu_ref_t r = ref("k", id);
    rs_mpu_part_info_t pi[2];
    size_t n;
    int tr;
    cr_assert_eq(rs_mpu_list_parts(st, &r, 0, 2, pi, &n, &tr), 0);
    cr_assert(n == 1 && pi[0].info.size == 100 && pi[0].info.etag[0] == 3);
    check_clean(st);
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){2}, (unsigned[]){3}, 1, 0, NULL), 0);
    cr_assert(holds_parts(st, "k", (size_t[]){100}, (unsigned[]){3}, 1));
    fin(st);
}

Test(store_mpu, complete_checks_in_order_and_keeps_upload)
{
    rs_store_t *st = mk();
    rs_upload_id_t id = create(st, "k");
    rs_mpu_complete_t c;
    cr_assert_eq(part(st, "k", id, 1, 100, 1), 0);
    cr_assert_eq(part(st, "k", id, 2, 200, 2), 0);
    cr_assert_eq(part(st, "k", id, 3, 50, 3), 0);

    memset(&c, 0, sizeof c);
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){2, 1}, (unsigned[]){2, 1}, 2, 0, &c),
                 RS_EPARTORDER);
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 1}, (unsigned[]){1, 1}, 2, 0, &c),
                 RS_EPARTORDER);
    /* order is checked before existence */
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){7, 1}, (unsigned[]){7, 1}, 2, 0, &c),
                 RS_EPARTORDER);
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 4}, (unsigned[]){1, 4}, 2, 0, &c),
                 RS_EBADPART);
    cr_assert_eq(c.bad, 1);
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 2}, (unsigned[]){1, 9}, 2, 0, &c),
                 RS_EBADPART);
    cr_assert_eq(c.bad, 1);
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 2, 3}, (unsigned[]){1, 2, 3}, 3, 150, &c),
                 RS_ETOOSMALL);
    cr_assert_eq(c.bad, 0, "part 1 (100 bytes) is under 150; the last may be small");
    /* the summarise verdict */
    int fail_at = 1;
    rs_mpu_listed_t l[2] = {{.number = 1}, {.number = 2}};
    memset(l[0].etag, 1, 16);
    memset(l[1].etag, 2, 16);
    rs_mpu_complete_t cc = {
        .up = ref("k", id), .parts = l, .nparts = 2, .summarise = summarise, .arg = &fail_at};
    cr_assert_eq(rs_mpu_complete(st, &cc), RS_EBADPART);
    cr_assert_eq(cc.bad, 1);
    /* conditions: If-Match on an absent key, then If-None-Match on a present one */
    memset(&c, 0, sizeof c);
    c.cond.has_if_match = 1;
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 2}, (unsigned[]){1, 2}, 2, 0, &c),
                 RS_ENOENT);
    struct iovec v = {"x", 1};
    rs_obj_put_t p = {.bucket = &bk, .key = "k", .key_len = 1, .data = &v, .data_iovcnt = 1};
    p.info.size = 1;
    cr_assert_eq(rs_obj_put(st, &p), 0);
    memset(&c, 0, sizeof c);
    c.cond.if_none_match_star = 1;
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 2}, (unsigned[]){1, 2}, 2, 0, &c),
                 RS_EPRECOND);
    check_clean(st);
    /* still open with its three parts */
    rs_mpu_ref_t r = ref("k", id);
    rs_mpu_info_t mi;
    cr_assert_eq(rs_mpu_get(st, &r, &mi), 0);
    cr_assert_eq(mi.nparts, 3);
    rs_mpu_info_free(&mi);

    /* If-Match with the multipart ETag's part count */
    memset(&c, 0, sizeof c);
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 3}, (unsigned[]){1, 3}, 2, 0, &c), 0);
    cr_assert_eq(c.info.parts, 2);
    cr_assert_eq(c.info.size, 150);
    cr_assert_eq(c.info.mtime_ms, 9000);
    cr_assert_eq(c.info.storage_class, 2);
    cr_assert_eq(c.info.checksum_type, RS_CKSUM_TYPE_COMPOSITE);
    cr_assert_eq(c.info.etag[0], 1 ^ 3);
    cr_assert_eq(rs_mpu_get(st, &r, &mi), RS_ENOUPLOAD, "completed: gone");
    cr_assert(holds_parts(st, "k", (size_t[]){100, 50}, (unsigned[]){1, 3}, 2));
    rs_put_cond_t cond = {.has_if_match = 1, .if_match_parts = 1};
    memcpy(cond.if_match, c.info.etag, 16);
    p.cond = cond;
    cr_assert_eq(rs_obj_put(st, &p), RS_EPRECOND, "a plain etag does not match -2");
    p.cond.if_match_parts = 2;
    cr_assert_eq(rs_obj_put(st, &p), 0);
    fin(st);
}

Test(store_mpu, complete_thousand_parts_fast)
{
    rs_store_t *st = mk_conf(64 << 20, 16);
    rs_upload_id_t id = create(st, "many");
    uint32_t nums[1000];
    unsigned seeds[1000];
    size_t lens[1000];
    struct timespec t0;
    rs_mpu_complete_t c;

    for (uint32_t i = 0; i < 1000; i++) {
        nums[i] = i + 1;
        seeds[i] = i & 0xff;
        lens[i] = 100 + i % 7;
        cr_assert_eq(part(st, "many", id, nums[i], lens[i], seeds[i]), 0);
    }
    rs_mpu_ref_t r = ref("many", id);
    rs_mpu_part_info_t *pi = malloc(sizeof *pi * 1000);
    size_t n;
    int tr;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(rs_mpu_list_parts(st, &r, 0, 1000, pi, &n, &tr), 0);
    double lms = ms_since(&t0);
    cr_assert(n == 1000 && !tr);
    free(pi);
    memset(&c, 0, sizeof c);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(complete(st, "many", id, nums, seeds, 1000, 0, &c), 0);
    double cms = ms_since(&t0);
    cr_log_info("ListParts of 1000: %.3f ms; Complete of 1000: %.3f ms", lms, cms);
    cr_assert_lt(cms, 20.0, "Complete of 1,000 parts took %.1f ms", cms);
    cr_assert_lt(lms, 2.0, "ListParts of 1,000 parts took %.2f ms", lms);
    cr_assert(holds_parts(st, "many", lens, seeds, 1000));
    rs_obj_view_t v;
    uint64_t first, last;
    rs_obj_info_t pinfo;
    cr_assert_eq(rs_obj_get(st, &bk, "many", 4, &v), 0);
    cr_assert_eq(v.nseg, 1000);
    cr_assert_eq(rs_obj_view_part(st, &v, 1, &first, &last, &pinfo), 0);
    cr_assert(first == 0 && last == 99 && pinfo.size == 100 && pinfo.etag[0] == 0);
    cr_assert_eq(rs_obj_view_part(st, &v, 3, &first, &last, &pinfo), 0);
    cr_assert(first == 201 && last == 201 + 102 - 1 && pinfo.etag[0] == 2);
    cr_assert_eq(rs_obj_view_part(st, &v, 0, &first, &last, &pinfo), RS_EINVAL);
    cr_assert_eq(rs_obj_view_part(st, &v, 1001, &first, &last, &pinfo), RS_EINVAL);
    rs_obj_release(st, &v);
    fin(st);
}

Test(store_mpu, big_parts_are_not_copied)
{
    rs_store_t *st = mk();
    rs_upload_id_t id = create(st, "big");
    size_t lens[3] = {(5 << 20) + 3, (5 << 20), 12345};
    unsigned seeds[3] = {11, 12, 13};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(part(st, "big", id, (uint32_t)i + 1, lens[i], seeds[i]), 0);
    uint64_t before = used(st);
    cr_assert_eq(complete(st, "big", id, (uint32_t[]){1, 2, 3}, seeds, 3, 5 << 20, NULL), 0);
    /* only the composite head (a small chunk) and no page of bytes: the parts moved */
    cr_assert_lt(used(st), before + 4096);
    cr_assert(holds_parts(st, "big", lens, seeds, 3));
    rs_obj_view_t v;
    cr_assert_eq(rs_obj_get(st, &bk, "big", 3, &v), 0);
    cr_assert_eq(v.nseg, 6 + 5 + 1);
    uint64_t first, last;
    cr_assert_eq(rs_obj_view_part(st, &v, 2, &first, &last, NULL), 0);
    cr_assert(first == lens[0] && last == lens[0] + lens[1] - 1);
    rs_obj_release(st, &v);
    fin(st);
}

Test(store_mpu, unlisted_parts_freed_and_overwrite_frees_parts)
{
    rs_store_t *st = mk();
    uint64_t base = used(st);
    rs_upload_id_t id = create(st, "k");
    cr_assert_eq(part(st, "k", id, 1, 2 << 20, 1), 0);
    cr_assert_eq(part(st, "k", id, 2, 3 << 20, 2), 0); /* unlisted */
    cr_assert_eq(part(st, "k", id, 3, 1000, 3), 0);
    cr_assert_eq(part(st, "k", id, 700, 5000, 4), 0); /* unlisted, its own map page */
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 3}, (unsigned[]){1, 3}, 2, 0, NULL), 0);
    check_clean(st);
    /* the same object by the listed parts only, as a single upload would leave it */
    rs_upload_id_t id2 = create(st, "k2");
    cr_assert_eq(part(st, "k2", id2, 1, 2 << 20, 1), 0);
    cr_assert_eq(part(st, "k2", id2, 3, 1000, 3), 0);
    cr_assert_eq(complete(st, "k2", id2, (uint32_t[]){1, 3}, (unsigned[]){1, 3}, 2, 0, NULL), 0);
    uint64_t both = used(st);
    cr_assert_eq(rs_obj_delete(st, &bk, "k2", 2, NULL), 0);
    reclaim(st);
    uint64_t one = used(st);
    cr_assert_eq(both - one, one - base, "unlisted parts left nothing behind");
    /* an overwrite retires the composite; reclaim frees its parts */
    struct iovec v = {"plain", 5};
    rs_obj_put_t p = {.bucket = &bk, .key = "k", .key_len = 1, .data = &v, .data_iovcnt = 1};
    p.info.size = 5;
    cr_assert_eq(rs_obj_put(st, &p), 0);
    cr_assert_eq(rs_obj_delete(st, &bk, "k", 1, NULL), 0);
    reclaim(st);
    cr_assert_eq(used(st), base, "an overwritten multipart object frees its parts");
    fin(st);
}

Test(store_mpu, pinned_composite_survives_reclaim)
{
    rs_store_t *st = mk();
    uint64_t base = used(st);
    rs_upload_id_t id = create(st, "k");
    cr_assert_eq(part(st, "k", id, 1, 2 << 20, 1), 0);
    cr_assert_eq(part(st, "k", id, 2, 10, 2), 0);
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 2}, (unsigned[]){1, 2}, 2, 0, NULL), 0);
    rs_obj_view_t v;
    cr_assert_eq(rs_obj_get(st, &bk, "k", 1, &v), 0);
    cr_assert_eq(rs_obj_delete(st, &bk, "k", 1, NULL), 0);
    reclaim(st);
    uint8_t *want = malloc(2 << 20);
    fill(want, 2 << 20, 1);
    cr_assert_eq(memcmp(v.seg[0].iov_base, want, v.seg[0].iov_len), 0);
    free(want);
    check_clean(st);
    rs_obj_release(st, &v);
    reclaim(st);
    cr_assert_eq(used(st), base);
    fin(st);
}

Test(store_mpu, list_uploads)
{
    rs_store_t *st = mk();
    const char *keys[] = {"b/2", "a", "b/1", "c", "a"};
    rs_upload_id_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = create(st, keys[i]);
    rs_mpu_list_query_t q = {.max_uploads = 100};
    rs_mpu_list_result_t res;
    cr_assert_eq(rs_mpu_list(st, &bk, &q, &res), 0);
    cr_assert_eq(res.n, 5);
    cr_assert_str_eq(res.items[0].key, "a");
    cr_assert_str_eq(res.items[1].key, "a");
    cr_assert_eq(res.items[0].id.idx, ids[1].idx, "same key: by initiation, then index");
    cr_assert_eq(res.items[1].id.idx, ids[4].idx);
    cr_assert_str_eq(res.items[2].key, "b/1");
    cr_assert_str_eq(res.items[4].key, "c");
    cr_assert_eq(res.items[4].info.storage_class, 2);
    cr_assert(!res.truncated);
    rs_mpu_list_result_free(&res);

    q.max_uploads = 1;
    q.key_marker = "a";
    q.key_marker_len = 1;
    q.has_id_marker = 1;
    q.id_marker = ids[1];
    cr_assert_eq(rs_mpu_list(st, &bk, &q, &res), 0);
    cr_assert(res.n == 1 && res.truncated && res.items[0].id.idx == ids[4].idx);
    rs_mpu_list_result_free(&res);
    q.has_id_marker = 0;
    cr_assert_eq(rs_mpu_list(st, &bk, &q, &res), 0);
    cr_assert(res.n == 1 && res.truncated);
    cr_assert_str_eq(res.items[0].key, "b/1");
    rs_mpu_list_result_free(&res);

    rs_mpu_list_query_t d = {.delim = "/", .delim_len = 1, .max_uploads = 10};
    cr_assert_eq(rs_mpu_list(st, &bk, &d, &res), 0);
    cr_assert_eq(res.n, 4);
    cr_assert(res.items[2].is_prefix);
    cr_assert_str_eq(res.items[2].key, "b/");
    rs_mpu_list_result_free(&res);
    d.key_marker = "b/";
    d.key_marker_len = 2;
    cr_assert_eq(rs_mpu_list(st, &bk, &d, &res), 0);
    cr_assert_eq(res.n, 1, "resuming after a common prefix skips its group");
    cr_assert_str_eq(res.items[0].key, "c");
    rs_mpu_list_result_free(&res);
    rs_mpu_list_query_t pq = {.prefix = "b/", .prefix_len = 2, .max_uploads = 10};
    cr_assert_eq(rs_mpu_list(st, &bk, &pq, &res), 0);
    cr_assert_eq(res.n, 2);
    rs_mpu_list_result_free(&res);
    fin(st);
}

Test(store_mpu, table_full_then_reset)
{
    rs_store_t *st = mk_conf(16 << 20, 2);
    uint64_t base = used(st);
    rs_upload_id_t a = create(st, "a");
    create(st, "b");
    rs_mpu_create_t c = {.bucket = &bk, .key = "c", .key_len = 1};
    rs_upload_id_t id;
    cr_assert_eq(rs_mpu_create(st, &c, &id), RS_ENOUPLOADS);
    cr_assert_eq(part(st, "a", a, 1, 3 << 20, 1), 0);
    rs_mpu_ref_t r = ref("a", a);
    cr_assert_eq(rs_mpu_abort(st, &r), 0);
    cr_assert_eq(rs_mpu_create(st, &c, &id), 0, "a freed slot is reused");
    cr_assert_neq(id.gen, 0);
    cr_assert_eq(part(st, "c", id, 1, 3 << 20, 1), 0);
    cr_assert_eq(rs_store_reset(st), 0);
    cr_assert_eq(used(st), base);
    rs_store_stats_t s;
    rs_store_stats(st, &s);
    cr_assert_eq(s.uploads, 0);
    fin(st);
}

Test(store_mpu, ids_survive_data_dir_reopen)
{
    char dir[64], why[512], p[128];
    rs_store_conf_t c = {.capacity_bytes = 16 << 20,
                         .max_objects = 256,
                         .max_buckets = 4,
                         .max_workers = 2,
                         .max_object_size = 4 << 20,
                         .max_uploads = 8};
    rs_store_t *st;
    snprintf(dir, sizeof dir, "/tmp/rs-mpu-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "us-east-1", &bk), 0);
    rs_upload_id_t id = create(st, "persist");
    cr_assert_eq(part(st, "persist", id, 1, 2 << 20, 1), 0);
    cr_assert_eq(part(st, "persist", id, 2, 77, 2), 0);
    rs_store_destroy(st, 0);

    c.max_uploads = 9;
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), RS_EINVAL);
    cr_assert(strstr(why, "s3_max_uploads") != NULL, "%s", why);
    c.max_uploads = 8;
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_bucket_lookup(st, "bk", &bk), 0);
    rs_mpu_ref_t r = ref("persist", id);
    rs_mpu_part_info_t pi[4];
    size_t n;
    int tr;
    cr_assert_eq(rs_mpu_list_parts(st, &r, 0, 4, pi, &n, &tr), 0);
    cr_assert(n == 2 && pi[1].info.size == 77);
    cr_assert_eq(complete(st, "persist", id, (uint32_t[]){1, 2}, (unsigned[]){1, 2}, 2, 0, NULL),
                 0);
    cr_assert(holds_parts(st, "persist", (size_t[]){2 << 20, 77}, (unsigned[]){1, 2}, 2));
    check_clean(st);
    rs_store_destroy(st, 0);
    snprintf(p, sizeof p, "%s/s3/store.region", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/store.region", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock", dir);
    unlink(p);
    rmdir(dir);
}

Test(store_mpu, bucket_delete_aborts_uploads)
{
    rs_store_t *st = mk();
    uint64_t base = used(st);
    rs_upload_id_t a = create(st, "a"), b = create(st, "b");
    cr_assert_eq(part(st, "a", a, 1, 3 << 20, 1), 0);
    cr_assert_eq(part(st, "b", b, 9, 100, 2), 0);
    struct iovec v = {"x", 1};
    rs_obj_put_t p = {.bucket = &bk, .key = "obj", .key_len = 3, .data = &v, .data_iovcnt = 1};
    p.info.size = 1;
    cr_assert_eq(rs_obj_put(st, &p), 0);
    cr_assert_eq(rs_bucket_delete(st, "bk"), RS_ENOTEMPTY, "an object keeps the bucket");
    rs_mpu_ref_t r = ref("a", a);
    rs_mpu_info_t mi;
    cr_assert_eq(rs_mpu_get(st, &r, &mi), 0, "uploads of a non-empty bucket stay");
    rs_mpu_info_free(&mi);
    cr_assert_eq(rs_obj_delete(st, &bk, "obj", 3, NULL), 0);
    cr_assert_eq(rs_bucket_delete(st, "bk"), 0, "uploads alone do not keep the bucket");
    cr_assert_eq(rs_mpu_get(st, &r, &mi), RS_ENOUPLOAD);
    rs_store_stats_t s;
    rs_store_stats(st, &s);
    cr_assert_eq(s.uploads, 0);
    reclaim(st);
    cr_assert_eq(used(st), base);
    /* a new bucket of the same name sees none of them */
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "us-east-1", &bk), 0);
    rs_mpu_list_query_t q = {.max_uploads = 10};
    rs_mpu_list_result_t res;
    cr_assert_eq(rs_mpu_list(st, &bk, &q, &res), 0);
    cr_assert_eq(res.n, 0);
    rs_mpu_list_result_free(&res);
    fin(st);
}

/* Turn the v2 file into what a format-1 build wrote: the header without the upload table,
 * the file cut after the arena (unless `keep_size`: a crash in the middle of an upgrade),
 * and garbage in every head's fields that format 1 never wrote. */
static void make_v1(const char *file, int keep_size)
{
    int fd = open(file, O_RDWR);
    struct stat sb;
    cr_assert(fd >= 0 && fstat(fd, &sb) == 0);
    uint8_t *m = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    cr_assert(m != MAP_FAILED);
    rs_shm_hdr_t *h = (rs_shm_hdr_t *)m;
    uint64_t v1 = h->toc_uploads, heads = 0;
    for (uint64_t o = h->toc.arena; o < h->toc.arena + h->capacity; o += 512) {
        rs_ext_hdr_t *x = (rs_ext_hdr_t *)(m + o);
        if (x->magic != RS_EXT_MAGIC)
            continue;
        x->kind = 0xdeadbeef;
        x->info.checksum_type = 0x5a;
        x->info.parts = 77;
        heads++;
    }
    cr_assert_gt(heads, 2);
    h->format = 0x01005990u; /* as the format-1 build wrote it */
    h->size = v1;
    h->toc_uploads = 0;
    h->nuploads = 0;
    munmap(m, (size_t)sb.st_size);
    if (!keep_size)
        cr_assert_eq(ftruncate(fd, (off_t)v1), 0);
    close(fd);
}

Test(store_mpu, v1_file_upgraded_in_place)
{
    char dir[64], why[512], file[128], p[128];
    rs_store_conf_t c = {.capacity_bytes = 16 << 20,
                         .max_objects = 256,
                         .max_buckets = 4,
                         .max_workers = 2,
                         .max_object_size = 4 << 20,
                         .max_uploads = 8};
    rs_store_t *st;
    uint8_t *big = malloc(5 << 19);
    fill(big, 5 << 19, 42);
    snprintf(dir, sizeof dir, "/tmp/rs-mpu1-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/store.region", dir);
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "us-east-1", &bk), 0);
    struct iovec v = {big, 5 << 19};
    rs_obj_put_t put = {.bucket = &bk, .key = "big", .key_len = 3, .data = &v, .data_iovcnt = 1};
    put.info.size = 5 << 19;
    cr_assert_eq(rs_obj_put(st, &put), 0);
    put.key = "small";
    put.key_len = 5;
    cr_assert_eq(rs_obj_put(st, &put), 0);
    v.iov_len = put.info.size = 100;
    cr_assert_eq(rs_obj_put(st, &put), 0); /* the first "small" is RETIRED */
    rs_store_destroy(st, 0);

    for (int round = 0; round < 2; round++) {
        make_v1(file, round == 1);
        c.max_buckets = 5;
        cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), RS_EINVAL);
        cr_assert(strstr(why, "s3_max_buckets") != NULL, "%s", why);
        c.max_buckets = 4;
        cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
        cr_assert_eq(rs_store_attach(st, 0), 0);
        cr_assert_eq(rs_bucket_lookup(st, "bk", &bk), 0);
        rs_obj_view_t ov;
        cr_assert_eq(rs_obj_get(st, &bk, "big", 3, &ov), 0);
        cr_assert_eq(ov.info.parts, 0);
        cr_assert_eq(ov.info.checksum_type, 0);
        size_t off = 0;
        for (size_t i = 0; i < ov.nseg; i++) {
            cr_assert_eq(memcmp(big + off, ov.seg[i].iov_base, ov.seg[i].iov_len), 0);
            off += ov.seg[i].iov_len;
        }
        cr_assert_eq(off, 5u << 19);
        rs_obj_release(st, &ov);
        cr_assert_eq(rs_obj_get(st, &bk, "small", 5, &ov), 0);
        cr_assert(ov.info.size == 100 && ov.info.parts == 0);
        rs_obj_release(st, &ov);
        check_clean(st);
        rs_upload_id_t id = create(st, "after");
        cr_assert_eq(part(st, "after", id, 1, 1000, 1), 0);
        rs_mpu_ref_t r = ref("after", id);
        cr_assert_eq(rs_mpu_abort(st, &r), 0);
        reclaim(st);
        check_clean(st);
        rs_store_destroy(st, 0);
        /* upgraded for good: a plain v2 open */
        cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
        rs_store_destroy(st, 0);
    }
    free(big);
    unlink(file);
    snprintf(p, sizeof p, "%s/lock", dir);
    unlink(p);
    rmdir(dir);
}

/* Every range of a multipart object (and of a plain one) sliced equals the same range of
 * the flat bytes. */
Test(store_mpu, view_slice)
{
    rs_store_t *st = mk();
    rs_upload_id_t id = create(st, "s");
    size_t lens[4] = {(3 << 19) + 7, 10, 0, (1 << 20) + 1};
    unsigned seeds[4] = {21, 22, 23, 24};
    uint32_t nums[4] = {2, 4, 6, 9};
    size_t total = 0;
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(part(st, "s", id, nums[i], lens[i], seeds[i]), 0);
        total += lens[i];
    }
    cr_assert_eq(complete(st, "s", id, nums, seeds, 4, 0, NULL), 0);
    uint8_t *flat = calloc(1, 3 << 20), *got = malloc(total); /* total < 3 MiB */
    size_t o = 0;
    for (int i = 0; i < 4; i++) {
        fill(flat + o, lens[i], seeds[i]);
        o += lens[i];
    }
    rs_obj_view_t v;
    cr_assert_eq(rs_obj_get(st, &bk, "s", 1, &v), 0);
    const uint64_t cuts[] = {
        0,         1,        1 << 20, (3 << 19) + 6, (3 << 19) + 7, (3 << 19) + 16, (3 << 19) + 17,
        total - 2, total - 1};
    struct iovec seg[16];
    for (size_t a = 0; a < sizeof cuts / sizeof cuts[0]; a++) {
        for (size_t b = a; b < sizeof cuts / sizeof cuts[0]; b++) {
            size_t n = rs_obj_view_slice(st, &v, cuts[a], cuts[b], seg, 16), off = 0;
            cr_assert(n >= 1 && n <= 16);
            for (size_t i = 0; i < n; i++) {
                memcpy(got + off, seg[i].iov_base, seg[i].iov_len);
                off += seg[i].iov_len;
            }
            cr_assert_eq(off, cuts[b] - cuts[a] + 1, "%zu..%zu", (size_t)cuts[a], (size_t)cuts[b]);
            cr_assert_eq(memcmp(got, flat + cuts[a], off), 0);
        }
    }
    cr_assert_eq(rs_obj_view_slice(st, &v, 0, total, seg, 16), 0, "past the end");
    cr_assert_eq(rs_obj_view_slice(st, &v, 5, 4, seg, 16), 0);
    cr_assert_eq(rs_obj_view_slice(st, &v, 0, total - 1, seg, 1), 5, "the count when short");
    rs_obj_release(st, &v);
    /* a plain object */
    struct iovec pv = {flat, 3 << 20};
    rs_obj_put_t p = {.bucket = &bk, .key = "p", .key_len = 1, .data = &pv, .data_iovcnt = 1};
    p.info.size = 3 << 20;
    cr_assert_eq(rs_obj_put(st, &p), 0);
    cr_assert_eq(rs_obj_get(st, &bk, "p", 1, &v), 0);
    size_t n = rs_obj_view_slice(st, &v, (1 << 20) - 1, (2 << 20), seg, 16), off = 0;
    cr_assert_eq(n, 3);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(memcmp(seg[i].iov_base, flat + (1 << 20) - 1 + off, seg[i].iov_len), 0);
        off += seg[i].iov_len;
    }
    cr_assert_eq(off, (1 << 20) + 2);
    rs_obj_release(st, &v);
    free(flat);
    free(got);
    fin(st);
}

Test(store_mpu, full_store_fails_cleanly)
{
    rs_store_t *st = mk_conf(8 << 20, 4);
    rs_upload_id_t id = create(st, "k");
    cr_assert_eq(part(st, "k", id, 1, 3 << 20, 1), 0);
    cr_assert_eq(part(st, "k", id, 2, 3 << 20, 2), 0);
    uint64_t before = used(st);
    /* no room for a third 3 MiB part (nor for replacing one: the new one is built first) */
    cr_assert_eq(part(st, "k", id, 3, 3 << 20, 3), RS_ENOSPC);
    cr_assert_eq(part(st, "k", id, 1, 3 << 20, 4), RS_ENOSPC);
    cr_assert_eq(used(st), before, "a failed part leaves nothing behind");
    rs_mpu_ref_t r = ref("k", id);
    rs_mpu_part_info_t pi[4];
    size_t n;
    int tr;
    cr_assert_eq(rs_mpu_list_parts(st, &r, 0, 4, pi, &n, &tr), 0);
    cr_assert(n == 2 && pi[0].info.etag[0] == 1 && pi[1].info.etag[0] == 2);
    cr_assert_eq(complete(st, "k", id, NULL, NULL, 0, 0, NULL), RS_EINVAL, "no parts listed");
    check_clean(st);
    /* Complete needs no room for bytes: only its head */
    cr_assert_eq(complete(st, "k", id, (uint32_t[]){1, 2}, (unsigned[]){1, 2}, 2, 0, NULL), 0);
    size_t lens[2] = {3 << 20, 3 << 20};
    cr_assert(holds_parts(st, "k", lens, (unsigned[]){1, 2}, 2));
    fin(st);
}
