/*
 * status.h: the service status board: a tiny lock-free shared mapping that the master
 * creates before forking, where each supervisor publishes its service's state and a
 * reason, and workers read it (health endpoint, fast failure when a service is down).
 * Runs in: master (create; may also publish "unavailable" when it cannot spawn a
 * supervisor), supervisors (publish their own service only), workers (read).
 * One writer per service; readers use a sequence counter and never block.
 */
#ifndef RS_STATUS_H
#define RS_STATUS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { RS_SVC_DYNAMODB = 0, RS_SVC_LAMBDA = 1, RS_SVC__COUNT } rs_svc_t;

typedef enum {
    RS_SVC_DISABLED = 0,   /* turned off in the configuration */
    RS_SVC_STARTING = 1,   /* being started or restarted */
    RS_SVC_RUNNING = 2,    /* healthy: a real request succeeded */
    RS_SVC_UNAVAILABLE = 3 /* cannot run: the reason says why and what to install */
} rs_svc_state_t;

typedef struct rs_status_board rs_status_board_t;

rs_status_board_t *rs_status_create(void); /* master, before any fork */
/* The board this process created or inherited through fork (NULL when none). */
rs_status_board_t *rs_status_current(void);
void rs_status_destroy(rs_status_board_t *b);
void rs_status_set(rs_status_board_t *b, rs_svc_t svc, rs_svc_state_t state, const char *reason);
/* Returns the state; copies the reason (may be ""). Never blocks. */
rs_svc_state_t rs_status_get(const rs_status_board_t *b, rs_svc_t svc, char *reason, size_t len);
const char *rs_status_name(rs_svc_state_t s); /* "disabled", "starting", "running", "unavailable" */

/* API Gateway custom domain names: the lambda supervisor, after replacing the names file
 * (RS_GW_HOSTS_FILE), says how many it holds and moves the generation; a worker re-reads
 * the file only when the generation moved, and asks nothing while the count is 0. Never
 * block. b NULL: set does nothing. */
void rs_status_set_domains(rs_status_board_t *b, uint32_t count);
uint64_t rs_status_domains(const rs_status_board_t *b, uint32_t *count);

/* Heartbeats for the master's watchdog: one per process, by who = RS_BEAT_SUP(svc) for a
 * supervisor or RS_BEAT_WORKER(slot) for a worker. The process stores rs_mono_ms() from
 * the loop that must keep moving (a worker's 100 ms tick, a supervisor's main loop); the
 * master stores the spawn time before each fork, so a child that hangs before its first
 * beat is caught too, and reads them. Atomic stores and loads only; b NULL: no-op / 0. */
#define RS_BEAT_SUP(svc) ((unsigned)(svc))
#define RS_BEAT_WORKER(slot) ((unsigned)RS_SVC__COUNT + (unsigned)(slot))
void rs_status_beat(rs_status_board_t *b, unsigned who);
void rs_status_beat_at(rs_status_board_t *b, unsigned who, int64_t mono_ms);
int64_t rs_status_last_beat(const rs_status_board_t *b, unsigned who);

#endif
