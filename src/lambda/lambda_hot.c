/*
 * lambda_hot.c: hot reload of function code from a local directory (lambda_hot.h): the
 * allow-list check of lambda_hot_reload_roots (realpath, so ".." and symlinks cannot
 * escape), the directory digest (CodeSha256, CodeSize), and the one inotify watcher thread
 * that bumps a per-directory generation when a file below it changes.
 * Runs in: the lambda supervisor (request threads, pool threads, the watcher thread).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambda/lambda_hot.h"
#include "rs/codec.h"
#include "rs/err.h"
#include "rs/log.h"

#define HOT_MAX_DIRS 8192 /* watched subdirectories, all functions together */
#define HOT_MAX_FILES 100000

/* ---- the allow-list -------------------------------------------------------------------- */

/* 1 when `real` is `root` or below it (both canonical) */
static int under(const char *real, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/')
        return 1;
    return strncmp(real, root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

int rs_lambda_hot_resolve(const char *roots, const char *path, char *real, size_t reallen,
                          char *why, size_t whylen)
{
    if (roots == NULL || roots[0] == '\0') {
        snprintf(why, whylen,
                 "Hot reload is disabled: set lambda_hot_reload_roots in RustStack's "
                 "configuration to the directories function code may be loaded from");
        return RS_EINVAL;
    }
    if (path[0] != '/') {
        snprintf(why, whylen, "Hot reload needs an absolute directory path in S3Key, got '%.200s'",
                 path);
        return RS_EINVAL;
    }
    char buf[PATH_MAX];
    struct stat st;
    if (realpath(path, buf) == NULL || stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, whylen, "Hot reload directory '%.200s' does not exist or is not a directory",
                 path);
        return RS_EINVAL;
    }
    const char *p = roots;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t n = strcspn(p, ",");
        while (n > 0 && p[n - 1] == ' ')
            n--;
        char root[PATH_MAX], rroot[PATH_MAX];
        if (n > 0 && n < sizeof(root)) {
            memcpy(root, p, n);
            root[n] = '\0';
            if (realpath(root, rroot) != NULL && under(buf, rroot)) {
                if (strlen(buf) >= reallen)
                    break;
                snprintf(real, reallen, "%s", buf);
                return 0;
            }
        }
        p += strcspn(p, ",");
    }
    snprintf(why, whylen,
             "Hot reload directory '%.200s' is not under any of lambda_hot_reload_roots", path);
    return RS_EINVAL;
}

/* ---- the digest ------------------------------------------------------------------------ */

static int skip_name(const char *name, int is_dir)
{
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 1;
    if (is_dir)
        return strcmp(name, "__pycache__") == 0;
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".pyc") == 0;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

typedef struct digest {
    EVP_MD_CTX *md;
    uint64_t size;
    unsigned files;
    char buf[65536];
} digest_t;

static int hash_file(digest_t *d, const char *full, const char *rel)
{
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return RS_ERR;
    }
    char head[48];
    snprintf(head, sizeof(head), "%020llu", (unsigned long long)st.st_size);
    EVP_DigestUpdate(d->md, rel, strlen(rel) + 1);
    EVP_DigestUpdate(d->md, head, strlen(head) + 1);
    for (;;) {
        ssize_t r = read(fd, d->buf, sizeof(d->buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return RS_ERR;
        }
        if (r == 0)
            break;
        EVP_DigestUpdate(d->md, d->buf, (size_t)r);
        d->size += (uint64_t)r;
    }
    close(fd);
    return 0;
}

/* sorted walk: relpaths compare in byte order because each level is sorted and a dir's
 * entries follow its name plus '/' */
static int walk(digest_t *d, const char *full, const char *rel, int depth)
{
    if (depth > 64)
        return 0;
    struct dirent **ents = NULL;
    int n = scandir(full, &ents, NULL, cmp_names);
    if (n < 0)
        return RS_ERR;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char f[PATH_MAX], r[PATH_MAX];
        struct stat st;
        const char *name = ents[i]->d_name;
        if (rc == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
            snprintf(f, sizeof(f), "%s/%s", full, name) < (int)sizeof(f) &&
            snprintf(r, sizeof(r), "%s%s%s", rel, rel[0] ? "/" : "", name) < (int)sizeof(r) &&
            lstat(f, &st) == 0) {
            if (S_ISDIR(st.st_mode) && !skip_name(name, 1))
                rc = walk(d, f, r, depth + 1);
            else if (S_ISREG(st.st_mode) && !skip_name(name, 0) && ++d->files <= HOT_MAX_FILES)
                rc = hash_file(d, f, r);
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

int rs_lambda_hot_digest(const char *dir, char sha[45], uint64_t *size)
{
    digest_t *d = calloc(1, sizeof(*d));
    if (!d)
        return RS_ENOMEM;
    d->md = EVP_MD_CTX_new();
    int rc = RS_ENOMEM;
    if (d->md && EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) == 1) {
        rc = walk(d, dir, "", 0);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        if (rc == 0 && EVP_DigestFinal_ex(d->md, md, &mdlen) == 1) {
            rs_base64_encode(md, mdlen, sha);
            *size = d->size;
        } else if (rc == 0) {
            rc = RS_ERR;
        }
    }
    EVP_MD_CTX_free(d->md);
    free(d);
    return rc;
}

/* ---- the watcher ----------------------------------------------------------------------- */

typedef struct hdir {
    struct hdir *next;
    char path[PATH_MAX];
    int uses;
    uint64_t gen;
} hdir_t;

typedef struct hwatch {
    int wd;
    char path[PATH_MAX];
} hwatch_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int ifd = -1;
static int started;
static hdir_t *dirs;
static hwatch_t *watches;
static size_t nwatch;

#define HOT_MASK                                                                                   \
    (IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |            \
     IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR)

static hwatch_t *watch_by_wd(int wd)
{
    for (size_t i = 0; i < nwatch; i++)
        if (watches[i].wd == wd)
            return &watches[i];
    return NULL;
}

/* add a watch on `path` and every directory below it (lock held) */
static void add_tree(const char *path, int depth)
{
    if (depth > 64 || nwatch >= HOT_MAX_DIRS)
        return;
    int wd = inotify_add_watch(ifd, path, HOT_MASK);
    if (wd < 0) {
        rs_log(RS_LOG_WARN, NULL, "lambda: hot reload cannot watch %s: %s", path, strerror(errno));
        return;
    }
    hwatch_t *w = watch_by_wd(wd);
    if (!w) {
        hwatch_t *v = realloc(watches, (nwatch + 1) * sizeof(*v));
        if (!v)
            return;
        watches = v;
        w = &watches[nwatch++];
        w->wd = wd;
    }
    snprintf(w->path, sizeof(w->path), "%s", path);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char sub[PATH_MAX];
        struct stat st;
        if (skip_name(e->d_name, 1) ||
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub) ||
            lstat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        add_tree(sub, depth + 1);
    }
    closedir(d);
}

static void bump_under(const char *path)
{
    for (hdir_t *h = dirs; h; h = h->next)
        if (under(path, h->path))
            h->gen++;
}

static void handle_event(const struct inotify_event *ev)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        for (hdir_t *h = dirs; h; h = h->next)
            h->gen++;
        return;
    }
    hwatch_t *w = watch_by_wd(ev->wd);
    if (!w)
        return;
    if (ev->mask & IN_IGNORED) {
        *w = watches[--nwatch];
        return;
    }
    int is_dir = (ev->mask & IN_ISDIR) != 0;
    if (ev->len > 0 && skip_name(ev->name, is_dir))
        return;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", w->path);
    if (ev->len > 0 && is_dir && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof(sub), "%s/%s", path, ev->name) < (int)sizeof(sub))
            add_tree(sub, 0);
    }
    bump_under(path);
}

/* read and apply every queued event (lock held; the fd is non-blocking). 0, or -1 when
 * the descriptor failed. Called by the watcher thread and by rs_lambda_hot_gen, so a
 * change made before an Invoke is always seen by that Invoke. */
static int drain_locked(void)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(ifd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            handle_event(ev);
            p += sizeof(*ev) + ev->len;
        }
    }
}

static void *watcher_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct pollfd pf = {.fd = ifd, .events = POLLIN};
        int n = poll(&pf, 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        pthread_mutex_lock(&mu);
        int rc = n < 0 ? -1 : drain_locked();
        pthread_mutex_unlock(&mu);
        if (rc < 0) {
            rs_log(RS_LOG_WARN, NULL, "lambda: hot reload watcher stopped: %s", strerror(errno));
            return NULL;
        }
    }
}

/* start inotify and the thread once (lock held) */
static int start_locked(void)
{
    if (started)
        return ifd >= 0 ? 0 : RS_ERR;
    started = 1;
    ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (ifd < 0) {
        rs_log(RS_LOG_WARN, NULL, "lambda: hot reload: inotify unavailable: %s", strerror(errno));
        return RS_ERR;
    }
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int rc = pthread_create(&t, &at, watcher_main, NULL);
    pthread_attr_destroy(&at);
    if (rc != 0) {
        close(ifd);
        ifd = -1;
        rs_log(RS_LOG_WARN, NULL, "lambda: hot reload: cannot start the watcher thread");
        return RS_ERR;
    }
    return 0;
}

int rs_lambda_hot_watch(const char *dir)
{
    pthread_mutex_lock(&mu);
    for (hdir_t *h = dirs; h; h = h->next) {
        if (strcmp(h->path, dir) == 0) {
            h->uses++;
            pthread_mutex_unlock(&mu);
            return 0;
        }
    }
    hdir_t *h = calloc(1, sizeof(*h));
    if (!h) {
        pthread_mutex_unlock(&mu);
        return RS_ENOMEM;
    }
    snprintf(h->path, sizeof(h->path), "%s", dir);
    h->uses = 1;
    h->gen = 1;
    h->next = dirs;
    dirs = h;
    int rc = start_locked();
    if (rc == 0)
        add_tree(dir, 0);
    pthread_mutex_unlock(&mu);
    return rc;
}

void rs_lambda_hot_unwatch(const char *dir)
{
    pthread_mutex_lock(&mu);
    for (hdir_t **pp = &dirs; *pp; pp = &(*pp)->next) {
        hdir_t *h = *pp;
        if (strcmp(h->path, dir) != 0)
            continue;
        if (--h->uses > 0)
            break;
        *pp = h->next;
        free(h);
        /* drop the watches no remaining directory needs (IN_IGNORED removes the entry) */
        for (size_t i = 0; ifd >= 0 && i < nwatch; i++) {
            int needed = 0;
            for (hdir_t *o = dirs; o && !needed; o = o->next)
                needed = under(watches[i].path, o->path);
            if (!needed && under(watches[i].path, dir))
                inotify_rm_watch(ifd, watches[i].wd);
        }
        break;
    }
    pthread_mutex_unlock(&mu);
}

uint64_t rs_lambda_hot_gen(const char *dir)
{
    uint64_t g = 0;
    pthread_mutex_lock(&mu);
    if (ifd >= 0)
        drain_locked();
    for (hdir_t *h = dirs; h; h = h->next)
        if (strcmp(h->path, dir) == 0)
            g = h->gen;
    pthread_mutex_unlock(&mu);
    return g;
}
