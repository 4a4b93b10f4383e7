/*
 * index.c: the sharded object index: lookup, PutObject (allocate, copy with no lock,
 * publish by one aligned store under the shard lock), GetObject with pinning, and
 * DeleteObject, each leaving an intent record for the shard repair.
 * Runs in: workers.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "rs/store_mpu.h"
#include "store/store_int.h"

uint32_t rs_key_hash(uint32_t bucket_id, const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)bucket_id * 0x9e3779b97f4a7c15ull);

    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)key[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}

static uint32_t chain_of(rs_store_t *st, uint32_t hash)
{
    return (hash >> st->hdr->shard_bits) & (st->hdr->nheads - 1);
}

uint32_t rs_index_find(rs_store_t *st, uint32_t s, uint32_t bucket_id, uint32_t bucket_gen,
                       const char *key, size_t len, uint32_t hash)
{
    uint32_t n = 0;

    for (uint32_t i = rs_heads(st, s)[chain_of(st, hash)]; i && n < st->hdr->eps; n++) {
        rs_entry_shm_t *e = rs_entry(st, s, i);
        if (e->hash == hash && e->bucket_id == bucket_id && e->bucket_gen == bucket_gen &&
            e->key_len == len && memcmp(e->key, key, len) == 0)
            return i;
        i = e->hnext;
    }
    return 0;
}

int rs_chain_contains(rs_store_t *st, uint32_t s, uint32_t idx)
{
    rs_entry_shm_t *e = rs_entry(st, s, idx);
    uint32_t n = 0;

    for (uint32_t i = rs_heads(st, s)[chain_of(st, e->hash)]; i; i = rs_entry(st, s, i)->hnext) {
        if (i >= st->hdr->eps || ++n > st->hdr->eps)
            return -1;
        if (i == idx)
            return 1;
    }
    return 0;
}

int rs_bucket_alive(rs_store_t *st, uint32_t id, uint32_t gen, int *deleting)
{
    rs_bucket_shm_t *b;
    uint32_t s;

    *deleting = 0;
    if (id >= st->hdr->nbuckets)
        return 0;
    b = rs_bucket(st, id);
    s = LD(&b->state);
    if (LD(&b->gen) != gen || s == RS_BK_FREE)
        return 0;
    *deleting = s == RS_BK_DELETING;
    return 1;
}

static int etag_of(rs_store_t *st, uint64_t blob, const uint8_t *want, uint32_t parts)
{
    rs_ext_hdr_t *x = rs_ext(st, blob);
    /* parts == UINT32_MAX: the MD5 alone (rs_obj_delete's If-Match) */
    return x && memcmp(x->info.etag, want, 16) == 0 &&
           (parts == UINT32_MAX || x->info.parts == parts);
}

int rs_build_extent(rs_store_t *st, uint32_t kind, const rs_obj_put_t *p, uint64_t *head)
{
    uint64_t hb = ((sizeof(rs_ext_hdr_t) + p->key_len + p->meta_len + 7) & ~7ull);
    uint64_t size = p->info.size, left;
    uint32_t nch = 0;
    rs_ext_hdr_t *x;
    uint8_t *dst;
    int c, rc;

    if (hb + size > RS_PAGE_SIZE) {
        nch = (uint32_t)((size + RS_PAGE_SIZE - 1) >> RS_PAGE_SHIFT);
        hb += 8ull * nch;
    } else {
        hb += size;
    }
    c = rs_class_for(hb);
    rc = rs_chunk_claim(st, (unsigned)c, head);
    if (rc == RS_ENOSPC) {
        rs_reclaim_all(st);
        rc = rs_chunk_claim(st, (unsigned)c, head);
    }
    if (rc)
        return rc;
    x = rs_at(st, *head);
    x->magic = 0;
    x->head_class = (uint32_t)c;
    x->entry_ref = 0;
    x->entry_gen = 0;
    x->key_len = (uint32_t)p->key_len;
    x->meta_len = (uint32_t)p->meta_len;
    x->nchunks = 0;
    x->kind = kind;
    x->size = size;
    x->info = p->info;
    memcpy(x + 1, p->key, p->key_len);
    if (p->meta_len)
        memcpy((uint8_t *)(x + 1) + p->key_len, p->meta, p->meta_len);
    x->nchunks = nch;
    for (uint32_t i = 0; i < nch; i++) {
        uint64_t o;
        rc = rs_chunk_claim(st, RS_NCLASS - 1, &o);
        if (rc == RS_ENOSPC) {
            rs_reclaim_all(st);
            rc = rs_chunk_claim(st, RS_NCLASS - 1, &o);
        }
        if (rc)
            return rc;
        rs_ext_chunks(x)[i] = o;
    }
    x->magic = RS_EXT_MAGIC;
    /* copy the bytes */
    left = size;
    dst = nch ? NULL : rs_ext_inline(x);
    uint32_t ci = 0;
    uint64_t room = nch ? 0 : size;
    for (size_t v = 0; v < p->data_iovcnt; v++) {
        const uint8_t *src = p->data[v].iov_base;
        size_t n = p->data[v].iov_len;
        while (n > 0) {
            size_t k;
            if (room == 0) {
                dst = rs_at(st, rs_ext_chunks(x)[ci++]);
                room = left < RS_PAGE_SIZE ? left : RS_PAGE_SIZE;
            }
            k = n < room ? n : room;
            memcpy(dst, src, k);
            dst += k;
            src += k;
            n -= k;
            room -= k;
            left -= k;
        }
    }
    rs_dur_extent(st, *head); /* always: on disk before anything can name it */
    RS_CRASHPOINT(PUT_COPIED);
    return 0;
}

static int check_put(rs_store_t *st, const rs_obj_put_t *p)
{
    uint64_t sum = 0;

    if (st->slot < 0 || !p || !p->bucket || !p->key || p->key_len == 0 || p->key_len > RS_MAX_KEY ||
        p->meta_len > RS_MAX_META || (p->meta_len && !p->meta) || (p->data_iovcnt && !p->data))
        return RS_EINVAL;
    for (size_t i = 0; i < p->data_iovcnt; i++)
        sum += p->data[i].iov_len;
    if (sum != p->info.size)
        return RS_EINVAL;
    if (sum > st->hdr->max_object_size)
        return RS_ETOOBIG;
    return 0;
}

int rs_publish(rs_store_t *st, uint32_t s, const rs_obj_put_t *p, uint32_t hash, uint64_t head,
               rs_upload_shm_t *up)
{
    rs_shard_shm_t *sh = rs_shard(st, s);
    rs_intent_shm_t *it = &sh->intent;
    const rs_bucket_t *bk = p->bucket;
    uint32_t idx = rs_index_find(st, s, bk->id, bk->gen, p->key, p->key_len, hash);
    rs_ext_hdr_t *x = rs_at(st, head);
    rs_entry_shm_t *e;

    if (p->cond.if_none_match_star && idx)
        return RS_EPRECOND;
    if (p->cond.has_if_match && !idx)
        return RS_ENOENT;
    if (p->cond.has_if_match &&
        !etag_of(st, rs_entry(st, s, idx)->blob, p->cond.if_match, p->cond.if_match_parts))
        return RS_EPRECOND;
    if (!idx && !sh->free_head && sh->bump >= st->hdr->eps)
        return RS_ENOENTRIES;
    int cnt = rs_key_counted(p->key, p->key_len);
    int64_t dobj = cnt && !idx ? 1 : 0;
    int64_t dbytes =
        cnt ? (int64_t)x->size - (int64_t)(idx ? rs_blob_size(st, rs_entry(st, s, idx)->blob) : 0)
            : 0;
    int rc = rs_usage_admit(st, bk->account, dobj, dbytes);
    if (rc)
        return rc;
    if (up) { /* Complete: the upload's intent opens before the shard's */
        ST(&up->intent.op, (uint32_t)RS_UOP_COMPLETE);
        ST(&up->state, (uint32_t)RS_UP_CLOSING);
        RS_CRASHPOINT(MPU_DONE_INTENT);
    }
    e = rs_entry(st, s, idx ? idx : (sh->free_head ? sh->free_head : sh->bump));
    it->step = 1;
    it->entry = idx ? idx : (uint32_t)(e - rs_entry(st, s, 0));
    it->gen = e->gen;
    it->owner_tag = st->tag;
    it->is_new = idx == 0;
    it->old_blob = idx ? e->blob : 0;
    it->new_blob = head;
    it->bucket_id = bk->id;
    ST(&it->op, (uint32_t)RS_OP_PUT);
    RS_CRASHPOINT(PUT_INTENT);
    ST(&sh->seq, sh->seq + 1);
    RS_CRASHPOINT(PUT_SEQ_ODD);
    x->entry_ref = rs_ref(st, s, it->entry);
    x->entry_gen = it->gen + 1;
    if (!idx) {
        uint32_t *hd = &rs_heads(st, s)[chain_of(st, hash)];
        if (sh->free_head == it->entry)
            sh->free_head = e->hnext;
        else
            sh->bump++;
        e->gen = it->gen + 1;
        e->bucket_id = bk->id;
        e->bucket_gen = bk->gen;
        e->hash = hash;
        e->key_len = (uint16_t)p->key_len;
        memcpy(e->key, p->key, p->key_len);
        e->height = rs_skip_height(hash);
        memset(e->next, 0, sizeof e->next);
        e->blob = head;
        e->state = RS_ENT_LIVE;
        e->hnext = *hd;
        RS_CRASHPOINT(PUT_ENTRY_INIT);
        rs_extent_make_live(st, head, st->tag);
        RS_CRASHPOINT(PUT_TAGS_LIVE);
        ST(hd, it->entry); /* linearisation point */
        RS_CRASHPOINT(PUT_PUBLISHED);
        rs_usage_add(st, bk->id, dobj, dbytes);
        RS_CRASHPOINT(PUT_COUNTED);
        if (up) {
            ST(&up->intent.step, 2u);
            RS_CRASHPOINT(MPU_DONE_STEP2);
        }
        if (rs_lock_list(st, bk->id) == 0) {
            rs_skip_insert(st, rs_bucket(st, bk->id), rs_ref(st, s, it->entry));
            rs_shm_unlock(&rs_bucket(st, bk->id)->list_mu);
        }
        sh->count++;
        it->step = 2;
        RS_CRASHPOINT(PUT_STEP2);
    } else {
        rs_extent_make_live(st, head, st->tag);
        RS_CRASHPOINT(PUT_TAGS_LIVE);
        ST(&e->blob, head); /* linearisation point */
        RS_CRASHPOINT(PUT_PUBLISHED);
        rs_usage_add(st, bk->id, 0, dbytes);
        RS_CRASHPOINT(PUT_COUNTED);
        if (up) {
            ST(&up->intent.step, 2u);
            RS_CRASHPOINT(MPU_DONE_STEP2);
        }
        e->gen = it->gen + 1;
        it->step = 2;
        RS_CRASHPOINT(PUT_STEP2);
        CAS(rs_tag_of(st, it->old_blob), RS_TAG_LIVE, RS_TAG_RETIRED);
        RS_CRASHPOINT(PUT_RETIRED);
    }
    ST(&sh->seq, sh->seq + 1);
    ST(&it->op, (uint32_t)RS_OP_NONE);
    return 0;
}

int rs_obj_put(rs_store_t *st, const rs_obj_put_t *p)
{
    uint32_t hash, s;
    uint64_t head = 0;
    int rc, deleting;

    rc = check_put(st, p);
    if (rc)
        return rc;
    if (!rs_bucket_alive(st, p->bucket->id, p->bucket->gen, &deleting))
        return RS_ENOENT;
    hash = rs_key_hash(p->bucket->id, p->key, p->key_len);
    s = hash & (st->hdr->nshards - 1);
    rc = rs_build_extent(st, RS_EXT_PLAIN, p, &head);
    if (rc)
        goto fail;
    for (;;) {
        rc = rs_lock_shard(st, s);
        if (rc)
            goto fail;
        if (!rs_bucket_alive(st, p->bucket->id, p->bucket->gen, &deleting)) {
            rc = RS_ENOENT;
        } else if (deleting) {
            /* a DeleteBucket is deciding: wait for it outside the shard lock */
            rs_shm_unlock(&rs_shard(st, s)->mu);
            rc = rs_lock_btab(st);
            if (rc)
                goto fail;
            rs_shm_unlock(&rs_btab(st)->mu);
            continue;
        } else {
            rc = rs_publish(st, s, p, hash, head, NULL);
        }
        rs_shm_unlock(&rs_shard(st, s)->mu);
        break;
    }
    if (rc)
        goto fail;
    RS_CRASHPOINT(PUT_UNLOCKED);
    rs_extent_abandon(st, 0); /* published chunks are LIVE now: this only clears the list */
    return rs_dur_commit(st);
fail:
    rs_extent_abandon(st, head);
    return rc;
}

/* Segments of one extent's bytes (plain or part): appended at v[*n] when v != NULL. */
static size_t ext_segs(rs_store_t *st, rs_ext_hdr_t *x, struct iovec *v, size_t n)
{
    uint64_t left = x->size;

    if (x->nchunks == 0) {
        if (x->size && v) {
            v[n].iov_base = rs_ext_inline(x);
            v[n].iov_len = x->size;
        }
        return x->size ? 1 : 0;
    }
    for (uint32_t i = 0; v && i < x->nchunks; i++) {
        v[n + i].iov_base = rs_at(st, rs_ext_chunks(x)[i]);
        v[n + i].iov_len = left < RS_PAGE_SIZE ? left : RS_PAGE_SIZE;
        left -= v[n + i].iov_len;
    }
    return x->nchunks;
}

/* Fill the view of the pinned extent at `blob`: every part's bytes in order for a
 * multipart object (the parts cannot be freed while the composite is pinned). */
static int make_view(rs_store_t *st, uint64_t blob, rs_obj_view_t *v)
{
    rs_ext_hdr_t *x = rs_at(st, blob);
    size_t n = 0, k = 0;

    v->info = x->info;
    v->meta = (const uint8_t *)(x + 1) + x->key_len;
    v->meta_len = x->meta_len;
    v->off_ = blob;
    v->segv_ = NULL;
    v->nseg = 0;
    v->seg = &v->seg1_;
    if (x->kind != RS_EXT_COMPOSITE && x->nchunks == 0) {
        v->nseg = ext_segs(st, x, &v->seg1_, 0);
        return 0;
    }
    if (x->kind == RS_EXT_COMPOSITE) {
        rs_mpu_pref_t *r = rs_mpu_prefs(x);
        for (uint32_t i = 0; i < rs_mpu_body(x)->nparts; i++)
            n += ext_segs(st, rs_at(st, r[i].head), NULL, 0);
    } else {
        n = x->nchunks;
    }
    v->segv_ = malloc(sizeof(struct iovec) * (n ? n : 1));
    if (!v->segv_)
        return RS_ENOMEM;
    if (x->kind == RS_EXT_COMPOSITE) {
        rs_mpu_pref_t *r = rs_mpu_prefs(x);
        for (uint32_t i = 0; i < rs_mpu_body(x)->nparts; i++)
            k += ext_segs(st, rs_at(st, r[i].head), v->segv_, k);
    } else {
        k = ext_segs(st, x, v->segv_, 0);
    }
    v->seg = v->segv_;
    v->nseg = k;
    return 0;
}

int rs_obj_view_part(rs_store_t *st, const rs_obj_view_t *v, uint32_t number, uint64_t *first,
                     uint64_t *last, rs_obj_info_t *part)
{
    rs_ext_hdr_t *x;
    rs_mpu_pref_t *r;
    uint64_t start;

    if (!st || !v || !v->off_)
        return RS_EINVAL;
    x = rs_at(st, v->off_);
    if (x->kind != RS_EXT_COMPOSITE || number == 0 || number > rs_mpu_body(x)->nparts)
        return RS_EINVAL;
    r = rs_mpu_prefs(x);
    start = number > 1 ? r[number - 2].end : 0;
    if (first)
        *first = start;
    if (last)
        *last = r[number - 1].end - 1; /* an empty part: *last == *first - 1 */
    if (part)
        *part = ((rs_ext_hdr_t *)rs_at(st, r[number - 1].head))->info;
    return 0;
}

/* Lock the shard of (bk, key) and look the key up: 0 with the shard locked and *idx its
 * entry (0: absent), or the lock's error with nothing locked. */
static int lock_find(rs_store_t *st, const rs_bucket_t *bk, const char *key, size_t len,
                     uint32_t *s, uint32_t *idx)
{
    uint32_t hash = rs_key_hash(bk->id, key, len);
    *s = hash & (st->hdr->nshards - 1);
    int rc = rs_lock_shard(st, *s);
    if (rc)
        return rc;
    *idx = rs_index_find(st, *s, bk->id, bk->gen, key, len, hash);
    return 0;
}

int rs_obj_get(rs_store_t *st, const rs_bucket_t *bk, const char *key, size_t len,
               rs_obj_view_t *out)
{
    uint32_t s, idx;
    uint64_t blob = 0;
    int rc;

    if (st->slot < 0 || !bk || !key || len == 0 || len > RS_MAX_KEY || !out)
        return RS_EINVAL;
    rc = lock_find(st, bk, key, len, &s, &idx);
    if (rc)
        return rc;
    if (!idx) {
        rc = RS_ENOENT;
    } else {
        blob = rs_entry(st, s, idx)->blob;
        rc = rs_shm_pin(st->hdr, (unsigned)st->slot, blob, &out->pin_);
    }
    rs_shm_unlock(&rs_shard(st, s)->mu);
    if (rc)
        return rc;
    rc = make_view(st, blob, out);
    if (rc)
        rs_shm_unpin(st->hdr, st->slot, out->pin_);
    return rc;
}

/* Segments of bytes [off, off + len) of a plain or part extent, appended at out[*n]. */
static void ext_slice(rs_store_t *st, rs_ext_hdr_t *x, uint64_t off, uint64_t len,
                      struct iovec *out, size_t cap, size_t *n)
{
    while (len > 0) {
        uint8_t *base;
        uint64_t room;
        if (x->nchunks == 0) {
            base = rs_ext_inline(x) + off;
            room = x->size - off;
        } else {
            base = (uint8_t *)rs_at(st, rs_ext_chunks(x)[off >> RS_PAGE_SHIFT]) +
                   (off & (RS_PAGE_SIZE - 1));
            room = RS_PAGE_SIZE - (off & (RS_PAGE_SIZE - 1));
        }
        if (room > len)
            room = len;
        if (*n < cap) {
            out[*n].iov_base = base;
            out[*n].iov_len = room;
        }
        (*n)++;
        off += room;
        len -= room;
    }
}

size_t rs_obj_view_slice(rs_store_t *st, const rs_obj_view_t *v, uint64_t first, uint64_t last,
                         struct iovec *out, size_t cap)
{
    rs_ext_hdr_t *x;
    size_t n = 0;

    if (!st || !v || !v->off_ || first > last || last >= v->info.size)
        return 0;
    x = rs_at(st, v->off_);
    if (x->kind != RS_EXT_COMPOSITE) {
        ext_slice(st, x, first, last - first + 1, out, cap, &n);
        return n;
    }
    rs_mpu_pref_t *r = rs_mpu_prefs(x);
    uint32_t lo = 0, hi = rs_mpu_body(x)->nparts;
    while (lo < hi) { /* the first part whose end is past `first` */
        uint32_t mid = lo + (hi - lo) / 2;
        if (r[mid].end <= first)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (uint32_t p = lo; p < rs_mpu_body(x)->nparts && first <= last; p++) {
        uint64_t start = p ? r[p - 1].end : 0, end = r[p].end;
        uint64_t stop = last + 1 < end ? last + 1 : end;
        if (stop > first)
            ext_slice(st, rs_at(st, r[p].head), first - start, stop - first, out, cap, &n);
        first = stop;
    }
    return n;
}

void rs_obj_release(rs_store_t *st, rs_obj_view_t *v)
{
    if (!v)
        return;
    rs_shm_unpin(st->hdr, st->slot, v->pin_);
    free(v->segv_);
    v->segv_ = NULL;
    v->seg = NULL;
    v->nseg = 0;
}

static void unhash(rs_store_t *st, uint32_t s, uint32_t idx)
{
    rs_entry_shm_t *e = rs_entry(st, s, idx);
    uint32_t *link = &rs_heads(st, s)[chain_of(st, e->hash)];

    while (*link && *link != idx)
        link = &rs_entry(st, s, *link)->hnext;
    if (*link == idx)
        ST(link, e->hnext); /* linearisation point */
}

int rs_obj_delete(rs_store_t *st, const rs_bucket_t *bk, const char *key, size_t len,
                  const uint8_t *if_match)
{
    uint32_t s, idx;
    rs_shard_shm_t *sh;
    int rc = 0;

    if (st->slot < 0 || !bk || !key || len == 0 || len > RS_MAX_KEY)
        return RS_EINVAL;
    rc = lock_find(st, bk, key, len, &s, &idx);
    if (rc)
        return rc;
    sh = rs_shard(st, s);
    if (!idx) {
        rc = RS_ENOENT;
    } else if (if_match && !etag_of(st, rs_entry(st, s, idx)->blob, if_match, UINT32_MAX)) {
        rc = RS_EPRECOND;
    } else {
        rs_entry_shm_t *e = rs_entry(st, s, idx);
        rs_intent_shm_t *it = &sh->intent;
        it->step = 1;
        it->entry = idx;
        it->gen = e->gen;
        it->owner_tag = st->tag;
        it->is_new = 0;
        it->old_blob = e->blob;
        it->new_blob = 0;
        it->bucket_id = bk->id;
        ST(&it->op, (uint32_t)RS_OP_DEL);
        ST(&sh->seq, sh->seq + 1);
        RS_CRASHPOINT(DEL_INTENT);
        unhash(st, s, idx);
        RS_CRASHPOINT(DEL_UNHASHED);
        if (rs_key_counted(key, len))
            rs_usage_add(st, bk->id, -1, -(int64_t)rs_blob_size(st, it->old_blob));
        RS_CRASHPOINT(DEL_COUNTED);
        it->step = 2;
        if (rs_lock_list(st, bk->id) == 0) {
            rs_skip_unlink(st, rs_bucket(st, bk->id), rs_ref(st, s, idx));
            rs_shm_unlock(&rs_bucket(st, bk->id)->list_mu);
        }
        CAS(rs_tag_of(st, it->old_blob), RS_TAG_LIVE, RS_TAG_RETIRED);
        RS_CRASHPOINT(DEL_RETIRED);
        e->gen = it->gen + 1;
        e->state = RS_ENT_FREE;
        e->hnext = sh->free_head;
        sh->free_head = idx;
        sh->count--;
        ST(&sh->seq, sh->seq + 1);
        ST(&it->op, (uint32_t)RS_OP_NONE);
    }
    rs_shm_unlock(&sh->mu);
    if (rc == 0)
        rc = rs_dur_commit(st);
    return rc;
}
