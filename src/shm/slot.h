/*
 * slot.h: the worker slot table of the shared region: attach after a dead predecessor,
 * detach, the master's DEAD mark, the owned lists and the pin tables. The slot table
 * knows offsets, not what they hold: what a dead incarnation owned is handed back through
 * the release callback its user (the store) passes.
 * Runs in: workers; rs_shm_slot_mark_dead in the master; rs_shm_slot_recover in the master
 * before any fork when a file-backed region restarts.
 */
#ifndef RS_SHM_SLOT_H
#define RS_SHM_SLOT_H

#include <stdint.h>

#include "shm/region_shm.h"

#define LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define CAS(p, exp, v)                                                                             \
    __extension__({                                                                                \
        __typeof__(*(p)) e_ = (exp);                                                               \
        __atomic_compare_exchange_n((p), &e_, (v), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);         \
    })

/* ---- addressing (the header is at the region base; everything is an offset) ---- */
static inline void *rs_shm_at(rs_shm_hdr_t *h, uint64_t off)
{
    return (uint8_t *)h + off;
}
static inline rs_slot_shm_t *rs_shm_slot(rs_shm_hdr_t *h, unsigned i)
{
    return (rs_slot_shm_t *)rs_shm_at(h, h->toc.slots) + i;
}
static inline uint64_t *rs_shm_slot_owned(rs_shm_hdr_t *h, rs_slot_shm_t *s)
{
    return rs_shm_at(h, s->owned_off);
}
static inline uint64_t *rs_shm_slot_pins(rs_shm_hdr_t *h, rs_slot_shm_t *s)
{
    return rs_shm_at(h, s->pins_off);
}

/* Give back one offset a previous incarnation of a slot recorded in its owned list;
 * `old_tag` is that incarnation's RS_SLOT_TAG. Must be idempotent. */
typedef void rs_slot_release_fn(void *ctx, uint64_t off, uint32_t old_tag);

/* Take slot `slot` for this process: release what a predecessor owned, bump the
 * incarnation, ACTIVE. 0 with *tag set; RS_EINVAL, RS_EPOISON (region not READY),
 * RS_EEXIST (its owner still lives). */
int rs_shm_slot_attach(rs_shm_hdr_t *h, unsigned slot, rs_slot_release_fn *release, void *ctx,
                       uint32_t *tag);
/* Release what this slot owns, drop its pins, back to ASSIGNED. */
void rs_shm_slot_detach(rs_shm_hdr_t *h, unsigned slot, rs_slot_release_fn *release, void *ctx);
/* The master's one store after reaping the owner. */
void rs_shm_slot_mark_dead(rs_shm_hdr_t *h, unsigned slot);
/* A slot of a run that is entirely dead: release what it owned, drop its pins, DEAD. */
void rs_shm_slot_recover(rs_shm_hdr_t *h, unsigned slot, rs_slot_release_fn *release, void *ctx);

/* Pin `off` in slot `slot`'s table (reclaim skips pinned offsets): 0 with *pin, or
 * RS_EAGAIN when the table is full. */
int rs_shm_pin(rs_shm_hdr_t *h, unsigned slot, uint64_t off, uint32_t *pin);
/* Drop a pin (slot < 0 or a bad pin: nothing). */
void rs_shm_unpin(rs_shm_hdr_t *h, int slot, uint32_t pin);
/* Whether any ACTIVE slot pins `off`. */
int rs_shm_is_pinned(rs_shm_hdr_t *h, uint64_t off);

#endif
