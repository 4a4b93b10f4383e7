/*
 * ddb_reset.c: the ddb supervisor's part of the account-scoped reset (POST
 * /_ruststack/reset?account=...): every table of the account in every region is deleted
 * in DynamoDB Local. DynamoDB Local keeps one database per access key and region and
 * cannot list them, so the supervisor notes each region a request named (a small set)
 * and, for each, lists the account's tables (ListTables, paged, on the handler thread's
 * kept-alive connection) and deletes them (DeleteTable; the handler thread and up to
 * three short-lived helper threads on their own connections), signed with the account's
 * key (rs_ddb_access_key): exactly the account's tables, nobody else's. With DynamoDB
 * Local in memory the answer does not wait for the deletions: see "generations" below.
 * Answer: 200 {"tables": [{"region": "...", "name": "..."}]}.
 * Runs in: the ddb supervisor (its IPC handler threads).
 */
#include "config.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddb/ddb_int.h"
#include "rs/err.h"
#include "rs/log.h"

#define MAX_REGIONS 64
#define REGION_LEN 32
#define DEL_THREADS 4 /* connections deleting one account's tables at once */

static pthread_mutex_t regions_lock = PTHREAD_MUTEX_INITIALIZER;
static char regions[MAX_REGIONS][REGION_LEN];
static unsigned nregions;

void rs_ddb_regions_note(const char *region)
{
    /* the common case costs one comparison: the thread's last region */
    static _Thread_local char last[REGION_LEN];
    size_t n = strlen(region);
    if (n == 0 || n >= REGION_LEN || strcmp(last, region) == 0)
        return;
    pthread_mutex_lock(&regions_lock);
    unsigned i = 0;
    while (i < nregions && strcmp(regions[i], region) != 0)
        i++;
    if (i == nregions && nregions < MAX_REGIONS)
        memcpy(regions[nregions++], region, n + 1);
    pthread_mutex_unlock(&regions_lock);
    memcpy(last, region, n + 1);
}

/* one request to DynamoDB Local as the account; the parsed answer (NULL: failed, *why) */
static json_object *call(rs_ddb_conn_t *hc, uint16_t port, const char *account, const char *region,
                         const char *op, json_object *body, int timeout_ms, int *status,
                         const char **why)
{
    char target[64];
    snprintf(target, sizeof(target), "DynamoDB_20120810.%s", op);
    const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
    rs_ddb_req_t req = {target, region, account, "application/x-amz-json-1.0", text, strlen(text)};
    rs_ddb_resp_t resp;
    int rc = rs_ddb_http_do(hc, port, &req, timeout_ms, &resp);
    if (rc != 0) {
        *why = rc == RS_EAGAIN ? "DynamoDB Local did not answer in time"
                               : "DynamoDB Local is not reachable";
        return NULL;
    }
    *status = resp.status;
    json_object *o = json_tokener_parse(resp.body);
    rs_ddb_resp_free(&resp);
    if (o == NULL)
        *why = "DynamoDB Local answered something that is not JSON";
    return o;
}

/* the deletion of a list of tables, shared by the threads that work on it */
typedef struct del_job {
    uint16_t port;
    const char *account, *region;
    int timeout_ms;
    json_object *names; /* the page of ListTables */
    atomic_size_t next;
    pthread_mutex_t lock; /* tables, why */
    json_object *tables;
    const char *why;
} del_job_t;

/* delete tables of the page until none is left (any thread, on connection hc) */
static void del_run(del_job_t *d, rs_ddb_conn_t *hc)
{
    size_t n = json_object_array_length(d->names);
    for (size_t i; (i = atomic_fetch_add(&d->next, 1)) < n;) {
        const char *name = json_object_get_string(json_object_array_get_idx(d->names, i));
        json_object *q = json_object_new_object();
        json_object_object_add(q, "TableName", json_object_new_string(name));
        int status = 0;
        const char *why = NULL;
        json_object *r = call(hc, d->port, d->account, d->region, "DeleteTable", q, d->timeout_ms,
                              &status, &why);
        json_object_put(q);
        json_object_put(r);
        pthread_mutex_lock(&d->lock);
        if (r != NULL && status == 200) {
            json_object *t = json_object_new_object();
            json_object_object_add(t, "region", json_object_new_string(d->region));
            json_object_object_add(t, "name", json_object_new_string(name));
            json_object_array_add(d->tables, t);
        } else if (r == NULL || status != 400) { /* 400: deleted meanwhile (not found) */
            d->why = why != NULL ? why : "DynamoDB Local refused DeleteTable";
        }
        pthread_mutex_unlock(&d->lock);
    }
}

static void *del_thread(void *arg)
{
    rs_ddb_conn_t hc;
    rs_ddb_conn_init(&hc);
    del_run(arg, &hc);
    rs_ddb_conn_close(&hc);
    return NULL;
}

/* delete the tables of a page: DynamoDB Local handles requests in parallel, so up to
 * DEL_THREADS - 1 helper threads (each with its own connection) share the work with the
 * calling thread */
static const char *delete_page(rs_ddb_conn_t *hc, uint16_t port, const char *account,
                               const char *region, int timeout_ms, json_object *names,
                               json_object *tables)
{
    del_job_t d = {.port = port,
                   .account = account,
                   .region = region,
                   .timeout_ms = timeout_ms,
                   .names = names,
                   .tables = tables};
    atomic_init(&d.next, 0);
    pthread_mutex_init(&d.lock, NULL);
    size_t n = json_object_array_length(names), nt = 0;
    pthread_t th[DEL_THREADS];
    while (nt + 1 < DEL_THREADS && nt + 1 < n && pthread_create(&th[nt], NULL, del_thread, &d) == 0)
        nt++;
    del_run(&d, hc);
    for (size_t i = 0; i < nt; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&d.lock);
    return d.why;
}

/* every table name of (key account, region), appended to names; 0 or -1 with *why */
static int list_all(rs_ddb_conn_t *hc, uint16_t port, const char *key, const char *region,
                    int timeout_ms, json_object *names, const char **why)
{
    char start[256] = "";
    for (;;) {
        json_object *q = json_object_new_object();
        json_object_object_add(q, "Limit", json_object_new_int(100));
        if (start[0])
            json_object_object_add(q, "ExclusiveStartTableName", json_object_new_string(start));
        int status = 0;
        json_object *a = call(hc, port, key, region, "ListTables", q, timeout_ms, &status, why);
        json_object_put(q);
        if (a == NULL)
            return -1;
        json_object *page, *last;
        if (status != 200 || !json_object_object_get_ex(a, "TableNames", &page)) {
            json_object_put(a);
            *why = "DynamoDB Local refused ListTables";
            return -1;
        }
        for (size_t i = 0; i < json_object_array_length(page); i++)
            json_object_array_add(names, json_object_get(json_object_array_get_idx(page, i)));
        start[0] = '\0';
        if (json_object_object_get_ex(a, "LastEvaluatedTableName", &last))
            snprintf(start, sizeof(start), "%s", json_object_get_string(last));
        json_object_put(a);
        if (!start[0])
            return 0;
    }
}

/* tables of (key account, region), for the per-account table quota (ddb_supervisor.c) */
int rs_ddb_count_tables(rs_ddb_conn_t *hc, uint16_t port, const char *key, const char *region,
                        int timeout_ms, size_t *n, const char **why)
{
    json_object *names = json_object_new_array();
    int rc = names != NULL ? list_all(hc, port, key, region, timeout_ms, names, why) : -1;
    if (names == NULL)
        *why = "out of memory";
    *n = rc == 0 ? json_object_array_length(names) : 0;
    json_object_put(names);
    return rc;
}

/* ---- generations ---------------------------------------------------------------------
 * With DynamoDB Local in memory (no data_dir) a reset does not wait for the deletions: the
 * account's key towards DynamoDB Local moves to a new generation ("<account>G<n>", so a
 * new, empty database per region) and the old generation's tables are deleted by a
 * background thread. Clients never see them again. The table lives as long as the
 * supervisor, exactly as long as the in-memory databases (DynamoDB Local dies with it).
 * It also records every account that sent a request: the reset of an account that never
 * did asks DynamoDB Local nothing (it has no tables; asking would make it a database). */

typedef struct gen_ent {
    char account[13];
    uint32_t gen;
} gen_ent_t;

/* accounts remembered; past it an account's first request is not recorded (seen_lost) and
 * resets of accounts never seen list their tables anyway */
#define GENS_MAX (1u << 20)

static pthread_rwlock_t gens_lock = PTHREAD_RWLOCK_INITIALIZER;
static gen_ent_t *gens;
static size_t gens_cap, gens_n;
static atomic_int seen_lost;

static size_t gen_slot(const gen_ent_t *t, size_t cap, const char *account)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = account; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    size_t i = (size_t)h & (cap - 1);
    while (t[i].account[0] && strcmp(t[i].account, account) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

/* the entry of account, made when missing (write lock held); NULL when the table is full
 * or memory is short */
static gen_ent_t *gen_entry_locked(const char *account)
{
    if ((gens_n + 1) * 2 > gens_cap) {
        size_t cap = gens_cap ? gens_cap * 2 : 1024;
        gen_ent_t *t = cap / 2 > GENS_MAX ? NULL : calloc(cap, sizeof(*t));
        if (t == NULL)
            return NULL;
        for (size_t i = 0; i < gens_cap; i++)
            if (gens[i].account[0])
                t[gen_slot(t, cap, gens[i].account)] = gens[i];
        free(gens);
        gens = t;
        gens_cap = cap;
    }
    gen_ent_t *e = &gens[gen_slot(gens, gens_cap, account)];
    if (!e->account[0]) {
        snprintf(e->account, sizeof(e->account), "%s", account);
        gens_n++;
    }
    return e;
}

/* 1 and *gen when the account is known */
static int gen_lookup(const char *account, uint32_t *gen)
{
    int found = 0;
    pthread_rwlock_rdlock(&gens_lock);
    if (gens_cap > 0) {
        const gen_ent_t *e = &gens[gen_slot(gens, gens_cap, account)];
        found = e->account[0] != '\0';
        *gen = e->gen;
    }
    pthread_rwlock_unlock(&gens_lock);
    return found;
}

const char *rs_ddb_key_account(const char *account, char *buf, size_t len)
{
    uint32_t gen = 0;
    if (strlen(account) > 12) {
        atomic_store(&seen_lost, 1);
        return account;
    }
    if (!gen_lookup(account, &gen)) { /* its first request: remember it */
        pthread_rwlock_wrlock(&gens_lock);
        gen_ent_t *e = gen_entry_locked(account);
        if (e != NULL)
            gen = e->gen;
        else
            atomic_store(&seen_lost, 1);
        pthread_rwlock_unlock(&gens_lock);
    }
    if (gen == 0)
        return account;
    snprintf(buf, len, "%sG%u", account, gen);
    return buf;
}

/* move the account to its next generation; 0, or RS_ENOMEM (unchanged) */
static int gen_bump(const char *account)
{
    pthread_rwlock_wrlock(&gens_lock);
    gen_ent_t *e = gen_entry_locked(account);
    if (e != NULL)
        e->gen++;
    pthread_rwlock_unlock(&gens_lock);
    return e != NULL ? 0 : RS_ENOMEM;
}

typedef struct bg_job {
    uint16_t port;
    int timeout_ms;
    char key[32]; /* the old generation's key account */
    unsigned n;
    char regions[MAX_REGIONS + 1][REGION_LEN];
} bg_job_t;

/* the old generation's tables, deleted in the background */
static void *bg_delete(void *arg)
{
    bg_job_t *b = arg;
    rs_ddb_conn_t hc;
    rs_ddb_conn_init(&hc);
    for (unsigned i = 0; i < b->n; i++) {
        const char *why = NULL;
        json_object *names = json_object_new_array(), *gone = json_object_new_array();
        if (list_all(&hc, b->port, b->key, b->regions[i], b->timeout_ms, names, &why) == 0)
            why = delete_page(&hc, b->port, b->key, b->regions[i], b->timeout_ms, names, gone);
        if (why != NULL)
            rs_log(RS_LOG_WARN, NULL, "ddb: tables of %s in %s left in DynamoDB Local: %s", b->key,
                   b->regions[i], why);
        json_object_put(names);
        json_object_put(gone);
    }
    rs_ddb_conn_close(&hc);
    free(b);
    return NULL;
}

static int start_bg(uint16_t port, int timeout_ms, const char *key, char regs[][REGION_LEN],
                    unsigned n)
{
    bg_job_t *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return RS_ENOMEM;
    b->port = port;
    b->timeout_ms = timeout_ms;
    snprintf(b->key, sizeof(b->key), "%s", key);
    b->n = n;
    memcpy(b->regions, regs, sizeof(regs[0]) * n);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &a, bg_delete, b);
    pthread_attr_destroy(&a);
    if (rc != 0) {
        free(b);
        return RS_ERR;
    }
    return 0;
}

int rs_ddb_reset_account(rs_ddb_conn_t *hc, uint16_t port, const char *account,
                         const char *request_region, int in_memory, int timeout_ms, char **body,
                         size_t *len)
{
    char local[MAX_REGIONS + 1][REGION_LEN], keybuf[32];
    unsigned n;
    rs_ddb_regions_note(request_region);
    pthread_mutex_lock(&regions_lock);
    n = nregions;
    memcpy(local, regions, sizeof(regions[0]) * n);
    pthread_mutex_unlock(&regions_lock);
    json_object *root = json_object_new_object(), *tables = json_object_new_array();
    if (root == NULL || tables == NULL) {
        json_object_put(root);
        json_object_put(tables);
        return RS_ENOMEM;
    }
    json_object_object_add(root, "tables", tables);
    const char *why = NULL;
    int rc = 0;
    uint32_t gen = 0;
    int known = gen_lookup(account, &gen);
    if (!known && in_memory && !atomic_load(&seen_lost))
        n = 0; /* no request of the account ever reached DynamoDB Local: no tables */
    const char *key = gen == 0 ? account : keybuf;
    snprintf(keybuf, sizeof(keybuf), "%sG%u", account, gen);
    /* what the account has: the answer (and, waiting, what to delete) */
    json_object *names[MAX_REGIONS + 1] = {NULL};
    for (unsigned i = 0; i < n && rc == 0; i++) {
        names[i] = json_object_new_array();
        rc = list_all(hc, port, key, local[i], timeout_ms, names[i], &why);
    }
    size_t found = 0;
    for (unsigned i = 0; i < n && rc == 0; i++)
        found += json_object_array_length(names[i]);
    int background = 0;
    if (rc == 0 && found > 0 && in_memory && gen_bump(account) == 0)
        background = start_bg(port, timeout_ms, key, local, n) == 0;
    for (unsigned i = 0; i < n && rc == 0; i++) {
        if (!background) {
            why = delete_page(hc, port, key, local[i], timeout_ms, names[i], tables);
            rc = why != NULL ? -1 : 0;
            continue;
        }
        for (size_t k = 0; k < json_object_array_length(names[i]); k++) {
            json_object *t = json_object_new_object();
            json_object_object_add(t, "region", json_object_new_string(local[i]));
            json_object_object_add(t, "name",
                                   json_object_get(json_object_array_get_idx(names[i], k)));
            json_object_array_add(tables, t);
        }
    }
    for (unsigned i = 0; i < n; i++)
        json_object_put(names[i]);
    if (rc != 0) {
        rs_log(RS_LOG_WARN, NULL, "ddb: account %s reset incomplete: %s", account, why);
        json_object_object_add(root, "error", json_object_new_string(why));
    }
    const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    *body = strdup(s);
    *len = *body != NULL ? strlen(*body) : 0;
    json_object_put(root);
    if (*body == NULL)
        return RS_ENOMEM;
    return rc == 0 ? 0 : RS_EAGAIN;
}
