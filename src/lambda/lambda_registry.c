/*
 * lambda_registry.c: the function registry: functions keyed by (account, region, name)
 * with their configuration, code directory and published revision; persistence to
 * <root>/registry.json (atomic replace) and reload; reference counting of published
 * revisions (rs_lambda_fn_t) and the code-directory use table that decides when a code
 * directory is removed (rules in lambda_registry.h).
 * Runs in: the lambda supervisor (any thread).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambda/lambda_code.h"
#include "lambda/lambda_hot.h"
#include "lambda/lambda_registry.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

typedef struct codedir {
    struct codedir *next;
    int uses;
    char path[1024];
} codedir_t;

static pthread_mutex_t dirs_lock = PTHREAD_MUTEX_INITIALIZER;
static codedir_t *dirs;

static codedir_t *codedir_find(const char *path)
{
    for (codedir_t *d = dirs; d; d = d->next)
        if (strcmp(d->path, path) == 0)
            return d;
    return NULL;
}

static int codedir_hold(const char *path)
{
    pthread_mutex_lock(&dirs_lock);
    codedir_t *d = codedir_find(path);
    if (!d) {
        d = calloc(1, sizeof(*d));
        if (!d) {
            pthread_mutex_unlock(&dirs_lock);
            return RS_ENOMEM;
        }
        snprintf(d->path, sizeof(d->path), "%s", path);
        d->next = dirs;
        dirs = d;
    }
    d->uses++;
    pthread_mutex_unlock(&dirs_lock);
    return 0;
}

/* 1 when this was the last use (the entry is gone and the caller removes the tree). */
static int codedir_release(const char *path)
{
    int last = 0;
    pthread_mutex_lock(&dirs_lock);
    for (codedir_t **pp = &dirs; *pp; pp = &(*pp)->next) {
        codedir_t *d = *pp;
        if (strcmp(d->path, path) != 0)
            continue;
        if (--d->uses == 0) {
            *pp = d->next;
            free(d);
            last = 1;
        }
        break;
    }
    pthread_mutex_unlock(&dirs_lock);
    return last;
}

int rs_lambda_codedir_uses(const char *code_dir)
{
    pthread_mutex_lock(&dirs_lock);
    codedir_t *d = codedir_find(code_dir);
    int n = d ? d->uses : 0;
    pthread_mutex_unlock(&dirs_lock);
    return n;
}

void rs_lambda_code_discard(const char *code_dir)
{
    char zip[1100];
    snprintf(zip, sizeof(zip), "%s.zip", code_dir);
    if (unlink(zip) != 0 && errno != ENOENT)
        rs_log(RS_LOG_WARN, NULL, "lambda: could not remove %s: %s", zip, strerror(errno));
    if (rs_rm_r(code_dir) != 0)
        rs_log(RS_LOG_WARN, NULL, "lambda: could not remove code directory %s: %s", code_dir,
               strerror(errno));
}

rs_lambda_fn_t *rs_lambda_fn_new(const char *code_dir, int hot)
{
    rs_lambda_fn_t *fn = calloc(1, sizeof(*fn));
    if (!fn)
        return NULL;
    atomic_init(&fn->refs, 1);
    if (code_dir && *code_dir) {
        if (strlen(code_dir) >= sizeof(fn->code_dir) || codedir_hold(code_dir) != 0) {
            free(fn);
            return NULL;
        }
        snprintf(fn->code_dir, sizeof(fn->code_dir), "%s", code_dir);
        /* a hot-reload directory is the user's: watched, never removed */
        fn->hot = hot;
        if (hot && rs_lambda_hot_watch(code_dir) == RS_ENOMEM) {
            codedir_release(code_dir);
            free(fn);
            return NULL;
        }
    }
    return fn;
}

void rs_lambda_fn_ref(rs_lambda_fn_t *fn)
{
    if (fn)
        atomic_fetch_add(&fn->refs, 1);
}

void rs_lambda_fn_unref(rs_lambda_fn_t *fn)
{
    if (!fn || atomic_fetch_sub(&fn->refs, 1) != 1)
        return;
    for (size_t i = 0; i < fn->nenv; i++)
        free(fn->env[i]);
    free(fn->env);
    if (fn->hot)
        rs_lambda_hot_unwatch(fn->code_dir);
    if (fn->code_dir[0] && codedir_release(fn->code_dir) && !fn->hot)
        rs_lambda_code_discard(fn->code_dir);
    free(fn);
}

/* ---- the registry ---------------------------------------------------------------------- */

typedef struct entry {
    char account[13];
    char region[32];
    char name[65];
    char code_rel[1024]; /* "code/<uuid>", or a hot-reload directory (absolute) */
    uint64_t generation;
    json_object *cfg;
    rs_lambda_fn_t *fn;
} entry_t;

struct rs_lambda_reg {
    pthread_mutex_t lock;
    char root[1024];
    entry_t **v;
    size_t n, cap;
    uint32_t max_functions;  /* per (account, region), 0 = unlimited */
    uint64_t max_code_bytes; /* CodeSize sum per (account, region), 0 = unlimited */
};

void rs_lambda_reg_set_quota(rs_lambda_reg_t *r, uint32_t max_functions, uint64_t max_code_bytes)
{
    pthread_mutex_lock(&r->lock);
    r->max_functions = max_functions;
    r->max_code_bytes = max_code_bytes;
    pthread_mutex_unlock(&r->lock);
}

static uint64_t code_size(json_object *cfg)
{
    json_object *v;
    int64_t n = json_object_object_get_ex(cfg, "CodeSize", &v) ? json_object_get_int64(v) : 0;
    return n > 0 ? (uint64_t)n : 0;
}

/* lock held: RS_ENOSPC when `add` more code bytes would pass the quota */
static int quota_check_bytes(rs_lambda_reg_t *r, const char *account, const char *region,
                             uint64_t add)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i]->account, account) == 0 && strcmp(r->v[i]->region, region) == 0)
            bytes += code_size(r->v[i]->cfg);
    return bytes + add > r->max_code_bytes ? RS_ENOSPC : 0;
}

/* lock held: RS_EQUOTA when one more function, or RS_ENOSPC when `add` more code bytes,
 * would pass (account, region)'s quota */
static int quota_check(rs_lambda_reg_t *r, const char *account, const char *region, uint64_t add)
{
    uint64_t fns = 0, bytes = 0;
    if (r->max_functions == 0 && r->max_code_bytes == 0)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->v[i]->account, account) == 0 && strcmp(r->v[i]->region, region) == 0) {
            fns++;
            bytes += code_size(r->v[i]->cfg);
        }
    }
    if (r->max_functions && fns + 1 > r->max_functions)
        return RS_EQUOTA;
    if (r->max_code_bytes && bytes + add > r->max_code_bytes)
        return RS_ENOSPC;
    return 0;
}

const char *rs_lambda_reg_root(const rs_lambda_reg_t *r)
{
    return r->root;
}

size_t rs_lambda_reg_count(rs_lambda_reg_t *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

void rs_lambda_reg_new_code_dir(const rs_lambda_reg_t *r, char *out, size_t outlen)
{
    char u[37];
    rs_lambda_uuid(u);
    snprintf(out, outlen, "%s/code/%s", r->root, u);
}

static const char *cfg_str(json_object *cfg, const char *k)
{
    json_object *v;
    if (cfg && json_object_object_get_ex(cfg, k, &v) && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return "";
}

static int64_t cfg_int(json_object *cfg, const char *k, int64_t dflt)
{
    json_object *v;
    if (cfg && json_object_object_get_ex(cfg, k, &v) && json_object_is_type(v, json_type_int))
        return json_object_get_int64(v);
    return dflt;
}

/* the published revision of an entry's current configuration */
static rs_lambda_fn_t *build_fn(const rs_lambda_reg_t *r, const entry_t *e)
{
    char dir[1024 + 1030];
    int hot = e->code_rel[0] == '/';
    if (hot)
        snprintf(dir, sizeof(dir), "%s", e->code_rel);
    else
        snprintf(dir, sizeof(dir), "%s/%s", r->root, e->code_rel);
    rs_lambda_fn_t *fn = rs_lambda_fn_new(dir, hot);
    if (!fn)
        return NULL;
    snprintf(fn->account, sizeof(fn->account), "%s", e->account);
    snprintf(fn->region, sizeof(fn->region), "%s", e->region);
    snprintf(fn->name, sizeof(fn->name), "%s", e->name);
    snprintf(fn->arn, sizeof(fn->arn), "arn:aws:lambda:%s:%s:function:%s", e->region, e->account,
             e->name);
    snprintf(fn->handler, sizeof(fn->handler), "%s", cfg_str(e->cfg, "Handler"));
    snprintf(fn->runtime, sizeof(fn->runtime), "%s", cfg_str(e->cfg, "Runtime"));
    snprintf(fn->revision_id, sizeof(fn->revision_id), "%s", cfg_str(e->cfg, "RevisionId"));
    fn->timeout_s = (uint32_t)cfg_int(e->cfg, "Timeout", 3);
    fn->memory_mb = (uint32_t)cfg_int(e->cfg, "MemorySize", 128);
    fn->generation = e->generation;
    json_object *env, *vars;
    if (json_object_object_get_ex(e->cfg, "Environment", &env) &&
        json_object_object_get_ex(env, "Variables", &vars) &&
        json_object_is_type(vars, json_type_object)) {
        size_t n = (size_t)json_object_object_length(vars);
        fn->env = calloc(n + 1, sizeof(char *));
        if (!fn->env) {
            rs_lambda_fn_unref(fn);
            return NULL;
        }
        json_object_object_foreach(vars, k, v)
        {
            const char *val = json_object_get_string(v);
            size_t len = strlen(k) + strlen(val) + 2;
            char *kv = malloc(len);
            if (!kv) {
                rs_lambda_fn_unref(fn);
                return NULL;
            }
            snprintf(kv, len, "%s=%s", k, val);
            fn->env[fn->nenv++] = kv;
        }
    }
    return fn;
}

static entry_t *find(rs_lambda_reg_t *r, const char *account, const char *region, const char *name,
                     size_t *idx)
{
    for (size_t i = 0; i < r->n; i++) {
        entry_t *e = r->v[i];
        if (strcmp(e->name, name) == 0 && strcmp(e->account, account) == 0 &&
            strcmp(e->region, region) == 0) {
            if (idx)
                *idx = i;
            return e;
        }
    }
    return NULL;
}

static void entry_free(entry_t *e)
{
    if (!e)
        return;
    json_object_put(e->cfg);
    rs_lambda_fn_unref(e->fn);
    free(e);
}

/* ---- persistence ----------------------------------------------------------------------- */

/* registry.json from the entries (caller holds the lock) */
static int persist(rs_lambda_reg_t *r)
{
    json_object *root = json_object_new_object(), *arr = json_object_new_array();
    if (!root || !arr) {
        json_object_put(root);
        json_object_put(arr);
        return RS_ENOMEM;
    }
    json_object_object_add(root, "version", json_object_new_int(1));
    json_object_object_add(root, "functions", arr);
    for (size_t i = 0; i < r->n; i++) {
        entry_t *e = r->v[i];
        json_object *o = json_object_new_object();
        json_object *c = NULL;
        if (!o || json_object_deep_copy(e->cfg, &c, NULL) != 0) {
            json_object_put(o);
            json_object_put(root);
            return RS_ENOMEM;
        }
        json_object_object_add(o, "account", json_object_new_string(e->account));
        json_object_object_add(o, "region", json_object_new_string(e->region));
        json_object_object_add(o, "name", json_object_new_string(e->name));
        json_object_object_add(o, "code_dir", json_object_new_string(e->code_rel));
        json_object_object_add(o, "generation", json_object_new_int64((int64_t)e->generation));
        json_object_object_add(o, "config", c);
        json_object_array_add(arr, o);
    }
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    char path[1100];
    snprintf(path, sizeof(path), "%s/registry.json", r->root);
    int rc = rs_write_file_atomic(path, text, strlen(text), 0600);
    int e = errno;
    json_object_put(root);
    if (rc != 0) {
        rs_log(RS_LOG_ERR, NULL, "lambda: cannot write %s: %s", path, strerror(e));
        errno = e;
    }
    return rc;
}

static int push(rs_lambda_reg_t *r, entry_t *e)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        entry_t **v = realloc(r->v, cap * sizeof(*v));
        if (!v)
            return RS_ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = e;
    return 0;
}

static int load_entry(rs_lambda_reg_t *r, json_object *o)
{
    const char *acct = cfg_str(o, "account"), *region = cfg_str(o, "region");
    const char *name = cfg_str(o, "name"), *rel = cfg_str(o, "code_dir");
    json_object *c;
    if (!*acct || !*region || !*name || (strncmp(rel, "code/", 5) != 0 && rel[0] != '/') ||
        strstr(rel, "..") != NULL || strlen(rel) >= sizeof(((entry_t *)0)->code_rel) ||
        !json_object_object_get_ex(o, "config", &c) || !json_object_is_type(c, json_type_object))
        return RS_EINVAL;
    entry_t *e = calloc(1, sizeof(*e));
    if (!e)
        return RS_ENOMEM;
    snprintf(e->account, sizeof(e->account), "%s", acct);
    snprintf(e->region, sizeof(e->region), "%s", region);
    snprintf(e->name, sizeof(e->name), "%s", name);
    snprintf(e->code_rel, sizeof(e->code_rel), "%s", rel);
    e->generation = (uint64_t)cfg_int(o, "generation", 1);
    e->cfg = json_object_get(c);
    e->fn = build_fn(r, e);
    if (!e->fn || push(r, e) != 0) {
        entry_free(e);
        return RS_ENOMEM;
    }
    return 0;
}

static int load(rs_lambda_reg_t *r)
{
    char path[1100];
    snprintf(path, sizeof(path), "%s/registry.json", r->root);
    json_object *root = json_object_from_file(path);
    if (!root) {
        if (access(path, F_OK) != 0)
            return 0; /* first start */
        goto corrupt;
    }
    json_object *arr;
    if (!json_object_object_get_ex(root, "functions", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        json_object_put(root);
        goto corrupt;
    }
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        int rc = load_entry(r, json_object_array_get_idx(arr, i));
        if (rc == RS_ENOMEM) {
            json_object_put(root);
            return rc;
        }
        if (rc != 0)
            rs_log(RS_LOG_WARN, NULL, "lambda: skipped an invalid function entry in %s", path);
    }
    json_object_put(root);
    return 0;
corrupt : {
    char keep[1200];
    snprintf(keep, sizeof(keep), "%s.corrupt", path);
    rename(path, keep);
    rs_log(RS_LOG_ERR, NULL, "lambda: %s is not a valid registry; kept as %s, starting empty", path,
           keep);
    return RS_EINVAL;
}
}

/* remove code directories that no function names (uploads cut short by a crash) */
static void sweep(rs_lambda_reg_t *r)
{
    char cdir[1100];
    snprintf(cdir, sizeof(cdir), "%s/code", r->root);
    DIR *d = opendir(cdir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char rel[300];
        snprintf(rel, sizeof(rel), "code/%s", de->d_name);
        size_t rl = strlen(rel);
        if (rl > 4 && strcmp(rel + rl - 4, ".zip") == 0)
            rel[rl - 4] = '\0'; /* the zip kept next to its directory */
        int used = 0;
        for (size_t i = 0; i < r->n && !used; i++)
            used = strcmp(r->v[i]->code_rel, rel) == 0;
        if (!used) {
            char full[1400];
            snprintf(full, sizeof(full), "%s/%s", cdir, de->d_name);
            if (rl > 4 && strcmp(de->d_name + strlen(de->d_name) - 4, ".zip") == 0)
                unlink(full);
            else
                rs_rm_r(full);
        }
    }
    closedir(d);
}

int rs_lambda_reg_open(const char *root, int wipe, rs_lambda_reg_t **out)
{
    *out = NULL;
    if (!root || !*root || strlen(root) >= 900) {
        errno = EINVAL;
        return RS_ERR;
    }
    if (wipe)
        rs_rm_r(root);
    char cdir[1100];
    snprintf(cdir, sizeof(cdir), "%s/code", root);
    if (rs_mkdir_p(root, 0700) != 0 || rs_mkdir_p(cdir, 0700) != 0)
        return RS_ERR;
    rs_lambda_reg_t *r = calloc(1, sizeof(*r));
    if (!r) {
        errno = ENOMEM;
        return RS_ERR;
    }
    pthread_mutex_init(&r->lock, NULL);
    snprintf(r->root, sizeof(r->root), "%s", root);
    int rc = load(r);
    if (rc == RS_ENOMEM) {
        rs_lambda_reg_close(r);
        errno = ENOMEM;
        return RS_ERR;
    }
    sweep(r);
    *out = r;
    return rc;
}

void rs_lambda_reg_close(rs_lambda_reg_t *r)
{
    if (!r)
        return;
    /* closing keeps the code of every registered function on disk: the registry's own
     * revisions give up their directory use without removing anything */
    for (size_t i = 0; i < r->n; i++) {
        rs_lambda_fn_t *fn = r->v[i]->fn;
        if (fn && fn->code_dir[0] && atomic_load(&fn->refs) == 1) {
            codedir_release(fn->code_dir);
            if (fn->hot)
                rs_lambda_hot_unwatch(fn->code_dir);
            fn->hot = 0;
            fn->code_dir[0] = '\0';
        }
        entry_free(r->v[i]);
    }
    free(r->v);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* "code/<uuid>" of an absolute code dir under the root; NULL when it is not. A hot-reload
 * directory (`hot`: the API checked it against lambda_hot_reload_roots) is kept absolute. */
static const char *code_rel(const rs_lambda_reg_t *r, const char *code_dir, int hot)
{
    size_t n = strlen(r->root);
    if (hot)
        return code_dir[0] == '/' && strlen(code_dir) < 1024 ? code_dir : NULL;
    if (strncmp(code_dir, r->root, n) != 0 || code_dir[n] != '/' ||
        strncmp(code_dir + n + 1, "code/", 5) != 0 || strlen(code_dir + n + 1) >= 128)
        return NULL;
    return code_dir + n + 1;
}

int rs_lambda_reg_create(rs_lambda_reg_t *r, const char *account, const char *region,
                         const char *name, json_object *cfg, const char *code_dir)
{
    return rs_lambda_reg_create_code(r, account, region, name, cfg, code_dir, 0);
}

int rs_lambda_reg_create_code(rs_lambda_reg_t *r, const char *account, const char *region,
                              const char *name, json_object *cfg, const char *code_dir, int hot)
{
    const char *rel = code_rel(r, code_dir, hot);
    entry_t *e = calloc(1, sizeof(*e));
    if (!rel || !e || strlen(name) >= sizeof(e->name) || strlen(account) >= sizeof(e->account) ||
        strlen(region) >= sizeof(e->region)) {
        json_object_put(cfg);
        free(e);
        return e ? RS_EINVAL : RS_ENOMEM;
    }
    snprintf(e->account, sizeof(e->account), "%s", account);
    snprintf(e->region, sizeof(e->region), "%s", region);
    snprintf(e->name, sizeof(e->name), "%s", name);
    snprintf(e->code_rel, sizeof(e->code_rel), "%s", rel);
    e->generation = 1;
    e->cfg = cfg;
    pthread_mutex_lock(&r->lock);
    int rc = 0;
    if (find(r, account, region, name, NULL))
        rc = RS_EEXIST;
    else if ((rc = quota_check(r, account, region, code_size(cfg))) != 0)
        ;
    else if ((e->fn = build_fn(r, e)) == NULL || push(r, e) != 0)
        rc = RS_ENOMEM;
    else if (persist(r) != 0) {
        r->n--;
        rc = RS_ERR;
    }
    pthread_mutex_unlock(&r->lock);
    if (rc != 0)
        entry_free(e);
    return rc;
}

int rs_lambda_reg_get(rs_lambda_reg_t *r, const char *account, const char *region, const char *name,
                      json_object **cfg_out, rs_lambda_fn_t **fn_out)
{
    int rc = 0;
    pthread_mutex_lock(&r->lock);
    entry_t *e = find(r, account, region, name, NULL);
    if (!e) {
        rc = RS_ENOENT;
    } else {
        if (cfg_out) {
            *cfg_out = NULL;
            if (json_object_deep_copy(e->cfg, cfg_out, NULL) != 0)
                rc = RS_ENOMEM;
        }
        if (rc == 0 && fn_out) {
            rs_lambda_fn_ref(e->fn);
            *fn_out = e->fn;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

int rs_lambda_reg_update(rs_lambda_reg_t *r, const char *account, const char *region,
                         const char *name, rs_lambda_reg_edit_fn edit, void *arg,
                         const char *new_code_dir, json_object **cfg_out)
{
    return rs_lambda_reg_update_code(r, account, region, name, edit, arg, new_code_dir, 0, cfg_out);
}

int rs_lambda_reg_update_code(rs_lambda_reg_t *r, const char *account, const char *region,
                              const char *name, rs_lambda_reg_edit_fn edit, void *arg,
                              const char *new_code_dir, int hot, json_object **cfg_out)
{
    const char *rel = NULL;
    if (new_code_dir && (rel = code_rel(r, new_code_dir, hot)) == NULL)
        return RS_EINVAL;
    pthread_mutex_lock(&r->lock);
    entry_t *e = find(r, account, region, name, NULL);
    json_object *cfg = NULL;
    int rc = 0;
    if (!e)
        rc = RS_ENOENT;
    else if (json_object_deep_copy(e->cfg, &cfg, NULL) != 0)
        rc = RS_ENOMEM;
    else
        rc = edit(cfg, arg);
    if (rc == 0 && r->max_code_bytes && code_size(cfg) > code_size(e->cfg) &&
        quota_check_bytes(r, account, region, code_size(cfg) - code_size(e->cfg)) != 0)
        rc = RS_ENOSPC; /* new code that takes the account's code past its quota */
    if (rc != 0) {
        pthread_mutex_unlock(&r->lock);
        json_object_put(cfg);
        return rc;
    }
    entry_t old = *e;
    e->cfg = cfg;
    e->generation = old.generation + 1;
    if (rel)
        snprintf(e->code_rel, sizeof(e->code_rel), "%s", rel);
    e->fn = build_fn(r, e);
    if (!e->fn)
        rc = RS_ENOMEM;
    else if (persist(r) != 0)
        rc = RS_ERR;
    if (rc != 0) {
        rs_lambda_fn_unref(e->fn);
        *e = old;
        json_object_put(cfg);
    } else {
        json_object_put(old.cfg);
        rs_lambda_fn_unref(old.fn);
        if (cfg_out && json_object_deep_copy(e->cfg, cfg_out, NULL) != 0)
            *cfg_out = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

int rs_lambda_reg_delete(rs_lambda_reg_t *r, const char *account, const char *region,
                         const char *name)
{
    size_t idx;
    pthread_mutex_lock(&r->lock);
    entry_t *e = find(r, account, region, name, &idx);
    if (!e) {
        pthread_mutex_unlock(&r->lock);
        return RS_ENOENT;
    }
    memmove(&r->v[idx], &r->v[idx + 1], (r->n - idx - 1) * sizeof(*r->v));
    r->n--;
    if (persist(r) != 0) {
        memmove(&r->v[idx + 1], &r->v[idx], (r->n - idx) * sizeof(*r->v));
        r->v[idx] = e;
        r->n++;
        pthread_mutex_unlock(&r->lock);
        return RS_ERR;
    }
    pthread_mutex_unlock(&r->lock);
    entry_free(e);
    return 0;
}

int rs_lambda_reg_list(rs_lambda_reg_t *r, const char *account, const char *region,
                       const char *marker, size_t max, json_object *arr, int *more)
{
    *more = 0;
    pthread_mutex_lock(&r->lock);
    const char *last = marker && *marker ? marker : NULL;
    size_t got = 0;
    /* repeated selection of the next name: n is small and this keeps no extra index */
    for (;;) {
        entry_t *best = NULL;
        for (size_t i = 0; i < r->n; i++) {
            entry_t *e = r->v[i];
            if (strcmp(e->account, account) != 0 || strcmp(e->region, region) != 0)
                continue;
            if (last && strcmp(e->name, last) <= 0)
                continue;
            if (!best || strcmp(e->name, best->name) < 0)
                best = e;
        }
        if (!best)
            break;
        if (got == max) {
            *more = 1;
            break;
        }
        json_object *c = NULL;
        if (json_object_deep_copy(best->cfg, &c, NULL) != 0) {
            pthread_mutex_unlock(&r->lock);
            return RS_ENOMEM;
        }
        json_object_array_add(arr, c);
        got++;
        last = best->name;
    }
    pthread_mutex_unlock(&r->lock);
    return 0;
}

int rs_lambda_reg_delete_account(rs_lambda_reg_t *r, const char *account, json_object *removed)
{
    pthread_mutex_lock(&r->lock);
    size_t k = 0, n0 = r->n;
    entry_t **gone = malloc((n0 ? n0 : 1) * sizeof(*gone));
    entry_t **keep = malloc((n0 ? n0 : 1) * sizeof(*keep));
    if (!gone || !keep) {
        pthread_mutex_unlock(&r->lock);
        free(gone);
        free(keep);
        return RS_ENOMEM;
    }
    size_t ng = 0;
    memcpy(keep, r->v, n0 * sizeof(*keep));
    for (size_t i = 0; i < n0; i++) {
        if (strcmp(r->v[i]->account, account) == 0)
            gone[ng++] = r->v[i];
        else
            r->v[k++] = r->v[i];
    }
    int rc = 0;
    if (ng > 0) {
        r->n = k;
        if (persist(r) != 0) {
            memcpy(r->v, keep, n0 * sizeof(*keep)); /* undone: nothing removed */
            r->n = n0;
            rc = RS_ERR;
        }
    }
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; rc == 0 && i < ng; i++) {
        json_object *o = json_object_new_object();
        if (o) {
            json_object_object_add(o, "region", json_object_new_string(gone[i]->region));
            json_object_object_add(o, "name", json_object_new_string(gone[i]->name));
            json_object_array_add(removed, o);
        }
        entry_free(gone[i]);
    }
    free(gone);
    free(keep);
    return rc;
}
