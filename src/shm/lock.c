/*
 * lock.c: the only code that locks a mutex in shared memory, and the repair protocol.
 * Runs in: workers (and tests); the master only initialises mutexes before any fork.
 *
 * Lock order (never take them the other way round; never hold two of one kind):
 *   bucket table -> multipart upload -> index shard -> bucket list (per bucket) -> size class
 *   -> page pool
 * A shard repair never takes an upload lock; the upload repair may take a shard lock; the
 * bucket table's repair may take upload locks (it aborts a deleted bucket's uploads).
 *
 * A robust mutex returns the lock, not the data. On EOWNERDEAD the locker runs the
 * structure's repair function with the lock held: 0 means the data is consistent again
 * and the mutex is marked consistent; anything else leaves the mutex unrecoverable
 * (poisoned) and the caller gets RS_EPOISON. Repairs are idempotent: if the repairer is
 * itself killed, the next locker gets EOWNERDEAD again and reruns the same repair.
 */
#include "shm/lock.h"

#include <errno.h>
#include <string.h>

#include "rs/err.h"

int rs_shm_mutex_init(rs_shm_mutex_t *m)
{
    pthread_mutexattr_t a;
    int rc = RS_ERR;

    memset(m, 0, sizeof *m);
    if (pthread_mutexattr_init(&a) != 0)
        return RS_ERR;
    if (pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) == 0 &&
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0 &&
        pthread_mutex_init(&m->mu, &a) == 0)
        rc = 0;
    pthread_mutexattr_destroy(&a);
    return rc;
}

int rs_shm_lock(rs_shm_mutex_t *m, rs_shm_repair_fn repair, void *arg)
{
    int rc = pthread_mutex_lock(&m->mu);

    if (rc == 0)
        return 0;
    if (rc == EOWNERDEAD) {
        if (repair == NULL || repair(arg) == 0) {
            if (pthread_mutex_consistent(&m->mu) == 0)
                return 0;
        }
        __atomic_store_n(&m->poisoned, 1, __ATOMIC_SEQ_CST);
        pthread_mutex_unlock(&m->mu);
        return RS_EPOISON;
    }
    /* ENOTRECOVERABLE (a previous repair failed) or any other failure. */
    __atomic_store_n(&m->poisoned, 1, __ATOMIC_SEQ_CST);
    return RS_EPOISON;
}

void rs_shm_unlock(rs_shm_mutex_t *m)
{
    pthread_mutex_unlock(&m->mu);
}
