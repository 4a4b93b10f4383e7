/*
 * lambda_docker_standby.h: private to the docker executor (lambda_exec_docker.c): a small
 * pool of pre-started generic standby containers (lambda_standby, 0: none) so a
 * cold start skips the engine's create + start and python's start-up. Each standby runs
 * bootstrap.py blocked on a FIFO (no CPU); a cold start hard-links the function's code
 * into the standby's read-only /var/task, moves the standby's directory to the
 * environment's, writes the environment's variables to the FIFO, and a filler thread
 * starts a replacement in the background.
 * Runs in: the lambda supervisor (the filler thread; the pool threads take standbys).
 */
#ifndef RS_LAMBDA_DOCKER_STANDBY_H
#define RS_LAMBDA_DOCKER_STANDBY_H

#include "lambda/lambda_docker_config.h"
#include "lambda/lambda_docker_watch.h"
#include "lambda/lambda_exec.h"
#include "rs/docker.h"

typedef struct rs_dstandby rs_dstandby_t;

/* What a standby container is made of (copied). */
typedef struct rs_dstandby_conf {
    const rs_docker_t *d;
    rs_dwatch_t *watch;
    const char *image, *network, *instance, *name_prefix, *runtime_path;
    const char *extra_host; /* "ruststack:<gateway>" on a bridge, else NULL */
    rs_lcpu_t cpu;          /* lambda_cpu */
    const char *base;       /* directory for the standbys' dirs (same filesystem as env dirs) */
    unsigned count;         /* standbys kept ready (0: the filler is not started) */
} rs_dstandby_conf_t;

/* A standby handed to one environment: the executor owns it from then on. */
typedef struct rs_dstandby_taken {
    char id[80];
    rs_dwatch_entry_t *w;
    int pid;
    char ip[64]; /* its address on a bridge network ("" on host) */
    int fifo_fd; /* kept open until the environment is released (closed by the caller) */
} rs_dstandby_taken_t;

/* Start the filler thread (count 0: *out = NULL and nothing runs). */
int rs_dstandby_start(const rs_dstandby_conf_t *c, rs_dstandby_t **out);
/* Hand a ready standby of spec->fn's memory size to the environment `spec` describes.
 * 0: *t filled, the runtime is starting; RS_ENOENT: none ready (the filler is asked for
 * one of that size; the caller creates a container as usual); other < 0: the hand-off
 * failed (err), the standby is discarded, the caller may create a container as usual. */
int rs_dstandby_take(rs_dstandby_t *sb, const rs_lexec_spec_t *spec, rs_dstandby_taken_t *t,
                     char *err, size_t errlen);
/* Stop the filler, remove every standby container (blocks). NULL is fine. */
void rs_dstandby_stop(rs_dstandby_t *sb);

#endif
