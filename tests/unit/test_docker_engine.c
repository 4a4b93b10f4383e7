/*
 * test_docker_engine.c: the Docker Engine API client (src/docker/) against a real engine,
 * when env RS_DOCKER_SOCKET names its socket and RS_LAMBDA_IMAGE an image (both set by
 * packaging/setup.sh when the containers step worked; skipped otherwise): ping, version,
 * image check, a labelled container running python3 with boto3 that exits 3 (create,
 * start, wait, list by label, remove), the error mapping of a real engine (409 name in
 * use, 404 after removal), and what the Lambda executor relies on: NetworkMode host
 * reaching a listener on the host's 127.0.0.1, a read-only bind mount, Env, a memory
 * limit, kill of a running container; the event stream reporting a container's death with
 * its exit code and the state inspect. Runs in: the test.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "rs/docker.h"
#include "rs/err.h"
#include "fake_engine.h"

static rs_docker_t dk;
static const char *image;
static char label[64];

static void setup(void)
{
    const char *sock = getenv("RS_DOCKER_SOCKET");
    image = getenv("RS_LAMBDA_IMAGE");
    if (sock == NULL || sock[0] == '\0' || image == NULL || image[0] == '\0')
        cr_skip_test("RS_DOCKER_SOCKET and RS_LAMBDA_IMAGE not set: no container engine");
    cr_assert_eq(rs_docker_init(&dk, sock, 10000), 0);
    snprintf(label, sizeof(label), "io.ruststack.test=%d", (int)getpid());
}

/* Remove whatever this test process left behind. */
static void teardown(void)
{
    char **ids = NULL;
    size_t n = 0;
    if (image == NULL || label[0] == '\0')
        return;
    if (rs_docker_list_by_label(&dk, label, &ids, &n, NULL, 0) == 0) {
        for (size_t i = 0; i < n; i++)
            rs_docker_remove(&dk, ids[i], NULL, 0);
        rs_docker_ids_free(ids, n);
    }
}

TestSuite(docker_engine, .init = setup, .fini = teardown, .timeout = 120);

/* A container config: Image, Cmd (argv, NULL-terminated), our label, HostConfig. */
static json_object *config(const char *const *argv, json_object *host_config)
{
    json_object *cfg = json_object_new_object();
    json_object *cmd = json_object_new_array();
    json_object *labels = json_object_new_object();
    char k[64];
    const char *eq = strchr(label, '=');

    for (; *argv != NULL; argv++)
        json_object_array_add(cmd, json_object_new_string(*argv));
    memcpy(k, label, (size_t)(eq - label));
    k[eq - label] = '\0';
    json_object_object_add(labels, k, json_object_new_string(eq + 1));
    json_object_object_add(cfg, "Image", json_object_new_string(image));
    json_object_object_add(cfg, "Cmd", cmd);
    json_object_object_add(cfg, "Labels", labels);
    if (host_config == NULL) {
        host_config = json_object_new_object();
        json_object_object_add(host_config, "NetworkMode", json_object_new_string("none"));
    }
    json_object_object_add(cfg, "HostConfig", host_config);
    return cfg;
}

Test(docker_engine, ping_version_image)
{
    char err[256] = "", v[128] = "";
    cr_assert_eq(rs_docker_ping(&dk, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rs_docker_version(&dk, v, sizeof(v), err, sizeof(err)), 0, "%s", err);
    cr_assert_not_null(strstr(v, "(API "), "%s", v);
    cr_log_info("engine %s", v);
    cr_assert_eq(rs_docker_image_exists(&dk, image, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rs_docker_image_exists(&dk, "localhost/rs-no-such-image:0", err, sizeof(err)),
                 RS_ENOENT);
}

Test(docker_engine, python_boto3_exit_code_label_list_remove)
{
    static const char *const argv[] = {"python3", "-c", "import boto3,sys; sys.exit(3)", NULL};
    json_object *cfg = config(argv, NULL);
    char id[65] = "", err[256] = "", name[64];
    int code = -1;
    char **ids = NULL;
    size_t n = 0;

    snprintf(name, sizeof(name), "rs-test-%d-a", (int)getpid());
    long long t0 = rs_test_now_ms();
    cr_assert_eq(rs_docker_create(&dk, name, cfg, id, sizeof(id), err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(strlen(id), 64, "%s", id);
    long long t1 = rs_test_now_ms();
    cr_assert_eq(rs_docker_start(&dk, id, err, sizeof(err)), 0, "%s", err);
    long long t2 = rs_test_now_ms();
    cr_assert_eq(rs_docker_wait(&dk, id, &code, err, sizeof(err)), 0, "%s", err);
    long long t3 = rs_test_now_ms();
    cr_assert_eq(code, 3);
    cr_log_info("create %lld ms, start %lld ms, run to exit %lld ms, total %lld ms", t1 - t0,
                t2 - t1, t3 - t2, t3 - t0);

    /* the same name again: 409 */
    char id2[65];
    cr_assert_eq(rs_docker_create(&dk, name, cfg, id2, sizeof(id2), err, sizeof(err)), RS_EEXIST);
    cr_assert_neq(err[0], '\0');
    /* a stopped container cannot be killed */
    int kr = rs_docker_kill(&dk, id, "KILL", err, sizeof(err));
    cr_assert(kr == RS_EEXIST, "kill of a stopped container gave %d (%s)", kr, err);

    cr_assert_eq(rs_docker_list_by_label(&dk, label, &ids, &n, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(ids[0], id);
    rs_docker_ids_free(ids, n);

    cr_assert_eq(rs_docker_remove(&dk, id, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rs_docker_remove(&dk, id, err, sizeof(err)), RS_ENOENT, "%s", err);
    cr_assert_eq(rs_docker_start(&dk, id, err, sizeof(err)), RS_ENOENT, "%s", err);
    cr_assert_eq(rs_docker_list_by_label(&dk, label, &ids, &n, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(n, 0);
    rs_docker_ids_free(ids, n);
    json_object_put(cfg);
}

/* The container checks its world and reports over TCP to the host's 127.0.0.1. */
static const char check_py[] =
    "import os, socket, sys\n"
    "port = int(os.environ['RS_PORT'])\n"
    "assert open('/var/task/hello.txt').read() == 'hi'\n"
    "try:\n"
    "    open('/var/task/new.txt', 'w')\n"
    "    sys.exit(11)\n"
    "except OSError:\n"
    "    pass\n"
    "open('/tmp/w.txt', 'w').write('x')\n"
    "mem = 'unknown'\n"
    "for p in ('/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory.max'):\n"
    "    if os.path.exists(p):\n"
    "        mem = open(p).read().strip()\n"
    "        break\n"
    "s = socket.create_connection(('127.0.0.1', port), timeout=10)\n"
    "s.sendall(('ok mem=%s\\n' % mem).encode())\n"
    "s.close()\n"
    "sys.exit(3)\n";

Test(docker_engine, host_network_ro_bind_env_memory)
{
    char dir[] = "/tmp/rs-test-docker-task-XXXXXX";
    char path[256], bindspec[300], env[64], err[256] = "", id[65] = "", name[64];
    cr_assert_not_null(mkdtemp(dir));
    chmod(dir, 0755);
    snprintf(path, sizeof(path), "%s/hello.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("hi", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/check.py", dir);
    f = fopen(path, "w");
    fputs(check_py, f);
    fclose(f);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(lfd, 4), 0);
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);

    json_object *hc = json_object_new_object();
    json_object *binds = json_object_new_array();
    snprintf(bindspec, sizeof(bindspec), "%s:/var/task:ro", dir);
    json_object_array_add(binds, json_object_new_string(bindspec));
    json_object_object_add(hc, "NetworkMode", json_object_new_string("host"));
    json_object_object_add(hc, "Binds", binds);
    json_object_object_add(hc, "Memory", json_object_new_int64(128LL * 1024 * 1024));
    static const char *const argv[] = {"python3", "/var/task/check.py", NULL};
    json_object *cfg = config(argv, hc);
    json_object *envs = json_object_new_array();
    snprintf(env, sizeof(env), "RS_PORT=%d", ntohs(sa.sin_port));
    json_object_array_add(envs, json_object_new_string(env));
    json_object_object_add(cfg, "Env", envs);

    snprintf(name, sizeof(name), "rs-test-%d-b", (int)getpid());
    cr_assert_eq(rs_docker_create(&dk, name, cfg, id, sizeof(id), err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rs_docker_start(&dk, id, err, sizeof(err)), 0, "%s", err);
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 30000), 1, "the container did not connect to 127.0.0.1");
    int c = accept(lfd, NULL, NULL);
    char msg[128] = "";
    size_t got = 0;
    ssize_t r;
    while (got < sizeof(msg) - 1 && (r = read(c, msg + got, sizeof(msg) - 1 - got)) > 0)
        got += (size_t)r;
    close(c);
    close(lfd);
    cr_assert(strncmp(msg, "ok mem=", 7) == 0, "%s", msg);
    cr_log_info("container reported: %s", msg);
    cr_assert_not_null(strstr(msg, "134217728"), "memory limit not applied: %s", msg);
    int code = -1;
    cr_assert_eq(rs_docker_wait(&dk, id, &code, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(code, 3, "check.py exit code %d", code);
    cr_assert_eq(rs_docker_remove(&dk, id, err, sizeof(err)), 0, "%s", err);
    json_object_put(cfg);
    snprintf(path, sizeof(path), "%s/new.txt", dir);
    cr_assert_neq(access(path, F_OK), 0, "the read-only bind was written");
    snprintf(path, sizeof(path), "%s/hello.txt", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/check.py", dir);
    unlink(path);
    rmdir(dir);
}

Test(docker_engine, kill_running_container)
{
    static const char *const argv[] = {"python3", "-c", "import time; time.sleep(60)", NULL};
    json_object *cfg = config(argv, NULL);
    char id[65] = "", err[256] = "", name[64];
    int code = -1;

    snprintf(name, sizeof(name), "rs-test-%d-c", (int)getpid());
    cr_assert_eq(rs_docker_create(&dk, name, cfg, id, sizeof(id), err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rs_docker_start(&dk, id, err, sizeof(err)), 0, "%s", err);
    long long t0 = rs_test_now_ms();
    cr_assert_eq(rs_docker_kill(&dk, id, "KILL", err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rs_docker_wait(&dk, id, &code, err, sizeof(err)), 0, "%s", err);
    cr_assert_lt(rs_test_now_ms() - t0, 20000);
    cr_assert_eq(code, 137);
    cr_assert_eq(rs_docker_remove(&dk, id, err, sizeof(err)), 0, "%s", err);
    json_object_put(cfg);
}

/* What the docker executor watches instead of a wait per container: the event stream,
 * filtered as it filters (podman 4.3 matches only its own name "died", Docker "die"),
 * reports the kill of a running container with its exit code, and nothing for a container
 * without our label. */
Test(docker_engine, event_stream_reports_the_death)
{
    static const char *const argv[] = {"python3", "-c", "import time; time.sleep(60)", NULL};
    json_object *cfg = config(argv, NULL);
    json_object *f = rs_docker_die_filter(label);
    char id[65] = "", err[256] = "", name[64], got[80] = "";
    rs_docker_events_t *ev = NULL;
    rs_docker_state_t st;
    int code = -1, found = 0;

    cr_assert_not_null(f);
    cr_assert_eq(rs_docker_events_open(&dk, f, &ev, err, sizeof(err)), 0, "%s", err);
    json_object_put(f);
    snprintf(name, sizeof(name), "rs-test-%d-e", (int)getpid());
    cr_assert_eq(rs_docker_create(&dk, name, cfg, id, sizeof(id), err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rs_docker_start(&dk, id, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rs_docker_inspect_state(&dk, id, &st, err, sizeof(err)), 0, "%s", err);
    cr_assert(st.running && !st.stopped && st.pid > 0, "%s", st.status);
    cr_assert_eq(rs_docker_kill(&dk, id, "KILL", err, sizeof(err)), 0, "%s", err);
    long long deadline = rs_test_now_ms() + 20000;
    while (!found && rs_test_now_ms() < deadline) {
        json_object *j;
        int r = rs_docker_events_pop(ev, &j);
        cr_assert_geq(r, 0);
        if (r == 1) {
            found = rs_docker_event_exit(j, got, sizeof(got), &code);
            json_object_put(j);
            continue;
        }
        struct pollfd pf = {rs_docker_events_fd(ev), POLLIN, 0};
        if (poll(&pf, 1, 100) > 0)
            cr_assert_eq(rs_docker_events_recv(ev, err, sizeof(err)), 0, "%s", err);
    }
    cr_assert(found, "no die event within 20 s");
    cr_assert_str_eq(got, id);
    cr_assert_eq(code, 137);
    cr_assert_eq(rs_docker_inspect_state(&dk, id, &st, err, sizeof(err)), 0, "%s", err);
    cr_assert(st.stopped && st.exit_code == 137, "%s %d", st.status, st.exit_code);
    rs_docker_events_close(ev);
    cr_assert_eq(rs_docker_remove(&dk, id, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rs_docker_inspect_state(&dk, id, &st, err, sizeof(err)), RS_ENOENT);
    json_object_put(cfg);
}
