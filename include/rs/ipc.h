/*
 * ipc.h: the framed protocol between workers and supervisors over Unix-domain stream
 * sockets (one persistent connection per worker and supervisor), and blocking frame I/O
 * helpers for supervisors. Runs in: workers (non-blocking client in src/http/) and
 * supervisors (blocking server side).
 *
 * A frame is a fixed header (host byte order: both ends are on one machine and built
 * together) followed by `meta_len` bytes of JSON metadata and `body_len` raw body bytes.
 * Requests and responses are matched by `id` (chosen by the worker, unique per
 * connection); responses may come back in any order. The meta of each message kind is a
 * struct below with one codec (src/ipc/msg.c); every member is a JSON string unless
 * noted, "" when absent.
 */
#ifndef RS_IPC_H
#define RS_IPC_H

#include <stddef.h>
#include <stdint.h>

#define RS_IPC_MAGIC 0x50495352u /* "RSIP" */
#define RS_IPC_VERSION 1
#define RS_IPC_MAX_META (64u * 1024)
#define RS_IPC_MAX_BODY (96u * 1024 * 1024) /* CreateFunction: 70167211 bytes */

enum { RS_IPC_REQUEST = 1, RS_IPC_RESPONSE = 2, RS_IPC_PING = 3, RS_IPC_PONG = 4 };

typedef struct rs_ipc_hdr {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint64_t id;
    uint32_t meta_len;
    uint32_t body_len;
} rs_ipc_hdr_t;

_Static_assert(sizeof(rs_ipc_hdr_t) == 24, "rs_ipc_hdr_t is part of the IPC ABI");

/* Validate a received header: 0, or RS_EINVAL (bad magic/version/type/sizes). */
int rs_ipc_hdr_check(const rs_ipc_hdr_t *h);
/* Fill a header. */
void rs_ipc_hdr_init(rs_ipc_hdr_t *h, int type, uint64_t id, size_t meta_len, size_t body_len);

/* Blocking helpers (supervisors): write a whole frame (retrying on EINTR and partial
 * writes; on a non-blocking fd waiting until the monotonic deadline, < 0: none), read a
 * whole frame into malloc'd NUL-terminated buffers (header, then meta and body with one
 * readv). Return 0, RS_EINVAL (bad frame), or RS_ERR with errno set (I/O error / EOF:
 * errno 0). */
int rs_ipc_write_frame(int fd, int type, uint64_t id, const char *meta, size_t meta_len,
                       const void *body, size_t body_len, int64_t deadline_ms);
int rs_ipc_read_frame(int fd, rs_ipc_hdr_t *h, char **meta, void **body);

/* ---- message meta (src/ipc/msg.c) ---------------------------------------------------
 * Request encoders write the JSON text into buf like snprintf: at most cap bytes,
 * NUL-terminated when cap > 0, and return the text's length (call with cap 0 to size the
 * buffer, then with length + 1; a worker writes straight into its request pool). The
 * response encoder returns the text malloc'd (*len its length) or NULL (out of memory).
 * Decoders parse `len` bytes into *root (the caller releases it with json_object_put; the
 * struct's strings and objects point into it) and return 0, or RS_EINVAL when the meta is
 * not a JSON object or a required member is missing (*root may still be set: the
 * request_id is then valid for the error answer). */

struct json_object;
struct rs_hdr;

/* REQUEST to the ddb supervisor; body = the HTTP request body. */
typedef struct rs_ipc_ddb_req {
    const char *target;       /* required: X-Amz-Target, "DynamoDB_20120810.PutItem" */
    const char *account;      /* required: the caller's account id */
    const char *region;       /* required */
    const char *request_id;   /* x-amzn-RequestId of the answer */
    const char *content_type; /* of the HTTP request */
    const char *access_key;   /* the signing access key */
} rs_ipc_ddb_req_t;

/* The account-scoped reset (POST /_ruststack/reset?account=...) asks each supervisor with
 * an ordinary request frame: to the ddb supervisor target RS_IPC_DDB_RESET_TARGET (empty
 * body), to the lambda supervisor service RS_IPC_LAMBDA_RESET_SERVICE; `account` names the
 * account. Each answers 200 with JSON saying what it dropped. */
#define RS_IPC_DDB_RESET_TARGET "RustStack.ResetAccount"
#define RS_IPC_LAMBDA_RESET_SERVICE "reset"

/* REQUEST to the lambda supervisor; body = the HTTP request body (Code.S3Bucket/S3Key
 * already replaced by ZipFile). */
typedef struct rs_ipc_lambda_req {
    const char *method;          /* required: "POST" */
    const char *path;            /* required: raw, still percent-encoded, no query */
    const char *query;           /* raw, "" when none */
    struct json_object *headers; /* object {lower-case name: value}: x-amz-* and
                                    content-type only (NULL: none) */
    const char *account;         /* required */
    const char *region;          /* required */
    const char *request_id;      /* the answer's x-amzn-RequestId (a UUID) */
    const char *log_id;          /* the worker's request id, for log lines */
    const char *access_key;
    const char *service; /* "lambda" (also when absent), "apigateway" (the API Gateway
                            control planes), "gateway" (a request to an invoke URL:
                            method/path/query as the client sent them) */
    /* "gateway" only: */
    const struct rs_hdr *hdrs; /* encode: every header of the request, in order */
    size_t nhdrs;
    struct json_object *header_list; /* decode: the same as an array of [name, value] */
    const char *host;                /* the Host the client used (with its port) */
    const char *source_ip;           /* the client's address */
    int port;                        /* the listening port */
    int signed_ok; /* the request's SigV4 signature verified (always 1 when auth_verify is
                      off): what a function URL with AuthType AWS_IAM requires */
} rs_ipc_lambda_req_t;

/* RESPONSE from either supervisor; body = the HTTP response body. */
typedef struct rs_ipc_resp {
    int status;                  /* required: the HTTP status, 100..599 (a JSON number) */
    struct json_object *headers; /* object {name: value} (NULL: none) */
} rs_ipc_resp_t;

size_t rs_ipc_ddb_req_encode(const rs_ipc_ddb_req_t *r, char *buf, size_t cap);
/* The ddb request meta is a flat object of string members (what the encoder writes): it
 * is read in place without json-c: the strings are unescaped inside meta (which must be
 * writable and outlive r). RS_EINVAL when it is not that shape or a required member is
 * missing (request_id is then set when it was read, "" otherwise). */
int rs_ipc_ddb_req_decode(char *meta, size_t len, rs_ipc_ddb_req_t *r);
size_t rs_ipc_lambda_req_encode(const rs_ipc_lambda_req_t *r, char *buf, size_t cap);
int rs_ipc_lambda_req_decode(const char *meta, size_t len, struct json_object **root,
                             rs_ipc_lambda_req_t *r);
char *rs_ipc_resp_encode(const rs_ipc_resp_t *r, size_t *len);
/* The same text for headers given as nkv name/value pairs (kv[2i], kv[2i+1]), written
 * into buf like the request encoders (snprintf-style: the text's length, NUL-terminated
 * when cap > 0): the ddb supervisor's per-request answer builds no json objects. */
size_t rs_ipc_resp_encode_kv(int status, const char *const *kv, size_t nkv, char *buf, size_t cap);
/* Also RS_EINVAL (and *root NULL) for a status out of range or headers not an object. */
int rs_ipc_resp_decode(const char *meta, size_t len, struct json_object **root, rs_ipc_resp_t *r);
/* The fast path of a response meta in the shape rs_ipc_resp_encode_kv writes
 * ({"status":N,"headers":{"name":"value",...}}, members in any order, headers optional):
 * read in place without json-c (strings unescaped inside meta, which must be writable;
 * the headers point into it). RS_EINVAL for any other shape (a header repeated as an
 * array, more than max headers, ...): the caller then uses rs_ipc_resp_decode, which
 * judges the meta. */
int rs_ipc_resp_decode_flat(char *meta, size_t len, int *status, struct rs_hdr *hdrs, size_t max,
                            size_t *nhdrs);

/* The file in runtime_dir where the lambda supervisor publishes the custom domain names
 * of API Gateway (one lower-case name per line) for the workers' router. */
#define RS_GW_HOSTS_FILE "gateway-hosts"

/* Path of a supervisor's socket: <runtime_dir>/<name>.sock (name "ddb" or "lambda"). */
void rs_ipc_socket_path(const char *runtime_dir, const char *name, char *out, size_t outlen);

/* ---- supervisor side: the listening socket and its worker connections (src/ipc/server.c)
 *
 * One epoll set holds the listener and every worker connection, each armed one-shot; a
 * fixed pool of `threads` handler threads waits on it. The thread woken for a connection
 * reads exactly one frame, re-arms the connection (so the next frame on it is read by
 * another thread at once) and then handles the frame itself: no queue, no second thread
 * hop. Frames of one connection are therefore handled in parallel and answered in any
 * order (matched by id). At most `threads` frames are handled at once; further frames
 * wait in the socket (the worker's client bounds its queue and times calls out). */

typedef struct rs_ipc_conn rs_ipc_conn_t;
typedef struct rs_ipc_server rs_ipc_server_t;

/* Called in a handler thread for every request frame; takes ownership of meta and body
 * (malloc'd, NUL-terminated, body never NULL). The connection stays valid during the call;
 * to answer after returning, take a reference (rs_ipc_conn_ref) first. */
typedef void (*rs_ipc_request_fn)(rs_ipc_conn_t *conn, uint64_t id, char *meta, void *body,
                                  size_t body_len, void *arg);

typedef struct rs_ipc_server_conf {
    const char *runtime_dir; /* made 0700 when missing */
    const char *name;        /* socket <runtime_dir>/<name>.sock (0600), log lines */
    unsigned threads;        /* handler threads (0: 8) */
    size_t stack;            /* their stack size (0: the default) */
    rs_ipc_request_fn fn;
    void *arg;
} rs_ipc_server_conf_t;

/* Listen (a stale socket file replaced) and start the handler threads. PING frames get
 * PONG. 0 and *out (when out is not NULL), or RS_ERR with errno (why in the log). */
int rs_ipc_server_start(const rs_ipc_server_conf_t *sc, rs_ipc_server_t **out);
/* Stop accepting and remove the socket file (the process is about to exit: the threads
 * and connections are left to it). */
void rs_ipc_server_close(rs_ipc_server_t *s);

void rs_ipc_conn_ref(rs_ipc_conn_t *c);
void rs_ipc_conn_put(rs_ipc_conn_t *c);
/* Send a response frame (thread-safe: one frame at a time per connection). A connection
 * whose worker went away gives RS_ERR, which callers may ignore. */
int rs_ipc_conn_reply(rs_ipc_conn_t *c, uint64_t id, const char *meta, size_t meta_len,
                      const void *body, size_t body_len);

#endif
