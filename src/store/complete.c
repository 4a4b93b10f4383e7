/*
 * complete.c: CompleteMultipartUpload in the store: validate the listed parts, let the
 * caller summarise them (ETag, checksum), build one COMPOSITE head listing the parts (no
 * byte copied) and publish it through the PUT path with the upload's intent opened
 * inside the shard's critical section; then free the unlisted parts and the upload.
 * Runs in: workers.
 */
#include <stdlib.h>
#include <string.h>

#include "rs/store_mpu.h"
#include "store/store_int.h"

_Static_assert(sizeof(rs_ext_hdr_t) + RS_MAX_KEY + RS_MAX_META + 8 + sizeof(rs_mpu_body_t) +
                       sizeof(rs_mpu_pref_t) * RS_MPU_MAX_PARTS <=
                   RS_PAGE_SIZE,
               "a composite head of the most parts fits one chunk");

/* Build the COMPOSITE head (slot-tagged, owned) for the listed parts of upload i. */
static int build_composite(rs_store_t *st, uint32_t i, rs_ext_hdr_t *man, const uint64_t *heads,
                           const rs_mpu_listed_t *listed, size_t n, const rs_obj_info_t *info,
                           uint64_t *out)
{
    uint64_t o = (sizeof(rs_ext_hdr_t) + man->key_len + man->meta_len + 7) & ~7ull, end = 0;
    uint64_t hb = o + sizeof(rs_mpu_body_t) + sizeof(rs_mpu_pref_t) * n;
    int c = rs_class_for(hb), rc;
    rs_ext_hdr_t *x;
    rs_mpu_pref_t *r;

    if (c < 0)
        return RS_ETOOBIG;
    rc = rs_chunk_claim(st, (unsigned)c, out);
    if (rc == RS_ENOSPC) {
        rs_reclaim_all(st);
        rc = rs_chunk_claim(st, (unsigned)c, out);
    }
    if (rc)
        return rc;
    x = rs_at(st, *out);
    x->magic = 0;
    x->head_class = (uint32_t)c;
    x->entry_ref = 0;
    x->entry_gen = 0;
    x->key_len = man->key_len;
    x->meta_len = man->meta_len;
    x->nchunks = 0;
    x->kind = RS_EXT_COMPOSITE;
    x->info = *info;
    memcpy(x + 1, man + 1, (size_t)man->key_len + man->meta_len);
    rs_mpu_body(x)->nparts = (uint32_t)n;
    rs_mpu_body(x)->upload = i;
    rs_mpu_body(x)->upload_gen = man->entry_gen;
    rs_mpu_body(x)->pad_ = 0;
    r = rs_mpu_prefs(x);
    for (size_t k = 0; k < n; k++) {
        end += ((rs_ext_hdr_t *)rs_at(st, heads[k]))->size;
        r[k].head = heads[k];
        r[k].end = end;
        r[k].number = listed[k].number;
        r[k].pad_ = 0;
    }
    x->size = end;
    __atomic_store_n(&x->magic, RS_EXT_MAGIC, __ATOMIC_RELEASE);
    rs_dur_extent(st, *out); /* always: on disk before the index can name it */
    RS_CRASHPOINT(MPU_DONE_BUILT);
    return 0;
}

/* The checks under the upload's lock; heads[] and parts[] filled. */
static int check_parts(rs_store_t *st, rs_upload_shm_t *u, rs_mpu_complete_t *c, uint64_t *heads,
                       rs_mpu_part_info_t *parts)
{
    for (size_t k = 0; k < c->nparts; k++) {
        uint64_t h = rs_upload_part(st, u, c->parts[k].number);
        rs_ext_hdr_t *x = h ? rs_ext(st, h) : NULL;
        if (!x || x->kind != RS_EXT_PART || memcmp(x->info.etag, c->parts[k].etag, 16) != 0) {
            c->bad = k;
            return RS_EBADPART;
        }
        heads[k] = h;
        parts[k].number = c->parts[k].number;
        parts[k].info = x->info;
    }
    for (size_t k = 0; k + 1 < c->nparts; k++) {
        if (parts[k].info.size < c->min_part_size) {
            c->bad = k;
            return RS_ETOOSMALL;
        }
    }
    return 0;
}

int rs_mpu_complete(rs_store_t *st, rs_mpu_complete_t *c)
{
    rs_upload_shm_t *u;
    rs_ext_hdr_t *man;
    rs_obj_info_t obj;
    rs_obj_put_t p;
    uint64_t *heads, comp = 0, sum = 0;
    rs_mpu_part_info_t *parts;
    uint32_t i, hash, s;
    size_t bad = 0;
    int rc, deleting;

    if (!st || !c || !c->up.bucket || !c->up.key || c->nparts == 0 ||
        c->nparts > RS_MPU_MAX_PARTS || !c->parts || st->slot < 0)
        return RS_EINVAL;
    c->bad = 0;
    for (size_t k = 0; k < c->nparts; k++) {
        if (c->parts[k].number == 0 || c->parts[k].number > RS_MPU_MAX_PARTS ||
            (k && c->parts[k].number <= c->parts[k - 1].number)) {
            c->bad = k;
            return RS_EPARTORDER;
        }
    }
    heads = malloc(sizeof *heads * c->nparts);
    parts = malloc(sizeof *parts * c->nparts);
    if (!heads || !parts) {
        free(heads);
        free(parts);
        return RS_ENOMEM;
    }
    i = c->up.id.idx;
    hash = rs_key_hash(c->up.bucket->id, c->up.key, c->up.key_len);
    s = hash & (st->hdr->nshards - 1);
    for (;;) {
        rc = rs_upload_lock_ref(st, &c->up, &u);
        if (rc)
            goto out;
        rc = check_parts(st, u, c, heads, parts);
        if (rc)
            goto unlock_u;
        man = rs_at(st, u->manifest);
        memset(&obj, 0, sizeof obj);
        obj.storage_class = man->info.storage_class;
        obj.checksum_alg = man->info.checksum_alg;
        obj.checksum_type = man->info.checksum_type;
        if (c->summarise) {
            rc = c->summarise(c->arg, parts, c->nparts, &obj, &bad);
            if (rc) {
                c->bad = bad;
                goto unlock_u;
            }
        }
        sum = 0;
        for (size_t k = 0; k < c->nparts; k++)
            sum += parts[k].info.size;
        obj.size = sum;
        obj.parts = (uint32_t)c->nparts;
        obj.mtime_ms = c->now_ms;
        rc = build_composite(st, i, man, heads, c->parts, c->nparts, &obj, &comp);
        if (rc)
            goto unlock_u;
        rc = rs_lock_shard(st, s);
        if (rc)
            goto unlock_u;
        if (!rs_bucket_alive(st, c->up.bucket->id, c->up.bucket->gen, &deleting)) {
            rc = RS_ENOENT;
        } else if (deleting) {
            /* a DeleteBucket is deciding: wait for it holding nothing, then start over */
            rs_shm_unlock(&rs_shard(st, s)->mu);
            rs_shm_unlock(&u->mu);
            rs_extent_abandon(st, comp);
            comp = 0;
            rc = rs_lock_btab(st);
            if (rc)
                goto out;
            rs_shm_unlock(&rs_btab(st)->mu);
            continue;
        } else {
            rs_up_intent_shm_t *it = &u->intent;
            memset(it, 0, sizeof *it); /* op stays NONE: rs_publish opens it */
            it->step = 1;
            it->owner_tag = st->tag;
            it->part = c->parts[0].number;
            it->new_head = comp;
            it->shard = s;
            memset(&p, 0, sizeof p);
            p.bucket = c->up.bucket;
            p.key = c->up.key;
            p.key_len = c->up.key_len;
            p.meta = (const uint8_t *)(man + 1) + man->key_len;
            p.meta_len = man->meta_len;
            p.info = obj;
            p.cond = c->cond;
            rc = rs_publish(st, s, &p, hash, comp, u);
        }
        rs_shm_unlock(&rs_shard(st, s)->mu);
        break;
    }
    if (rc)
        goto unlock_u; /* the upload intent never opened: the upload is untouched */
    RS_CRASHPOINT(MPU_DONE_UNLOCKED);
    rs_upload_close(st, i, RS_CP_MPU_DONE_SWEEP); /* only unlisted parts carry PART|i */
    ST(&u->intent.op, (uint32_t)RS_UOP_NONE);
    c->info = obj;
    comp = 0;
unlock_u:
    rs_shm_unlock(&u->mu);
out:
    rs_extent_abandon(st, comp); /* published: only clears the owned list */
    free(heads);
    free(parts);
    if (rc == 0)
        rc = rs_dur_commit(st);
    return rc;
}
