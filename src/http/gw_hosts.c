/*
 * gw_hosts.c: the API Gateway custom domain names a worker's router asks about
 * (rs_router_conf_t.is_domain): the lambda supervisor publishes them to
 * <runtime_dir>/gateway-hosts (RS_GW_HOSTS_FILE, replaced by rename on every change) and
 * then moves a generation on the status board (rs_status_set_domains); a worker re-reads
 * the file when the generation moved (without a board: when the file's inode changed, one
 * stat per question). Asked only for hosts that carry a dot and are no IP address,
 * execute-api or lambda-url host; nothing is read while no name exists; a domain is known
 * to every worker before CreateDomainName is acknowledged.
 * Runs in: workers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "http/http_int.h"
#include "rs/ipc.h"
#include "rs/status.h"

void rs_gw_hosts_init(rs_gw_hosts_t *h, const char *runtime_dir)
{
    memset(h, 0, sizeof(*h));
    snprintf(h->path, sizeof(h->path), "%s/" RS_GW_HOSTS_FILE, runtime_dir);
}

void rs_gw_hosts_free(rs_gw_hosts_t *h)
{
    free(h->names);
    h->names = NULL;
    h->len = 0;
}

static void reload(rs_gw_hosts_t *h, const struct stat *st)
{
    FILE *f = fopen(h->path, "r");
    rs_gw_hosts_free(h);
    h->ino = st->st_ino;
    h->dev = st->st_dev;
    h->size = st->st_size;
    h->mtime_s = st->st_mtim.tv_sec;
    h->mtime_ns = st->st_mtim.tv_nsec;
    if (f == NULL)
        return;
    h->names = malloc((size_t)st->st_size + 2);
    if (h->names != NULL) {
        h->names[0] = '\n'; /* every name is "\n<name>\n" in the text */
        h->len = 1 + fread(h->names + 1, 1, (size_t)st->st_size, f);
        h->names[h->len] = '\0';
    }
    fclose(f);
}

/* host (n bytes) among the names read */
static int lookup(const rs_gw_hosts_t *h, const char *host, size_t n)
{
    if (n > 0 && host[n - 1] == '.')
        n--; /* fully qualified form */
    for (const char *p = h->names; p != NULL && n > 0 && (p = strchr(p, '\n')) != NULL; p++) {
        if ((size_t)(h->names + h->len - p) > n + 1 && strncasecmp(p + 1, host, n) == 0 &&
            p[1 + n] == '\n')
            return 1;
    }
    return 0;
}

int rs_gw_hosts_has(void *arg, const char *host, size_t n)
{
    rs_gw_hosts_t *h = arg;
    const rs_status_board_t *board = rs_status_current();
    struct stat st;
    int changed;
    if (board != NULL) {
        /* the lambda supervisor moves the generation after each publication: no file
         * system call while it stands still, no question at all while no name exists */
        uint32_t count;
        uint64_t gen = rs_status_domains(board, &count);
        if (count == 0)
            return 0;
        changed = gen != h->gen || h->names == NULL;
        h->gen = gen;
        if (changed && stat(h->path, &st) == 0)
            reload(h, &st);
        return lookup(h, host, n);
    }
    /* no board (tools, tests): the file's identity says whether it was replaced */
    if (stat(h->path, &st) != 0) {
        rs_gw_hosts_free(h);
        h->ino = 0;
        return 0;
    }
    changed = st.st_ino != h->ino || st.st_dev != h->dev || st.st_size != h->size ||
              st.st_mtim.tv_sec != h->mtime_s || st.st_mtim.tv_nsec != h->mtime_ns;
    if (changed)
        reload(h, &st);
    return lookup(h, host, n);
}
