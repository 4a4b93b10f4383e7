/*
 * fuzz_ipc.c: fuzz target for the IPC frame header check (src/ipc/frame.c): any 24
 * bytes accepted by rs_ipc_hdr_check must have the magic, version, a known type and sizes
 * within the limits; rs_ipc_read_frame over a socket fed with the input must give 0,
 * RS_EINVAL or RS_ERR and hand back exactly the sizes the header announced.
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
#include "rs/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
