/*
 * ddb.h: the ddb supervisor's entry point for the master (src/proc/master.c), and
 * DynamoDB's request id (ddb_reqid.c, also used by the workers).
 * Runs in: master (fork), the ddb supervisor, workers (the request id).
 */
#ifndef RS_DDB_H
#define RS_DDB_H

#include <sys/types.h>

#include "rs/conf.h"
#include "rs/status.h"

/* Process main of the ddb supervisor, called in the child right after fork: serve the
 * Unix socket <runtime_dir>/ddb.sock, run DynamoDB Local, forward. Never returns. */
void rs_ddb_supervisor_main(const rs_conf_t *conf, rs_status_board_t *board, pid_t master_pid)
    __attribute__((noreturn));

#endif
