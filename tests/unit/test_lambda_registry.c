/*
 * test_lambda_registry.c: the function registry (src/lambda/lambda_registry.c): create,
 * get, update (configuration-only and new code), delete, list order and markers,
 * persistence and reload, the code-directory lifetime rule, orphan sweep, wipe, a corrupt
 * registry file, the removal of every function of one account. Runs in: the test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambda/lambda_registry.h"
#include "rs/err.h"
#include "rs/os.h"

static char root[64];

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/rs-lreg-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
}

static void teardown(void)
{
    rs_rm_r(root);
}

TestSuite(lreg, .init = setup, .fini = teardown);

static json_object *mkcfg(const char *name, const char *rev)
{
    json_object *c = json_object_new_object();
    json_object_object_add(c, "FunctionName", json_object_new_string(name));
    json_object_object_add(c, "Handler", json_object_new_string("app.handler"));
    json_object_object_add(c, "Runtime", json_object_new_string("python3.12"));
    json_object_object_add(c, "Timeout", json_object_new_int(7));
    json_object_object_add(c, "MemorySize", json_object_new_int(256));
    json_object_object_add(c, "RevisionId", json_object_new_string(rev));
    json_object *env = json_object_new_object(), *vars = json_object_new_object();
    json_object_object_add(vars, "A", json_object_new_string("1"));
    json_object_object_add(env, "Variables", vars);
    json_object_object_add(c, "Environment", env);
    return c;
}

/* a code directory with one file, as an upload would leave it */
static void mkcode(rs_lambda_reg_t *r, char *dir, size_t len)
{
    rs_lambda_reg_new_code_dir(r, dir, len);
    cr_assert_eq(mkdir(dir, 0755), 0);
    char f[1200];
    snprintf(f, sizeof(f), "%s/app.py", dir);
    FILE *fp = fopen(f, "w");
    cr_assert_not_null(fp);
    fputs("def handler(e, c): return 1\n", fp);
    fclose(fp);
}

static int isdir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

Test(lreg, create_get_and_revision_fields)
{
    rs_lambda_reg_t *r;
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    char dir[1100];
    mkcode(r, dir, sizeof(dir));
    cr_assert_eq(rs_lambda_reg_create(r, "000000000000", "us-east-1", "f1", mkcfg("f1", "r1"), dir),
                 0);
    cr_assert_eq(rs_lambda_reg_create(r, "000000000000", "us-east-1", "f1", mkcfg("f1", "r2"), dir),
                 RS_EEXIST);
    json_object *cfg;
    rs_lambda_fn_t *fn;
    cr_assert_eq(rs_lambda_reg_get(r, "000000000000", "us-east-1", "f1", &cfg, &fn), 0);
    cr_assert_str_eq(json_object_get_string(json_object_object_get(cfg, "RevisionId")), "r1");
    cr_assert_str_eq(fn->arn, "arn:aws:lambda:us-east-1:000000000000:function:f1");
    cr_assert_str_eq(fn->handler, "app.handler");
    cr_assert_str_eq(fn->code_dir, dir);
    cr_assert_eq(fn->timeout_s, 7);
    cr_assert_eq(fn->memory_mb, 256);
    cr_assert_eq(fn->nenv, 1);
    cr_assert_str_eq(fn->env[0], "A=1");
    cr_assert_eq(fn->generation, 1);
    json_object_put(cfg);
    rs_lambda_fn_unref(fn);
    /* other account / region: a different function */
    cr_assert_eq(rs_lambda_reg_get(r, "111111111111", "us-east-1", "f1", NULL, NULL), RS_ENOENT);
    cr_assert_eq(rs_lambda_reg_get(r, "000000000000", "eu-west-1", "f1", NULL, NULL), RS_ENOENT);
    /* a code dir outside the root is refused */
    cr_assert_eq(rs_lambda_reg_create(r, "000000000000", "us-east-1", "f2", mkcfg("f2", "r"),
                                      "/tmp/elsewhere"),
                 RS_EINVAL);
    rs_lambda_reg_close(r);
}

static int set_timeout(json_object *cfg, void *arg)
{
    json_object_object_add(cfg, "Timeout", json_object_new_int(*(int *)arg));
    json_object_object_add(cfg, "RevisionId", json_object_new_string("r-next"));
    return 0;
}

static int refuse(json_object *cfg, void *arg)
{
    (void)cfg;
    (void)arg;
    return RS_EPRECOND;
}

Test(lreg, config_update_shares_code_new_code_retires_old_dir)
{
    rs_lambda_reg_t *r;
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    char dir[1100], dir2[1100];
    mkcode(r, dir, sizeof(dir));
    cr_assert_eq(rs_lambda_reg_create(r, "000000000000", "us-east-1", "f", mkcfg("f", "r1"), dir),
                 0);
    rs_lambda_fn_t *old;
    cr_assert_eq(rs_lambda_reg_get(r, "000000000000", "us-east-1", "f", NULL, &old), 0);
    int t = 30;
    json_object *out = NULL;
    cr_assert_eq(
        rs_lambda_reg_update(r, "000000000000", "us-east-1", "f", set_timeout, &t, NULL, &out), 0);
    cr_assert_eq(json_object_get_int(json_object_object_get(out, "Timeout")), 30);
    json_object_put(out);
    rs_lambda_fn_t *cur;
    cr_assert_eq(rs_lambda_reg_get(r, "000000000000", "us-east-1", "f", NULL, &cur), 0);
    cr_assert_eq(cur->timeout_s, 30);
    cr_assert_gt(cur->generation, old->generation);
    cr_assert_str_eq(cur->code_dir, dir);
    cr_assert_eq(rs_lambda_codedir_uses(dir), 2);
    rs_lambda_fn_unref(old); /* an environment of the old revision finishes */
    cr_assert(isdir(dir), "a configuration-only update keeps the code");
    /* new code: the old directory goes when its last revision is released */
    mkcode(r, dir2, sizeof(dir2));
    cr_assert_eq(
        rs_lambda_reg_update(r, "000000000000", "us-east-1", "f", set_timeout, &t, dir2, NULL), 0);
    cr_assert(isdir(dir), "still used by a running revision");
    rs_lambda_fn_unref(cur);
    cr_assert(!isdir(dir));
    cr_assert(isdir(dir2));
    /* an aborted edit changes nothing */
    cr_assert_eq(
        rs_lambda_reg_update(r, "000000000000", "us-east-1", "f", refuse, NULL, NULL, NULL),
        RS_EPRECOND);
    cr_assert_eq(
        rs_lambda_reg_update(r, "000000000000", "us-east-1", "nope", set_timeout, &t, NULL, NULL),
        RS_ENOENT);
    /* delete: the code goes once nothing runs it */
    rs_lambda_fn_t *last;
    cr_assert_eq(rs_lambda_reg_get(r, "000000000000", "us-east-1", "f", NULL, &last), 0);
    cr_assert_eq(rs_lambda_reg_delete(r, "000000000000", "us-east-1", "f"), 0);
    cr_assert_eq(rs_lambda_reg_delete(r, "000000000000", "us-east-1", "f"), RS_ENOENT);
    cr_assert(isdir(dir2));
    rs_lambda_fn_unref(last);
    cr_assert(!isdir(dir2));
    rs_lambda_reg_close(r);
}

Test(lreg, list_in_name_order_with_markers)
{
    rs_lambda_reg_t *r;
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    const char *names[] = {"delta", "alpha", "echo", "charlie", "bravo"};
    for (int i = 0; i < 5; i++) {
        char dir[1100];
        mkcode(r, dir, sizeof(dir));
        cr_assert_eq(rs_lambda_reg_create(r, "000000000000", "us-east-1", names[i],
                                          mkcfg(names[i], "r"), dir),
                     0);
    }
    char dir[1100];
    mkcode(r, dir, sizeof(dir));
    cr_assert_eq(
        rs_lambda_reg_create(r, "000000000000", "eu-west-1", "aaa", mkcfg("aaa", "r"), dir), 0);
    const char *want[] = {"alpha", "bravo", "charlie", "delta", "echo"};
    const char *marker = NULL;
    char mk[80];
    int idx = 0, more = 1, pages = 0;
    while (more) {
        json_object *arr = json_object_new_array();
        cr_assert_eq(rs_lambda_reg_list(r, "000000000000", "us-east-1", marker, 2, arr, &more), 0);
        size_t n = json_object_array_length(arr);
        cr_assert(n <= 2);
        for (size_t i = 0; i < n; i++) {
            const char *nm = json_object_get_string(
                json_object_object_get(json_object_array_get_idx(arr, i), "FunctionName"));
            cr_assert_str_eq(nm, want[idx++]);
            snprintf(mk, sizeof(mk), "%s", nm);
        }
        marker = mk;
        json_object_put(arr);
        pages++;
    }
    cr_assert_eq(idx, 5);
    cr_assert_eq(pages, 3);
    rs_lambda_reg_close(r);
}

Test(lreg, persisted_and_reloaded_orphans_swept)
{
    rs_lambda_reg_t *r;
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    char dir[1100], orphan[1100];
    mkcode(r, dir, sizeof(dir));
    cr_assert_eq(
        rs_lambda_reg_create(r, "000000000000", "us-east-1", "keep", mkcfg("keep", "r1"), dir), 0);
    int t = 99;
    cr_assert_eq(
        rs_lambda_reg_update(r, "000000000000", "us-east-1", "keep", set_timeout, &t, NULL, NULL),
        0);
    mkcode(r, orphan, sizeof(orphan)); /* an upload the registry never acknowledged */
    char zkeep[1200], zorphan[1200];
    snprintf(zkeep, sizeof(zkeep), "%s.zip", dir);
    snprintf(zorphan, sizeof(zorphan), "%s.zip", orphan);
    fclose(fopen(zkeep, "w"));
    fclose(fopen(zorphan, "w"));
    rs_lambda_reg_close(r);
    cr_assert(isdir(dir), "closing the registry keeps the code");
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    cr_assert_eq(rs_lambda_reg_count(r), 1);
    rs_lambda_fn_t *fn;
    json_object *cfg;
    cr_assert_eq(rs_lambda_reg_get(r, "000000000000", "us-east-1", "keep", &cfg, &fn), 0);
    cr_assert_eq(fn->timeout_s, 99);
    cr_assert_eq(fn->generation, 2);
    cr_assert_str_eq(fn->code_dir, dir);
    cr_assert_str_eq(json_object_get_string(json_object_object_get(cfg, "RevisionId")), "r-next");
    json_object_put(cfg);
    rs_lambda_fn_unref(fn);
    cr_assert(!isdir(orphan));
    cr_assert(isdir(dir));
    cr_assert_neq(access(zorphan, F_OK), 0);
    cr_assert_eq(access(zkeep, F_OK), 0);
    rs_lambda_reg_close(r);
    /* wipe: empty again */
    cr_assert_eq(rs_lambda_reg_open(root, 1, &r), 0);
    cr_assert_eq(rs_lambda_reg_count(r), 0);
    cr_assert(!isdir(dir));
    rs_lambda_reg_close(r);
}

Test(lreg, corrupt_file_is_kept_aside)
{
    char p[200];
    snprintf(p, sizeof(p), "%s/registry.json", root);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs("{\"functions\": [tru", f);
    fclose(f);
    rs_lambda_reg_t *r;
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), RS_EINVAL);
    cr_assert_not_null(r);
    cr_assert_eq(rs_lambda_reg_count(r), 0);
    snprintf(p, sizeof(p), "%s/registry.json.corrupt", root);
    cr_assert_eq(access(p, F_OK), 0);
    rs_lambda_reg_close(r);
}

Test(lreg, unwritable_registry_undoes_the_change)
{
    rs_lambda_reg_t *r;
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    char dir[1100], dir2[1100], tmp[200];
    mkcode(r, dir, sizeof(dir));
    cr_assert_eq(rs_lambda_reg_create(r, "000000000000", "us-east-1", "f", mkcfg("f", "r1"), dir),
                 0);
    /* the temp file cannot be created (a directory is in the way, even for root) */
    snprintf(tmp, sizeof(tmp), "%s/registry.json.tmp.%ld", root, (long)getpid());
    cr_assert_eq(mkdir(tmp, 0700), 0);
    mkcode(r, dir2, sizeof(dir2));
    cr_assert_eq(rs_lambda_reg_create(r, "000000000000", "us-east-1", "g", mkcfg("g", "r"), dir2),
                 RS_ERR);
    cr_assert_eq(rs_lambda_reg_count(r), 1);
    int t = 5;
    cr_assert_eq(
        rs_lambda_reg_update(r, "000000000000", "us-east-1", "f", set_timeout, &t, NULL, NULL),
        RS_ERR);
    cr_assert_eq(rs_lambda_reg_delete(r, "000000000000", "us-east-1", "f"), RS_ERR);
    rs_lambda_fn_t *fn;
    json_object *cfg;
    cr_assert_eq(rs_lambda_reg_get(r, "000000000000", "us-east-1", "f", &cfg, &fn), 0);
    cr_assert_eq(fn->timeout_s, 7, "the failed update is undone");
    cr_assert_str_eq(json_object_get_string(json_object_object_get(cfg, "RevisionId")), "r1");
    cr_assert(isdir(dir));
    json_object_put(cfg);
    rs_lambda_fn_unref(fn);
    rmdir(tmp);
    rs_lambda_reg_close(r);
}

/* the account-scoped reset's part: every function of one account, in every region, in one
 * persisted change; code directories no longer used go; other accounts keep theirs */
Test(lreg, delete_account_in_every_region)
{
    rs_lambda_reg_t *r;
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    char d1[1100], d2[1100], d3[1100];
    mkcode(r, d1, sizeof(d1));
    mkcode(r, d2, sizeof(d2));
    mkcode(r, d3, sizeof(d3));
    cr_assert_eq(rs_lambda_reg_create(r, "123456789012", "us-east-1", "a", mkcfg("a", "r"), d1), 0);
    cr_assert_eq(rs_lambda_reg_create(r, "123456789012", "eu-west-1", "b", mkcfg("b", "r"), d2), 0);
    cr_assert_eq(rs_lambda_reg_create(r, "999999999999", "us-east-1", "a", mkcfg("a", "r"), d3), 0);
    json_object *gone = json_object_new_array();
    cr_assert_eq(rs_lambda_reg_delete_account(r, "123456789012", gone), 0);
    cr_assert_str_eq(json_object_to_json_string_ext(gone, JSON_C_TO_STRING_PLAIN),
                     "[{\"region\":\"us-east-1\",\"name\":\"a\"},"
                     "{\"region\":\"eu-west-1\",\"name\":\"b\"}]");
    json_object_put(gone);
    cr_assert_eq(rs_lambda_reg_count(r), 1);
    cr_assert_eq(rs_lambda_reg_get(r, "123456789012", "us-east-1", "a", NULL, NULL), RS_ENOENT);
    cr_assert_eq(rs_lambda_reg_get(r, "999999999999", "us-east-1", "a", NULL, NULL), 0);
    cr_assert(!isdir(d1) && !isdir(d2) && isdir(d3));
    /* nothing of the account: nothing changes */
    gone = json_object_new_array();
    cr_assert_eq(rs_lambda_reg_delete_account(r, "123456789012", gone), 0);
    cr_assert_eq(json_object_array_length(gone), 0);
    json_object_put(gone);
    rs_lambda_reg_close(r);
    /* persisted */
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    cr_assert_eq(rs_lambda_reg_count(r), 1);
    cr_assert_eq(rs_lambda_reg_get(r, "999999999999", "us-east-1", "a", NULL, NULL), 0);
    rs_lambda_reg_close(r);
}

Test(lreg, delete_account_unwritable_keeps_everything)
{
    rs_lambda_reg_t *r;
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    char dir[1100], tmp[200];
    mkcode(r, dir, sizeof(dir));
    cr_assert_eq(rs_lambda_reg_create(r, "123456789012", "us-east-1", "f", mkcfg("f", "r1"), dir),
                 0);
    snprintf(tmp, sizeof(tmp), "%s/registry.json.tmp.%ld", root, (long)getpid());
    cr_assert_eq(mkdir(tmp, 0700), 0);
    json_object *gone = json_object_new_array();
    cr_assert_eq(rs_lambda_reg_delete_account(r, "123456789012", gone), RS_ERR);
    cr_assert_eq(json_object_array_length(gone), 0);
    json_object_put(gone);
    cr_assert_eq(rs_lambda_reg_get(r, "123456789012", "us-east-1", "f", NULL, NULL), 0);
    cr_assert(isdir(dir));
    rmdir(tmp);
    rs_lambda_reg_close(r);
}

static json_object *mkcfg_sized(const char *name, int64_t size)
{
    json_object *c = mkcfg(name, "r");
    json_object_object_add(c, "CodeSize", json_object_new_int64(size));
    return c;
}

/* quota_lambda_functions / quota_lambda_code_bytes: per (account, region), from the
 * registry's own entries: a delete (or an account reset) releases them */
Test(lreg, quotas_per_account_and_region)
{
    rs_lambda_reg_t *r;
    char d[6][1100];
    cr_assert_eq(rs_lambda_reg_open(root, 0, &r), 0);
    for (int i = 0; i < 6; i++)
        mkcode(r, d[i], sizeof(d[i]));
    rs_lambda_reg_set_quota(r, 2, 1000);
    cr_assert_eq(
        rs_lambda_reg_create(r, "111111111111", "us-east-1", "a", mkcfg_sized("a", 400), d[0]), 0);
    cr_assert_eq(
        rs_lambda_reg_create(r, "111111111111", "us-east-1", "b", mkcfg_sized("b", 700), d[1]),
        RS_ENOSPC, "400 + 700 bytes of code pass the 1000-byte quota");
    cr_assert_eq(
        rs_lambda_reg_create(r, "111111111111", "us-east-1", "b", mkcfg_sized("b", 600), d[1]), 0);
    cr_assert_eq(
        rs_lambda_reg_create(r, "111111111111", "us-east-1", "c", mkcfg_sized("c", 0), d[2]),
        RS_EQUOTA, "a third function passes the 2-function quota");
    cr_assert_eq(
        rs_lambda_reg_create(r, "111111111111", "eu-west-1", "c", mkcfg_sized("c", 10), d[2]), 0,
        "another region has its own quota");
    cr_assert_eq(
        rs_lambda_reg_create(r, "222222222222", "us-east-1", "c", mkcfg_sized("c", 10), d[3]), 0,
        "another account has its own quota");
    cr_assert_eq(rs_lambda_reg_delete(r, "111111111111", "us-east-1", "a"), 0);
    cr_assert_eq(
        rs_lambda_reg_create(r, "111111111111", "us-east-1", "d", mkcfg_sized("d", 400), d[4]), 0,
        "a delete releases the quota");
    json_object *gone = json_object_new_array();
    cr_assert_eq(rs_lambda_reg_delete_account(r, "111111111111", gone), 0);
    json_object_put(gone);
    cr_assert_eq(
        rs_lambda_reg_create(r, "111111111111", "us-east-1", "e", mkcfg_sized("e", 1000), d[5]), 0,
        "an account reset releases the quota");
    rs_lambda_reg_close(r);
}
