/*
 * bucket.c: the bucket table: create, lock-free lookup, delete (DELETING intent, shard
 * barrier, emptiness from the bucket's ordered list, then the abort of its multipart
 * uploads, rolled forward by the repair once the bucket was found empty), list.
 * Runs in: workers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs/os.h"
#include "store/store_int.h"

static void to_pub(rs_bucket_shm_t *b, uint32_t id, uint32_t gen, rs_bucket_t *out)
{
    out->id = id;
    out->gen = gen;
    memcpy(out->name, b->name, sizeof out->name);
    memcpy(out->account, b->account, sizeof out->account);
    memcpy(out->region, b->region, sizeof out->region);
    out->name[RS_MAX_BUCKET_NAME] = 0;
    out->account[RS_ACCOUNT_LEN] = 0;
    out->region[RS_MAX_REGION] = 0;
    out->created_ms = b->created_ms;
}

/* Consistent copy of bucket i without the lock (seqlock on state + gen); 1 if live. */
static int snap(rs_store_t *st, uint32_t i, rs_bucket_t *out)
{
    rs_bucket_shm_t *b = rs_bucket(st, i);

    for (;;) {
        uint32_t s1 = LD(&b->state), g1 = LD(&b->gen);
        if (s1 == RS_BK_FREE)
            return 0;
        to_pub(b, i, g1, out);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (LD(&b->state) != RS_BK_FREE && LD(&b->gen) == g1)
            return 1;
    }
}

int rs_bucket_lookup(rs_store_t *st, const char *name, rs_bucket_t *out)
{
    rs_bucket_t tmp;

    if (!name || strlen(name) > RS_MAX_BUCKET_NAME)
        return RS_ENOENT;
    for (uint32_t i = 0; i < st->hdr->nbuckets; i++) {
        if (snap(st, i, &tmp) && strcmp(tmp.name, name) == 0) {
            if (out)
                *out = tmp;
            return 0;
        }
    }
    return RS_ENOENT;
}

static int find_locked(rs_store_t *st, const char *name)
{
    for (uint32_t i = 0; i < st->hdr->nbuckets; i++) {
        rs_bucket_shm_t *b = rs_bucket(st, i);
        if (b->state != RS_BK_FREE && strcmp(b->name, name) == 0)
            return (int)i;
    }
    return -1;
}

int rs_bucket_create(rs_store_t *st, const char *account, const char *name, const char *region,
                     rs_bucket_t *out)
{
    rs_bucket_shm_t *b;
    int rc, i;

    if (!account || !name || !region || !name[0] || strlen(name) > RS_MAX_BUCKET_NAME ||
        strlen(account) > RS_ACCOUNT_LEN || strlen(region) > RS_MAX_REGION)
        return RS_EINVAL;
    rc = rs_lock_btab(st);
    if (rc)
        return rc;
    i = find_locked(st, name);
    if (i >= 0) {
        b = rs_bucket(st, (uint32_t)i);
        rc = strcmp(b->account, account) == 0 ? RS_EEXIST : RS_EOWNER;
        if (out)
            to_pub(b, (uint32_t)i, b->gen, out);
        goto out;
    }
    rc = RS_ENOBUCKETS;
    for (uint32_t k = 0; k < st->hdr->nbuckets; k++) {
        b = rs_bucket(st, k);
        if (b->state != RS_BK_FREE)
            continue;
        memset(b->name, 0, sizeof b->name);
        memset(b->account, 0, sizeof b->account);
        memset(b->region, 0, sizeof b->region);
        snprintf(b->name, sizeof(b->name), "%s", name);
        snprintf(b->account, sizeof(b->account), "%s", account);
        snprintf(b->region, sizeof(b->region), "%s", region);
        b->created_ms = rs_wall_ms();
        __atomic_store_n(&b->objects, 0, __ATOMIC_RELAXED); /* no entry of this life yet */
        __atomic_store_n(&b->bytes, 0, __ATOMIC_RELAXED);
        if (rs_lock_list(st, k) == 0) { /* a FREE bucket's list is empty: reset the heads */
            memset(b->head, 0, sizeof b->head);
            b->count = 0;
            rs_shm_unlock(&b->list_mu);
        }
        ST(&b->gen, b->gen + 1);
        RS_CRASHPOINT(BUCKET_CREATED);
        ST(&b->state, (uint32_t)RS_BK_ACTIVE);
        if (out)
            to_pub(b, k, b->gen, out);
        rc = 0;
        break;
    }
out:
    rs_shm_unlock(&rs_btab(st)->mu);
    if (rc == 0)
        rc = rs_dur_commit(st);
    return rc;
}

int rs_bucket_delete(rs_store_t *st, const char *name)
{
    rs_btab_shm_t *bt = rs_btab(st);
    rs_bucket_shm_t *b;
    int rc, i, empty = 0, misses = 0;

    if (!name)
        return RS_EINVAL;
    rc = rs_lock_btab(st);
    if (rc)
        return rc;
    i = find_locked(st, name);
    if (i < 0) {
        rs_shm_unlock(&bt->mu);
        return RS_ENOENT;
    }
    b = rs_bucket(st, (uint32_t)i);
    bt->intent_id = (uint32_t)i;
    bt->intent_step = 1;
    ST(&bt->intent_op, (uint32_t)RS_BOP_DELETE);
    ST(&b->state, (uint32_t)RS_BK_DELETING);
    RS_CRASHPOINT(BUCKET_MARKED);
    /* barrier: every PUT that saw ACTIVE finishes its critical section (incl. the list
     * insert); every later PUT sees DELETING and waits for the bucket-table lock */
    for (uint32_t s = 0; s < st->hdr->nshards && rc == 0; s++) {
        rc = rs_lock_shard(st, s);
        if (rc == 0)
            rs_shm_unlock(&rs_shard(st, s)->mu);
    }
    /* empty when no key is left but reserved ones (they sort last): delete those one by
     * one through the crash-safe delete while every PUT waits for the table lock */
    while (rc == 0) {
        char key[RS_MAX_KEY];
        size_t kl = 0;
        rs_bucket_t pb;
        uint32_t first;
        rc = rs_lock_list(st, (uint32_t)i);
        if (rc)
            break;
        first = LD(&b->head[0]);
        if (first != 0) {
            rs_entry_shm_t *e = rs_entry_ref(st, first);
            if (e->key_len > 0 && (uint8_t)e->key[0] == RS_RESERVED_KEY_BYTE) {
                kl = e->key_len;
                memcpy(key, e->key, kl);
            }
        }
        rs_shm_unlock(&b->list_mu);
        empty = first == 0;
        if (first == 0 || kl == 0)
            break;
        to_pub(b, (uint32_t)i, b->gen, &pb);
        rc = rs_obj_delete(st, &pb, key, kl, NULL);
        if (rc == RS_ENOENT) /* deleted meanwhile; listed but never found again: broken */
            rc = ++misses > 64 ? RS_EPOISON : 0;
    }
    if (rc == 0 && empty) {
        /* empty: from here the deletion rolls forward. Open multipart uploads do not keep
         * a bucket (as in S3): they are aborted. DELETING was stored before each upload
         * lock is visited, so a Create either finished (and is aborted here) or waits. */
        ST(&bt->intent_step, 2u);
        rc = rs_upload_abort_bucket(st, (uint32_t)i, b->gen);
    }
    ST(&b->state, (uint32_t)(rc == 0 && empty ? RS_BK_FREE : RS_BK_ACTIVE));
    ST(&bt->intent_op, (uint32_t)RS_BOP_NONE);
    rs_shm_unlock(&bt->mu);
    if (rc)
        return rc;
    if (!empty)
        return RS_ENOTEMPTY;
    return rs_dur_commit(st);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const rs_bucket_t *)a)->name, ((const rs_bucket_t *)b)->name);
}

int rs_bucket_list(rs_store_t *st, const char *account, rs_bucket_t **out, size_t *n)
{
    rs_bucket_t *v = malloc(sizeof *v * (st->hdr->nbuckets ? st->hdr->nbuckets : 1));
    size_t k = 0;

    if (!v)
        return RS_ENOMEM;
    for (uint32_t i = 0; i < st->hdr->nbuckets; i++)
        if (snap(st, i, &v[k]) && (!account || strcmp(v[k].account, account) == 0))
            k++;
    qsort(v, k, sizeof *v, by_name);
    *out = v;
    *n = k;
    return 0;
}
