/*
 * store_shm.h: the ABI of the S3 store inside the shared region: bucket table, index
 * shards and entries, per-bucket skiplists, size classes, page pool and extent headers.
 * Runs in: master (zero-fill + mutex init before fork), workers (everything else).
 */
#ifndef RS_STORE_SHM_H
#define RS_STORE_SHM_H

#include <stdint.h>
#include <sys/uio.h> /* rs/store.h uses struct iovec without including it */

#include "rs/store.h"
#include "shm/lock.h"

#define RS_SKIP_LEVELS 16 /* max skiplist height (p = 1/4: fine far beyond 10^9 keys) */
#define RS_PAGE_SHIFT 20
#define RS_PAGE_SIZE (1u << RS_PAGE_SHIFT)
#define RS_UNIT_SHIFT 9 /* smallest chunk 512 B */
#define RS_UNITS_PER_PAGE (RS_PAGE_SIZE >> RS_UNIT_SHIFT)
#define RS_NCLASS (RS_PAGE_SHIFT - RS_UNIT_SHIFT + 1) /* 512 B .. 1 MiB */

/* ---- bucket table (one robust mutex) ---- */
enum { RS_BK_FREE = 0, RS_BK_ACTIVE = 1, RS_BK_DELETING = 2 };
enum { RS_BOP_NONE = 0, RS_BOP_DELETE = 1 };

typedef struct rs_btab_shm {
    rs_shm_mutex_t mu;    /* the bucket-table lock */
    uint32_t intent_op;   /* RS_BOP_*: under mu */
    uint32_t intent_id;   /* bucket id of the open intent: under mu */
    uint32_t intent_step; /* DELETE: 2 once the bucket is known empty (rolled forward) */
    uint8_t pad_[52];
} rs_btab_shm_t;
_Static_assert(sizeof(rs_btab_shm_t) % 64 == 0, "btab header padding");

typedef struct rs_bucket_shm {
    rs_shm_mutex_t list_mu;            /* this bucket's skiplist lock */
    uint32_t state;                    /* RS_BK_*: under btab mu (atomic stores; read lock-free) */
    uint32_t gen;                      /* under btab mu, bumped before state becomes ACTIVE */
    int64_t created_ms;                /* under btab mu while FREE */
    char name[RS_MAX_BUCKET_NAME + 1]; /* under btab mu while FREE */
    char account[RS_ACCOUNT_LEN + 1 + 3]; /* under btab mu while FREE */
    char region[RS_MAX_REGION + 1];       /* under btab mu while FREE */
    uint32_t head[RS_SKIP_LEVELS];        /* skiplist heads (entry refs): under list_mu */
    uint32_t count;                       /* linked nodes (hint, recounted by list repair) */
    uint32_t pad_;
    /* usage (in what was the padding: zero in older files, recounted at restart): objects and their
     * bytes, atomic adds at each linearisation point under the key's shard lock; recomputed under
     * every shard lock by rs_store_recount after any shard repair (usage.c). Reset while FREE under
     * btab mu. */
    uint64_t objects;
    uint64_t bytes;
} __attribute__((aligned(64))) rs_bucket_shm_t;
_Static_assert(sizeof(rs_bucket_shm_t) % 64 == 0, "bucket entries are cache-line padded");

/* ---- index shard ---- */
enum { RS_OP_NONE = 0, RS_OP_PUT = 1, RS_OP_DEL = 2 };
enum { RS_ENT_FREE = 0, RS_ENT_LIVE = 1, RS_ENT_MARK = 2 /* transient in repair */ };

typedef struct rs_intent_shm {
    uint32_t op;        /* RS_OP_*: under the shard lock; written last when opening */
    uint32_t step;      /* 1 = before the linearisation point, 2 = after */
    uint32_t entry;     /* entry index within the shard */
    uint32_t gen;       /* entry generation before the operation */
    uint32_t owner_tag; /* slot tag of the writer (its new extent's chunks carry it) */
    uint32_t is_new;    /* PUT created the entry */
    uint64_t old_blob;  /* extent the entry held before (0: none) */
    uint64_t new_blob;  /* extent being published (0 for DEL) */
    uint32_t bucket_id; /* bucket of the entry (its skiplist) */
    uint32_t pad_;
} rs_intent_shm_t;

typedef struct rs_shard_shm {
    rs_shm_mutex_t mu;      /* the shard lock */
    uint32_t seq;           /* under mu: odd while a mutation is in progress */
    uint32_t count;         /* under mu: LIVE entries (recounted by repair) */
    uint32_t bump;          /* under mu: next never-used entry index (starts at 1) */
    uint32_t free_head;     /* under mu: free entry list through hnext (0 = empty) */
    rs_intent_shm_t intent; /* under mu */
} __attribute__((aligned(64))) rs_shard_shm_t;
_Static_assert(sizeof(rs_shard_shm_t) == 128, "shard is two cache lines");

typedef struct rs_entry_shm {
    uint32_t state;      /* RS_ENT_*: under shard lock */
    uint32_t gen;        /* under shard lock: bumped by every publication */
    uint32_t bucket_id;  /* under shard lock while not in the hash */
    uint32_t bucket_gen; /* idem */
    uint32_t hnext;      /* under shard lock: hash chain / free list (entry index) */
    uint32_t hash;       /* key hash (bucket + key), immutable while linked */
    uint16_t key_len;    /* immutable while linked */
    uint8_t height;      /* skiplist height 1..RS_SKIP_LEVELS, from hash */
    uint8_t pad_;
    uint32_t pad2_;
    uint64_t blob; /* the truth: extent head offset; one aligned store (shard lock) */
    uint32_t next[RS_SKIP_LEVELS]; /* skiplist links (entry refs): under the list lock */
    char key[RS_MAX_KEY];          /* immutable while linked */
} __attribute__((aligned(8))) rs_entry_shm_t;
_Static_assert(sizeof(rs_entry_shm_t) == 40 + 4 * RS_SKIP_LEVELS + RS_MAX_KEY, "entry layout");
_Static_assert(sizeof(rs_entry_shm_t) % 8 == 0, "entry blob offset stays 8-aligned");

/* ---- blob arena ---- */
typedef struct rs_class_shm {
    rs_shm_mutex_t mu;  /* class lock: claims, reclaim of this class's heads, page release */
    uint32_t hint_page; /* under mu: where the claim scan resumes */
    uint32_t hint_unit;
    uint64_t used; /* chunks not free (atomic adds; recounted by class repair) */
    uint8_t pad_[48];
} __attribute__((aligned(64))) rs_class_shm_t;
_Static_assert(sizeof(rs_class_shm_t) == 128, "class is two cache lines");

typedef struct rs_pagetab_shm {
    rs_shm_mutex_t mu; /* page pool lock (nested inside a class lock) */
    uint32_t hint;     /* under mu */
    uint8_t pad_[60];
    /* followed by uint32_t page_class[npages]: 0 = unassigned, else class + 1;
     * changed under the owning class lock AND mu */
} rs_pagetab_shm_t;
_Static_assert(sizeof(rs_pagetab_shm_t) == 128, "page table header layout");

#define RS_EXT_MAGIC 0x52534558u /* "RSEX" */

/* Header at the start of every extent's head chunk. Written by the owning worker while
 * the chunk is tagged with its slot tag; `entry_ref`/`entry_gen` under the shard lock. */
typedef struct rs_ext_hdr {
    uint32_t magic;      /* RS_EXT_MAGIC, written last by the owner when the header is done */
    uint32_t head_class; /* class of this head chunk */
    uint32_t entry_ref;  /* back-reference: shard << eps_bits | index */
    uint32_t entry_gen;  /* generation the entry has once this extent is published */
    uint32_t key_len;    /* owner, before publication; immutable afterwards */
    uint32_t meta_len;   /* idem */
    uint32_t nchunks;    /* data chunks (0: bytes inline after the header area) */
    uint32_t kind;       /* RS_EXT_*: owner, before magic */
    uint64_t size;       /* object bytes (owner, before publication) */
    rs_obj_info_t info;  /* verbatim from the PUT (owner, before publication) */
    /* then: key, meta, (8-aligned) uint64_t chunk offsets[nchunks], inline bytes */
} rs_ext_hdr_t;
_Static_assert(sizeof(rs_obj_info_t) == 72, "rs_obj_info_t layout");

/* Extent kinds. PART: a multipart part (key_len = meta_len = 0; entry_ref/entry_gen hold
 * the upload's index and generation); MANIFEST: an upload's key + meta, no bytes, info =
 * the upload's facts; COMPOSITE: a completed multipart object: key + meta, nchunks = 0,
 * and at rs_ext_chunks() an rs_mpu_body_t then nparts rs_mpu_pref_t (no bytes). */
enum { RS_EXT_PLAIN = 0, RS_EXT_PART = 1, RS_EXT_MANIFEST = 2, RS_EXT_COMPOSITE = 3 };

typedef struct rs_mpu_body {
    uint32_t nparts, upload, upload_gen, pad_;
} rs_mpu_body_t;
typedef struct rs_mpu_pref {
    uint64_t head;   /* RS_EXT_PART head (tag DATA | composite unit while published) */
    uint64_t end;    /* cumulative end offset (exclusive) */
    uint32_t number; /* part number as uploaded */
    uint32_t pad_;
} rs_mpu_pref_t;
_Static_assert(sizeof(rs_mpu_pref_t) == 24, "part reference layout");

/* ---- multipart upload table (after the arena; one robust mutex per upload) ---- */
enum { RS_UP_FREE = 0, RS_UP_OPEN = 1, RS_UP_CLOSING = 2 };
enum { RS_UOP_NONE = 0, RS_UOP_CREATE, RS_UOP_PART, RS_UOP_COMPLETE, RS_UOP_ABORT };
#define RS_UP_PAGE_CLASS 2u  /* a part-map page is one 2 KiB chunk ... */
#define RS_UP_PAGE_PARTS 256 /* ... of 256 part head offsets */
#define RS_UP_MAP_PAGES 40   /* 40 x 256 >= RS_MPU_MAX_PARTS */

typedef struct rs_up_intent_shm { /* under the upload's mu */
    uint32_t op;                  /* RS_UOP_*: stored last when opening */
    uint32_t step;                /* COMPLETE: 1 before the linearisation, 2 after (S held) */
    uint32_t owner_tag;           /* writer's slot tag */
    uint32_t part;                /* PART: its number; COMPLETE: FIRST listed part number */
    uint64_t new_head;            /* CREATE: manifest; PART: new part; COMPLETE: composite */
    uint64_t old_head;            /* PART: part replaced (0 none) */
    uint64_t new_page;            /* PART: map page being installed (0 none) */
    uint32_t shard, gen;          /* COMPLETE: the key's shard */
} rs_up_intent_shm_t;
_Static_assert(sizeof(rs_up_intent_shm_t) == 48, "upload intent layout");

typedef struct rs_upload_shm {
    rs_shm_mutex_t mu;              /* U: this upload's lock */
    uint32_t state;                 /* RS_UP_*: under mu, atomic stores; read lock-free */
    uint32_t gen;                   /* under mu: bumped by CREATE before OPEN */
    uint32_t bucket_id, bucket_gen; /* under mu */
    uint64_t rand;                  /* under mu: secret part of the upload id */
    uint64_t manifest;              /* under mu: MANIFEST head (tag PART | index) */
    int64_t created_ms;             /* under mu */
    uint32_t key_hash;              /* rs_key_hash(bucket, key): listing filter */
    uint32_t nparts;                /* under mu: non-zero map entries (recounted by repair) */
    uint64_t map[RS_UP_MAP_PAGES];  /* under mu: offsets of map pages, 0 = none */
    rs_up_intent_shm_t intent;      /* under mu */
} __attribute__((aligned(64))) rs_upload_shm_t;
_Static_assert(sizeof(rs_upload_shm_t) % 64 == 0, "upload slots are cache-line padded");

typedef struct rs_uptab_shm {
    uint32_t hint; /* atomic, no lock: where Create's scan for a FREE slot starts */
    uint32_t pad_[15];
} rs_uptab_shm_t;
_Static_assert(sizeof(rs_ext_hdr_t) == 112, "extent header layout");

#endif
