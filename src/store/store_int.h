/*
 * store_int.h: the store's process-local handle and internal helpers (src/store only).
 * Runs in: master (create/destroy) and workers.
 */
#ifndef RS_STORE_INT_H
#define RS_STORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "rs/err.h"
#include "rs/store.h"
#include "shm/crashpoint.h"
#include "shm/lock.h"
#include "shm/region_shm.h"
#include "shm/slot.h"
#include "store/store_shm.h"

struct rs_store {
    uint8_t *base;     /* mapping address */
    rs_shm_hdr_t *hdr; /* == base */
    uint64_t size;
    int slot;     /* attached slot or -1 */
    uint32_t tag; /* RS_SLOT_TAG(slot, incarnation) while attached */
    uint32_t reclaim_cursor;
    char name[64];
    int lock_fd; /* file-backed (data_dir): the flocked <dir>/lock, else -1 */
    uint64_t quota_objects, quota_bytes; /* per-account limits of this process, 0 = none */
    /* s3_durability (durable.c): process-local, set by the master before any fork */
    int durability;       /* RS_DUR_* */
    char dur_shadow[256]; /* test hook: the disk image file */
};

/* A failed invariant check in repair or recovery: say why (in the caller's `why`,
 * `why_len`, when given) and return RS_EPOISON. */
#define RS_POISON(...)                                                                             \
    do {                                                                                           \
        if (why)                                                                                   \
            snprintf(why, why_len, __VA_ARGS__);                                                   \
        return RS_EPOISON;                                                                         \
    } while (0)

/* ---- addressing ---- */
static inline void *rs_at(rs_store_t *st, uint64_t off)
{
    return st->base + off;
}
static inline rs_btab_shm_t *rs_btab(rs_store_t *st)
{
    return rs_at(st, st->hdr->toc.btab);
}
static inline rs_bucket_shm_t *rs_bucket(rs_store_t *st, uint32_t id)
{
    return (rs_bucket_shm_t *)rs_at(st, st->hdr->toc.btab + sizeof(rs_btab_shm_t)) + id;
}
static inline rs_shard_shm_t *rs_shard(rs_store_t *st, uint32_t s)
{
    return (rs_shard_shm_t *)rs_at(st, st->hdr->toc.shards) + s;
}
static inline uint32_t *rs_heads(rs_store_t *st, uint32_t s)
{
    return (uint32_t *)rs_at(st, st->hdr->toc.heads) + (uint64_t)s * st->hdr->nheads;
}
static inline rs_entry_shm_t *rs_entry(rs_store_t *st, uint32_t s, uint32_t idx)
{
    return (rs_entry_shm_t *)rs_at(st, st->hdr->toc.entries) + (uint64_t)s * st->hdr->eps + idx;
}
static inline uint32_t rs_ref(rs_store_t *st, uint32_t s, uint32_t idx)
{
    return (s << st->hdr->eps_bits) | idx;
}
static inline uint32_t rs_ref_shard(rs_store_t *st, uint32_t ref)
{
    return ref >> st->hdr->eps_bits;
}
static inline uint32_t rs_ref_idx(rs_store_t *st, uint32_t ref)
{
    return ref & ((1u << st->hdr->eps_bits) - 1);
}
/* Entry by global ref; NULL if out of range (ref 0 of each shard is never used). */
rs_entry_shm_t *rs_entry_ref(rs_store_t *st, uint32_t ref);

static inline rs_class_shm_t *rs_class(rs_store_t *st, unsigned c)
{
    return (rs_class_shm_t *)rs_at(st, st->hdr->toc.classes) + c;
}
static inline rs_pagetab_shm_t *rs_pagetab(rs_store_t *st)
{
    return rs_at(st, st->hdr->toc.pagetab);
}
static inline uint32_t *rs_page_class(rs_store_t *st)
{
    return (uint32_t *)rs_at(st, st->hdr->toc.pagetab + sizeof(rs_pagetab_shm_t));
}
static inline uint32_t *rs_tags(rs_store_t *st)
{
    return rs_at(st, st->hdr->toc.tags);
}
static inline rs_uptab_shm_t *rs_uptab(rs_store_t *st)
{
    return rs_at(st, st->hdr->toc_uploads);
}
static inline rs_upload_shm_t *rs_upload(rs_store_t *st, uint32_t i)
{
    return (rs_upload_shm_t *)rs_at(st, st->hdr->toc_uploads + sizeof(rs_uptab_shm_t)) + i;
}
static inline uint64_t rs_chunk_size(unsigned c)
{
    return (uint64_t)1 << (RS_UNIT_SHIFT + c);
}

/* Chunk offset checks: in the arena and aligned to its class; unit index out. */
int rs_off_unit(rs_store_t *st, uint64_t off, uint32_t *unit);
/* The tag word of the chunk starting at `off` (must be valid). */
uint32_t *rs_tag_of(rs_store_t *st, uint64_t off);
/* The extent head at `off` if `off` is a valid, aligned chunk with an extent magic. */
rs_ext_hdr_t *rs_ext(rs_store_t *st, uint64_t off);
static inline uint64_t *rs_ext_chunks(rs_ext_hdr_t *h)
{
    uint64_t o = sizeof(rs_ext_hdr_t) + h->key_len + h->meta_len;
    return (uint64_t *)((uint8_t *)h + ((o + 7) & ~(uint64_t)7));
}
static inline uint8_t *rs_ext_inline(rs_ext_hdr_t *h)
{
    return (uint8_t *)(rs_ext_chunks(h) + h->nchunks);
}
/* A COMPOSITE extent's body and part references. */
static inline rs_mpu_body_t *rs_mpu_body(rs_ext_hdr_t *h)
{
    return (rs_mpu_body_t *)rs_ext_chunks(h);
}
static inline rs_mpu_pref_t *rs_mpu_prefs(rs_ext_hdr_t *h)
{
    return (rs_mpu_pref_t *)(rs_mpu_body(h) + 1);
}
static inline uint32_t rs_head_unit(rs_store_t *st, uint64_t head)
{
    return (uint32_t)((head - st->hdr->toc.arena) >> RS_UNIT_SHIFT);
}

/* ---- allocator (alloc.c) ---- */
int rs_class_for(uint64_t bytes);
/* Claim one chunk of class c for this slot (recorded in the owned list first). */
int rs_chunk_claim(rs_store_t *st, unsigned c, uint64_t *off);
/* Free one chunk tagged `expect` (CAS to 0); returns 1 if freed. */
int rs_chunk_free_cas(rs_store_t *st, uint64_t off, uint32_t expect);
/* Drop `off` from this slot's owned list. */
void rs_owned_drop(rs_store_t *st, uint64_t off);
/* Reclaim unpinned RETIRED extents of class c (and release empty pages). */
int rs_class_reclaim(rs_store_t *st, unsigned c);
void rs_reclaim_all(rs_store_t *st);
/* Free an unpublished extent this slot owns (head + data). */
void rs_extent_abandon(rs_store_t *st, uint64_t head);
/* Free a part extent whose head tag is `expect` (its data chunks first); a no-op when the
 * head no longer carries `expect`. Idempotent. */
void rs_part_free(rs_store_t *st, uint64_t head, uint32_t expect);
/* Tag transitions of a whole extent (repair + publish); kind-aware: a COMPOSITE's parts
 * go PART|upload -> DATA|head (make_live, head first) and back (rollback, head last). */
void rs_extent_make_live(rs_store_t *st, uint64_t head, uint32_t owner_tag);
void rs_extent_rollback(rs_store_t *st, uint64_t head, uint32_t owner_tag);
int rs_class_repair(void *arg);
int rs_page_repair(void *arg);

/* ---- locking helpers (repair.c) ---- */
int rs_lock_shard(rs_store_t *st, uint32_t s);
int rs_lock_list(rs_store_t *st, uint32_t bucket_id);
int rs_lock_btab(rs_store_t *st);
int rs_lock_class(rs_store_t *st, unsigned c);
void rs_store_poison(rs_store_t *st);
/* Bounded structural check of one shard (lock held); 0 or RS_EPOISON with reason. */
int rs_shard_check(rs_store_t *st, uint32_t s, char *why, size_t why_len);

/* ---- skiplist (skiplist.c; list lock held) ---- */
uint8_t rs_skip_height(uint32_t hash);
/* Link / unlink entry `ref`; idempotent. */
void rs_skip_insert(rs_store_t *st, rs_bucket_shm_t *b, uint32_t ref);
void rs_skip_unlink(rs_store_t *st, rs_bucket_shm_t *b, uint32_t ref);
int rs_skip_contains(rs_store_t *st, rs_bucket_shm_t *b, uint32_t ref);
/* First node whose key is > (strict) or >= key. */
uint32_t rs_skip_seek(rs_store_t *st, rs_bucket_shm_t *b, const char *key, size_t len, int strict);
/* First node whose key neither sorts before `p` nor starts with `p`. */
uint32_t rs_skip_seek_past_prefix(rs_store_t *st, rs_bucket_shm_t *b, const char *p, size_t len);
/* Rebuild the upper levels from level 0 and validate order; 0 or RS_EPOISON. */
int rs_skip_rebuild(rs_store_t *st, rs_bucket_shm_t *b);
int rs_key_cmp(const char *a, size_t al, const char *b, size_t bl);

/* ---- index (index.c) ---- */
/* Allocate and fill an extent of `kind` for `p` (no lock held): key, meta, bytes. */
int rs_build_extent(rs_store_t *st, uint32_t kind, const rs_obj_put_t *p, uint64_t *head);
/* Publish `head` for `p` under shard lock s (held). With `up` (Complete), after the
 * checks pass: the upload's prepared intent is opened (op COMPLETE) and its state made
 * CLOSING before the shard intent, and its step set to 2 right after the linearisation. */
int rs_publish(rs_store_t *st, uint32_t s, const rs_obj_put_t *p, uint32_t hash, uint64_t head,
               rs_upload_shm_t *up);
uint32_t rs_key_hash(uint32_t bucket_id, const char *key, size_t len);
/* Entry index of (bucket, key) in shard s, 0 if absent (shard lock held). */
uint32_t rs_index_find(rs_store_t *st, uint32_t s, uint32_t bucket_id, uint32_t bucket_gen,
                       const char *key, size_t len, uint32_t hash);
int rs_chain_contains(rs_store_t *st, uint32_t s, uint32_t idx);
/* Read the bucket's (state, gen) lock-free. */
int rs_bucket_alive(rs_store_t *st, uint32_t id, uint32_t gen, int *deleting);

/* ---- usage (usage.c) ---- */
/* RS_EQUOTA when adding (objects, bytes) to `account`'s usage passes this process's
 * quota (shard lock held; nothing added). */
int rs_usage_admit(rs_store_t *st, const char *account, int64_t objects, int64_t bytes);
/* Add to bucket `id`'s counters (the key's shard lock held, at the linearisation point). */
void rs_usage_add(rs_store_t *st, uint32_t id, int64_t objects, int64_t bytes);
/* Reserved keys (bucket configuration) are not objects: they count for nothing. */
static inline int rs_key_counted(const char *key, size_t len)
{
    return len > 0 && (uint8_t)key[0] != RS_RESERVED_KEY_BYTE;
}
/* Restart recovery (no process alive, shard intents resolved): recount, clear the flag. */
int rs_usage_recount_now(rs_store_t *st);
/* Bytes of the object whose extent head is `blob` (0 when not an extent). */
uint64_t rs_blob_size(rs_store_t *st, uint64_t blob);

/* ---- multipart uploads (upload.c, complete.c) ---- */
/* Lock upload i (running its repair on EOWNERDEAD). 0 or RS_EPOISON. */
int rs_lock_upload(rs_store_t *st, uint32_t i);
/* The repair, unconditionally (restart). 0 or RS_EPOISON. */
int rs_repair_upload_now(rs_store_t *st, uint32_t i);
/* Free everything upload i holds and make it FREE (its lock held; any state). */
void rs_upload_abort_locked(rs_store_t *st, uint32_t i);
/* Free what upload i still holds (tag-checked sweep; `cp` the crash point hit after the
 * first part freed), reset its fields, FREE. Its lock held. */
void rs_upload_close(rs_store_t *st, uint32_t i, int cp);
/* Lock the upload `r` names (an rs_mpu_ref_t): 0 with it locked and *out set;
 * RS_EINVAL, RS_ENOUPLOAD, RS_EPOISON. */
struct rs_mpu_ref;
int rs_upload_lock_ref(rs_store_t *st, const struct rs_mpu_ref *r, rs_upload_shm_t **out);
/* Abort every upload of bucket (id, gen) (btab lock held, or restart). */
int rs_upload_abort_bucket(rs_store_t *st, uint32_t id, uint32_t gen);
/* Bounded check of upload i (lock held), marking its chunks in m (NULL: none); 0 or
 * RS_EPOISON with the reason in why. */
int rs_upload_check(rs_store_t *st, uint32_t i, uint8_t *m, char *why, size_t why_len);
/* Part head of number n in upload u (0: none; lock held). */
uint64_t rs_upload_part(rs_store_t *st, rs_upload_shm_t *u, uint32_t n);

/* ---- slots (attach.c) ---- */
/* The slot table's release callback (ctx: the rs_store_t): free a chunk a dead
 * incarnation claimed, while it still carries that incarnation's tag. */
void rs_slot_release(void *ctx, uint64_t off, uint32_t old_tag);

/* ---- durability (durable.c): no-ops unless s3_durability = always ---- */
/* Sync a freshly built extent (head + data chunks) before anything can publish it. */
void rs_dur_extent(rs_store_t *st, uint64_t head);
/* Before the answer: the whole mapping (the index and what the publication wrote). */
int rs_dur_commit(rs_store_t *st);

/* ---- region layout (region.c) and restart recovery (recover.c) ---- */
/* Fill hdr's configuration and table of contents; the region size, 0 if invalid. */
uint64_t rs_region_layout(const rs_store_conf_t *c, rs_shm_hdr_t *h);
/* Version + layout sizes word stored in the header. */
uint32_t rs_region_format(void);
/* Lay out a fresh, zero-filled mapping at st->base: header from `layout`, slots, locks;
 * READY at the end. 0 or RS_ERR. */
int rs_region_init(rs_store_t *st, const rs_shm_hdr_t *layout, uint64_t size, uint32_t gen);
/* Initialise every robust mutex of the region (zeroing it first). 0 or RS_ERR. */
int rs_region_init_locks(rs_store_t *st);
/* Run the EOWNERDEAD repair of the bucket table / one shard / one bucket list
 * unconditionally (the lock is fresh, taken and released here). 0 or RS_EPOISON. */
int rs_repair_btab_now(rs_store_t *st);
int rs_repair_shard_now(rs_store_t *st, uint32_t s);
int rs_repair_list_now(rs_store_t *st, uint32_t bucket_id);
/* Restart of a file-backed region whose every process is gone: new locks, every slot
 * dead and cleaned, every repair run, then the full check. 0, or RS_EPOISON with `why`. */
int rs_store_recover(rs_store_t *st, char *why, size_t why_len);

#endif
