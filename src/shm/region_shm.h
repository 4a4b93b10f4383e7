/*
 * region_shm.h: the ABI of the shared region's header and worker slots.
 * Runs in: master (writes the header once, before any fork; later only slot state
 * DEAD), workers (their own slot; read others' pin tables).
 * Everything is addressed by offsets from the region base; no pointers are stored.
 */
#ifndef RS_REGION_SHM_H
#define RS_REGION_SHM_H

#include <stdint.h>

#include "shm/lock.h"

#define RS_SHM_MAGIC 0x52535348u /* "RSSH" */
#define RS_SHM_VERSION 2u        /* 2: multipart uploads (upload table after the arena) */

enum rs_region_state { RS_REGION_INIT = 0, RS_REGION_READY = 1, RS_REGION_POISONED = 2 };

/* Chunk owner tags (one 32-bit word per 512-byte unit, only a chunk's first unit counts):
 * 0 free; a slot tag (below 0x40100000) = being written by that worker incarnation;
 * RS_TAG_DATA | unit-of-head = data chunk of the extent whose head chunk is that unit
 * (its liveness is its head's); LIVE / RETIRED = state of an extent head. */
#define RS_TAG_FREE 0u
#define RS_TAG_DATA 0x80000000u
#define RS_TAG_DATA_MASK 0x3fffffffu
#define RS_TAG_RETIRED 0xfffffffdu
#define RS_TAG_LIVE 0xfffffffeu
#define RS_MAX_SLOTS 1024u
#define RS_SLOT_TAG(slot, inc) ((((uint32_t)(slot) + 1u) << 20) | ((uint32_t)(inc)&0xfffffu))
#define RS_TAG_IS_SLOT(t) ((t) != 0 && (t) < 0x40100000u)
/* RS_TAG_PART | upload index: a chunk held by an open multipart upload (a part head not
 * yet in an object, a part-map page, the upload's manifest). Only a holder of that
 * upload's lock creates this tag. */
#define RS_TAG_PART 0xc0000000u
#define RS_TAG_PART_MASK 0x00ffffffu
#define RS_TAG_IS_PART(t) (((t)&0xff000000u) == RS_TAG_PART)

enum rs_slot_state { RS_SLOT_UNUSED = 0, RS_SLOT_ASSIGNED, RS_SLOT_ACTIVE, RS_SLOT_DEAD };

#define RS_PINS_PER_SLOT 256u

/* One worker slot. Written only by the worker that attached it while it lives; after the
 * master stored DEAD, only by the successor attaching the same index. No lock. */
typedef struct rs_slot_shm {
    uint32_t state;       /* rs_slot_state: owner worker; master stores DEAD (atomic) */
    int32_t pid;          /* owner worker */
    uint32_t incarnation; /* owner worker, bumped after cleanup in attach */
    uint32_t owned_cap;   /* master at init: entries in owned[] */
    uint64_t heartbeat;   /* owner worker, rs_store_tick */
    uint64_t owned_off;   /* master at init: region offset of uint64_t owned[owned_cap] */
    uint64_t pins_off;    /* master at init: region offset of uint64_t pins[RS_PINS_PER_SLOT] */
    uint32_t pin_hint;    /* owner worker: where to look for a free pin entry */
    uint32_t pad_;
    uint8_t line_pad_[16];
} __attribute__((aligned(64))) rs_slot_shm_t;
_Static_assert(sizeof(rs_slot_shm_t) == 64, "slot header is one cache line");

/* Table of contents: offsets of the sub-areas (master at init, read-only after). */
typedef struct rs_shm_toc {
    uint64_t slots;       /* rs_slot_shm_t[nslots] */
    uint64_t slot_arrays; /* owned and pin arrays of every slot */
    uint64_t btab;        /* rs_btab_shm_t then rs_bucket_shm_t[nbuckets] */
    uint64_t shards;      /* rs_shard_shm_t[nshards] */
    uint64_t heads;       /* uint32_t hash heads, nheads per shard */
    uint64_t entries;     /* rs_entry_shm_t, eps per shard */
    uint64_t classes;     /* rs_class_shm_t[RS_NCLASS] */
    uint64_t pagetab;     /* rs_pagetab_shm_t then uint32_t page_class[npages] */
    uint64_t tags;        /* uint32_t tags[npages * RS_UNITS_PER_PAGE] */
    uint64_t arena;       /* npages pages of 1 MiB */
} rs_shm_toc_t;

typedef struct rs_shm_hdr {
    uint32_t magic;      /* master at init */
    uint32_t format;     /* master at init: version + layout sizes (rs_shm_format()) */
    uint64_t size;       /* master at init: bytes mapped */
    uint32_t generation; /* master at init (previous + 1) */
    uint32_t state;      /* rs_region_state: master at init; any worker stores POISONED */
    int32_t creator_pid; /* master at init */
    uint32_t nslots;     /* configuration, master at init */
    uint32_t nbuckets;
    uint32_t nshards;
    uint32_t shard_bits; /* log2(nshards) */
    uint32_t eps;        /* entries per shard (index 0 unused) */
    uint32_t eps_bits;   /* entry ref = shard << eps_bits | index */
    uint32_t nheads;     /* hash heads per shard, power of two */
    uint32_t npages;
    uint32_t max_chunks; /* data chunks of the largest object */
    uint64_t capacity;   /* blob arena bytes (npages MiB) */
    uint64_t max_object_size;
    uint32_t max_objects;
    uint32_t pad_;
    rs_shm_toc_t toc;
    /* statistics: atomic adds by any worker, no lock */
    uint64_t repairs;  /* repairs run (shard, list, class, bucket table, slot cleanup) */
    uint64_t poisoned; /* repairs that failed */
    /* v2: appended, so every v1 offset is unchanged (master at init) */
    uint64_t toc_uploads; /* rs_uptab_shm_t then rs_upload_shm_t[nuploads], after the arena */
    uint32_t nuploads;    /* the `s3_max_uploads` setting */
    /* 1 while the per-bucket usage counters may be off (a shard was repaired): set by
     * any shard repair, cleared by rs_store_recount once it holds every shard lock. Was padding
     * (zero) in files of earlier builds: a restart repairs every shard, which sets it. */
    uint32_t recount;
} rs_shm_hdr_t;

#endif
