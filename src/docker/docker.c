/*
 * docker.c: the Docker Engine API v1.41 calls of include/rs/docker.h (ping, version, image
 * check, container create/start/kill/wait/remove, list by label) on top of the HTTP
 * exchange in docker_http.c, with the status mapping 404 -> RS_ENOENT, 409 -> RS_EEXIST
 * (and podman's 500 for the same conflicts), other non-2xx -> RS_EIO (the engine's
 * "message" into err). Runs in: the lambda supervisor (blocking calls on its threads).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "rs/docker.h"
#include "rs/err.h"
#include "docker_int.h"

#define API "/v1.41"

/* Percent-encode s into out (everything but unreserved characters, plus those in `keep`). */
int rs_docker_url_escape(const char *s, const char *keep, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~' || strchr(keep, c) != NULL;
        if (o + (plain ? 1 : 3) >= outlen)
            return RS_EINVAL;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

/* podman's compatible API answers 500 where Docker answers 409; its "cause" names the
 * conflict (checked with podman 4.3.1: a name in use, kill of a container not running). */
static int podman_conflict(const char *cause)
{
    static const char *const causes[] = {"that name is already in use", "container state improper",
                                         "container already exists", "network already exists"};

    for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
        if (strcmp(cause, causes[i]) == 0)
            return 1;
    return 0;
}

/* Map a non-2xx status to an rs_err_t with the engine's message (or the body's first
 * line) in err. */
static int status_error(int status, const char *body, char *err, size_t errlen)
{
    const char *msg = NULL;
    json_object *j = body != NULL ? json_tokener_parse(body) : NULL;
    json_object *m;
    char line[256];
    int conflict = status == 409;

    if (j != NULL && json_object_is_type(j, json_type_object)) {
        if (json_object_object_get_ex(j, "message", &m) && json_object_is_type(m, json_type_string))
            msg = json_object_get_string(m);
        if (status == 500 && json_object_object_get_ex(j, "cause", &m) &&
            json_object_is_type(m, json_type_string))
            conflict = podman_conflict(json_object_get_string(m));
    }
    if (msg == NULL && body != NULL && body[0] != '\0') {
        size_t n = strcspn(body, "\r\n");
        if (n >= sizeof(line))
            n = sizeof(line) - 1;
        memcpy(line, body, n);
        line[n] = '\0';
        msg = line;
    }
    rs_errf(err, errlen, "engine: HTTP %d: %s", status, msg != NULL ? msg : "no reason");
    json_object_put(j);
    if (status == 404)
        return RS_ENOENT;
    if (conflict)
        return RS_EEXIST;
    return RS_EIO;
}

/* One call: the exchange plus the status mapping. On 0 *body (if asked) is the answer. */
static int call(const rs_docker_t *d, const char *method, const char *path, const char *req,
                uint32_t timeout_ms, int *status, char **body, char *err, size_t errlen)
{
    char *rb = NULL;
    size_t rl = 0;
    int st = 0;
    int r = rs_docker_exchange(d, method, path, req, req != NULL ? strlen(req) : 0, &st, &rb, &rl,
                               timeout_ms, err, errlen);

    if (r < 0)
        return r;
    if (status != NULL)
        *status = st;
    if ((st < 200 || st > 299) && st != 304) {
        r = status_error(st, rb, err, errlen);
        free(rb);
        return r;
    }
    if (body != NULL)
        *body = rb;
    else
        free(rb);
    return 0;
}

/* A call whose answer is JSON of `type` (*out, for the caller to put); RS_EINVAL (with err)
 * when it is not. */
int rs_docker_call_json(const rs_docker_t *d, const char *method, const char *path, const char *req,
                        uint32_t timeout_ms, json_type type, json_object **out, char *err,
                        size_t errlen)
{
    char *body = NULL;
    json_object *j;
    int r = call(d, method, path, req, timeout_ms, NULL, &body, err, errlen);

    if (r < 0)
        return r;
    j = json_tokener_parse(body);
    free(body);
    if (j == NULL || !json_object_is_type(j, type)) {
        json_object_put(j);
        rs_errf(err, errlen, "engine answer is not the expected JSON");
        return RS_EINVAL;
    }
    *out = j;
    return 0;
}

/* Path of a container or image operation: API/<kind>/<escaped name><suffix>. */
int rs_docker_object_path(char *out, size_t outlen, const char *kind, const char *name,
                          const char *suffix, char *err, size_t errlen)
{
    char esc[1024];
    int n;

    if (name == NULL || name[0] == '\0' ||
        rs_docker_url_escape(name, ":/@", esc, sizeof(esc)) < 0) {
        rs_errf(err, errlen, "bad %s name", kind);
        return RS_EINVAL;
    }
    n = snprintf(out, outlen, API "/%s/%s%s", kind, esc, suffix);
    if (n < 0 || (size_t)n >= outlen) {
        rs_errf(err, errlen, "%s name too long", kind);
        return RS_EINVAL;
    }
    return 0;
}

/* A call on one container or image (API/<kind>/<name><suffix>) that answers no body. */
static int object_call(const rs_docker_t *d, const char *method, const char *kind, const char *name,
                       const char *suffix, char *err, size_t errlen)
{
    char path[1200];
    int r = rs_docker_object_path(path, sizeof(path), kind, name, suffix, err, errlen);

    if (r < 0)
        return r;
    return call(d, method, path, NULL, d->timeout_ms, NULL, NULL, err, errlen);
}

int rs_docker_ping(const rs_docker_t *d, char *err, size_t errlen)
{
    char *body = NULL;
    int r = call(d, "GET", "/_ping", NULL, d->timeout_ms, NULL, &body, err, errlen);
    size_t n;

    if (r < 0)
        return r;
    n = strlen(body);
    while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r' || body[n - 1] == ' '))
        n--;
    r = n == 2 && memcmp(body, "OK", 2) == 0 ? 0 : RS_EINVAL;
    if (r < 0)
        rs_errf(err, errlen, "engine _ping answered something other than OK");
    free(body);
    return r;
}

int rs_docker_version(const rs_docker_t *d, char *out, size_t outlen, char *err, size_t errlen)
{
    json_object *j, *v, *a;
    int r = rs_docker_call_json(d, "GET", API "/version", NULL, d->timeout_ms, json_type_object, &j,
                                err, errlen);

    if (r < 0)
        return r;
    if (!json_object_object_get_ex(j, "Version", &v) ||
        !json_object_object_get_ex(j, "ApiVersion", &a)) {
        json_object_put(j);
        rs_errf(err, errlen, "engine version answer lacks Version/ApiVersion");
        return RS_EINVAL;
    }
    if (out != NULL && outlen > 0)
        snprintf(out, outlen, "%s (API %s)", json_object_get_string(v), json_object_get_string(a));
    json_object_put(j);
    return 0;
}

int rs_docker_image_exists(const rs_docker_t *d, const char *image, char *err, size_t errlen)
{
    return object_call(d, "GET", "images", image, "/json", err, errlen);
}

int rs_docker_create(const rs_docker_t *d, const char *name, json_object *config, char *id_out,
                     size_t id_len, char *err, size_t errlen)
{
    char path[600], esc[400];
    const char *req, *id;
    json_object *j, *jid;
    int r;

    if (config == NULL || id_out == NULL || id_len == 0) {
        rs_errf(err, errlen, "create: no config or id buffer");
        return RS_EINVAL;
    }
    if (name != NULL && name[0] != '\0') {
        if (rs_docker_url_escape(name, "", esc, sizeof(esc)) < 0) {
            rs_errf(err, errlen, "container name too long");
            return RS_EINVAL;
        }
        snprintf(path, sizeof(path), API "/containers/create?name=%s", esc);
    } else {
        snprintf(path, sizeof(path), API "/containers/create");
    }
    req = json_object_to_json_string_ext(config, JSON_C_TO_STRING_PLAIN);
    r = rs_docker_call_json(d, "POST", path, req, d->timeout_ms, json_type_object, &j, err, errlen);
    if (r < 0)
        return r;
    if (!json_object_object_get_ex(j, "Id", &jid) || !json_object_is_type(jid, json_type_string) ||
        (id = json_object_get_string(jid))[0] == '\0') {
        json_object_put(j);
        rs_errf(err, errlen, "create answer has no Id");
        return RS_EINVAL;
    }
    if (strlen(id) >= id_len) {
        json_object_put(j);
        rs_errf(err, errlen, "container id longer than the buffer");
        return RS_EINVAL;
    }
    memcpy(id_out, id, strlen(id) + 1);
    json_object_put(j);
    return 0;
}

int rs_docker_start(const rs_docker_t *d, const char *id, char *err, size_t errlen)
{
    return object_call(d, "POST", "containers", id, "/start", err, errlen);
}

int rs_docker_kill(const rs_docker_t *d, const char *id, const char *sig, char *err, size_t errlen)
{
    char suffix[96], esc[48];

    if (sig == NULL || sig[0] == '\0')
        sig = "KILL";
    if (rs_docker_url_escape(sig, "", esc, sizeof(esc)) < 0) {
        rs_errf(err, errlen, "bad signal name");
        return RS_EINVAL;
    }
    snprintf(suffix, sizeof(suffix), "/kill?signal=%s", esc);
    return object_call(d, "POST", "containers", id, suffix, err, errlen);
}

int rs_docker_wait(const rs_docker_t *d, const char *id, int *exit_code, char *err, size_t errlen)
{
    char path[1200];
    json_object *j, *sc;
    int r = rs_docker_object_path(path, sizeof(path), "containers", id, "/wait", err, errlen);

    if (r < 0)
        return r;
    r = rs_docker_call_json(d, "POST", path, NULL, 0, json_type_object, &j, err, errlen);
    if (r < 0)
        return r;
    if (!json_object_object_get_ex(j, "StatusCode", &sc) ||
        !json_object_is_type(sc, json_type_int)) {
        json_object_put(j);
        rs_errf(err, errlen, "wait answer has no StatusCode");
        return RS_EINVAL;
    }
    if (exit_code != NULL)
        *exit_code = json_object_get_int(sc);
    json_object_put(j);
    return 0;
}

int rs_docker_remove(const rs_docker_t *d, const char *id, char *err, size_t errlen)
{
    return object_call(d, "DELETE", "containers", id, "?force=1&v=1", err, errlen);
}

void rs_docker_ids_free(char **ids, size_t n)
{
    if (ids == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

int rs_docker_list_by_label(const rs_docker_t *d, const char *label, char ***ids, size_t *n,
                            char *err, size_t errlen)
{
    char path[1600], esc[1200];
    json_object *filter, *arr, *j;
    char **out;
    size_t cnt, k = 0;
    int r;

    *ids = NULL;
    *n = 0;
    if (label == NULL || label[0] == '\0' || strlen(label) > 256) {
        rs_errf(err, errlen, "bad label filter");
        return RS_EINVAL;
    }
    filter = json_object_new_object();
    arr = json_object_new_array();
    json_object_array_add(arr, json_object_new_string(label));
    json_object_object_add(filter, "label", arr);
    r = rs_docker_url_escape(json_object_to_json_string_ext(filter, JSON_C_TO_STRING_PLAIN), "",
                             esc, sizeof(esc));
    json_object_put(filter);
    if (r < 0) {
        rs_errf(err, errlen, "label filter too long");
        return RS_EINVAL;
    }
    snprintf(path, sizeof(path), API "/containers/json?all=1&filters=%s", esc);
    r = rs_docker_call_json(d, "GET", path, NULL, d->timeout_ms, json_type_array, &j, err, errlen);
    if (r < 0)
        return r;
    cnt = json_object_array_length(j);
    out = calloc(cnt + 1, sizeof(*out));
    for (size_t i = 0; out != NULL && i < cnt; i++) {
        json_object *c = json_object_array_get_idx(j, i), *id;
        if (!json_object_object_get_ex(c, "Id", &id) || !json_object_is_type(id, json_type_string))
            continue;
        out[k] = strdup(json_object_get_string(id));
        if (out[k] == NULL) {
            rs_docker_ids_free(out, k);
            out = NULL;
        } else {
            k++;
        }
    }
    json_object_put(j);
    if (out == NULL) {
        rs_errf(err, errlen, "out of memory");
        errno = ENOMEM;
        return RS_ERR;
    }
    *ids = out;
    *n = k;
    return 0;
}
