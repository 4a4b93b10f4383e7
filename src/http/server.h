/*
 * server.h: the worker's HTTP server: h2o configuration, context and accept loop on the
 * listening socket inherited from the master, a 100 ms tick, and graceful drain.
 * Runs in: workers. The interface is h2o-free so that src/proc/worker.c stays so.
 */
#ifndef RS_HTTP_SERVER_H
#define RS_HTTP_SERVER_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h> /* rs/store.h uses struct iovec */

#include "rs/conf.h"
#include "rs/store.h"

typedef struct rs_server rs_server_t;
typedef void (*rs_server_tick_cb)(void *arg);

/* Build the h2o config and context and start accepting on listen_fd. */
int rs_server_create(const rs_conf_t *conf, rs_store_t *st, int listen_fd, unsigned slot,
                     pid_t master_pid, rs_server_tick_cb tick, void *tick_arg, rs_server_t **out);
/* One turn of the event loop (waits at most max_wait_ms). 0, or RS_ERR on loop failure. */
int rs_server_run_once(rs_server_t *s, int max_wait_ms);
/* Stop accepting (close this process's copy of the listener) and ask open connections
 * to finish: HTTP/1 connections close after their current response, HTTP/2 gets GOAWAY. */
void rs_server_shutdown(rs_server_t *s);
/* 1 when no request is in flight and no connection is open. */
int rs_server_quiet(rs_server_t *s);
uint64_t rs_server_inflight(rs_server_t *s);
/* Free everything (only when quiet; otherwise the process is about to exit anyway). */
void rs_server_destroy(rs_server_t *s);

#endif
