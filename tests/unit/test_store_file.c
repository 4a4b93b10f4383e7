/*
 * test_store_file.c: the file-backed store of a data directory (rs_store_open_dir): data
 * survives a close and reopen, the generation moves, a second instance and a configuration
 * that does not fit are refused with the setting and the file named, a foreign, short or
 * corrupt file is refused and kept.
 * Runs in: tests.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/store.h"
#include "store/store_int.h"

static char top[64], dir[128], file[160];

static rs_store_conf_t base_conf(void)
{
    rs_store_conf_t c = {.capacity_bytes = 8 << 20,
                         .max_objects = 64,
                         .max_buckets = 4,
                         .max_workers = 2,
                         .max_object_size = 2 << 20};
    return c;
}

static void setup(void)
{
    snprintf(top, sizeof top, "/tmp/rs-file-XXXXXX");
    cr_assert_not_null(mkdtemp(top));
    /* two levels that do not exist yet: open_dir creates them */
    snprintf(dir, sizeof dir, "%s/data/s3", top);
    snprintf(file, sizeof file, "%s/store.region", dir);
}

static void teardown(void)
{
    char p[200];

    unlink(file);
    snprintf(p, sizeof p, "%s/lock", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s.new", file);
    unlink(p);
    rmdir(dir);
    snprintf(p, sizeof p, "%s/data", top);
    rmdir(p);
    rmdir(top);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 7 + i * 31 + (i >> 9));
}

static void put_obj(rs_store_t *st, const rs_bucket_t *b, const char *key, size_t n, unsigned seed)
{
    uint8_t *d = malloc(n);
    fill(d, n, seed);
    struct iovec v = {d, n};
    rs_obj_put_t p = {
        .bucket = b, .key = key, .key_len = strlen(key), .data = &v, .data_iovcnt = 1};
    p.info.size = n;
    cr_assert_eq(rs_obj_put(st, &p), 0);
    free(d);
}

static int same_obj(rs_store_t *st, const rs_bucket_t *b, const char *key, size_t n, unsigned seed)
{
    rs_obj_view_t v;
    uint8_t *d;
    size_t off = 0;
    int ok;

    if (rs_obj_get(st, b, key, strlen(key), &v) != 0)
        return 0;
    d = malloc(n);
    fill(d, n, seed);
    ok = v.info.size == n;
    for (size_t i = 0; ok && i < v.nseg; i++) {
        ok = off + v.seg[i].iov_len <= n &&
             memcmp(d + off, v.seg[i].iov_base, v.seg[i].iov_len) == 0;
        off += v.seg[i].iov_len;
    }
    free(d);
    rs_obj_release(st, &v);
    return ok && off == n;
}

/* A store with one bucket and two objects (one inline, one with data chunks). */
static void make_store(void)
{
    rs_store_conf_t c = base_conf();
    rs_store_t *st;
    rs_bucket_t b;
    char why[256];

    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "keep", "us-east-1", &b), 0);
    put_obj(st, &b, "small", 1000, 1);
    put_obj(st, &b, "large", 1536 * 1024, 2);
    rs_store_detach(st);
    rs_store_destroy(st, 1);
}

TestSuite(store_file, .init = setup, .fini = teardown, .timeout = 30);

Test(store_file, survives_close_and_reopen)
{
    rs_store_conf_t c = base_conf();
    rs_store_stats_t s1, s2;
    rs_store_t *st;
    rs_bucket_t b;
    char why[256];
    struct stat sb;

    make_store();
    cr_assert_eq(stat(file, &sb), 0, "destroy must keep the file");
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
    rs_store_stats(st, &s1);
    cr_assert_eq(rs_store_attach(st, 1), 0);
    cr_assert_eq(rs_bucket_lookup(st, "keep", &b), 0);
    cr_assert(same_obj(st, &b, "small", 1000, 1));
    cr_assert(same_obj(st, &b, "large", 1536 * 1024, 2));
    cr_assert_eq(s1.objects, 2);
    put_obj(st, &b, "later", 5000, 3);
    rs_store_detach(st);
    rs_store_destroy(st, 1);

    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
    rs_store_stats(st, &s2);
    cr_assert_eq(s2.generation, s1.generation + 1);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert(same_obj(st, &b, "later", 5000, 3));
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s", why);
    rs_store_destroy(st, 1);
}

Test(store_file, second_instance_refused)
{
    rs_store_conf_t c = base_conf();
    rs_store_t *st, *st2 = NULL;
    char why[256], pid[32];

    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
    cr_assert_eq(rs_store_open_dir(dir, &c, &st2, why, sizeof why), RS_EEXIST);
    cr_assert_null(st2);
    snprintf(pid, sizeof pid, "pid %d", (int)getpid());
    cr_assert(strstr(why, "in use") && strstr(why, pid) && strstr(why, dir), "%s", why);
    rs_store_destroy(st, 1);
    /* released with the handle */
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
    rs_store_destroy(st, 1);
}

static void expect_refusal(rs_store_conf_t c, const char *setting)
{
    rs_store_t *st = NULL;
    char why[512];

    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), RS_EINVAL, "%s", setting);
    cr_assert_null(st);
    cr_assert(strstr(why, setting) && strstr(why, file), "%s: %s", setting, why);
}

Test(store_file, changed_configuration_refused)
{
    rs_store_conf_t c = base_conf();
    rs_store_t *st;
    rs_bucket_t b;
    char why[256];

    make_store();
    c.capacity_bytes = 16 << 20;
    expect_refusal(c, "s3_capacity");
    c = base_conf();
    c.max_objects = 128;
    expect_refusal(c, "s3_max_objects");
    c = base_conf();
    c.max_buckets = 8;
    expect_refusal(c, "s3_max_buckets");
    c = base_conf();
    c.shards = 16;
    expect_refusal(c, "s3_shards");
    c = base_conf();
    c.max_object_size = 1 << 20;
    expect_refusal(c, "s3_max_object_size");
    c = base_conf();
    c.max_workers = 3;
    expect_refusal(c, "workers");
    /* fewer workers than slots fits the same layout */
    c = base_conf();
    c.max_workers = 1;
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), 0, "%s", why);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_bucket_lookup(st, "keep", &b), 0);
    cr_assert(same_obj(st, &b, "large", 1536 * 1024, 2));
    rs_store_destroy(st, 1);
}

static void write_file(const void *p, size_t n)
{
    int fd;

    mkdir(top, 0700);
    snprintf(file, sizeof file, "%s/data", top);
    mkdir(file, 0700);
    mkdir(dir, 0700);
    snprintf(file, sizeof file, "%s/store.region", dir);
    fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, p, n), (ssize_t)n);
    close(fd);
}

Test(store_file, foreign_or_short_file_refused)
{
    rs_store_conf_t c = base_conf();
    rs_store_t *st = NULL;
    char why[256], junk[8192];
    struct stat sb;

    memset(junk, 'x', sizeof junk);
    write_file(junk, sizeof junk);
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), RS_EINVAL);
    cr_assert(strstr(why, "not a ruststack S3 store"), "%s", why);
    write_file(junk, 10);
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), RS_EINVAL);
    cr_assert(strstr(why, "too short"), "%s", why);
    cr_assert_eq(stat(file, &sb), 0);
    cr_assert_eq(sb.st_size, 10, "a refused file is kept as it was");
}

Test(store_file, truncated_store_refused)
{
    rs_store_conf_t c = base_conf();
    rs_store_t *st = NULL;
    char why[256];

    make_store();
    cr_assert_eq(truncate(file, 1 << 20), 0);
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), RS_EINVAL);
    cr_assert(strstr(why, "header says"), "%s", why);
}

Test(store_file, corrupt_store_refused_and_kept)
{
    rs_store_conf_t c = base_conf();
    rs_store_t *st = NULL;
    char why[512];
    uint32_t t = RS_TAG_LIVE;
    rs_shm_hdr_t h;
    int fd;

    make_store();
    /* a LIVE chunk tag in a page no class owns: no entry references it */
    fd = open(file, O_RDWR);
    cr_assert(fd >= 0);
    cr_assert_eq(pread(fd, &h, sizeof h, 0), (ssize_t)sizeof h);
    cr_assert_eq(pwrite(fd, &t, 4, (off_t)(h.toc.tags + 4ull * (h.npages - 1) * RS_UNITS_PER_PAGE)),
                 4);
    close(fd);
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), RS_EPOISON);
    cr_assert_null(st);
    cr_assert(strstr(why, "restart check") && strstr(why, file) && strstr(why, "file kept"), "%s",
              why);
    /* still refused next time: nothing was reinitialised */
    cr_assert_eq(rs_store_open_dir(dir, &c, &st, why, sizeof why), RS_EPOISON);
}
