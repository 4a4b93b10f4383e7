/*
 * usage.c: per-account usage of the S3 store (objects and bytes, counted per bucket in
 * the shared region), the quota check at publication, and the recount that makes the
 * counters exact again after a shard repair (every shard lock held, so no write moves).
 * Runs in: workers (rs_store_account_usage also in the master: lock-free reads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

void rs_store_set_quota(rs_store_t *st, uint64_t max_objects, uint64_t max_bytes)
{
    st->quota_objects = max_objects;
    st->quota_bytes = max_bytes;
}

uint64_t rs_blob_size(rs_store_t *st, uint64_t blob)
{
    rs_ext_hdr_t *x = blob ? rs_ext(st, blob) : NULL;
    return x ? x->size : 0;
}

void rs_store_account_usage(rs_store_t *st, const char *account, rs_usage_t *out)
{
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < st->hdr->nbuckets; i++) {
        rs_bucket_shm_t *b = rs_bucket(st, i);
        if (LD(&b->state) == RS_BK_FREE || strncmp(b->account, account, RS_ACCOUNT_LEN) != 0)
            continue;
        out->objects += __atomic_load_n(&b->objects, __ATOMIC_RELAXED);
        out->bytes += __atomic_load_n(&b->bytes, __ATOMIC_RELAXED);
    }
}

int rs_usage_admit(rs_store_t *st, const char *account, int64_t objects, int64_t bytes)
{
    rs_usage_t u;

    if ((st->quota_objects == 0 || objects <= 0) && (st->quota_bytes == 0 || bytes <= 0))
        return 0; /* no limit, or the write does not grow the usage */
    rs_store_account_usage(st, account, &u);
    if (st->quota_objects && objects > 0 && u.objects + (uint64_t)objects > st->quota_objects)
        return RS_EQUOTA;
    if (st->quota_bytes && bytes > 0 && u.bytes + (uint64_t)bytes > st->quota_bytes)
        return RS_EQUOTA;
    return 0;
}

void rs_usage_add(rs_store_t *st, uint32_t id, int64_t objects, int64_t bytes)
{
    rs_bucket_shm_t *b;

    if (id >= st->hdr->nbuckets)
        return;
    b = rs_bucket(st, id);
    if (objects)
        __atomic_fetch_add(&b->objects, (uint64_t)objects, __ATOMIC_RELAXED);
    if (bytes)
        __atomic_fetch_add(&b->bytes, (uint64_t)bytes, __ATOMIC_RELAXED);
}

/* Per-bucket (objects, bytes) from the hash chains of every shard (all shard locks held
 * by the caller, or no writer alive). Entries of an older life of a bucket id count for
 * nothing. */
static void count_all(rs_store_t *st, uint64_t *objs, uint64_t *bytes)
{
    for (uint32_t s = 0; s < st->hdr->nshards; s++) {
        uint32_t *heads = rs_heads(st, s);
        for (uint32_t h = 0; h < st->hdr->nheads; h++) {
            uint32_t n = 0;
            for (uint32_t i = heads[h]; i && n <= st->hdr->eps;
                 i = rs_entry(st, s, i)->hnext, n++) {
                rs_entry_shm_t *e = rs_entry(st, s, i);
                if (!rs_key_counted(e->key, e->key_len) || e->bucket_id >= st->hdr->nbuckets ||
                    rs_bucket(st, e->bucket_id)->gen != e->bucket_gen)
                    continue;
                objs[e->bucket_id]++;
                bytes[e->bucket_id] += rs_blob_size(st, e->blob);
            }
        }
    }
}

static int counted(rs_store_t *st, uint64_t **objs, uint64_t **bytes)
{
    size_t n = st->hdr->nbuckets ? st->hdr->nbuckets : 1;
    *objs = calloc(n, sizeof **objs);
    *bytes = calloc(n, sizeof **bytes);
    if (!*objs || !*bytes) {
        free(*objs);
        free(*bytes);
        return RS_ENOMEM;
    }
    count_all(st, *objs, *bytes);
    return 0;
}

/* Recompute and store every bucket's counters (no write can move meanwhile). */
static int store_counts(rs_store_t *st)
{
    uint64_t *objs, *bytes;
    int rc = counted(st, &objs, &bytes);

    if (rc)
        return rc;
    RS_CRASHPOINT(USAGE_RECOUNT);
    for (uint32_t i = 0; i < st->hdr->nbuckets; i++) {
        __atomic_store_n(&rs_bucket(st, i)->objects, objs[i], __ATOMIC_RELAXED);
        __atomic_store_n(&rs_bucket(st, i)->bytes, bytes[i], __ATOMIC_RELAXED);
    }
    free(objs);
    free(bytes);
    return 0;
}

int rs_usage_recount_now(rs_store_t *st)
{
    int rc = store_counts(st);
    if (rc == 0)
        ST(&st->hdr->recount, 0u);
    return rc;
}

int rs_store_recount(rs_store_t *st)
{
    uint32_t held = 0;
    int rc = 0;

    if (!LD(&st->hdr->recount))
        return 0;
    while (held < st->hdr->nshards && rc == 0) {
        rc = rs_lock_shard(st, held); /* a repair on the way sets the flag again: harmless */
        if (rc == 0)
            held++;
    }
    if (rc == 0) {
        ST(&st->hdr->recount, 0u); /* a death from here leaves shard locks to repair */
        rc = store_counts(st);
        if (rc)
            ST(&st->hdr->recount, 1u);
    }
    while (held > 0)
        rs_shm_unlock(&rs_shard(st, --held)->mu);
    return rc;
}

int rs_store_usage_check(rs_store_t *st, char *why, size_t why_len)
{
    uint64_t *objs, *bytes;
    int rc = counted(st, &objs, &bytes);

    if (rc)
        return rc;
    for (uint32_t i = 0; i < st->hdr->nbuckets && rc == 0; i++) {
        rs_bucket_shm_t *b = rs_bucket(st, i);
        if (LD(&b->state) == RS_BK_FREE)
            continue;
        if (b->objects != objs[i] || b->bytes != bytes[i]) {
            if (why)
                snprintf(why, why_len,
                         "bucket %u usage %llu objects %llu bytes, index has %llu objects "
                         "%llu bytes",
                         i, (unsigned long long)b->objects, (unsigned long long)b->bytes,
                         (unsigned long long)objs[i], (unsigned long long)bytes[i]);
            rc = RS_EPOISON;
        }
    }
    free(objs);
    free(bytes);
    return rc;
}
