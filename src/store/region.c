/*
 * region.c: the store's layout of the shared region (its areas after the header and the
 * slot table), create (POSIX shm), map and destroy it (a file-backed region is unmapped
 * after an msync and kept; see region_file.c); offset helpers.
 * Runs in: master (rs_store_create before any fork, rs_store_destroy at exit); the
 * helpers run in workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rs/store_mpu.h"
#include "store/store_int.h"

static uint32_t pow2_at_least(uint64_t v)
{
    uint32_t p = 1;
    while (p < v)
        p <<= 1;
    return p;
}

static uint32_t log2u(uint32_t v)
{
    uint32_t b = 0;
    while ((1u << b) < v)
        b++;
    return b;
}

static uint64_t up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

uint32_t rs_region_format(void)
{
    uint32_t h = (uint32_t)(sizeof(rs_slot_shm_t) + 3 * sizeof(rs_bucket_shm_t) +
                            7 * sizeof(rs_shard_shm_t) + 11 * sizeof(rs_entry_shm_t) +
                            13 * sizeof(rs_ext_hdr_t) + 17 * sizeof(rs_class_shm_t) +
                            19 * sizeof(rs_shm_hdr_t) + 23 * sizeof(rs_shm_mutex_t) +
                            29 * sizeof(rs_upload_shm_t));
    return (RS_SHM_VERSION << 24) | (h & 0xffffffu);
}

uint64_t rs_region_layout(const rs_store_conf_t *c, rs_shm_hdr_t *h)
{
    uint64_t off;
    uint32_t shards, eps;

    if (c->max_workers == 0 || c->max_workers > RS_MAX_SLOTS || c->max_objects == 0 ||
        c->max_buckets == 0 || c->capacity_bytes < RS_PAGE_SIZE)
        return 0;
    shards = c->shards ? c->shards : pow2_at_least(4ull * c->max_workers);
    if (shards < 4 || (shards & (shards - 1)) != 0 || shards > 65536)
        return 0;
    /* per-shard pools with slack for hash skew (+25 % + 4); index 0 is never used */
    eps = (uint32_t)((c->max_objects + shards - 1) / shards);
    eps += eps / 4 + 4 + 1;
    h->nslots = c->max_workers;
    h->nbuckets = c->max_buckets;
    h->nshards = shards;
    h->shard_bits = log2u(shards);
    h->eps = eps;
    h->eps_bits = log2u(eps);
    if (h->eps_bits + h->shard_bits > 32)
        return 0;
    h->nheads = pow2_at_least(eps < 16 ? 16 : eps);
    h->npages = (uint32_t)(c->capacity_bytes >> RS_PAGE_SHIFT);
    if ((uint64_t)h->npages * RS_UNITS_PER_PAGE > RS_TAG_DATA_MASK)
        return 0;
    h->capacity = (uint64_t)h->npages << RS_PAGE_SHIFT;
    h->max_object_size = c->max_object_size ? c->max_object_size : h->capacity;
    h->max_chunks = (uint32_t)((h->max_object_size + RS_PAGE_SIZE - 1) >> RS_PAGE_SHIFT);
    if (sizeof(rs_ext_hdr_t) + RS_MAX_KEY + RS_MAX_META + 8 + 8ull * h->max_chunks > RS_PAGE_SIZE)
        return 0;
    h->max_objects = c->max_objects;
    h->nuploads = c->max_uploads ? c->max_uploads : RS_DEFAULT_MAX_UPLOADS;
    if (h->nuploads > RS_TAG_PART_MASK)
        return 0;

    off = up(sizeof(rs_shm_hdr_t), 4096);
    h->toc.slots = off;
    off += up((uint64_t)h->nslots * sizeof(rs_slot_shm_t), 64);
    h->toc.slot_arrays = off;
    off += up((uint64_t)h->nslots * 8 * ((h->max_chunks + 4) + RS_PINS_PER_SLOT), 64);
    h->toc.btab = off;
    off += sizeof(rs_btab_shm_t) + up((uint64_t)h->nbuckets * sizeof(rs_bucket_shm_t), 64);
    h->toc.shards = off;
    off += (uint64_t)shards * sizeof(rs_shard_shm_t);
    h->toc.heads = off;
    off += up((uint64_t)shards * h->nheads * 4, 64);
    h->toc.entries = off;
    off += up((uint64_t)shards * eps * sizeof(rs_entry_shm_t), 64);
    h->toc.classes = off;
    off += RS_NCLASS * sizeof(rs_class_shm_t);
    h->toc.pagetab = off;
    off += sizeof(rs_pagetab_shm_t) + up((uint64_t)h->npages * 4, 64);
    h->toc.tags = off;
    off += up((uint64_t)h->npages * RS_UNITS_PER_PAGE * 4, 4096);
    h->toc.arena = off;
    off += h->capacity;
    /* v2: appended after the arena, so a v1 layout is a prefix of this one */
    h->toc_uploads = off;
    off += sizeof(rs_uptab_shm_t) + (uint64_t)h->nuploads * sizeof(rs_upload_shm_t);
    return up(off, 4096);
}

int rs_region_init_locks(rs_store_t *st)
{
    rs_shm_hdr_t *h = st->hdr;

    if (rs_shm_mutex_init(&rs_btab(st)->mu))
        return RS_ERR;
    for (uint32_t i = 0; i < h->nbuckets; i++)
        if (rs_shm_mutex_init(&rs_bucket(st, i)->list_mu))
            return RS_ERR;
    for (uint32_t i = 0; i < h->nshards; i++)
        if (rs_shm_mutex_init(&rs_shard(st, i)->mu))
            return RS_ERR;
    for (unsigned c = 0; c < RS_NCLASS; c++)
        if (rs_shm_mutex_init(&rs_class(st, c)->mu))
            return RS_ERR;
    if (rs_shm_mutex_init(&rs_pagetab(st)->mu))
        return RS_ERR;
    for (uint32_t i = 0; i < h->nuploads; i++)
        if (rs_shm_mutex_init(&rs_upload(st, i)->mu))
            return RS_ERR;
    return 0;
}

static int init_region(rs_store_t *st)
{
    rs_shm_hdr_t *h = st->hdr;
    uint64_t arr = h->toc.slot_arrays;

    for (uint32_t i = 0; i < h->nslots; i++) {
        rs_slot_shm_t *s = rs_shm_slot(st->hdr, i);
        s->owned_cap = h->max_chunks + 4;
        s->owned_off = arr;
        arr += 8ull * s->owned_cap;
        s->pins_off = arr;
        arr += 8ull * RS_PINS_PER_SLOT;
    }
    for (uint32_t i = 0; i < h->nshards; i++)
        rs_shard(st, i)->bump = 1;
    return rs_region_init_locks(st);
}

int rs_region_init(rs_store_t *st, const rs_shm_hdr_t *layout, uint64_t size, uint32_t gen)
{
    st->hdr = (rs_shm_hdr_t *)st->base;
    st->size = size;
    st->slot = -1;
    memcpy(st->hdr, layout, sizeof *layout);
    st->hdr->magic = RS_SHM_MAGIC;
    st->hdr->format = rs_region_format();
    st->hdr->size = size;
    st->hdr->generation = gen;
    st->hdr->creator_pid = getpid();
    if (init_region(st) != 0)
        return RS_ERR;
    ST(&st->hdr->state, (uint32_t)RS_REGION_READY);
    return 0;
}

/* An existing region: RS_EEXIST if its creator lives, else its generation (>= 0). */
static int probe_stale(const char *name)
{
    int fd = shm_open(name, O_RDWR, 0600);
    rs_shm_hdr_t h;
    int gen = 0;

    if (fd < 0)
        return 0;
    memset(&h, 0, sizeof h);
    if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h && h.magic == RS_SHM_MAGIC) {
        if (h.creator_pid > 0 && (kill(h.creator_pid, 0) == 0 || errno == EPERM) &&
            h.creator_pid != getpid()) {
            close(fd);
            return RS_EEXIST;
        }
        gen = (int)(h.generation & 0x7fffffff);
    }
    close(fd);
    shm_unlink(name);
    return gen;
}

int rs_store_create(const char *name, const rs_store_conf_t *conf, rs_store_t **out)
{
    rs_shm_hdr_t tmp;
    rs_store_t *st;
    uint64_t size;
    int fd, gen;

    memset(&tmp, 0, sizeof tmp);
    if (!name || name[0] != '/' || strlen(name) >= sizeof st->name || !conf || !out)
        return RS_EINVAL;
    size = rs_region_layout(conf, &tmp);
    if (size == 0)
        return RS_EINVAL;
    gen = probe_stale(name);
    if (gen < 0)
        return gen;
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return errno == EEXIST ? RS_EEXIST : RS_ERR;
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        shm_unlink(name);
        return RS_ENOSPC;
    }
    st = calloc(1, sizeof *st);
    if (!st) {
        close(fd);
        shm_unlink(name);
        return RS_ENOMEM;
    }
    st->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (st->base == MAP_FAILED) {
        free(st);
        shm_unlink(name);
        return RS_ENOMEM;
    }
    st->lock_fd = -1;
    snprintf(st->name, sizeof(st->name), "%s", name);
    if (rs_region_init(st, &tmp, size, (uint32_t)gen + 1) != 0) {
        rs_store_destroy(st, 1);
        return RS_ERR;
    }
    *out = st;
    return 0;
}

void rs_store_destroy(rs_store_t *st, int unlink_region)
{
    if (!st)
        return;
    if (st->lock_fd >= 0) {
        /* file-backed: flush to the file, keep it, then release the directory lock */
        msync(st->base, st->size, MS_SYNC);
        munmap(st->base, st->size);
        close(st->lock_fd);
    } else {
        munmap(st->base, st->size);
        if (unlink_region)
            shm_unlink(st->name);
    }
    free(st);
}

rs_entry_shm_t *rs_entry_ref(rs_store_t *st, uint32_t ref)
{
    uint32_t s = rs_ref_shard(st, ref), i = rs_ref_idx(st, ref);

    if (s >= st->hdr->nshards || i == 0 || i >= st->hdr->eps)
        return NULL;
    return rs_entry(st, s, i);
}

int rs_off_unit(rs_store_t *st, uint64_t off, uint32_t *unit)
{
    uint64_t a = st->hdr->toc.arena;

    if (off < a || off >= a + st->hdr->capacity || ((off - a) & ((1u << RS_UNIT_SHIFT) - 1)))
        return RS_EINVAL;
    *unit = (uint32_t)((off - a) >> RS_UNIT_SHIFT);
    return 0;
}

uint32_t *rs_tag_of(rs_store_t *st, uint64_t off)
{
    return rs_tags(st) + ((off - st->hdr->toc.arena) >> RS_UNIT_SHIFT);
}

rs_ext_hdr_t *rs_ext(rs_store_t *st, uint64_t off)
{
    uint32_t unit;
    rs_ext_hdr_t *h;

    if (rs_off_unit(st, off, &unit) != 0)
        return NULL;
    h = rs_at(st, off);
    if (h->magic != RS_EXT_MAGIC || h->head_class >= RS_NCLASS ||
        ((off - st->hdr->toc.arena) & (rs_chunk_size(h->head_class) - 1)) ||
        h->key_len > RS_MAX_KEY || h->meta_len > RS_MAX_META || h->nchunks > st->hdr->max_chunks ||
        h->kind > RS_EXT_COMPOSITE)
        return NULL;
    if (h->kind == RS_EXT_COMPOSITE &&
        (h->nchunks != 0 || rs_mpu_body(h)->nparts > RS_MPU_MAX_PARTS ||
         (uint64_t)((uint8_t *)(rs_mpu_prefs(h) + rs_mpu_body(h)->nparts) - (uint8_t *)h) >
             rs_chunk_size(h->head_class)))
        return NULL;
    return h;
}
