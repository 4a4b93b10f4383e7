/*
 * stats.c: usage figures, the worker tick (heartbeat + bounded reclamation) and reset.
 * Runs in: workers (stats also in the master: lock-free reads only).
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

void rs_store_stats(rs_store_t *st, rs_store_stats_t *out)
{
    rs_shm_hdr_t *h = st->hdr;

    memset(out, 0, sizeof *out);
    out->capacity_bytes = h->capacity;
    for (unsigned c = 0; c < RS_NCLASS; c++)
        out->used_bytes += LD(&rs_class(st, c)->used) * rs_chunk_size(c);
    out->max_objects = h->max_objects;
    for (uint32_t s = 0; s < h->nshards; s++)
        out->objects += LD(&rs_shard(st, s)->count);
    out->max_buckets = h->nbuckets;
    for (uint32_t i = 0; i < h->nbuckets; i++)
        out->buckets += LD(&rs_bucket(st, i)->state) != RS_BK_FREE;
    out->repairs = LD(&h->repairs);
    out->poisoned = LD(&h->poisoned);
    out->generation = h->generation;
    out->max_uploads = h->nuploads;
    for (uint32_t i = 0; i < h->nuploads; i++)
        out->uploads += LD(&rs_upload(st, i)->state) != RS_UP_FREE;
}

void rs_store_tick(rs_store_t *st)
{
    if (st->slot < 0)
        return;
    rs_slot_shm_t *s = rs_shm_slot(st->hdr, (unsigned)st->slot);
    ST(&s->heartbeat, s->heartbeat + 1);
    rs_class_reclaim(st, st->reclaim_cursor++ % RS_NCLASS);
    rs_store_recount(st);
}

/* Delete every object of one bucket through the normal (crash-safe) paths. */
static int empty_bucket(rs_store_t *st, const rs_bucket_t *b)
{
    rs_list_query_t q = {.max_items = 1000};
    rs_list_result_t r;
    int rc;

    for (;;) {
        rc = rs_obj_list(st, b, &q, &r);
        if (rc)
            return rc;
        if (r.n == 0) {
            rs_list_result_free(&r);
            return 0;
        }
        for (size_t i = 0; i < r.n && rc == 0; i++) {
            rc = rs_obj_delete(st, b, r.items[i].key, r.items[i].key_len, NULL);
            if (rc == RS_ENOENT)
                rc = 0;
        }
        rs_list_result_free(&r);
        if (rc)
            return rc;
    }
}

int rs_store_reset(rs_store_t *st)
{
    rs_bucket_t *v;
    size_t n;
    int rc;

    if (st->slot < 0)
        return RS_EINVAL;
    for (uint32_t i = 0; i < st->hdr->nuploads; i++) { /* every multipart upload first */
        if (LD(&rs_upload(st, i)->state) == RS_UP_FREE)
            continue;
        rc = rs_lock_upload(st, i);
        if (rc)
            return rc;
        rs_upload_abort_locked(st, i);
        rs_shm_unlock(&rs_upload(st, i)->mu);
    }
    for (int round = 0; round < 100; round++) {
        rc = rs_bucket_list(st, NULL, &v, &n);
        if (rc)
            return rc;
        if (n == 0) {
            free(v);
            rs_reclaim_all(st);
            return 0;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
            rc = empty_bucket(st, &v[i]);
            if (rc == RS_ENOENT)
                rc = 0;
            if (rc == 0) {
                rc = rs_bucket_delete(st, v[i].name);
                if (rc == RS_ENOENT || rc == RS_ENOTEMPTY)
                    rc = 0; /* raced with another worker: next round */
            }
        }
        free(v);
        if (rc)
            return rc;
    }
    return RS_EAGAIN;
}
