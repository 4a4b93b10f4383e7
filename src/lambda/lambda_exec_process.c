/*
 * lambda_exec_process.c: the process executor: each execution environment is a plain
 * child `<python> <lambda_runtime_path>/bootstrap.py` in its own process group, cwd = the
 * function's code dir, stdout + stderr appended to the environment's log file, killed with
 * the supervisor (PR_SET_PDEATHSIG), under rlimits set in the child before exec
 * (child_limits: data from MemorySize, 1024 open files, no core
 * files). HOME and TMPDIR (lambda_env.c) are the environment's own dir under the
 * server's runtime_dir. What this does NOT isolate is listed in README (process
 * executor). Children are forked by one long-lived spawner thread
 * because the death signal follows the thread that forked, and the threads that ask for an
 * environment (Event invocations, capped) may end before the environment does.
 * Standby processes (lambda_standby, 0: none): the spawner keeps that many bootstraps
 * started with the environment-independent variables, each blocked reading its stdin (a
 * pipe, no CPU); a cold start of a function that is not hot-reload code writes it one
 * JSON line (the environment's variables, cwd, log file) and closes the pipe, so python's
 * start-up and the runtime's imports are off the cold path; the spawner starts another.
 * Runs in: the lambda supervisor (the spawner thread, pool threads, watcher threads).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambda/lambda_exec.h"
#include "rs/err.h"
#include "rs/os.h"

/* the interpreter (64 MiB) and 32 threads at glibc's default 8 MiB stack, which the
 * data limit counts in full although a thread touches little of it */
#define RS_LAMBDA_DATA_HEADROOM_MB (64 + 32 * 8)

typedef struct spawn_req {
    const rs_lexec_spec_t *spec;
    const char *python, *bootstrap;
    pid_t pid;
    int err;
    int done;
    struct spawn_req *next;
} spawn_req_t;

typedef struct standby {
    struct standby *next;
    pid_t pid;
    int wfd; /* the write end of its stdin */
} standby_t;

typedef struct pstate {
    char python[1024];
    char bootstrap[1100];
    char runtime_dir[1024];
    unsigned standby_target;
    unsigned nstandby;
    standby_t *standbys;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    spawn_req_t *queue;
    int stopping;
    pthread_t thr;
} pstate_t;

struct rs_lexec {
    pid_t pid;
    int killed;
};

/* Runs the python given in the configuration once, with the supervisor's environment, to
 * learn the real interpreter path (PATH lookup, pyenv shims) and check the version. */
static int resolve_python(const char *python, char *out, size_t outlen, char *why, size_t whylen)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return RS_ERR;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        snprintf(why, whylen, "fork: %s", strerror(errno));
        return RS_ERR;
    }
    if (pid == 0) {
        dup2(p[1], 1);
        int dn = open("/dev/null", O_WRONLY);
        if (dn >= 0)
            dup2(dn, 2);
        execlp(python, python, "-c",
               "import sys; print(sys.executable); sys.exit(0 if sys.version_info >= (3, 9) "
               "else 3)",
               (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char buf[1100];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(buf) - 1 && (r = read(p[0], buf + n, sizeof(buf) - 1 - n)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        n += (size_t)r;
    }
    close(p[0]);
    buf[n] = '\0';
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) == 127) {
        snprintf(why, whylen,
                 "lambda_executor process: cannot run lambda_python '%s' (install python3 >= "
                 "3.9 or set lambda_python)",
                 python);
        return RS_ERR;
    }
    if (WEXITSTATUS(st) == 3) {
        snprintf(why, whylen, "lambda_executor process: lambda_python '%s' is older than 3.9",
                 python);
        return RS_ERR;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    if (WEXITSTATUS(st) != 0 || buf[0] != '/' || strlen(buf) >= outlen) {
        snprintf(why, whylen, "lambda_executor process: lambda_python '%s' does not work", python);
        return RS_ERR;
    }
    snprintf(out, outlen, "%s", buf);
    return 0;
}

/* Lower one limit (soft and hard) of process pid (0: this one) to `v`, never above its
 * current hard limit. */
static void lower(pid_t pid, int res, rlim_t v)
{
    struct rlimit rl;
    if (prlimit(pid, (__rlimit_resource_t)res, NULL, &rl) != 0)
        return;
    if (rl.rlim_max != RLIM_INFINITY && v > rl.rlim_max)
        v = rl.rlim_max;
    rl.rlim_cur = rl.rlim_max = v;
    prlimit(pid, (__rlimit_resource_t)res, &rl, NULL);
}

/* The limits of a child (pid 0: this process, a child that has not exec'd yet; else a
 * standby, before its hand-off). Memory: RLIMIT_DATA = MemorySize plus
 * RS_LAMBDA_DATA_HEADROOM_MB (the interpreter's own heap, thread stacks), so an
 * allocation past MemorySize fails (MemoryError) as AWS's runtime would be killed. No
 * RLIMIT_AS: glibc reserves 64 MiB of address space per malloc arena (PROT_NONE, not
 * counted as data), so a python with boto3 maps ~420 MiB while using ~50, and with
 * MemorySize + 1 GiB a 128 MB function could start only 17 threads (measured). */
static void child_limits(pid_t pid, const rs_lambda_fn_t *fn)
{
    rlim_t mib = 1048576;
    lower(pid, RLIMIT_DATA, ((rlim_t)fn->memory_mb + RS_LAMBDA_DATA_HEADROOM_MB) * mib);
    lower(pid, RLIMIT_NOFILE, 1024); /* Lambda's file descriptor quota */
    lower(pid, RLIMIT_CORE, 0);
}

/* In a child before exec: its own process group, killed with the spawner thread's
 * process (and gone if that already happened), default signals, cwd `dir`, stdin from
 * `in` and stdout + stderr to `out`, nothing else open. */
static void child_setup(pid_t parent, const char *dir, int in, int out)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < 32; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    if (chdir(dir) < 0)
        _exit(126);
    if (in >= 0 && in != 0)
        dup2(in, 0);
    if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
    }
    struct rlimit rl;
    int maxfd =
        getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    for (int fd = 3; fd < maxfd; fd++)
        close(fd);
}

static void child_exec(const spawn_req_t *q, int logfd, pid_t parent)
{
    child_setup(parent, q->spec->fn->code_dir, open("/dev/null", O_RDONLY), logfd);
    child_limits(0, q->spec->fn);
    /* -S: no site module (its .pth processing costs tens of ms of every cold start);
     * bootstrap.py puts site-packages on sys.path itself */
    char *argv[] = {(char *)q->python, "-S", (char *)q->bootstrap, NULL};
    execve(q->python, argv, q->spec->envp);
    _exit(127);
}

/* The variables a standby starts with: those of rs_lambda_env_build that do not depend on
 * the function and that python reads at start (the others come with the hand-off). */
static void standby_exec(const pstate_t *s, int rfd, pid_t parent)
{
    child_setup(parent, "/", rfd, open("/dev/null", O_WRONLY));
    const char *path = getenv("PATH");
    char pathvar[4200], pyvar[1100];
    snprintf(pathvar, sizeof(pathvar), "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
    snprintf(pyvar, sizeof(pyvar), "PYTHONPATH=%s", s->runtime_dir);
    char *envp[] = {"_RUSTSTACK_STANDBY=-", "PYTHONUNBUFFERED=1", pyvar,   "TZ=:UTC",
                    "LANG=en_US.UTF-8",     "LC_CTYPE=C.UTF-8",   pathvar, NULL};
    char *argv[] = {(char *)s->python, "-S", (char *)s->bootstrap, NULL};
    execve(s->python, argv, envp);
    _exit(127);
}

/* Start one standby (spawner thread). */
static standby_t *spawn_standby(pstate_t *s)
{
    standby_t *b = calloc(1, sizeof(*b));
    int p[2];
    if (!b || pipe2(p, O_CLOEXEC) < 0) {
        free(b);
        return NULL;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        standby_exec(s, p[0], parent);
    close(p[0]);
    if (pid < 0) {
        close(p[1]);
        free(b);
        return NULL;
    }
    b->pid = pid;
    b->wfd = p[1];
    return b;
}

static void standby_kill(standby_t *b)
{
    kill(-b->pid, SIGKILL); /* before the pipe closes: no "hand-off channel closed" */
    kill(b->pid, SIGKILL);
    close(b->wfd);
    while (waitpid(b->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    free(b);
}

/* Hand the environment to a standby: {"env": [...], "cwd": ..., "log": ...} and EOF. */
static int standby_handoff(standby_t *b, const rs_lexec_spec_t *spec)
{
    json_object *msg = json_object_new_object();
    json_object *env = json_object_new_array();
    for (size_t i = 0; spec->envp[i]; i++)
        json_object_array_add(env, json_object_new_string(spec->envp[i]));
    json_object_object_add(msg, "env", env);
    json_object_object_add(msg, "cwd", json_object_new_string(spec->fn->code_dir));
    json_object_object_add(msg, "log", json_object_new_string(spec->log_path));
    const char *text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
    int rc = text ? rs_write_all(b->wfd, text, strlen(text), -1) : RS_ENOMEM;
    if (rc == 0)
        rc = rs_write_all(b->wfd, "\n", 1, -1);
    json_object_put(msg);
    close(b->wfd);
    b->wfd = -1;
    return rc;
}

/* A live standby for spec, or 0 (lock held by the caller; may take a while: writes). */
static pid_t take_standby(pstate_t *s, const rs_lexec_spec_t *spec)
{
    while (s->standbys) {
        standby_t *b = s->standbys;
        s->standbys = b->next;
        s->nstandby--;
        pthread_cond_broadcast(&s->cv); /* the spawner starts another */
        int st;
        if (waitpid(b->pid, &st, WNOHANG) == b->pid) { /* it died meanwhile */
            close(b->wfd);
            free(b);
            continue;
        }
        child_limits(b->pid, spec->fn); /* before its code runs: the same as a fresh child */
        if (standby_handoff(b, spec) < 0) {
            b->wfd = -1;
            kill(-b->pid, SIGKILL);
            kill(b->pid, SIGKILL);
            while (waitpid(b->pid, NULL, 0) < 0 && errno == EINTR)
                ;
            free(b);
            continue;
        }
        pid_t pid = b->pid;
        free(b);
        return pid;
    }
    return 0;
}

static void spawn_one(spawn_req_t *q)
{
    int logfd = open(q->spec->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (logfd < 0) {
        q->err = errno;
        return;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        child_exec(q, logfd, parent);
    q->err = pid < 0 ? errno : 0;
    q->pid = pid;
    close(logfd);
}

static void *spawner_main(void *arg)
{
    pstate_t *s = arg;
    int failed = 0; /* a standby could not start: no more until the next request */
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->queue && !s->stopping && !failed && s->nstandby < s->standby_target) {
            pthread_mutex_unlock(&s->mu);
            standby_t *b = spawn_standby(s);
            pthread_mutex_lock(&s->mu);
            if (!b) {
                failed = 1;
                break;
            }
            b->next = s->standbys;
            s->standbys = b;
            s->nstandby++;
        }
        while (!s->queue && !s->stopping && (failed || s->nstandby >= s->standby_target))
            pthread_cond_wait(&s->cv, &s->mu);
        if (!s->queue && !s->stopping)
            continue;
        if (!s->queue && s->stopping)
            break;
        spawn_req_t *q = s->queue;
        s->queue = q->next;
        pthread_mutex_unlock(&s->mu);
        spawn_one(q);
        failed = 0;
        pthread_mutex_lock(&s->mu);
        q->done = 1;
        pthread_cond_broadcast(&s->cv);
    }
    while (s->standbys) {
        standby_t *b = s->standbys;
        s->standbys = b->next;
        standby_kill(b);
    }
    s->nstandby = 0;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static int p_init(const rs_conf_t *conf, void **state, char *why, size_t whylen)
{
    pstate_t *s = calloc(1, sizeof(*s));
    if (!s)
        return RS_ENOMEM;
    int rc = resolve_python(conf->lambda_python, s->python, sizeof(s->python), why, whylen);
    if (rc < 0) {
        free(s);
        return rc;
    }
    snprintf(s->bootstrap, sizeof(s->bootstrap), "%s/bootstrap.py", conf->lambda_runtime_path);
    snprintf(s->runtime_dir, sizeof(s->runtime_dir), "%s", conf->lambda_runtime_path);
    s->standby_target = conf->lambda_standby;
    if (access(s->bootstrap, R_OK) != 0) {
        snprintf(why, whylen,
                 "lambda_executor process: %s is missing (install RustStack's runtime or set "
                 "lambda_runtime_path)",
                 s->bootstrap);
        free(s);
        return RS_ERR;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thr, NULL, spawner_main, s) != 0) {
        snprintf(why, whylen, "lambda_executor process: cannot start the spawner thread");
        free(s);
        return RS_ERR;
    }
    *state = s;
    return 0;
}

static void p_fini(void *state)
{
    pstate_t *s = state;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thr, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

static void p_cleanup_orphans(void *state)
{
    (void)state; /* children die with the supervisor (PR_SET_PDEATHSIG) */
}

static int p_start(void *state, const rs_lexec_spec_t *spec, rs_lexec_t **out, char *err,
                   size_t errlen)
{
    pstate_t *s = state;
    rs_lexec_t *x = calloc(1, sizeof(*x));
    if (!x)
        return RS_ENOMEM;
    spawn_req_t q = {.spec = spec, .python = s->python, .bootstrap = s->bootstrap};
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        free(x);
        snprintf(err, errlen, "the process executor is stopping");
        return RS_ERR;
    }
    pid_t standby = spec->fn->hot ? 0 : take_standby(s, spec);
    if (standby > 0) {
        pthread_mutex_unlock(&s->mu);
        x->pid = standby;
        *out = x;
        return 0;
    }
    q.next = s->queue;
    s->queue = &q;
    pthread_cond_broadcast(&s->cv);
    while (!q.done)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    if (q.err) {
        snprintf(err, errlen, "cannot start %s: %s", s->python, strerror(q.err));
        free(x);
        return RS_ERR;
    }
    x->pid = q.pid;
    *out = x;
    return 0;
}

static void p_kill(rs_lexec_t *x)
{
    x->killed = 1;
    kill(-x->pid, SIGKILL);
    kill(x->pid, SIGKILL);
}

static int p_wait(rs_lexec_t *x)
{
    int st = 0;
    for (;;) {
        pid_t r = waitpid(x->pid, &st, 0);
        if (r == x->pid)
            break;
        if (r < 0 && errno == EINTR)
            continue;
        /* reaped elsewhere (SIGCHLD ignored): poll until it is gone */
        while (kill(x->pid, 0) == 0)
            usleep(20000);
        return x->killed ? -SIGKILL : 0;
    }
    if (WIFSIGNALED(st))
        return -WTERMSIG(st);
    return WEXITSTATUS(st);
}

static int p_pid(rs_lexec_t *x)
{
    return x->pid;
}

static void p_release(rs_lexec_t *x)
{
    kill(-x->pid, SIGKILL); /* whatever the handler left running in its group */
    free(x);
}

const rs_lexec_ops_t rs_lexec_process_ops = {
    .name = "process",
    .init = p_init,
    .fini = p_fini,
    .cleanup_orphans = p_cleanup_orphans,
    .start = p_start,
    .kill = p_kill,
    .wait = p_wait,
    .pid = p_pid,
    .release = p_release,
};
