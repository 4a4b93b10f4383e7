/*
 * durable.c: the `s3_durability` setting of a file-backed store: which msync(MS_SYNC)
 * calls make an operation durable before it is acknowledged (`always`), the whole-mapping
 * sync the master runs once a second (`interval`), and the test hook that records what
 * has reached "disk" (RS_TEST_DUR_SHADOW: every synced range is also copied into a shadow
 * file, the disk image a power loss leaves; the range's previous shadow bytes go to
 * <shadow>.last so a test can tear the last write).
 *
 * Order under `always` (what recovery relies on after a power loss):
 *   1. the new extent's bytes and header (head chunk + data chunks) are synced right after
 *      they are written, before any index record can point at them (rs_dur_extent);
 *   2. the operation then publishes in memory as before (intents, tags, entry, list);
 *   3. before the answer, one msync of the whole mapping (rs_dur_commit): the index and
 *      everything the publication wrote (slots, bucket table, shards, hash heads, entries,
 *      tags, the extent head's back-reference, a part-map page, the upload table) at once,
 *      as a Complete changes the index and the upload table together; msync only writes
 *      the dirty pages of a range, so the cost is the pages this operation (and any
 *      concurrent one) dirtied plus one flush.
 * Runs in: master (rs_store_set_durability before any fork, rs_store_sync on its timer),
 * workers (rs_dur_* inside the store's mutating calls).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "store/store_int.h"

#define DUR_PAGE 4096ull

/* The test hook: the range [a, b) of the mapping has reached the disk image. */
static void shadow_write(rs_store_t *st, uint64_t a, uint64_t b)
{
    uint64_t len = b - a, hdr[2] = {a, len};
    uint8_t *old;
    int lf;

    if (!st->dur_shadow[0])
        return;
    old = malloc(len);
    if (old) {
        int sf = open(st->dur_shadow, O_RDONLY | O_CLOEXEC);
        ssize_t n = sf >= 0 ? pread(sf, old, len, (off_t)a) : -1;
        if (n < (ssize_t)len)
            memset(old + (n > 0 ? n : 0), 0, len - (uint64_t)(n > 0 ? n : 0));
        if (sf >= 0)
            close(sf);
        char p[sizeof st->dur_shadow + 8];
        snprintf(p, sizeof p, "%s.last", st->dur_shadow);
        lf = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (lf >= 0) {
            ssize_t w = write(lf, hdr, sizeof hdr);
            if (w == (ssize_t)sizeof hdr)
                w = write(lf, old, len);
            (void)w; /* a test hook: the test sees a short file */
            close(lf);
        }
        free(old);
    }
    lf = open(st->dur_shadow, O_WRONLY | O_CLOEXEC);
    if (lf >= 0) {
        ssize_t w = pwrite(lf, st->base + a, len, (off_t)a);
        (void)w;
        close(lf);
    }
}

/* msync(MS_SYNC) of [off, off + len) widened to whole pages. */
static int sync_range(rs_store_t *st, uint64_t off, uint64_t len)
{
    uint64_t a = off & ~(DUR_PAGE - 1), b = (off + len + DUR_PAGE - 1) & ~(DUR_PAGE - 1);

    if (len == 0)
        return 0;
    if (b > st->size)
        b = st->size;
    if (msync(st->base + a, b - a, MS_SYNC) != 0)
        return RS_ERR;
    shadow_write(st, a, b);
    return 0;
}

int rs_store_set_durability(rs_store_t *st, int mode)
{
    const char *sh = getenv("RS_TEST_DUR_SHADOW");

    if (!st || mode < RS_DUR_STOP || mode > RS_DUR_ALWAYS)
        return RS_EINVAL;
    if (st->lock_fd < 0 && mode != RS_DUR_STOP)
        return RS_EINVAL; /* only a data_dir store has a disk to sync to */
    st->durability = mode;
    st->dur_shadow[0] = '\0';
    if (sh && sh[0] && strlen(sh) < sizeof st->dur_shadow)
        snprintf(st->dur_shadow, sizeof st->dur_shadow, "%s", sh);
    return 0;
}

int rs_store_durability(const rs_store_t *st)
{
    return st ? st->durability : RS_DUR_STOP;
}

int rs_store_sync(rs_store_t *st)
{
    if (!st || st->lock_fd < 0)
        return 0;
    return sync_range(st, 0, st->size);
}

void rs_dur_extent(rs_store_t *st, uint64_t head)
{
    rs_ext_hdr_t *x;
    uint64_t hb;

    if (st->durability != RS_DUR_ALWAYS || (x = rs_ext(st, head)) == NULL)
        return;
    if (x->kind == RS_EXT_COMPOSITE)
        hb = (uint64_t)((uint8_t *)(rs_mpu_prefs(x) + rs_mpu_body(x)->nparts) - (uint8_t *)x);
    else
        hb = (uint64_t)(rs_ext_inline(x) - (uint8_t *)x) + (x->nchunks ? 0 : x->size);
    sync_range(st, head, hb);
    for (uint32_t i = 0; i < x->nchunks; i++) {
        uint64_t left = x->size - (uint64_t)i * RS_PAGE_SIZE;
        sync_range(st, rs_ext_chunks(x)[i], left < RS_PAGE_SIZE ? left : RS_PAGE_SIZE);
    }
}

int rs_dur_commit(rs_store_t *st)
{
    int rc;

    RS_CRASHPOINT(DUR_COMMIT);
    if (st->durability != RS_DUR_ALWAYS)
        return 0;
    /* the index last, in one call: index and upload table (a Complete changes both) and
     * whatever arena page is still dirty; msync writes only the dirty pages of a range */
    rc = sync_range(st, 0, st->size);
    RS_CRASHPOINT(DUR_SYNCED);
    return rc;
}
