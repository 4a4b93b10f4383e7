/*
 * crashpoint.h: named points between the steps of every shared-memory mutation where a
 * test can make the process die by SIGKILL (tests/crash). Always compiled in; disarmed it
 * costs one predictable branch.
 * Runs in: workers (tests arm one point in a forked child, or, for the watchdog tests, a
 * worker of the real binary through RS_TEST_HANG_AT: see proc/worker.c).
 */
#ifndef RS_SHM_CRASHPOINT_H
#define RS_SHM_CRASHPOINT_H

#define RS_CRASHPOINTS(X)                                                                          \
    X(ALLOC_RECORDED)       /* candidate written to owned list, tag not yet claimed */             \
    X(ALLOC_CLAIMED)        /* tag CAS 0 -> slot tag done, class lock held */                      \
    X(ALLOC_PAGE_TAKEN)     /* page given to a class, page + class locks held */                   \
    X(PUT_COPIED)           /* extent written, no lock held */                                     \
    X(PUT_INTENT)           /* intent written, seq even */                                         \
    X(PUT_SEQ_ODD)          /* seq odd */                                                          \
    X(PUT_ENTRY_INIT)       /* new key: entry initialised, not in the hash yet */                  \
    X(PUT_HEAD_LIVE)        /* head tag LIVE, data chunk tags not yet */                           \
    X(PUT_TAGS_LIVE)        /* every tag of the new extent set, not published */                   \
    X(PUT_PUBLISHED)        /* blob offset stored / entry inserted in hash */                      \
    X(LIST_INS_L0)          /* skiplist: node linked at level 0 only */                            \
    X(LIST_INS_DONE)        /* skiplist: node linked at every level */                             \
    X(PUT_STEP2)            /* generation bumped, step 2 */                                        \
    X(PUT_RETIRED)          /* old extent RETIRED, intent still open */                            \
    X(PUT_UNLOCKED)         /* shard unlocked, owned list not yet dropped */                       \
    X(DEL_INTENT)           /* delete intent written */                                            \
    X(DEL_UNHASHED)         /* entry unlinked from the hash chain */                               \
    X(LIST_DEL_UPPER)       /* skiplist: upper levels unlinked, level 0 still linked */            \
    X(LIST_DEL_DONE)        /* skiplist: fully unlinked */                                         \
    X(DEL_RETIRED)          /* old extent RETIRED, entry not yet freed */                          \
    X(RECLAIM_DATA)         /* reclaim: some data chunks freed, head still RETIRED */              \
    X(RECLAIM_FREED)        /* reclaim: head freed, class lock held */                             \
    X(PAGE_RELEASED)        /* empty page returned to the page pool */                             \
    X(REPAIR_SHARD_FIXED)   /* shard repair: intent rolled, free list not rebuilt */               \
    X(REPAIR_SHARD_REBUILD) /* shard repair: halfway through the free-list rebuild */              \
    X(REPAIR_LIST)          /* list repair: halfway through rebuilding upper levels */             \
    X(CLEANUP_SLOT)         /* slot cleanup: owned chunks freed, pins not dropped */               \
    X(BUCKET_MARKED)        /* bucket DELETING, shards not visited */                              \
    X(BUCKET_CREATED)       /* bucket fields written, state not yet ACTIVE */

#define RS_CP_ENUM_(n) RS_CP_##n,
enum rs_crashpoint { RS_CRASHPOINTS(RS_CP_ENUM_) RS_CP_COUNT_ };
#undef RS_CP_ENUM_

extern volatile int rs_crashpoint_armed_; /* -1: none */

void rs_crashpoint_hit_(int cp);
#define RS_CRASHPOINT(n)                                                                           \
    do {                                                                                           \
        if (__builtin_expect(rs_crashpoint_armed_ == RS_CP_##n, 0))                                \
            rs_crashpoint_hit_(RS_CP_##n);                                                         \
    } while (0)

/* Arm one point by name (test builds / tests); RS_EINVAL for an unknown name. */
int rs_crashpoint_arm(const char *name);
/* The same, but the point hangs (sleeps forever, holding whatever it holds) instead of
 * dying: what the master's watchdog must notice (tests of watchdog_worker). */
int rs_crashpoint_arm_hang(const char *name);
void rs_crashpoint_disarm(void);
/* Name of point i (0 <= i < rs_crashpoint_count()). */
const char *rs_crashpoint_name(int i);
int rs_crashpoint_count(void);

#endif
