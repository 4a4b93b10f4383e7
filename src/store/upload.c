/*
 * upload.c: multipart uploads in the store: the upload table's slots (one robust mutex
 * each), upload ids, CreateMultipartUpload, UploadPart(Copy), Abort, the upload's facts
 * and ListParts, the sweep that frees what an upload holds, the upload repair (run on
 * EOWNERDEAD and at restart), the per-upload check, and the abort of a bucket's uploads.
 * Complete is in complete.c, ListMultipartUploads in upload_list.c.
 * Runs in: workers; rs_repair_upload_now also in the master before any fork (restart).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "rs/os.h"
#include "rs/store_mpu.h"
#include "store/store_int.h"

#define PTAG(i) (RS_TAG_PART | ((i)&RS_TAG_PART_MASK))

/* ---- ids ---- */

void rs_upload_id_format(rs_upload_id_t id, char out[RS_UPLOAD_ID_LEN + 1])
{
    snprintf(out, RS_UPLOAD_ID_LEN + 1, "%08x%08x%016llx", id.idx, id.gen,
             (unsigned long long)id.rand);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int rs_upload_id_parse(const char *s, size_t n, rs_upload_id_t *out)
{
    uint64_t v[3] = {0, 0, 0};
    const int w[3] = {8, 8, 16};
    size_t p = 0;

    if (!s || n != RS_UPLOAD_ID_LEN || !out)
        return RS_EINVAL;
    for (int f = 0; f < 3; f++) {
        for (int k = 0; k < w[f]; k++) {
            int h = hexval(s[p++]);
            if (h < 0)
                return RS_EINVAL;
            v[f] = v[f] << 4 | (uint64_t)h;
        }
    }
    out->idx = (uint32_t)v[0];
    out->gen = (uint32_t)v[1];
    out->rand = v[2];
    return 0;
}

static uint64_t random64(void)
{
    static uint64_t ctr;
    uint64_t r = 0;

    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r && r)
        return r;
    r = (uint64_t)rs_wall_ms() * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32 ^ ++ctr;
    r ^= r >> 31;
    r *= 0xbf58476d1ce4e5b9ull;
    return r ^ (r >> 29);
}

/* ---- map ---- */

uint64_t rs_upload_part(rs_store_t *st, rs_upload_shm_t *u, uint32_t n)
{
    uint32_t i = (uint32_t)(u - rs_upload(st, 0));
    uint64_t page;

    if (n == 0 || n > RS_MPU_MAX_PARTS)
        return 0;
    page = u->map[(n - 1) / RS_UP_PAGE_PARTS];
    if (!page || LD(rs_tag_of(st, page)) != PTAG(i))
        return 0;
    return LD((uint64_t *)rs_at(st, page) + (n - 1) % RS_UP_PAGE_PARTS);
}

static uint32_t count_parts(rs_store_t *st, rs_upload_shm_t *u)
{
    uint32_t n = 0, i = (uint32_t)(u - rs_upload(st, 0));

    for (uint32_t pg = 0; pg < RS_UP_MAP_PAGES; pg++) {
        uint64_t *e;
        if (!u->map[pg] || LD(rs_tag_of(st, u->map[pg])) != PTAG(i))
            continue;
        e = rs_at(st, u->map[pg]);
        for (uint32_t k = 0; k < RS_UP_PAGE_PARTS; k++)
            n += e[k] != 0;
    }
    return n;
}

static void clear_slot(rs_upload_shm_t *u)
{
    u->manifest = 0;
    u->nparts = 0;
    u->bucket_id = 0;
    u->bucket_gen = 0;
    u->rand = 0;
    u->created_ms = 0;
    u->key_hash = 0;
    memset(u->map, 0, sizeof u->map);
}

/* Free every part still tagged PART|i (parts moved into an object are skipped by their
 * tag), the map pages and the manifest. Tag-checked and idempotent: a re-run after a
 * crash frees only what is left. `cp` is the crash point hit after the first part. */
static void sweep(rs_store_t *st, uint32_t i, int cp)
{
    rs_upload_shm_t *u = rs_upload(st, i);
    uint32_t ptag = PTAG(i), freed = 0;

    for (uint32_t pg = 0; pg < RS_UP_MAP_PAGES; pg++) {
        uint64_t page = u->map[pg];
        if (!page)
            continue;
        if (LD(rs_tag_of(st, page)) == ptag) { /* the tag first, then the contents */
            uint64_t *e = rs_at(st, page);
            for (uint32_t k = 0; k < RS_UP_PAGE_PARTS; k++) {
                if (!e[k])
                    continue;
                if (LD(rs_tag_of(st, e[k])) == ptag) {
                    rs_part_free(st, e[k], ptag);
                    if (++freed == 1 && rs_crashpoint_armed_ == cp)
                        rs_crashpoint_hit_(cp);
                }
                ST(&e[k], (uint64_t)0);
            }
            rs_chunk_free_cas(st, page, ptag);
        }
        ST(&u->map[pg], (uint64_t)0);
    }
    if (u->manifest)
        rs_chunk_free_cas(st, u->manifest, ptag);
    u->manifest = 0;
    u->nparts = 0;
}

void rs_upload_close(rs_store_t *st, uint32_t i, int cp)
{
    rs_upload_shm_t *u = rs_upload(st, i);

    sweep(st, i, cp);
    clear_slot(u);
    ST(&u->state, (uint32_t)RS_UP_FREE);
}

void rs_upload_abort_locked(rs_store_t *st, uint32_t i)
{
    rs_upload_shm_t *u = rs_upload(st, i);
    rs_up_intent_shm_t *it = &u->intent;

    if (LD(&u->state) == RS_UP_FREE && !u->manifest)
        return;
    memset(it, 0, sizeof *it);
    it->owner_tag = st->tag;
    ST(&it->op, (uint32_t)RS_UOP_ABORT);
    ST(&u->state, (uint32_t)RS_UP_CLOSING);
    sweep(st, i, RS_CP_MPU_ABORT_SWEEP);
    RS_CRASHPOINT(MPU_ABORT_FREED);
    rs_upload_close(st, i, RS_CP_MPU_ABORT_SWEEP); /* nothing left to sweep */
    ST(&it->op, (uint32_t)RS_UOP_NONE);
}

/* ---- repair ---- */

/* Roll the open intent of upload i back or forward (its lock held). */
static int repair(rs_store_t *st, uint32_t i)
{
    rs_upload_shm_t *u = rs_upload(st, i);
    rs_up_intent_shm_t *it = &u->intent;
    uint32_t ptag = PTAG(i), unit;

    __atomic_fetch_add(&st->hdr->repairs, 1, __ATOMIC_RELAXED);
    switch (it->op) {
    case RS_UOP_NONE:
        break;
    case RS_UOP_CREATE:
        if (LD(&u->state) == RS_UP_OPEN) { /* forward */
            if (rs_off_unit(st, it->new_head, &unit) == 0)
                CAS(rs_tag_of(st, it->new_head), it->owner_tag, ptag);
        } else { /* back */
            if (rs_off_unit(st, it->new_head, &unit) == 0) {
                rs_chunk_free_cas(st, it->new_head, it->owner_tag);
                rs_chunk_free_cas(st, it->new_head, ptag);
            }
            clear_slot(u);
            ST(&u->state, (uint32_t)RS_UP_FREE);
        }
        break;
    case RS_UOP_PART: {
        uint64_t cur = rs_upload_part(st, u, it->part);
        if (rs_off_unit(st, it->new_head, &unit) != 0)
            return RS_EPOISON;
        if (cur == it->new_head) { /* published: finish the tags, free the replaced part */
            rs_ext_hdr_t *x;
            CAS(rs_tag_of(st, it->new_head), it->owner_tag, ptag);
            x = LD(rs_tag_of(st, it->new_head)) == ptag ? rs_ext(st, it->new_head) : NULL;
            for (uint32_t k = 0; x && k < x->nchunks; k++) {
                uint32_t du;
                if (rs_off_unit(st, rs_ext_chunks(x)[k], &du) == 0)
                    CAS(rs_tag_of(st, rs_ext_chunks(x)[k]), it->owner_tag, RS_TAG_DATA | unit);
            }
            if (it->old_head && it->old_head != it->new_head)
                rs_part_free(st, it->old_head, ptag);
        } else { /* not published: free the new part; an installed page stays (empty) */
            uint32_t pg = (it->part - 1) / RS_UP_PAGE_PARTS, t = LD(rs_tag_of(st, it->new_head));
            rs_ext_hdr_t *x = t == ptag || t == it->owner_tag ? rs_ext(st, it->new_head) : NULL;
            for (uint32_t k = 0; x && x->kind == RS_EXT_PART && k < x->nchunks; k++) {
                uint32_t du;
                uint64_t o = rs_ext_chunks(x)[k];
                if (rs_off_unit(st, o, &du) != 0)
                    continue;
                rs_chunk_free_cas(st, o, it->owner_tag);
                rs_chunk_free_cas(st, o, RS_TAG_DATA | unit);
            }
            if (x)
                rs_chunk_free_cas(st, it->new_head, t);
            if (it->new_page && it->part >= 1 && pg < RS_UP_MAP_PAGES &&
                u->map[pg] != it->new_page && rs_off_unit(st, it->new_page, &unit) == 0) {
                rs_chunk_free_cas(st, it->new_page, ptag);
                rs_chunk_free_cas(st, it->new_page, it->owner_tag);
            }
        }
        break;
    }
    case RS_UOP_COMPLETE:
        if (it->step == 1) {
            uint64_t fp;
            /* resolve the shard's PUT intent first: its repair rolls the parts back
             * (under S) if the object was not published */
            if (it->shard >= st->hdr->nshards || rs_lock_shard(st, it->shard) != 0)
                return RS_EPOISON;
            rs_shm_unlock(&rs_shard(st, it->shard)->mu);
            fp = rs_upload_part(st, u, it->part);
            if (fp && LD(rs_tag_of(st, fp)) == ptag) { /* not published: upload stays */
                if (rs_off_unit(st, it->new_head, &unit) == 0)
                    rs_chunk_free_cas(st, it->new_head, it->owner_tag);
                ST(&u->state, (uint32_t)RS_UP_OPEN);
                break;
            }
        }
        rs_upload_close(st, i, RS_CP_REPAIR_UPLOAD); /* published: the upload is gone */
        break;
    case RS_UOP_ABORT:
        rs_upload_close(st, i, RS_CP_REPAIR_UPLOAD);
        break;
    default:
        return RS_EPOISON;
    }
    if (LD(&u->state) == RS_UP_CLOSING)
        return RS_EPOISON; /* CLOSING only ever exists under an open intent */
    u->nparts = count_parts(st, u);
    ST(&it->op, (uint32_t)RS_UOP_NONE);
    return rs_upload_check(st, i, NULL, NULL, 0); /* bounded: this slot only */
}

static int upload_repair(void *arg)
{
    void **a = arg;
    return repair(a[0], (uint32_t)(uintptr_t)a[1]);
}

int rs_lock_upload(rs_store_t *st, uint32_t i)
{
    void *a[2] = {st, (void *)(uintptr_t)i};
    int rc = rs_shm_lock(&rs_upload(st, i)->mu, upload_repair, a);

    if (rc)
        rs_store_poison(st);
    return rc;
}

int rs_repair_upload_now(rs_store_t *st, uint32_t i)
{
    int rc;

    if (rs_shm_lock(&rs_upload(st, i)->mu, NULL, NULL) != 0)
        return RS_EPOISON;
    rc = repair(st, i);
    rs_shm_unlock(&rs_upload(st, i)->mu);
    return rc;
}

/* ---- naming an upload ---- */

static int ref_ok(rs_store_t *st, const rs_mpu_ref_t *r)
{
    return st->slot >= 0 && r && r->bucket && r->key && r->key_len > 0 && r->key_len <= RS_MAX_KEY;
}

/* Does the locked upload i match (bucket, key, id)? */
static int matches(rs_store_t *st, uint32_t i, const rs_mpu_ref_t *r)
{
    rs_upload_shm_t *u = rs_upload(st, i);
    rs_ext_hdr_t *x;

    if (LD(&u->state) != RS_UP_OPEN || u->gen != r->id.gen || u->rand != r->id.rand ||
        u->bucket_id != r->bucket->id || u->bucket_gen != r->bucket->gen)
        return 0;
    x = LD(rs_tag_of(st, u->manifest)) == PTAG(i) ? rs_ext(st, u->manifest) : NULL;
    return x && x->key_len == r->key_len && memcmp(x + 1, r->key, r->key_len) == 0;
}

int rs_upload_lock_ref(rs_store_t *st, const rs_mpu_ref_t *r, rs_upload_shm_t **out)
{
    int rc;

    if (!ref_ok(st, r))
        return RS_EINVAL;
    /* a CLOSING upload is locked too: if its owner died, the repair may reopen it */
    if (r->id.idx >= st->hdr->nuploads || LD(&rs_upload(st, r->id.idx)->state) == RS_UP_FREE)
        return RS_ENOUPLOAD;
    rc = rs_lock_upload(st, r->id.idx);
    if (rc)
        return rc;
    if (!matches(st, r->id.idx, r)) {
        rs_shm_unlock(&rs_upload(st, r->id.idx)->mu);
        return RS_ENOUPLOAD;
    }
    *out = rs_upload(st, r->id.idx);
    return 0;
}

/* ---- Create ---- */

/* Lock a FREE slot: its index, or RS_ENOUPLOADS / RS_EPOISON. */
static int lock_free_slot(rs_store_t *st, uint32_t *idx)
{
    uint32_t n = st->hdr->nuploads, h = LD(&rs_uptab(st)->hint);

    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = (h + k) % n;
        rs_upload_shm_t *u = rs_upload(st, i);
        int rc;
        if (LD(&u->state) != RS_UP_FREE)
            continue;
        rc = rs_lock_upload(st, i);
        if (rc)
            return rc;
        if (LD(&u->state) == RS_UP_FREE && u->intent.op == RS_UOP_NONE) {
            ST(&rs_uptab(st)->hint, i + 1);
            *idx = i;
            return 0;
        }
        rs_shm_unlock(&u->mu);
    }
    return RS_ENOUPLOADS;
}

int rs_mpu_create(rs_store_t *st, const rs_mpu_create_t *c, rs_upload_id_t *out)
{
    rs_obj_put_t p;
    uint64_t man = 0;
    uint32_t i;
    int rc, deleting;

    if (!st || st->slot < 0 || !c || !c->bucket || !c->key || c->key_len == 0 ||
        c->key_len > RS_MAX_KEY || c->meta_len > RS_MAX_META || (c->meta_len && !c->meta) || !out)
        return RS_EINVAL;
    if (!rs_bucket_alive(st, c->bucket->id, c->bucket->gen, &deleting))
        return RS_ENOENT;
    memset(&p, 0, sizeof p);
    p.bucket = c->bucket;
    p.key = c->key;
    p.key_len = c->key_len;
    p.meta = c->meta;
    p.meta_len = c->meta_len;
    p.info.checksum_alg = c->checksum_alg;
    p.info.checksum_type = c->checksum_type;
    p.info.storage_class = c->storage_class;
    p.info.mtime_ms = c->now_ms;
    rc = rs_build_extent(st, RS_EXT_MANIFEST, &p, &man);
    if (rc)
        goto fail;
    for (;;) {
        rc = lock_free_slot(st, &i);
        if (rc)
            goto fail;
        if (!rs_bucket_alive(st, c->bucket->id, c->bucket->gen, &deleting)) {
            rs_shm_unlock(&rs_upload(st, i)->mu);
            rc = RS_ENOENT;
            goto fail;
        }
        if (!deleting)
            break;
        /* a DeleteBucket is deciding: wait for it outside the upload lock */
        rs_shm_unlock(&rs_upload(st, i)->mu);
        rc = rs_lock_btab(st);
        if (rc)
            goto fail;
        rs_shm_unlock(&rs_btab(st)->mu);
    }
    rs_upload_shm_t *u = rs_upload(st, i);
    rs_up_intent_shm_t *it = &u->intent;
    memset(it, 0, sizeof *it);
    it->owner_tag = st->tag;
    it->new_head = man;
    ST(&it->op, (uint32_t)RS_UOP_CREATE);
    RS_CRASHPOINT(MPU_CREATE_INTENT);
    clear_slot(u);
    u->bucket_id = c->bucket->id;
    u->bucket_gen = c->bucket->gen;
    u->rand = random64();
    u->created_ms = c->now_ms;
    u->key_hash = rs_key_hash(c->bucket->id, c->key, c->key_len);
    u->manifest = man;
    ST(&u->gen, u->gen + 1);
    ((rs_ext_hdr_t *)rs_at(st, man))->entry_ref = i;
    ((rs_ext_hdr_t *)rs_at(st, man))->entry_gen = u->gen;
    CAS(rs_tag_of(st, man), st->tag, PTAG(i));
    RS_CRASHPOINT(MPU_CREATE_TAGGED);
    ST(&u->state, (uint32_t)RS_UP_OPEN); /* linearisation point */
    RS_CRASHPOINT(MPU_CREATE_OPEN);
    ST(&it->op, (uint32_t)RS_UOP_NONE);
    out->idx = i;
    out->gen = u->gen;
    out->rand = u->rand;
    rs_shm_unlock(&u->mu);
    rs_extent_abandon(st, 0);
    return rs_dur_commit(st);
fail:
    rs_extent_abandon(st, man);
    return rc;
}

/* ---- UploadPart ---- */

int rs_mpu_part_put(rs_store_t *st, const rs_mpu_part_put_t *pp)
{
    rs_obj_put_t p;
    rs_upload_shm_t *u;
    rs_ext_hdr_t *x;
    uint64_t head = 0, page = 0, old, *slotp, sum = 0;
    uint32_t i, pg, ptag, unit;
    int rc;

    if (!st || !pp || !ref_ok(st, &pp->up) || pp->number == 0 || pp->number > RS_MPU_MAX_PARTS ||
        (pp->data_iovcnt && !pp->data))
        return RS_EINVAL;
    for (size_t k = 0; k < pp->data_iovcnt; k++)
        sum += pp->data[k].iov_len;
    if (sum != pp->info.size)
        return RS_EINVAL;
    if (sum > st->hdr->max_object_size)
        return RS_ETOOBIG;
    if (pp->up.id.idx >= st->hdr->nuploads ||
        LD(&rs_upload(st, pp->up.id.idx)->state) == RS_UP_FREE)
        return RS_ENOUPLOAD;
    memset(&p, 0, sizeof p);
    p.bucket = pp->up.bucket;
    p.key = "";
    p.data = pp->data;
    p.data_iovcnt = pp->data_iovcnt;
    p.info = pp->info;
    rc = rs_build_extent(st, RS_EXT_PART, &p, &head); /* bytes copied with no lock */
    if (rc)
        goto fail;
    RS_CRASHPOINT(MPU_PART_COPIED);
    rc = rs_upload_lock_ref(st, &pp->up, &u);
    if (rc)
        goto fail;
    i = pp->up.id.idx;
    ptag = PTAG(i);
    pg = (pp->number - 1) / RS_UP_PAGE_PARTS;
    if (!u->map[pg]) { /* before the intent: ENOSPC just fails */
        rc = rs_chunk_claim(st, RS_UP_PAGE_CLASS, &page);
        if (rc == RS_ENOSPC) {
            rs_reclaim_all(st);
            rc = rs_chunk_claim(st, RS_UP_PAGE_CLASS, &page);
        }
        if (rc) {
            rs_shm_unlock(&u->mu);
            goto fail;
        }
        memset(rs_at(st, page), 0, rs_chunk_size(RS_UP_PAGE_CLASS));
    }
    x = rs_at(st, head);
    x->entry_ref = i;
    x->entry_gen = u->gen;
    old = rs_upload_part(st, u, pp->number);
    rs_up_intent_shm_t *it = &u->intent;
    memset(it, 0, sizeof *it);
    it->owner_tag = st->tag;
    it->part = pp->number;
    it->old_head = old;
    it->new_head = head;
    it->new_page = page;
    ST(&it->op, (uint32_t)RS_UOP_PART);
    RS_CRASHPOINT(MPU_PART_INTENT);
    if (page) {
        CAS(rs_tag_of(st, page), st->tag, ptag);
        ST(&u->map[pg], page);
        RS_CRASHPOINT(MPU_PART_MAP);
    }
    CAS(rs_tag_of(st, head), st->tag, ptag);
    rs_off_unit(st, head, &unit);
    for (uint32_t k = 0; k < x->nchunks; k++)
        CAS(rs_tag_of(st, rs_ext_chunks(x)[k]), st->tag, RS_TAG_DATA | unit);
    RS_CRASHPOINT(MPU_PART_TAGGED);
    slotp = (uint64_t *)rs_at(st, u->map[pg]) + (pp->number - 1) % RS_UP_PAGE_PARTS;
    ST(slotp, head); /* linearisation point */
    RS_CRASHPOINT(MPU_PART_PUBLISHED);
    if (old) {
        rs_part_free(st, old, ptag);
        RS_CRASHPOINT(MPU_PART_OLD_FREED);
    } else {
        u->nparts++;
    }
    ST(&it->op, (uint32_t)RS_UOP_NONE);
    rs_shm_unlock(&u->mu);
    rs_extent_abandon(st, 0); /* every chunk is tagged for the upload now */
    return rs_dur_commit(st);
fail:
    rs_extent_abandon(st, head);
    return rc;
}

/* ---- reads ---- */

int rs_mpu_get(rs_store_t *st, const rs_mpu_ref_t *r, rs_mpu_info_t *out)
{
    rs_upload_shm_t *u;
    rs_ext_hdr_t *x;
    int rc;

    if (!out)
        return RS_EINVAL;
    memset(out, 0, sizeof *out);
    rc = rs_upload_lock_ref(st, r, &u);
    if (rc)
        return rc;
    x = rs_at(st, u->manifest);
    out->info = x->info;
    out->info.mtime_ms = u->created_ms;
    out->nparts = u->nparts;
    out->meta_len = x->meta_len;
    out->meta = malloc(x->meta_len ? x->meta_len : 1);
    if (!out->meta) {
        rc = RS_ENOMEM;
    } else if (x->meta_len) {
        memcpy(out->meta, (uint8_t *)(x + 1) + x->key_len, x->meta_len);
    }
    rs_shm_unlock(&u->mu);
    return rc;
}

void rs_mpu_info_free(rs_mpu_info_t *info)
{
    if (!info)
        return;
    free(info->meta);
    info->meta = NULL;
    info->meta_len = 0;
}

int rs_mpu_list_parts(rs_store_t *st, const rs_mpu_ref_t *r, uint32_t after, size_t max,
                      rs_mpu_part_info_t *out, size_t *n, int *truncated)
{
    rs_upload_shm_t *u;
    uint32_t ptag;
    size_t k = 0;
    int rc, more = 0;

    if (!n || !truncated || (max && !out))
        return RS_EINVAL;
    *n = 0;
    *truncated = 0;
    rc = rs_upload_lock_ref(st, r, &u);
    if (rc)
        return rc;
    ptag = PTAG(r->id.idx);
    for (uint32_t pg = after / RS_UP_PAGE_PARTS; pg < RS_UP_MAP_PAGES && !more; pg++) {
        uint64_t *e;
        if (!u->map[pg] || LD(rs_tag_of(st, u->map[pg])) != ptag)
            continue;
        e = rs_at(st, u->map[pg]);
        for (uint32_t s = 0; s < RS_UP_PAGE_PARTS; s++) {
            uint32_t num = pg * RS_UP_PAGE_PARTS + s + 1;
            if (num <= after || !e[s])
                continue;
            if (k == max) {
                more = 1;
                break;
            }
            out[k].number = num;
            out[k].info = ((rs_ext_hdr_t *)rs_at(st, e[s]))->info;
            k++;
        }
    }
    rs_shm_unlock(&u->mu);
    *n = k;
    *truncated = more;
    return 0;
}

/* ---- Abort ---- */

int rs_mpu_abort(rs_store_t *st, const rs_mpu_ref_t *r)
{
    rs_upload_shm_t *u;
    int rc = rs_upload_lock_ref(st, r, &u);

    if (rc)
        return rc;
    rs_upload_abort_locked(st, r->id.idx);
    rs_shm_unlock(&u->mu);
    return rs_dur_commit(st);
}

int rs_upload_abort_bucket(rs_store_t *st, uint32_t id, uint32_t gen)
{
    int done = 0;

    for (uint32_t i = 0; i < st->hdr->nuploads; i++) {
        rs_upload_shm_t *u = rs_upload(st, i);
        /* locked even when FREE: a Create that saw the bucket alive finishes first */
        if (rs_lock_upload(st, i) != 0)
            return RS_EPOISON;
        if (LD(&u->state) != RS_UP_FREE && u->bucket_id == id && u->bucket_gen == gen) {
            rs_upload_abort_locked(st, i);
            if (++done == 1)
                RS_CRASHPOINT(BUCKET_UPLOADS);
        }
        rs_shm_unlock(&u->mu);
    }
    return 0;
}

/* ---- check ---- */

#define MARK(m, u)                                                                                 \
    do {                                                                                           \
        if (m)                                                                                     \
            (m)[(u) >> 3] |= (uint8_t)(1u << ((u)&7));                                             \
    } while (0)

int rs_upload_check(rs_store_t *st, uint32_t i, uint8_t *m, char *why, size_t why_len)
{
    rs_upload_shm_t *u = rs_upload(st, i);
    uint32_t ptag = PTAG(i), unit, n = 0, state = LD(&u->state);
    rs_ext_hdr_t *x;
    int deleting;

    if (u->intent.op != RS_UOP_NONE)
        RS_POISON("upload %u: open intent %u", i, u->intent.op);
    if (state == RS_UP_FREE) {
        for (uint32_t pg = 0; pg < RS_UP_MAP_PAGES; pg++)
            if (u->map[pg])
                RS_POISON("upload %u: FREE with a part map", i);
        if (u->manifest)
            RS_POISON("upload %u: FREE with a manifest", i);
        return 0;
    }
    if (state != RS_UP_OPEN)
        RS_POISON("upload %u: state %u without an intent", i, state);
    if (!rs_bucket_alive(st, u->bucket_id, u->bucket_gen, &deleting))
        RS_POISON("upload %u: its bucket %u is gone", i, u->bucket_id);
    if (rs_off_unit(st, u->manifest, &unit) != 0 || LD(rs_tag_of(st, u->manifest)) != ptag ||
        !(x = rs_ext(st, u->manifest)) || x->kind != RS_EXT_MANIFEST)
        RS_POISON("upload %u: bad manifest", i);
    MARK(m, unit);
    for (uint32_t pg = 0; pg < RS_UP_MAP_PAGES; pg++) {
        uint64_t *e;
        if (!u->map[pg])
            continue;
        if (rs_off_unit(st, u->map[pg], &unit) != 0 || LD(rs_tag_of(st, u->map[pg])) != ptag)
            RS_POISON("upload %u: map page %u not tagged for it", i, pg);
        MARK(m, unit);
        e = rs_at(st, u->map[pg]);
        for (uint32_t k = 0; k < RS_UP_PAGE_PARTS; k++) {
            if (!e[k])
                continue;
            if (rs_off_unit(st, e[k], &unit) != 0 || LD(rs_tag_of(st, e[k])) != ptag ||
                !(x = rs_ext(st, e[k])) || x->kind != RS_EXT_PART || x->entry_ref != i ||
                x->entry_gen != u->gen)
                RS_POISON("upload %u: part %u bad", i, pg * RS_UP_PAGE_PARTS + k + 1);
            MARK(m, unit);
            for (uint32_t c = 0; c < x->nchunks; c++) {
                uint32_t du;
                uint64_t o = rs_ext_chunks(x)[c];
                if (rs_off_unit(st, o, &du) != 0 || LD(rs_tag_of(st, o)) != (RS_TAG_DATA | unit))
                    RS_POISON("upload %u: part %u data chunk tag", i,
                              pg * RS_UP_PAGE_PARTS + k + 1);
                MARK(m, du);
            }
            n++;
        }
    }
    if (n != u->nparts)
        RS_POISON("upload %u: %u parts, count says %u", i, n, u->nparts);
    return 0;
}
