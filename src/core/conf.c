/*
 * conf.c: the option table and the `key = value` parser (file:line errors), overrides,
 * finalisation and the reload merge. Runs in: master (workers only read the copy they
 * inherit). Every option has one table row: name, type, range, default, reloadable.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rs/conf.h"
#include "rs/err.h"
#include "rs/log.h"

typedef enum { T_STR, T_UINT, T_SIZE, T_BOOL, T_LEVEL, T_CRED } opt_type_t;

typedef int (*check_fn)(const char *v, char *why, size_t whylen);

typedef struct opt {
    const char *name;
    opt_type_t type;
    size_t off, size; /* field in rs_conf_t */
    uint64_t min, max;
    int reloadable;
    const char *def;
    check_fn check; /* extra validation of the text (strings) */
} opt_t;

static int check_bind(const char *v, char *why, size_t n);
static int check_hostname(const char *v, char *why, size_t n);
static int check_region(const char *v, char *why, size_t n);
static int check_account(const char *v, char *why, size_t n);
static int check_shm(const char *v, char *why, size_t n);
/* comma-separated absolute directories (or empty) */
static int check_roots(const char *v, char *err, size_t errlen)
{
    const char *p = v;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        if (!*p)
            break;
        if (*p != '/') {
            rs_errf(err, errlen, "\"%s\": each entry must be an absolute directory path", v);
            return RS_EINVAL;
        }
        p += strcspn(p, ",");
    }
    return 0;
}

static int check_path(const char *v, char *why, size_t n);
static int check_executor(const char *v, char *why, size_t n);
static int check_durability(const char *v, char *why, size_t n);
static int check_nonempty(const char *v, char *why, size_t n);
static int check_network(const char *v, char *why, size_t n);
static int check_netname(const char *v, char *why, size_t n);
static int check_cpu(const char *v, char *why, size_t n);

#define F(field) offsetof(rs_conf_t, field), sizeof(((rs_conf_t *)0)->field)
#define KB 1024ull
#define MB (1024ull * KB)
#define GB (1024ull * MB)
#define TB (1024ull * GB)

static const opt_t opts[] = {
    {"bind", T_STR, F(bind), 0, 0, 0, "127.0.0.1", check_bind},
    {"port", T_UINT, F(port), 1, 65535, 0, "4566", NULL},
    {"workers", T_UINT, F(workers), 0, RS_CONF_MAX_WORKERS, 0, "0", NULL},
    {"hostname", T_STR, F(hostname), 0, 0, 1, "localhost", check_hostname},
    {"default_region", T_STR, F(default_region), 0, 0, 1, "us-east-1", check_region},
    {"default_account", T_STR, F(default_account), 0, 0, 1, "000000000000", check_account},
    {"auth_verify", T_BOOL, F(auth_verify), 0, 1, 1, "off", NULL},
    {"credentials", T_CRED, F(creds), 0, 0, 1, "test:test:000000000000", NULL},
    {"s3_capacity", T_SIZE, F(s3_capacity), 1 * MB, 1 * TB, 0, "1g", NULL},
    {"s3_max_objects", T_UINT, F(s3_max_objects), 16, 1u << 30, 0, "1048576", NULL},
    {"s3_max_buckets", T_UINT, F(s3_max_buckets), 1, 1u << 20, 0, "1024", NULL},
    {"s3_max_object_size", T_SIZE, F(s3_max_object_size), 1, 5 * GB, 0, "256m", NULL},
    {"s3_shards", T_UINT, F(s3_shards), 0, 1u << 16, 0, "0", NULL},
    {"s3_max_uploads", T_UINT, F(s3_max_uploads), 1, 1u << 20, 0, "10000", NULL},
    {"log_level", T_LEVEL, F(log_level), 0, 0, 1, "info", NULL},
    {"log_file", T_STR, F(log_file), 0, 0, 1, "", NULL},
    {"access_log", T_BOOL, F(access_log), 0, 1, 1, "on", NULL},
    {"shm_name", T_STR, F(shm_name), 0, 0, 0, "", check_shm},
    {"shutdown_timeout", T_UINT, F(shutdown_timeout), 1, 3600, 1, "10", NULL},
    {"request_timeout", T_UINT, F(request_timeout), 1, 3600, 0, "10", NULL},
    {"watchdog_worker", T_UINT, F(watchdog_worker), 0, 3600, 0, "5", NULL},
    {"watchdog_supervisor", T_UINT, F(watchdog_supervisor), 0, 3600, 0, "60", NULL},
    {"runtime_dir", T_STR, F(runtime_dir), 0, 0, 0, "", check_path},
    {"dynamodb", T_BOOL, F(dynamodb), 0, 1, 0, "on", NULL},
    {"dynamodb_local_dir", T_STR, F(dynamodb_local_dir), 0, 0, 0, RS_DATADIR "/dynamodb-local",
     check_path},
    {"java", T_STR, F(java), 0, 0, 0, "java", check_nonempty},
    {"dynamodb_start_timeout", T_UINT, F(dynamodb_start_timeout), 1, 3600, 0, "60", NULL},
    {"dynamodb_request_timeout", T_UINT, F(dynamodb_request_timeout), 1, 3600, 0, "30", NULL},
    {"data_dir", T_STR, F(data_dir), 0, 0, 0, "", check_path},
    {"s3_durability", T_STR, F(s3_durability), 0, 0, 0, "stop", check_durability},
    {"lambda", T_BOOL, F(lambda), 0, 1, 0, "on", NULL},
    {"lambda_executor", T_STR, F(lambda_executor), 0, 0, 0, "docker", check_executor},
    {"docker_socket", T_STR, F(docker_socket), 0, 0, 0, "/var/run/docker.sock", check_path},
    {"lambda_image", T_STR, F(lambda_image), 0, 0, 0, "localhost/ruststack-python:3.11",
     check_nonempty},
    {"lambda_network", T_STR, F(lambda_network), 0, 0, 0, "host", check_network},
    {"lambda_bridge_network", T_STR, F(lambda_bridge_network), 0, 0, 0, "ruststack", check_netname},
    {"lambda_cpu", T_STR, F(lambda_cpu), 0, 0, 0, "shares", check_cpu},
    {"lambda_python", T_STR, F(lambda_python), 0, 0, 0, "python3", check_nonempty},
    {"lambda_runtime_path", T_STR, F(lambda_runtime_path), 0, 0, 0, RS_DATADIR "/runtime",
     check_path},
    {"lambda_endpoint_url", T_STR, F(lambda_endpoint_url), 0, 0, 0, "", NULL},
    {"lambda_hot_reload_roots", T_STR, F(lambda_hot_reload_roots), 0, 0, 0, "", check_roots},
    {"lambda_max_concurrency", T_UINT, F(lambda_max_concurrency), 1, 1000, 0, "10", NULL},
    {"lambda_idle_timeout", T_UINT, F(lambda_idle_timeout), 1, 86400, 0, "600", NULL},
    {"lambda_standby", T_UINT, F(lambda_standby), 0, 32, 0, "2", NULL},
    {"lambda_start_timeout", T_UINT, F(lambda_start_timeout), 1, 600, 0, "30", NULL},
    {"quota_s3_objects", T_UINT, F(quota_s3_objects), 0, 1u << 30, 0, "0", NULL},
    {"quota_s3_bytes", T_SIZE, F(quota_s3_bytes), 0, 1 * TB, 0, "0", NULL},
    {"quota_dynamodb_tables", T_UINT, F(quota_dynamodb_tables), 0, 1u << 20, 0, "0", NULL},
    {"quota_lambda_functions", T_UINT, F(quota_lambda_functions), 0, 1u << 20, 0, "0", NULL},
    {"quota_lambda_code_bytes", T_SIZE, F(quota_lambda_code_bytes), 0, 1 * TB, 0, "0", NULL},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* ---- value checks ---------------------------------------------------------------- */

static int check_bind(const char *v, char *why, size_t n)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, v, a) == 1 || inet_pton(AF_INET6, v, a) == 1)
        return 0;
    rs_errf(why, n, "\"%s\" is not a numeric IPv4 or IPv6 address", v);
    return RS_EINVAL;
}

static int check_hostname(const char *v, char *why, size_t n)
{
    size_t len = strlen(v);
    if (len == 0 || len > 253 || v[0] == '.' || v[0] == '-' || v[len - 1] == '.')
        goto bad;
    for (const char *p = v; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.'))
            goto bad;
    if (strstr(v, "..") != NULL)
        goto bad;
    return 0;
bad:
    rs_errf(why, n, "\"%s\" is not a valid host name", v);
    return RS_EINVAL;
}

static int check_region(const char *v, char *why, size_t n)
{
    size_t len = strlen(v), dashes = 0;
    if (len < 3 || len > 31 || !islower((unsigned char)v[0]) || !isalnum((unsigned char)v[len - 1]))
        goto bad;
    for (const char *p = v; *p; p++) {
        if (*p == '-')
            dashes++;
        else if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p)))
            goto bad;
    }
    if (dashes == 0)
        goto bad;
    return 0;
bad:
    rs_errf(why, n, "\"%s\" is not a region name like us-east-1", v);
    return RS_EINVAL;
}

static int check_account(const char *v, char *why, size_t n)
{
    size_t len = strlen(v);
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p))
            len = 0;
    if (len == 12)
        return 0;
    rs_errf(why, n, "\"%s\" is not a 12-digit account id", v);
    return RS_EINVAL;
}

static int check_shm(const char *v, char *why, size_t n)
{
    if (v[0] == '\0')
        return 0; /* derived from the port by rs_conf_finalize */
    if (v[0] != '/' || v[1] == '\0' || strchr(v + 1, '/') != NULL || strlen(v) > 63) {
        rs_errf(why, n, "\"%s\" is not a POSIX shm name like /ruststack-4566", v);
        return RS_EINVAL;
    }
    return 0;
}

/* the Lambda executor: a container per environment, or a plain child process */
static int check_executor(const char *v, char *why, size_t n)
{
    if (strcmp(v, "docker") == 0 || strcmp(v, "process") == 0)
        return 0;
    rs_errf(why, n, "\"%s\" is not an executor (docker or process)", v);
    return RS_EINVAL;
}

static int check_network(const char *v, char *why, size_t n)
{
    if (strcmp(v, "host") == 0 || strcmp(v, "bridge") == 0)
        return 0;
    rs_errf(why, n, "\"%s\" is not a Lambda network mode (host or bridge)", v);
    return RS_EINVAL;
}

static int check_cpu(const char *v, char *why, size_t n)
{
    if (strcmp(v, "shares") == 0 || strcmp(v, "quota") == 0 || strcmp(v, "off") == 0)
        return 0;
    rs_errf(why, n, "\"%s\" is not a Lambda CPU limit (shares, quota or off)", v);
    return RS_EINVAL;
}

/* an engine network name: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
static int check_netname(const char *v, char *why, size_t n)
{
    int ok = v[0] != '\0' && v[0] != '_' && v[0] != '.' && v[0] != '-';
    for (const char *c = v; ok && *c; c++)
        ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
             *c == '_' || *c == '.' || *c == '-';
    if (ok)
        return 0;
    rs_errf(why, n, "\"%s\" is not a network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", v);
    return RS_EINVAL;
}

static int check_durability(const char *v, char *why, size_t n)
{
    if (rs_conf_durability(v) >= 0)
        return 0;
    rs_errf(why, n, "\"%s\" is not a durability mode (always, interval or stop)", v);
    return RS_EINVAL;
}

int rs_conf_durability(const char *v)
{
    static const char *const modes[] = {"stop", "interval", "always"}; /* = RS_DUR_* */
    for (int i = 0; i < 3; i++)
        if (strcmp(v, modes[i]) == 0)
            return i;
    return -1;
}

/* directories: empty (default / off) or an absolute path without control bytes */
static int check_path(const char *v, char *why, size_t n)
{
    if (v[0] == '\0')
        return 0;
    if (v[0] != '/') {
        rs_errf(why, n, "\"%s\" is not an absolute path", v);
        return RS_EINVAL;
    }
    for (const char *p = v; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20) {
            rs_errf(why, n, "a path must not contain control characters");
            return RS_EINVAL;
        }
    }
    return 0;
}

static int check_nonempty(const char *v, char *why, size_t n)
{
    if (v[0] == '\0') {
        rs_errf(why, n, "must not be empty");
        return RS_EINVAL;
    }
    return 0;
}

/* ---- typed setters --------------------------------------------------------------- */

int rs_conf_parse_size(const char *s, uint64_t *out)
{
    char *end;
    uint64_t mult = 1;
    if (!isdigit((unsigned char)s[0]))
        return RS_EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return RS_EINVAL;
    switch (tolower((unsigned char)*end)) {
    case '\0':
        break;
    case 'k':
        mult = KB;
        break;
    case 'm':
        mult = MB;
        break;
    case 'g':
        mult = GB;
        break;
    case 't':
        mult = TB;
        break;
    default:
        return RS_EINVAL;
    }
    if (*end != '\0') {
        end++;
        if (tolower((unsigned char)*end) == 'b') /* "64kb", "1gb" */
            end++;
        if (*end != '\0')
            return RS_EINVAL;
    }
    if (v > UINT64_MAX / mult)
        return RS_EINVAL;
    *out = v * mult;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"on", "yes", "true", "1"};
    static const char *const no[] = {"off", "no", "false", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return RS_EINVAL;
}

static int set_cred(rs_conf_t *c, const char *v, char *why, size_t n)
{
    /* the secret is everything between the first and the last ':' */
    const char *c1 = strchr(v, ':');
    const char *c2 = strrchr(v, ':');
    if (c1 == NULL || c2 == c1 || c1 == v || c2 == c1 + 1) {
        rs_errf(why, n, "expected ACCESS_KEY:SECRET:ACCOUNT");
        return RS_EINVAL;
    }
    size_t aklen = (size_t)(c1 - v), sklen = (size_t)(c2 - c1 - 1);
    if (aklen > 128 || sklen > 128) {
        rs_errf(why, n, "access key and secret are limited to 128 characters");
        return RS_EINVAL;
    }
    if (check_account(c2 + 1, why, n) != 0)
        return RS_EINVAL;
    if (c->creds_are_default) {
        c->ncreds = 0;
        c->creds_are_default = 0;
    }
    for (uint32_t i = 0; i < c->ncreds; i++) {
        if (strlen(c->creds[i].access_key) == aklen &&
            memcmp(c->creds[i].access_key, v, aklen) == 0) {
            rs_errf(why, n, "access key \"%.*s\" is configured twice", (int)aklen, v);
            return RS_EINVAL;
        }
    }
    if (c->ncreds >= RS_CONF_MAX_CREDS) {
        rs_errf(why, n, "at most %d credentials", RS_CONF_MAX_CREDS);
        return RS_EINVAL;
    }
    rs_conf_cred_t *cr = &c->creds[c->ncreds++];
    memcpy(cr->access_key, v, aklen);
    cr->access_key[aklen] = '\0';
    memcpy(cr->secret_key, c1 + 1, sklen);
    cr->secret_key[sklen] = '\0';
    snprintf(cr->account, sizeof(cr->account), "%s", c2 + 1);
    return 0;
}

static int set_opt(rs_conf_t *c, const opt_t *o, const char *v, char *why, size_t n)
{
    char *field = (char *)c + o->off;
    uint64_t u;
    int b;

    switch (o->type) {
    case T_STR:
        if (strlen(v) >= o->size) {
            rs_errf(why, n, "value longer than %zu characters", o->size - 1);
            return RS_EINVAL;
        }
        if (o->check != NULL && o->check(v, why, n) != 0)
            return RS_EINVAL;
        memcpy(field, v, strlen(v) + 1);
        return 0;
    case T_UINT:
    case T_SIZE:
        if (o->type == T_UINT) {
            char *end;
            errno = 0;
            u = strtoull(v, &end, 10);
            if (!isdigit((unsigned char)v[0]) || *end != '\0' || errno != 0) {
                rs_errf(why, n, "\"%s\" is not a number", v);
                return RS_EINVAL;
            }
        } else if (rs_conf_parse_size(v, &u) != 0) {
            rs_errf(why, n, "\"%s\" is not a size (a number with an optional k, m, g or t)", v);
            return RS_EINVAL;
        }
        if (u < o->min || u > o->max) {
            rs_errf(why, n, "%s is out of range [%llu, %llu]", v, (unsigned long long)o->min,
                    (unsigned long long)o->max);
            return RS_EINVAL;
        }
        if (o->size == sizeof(uint32_t))
            *(uint32_t *)(void *)field = (uint32_t)u;
        else
            *(uint64_t *)(void *)field = u;
        return 0;
    case T_BOOL:
        if (parse_bool(v, &b) != 0) {
            rs_errf(why, n, "\"%s\" is not on or off", v);
            return RS_EINVAL;
        }
        *(int *)(void *)field = b;
        return 0;
    case T_LEVEL:
        b = rs_log_level_parse(v);
        if (b < 0) {
            rs_errf(why, n,
                    "unknown level \"%s\" (debug, info, notice, warn, error, crit, "
                    "alert, emerg)",
                    v);
            return RS_EINVAL;
        }
        *(int *)(void *)field = b;
        return 0;
    case T_CRED:
        return set_cred(c, v, why, n);
    }
    return RS_EINVAL;
}

static const opt_t *find_opt(const char *key)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strcmp(opts[i].name, key) == 0)
            return &opts[i];
    return NULL;
}

int rs_conf_set(rs_conf_t *c, const char *key, const char *value, char *err, size_t errlen)
{
    char why[512];
    const opt_t *o = find_opt(key);
    if (o == NULL) {
        rs_errf(err, errlen, "unknown option \"%s\"", key);
        return RS_EINVAL;
    }
    if (set_opt(c, o, value, why, sizeof(why)) != 0) {
        rs_errf(err, errlen, "%s: %s", key, why);
        return RS_EINVAL;
    }
    return 0;
}

void rs_conf_defaults(rs_conf_t *c)
{
    char why[256];
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < NOPTS; i++) {
        int bad = set_opt(c, &opts[i], opts[i].def, why, sizeof(why));
        RS_ASSERT(bad == 0, "a default in the option table is invalid");
    }
    c->creds_are_default = 1;
}

/* ---- the file parser ----------------------------------------------------------------- */

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = '\0';
    return s;
}

static int parse_line(rs_conf_t *c, char *line, char *why, size_t n)
{
    char *eol = line + strlen(line);
    char *s = trim(line, eol);
    if (*s == '\0' || *s == '#')
        return 0;
    char *eq = strchr(s, '=');
    if (eq == NULL) {
        rs_errf(why, n, "expected \"key = value\"");
        return RS_EINVAL;
    }
    char *key = trim(s, eq);
    char *val = eq + 1;
    val = trim(val, val + strlen(val));
    if (*val == '"') {
        char *close = strchr(val + 1, '"');
        if (close == NULL) {
            rs_errf(why, n, "unterminated quoted value");
            return RS_EINVAL;
        }
        char *after = close + 1;
        while (isspace((unsigned char)*after))
            after++;
        if (*after != '\0' && *after != '#') {
            rs_errf(why, n, "text after the quoted value");
            return RS_EINVAL;
        }
        *close = '\0';
        val++;
    } else {
        /* a '#' after white space starts a comment */
        for (char *p = val; *p; p++) {
            if (*p == '#' && p > val && isspace((unsigned char)p[-1])) {
                val = trim(val, p);
                break;
            }
        }
    }
    const opt_t *o = find_opt(key);
    if (o == NULL) {
        rs_errf(why, n, "unknown option \"%s\"", key);
        return RS_EINVAL;
    }
    char inner[400];
    if (set_opt(c, o, val, inner, sizeof(inner)) != 0) {
        rs_errf(why, n, "%s: %s", key, inner);
        return RS_EINVAL;
    }
    return 0;
}

int rs_conf_parse(rs_conf_t *c, const char *text, size_t len, const char *fname, char *err,
                  size_t errlen)
{
    char line[4096], why[512];
    size_t pos = 0;
    unsigned lineno = 0;
    while (pos < len) {
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        lineno++;
        size_t ll = e - pos;
        if (ll >= sizeof(line)) {
            rs_errf(err, errlen, "%s:%u: line too long", fname, lineno);
            return RS_EINVAL;
        }
        memcpy(line, text + pos, ll);
        line[ll] = '\0';
        if (memchr(line, '\0', ll) != NULL) {
            rs_errf(err, errlen, "%s:%u: NUL byte in the line", fname, lineno);
            return RS_EINVAL;
        }
        if (parse_line(c, line, why, sizeof(why)) != 0) {
            rs_errf(err, errlen, "%s:%u: %s", fname, lineno, why);
            return RS_EINVAL;
        }
        pos = e + 1;
    }
    return 0;
}

int rs_conf_load_file(rs_conf_t *c, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0) {
        rs_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return RS_ERR;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (1 << 20)) {
        rs_errf(err, errlen, "%s: not a regular file of at most 1 MiB", path);
        close(fd);
        return RS_ERR;
    }
    size_t size = (size_t)sb.st_size, got = 0;
    char *buf = malloc(size + 1);
    if (buf == NULL) {
        close(fd);
        rs_errf(err, errlen, "%s: out of memory", path);
        return RS_ENOMEM;
    }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    int rc = rs_conf_parse(c, buf, got, path, err, errlen);
    free(buf);
    return rc;
}

int rs_conf_finalize(rs_conf_t *c, char *err, size_t errlen)
{
    if (c->workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->workers = n < 1 ? 1 : (n > RS_CONF_MAX_WORKERS ? RS_CONF_MAX_WORKERS : (uint32_t)n);
    }
    if (c->shm_name[0] == '\0')
        snprintf(c->shm_name, sizeof(c->shm_name), "/ruststack-%u", c->port);
    if (c->runtime_dir[0] == '\0')
        snprintf(c->runtime_dir, sizeof(c->runtime_dir), "/tmp/ruststack-%u", c->port);
    /* <runtime_dir>/lambda.sock must fit a sun_path (108 bytes) */
    if (strlen(c->runtime_dir) > 90) {
        rs_errf(err, errlen, "runtime_dir is too long for a Unix socket path (at most 90 bytes)");
        return RS_EINVAL;
    }
    if (c->s3_max_object_size > c->s3_capacity) {
        rs_errf(err, errlen, "s3_max_object_size (%llu) is larger than s3_capacity (%llu)",
                (unsigned long long)c->s3_max_object_size, (unsigned long long)c->s3_capacity);
        return RS_EINVAL;
    }
    if (c->s3_shards != 0 && (c->s3_shards < 4 || (c->s3_shards & (c->s3_shards - 1)) != 0)) {
        rs_errf(err, errlen, "s3_shards must be 0 (auto) or a power of two >= 4, not %u",
                c->s3_shards);
        return RS_EINVAL;
    }
    if (rs_conf_durability(c->s3_durability) > 0 && c->data_dir[0] == '\0') {
        rs_errf(err, errlen,
                "s3_durability = %s needs data_dir (an in-memory store has no disk to sync to)",
                c->s3_durability);
        return RS_EINVAL;
    }
    if (c->ncreds == 0) {
        rs_errf(err, errlen, "no credentials configured");
        return RS_EINVAL;
    }
    return 0;
}

int rs_conf_build(rs_conf_t *c, const char *path, const char *const *kv, size_t nkv, char *err,
                  size_t errlen)
{
    int rc;
    rs_conf_defaults(c);
    if (path != NULL && (rc = rs_conf_load_file(c, path, err, errlen)) != 0)
        return rc;
    for (size_t i = 0; i < nkv; i++) {
        char why[512];
        if (rs_conf_set(c, kv[2 * i], kv[2 * i + 1], why, sizeof(why)) != 0) {
            rs_errf(err, errlen, "command line: %s", why);
            return RS_EINVAL;
        }
    }
    return rs_conf_finalize(c, err, errlen);
}

void rs_conf_keep_restart_only(const rs_conf_t *old, rs_conf_t *nc, char *changed,
                               size_t changed_len)
{
    size_t used = 0;
    if (changed_len > 0)
        changed[0] = '\0';
    for (size_t i = 0; i < NOPTS; i++) {
        const opt_t *o = &opts[i];
        if (o->reloadable)
            continue;
        if (memcmp((const char *)old + o->off, (const char *)nc + o->off, o->size) == 0)
            continue;
        memcpy((char *)nc + o->off, (const char *)old + o->off, o->size);
        if (changed_len > 0 && used < changed_len) {
            int w = snprintf(changed + used, changed_len - used, "%s%s", used ? ", " : "", o->name);
            if (w > 0)
                used += (size_t)w;
        }
    }
}

size_t rs_conf_option_count(void)
{
    return NOPTS;
}

const char *rs_conf_option_name(size_t i, int *reloadable)
{
    if (i >= NOPTS)
        return NULL;
    if (reloadable != NULL)
        *reloadable = opts[i].reloadable;
    return opts[i].name;
}
