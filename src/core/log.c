/*
 * log.c: levels, the line format, one write(2) per line, reopen for log rotation.
 * Runs in: every process. Never called from a signal handler (handlers set flags; the
 * loops call rs_log_reopen). State is per process: role, level and the destination fd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/log.h"
#include "rs/os.h"

static const char *const level_names[] = {"emerg", "alert",  "crit", "error",
                                          "warn",  "notice", "info", "debug"};

static struct {
    int fd; /* 2 (stderr) or an O_APPEND file */
    int level;
    int access_on;
    char role[32];
    char path[4096]; /* "" for stderr */
} lg = {2, RS_LOG_INFO, 1, "ruststack", ""};

const char *rs_log_level_name(int level)
{
    if (level < RS_LOG_EMERG || level > RS_LOG_DEBUG)
        return "?";
    return level_names[level];
}

int rs_log_level_parse(const char *name)
{
    for (int i = 0; i <= RS_LOG_DEBUG; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    if (strcmp(name, "err") == 0)
        return RS_LOG_ERR;
    if (strcmp(name, "warning") == 0)
        return RS_LOG_WARN;
    return -1;
}

static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

int rs_log_open(const char *path)
{
    if (path == NULL || path[0] == '\0') {
        if (lg.fd != 2)
            close(lg.fd);
        lg.fd = 2;
        lg.path[0] = '\0';
        return 0;
    }
    if (strlen(path) >= sizeof(lg.path)) {
        errno = ENAMETOOLONG;
        return RS_ERR;
    }
    int fd = open_file(path);
    if (fd < 0)
        return RS_ERR;
    if (lg.fd != 2)
        close(lg.fd);
    lg.fd = fd;
    snprintf(lg.path, sizeof(lg.path), "%s", path);
    return 0;
}

int rs_log_reopen(void)
{
    if (lg.path[0] == '\0')
        return 0;
    int fd = open_file(lg.path);
    if (fd < 0)
        return RS_ERR;
    /* dup2 swaps the file under the same descriptor number atomically */
    if (dup2(fd, lg.fd) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return RS_ERR;
    }
    close(fd);
    return 0;
}

void rs_log_close(void)
{
    rs_log_open(NULL);
}

void rs_log_set_level(int level)
{
    if (level >= RS_LOG_EMERG && level <= RS_LOG_DEBUG)
        lg.level = level;
}

int rs_log_get_level(void)
{
    return lg.level;
}

void rs_log_set_role(const char *role)
{
    snprintf(lg.role, sizeof(lg.role), "%s", role);
}

void rs_log_set_access(int on)
{
    lg.access_on = on != 0;
}

int rs_log_access_enabled(void)
{
    return lg.access_on;
}

/* Append `s` to buf escaping control bytes, leaving room for "\n" and the NUL. */
static void put_escaped(char *buf, size_t cap, size_t *len, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        size_t need = (c < 0x20 || c == 0x7f) ? 4 : 1;
        if (*len + need + 2 > cap)
            return;
        if (need == 4) {
            buf[(*len)++] = '\\';
            buf[(*len)++] = 'x';
            buf[(*len)++] = hex[c >> 4];
            buf[(*len)++] = hex[c & 15];
        } else {
            buf[(*len)++] = (char)c;
        }
    }
}

size_t rs_log_format(char *buf, size_t cap, int64_t now_ms, const char *role, int pid,
                     const char *level, const char *request_id, const char *fmt, va_list ap)
{
    char msg[RS_LOG_LINE_MAX];
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    size_t len;
    int saved = errno; /* for %m */

    if (cap < 2)
        return 0;
    gmtime_r(&secs, &tm);
    int n =
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s[%d] %s [%s] ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(now_ms % 1000),
                 role, pid, level, request_id != NULL && request_id[0] != '\0' ? request_id : "-");
    len = n < 0 ? 0 : ((size_t)n >= cap - 1 ? cap - 2 : (size_t)n);
    errno = saved;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    put_escaped(buf, cap, &len, msg);
    buf[len++] = '\n';
    buf[len] = '\0';
    return len;
}

static void emit(const char *level, const char *request_id, const char *fmt, va_list ap)
{
    char line[RS_LOG_LINE_MAX + 256];
    int saved = errno;
    size_t n = rs_log_format(line, sizeof(line), rs_wall_ms(), lg.role, (int)getpid(), level,
                             request_id, fmt, ap);
    /* one write per line: lines from several processes never interleave */
    ssize_t w;
    do {
        w = write(lg.fd, line, n);
    } while (w < 0 && errno == EINTR);
    errno = saved;
}

void rs_log(int level, const char *request_id, const char *fmt, ...)
{
    va_list ap;
    if (level > lg.level)
        return;
    va_start(ap, fmt);
    emit(rs_log_level_name(level), request_id, fmt, ap);
    va_end(ap);
}

static void access_line(const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void access_line(const char *request_id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("access", request_id, fmt, ap);
    va_end(ap);
}

void rs_log_access(const rs_access_rec_t *r)
{
    if (!lg.access_on)
        return;
    access_line(r->request_id, "%s %s %s %s %d %llu %.3f", r->service ? r->service : "-",
                r->operation ? r->operation : "-", r->method ? r->method : "-",
                r->path ? r->path : "-", r->status, (unsigned long long)r->bytes, r->latency_ms);
}
