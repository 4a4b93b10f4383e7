/*
 * test_crash.c: for every crash point, a forked worker is SIGKILLed exactly there in the
 * middle of an operation (PUT new key, overwrite, big overwrite, DELETE, allocation,
 * reclamation, bucket create/delete, slot cleanup, a repair itself, and each multipart
 * step: Create, UploadPart (replacing a part, opening a map page), Complete over a key or
 * as a new key, Abort, DeleteBucket with open uploads, reclaim of a multipart object).
 * A pending upload must keep exactly its acknowledged parts and complete byte-exact; an
 * interrupted Complete leaves the old object and the upload, or the new object and no
 * upload; an interrupted Abort always finishes. The master marks
 * its slot dead, a successor attaches the slot and runs further operations (which meet
 * EOWNERDEAD and repair). Then: every acknowledged write is byte-exact, the interrupted
 * key holds the old or the new value (never torn), listing agrees with GET, and
 * rs_store_check is clean (no leaked chunk). The persist suite runs the same scenarios on
 * a file-backed region, then kills everything and restarts on the file. The power suite
 * (s3_durability = always) restarts instead on the disk image a power loss leaves (only
 * what was msynced), with the last synced range torn, and checks the sync order.
 * Runs in: tests (the test process plays master and successor; children play workers).
 */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/store.h"
#include "rs/store_mpu.h"
#include "shm/crashpoint.h"

enum op {
    OP_PUT_NEW,       /* new key, 200 KB (first use of its size class: takes a page) */
    OP_PUT_OVER,      /* overwrite a small key with 3000 bytes */
    OP_PUT_BIG,       /* overwrite a 2.5 MiB key with 3.5 MiB (data chunks) */
    OP_DEL,           /* delete a key */
    OP_RECLAIM,       /* ticks: reclaim RETIRED extents, release empty pages */
    OP_BK_DEL,        /* delete an empty bucket */
    OP_BK_CREATE,     /* create a bucket */
    OP_REPAIR,        /* stage 1 dies at `pre`, stage 2 dies inside the repair it triggers */
    OP_CLEANUP,       /* stage 1 dies holding claimed chunks, stage 2 dies in slot cleanup */
    OP_MPU_CREATE,    /* CreateMultipartUpload of "mpcreate" */
    OP_MPU_PART,      /* replace part 2 of the "mppart" upload (1.5 MiB: data chunks) */
    OP_MPU_PART_PAGE, /* part 300 of "mppart" (its first part in a new map page) */
    OP_MPU_DONE,      /* Complete "mpdone" over the plain object "mpobj" (parts 1, 2 of 5) */
    OP_MPU_DONE_NEW,  /* Complete "mpnew" as a new key */
    OP_MPU_ABORT,     /* Abort "mpabort" (3 parts) */
};

typedef struct scen {
    char cp[32];
    enum op op;
    char pre[32];  /* first crash for OP_REPAIR / OP_CLEANUP */
    int stage2_op; /* what stage 2 runs: 0 get victim, 1 list, 4 full check (every lock);
                      5 (not OP_REPAIR): the successor touches the upload before any key, so
                      the upload repair runs first and resolves the shard inside it */
} scen_t;

static const scen_t scens[] = {
    {"ALLOC_RECORDED", OP_PUT_NEW, "", 0},
    {"ALLOC_RECORDED", OP_PUT_BIG, "", 0},
    {"ALLOC_CLAIMED", OP_PUT_NEW, "", 0},
    {"ALLOC_CLAIMED", OP_PUT_OVER, "", 0},
    {"ALLOC_PAGE_TAKEN", OP_PUT_NEW, "", 0},
    {"PUT_COPIED", OP_PUT_NEW, "", 0},
    {"PUT_COPIED", OP_PUT_BIG, "", 0},
    {"PUT_INTENT", OP_PUT_NEW, "", 0},
    {"PUT_INTENT", OP_PUT_OVER, "", 0},
    {"PUT_SEQ_ODD", OP_PUT_NEW, "", 0},
    {"PUT_SEQ_ODD", OP_PUT_OVER, "", 0},
    {"PUT_ENTRY_INIT", OP_PUT_NEW, "", 0},
    {"PUT_HEAD_LIVE", OP_PUT_BIG, "", 0},
    {"PUT_HEAD_LIVE", OP_PUT_NEW, "", 0},
    {"PUT_TAGS_LIVE", OP_PUT_NEW, "", 0},
    {"PUT_TAGS_LIVE", OP_PUT_OVER, "", 0},
    {"PUT_TAGS_LIVE", OP_PUT_BIG, "", 0},
    {"PUT_PUBLISHED", OP_PUT_NEW, "", 0},
    {"PUT_PUBLISHED", OP_PUT_OVER, "", 0},
    {"PUT_PUBLISHED", OP_PUT_BIG, "", 0},
    {"LIST_INS_L0", OP_PUT_NEW, "", 0},
    {"LIST_INS_DONE", OP_PUT_NEW, "", 0},
    {"PUT_STEP2", OP_PUT_NEW, "", 0},
    {"PUT_STEP2", OP_PUT_OVER, "", 0},
    {"PUT_RETIRED", OP_PUT_OVER, "", 0},
    {"PUT_RETIRED", OP_PUT_BIG, "", 0},
    {"PUT_UNLOCKED", OP_PUT_NEW, "", 0},
    {"PUT_UNLOCKED", OP_PUT_BIG, "", 0},
    {"DEL_INTENT", OP_DEL, "", 0},
    {"DEL_UNHASHED", OP_DEL, "", 0},
    {"LIST_DEL_UPPER", OP_DEL, "", 0},
    {"LIST_DEL_DONE", OP_DEL, "", 0},
    {"DEL_RETIRED", OP_DEL, "", 0},
    {"RECLAIM_DATA", OP_RECLAIM, "", 0},
    {"RECLAIM_FREED", OP_RECLAIM, "", 0},
    {"PAGE_RELEASED", OP_RECLAIM, "", 0},
    {"REPAIR_SHARD_FIXED", OP_REPAIR, "PUT_PUBLISHED", 0},
    {"REPAIR_SHARD_FIXED", OP_REPAIR, "DEL_UNHASHED", 0},
    {"REPAIR_SHARD_REBUILD", OP_REPAIR, "PUT_TAGS_LIVE", 0},
    {"REPAIR_SHARD_REBUILD", OP_REPAIR, "DEL_RETIRED", 0},
    {"REPAIR_LIST", OP_REPAIR, "LIST_INS_L0", 1},
    {"REPAIR_LIST", OP_REPAIR, "LIST_DEL_UPPER", 1},
    {"CLEANUP_SLOT", OP_CLEANUP, "PUT_COPIED", 0},
    {"BUCKET_MARKED", OP_BK_DEL, "", 0},
    {"BUCKET_CREATED", OP_BK_CREATE, "", 0},
    /* multipart uploads */
    {"MPU_CREATE_INTENT", OP_MPU_CREATE, "", 0},
    {"MPU_CREATE_TAGGED", OP_MPU_CREATE, "", 0},
    {"MPU_CREATE_OPEN", OP_MPU_CREATE, "", 0},
    {"MPU_PART_COPIED", OP_MPU_PART, "", 0},
    {"MPU_PART_INTENT", OP_MPU_PART, "", 0},
    {"MPU_PART_INTENT", OP_MPU_PART_PAGE, "", 0},
    {"MPU_PART_MAP", OP_MPU_PART_PAGE, "", 0},
    {"MPU_PART_TAGGED", OP_MPU_PART, "", 0},
    {"MPU_PART_TAGGED", OP_MPU_PART_PAGE, "", 0},
    {"MPU_PART_PUBLISHED", OP_MPU_PART, "", 0},
    {"MPU_PART_PUBLISHED", OP_MPU_PART_PAGE, "", 0},
    {"MPU_PART_OLD_FREED", OP_MPU_PART, "", 0},
    {"MPU_DONE_BUILT", OP_MPU_DONE, "", 0},
    {"MPU_DONE_INTENT", OP_MPU_DONE, "", 0},
    {"MPU_DONE_INTENT", OP_MPU_DONE_NEW, "", 0},
    {"PUT_SEQ_ODD", OP_MPU_DONE, "", 0},
    {"PUT_HEAD_LIVE", OP_MPU_DONE, "", 0},
    {"MPU_DONE_PARTS", OP_MPU_DONE, "", 0},
    {"MPU_DONE_PARTS", OP_MPU_DONE_NEW, "", 0},
    {"PUT_TAGS_LIVE", OP_MPU_DONE, "", 0},
    {"PUT_PUBLISHED", OP_MPU_DONE, "", 0},
    {"PUT_PUBLISHED", OP_MPU_DONE_NEW, "", 0},
    {"LIST_INS_L0", OP_MPU_DONE_NEW, "", 0},
    {"LIST_INS_DONE", OP_MPU_DONE_NEW, "", 0},
    {"PUT_STEP2", OP_MPU_DONE_NEW, "", 0},
    {"MPU_DONE_STEP2", OP_MPU_DONE, "", 0},
    {"MPU_DONE_INTENT", OP_MPU_DONE, "", 5},
    {"PUT_HEAD_LIVE", OP_MPU_DONE, "", 5},
    {"MPU_DONE_PARTS", OP_MPU_DONE, "", 5},
    {"PUT_PUBLISHED", OP_MPU_DONE, "", 5},
    {"MPU_DONE_STEP2", OP_MPU_DONE, "", 5},
    {"MPU_DONE_STEP2", OP_MPU_DONE_NEW, "", 0},
    {"PUT_RETIRED", OP_MPU_DONE, "", 0},
    {"MPU_DONE_UNLOCKED", OP_MPU_DONE, "", 0},
    {"MPU_DONE_SWEEP", OP_MPU_DONE, "", 0},
    {"MPU_ABORT_SWEEP", OP_MPU_ABORT, "", 0},
    {"MPU_ABORT_FREED", OP_MPU_ABORT, "", 0},
    {"RECLAIM_PARTS", OP_RECLAIM, "", 0},
    {"BUCKET_UPLOADS", OP_BK_DEL, "", 0},
    {"REPAIR_UPLOAD", OP_REPAIR, "MPU_ABORT_SWEEP", 4},
    {"REPAIR_UPLOAD", OP_REPAIR, "MPU_DONE_SWEEP", 4},
    {"REPAIR_SHARD_FIXED", OP_REPAIR, "MPU_DONE_PARTS", 4},
    {"REPAIR_SHARD_FIXED", OP_REPAIR, "MPU_DONE_STEP2", 4},
    {"CLEANUP_SLOT", OP_CLEANUP, "MPU_PART_COPIED", 0},
    /* per-account usage counters: counted or not, the recount after the repair agrees */
    {"PUT_COUNTED", OP_PUT_NEW, "", 0},
    {"PUT_COUNTED", OP_PUT_OVER, "", 0},
    {"PUT_COUNTED", OP_PUT_BIG, "", 0},
    {"PUT_COUNTED", OP_MPU_DONE, "", 0},
    {"PUT_COUNTED", OP_MPU_DONE_NEW, "", 0},
    {"DEL_COUNTED", OP_DEL, "", 0},
    {"USAGE_RECOUNT", OP_REPAIR, "PUT_COUNTED", 6},
    {"USAGE_RECOUNT", OP_REPAIR, "DEL_COUNTED", 6},
    /* s3_durability = always: between the arena ranges and the index sync (the power
     * suite); in the other suites the operation is complete in memory there */
    {"DUR_COMMIT", OP_PUT_NEW, "", 0},
    {"DUR_COMMIT", OP_PUT_OVER, "", 0},
    {"DUR_COMMIT", OP_PUT_BIG, "", 0},
    {"DUR_COMMIT", OP_DEL, "", 0},
    {"DUR_COMMIT", OP_BK_CREATE, "", 0},
    {"DUR_COMMIT", OP_BK_DEL, "", 0},
    {"DUR_COMMIT", OP_MPU_CREATE, "", 0},
    {"DUR_COMMIT", OP_MPU_PART, "", 0},
    {"DUR_COMMIT", OP_MPU_PART_PAGE, "", 0},
    {"DUR_COMMIT", OP_MPU_DONE, "", 0},
    {"DUR_COMMIT", OP_MPU_DONE_NEW, "", 0},
    {"DUR_COMMIT", OP_MPU_ABORT, "", 0},
};

/* After the index sync (only `always` gets there): the power suite tears that range. */
static const scen_t synced_scens[] = {
    {"DUR_SYNCED", OP_PUT_NEW, "", 0},       {"DUR_SYNCED", OP_PUT_OVER, "", 0},
    {"DUR_SYNCED", OP_PUT_BIG, "", 0},       {"DUR_SYNCED", OP_DEL, "", 0},
    {"DUR_SYNCED", OP_BK_CREATE, "", 0},     {"DUR_SYNCED", OP_BK_DEL, "", 0},
    {"DUR_SYNCED", OP_MPU_CREATE, "", 0},    {"DUR_SYNCED", OP_MPU_PART, "", 0},
    {"DUR_SYNCED", OP_MPU_PART_PAGE, "", 0}, {"DUR_SYNCED", OP_MPU_DONE, "", 0},
    {"DUR_SYNCED", OP_MPU_DONE_NEW, "", 0},  {"DUR_SYNCED", OP_MPU_ABORT, "", 0},
};

#define NSCEN (sizeof scens / sizeof scens[0])
#define NACK 24
#define OLD_LEN 100
#define OVER_LEN 3000
#define NEW_LEN (200 * 1024)
#define BIG_OLD (5 << 19)
#define BIG_NEW (7 << 19)

static rs_store_t *st;
static int powered; /* the power suite: the restart is on the disk image of a power loss */
static rs_bucket_t bk;

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 131 + i * 13 + (i >> 10));
}

static int put(const char *key, size_t n, unsigned seed)
{
    uint8_t *d = malloc(n ? n : 1);
    fill(d, n, seed);
    struct iovec v = {d, n};
    rs_obj_put_t p = {
        .bucket = &bk, .key = key, .key_len = strlen(key), .data = &v, .data_iovcnt = 1};
    p.info.size = n;
    p.info.etag[0] = (uint8_t)seed;
    int rc = rs_obj_put(st, &p);
    free(d);
    return rc;
}

/* 1 if key holds exactly (n, seed); 0 if absent; -1 if anything else (torn / wrong). */
static int holds(const char *key, size_t n, unsigned seed)
{
    rs_obj_view_t v;
    int rc = rs_obj_get(st, &bk, key, strlen(key), &v);
    if (rc == RS_ENOENT)
        return 0;
    if (rc != 0)
        return -1;
    int ok = v.info.size == n && v.info.etag[0] == (uint8_t)seed;
    uint8_t *d = malloc(n ? n : 1);
    fill(d, n, seed);
    size_t off = 0;
    for (size_t i = 0; ok && i < v.nseg; i++) {
        ok = off + v.seg[i].iov_len <= n &&
             memcmp(d + off, v.seg[i].iov_base, v.seg[i].iov_len) == 0;
        off += v.seg[i].iov_len;
    }
    free(d);
    rs_obj_release(st, &v);
    return ok && off == n ? 1 : -1;
}

/* ---- multipart ---- */
#define PBIG (3 << 19) /* a part with data chunks */
static rs_upload_id_t up_keep, up_done, up_new, up_abort, up_part, up_e1, up_e2;
static rs_bucket_t bk_empty;

static rs_mpu_ref_t mref(const rs_bucket_t *b, const char *key, rs_upload_id_t id)
{
    rs_mpu_ref_t r = {.bucket = b, .key = key, .key_len = strlen(key), .id = id};
    return r;
}

static int mcreate(const rs_bucket_t *b, const char *key, rs_upload_id_t *id)
{
    rs_mpu_create_t c = {.bucket = b,
                         .key = key,
                         .key_len = strlen(key),
                         .meta = (const uint8_t *)"mm",
                         .meta_len = 2};
    return rs_mpu_create(st, &c, id);
}

/* Part num: n bytes of seed, its etag seed-filled. */
static int mpart(const char *key, rs_upload_id_t id, uint32_t num, size_t n, unsigned seed)
{
    uint8_t *d = malloc(n ? n : 1);
    fill(d, n, seed);
    struct iovec v = {d, n};
    rs_mpu_part_put_t p = {.up = mref(&bk, key, id), .number = num, .data = &v, .data_iovcnt = 1};
    p.info.size = n;
    memset(p.info.etag, (int)(seed & 0xff), 16);
    int rc = rs_mpu_part_put(st, &p);
    free(d);
    return rc;
}

static int mdone(const char *key, rs_upload_id_t id, const uint32_t *nums, const unsigned *seeds,
                 size_t n)
{
    rs_mpu_listed_t l[8];
    for (size_t i = 0; i < n; i++) {
        l[i].number = nums[i];
        memset(l[i].etag, (int)(seeds[i] & 0xff), 16);
    }
    rs_mpu_complete_t c = {.up = mref(&bk, key, id), .parts = l, .nparts = n};
    return rs_mpu_complete(st, &c);
}

/* 1 if key is the multipart object of the parts (lens, seeds); 0 absent; -1 else. */
static int holds_mp(const char *key, const size_t *lens, const unsigned *seeds, size_t n)
{
    rs_obj_view_t v;
    size_t total = 0, off = 0, o = 0;
    int rc = rs_obj_get(st, &bk, key, strlen(key), &v);
    if (rc == RS_ENOENT)
        return 0;
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        total += lens[i];
    uint8_t *d = malloc(total);
    for (size_t i = 0; i < n; i++) {
        fill(d + o, lens[i], seeds[i]);
        o += lens[i];
    }
    int ok = v.info.size == total && v.info.parts == n && v.meta_len == 2;
    for (size_t i = 0; ok && i < v.nseg; i++) {
        ok = off + v.seg[i].iov_len <= total &&
             memcmp(d + off, v.seg[i].iov_base, v.seg[i].iov_len) == 0;
        off += v.seg[i].iov_len;
    }
    free(d);
    rs_obj_release(st, &v);
    return ok && off == total ? 1 : -1;
}

/* The upload lists exactly these parts (number, size, etag seed). */
static int lists(const rs_bucket_t *b, const char *key, rs_upload_id_t id, const uint32_t *nums,
                 const size_t *lens, const unsigned *seeds, size_t n)
{
    rs_mpu_ref_t r = mref(b, key, id);
    rs_mpu_part_info_t pi[8];
    size_t got;
    int tr;
    if (rs_mpu_list_parts(st, &r, 0, 8, pi, &got, &tr) != 0 || got != n || tr)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (pi[i].number != nums[i] || pi[i].info.size != lens[i] ||
            pi[i].info.etag[0] != (uint8_t)seeds[i])
            return 0;
    return 1;
}

static int upload_exists(const rs_bucket_t *b, const char *key, rs_upload_id_t id)
{
    rs_mpu_ref_t r = mref(b, key, id);
    rs_mpu_info_t mi;
    int rc = rs_mpu_get(st, &r, &mi);
    if (rc == 0)
        rs_mpu_info_free(&mi);
    cr_assert(rc == 0 || rc == RS_ENOUPLOAD, "%s: get upload %d", key, rc);
    return rc == 0;
}

static const uint32_t keep_nums[] = {1, 2, 5};
static const size_t keep_lens[] = {PBIG, 1000, 500};
static const unsigned keep_seeds[] = {1101, 1102, 1105};
static const size_t done_lens[] = {PBIG + 5, 700};
static const unsigned done_seeds[] = {1201, 1202};
static const size_t new_lens[] = {PBIG, 33};
static const unsigned new_seeds[] = {1301, 1302};

/* The multipart state of fill_store. */
static void fill_mpu(void)
{
    cr_assert_eq(rs_bucket_lookup(st, "empty", &bk_empty), 0);
    cr_assert_eq(mcreate(&bk, "mpkeep", &up_keep), 0);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(mpart("mpkeep", up_keep, keep_nums[i], keep_lens[i], keep_seeds[i]), 0);
    cr_assert_eq(put("mpobj", OLD_LEN, 1200), 0);
    cr_assert_eq(mcreate(&bk, "mpobj", &up_done), 0);
    cr_assert_eq(mpart("mpobj", up_done, 1, done_lens[0], done_seeds[0]), 0);
    cr_assert_eq(mpart("mpobj", up_done, 2, done_lens[1], done_seeds[1]), 0);
    for (uint32_t k = 3; k <= 5; k++) /* unlisted at Complete */
        cr_assert_eq(mpart("mpobj", up_done, k, k == 4 ? PBIG : 300, 1200 + k), 0);
    cr_assert_eq(mcreate(&bk, "mpnew", &up_new), 0);
    cr_assert_eq(mpart("mpnew", up_new, 1, new_lens[0], new_seeds[0]), 0);
    cr_assert_eq(mpart("mpnew", up_new, 2, new_lens[1], new_seeds[1]), 0);
    cr_assert_eq(mcreate(&bk, "mpabort", &up_abort), 0);
    cr_assert_eq(mpart("mpabort", up_abort, 1, PBIG, 1401), 0);
    cr_assert_eq(mpart("mpabort", up_abort, 2, 400, 1402), 0);
    cr_assert_eq(mpart("mpabort", up_abort, 3, 400, 1403), 0);
    cr_assert_eq(mcreate(&bk, "mppart", &up_part), 0);
    cr_assert_eq(mpart("mppart", up_part, 1, 100, 1501), 0);
    cr_assert_eq(mpart("mppart", up_part, 2, 200, 1502), 0);
    /* a RETIRED multipart object for the reclaim scenarios */
    rs_upload_id_t g;
    cr_assert_eq(mcreate(&bk, "mpgone", &g), 0);
    cr_assert_eq(mpart("mpgone", g, 1, PBIG, 1601), 0);
    cr_assert_eq(mpart("mpgone", g, 2, 100, 1602), 0);
    cr_assert_eq(mdone("mpgone", g, (uint32_t[]){1, 2}, (unsigned[]){1601, 1602}, 2), 0);
    cr_assert_eq(rs_obj_delete(st, &bk, "mpgone", 6, NULL), 0);
    /* uploads alone in the bucket "empty": DeleteBucket aborts them */
    cr_assert_eq(mcreate(&bk_empty, "e1", &up_e1), 0);
    cr_assert_eq(mcreate(&bk_empty, "e2", &up_e2), 0);
    rs_mpu_part_put_t p = {.up = mref(&bk_empty, "e1", up_e1), .number = 1};
    cr_assert_eq(rs_mpu_part_put(st, &p), 0);
}

/* After any scenario: acknowledged multipart state intact, interrupted operations all or
 * nothing, the counted uploads are the ones found. */
static void verify_mpu(const scen_t *s)
{
    enum op op = s->op;
    uint32_t found = 0;
    int r;
    rs_bucket_t b2;

    if (op == OP_REPAIR || op == OP_CLEANUP)
        op = strncmp(s->pre, "MPU_ABORT", 9) == 0  ? OP_MPU_ABORT
             : strncmp(s->pre, "MPU_DONE", 8) == 0 ? OP_MPU_DONE
             : strncmp(s->pre, "MPU_PART", 8) == 0 ? OP_MPU_PART
                                                   : op;
    cr_assert(lists(&bk, "mpkeep", up_keep, keep_nums, keep_lens, keep_seeds, 3),
              "%s: mpkeep lost acknowledged parts", s->cp);
    found++;
    /* an interrupted Complete: the old object and the upload, or the new one and no upload */
    r = holds("mpobj", OLD_LEN, 1200);
    if (r != 1)
        r = holds_mp("mpobj", done_lens, done_seeds, 2) == 1 ? 2 : -1;
    cr_assert(r == 1 || (r == 2 && op == OP_MPU_DONE), "%s: mpobj torn (%d)", s->cp, r);
    cr_assert_eq(upload_exists(&bk, "mpobj", up_done), r == 1, "%s: mpdone upload vs object",
                 s->cp);
    if (r == 1) {
        found++;
        cr_assert(lists(&bk, "mpobj", up_done, (uint32_t[]){1, 2, 3, 4, 5},
                        (size_t[]){done_lens[0], done_lens[1], 300, PBIG, 300},
                        (unsigned[]){1201, 1202, 1203, 1204, 1205}, 5),
                  "%s: a Complete rolled back changed its parts", s->cp);
    }
    r = holds_mp("mpnew", new_lens, new_seeds, 2);
    cr_assert(r == 0 || (r == 1 && op == OP_MPU_DONE_NEW), "%s: mpnew torn (%d)", s->cp, r);
    cr_assert_eq(upload_exists(&bk, "mpnew", up_new), r == 0, "%s: mpnew upload vs object", s->cp);
    found += r == 0;
    /* an interrupted Abort always finishes (after a power loss it may not have started:
     * nothing of it was synced, and it was not acknowledged) */
    r = upload_exists(&bk, "mpabort", up_abort);
    if (!(powered && op == OP_MPU_ABORT && r))
        cr_assert_eq(r, op != OP_MPU_ABORT, "%s: mpabort", s->cp);
    if (r)
        cr_assert(lists(&bk, "mpabort", up_abort, (uint32_t[]){1, 2, 3}, (size_t[]){PBIG, 400, 400},
                        (unsigned[]){1401, 1402, 1403}, 3));
    found += (uint32_t)r;
    /* an interrupted UploadPart: the old part or the new one */
    int okp = lists(&bk, "mppart", up_part, (uint32_t[]){1, 2}, (size_t[]){100, 200},
                    (unsigned[]){1501, 1502}, 2);
    if (!okp && op == OP_MPU_PART)
        okp = lists(&bk, "mppart", up_part, (uint32_t[]){1, 2}, (size_t[]){100, PBIG},
                    (unsigned[]){1501, 1300}, 2);
    if (!okp && op == OP_MPU_PART_PAGE)
        okp = lists(&bk, "mppart", up_part, (uint32_t[]){1, 2, 300}, (size_t[]){100, 200, 2000},
                    (unsigned[]){1501, 1502, 1301}, 3);
    cr_assert(okp, "%s: mppart parts torn", s->cp);
    found++;
    /* an interrupted Create: there or not, and usable */
    rs_mpu_list_query_t q = {.prefix = "mpcreate", .prefix_len = 8, .max_uploads = 10};
    rs_mpu_list_result_t lr;
    cr_assert_eq(rs_mpu_list(st, &bk, &q, &lr), 0);
    cr_assert(lr.n == 0 || (lr.n == 1 && op == OP_MPU_CREATE), "%s: mpcreate %zu", s->cp, lr.n);
    if (lr.n == 1) {
        cr_assert_eq(mpart("mpcreate", lr.items[0].id, 1, 10, 1700), 0);
        found++;
    }
    rs_mpu_list_result_free(&lr);
    /* the bucket "empty": present with both uploads, or gone with none, once the next
     * bucket-table operation ran its repair (a deletion that found the bucket empty rolls
     * forward; until then the bucket is DELETING and looks present) */
    cr_assert_eq(rs_bucket_delete(st, "no-such-bucket"), RS_ENOENT);
    r = rs_bucket_lookup(st, "empty", &b2);
    if (r == 0) {
        cr_assert(upload_exists(&bk_empty, "e1", up_e1) && upload_exists(&bk_empty, "e2", up_e2),
                  "%s: uploads of a bucket still there", s->cp);
        found += 2;
    }
    rs_store_stats_t stats;
    rs_store_stats(st, &stats);
    cr_assert_eq(stats.uploads, found, "%s: %u uploads counted, %u found", s->cp, stats.uploads,
                 found);
}

/* The pending upload completes byte-exact. */
static void finish_mpu(const scen_t *s)
{
    cr_assert_eq(mdone("mpkeep", up_keep, keep_nums, keep_seeds, 3), 0, "%s", s->cp);
    cr_assert_eq(holds_mp("mpkeep", keep_lens, keep_seeds, 3), 1, "%s: mpkeep bytes", s->cp);
}

static const rs_store_conf_t conf = {.capacity_bytes = 40 << 20,
                                     .max_objects = 256,
                                     .max_buckets = 8,
                                     .max_workers = 4,
                                     .shards = 4,
                                     .max_object_size = 4 << 20,
                                     .max_uploads = 16};
static char dir[64]; /* file-backed runs: the data directory ("" for shm runs) */

static void fill_store(void)
{
    char k[32];

    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "bk", "us-east-1", &bk), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "empty", "us-east-1", NULL), 0);
    for (int i = 0; i < NACK; i++) {
        snprintf(k, sizeof k, "ack/%02d", i);
        cr_assert_eq(put(k, OLD_LEN + (size_t)i, (unsigned)i), 0);
    }
    cr_assert_eq(put("victim", OLD_LEN, 500), 0);
    cr_assert_eq(put("big", BIG_OLD, 600), 0);
    /* a retired big extent and a retired small one for the reclaim scenarios */
    cr_assert_eq(put("bigold", BIG_OLD, 700), 0);
    cr_assert_eq(put("bigold", OLD_LEN, 701), 0);
    cr_assert_eq(put("gone", 300000, 702), 0);
    cr_assert_eq(rs_obj_delete(st, &bk, "gone", 4, NULL), 0);
    fill_mpu();
}

static void setup(void)
{
    char name[64];

    dir[0] = '\0';
    snprintf(name, sizeof name, "/rs-test-crash-%d", getpid());
    cr_assert_eq(rs_store_create(name, &conf, &st), 0);
    fill_store();
}

/* A new, empty store file in a fresh data directory. */
static void setup_file_empty(char *why, size_t why_len)
{
    snprintf(dir, sizeof dir, "/tmp/rs-crash-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(rs_store_open_dir(dir, &conf, &st, why, why_len), 0, "open: %s", why);
}

/* The same store as a file in a fresh data directory. */
static void setup_file(void)
{
    char why[512];

    setup_file_empty(why, sizeof why);
    fill_store();
}

static void teardown(void)
{
    char p[128];

    if (st)
        rs_store_destroy(st, 1);
    st = NULL;
    if (dir[0]) {
        snprintf(p, sizeof p, "%s/store.region", dir);
        unlink(p);
        snprintf(p, sizeof p, "%s/lock", dir);
        unlink(p);
        rmdir(dir);
    }
}

/* The interrupted operation, run in the child. */
static void run_op(enum op op)
{
    switch (op) {
    case OP_PUT_NEW:
        put("newkey", NEW_LEN, 800);
        break;
    case OP_PUT_OVER:
        put("victim", OVER_LEN, 900);
        break;
    case OP_PUT_BIG:
        put("big", BIG_NEW, 1000);
        break;
    case OP_DEL:
        rs_obj_delete(st, &bk, "victim", 6, NULL);
        break;
    case OP_RECLAIM:
        for (int i = 0; i < 40; i++)
            rs_store_tick(st);
        break;
    case OP_BK_DEL:
        rs_bucket_delete(st, "empty");
        break;
    case OP_BK_CREATE:
        rs_bucket_create(st, "000000000000", "fresh", "us-east-1", NULL);
        break;
    case OP_MPU_CREATE: {
        rs_upload_id_t id;
        mcreate(&bk, "mpcreate", &id);
        break;
    }
    case OP_MPU_PART:
        mpart("mppart", up_part, 2, PBIG, 1300);
        break;
    case OP_MPU_PART_PAGE:
        mpart("mppart", up_part, 300, 2000, 1301);
        break;
    case OP_MPU_DONE:
        mdone("mpobj", up_done, (uint32_t[]){1, 2}, done_seeds, 2);
        break;
    case OP_MPU_DONE_NEW:
        mdone("mpnew", up_new, (uint32_t[]){1, 2}, new_seeds, 2);
        break;
    case OP_MPU_ABORT: {
        rs_mpu_ref_t r = mref(&bk, "mpabort", up_abort);
        rs_mpu_abort(st, &r);
        break;
    }
    default:
        break;
    }
}

/* Fork a worker on `slot`, arm `cp`, run `fn`; it must die by SIGKILL. */
static void crash_child(unsigned slot, const char *cp, enum op op, int stage2)
{
    pid_t p = fork();
    cr_assert(p >= 0);
    if (p == 0) {
        if (rs_crashpoint_arm(cp) != 0) /* armed first: CLEANUP_SLOT is inside attach */
            _exit(91);
        if (rs_store_attach(st, slot) != 0)
            _exit(90);
        if (stage2 == 1) {
            rs_list_query_t q = {.max_items = 100};
            rs_list_result_t r;
            rs_obj_list(st, &bk, &q, &r);
        } else if (stage2 == 4) {
            rs_store_check(st, NULL, 0); /* takes every lock: every repair runs */
        } else if (stage2 == 6) {
            rs_store_check(st, NULL, 0); /* the shard repair it runs asks for a recount */
            rs_store_recount(st);
        } else if (stage2 == 2) {
            holds("victim", OLD_LEN, 500);
            holds("newkey", NEW_LEN, 800);
            holds("big", BIG_OLD, 600);
        } else {
            run_op(op);
        }
        _exit(99); /* the crash point was not reached */
    }
    int ws;
    cr_assert_eq(waitpid(p, &ws, 0), p);
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL,
              "%s: child did not die at the crash point (status %#x)", cp, ws);
    rs_store_slot_mark_dead(st, slot);
}

/* The operation stage 1 of an OP_REPAIR scenario interrupts at s->pre. */
static enum op pre_op(const char *pre)
{
    if (strncmp(pre, "DEL", 3) == 0 || strncmp(pre, "LIST_DEL", 8) == 0)
        return OP_DEL;
    if (strncmp(pre, "MPU_ABORT", 9) == 0)
        return OP_MPU_ABORT;
    if (strncmp(pre, "MPU_DONE", 8) == 0)
        return OP_MPU_DONE;
    return strcmp(pre, "PUT_TAGS_LIVE") == 0 ? OP_PUT_OVER : OP_PUT_NEW;
}

static void verify(const scen_t *s)
{
    char k[32], why[512];
    int r;

    /* operations on every shard first: they meet EOWNERDEAD and repair */
    for (int i = 0; i < NACK; i++) {
        snprintf(k, sizeof k, "ack/%02d", i);
        cr_assert_eq(holds(k, OLD_LEN + (size_t)i, (unsigned)i), 1, "%s: %s damaged", s->cp, k);
    }
    r = holds("victim", OLD_LEN, 500);
    if (r != 1)
        r = holds("victim", OVER_LEN, 900) == 1 ? 2 : r;
    if (s->op == OP_DEL || (s->op == OP_REPAIR && strncmp(s->pre, "DEL", 3) == 0) ||
        (s->op == OP_REPAIR && strncmp(s->pre, "LIST_DEL", 8) == 0))
        cr_assert(r == 0 || r == 1, "%s: victim must be old or absent (%d)", s->cp, r);
    else if (s->op == OP_PUT_OVER)
        cr_assert(r == 1 || r == 2, "%s: victim must be old or new (%d)", s->cp, r);
    else
        cr_assert_eq(r, 1, "%s: victim untouched", s->cp);
    r = holds("newkey", NEW_LEN, 800);
    cr_assert(r == 0 || r == 1, "%s: newkey torn", s->cp);
    r = holds("big", BIG_OLD, 600);
    if (r != 1)
        r = holds("big", BIG_NEW, 1000) == 1 ? 2 : r;
    cr_assert(r == 1 || r == 2, "%s: big torn (%d)", s->cp, r);
    cr_assert_eq(holds("bigold", OLD_LEN, 701), 1);

    /* listing agrees with GET */
    rs_list_query_t q = {.max_items = 1000};
    rs_list_result_t lr;
    cr_assert_eq(rs_obj_list(st, &bk, &q, &lr), 0);
    size_t present = 0;
    const char *names[] = {"big", "bigold", "newkey", "victim", "mpobj", "mpnew"};
    for (size_t i = 0; i < 6; i++) {
        rs_obj_view_t v;
        if (rs_obj_get(st, &bk, names[i], strlen(names[i]), &v) == 0) {
            present++;
            rs_obj_release(st, &v);
        }
    }
    cr_assert_eq(lr.n, NACK + present, "%s: list has %zu, GET finds %zu", s->cp, lr.n,
                 NACK + present);
    for (size_t i = 1; i < lr.n; i++)
        cr_assert_lt(strcmp(lr.items[i - 1].key, lr.items[i].key), 0);
    rs_list_result_free(&lr);

    /* buckets: the interrupted bucket op either happened or not */
    rs_bucket_t b2;
    r = rs_bucket_lookup(st, "empty", &b2);
    cr_assert(r == 0 || (r == RS_ENOENT && s->op == OP_BK_DEL));
    r = rs_bucket_lookup(st, "fresh", &b2);
    cr_assert(r == RS_ENOENT || (r == 0 && s->op == OP_BK_CREATE));

    verify_mpu(s);
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s: check: %s", s->cp, why);

    /* the store keeps working: the next operations succeed */
    cr_assert_eq(put("victim", OVER_LEN, 901), 0);
    cr_assert_eq(holds("victim", OVER_LEN, 901), 1);
    cr_assert_eq(put("after", NEW_LEN, 902), 0);
    cr_assert_eq(put("big", BIG_NEW, 903), 0);
    cr_assert_eq(holds("big", BIG_NEW, 903), 1);
    cr_assert_eq(rs_obj_delete(st, &bk, "after", 5, NULL), 0);
    cr_assert(rs_bucket_create(st, "000000000000", "fresh", "r", NULL) == 0 ||
              s->op == OP_BK_CREATE);
    cr_assert_eq(rs_bucket_delete(st, "fresh"), 0);
    finish_mpu(s);
    for (int i = 0; i < 40; i++)
        rs_store_tick(st);
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s: final check: %s", s->cp, why);
    cr_assert_eq(rs_store_usage_check(st, why, sizeof why), 0, "%s: usage: %s", s->cp, why);
    rs_usage_t u;
    rs_store_account_usage(st, "000000000000", &u);
    rs_list_query_t q2 = {.max_items = 1000};
    cr_assert_eq(rs_obj_list(st, &bk, &q2, &lr), 0);
    uint64_t sum = 0;
    for (size_t i = 0; i < lr.n; i++)
        sum += lr.items[i].info.size;
    cr_assert_eq(u.objects, lr.n, "%s: usage counts %llu objects, list has %zu", s->cp,
                 (unsigned long long)u.objects, lr.n);
    cr_assert_eq(u.bytes, sum, "%s: usage counts %llu bytes, list sums %llu", s->cp,
                 (unsigned long long)u.bytes, (unsigned long long)sum);
    rs_list_result_free(&lr);
    rs_store_stats_t stats;
    rs_store_stats(st, &stats);
    cr_assert_eq(stats.poisoned, 0);
}

ParameterizedTestParameters(crash, every_point)
{
    return cr_make_param_array(scen_t, (scen_t *)scens, NSCEN);
}

ParameterizedTest(scen_t *s, crash, every_point, .init = setup, .fini = teardown, .timeout = 60)
{
    rs_store_stats_t before, after;
    rs_store_stats(st, &before);
    if (s->op == OP_REPAIR) {
        enum op first = pre_op(s->pre);
        crash_child(1, s->pre, first, 0);
        crash_child(2, s->cp, first, s->stage2_op >= 4 ? s->stage2_op : s->stage2_op ? 1 : 2);
    } else if (s->op == OP_CLEANUP) {
        enum op first = strncmp(s->pre, "MPU_PART", 8) == 0 ? OP_MPU_PART : OP_PUT_BIG;
        crash_child(1, s->pre, first, 0);
        crash_child(1, s->cp, first, 3); /* dies inside rs_store_attach's cleanup */
    } else {
        crash_child(1, s->cp, s->op, 0);
    }
    /* the successor takes the dead worker's slot */
    rs_store_detach(st);
    cr_assert_eq(rs_store_attach(st, 1), 0);
    if (s->stage2_op == 5)
        upload_exists(&bk, "mpobj", up_done);
    verify(s);
    rs_store_stats(st, &after);
    cr_assert_gt(after.repairs, before.repairs, "%s: no repair ran", s->cp);
}

/* Every process of the run is gone: the test process drops its handle without detaching
 * (slot 0 stays ACTIVE with a live pid, as after a SIGKILL of everything). */
static void kill_everything(void)
{
    rs_store_destroy(st, 0);
    st = NULL;
}

/* A restart whose recovery itself is SIGKILLed at `cp` (after a power loss the repair
 * may have nothing left to do: the interrupted steps never reached the disk). */
static void crash_recovery(const char *cp)
{
    pid_t p = fork();
    cr_assert(p >= 0);
    if (p == 0) {
        rs_store_t *s2;
        if (rs_crashpoint_arm(cp) != 0)
            _exit(91);
        rs_store_open_dir(dir, &conf, &s2, NULL, 0);
        _exit(99);
    }
    int ws;
    cr_assert_eq(waitpid(p, &ws, 0), p);
    cr_assert((WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL) ||
                  (powered && WIFEXITED(ws) && WEXITSTATUS(ws) == 99),
              "%s: the restart did not die at the crash point (status %#x)", cp, ws);
}

/* File-backed: a worker dies at every point, then everything dies and the server restarts
 * on the file (for the repair / cleanup points the restart's own recovery is killed
 * there first). Nothing acknowledged is lost, nothing torn, no chunk leaked. */
ParameterizedTestParameters(persist, every_point)
{
    return cr_make_param_array(scen_t, (scen_t *)scens, NSCEN);
}

ParameterizedTest(scen_t *s, persist, every_point, .init = setup_file, .fini = teardown,
                  .timeout = 60)
{
    rs_store_stats_t before, after;
    char why[512];

    rs_store_stats(st, &before);
    if (s->op == OP_REPAIR) {
        enum op first = pre_op(s->pre);
        crash_child(1, s->pre, first, 0);
    } else if (s->op == OP_CLEANUP) {
        crash_child(1, s->pre, strncmp(s->pre, "MPU_PART", 8) == 0 ? OP_MPU_PART : OP_PUT_BIG, 0);
    } else {
        crash_child(1, s->cp, s->op, 0);
    }
    kill_everything();
    if (s->op == OP_REPAIR || s->op == OP_CLEANUP)
        crash_recovery(s->cp);
    cr_assert_eq(rs_store_open_dir(dir, &conf, &st, why, sizeof why), 0, "%s: restart: %s", s->cp,
                 why);
    rs_store_stats(st, &after);
    cr_assert_gt(after.generation, before.generation, "%s: generation did not move", s->cp);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    verify(s);
    rs_store_stats(st, &after);
    cr_assert_gt(after.repairs, before.repairs, "%s: no repair ran", s->cp);
}

Test(crash, table_covers_every_point)
{
    for (int i = 0; i < rs_crashpoint_count(); i++) {
        int found = 0;
        for (size_t j = 0; j < NSCEN; j++)
            found |= strcmp(scens[j].cp, rs_crashpoint_name(i)) == 0;
        found |= strcmp("DUR_SYNCED", rs_crashpoint_name(i)) == 0; /* synced_scens */
        cr_assert(found, "crash point %s has no scenario", rs_crashpoint_name(i));
    }
}

/* DeleteBucket of a bucket holding only reserved keys (the S3 layer's configurations,
 * first byte 0xFF): the worker dies while deleting them. Afterwards the bucket is either
 * gone or still there with some of its reserved keys; a new DeleteBucket finishes the
 * job and nothing leaks. */
typedef struct cfg_point {
    char cp[32];
} cfg_point_t;

static const cfg_point_t cfg_points[] = {{"BUCKET_MARKED"},  {"DEL_INTENT"},    {"DEL_UNHASHED"},
                                         {"LIST_DEL_UPPER"}, {"LIST_DEL_DONE"}, {"DEL_RETIRED"}};

ParameterizedTestParameters(crash, bucket_with_reserved_keys)
{
    return cr_make_param_array(cfg_point_t, (cfg_point_t *)cfg_points,
                               sizeof cfg_points / sizeof cfg_points[0]);
}

ParameterizedTest(cfg_point_t *pt, crash, bucket_with_reserved_keys, .init = setup,
                  .fini = teardown, .timeout = 60)
{
    const char *cp = pt->cp;
    rs_bucket_t cb, saved = bk;
    rs_list_query_t q = {.max_items = 10};
    rs_list_result_t lr;
    char why[512];
    int r;

    cr_assert_eq(rs_bucket_create(st, "000000000000", "cfgb", "us-east-1", &cb), 0);
    bk = cb;
    cr_assert_eq(put("\xff"
                     "cors",
                     200, 11),
                 0);
    cr_assert_eq(put("\xff"
                     "tagging",
                     300, 12),
                 0);
    cr_assert_eq(rs_obj_list(st, &cb, &q, &lr), 0);
    cr_assert_eq(lr.n, 0, "reserved keys are never listed");
    rs_list_result_free(&lr);
    bk = saved;

    pid_t p = fork();
    cr_assert(p >= 0);
    if (p == 0) {
        if (rs_crashpoint_arm(cp) != 0 || rs_store_attach(st, 1) != 0)
            _exit(90);
        rs_bucket_delete(st, "cfgb");
        _exit(99);
    }
    int ws;
    cr_assert_eq(waitpid(p, &ws, 0), p);
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "%s: status %#x", cp, ws);
    rs_store_slot_mark_dead(st, 1);
    rs_store_detach(st);
    cr_assert_eq(rs_store_attach(st, 1), 0);

    r = rs_bucket_lookup(st, "cfgb", &cb);
    cr_assert(r == 0 || r == RS_ENOENT, "%s: lookup %d", cp, r);
    if (r == 0) {
        bk = cb;
        cr_assert(holds("\xff"
                        "cors",
                        200, 11) >= 0,
                  "%s: cors torn", cp);
        cr_assert(holds("\xff"
                        "tagging",
                        300, 12) >= 0,
                  "%s: tagging torn", cp);
        bk = saved;
        cr_assert_eq(rs_bucket_delete(st, "cfgb"), 0, "%s: second delete", cp);
    }
    cr_assert_eq(rs_bucket_lookup(st, "cfgb", &cb), RS_ENOENT);
    for (int i = 0; i < NACK; i++) {
        char k[32];
        snprintf(k, sizeof k, "ack/%02d", i);
        cr_assert_eq(holds(k, OLD_LEN + (size_t)i, (unsigned)i), 1, "%s: %s damaged", cp, k);
    }
    for (int i = 0; i < 40; i++)
        rs_store_tick(st);
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s: check: %s", cp, why);
    /* the name is free again and starts empty */
    cr_assert_eq(rs_bucket_create(st, "000000000000", "cfgb", "us-east-1", &cb), 0);
    bk = cb;
    cr_assert_eq(holds("\xff"
                       "cors",
                       200, 11),
                 0);
    bk = saved;
}

/* ---- power loss (s3_durability) ----------------------------------------------------
 * The store runs with s3_durability = always and the RS_TEST_DUR_SHADOW hook: every range
 * the store msyncs is also copied into <dir>/disk.img (at the start a copy of the new
 * file), which is therefore what the disk holds if the power fails at that moment: the
 * page cache (everything a killed process wrote but nobody synced) is lost. A worker dies
 * at every crash point, everything dies, the file is replaced by the disk image (and, when
 * the dying operation had synced something, variants where that last range is torn: only
 * its first page reached the disk, only half a page, or the sectors it changed in its
 * second half hold garbage), then the restart recovers it: every acknowledged write is
 * byte-exact, the interrupted one is old or new, nothing torn is served, and the check is
 * clean. Under `stop` the same disk image has lost acknowledged writes: the check below
 * sees it. */
static char shadow[128];

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    static uint8_t buf[1 << 16];
    size_t n;

    cr_assert(a && b, "copy %s -> %s", from, to);
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, b), n);
    fclose(a);
    cr_assert_eq(fclose(b), 0);
}

static void setup_power_mode(int mode)
{
    char why[512], f[128];

    powered = 1;
    setup_file_empty(why, sizeof why);
    snprintf(shadow, sizeof shadow, "%s/disk.img", dir);
    snprintf(f, sizeof f, "%s/store.region", dir);
    copy_file(f, shadow);
    setenv("RS_TEST_DUR_SHADOW", shadow, 1);
    cr_assert_eq(rs_store_set_durability(st, mode), 0);
    unsetenv("RS_TEST_DUR_SHADOW"); /* read once: the restarts below keep the default */
    fill_store();
}

static void setup_power(void)
{
    setup_power_mode(RS_DUR_ALWAYS);
}

static void setup_power_stop(void)
{
    setup_power_mode(RS_DUR_STOP);
}

static void teardown_power(void)
{
    char p[160];

    snprintf(p, sizeof p, "%s.last", shadow);
    unlink(p);
    unlink(shadow);
    teardown();
}

/* The power fails: the file becomes the disk image; `tear` > 0 tears the last range. */
static void power_loss(int tear)
{
    char f[160], l[160];
    uint64_t hdr[2];
    FILE *lf;

    snprintf(f, sizeof f, "%s/store.region", dir);
    copy_file(shadow, f);
    if (!tear)
        return;
    snprintf(l, sizeof l, "%s.last", shadow);
    lf = fopen(l, "rb");
    cr_assert_not_null(lf);
    cr_assert_eq(fread(hdr, sizeof hdr, 1, lf), 1);
    uint8_t *old = malloc(hdr[1]), *cur = malloc(hdr[1]);
    cr_assert_eq(fread(old, 1, hdr[1], lf), hdr[1]);
    fclose(lf);
    int fd = open(f, O_RDWR);
    cr_assert(fd >= 0);
    cr_assert_eq(pread(fd, cur, hdr[1], (off_t)hdr[0]), (ssize_t)hdr[1]);
    if (tear == 1 || tear == 2) { /* only the first page / half page was written */
        uint64_t keep = tear == 1 ? 4096 : 2048;
        if (keep < hdr[1])
            memcpy(cur + keep, old + keep, hdr[1] - keep);
    } else { /* the sectors the write changed in its second half hold garbage */
        for (uint64_t s = hdr[1] / 2 & ~511ull; s < hdr[1]; s += 512)
            if (memcmp(cur + s, old + s, 512) != 0)
                memset(cur + s, 0xa5, 512);
    }
    cr_assert_eq(pwrite(fd, cur, hdr[1], (off_t)hdr[0]), (ssize_t)hdr[1]);
    close(fd);
    free(old);
    free(cur);
}

/* One power-suite scenario: the worker dies at s->cp, the power fails, the restart
 * recovers the disk image (each tear variant when the dying operation synced a range). */
static void power_scenario(const scen_t *s)
{
    char why[512], l[160];
    struct stat sb;
    int torn;

    snprintf(l, sizeof l, "%s.last", shadow);
    unlink(l); /* from now on .last names a range the dying operation synced */
    if (s->op == OP_REPAIR)
        crash_child(1, s->pre, pre_op(s->pre), 0);
    else if (s->op == OP_CLEANUP)
        crash_child(1, s->pre, strncmp(s->pre, "MPU_PART", 8) == 0 ? OP_MPU_PART : OP_PUT_BIG, 0);
    else
        crash_child(1, s->cp, s->op, 0);
    kill_everything();
    torn = stat(l, &sb) == 0 ? 4 : 1;
    for (int tear = 0; tear < torn; tear++) {
        power_loss(tear);
        if (s->op == OP_REPAIR || s->op == OP_CLEANUP)
            crash_recovery(s->cp);
        int rc = rs_store_open_dir(dir, &conf, &st, why, sizeof why);
        /* garbage in the index range itself (the whole-mapping sync torn with garbage) is
         * detected, not rolled back: the restart refuses with the reason, keeping the file
         * (there is no journal to roll it back from) */
        if (rc == RS_EPOISON && tear == 3 && strcmp(s->cp, "DUR_SYNCED") == 0) {
            cr_assert(strstr(why, "failed its restart check (file kept)"), "%s", why);
            continue;
        }
        cr_assert_eq(rc, 0, "%s (tear %d): restart: %s", s->cp, tear, why);
        cr_assert_eq(rs_store_attach(st, 0), 0);
        verify(s);
        kill_everything();
    }
}

ParameterizedTestParameters(power, every_point)
{
    return cr_make_param_array(scen_t, (scen_t *)scens, NSCEN);
}

ParameterizedTest(scen_t *s, power, every_point, .init = setup_power, .fini = teardown_power,
                  .timeout = 120)
{
    power_scenario(s);
}

ParameterizedTestParameters(power, index_synced)
{
    return cr_make_param_array(scen_t, (scen_t *)synced_scens,
                               sizeof synced_scens / sizeof synced_scens[0]);
}

ParameterizedTest(scen_t *s, power, index_synced, .init = setup_power, .fini = teardown_power,
                  .timeout = 120)
{
    power_scenario(s);
}

/* Bytes no other object of the suite holds (fill() repeats itself at shifted offsets). */
static void noise(uint8_t *p, size_t n, uint64_t x)
{
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)(x >> 24);
    }
}

/* 1 if the disk image holds the n bytes at `want` somewhere. */
static int image_holds(const uint8_t *want, size_t n)
{
    FILE *f = fopen(shadow, "rb");
    uint8_t *img;
    long len;
    int found;

    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    img = malloc((size_t)len);
    cr_assert_not_null(img);
    cr_assert_eq(fread(img, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    found = memmem(img, (size_t)len, want, n) != NULL;
    free(img);
    return found;
}

/* The order itself: when the index sync starts (DUR_COMMIT), the new object's bytes are
 * already on the disk image, and its index record is not (a restart does not serve it);
 * once the index sync is done (DUR_SYNCED, before the answer) a restart serves it. */
Test(power, bytes_reach_the_disk_before_the_index, .init = setup_power, .fini = teardown_power,
     .timeout = 120)
{
    char why[512];
    size_t n = 300000;
    uint8_t *d = malloc(n);
    rs_obj_view_t v;

    noise(d, n, 0x9e3779b97f4a7c15ull);
    cr_assert_eq(image_holds(d, n), 0, "the new object is on disk before its PUT");
    pid_t p = fork();
    cr_assert(p >= 0);
    if (p == 0) {
        struct iovec io = {d, n};
        rs_obj_put_t put = {
            .bucket = &bk, .key = "noise", .key_len = 5, .data = &io, .data_iovcnt = 1};
        put.info.size = n;
        if (rs_crashpoint_arm("DUR_COMMIT") != 0 || rs_store_attach(st, 1) != 0)
            _exit(90);
        rs_obj_put(st, &put);
        _exit(99);
    }
    int ws;
    cr_assert_eq(waitpid(p, &ws, 0), p);
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "status %#x", ws);
    cr_assert_eq(image_holds(d, n), 1, "DUR_COMMIT: the bytes are not on disk yet");
    free(d);
    kill_everything();
    power_loss(0);
    cr_assert_eq(rs_store_open_dir(dir, &conf, &st, why, sizeof why), 0, "%s", why);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_obj_get(st, &bk, "noise", 5, &v), RS_ENOENT,
                 "the index record reached the disk early");
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s", why);
    kill_everything();
}

Test(power, index_on_disk_before_the_answer, .init = setup_power, .fini = teardown_power,
     .timeout = 120)
{
    char why[512];

    crash_child(1, "DUR_SYNCED", OP_PUT_NEW, 0);
    kill_everything();
    power_loss(0);
    cr_assert_eq(rs_store_open_dir(dir, &conf, &st, why, sizeof why), 0, "%s", why);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(holds("newkey", NEW_LEN, 800), 1, "synced before the answer, yet not on disk");
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s", why);
    kill_everything();
}

/* The same power loss under `stop` (today's default): the disk image is the empty store
 * of the start, so the acknowledged writes are gone; this is what the suite above would
 * see if `always` synced nothing. */
Test(power, stop_loses_acknowledged_writes, .init = setup_power_stop, .fini = teardown_power)
{
    char why[512];
    rs_bucket_t b;

    crash_child(1, "PUT_PUBLISHED", OP_PUT_NEW, 0);
    kill_everything();
    power_loss(0);
    cr_assert_eq(rs_store_open_dir(dir, &conf, &st, why, sizeof why), 0, "restart: %s", why);
    cr_assert_eq(rs_bucket_lookup(st, "bk", &b), RS_ENOENT,
                 "under stop the bucket was not expected on disk");
    kill_everything();
}
