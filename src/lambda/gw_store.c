/*
 * gw_store.c: the API Gateway and function URL definitions (gw_store.h): one JSON
 * document under one mutex, persisted to <root>/gateway.json by atomic replace before a
 * change is acknowledged, restored on a failed or refused edit; the custom domain names
 * published to the workers as a file (one name per line) after each change.
 * Runs in: the lambda supervisor (any handler thread).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lambda/gw_store.h"
#include "rs/err.h"
#include "rs/http.h"
#include "rs/log.h"
#include "rs/os.h"
#include "rs/status.h"

struct rs_gw_store {
    pthread_mutex_t lock;
    json_object *doc; /* under lock */
    char path[1100];  /* <root>/gateway.json */
    char hosts[1100]; /* "" when not published */
};

static const char *const colls[] = {"rest", "http", "domains", "urls"};

json_object *rs_gw_doc_coll(json_object *doc, const char *name)
{
    json_object *c;
    if (json_object_object_get_ex(doc, name, &c) && json_object_is_type(c, json_type_object))
        return c;
    c = json_object_new_object();
    json_object_object_add(doc, name, c);
    return c;
}

json_object *rs_gw_doc_owned(json_object *doc, const char *coll, const char *id,
                             const char *account, const char *region)
{
    json_object *e, *a, *r;
    if (id == NULL || !json_object_object_get_ex(rs_gw_doc_coll(doc, coll), id, &e) ||
        !json_object_object_get_ex(e, "account", &a) || !json_object_object_get_ex(e, "region", &r))
        return NULL;
    if (strcmp(json_object_get_string(a), account) != 0 ||
        strcmp(json_object_get_string(r), region) != 0)
        return NULL;
    return e;
}

void rs_gw_new_id(char *out, size_t n)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char b[64];
    if (n > sizeof(b))
        n = sizeof(b);
    if (getrandom(b, n, 0) != (ssize_t)n)
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)rand();
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
    out[n] = '\0';
}

static int persist(rs_gw_store_t *s)
{
    const char *text = json_object_to_json_string_ext(s->doc, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text == NULL)
        return RS_ENOMEM;
    return rs_write_file_atomic(s->path, text, strlen(text), 0600);
}

/* the domain names, one per line, for the workers' router (store lock held) */
static void publish_hosts(rs_gw_store_t *s)
{
    if (!s->hosts[0])
        return;
    rs_buf_t b;
    rs_buf_init(&b);
    json_object_object_foreach(rs_gw_doc_coll(s->doc, "domains"), name, v)
    {
        (void)v;
        rs_buf_appends(&b, name);
        rs_buf_append(&b, "\n", 1);
    }
    if (rs_write_file_atomic(s->hosts, b.data != NULL ? b.data : "", b.len, 0644) != 0)
        rs_log(RS_LOG_ERR, NULL, "apigateway: cannot publish the domain names to %s", s->hosts);
    else
        rs_status_set_domains(rs_status_current(), (uint32_t)json_object_object_length(
                                                       rs_gw_doc_coll(s->doc, "domains")));
    rs_buf_free(&b);
}

int rs_gw_store_open(const char *root, const char *hosts_path, int wipe, rs_gw_store_t **out)
{
    rs_gw_store_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return RS_ENOMEM;
    pthread_mutex_init(&s->lock, NULL);
    snprintf(s->path, sizeof(s->path), "%s/gateway.json", root);
    snprintf(s->hosts, sizeof(s->hosts), "%s", hosts_path != NULL ? hosts_path : "");
    if (wipe)
        unlink(s->path);
    s->doc = access(s->path, F_OK) == 0 ? json_object_from_file(s->path) : NULL;
    if (access(s->path, F_OK) == 0 && !json_object_is_type(s->doc, json_type_object)) {
        char keep[1200];
        snprintf(keep, sizeof(keep), "%s.corrupt", s->path);
        rename(s->path, keep);
        rs_log(RS_LOG_ERR, NULL, "apigateway: %s is not valid; kept as %s, starting empty", s->path,
               keep);
        json_object_put(s->doc);
        s->doc = NULL;
    }
    if (s->doc == NULL)
        s->doc = json_object_new_object();
    if (s->doc == NULL) {
        free(s);
        return RS_ENOMEM;
    }
    for (size_t i = 0; i < sizeof(colls) / sizeof(colls[0]); i++)
        rs_gw_doc_coll(s->doc, colls[i]);
    publish_hosts(s);
    *out = s;
    return 0;
}

void rs_gw_store_close(rs_gw_store_t *s)
{
    if (s == NULL)
        return;
    json_object_put(s->doc);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int rs_gw_store_edit(rs_gw_store_t *s, rs_gw_edit_fn fn, void *arg)
{
    int changed = 0;
    pthread_mutex_lock(&s->lock);
    json_object *before = NULL;
    if (json_object_deep_copy(s->doc, &before, NULL) != 0) {
        pthread_mutex_unlock(&s->lock);
        return RS_ENOMEM;
    }
    int rc = fn(s->doc, arg, &changed);
    if (rc == 0 && changed) {
        rc = persist(s);
        if (rc != 0) {
            rs_log(RS_LOG_ERR, NULL, "apigateway: cannot write %s: %s; change undone", s->path,
                   rs_err_str(rc));
            rc = RS_ERR;
        }
    }
    if (rc != 0) {
        json_object_put(s->doc);
        s->doc = before;
    } else {
        json_object_put(before);
        if (changed)
            publish_hosts(s);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int rs_gw_store_read(rs_gw_store_t *s, rs_gw_edit_fn fn, void *arg)
{
    int changed = 0;
    pthread_mutex_lock(&s->lock);
    int rc = fn(s->doc, arg, &changed);
    pthread_mutex_unlock(&s->lock);
    return rc;
}
