/*
 * attach.c: a worker's store handle on its slot: attach and detach through the slot
 * table (src/shm/slot.c), whose cleanup hands back the chunks a dead incarnation claimed
 * but never published; the master's DEAD mark.
 * Runs in: workers; rs_store_slot_mark_dead in the master.
 */
#include "store/store_int.h"

void rs_slot_release(void *ctx, uint64_t off, uint32_t old_tag)
{
    rs_store_t *st = ctx;
    uint32_t unit;

    /* a chunk is freed only while it still carries the old slot tag */
    if (rs_off_unit(st, off, &unit) == 0)
        rs_chunk_free_cas(st, off, old_tag);
}

void rs_store_slot_mark_dead(rs_store_t *st, unsigned slot)
{
    rs_shm_slot_mark_dead(st->hdr, slot);
}

int rs_store_attach(rs_store_t *st, unsigned slot)
{
    uint32_t tag;
    int rc = rs_shm_slot_attach(st->hdr, slot, rs_slot_release, st, &tag);

    if (rc != 0)
        return rc;
    st->slot = (int)slot;
    st->tag = tag;
    return 0;
}

void rs_store_detach(rs_store_t *st)
{
    if (st->slot < 0)
        return;
    rs_shm_slot_detach(st->hdr, (unsigned)st->slot, rs_slot_release, st);
    st->slot = -1;
    st->tag = 0;
}
