/*
 * log.h: the one log module: nginx-style levels, one write(2) per line, reopen on USR1.
 * Runs in: every process (master, workers). Each line reads
 *   <time> <role>[<pid>] <level> [<request-id>] <message>
 * with "-" for the request id outside a request. The access log line (one per request)
 * goes to the same destination with the level word "access".
 */
#ifndef RS_LOG_H
#define RS_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

typedef enum rs_log_level {
    RS_LOG_EMERG = 0,
    RS_LOG_ALERT,
    RS_LOG_CRIT,
    RS_LOG_ERR,
    RS_LOG_WARN,
    RS_LOG_NOTICE,
    RS_LOG_INFO,
    RS_LOG_DEBUG
} rs_log_level_t;

#define RS_LOG_LINE_MAX 4096

/* Level names ("emerg" ... "debug"); parse returns -1 for an unknown name. */
const char *rs_log_level_name(int level);
int rs_log_level_parse(const char *name);

/* Destination: `path` NULL or "" means stderr. Returns 0 or RS_ERR (errno kept). */
int rs_log_open(const char *path);
/* Reopen the file (log rotation); a no-op for stderr. */
int rs_log_reopen(void);
void rs_log_close(void);
void rs_log_set_level(int level);
int rs_log_get_level(void);
/* "master", "worker3", ...: copied. */
void rs_log_set_role(const char *role);
void rs_log_set_access(int on);
int rs_log_access_enabled(void);

/* Format one line into buf (always '\n'-terminated, control bytes escaped) and return its
 * length. Exposed for the tests; rs_log uses it. `now_ms` is ms since the epoch. */
size_t rs_log_format(char *buf, size_t cap, int64_t now_ms, const char *role, int pid,
                     const char *level, const char *request_id, const char *fmt, va_list ap);

void rs_log(int level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef struct rs_access_rec {
    const char *request_id;
    const char *service;   /* "s3", "dynamodb", "lambda", "apigw", "internal" */
    const char *operation; /* may be NULL: "-" */
    const char *method;
    const char *path; /* raw path, query excluded */
    int status;
    uint64_t bytes; /* body bytes sent */
    double latency_ms;
} rs_access_rec_t;

/* One access line: `service operation method path status bytes latency-ms`. */
void rs_log_access(const rs_access_rec_t *rec);

#define rs_log_error(...) rs_log(RS_LOG_ERR, NULL, __VA_ARGS__)
#define rs_log_warn(...) rs_log(RS_LOG_WARN, NULL, __VA_ARGS__)
#define rs_log_notice(...) rs_log(RS_LOG_NOTICE, NULL, __VA_ARGS__)
#define rs_log_info(...) rs_log(RS_LOG_INFO, NULL, __VA_ARGS__)
#define rs_log_debug(...) rs_log(RS_LOG_DEBUG, NULL, __VA_ARGS__)

#endif
