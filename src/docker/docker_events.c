/*
 * docker_events.c: the engine's event stream (GET /v1.41/events?filters=...), one long-lived
 * connection whose answer never ends: the head is read under the client's timeout, then the
 * (chunked or read-to-EOF) body is decoded as bytes come and cut into one JSON object per
 * line; plus the inspect of one container's state (State.Running, State.Status,
 * State.ExitCode), what a watcher checks when it may have missed an event.
 * Runs in: the lambda supervisor (the docker executor's watcher thread; the inspect on any
 * of its threads).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rs/docker.h"
#include "rs/err.h"
#include "rs/os.h"
#include "docker_int.h"

/* one event line is a few hundred bytes (labels included); a line longer than this is
 * not an event of the documented shape */
#define EVENT_LINE_MAX (256u * 1024u)

struct rs_docker_events {
    int fd;
    rs_docker_evbuf_t b;
};

void rs_docker_evbuf_init(rs_docker_evbuf_t *b)
{
    memset(b, 0, sizeof(*b));
}

void rs_docker_evbuf_free(rs_docker_evbuf_t *b)
{
    free(b->buf);
    memset(b, 0, sizeof(*b));
}

/* Decode what arrived: after the head, b->buf[0, b->ready) is decoded body. */
static int evbuf_decode(rs_docker_evbuf_t *b)
{
    if (!b->have_head) {
        rs_http1_head_t h;
        int r = rs_http1_parse_response(b->buf, b->len, "GET", &h);
        if (r <= 0)
            return r == 0 ? 0 : RS_EINVAL;
        b->have_head = 1;
        b->status = h.status;
        b->chunked = h.body == RS_HTTP1_BODY_CHUNKED;
        memmove(b->buf, b->buf + h.head_len, b->len - h.head_len);
        b->len -= h.head_len;
        b->ready = 0;
    }
    if (b->chunked) {
        size_t len = b->len, rest = 0;
        int r = rs_http1_dechunk(&b->ch, b->buf, &len, &rest);
        if (r < 0)
            return RS_EINVAL;
        b->len = len;
        b->ready = b->ch.out;
    } else {
        b->ready = b->len;
    }
    return 0;
}

int rs_docker_evbuf_feed(rs_docker_evbuf_t *b, const void *bytes, size_t n)
{
    if (b->failed)
        return RS_EINVAL;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap == 0 ? 8192 : b->cap;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        if (ncap > EVENT_LINE_MAX + RS_HTTP1_MAX_HEAD + 65536) {
            b->failed = 1;
            return RS_EINVAL;
        }
        char *nb = realloc(b->buf, ncap);
        if (nb == NULL)
            return RS_ENOMEM;
        b->buf = nb;
        b->cap = ncap;
    }
    memcpy(b->buf + b->len, bytes, n);
    b->len += n;
    int r = evbuf_decode(b);
    if (r < 0)
        b->failed = 1;
    return r;
}

int rs_docker_evbuf_pop(rs_docker_evbuf_t *b, json_object **event)
{
    *event = NULL;
    if (b->failed)
        return RS_EINVAL;
    while (b->have_head) {
        char *nl = memchr(b->buf, '\n', b->ready);
        if (nl == NULL) {
            if (b->ready > EVENT_LINE_MAX) {
                b->failed = 1;
                return RS_EINVAL;
            }
            return 0;
        }
        size_t line = (size_t)(nl - b->buf);
        *nl = '\0';
        json_object *j = NULL;
        size_t k = 0;
        while (k < line && (b->buf[k] == ' ' || b->buf[k] == '\r' || b->buf[k] == '\t'))
            k++;
        if (k < line)
            j = json_tokener_parse(b->buf + k);
        /* consume the line; the decoder's state does not depend on where the buffer starts */
        memmove(b->buf, nl + 1, b->len - line - 1);
        b->len -= line + 1;
        b->ready -= line + 1;
        if (b->chunked)
            b->ch.out -= line + 1;
        if (k == line)
            continue; /* an empty line (keep-alive) */
        if (j == NULL || !json_object_is_type(j, json_type_object)) {
            json_object_put(j);
            b->failed = 1;
            return RS_EINVAL;
        }
        *event = j;
        return 1;
    }
    return 0;
}

/* Send the request and read the head (deadline): 0, or an error with err set. */
static int open_stream(rs_docker_events_t *ev, const rs_docker_t *d, const char *path, char *err,
                       size_t errlen)
{
    int64_t deadline = d->timeout_ms == 0 ? -1 : rs_mono_ms() + d->timeout_ms;
    char head[2048];
    int n = snprintf(head, sizeof(head),
                     "GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: ruststack\r\n"
                     "Connection: close\r\n\r\n",
                     path);
    if (n < 0 || (size_t)n >= sizeof(head) || strpbrk(path, " \r\n") != NULL) {
        rs_errf(err, errlen, "events path too long or malformed");
        return RS_EINVAL;
    }
    ev->fd = rs_unix_connect(d->socket_path, RS_NET_NONBLOCK);
    if (ev->fd < 0) {
        rs_errf(err, errlen, "cannot connect to %s: %s", d->socket_path, strerror(errno));
        return RS_ERR;
    }
    if (rs_write_all(ev->fd, head, (size_t)n, deadline) < 0) {
        rs_errf(err, errlen, "sending to the engine: %s", strerror(errno));
        return RS_ERR;
    }
    while (!ev->b.have_head) {
        if (rs_wait_fd(ev->fd, POLLIN, deadline) < 0) {
            rs_errf(err, errlen, "waiting for the events answer: %s", strerror(errno));
            return RS_ERR;
        }
        int r = rs_docker_events_recv(ev, err, errlen);
        if (r < 0)
            return r;
    }
    if (ev->b.status != 200) {
        rs_errf(err, errlen, "engine: HTTP %d to GET /events", ev->b.status);
        return RS_EIO;
    }
    return 0;
}

json_object *rs_docker_die_filter(const char *label)
{
    json_object *f = json_object_new_object(), *a;
    if (!f)
        return NULL;
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("container"));
    json_object_object_add(f, "type", a);
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("die"));
    json_object_array_add(a, json_object_new_string("died"));
    json_object_object_add(f, "event", a);
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string(label));
    json_object_object_add(f, "label", a);
    return f;
}

int rs_docker_events_open(const rs_docker_t *d, json_object *filters, rs_docker_events_t **out,
                          char *err, size_t errlen)
{
    char path[1600], esc[1400];
    *out = NULL;
    const char *f = json_object_to_json_string_ext(filters, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    if (filters == NULL || rs_docker_url_escape(f, "", esc, sizeof(esc)) < 0) {
        rs_errf(err, errlen, "events filter missing or too long");
        return RS_EINVAL;
    }
    snprintf(path, sizeof(path), "/v1.41/events?filters=%s", esc);
    rs_docker_events_t *ev = calloc(1, sizeof(*ev));
    if (ev == NULL) {
        rs_errf(err, errlen, "out of memory");
        return RS_ENOMEM;
    }
    ev->fd = -1;
    rs_docker_evbuf_init(&ev->b);
    int r = open_stream(ev, d, path, err, errlen);
    if (r < 0) {
        rs_docker_events_close(ev);
        return r;
    }
    *out = ev;
    return 0;
}

int rs_docker_events_fd(const rs_docker_events_t *ev)
{
    return ev->fd;
}

int rs_docker_events_recv(rs_docker_events_t *ev, char *err, size_t errlen)
{
    char tmp[16384];
    ssize_t n = recv(ev->fd, tmp, sizeof(tmp), 0);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        rs_errf(err, errlen, "reading the events stream: %s", strerror(errno));
        return RS_ERR;
    }
    if (n == 0) {
        rs_errf(err, errlen, "the engine closed the events stream");
        errno = ECONNRESET;
        return RS_ERR;
    }
    int r = rs_docker_evbuf_feed(&ev->b, tmp, (size_t)n);
    if (r < 0) {
        rs_errf(err, errlen, r == RS_ENOMEM ? "out of memory" : "malformed events stream");
        return r;
    }
    return 0;
}

int rs_docker_events_pop(rs_docker_events_t *ev, json_object **event)
{
    return rs_docker_evbuf_pop(&ev->b, event);
}

void rs_docker_events_close(rs_docker_events_t *ev)
{
    if (ev == NULL)
        return;
    if (ev->fd >= 0)
        close(ev->fd);
    rs_docker_evbuf_free(&ev->b);
    free(ev);
}

int rs_docker_event_exit(json_object *event, char *id, size_t idlen, int *exit_code)
{
    json_object *v, *actor, *attrs;
    const char *action = NULL, *cid = NULL;
    *exit_code = -1;
    if (json_object_object_get_ex(event, "Action", &v) && json_object_is_type(v, json_type_string))
        action = json_object_get_string(v);
    else if (json_object_object_get_ex(event, "status", &v) &&
             json_object_is_type(v, json_type_string))
        action = json_object_get_string(v);
    if (action == NULL || (strcmp(action, "die") != 0 && strcmp(action, "died") != 0))
        return 0;
    if (json_object_object_get_ex(event, "Type", &v) && json_object_is_type(v, json_type_string) &&
        strcmp(json_object_get_string(v), "container") != 0)
        return 0;
    attrs = NULL;
    if (json_object_object_get_ex(event, "Actor", &actor)) {
        if (json_object_object_get_ex(actor, "ID", &v) && json_object_is_type(v, json_type_string))
            cid = json_object_get_string(v);
        json_object_object_get_ex(actor, "Attributes", &attrs);
    }
    if ((cid == NULL || cid[0] == '\0') && json_object_object_get_ex(event, "id", &v) &&
        json_object_is_type(v, json_type_string))
        cid = json_object_get_string(v);
    if (cid == NULL || cid[0] == '\0' || strlen(cid) >= idlen)
        return 0;
    memcpy(id, cid, strlen(cid) + 1);
    /* Docker: exitCode; podman 4.x: exitCode and containerExitCode (strings) */
    static const char *const keys[] = {"exitCode", "containerExitCode"};
    for (size_t i = 0; attrs != NULL && i < 2; i++) {
        if (!json_object_object_get_ex(attrs, keys[i], &v))
            continue;
        const char *s = json_object_get_string(v);
        char *end;
        long c = strtol(s != NULL ? s : "", &end, 10);
        if (s != NULL && s[0] != '\0' && *end == '\0' && c >= 0 && c <= 255) {
            *exit_code = (int)c;
            break;
        }
    }
    return 1;
}

int rs_docker_inspect_state(const rs_docker_t *d, const char *id, rs_docker_state_t *st, char *err,
                            size_t errlen)
{
    char path[1200];
    json_object *j, *s, *v;
    memset(st, 0, sizeof(*st));
    st->exit_code = -1;
    int r = rs_docker_object_path(path, sizeof(path), "containers", id, "/json", err, errlen);
    if (r < 0)
        return r;
    r = rs_docker_call_json(d, "GET", path, NULL, d->timeout_ms, json_type_object, &j, err, errlen);
    if (r < 0)
        return r;
    if (!json_object_object_get_ex(j, "State", &s) || !json_object_is_type(s, json_type_object)) {
        json_object_put(j);
        rs_errf(err, errlen, "inspect answer has no State");
        return RS_EINVAL;
    }
    if (json_object_object_get_ex(s, "Running", &v))
        st->running = json_object_get_boolean(v);
    if (json_object_object_get_ex(s, "Status", &v) && json_object_is_type(v, json_type_string))
        snprintf(st->status, sizeof(st->status), "%s", json_object_get_string(v));
    if (json_object_object_get_ex(s, "ExitCode", &v) && json_object_is_type(v, json_type_int))
        st->exit_code = json_object_get_int(v);
    if (json_object_object_get_ex(s, "Pid", &v) && json_object_is_type(v, json_type_int))
        st->pid = json_object_get_int(v);
    if (json_object_object_get_ex(j, "HostConfig", &s) &&
        json_object_is_type(s, json_type_object)) {
        if (json_object_object_get_ex(s, "Memory", &v) && json_object_is_type(v, json_type_int))
            st->memory = json_object_get_int64(v);
        if (json_object_object_get_ex(s, "NanoCpus", &v) && json_object_is_type(v, json_type_int))
            st->nano_cpus = json_object_get_int64(v);
        if (json_object_object_get_ex(s, "CpuQuota", &v) && json_object_is_type(v, json_type_int))
            st->cpu_quota = json_object_get_int64(v);
        if (json_object_object_get_ex(s, "CpuPeriod", &v) && json_object_is_type(v, json_type_int))
            st->cpu_period = json_object_get_int64(v);
        if (json_object_object_get_ex(s, "CpuShares", &v) && json_object_is_type(v, json_type_int))
            st->cpu_shares = json_object_get_int64(v);
        if (json_object_object_get_ex(s, "ReadonlyRootfs", &v))
            st->readonly_rootfs = json_object_get_boolean(v);
    }
    json_object *ns, *nets;
    if (json_object_object_get_ex(j, "NetworkSettings", &ns) &&
        json_object_object_get_ex(ns, "Networks", &nets) &&
        json_object_is_type(nets, json_type_object)) {
        json_object_object_foreach(nets, name, net)
        {
            (void)name;
            if (!st->ip[0] && json_object_object_get_ex(net, "IPAddress", &v) &&
                json_object_is_type(v, json_type_string))
                snprintf(st->ip, sizeof(st->ip), "%s", json_object_get_string(v));
        }
    }
    json_object_put(j);
    /* stopped: Docker's exited/dead, podman's exited/stopped (never started: created,
     * configured, initialized) */
    st->stopped =
        !st->running && (strcmp(st->status, "exited") == 0 || strcmp(st->status, "dead") == 0 ||
                         strcmp(st->status, "stopped") == 0);
    return 0;
}
