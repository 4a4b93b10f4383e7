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

/* POST /containers/<id>/start (204; 304 "already started" counts as success). */
int rs_docker_start(const rs_docker_t *d, const char *id, char *err, size_t errlen);

/* POST /containers/<id>/kill?signal=<sig> (e.g. "KILL"). A container that is not running
 * gives RS_EEXIST. */
int rs_docker_kill(const rs_docker_t *d, const char *id, const char *sig, char *err, size_t errlen);

/* POST /containers/<id>/wait (no timeout: blocks until the container stops): its exit
 * code into *exit_code. */
int rs_docker_wait(const rs_docker_t *d, const char *id, int *exit_code, char *err, size_t errlen);

/* DELETE /containers/<id>?force=1&v=1 (a missing container gives RS_ENOENT). */
int rs_docker_remove(const rs_docker_t *d, const char *id, char *err, size_t errlen);

/* GET /containers/json?all=1&filters={"label":["<label>"]} ("key=value" or "key"): the
 * ids of every matching container, running or not. *ids is a malloc'd array of malloc'd
 * strings (free with rs_docker_ids_free). */
int rs_docker_list_by_label(const rs_docker_t *d, const char *label, char ***ids, size_t *n,
                            char *err, size_t errlen);
void rs_docker_ids_free(char **ids, size_t n);

#endif
