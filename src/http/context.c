/*
 * context.c: the per-worker HTTP context (config view for the S3 layer and the router),
 * request ids and the caller's identity for services other than S3 (which does its own).
 * Runs in: workers.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http/http_int.h"
#include "rs/os.h"
#include "rs/sigv4.h"

void rs_http_ctx_init(rs_http_ctx_t *c, const rs_conf_t *conf, rs_store_t *st, unsigned slot,
                      pid_t master_pid)
{
    memset(c, 0, sizeof(*c));
    c->conf = conf;
    c->store = st;
    c->slot = slot;
    c->master_pid = master_pid;
    c->started_ms = rs_wall_ms();
    for (uint32_t i = 0; i < conf->ncreds && i < RS_CONF_MAX_CREDS; i++) {
        c->creds[i].access_key = conf->creds[i].access_key;
        c->creds[i].secret_key = conf->creds[i].secret_key;
        c->creds[i].account = conf->creds[i].account;
    }
    c->s3.store = st;
    c->s3.verify_signatures = conf->auth_verify;
    c->s3.creds = c->creds;
    c->s3.ncreds = conf->ncreds;
    c->s3.default_account = conf->default_account;
    c->s3.default_region = conf->default_region;
    c->s3.max_object_size = conf->s3_max_object_size;
    c->router.hostname = conf->hostname[0] ? conf->hostname : NULL;
    rs_gw_hosts_init(&c->gw_hosts, conf->runtime_dir);
    c->router.is_domain = rs_gw_hosts_has;
    c->router.domain_arg = &c->gw_hosts;
    if (getrandom(&c->rng, sizeof(c->rng), GRND_NONBLOCK) != (ssize_t)sizeof(c->rng))
        c->rng = (uint64_t)rs_wall_ms() * 0x9E3779B97F4A7C15ull;
    c->rng ^= (uint64_t)getpid() << 32;
    if (c->rng == 0)
        c->rng = 0x2545F4914F6CDD1Dull;
}

void rs_http_new_request_id(rs_http_ctx_t *c, char out[17])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int i = 0; i < 16; i++) {
        /* xorshift64*: fast, and ids only need to be unique enough to correlate logs */
        c->rng ^= c->rng >> 12;
        c->rng ^= c->rng << 25;
        c->rng ^= c->rng >> 27;
        uint64_t r = c->rng * 0x2545F4914F6CDD1Dull;
        out[i] = alphabet[(r >> 32) % 36];
    }
    out[16] = '\0';
}

void rs_http_new_uuid(rs_http_ctx_t *c, char out[37])
{
    uint8_t b[16];
    for (int i = 0; i < 16; i += 8) {
        c->rng ^= c->rng >> 12;
        c->rng ^= c->rng << 25;
        c->rng ^= c->rng >> 27;
        uint64_t r = c->rng * 0x2545F4914F6CDD1Dull;
        memcpy(b + i, &r, 8);
    }
    rs_uuid_v4_format(b, out);
}

/* the identity of the caller; with `verify`, the signature check of auth_verify */
static rs_http_auth_t identity(rs_http_ctx_t *c, rs_http_req_t *req, int verify)
{
    rs_auth_t a;
    memset(&a, 0, sizeof(a));
    snprintf(req->region, sizeof(req->region), "%s", c->conf->default_region);
    snprintf(req->account, sizeof(req->account), "%s", c->conf->default_account);
    rs_auth_err_t ae = rs_auth_parse(req, rs_wall_ms() / 1000, &a);
    if (ae == RS_AUTHE_OK) {
        snprintf(req->access_key, sizeof(req->access_key), "%s", a.access_key);
        if (a.region[0] != '\0')
            snprintf(req->region, sizeof(req->region), "%s", a.region);
        snprintf(req->account, sizeof(req->account), "%s",
                 rs_account_for_key(&c->s3, a.access_key));
    }
    if (!verify)
        return RS_HTTP_AUTH_OK;
    if (ae != RS_AUTHE_OK)
        return RS_HTTP_AUTH_INCOMPLETE;
    if (a.kind == RS_AUTH_NONE)
        return RS_HTTP_AUTH_MISSING;
    const rs_cred_t *cred = NULL;
    for (size_t i = 0; i < c->s3.ncreds && cred == NULL; i++)
        if (strcmp(c->s3.creds[i].access_key, a.access_key) == 0)
            cred = &c->s3.creds[i];
    if (cred == NULL)
        return RS_HTTP_AUTH_UNKNOWN_KEY;
    const char *sts = NULL, *creq = NULL;
    if (rs_auth_verify(req, &a, cred->secret_key, &sts, &creq) != 0)
        return RS_HTTP_AUTH_BAD_SIGNATURE;
    return RS_HTTP_AUTH_OK;
}

rs_http_auth_t rs_http_authenticate(rs_http_ctx_t *c, rs_http_req_t *req)
{
    return identity(c, req, c->conf->auth_verify);
}

void rs_http_set_identity(rs_http_ctx_t *c, rs_http_req_t *req)
{
    identity(c, req, 0);
}
