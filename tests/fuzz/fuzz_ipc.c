/*
 * fuzz_ipc.c: fuzz target for the IPC frame header check (src/ipc/frame.c): any 24
 * bytes accepted by rs_ipc_hdr_check must have the magic, version, a known type and sizes
 * within the limits; rs_ipc_read_frame over a socket fed with the input must give 0,
 * RS_EINVAL or RS_ERR and hand back exactly the sizes the header announced. The input (and
 * what follows a frame header in it) is also read as a meta by the in-place decoders
 * (src/ipc/msg.c): rs_ipc_ddb_req_decode and rs_ipc_resp_decode_flat must give 0 or
 * RS_EINVAL, and on 0 strings that lie inside the meta, NUL-terminated at their length, a
 * status of 100..599 and no more headers than asked.
 * Runs in: the fuzz binary.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "rs/err.h"
#include "rs/http.h"
#include "rs/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s lies in [m, m + n) and is NUL-terminated within it at length len */
static void inside(const char *m, size_t n, const char *s, size_t len)
{
    if (s == NULL || s < m || s + len >= m + n || s[len] != '\0' || strlen(s) != len)
        abort();
}

static void metas(const uint8_t *data, size_t size)
{
    /* a copy exactly as long as the input (the decoders must stay inside it), and a
     * second one: decoding is in place */
    char *m = malloc(size + 1);
    if (m == NULL)
        abort();
    memcpy(m, data, size);
    m[size] = '\0';
    rs_ipc_ddb_req_t r;
    int rc = rs_ipc_ddb_req_decode(m, size, &r);
    if (rc != 0 && rc != RS_EINVAL)
        abort();
    const char *f[6] = {r.target, r.account, r.region, r.request_id, r.content_type, r.access_key};
    for (int i = 0; i < 6; i++)
        if (f[i] == NULL || (f[i][0] != '\0' && (f[i] < m || f[i] >= m + size)))
            abort();
    if (rc == 0 && (!r.target[0] || !r.account[0] || !r.region[0]))
        abort();
    memcpy(m, data, size);
    rs_hdr_t h[4];
    size_t nh = 99;
    int st = -1;
    rc = rs_ipc_resp_decode_flat(m, size, &st, h, 4, &nh);
    if (rc == 0) {
        if (st < 100 || st > 599 || nh > 4)
            abort();
        for (size_t i = 0; i < nh; i++) {
            inside(m, size + 1, h[i].name, h[i].name_len);
            inside(m, size + 1, h[i].value, h[i].value_len);
        }
    } else if (rc != RS_EINVAL) {
        abort();
    }
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_ipc_hdr_t h;
    memset(&h, 0, sizeof(h));
    memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
    int rc = rs_ipc_hdr_check(&h);
    if (rc == 0) {
        if (h.magic != RS_IPC_MAGIC || h.version != RS_IPC_VERSION || h.type < RS_IPC_REQUEST ||
            h.type > RS_IPC_PONG || h.meta_len > RS_IPC_MAX_META || h.body_len > RS_IPC_MAX_BODY)
            abort();
    } else if (rc != RS_EINVAL) {
        abort();
    }
    if (size <= 64 * 1024) {
        metas(data, size);
        if (size > sizeof(h))
            metas(data + sizeof(h), size - sizeof(h));
    }
    /* the whole input as a stream: frames larger than what is there end in EOF */
    if (size > 64 * 1024)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        abort();
    int sndbuf = 256 * 1024;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    fz_write_all(sv[0], data, size);
    close(sv[0]);
    for (int i = 0; i < 4; i++) {
        rs_ipc_hdr_t fh;
        char *meta = NULL;
        void *body = NULL;
        rc = rs_ipc_read_frame(sv[1], &fh, &meta, &body);
        if (rc != 0) {
            if (rc != RS_EINVAL && rc != RS_ERR)
                abort();
            break;
        }
        if (rs_ipc_hdr_check(&fh) != 0 || (fh.meta_len && meta == NULL) ||
            (fh.body_len && body == NULL))
            abort();
        if (meta && meta[fh.meta_len] != '\0')
            abort();
        free(meta);
        free(body);
    }
    close(sv[1]);
    return 0;
}
