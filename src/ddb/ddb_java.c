/*
 * ddb_java.c: DynamoDB Local as a child of the ddb supervisor: find java and the jar
 * (or say what to install), start it on a free loopback port (-inMemory, or -dbPath
 * under data_dir), copy its output into our log, publish STARTING until a real ListTables
 * succeeds, then RUNNING; health-check it, restart it with backoff when it dies, hangs or
 * never comes up; stop it (TERM, then KILL) with the supervisor. It dies with the
 * supervisor too (PR_SET_PDEATHSIG). Runs in: the ddb supervisor (main thread only: the
 * child's death signal is tied to the thread that forked it).
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ddb/ddb_int.h"
#include "rs/child.h"
#include "rs/os.h"
#include "rs/err.h"
#include "rs/log.h"

#define HEALTH_EVERY_MS 5000
#define RECHECK_EVERY_MS 5000
#define PROBE_EVERY_MS 200
#define PROBE_TIMEOUT_MS 2000
#define HEALTH_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 5000
#define DEFAULT_MAIN "software.amazon.dynamodb.services.local.main.ServerRunner"
#define INSTALL_JAVA                                                                               \
    "install Java 17 (Debian: apt-get install openjdk-17-jre-headless) or set `java`"
#define INSTALL_JAR                                                                                \
    "run `sh packaging/fetch-dynamodb-local.sh DIR` (or `sh packaging/setup.sh deps`) and set "    \
    "`dynamodb_local_dir` to DIR"

enum { J_UNAVAILABLE, J_WAITING, J_STARTING, J_RUNNING };

struct rs_ddb_java {
    const rs_conf_t *conf;
    rs_status_board_t *board;
    rs_child_t child;
    int state;
    uint16_t port;
    int64_t spawned_ms, next_probe_ms, next_check_ms;
    unsigned health_failures;
    int suspect;
    char java[1024];
    char main_class[256];
    char argv_buf[8][2200];
    char *argv[16];
    rs_ddb_conn_t probe;
};

/* ---- locating java and the jar ----------------------------------------------------- */

static int find_java(const char *java, char *out, size_t outlen)
{
    if (strchr(java, '/') != NULL) {
        snprintf(out, outlen, "%s", java);
        return access(java, X_OK) == 0 ? 0 : RS_ENOENT;
    }
    const char *path = getenv("PATH");
    if (path == NULL || path[0] == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path != '\0') {
        const char *end = strchr(path, ':');
        size_t n = end != NULL ? (size_t)(end - path) : strlen(path);
        if (n > 0) {
            snprintf(out, outlen, "%.*s/%s", (int)n, path, java);
            struct stat sb;
            if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && access(out, X_OK) == 0)
                return 0;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return RS_ENOENT;
}

int rs_ddb_java_check(const rs_conf_t *conf, char *why, size_t whylen)
{
    char p[1200], java[1024];
    struct stat sb;
    if (find_java(conf->java, java, sizeof(java)) != 0) {
        snprintf(why, whylen, "java (%s) not found: %s", conf->java, INSTALL_JAVA);
        return RS_ENOENT;
    }
    snprintf(p, sizeof(p), "%s/DynamoDBLocal.jar", conf->dynamodb_local_dir);
    if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(why, whylen, "%s not found: %s", p, INSTALL_JAR);
        return RS_ENOENT;
    }
    snprintf(p, sizeof(p), "%s/DynamoDBLocal_lib", conf->dynamodb_local_dir);
    if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(why, whylen, "%s not found: %s", p, INSTALL_JAR);
        return RS_ENOENT;
    }
    return 0;
}

/* Main-Class of the jar's manifest (the Maven jars need -cp, not -jar) */
static void main_class(const char *jar, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", DEFAULT_MAIN);
    struct archive *a = archive_read_new();
    if (a == NULL)
        return;
    archive_read_support_format_zip(a);
    if (archive_read_open_filename(a, jar, 65536) != ARCHIVE_OK) {
        archive_read_free(a);
        return;
    }
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        if (strcmp(archive_entry_pathname(e), "META-INF/MANIFEST.MF") != 0)
            continue;
        char buf[16384];
        la_ssize_t n = archive_read_data(a, buf, sizeof(buf) - 1);
        if (n > 0) {
            buf[n] = '\0';
            char *m = strstr(buf, "Main-Class:");
            if (m != NULL) {
                m += 11;
                while (*m == ' ')
                    m++;
                size_t l = strcspn(m, "\r\n");
                if (l > 0 && l < outlen)
                    snprintf(out, outlen, "%.*s", (int)l, m);
            }
        }
        break;
    }
    archive_read_free(a);
}

/* ---- the child ---------------------------------------------------------------------- */

static void exec_java(void *arg)
{
    rs_ddb_java_t *j = arg;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    execv(j->java, j->argv);
    /* after fork in a threaded process: async-signal-safe calls only */
    static const char msg[] = "cannot run java: execv failed\n";
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
        _exit(126);
    _exit(127);
}

typedef struct pump {
    int fd;
    pid_t pid;
} pump_t;

/* one pump per child; a predecessor's pump ends at its pipe's EOF, soon after it died */
static rs_thread_cap_t pumps = RS_THREAD_CAP_INIT(4);

/* DynamoDB Local's stdout/stderr -> one log line per line */
static void *pump_main(void *arg)
{
    pump_t *p = arg;
    char buf[4096], line[1024];
    size_t ll = 0;
    for (;;) {
        ssize_t n = read(p->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || ll == sizeof(line) - 1) {
                line[ll] = '\0';
                if (ll > 0)
                    rs_log(RS_LOG_INFO, NULL, "dynamodb-local[%d]: %s", (int)p->pid, line);
                ll = 0;
                if (buf[i] == '\n')
                    continue;
            }
            if (buf[i] != '\r')
                line[ll++] = buf[i];
        }
    }
    if (ll > 0) {
        line[ll] = '\0';
        rs_log(RS_LOG_INFO, NULL, "dynamodb-local[%d]: %s", (int)p->pid, line);
    }
    close(p->fd);
    free(p);
    return NULL;
}

static void publish(rs_ddb_java_t *j, rs_svc_state_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void publish(rs_ddb_java_t *j, rs_svc_state_t st, const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    rs_status_set(j->board, RS_SVC_DYNAMODB, st, reason);
}

static void build_argv(rs_ddb_java_t *j)
{
    const rs_conf_t *c = j->conf;
    int k = 0, b = 0;
    j->argv[k++] = j->java;
    snprintf(j->argv_buf[b], sizeof(j->argv_buf[b]), "-Djava.library.path=%s/DynamoDBLocal_lib",
             c->dynamodb_local_dir);
    j->argv[k++] = j->argv_buf[b++];
    j->argv[k++] = "-cp";
    snprintf(j->argv_buf[b], sizeof(j->argv_buf[b]), "%s/DynamoDBLocal.jar:%s/DynamoDBLocal_lib/*",
             c->dynamodb_local_dir, c->dynamodb_local_dir);
    j->argv[k++] = j->argv_buf[b++];
    j->argv[k++] = j->main_class;
    if (c->data_dir[0] != '\0') {
        j->argv[k++] = "-dbPath";
        snprintf(j->argv_buf[b], sizeof(j->argv_buf[b]), "%s/dynamodb", c->data_dir);
        j->argv[k++] = j->argv_buf[b++];
    } else {
        j->argv[k++] = "-inMemory";
    }
    j->argv[k++] = "-port";
    snprintf(j->argv_buf[b], sizeof(j->argv_buf[b]), "%u", j->port);
    j->argv[k++] = j->argv_buf[b++];
    /* 2.x and later (software.amazon.* main class) know -disableTelemetry */
    if (strncmp(j->main_class, "software.amazon.", 16) == 0)
        j->argv[k++] = "-disableTelemetry";
    j->argv[k] = NULL;
}

static void spawn(rs_ddb_java_t *j, int64_t now)
{
    char why[512];
    if (rs_ddb_java_check(j->conf, why, sizeof(why)) != 0) {
        if (j->state != J_UNAVAILABLE)
            rs_log(RS_LOG_ERR, NULL, "DynamoDB is unavailable: %s", why);
        j->state = J_UNAVAILABLE;
        j->next_check_ms = now + RECHECK_EVERY_MS;
        rs_status_set(j->board, RS_SVC_DYNAMODB, RS_SVC_UNAVAILABLE, why);
        return;
    }
    find_java(j->conf->java, j->java, sizeof(j->java));
    char jar[1100];
    snprintf(jar, sizeof(jar), "%s/DynamoDBLocal.jar", j->conf->dynamodb_local_dir);
    main_class(jar, j->main_class, sizeof(j->main_class));
    if (j->conf->data_dir[0] != '\0') {
        char d[1100];
        snprintf(d, sizeof(d), "%s/dynamodb", j->conf->data_dir);
        if (rs_mkdir_p(d, 0700) != 0) {
            snprintf(why, sizeof(why), "cannot create %.300s: %s", d, strerror(errno));
            rs_log(RS_LOG_ERR, NULL, "DynamoDB is unavailable: %s", why);
            j->state = J_UNAVAILABLE;
            j->next_check_ms = now + RECHECK_EVERY_MS;
            rs_status_set(j->board, RS_SVC_DYNAMODB, RS_SVC_UNAVAILABLE, why);
            return;
        }
    }
    j->port = rs_tcp_free_port();
    build_argv(j);
    j->child.capture = 1;
    if (rs_child_spawn(&j->child, SIGKILL, exec_java, j) != 0) {
        rs_log(RS_LOG_ERR, NULL, "cannot fork DynamoDB Local: %m");
        j->state = J_WAITING;
        j->child.next_spawn_ms = now + 1000;
        return;
    }
    if (j->child.out_fd >= 0) {
        pump_t *p = malloc(sizeof(*p));
        if (p != NULL) {
            p->fd = j->child.out_fd;
            p->pid = j->child.pid;
            if (rs_thread_start(&pumps, 0, 0, pump_main, p) != 0) {
                close(p->fd);
                free(p);
            }
        } else {
            close(j->child.out_fd);
        }
        j->child.out_fd = -1;
    }
    j->state = J_STARTING;
    j->spawned_ms = now;
    j->next_probe_ms = now + PROBE_EVERY_MS;
    j->health_failures = 0;
    rs_ddb_conn_close(&j->probe);
    publish(j, RS_SVC_STARTING, "starting DynamoDB Local (pid %d, port %u)", (int)j->child.pid,
            j->port);
}

/* one real request: ListTables */
static int probe(rs_ddb_java_t *j, int timeout_ms)
{
    static const char body[] = "{\"Limit\":1}";
    rs_ddb_req_t req = {
        .target = "DynamoDB_20120810.ListTables",
        .region = "us-east-1",
        .account = "000000000000",
        .content_type = "application/x-amz-json-1.0",
        .body = body,
        .body_len = sizeof(body) - 1,
    };
    rs_ddb_resp_t resp;
    int rc = rs_ddb_http_do(&j->probe, j->port, &req, timeout_ms, &resp);
    if (rc != 0)
        return rc;
    int ok = resp.status == 200 && strstr(resp.body, "TableNames") != NULL;
    rs_ddb_resp_free(&resp);
    return ok ? 0 : RS_ERR;
}

static void kill_child(rs_ddb_java_t *j, const char *why)
{
    rs_log(RS_LOG_ERR, NULL, "DynamoDB Local (pid %d) %s: killing it", (int)j->child.pid, why);
    kill(j->child.pid, SIGKILL);
}

rs_ddb_java_t *rs_ddb_java_new(const rs_conf_t *conf, rs_status_board_t *board)
{
    rs_ddb_java_t *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    j->conf = conf;
    j->board = board;
    rs_child_init(&j->child, "DynamoDB Local");
    rs_ddb_conn_init(&j->probe);
    j->state = J_WAITING;
    j->child.next_spawn_ms = 0;
    publish(j, RS_SVC_STARTING, "starting DynamoDB Local");
    return j;
}

void rs_ddb_java_suspect(rs_ddb_java_t *j)
{
    j->suspect = 1;
}

uint16_t rs_ddb_java_tick(rs_ddb_java_t *j, int64_t now)
{
    if (j->child.pid > 0 && rs_child_poll(&j->child, now)) {
        int64_t delay = j->child.next_spawn_ms - now;
        j->state = J_WAITING;
        j->port = 0;
        rs_ddb_conn_close(&j->probe);
        publish(j, RS_SVC_STARTING, "DynamoDB Local stopped; restarting in %lld ms",
                (long long)delay);
    }
    switch (j->state) {
    case J_UNAVAILABLE:
        if (now >= j->next_check_ms)
            spawn(j, now); /* re-checks java and the jar: installing them is enough */
        return 0;
    case J_WAITING:
        if (now >= j->child.next_spawn_ms)
            spawn(j, now);
        return 0;
    case J_STARTING:
        if (now < j->next_probe_ms)
            return 0;
        if (probe(j, PROBE_TIMEOUT_MS) == 0) {
            j->state = J_RUNNING;
            j->next_probe_ms = now + HEALTH_EVERY_MS;
            rs_log(RS_LOG_NOTICE, NULL, "DynamoDB Local ready on 127.0.0.1:%u (pid %d) in %lld ms",
                   j->port, (int)j->child.pid, (long long)(rs_mono_ms() - j->spawned_ms));
            publish(j, RS_SVC_RUNNING, "DynamoDB Local on 127.0.0.1:%u (pid %d)", j->port,
                    (int)j->child.pid);
            return j->port;
        }
        if (now - j->spawned_ms > (int64_t)j->conf->dynamodb_start_timeout * 1000)
            kill_child(j, "did not answer within dynamodb_start_timeout");
        j->next_probe_ms = rs_mono_ms() + PROBE_EVERY_MS;
        return 0;
    default: /* J_RUNNING */
        if (now < j->next_probe_ms && !j->suspect)
            return j->port;
        j->suspect = 0;
        if (probe(j, HEALTH_TIMEOUT_MS) == 0) {
            j->health_failures = 0;
        } else if (++j->health_failures >= 2) {
            kill_child(j, "failed two health checks");
            publish(j, RS_SVC_STARTING, "DynamoDB Local failed its health check; restarting");
            j->state = J_STARTING; /* until the reap moves it to WAITING */
            j->spawned_ms = now;
            j->next_probe_ms = rs_mono_ms() + HEALTH_EVERY_MS;
            return 0;
        }
        j->next_probe_ms = rs_mono_ms() + (j->health_failures ? PROBE_EVERY_MS : HEALTH_EVERY_MS);
        return j->port;
    }
}

int rs_ddb_java_next_ms(const rs_ddb_java_t *j, int64_t now)
{
    int64_t at;
    switch (j->state) {
    case J_UNAVAILABLE:
        at = j->next_check_ms;
        break;
    case J_WAITING:
        at = j->child.next_spawn_ms;
        break;
    default:
        at = j->next_probe_ms;
        break;
    }
    int64_t d = at - now;
    if (j->child.pid > 0 && d > 100)
        d = 100; /* notice a death promptly */
    return d < 1 ? 1 : (int)d;
}

void rs_ddb_java_free(rs_ddb_java_t *j)
{
    if (j == NULL)
        return;
    rs_child_stop(&j->child, STOP_TIMEOUT_MS);
    rs_ddb_conn_close(&j->probe);
    free(j);
}
