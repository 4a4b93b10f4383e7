/*
 * ddb_reset.c: the ddb supervisor's part of the account-scoped reset (POST
 * /_ruststack/reset?account=...): every table of the account in every region is deleted
 * in DynamoDB Local. DynamoDB Local keeps one database per access key and region and
 * cannot list them, so the supervisor notes each region a request named (a small set)
 * and, for each, lists the account's tables (ListTables, paged, on the handler thread's
 * kept-alive connection) and deletes them (DeleteTable; the handler thread and up to
 * three short-lived helper threads on their own connections), signed with the account's
 * key (rs_ddb_access_key): exactly the account's tables, nobody else's.
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

/* the account's tables of one region, deleted; 0 or -1 with *why */
static int reset_region(rs_ddb_conn_t *hc, uint16_t port, const char *account, const char *region,
                        int timeout_ms, json_object *tables, const char **why)
{
    char start[256] = "";
    for (;;) {
        json_object *q = json_object_new_object();
        json_object_object_add(q, "Limit", json_object_new_int(100));
        if (start[0])
            json_object_object_add(q, "ExclusiveStartTableName", json_object_new_string(start));
        int status = 0;
        json_object *a = call(hc, port, account, region, "ListTables", q, timeout_ms, &status, why);
        json_object_put(q);
        if (a == NULL)
            return -1;
        json_object *names, *last;
        if (status != 200 || !json_object_object_get_ex(a, "TableNames", &names)) {
            json_object_put(a);
            *why = "DynamoDB Local refused ListTables";
            return -1;
        }
        *why = delete_page(hc, port, account, region, timeout_ms, names, tables);
        start[0] = '\0';
        if (json_object_object_get_ex(a, "LastEvaluatedTableName", &last))
            snprintf(start, sizeof(start), "%s", json_object_get_string(last));
        json_object_put(a);
        if (*why != NULL)
            return -1;
        if (!start[0])
            return 0;
    }
}

int rs_ddb_reset_account(rs_ddb_conn_t *hc, uint16_t port, const char *account,
                         const char *request_region, int timeout_ms, char **body, size_t *len)
{
    char local[MAX_REGIONS + 1][REGION_LEN];
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
    for (unsigned i = 0; i < n && rc == 0; i++)
        rc = reset_region(hc, port, account, local[i], timeout_ms, tables, &why);
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
