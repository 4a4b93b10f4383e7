/*
 * lambda_docker_standby.c: the docker executor's standby containers (see
 * lambda_docker_standby.h): the filler thread that keeps `count` of them started, per
 * memory size asked for last (128 MB at first), their hand-off to an environment, and
 * their removal. A standby's dir <base>/sb-N holds task/ (its /var/task, read-only), tmp/
 * (/tmp), log/ (/var/rslog: output.log) and ctl/handoff (the FIFO, at /var/rsctl).
 * Runs in: the lambda supervisor (the filler thread; the pool threads call take).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambda/lambda_docker_standby.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

#define WISH_MAX 64
#define DEFAULT_MB 128

typedef struct sb {
    struct sb *next;
    char id[80];
    char dir[1200];
    unsigned memory_mb;
    rs_dwatch_entry_t *w;
    int pid;
    char ip[64];
} sb_t;

struct rs_dstandby {
    rs_docker_t d;
    rs_dwatch_t *watch;
    char image[256], network[64], instance[64], name_prefix[96], runtime_path[1024];
    char extra_host[96]; /* "" on the host network */
    rs_lcpu_t cpu;
    char base[1100];
    unsigned count;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sb_t *ready; /* started, newest first */
    unsigned nready;
    sb_t *discard;           /* to kill and remove (filler thread) */
    unsigned wish[WISH_MAX]; /* memory sizes to start next, oldest first */
    unsigned nwish;
    unsigned long counter;
    int stopping;
    pthread_t thr;
};

/* ---- the standby container ---------------------------------------------------------- */

/* The container: the confinement of every environment (lambda_docker_config.c: memory
 * and CPU of its size, read-only root, no capabilities, the network), with the standby's
 * own dirs, its FIFO at /var/rsctl, and only the variables that must be there when
 * python starts (the function's come with the hand-off). */
static json_object *standby_config(rs_dstandby_t *s, const sb_t *b)
{
    static char *const env[] = {"_RUSTSTACK_STANDBY=/var/rsctl/handoff",
                                "PYTHONUNBUFFERED=1",
                                "PYTHONPATH=/var/runtime",
                                "TZ=:UTC",
                                "LANG=en_US.UTF-8",
                                "LC_CTYPE=C.UTF-8",
                                "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
                                "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:"
                                "/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
                                NULL};
    rs_lambda_fn_t *f = calloc(1, sizeof(*f)); /* large: not on the filler's stack */
    if (!f)
        return NULL;
    f->memory_mb = b->memory_mb;
    if (strlen(b->dir) > 1000) { /* the code dir must fit fn->code_dir */
        free(f);
        return NULL;
    }
    snprintf(f->code_dir, sizeof(f->code_dir), "%.1000s/task", b->dir);
    char tmp[1300];
    snprintf(tmp, sizeof(tmp), "%s/tmp", b->dir);
    rs_lexec_spec_t spec = {.fn = f, .envp = env, .env_dir = b->dir, .tmp_dir = tmp};
    rs_ldocker_opts_t o = {.image = s->image,
                           .network_mode = s->network,
                           .extra_host = s->extra_host[0] ? s->extra_host : NULL,
                           .instance = s->instance,
                           .runtime_path = s->runtime_path,
                           .cpu = s->cpu};
    json_object *c = rs_lambda_docker_config(&o, &spec);
    free(f);
    json_object *hc, *binds, *labels;
    if (!c || !json_object_object_get_ex(c, "HostConfig", &hc) ||
        !json_object_object_get_ex(hc, "Binds", &binds) ||
        !json_object_object_get_ex(c, "Labels", &labels)) {
        json_object_put(c);
        return NULL;
    }
    char ctl[1300];
    snprintf(ctl, sizeof(ctl), "%s/ctl:/var/rsctl", b->dir);
    json_object_array_add(binds, json_object_new_string(ctl));
    json_object_object_del(labels, "io.ruststack.function");
    json_object_object_add(labels, "io.ruststack.standby", json_object_new_string("1"));
    return c;
}

static int make_dirs(const sb_t *b)
{
    static const struct {
        const char *sub;
        int mode;
    } dirs[] = {{"task", 0755}, {"tmp", 01777}, {"log", 0777}, {"ctl", 0777}};
    char path[1300];
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", b->dir, dirs[i].sub);
        if (rs_mkdir_p(path, 0755) < 0 || chmod(path, (mode_t)dirs[i].mode) < 0)
            return RS_ERR;
    }
    snprintf(path, sizeof(path), "%s/log/output.log", b->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0 || fchmod(fd, 0666) < 0) {
        if (fd >= 0)
            close(fd);
        return RS_ERR;
    }
    close(fd);
    snprintf(path, sizeof(path), "%s/ctl/handoff", b->dir);
    if (mkfifo(path, 0666) < 0 || chmod(path, 0666) < 0)
        return RS_ERR;
    return 0;
}

/* Kill (if started), wait for its end, remove the container and its dir. */
static void destroy_standby(rs_dstandby_t *s, sb_t *b)
{
    char err[256];
    if (b->w) {
        int rc = rs_docker_kill(&s->d, b->id, "KILL", err, sizeof(err));
        rs_dwatch_killed(s->watch, b->w, rc == 0);
        rs_dwatch_wait(s->watch, b->w);
    }
    if (b->id[0]) {
        for (int i = 0; i < 20; i++) {
            int rc = rs_docker_remove(&s->d, b->id, err, sizeof(err));
            if (rc == 0 || rc == RS_ENOENT)
                break;
            usleep(250000);
        }
    }
    if (b->w)
        rs_dwatch_drop(s->watch, b->w);
    if (b->dir[0])
        rs_rm_r(b->dir);
    free(b);
}

/* Create and start one standby of `mb` MB (filler thread, no lock held). */
static sb_t *create_standby(rs_dstandby_t *s, unsigned mb, unsigned long n)
{
    sb_t *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->memory_mb = mb;
    snprintf(b->dir, sizeof(b->dir), "%s/sb-%lu", s->base, n);
    char err[256] = "", name[160];
    if (make_dirs(b) < 0) {
        rs_log_warn("lambda: cannot prepare standby dir %s: %s", b->dir, strerror(errno));
        destroy_standby(s, b);
        return NULL;
    }
    json_object *cfg = standby_config(s, b);
    snprintf(name, sizeof(name), "%s-sb-%lu", s->name_prefix, n);
    int rc = cfg ? rs_docker_create(&s->d, name, cfg, b->id, sizeof(b->id), err, sizeof(err))
                 : RS_ENOMEM;
    json_object_put(cfg);
    if (rc < 0) {
        b->id[0] = '\0';
        rs_log_warn("lambda: cannot create a standby container: %s", err);
        destroy_standby(s, b);
        return NULL;
    }
    b->w = rs_dwatch_add(s->watch, b->id);
    rc = b->w ? rs_docker_start(&s->d, b->id, err, sizeof(err)) : RS_ENOMEM;
    if (rc < 0) {
        rs_log_warn("lambda: cannot start a standby container: %s", err);
        if (b->w) {
            rs_dwatch_drop(s->watch, b->w);
            b->w = NULL;
        }
        destroy_standby(s, b);
        return NULL;
    }
    rs_dwatch_started(s->watch, b->w);
    rs_docker_state_t st;
    if (rs_docker_inspect_state(&s->d, b->id, &st, err, sizeof(err)) == 0) {
        b->pid = st.pid;
        snprintf(b->ip, sizeof(b->ip), "%s", st.ip);
    }
    return b;
}

static void *filler_main(void *arg)
{
    rs_dstandby_t *s = arg;
    int failures = 0;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        if (s->discard) {
            sb_t *list = s->discard;
            s->discard = NULL;
            pthread_mutex_unlock(&s->mu);
            while (list) {
                sb_t *next = list->next;
                destroy_standby(s, list);
                list = next;
            }
            pthread_mutex_lock(&s->mu);
            continue;
        }
        if (s->nready >= s->count) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        unsigned mb = DEFAULT_MB;
        if (s->nwish > 0) {
            mb = s->wish[0];
            memmove(s->wish, s->wish + 1, (s->nwish - 1) * sizeof(s->wish[0]));
            s->nwish--;
        }
        unsigned long n = ++s->counter;
        pthread_mutex_unlock(&s->mu);
        sb_t *b = create_standby(s, mb, n);
        pthread_mutex_lock(&s->mu);
        if (!b) {
            /* the engine refuses: try again later, not in a loop */
            failures = failures < 6 ? failures + 1 : failures;
            rs_cond_wait_ms(&s->cv, &s->mu, 1000 << failures);
            continue;
        }
        failures = 0;
        b->next = s->ready;
        s->ready = b;
        s->nready++;
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int rs_dstandby_start(const rs_dstandby_conf_t *c, rs_dstandby_t **out)
{
    *out = NULL;
    if (c->count == 0)
        return 0;
    rs_dstandby_t *s = calloc(1, sizeof(*s));
    if (!s)
        return RS_ENOMEM;
    s->d = *c->d;
    s->watch = c->watch;
    s->count = c->count;
    snprintf(s->image, sizeof(s->image), "%s", c->image);
    snprintf(s->network, sizeof(s->network), "%s", c->network);
    snprintf(s->instance, sizeof(s->instance), "%s", c->instance);
    snprintf(s->name_prefix, sizeof(s->name_prefix), "%s", c->name_prefix);
    snprintf(s->runtime_path, sizeof(s->runtime_path), "%s", c->runtime_path);
    snprintf(s->extra_host, sizeof(s->extra_host), "%s", c->extra_host ? c->extra_host : "");
    s->cpu = c->cpu;
    snprintf(s->base, sizeof(s->base), "%s", c->base);
    if (rs_mkdir_p(s->base, 0700) < 0) {
        free(s);
        return RS_ERR;
    }
    pthread_mutex_init(&s->mu, NULL);
    rs_cond_init_mono(&s->cv);
    if (pthread_create(&s->thr, NULL, filler_main, s) != 0) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s);
        return RS_ERR;
    }
    *out = s;
    return 0;
}

void rs_dstandby_stop(rs_dstandby_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thr, NULL);
    sb_t *lists[] = {s->ready, s->discard};
    for (size_t i = 0; i < 2; i++)
        for (sb_t *b = lists[i], *n; b; b = n) {
            n = b->next;
            destroy_standby(s, b);
        }
    rs_rm_r(s->base);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

/* ---- hand-off ------------------------------------------------------------------------ */

static int copy_file(const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return RS_ERR;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
    int rc = out < 0 ? RS_ERR : 0;
    char buf[65536];
    ssize_t n;
    while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno != EINTR)
                rc = RS_ERR;
            continue;
        }
        rc = rs_write_all(out, buf, (size_t)n, -1);
    }
    close(in);
    if (out >= 0)
        close(out);
    return rc;
}

/* Copy the tree `src` into the existing dir `dst`: hard links for files (a copy across
 * filesystems), symlinks as they are. */
static int link_tree(const char *src, const char *dst)
{
    DIR *dir = opendir(src);
    if (!dir)
        return RS_ERR;
    struct dirent *de;
    int rc = 0;
    char from[PATH_MAX], to[PATH_MAX];
    while (rc == 0 && (de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (snprintf(from, sizeof(from), "%s/%s", src, de->d_name) >= (int)sizeof(from) ||
            snprintf(to, sizeof(to), "%s/%s", dst, de->d_name) >= (int)sizeof(to)) {
            rc = RS_ERR;
            break;
        }
        struct stat st;
        if (lstat(from, &st) < 0) {
            rc = RS_ERR;
        } else if (S_ISDIR(st.st_mode)) {
            rc = mkdir(to, (st.st_mode & 07777) | 0700) < 0 ? RS_ERR : link_tree(from, to);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlink(from, target, sizeof(target) - 1);
            if (n < 0)
                rc = RS_ERR;
            else {
                target[n] = '\0';
                rc = symlink(target, to) < 0 ? RS_ERR : 0;
            }
        } else if (S_ISREG(st.st_mode) && link(from, to) < 0) {
            rc = copy_file(from, to, st.st_mode);
        }
    }
    closedir(dir);
    return rc;
}

/* Ask the filler for a standby of `mb` MB (lock held). A full pool of other sizes gives
 * up its oldest one for it. */
static void wish_for(rs_dstandby_t *s, unsigned mb, int missed)
{
    if (s->nwish < WISH_MAX)
        s->wish[s->nwish++] = mb;
    if (missed && s->nready >= s->count && s->ready) {
        sb_t **pp = &s->ready;
        while ((*pp)->next)
            pp = &(*pp)->next;
        sb_t *old = *pp;
        *pp = NULL;
        s->nready--;
        old->next = s->discard;
        s->discard = old;
    }
    pthread_cond_broadcast(&s->cv);
}

/* Write {"env": [...]}\n to the standby's FIFO; the fd stays open (see the header). */
static int handoff(const char *dir, char *const *envp, int *fd_out)
{
    char path[1300];
    snprintf(path, sizeof(path), "%s/ctl/handoff", dir);
    /* O_RDWR: never blocks, and what is written stays in the pipe until the bootstrap
     * reads it, whether or not it has opened its end yet */
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return RS_ERR;
    json_object *msg = json_object_new_object();
    json_object *env = json_object_new_array();
    for (size_t i = 0; envp[i]; i++)
        json_object_array_add(env, json_object_new_string(envp[i]));
    json_object_object_add(msg, "env", env);
    const char *text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
    int rc = text ? rs_write_all(fd, text, strlen(text), -1) : RS_ENOMEM;
    if (rc == 0)
        rc = rs_write_all(fd, "\n", 1, -1);
    json_object_put(msg);
    if (rc < 0) {
        close(fd);
        return RS_ERR;
    }
    *fd_out = fd;
    return 0;
}

/* After a failed hand-off: the environment's dir as the pool made it, for the caller's
 * usual container. */
static void restore_env_dir(const rs_lexec_spec_t *spec)
{
    char logdir[1300];
    snprintf(logdir, sizeof(logdir), "%s/log", spec->env_dir);
    if (rs_mkdir_p(spec->tmp_dir, 0777) == 0)
        chmod(spec->tmp_dir, 01777);
    if (rs_mkdir_p(logdir, 0777) == 0)
        chmod(logdir, 0777);
    int fd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd >= 0) {
        fchmod(fd, 0666);
        close(fd);
    }
}

/* 1 when dir exists and holds anything */
static int has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int any = 0;
    while (!any && (e = readdir(d)) != NULL)
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return any;
}

int rs_dstandby_take(rs_dstandby_t *s, const rs_lexec_spec_t *spec, rs_dstandby_taken_t *t,
                     char *err, size_t errlen)
{
    /* an environment reset after a timeout or a crash keeps its /tmp (as on AWS): a
     * standby's /tmp is its own bind, so a container made for it mounts the old one */
    if (!s || has_entries(spec->tmp_dir))
        return RS_ENOENT;
    unsigned mb = spec->fn->memory_mb;
    pthread_mutex_lock(&s->mu);
    sb_t *b = NULL;
    for (sb_t **pp = &s->ready; *pp; pp = &(*pp)->next) {
        /* the newest of that size; one whose python is gone is left to the discard */
        if ((*pp)->memory_mb == mb) {
            b = *pp;
            *pp = b->next;
            s->nready--;
            break;
        }
    }
    wish_for(s, mb, b == NULL);
    pthread_mutex_unlock(&s->mu);
    if (!b)
        return RS_ENOENT;
    int rc = 0;
    char task[1300];
    snprintf(task, sizeof(task), "%s/task", b->dir);
    if (b->pid > 0 && kill(b->pid, 0) < 0 && errno == ESRCH) {
        snprintf(err, errlen, "the standby container %.12s has ended", b->id);
        rc = RS_ERR;
    } else if (link_tree(spec->fn->code_dir, task) < 0) {
        snprintf(err, errlen, "cannot put the code into a standby: %s", strerror(errno));
        rc = RS_ERR;
    } else if (rs_rm_r(spec->env_dir) < 0 || rename(b->dir, spec->env_dir) < 0) {
        snprintf(err, errlen, "cannot move the standby's dir to %.100s: %s", spec->env_dir,
                 strerror(errno));
        rc = RS_ERR;
    } else {
        snprintf(b->dir, sizeof(b->dir), "%s", spec->env_dir);
        if (handoff(b->dir, spec->envp, &t->fifo_fd) < 0) {
            snprintf(err, errlen, "cannot hand the function to the standby: %s", strerror(errno));
            b->dir[0] = '\0'; /* the environment's dir now: the pool owns it */
            rc = RS_ERR;
        }
    }
    if (rc < 0) {
        restore_env_dir(spec);
        pthread_mutex_lock(&s->mu);
        b->next = s->discard;
        s->discard = b;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    snprintf(t->id, sizeof(t->id), "%s", b->id);
    t->w = b->w;
    t->pid = b->pid;
    snprintf(t->ip, sizeof(t->ip), "%s", b->ip);
    free(b);
    return 0;
}
