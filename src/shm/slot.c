/*
 * slot.c: worker slots: attach (with cleanup after a dead predecessor), detach, the
 * master's DEAD mark and the pin table. What a slot owned goes back through its user's
 * release callback.
 * Runs in: workers; rs_shm_slot_mark_dead in the master (one atomic store);
 * rs_shm_slot_recover in the master before any fork when a file-backed region restarts.
 */
#include <signal.h>
#include <unistd.h>

#include "rs/err.h"
#include "shm/crashpoint.h"
#include "shm/slot.h"

void rs_shm_slot_mark_dead(rs_shm_hdr_t *h, unsigned slot)
{
    if (slot < h->nslots)
        ST(&rs_shm_slot(h, slot)->state, (uint32_t)RS_SLOT_DEAD);
}

/* Release every offset the previous incarnation recorded, drop its pins. Idempotent as
 * long as the release callback is. */
static void slot_cleanup(rs_shm_hdr_t *h, unsigned slot, rs_slot_release_fn *release, void *ctx)
{
    rs_slot_shm_t *s = rs_shm_slot(h, slot);
    uint32_t old = RS_SLOT_TAG(slot, s->incarnation);
    uint64_t *owned = rs_shm_slot_owned(h, s), *pins = rs_shm_slot_pins(h, s);

    for (uint32_t i = 0; i < s->owned_cap; i++) {
        uint64_t off = LD(&owned[i]);
        if (off)
            release(ctx, off, old);
        ST(&owned[i], (uint64_t)0);
    }
    RS_CRASHPOINT(CLEANUP_SLOT);
    for (uint32_t i = 0; i < RS_PINS_PER_SLOT; i++)
        ST(&pins[i], (uint64_t)0);
}

void rs_shm_slot_recover(rs_shm_hdr_t *h, unsigned slot, rs_slot_release_fn *release, void *ctx)
{
    slot_cleanup(h, slot, release, ctx);
    rs_shm_slot(h, slot)->pid = 0;
    ST(&rs_shm_slot(h, slot)->state, (uint32_t)RS_SLOT_DEAD);
}

int rs_shm_slot_attach(rs_shm_hdr_t *h, unsigned slot, rs_slot_release_fn *release, void *ctx,
                       uint32_t *tag)
{
    rs_slot_shm_t *s;
    uint32_t state;

    if (slot >= h->nslots)
        return RS_EINVAL;
    if (h->magic != RS_SHM_MAGIC || LD(&h->state) != RS_REGION_READY)
        return RS_EPOISON;
    s = rs_shm_slot(h, slot);
    state = LD(&s->state);
    if (state == RS_SLOT_ACTIVE && s->pid != getpid() && s->pid > 0) {
        /* taking over a slot whose owner was not reaped is a caller error */
        if (kill(s->pid, 0) == 0)
            return RS_EEXIST;
    }
    slot_cleanup(h, slot, release, ctx);
    if (state == RS_SLOT_DEAD)
        __atomic_fetch_add(&h->repairs, 1, __ATOMIC_RELAXED);
    s->incarnation++;
    s->pid = getpid();
    s->pin_hint = 0;
    ST(&s->heartbeat, LD(&s->heartbeat) + 1);
    *tag = RS_SLOT_TAG(slot, s->incarnation);
    ST(&s->state, (uint32_t)RS_SLOT_ACTIVE);
    return 0;
}

void rs_shm_slot_detach(rs_shm_hdr_t *h, unsigned slot, rs_slot_release_fn *release, void *ctx)
{
    slot_cleanup(h, slot, release, ctx);
    ST(&rs_shm_slot(h, slot)->state, (uint32_t)RS_SLOT_ASSIGNED);
}

int rs_shm_pin(rs_shm_hdr_t *h, unsigned slot, uint64_t off, uint32_t *pin)
{
    rs_slot_shm_t *s = rs_shm_slot(h, slot);
    uint64_t *pins = rs_shm_slot_pins(h, s);

    for (uint32_t n = 0; n < RS_PINS_PER_SLOT; n++) {
        uint32_t i = (s->pin_hint + n) % RS_PINS_PER_SLOT;
        if (pins[i] == 0) {
            __atomic_store_n(&pins[i], off, __ATOMIC_SEQ_CST);
            s->pin_hint = i + 1;
            *pin = i;
            return 0;
        }
    }
    return RS_EAGAIN;
}

void rs_shm_unpin(rs_shm_hdr_t *h, int slot, uint32_t pin)
{
    if (slot < 0 || pin >= RS_PINS_PER_SLOT)
        return;
    __atomic_store_n(&rs_shm_slot_pins(h, rs_shm_slot(h, (unsigned)slot))[pin], (uint64_t)0,
                     __ATOMIC_SEQ_CST);
}

int rs_shm_is_pinned(rs_shm_hdr_t *h, uint64_t off)
{
    for (uint32_t i = 0; i < h->nslots; i++) {
        rs_slot_shm_t *s = rs_shm_slot(h, i);
        uint64_t *pins;
        if (LD(&s->state) != RS_SLOT_ACTIVE)
            continue;
        pins = rs_shm_slot_pins(h, s);
        for (uint32_t j = 0; j < RS_PINS_PER_SLOT; j++)
            if (__atomic_load_n(&pins[j], __ATOMIC_SEQ_CST) == off)
                return 1;
    }
    return 0;
}
