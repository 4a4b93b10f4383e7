/*
 * region_file.c: the file-backed region of a data directory: <dir>/store.region mapped
 * MAP_SHARED (the page cache outlives any process death), <dir>/lock flocked for the life
 * of the master (a second instance on the directory refuses to start), validation of an
 * existing file against the configuration, the in-place upgrade of a format-1 file (from
 * before multipart uploads), and the restart recovery (recover.c).
 * Runs in: master, before any fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rs/log.h"
#include "rs/os.h"
#include "store/store_int.h"

#define REGION_FILE "store.region"
#define LOCK_FILE "lock"

/* say why (rs_errf into the caller's why/why_len) and evaluate to rc */
#define FAIL(rc, ...) (rs_errf(why, why_len, __VA_ARGS__), (rc))

/* Take the directory lock and record our pid in it; the fd stays open (close-on-exec). */
static int take_lock(const char *dir, int *fd_out, char *why, size_t why_len)
{
    char path[1100], buf[32];
    int fd;
    ssize_t n;

    snprintf(path, sizeof path, "%s/" LOCK_FILE, dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return FAIL(RS_ERR, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        n = pread(fd, buf, sizeof buf - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        close(fd);
        if (e == EWOULDBLOCK)
            return FAIL(RS_EEXIST,
                        "data directory %s is in use by another ruststack (pid %s holds %s)", dir,
                        buf[0] ? buf : "?", path);
        return FAIL(RS_ERR, "cannot lock %s: %s", path, strerror(e));
    }
    n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        close(fd);
        return FAIL(RS_ERR, "cannot write %s: %s", path, strerror(errno));
    }
    *fd_out = fd;
    return 0;
}

static int map_fd(int fd, uint64_t size, rs_store_t *st)
{
    st->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (st->base == MAP_FAILED)
        return RS_ENOMEM;
    st->hdr = (rs_shm_hdr_t *)st->base;
    st->size = size;
    st->slot = -1;
    return 0;
}

/* A new store: built in <file>.new with its blocks reserved, then renamed into place. */
static int create_file(const char *dir, const char *file, const rs_shm_hdr_t *lay, uint64_t size,
                       rs_store_t *st, char *why, size_t why_len)
{
    char tmp[1200];
    int fd, rc, dfd;

    snprintf(tmp, sizeof tmp, "%s.new", file);
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return FAIL(RS_ERR, "cannot create %s: %s", tmp, strerror(errno));
    /* sparse, like the shm region: blocks are used as the store fills (the index is
     * sized for s3_max_objects and would otherwise take its whole size on disk) */
    if (ftruncate(fd, (off_t)size) != 0) {
        rc = errno;
        close(fd);
        unlink(tmp);
        return FAIL(rc == ENOSPC || rc == EFBIG ? RS_ENOSPC : RS_ERR,
                    "cannot size %s to %llu bytes (s3_capacity and the index): %s", tmp,
                    (unsigned long long)size, strerror(rc));
    }
    rc = map_fd(fd, size, st);
    if (rc == 0)
        rc = rs_region_init(st, lay, size, 1);
    if (rc == 0 && (msync(st->base, size, MS_SYNC) != 0 || fsync(fd) != 0))
        rc = RS_ERR;
    close(fd);
    if (rc == 0 && rename(tmp, file) != 0)
        rc = RS_ERR;
    if (rc != 0) {
        if (st->base && st->base != MAP_FAILED)
            munmap(st->base, size);
        st->base = NULL;
        unlink(tmp);
        return FAIL(rc, "cannot initialise %s: %s", file, strerror(errno));
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

#define MISMATCH(setting, fmtv, have, want)                                                        \
    FAIL(RS_EINVAL,                                                                                \
         "%s was created with " setting " = " fmtv " but the configuration says " fmtv             \
         "; set it back or move the file away (its buckets and objects are then not served)",      \
         file, have, want)

/* The settings both format versions share: lays the configuration out as w (size its file
 * size) with the header's worker slots and names the first setting that differs. */
static int check_geometry(const char *file, const rs_shm_hdr_t *h, const rs_store_conf_t *conf,
                          rs_shm_hdr_t *w, uint64_t *size, char *why, size_t why_len)
{
    rs_store_conf_t c = *conf;

    if (conf->max_workers > h->nslots)
        return MISMATCH("workers <=", "%u", h->nslots, conf->max_workers);
    /* fewer workers than slots is fine: the same layout, some slots stay unused */
    c.max_workers = h->nslots;
    memset(w, 0, sizeof *w);
    *size = rs_region_layout(&c, w);
    if (*size == 0)
        return FAIL(RS_EINVAL, "the S3 store settings are invalid");
    if (w->capacity != h->capacity)
        return MISMATCH("s3_capacity", "%llu", (unsigned long long)h->capacity,
                        (unsigned long long)w->capacity);
    if (w->max_objects != h->max_objects)
        return MISMATCH("s3_max_objects", "%u", h->max_objects, w->max_objects);
    if (w->nbuckets != h->nbuckets)
        return MISMATCH("s3_max_buckets", "%u", h->nbuckets, w->nbuckets);
    if (w->nshards != h->nshards)
        return MISMATCH("s3_shards", "%u", h->nshards, w->nshards);
    if (w->max_object_size != h->max_object_size)
        return MISMATCH("s3_max_object_size", "%llu", (unsigned long long)h->max_object_size,
                        (unsigned long long)w->max_object_size);
    return 0;
}

/* The existing header against the configuration; names the first setting that differs. */
static int validate(const char *file, const rs_shm_hdr_t *h, uint64_t fsize,
                    const rs_store_conf_t *conf, char *why, size_t why_len)
{
    rs_shm_hdr_t w;
    int rc;
    uint64_t size;

    if (h->magic != RS_SHM_MAGIC)
        return FAIL(RS_EINVAL, "%s is not a ruststack S3 store", file);
    if (h->format != rs_region_format())
        return FAIL(RS_EINVAL,
                    "%s was written by an incompatible ruststack (format %#x, this build %#x)",
                    file, h->format, rs_region_format());
    if (h->size != fsize)
        return FAIL(RS_EINVAL, "%s is %llu bytes but its header says %llu", file,
                    (unsigned long long)fsize, (unsigned long long)h->size);
    rc = check_geometry(file, h, conf, &w, &size, why, why_len);
    if (rc != 0)
        return rc;
    if (w.nuploads != h->nuploads)
        return MISMATCH("s3_max_uploads", "%u", h->nuploads, w.nuploads);
    if (size != h->size || memcmp(&w.toc, &h->toc, sizeof w.toc) != 0 || w.eps != h->eps ||
        w.toc_uploads != h->toc_uploads || w.nheads != h->nheads || w.max_chunks != h->max_chunks)
        return FAIL(RS_EINVAL, "%s has a layout this build does not produce", file);
    return 0;
}

/* The format word of version 1 (before multipart uploads), frozen: rs_region_format() of
 * that build (checked against a file it wrote). */
#define RS_FORMAT_V1 0x01005990u

/* Zero the v2 fields of the extent head at off (v1 never wrote them: a reused chunk can
 * hold anything there). */
static void zero_v2_fields(rs_store_t *st, uint64_t off)
{
    uint32_t u;
    rs_ext_hdr_t *x;

    if (!off || rs_off_unit(st, off, &u) != 0)
        return;
    x = rs_at(st, off);
    if (x->magic != RS_EXT_MAGIC)
        return;
    x->kind = RS_EXT_PLAIN;
    x->info.checksum_type = 0;
    x->info.parts = 0;
}

/* A v1 file (every v1 process provably dead: the directory lock): upgraded in place. The
 * v2 layout only appends the upload table after the arena, so every v1 offset holds. Each
 * step is idempotent and the format word is written last: a crash before it leaves a v1
 * file that is upgraded again. On success st is mapped for the normal recovery. */
static int upgrade_v1(int fd, const char *file, const rs_shm_hdr_t *h, uint64_t fsize,
                      const rs_store_conf_t *conf, rs_store_t *st, char *why, size_t why_len)
{
    int rc;
    rs_shm_hdr_t w;
    uint64_t size;
    rs_shm_hdr_t *nh;

    rc = check_geometry(file, h, conf, &w, &size, why, why_len);
    if (rc != 0)
        return rc;
    if ((h->size != w.toc_uploads && h->size != size) ||
        (fsize != w.toc_uploads && fsize != size) || memcmp(&w.toc, &h->toc, sizeof w.toc) != 0 ||
        w.eps != h->eps || w.nheads != h->nheads || w.max_chunks != h->max_chunks)
        return FAIL(RS_EINVAL,
                    "%s was written by an older ruststack (store format 1) with a layout this "
                    "build cannot upgrade; move it away to start with an empty store",
                    file);
    if (ftruncate(fd, (off_t)size) != 0) /* sparse zeros: every upload slot FREE */
        return FAIL(RS_ENOSPC, "cannot extend %s to upgrade it: %s", file, strerror(errno));
    if (map_fd(fd, size, st) != 0)
        return FAIL(RS_ENOMEM, "cannot map %s: %s", file, strerror(errno));
    nh = st->hdr;
    nh->toc_uploads = w.toc_uploads;
    nh->nuploads = w.nuploads;
    nh->recount = 1; /* v1 had no usage counters: the first worker recounts */
    memset(rs_at(st, w.toc_uploads), 0, size - w.toc_uploads);
    rs_btab(st)->intent_step = 0;
    /* every head a v2 reader may parse: LIVE and RETIRED ones, and the new extent of an
     * open PUT intent (its repair may roll it forward) */
    for (uint32_t p = 0; p < nh->npages; p++) {
        uint32_t pc = rs_page_class(st)[p], step,
                 *tags = rs_tags(st) + (uint64_t)p * RS_UNITS_PER_PAGE;
        if (pc == 0 || pc > RS_NCLASS)
            continue;
        step = (uint32_t)(rs_chunk_size(pc - 1) >> RS_UNIT_SHIFT);
        for (uint32_t u = 0; u < RS_UNITS_PER_PAGE; u += step)
            if (tags[u] == RS_TAG_LIVE || tags[u] == RS_TAG_RETIRED)
                zero_v2_fields(st, nh->toc.arena + ((uint64_t)p << RS_PAGE_SHIFT) +
                                       ((uint64_t)u << RS_UNIT_SHIFT));
    }
    for (uint32_t s = 0; s < nh->nshards; s++)
        if (rs_shard(st, s)->intent.op == RS_OP_PUT)
            zero_v2_fields(st, rs_shard(st, s)->intent.new_blob);
    if (msync(st->base, size, MS_SYNC) != 0)
        return FAIL(RS_ERR, "cannot write %s: %s", file, strerror(errno));
    nh->size = size;
    nh->format = rs_region_format(); /* last */
    msync(st->base, 4096, MS_SYNC);
    rs_log(RS_LOG_NOTICE, NULL, "%s: upgraded in place from store format 1 to 2", file);
    return 0;
}

/* An existing store: check it fits, map it, recover it, start a new generation. */
static int open_existing(int fd, const char *file, const rs_store_conf_t *conf, rs_store_t *st,
                         char *why, size_t why_len)
{
    rs_shm_hdr_t h;
    struct stat sb;
    int rc;

    memset(&h, 0, sizeof h);
    if (fstat(fd, &sb) != 0)
        return FAIL(RS_ERR, "cannot stat %s: %s", file, strerror(errno));
    if (sb.st_size < (off_t)sizeof h || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        return FAIL(RS_EINVAL, "%s is too short to be a ruststack S3 store", file);
    if (h.magic == RS_SHM_MAGIC && h.format == RS_FORMAT_V1) {
        rc = upgrade_v1(fd, file, &h, (uint64_t)sb.st_size, conf, st, why, why_len);
        if (rc != 0) {
            if (st->base && st->base != MAP_FAILED)
                munmap(st->base, st->size);
            st->base = NULL;
            return rc;
        }
    } else {
        rc = validate(file, &h, (uint64_t)sb.st_size, conf, why, why_len);
        if (rc != 0)
            return rc;
        if (map_fd(fd, h.size, st) != 0)
            return FAIL(RS_ENOMEM, "cannot map %s: %s", file, strerror(errno));
    }
    rc = rs_store_recover(st, why, why_len);
    if (rc != 0) {
        char reason[400];
        snprintf(reason, sizeof reason, "%s", why ? why : "");
        munmap(st->base, st->size);
        st->base = NULL;
        return FAIL(rc, "%s failed its restart check (file kept): %s", file, reason);
    }
    st->hdr->generation++;
    st->hdr->creator_pid = getpid();
    return 0;
}

int rs_store_open_dir(const char *dir, const rs_store_conf_t *conf, rs_store_t **out, char *why,
                      size_t why_len)
{
    char file[1100];
    rs_shm_hdr_t lay;
    rs_store_t *st;
    uint64_t size;
    int fd, rc;

    if (why && why_len)
        why[0] = '\0';
    if (!dir || !dir[0] || !conf || !out || strlen(dir) > 1000)
        return FAIL(RS_EINVAL, "invalid data directory");
    memset(&lay, 0, sizeof lay);
    size = rs_region_layout(conf, &lay);
    if (size == 0)
        return FAIL(RS_EINVAL, "the S3 store settings are invalid");
    if (rs_mkdir_p(dir, 0700) != 0)
        return FAIL(RS_ERR, "cannot create %s: %s", dir, strerror(errno));
    st = calloc(1, sizeof *st);
    if (!st)
        return RS_ENOMEM;
    st->lock_fd = -1;
    rc = take_lock(dir, &st->lock_fd, why, why_len);
    if (rc != 0) {
        free(st);
        return rc;
    }
    snprintf(file, sizeof file, "%s/" REGION_FILE, dir);
    snprintf(st->name, sizeof st->name, "file");
    fd = open(file, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        rc = open_existing(fd, file, conf, st, why, why_len);
        close(fd);
    } else if (errno == ENOENT) {
        rc = create_file(dir, file, &lay, size, st, why, why_len);
    } else {
        rc = FAIL(RS_ERR, "cannot open %s: %s", file, strerror(errno));
    }
    if (rc != 0) {
        close(st->lock_fd);
        free(st);
        return rc;
    }
    *out = st;
    return 0;
}
