/*
 * server.c: h2o embedding for one worker: global config (max request body from
 * s3_max_object_size), one catch-all host and handler, the event loop, accepting on the
 * inherited non-blocking listener, a 100 ms h2o_timeout tick and the graceful drain.
 * Runs in: workers. h2o 2.2.5 API (h2o_timeout_t, buffered req->entity).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/adapter.h"
#include "http/server.h"
#include "rs/err.h"
#include "rs/log.h"

#define TICK_MS 100
#define ACCEPT_BATCH 16

struct rs_server {
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_timeout_t tick_timeout;
    h2o_timeout_entry_t tick_entry;
    rs_server_tick_cb tick;
    void *tick_arg;
    rs_http_ctx_t http;
    int shutting_down;
};

static void on_accept(h2o_socket_t *listener, const char *err)
{
    rs_server_t *s = listener->data;
    if (err != NULL)
        return;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return; /* EAGAIN (another worker won the race) or a transient error */
        h2o_accept(&s->accept_ctx, sock);
    }
}

static void on_tick(h2o_timeout_entry_t *entry)
{
    rs_server_t *s = H2O_STRUCT_FROM_MEMBER(rs_server_t, tick_entry, entry);
    if (s->tick != NULL)
        s->tick(s->tick_arg);
    h2o_timeout_link(s->ctx.loop, &s->tick_timeout, &s->tick_entry);
}

int rs_server_create(const rs_conf_t *conf, rs_store_t *st, int listen_fd, unsigned slot,
                     pid_t master_pid, rs_server_tick_cb tick, void *tick_arg, rs_server_t **out)
{
    rs_server_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return RS_ENOMEM;
    rs_http_ctx_init(&s->http, conf, st, slot, master_pid);
    s->tick = tick;
    s->tick_arg = tick_arg;

    h2o_config_init(&s->config);
    /* the whole body is buffered in 2.2.5: cap it at the largest object plus room for
     * aws-chunked framing (chunk headers and signatures) */
    s->config.max_request_entity_size =
        (size_t)(conf->s3_max_object_size + conf->s3_max_object_size / 32 + (1u << 20));
    /* a client that has not sent its whole request (headers and body) within
     * request_timeout is disconnected: slowloris connections cannot pile up */
    s->config.http1.req_timeout = (uint64_t)conf->request_timeout * 1000;
    s->config.http2.idle_timeout = (uint64_t)conf->request_timeout * 1000;
    /* no h2o "server" header: S3 sends its own, the adapter adds one otherwise */
    s->config.server_name = h2o_iovec_init(H2O_STRLIT(""));
    h2o_hostconf_t *host =
        h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    rs_adapter_register(path, &s->http);

    h2o_context_init(&s->ctx, h2o_evloop_create(), &s->config);
    s->accept_ctx.ctx = &s->ctx;
    s->accept_ctx.hosts = s->config.hosts;

    s->listener = h2o_evloop_socket_create(s->ctx.loop, listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    if (s->listener == NULL) {
        free(s);
        return RS_ERR;
    }
    s->listener->data = s;
    h2o_socket_read_start(s->listener, on_accept);

    h2o_timeout_init(s->ctx.loop, &s->tick_timeout, TICK_MS);
    s->tick_entry.cb = on_tick;
    h2o_timeout_link(s->ctx.loop, &s->tick_timeout, &s->tick_entry);
    *out = s;
    return 0;
}

int rs_server_run_once(rs_server_t *s, int max_wait_ms)
{
    if (h2o_evloop_run(s->ctx.loop, max_wait_ms) != 0 && errno != EINTR)
        return RS_ERR;
    return 0;
}

void rs_server_shutdown(rs_server_t *s)
{
    if (s->shutting_down)
        return;
    s->shutting_down = 1;
    if (s->listener != NULL) {
        h2o_socket_read_stop(s->listener);
        h2o_socket_close(s->listener);
        s->listener = NULL;
    }
    h2o_context_request_shutdown(&s->ctx);
}

int rs_server_quiet(rs_server_t *s)
{
    return s->http.inflight == 0 && h2o_linklist_is_empty(&s->ctx.http1._conns) &&
           h2o_linklist_is_empty(&s->ctx.http2._conns);
}

uint64_t rs_server_inflight(rs_server_t *s)
{
    return s->http.inflight;
}

void rs_server_destroy(rs_server_t *s)
{
    if (s == NULL)
        return;
    if (!rs_server_quiet(s))
        return; /* connections still reference the context: leave it to exit() */
    if (h2o_timeout_is_linked(&s->tick_entry))
        h2o_timeout_unlink(&s->tick_entry);
    h2o_timeout_dispose(s->ctx.loop, &s->tick_timeout);
    /* armed by h2o_context_request_shutdown even without HTTP/2 connections */
    if (h2o_timeout_is_linked(&s->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&s->ctx.http2._graceful_shutdown_timeout);
    h2o_context_dispose(&s->ctx);
    h2o_config_dispose(&s->config);
    free(s);
}
