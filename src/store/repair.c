/*
 * repair.c: the lock helpers of the store and the repairs they run on EOWNERDEAD:
 * shard (roll the intent back or forward, reconcile list membership, rebuild the free
 * list, bounded check), bucket table (revert DELETING, or roll a deletion forward once the
 * bucket was found empty: abort its uploads, FREE), bucket list (rebuild levels);
 * the same repairs run unconditionally when a file-backed region restarts.
 * Runs in: workers; the *_now repairs in the master before any fork (recover.c).
 */
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

void rs_store_poison(rs_store_t *st)
{
    ST(&st->hdr->state, (uint32_t)RS_REGION_POISONED);
    __atomic_fetch_add(&st->hdr->poisoned, 1, __ATOMIC_RELAXED);
}

static void list_fix(rs_store_t *st, uint32_t bucket_id, uint32_t ref, int linked)
{
    rs_bucket_shm_t *b;

    if (bucket_id >= st->hdr->nbuckets)
        return;
    b = rs_bucket(st, bucket_id);
    if (rs_lock_list(st, bucket_id) != 0)
        return;
    if (linked)
        rs_skip_insert(st, b, ref);
    else
        rs_skip_unlink(st, b, ref);
    rs_shm_unlock(&b->list_mu);
}

static void retire(rs_store_t *st, uint64_t off)
{
    uint32_t u;

    if (off && rs_off_unit(st, off, &u) == 0)
        CAS(rs_tag_of(st, off), RS_TAG_LIVE, RS_TAG_RETIRED);
}

/* Roll the open intent of shard s back or forward. */
static int fix_intent(rs_store_t *st, uint32_t s)
{
    rs_shard_shm_t *sh = rs_shard(st, s);
    rs_intent_shm_t *it = &sh->intent;
    rs_entry_shm_t *e;
    uint32_t ref;
    int in;

    if (it->op != RS_OP_PUT && it->op != RS_OP_DEL)
        return 0;
    if (it->entry == 0 || it->entry >= st->hdr->eps)
        return RS_EPOISON;
    e = rs_entry(st, s, it->entry);
    ref = rs_ref(st, s, it->entry);
    in = rs_chain_contains(st, s, it->entry);
    if (in < 0)
        return RS_EPOISON;
    if (it->op == RS_OP_PUT) {
        if (in && LD(&e->blob) == it->new_blob) { /* published: roll forward */
            rs_extent_make_live(st, it->new_blob, it->owner_tag);
            if (e->gen == it->gen)
                e->gen = it->gen + 1;
            retire(st, it->old_blob);
            if (it->is_new)
                list_fix(st, it->bucket_id, ref, 1);
        } else { /* not published: roll back */
            rs_extent_rollback(st, it->new_blob, it->owner_tag);
            if (it->is_new)
                list_fix(st, it->bucket_id, ref, 0);
        }
    } else {
        if (in) {
            list_fix(st, it->bucket_id, ref, 1);
        } else {
            list_fix(st, it->bucket_id, ref, 0);
            retire(st, it->old_blob);
            if (e->gen == it->gen)
                e->gen = it->gen + 1;
        }
    }
    return 0;
}

/* Recompute LIVE marks, the free list and the count from the hash chains. */
static int rebuild_entries(rs_store_t *st, uint32_t s)
{
    rs_shard_shm_t *sh = rs_shard(st, s);
    uint32_t *heads = rs_heads(st, s), bump = sh->bump, count = 0, fl = 0;

    if (bump == 0 || bump > st->hdr->eps)
        return RS_EPOISON;
    for (uint32_t i = 1; i < bump; i++)
        if (rs_entry(st, s, i)->state != RS_ENT_FREE)
            rs_entry(st, s, i)->state = RS_ENT_MARK;
    RS_CRASHPOINT(REPAIR_SHARD_REBUILD);
    for (uint32_t h = 0; h < st->hdr->nheads; h++) {
        uint32_t n = 0;
        for (uint32_t i = heads[h]; i; i = rs_entry(st, s, i)->hnext) {
            if (i >= bump || ++n > st->hdr->eps)
                return RS_EPOISON;
            rs_entry(st, s, i)->state = RS_ENT_LIVE;
        }
    }
    for (uint32_t i = bump - 1; i >= 1; i--) {
        rs_entry_shm_t *e = rs_entry(st, s, i);
        if (e->state == RS_ENT_LIVE) {
            count++;
            continue;
        }
        e->state = RS_ENT_FREE;
        e->hnext = fl;
        fl = i;
    }
    sh->free_head = fl;
    sh->count = count;
    return 0;
}

static int shard_repair(void *arg)
{
    void **a = arg;
    rs_store_t *st = a[0];
    uint32_t s = (uint32_t)(uintptr_t)a[1];
    rs_shard_shm_t *sh = rs_shard(st, s);
    int rc;

    __atomic_fetch_add(&st->hdr->repairs, 1, __ATOMIC_RELAXED);
    ST(&st->hdr->recount, 1u); /* the dead writer may have counted or not: rs_store_recount */
    rc = fix_intent(st, s);
    if (rc)
        return rc;
    RS_CRASHPOINT(REPAIR_SHARD_FIXED);
    rc = rebuild_entries(st, s);
    if (rc)
        return rc;
    if (sh->seq & 1)
        sh->seq++;
    sh->intent.op = RS_OP_NONE;
    return rs_shard_check(st, s, NULL, 0);
}

int rs_lock_shard(rs_store_t *st, uint32_t s)
{
    void *a[2] = {st, (void *)(uintptr_t)s};
    int rc = rs_shm_lock(&rs_shard(st, s)->mu, shard_repair, a);

    if (rc)
        rs_store_poison(st);
    return rc;
}

static int list_repair(void *arg)
{
    void **a = arg;
    rs_store_t *st = a[0];

    __atomic_fetch_add(&st->hdr->repairs, 1, __ATOMIC_RELAXED);
    return rs_skip_rebuild(st, a[1]);
}

int rs_lock_list(rs_store_t *st, uint32_t bucket_id)
{
    rs_bucket_shm_t *b = rs_bucket(st, bucket_id);
    void *a[2] = {st, b};
    int rc = rs_shm_lock(&b->list_mu, list_repair, a);

    if (rc)
        rs_store_poison(st);
    return rc;
}

static int btab_repair(void *arg)
{
    rs_store_t *st = arg;
    rs_btab_shm_t *bt = rs_btab(st);

    __atomic_fetch_add(&st->hdr->repairs, 1, __ATOMIC_RELAXED);
    if (bt->intent_op == RS_BOP_DELETE && bt->intent_step == 2 &&
        bt->intent_id < st->hdr->nbuckets &&
        LD(&rs_bucket(st, bt->intent_id)->state) == RS_BK_DELETING) {
        /* the bucket was found empty: roll forward (abort its uploads, then FREE) */
        rs_bucket_shm_t *b = rs_bucket(st, bt->intent_id);
        if (rs_upload_abort_bucket(st, bt->intent_id, b->gen) != 0)
            return RS_EPOISON;
        ST(&b->state, (uint32_t)RS_BK_FREE);
    }
    for (uint32_t i = 0; i < st->hdr->nbuckets; i++) {
        rs_bucket_shm_t *b = rs_bucket(st, i);
        if (LD(&b->state) == RS_BK_DELETING)
            ST(&b->state, (uint32_t)RS_BK_ACTIVE);
        else if (LD(&b->state) > RS_BK_DELETING)
            return RS_EPOISON;
    }
    bt->intent_step = 0;
    bt->intent_op = RS_BOP_NONE;
    return 0;
}

int rs_lock_btab(rs_store_t *st)
{
    int rc = rs_shm_lock(&rs_btab(st)->mu, btab_repair, st);

    if (rc)
        rs_store_poison(st);
    return rc;
}

int rs_lock_class(rs_store_t *st, unsigned c)
{
    void *a[2] = {st, (void *)(uintptr_t)c};
    int rc = rs_shm_lock(&rs_class(st, c)->mu, rs_class_repair, a);

    if (rc)
        rs_store_poison(st);
    return rc;
}

int rs_repair_btab_now(rs_store_t *st)
{
    int rc;

    if (rs_shm_lock(&rs_btab(st)->mu, NULL, NULL) != 0)
        return RS_EPOISON;
    rc = btab_repair(st);
    rs_shm_unlock(&rs_btab(st)->mu);
    return rc;
}

int rs_repair_shard_now(rs_store_t *st, uint32_t s)
{
    void *a[2] = {st, (void *)(uintptr_t)s};
    int rc;

    if (rs_shm_lock(&rs_shard(st, s)->mu, NULL, NULL) != 0)
        return RS_EPOISON;
    rc = shard_repair(a);
    rs_shm_unlock(&rs_shard(st, s)->mu);
    return rc;
}

int rs_repair_list_now(rs_store_t *st, uint32_t bucket_id)
{
    rs_bucket_shm_t *b = rs_bucket(st, bucket_id);
    void *a[2] = {st, b};
    int rc;

    if (rs_shm_lock(&b->list_mu, NULL, NULL) != 0)
        return RS_EPOISON;
    rc = list_repair(a);
    rs_shm_unlock(&b->list_mu);
    return rc;
}

/* One LIVE entry against its extent. */
static int check_entry(rs_store_t *st, uint32_t s, uint32_t i, char *why, size_t why_len)
{
    rs_entry_shm_t *e = rs_entry(st, s, i);
    rs_ext_hdr_t *x = rs_ext(st, e->blob);
    uint32_t u;

    if (!x)
        RS_POISON("shard %u entry %u: bad blob offset %llu", s, i, (unsigned long long)e->blob);
    if (LD(rs_tag_of(st, e->blob)) != RS_TAG_LIVE)
        RS_POISON("shard %u entry %u: extent tag %#x not LIVE", s, i, LD(rs_tag_of(st, e->blob)));
    if (x->entry_ref != rs_ref(st, s, i) || x->entry_gen != e->gen)
        RS_POISON("shard %u entry %u: back-ref %#x/%u vs gen %u", s, i, x->entry_ref, x->entry_gen,
                  e->gen);
    if (x->key_len != e->key_len || memcmp((char *)(x + 1), e->key, e->key_len) != 0)
        RS_POISON("shard %u entry %u: extent key differs", s, i);
    if ((e->hash & (st->hdr->nshards - 1)) != s)
        RS_POISON("shard %u entry %u: hash in wrong shard", s, i);
    if (e->height < 1 || e->height > RS_SKIP_LEVELS)
        RS_POISON("shard %u entry %u: bad height", s, i);
    rs_off_unit(st, e->blob, &u);
    if (x->kind == RS_EXT_COMPOSITE) { /* parts: tagged for this head, in order, sizes add */
        rs_mpu_pref_t *r = rs_mpu_prefs(x);
        uint64_t end = 0;
        for (uint32_t k = 0; k < rs_mpu_body(x)->nparts; k++) {
            rs_ext_hdr_t *ph = rs_ext(st, r[k].head);
            if (!ph || ph->kind != RS_EXT_PART || LD(rs_tag_of(st, r[k].head)) != (RS_TAG_DATA | u))
                RS_POISON("shard %u entry %u: part %u not held by the object", s, i, k);
            if ((k && r[k].number <= r[k - 1].number) || r[k].end != end + ph->size)
                RS_POISON("shard %u entry %u: part %u out of order", s, i, k);
            end = r[k].end;
        }
        if (end != x->size)
            RS_POISON("shard %u entry %u: parts add up to %llu, not %llu", s, i,
                      (unsigned long long)end, (unsigned long long)x->size);
        return 0;
    }
    if (x->kind != RS_EXT_PLAIN)
        RS_POISON("shard %u entry %u: extent kind %u", s, i, x->kind);
    for (uint32_t k = 0; k < x->nchunks; k++) {
        uint64_t o = rs_ext_chunks(x)[k];
        uint32_t du;
        if (rs_off_unit(st, o, &du) != 0 || ((o - st->hdr->toc.arena) & (RS_PAGE_SIZE - 1)))
            RS_POISON("shard %u entry %u: bad data chunk", s, i);
        if (LD(rs_tag_of(st, o)) != (RS_TAG_DATA | u))
            RS_POISON("shard %u entry %u: data chunk tag %#x", s, i, LD(rs_tag_of(st, o)));
    }
    return 0;
}

int rs_shard_check(rs_store_t *st, uint32_t s, char *why, size_t why_len)
{
    rs_shard_shm_t *sh = rs_shard(st, s);
    uint32_t *heads = rs_heads(st, s), n = 0, live = 0;

    if (sh->seq & 1 || sh->intent.op != RS_OP_NONE)
        RS_POISON("shard %u: open intent or odd seq", s);
    if (sh->bump == 0 || sh->bump > st->hdr->eps)
        RS_POISON("shard %u: bump %u out of range", s, sh->bump);
    for (uint32_t i = sh->free_head; i; i = rs_entry(st, s, i)->hnext) {
        if (i >= sh->bump || ++n > st->hdr->eps || rs_entry(st, s, i)->state != RS_ENT_FREE)
            RS_POISON("shard %u: broken free list at %u", s, i);
    }
    for (uint32_t h = 0; h < st->hdr->nheads; h++) {
        uint32_t k = 0;
        for (uint32_t i = heads[h]; i; i = rs_entry(st, s, i)->hnext) {
            rs_entry_shm_t *e = rs_entry(st, s, i);
            if (i >= sh->bump || ++k > st->hdr->eps)
                RS_POISON("shard %u: chain %u does not end", s, h);
            if (e->state != RS_ENT_LIVE)
                RS_POISON("shard %u: entry %u in chain is not LIVE", s, i);
            if (((e->hash >> st->hdr->shard_bits) & (st->hdr->nheads - 1)) != h)
                RS_POISON("shard %u: entry %u in wrong chain", s, i);
            if (check_entry(st, s, i, why, why_len) != 0)
                return RS_EPOISON;
            live++;
        }
    }
    if (live != sh->count || live + n != sh->bump - 1)
        RS_POISON("shard %u: %u live + %u free != %u used (count %u)", s, live, n, sh->bump - 1,
                  sh->count);
    return 0;
}
