/*
 * lambda_docker_config.c: what the docker executor asks the engine to create for one
 * environment (POST /containers/create): the runtime image running bootstrap.py, the code
 * at /var/task and the runtime at /var/runtime (both read-only), a writable /tmp and log
 * dir (binds of per-environment host dirs), and the confinement of a shared box: memory =
 * MemorySize with no swap, CPU in proportion to memory (Lambda's 1 vCPU at 1769 MB; as a
 * weight, a hard cap or not at all: lambda_cpu), every
 * capability dropped, no-new-privileges, a read-only root file system, not privileged,
 * at most 1024 processes and threads (Lambda's quota, a pids cgroup). No Ulimits: podman
 * 4.3 then drops its configured default_ulimits and asks for nproc 1048576, which a root
 * without CAP_SYS_RESOURCE cannot set (shared/reference/containers.md); and an nproc
 * rlimit would count every process of the (unmapped) root user. On a bridge network, the host
 * reached by the name "ruststack".
 * Runs in: the lambda supervisor (pool threads).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lambda/lambda_docker_config.h"

#define LOG_MOUNT "/var/rslog"
#define MB_PER_VCPU 1769

long long rs_lambda_nano_cpus(unsigned memory_mb)
{
    return (long long)memory_mb * 1000000000LL / MB_PER_VCPU;
}

long long rs_lambda_cpu_shares(unsigned memory_mb)
{
    long long w = (long long)memory_mb * 1024 / MB_PER_VCPU;
    return w < 2 ? 2 : (w > 262144 ? 262144 : w);
}

rs_lcpu_t rs_lambda_cpu_mode(const char *v)
{
    if (strcmp(v, "quota") == 0)
        return RS_LCPU_QUOTA;
    return strcmp(v, "off") == 0 ? RS_LCPU_OFF : RS_LCPU_SHARES;
}

/* within 1 %: CpuQuota is whole microseconds, cgroup v2 maps shares to weights and back */
static int near(long long got, long long want)
{
    return got > 0 && got >= want - want / 100 - 1 && got <= want + want / 100 + 1;
}

int rs_lambda_docker_limits_applied(const rs_docker_state_t *st, unsigned memory_mb, rs_lcpu_t cpu,
                                    char *why, size_t whylen)
{
    int64_t mem = (int64_t)memory_mb * 1048576;
    size_t n = 0;
    why[0] = '\0';
    if (st->memory != mem)
        n += (size_t)snprintf(why + n, whylen - n, "memory %lld bytes (asked %lld); ",
                              (long long)st->memory, (long long)mem);
    if (cpu == RS_LCPU_QUOTA) {
        long long want = rs_lambda_nano_cpus(memory_mb), got = st->nano_cpus;
        if (got == 0 && st->cpu_quota > 0 && st->cpu_period > 0)
            got = st->cpu_quota * 1000000000LL / st->cpu_period;
        if (n < whylen && !near(got, want))
            n += (size_t)snprintf(why + n, whylen - n, "cpu %lld nano-CPUs (asked %lld); ", got,
                                  want);
    } else if (cpu == RS_LCPU_SHARES) {
        long long want = rs_lambda_cpu_shares(memory_mb);
        if (n < whylen && !near(st->cpu_shares, want))
            n += (size_t)snprintf(why + n, whylen - n, "cpu shares %lld (asked %lld); ",
                                  (long long)st->cpu_shares, want);
    }
    if (n < whylen && !st->readonly_rootfs)
        n += (size_t)snprintf(why + n, whylen - n, "root file system writable; ");
    if (n >= 2 && n < whylen)
        why[n - 2] = '\0';
    return n == 0;
}

static json_object *str_array(char *const *v)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && v[i]; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static json_object *host_config(const rs_ldocker_opts_t *o, const rs_lexec_spec_t *spec)
{
    json_object *hc = json_object_new_object();
    if (!hc)
        return NULL;
    char bind[4][1300];
    snprintf(bind[0], sizeof(bind[0]), "%s:/var/task:ro", spec->fn->code_dir);
    snprintf(bind[1], sizeof(bind[1]), "%s:/var/runtime:ro", o->runtime_path);
    snprintf(bind[2], sizeof(bind[2]), "%s:/tmp", spec->tmp_dir);
    snprintf(bind[3], sizeof(bind[3]), "%s/log:" LOG_MOUNT, spec->env_dir);
    char *binds[] = {bind[0], bind[1], bind[2], bind[3], NULL};
    char *caps[] = {"ALL", NULL};
    char *secopt[] = {"no-new-privileges", NULL};
    int64_t mem = (int64_t)spec->fn->memory_mb * 1048576;
    json_object_object_add(hc, "NetworkMode", json_object_new_string(o->network_mode));
    if (o->extra_host) {
        char *hosts[] = {(char *)o->extra_host, NULL};
        json_object_object_add(hc, "ExtraHosts", str_array(hosts));
    }
    json_object_object_add(hc, "Binds", str_array(binds));
    json_object_object_add(hc, "Memory", json_object_new_int64(mem));
    json_object_object_add(hc, "MemorySwap", json_object_new_int64(mem)); /* = Memory: no swap */
    if (o->cpu == RS_LCPU_QUOTA)
        json_object_object_add(hc, "NanoCpus",
                               json_object_new_int64(rs_lambda_nano_cpus(spec->fn->memory_mb)));
    else if (o->cpu == RS_LCPU_SHARES)
        json_object_object_add(hc, "CpuShares",
                               json_object_new_int64(rs_lambda_cpu_shares(spec->fn->memory_mb)));
    json_object_object_add(hc, "PidsLimit", json_object_new_int64(1024));
    json_object_object_add(hc, "CapDrop", str_array(caps));
    json_object_object_add(hc, "SecurityOpt", str_array(secopt));
    json_object_object_add(hc, "ReadonlyRootfs", json_object_new_boolean(1));
    json_object_object_add(hc, "Privileged", json_object_new_boolean(0));
    return hc;
}

json_object *rs_lambda_docker_config(const rs_ldocker_opts_t *o, const rs_lexec_spec_t *spec)
{
    json_object *c = json_object_new_object();
    if (!c)
        return NULL;
    char *entry[] = {"/bin/sh", NULL};
    /* -S: no site module (bootstrap.py puts site-packages on sys.path itself) */
    char *cmd[] = {
        "-c", "exec python3 -S /var/runtime/bootstrap.py >>" LOG_MOUNT "/output.log 2>&1", NULL};
    json_object_object_add(c, "Image", json_object_new_string(o->image));
    json_object_object_add(c, "Entrypoint", str_array(entry));
    json_object_object_add(c, "Cmd", str_array(cmd));
    json_object_object_add(c, "Env", str_array(spec->envp));
    json_object_object_add(c, "WorkingDir", json_object_new_string("/var/task"));
    json_object *labels = json_object_new_object();
    json_object_object_add(labels, "io.ruststack.instance", json_object_new_string(o->instance));
    json_object_object_add(labels, "io.ruststack.function", json_object_new_string(spec->fn->arn));
    json_object_object_add(c, "Labels", labels);
    json_object *hc = host_config(o, spec);
    if (!hc) {
        json_object_put(c);
        return NULL;
    }
    json_object_object_add(c, "HostConfig", hc);
    return c;
}
