/*
 * lambda_fwd.h: a TCP relay from the bridge network's gateway to the server's own listener,
 * for lambda_network = bridge when the server listens on a loopback (or other single)
 * address the containers cannot reach: http://ruststack:<port> inside a container lands
 * here and is copied both ways to <bind>:<port>.
 * Runs in: the lambda supervisor (an accept thread, one thread per relayed connection).
 */
#ifndef RS_LAMBDA_FWD_H
#define RS_LAMBDA_FWD_H

#include <stdint.h>

typedef struct rs_lfwd rs_lfwd_t;

/* Listen on listen_addr:port (IPv4, IP_FREEBIND) and relay every connection to
 * target_addr:target_port. 0 or RS_ERR / RS_EINVAL / RS_ENOMEM with errno. */
int rs_lfwd_start(const char *listen_addr, uint16_t port, const char *target_addr,
                  uint16_t target_port, rs_lfwd_t **out);
/* Stop accepting, end every relayed connection, wait for the threads, free. */
void rs_lfwd_stop(rs_lfwd_t *f);

#endif
