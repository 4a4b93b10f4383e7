/*
 * upload_list.c: ListMultipartUploads in the store: a scan of the upload table for one
 * bucket (each matching upload read under its lock), sorted by key then initiation,
 * paged by key / upload-id markers, with prefix and delimiter grouping.
 * Cost: O(s3_max_uploads) per page (the table is small and fixed).
 * Runs in: workers.
 */
#include <stdlib.h>
#include <string.h>

#include "rs/store_mpu.h"
#include "store/store_int.h"

typedef struct cand {
    char *key;
    size_t key_len;
    int64_t created;
    rs_upload_id_t id;
    rs_obj_info_t info;
} cand_t;

static int by_key_time(const void *a, const void *b)
{
    const cand_t *x = a, *y = b;
    int c = rs_key_cmp(x->key, x->key_len, y->key, y->key_len);

    if (c)
        return c;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return x->id.idx < y->id.idx ? -1 : x->id.idx > y->id.idx;
}

/* Snapshot the open uploads of bucket b (each under its lock). */
static int collect(rs_store_t *st, const rs_bucket_t *b, const rs_mpu_list_query_t *q, cand_t **out,
                   size_t *n)
{
    size_t cap = 16, k = 0;
    cand_t *v = malloc(sizeof *v * cap);

    if (!v)
        return RS_ENOMEM;
    for (uint32_t i = 0; i < st->hdr->nuploads; i++) {
        rs_upload_shm_t *u = rs_upload(st, i);
        rs_ext_hdr_t *x;
        if (LD(&u->state) == RS_UP_FREE || LD(&u->bucket_id) != b->id)
            continue; /* a CLOSING one is locked: its repair may reopen it */
        if (rs_lock_upload(st, i) != 0)
            goto fail;
        x = LD(&u->state) == RS_UP_OPEN && u->bucket_id == b->id && u->bucket_gen == b->gen
                ? rs_ext(st, u->manifest)
                : NULL;
        if (x && x->key_len >= q->prefix_len &&
            (q->prefix_len == 0 || memcmp(x + 1, q->prefix, q->prefix_len) == 0)) {
            if (k == cap) {
                cand_t *nv = realloc(v, sizeof *v * cap * 2);
                if (!nv) {
                    rs_shm_unlock(&u->mu);
                    goto fail;
                }
                v = nv;
                cap *= 2;
            }
            v[k].key = malloc(x->key_len + 1);
            if (!v[k].key) {
                rs_shm_unlock(&u->mu);
                goto fail;
            }
            memcpy(v[k].key, x + 1, x->key_len);
            v[k].key[x->key_len] = 0;
            v[k].key_len = x->key_len;
            v[k].created = u->created_ms;
            v[k].id.idx = i;
            v[k].id.gen = u->gen;
            v[k].id.rand = u->rand;
            v[k].info = x->info;
            v[k].info.mtime_ms = u->created_ms;
            k++;
        }
        rs_shm_unlock(&u->mu);
    }
    *out = v;
    *n = k;
    return 0;
fail:
    for (size_t j = 0; j < k; j++)
        free(v[j].key);
    free(v);
    return RS_ENOMEM;
}

/* Length of the common prefix of key under (prefix, delim), 0 when none. */
static size_t group_len(const rs_mpu_list_query_t *q, const char *key, size_t len)
{
    if (!q->delim || q->delim_len == 0 || len < q->prefix_len + q->delim_len)
        return 0;
    for (size_t p = q->prefix_len; p + q->delim_len <= len; p++)
        if (memcmp(key + p, q->delim, q->delim_len) == 0)
            return p + q->delim_len;
    return 0;
}

/* Is candidate c after the markers? */
static int after_markers(const rs_mpu_list_query_t *q, const cand_t *v, size_t n, size_t j)
{
    const cand_t *c = &v[j];
    int cmp;

    if (!q->key_marker)
        return 1;
    cmp = rs_key_cmp(c->key, c->key_len, q->key_marker, q->key_marker_len);
    if (cmp != 0 || !q->has_id_marker)
        return cmp > 0;
    /* the same key: the uploads after the marker's upload in listing order; an upload
     * that no longer exists: those whose id sorts after it */
    for (size_t k = 0; k < n; k++) {
        if (v[k].id.idx == q->id_marker.idx && v[k].id.gen == q->id_marker.gen &&
            v[k].id.rand == q->id_marker.rand &&
            rs_key_cmp(v[k].key, v[k].key_len, c->key, c->key_len) == 0)
            return j > k;
    }
    char a[RS_UPLOAD_ID_LEN + 1], m[RS_UPLOAD_ID_LEN + 1];
    rs_upload_id_format(c->id, a);
    rs_upload_id_format(q->id_marker, m);
    return strcmp(a, m) > 0;
}

int rs_mpu_list(rs_store_t *st, const rs_bucket_t *b, const rs_mpu_list_query_t *q,
                rs_mpu_list_result_t *out)
{
    cand_t *v = NULL;
    size_t n = 0, k = 0;
    int rc, deleting;
    char *last_group = NULL;
    size_t last_group_len = 0;

    if (!st || st->slot < 0 || !b || !q || !out || (q->prefix_len && !q->prefix))
        return RS_EINVAL;
    memset(out, 0, sizeof *out);
    if (!rs_bucket_alive(st, b->id, b->gen, &deleting))
        return RS_ENOENT;
    rc = collect(st, b, q, &v, &n);
    if (rc)
        return rc;
    qsort(v, n, sizeof *v, by_key_time);
    out->items = calloc(q->max_uploads < n ? q->max_uploads + 1 : n + 1, sizeof *out->items);
    if (!out->items) {
        rc = RS_ENOMEM;
        goto done;
    }
    for (size_t j = 0; j < n; j++) {
        size_t g;
        rs_mpu_list_item_t *it;
        if (!after_markers(q, v, n, j))
            continue;
        g = group_len(q, v[j].key, v[j].key_len);
        if (g && last_group && g == last_group_len && memcmp(v[j].key, last_group, g) == 0)
            continue; /* the same common prefix as the previous item */
        if (g && q->key_marker && rs_key_cmp(v[j].key, g, q->key_marker, q->key_marker_len) <= 0)
            continue; /* resuming after this common prefix */
        if (k == q->max_uploads) {
            out->truncated = 1;
            break;
        }
        it = &out->items[k++];
        it->id = v[j].id;
        it->info = v[j].info;
        if (g) {
            it->is_prefix = 1;
            it->key_len = g;
            v[j].key[g] = 0;
            last_group = v[j].key;
            last_group_len = g;
        } else {
            it->key_len = v[j].key_len;
        }
        it->key = v[j].key;
        v[j].key = NULL; /* owned by the result now */
    }
    out->n = k;
done:
    for (size_t j = 0; j < n; j++)
        free(v[j].key);
    free(v);
    if (rc)
        rs_mpu_list_result_free(out);
    return rc;
}

void rs_mpu_list_result_free(rs_mpu_list_result_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->items && i < r->n; i++)
        free(r->items[i].key);
    free(r->items);
    r->items = NULL;
    r->n = 0;
}
