/*
 * skiplist.c: the per-bucket ordered key list threaded through the index entries.
 * Level 0 is the truth and changes by single aligned stores, so it is a consistent
 * sorted list at every instruction; upper levels only accelerate seeks and are rebuilt
 * from level 0 by the list repair. Every function runs with the bucket's list lock held.
 * Runs in: workers.
 */
#include <string.h>

#include "store/store_int.h"

int rs_key_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);

    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

uint8_t rs_skip_height(uint32_t hash)
{
    uint32_t x = hash * 0x9e3779b1u;
    uint8_t h = 1;

    x ^= x >> 15;
    x *= 0x85ebca6bu;
    x ^= x >> 13;
    while (h < RS_SKIP_LEVELS && (x & 3) == 0) {
        h++;
        x >>= 2;
    }
    return h;
}

static uint32_t *link_of(rs_store_t *st, rs_bucket_shm_t *b, uint32_t ref, int l)
{
    return ref ? &rs_entry_ref(st, ref)->next[l] : &b->head[l];
}

static int node_cmp(rs_store_t *st, uint32_t ref, const char *k, size_t kl)
{
    rs_entry_shm_t *e = rs_entry_ref(st, ref);
    return rs_key_cmp(e->key, e->key_len, k, kl);
}

static void find_preds(rs_store_t *st, rs_bucket_shm_t *b, const char *k, size_t kl,
                       uint32_t *preds)
{
    uint32_t x = 0;

    for (int l = RS_SKIP_LEVELS - 1; l >= 0; l--) {
        uint32_t nx;
        while ((nx = LD(link_of(st, b, x, l))) != 0 && node_cmp(st, nx, k, kl) < 0)
            x = nx;
        preds[l] = x;
    }
}

void rs_skip_insert(rs_store_t *st, rs_bucket_shm_t *b, uint32_t ref)
{
    rs_entry_shm_t *e = rs_entry_ref(st, ref);
    uint32_t preds[RS_SKIP_LEVELS], succ;

    if (!e || e->key_len > RS_MAX_KEY || e->height < 1 || e->height > RS_SKIP_LEVELS)
        return;
    find_preds(st, b, e->key, e->key_len, preds);
    succ = LD(link_of(st, b, preds[0], 0));
    if (succ == ref)
        return; /* already linked (upper levels were rebuilt by the list repair) */
    ST(&e->next[0], succ);
    ST(link_of(st, b, preds[0], 0), ref);
    RS_CRASHPOINT(LIST_INS_L0);
    for (int l = 1; l < e->height; l++) {
        ST(&e->next[l], LD(link_of(st, b, preds[l], l)));
        ST(link_of(st, b, preds[l], l), ref);
    }
    b->count++;
    RS_CRASHPOINT(LIST_INS_DONE);
}

void rs_skip_unlink(rs_store_t *st, rs_bucket_shm_t *b, uint32_t ref)
{
    rs_entry_shm_t *e = rs_entry_ref(st, ref);
    uint32_t preds[RS_SKIP_LEVELS];

    if (!e || e->key_len > RS_MAX_KEY)
        return;
    find_preds(st, b, e->key, e->key_len, preds);
    for (int l = RS_SKIP_LEVELS - 1; l >= 1; l--)
        if (LD(link_of(st, b, preds[l], l)) == ref)
            ST(link_of(st, b, preds[l], l), LD(&e->next[l]));
    RS_CRASHPOINT(LIST_DEL_UPPER);
    if (LD(link_of(st, b, preds[0], 0)) == ref) {
        ST(link_of(st, b, preds[0], 0), LD(&e->next[0]));
        b->count--;
    }
    RS_CRASHPOINT(LIST_DEL_DONE);
}

int rs_skip_contains(rs_store_t *st, rs_bucket_shm_t *b, uint32_t ref)
{
    rs_entry_shm_t *e = rs_entry_ref(st, ref);
    uint32_t preds[RS_SKIP_LEVELS];

    if (!e || e->key_len > RS_MAX_KEY)
        return 0;
    find_preds(st, b, e->key, e->key_len, preds);
    return LD(link_of(st, b, preds[0], 0)) == ref;
}

uint32_t rs_skip_seek(rs_store_t *st, rs_bucket_shm_t *b, const char *key, size_t len, int strict)
{
    uint32_t x = 0;

    for (int l = RS_SKIP_LEVELS - 1; l >= 0; l--) {
        uint32_t nx;
        while ((nx = LD(link_of(st, b, x, l))) != 0) {
            int c = node_cmp(st, nx, key, len);
            if (c > 0 || (c == 0 && !strict))
                break;
            x = nx;
        }
    }
    return LD(link_of(st, b, x, 0));
}

uint32_t rs_skip_seek_past_prefix(rs_store_t *st, rs_bucket_shm_t *b, const char *p, size_t len)
{
    uint32_t x = 0;

    for (int l = RS_SKIP_LEVELS - 1; l >= 0; l--) {
        uint32_t nx;
        while ((nx = LD(link_of(st, b, x, l))) != 0) {
            rs_entry_shm_t *e = rs_entry_ref(st, nx);
            int before = rs_key_cmp(e->key, e->key_len, p, len) < 0 ||
                         (e->key_len >= len && memcmp(e->key, p, len) == 0);
            if (!before)
                break;
            x = nx;
        }
    }
    return LD(link_of(st, b, x, 0));
}

int rs_skip_rebuild(rs_store_t *st, rs_bucket_shm_t *b)
{
    uint32_t *last[RS_SKIP_LEVELS];
    uint64_t limit = (uint64_t)st->hdr->nshards * st->hdr->eps, n = 0;
    rs_entry_shm_t *prev = NULL;

    for (int l = 1; l < RS_SKIP_LEVELS; l++)
        last[l] = &b->head[l];
    for (uint32_t ref = LD(&b->head[0]); ref; ref = LD(&rs_entry_ref(st, ref)->next[0])) {
        rs_entry_shm_t *e = rs_entry_ref(st, ref);
        if (!e || ++n > limit || e->key_len > RS_MAX_KEY || e->height < 1 ||
            e->height > RS_SKIP_LEVELS)
            return RS_EPOISON;
        if (prev && rs_key_cmp(prev->key, prev->key_len, e->key, e->key_len) >= 0)
            return RS_EPOISON;
        for (int l = 1; l < e->height; l++) {
            ST(last[l], ref);
            last[l] = &e->next[l];
        }
        if (n == 1)
            RS_CRASHPOINT(REPAIR_LIST);
        prev = e;
    }
    for (int l = 1; l < RS_SKIP_LEVELS; l++)
        ST(last[l], 0u);
    b->count = (uint32_t)n;
    return 0;
}
