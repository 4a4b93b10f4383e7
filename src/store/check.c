/*
 * check.c: the full invariant check of the store (tests, crash tests, stress test):
 * shards, per-bucket lists against the LIVE entries, every chunk tag accounted for.
 * Meant for a quiescent store (no concurrent writers).
 * Runs in: workers and tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (why)                                                                                   \
            snprintf(why, why_len, __VA_ARGS__);                                                   \
        rc = RS_EPOISON;                                                                           \
        goto out;                                                                                  \
    } while (0)

#define MARK(m, u) ((m)[(u) >> 3] |= (uint8_t)(1u << ((u)&7)))
#define MARKED(m, u) (((m)[(u) >> 3] >> ((u)&7)) & 1u)

static void mark_extent(rs_store_t *st, uint8_t *m, uint64_t head)
{
    rs_ext_hdr_t *x = rs_ext(st, head);
    uint32_t u;

    if (!x || rs_off_unit(st, head, &u))
        return;
    MARK(m, u);
    if (x->kind == RS_EXT_COMPOSITE) {
        /* the head, its parts' heads and their data; only parts still tagged for this
         * head (a reclaim killed midway leaves some freed, maybe reused) */
        for (uint32_t i = 0; i < rs_mpu_body(x)->nparts; i++) {
            uint64_t ph = rs_mpu_prefs(x)[i].head;
            uint32_t pu;
            rs_ext_hdr_t *px =
                rs_off_unit(st, ph, &pu) == 0 && LD(rs_tag_of(st, ph)) == (RS_TAG_DATA | u)
                    ? rs_ext(st, ph)
                    : NULL;
            if (px && px->kind == RS_EXT_PART)
                mark_extent(st, m, ph);
        }
        return;
    }
    for (uint32_t i = 0; i < x->nchunks; i++)
        if (rs_off_unit(st, rs_ext_chunks(x)[i], &u) == 0)
            MARK(m, u);
}

static int in_owned(rs_store_t *st, rs_slot_shm_t *s, uint64_t off)
{
    uint64_t *o = rs_shm_slot_owned(st->hdr, s);
    for (uint32_t i = 0; i < s->owned_cap; i++)
        if (o[i] == off)
            return 1;
    return 0;
}

static int check_lists(rs_store_t *st, const uint32_t *counts, char *why, size_t why_len)
{
    int rc = 0;

    for (uint32_t i = 0; i < st->hdr->nbuckets; i++) {
        rs_bucket_shm_t *b = rs_bucket(st, i);
        uint32_t n = 0;
        rs_entry_shm_t *prev = NULL;
        if (b->state == RS_BK_FREE) {
            if (counts[i] || b->head[0])
                FAIL("free bucket %u has objects", i);
            continue;
        }
        if (rs_lock_list(st, i) != 0)
            FAIL("bucket %u list lock poisoned", i);
        for (int l = 0; l < RS_SKIP_LEVELS && rc == 0; l++) {
            prev = NULL;
            n = 0;
            for (uint32_t r = b->head[l]; r; r = rs_entry_ref(st, r)->next[l]) {
                rs_entry_shm_t *e = rs_entry_ref(st, r);
                if (!e || ++n > counts[i] || e->state != RS_ENT_LIVE || e->bucket_id != i ||
                    e->bucket_gen != b->gen || e->height <= l ||
                    (prev && rs_key_cmp(prev->key, prev->key_len, e->key, e->key_len) >= 0)) {
                    if (why)
                        snprintf(why, why_len, "bucket %u level %d: bad node %#x", i, l, r);
                    rc = RS_EPOISON;
                    break;
                }
                prev = e;
            }
            if (rc == 0 && l == 0 && n != counts[i]) {
                if (why)
                    snprintf(why, why_len, "bucket %u: list has %u, index %u", i, n, counts[i]);
                rc = RS_EPOISON;
            }
        }
        rs_shm_unlock(&b->list_mu);
        if (rc)
            goto out;
    }
out:
    return rc;
}

static int check_tags(rs_store_t *st, uint8_t *m, char *why, size_t why_len)
{
    uint32_t *pcs = rs_page_class(st), *tags = rs_tags(st);
    int rc = 0;

    /* RETIRED extents keep their data chunks */
    for (uint32_t p = 0; p < st->hdr->npages; p++)
        for (uint32_t u = 0; u < RS_UNITS_PER_PAGE; u++)
            if (tags[p * RS_UNITS_PER_PAGE + u] == RS_TAG_RETIRED)
                mark_extent(st, m,
                            st->hdr->toc.arena + ((uint64_t)p << RS_PAGE_SHIFT) +
                                ((uint64_t)u << RS_UNIT_SHIFT));
    for (uint32_t p = 0; p < st->hdr->npages; p++) {
        uint32_t pc = pcs[p], step;
        if (pc > RS_NCLASS)
            FAIL("page %u: bad class %u", p, pc);
        step = pc ? (uint32_t)(rs_chunk_size(pc - 1) >> RS_UNIT_SHIFT) : 1;
        for (uint32_t k = 0; k < RS_UNITS_PER_PAGE; k++) {
            uint32_t u = p * RS_UNITS_PER_PAGE + k, t = tags[u];
            uint64_t off = st->hdr->toc.arena + ((uint64_t)u << RS_UNIT_SHIFT);
            if (t == RS_TAG_FREE)
                continue;
            if (!pc || k % step)
                FAIL("unit %u: tag %#x outside a chunk start", u, t);
            if (t == RS_TAG_LIVE && !MARKED(m, u))
                FAIL("chunk %u: LIVE but no entry references it (leak)", u);
            if (t == RS_TAG_RETIRED && !rs_ext(st, off))
                FAIL("chunk %u: RETIRED without an extent header", u);
            if ((t & 0xc0000000u) == RS_TAG_DATA) {
                uint32_t h = t & RS_TAG_DATA_MASK, units = st->hdr->npages * RS_UNITS_PER_PAGE;
                /* two levels: a part's data chunk -> its part head -> the composite head,
                 * or -> the part head of an open upload */
                if (h < units && (tags[h] & 0xc0000000u) == RS_TAG_DATA &&
                    (tags[h] & RS_TAG_DATA_MASK) < units)
                    h = tags[h] & RS_TAG_DATA_MASK;
                else if (h < units && RS_TAG_IS_PART(tags[h]))
                    h = u; /* checked by the upload's own check (marked) */
                if (!MARKED(m, u) || h >= units ||
                    (h != u && tags[h] != RS_TAG_LIVE && tags[h] != RS_TAG_RETIRED))
                    FAIL("chunk %u: data chunk of head %u not referenced (leak)", u, h);
            } else if (RS_TAG_IS_PART(t)) {
                uint32_t ui = t & RS_TAG_PART_MASK;
                if (!MARKED(m, u) || ui >= st->hdr->nuploads ||
                    LD(&rs_upload(st, ui)->state) == RS_UP_FREE)
                    FAIL("chunk %u: tagged for upload %u, which does not hold it (leak)", u, ui);
            } else if (RS_TAG_IS_SLOT(t)) {
                uint32_t si = (t >> 20) - 1;
                rs_slot_shm_t *s = si < st->hdr->nslots ? rs_shm_slot(st->hdr, si) : NULL;
                if (!s || s->state != RS_SLOT_ACTIVE || RS_SLOT_TAG(si, s->incarnation) != t ||
                    !in_owned(st, s, off))
                    FAIL("chunk %u: tagged %#x by a dead or unknown slot", u, t);
            } else if (t != RS_TAG_LIVE && t != RS_TAG_RETIRED) {
                FAIL("chunk %u: invalid tag %#x", u, t);
            }
        }
    }
out:
    return rc;
}

int rs_store_check(rs_store_t *st, char *why, size_t why_len)
{
    uint64_t units = (uint64_t)st->hdr->npages * RS_UNITS_PER_PAGE;
    uint8_t *m = calloc(units / 8 + 1, 1);
    uint32_t *counts = calloc(st->hdr->nbuckets, sizeof *counts);
    int rc = 0;

    if (why && why_len)
        why[0] = 0;
    if (!m || !counts) {
        free(m);
        free(counts);
        return RS_ENOMEM;
    }
    if (st->hdr->magic != RS_SHM_MAGIC || LD(&st->hdr->state) != RS_REGION_READY)
        FAIL("region header not READY");
    for (uint32_t s = 0; s < st->hdr->nshards; s++) {
        uint32_t *heads = rs_heads(st, s);
        if (rs_lock_shard(st, s) != 0)
            FAIL("shard %u poisoned", s);
        rc = rs_shard_check(st, s, why, why_len);
        for (uint32_t h = 0; rc == 0 && h < st->hdr->nheads; h++) {
            for (uint32_t i = heads[h]; i; i = rs_entry(st, s, i)->hnext) {
                rs_entry_shm_t *e = rs_entry(st, s, i);
                rs_bucket_shm_t *b =
                    e->bucket_id < st->hdr->nbuckets ? rs_bucket(st, e->bucket_id) : NULL;
                if (!b || b->state == RS_BK_FREE || b->gen != e->bucket_gen) {
                    if (why)
                        snprintf(why, why_len, "shard %u entry %u: bucket gone", s, i);
                    rc = RS_EPOISON;
                    break;
                }
                counts[e->bucket_id]++;
                mark_extent(st, m, e->blob);
            }
        }
        rs_shm_unlock(&rs_shard(st, s)->mu);
        if (rc)
            goto out;
    }
    for (uint32_t i = 0; i < st->hdr->nuploads; i++) {
        if (rs_lock_upload(st, i) != 0)
            FAIL("upload %u poisoned", i);
        rc = rs_upload_check(st, i, m, why, why_len);
        rs_shm_unlock(&rs_upload(st, i)->mu);
        if (rc)
            goto out;
    }
    rc = check_lists(st, counts, why, why_len);
    if (rc == 0)
        rc = check_tags(st, m, why, why_len);
out:
    free(m);
    free(counts);
    return rc;
}
