/*
 * test_store_mp.c: multi-process stress. Four forked workers do random PUT / GET /
 * DELETE / LIST and multipart uploads (Create, UploadPart, Complete as a PUT of the
 * concatenated parts, or Abort) on overlapping keys for a bounded time while the test (playing the
 * master) SIGKILLs some at random and starts successors on the same slots. Every
 * operation is logged in shared memory with its start and end time; afterwards each
 * key must hold a value that no acknowledged operation overrode (linearisable register),
 * every value read during the run was untorn, and rs_store_check is clean.
 * Runs in: tests (fork, kill, waitpid).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/store.h"
#include "rs/store_mpu.h"
#include "shm/crashpoint.h"

#define NW 4
#define NKEYS 48
#define MAXLOG 400000
#define RUN_MS 3000

typedef struct logrec {
    int32_t key;
    int32_t kind; /* 1 put (single or a completed multipart upload), 2 delete */
    uint32_t size;
    int32_t failed;      /* the call returned an error: it did not happen */
    uint64_t start, end; /* ns; end 0 = never acknowledged (killed) */
} logrec_t;

typedef struct shared {
    uint64_t nlog;
    int stop;
    int torn;
    logrec_t log[MAXLOG];
} shared_t;

static shared_t *sh;
static rs_store_t *st;
static rs_bucket_t bk;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Value of op `id` on key k: self-describing header then a pattern. */
static void fill(uint8_t *p, size_t n, uint32_t id, int k)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(id * 2654435761u + (uint32_t)k * 40503u + i * 7 + (i >> 11));
    if (n >= 8) {
        memcpy(p, &id, 4);
        memcpy(p + 4, &k, 4);
    }
}

static void key_of(int k, char *out)
{
    sprintf(out, "key/%02d/%s", k, (k & 1) ? "odd" : "even");
}

/* Read key k and check the bytes are exactly one logged value; returns its op id,
 * -1 if absent, -2 if torn. */
static int64_t read_key(int k)
{
    char key[64];
    rs_obj_view_t v;
    key_of(k, key);
    int rc = rs_obj_get(st, &bk, key, strlen(key), &v);
    if (rc == RS_ENOENT)
        return -1;
    if (rc != 0)
        return -2;
    uint32_t id = 0;
    int64_t res = -2;
    size_t n = v.info.size, off = 0;
    uint8_t *flat = malloc(n ? n : 1);
    for (size_t i = 0; i < v.nseg; i++) {
        memcpy(flat + off, v.seg[i].iov_base, v.seg[i].iov_len);
        off += v.seg[i].iov_len;
    }
    if (off == n && n >= 8) {
        memcpy(&id, flat, 4);
        if (id < MAXLOG && sh->log[id].key == k && sh->log[id].size == n) {
            uint8_t *want = malloc(n);
            fill(want, n, id, k);
            if (memcmp(want, flat, n) == 0)
                res = id;
            free(want);
        }
    }
    free(flat);
    rs_obj_release(st, &v);
    return res;
}

/* A multipart upload of the value of op `id` in 1..3 parts; Complete is the write (its
 * start is logged just before it), or with `abort` the upload is aborted instead. */
static int multipart(const char *key, int k, uint8_t *buf, uint32_t n, uint32_t id, logrec_t *l,
                     int abort)
{
    rs_mpu_create_t c = {.bucket = &bk, .key = key, .key_len = strlen(key)};
    rs_upload_id_t up;
    rs_mpu_listed_t listed[3];
    uint32_t np = 1 + (uint32_t)(rand() % 3), off = 0;
    int rc = rs_mpu_create(st, &c, &up);

    if (rc)
        return rc;
    fill(buf, n, id, k);
    rs_mpu_ref_t r = {.bucket = &bk, .key = key, .key_len = strlen(key), .id = up};
    for (uint32_t i = 0; i < np; i++) {
        uint32_t len = i + 1 == np ? n - off : (n / np);
        struct iovec v = {buf + off, len};
        rs_mpu_part_put_t p = {.up = r, .number = i * 3 + 1, .data = &v, .data_iovcnt = 1};
        p.info.size = len;
        p.info.etag[0] = (uint8_t)i;
        rc = rs_mpu_part_put(st, &p);
        if (rc)
            return rc;
        listed[i].number = p.number;
        memset(listed[i].etag, 0, 16);
        listed[i].etag[0] = (uint8_t)i;
        off += len;
    }
    if (abort)
        return rs_mpu_abort(st, &r);
    rs_mpu_complete_t cc = {.up = r, .parts = listed, .nparts = np};
    __atomic_store_n(&l->start, now_ns(), __ATOMIC_SEQ_CST);
    return rs_mpu_complete(st, &cc);
}

static void worker(unsigned slot, unsigned seed)
{
    char key[64];
    uint8_t *buf = malloc(2 << 20);
    srand(seed);
    /* half of the successors also die at a random crash point of their own */
    if (seed >= 2000 && rand() % 2)
        rs_crashpoint_arm(rs_crashpoint_name(rand() % rs_crashpoint_count()));
    if (rs_store_attach(st, slot) != 0)
        _exit(10);
    while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
        int k = rand() % NKEYS, what = rand() % 12;
        key_of(k, key);
        if (what >= 10) {
            uint64_t id = __atomic_fetch_add(&sh->nlog, 1, __ATOMIC_SEQ_CST);
            if (id >= MAXLOG)
                break;
            uint32_t n = (rand() % 10 == 0) ? (uint32_t)(1 << 20) + (uint32_t)(rand() % 600000)
                                            : 8 + (uint32_t)(rand() % 6000);
            logrec_t *l = &sh->log[id];
            l->key = k;
            l->kind = 1;
            l->size = n;
            __atomic_store_n(&l->start, now_ns(), __ATOMIC_SEQ_CST);
            /* killed in flight: it may have happened (end 0); an abort never writes */
            if (multipart(key, k, buf, n, (uint32_t)id, l, what == 11) != 0 || what == 11)
                l->failed = 1;
            __atomic_store_n(&l->end, now_ns(), __ATOMIC_SEQ_CST);
        } else if (what < 4) {
            uint64_t id = __atomic_fetch_add(&sh->nlog, 1, __ATOMIC_SEQ_CST);
            if (id >= MAXLOG)
                break;
            uint32_t n = (rand() % 20 == 0) ? (uint32_t)(1 << 20) + (uint32_t)(rand() % 600000)
                                            : 8 + (uint32_t)(rand() % 6000);
            logrec_t *l = &sh->log[id];
            l->key = k;
            l->kind = 1;
            l->size = n;
            fill(buf, n, (uint32_t)id, k);
            struct iovec v = {buf, n};
            rs_obj_put_t p = {
                .bucket = &bk, .key = key, .key_len = strlen(key), .data = &v, .data_iovcnt = 1};
            p.info.size = n;
            __atomic_store_n(&l->start, now_ns(), __ATOMIC_SEQ_CST);
            int rc = rs_obj_put(st, &p);
            if (rc)
                l->failed = 1;
            __atomic_store_n(&l->end, now_ns(), __ATOMIC_SEQ_CST);
        } else if (what < 6) {
            uint64_t id = __atomic_fetch_add(&sh->nlog, 1, __ATOMIC_SEQ_CST);
            if (id >= MAXLOG)
                break;
            logrec_t *l = &sh->log[id];
            l->key = k;
            l->kind = 2;
            __atomic_store_n(&l->start, now_ns(), __ATOMIC_SEQ_CST);
            int rc = rs_obj_delete(st, &bk, key, strlen(key), NULL);
            if (rc && rc != RS_ENOENT)
                l->failed = 1;
            __atomic_store_n(&l->end, now_ns(), __ATOMIC_SEQ_CST);
        } else if (what < 9) {
            if (read_key(k) == -2)
                __atomic_store_n(&sh->torn, 1, __ATOMIC_SEQ_CST);
        } else {
            rs_list_query_t q = {
                .max_items = 20, .delim = "/", .delim_len = 1, .prefix = "key/", .prefix_len = 4};
            rs_list_result_t r;
            if (rs_obj_list(st, &bk, &q, &r) == 0) {
                for (size_t i = 1; i < r.n; i++)
                    if (strcmp(r.items[i - 1].key, r.items[i].key) >= 0)
                        __atomic_store_n(&sh->torn, 2, __ATOMIC_SEQ_CST);
                rs_list_result_free(&r);
            }
        }
        if (rand() % 64 == 0)
            rs_store_tick(st);
    }
    rs_store_detach(st);
    _exit(0);
}

static pid_t spawn(unsigned slot, unsigned seed)
{
    pid_t p = fork();
    if (p == 0)
        worker(slot, seed);
    return p;
}

Test(store_mp, random_ops_with_kills, .timeout = 120)
{
    char name[64], why[512];
    rs_store_conf_t c = {.capacity_bytes = 96 << 20,
                         .max_objects = 4096,
                         .max_buckets = 4,
                         .max_workers = NW,
                         .max_object_size = 2 << 20};
    pid_t pids[NW];
    int kills = 0;

    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert(sh != MAP_FAILED);
    snprintf(name, sizeof name, "/rs-test-mp-%d", getpid());
    cr_assert_eq(rs_store_create(name, &c, &st), 0);
    cr_assert_eq(rs_store_attach(st, 0), 0);
    cr_assert_eq(rs_bucket_create(st, "000000000000", "stress", "r", &bk), 0);
    rs_store_detach(st);
    for (unsigned i = 0; i < NW; i++)
        pids[i] = spawn(i, 1000 + i);
    srand(4242);
    uint64_t t_end = now_ns() + RUN_MS * 1000000ull;
    unsigned gen = 0;
    int selfkills = 0;
    while (now_ns() < t_end) {
        usleep(20000 + (useconds_t)(rand() % 80000));
        unsigned w = (unsigned)rand() % NW;
        int ws;
        pid_t dead;
        /* reap workers that died at their armed crash point, start successors */
        while ((dead = waitpid(-1, &ws, WNOHANG)) > 0) {
            for (unsigned i = 0; i < NW; i++) {
                if (pids[i] != dead)
                    continue;
                cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "ws %#x", ws);
                rs_store_slot_mark_dead(st, i);
                pids[i] = spawn(i, 2000 + gen++);
                selfkills++;
            }
        }
        kill(pids[w], SIGKILL);
        cr_assert_eq(waitpid(pids[w], &ws, 0), pids[w]);
        cr_assert(WIFSIGNALED(ws) || (WIFEXITED(ws) && WEXITSTATUS(ws) == 0), "ws %#x", ws);
        rs_store_slot_mark_dead(st, w);
        pids[w] = spawn(w, 2000 + gen++);
        kills++;
    }
    __atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < NW; i++) {
        int ws;
        cr_assert_eq(waitpid(pids[i], &ws, 0), pids[i]);
        /* a successor may still die at its armed crash point while stopping */
        cr_assert((WIFEXITED(ws) && WEXITSTATUS(ws) == 0) ||
                      (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL),
                  "worker %u status %#x", i, ws);
        if (WIFSIGNALED(ws))
            rs_store_slot_mark_dead(st, i);
    }
    cr_assert_eq(sh->torn, 0, "a torn read (1) or unsorted listing (2) was seen");
    cr_assert_gt(kills, 10);
    cr_assert_eq(rs_store_attach(st, 0), 0);

    uint64_t nlog = sh->nlog < MAXLOG ? sh->nlog : MAXLOG, acked = 0;
    cr_log_info("%llu operations logged, %d workers killed, %d died at crash points",
                (unsigned long long)nlog, kills, selfkills);
    for (int k = 0; k < NKEYS; k++) {
        /* the latest start among acknowledged operations on k */
        uint64_t last_start = 0;
        for (uint64_t i = 0; i < nlog; i++) {
            logrec_t *l = &sh->log[i];
            if (l->key == k && l->end && !l->failed && l->start > last_start)
                last_start = l->start;
            acked += l->key == k && l->end && !l->failed;
        }
        int64_t id = read_key(k);
        cr_assert_neq(id, -2, "key %d torn at the end", k);
        if (id >= 0) {
            logrec_t *l = &sh->log[id];
            cr_assert_eq(l->kind, 1);
            cr_assert_eq(l->failed, 0, "key %d holds a failed write", k);
            cr_assert(l->end == 0 || l->end >= last_start,
                      "key %d: value of op %lld was overridden by an acknowledged op", k,
                      (long long)id);
        } else {
            int ok = last_start == 0;
            for (uint64_t i = 0; i < nlog && !ok; i++) {
                logrec_t *l = &sh->log[i];
                ok = l->key == k && l->kind == 2 && !l->failed &&
                     (l->end == 0 || l->end >= last_start);
            }
            cr_assert(ok, "key %d lost an acknowledged write", k);
        }
    }
    cr_assert_gt(acked, 100);
    cr_assert_eq(rs_store_check(st, why, sizeof why), 0, "check: %s", why);
    /* the per-account usage is exact after the kills: recounted after their repairs */
    cr_assert_eq(rs_store_recount(st), 0);
    cr_assert_eq(rs_store_usage_check(st, why, sizeof why), 0, "usage: %s", why);
    rs_usage_t u;
    rs_store_account_usage(st, bk.account, &u);
    uint64_t objs = 0, bytes = 0;
    for (int k = 0; k < NKEYS; k++) {
        char key[64];
        rs_obj_view_t v;
        key_of(k, key);
        if (rs_obj_get(st, &bk, key, strlen(key), &v) == 0) {
            objs++;
            bytes += v.info.size;
            rs_obj_release(st, &v);
        }
    }
    cr_assert_eq(u.objects, objs, "usage %llu objects, %llu readable",
                 (unsigned long long)u.objects, (unsigned long long)objs);
    cr_assert_eq(u.bytes, bytes, "usage %llu bytes, %llu readable", (unsigned long long)u.bytes,
                 (unsigned long long)bytes);
    rs_store_stats_t s;
    rs_store_stats(st, &s);
    cr_assert_eq(s.poisoned, 0);
    rs_store_destroy(st, 1);
}
