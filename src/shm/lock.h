/*
 * lock.h: the one wrapper around process-shared robust mutexes in the shared region.
 * Runs in: workers (every lock), master (only rs_shm_mutex_init while creating the region).
 */
#ifndef RS_SHM_LOCK_H
#define RS_SHM_LOCK_H

#include <pthread.h>
#include <stdint.h>

/* A robust, process-shared mutex on its own cache line. */
typedef struct rs_shm_mutex {
    pthread_mutex_t mu; /* written by pthread only */
    uint32_t poisoned;  /* set once by the locker whose repair failed (lock held) */
    uint32_t pad_;
    uint8_t line_pad_[64 - ((sizeof(pthread_mutex_t) + 8) % 64)];
} __attribute__((aligned(64))) rs_shm_mutex_t;

_Static_assert(sizeof(rs_shm_mutex_t) % 64 == 0, "mutex must fill whole cache lines");

/* Repair callback run on EOWNERDEAD with the lock held: 0 = repaired, else poison. */
typedef int (*rs_shm_repair_fn)(void *arg);

/* Initialise a mutex in zero-filled shared memory (robust + pshared). 0 or RS_ERR. */
int rs_shm_mutex_init(rs_shm_mutex_t *m);
/* Lock; on EOWNERDEAD run repair (NULL = nothing to repair) then mark consistent.
 * Returns 0 (locked) or RS_EPOISON (not locked). */
int rs_shm_lock(rs_shm_mutex_t *m, rs_shm_repair_fn repair, void *arg);
void rs_shm_unlock(rs_shm_mutex_t *m);

#endif
