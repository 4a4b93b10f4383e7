/*
 * test_crash.c: for every crash point, a forked worker is SIGKILLed exactly there in the
 * middle of an operation (PUT new key, overwrite, big overwrite, DELETE, allocation,
 * reclamation, bucket create/delete, slot cleanup, a repair itself). The master marks
 * its slot dead, a successor attaches the slot and runs further operations (which meet
 * EOWNERDEAD and repair). Then: every acknowledged write is byte-exact, the interrupted
 * key holds the old or the new value (never torn), listing agrees with GET, and
 * rs_store_check is clean (no leaked chunk). The persist suite runs the same scenarios on
 * a file-backed region, then kills everything and restarts on the file.
 * Runs in: tests (the test process plays master and successor; children play workers).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/store.h"
#include "shm/crashpoint.h"

enum op {
    OP_PUT_NEW,   /* new key, 200 KB (first use of its size class: takes a page) */
    OP_PUT_OVER,  /* overwrite a small key with 3000 bytes */
    OP_PUT_BIG,   /* overwrite a 2.5 MiB key with 3.5 MiB (data chunks) */
    OP_DEL,       /* delete a key */
    OP_RECLAIM,   /* ticks: reclaim RETIRED extents, release empty pages */
    OP_BK_DEL,    /* delete an empty bucket */
    OP_BK_CREATE, /* create a bucket */
    OP_REPAIR,    /* stage 1 dies at `pre`, stage 2 dies inside the repair it triggers */
    OP_CLEANUP,   /* stage 1 dies holding claimed chunks, stage 2 dies in slot cleanup */
};

typedef struct scen {
    char cp[32];
    enum op op;
    char pre[32];  /* first crash for OP_REPAIR / OP_CLEANUP */
    int stage2_op; /* what stage 2 runs: 0 get victim, 1 list */
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
};

#define NSCEN (sizeof scens / sizeof scens[0])
#define NACK 24
#define OLD_LEN 100
#define OVER_LEN 3000
#define NEW_LEN (200 * 1024)
#define BIG_OLD (5 << 19)
#define BIG_NEW (7 << 19)

static rs_store_t *st;
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

static const rs_store_conf_t conf = {.capacity_bytes = 24 << 20,
                                     .max_objects = 256,
                                     .max_buckets = 8,
                                     .max_workers = 4,
                                     .shards = 4,
                                     .max_object_size = 4 << 20};
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
}

static void setup(void)
{
    char name[64];

    dir[0] = '\0';
    snprintf(name, sizeof name, "/rs-test-crash-%d", getpid());
    cr_assert_eq(rs_store_create(name, &conf, &st), 0);
    fill_store();
}

/* The same store as a file in a fresh data directory. */
static void setup_file(void)
{
    char why[512];

    snprintf(dir, sizeof dir, "/tmp/rs-crash-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(rs_store_open_dir(dir, &conf, &st, why, sizeof why), 0, "open: %s", why);
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
    const char *names[] = {"big", "bigold", "newkey", "victim"};
    for (size_t i = 0; i < 4; i++) {
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
    for (int i = 0; i < 40; i++)
        rs_store_tick(st);
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "%s: final check: %s", s->cp, why);
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
        enum op first = strncmp(s->pre, "DEL", 3) == 0 || strncmp(s->pre, "LIST_DEL", 8) == 0
                            ? OP_DEL
                            : (strcmp(s->pre, "PUT_TAGS_LIVE") == 0 ? OP_PUT_OVER : OP_PUT_NEW);
        crash_child(1, s->pre, first, 0);
        crash_child(2, s->cp, first, s->stage2_op ? 1 : 2);
    } else if (s->op == OP_CLEANUP) {
        crash_child(1, s->pre, OP_PUT_BIG, 0);
        crash_child(1, s->cp, OP_PUT_BIG, 3); /* dies inside rs_store_attach's cleanup */
    } else {
        crash_child(1, s->cp, s->op, 0);
    }
    /* the successor takes the dead worker's slot */
    rs_store_detach(st);
    cr_assert_eq(rs_store_attach(st, 1), 0);
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

/* A restart whose recovery itself is SIGKILLed at `cp`. */
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
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL,
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
        enum op first = strncmp(s->pre, "DEL", 3) == 0 || strncmp(s->pre, "LIST_DEL", 8) == 0
                            ? OP_DEL
                            : (strcmp(s->pre, "PUT_TAGS_LIVE") == 0 ? OP_PUT_OVER : OP_PUT_NEW);
        crash_child(1, s->pre, first, 0);
    } else if (s->op == OP_CLEANUP) {
        crash_child(1, s->pre, OP_PUT_BIG, 0);
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
