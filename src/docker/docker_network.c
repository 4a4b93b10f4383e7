/*
 * docker_network.c: the named bridge network of include/rs/docker.h
 * (rs_docker_network_ensure): inspected, created when missing (a race with another
 * creator is taken as success), and its IPv4 gateway read from the IPAM config.
 * Runs in: the lambda supervisor (blocking calls at the pool's start).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "rs/docker.h"
#include "rs/err.h"
#include "docker_int.h"

/* The first IPv4 gateway of the network's IPAM.Config (podman 4.3 and Docker both fill
 * it for a bridge). RS_EINVAL when there is none. */
static int gateway_of(json_object *net, char *gw, size_t gwlen, char *err, size_t errlen)
{
    json_object *ipam, *cfgs;
    if (!json_object_object_get_ex(net, "IPAM", &ipam) ||
        !json_object_object_get_ex(ipam, "Config", &cfgs) ||
        !json_object_is_type(cfgs, json_type_array)) {
        rs_errf(err, errlen, "the network has no IPAM config");
        return RS_EINVAL;
    }
    for (size_t i = 0; i < json_object_array_length(cfgs); i++) {
        json_object *g, *c = json_object_array_get_idx(cfgs, i);
        struct in_addr a;
        if (!json_object_object_get_ex(c, "Gateway", &g) ||
            !json_object_is_type(g, json_type_string))
            continue;
        const char *s = json_object_get_string(g);
        if (inet_pton(AF_INET, s, &a) != 1 || strlen(s) >= gwlen)
            continue;
        snprintf(gw, gwlen, "%s", s);
        return 0;
    }
    rs_errf(err, errlen, "the network has no IPv4 gateway");
    return RS_EINVAL;
}

static int inspect(const rs_docker_t *d, const char *name, char *gw, size_t gwlen, char *err,
                   size_t errlen)
{
    char path[600];
    json_object *j;
    int r = rs_docker_object_path(path, sizeof(path), "networks", name, "", err, errlen);
    if (r < 0)
        return r;
    r = rs_docker_call_json(d, "GET", path, NULL, d->timeout_ms, json_type_object, &j, err, errlen);
    if (r < 0)
        return r;
    r = gateway_of(j, gw, gwlen, err, errlen);
    json_object_put(j);
    return r;
}

int rs_docker_network_ensure(const rs_docker_t *d, const char *name, const char *label, char *gw,
                             size_t gwlen, char *err, size_t errlen)
{
    int r = inspect(d, name, gw, gwlen, err, errlen);
    if (r != RS_ENOENT)
        return r;
    json_object *req = json_object_new_object(), *labels = json_object_new_object(), *j = NULL;
    if (req == NULL || labels == NULL) {
        json_object_put(req);
        json_object_put(labels);
        rs_errf(err, errlen, "out of memory");
        return RS_ENOMEM;
    }
    json_object_object_add(req, "Name", json_object_new_string(name));
    json_object_object_add(req, "Driver", json_object_new_string("bridge"));
    json_object_object_add(req, "CheckDuplicate", json_object_new_boolean(1));
    if (label != NULL && label[0] != '\0')
        json_object_object_add(labels, label, json_object_new_string("1"));
    json_object_object_add(req, "Labels", labels);
    r = rs_docker_call_json(d, "POST", "/v1.41/networks/create",
                            json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN),
                            d->timeout_ms, json_type_object, &j, err, errlen);
    json_object_put(req);
    json_object_put(j);
    if (r < 0 && r != RS_EEXIST) /* EEXIST: another instance created it meanwhile */
        return r;
    return inspect(d, name, gw, gwlen, err, errlen);
}
