/*
 * store_mpu.h: the store's multipart uploads (S3 CreateMultipartUpload .. Complete).
 * Runs in: workers (every function here locks shared memory); the master never calls it.
 *
 * An upload is a slot in a fixed table in the region (`s3_max_uploads` slots) holding the
 * key and metadata given at Create (a manifest extent) and a map from part number to a
 * part extent. Parts are ordinary immutable extents; Complete publishes the object as one
 * head listing its parts (no byte is copied), atomically: whole or not at all, with the
 * upload gone exactly when the object is there. Abort, and the bucket's deletion, free
 * every part. Every step survives a SIGKILL (intent + repair, as a PUT) and, with a data
 * directory, a restart: the upload id stays valid.
 * Every function returns 0 or a negative rs_err_t.
 */
#ifndef RS_STORE_MPU_H
#define RS_STORE_MPU_H

#include "rs/store.h"

#define RS_MPU_MAX_PARTS 10000
#define RS_UPLOAD_ID_LEN 32 /* hex: idx(8) gen(8) rand(16) */

/* Names one upload life: the table index, its generation, and a random secret. */
typedef struct rs_upload_id {
    uint32_t idx, gen;
    uint64_t rand;
} rs_upload_id_t;

/* 32 lower-case hex characters and a NUL. */
void rs_upload_id_format(rs_upload_id_t id, char out[RS_UPLOAD_ID_LEN + 1]);
/* RS_EINVAL unless exactly the format above (then no upload can have it: NoSuchUpload). */
int rs_upload_id_parse(const char *s, size_t n, rs_upload_id_t *out);

typedef struct rs_mpu_create {
    const rs_bucket_t *bucket;
    const char *key;
    size_t key_len;
    const uint8_t *meta;   /* S3 layer's encoding; becomes the object's meta at Complete */
    size_t meta_len;       /* <= RS_MAX_META */
    uint8_t checksum_alg;  /* RS_CKSUM_*: x-amz-checksum-algorithm, or NONE */
    uint8_t checksum_type; /* RS_CKSUM_TYPE_* */
    uint8_t storage_class;
    int64_t now_ms; /* Initiated */
} rs_mpu_create_t;

/* RS_ENOENT bucket gone; RS_ENOUPLOADS table full; RS_ENOSPC. */
int rs_mpu_create(rs_store_t *st, const rs_mpu_create_t *c, rs_upload_id_t *out);

/* Every call below names the upload by (bucket, key, id): any mismatch, or an upload
 * completed or aborted, is RS_ENOUPLOAD. */
typedef struct rs_mpu_ref {
    const rs_bucket_t *bucket;
    const char *key;
    size_t key_len;
    rs_upload_id_t id;
} rs_mpu_ref_t;

typedef struct rs_mpu_part_put {
    rs_mpu_ref_t up;
    uint32_t number; /* 1..RS_MPU_MAX_PARTS (the S3 layer checks the range) */
    const struct iovec *data;
    size_t data_iovcnt;
    rs_obj_info_t info; /* the part's size, mtime, MD5 (etag) and checksum, kept verbatim */
} rs_mpu_part_put_t;

/* UploadPart / UploadPartCopy: replaces an earlier part of the same number. RS_ETOOBIG
 * over s3_max_object_size per part; RS_ENOSPC; RS_ENOUPLOAD. */
int rs_mpu_part_put(rs_store_t *st, const rs_mpu_part_put_t *p);

typedef struct rs_mpu_info {
    rs_obj_info_t info; /* checksum_alg, checksum_type, storage_class; mtime_ms = Initiated */
    uint8_t *meta;      /* malloc'd copy; rs_mpu_info_free */
    size_t meta_len;
    uint32_t nparts; /* parts uploaded so far */
} rs_mpu_info_t;
int rs_mpu_get(rs_store_t *st, const rs_mpu_ref_t *up, rs_mpu_info_t *out);
void rs_mpu_info_free(rs_mpu_info_t *info);

typedef struct rs_mpu_part_info {
    uint32_t number;
    rs_obj_info_t info;
} rs_mpu_part_info_t;
/* ListParts: parts numbered > `after`, ascending, at most `max` into out[max];
 * *truncated when more follow. */
int rs_mpu_list_parts(rs_store_t *st, const rs_mpu_ref_t *up, uint32_t after, size_t max,
                      rs_mpu_part_info_t *out, size_t *n, int *truncated);

/* AbortMultipartUpload: frees every part. RS_ENOUPLOAD. */
int rs_mpu_abort(rs_store_t *st, const rs_mpu_ref_t *up);

/* What the client listed in CompleteMultipartUpload. */
typedef struct rs_mpu_listed {
    uint32_t number;
    uint8_t etag[16];
} rs_mpu_listed_t;

/* Called by Complete, under the upload's lock, with the listed parts' stored facts in the
 * listed order, to check per-part checksums and compute the object's facts (MD5 of MD5s,
 * parts = n, the COMPOSITE or FULL_OBJECT checksum). Returns 0, or a negative rs_err_t
 * (RS_EBADPART with *bad = index of the offending part) that Complete returns unchanged.
 * Must not lock or block. */
typedef int rs_mpu_summarise_fn(void *arg, const rs_mpu_part_info_t *parts, size_t n,
                                rs_obj_info_t *object, size_t *bad);

typedef struct rs_mpu_complete {
    rs_mpu_ref_t up;
    const rs_mpu_listed_t *parts; /* as listed by the client */
    size_t nparts;
    uint64_t min_part_size; /* every part but the last (5 MiB in S3) */
    rs_put_cond_t cond;     /* If-None-Match: *, If-Match */
    int64_t now_ms;         /* the object's Last-Modified */
    rs_mpu_summarise_fn *summarise;
    void *arg;
    /* out */
    rs_obj_info_t info; /* the published object's facts */
    size_t bad;         /* RS_EBADPART / RS_ETOOSMALL: index into parts */
} rs_mpu_complete_t;

/* Checks, in AWS's order: RS_EPARTORDER (not strictly ascending), RS_EBADPART (a listed
 * part missing or its MD5 differs), RS_ETOOSMALL (a part but the last under
 * min_part_size), the summarise verdict, then the conditions (RS_EPRECOND, RS_ENOENT for
 * If-Match on an absent key). On any error the upload is untouched and stays open.
 * Unlisted parts are freed. */
int rs_mpu_complete(rs_store_t *st, rs_mpu_complete_t *c);

typedef struct rs_mpu_list_query {
    const char *prefix;
    size_t prefix_len;
    const char *delim; /* NULL or "": none */
    size_t delim_len;
    const char *key_marker; /* NULL: from the start */
    size_t key_marker_len;
    int has_id_marker; /* with key_marker: uploads of that key after id_marker */
    rs_upload_id_t id_marker;
    size_t max_uploads;
} rs_mpu_list_query_t;

typedef struct rs_mpu_list_item {
    char *key; /* the key, or a common prefix when is_prefix */
    size_t key_len;
    int is_prefix;
    rs_upload_id_t id;
    rs_obj_info_t info; /* as rs_mpu_info_t.info */
} rs_mpu_list_item_t;

typedef struct rs_mpu_list_result {
    rs_mpu_list_item_t *items; /* ordered by key, then initiation time */
    size_t n;
    int truncated;
} rs_mpu_list_result_t;

/* ListMultipartUploads of one bucket. */
int rs_mpu_list(rs_store_t *st, const rs_bucket_t *b, const rs_mpu_list_query_t *q,
                rs_mpu_list_result_t *out);
void rs_mpu_list_result_free(rs_mpu_list_result_t *r);

/* ---- reading a multipart object (a view from rs_obj_get with info.parts > 0) ----- */

/* The byte range and stored facts of part `number` (1-based position in the completed
 * list, as S3's partNumber). RS_EINVAL when out of range. */
int rs_obj_view_part(rs_store_t *st, const rs_obj_view_t *v, uint32_t number, uint64_t *first,
                     uint64_t *last, rs_obj_info_t *part);

/* The bytes first..last (inclusive, last < info.size) of any view (plain or multipart) as
 * segments in shared memory, found in O(log parts + segments of the range): at most `cap`
 * written to out; returns how many the range spans (> cap: call again with more room).
 * 0 when the range is empty or out of bounds. */
size_t rs_obj_view_slice(rs_store_t *st, const rs_obj_view_t *v, uint64_t first, uint64_t last,
                         struct iovec *out, size_t cap);

#endif
