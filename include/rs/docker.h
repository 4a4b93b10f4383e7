/*
 * docker.h: a small blocking client for the Docker Engine API (v1.41) over its Unix
 * socket: Docker itself or podman's compatible service (`podman system service`). One
 * HTTP/1.1 request per connection (connect, write, read the whole answer, close), JSON
 * in and out through json-c. Runs in: the lambda supervisor (its threads may block).
 *
 * Every call returns 0 or a negative rs_err_t:
 *   RS_ERR      the socket could not be reached or the connection broke (errno set);
 *   RS_EINVAL   the engine answered something that is not HTTP/JSON as documented;
 *   RS_ENOENT   404 (no such container / image);
 *   RS_EEXIST   409 (conflict: name in use, container not running, ...);
 *   RS_EIO      any other non-2xx status; `err` holds the engine's "message".
 * `err` (when non-NULL) always receives a one-line reason on failure.
 */
#ifndef RS_DOCKER_H
#define RS_DOCKER_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rs_docker {
    char socket_path[256]; /* e.g. /var/run/docker.sock */
    uint32_t timeout_ms;   /* per call: connect + whole exchange (0: no limit, e.g. wait) */
} rs_docker_t;

/* Set the socket path and default timeout (RS_EINVAL if the path does not fit). */
int rs_docker_init(rs_docker_t *d, const char *socket_path, uint32_t timeout_ms);

/* Low level: one request. `body` (may be NULL) is sent as application/json. On return
 * *status is the HTTP status and *resp_body a malloc'd, NUL-terminated body (the caller
 * frees; chunked and Content-Length bodies both handled). Returns 0 whenever an HTTP
 * answer arrived (whatever its status), else RS_ERR / RS_EINVAL. */
int rs_docker_request(const rs_docker_t *d, const char *method, const char *path, const char *body,
                      size_t body_len, int *status, char **resp_body, size_t *resp_len,
                      uint32_t timeout_ms);

/* GET /_ping: 0 when the engine answers "OK". */
int rs_docker_ping(const rs_docker_t *d, char *err, size_t errlen);

/* GET /v1.41/version: "<Version> (API <ApiVersion>)" into out, e.g. "4.3.1 (API 1.41)". */
int rs_docker_version(const rs_docker_t *d, char *out, size_t outlen, char *err, size_t errlen);

/* GET /v1.41/images/<name>/json: 0 when the image exists locally, RS_ENOENT if not. */
int rs_docker_image_exists(const rs_docker_t *d, const char *image, char *err, size_t errlen);

/* POST /v1.41/containers/create?name=<name> with `config` (a json-c object the caller
 * keeps ownership of: Image, Cmd, Env, Labels, HostConfig...). The new id (64 hex) goes
 * into id_out (>= 65 bytes). */
int rs_docker_create(const rs_docker_t *d, const char *name, json_object *config, char *id_out,
                     size_t id_len, char *err, size_t errlen);

/* The bridge network `name` (GET /v1.41/networks/<name>), created with
 * POST /v1.41/networks/create {"Name", "Driver": "bridge", "Labels": {label: "1"}} when it
 * does not exist; its IPv4 gateway (the host's address on that bridge) into gw. */
int rs_docker_network_ensure(const rs_docker_t *d, const char *name, const char *label, char *gw,
                             size_t gwlen, char *err, size_t errlen);

/* POST /containers/<id>/start (204; 304 "already started" counts as success). */
int rs_docker_start(const rs_docker_t *d, const char *id, char *err, size_t errlen);

/* POST /containers/<id>/kill?signal=<sig> (e.g. "KILL"). A container that is not running
 * gives RS_EEXIST. */
int rs_docker_kill(const rs_docker_t *d, const char *id, const char *sig, char *err, size_t errlen);

/* POST /containers/<id>/wait (no timeout: blocks until the container stops): its exit
 * code into *exit_code. For short-lived containers only: podman 4.3 spins a core while
 * the wait is open (watch long-lived ones with the event stream below). */
int rs_docker_wait(const rs_docker_t *d, const char *id, int *exit_code, char *err, size_t errlen);

/* DELETE /containers/<id>?force=1&v=1 (a missing container gives RS_ENOENT). */
int rs_docker_remove(const rs_docker_t *d, const char *id, char *err, size_t errlen);

/* GET /containers/json?all=1&filters={"label":["<label>"]} ("key=value" or "key"): the
 * ids of every matching container, running or not. *ids is a malloc'd array of malloc'd
 * strings (free with rs_docker_ids_free). */
int rs_docker_list_by_label(const rs_docker_t *d, const char *label, char ***ids, size_t *n,
                            char *err, size_t errlen);
void rs_docker_ids_free(char **ids, size_t n);

/* ---- watching containers without a blocking wait (src/docker/docker_events.c) ----------
 * A POST /containers/<id>/wait held open costs podman 4.3 a core while the container runs
 * (podman issue #18150); the event stream costs nothing while nothing happens. */

/* What GET /containers/<id>/json says of a container's state. */
typedef struct rs_docker_state {
    int running;
    int stopped;     /* it ran and ended (exited, dead; podman: stopped): exit_code is valid */
    int exit_code;   /* State.ExitCode, -1 if absent */
    int pid;         /* State.Pid (0 when not running) */
    char status[32]; /* State.Status: created, running, exited, ... */
    /* what the engine applied (HostConfig; 0 / false when absent) */
    int64_t memory;    /* Memory, bytes */
    int64_t nano_cpus; /* NanoCpus */
    int64_t cpu_quota; /* CpuQuota (podman 4.3 reports NanoCpus as CpuQuota/CpuPeriod too) */
    int64_t cpu_period;
    int64_t cpu_shares; /* CpuShares (0 when unset) */
    int readonly_rootfs;
    char ip[64]; /* its IPv4 address on its (first) network, "" on host / none */
} rs_docker_state_t;

/* GET /containers/<id>/json: the state (RS_ENOENT when the container is gone). */
int rs_docker_inspect_state(const rs_docker_t *d, const char *id, rs_docker_state_t *st, char *err,
                            size_t errlen);

/* One open GET /v1.41/events?filters=<filters> (a JSON object, e.g. {"type":["container"],
 * "event":["die","died"],"label":["k=v"]}): the answer never ends; each event is one line. */
typedef struct rs_docker_events rs_docker_events_t;

/* The filters of container ends for containers labelled `label` ("k=v"):
 * {"type":["container"],"event":["die","died"],"label":[label]} (Docker names the event
 * die; podman 4.3 filters on its own name, died, and reports die). NULL without memory;
 * the caller puts it. */
json_object *rs_docker_die_filter(const char *label);

/* Connect, send, and read the head within d->timeout_ms: 0 (*out open), RS_ERR (no
 * engine), RS_EIO (not 200), RS_EINVAL. */
int rs_docker_events_open(const rs_docker_t *d, json_object *filters, rs_docker_events_t **out,
                          char *err, size_t errlen);
/* The socket (non-blocking) to poll for POLLIN. */
int rs_docker_events_fd(const rs_docker_events_t *ev);
/* Read what the socket has (never blocks): 0, or RS_ERR when the engine closed the stream
 * or it broke, RS_EINVAL when it is malformed (close it then). */
int rs_docker_events_recv(rs_docker_events_t *ev, char *err, size_t errlen);
/* The next event received (*event, the caller puts it): 1, 0 when none is complete,
 * RS_EINVAL when the stream is malformed. */
int rs_docker_events_pop(rs_docker_events_t *ev, json_object **event);
void rs_docker_events_close(rs_docker_events_t *ev);

/* Is this event a container's end ("die"; podman also names it "died")? 1 with its id
 * (full, into id) and *exit_code (the event's exitCode / containerExitCode, -1 when it has
 * none), else 0. */
int rs_docker_event_exit(json_object *event, char *id, size_t idlen, int *exit_code);

#endif
