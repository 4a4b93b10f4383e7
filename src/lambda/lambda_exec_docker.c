/*
 * lambda_exec_docker.c: the docker executor: each execution environment is a container of
 * conf->lambda_image (Docker Engine API, include/rs/docker.h) running the same bootstrap
 * from /var/runtime (read-only), the code at /var/task (read-only), a per-environment
 * writable /tmp, output appended to a log file in a bind-mounted per-environment dir;
 * labelled with the instance (orphans of a killed predecessor are removed at start) and the
 * function ARN; confined as lambda_docker_config.c says. lambda_network = host: the
 * container shares the host's network (127.0.0.1 reaches the Runtime API and the server);
 * bridge: it joins conf->lambda_bridge_network (created if missing), reaches the Runtime
 * API on the bridge's gateway and the server as http://ruststack:<port> (a relay,
 * lambda_fwd.c, when the server listens on a single address), nothing on the host's
 * loopback.
 * A container's end is learnt from the engine's event stream (lambda_docker_watch.c),
 * never from a POST /containers/<id>/wait held open: podman 4.3 spins a core on each.
 * Runs in: the lambda supervisor (pool threads, watcher threads, the watch thread).
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambda/lambda_docker_config.h"
#include "lambda/lambda_docker_standby.h"
#include "lambda/lambda_docker_watch.h"
#include "lambda/lambda_exec.h"
#include "lambda/lambda_fwd.h"
#include "rs/docker.h"
#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

typedef struct dstate {
    rs_docker_t d;
    char image[256];
    char network[64];
    rs_lcpu_t cpu;       /* lambda_cpu */
    char gateway[64];    /* bridge: the host's address on it, else "" */
    char extra_host[96]; /* bridge: "ruststack:<gateway>" */
    char endpoint[300];  /* bridge: AWS_ENDPOINT_URL, "" to keep the default */
    rs_lfwd_t *fwd;      /* bridge, server on one address: gateway:port -> bind:port */
    char instance[64];
    char name_prefix[96];
    char runtime_path[1024];
    _Atomic unsigned long counter;
    _Atomic int limits_checked; /* the first container's limits were compared */
    rs_dwatch_t *watch;
    unsigned standby_count;
    char standby_base[1100];
    rs_dstandby_t *standby; /* NULL: none (lambda_standby = 0) */
} dstate_t;

struct rs_lexec {
    dstate_t *s;
    rs_dwatch_entry_t *w;
    char id[80];
    char ip[64]; /* on the bridge */
    int pid;
    int killed;
    int fifo_fd; /* a standby's hand-off FIFO, -1 if not one */
};

static int wildcard(const char *bind)
{
    return !bind[0] || strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "*") == 0 ||
           strcmp(bind, "::") == 0 || strcmp(bind, "[::]") == 0;
}

/* lambda_network = bridge: the network (created if missing), its gateway, and the relay
 * to the server when the server does not listen on every address. */
static int bridge_init(dstate_t *s, const rs_conf_t *conf, char *why, size_t whylen)
{
    char err[256] = "";
    snprintf(s->network, sizeof(s->network), "%s", conf->lambda_bridge_network);
    if (rs_docker_network_ensure(&s->d, s->network, "io.ruststack.network", s->gateway,
                                 sizeof(s->gateway), err, sizeof(err)) < 0) {
        snprintf(why, whylen,
                 "lambda_network bridge: cannot use or create the engine network %s: %s (set "
                 "lambda_network = host)",
                 s->network, err);
        s->gateway[0] = '\0';
        return RS_ERR;
    }
    snprintf(s->extra_host, sizeof(s->extra_host), "ruststack:%s", s->gateway);
    if (!conf->lambda_endpoint_url[0])
        snprintf(s->endpoint, sizeof(s->endpoint), "http://ruststack:%u", conf->port);
    if (!wildcard(conf->bind) && rs_lfwd_start(s->gateway, (uint16_t)conf->port, conf->bind,
                                               (uint16_t)conf->port, &s->fwd) < 0) {
        snprintf(why, whylen,
                 "lambda_network bridge: cannot listen on %s port %u (the bridge's side of "
                 "the server): %s",
                 s->gateway, conf->port, strerror(errno));
        return RS_ERR;
    }
    rs_log_notice("lambda: containers join network %s; they reach the server as "
                  "http://ruststack:%u (%s)%s",
                  s->network, conf->port, s->gateway,
                  s->fwd ? ", relayed to the server's listener" : "");
    return 0;
}

static int d_init(const rs_conf_t *conf, void **state, char *why, size_t whylen)
{
    dstate_t *s = calloc(1, sizeof(*s));
    if (!s)
        return RS_ENOMEM;
    char err[256] = "";
    if (rs_docker_init(&s->d, conf->docker_socket, 30000) < 0) {
        snprintf(why, whylen, "lambda_executor docker: docker_socket '%s' is too long",
                 conf->docker_socket);
        free(s);
        return RS_ERR;
    }
    if (rs_docker_ping(&s->d, err, sizeof(err)) < 0) {
        snprintf(why, whylen,
                 "lambda_executor docker: no container engine answers on %s (%s): start "
                 "Docker or podman (sh packaging/container-engine.sh start) or set "
                 "lambda_executor = process",
                 conf->docker_socket, err);
        free(s);
        return RS_ERR;
    }
    int rc = rs_docker_image_exists(&s->d, conf->lambda_image, err, sizeof(err));
    if (rc < 0) {
        if (rc == RS_ENOENT)
            snprintf(why, whylen,
                     "lambda_executor docker: image %s is missing: build it with sh "
                     "packaging/build-lambda-image.sh or set lambda_image",
                     conf->lambda_image);
        else
            snprintf(why, whylen, "lambda_executor docker: cannot inspect image %s: %s",
                     conf->lambda_image, err);
        free(s);
        return RS_ERR;
    }
    char boot[1100];
    snprintf(boot, sizeof(boot), "%s/bootstrap.py", conf->lambda_runtime_path);
    if (access(boot, R_OK) != 0) {
        snprintf(why, whylen,
                 "lambda_executor docker: %s is missing (install RustStack's runtime or set "
                 "lambda_runtime_path)",
                 boot);
        free(s);
        return RS_ERR;
    }
    snprintf(s->image, sizeof(s->image), "%s", conf->lambda_image);
    s->cpu = rs_lambda_cpu_mode(conf->lambda_cpu);
    if (strcmp(conf->lambda_network, "bridge") == 0 && bridge_init(s, conf, why, whylen) < 0) {
        free(s);
        return RS_ERR;
    }
    if (!s->gateway[0])
        snprintf(s->network, sizeof(s->network), "host");
    snprintf(s->instance, sizeof(s->instance), "%s", conf->shm_name);
    snprintf(s->runtime_path, sizeof(s->runtime_path), "%s", conf->lambda_runtime_path);
    s->standby_count = conf->lambda_standby;
    snprintf(s->standby_base, sizeof(s->standby_base), "%s/lambda-envs/standby", conf->runtime_dir);
    /* container names: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
    char clean[64];
    size_t j = 0;
    for (const char *c = conf->shm_name; *c && j < sizeof(clean) - 1; c++) {
        char ch = *c;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '.' || ch == '-';
        if (ok)
            clean[j++] = ch;
    }
    clean[j] = '\0';
    snprintf(s->name_prefix, sizeof(s->name_prefix), "rs-lambda-%s-%d", clean, (int)getpid());
    if (rs_dwatch_start(&s->d, s->instance, &s->watch) < 0) {
        snprintf(why, whylen, "lambda_executor docker: cannot start the container watch thread");
        rs_lfwd_stop(s->fwd);
        free(s);
        return RS_ERR;
    }
    *state = s;
    return 0;
}

static void d_fini(void *state)
{
    dstate_t *s = state;
    rs_dstandby_stop(s->standby);
    rs_dwatch_stop(s->watch);
    rs_lfwd_stop(s->fwd);
    free(s);
}

/* Remove a container, retrying while the engine says its state does not allow it yet
 * (podman: "container state improper" while a killed container is still stopping).
 * 0 (removed or already gone), or the last error once `patience_ms` ran out. */
static int remove_patiently(const rs_docker_t *d, const char *id, int patience_ms, char *err,
                            size_t errlen)
{
    for (int waited = 0;; waited += 250) {
        int rc = rs_docker_remove(d, id, err, errlen);
        if (rc == 0 || rc == RS_ENOENT)
            return 0;
        if (waited >= patience_ms)
            return rc;
        usleep(250000);
    }
}

typedef struct orphans {
    rs_docker_t d; /* a copy: the pool may be gone before this thread ends */
    char **ids;    /* listed before any container of ours exists */
    size_t n;
} orphans_t;

/* one remover per pool start; a restarted pool's predecessor may still be removing */
static rs_thread_cap_t orphan_removers = RS_THREAD_CAP_INIT(2);

/* a killed predecessor's containers: removed in the background (the engine may need
 * seconds before a container it is still stopping can go), retried for a minute */
static void *orphans_main(void *arg)
{
    orphans_t *o = arg;
    char err[256];
    for (size_t i = 0; i < o->n; i++) {
        if (remove_patiently(&o->d, o->ids[i], 60000, err, sizeof(err)) < 0)
            rs_log_warn("lambda: cannot remove leftover container %.12s: %s", o->ids[i], err);
        else
            rs_log_notice("lambda: removed leftover container %.12s", o->ids[i]);
    }
    rs_docker_ids_free(o->ids, o->n);
    free(o);
    return NULL;
}

/* The standby filler: started once the leftovers are listed (its containers carry the
 * instance label too). */
static void start_standby(dstate_t *s)
{
    rs_dstandby_conf_t c = {.d = &s->d,
                            .watch = s->watch,
                            .image = s->image,
                            .network = s->network,
                            .instance = s->instance,
                            .name_prefix = s->name_prefix,
                            .runtime_path = s->runtime_path,
                            .extra_host = s->extra_host[0] ? s->extra_host : NULL,
                            .cpu = s->cpu,
                            .base = s->standby_base,
                            .count = s->standby_count};
    if (rs_dstandby_start(&c, &s->standby) < 0)
        rs_log_warn("lambda: cannot start the standby containers' filler; cold starts create "
                    "containers");
}

/* List the leftovers now, while the pool has created nothing (so only a predecessor's
 * containers carry our label), and remove them in the background. */
static void list_orphans(dstate_t *s);

static void d_cleanup_orphans(void *state)
{
    dstate_t *s = state;
    list_orphans(s);
    if (!s->standby)
        start_standby(s);
}

static void list_orphans(dstate_t *s)
{
    char label[128], err[256];
    orphans_t *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return;
    o->d = s->d;
    snprintf(label, sizeof(label), "io.ruststack.instance=%s", s->instance);
    if (rs_docker_list_by_label(&s->d, label, &o->ids, &o->n, err, sizeof(err)) < 0) {
        rs_log_warn("lambda: cannot list leftover containers: %s", err);
        free(o);
        return;
    }
    if (o->n == 0) {
        rs_docker_ids_free(o->ids, o->n);
        free(o);
        return;
    }
    if (rs_thread_start(&orphan_removers, 0, 0, orphans_main, o) != 0)
        orphans_main(o); /* no thread: do it here */
}

/* The runtime's host pid; the first container of the pool also tells whether the engine
 * applied the limits it was asked for (an engine without cgroup controllers may accept
 * and ignore them): logged once as a warning, since nothing in the API can say it. */
static int container_pid(dstate_t *s, const char *id, unsigned memory_mb, char *ip, size_t iplen)
{
    rs_docker_state_t st;
    char err[200], why[300];
    if (rs_docker_inspect_state(&s->d, id, &st, err, sizeof(err)) != 0)
        return 0;
    if (!atomic_exchange(&s->limits_checked, 1)) {
        if (rs_lambda_docker_limits_applied(&st, memory_mb, s->cpu, why, sizeof(why)))
            rs_log_notice("lambda: the engine applies the container limits (memory = "
                          "MemorySize, CPU share, read-only root)");
        else
            rs_log_warn("lambda: the engine did NOT apply the container limits asked for: %s; "
                        "functions run without them",
                        why);
    }
    snprintf(ip, iplen, "%s", st.ip);
    return st.pid;
}

/* A cold start on a standby container (not for hot-reload code, which is mounted in
 * place). 0: x runs it; else the caller creates a container as usual. */
static int from_standby(dstate_t *s, const rs_lexec_spec_t *spec, rs_lexec_t *x)
{
    if (!s->standby || spec->fn->hot)
        return RS_ENOENT;
    rs_dstandby_taken_t t;
    char err[256] = "";
    int rc = rs_dstandby_take(s->standby, spec, &t, err, sizeof(err));
    if (rc < 0) {
        if (rc != RS_ENOENT)
            rs_log_warn("lambda: %s: %s; creating a container", spec->fn->name, err);
        return rc;
    }
    snprintf(x->id, sizeof(x->id), "%s", t.id);
    x->w = t.w;
    x->pid = t.pid;
    snprintf(x->ip, sizeof(x->ip), "%s", t.ip);
    x->fifo_fd = t.fifo_fd;
    return 0;
}

static int d_start(void *state, const rs_lexec_spec_t *spec, rs_lexec_t **out, char *err,
                   size_t errlen)
{
    dstate_t *s = state;
    rs_lexec_t *x = calloc(1, sizeof(*x));
    if (!x)
        return RS_ENOMEM;
    x->s = s;
    x->fifo_fd = -1;
    if (from_standby(s, spec, x) == 0) {
        *out = x;
        return 0;
    }
    rs_ldocker_opts_t o = {.image = s->image,
                           .network_mode = s->network,
                           .extra_host = s->extra_host[0] ? s->extra_host : NULL,
                           .instance = s->instance,
                           .runtime_path = s->runtime_path,
                           .cpu = s->cpu};
    json_object *cfg = rs_lambda_docker_config(&o, spec);
    if (!cfg) {
        free(x);
        return RS_ENOMEM;
    }
    char name[128];
    snprintf(name, sizeof(name), "%s-%lu", s->name_prefix, ++s->counter);
    int rc = rs_docker_create(&s->d, name, cfg, x->id, sizeof(x->id), err, errlen);
    json_object_put(cfg);
    if (rc < 0) {
        free(x);
        return rc;
    }
    /* watched before it starts: an end right after the start is not missed */
    x->w = rs_dwatch_add(s->watch, x->id);
    rc = x->w ? rs_docker_start(&s->d, x->id, err, errlen) : RS_ENOMEM;
    if (rc < 0) {
        char e2[128];
        if (!x->w)
            snprintf(err, errlen, "out of memory");
        rs_docker_remove(&s->d, x->id, e2, sizeof(e2));
        rs_dwatch_drop(s->watch, x->w);
        free(x);
        return rc;
    }
    rs_dwatch_started(s->watch, x->w);
    x->pid = container_pid(s, x->id, spec->fn->memory_mb, x->ip, sizeof(x->ip));
    *out = x;
    return 0;
}

static void d_net(void *state, rs_lexec_net_t *out)
{
    dstate_t *s = state;
    snprintf(out->rapi_addr, sizeof(out->rapi_addr), "%s", s->gateway);
    snprintf(out->endpoint, sizeof(out->endpoint), "%s", s->endpoint);
}

static void d_kill(rs_lexec_t *x)
{
    char err[256];
    x->killed = 1;
    int rc = rs_docker_kill(&x->s->d, x->id, "KILL", err, sizeof(err));
    rs_dwatch_killed(x->s->watch, x->w, rc == 0);
}

static int d_wait(rs_lexec_t *x)
{
    int code = rs_dwatch_wait(x->s->watch, x->w);
    if (code < 0) {
        rs_log_warn("lambda: container %.12s ended and the engine cannot tell its exit status",
                    x->id);
        return x->killed ? -SIGKILL : 255;
    }
    /* the shell execs python: 128 + n means killed by signal n */
    if (code > 128 && code < 128 + 65)
        return -(code - 128);
    return code;
}

static void d_peer(rs_lexec_t *x, char *addr, size_t addrlen)
{
    snprintf(addr, addrlen, "%s", x->ip);
}

static int d_pid(rs_lexec_t *x)
{
    return x->pid;
}

static void d_release(rs_lexec_t *x)
{
    char err[256];
    if (remove_patiently(&x->s->d, x->id, 5000, err, sizeof(err)) < 0)
        rs_log_warn("lambda: cannot remove container %.12s: %s", x->id, err);
    rs_dwatch_drop(x->s->watch, x->w);
    if (x->fifo_fd >= 0)
        close(x->fifo_fd);
    free(x);
}

const rs_lexec_ops_t rs_lexec_docker_ops = {
    .name = "docker",
    .init = d_init,
    .fini = d_fini,
    .net = d_net,
    .cleanup_orphans = d_cleanup_orphans,
    .start = d_start,
    .kill = d_kill,
    .wait = d_wait,
    .peer = d_peer,
    .pid = d_pid,
    .release = d_release,
};
