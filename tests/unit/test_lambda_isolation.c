/*
 * test_lambda_isolation.c: what confines a Lambda environment, apart from a real engine:
 * the container create body (limits from MemorySize, capabilities, read-only root, binds,
 * bridge extra host), the CPU share formula, the bridge network lookup/creation against a
 * fake engine (exists, missing, created meanwhile by another instance, no gateway), and
 * the gateway-to-server TCP relay (both directions, half close, stop with a live
 * connection). Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lambda/lambda_docker_config.h"
#include "lambda/lambda_fwd.h"
#include "lambda/lambda_int.h"
#include "rs/docker.h"
#include "rs/err.h"
#include "rs/os.h"
#include "fake_engine.h"

/* ---- the create body ---------------------------------------------------------------- */

static json_object *get(json_object *o, const char *k)
{
    json_object *v = NULL;
    cr_assert(json_object_object_get_ex(o, k, &v), "no %s in %s", k, json_object_to_json_string(o));
    return v;
}

static int has_string(json_object *arr, const char *s)
{
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
            return 1;
    return 0;
}

static json_object *config_cpu(unsigned memory_mb, const char *extra_host, rs_lcpu_t cpu,
                               rs_lambda_fn_t *fn)
{
    memset(fn, 0, sizeof(*fn));
    fn->memory_mb = memory_mb;
    snprintf(fn->code_dir, sizeof(fn->code_dir), "/state/code/abc");
    snprintf(fn->arn, sizeof(fn->arn), "arn:aws:lambda:us-east-1:000000000000:function:f");
    static char *envp[] = {"A=1", "AWS_LAMBDA_RUNTIME_API=10.89.0.1:4000", NULL};
    rs_lexec_spec_t spec = {.fn = fn,
                            .envp = envp,
                            .env_dir = "/state/envs/f/slot0",
                            .log_path = "/state/envs/f/slot0/log/output.log",
                            .tmp_dir = "/state/envs/f/slot0/tmp"};
    rs_ldocker_opts_t o = {.image = "localhost/img:1",
                           .network_mode = extra_host ? "ruststack" : "host",
                           .extra_host = extra_host,
                           .instance = "/rs-x",
                           .runtime_path = "/usr/share/ruststack/runtime",
                           .cpu = cpu};
    json_object *c = rs_lambda_docker_config(&o, &spec);
    cr_assert_not_null(c);
    return c;
}

static json_object *config_for(unsigned memory_mb, const char *extra_host, rs_lambda_fn_t *fn)
{
    return config_cpu(memory_mb, extra_host, RS_LCPU_QUOTA, fn);
}

Test(lambda_isolation, create_body_confines_the_container)
{
    rs_lambda_fn_t fn;
    json_object *c = config_for(256, "ruststack:10.89.0.1", &fn);
    json_object *hc = get(c, "HostConfig");
    cr_assert_str_eq(json_object_get_string(get(c, "Image")), "localhost/img:1");
    cr_assert_eq(json_object_get_int64(get(hc, "Memory")), 256LL * 1048576);
    cr_assert_eq(json_object_get_int64(get(hc, "MemorySwap")), 256LL * 1048576);
    cr_assert_eq(json_object_get_int64(get(hc, "NanoCpus")), 256LL * 1000000000 / 1769);
    cr_assert_eq(json_object_get_int64(get(hc, "PidsLimit")), 1024);
    json_object *caps = get(hc, "CapDrop");
    cr_assert_eq(json_object_array_length(caps), 1);
    cr_assert(has_string(caps, "ALL"));
    cr_assert(has_string(get(hc, "SecurityOpt"), "no-new-privileges"));
    cr_assert(json_object_get_boolean(get(hc, "ReadonlyRootfs")));
    cr_assert_not(json_object_get_boolean(get(hc, "Privileged")));
    cr_assert_not(json_object_object_get_ex(hc, "Ulimits", NULL), "Ulimits makes podman 4.3 "
                                                                  "ask for nproc 1048576");
    json_object *binds = get(hc, "Binds");
    cr_assert(has_string(binds, "/state/code/abc:/var/task:ro"));
    cr_assert(has_string(binds, "/usr/share/ruststack/runtime:/var/runtime:ro"));
    cr_assert(has_string(binds, "/state/envs/f/slot0/tmp:/tmp"));
    cr_assert(has_string(binds, "/state/envs/f/slot0/log:/var/rslog"));
    cr_assert_str_eq(json_object_get_string(get(hc, "NetworkMode")), "ruststack");
    json_object *hosts = get(hc, "ExtraHosts");
    cr_assert_eq(json_object_array_length(hosts), 1);
    cr_assert(has_string(hosts, "ruststack:10.89.0.1"));
    cr_assert(has_string(get(c, "Env"), "AWS_LAMBDA_RUNTIME_API=10.89.0.1:4000"));
    json_object *labels = get(c, "Labels");
    cr_assert_str_eq(json_object_get_string(get(labels, "io.ruststack.instance")), "/rs-x");
    cr_assert_str_eq(json_object_get_string(get(labels, "io.ruststack.function")), fn.arn);
    json_object_put(c);
}

Test(lambda_isolation, host_network_has_no_extra_host)
{
    rs_lambda_fn_t fn;
    json_object *c = config_for(10240, NULL, &fn);
    json_object *hc = get(c, "HostConfig");
    cr_assert_str_eq(json_object_get_string(get(hc, "NetworkMode")), "host");
    cr_assert_not(json_object_object_get_ex(hc, "ExtraHosts", NULL));
    cr_assert_eq(json_object_get_int64(get(hc, "Memory")), 10240LL * 1048576);
    json_object_put(c);
}

/* lambda_cpu: a weight (the default), Lambda's hard cap, or nothing */
Test(lambda_isolation, cpu_mode_picks_the_engine_field)
{
    rs_lambda_fn_t fn;
    cr_assert_eq(rs_lambda_cpu_mode("shares"), RS_LCPU_SHARES);
    cr_assert_eq(rs_lambda_cpu_mode("quota"), RS_LCPU_QUOTA);
    cr_assert_eq(rs_lambda_cpu_mode("off"), RS_LCPU_OFF);
    json_object *c = config_cpu(128, NULL, RS_LCPU_SHARES, &fn);
    json_object *hc = get(c, "HostConfig");
    cr_assert_eq(json_object_get_int64(get(hc, "CpuShares")), 74);
    cr_assert_not(json_object_object_get_ex(hc, "NanoCpus", NULL));
    json_object_put(c);
    c = config_cpu(128, NULL, RS_LCPU_QUOTA, &fn);
    hc = get(c, "HostConfig");
    cr_assert_eq(json_object_get_int64(get(hc, "NanoCpus")), 72357263LL);
    cr_assert_not(json_object_object_get_ex(hc, "CpuShares", NULL));
    json_object_put(c);
    c = config_cpu(128, NULL, RS_LCPU_OFF, &fn);
    hc = get(c, "HostConfig");
    cr_assert_not(json_object_object_get_ex(hc, "CpuShares", NULL));
    cr_assert_not(json_object_object_get_ex(hc, "NanoCpus", NULL));
    cr_assert_eq(json_object_get_int64(get(hc, "Memory")), 128LL * 1048576);
    json_object_put(c);
    cr_assert_eq(rs_lambda_cpu_shares(1769), 1024);
    cr_assert_eq(rs_lambda_cpu_shares(10240), 5927);
    cr_assert_eq(rs_lambda_cpu_shares(1), 2);
}

Test(lambda_isolation, cpu_share_follows_memory)
{
    cr_assert_eq(rs_lambda_nano_cpus(1769), 1000000000LL);
    cr_assert_eq(rs_lambda_nano_cpus(3538), 2000000000LL);
    cr_assert_eq(rs_lambda_nano_cpus(128), 72357263LL);
    cr_assert_eq(rs_lambda_nano_cpus(10240), 5788581119LL);
}

/* ---- the bridge network against a fake engine --------------------------------------- */

#define MAX_STEPS 4

typedef struct script {
    rs_fake_engine_t eng;
    const char *answers[MAX_STEPS]; /* one per connection, in order */
    int n;
    char reqs[MAX_STEPS][2048]; /* what the client sent on each */
    int served;
} script_t;

static script_t sc;
static rs_docker_t dk;

static void *serve_script(void *arg)
{
    (void)arg;
    for (int i = 0; i < sc.n; i++) {
        int fd = accept(sc.eng.lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        size_t len = 0;
        for (;;) {
            ssize_t r = read(fd, sc.reqs[i] + len, sizeof(sc.reqs[i]) - 1 - len);
            if (r <= 0)
                break;
            len += (size_t)r;
            sc.reqs[i][len] = '\0';
            char *end = strstr(sc.reqs[i], "\r\n\r\n");
            char *cl = strcasestr(sc.reqs[i], "\r\nContent-Length:");
            if (end && (!cl || len >= (size_t)(end + 4 - sc.reqs[i]) + strtoul(cl + 17, NULL, 10)))
                break;
        }
        send(fd, sc.answers[i], strlen(sc.answers[i]), MSG_NOSIGNAL);
        close(fd);
        sc.served++;
    }
    return NULL;
}

static char answer_buf[MAX_STEPS][1024];

static const char *http(int i, int status, const char *body)
{
    snprintf(answer_buf[i], sizeof(answer_buf[i]),
             "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             status, strlen(body), body);
    return answer_buf[i];
}

#define NET_OK                                                                                     \
    "{\"Name\":\"ruststack\",\"Driver\":\"bridge\",\"IPAM\":{\"Config\":[{\"Subnet\":"             \
    "\"fd00::/64\",\"Gateway\":\"fd00::1\"},{\"Subnet\":\"10.89.0.0/24\",\"Gateway\":"             \
    "\"10.89.0.1\"}]}}"

static void run_script(int n)
{
    sc.n = n;
    rs_fake_engine_start(&sc.eng, 8, serve_script, NULL);
}

static void net_setup(void)
{
    memset(&sc, 0, sizeof(sc));
    rs_fake_engine_init(&sc.eng, "net", &dk);
}

static void net_teardown(void)
{
    rs_fake_engine_stop(&sc.eng);
}

TestSuite(lambda_net, .init = net_setup, .fini = net_teardown, .timeout = 20);

Test(lambda_net, existing_network_is_only_inspected)
{
    sc.answers[0] = http(0, 200, NET_OK);
    run_script(1);
    char gw[64], err[256];
    cr_assert_eq(rs_docker_network_ensure(&dk, "ruststack", "io.ruststack.network", gw, sizeof(gw),
                                          err, sizeof(err)),
                 0, "%s", err);
    cr_assert_str_eq(gw, "10.89.0.1"); /* the IPv4 one, not the first */
    cr_assert(strncmp(sc.reqs[0], "GET /v1.41/networks/ruststack ", 30) == 0, "%s", sc.reqs[0]);
}

Test(lambda_net, missing_network_is_created)
{
    sc.answers[0] = http(0, 404, "{\"message\":\"network not found\"}");
    sc.answers[1] = http(1, 201, "{\"Id\":\"abc\",\"Warning\":\"\"}");
    sc.answers[2] = http(2, 200, NET_OK);
    run_script(3);
    char gw[64], err[256];
    cr_assert_eq(rs_docker_network_ensure(&dk, "ruststack", "io.ruststack.network", gw, sizeof(gw),
                                          err, sizeof(err)),
                 0, "%s", err);
    cr_assert_str_eq(gw, "10.89.0.1");
    cr_assert(strncmp(sc.reqs[1], "POST /v1.41/networks/create ", 28) == 0, "%s", sc.reqs[1]);
    json_object *body = json_tokener_parse(strstr(sc.reqs[1], "\r\n\r\n") + 4);
    cr_assert_not_null(body);
    cr_assert_str_eq(json_object_get_string(get(body, "Name")), "ruststack");
    cr_assert_str_eq(json_object_get_string(get(body, "Driver")), "bridge");
    cr_assert_str_eq(json_object_get_string(get(get(body, "Labels"), "io.ruststack.network")), "1");
    json_object_put(body);
}

Test(lambda_net, created_meanwhile_by_another_instance)
{
    sc.answers[0] = http(0, 404, "{\"message\":\"network not found\"}");
    sc.answers[1] = http(1, 500,
                         "{\"cause\":\"network already exists\",\"message\":\"network name "
                         "ruststack already used: network already exists\",\"response\":500}");
    sc.answers[2] = http(2, 200, NET_OK);
    run_script(3);
    char gw[64], err[256];
    cr_assert_eq(rs_docker_network_ensure(&dk, "ruststack", NULL, gw, sizeof(gw), err, sizeof(err)),
                 0, "%s", err);
    cr_assert_str_eq(gw, "10.89.0.1");
}

Test(lambda_net, refusals_and_gatewayless_networks_are_errors)
{
    sc.answers[0] = http(0, 200, "{\"Name\":\"n\",\"IPAM\":{\"Config\":[]}}");
    sc.answers[1] = http(1, 404, "{\"message\":\"network not found\"}");
    sc.answers[2] = http(2, 500, "{\"cause\":\"permission denied\",\"message\":\"no netavark\"}");
    run_script(3);
    char gw[64], err[256];
    cr_assert_eq(rs_docker_network_ensure(&dk, "n", NULL, gw, sizeof(gw), err, sizeof(err)),
                 RS_EINVAL);
    cr_assert(strstr(err, "gateway") != NULL, "%s", err);
    cr_assert_eq(rs_docker_network_ensure(&dk, "n", NULL, gw, sizeof(gw), err, sizeof(err)),
                 RS_EIO);
    cr_assert(strstr(err, "no netavark") != NULL, "%s", err);
}

/* ---- the relay ---------------------------------------------------------------------- */

/* An echo server on 127.0.0.1 that upper-cases one message, then half-closes. */
static void *echo_main(void *arg)
{
    int lfd = *(int *)arg;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char buf[256];
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd, buf + n, sizeof(buf) - n)) > 0) /* until the client's half close */
        n += (size_t)r;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
    send(fd, buf, n, MSG_NOSIGNAL);
    close(fd);
    return NULL;
}

static int connect_to(const char *ip, uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect %s:%u", ip, port);
    return fd;
}

Test(lambda_isolation, relay_copies_both_ways_and_passes_half_close, .timeout = 20)
{
    uint16_t tport = 0;
    int lfd = rs_tcp_listen("127.0.0.1", 0, 4, 0, &tport);
    cr_assert_geq(lfd, 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, echo_main, &lfd), 0);
    uint16_t fport = rs_tcp_free_port();
    rs_lfwd_t *f = NULL;
    /* 127.0.0.2: another address of lo, as a gateway is another address of the host */
    cr_assert_eq(rs_lfwd_start("127.0.0.2", fport, "127.0.0.1", tport, &f), 0);
    int c = connect_to("127.0.0.2", fport);
    cr_assert_eq(send(c, "hello relay", 11, 0), 11);
    shutdown(c, SHUT_WR);
    char buf[64];
    size_t n = 0;
    ssize_t r;
    while ((r = read(c, buf + n, sizeof(buf) - n)) > 0)
        n += (size_t)r;
    cr_assert_eq(n, 11);
    cr_assert(memcmp(buf, "HELLO RELAY", 11) == 0);
    close(c);
    pthread_join(th, NULL);
    /* a connection left open is ended by stop */
    int c2 = connect_to("127.0.0.2", fport);
    rs_lfwd_stop(f);
    /* EOF once relayed, a reset while still in the backlog: ended either way */
    cr_assert_leq(read(c2, buf, sizeof(buf)), 0);
    close(c2);
    close(lfd);
}

/* A server that takes one connection and closes it at once (as h2o does at its idle
 * timeout). */
static void *close_main(void *arg)
{
    int fd = accept(*(int *)arg, NULL, NULL);
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* The server closed; the client keeps its socket (a pooled keep-alive connection in a warm
 * container): the relay must not hold its thread, slot and two fds until the client
 * closes, or one container holding connections starves every other of the relay. */
Test(lambda_isolation, relay_frees_a_connection_the_server_ended, .timeout = 30)
{
    uint16_t tport = 0;
    int lfd = rs_tcp_listen("127.0.0.1", 0, 4, 0, &tport);
    cr_assert_geq(lfd, 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, close_main, &lfd), 0);
    uint16_t fport = rs_tcp_free_port();
    rs_lfwd_t *f = NULL;
    cr_assert_eq(rs_lfwd_start("127.0.0.2", fport, "127.0.0.1", tport, &f), 0);
    int base = open_fds();
    int c = connect_to("127.0.0.2", fport);
    char buf[16];
    cr_assert_eq(read(c, buf, sizeof(buf)), 0, "the server's close reaches the client");
    pthread_join(th, NULL);
    int n = 0;
    for (int i = 0; i < 200 && (n = open_fds()) != base + 1; i++)
        usleep(50000);
    cr_assert_eq(n, base + 1, "only the client's fd is left (relay fds: %d)", n - base - 1);
    close(c);
    rs_lfwd_stop(f);
    close(lfd);
}

/* accept4 as the relay sees it: the real call, but the next one first fails with
 * `accept_fail_errno` when it is set (Linux passes a pending connection's network error,
 * ENETDOWN, EHOSTUNREACH..., or ENOBUFS, from accept). The relay is the only accept4 user
 * of this program. */
static _Atomic int accept_fail_errno;

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    int e = atomic_exchange(&accept_fail_errno, 0);
    if (e) {
        errno = e;
        return -1;
    }
    return (int)syscall(SYS_accept4, fd, addr, len, flags);
}

/* accept(2): such errors are to be retried; the relay must not stop for good on one. */
Test(lambda_isolation, relay_survives_a_transient_accept_error, .timeout = 20)
{
    uint16_t tport = 0;
    int lfd = rs_tcp_listen("127.0.0.1", 0, 4, 0, &tport);
    cr_assert_geq(lfd, 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, echo_main, &lfd), 0);
    uint16_t fport = rs_tcp_free_port();
    rs_lfwd_t *f = NULL;
    atomic_store(&accept_fail_errno, ENETDOWN);
    cr_assert_eq(rs_lfwd_start("127.0.0.2", fport, "127.0.0.1", tport, &f), 0);
    int c = connect_to("127.0.0.2", fport);
    struct timeval tv = {.tv_sec = 3};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    cr_assert_eq(send(c, "again", 5, 0), 5);
    shutdown(c, SHUT_WR);
    char buf[16];
    ssize_t n = read(c, buf, sizeof(buf));
    cr_assert_eq(n, 5, "relayed after the error (read %zd)", n);
    cr_assert(memcmp(buf, "AGAIN", 5) == 0);
    close(c);
    pthread_join(th, NULL);
    rs_lfwd_stop(f);
    close(lfd);
}

Test(lambda_isolation, relay_needs_a_valid_target)
{
    rs_lfwd_t *f = NULL;
    cr_assert_eq(rs_lfwd_start("127.0.0.2", rs_tcp_free_port(), "ruststack", 1, &f), RS_EINVAL);
    cr_assert_null(f);
}

Test(lambda_isolation, limits_applied_compares_the_engine_answer)
{
    char why[300];
    rs_docker_state_t st = {
        .memory = 256LL * 1048576, .nano_cpus = 256LL * 1000000000 / 1769, .readonly_rootfs = 1};
    rs_lcpu_t q = RS_LCPU_QUOTA;
    cr_assert(rs_lambda_docker_limits_applied(&st, 256, q, why, sizeof(why)), "%s", why);
    /* podman: NanoCpus 0 but CpuQuota/CpuPeriod 14471/100000 */
    st.nano_cpus = 0;
    st.cpu_quota = 14471;
    st.cpu_period = 100000;
    cr_assert(rs_lambda_docker_limits_applied(&st, 256, q, why, sizeof(why)), "%s", why);
    /* shares: the weight is compared, not the quota */
    cr_assert_not(rs_lambda_docker_limits_applied(&st, 256, RS_LCPU_SHARES, why, sizeof(why)));
    cr_assert(strstr(why, "cpu shares 0 (asked 148)"), "%s", why);
    st.cpu_shares = 148;
    cr_assert(rs_lambda_docker_limits_applied(&st, 256, RS_LCPU_SHARES, why, sizeof(why)), "%s",
              why);
    /* off: the CPU is not looked at */
    rs_docker_state_t memonly = {.memory = 256LL * 1048576, .readonly_rootfs = 1};
    cr_assert(rs_lambda_docker_limits_applied(&memonly, 256, RS_LCPU_OFF, why, sizeof(why)), "%s",
              why);
    /* an engine that accepted and ignored everything */
    rs_docker_state_t none = {0};
    cr_assert_not(rs_lambda_docker_limits_applied(&none, 256, q, why, sizeof(why)));
    cr_assert(strstr(why, "memory 0 bytes") && strstr(why, "cpu 0") && strstr(why, "writable"),
              "%s", why);
    st.memory = 0;
    cr_assert_not(rs_lambda_docker_limits_applied(&st, 256, q, why, sizeof(why)));
    cr_assert(strstr(why, "memory") && !strstr(why, "cpu"), "%s", why);
}
