/*
 * list.c: ListObjects over a bucket's skiplist: seek, walk level 0, group common
 * prefixes by seeking past them, then fetch each object's facts under its shard lock.
 * Cost O(log n + page). Runs in: workers.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define BATCH 1000
#define BUFSZ (64 * 1024) /* key bytes per batch (>= RS_MAX_KEY) */

typedef struct pending {
    uint32_t ref; /* entry ref, 0 for a common prefix */
    uint32_t gen;
    size_t off; /* key offset in the batch buffer */
    size_t len;
} pending_t;

static int starts(const char *k, size_t kl, const char *p, size_t pl)
{
    return pl == 0 || (kl >= pl && memcmp(k, p, pl) == 0);
}

/* Under the list lock: collect up to `max` items after `after`; *more if more follow. */
static size_t collect(rs_store_t *st, rs_bucket_shm_t *b, const rs_list_query_t *q,
                      const char *after, size_t after_len, size_t max, pending_t *pv, char *buf,
                      int *more)
{
    size_t n = 0, used = 0, dl = q->delim ? q->delim_len : 0;
    uint32_t ref;

    ref = rs_skip_seek(st, b, q->prefix ? q->prefix : "", q->prefix_len, 0);
    if (after) {
        rs_entry_shm_t *e = ref ? rs_entry_ref(st, ref) : NULL;
        if (e && rs_key_cmp(e->key, e->key_len, after, after_len) <= 0)
            ref = rs_skip_seek(st, b, after, after_len, 1);
    }
    *more = 0;
    while (ref) {
        rs_entry_shm_t *e = rs_entry_ref(st, ref);
        const char *k = e->key;
        size_t kl = e->key_len, cut = 0;

        if (!starts(k, kl, q->prefix, q->prefix_len) ||
            (kl > 0 && (uint8_t)k[0] == RS_RESERVED_KEY_BYTE))
            break; /* reserved keys sort last and are never listed */
        if (dl) {
            for (size_t i = q->prefix_len; i + dl <= kl; i++) {
                if (memcmp(k + i, q->delim, dl) == 0) {
                    cut = i + dl;
                    break;
                }
            }
        }
        if (cut && after && rs_key_cmp(k, cut, after, after_len) <= 0) {
            /* the whole group sorts at or before `after`: skip it */
            char tmp[RS_MAX_KEY];
            memcpy(tmp, k, cut);
            ref = rs_skip_seek_past_prefix(st, b, tmp, cut);
            continue;
        }
        if (n == max || used + (cut ? cut : kl) > BUFSZ) {
            *more = 1;
            break;
        }
        memcpy(buf + used, k, cut ? cut : kl);
        pv[n].off = used;
        pv[n].len = cut ? cut : kl;
        pv[n].ref = cut ? 0 : ref;
        pv[n].gen = e->gen;
        used += pv[n].len;
        n++;
        if (cut)
            ref = rs_skip_seek_past_prefix(st, b, buf + pv[n - 1].off, cut);
        else
            ref = LD(&e->next[0]);
    }
    return n;
}

/* Copy the object's facts if the entry still holds that key; 1 if found. */
static int fetch_info(rs_store_t *st, uint32_t bucket_id, uint32_t ref, const char *k, size_t kl,
                      rs_obj_info_t *info)
{
    uint32_t s = rs_ref_shard(st, ref);
    rs_entry_shm_t *e = rs_entry_ref(st, ref);
    int ok = 0;

    if (!e || rs_lock_shard(st, s) != 0)
        return 0;
    if (e->state == RS_ENT_LIVE && e->bucket_id == bucket_id && e->key_len == kl &&
        memcmp(e->key, k, kl) == 0) {
        rs_ext_hdr_t *x = rs_ext(st, e->blob);
        if (x) {
            *info = x->info;
            ok = 1;
        }
    }
    rs_shm_unlock(&rs_shard(st, s)->mu);
    return ok;
}

static int add_batch(rs_list_result_t *out, size_t *cap, pending_t *pv, size_t n, char *buf,
                     rs_store_t *st, uint32_t bucket_id)
{
    if (out->n + n > *cap) {
        size_t nc = (out->n + n) * 2;
        rs_list_item_t *v = realloc(out->items, nc * sizeof *v);
        if (!v)
            return RS_ENOMEM;
        out->items = v;
        *cap = nc;
    }
    for (size_t i = 0; i < n; i++) {
        rs_list_item_t *it = &out->items[out->n];
        memset(it, 0, sizeof *it);
        if (pv[i].ref &&
            !fetch_info(st, bucket_id, pv[i].ref, buf + pv[i].off, pv[i].len, &it->info))
            continue; /* vanished since the walk */
        it->key = malloc(pv[i].len + 1);
        if (!it->key)
            return RS_ENOMEM;
        memcpy(it->key, buf + pv[i].off, pv[i].len);
        it->key[pv[i].len] = 0;
        it->key_len = pv[i].len;
        it->is_prefix = pv[i].ref == 0;
        out->n++;
    }
    return 0;
}

int rs_obj_list(rs_store_t *st, const rs_bucket_t *bk, const rs_list_query_t *q,
                rs_list_result_t *out)
{
    size_t cap = 0, want, batch;
    pending_t *pv;
    char *buf, *after = NULL;
    size_t after_len = 0;
    int rc = 0, more = 0, deleting;

    if (!bk || !q || !out || (q->prefix_len && !q->prefix) || (q->after_len && !q->after))
        return RS_EINVAL;
    memset(out, 0, sizeof *out);
    if (!rs_bucket_alive(st, bk->id, bk->gen, &deleting))
        return RS_ENOENT;
    want = q->max_items;
    batch = want < BATCH ? want : BATCH;
    if (batch == 0) {
        out->truncated = 0;
        return 0;
    }
    pv = malloc(sizeof *pv * batch);
    buf = malloc(BUFSZ);
    after = malloc(RS_MAX_KEY);
    if (!pv || !buf || !after) {
        rc = RS_ENOMEM;
        goto done;
    }
    if (q->after) {
        after_len = q->after_len > RS_MAX_KEY ? RS_MAX_KEY : q->after_len;
        memcpy(after, q->after, after_len);
    }
    while (out->n < want) {
        size_t n, room = want - out->n;
        rs_bucket_shm_t *b = rs_bucket(st, bk->id);
        rc = rs_lock_list(st, bk->id);
        if (rc)
            break;
        if (!rs_bucket_alive(st, bk->id, bk->gen, &deleting)) {
            rs_shm_unlock(&b->list_mu);
            rc = RS_ENOENT;
            break;
        }
        n = collect(st, b, q, (q->after || out->n) ? after : NULL, after_len,
                    room < batch ? room : batch, pv, buf, &more);
        rs_shm_unlock(&b->list_mu);
        if (n == 0)
            break;
        after_len = pv[n - 1].len;
        memcpy(after, buf + pv[n - 1].off, after_len);
        rc = add_batch(out, &cap, pv, n, buf, st, bk->id);
        if (rc || !more)
            break;
    }
    out->truncated = more;
done:
    free(pv);
    free(buf);
    free(after);
    if (rc)
        rs_list_result_free(out);
    return rc;
}

void rs_list_result_free(rs_list_result_t *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->n; i++)
        free(res->items[i].key);
    free(res->items);
    res->items = NULL;
    res->n = 0;
}
