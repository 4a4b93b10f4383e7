/*
 * test_lambda_hot.c: hot reload (src/lambda/lambda_hot.c): the lambda_hot_reload_roots
 * check (empty, relative, missing, outside, ".." and symlink escapes, the root itself),
 * the directory digest (CodeSha256/CodeSize as documented), the inotify generation
 * (edits, new subdirectories, __pycache__ ignored, unwatch), and the registry keeping a
 * hot-reload directory across a reopen without ever removing it. Runs in: the test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambda/lambda_hot.h"
#include "lambda/lambda_registry.h"
#include "rs/err.h"
#include "rs/os.h"

static char base[64], roots[200], inside[200], outside[200];

static void put(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f, "%s", p);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(base, sizeof(base), "/tmp/rs-lhot-XXXXXX");
    cr_assert_not_null(mkdtemp(base));
    snprintf(roots, sizeof(roots), "%s/roots", base);
    snprintf(inside, sizeof(inside), "%s/roots/fn", base);
    snprintf(outside, sizeof(outside), "%s/outside", base);
    cr_assert_eq(mkdir(roots, 0755), 0);
    cr_assert_eq(mkdir(inside, 0755), 0);
    cr_assert_eq(mkdir(outside, 0755), 0);
    put(inside, "app.py", "def handler(e, c): return 1\n");
}

static void teardown(void)
{
    rs_rm_r(base);
}

TestSuite(lhot, .init = setup, .fini = teardown);

static int resolve(const char *allow, const char *path, char *why)
{
    char real[4096];
    return rs_lambda_hot_resolve(allow, path, real, sizeof(real), why, 600);
}

Test(lhot, roots_check)
{
    char why[600], real[4096], p[512];
    cr_assert_eq(resolve("", inside, why), RS_EINVAL);
    cr_assert_not_null(strstr(why, "lambda_hot_reload_roots"));
    cr_assert_not_null(strstr(why, "disabled"));
    cr_assert_eq(resolve(roots, "roots/fn", why), RS_EINVAL);
    cr_assert_not_null(strstr(why, "absolute"));
    snprintf(p, sizeof(p), "%s/missing", roots);
    cr_assert_eq(resolve(roots, p, why), RS_EINVAL);
    cr_assert_not_null(strstr(why, "does not exist"));
    cr_assert_eq(resolve(roots, outside, why), RS_EINVAL);
    cr_assert_not_null(strstr(why, "lambda_hot_reload_roots"));
    snprintf(p, sizeof(p), "%s/fn/../../outside", roots);
    cr_assert_eq(resolve(roots, p, why), RS_EINVAL);
    snprintf(p, sizeof(p), "%s/link", roots);
    cr_assert_eq(symlink(outside, p), 0);
    cr_assert_eq(resolve(roots, p, why), RS_EINVAL);
    /* a sibling whose name starts like the root is not under it */
    char sib[256];
    snprintf(sib, sizeof(sib), "%s/roots2", base);
    cr_assert_eq(mkdir(sib, 0755), 0);
    cr_assert_eq(resolve(roots, sib, why), RS_EINVAL);
    /* inside, the root itself, a second root in the list, a ".." that stays inside */
    cr_assert_eq(rs_lambda_hot_resolve(roots, inside, real, sizeof(real), why, 600), 0);
    cr_assert_str_eq(real, inside);
    cr_assert_eq(resolve(roots, roots, why), 0);
    char two[512];
    snprintf(two, sizeof(two), "/nonexistent-root, %s", outside);
    cr_assert_eq(resolve(two, outside, why), 0);
    snprintf(p, sizeof(p), "%s/fn/../fn", roots);
    cr_assert_eq(rs_lambda_hot_resolve(roots, p, real, sizeof(real), why, 600), 0);
    cr_assert_str_eq(real, inside);
    /* a file is not a directory */
    snprintf(p, sizeof(p), "%s/app.py", inside);
    cr_assert_eq(resolve(roots, p, why), RS_EINVAL);
}

Test(lhot, digest_as_documented)
{
    char d[256], sub[300], pyc[320], sha[45];
    snprintf(d, sizeof(d), "%s/dg", base);
    snprintf(sub, sizeof(sub), "%s/sub", d);
    snprintf(pyc, sizeof(pyc), "%s/sub/__pycache__", d);
    cr_assert_eq(mkdir(d, 0755), 0);
    cr_assert_eq(mkdir(sub, 0755), 0);
    cr_assert_eq(mkdir(pyc, 0755), 0);
    put(d, "a.py", "print(1)\n");
    put(sub, "b.txt", "xyz");
    put(pyc, "b.pyc", "junk");
    put(d, "c.pyc", "junk");
    uint64_t size = 0;
    cr_assert_eq(rs_lambda_hot_digest(d, sha, &size), 0);
    /* python3: sha256 over b"a.py\0" + b"%020d" % 9 + b"\0" + content, then sub/b.txt */
    cr_assert_str_eq(sha, "yLTeKlpsqKNKuhf6JVV1tePzysOaP6EEu5BcZV8UJXc=");
    cr_assert_eq(size, 12);
    put(sub, "b.txt", "xyZ");
    char sha2[45];
    cr_assert_eq(rs_lambda_hot_digest(d, sha2, &size), 0);
    cr_assert_str_neq(sha, sha2);
}

Test(lhot, generation_follows_changes)
{
    cr_assert_eq(rs_lambda_hot_gen(inside), 0);
    cr_assert_eq(rs_lambda_hot_watch(inside), 0);
    uint64_t g0 = rs_lambda_hot_gen(inside);
    cr_assert_gt(g0, 0);
    cr_assert_eq(rs_lambda_hot_gen(inside), g0, "no change, no bump");
    put(inside, "app.py", "def handler(e, c): return 2\n");
    uint64_t g1 = rs_lambda_hot_gen(inside);
    cr_assert_gt(g1, g0, "an edit is seen by the very next read");
    char pc[300], sub[300];
    snprintf(pc, sizeof(pc), "%s/__pycache__", inside);
    cr_assert_eq(mkdir(pc, 0755), 0);
    put(pc, "app.cpython-311.pyc", "x");
    put(inside, "other.pyc", "x");
    cr_assert_eq(rs_lambda_hot_gen(inside), g1, "__pycache__ and .pyc are ignored");
    snprintf(sub, sizeof(sub), "%s/pkg", inside);
    cr_assert_eq(mkdir(sub, 0755), 0);
    uint64_t g2 = rs_lambda_hot_gen(inside);
    cr_assert_gt(g2, g1);
    put(sub, "__init__.py", "X = 1\n");
    uint64_t g3 = rs_lambda_hot_gen(inside);
    cr_assert_gt(g3, g2, "a new subdirectory is watched too");
    /* counted: a second watch keeps it after one unwatch */
    cr_assert_eq(rs_lambda_hot_watch(inside), 0);
    rs_lambda_hot_unwatch(inside);
    cr_assert_eq(rs_lambda_hot_gen(inside), g3);
    rs_lambda_hot_unwatch(inside);
    cr_assert_eq(rs_lambda_hot_gen(inside), 0);
}

static json_object *mkcfg(const char *name)
{
    json_object *c = json_object_new_object();
    json_object_object_add(c, "FunctionName", json_object_new_string(name));
    json_object_object_add(c, "Handler", json_object_new_string("app.handler"));
    json_object_object_add(c, "Runtime", json_object_new_string("python3.12"));
    json_object_object_add(c, "RevisionId", json_object_new_string("r1"));
    return c;
}

Test(lhot, registry_keeps_the_directory)
{
    char rroot[256];
    snprintf(rroot, sizeof(rroot), "%s/reg", base);
    cr_assert_eq(mkdir(rroot, 0700), 0);
    rs_lambda_reg_t *r;
    cr_assert_eq(rs_lambda_reg_open(rroot, 0, &r), 0);
    /* without the flag a directory outside the code store is refused */
    cr_assert_eq(rs_lambda_reg_create(r, "000000000000", "us-east-1", "h", mkcfg("h"), inside),
                 RS_EINVAL);
    cr_assert_eq(
        rs_lambda_reg_create_code(r, "000000000000", "us-east-1", "h", mkcfg("h"), inside, 1), 0);
    rs_lambda_fn_t *fn = NULL;
    cr_assert_eq(rs_lambda_reg_get(r, "000000000000", "us-east-1", "h", NULL, &fn), 0);
    cr_assert_eq(fn->hot, 1);
    cr_assert_str_eq(fn->code_dir, inside);
    cr_assert_gt(rs_lambda_hot_gen(inside), 0, "watched while a revision lives");
    rs_lambda_fn_unref(fn);
    rs_lambda_reg_close(r);
    cr_assert_eq(access(inside, F_OK), 0);
    cr_assert_eq(rs_lambda_reg_open(rroot, 0, &r), 0);
    cr_assert_eq(rs_lambda_reg_get(r, "000000000000", "us-east-1", "h", NULL, &fn), 0);
    cr_assert_eq(fn->hot, 1);
    cr_assert_str_eq(fn->code_dir, inside);
    rs_lambda_fn_unref(fn);
    cr_assert_eq(rs_lambda_reg_delete(r, "000000000000", "us-east-1", "h"), 0);
    rs_lambda_reg_close(r);
    char app[300];
    snprintf(app, sizeof(app), "%s/app.py", inside);
    cr_assert_eq(access(app, F_OK), 0, "DeleteFunction never removes the user's directory");
    cr_assert_eq(rs_lambda_hot_gen(inside), 0, "unwatched with the last revision");
}
