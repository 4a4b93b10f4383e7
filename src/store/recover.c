/*
 * recover.c: restart of a file-backed region. Every process of the previous run is gone
 * (the data directory lock proves it), so every robust mutex is re-initialised (a dead
 * owner's mutex would otherwise answer EOWNERDEAD or be unrecoverable), every slot is
 * treated as dead and cleaned as a successor would, and every repair a locker runs on
 * EOWNERDEAD is run once unconditionally (they are idempotent), in this order: slots,
 * lists, shards, multipart uploads, bucket table, classes; then the full check.
 * Runs in: master, before any fork (and tests).
 */
#include <stdio.h>

#include "store/store_int.h"

static int repair_classes(rs_store_t *st)
{
    for (unsigned c = 0; c < RS_NCLASS; c++) {
        void *a[2] = {st, (void *)(uintptr_t)c};
        int rc;
        if (rs_shm_lock(&rs_class(st, c)->mu, NULL, NULL) != 0)
            return RS_EPOISON;
        rc = rs_class_repair(a);
        rs_shm_unlock(&rs_class(st, c)->mu);
        if (rc)
            return rc;
    }
    return 0;
}

int rs_store_recover(rs_store_t *st, char *why, size_t why_len)
{
    rs_shm_hdr_t *h = st->hdr;
    uint32_t state = LD(&h->state);
    uint64_t repairs = LD(&h->repairs);
    int rc;

    if (why && why_len)
        why[0] = 0;
    if (state == RS_REGION_POISONED)
        RS_POISON("the previous run marked the store poisoned (%llu failed repair(s))",
                  (unsigned long long)h->poisoned);
    if (state != RS_REGION_READY)
        RS_POISON("the store was never completely initialised (state %u)", state);
    if (rs_region_init_locks(st) != 0)
        RS_POISON("cannot initialise the store's locks");
    /* successor cleanup first (as in rs_store_attach), then the structure repairs */
    for (uint32_t i = 0; i < h->nslots; i++)
        rs_shm_slot_recover(st->hdr, i, rs_slot_release, st);
    for (uint32_t i = 0; i < h->nbuckets; i++)
        if (LD(&rs_bucket(st, i)->state) != RS_BK_FREE && rs_repair_list_now(st, i) != 0)
            RS_POISON("bucket %u: key list repair failed", i);
    for (uint32_t s = 0; s < h->nshards; s++) {
        if (rs_repair_shard_now(st, s) != 0) {
            /* the reason, from the shard's own check */
            if (rs_lock_shard(st, s) == 0) {
                rs_shard_check(st, s, why, why_len);
                rs_shm_unlock(&rs_shard(st, s)->mu);
            }
            if (why && why[0])
                return RS_EPOISON;
            RS_POISON("index shard %u repair failed", s);
        }
    }
    /* the upload repair needs the shard intents resolved; the bucket table's roll-forward
     * of a deletion needs consistent uploads */
    for (uint32_t i = 0; i < h->nuploads; i++)
        if (rs_repair_upload_now(st, i) != 0)
            RS_POISON("multipart upload %u: repair failed", i);
    if (rs_repair_btab_now(st) != 0)
        RS_POISON("bucket table repair failed");
    if (repair_classes(st) != 0)
        RS_POISON("size class repair failed");
    if (rs_usage_recount_now(st) != 0)
        RS_POISON("usage recount failed");
    rc = rs_store_check(st, why, why_len);
    /* the statistics count this restart as one repair, not one per structure */
    if (rc == 0)
        ST(&h->repairs, repairs + 1);
    return rc;
}
