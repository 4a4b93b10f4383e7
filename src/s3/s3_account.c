/*
 * s3_account.c: drop every bucket of one account with its objects (the account-scoped
 * reset, POST /_ruststack/reset?account=...). Only the store's public API: the account's
 * buckets are listed, each emptied key by key (rs_obj_delete, crash-safe) and deleted
 * (rs_bucket_delete also removes the bucket's reserved keys: CORS, tags, uploads).
 * Runs in: workers (synchronous: shared memory only, no I/O).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "rs/err.h"
#include "rs/s3.h"

/* a page of keys per listing while a bucket is emptied */
#define PAGE 1000
/* rounds of "empty, then delete" a bucket gets while others keep writing into it */
#define ROUNDS 8

/* delete every key of b; *objects counts what went; 0 or an rs_err_t */
static int empty_bucket(rs_store_t *st, const rs_bucket_t *b, uint64_t *objects)
{
    for (;;) {
        rs_list_query_t q = {.max_items = PAGE};
        rs_list_result_t res;
        memset(&res, 0, sizeof(res));
        int rc = rs_obj_list(st, b, &q, &res);
        if (rc == RS_ENOENT)
            return 0; /* deleted meanwhile */
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < res.n; i++) {
            if (res.items[i].is_prefix)
                continue;
            rc = rs_obj_delete(st, b, res.items[i].key, res.items[i].key_len, NULL);
            if (rc == 0)
                (*objects)++;
            else if (rc != RS_ENOENT) {
                rs_list_result_free(&res);
                return rc;
            }
        }
        size_t n = res.n;
        rs_list_result_free(&res);
        if (n == 0)
            return 0;
    }
}

int rs_s3_drop_account(rs_store_t *st, const char *account, rs_s3_dropped_fn fn, void *arg,
                       uint64_t *objects)
{
    rs_bucket_t *v = NULL;
    size_t n = 0;
    *objects = 0;
    int rc = rs_bucket_list(st, account, &v, &n);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int drc = RS_ENOTEMPTY;
        for (int round = 0; round < ROUNDS && drc == RS_ENOTEMPTY; round++) {
            drc = empty_bucket(st, &v[i], objects);
            if (drc == 0)
                drc = rs_bucket_delete(st, v[i].name);
        }
        if (drc == 0 && fn != NULL)
            fn(arg, v[i].name);
        else if (drc != 0 && drc != RS_ENOENT)
            rc = drc; /* ENOENT: someone else deleted it first */
    }
    free(v);
    return rc;
}
