/*
 * slot.c: worker slots: attach (with cleanup after a dead predecessor), detach, the
 * master's DEAD mark, heartbeat and the pin table.
 * Runs in: workers; rs_store_slot_mark_dead in the master (one atomic store);
 * rs_slot_recover in the master before any fork when a file-backed region restarts.
 */
#include <signal.h>
#include <unistd.h>

#include "store/store_int.h"

void rs_store_slot_mark_dead(rs_store_t *st, unsigned slot)
{
    if (slot < st->hdr->nslots)
        ST(&rs_slot(st, slot)->state, (uint32_t)RS_SLOT_DEAD);
}

/* Free every chunk the previous incarnation claimed but never published, drop its pins.
 * Idempotent: a chunk is freed only while it still carries the old slot tag. */
static void slot_cleanup(rs_store_t *st, unsigned slot)
{
    rs_slot_shm_t *s = rs_slot(st, slot);
    uint32_t old = RS_SLOT_TAG(slot, s->incarnation);
    uint64_t *owned = rs_slot_owned(st, s), *pins = rs_slot_pins(st, s);
    uint32_t unit;

    for (uint32_t i = 0; i < s->owned_cap; i++) {
        uint64_t off = LD(&owned[i]);
        if (off && rs_off_unit(st, off, &unit) == 0)
            rs_chunk_free_cas(st, off, old);
        ST(&owned[i], (uint64_t)0);
    }
    RS_CRASHPOINT(CLEANUP_SLOT);
    for (uint32_t i = 0; i < RS_PINS_PER_SLOT; i++)
        ST(&pins[i], (uint64_t)0);
}

void rs_slot_recover(rs_store_t *st, unsigned slot)
{
    rs_slot_shm_t *s = rs_slot(st, slot);

    slot_cleanup(st, slot);
    s->pid = 0;
    ST(&s->state, (uint32_t)RS_SLOT_DEAD);
}

int rs_store_attach(rs_store_t *st, unsigned slot)
{
    rs_slot_shm_t *s;
    uint32_t state;

    if (slot >= st->hdr->nslots)
        return RS_EINVAL;
    if (st->hdr->magic != RS_SHM_MAGIC || LD(&st->hdr->state) != RS_REGION_READY)
        return RS_EPOISON;
    s = rs_slot(st, slot);
    state = LD(&s->state);
    if (state == RS_SLOT_ACTIVE && s->pid != getpid() && s->pid > 0) {
        /* taking over a slot whose owner was not reaped is a caller error */
        if (kill(s->pid, 0) == 0)
            return RS_EEXIST;
    }
    slot_cleanup(st, slot);
    if (state == RS_SLOT_DEAD)
        __atomic_fetch_add(&st->hdr->repairs, 1, __ATOMIC_RELAXED);
    s->incarnation++;
    s->pid = getpid();
    s->pin_hint = 0;
    ST(&s->heartbeat, LD(&s->heartbeat) + 1);
    st->slot = (int)slot;
    st->tag = RS_SLOT_TAG(slot, s->incarnation);
    ST(&s->state, (uint32_t)RS_SLOT_ACTIVE);
    return 0;
}

void rs_store_detach(rs_store_t *st)
{
    if (st->slot < 0)
        return;
    slot_cleanup(st, (unsigned)st->slot);
    ST(&rs_slot(st, (unsigned)st->slot)->state, (uint32_t)RS_SLOT_ASSIGNED);
    st->slot = -1;
    st->tag = 0;
}

int rs_pin(rs_store_t *st, uint64_t off, uint32_t *pin)
{
    rs_slot_shm_t *s = rs_slot(st, (unsigned)st->slot);
    uint64_t *pins = rs_slot_pins(st, s);

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

void rs_unpin(rs_store_t *st, uint32_t pin)
{
    if (st->slot < 0 || pin >= RS_PINS_PER_SLOT)
        return;
    __atomic_store_n(&rs_slot_pins(st, rs_slot(st, (unsigned)st->slot))[pin], (uint64_t)0,
                     __ATOMIC_SEQ_CST);
}

int rs_is_pinned(rs_store_t *st, uint64_t off)
{
    for (uint32_t i = 0; i < st->hdr->nslots; i++) {
        rs_slot_shm_t *s = rs_slot(st, i);
        uint64_t *pins;
        if (LD(&s->state) != RS_SLOT_ACTIVE)
            continue;
        pins = rs_slot_pins(st, s);
        for (uint32_t j = 0; j < RS_PINS_PER_SLOT; j++)
            if (__atomic_load_n(&pins[j], __ATOMIC_SEQ_CST) == off)
                return 1;
    }
    return 0;
}
