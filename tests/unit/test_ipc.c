/*
 * test_ipc.c: the IPC frame helpers (src/ipc/frame.c): round trips over a socketpair,
 * frames larger than the socket buffer (partial writes and reads), header validation,
 * EOF and truncated frames, the socket path. Runs in: the test.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/http.h"
#include "rs/ipc.h"

static int sp[2];

static void setup(void)
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
}

static void teardown(void)
{
    close(sp[0]);
    close(sp[1]);
}

TestSuite(ipc, .init = setup, .fini = teardown);

Test(ipc, round_trip)
{
    const char *meta = "{\"target\":\"DynamoDB_20120810.ListTables\"}";
    cr_assert_eq(rs_ipc_write_frame(sp[0], RS_IPC_REQUEST, 42, meta, strlen(meta), "{}", 2, -1), 0);
    rs_ipc_hdr_t h;
    char *m;
    void *b;
    cr_assert_eq(rs_ipc_read_frame(sp[1], &h, &m, &b), 0);
    cr_assert_eq(h.type, RS_IPC_REQUEST);
    cr_assert_eq(h.id, 42);
    cr_assert_eq(h.meta_len, strlen(meta));
    cr_assert_eq(h.body_len, 2);
    cr_assert_str_eq(m, meta);
    cr_assert_eq(memcmp(b, "{}", 2), 0);
    free(m);
    free(b);
}

Test(ipc, empty_meta_and_body_and_order)
{
    for (uint64_t i = 1; i <= 3; i++)
        cr_assert_eq(rs_ipc_write_frame(sp[0], RS_IPC_PING, i, NULL, 0, NULL, 0, -1), 0);
    for (uint64_t i = 1; i <= 3; i++) {
        rs_ipc_hdr_t h;
        char *m;
        void *b;
        cr_assert_eq(rs_ipc_read_frame(sp[1], &h, &m, &b), 0);
        cr_assert_eq(h.type, RS_IPC_PING);
        cr_assert_eq(h.id, i);
        cr_assert_eq(h.meta_len, 0);
        cr_assert_str_eq(m, "");
        free(m);
        free(b);
    }
}

typedef struct big {
    int fd;
    size_t n;
    char *data;
    int rc;
} big_t;

static void *writer(void *arg)
{
    big_t *w = arg;
    w->rc =
        rs_ipc_write_frame(w->fd, RS_IPC_RESPONSE, 7, "{\"status\":200}", 14, w->data, w->n, -1);
    return NULL;
}

/* 4 MiB does not fit the socket buffer: the writer must loop over partial writes and
 * the reader over partial reads */
Test(ipc, large_frame_partial_io)
{
    big_t w = {.fd = sp[0], .n = 4u << 20};
    w.data = malloc(w.n);
    for (size_t i = 0; i < w.n; i++)
        w.data[i] = (char)(i * 131 + 7);
    int sz = 4096;
    setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    pthread_t t;
    pthread_create(&t, NULL, writer, &w);
    rs_ipc_hdr_t h;
    char *m;
    void *b;
    cr_assert_eq(rs_ipc_read_frame(sp[1], &h, &m, &b), 0);
    pthread_join(t, NULL);
    cr_assert_eq(w.rc, 0);
    cr_assert_eq(h.body_len, w.n);
    cr_assert_eq(memcmp(b, w.data, w.n), 0);
    cr_assert_str_eq(m, "{\"status\":200}");
    free(m);
    free(b);
    free(w.data);
}

Test(ipc, bad_magic_version_type)
{
    rs_ipc_hdr_t h;
    rs_ipc_hdr_init(&h, RS_IPC_REQUEST, 1, 0, 0);
    cr_assert_eq(rs_ipc_hdr_check(&h), 0);
    h.magic ^= 1;
    cr_assert_eq(rs_ipc_hdr_check(&h), RS_EINVAL);
    rs_ipc_hdr_init(&h, RS_IPC_REQUEST, 1, 0, 0);
    h.version = 9;
    cr_assert_eq(rs_ipc_hdr_check(&h), RS_EINVAL);
    rs_ipc_hdr_init(&h, 0, 1, 0, 0);
    cr_assert_eq(rs_ipc_hdr_check(&h), RS_EINVAL);
    rs_ipc_hdr_init(&h, RS_IPC_PONG + 1, 1, 0, 0);
    cr_assert_eq(rs_ipc_hdr_check(&h), RS_EINVAL);

    /* a garbage header on the wire is RS_EINVAL, not an I/O error */
    rs_ipc_hdr_init(&h, RS_IPC_REQUEST, 1, 0, 0);
    h.magic = 0x12345678;
    cr_assert_eq(write(sp[0], &h, sizeof(h)), (ssize_t)sizeof(h));
    char *m;
    void *b;
    cr_assert_eq(rs_ipc_read_frame(sp[1], &h, &m, &b), RS_EINVAL);
    cr_assert_null(m);
    cr_assert_null(b);
}

Test(ipc, oversize)
{
    rs_ipc_hdr_t h;
    rs_ipc_hdr_init(&h, RS_IPC_REQUEST, 1, RS_IPC_MAX_META + 1, 0);
    cr_assert_eq(rs_ipc_hdr_check(&h), RS_EINVAL);
    rs_ipc_hdr_init(&h, RS_IPC_REQUEST, 1, 0, (size_t)RS_IPC_MAX_BODY + 1);
    cr_assert_eq(rs_ipc_hdr_check(&h), RS_EINVAL);
    rs_ipc_hdr_init(&h, RS_IPC_REQUEST, 1, RS_IPC_MAX_META, RS_IPC_MAX_BODY);
    cr_assert_eq(rs_ipc_hdr_check(&h), 0);
    /* the writer refuses without writing anything */
    static char meta[RS_IPC_MAX_META + 1];
    cr_assert_eq(rs_ipc_write_frame(sp[0], RS_IPC_REQUEST, 1, meta, sizeof(meta), NULL, 0, -1),
                 RS_EINVAL);
    /* an oversize header from the peer is rejected before any allocation */
    rs_ipc_hdr_init(&h, RS_IPC_REQUEST, 1, 0, (size_t)RS_IPC_MAX_BODY + 1);
    cr_assert_eq(write(sp[0], &h, sizeof(h)), (ssize_t)sizeof(h));
    char *m;
    void *b;
    cr_assert_eq(rs_ipc_read_frame(sp[1], &h, &m, &b), RS_EINVAL);
}

Test(ipc, eof_and_truncated)
{
    rs_ipc_hdr_t h;
    char *m;
    void *b;
    /* a frame cut inside its body, then EOF */
    rs_ipc_hdr_init(&h, RS_IPC_REQUEST, 5, 2, 10);
    cr_assert_eq(write(sp[0], &h, sizeof(h)), (ssize_t)sizeof(h));
    cr_assert_eq(write(sp[0], "{}abc", 5), 5);
    shutdown(sp[0], SHUT_WR);
    errno = 77;
    cr_assert_eq(rs_ipc_read_frame(sp[1], &h, &m, &b), RS_ERR);
    cr_assert_eq(errno, 0);
    cr_assert_null(m);
    cr_assert_null(b);
    /* plain EOF at a frame boundary */
    errno = 77;
    cr_assert_eq(rs_ipc_read_frame(sp[1], &h, &m, &b), RS_ERR);
    cr_assert_eq(errno, 0);
}

Test(ipc, write_to_closed_peer_fails)
{
    signal(SIGPIPE, SIG_IGN);
    close(sp[1]);
    sp[1] = open("/dev/null", 0);
    cr_assert_eq(rs_ipc_write_frame(sp[0], RS_IPC_PING, 1, NULL, 0, NULL, 0, -1), RS_ERR);
    cr_assert_eq(errno, EPIPE);
}

Test(ipc, socket_path)
{
    char p[108];
    rs_ipc_socket_path("/tmp/ruststack-4566", "ddb", p, sizeof(p));
    cr_assert_str_eq(p, "/tmp/ruststack-4566/ddb.sock");
    rs_ipc_socket_path("/run/rs/", "lambda", p, sizeof(p));
    cr_assert_str_eq(p, "/run/rs/lambda.sock");
}

/* ---- message meta codecs (src/ipc/msg.c) -------------------------------------------- */

Test(ipcmsg, ddb_request_round_trip)
{
    rs_ipc_ddb_req_t in = {"DynamoDB_20120810.PutItem",  "000000000000", "us-east-1", "rid-1",
                           "application/x-amz-json-1.0", "AKID"};
    size_t n = rs_ipc_ddb_req_encode(&in, NULL, 0);
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    cr_assert_eq(rs_ipc_ddb_req_encode(&in, s, n + 1), n);
    cr_assert_eq(strlen(s), n);
    rs_ipc_ddb_req_t out;
    cr_assert_eq(rs_ipc_ddb_req_decode(s, n, &out), 0); /* in place: s holds the strings */
    cr_assert_str_eq(out.target, in.target);
    cr_assert_str_eq(out.account, in.account);
    cr_assert_str_eq(out.region, in.region);
    cr_assert_str_eq(out.request_id, in.request_id);
    cr_assert_str_eq(out.content_type, in.content_type);
    cr_assert_str_eq(out.access_key, in.access_key);
    free(s);
    /* a required member missing: RS_EINVAL, the request id still there for the answer */
    char m[] = "{\"target\":\"x\",\"region\":\"r\",\"request_id\":\"rid-2\"}";
    cr_assert_eq(rs_ipc_ddb_req_decode(m, strlen(m), &out), RS_EINVAL);
    cr_assert_str_eq(out.request_id, "rid-2");
    char arr[] = "[1]";
    cr_assert_eq(rs_ipc_ddb_req_decode(arr, 3, &out), RS_EINVAL);
    cr_assert_str_eq(out.request_id, "");
}

/* the in-place reader: escapes as json-c writes and reads them, whitespace, member order;
 * anything that is not a flat object of strings is refused */
Test(ipcmsg, ddb_request_decode_escapes_and_shapes)
{
    rs_ipc_ddb_req_t in = {"DynamoDB_20120810.GetItem",
                           "000000000000",
                           "eu-west-1",
                           "a\"b\\c\n\t\x01/",
                           "application/json; charset=\xc3\xa9",
                           "AK"};
    char buf[512];
    size_t n = rs_ipc_ddb_req_encode(&in, buf, sizeof(buf));
    rs_ipc_ddb_req_t out;
    cr_assert_eq(rs_ipc_ddb_req_decode(buf, n, &out), 0);
    cr_assert_str_eq(out.request_id, in.request_id);
    cr_assert_str_eq(out.content_type, in.content_type);
    char ws[] =
        " { \"region\" : \"r\\u00e9\\/x\" ,\"account\":\"1\", \"target\":\"T\\ud83d\\ude00\","
        "\"extra\":\"\"} \n";
    cr_assert_eq(rs_ipc_ddb_req_decode(ws, strlen(ws), &out), 0);
    cr_assert_str_eq(out.region, "r\xc3\xa9/x");
    cr_assert_str_eq(out.target, "T\xf0\x9f\x98\x80");
    cr_assert_str_eq(out.access_key, "");
    const char *bad[] = {
        "{\"target\":\"T\",\"account\":\"1\",\"region\":\"r\",\"n\":1}", /* a number */
        "{\"target\":\"T\",\"account\":\"1\",\"region\":\"r\"",          /* unclosed */
        "{\"target\":\"T\",\"account\":\"1\",\"region\":\"r\"}x",        /* trailing */
        "{\"target\":\"T\\u0000\",\"account\":\"1\",\"region\":\"r\"}",  /* NUL */
        "{\"target\":\"T\\ud800\",\"account\":\"1\",\"region\":\"r\"}",  /* lone half */
        "{\"target\":\"T\\q\",\"account\":\"1\",\"region\":\"r\"}",      /* bad escape */
        "{\"target\":\"T\n\",\"account\":\"1\",\"region\":\"r\"}",       /* raw control */
        "{\"target\":\"T\",,\"account\":\"1\",\"region\":\"r\"}",        /* empty member */
        "{\"target\":\"T\\u12\"}",                                       /* short \\u */
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *c = strdup(bad[i]);
        cr_assert_eq(rs_ipc_ddb_req_decode(c, strlen(c), &out), RS_EINVAL, "%s", bad[i]);
        free(c);
    }
}

/* the worker's fast path reads what the ddb supervisor writes; other shapes go to json-c */
Test(ipcmsg, response_flat_decode)
{
    const char *kv[] = {"content-type",     "application/x-amz-json-1.0",
                        "x-amzn-requestid", "R\"1/",
                        "x-amz-crc32",      "123"};
    char buf[512];
    size_t n = rs_ipc_resp_encode_kv(200, kv, 3, buf, sizeof(buf));
    cr_assert_str_eq(buf, "{\"status\":200,\"headers\":{\"content-type\":\"application/"
                          "x-amz-json-1.0\",\"x-amzn-requestid\":\"R\\\"1/\",\"x-amz-crc32\":"
                          "\"123\"}}");
    rs_hdr_t h[4];
    size_t nh = 0;
    int st = 0;
    cr_assert_eq(rs_ipc_resp_decode_flat(buf, n, &st, h, 4, &nh), 0);
    cr_assert_eq(st, 200);
    cr_assert_eq(nh, 3);
    cr_assert_str_eq(h[1].name, "x-amzn-requestid");
    cr_assert_str_eq(h[1].value, "R\"1/");
    cr_assert_eq(h[1].value_len, 4);
    cr_assert_str_eq(h[2].value, "123");
    char rev[] = " {\"headers\":{}, \"status\" : 404 } ";
    cr_assert_eq(rs_ipc_resp_decode_flat(rev, strlen(rev), &st, h, 4, &nh), 0);
    cr_assert_eq(st, 404);
    cr_assert_eq(nh, 0);
    char noh[] = "{\"status\":204}";
    cr_assert_eq(rs_ipc_resp_decode_flat(noh, strlen(noh), &st, h, 4, &nh), 0);
    cr_assert_eq(st, 204);
    cr_assert_eq(nh, 0);
    const char *bad[] = {
        "{\"status\":99}",
        "{\"status\":600}",
        "{\"status\":\"200\"}",
        "{\"status\":200.5}",
        "{}",
        "nope",
        "{\"status\":200,\"headers\":[]}",
        "{\"status\":200,\"headers\":{\"set-cookie\":[\"a\",\"b\"]}}", /* json-c's case */
        "{\"status\":200,\"other\":\"x\"}",
        "{\"status\":200,\"status\":201}",
        "{\"status\":200,\"headers\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\"}"
        "}",
        "{\"status\":200}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *c = strdup(bad[i]);
        cr_assert_eq(rs_ipc_resp_decode_flat(c, strlen(c), &st, h, 4, &nh), RS_EINVAL, "%s",
                     bad[i]);
        free(c);
    }
}

Test(ipcmsg, lambda_request_round_trip)
{
    json_object *h = json_object_new_object();
    json_object_object_add(h, "x-amz-log-type", json_object_new_string("Tail"));
    rs_ipc_lambda_req_t in = {"POST",
                              "/2015-03-31/functions/f/invocations",
                              "Qualifier=%24LATEST",
                              h,
                              "000000000000",
                              "eu-west-1",
                              "uuid",
                              "log-1",
                              "AKID"};
    size_t n = rs_ipc_lambda_req_encode(&in, NULL, 0);
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    cr_assert_eq(rs_ipc_lambda_req_encode(&in, s, n + 1), n);
    json_object_put(h);
    json_object *root;
    rs_ipc_lambda_req_t out;
    cr_assert_eq(rs_ipc_lambda_req_decode(s, n, &root, &out), 0);
    cr_assert_str_eq(out.method, "POST");
    cr_assert_str_eq(out.path, in.path);
    cr_assert_str_eq(out.query, in.query);
    cr_assert_str_eq(out.account, in.account);
    cr_assert_str_eq(out.region, in.region);
    cr_assert_str_eq(out.request_id, "uuid");
    cr_assert_str_eq(out.log_id, "log-1");
    cr_assert_str_eq(out.access_key, "AKID");
    json_object *v;
    cr_assert(json_object_object_get_ex(out.headers, "x-amz-log-type", &v));
    cr_assert_str_eq(json_object_get_string(v), "Tail");
    json_object_put(root);
    free(s);
    const char *m = "{\"method\":\"GET\",\"path\":\"/p\",\"account\":\"1\",\"headers\":3}";
    cr_assert_eq(rs_ipc_lambda_req_decode(m, strlen(m), &root, &out), RS_EINVAL); /* no region */
    cr_assert_null(out.headers);
    json_object_put(root);
}

Test(ipcmsg, response_round_trip_and_bad_meta)
{
    json_object *h = json_object_new_object();
    json_object_object_add(h, "x-amzn-requestid", json_object_new_string("r/1"));
    rs_ipc_resp_t in = {201, h};
    size_t n;
    char *s = rs_ipc_resp_encode(&in, &n);
    cr_assert_not_null(s);
    cr_assert_null(strstr(s, "\\/")); /* no slash escapes on the wire */
    json_object_put(h);
    json_object *root;
    rs_ipc_resp_t out;
    cr_assert_eq(rs_ipc_resp_decode(s, n, &root, &out), 0);
    cr_assert_eq(out.status, 201);
    json_object *v;
    cr_assert(json_object_object_get_ex(out.headers, "x-amzn-requestid", &v));
    cr_assert_str_eq(json_object_get_string(v), "r/1");
    json_object_put(root);
    free(s);
    const char *bad[] = {"{\"status\":99}", "{\"status\":200,\"headers\":[]}", "{}", "nope",
                         "{\"status\":\"200\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(rs_ipc_resp_decode(bad[i], strlen(bad[i]), &root, &out), RS_EINVAL, "%s",
                     bad[i]);
        cr_assert_null(root);
    }
    cr_assert_eq(rs_ipc_resp_decode("{\"status\":204}", 14, &root, &out), 0);
    cr_assert_null(out.headers);
    json_object_put(root);
}

/* the request encoders write by hand exactly what json-c prints (the wire format before
 * them): every byte value, escapes, an empty and a non-string header, a short buffer */
Test(ipcmsg, request_encoders_match_json_c)
{
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
    rs_ipc_ddb_req_t d = {all, "0", "r/\"x\"", "", "a\\b", NULL};
    json_object *o = json_object_new_object();
    const char *dk[] = {"target", "account", "region", "request_id", "content_type", "access_key"};
    const char *dv[] = {all, "0", "r/\"x\"", "", "a\\b", ""};
    for (int i = 0; i < 6; i++)
        json_object_object_add(o, dk[i], json_object_new_string(dv[i]));
    char buf[2048];
    size_t n = rs_ipc_ddb_req_encode(&d, buf, sizeof(buf));
    cr_assert_str_eq(buf, json_object_to_json_string_ext(o, flags));
    cr_assert_eq(n, strlen(buf));
    char small[8];
    cr_assert_eq(rs_ipc_ddb_req_encode(&d, small, sizeof(small)), n);
    cr_assert_eq(strncmp(small, buf, 7), 0);
    cr_assert_eq(small[7], '\0');
    json_object_put(o);

    json_object *h = json_object_new_object();
    json_object_object_add(h, "x-amz-\t\"k", json_object_new_string(all));
    json_object_object_add(h, "content-type", json_object_new_string(""));
    json_object_object_add(h, "n", json_object_new_int(7));
    rs_ipc_lambda_req_t l = {"POST", "/a/b%2F", "", h, "1", "r", "u", "l", "k"};
    o = json_object_new_object();
    const char *lk[] = {"method", "path", "query"}, *lv[] = {"POST", "/a/b%2F", ""};
    for (int i = 0; i < 3; i++)
        json_object_object_add(o, lk[i], json_object_new_string(lv[i]));
    json_object_object_add(o, "headers", json_object_get(h));
    const char *rk[] = {"account", "region", "request_id", "log_id", "access_key"};
    const char *rv[] = {"1", "r", "u", "l", "k"};
    for (int i = 0; i < 5; i++)
        json_object_object_add(o, rk[i], json_object_new_string(rv[i]));
    n = rs_ipc_lambda_req_encode(&l, buf, sizeof(buf));
    cr_assert_str_eq(buf, json_object_to_json_string_ext(o, flags));
    cr_assert_eq(n, strlen(buf));
    l.headers = NULL;
    rs_ipc_lambda_req_encode(&l, buf, sizeof(buf));
    cr_assert_not_null(strstr(buf, ",\"headers\":{},"));
    json_object_put(o);
    json_object_put(h);
}

Test(ipcmsg, response_kv_encoder_matches_json_c)
{
    const char *kv[] = {"content-type",     "application/x-amz-json-1.0",
                        "x-amzn-requestid", "r/1\"\\\n\x01",
                        "x-amz-crc32",      "123"};
    for (size_t nkv = 0; nkv <= 3; nkv++) {
        json_object *h = json_object_new_object();
        for (size_t i = 0; i < nkv; i++)
            json_object_object_add(h, kv[2 * i], json_object_new_string(kv[2 * i + 1]));
        rs_ipc_resp_t in = {200, h};
        size_t n;
        char *want = rs_ipc_resp_encode(&in, &n);
        json_object_put(h);
        char buf[256];
        size_t got = rs_ipc_resp_encode_kv(200, kv, nkv, buf, sizeof(buf));
        cr_assert_eq(got, n, "%zu pairs", nkv);
        cr_assert_str_eq(buf, want);
        char small[8];
        cr_assert_eq(rs_ipc_resp_encode_kv(200, kv, nkv, small, sizeof(small)), n);
        cr_assert_eq(small[7], '\0');
        free(want);
    }
}
