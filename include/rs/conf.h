/*
 * conf.h: the server configuration: one table of options (name, type, range, default,
 * reloadable flag), a `key = value` file parser that reports file:line, command-line
 * overrides, and the reload merge. Runs in: master (parse, reload), workers (read the
 * copy they inherited at fork).
 */
#ifndef RS_CONF_H
#define RS_CONF_H

#include <stddef.h>
#include <stdint.h>

#define RS_CONF_MAX_CREDS 64
#define RS_CONF_MAX_WORKERS 256

typedef struct rs_conf_cred {
    char access_key[129];
    char secret_key[129];
    char account[13];
} rs_conf_cred_t;

typedef struct rs_conf {
    char bind[64];
    uint32_t port;
    uint32_t workers; /* after rs_conf_finalize: >= 1 (0 in the file = cores) */
    char hostname[254];
    char default_region[32];
    char default_account[13];
    int auth_verify;
    rs_conf_cred_t creds[RS_CONF_MAX_CREDS];
    uint32_t ncreds;
    int creds_are_default; /* internal: the first `credentials` line replaces the default */
    uint64_t s3_capacity;
    uint32_t s3_max_objects;
    uint32_t s3_max_buckets;
    uint64_t s3_max_object_size;
    uint32_t s3_shards;
    uint32_t s3_max_uploads; /* multipart uploads in progress at once (upload table) */
    int log_level;
    char log_file[1024];
    int access_log;
    char shm_name[64];            /* after rs_conf_finalize: never empty */
    uint32_t shutdown_timeout;    /* seconds a graceful stop may take before SIGKILL */
    uint32_t request_timeout;     /* seconds a client may take to send one request */
    uint32_t watchdog_worker;     /* seconds without a heartbeat before a worker is killed; 0 off */
    uint32_t watchdog_supervisor; /* the same for a supervisor */
    char runtime_dir[256];        /* supervisor sockets; after finalize: never empty */
    int dynamodb;                 /* run the DynamoDB supervisor */
    char dynamodb_local_dir[1024];      /* DynamoDBLocal.jar, DynamoDBLocal_lib/ */
    char java[1024];                    /* the java binary (PATH lookup when no '/') */
    uint32_t dynamodb_start_timeout;    /* seconds until DynamoDB Local must answer */
    uint32_t dynamodb_request_timeout;  /* seconds one forwarded request may take */
    char data_dir[1024];                /* "" = in memory; else persistent: <data_dir>/s3,
                                           <data_dir>/dynamodb, <data_dir>/lambda */
    int lambda;                         /* run the lambda supervisor */
    char s3_durability[16];             /* "always", "interval" or "stop" (data_dir) */
    char lambda_executor[16];           /* "docker" or "process" */
    char docker_socket[256];            /* Docker Engine API Unix socket (docker or podman) */
    char lambda_image[256];             /* image the docker executor runs */
    char lambda_network[64];            /* "host" (containers share the host's network) or
                                           "bridge" (lambda_bridge_network, see README) */
    char lambda_bridge_network[64];     /* the engine network of "bridge" (default ruststack) */
    char lambda_cpu[16];                /* docker executor's CPU limit from MemorySize:
                                           "shares" (a weight), "quota" (Lambda's hard cap)
                                           or "off" (see README) */
    char lambda_python[1024];           /* python binary of the process executor */
    char lambda_runtime_path[1024];     /* directory holding bootstrap.py */
    char lambda_endpoint_url[256];      /* AWS_ENDPOINT_URL given to functions ("" = derived) */
    char lambda_hot_reload_roots[4096]; /* comma-separated dirs hot-reload code may live under */
    uint32_t lambda_max_concurrency;    /* execution environments per function */
    uint32_t lambda_idle_timeout;       /* seconds before an idle environment is reaped */
    uint32_t lambda_standby;       /* pre-started standby environments per executor (0: none) */
    uint32_t lambda_start_timeout; /* seconds an environment may take to reach /next */
    /* per-account quotas for a shared box, 0 = unlimited */
    uint32_t quota_s3_objects;        /* objects of one account (all its buckets) */
    uint64_t quota_s3_bytes;          /* object bytes of one account */
    uint32_t quota_dynamodb_tables;   /* tables of one account in one region */
    uint32_t quota_lambda_functions;  /* functions of one account in one region */
    uint64_t quota_lambda_code_bytes; /* zip bytes of one account's functions in one region */
} rs_conf_t;

/* Every option to its default. */
void rs_conf_defaults(rs_conf_t *c);

/* Parse `key = value` lines ('#' comments, blank lines) over the current values.
 * On error returns RS_EINVAL with "file:line: why" in err. */
int rs_conf_parse(rs_conf_t *c, const char *text, size_t len, const char *fname, char *err,
                  size_t errlen);
/* Read and parse a file (RS_ERR with the errno text when it cannot be read). */
int rs_conf_load_file(rs_conf_t *c, const char *path, char *err, size_t errlen);

/* Set one option by name (command-line overrides use the same setters). */
int rs_conf_set(rs_conf_t *c, const char *key, const char *value, char *err, size_t errlen);

/* Cross-option checks and derived values (workers 0 -> cores, shm_name default). */
int rs_conf_finalize(rs_conf_t *c, char *err, size_t errlen);

/* Defaults, then the file (when path is non-NULL), then `nkv` key/value overrides
 * (kv[2i] = key, kv[2i+1] = value: the command line), then rs_conf_finalize. */
int rs_conf_build(rs_conf_t *c, const char *path, const char *const *kv, size_t nkv, char *err,
                  size_t errlen);

/* Reload: copy every restart-only option from `old` into `nc` when it differs and list
 * the names of those options in `changed` (comma-separated, "" when none). */
void rs_conf_keep_restart_only(const rs_conf_t *old, rs_conf_t *nc, char *changed,
                               size_t changed_len);

/* Parse sizes like "1g", "256m", "4096", "64k" (binary units). 0 or RS_EINVAL. */
int rs_conf_parse_size(const char *s, uint64_t *out);
/* The s3_durability value as RS_DUR_* of rs/store.h (0 stop, 1 interval, 2 always), -1 if
 * it is none of them. */
int rs_conf_durability(const char *v);

/* Number of options in the table and the name/reloadable flag of each (for tests/docs). */
size_t rs_conf_option_count(void);
const char *rs_conf_option_name(size_t i, int *reloadable);

#endif
