/*
 * notify.c: the systemd readiness protocol (sd_notify without libsystemd): one datagram
 * of newline-separated KEY=VALUE lines to the Unix socket named by $NOTIFY_SOCKET (a
 * path, or "@name" for the abstract namespace). Without the variable nothing is sent.
 * Runs in: master.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "proc/proc.h"
#include "rs/os.h"

int rs_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == '\0')
        return 0;
    return rs_unix_dgram_send(path, state, strlen(state));
}
