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
    X(BUCKET_CREATED)       /* bucket fields written, state not yet ACTIVE */                      \
    X(MPU_CREATE_INTENT)    /* upload intent open, slot fields half-written */                     \
    X(MPU_CREATE_TAGGED)    /* manifest tagged PART|i, upload still FREE */                        \
    X(MPU_CREATE_OPEN)      /* upload OPEN, intent still open */                                   \
    X(MPU_PART_COPIED)      /* part extent built, no lock held */                                  \
    X(MPU_PART_INTENT)      /* part intent open */                                                 \
    X(MPU_PART_MAP)         /* new part-map page installed, part not tagged */                     \
    X(MPU_PART_TAGGED)      /* part tagged PART|i, map entry not stored */                         \
    X(MPU_PART_PUBLISHED)   /* map entry stored, replaced part not freed */                        \
    X(MPU_PART_OLD_FREED)   /* replaced part freed, intent still open */                           \
    X(MPU_DONE_BUILT)       /* Complete: composite head built, no intent */                        \
    X(MPU_DONE_INTENT)      /* Complete: upload intent open + CLOSING, no shard intent */          \
    X(MPU_DONE_PARTS)       /* Complete: head LIVE, half the parts DATA|head */                    \
    X(MPU_DONE_STEP2)       /* Complete: published, upload step 2, shard lock held */              \
    X(MPU_DONE_UNLOCKED)    /* Complete: shard unlocked, unlisted parts not swept */               \
    X(MPU_DONE_SWEEP)       /* Complete: some unlisted parts freed */                              \
    X(MPU_ABORT_SWEEP)      /* Abort: some parts freed */                                          \
    X(MPU_ABORT_FREED)      /* Abort: everything freed, upload still CLOSING */                    \
    X(RECLAIM_PARTS)        /* reclaim of a composite: some parts freed, head RETIRED */           \
    X(BUCKET_UPLOADS)       /* DeleteBucket: bucket empty (step 2), some uploads aborted */        \
    X(REPAIR_UPLOAD)        /* upload repair: halfway through its sweep */                         \
    X(PUT_COUNTED)          /* usage counters added, intent still open */                          \
    X(DEL_COUNTED)          /* usage counters subtracted, intent still open */                     \
    X(USAGE_RECOUNT)        /* recount: every shard lock held, counters not yet stored */          \
    X(DUR_COMMIT)           /* done in memory; always: its extent synced, the index not yet */     \
    X(DUR_SYNCED)           /* always: the index synced, the answer not yet given */

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
