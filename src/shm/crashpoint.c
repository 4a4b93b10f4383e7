/*
 * crashpoint.c: the table of crash points and the arming switch used by tests/crash.
 * Runs in: workers (a test arms one point in a forked child, which then dies by SIGKILL,
 * or hangs there for the watchdog tests).
 */
#include "shm/crashpoint.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "rs/err.h"

volatile int rs_crashpoint_armed_ = -1;
static int hang; /* the armed point sleeps forever instead of dying */

#define RS_CP_NAME_(n) #n,
static const char *const cp_names[RS_CP_COUNT_] = {RS_CRASHPOINTS(RS_CP_NAME_)};
#undef RS_CP_NAME_

void rs_crashpoint_hit_(int cp)
{
    (void)cp;
    while (hang)
        pause();
    raise(SIGKILL);
    _exit(137);
}

int rs_crashpoint_arm(const char *name)
{
    for (int i = 0; i < RS_CP_COUNT_; i++) {
        if (strcmp(cp_names[i], name) == 0) {
            hang = 0;
            rs_crashpoint_armed_ = i;
            return 0;
        }
    }
    return RS_EINVAL;
}

int rs_crashpoint_arm_hang(const char *name)
{
    int rc = rs_crashpoint_arm(name);
    if (rc == 0)
        hang = 1;
    return rc;
}

void rs_crashpoint_disarm(void)
{
    rs_crashpoint_armed_ = -1;
}

const char *rs_crashpoint_name(int i)
{
    return (i >= 0 && i < RS_CP_COUNT_) ? cp_names[i] : NULL;
}

int rs_crashpoint_count(void)
{
    return RS_CP_COUNT_;
}
