/*
 * alloc.c: the blob arena: 1 MiB pages handed to power-of-two size classes, chunk claim
 * by owner-tag compare-and-swap, extent tag transitions, reclamation of unpinned RETIRED
 * extents, class repair.
 * Runs in: workers.
 */
#include "store/store_int.h"

int rs_class_for(uint64_t bytes)
{
    for (int c = 0; c < (int)RS_NCLASS; c++)
        if (rs_chunk_size((unsigned)c) >= bytes)
            return c;
    return -1;
}

int rs_chunk_free_cas(rs_store_t *st, uint64_t off, uint32_t expect)
{
    uint32_t *t = rs_tag_of(st, off);
    uint32_t page = (uint32_t)((off - st->hdr->toc.arena) >> RS_PAGE_SHIFT);
    uint32_t pc;

    if (expect == RS_TAG_FREE || !CAS(t, expect, RS_TAG_FREE))
        return 0;
    pc = LD(&rs_page_class(st)[page]);
    if (pc >= 1 && pc <= RS_NCLASS)
        __atomic_fetch_sub(&rs_class(st, pc - 1)->used, 1, __ATOMIC_RELAXED);
    return 1;
}

void rs_owned_drop(rs_store_t *st, uint64_t off)
{
    rs_slot_shm_t *s = rs_shm_slot(st->hdr, (unsigned)st->slot);
    uint64_t *owned = rs_shm_slot_owned(st->hdr, s);

    for (uint32_t i = 0; i < s->owned_cap; i++)
        if (owned[i] == off)
            ST(&owned[i], (uint64_t)0);
}

static int owned_free_index(rs_store_t *st, uint32_t *idx)
{
    rs_slot_shm_t *s = rs_shm_slot(st->hdr, (unsigned)st->slot);
    uint64_t *owned = rs_shm_slot_owned(st->hdr, s);

    for (uint32_t i = 0; i < s->owned_cap; i++) {
        if (owned[i] == 0) {
            *idx = i;
            return 0;
        }
    }
    return RS_ENOSPC;
}

/* Try to claim a free chunk of class c in page p (class lock held). */
static int claim_in_page(rs_store_t *st, unsigned c, uint32_t p, uint32_t from, uint64_t *slotp,
                         uint64_t *off)
{
    uint32_t step = (uint32_t)(rs_chunk_size(c) >> RS_UNIT_SHIFT);
    uint32_t *tags = rs_tags(st) + (uint64_t)p * RS_UNITS_PER_PAGE;

    for (uint32_t u = from; u < RS_UNITS_PER_PAGE; u += step) {
        uint64_t o;
        if (LD(&tags[u]) != RS_TAG_FREE)
            continue;
        o = st->hdr->toc.arena + ((uint64_t)p << RS_PAGE_SHIFT) + ((uint64_t)u << RS_UNIT_SHIFT);
        __atomic_store_n(slotp, o, __ATOMIC_SEQ_CST); /* record first ... */
        RS_CRASHPOINT(ALLOC_RECORDED);
        if (CAS(&tags[u], RS_TAG_FREE, st->tag)) { /* ... then claim */
            __atomic_fetch_add(&rs_class(st, c)->used, 1, __ATOMIC_RELAXED);
            rs_class(st, c)->hint_page = p;
            rs_class(st, c)->hint_unit = u + step;
            *off = o;
            RS_CRASHPOINT(ALLOC_CLAIMED);
            return 0;
        }
    }
    return RS_ENOSPC;
}

/* Give a free page to class c (class lock held). */
static int take_page(rs_store_t *st, unsigned c, uint32_t *page)
{
    rs_pagetab_shm_t *pt = rs_pagetab(st);
    uint32_t *pc = rs_page_class(st), n = st->hdr->npages;
    int rc = rs_shm_lock(&pt->mu, rs_page_repair, st);

    if (rc) {
        rs_store_poison(st);
        return rc;
    }
    rc = RS_ENOSPC;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = (pt->hint + i) % n;
        if (LD(&pc[p]) == 0) {
            ST(&pc[p], c + 1);
            pt->hint = p + 1;
            *page = p;
            rc = 0;
            RS_CRASHPOINT(ALLOC_PAGE_TAKEN);
            break;
        }
    }
    rs_shm_unlock(&pt->mu);
    return rc;
}

static int claim_locked(rs_store_t *st, unsigned c, uint64_t *slotp, uint64_t *off)
{
    rs_class_shm_t *cl = rs_class(st, c);
    uint32_t n = st->hdr->npages, *pc = rs_page_class(st), page;

    for (uint32_t i = 0; i <= n; i++) {
        uint32_t p = (cl->hint_page + i) % n;
        uint32_t from = (i == 0) ? cl->hint_unit : 0;
        if (i == n)
            from = 0; /* wrapped onto the hint page: scan its start */
        if (from >= RS_UNITS_PER_PAGE || LD(&pc[p]) != c + 1)
            continue;
        if (claim_in_page(st, c, p, from, slotp, off) == 0)
            return 0;
    }
    if (take_page(st, c, &page) != 0)
        return RS_ENOSPC;
    return claim_in_page(st, c, page, 0, slotp, off);
}

int rs_chunk_claim(rs_store_t *st, unsigned c, uint64_t *off)
{
    uint64_t *owned = rs_shm_slot_owned(st->hdr, rs_shm_slot(st->hdr, (unsigned)st->slot));
    uint32_t idx;
    int rc;

    if (owned_free_index(st, &idx) != 0)
        return RS_ENOSPC;
    rc = rs_lock_class(st, c);
    if (rc)
        return rc;
    rc = claim_locked(st, c, &owned[idx], off);
    rs_shm_unlock(&rs_class(st, c)->mu);
    if (rc)
        ST(&owned[idx], (uint64_t)0);
    return rc;
}

#define head_unit rs_head_unit

void rs_part_free(rs_store_t *st, uint64_t head, uint32_t expect)
{
    uint32_t u, dtag;
    rs_ext_hdr_t *h;

    if (!head || expect == RS_TAG_FREE || rs_off_unit(st, head, &u) != 0 ||
        LD(rs_tag_of(st, head)) != expect)
        return; /* the tag first: only then are the contents this part's */
    h = rs_ext(st, head);
    dtag = RS_TAG_DATA | u;
    for (uint32_t i = 0; h && h->kind == RS_EXT_PART && i < h->nchunks; i++) {
        uint32_t du;
        uint64_t o = rs_ext_chunks(h)[i];
        if (rs_off_unit(st, o, &du) != 0)
            continue;
        if (!rs_chunk_free_cas(st, o, dtag) && RS_TAG_IS_SLOT(expect))
            rs_chunk_free_cas(st, o, expect);
    }
    rs_chunk_free_cas(st, head, expect);
}

/* COMPOSITE head h at unit u: move its listed parts' tags from `from` to `to`. */
static void parts_retag(rs_store_t *st, rs_ext_hdr_t *h, uint32_t from, uint32_t to)
{
    rs_mpu_pref_t *r = rs_mpu_prefs(h);
    uint32_t n = rs_mpu_body(h)->nparts, pu;

    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && i == n / 2 && RS_TAG_IS_PART(from))
            RS_CRASHPOINT(MPU_DONE_PARTS);
        if (rs_off_unit(st, r[i].head, &pu) == 0)
            CAS(rs_tag_of(st, r[i].head), from, to);
    }
}

static uint32_t part_tag_of(rs_ext_hdr_t *h)
{
    return RS_TAG_PART | (rs_mpu_body(h)->upload & RS_TAG_PART_MASK);
}

void rs_extent_make_live(rs_store_t *st, uint64_t head, uint32_t owner_tag)
{
    rs_ext_hdr_t *h = rs_ext(st, head);
    uint32_t dtag = RS_TAG_DATA | head_unit(st, head);

    if (!h)
        return;
    CAS(rs_tag_of(st, head), owner_tag, RS_TAG_LIVE);
    RS_CRASHPOINT(PUT_HEAD_LIVE);
    if (h->kind == RS_EXT_COMPOSITE) {
        /* the head first: slot cleanup can never free a head whose parts moved */
        if (LD(rs_tag_of(st, head)) == RS_TAG_LIVE)
            parts_retag(st, h, part_tag_of(h), dtag);
        return;
    }
    for (uint32_t i = 0; i < h->nchunks; i++) {
        uint32_t u;
        uint64_t o = rs_ext_chunks(h)[i];
        if (rs_off_unit(st, o, &u) == 0)
            CAS(rs_tag_of(st, o), owner_tag, dtag);
    }
}

void rs_extent_rollback(rs_store_t *st, uint64_t head, uint32_t owner_tag)
{
    uint32_t u, t, dtag;
    rs_ext_hdr_t *h;

    if (rs_off_unit(st, head, &u) != 0)
        return;
    t = LD(rs_tag_of(st, head));
    if (t != RS_TAG_LIVE && t != owner_tag)
        return; /* already freed (slot cleanup) or never claimed */
    h = rs_ext(st, head);
    dtag = RS_TAG_DATA | u;
    if (h && h->kind == RS_EXT_COMPOSITE)
        parts_retag(st, h, dtag, part_tag_of(h)); /* back to the upload, then the head */
    for (uint32_t i = 0; h && i < h->nchunks; i++) {
        uint32_t du;
        uint64_t o = rs_ext_chunks(h)[i];
        if (rs_off_unit(st, o, &du) != 0)
            continue;
        rs_chunk_free_cas(st, o, owner_tag);
        rs_chunk_free_cas(st, o, dtag);
    }
    rs_chunk_free_cas(st, head, t);
}

void rs_extent_abandon(rs_store_t *st, uint64_t head)
{
    rs_slot_shm_t *s = rs_shm_slot(st->hdr, (unsigned)st->slot);
    uint64_t *owned = rs_shm_slot_owned(st->hdr, s);

    (void)head;
    for (uint32_t i = 0; i < s->owned_cap; i++) {
        if (owned[i]) {
            rs_chunk_free_cas(st, owned[i], st->tag);
            ST(&owned[i], (uint64_t)0);
        }
    }
}

/* Free one RETIRED, unpinned extent head (class lock of its class held). */
static int reclaim_head(rs_store_t *st, uint64_t head)
{
    rs_ext_hdr_t *h = rs_ext(st, head);
    uint32_t dtag = RS_TAG_DATA | head_unit(st, head);

    if (rs_shm_is_pinned(st->hdr, head))
        return 0;
    if (h && h->kind == RS_EXT_COMPOSITE) {
        rs_mpu_pref_t *r = rs_mpu_prefs(h);
        for (uint32_t i = 0; i < rs_mpu_body(h)->nparts; i++) {
            rs_part_free(st, r[i].head, dtag); /* skips parts freed by an earlier run */
            if (i == 0)
                RS_CRASHPOINT(RECLAIM_PARTS);
        }
    }
    for (uint32_t i = 0; h && i < h->nchunks; i++) {
        uint32_t du;
        uint64_t o = rs_ext_chunks(h)[i];
        if (rs_off_unit(st, o, &du) == 0)
            rs_chunk_free_cas(st, o, dtag);
        if (i == 0)
            RS_CRASHPOINT(RECLAIM_DATA);
    }
    if (!rs_chunk_free_cas(st, head, RS_TAG_RETIRED))
        return 0;
    RS_CRASHPOINT(RECLAIM_FREED);
    return 1;
}

/* Return page p to the pool if every chunk is free (class lock held). */
static void release_if_empty(rs_store_t *st, unsigned c, uint32_t p)
{
    uint32_t *tags = rs_tags(st) + (uint64_t)p * RS_UNITS_PER_PAGE;
    uint32_t step = (uint32_t)(rs_chunk_size(c) >> RS_UNIT_SHIFT);
    rs_pagetab_shm_t *pt = rs_pagetab(st);

    for (uint32_t u = 0; u < RS_UNITS_PER_PAGE; u += step)
        if (LD(&tags[u]) != RS_TAG_FREE)
            return;
    if (rs_shm_lock(&pt->mu, rs_page_repair, st) != 0) {
        rs_store_poison(st);
        return;
    }
    if (LD(&rs_page_class(st)[p]) == c + 1)
        ST(&rs_page_class(st)[p], 0u);
    RS_CRASHPOINT(PAGE_RELEASED);
    rs_shm_unlock(&pt->mu);
}

int rs_class_reclaim(rs_store_t *st, unsigned c)
{
    uint32_t step = (uint32_t)(rs_chunk_size(c) >> RS_UNIT_SHIFT), *pc = rs_page_class(st);
    int freed = 0;

    if (rs_lock_class(st, c) != 0)
        return 0;
    for (uint32_t p = 0; p < st->hdr->npages; p++) {
        uint32_t *tags = rs_tags(st) + (uint64_t)p * RS_UNITS_PER_PAGE;
        if (LD(&pc[p]) != c + 1)
            continue;
        for (uint32_t u = 0; u < RS_UNITS_PER_PAGE; u += step) {
            uint64_t o;
            if (LD(&tags[u]) != RS_TAG_RETIRED)
                continue;
            o = st->hdr->toc.arena + ((uint64_t)p << RS_PAGE_SHIFT) +
                ((uint64_t)u << RS_UNIT_SHIFT);
            freed += reclaim_head(st, o);
        }
        release_if_empty(st, c, p);
    }
    rs_shm_unlock(&rs_class(st, c)->mu);
    return freed;
}

void rs_reclaim_all(rs_store_t *st)
{
    for (unsigned c = 0; c < RS_NCLASS; c++)
        rs_class_reclaim(st, c);
}

int rs_page_repair(void *arg)
{
    rs_store_t *st = arg;
    /* page_class words change by single stores: nothing can be half done */
    __atomic_fetch_add(&st->hdr->repairs, 1, __ATOMIC_RELAXED);
    return 0;
}

int rs_class_repair(void *arg)
{
    void **a = arg;
    rs_store_t *st = a[0];
    unsigned c = (unsigned)(uintptr_t)a[1];
    uint32_t step = (uint32_t)(rs_chunk_size(c) >> RS_UNIT_SHIFT), *pc = rs_page_class(st);
    uint64_t used = 0;

    for (uint32_t p = 0; p < st->hdr->npages; p++) {
        uint32_t *tags = rs_tags(st) + (uint64_t)p * RS_UNITS_PER_PAGE;
        if (LD(&pc[p]) != c + 1)
            continue;
        for (uint32_t u = 0; u < RS_UNITS_PER_PAGE; u += step)
            used += LD(&tags[u]) != RS_TAG_FREE;
    }
    ST(&rs_class(st, c)->used, used);
    rs_class(st, c)->hint_page = 0;
    rs_class(st, c)->hint_unit = 0;
    __atomic_fetch_add(&st->hdr->repairs, 1, __ATOMIC_RELAXED);
    return 0;
}
