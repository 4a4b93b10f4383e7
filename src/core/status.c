/*
 * status.c: the service status board (include/rs/status.h): one shared anonymous page
 * created by the master before forking, one seqlock-style entry per service. Runs in:
 * master (create, may publish), supervisors (publish their own service), workers (read).
 *
 * Writer: seq becomes odd, state and reason are stored, seq becomes even. A writer that
 * dies with seq odd leaves a torn entry: readers give up after a bounded number of tries
 * and report STARTING, and the next write (from the restarted writer) repairs it because
 * it always ends with an even seq.
 */
#include "config.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "rs/conf.h"
#include "rs/os.h"
#include "rs/status.h"

#define REASON_MAX 256
#define READ_TRIES 1000

typedef struct entry {
    _Atomic uint64_t seq;
    _Atomic uint32_t state;
    _Atomic char reason[REASON_MAX];
} entry_t;

struct rs_status_board {
    uint32_t magic;
    entry_t e[RS_SVC__COUNT];
    /* API Gateway custom domain names (rs_status_set_domains): written by the lambda
     * supervisor only, after it replaced the names file; read by workers (atomic loads) */
    _Atomic uint64_t domains_gen;   /* bumped at each publication */
    _Atomic uint32_t domains_count; /* how many names the file holds */
    /* watchdog heartbeats (rs_status_beat): each written by its own process, and by the
     * master before it forks that process; read by the master */
    _Atomic int64_t beat[RS_SVC__COUNT + RS_CONF_MAX_WORKERS];
};

#define BOARD_MAGIC 0x53545342u /* "BSTS" */

static rs_status_board_t *current;

rs_status_board_t *rs_status_create(void)
{
    void *p = mmap(NULL, sizeof(rs_status_board_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    rs_status_board_t *b = p;
    /* a fresh anonymous mapping is zero: every entry is seq 0, DISABLED, "" */
    b->magic = BOARD_MAGIC;
    current = b;
    return b;
}

void rs_status_destroy(rs_status_board_t *b)
{
    if (b == NULL)
        return;
    if (current == b)
        current = NULL;
    munmap(b, sizeof(*b));
}

rs_status_board_t *rs_status_current(void)
{
    return current;
}

void rs_status_set(rs_status_board_t *b, rs_svc_t svc, rs_svc_state_t state, const char *reason)
{
    if (b == NULL || (unsigned)svc >= RS_SVC__COUNT)
        return;
    entry_t *e = &b->e[svc];
    uint64_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
    /* odd while writing; a dead writer's odd value is simply advanced past */
    s = (s | 1u) + ((s & 1u) ? 2u : 0u);
    atomic_store_explicit(&e->seq, s, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&e->state, (uint32_t)state, memory_order_relaxed);
    size_t n = reason == NULL ? 0 : strnlen(reason, REASON_MAX - 1);
    for (size_t i = 0; i < n; i++)
        atomic_store_explicit(&e->reason[i], reason[i], memory_order_relaxed);
    atomic_store_explicit(&e->reason[n], '\0', memory_order_relaxed);
    atomic_store_explicit(&e->seq, s + 1, memory_order_release);
}

rs_svc_state_t rs_status_get(const rs_status_board_t *b, rs_svc_t svc, char *reason, size_t len)
{
    char tmp[REASON_MAX];
    if (reason != NULL && len > 0)
        reason[0] = '\0';
    if (b == NULL || (unsigned)svc >= RS_SVC__COUNT)
        return RS_SVC_DISABLED;
    entry_t *e = (entry_t *)&b->e[svc];
    for (int tries = 0; tries < READ_TRIES; tries++) {
        uint64_t s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
        if (s1 & 1u) {
            if (tries % 64 == 63)
                sched_yield();
            continue;
        }
        uint32_t st = atomic_load_explicit(&e->state, memory_order_relaxed);
        size_t i = 0;
        for (; i < REASON_MAX - 1; i++) {
            tmp[i] = atomic_load_explicit(&e->reason[i], memory_order_relaxed);
            if (tmp[i] == '\0')
                break;
        }
        tmp[i] = '\0';
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&e->seq, memory_order_relaxed) != s1)
            continue;
        if (st > RS_SVC_UNAVAILABLE)
            st = RS_SVC_STARTING;
        if (reason != NULL && len > 0)
            snprintf(reason, len, "%s", tmp);
        return (rs_svc_state_t)st;
    }
    /* a writer died mid-update (or is extremely slow): the service is in transition */
    return RS_SVC_STARTING;
}

const char *rs_status_name(rs_svc_state_t s)
{
    switch (s) {
    case RS_SVC_DISABLED:
        return "disabled";
    case RS_SVC_STARTING:
        return "starting";
    case RS_SVC_RUNNING:
        return "running";
    case RS_SVC_UNAVAILABLE:
        return "unavailable";
    }
    return "unknown";
}

void rs_status_set_domains(rs_status_board_t *b, uint32_t count)
{
    if (b == NULL)
        return;
    atomic_store(&b->domains_count, count);
    atomic_fetch_add(&b->domains_gen, 1);
}

void rs_status_beat_at(rs_status_board_t *b, unsigned who, int64_t mono_ms)
{
    if (b != NULL && who < RS_SVC__COUNT + RS_CONF_MAX_WORKERS)
        atomic_store_explicit(&b->beat[who], mono_ms, memory_order_relaxed);
}

void rs_status_beat(rs_status_board_t *b, unsigned who)
{
    rs_status_beat_at(b, who, rs_mono_ms());
}

int64_t rs_status_last_beat(const rs_status_board_t *b, unsigned who)
{
    if (b == NULL || who >= RS_SVC__COUNT + RS_CONF_MAX_WORKERS)
        return 0;
    return atomic_load_explicit(&((rs_status_board_t *)b)->beat[who], memory_order_relaxed);
}

uint64_t rs_status_domains(const rs_status_board_t *b, uint32_t *count)
{
    /* the count is stored before the generation moves: a reader that sees the new
     * generation sees the new count (or a later one) */
    uint64_t gen = atomic_load(&((rs_status_board_t *)b)->domains_gen);
    *count = atomic_load(&((rs_status_board_t *)b)->domains_count);
    return gen;
}
