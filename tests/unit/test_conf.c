/*
 * test_conf.c: the option table, the file parser (file:line errors), sizes, overrides,
 * finalisation, the reload merge and the shipped conf/ruststack.conf. Runs in: the test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rs/conf.h"
#include "rs/err.h"
#include "rs/log.h"

static rs_conf_t C;
static char err[1024];

static int parse(const char *text)
{
    rs_conf_defaults(&C);
    err[0] = '\0';
    return rs_conf_parse(&C, text, strlen(text), "t.conf", err, sizeof(err));
}

Test(conf, defaults)
{
    rs_conf_defaults(&C);
    cr_assert_str_eq(C.bind, "127.0.0.1");
    cr_assert_eq(C.port, 4566);
    cr_assert_eq(C.workers, 0);
    cr_assert_str_eq(C.hostname, "localhost");
    cr_assert_str_eq(C.default_region, "us-east-1");
    cr_assert_str_eq(C.default_account, "000000000000");
    cr_assert_eq(C.auth_verify, 0);
    cr_assert_eq(C.ncreds, 1);
    cr_assert_str_eq(C.creds[0].access_key, "test");
    cr_assert_str_eq(C.creds[0].secret_key, "test");
    cr_assert_str_eq(C.creds[0].account, "000000000000");
    cr_assert_eq(C.s3_capacity, 1ull << 30);
    cr_assert_eq(C.s3_max_objects, 1048576);
    cr_assert_eq(C.s3_max_buckets, 1024);
    cr_assert_eq(C.s3_max_object_size, 256ull << 20);
    cr_assert_eq(C.s3_shards, 0);
    cr_assert_eq(C.log_level, RS_LOG_INFO);
    cr_assert_str_eq(C.log_file, "");
    cr_assert_eq(C.access_log, 1);
    cr_assert_str_eq(C.shm_name, "");
}

Test(conf, parse_values_comments_and_blanks)
{
    cr_assert_eq(parse("# comment\n\n  port = 5000  \nbind=0.0.0.0\nworkers = 3 # inline\n"
                       "log_level = debug\naccess_log = off\nauth_verify = yes\n"
                       "hostname = emu.example.org\ns3_capacity = 2g\n"
                       "log_file = \"/tmp/with # hash.log\"\n"),
                 0, "%s", err);
    cr_assert_eq(C.port, 5000);
    cr_assert_str_eq(C.bind, "0.0.0.0");
    cr_assert_eq(C.workers, 3);
    cr_assert_eq(C.log_level, RS_LOG_DEBUG);
    cr_assert_eq(C.access_log, 0);
    cr_assert_eq(C.auth_verify, 1);
    cr_assert_str_eq(C.hostname, "emu.example.org");
    cr_assert_eq(C.s3_capacity, 2ull << 30);
    cr_assert_str_eq(C.log_file, "/tmp/with # hash.log");
}

Test(conf, crlf_lines)
{
    cr_assert_eq(parse("port = 4567\r\nworkers = 2\r\n"), 0, "%s", err);
    cr_assert_eq(C.port, 4567);
    cr_assert_eq(C.workers, 2);
}

Test(conf, errors_report_file_and_line)
{
    cr_assert_neq(parse("port = 4566\n\nbogus = 1\n"), 0);
    cr_assert(strstr(err, "t.conf:3:") == err, "%s", err);
    cr_assert(strstr(err, "bogus") != NULL, "%s", err);

    cr_assert_neq(parse("port = 70000\n"), 0);
    cr_assert(strstr(err, "t.conf:1:") == err && strstr(err, "out of range"), "%s", err);

    cr_assert_neq(parse("# x\nport\n"), 0);
    cr_assert(strstr(err, "t.conf:2:") == err, "%s", err);

    cr_assert_neq(parse("port = 12ab\n"), 0);
    cr_assert_neq(parse("port = -1\n"), 0);
    cr_assert_neq(parse("workers = 100000\n"), 0);
    cr_assert_neq(parse("access_log = maybe\n"), 0);
    cr_assert_neq(parse("log_level = chatty\n"), 0);
    cr_assert_neq(parse("bind = localhost\n"), 0);
    cr_assert_neq(parse("bind = 300.1.1.1\n"), 0);
    cr_assert_neq(parse("default_account = 12345\n"), 0);
    cr_assert_neq(parse("default_region = US_EAST\n"), 0);
    cr_assert_neq(parse("hostname = bad host\n"), 0);
    cr_assert_neq(parse("shm_name = noslash\n"), 0);
    cr_assert_neq(parse("shm_name = /a/b\n"), 0);
    cr_assert_neq(parse("s3_capacity = 10x\n"), 0);
    cr_assert_neq(parse("s3_capacity = 1k\n"), 0); /* below the 1 MiB minimum */
    cr_assert_neq(parse("log_file = \"unterminated\n"), 0);
}

Test(conf, ipv6_bind)
{
    cr_assert_eq(parse("bind = ::1\n"), 0, "%s", err);
    cr_assert_str_eq(C.bind, "::1");
}

Test(conf, sizes)
{
    uint64_t v;
    cr_assert_eq(rs_conf_parse_size("4096", &v), 0);
    cr_assert_eq(v, 4096);
    cr_assert_eq(rs_conf_parse_size("64k", &v), 0);
    cr_assert_eq(v, 65536);
    cr_assert_eq(rs_conf_parse_size("256M", &v), 0);
    cr_assert_eq(v, 256ull << 20);
    cr_assert_eq(rs_conf_parse_size("1g", &v), 0);
    cr_assert_eq(v, 1ull << 30);
    cr_assert_eq(rs_conf_parse_size("1gb", &v), 0);
    cr_assert_eq(v, 1ull << 30);
    cr_assert_eq(rs_conf_parse_size("2t", &v), 0);
    cr_assert_eq(v, 2ull << 40);
    cr_assert_neq(rs_conf_parse_size("", &v), 0);
    cr_assert_neq(rs_conf_parse_size("g", &v), 0);
    cr_assert_neq(rs_conf_parse_size("1q", &v), 0);
    cr_assert_neq(rs_conf_parse_size("1gg", &v), 0);
    cr_assert_neq(rs_conf_parse_size("-1", &v), 0);
    cr_assert_neq(rs_conf_parse_size("99999999999999999999", &v), 0);
    cr_assert_neq(rs_conf_parse_size("99999999999t", &v), 0);
}

Test(conf, credentials_replace_default_and_repeat)
{
    cr_assert_eq(parse("credentials = AKIA1:secret1:111111111111\n"
                       "credentials = AKIA2:se:cret:222222222222\n"),
                 0, "%s", err);
    cr_assert_eq(C.ncreds, 2);
    cr_assert_str_eq(C.creds[0].access_key, "AKIA1");
    cr_assert_str_eq(C.creds[0].secret_key, "secret1");
    cr_assert_str_eq(C.creds[0].account, "111111111111");
    /* the secret is everything between the first and the last ':' */
    cr_assert_str_eq(C.creds[1].access_key, "AKIA2");
    cr_assert_str_eq(C.creds[1].secret_key, "se:cret");
    cr_assert_str_eq(C.creds[1].account, "222222222222");
    cr_assert_neq(parse("credentials = AKIA2:se:cret:222\n"), 0);
}

Test(conf, credentials_errors)
{
    cr_assert_neq(parse("credentials = onlykey\n"), 0);
    cr_assert_neq(parse("credentials = key:secret\n"), 0);
    cr_assert_neq(parse("credentials = :secret:000000000000\n"), 0);
    cr_assert_neq(parse("credentials = k::000000000000\n"), 0);
    cr_assert_neq(parse("credentials = k:s:00000000000a\n"), 0);
    cr_assert_neq(parse("credentials = k:s:000000000000\ncredentials = k:t:000000000000\n"), 0);
    cr_assert(strstr(err, "t.conf:2:") == err, "%s", err);
}

Test(conf, finalize_derives_values)
{
    cr_assert_eq(parse("port = 4999\n"), 0);
    cr_assert_eq(rs_conf_finalize(&C, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(C.shm_name, "/ruststack-4999");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cr_assert_eq(C.workers, ncpu < 1 ? 1 : (uint32_t)ncpu);

    cr_assert_eq(parse("workers = 2\nshm_name = /mine\n"), 0);
    cr_assert_eq(rs_conf_finalize(&C, err, sizeof(err)), 0);
    cr_assert_eq(C.workers, 2);
    cr_assert_str_eq(C.shm_name, "/mine");
}

Test(conf, finalize_cross_checks)
{
    cr_assert_eq(parse("s3_capacity = 64m\ns3_max_object_size = 128m\n"), 0);
    cr_assert_neq(rs_conf_finalize(&C, err, sizeof(err)), 0);
    cr_assert(strstr(err, "s3_max_object_size") != NULL, "%s", err);
    cr_assert_eq(parse("s3_shards = 6\n"), 0);
    cr_assert_neq(rs_conf_finalize(&C, err, sizeof(err)), 0);
    cr_assert_eq(parse("s3_shards = 64\n"), 0);
    cr_assert_eq(rs_conf_finalize(&C, err, sizeof(err)), 0, "%s", err);
}

Test(conf, set_overrides)
{
    rs_conf_defaults(&C);
    cr_assert_eq(rs_conf_set(&C, "port", "8080", err, sizeof(err)), 0);
    cr_assert_eq(C.port, 8080);
    cr_assert_neq(rs_conf_set(&C, "port", "0", err, sizeof(err)), 0);
    cr_assert(strstr(err, "port") != NULL);
    cr_assert_neq(rs_conf_set(&C, "nope", "1", err, sizeof(err)), 0);
}

Test(conf, build_file_then_overrides)
{
    char path[] = "/tmp/rs-test-conf-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "port = 5001\nworkers = 3\nbind = 0.0.0.0\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    const char *kv[] = {"port", "6001", "workers", "1"};
    int rc = rs_conf_build(&C, path, kv, 2, err, sizeof(err));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(C.port, 6001);
    cr_assert_eq(C.workers, 1);
    cr_assert_str_eq(C.bind, "0.0.0.0");
    const char *bad[] = {"port", "x"};
    cr_assert_neq(rs_conf_build(&C, path, bad, 1, err, sizeof(err)), 0);
    cr_assert(strstr(err, "command line") != NULL, "%s", err);
    unlink(path);
    cr_assert_neq(rs_conf_build(&C, path, NULL, 0, err, sizeof(err)), 0);
    cr_assert(strstr(err, path) != NULL, "%s", err);
}

Test(conf, reload_keeps_restart_only_options)
{
    static rs_conf_t old;
    char changed[256];
    rs_conf_defaults(&old);
    cr_assert_eq(rs_conf_finalize(&old, err, sizeof(err)), 0);
    C = old;
    C.port = 9999;
    C.log_level = RS_LOG_DEBUG;
    C.s3_capacity = 2ull << 30;
    C.auth_verify = 1;
    rs_conf_keep_restart_only(&old, &C, changed, sizeof(changed));
    cr_assert_eq(C.port, 4566);
    cr_assert_eq(C.s3_capacity, 1ull << 30);
    cr_assert_eq(C.log_level, RS_LOG_DEBUG);
    cr_assert_eq(C.auth_verify, 1);
    cr_assert(strstr(changed, "port") && strstr(changed, "s3_capacity"), "%s", changed);
    cr_assert_null(strstr(changed, "log_level"));
    C = old;
    rs_conf_keep_restart_only(&old, &C, changed, sizeof(changed));
    cr_assert_str_eq(changed, "");
}

Test(conf, option_table)
{
    static const char *const required[] = {"bind",           "port",           "workers",
                                           "hostname",       "default_region", "default_account",
                                           "auth_verify",    "credentials",    "s3_capacity",
                                           "s3_max_objects", "s3_max_buckets", "s3_max_object_size",
                                           "s3_shards",      "log_level",      "log_file",
                                           "access_log",     "shm_name"};
    for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++) {
        int found = 0;
        for (size_t i = 0; i < rs_conf_option_count(); i++)
            found |= strcmp(rs_conf_option_name(i, NULL), required[k]) == 0;
        cr_assert(found, "option %s missing", required[k]);
    }
    cr_assert_null(rs_conf_option_name(rs_conf_option_count(), NULL));
}

/* The shipped file documents every option with its default: parsing it must succeed
 * and give exactly the built-in defaults. */
Test(conf, shipped_file_matches_defaults)
{
    static rs_conf_t def;
    char path[2048];
    const char *src = getenv("RS_SRCDIR");
    if (src != NULL) {
        snprintf(path, sizeof(path), "%s/conf/ruststack.conf", src);
    } else { /* run by hand: find the tree from this file's compile-time path */
        const char *f = __FILE__, *t = strstr(f, "tests/unit/test_conf.c");
        snprintf(path, sizeof(path), "%.*sconf/ruststack.conf", t ? (int)(t - f) : 0, f);
    }
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    rs_conf_defaults(&def);
    cr_assert_eq(parse(text), 0, "%s", err);
    cr_assert(memcmp(&def, &C, sizeof(C)) == 0, "the shipped file is not all defaults");
    /* and every option appears in it, commented out, with its name */
    for (size_t i = 0; i < rs_conf_option_count(); i++) {
        char needle[64];
        snprintf(needle, sizeof(needle), "# %s = ", rs_conf_option_name(i, NULL));
        cr_assert(strstr(text, needle) != NULL, "conf/ruststack.conf lacks \"%s\"", needle);
    }
}

/* ---- supervisor and DynamoDB keys -------------------------------------------------- */

Test(conf, dynamodb_defaults)
{
    static rs_conf_t c;
    rs_conf_defaults(&c);
    cr_assert_eq(c.dynamodb, 1);
    cr_assert_str_eq(c.java, "java");
    cr_assert_eq(c.dynamodb_start_timeout, 60);
    cr_assert_eq(c.dynamodb_request_timeout, 30);
    cr_assert_str_eq(c.data_dir, "");
    cr_assert_str_eq(c.runtime_dir, "");
    cr_assert(strstr(c.dynamodb_local_dir, "/dynamodb-local") != NULL, "%s", c.dynamodb_local_dir);
    cr_assert_eq(c.dynamodb_local_dir[0], '/');
}

Test(conf, dynamodb_keys_parse)
{
    cr_assert_eq(parse("dynamodb = off\njava = /opt/jdk/bin/java\n"
                       "dynamodb_local_dir = /srv/ddbl\ndynamodb_start_timeout = 5\n"
                       "dynamodb_request_timeout = 7\ndata_dir = /var/lib/rs\n"
                       "runtime_dir = /run/rs\n"),
                 0, "%s", err);
    cr_assert_eq(C.dynamodb, 0);
    cr_assert_str_eq(C.java, "/opt/jdk/bin/java");
    cr_assert_str_eq(C.dynamodb_local_dir, "/srv/ddbl");
    cr_assert_eq(C.dynamodb_start_timeout, 5);
    cr_assert_eq(C.dynamodb_request_timeout, 7);
    cr_assert_str_eq(C.data_dir, "/var/lib/rs");
    cr_assert_str_eq(C.runtime_dir, "/run/rs");
}

Test(conf, dynamodb_keys_errors)
{
    cr_assert_eq(parse("runtime_dir = relative/dir\n"), RS_EINVAL);
    cr_assert(strstr(err, "t.conf:1") != NULL && strstr(err, "absolute") != NULL, "%s", err);
    cr_assert_eq(parse("\ndata_dir = data\n"), RS_EINVAL);
    cr_assert(strstr(err, "t.conf:2") != NULL, "%s", err);
    cr_assert_eq(parse("dynamodb_local_dir = x\n"), RS_EINVAL);
    cr_assert_eq(parse("java = \"\"\n"), RS_EINVAL);
    cr_assert_eq(parse("dynamodb_start_timeout = 0\n"), RS_EINVAL);
    cr_assert_eq(parse("dynamodb_request_timeout = 3601\n"), RS_EINVAL);
    cr_assert_eq(parse("dynamodb = maybe\n"), RS_EINVAL);
}

Test(conf, runtime_dir_derived_and_bounded)
{
    static rs_conf_t c;
    const char *kv[] = {"port", "4999"};
    cr_assert_eq(rs_conf_build(&c, NULL, kv, 1, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(c.runtime_dir, "/tmp/ruststack-4999");
    char longdir[200];
    memset(longdir, 'a', sizeof(longdir));
    longdir[0] = '/';
    longdir[120] = '\0';
    const char *kv2[] = {"runtime_dir", longdir};
    cr_assert_eq(rs_conf_build(&c, NULL, kv2, 1, err, sizeof(err)), RS_EINVAL);
    cr_assert(strstr(err, "runtime_dir") != NULL, "%s", err);
}

Test(conf, dynamodb_keys_are_restart_only)
{
    static rs_conf_t old, nc;
    char changed[512];
    rs_conf_defaults(&old);
    rs_conf_defaults(&nc);
    nc.dynamodb = 0;
    snprintf(nc.java, sizeof(nc.java), "/x/java");
    rs_conf_keep_restart_only(&old, &nc, changed, sizeof(changed));
    cr_assert_eq(nc.dynamodb, 1);
    cr_assert_str_eq(nc.java, "java");
    cr_assert(strstr(changed, "dynamodb") != NULL && strstr(changed, "java") != NULL, "%s",
              changed);
}

Test(conf, lambda_hot_reload_roots)
{
    rs_conf_defaults(&C);
    cr_assert_str_eq(C.lambda_hot_reload_roots, "", "off by default");
    cr_assert_eq(parse("lambda_hot_reload_roots = /home/dev/src, /srv/fns\n"), 0, "%s", err);
    cr_assert_str_eq(C.lambda_hot_reload_roots, "/home/dev/src, /srv/fns");
    cr_assert_eq(parse("lambda_hot_reload_roots = \"\"\n"), 0, "%s", err);
    cr_assert_neq(parse("lambda_hot_reload_roots = /ok,relative/dir\n"), 0);
    cr_assert(strstr(err, "absolute"), "%s", err);
}

Test(conf, lambda_network_modes)
{
    rs_conf_defaults(&C);
    cr_assert_str_eq(C.lambda_network, "host");
    cr_assert_str_eq(C.lambda_bridge_network, "ruststack");
    cr_assert_eq(parse("lambda_network = bridge\nlambda_bridge_network = rs.net-1\n"), 0, "%s",
                 err);
    cr_assert_str_eq(C.lambda_network, "bridge");
    cr_assert_str_eq(C.lambda_bridge_network, "rs.net-1");
    cr_assert_eq(parse("lambda_network = none\n"), RS_EINVAL);
    cr_assert(strstr(err, "host or bridge") != NULL, "%s", err);
    cr_assert_eq(parse("lambda_bridge_network = -net\n"), RS_EINVAL);
    cr_assert_eq(parse("lambda_bridge_network = \"a b\"\n"), RS_EINVAL);
    cr_assert_eq(parse("lambda_bridge_network = \"\"\n"), RS_EINVAL);
}

Test(conf, lambda_cpu_modes)
{
    rs_conf_defaults(&C);
    cr_assert_str_eq(C.lambda_cpu, "shares");
    cr_assert_eq(parse("lambda_cpu = quota\n"), 0, "%s", err);
    cr_assert_str_eq(C.lambda_cpu, "quota");
    cr_assert_eq(parse("lambda_cpu = off\n"), 0, "%s", err);
    cr_assert_str_eq(C.lambda_cpu, "off");
    cr_assert_eq(parse("lambda_cpu = capped\n"), RS_EINVAL);
    cr_assert(strstr(err, "shares, quota or off") != NULL, "%s", err);
}

/* s3_durability: the three modes, a clear refusal of anything else, and no sync mode
 * without a disk (data_dir). */
Test(conf, s3_durability)
{
    cr_assert_eq(parse(""), 0);
    cr_assert_str_eq(C.s3_durability, "stop");
    cr_assert_eq(rs_conf_durability(C.s3_durability), 0);
    cr_assert_eq(rs_conf_durability("interval"), 1);
    cr_assert_eq(rs_conf_durability("always"), 2);
    cr_assert_eq(rs_conf_durability("Always"), -1);
    cr_assert_eq(parse("s3_durability = always\ndata_dir = /tmp/x\n"), 0, "%s", err);
    cr_assert_eq(rs_conf_finalize(&C, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(C.s3_durability, "always");
    cr_assert_neq(parse("s3_durability = sometimes\n"), 0);
    cr_assert(strstr(err, "\"sometimes\" is not a durability mode (always, interval or stop)"),
              "%s", err);
    cr_assert_eq(parse("s3_durability = interval\n"), 0);
    cr_assert_neq(rs_conf_finalize(&C, err, sizeof(err)), 0);
    cr_assert(strstr(err, "s3_durability = interval needs data_dir"), "%s", err);
}
