/*
 * store.h: the public API of the crash-safe S3 store in POSIX shared memory (or, with a
 * data directory, in a file mapped shared: rs_store_open_dir).
 * Runs in: the master creates the region (rs_store_create) and never locks it; workers
 * attach a slot and do everything else. The layout lives in *_shm.h files under src/shm
 * and src/store; nothing outside the store sees offsets or locks.
 *
 * Objects are immutable extents (a header with the S3 metadata, then the bytes) published
 * into a sharded key index by one aligned store of an offset. A reader pins the extent it
 * streams; rs_obj_release drops the pin. Every function returns 0 or a negative rs_err_t.
 */
#ifndef RS_STORE_H
#define RS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define RS_MAX_KEY 1024       /* S3's key limit in bytes */
#define RS_MAX_BUCKET_NAME 63 /* S3's bucket name limit */
#define RS_ACCOUNT_LEN 12     /* 12-digit account id */
#define RS_MAX_REGION 31
#define RS_MAX_META 16384 /* opaque per-object metadata blob (headers, user meta) */
/* A key whose first byte is 0xFF is reserved for the S3 layer's bucket configurations
 * (CORS, tagging): no client key can start with it (keys are UTF-8). It sorts after every
 * other key; listings stop there and DeleteBucket counts the bucket empty when only
 * reserved keys are left, and removes them with the bucket. */
#define RS_RESERVED_KEY_BYTE 0xFF

typedef struct rs_store rs_store_t; /* process-local handle (base address, slot, tag) */

typedef struct rs_store_conf {
    uint64_t capacity_bytes;  /* blob arena size: the `s3_capacity` setting */
    uint32_t max_objects;     /* index entries in all: the `s3_max_objects` setting */
    uint32_t max_buckets;     /* bucket table size: the `s3_max_buckets` setting */
    uint32_t shards;          /* index shards, power of two >= 4; 0 = 4 x max_workers rounded */
    uint32_t max_workers;     /* worker slots */
    uint64_t max_object_size; /* largest single object: the `s3_max_object_size` setting */
    uint32_t max_uploads;     /* multipart upload table: `s3_max_uploads`; 0 = 10000 */
} rs_store_conf_t;

#define RS_DEFAULT_MAX_UPLOADS 10000u

/* ---- durability (the `s3_durability` setting; file-backed stores only) ------------ */
enum { RS_DUR_STOP = 0, RS_DUR_INTERVAL = 1, RS_DUR_ALWAYS = 2 };
/* Master, before any fork: RS_DUR_ALWAYS makes every mutating call below durable before
 * it returns (range msync: data first, index last). RS_EINVAL for a store in shm. */
int rs_store_set_durability(rs_store_t *st, int mode);
int rs_store_durability(const rs_store_t *st);
/* msync(MS_SYNC) of the whole mapping (the `interval` timer; a no-op in shm). */
int rs_store_sync(rs_store_t *st);

/* ---- life cycle ---------------------------------------------------------------- */

/* Master, before any fork: create (replacing a stale region of the same name whose
 * creator is dead) and initialise the region. `name` is a POSIX shm name ("/rs-4566"). */
int rs_store_create(const char *name, const rs_store_conf_t *conf, rs_store_t **out);
/* Master, before any fork, when `data_dir` is set (dir = <data_dir>/s3, created if
 * absent): the region is the file <dir>/store.region mapped MAP_SHARED, so it outlives
 * any process death; <dir>/lock stays flocked (and holds the pid) for the life of the
 * handle. An existing file must match the configuration; every process of its previous
 * run is known dead, so every slot is cleaned and every repair run, then the full check.
 * On failure `why` names the reason (the setting and the file): RS_EEXIST another instance
 * holds the directory, RS_EINVAL the file does not fit the configuration, RS_EPOISON the
 * restart check failed (the file is kept), RS_ENOSPC no room for a new file. */
int rs_store_open_dir(const char *dir, const rs_store_conf_t *conf, rs_store_t **out, char *why,
                      size_t why_len);
/* Master at exit: unmap and shm_unlink (a file-backed region: msync, unmap, keep the file,
 * release the directory lock). Never takes a lock. */
void rs_store_destroy(rs_store_t *st, int unlink_region);
/* Master: mark a reaped worker's slot DEAD (one atomic store; the only master write). */
void rs_store_slot_mark_dead(rs_store_t *st, unsigned slot);

/* Worker, after fork (the mapping is inherited): take slot `slot` with a new incarnation.
 * First cleans up whatever a dead predecessor in that slot owned or pinned. */
int rs_store_attach(rs_store_t *st, unsigned slot);
/* Worker at orderly exit: drop pins, mark the slot ASSIGNED. */
void rs_store_detach(rs_store_t *st);
/* Worker loop tick: bump the heartbeat and run a bounded reclamation step. */
void rs_store_tick(rs_store_t *st);

/* Usage figures for health/metrics (lock-free reads of counters; approximate). */
typedef struct rs_store_stats {
    uint64_t capacity_bytes, used_bytes;
    uint32_t max_objects, objects;
    uint32_t max_buckets, buckets;
    uint64_t repairs, poisoned;
    uint32_t generation;
    uint32_t max_uploads, uploads; /* multipart uploads in progress */
} rs_store_stats_t;
void rs_store_stats(rs_store_t *st, rs_store_stats_t *out);

/* ---- per-account usage and quotas (usage.c) ---------------------------------- */

/* Objects and object bytes of one account (the sum over its buckets; a completed
 * multipart object counts once with its whole size; parts of open uploads do not count). */
typedef struct rs_usage {
    uint64_t objects, bytes;
} rs_usage_t;
/* Worker, after attach: this process refuses a PutObject / Complete / Copy that would take
 * its account over `max_objects` objects or `max_bytes` bytes (0 = unlimited) with
 * RS_EQUOTA. Checked under the key's shard lock: concurrent writes of one account through
 * different shards may each pass the check, so the limit can be overshot by at most one
 * object per concurrent writer. */
void rs_store_set_quota(rs_store_t *st, uint64_t max_objects, uint64_t max_bytes);
/* Lock-free read of an account's usage (exact when no write is in flight). */
void rs_store_account_usage(rs_store_t *st, const char *account, rs_usage_t *out);
/* When a shard repair left the counters in doubt (hdr recount flag): take every shard
 * lock in order, recompute every bucket's counters from the index, clear the flag. A
 * no-op otherwise. Workers call it from their tick. 0 or an error of rs_lock_shard. */
int rs_store_recount(rs_store_t *st);
/* Tests: the usage counters equal a recount from the index (no write in flight). */
int rs_store_usage_check(rs_store_t *st, char *why, size_t why_len);

/* Empty every bucket and object and abort every multipart upload (POST /_ruststack/reset). */
int rs_store_reset(rs_store_t *st);

/* Full invariant check of every shard, class and the bucket table (tests, crash tests,
 * stress test). Returns 0 when clean; otherwise RS_EPOISON and a reason in `why`. */
int rs_store_check(rs_store_t *st, char *why, size_t why_len);

/* ---- buckets ------------------------------------------------------------------- */

typedef struct rs_bucket {
    uint32_t id;  /* table index */
    uint32_t gen; /* bumped every time the id is reused: (id, gen) names one bucket life */
    char name[RS_MAX_BUCKET_NAME + 1];
    char account[RS_ACCOUNT_LEN + 1];
    char region[RS_MAX_REGION + 1];
    int64_t created_ms; /* creation time, ms since the epoch */
} rs_bucket_t;

/* RS_EEXIST: the same account owns it (out is filled); RS_EOWNER: another account owns
 * it (out filled); RS_ENOBUCKETS: table full. */
int rs_bucket_create(rs_store_t *st, const char *account, const char *name, const char *region,
                     rs_bucket_t *out);
/* RS_ENOENT when absent. */
int rs_bucket_lookup(rs_store_t *st, const char *name, rs_bucket_t *out);
/* RS_ENOENT, RS_ENOTEMPTY. Safe against concurrent PUTs: no object lands in a deleted
 * bucket. Reserved keys (RS_RESERVED_KEY_BYTE) do not make a bucket non-empty: they are
 * deleted (each through the crash-safe delete path) before the bucket is freed; a crash
 * in between leaves the bucket ACTIVE with some of them gone. */
int rs_bucket_delete(rs_store_t *st, const char *name);
/* The buckets of `account` (NULL: all), sorted by name. *out is malloc'd; caller frees. */
int rs_bucket_list(rs_store_t *st, const char *account, rs_bucket_t **out, size_t *n);

/* ---- objects ------------------------------------------------------------------- */

enum {
    RS_CKSUM_NONE = 0,
    RS_CKSUM_CRC32,
    RS_CKSUM_CRC32C,
    RS_CKSUM_CRC64NVME,
    RS_CKSUM_SHA1,
    RS_CKSUM_SHA256
};

/* Fixed per-object facts the store itself needs (listing, conditions). */
typedef struct rs_obj_info {
    uint64_t size;
    int64_t mtime_ms;      /* last modified, ms since the epoch */
    uint8_t etag[16];      /* MD5 of the bytes */
    uint8_t checksum_alg;  /* RS_CKSUM_* */
    uint8_t checksum_len;  /* bytes used in checksum[] */
    uint8_t storage_class; /* index into the S3 layer's storage-class table; 0 = STANDARD */
    uint8_t checksum_type; /* RS_CKSUM_TYPE_* */
    uint8_t checksum[32];  /* raw big-endian digest */
    uint32_t parts;        /* 0: PUT or copy; N: completed from N parts (ETag "hex-N") */
} rs_obj_info_t;

enum { RS_CKSUM_TYPE_FULL_OBJECT = 0, RS_CKSUM_TYPE_COMPOSITE = 1 };

/* Write conditions, checked atomically inside the shard critical section. */
typedef struct rs_put_cond {
    int if_none_match_star; /* fail RS_EPRECOND if the key exists */
    int has_if_match;       /* fail RS_ENOENT if absent, RS_EPRECOND if etag differs */
    uint8_t if_match[16];
    uint32_t if_match_parts; /* the "-N" of a multipart ETag; 0 for a plain one */
} rs_put_cond_t;

typedef struct rs_obj_put {
    const rs_bucket_t *bucket; /* from rs_bucket_lookup; RS_ENOENT if deleted since */
    const char *key;
    size_t key_len;
    const uint8_t *meta;      /* opaque blob stored with the object (S3 layer's encoding) */
    size_t meta_len;          /* <= RS_MAX_META */
    const struct iovec *data; /* the bytes, possibly in pieces */
    size_t data_iovcnt;
    rs_obj_info_t info; /* size must equal the sum of data; the store keeps it verbatim */
    rs_put_cond_t cond;
} rs_obj_put_t;

/* Allocate, copy (no lock held), publish. All or nothing: on any error the previous
 * object under that key is untouched. RS_ENOSPC / RS_ENOENTRIES when full, RS_ETOOBIG,
 * RS_ENOENT (bucket gone, or If-Match on absent key), RS_EPRECOND. */
int rs_obj_put(rs_store_t *st, const rs_obj_put_t *put);

/* A pinned, immutable view of one object. Valid until rs_obj_release. */
typedef struct rs_obj_view {
    rs_obj_info_t info;
    const uint8_t *meta;
    size_t meta_len;
    /* the bytes, as nseg contiguous segments in shared memory */
    size_t nseg;
    const struct iovec *seg; /* points into the view's own storage */
    /* private to the store */
    uint64_t off_;
    uint32_t pin_;
    struct iovec seg1_;
    struct iovec *segv_;
} rs_obj_view_t;

/* RS_ENOENT when absent. On success the extent is pinned: call rs_obj_release. */
int rs_obj_get(rs_store_t *st, const rs_bucket_t *bucket, const char *key, size_t key_len,
               rs_obj_view_t *out);
void rs_obj_release(rs_store_t *st, rs_obj_view_t *view);

/* Remove a key. RS_ENOENT when it was absent (S3 still answers 204). If `if_match` is
 * non-NULL the delete only happens when the etag matches (RS_EPRECOND otherwise). */
int rs_obj_delete(rs_store_t *st, const rs_bucket_t *bucket, const char *key, size_t key_len,
                  const uint8_t *if_match);

/* ---- listing ------------------------------------------------------------------- */

typedef struct rs_list_item {
    char *key; /* the key, or the common prefix when is_prefix */
    size_t key_len;
    int is_prefix;
    rs_obj_info_t info; /* objects only */
} rs_list_item_t;

typedef struct rs_list_query {
    const char *after; /* start strictly after this (marker, start-after, token); NULL: start */
    size_t after_len;
    const char *prefix;
    size_t prefix_len;
    const char *delim; /* NULL or "" for none */
    size_t delim_len;
    size_t max_items; /* objects + common prefixes on the page; 0 = empty page */
} rs_list_query_t;

typedef struct rs_list_result {
    rs_list_item_t *items; /* in key order; common prefixes interleaved in order */
    size_t n;
    int truncated; /* more items follow the last one */
} rs_list_result_t;

/* Keys in UTF-8 byte order, without scanning the whole bucket: cost is O(log n + page).
 * Reserved keys (first byte RS_RESERVED_KEY_BYTE) are never listed.
 * A key whose common prefix (under prefix/delim) is <= `after` is skipped, so resuming
 * after a common prefix skips its whole group. */
int rs_obj_list(rs_store_t *st, const rs_bucket_t *bucket, const rs_list_query_t *q,
                rs_list_result_t *out);
void rs_list_result_free(rs_list_result_t *res);

#endif
