/*
 * lambda_docker_watch.h: private to the docker executor (lambda_exec_docker.c): how it
 * learns that a container ended without holding a blocking POST /containers/<id>/wait
 * per container (podman 4.3 spins a core on each, podman issue #18150). One thread holds
 * the engine's event stream filtered to this instance's container deaths and wakes the
 * waiter of the container that died; after every (re)connection, every WATCH_SWEEP_MS, and
 * after a kill the engine refused, it inspects the containers it watches, so an event lost
 * while the stream was down is not a container watched forever.
 * Runs in: the lambda supervisor (the watch thread; the pool's threads add, wait, drop).
 */
#ifndef RS_LAMBDA_DOCKER_WATCH_H
#define RS_LAMBDA_DOCKER_WATCH_H

#include "rs/docker.h"

typedef struct rs_dwatch rs_dwatch_t;
typedef struct rs_dwatch_entry rs_dwatch_entry_t;

/* Start the watch thread for containers labelled io.ruststack.instance=<instance>. The
 * stream connects in the background (reconnecting with a back-off); until it does, the
 * watched containers are inspected every second instead. */
int rs_dwatch_start(const rs_docker_t *d, const char *instance, rs_dwatch_t **out);
/* Stop the thread and free everything (no entry may still be watched). */
void rs_dwatch_stop(rs_dwatch_t *w);

/* Watch a container created and not started yet (so its end cannot be missed). NULL when
 * out of memory. */
rs_dwatch_entry_t *rs_dwatch_add(rs_dwatch_t *w, const char *id);
/* The container was started: from now on "not running" means it ended. */
void rs_dwatch_started(rs_dwatch_t *w, rs_dwatch_entry_t *e);
/* Someone asked the engine to kill it (killed_ok: the engine accepted). A refused kill
 * (not running, gone) makes the caller's thread inspect it at once; an accepted kill whose
 * death is not reported within seconds is inspected too. */
void rs_dwatch_killed(rs_dwatch_t *w, rs_dwatch_entry_t *e, int killed_ok);
/* Block until the container ended: its exit code (>= 0) or -1 when the engine could not
 * tell (the container vanished, or the engine stayed unreachable after a kill). */
int rs_dwatch_wait(rs_dwatch_t *w, rs_dwatch_entry_t *e);
/* Stop watching and free the entry. */
void rs_dwatch_drop(rs_dwatch_t *w, rs_dwatch_entry_t *e);

#endif
