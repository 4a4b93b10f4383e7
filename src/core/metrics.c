/*
 * metrics.c: the shared metrics mapping (include/rs/metrics.h) and its Prometheus text
 * rendering. Runs in: master (create before fork), workers (record requests, render),
 * supervisors (gauges).
 *
 * ABI: one MAP_SHARED|MAP_ANONYMOUS mapping = a header, then max_writers fixed-size writer
 * regions found by offset (writers_off + slot * writer_size); fixed-width fields only.
 * Each writer region has exactly one writer, the process that owns the slot. An entry's
 * names and status are written before its `used` flag is set with a release store, and
 * never change afterwards, so a reader that sees used == 1 (acquire) reads whole names.
 * Counters are bumped by a load and a release store (no read-modify-write: one writer).
 * Histogram buckets are not cumulative in memory and _count is their sum, so a reader can
 * never see _count below a bucket. Nothing is reset when a slot gets a new process.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rs/http.h"
#include "rs/metrics.h"

#define METRICS_MAGIC 0x5254454du /* "METR" */
#define METRICS_VERSION 1u
#define MAX_WRITERS 1024u
#define REQ_SLOTS 512u
#define REQ_RESERVE 64u /* entries only the "other" fallbacks may take */
#define SVC_SLOTS 16u   /* the last one is kept for service "other" */
#define GAUGE_SLOTS 32u
#define SVC_LEN 32
#define OP_LEN 64
#define GAUGE_LEN 56
#define NBOUNDS 8
#define NBUCKETS (NBOUNDS + 1)

static const uint64_t bound_us[NBOUNDS] = {1000,   5000,   10000,   50000,
                                           100000, 500000, 1000000, 5000000};
static const char *const bound_le[NBUCKETS] = {"0.001", "0.005", "0.01", "0.05", "0.1",
                                               "0.5",   "1",     "5",    "+Inf"};

typedef struct req_entry {
    _Atomic uint32_t used;  /* slot writer: set to 1 (release) once the fields below are set */
    int32_t status;         /* slot writer, before publication; constant afterwards */
    char service[SVC_LEN];  /* slot writer, before publication; constant afterwards */
    char operation[OP_LEN]; /* slot writer, before publication; constant afterwards */
    _Atomic uint64_t count; /* slot writer: load + release store */
} req_entry_t;

typedef struct svc_entry {
    _Atomic uint32_t used;             /* slot writer: 1 (release) once name is set */
    uint32_t pad;                      /* zero */
    char name[SVC_LEN];                /* slot writer, before publication; constant after */
    _Atomic uint64_t bucket[NBUCKETS]; /* slot writer: requests per latency bucket */
    _Atomic uint64_t sum_us;           /* slot writer: total latency, microseconds */
    _Atomic uint64_t bytes;            /* slot writer: total response bytes */
} svc_entry_t;

typedef struct gauge_entry {
    _Atomic uint32_t used; /* slot writer: 1 (release) once name is set */
    uint32_t pad;          /* zero */
    char name[GAUGE_LEN];  /* slot writer, before publication; constant afterwards */
    _Atomic int64_t value; /* slot writer: release store */
} gauge_entry_t;

typedef struct writer {
    uint32_t nreq;         /* slot writer only (readers ignore it): req entries in use */
    uint32_t pad;          /* zero */
    _Atomic uint64_t lost; /* slot writer: requests that found no req entry at all */
    req_entry_t req[REQ_SLOTS];
    svc_entry_t svc[SVC_SLOTS];
    gauge_entry_t gauge[GAUGE_SLOTS];
} writer_t;

struct rs_metrics {
    uint32_t magic;       /* master at create; constant */
    uint32_t version;     /* master at create; constant */
    uint32_t max_writers; /* master at create; constant */
    uint32_t pad;         /* zero */
    uint64_t size;        /* master at create: bytes in the mapping */
    uint64_t writers_off; /* master at create: offset of writer slot 0 */
    uint64_t writer_size; /* master at create: stride between writer slots */
};

#define ALIGN64(x) (((x) + 63u) & ~(uint64_t)63u)

static rs_metrics_t *current;

rs_metrics_t *rs_metrics_create(unsigned max_writers)
{
    if (max_writers == 0 || max_writers > MAX_WRITERS)
        return NULL;
    uint64_t off = ALIGN64(sizeof(rs_metrics_t)), stride = ALIGN64(sizeof(writer_t));
    uint64_t size = off + stride * max_writers;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    rs_metrics_t *m = p; /* a fresh anonymous mapping is zero: every entry unused */
    m->version = METRICS_VERSION;
    m->max_writers = max_writers;
    m->size = size;
    m->writers_off = off;
    m->writer_size = stride;
    m->magic = METRICS_MAGIC;
    current = m;
    return m;
}

rs_metrics_t *rs_metrics_current(void)
{
    return current;
}

void rs_metrics_destroy(rs_metrics_t *m)
{
    if (m == NULL)
        return;
    if (current == m)
        current = NULL;
    munmap(m, m->size);
}

static writer_t *slot_of(rs_metrics_t *m, unsigned slot)
{
    if (m == NULL || m->magic != METRICS_MAGIC || slot >= m->max_writers)
        return NULL;
    return (writer_t *)((char *)m + m->writers_off + m->writer_size * slot);
}

static void bump(_Atomic uint64_t *c, uint64_t by)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
                          memory_order_release);
}

/* copy a label value: printable ASCII and '\n' kept (escaped when rendered), others '_' */
static void copy_label(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    if (src == NULL || src[0] == '\0')
        src = "unknown";
    for (; i + 1 < cap && src[i] != '\0'; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c == '\n' || (c >= 0x20 && c < 0x7f)) ? (char)c : '_';
    }
    dst[i] = '\0';
}

static uint32_t hash_key(const char *svc, const char *op, int32_t status)
{
    uint32_t h = 2166136261u;
    for (const char *s = svc; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    h = (h ^ 0xffu) * 16777619u;
    for (const char *s = op; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return (h ^ (uint32_t)status) * 16777619u;
}

/* the writer's entry for a service; the last slot takes every service that does not fit */
static svc_entry_t *find_svc(writer_t *w, const char *name)
{
    for (unsigned i = 0; i < SVC_SLOTS; i++) {
        svc_entry_t *e = &w->svc[i];
        const char *want = i == SVC_SLOTS - 1 ? "other" : name;
        if (atomic_load_explicit(&e->used, memory_order_relaxed) == 0) {
            memcpy(e->name, want, strlen(want) + 1);
            atomic_store_explicit(&e->used, 1, memory_order_release);
            return e;
        }
        if (strcmp(e->name, want) == 0 || i == SVC_SLOTS - 1)
            return e;
    }
    return NULL;
}

/* open addressing, never deleted: an empty entry on the probe path means "absent" */
static req_entry_t *find_req(writer_t *w, const char *svc, const char *op, int32_t status,
                             uint32_t limit)
{
    uint32_t h = hash_key(svc, op, status);
    for (uint32_t i = 0; i < REQ_SLOTS; i++) {
        req_entry_t *e = &w->req[(h + i) % REQ_SLOTS];
        if (atomic_load_explicit(&e->used, memory_order_relaxed) == 0) {
            if (w->nreq >= limit)
                return NULL;
            e->status = status;
            memcpy(e->service, svc, strlen(svc) + 1);
            memcpy(e->operation, op, strlen(op) + 1);
            atomic_store_explicit(&e->used, 1, memory_order_release);
            w->nreq++;
            return e;
        }
        if (e->status == status && strcmp(e->service, svc) == 0 && strcmp(e->operation, op) == 0)
            return e;
    }
    return NULL;
}

void rs_metrics_request(rs_metrics_t *m, unsigned slot, const char *service, const char *operation,
                        int status, uint64_t latency_us, uint64_t bytes)
{
    writer_t *w = slot_of(m, slot);
    if (w == NULL)
        return;
    char svc[SVC_LEN], op[OP_LEN];
    copy_label(svc, sizeof(svc), service);
    copy_label(op, sizeof(op), operation);
    svc_entry_t *s = find_svc(w, svc);
    unsigned b = 0;
    while (b < NBOUNDS && latency_us > bound_us[b])
        b++;
    bump(&s->bucket[b], 1);
    bump(&s->sum_us, latency_us);
    bump(&s->bytes, bytes);
    req_entry_t *e = find_req(w, s->name, op, status, REQ_SLOTS - REQ_RESERVE);
    if (e == NULL)
        e = find_req(w, s->name, "other", status, REQ_SLOTS);
    if (e != NULL)
        bump(&e->count, 1);
    else
        bump(&w->lost, 1);
}

void rs_metrics_gauge(rs_metrics_t *m, unsigned slot, const char *name, int64_t value)
{
    static const char *const reserved[] = {"requests_", "request_duration_seconds",
                                           "response_bytes_total"};
    writer_t *w = slot_of(m, slot);
    if (w == NULL || name == NULL || name[0] == '\0')
        return;
    char n[GAUGE_LEN];
    size_t i = 0;
    for (; i + 1 < sizeof(n) && name[i] != '\0'; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == ':';
        n[i] = ok ? c : '_';
    }
    n[i] = '\0';
    for (size_t r = 0; r < sizeof(reserved) / sizeof(reserved[0]); r++)
        if (strncmp(n, reserved[r], strlen(reserved[r])) == 0)
            return;
    for (unsigned k = 0; k < GAUGE_SLOTS; k++) {
        gauge_entry_t *g = &w->gauge[k];
        if (atomic_load_explicit(&g->used, memory_order_relaxed) == 0) {
            memcpy(g->name, n, i + 1);
            atomic_store_explicit(&g->value, value, memory_order_relaxed);
            atomic_store_explicit(&g->used, 1, memory_order_release);
            return;
        }
        if (strcmp(g->name, n) == 0) {
            atomic_store_explicit(&g->value, value, memory_order_release);
            return;
        }
    }
}

/* ---- rendering (any process; reads only published entries) ------------------------ */

typedef struct req_row {
    const char *svc, *op;
    int32_t status;
    uint64_t count;
} req_row_t;

typedef struct svc_row {
    const char *name;
    uint64_t bucket[NBUCKETS], sum_us, bytes;
} svc_row_t;

typedef struct gauge_row {
    const char *name;
    int64_t value;
} gauge_row_t;

static int cmp_req(const void *a, const void *b)
{
    const req_row_t *x = a, *y = b;
    int c = strcmp(x->svc, y->svc);
    if (c == 0)
        c = strcmp(x->op, y->op);
    if (c == 0)
        c = (x->status > y->status) - (x->status < y->status);
    return c;
}

static int cmp_name(const void *a, const void *b)
{
    /* every row type starts with its name pointer */
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_label(rs_buf_t *o, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            rs_buf_appends(o, "\\\\");
        else if (*v == '"')
            rs_buf_appends(o, "\\\"");
        else if (*v == '\n')
            rs_buf_appends(o, "\\n");
        else
            rs_buf_append(o, v, 1);
    }
}

static void put_family(rs_buf_t *o, const char *name, const char *type, const char *help)
{
    rs_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_requests(rs_buf_t *o, req_row_t *r, size_t n, uint64_t lost)
{
    put_family(o, "ruststack_requests_total", "counter",
               "Requests answered, by service, operation and HTTP status.");
    qsort(r, n, sizeof(*r), cmp_req);
    for (size_t i = 0; i < n;) {
        uint64_t sum = 0;
        size_t j = i;
        for (; j < n && cmp_req(&r[i], &r[j]) == 0; j++)
            sum += r[j].count;
        rs_buf_appends(o, "ruststack_requests_total{service=\"");
        put_label(o, r[i].svc);
        rs_buf_appends(o, "\",operation=\"");
        put_label(o, r[i].op);
        rs_buf_printf(o, "\",status=\"%d\"} %llu\n", (int)r[i].status, (unsigned long long)sum);
        i = j;
    }
    put_family(o, "ruststack_requests_dropped_total", "counter",
               "Requests missing from ruststack_requests_total: a writer's table was full.");
    rs_buf_printf(o, "ruststack_requests_dropped_total %llu\n", (unsigned long long)lost);
}

static void render_services(rs_buf_t *o, svc_row_t *s, size_t n)
{
    static const char *const h = "ruststack_request_duration_seconds";
    qsort(s, n, sizeof(*s), cmp_name);
    size_t k = 0; /* merge rows of the same service into s[0..k) */
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && strcmp(s[k - 1].name, s[i].name) == 0) {
            for (int b = 0; b < NBUCKETS; b++)
                s[k - 1].bucket[b] += s[i].bucket[b];
            s[k - 1].sum_us += s[i].sum_us;
            s[k - 1].bytes += s[i].bytes;
        } else {
            s[k++] = s[i];
        }
    }
    put_family(o, h, "histogram", "Request latency in seconds, by service.");
    for (size_t i = 0; i < k; i++) {
        uint64_t cum = 0;
        for (int b = 0; b < NBUCKETS; b++) {
            cum += s[i].bucket[b];
            rs_buf_printf(o, "%s_bucket{service=\"", h);
            put_label(o, s[i].name);
            rs_buf_printf(o, "\",le=\"%s\"} %llu\n", bound_le[b], (unsigned long long)cum);
        }
        rs_buf_printf(o, "%s_sum{service=\"", h);
        put_label(o, s[i].name);
        rs_buf_printf(o, "\"} %llu.%06llu\n", (unsigned long long)(s[i].sum_us / 1000000),
                      (unsigned long long)(s[i].sum_us % 1000000));
        rs_buf_printf(o, "%s_count{service=\"", h);
        put_label(o, s[i].name);
        rs_buf_printf(o, "\"} %llu\n", (unsigned long long)cum);
    }
    put_family(o, "ruststack_response_bytes_total", "counter",
               "Response body bytes sent, by service.");
    for (size_t i = 0; i < k; i++) {
        rs_buf_appends(o, "ruststack_response_bytes_total{service=\"");
        put_label(o, s[i].name);
        rs_buf_printf(o, "\"} %llu\n", (unsigned long long)s[i].bytes);
    }
}

static void render_gauges(rs_buf_t *o, gauge_row_t *g, size_t n)
{
    qsort(g, n, sizeof(*g), cmp_name);
    for (size_t i = 0; i < n;) {
        int64_t sum = 0;
        size_t j = i;
        for (; j < n && strcmp(g[i].name, g[j].name) == 0; j++)
            sum += g[j].value;
        rs_buf_printf(o, "# HELP ruststack_%s Gauge published by a RustStack process.\n",
                      g[i].name);
        rs_buf_printf(o, "# TYPE ruststack_%s gauge\nruststack_%s %lld\n", g[i].name, g[i].name,
                      (long long)sum);
        i = j;
    }
}

char *rs_metrics_render(rs_metrics_t *m, size_t *len)
{
    if (m == NULL || m->magic != METRICS_MAGIC)
        return NULL;
    size_t nw = m->max_writers, nr = 0, ns = 0, ng = 0, cap = 0;
    uint64_t lost = 0;
    /* entries published after this count wait for the next rendering */
    for (unsigned i = 0; i < nw; i++)
        for (unsigned k = 0; k < REQ_SLOTS; k++)
            cap += atomic_load_explicit(&slot_of(m, i)->req[k].used, memory_order_relaxed) != 0;
    req_row_t *r = malloc((cap + 1) * sizeof(*r));
    svc_row_t *s = malloc(nw * SVC_SLOTS * sizeof(*s));
    gauge_row_t *g = malloc(nw * GAUGE_SLOTS * sizeof(*g));
    if (r == NULL || s == NULL || g == NULL) {
        free(r);
        free(s);
        free(g);
        return NULL;
    }
    for (unsigned i = 0; i < nw; i++) {
        writer_t *w = slot_of(m, i);
        lost += atomic_load_explicit(&w->lost, memory_order_acquire);
        for (unsigned k = 0; k < REQ_SLOTS; k++) {
            req_entry_t *e = &w->req[k];
            if (nr == cap || atomic_load_explicit(&e->used, memory_order_acquire) == 0)
                continue;
            r[nr++] = (req_row_t){e->service, e->operation, e->status,
                                  atomic_load_explicit(&e->count, memory_order_acquire)};
        }
        for (unsigned k = 0; k < SVC_SLOTS; k++) {
            svc_entry_t *e = &w->svc[k];
            if (atomic_load_explicit(&e->used, memory_order_acquire) == 0)
                continue;
            svc_row_t *row = &s[ns++];
            row->name = e->name;
            for (int b = 0; b < NBUCKETS; b++)
                row->bucket[b] = atomic_load_explicit(&e->bucket[b], memory_order_acquire);
            row->sum_us = atomic_load_explicit(&e->sum_us, memory_order_acquire);
            row->bytes = atomic_load_explicit(&e->bytes, memory_order_acquire);
        }
        for (unsigned k = 0; k < GAUGE_SLOTS; k++) {
            gauge_entry_t *e = &w->gauge[k];
            if (atomic_load_explicit(&e->used, memory_order_acquire) == 0)
                continue;
            g[ng++] = (gauge_row_t){e->name, atomic_load_explicit(&e->value, memory_order_acquire)};
        }
    }
    rs_buf_t o;
    rs_buf_init(&o);
    render_requests(&o, r, nr, lost);
    render_services(&o, s, ns);
    render_gauges(&o, g, ng);
    free(r);
    free(s);
    free(g);
    if (len != NULL)
        *len = o.len;
    return o.data;
}
