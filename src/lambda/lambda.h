/*
 * lambda.h: the lambda supervisor's entry point for the master (src/proc/master.c).
 * Runs in: master (fork) and the lambda supervisor.
 */
#ifndef RS_LAMBDA_H
#define RS_LAMBDA_H

#include <sys/types.h>

#include "rs/conf.h"
#include "rs/status.h"

/* Process main of the lambda supervisor, called in the child right after fork: serve
 * <runtime_dir>/lambda.sock (control plane and Invoke), run the pool. `first_start` is 1
 * for the master's first spawn (without a data_dir the function registry starts empty)
 * and 0 for a respawn after a crash (the registry is reloaded: nothing acknowledged is
 * lost). Never returns. */
void rs_lambda_supervisor_main(const rs_conf_t *conf, rs_status_board_t *board, pid_t master_pid,
                               int first_start) __attribute__((noreturn));

#endif
