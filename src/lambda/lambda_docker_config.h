/*
 * lambda_docker_config.h: the body of the engine's container create call for one Lambda
 * execution environment (lambda_docker_config.c), apart from the executor so that unit
 * tests read exactly what the engine is sent.
 * Runs in: the lambda supervisor (pool threads).
 */
#ifndef RS_LAMBDA_DOCKER_CONFIG_H
#define RS_LAMBDA_DOCKER_CONFIG_H

#include <json-c/json.h>

#include "lambda/lambda_exec.h"
#include "rs/docker.h"

/* lambda_cpu: how MemorySize limits a container's CPU */
typedef enum rs_lcpu {
    RS_LCPU_SHARES, /* CpuShares in proportion to memory: a weight under contention only */
    RS_LCPU_QUOTA,  /* NanoCpus: Lambda's hard cap, one vCPU at 1769 MB */
    RS_LCPU_OFF     /* no CPU limit */
} rs_lcpu_t;

/* the mode a valid lambda_cpu value names (conf.c checked it) */
rs_lcpu_t rs_lambda_cpu_mode(const char *v);

typedef struct rs_ldocker_opts {
    const char *image;
    const char *network_mode; /* "host" or the bridge network's name */
    const char *extra_host;   /* "ruststack:<gateway>" on a bridge, else NULL */
    const char *instance;     /* io.ruststack.instance label */
    const char *runtime_path; /* host dir of bootstrap.py, mounted at /var/runtime */
    rs_lcpu_t cpu;            /* lambda_cpu */
} rs_ldocker_opts_t;

/* CPU share of a function the way Lambda gives it: one vCPU at 1769 MB, proportionally
 * below and above; in nano-CPUs (HostConfig.NanoCpus). */
long long rs_lambda_nano_cpus(unsigned memory_mb);

/* The same proportion as a weight (HostConfig.CpuShares): 1024, the engine's default
 * weight, at 1769 MB; clamped to the kernel's 2..262144. */
long long rs_lambda_cpu_shares(unsigned memory_mb);

/* Did the engine apply the limits asked for memory_mb (from its inspect answer)? 1 yes;
 * 0 no, with what is missing in why. Engines that ignore limits (no cgroup controller,
 * rootless without delegation) accept the create call and answer 0 here. */
int rs_lambda_docker_limits_applied(const rs_docker_state_t *st, unsigned memory_mb, rs_lcpu_t cpu,
                                    char *why, size_t whylen);

/* A new json-c object (the caller puts it), NULL when out of memory. */
json_object *rs_lambda_docker_config(const rs_ldocker_opts_t *o, const rs_lexec_spec_t *spec);

#endif
