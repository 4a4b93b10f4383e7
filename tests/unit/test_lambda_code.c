/*
 * test_lambda_code.c: the code store (src/lambda/lambda_code.c): base64, CodeSha256,
 * UUIDs and safe zip extraction with zips built by libarchive's writer: nested dirs and
 * exec bits, zip-slip "../x", absolute paths, symlinks inside and escaping, hard links,
 * an empty zip, garbage bytes, the unzipped size limit.
 * Runs in: the test.
 */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambda/lambda_code.h"
#include "lambda/lambda_registry.h"
#include "rs/err.h"
#include "rs/os.h"

static char root[64], dest[128];

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/rs-lcode-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    snprintf(dest, sizeof(dest), "%s/code", root);
}

static void teardown(void)
{
    rs_rm_r(root);
}

TestSuite(lcode, .init = setup, .fini = teardown);

typedef struct zent {
    const char *name;
    int type;         /* 'f' file, 'd' dir, 'l' symlink, 'h' hard link, 'c' char device */
    const char *data; /* file content or link target */
    int mode;
} zent_t;

static size_t build_zip(const zent_t *ents, size_t n, void *buf, size_t cap)
{
    struct archive *a = archive_write_new();
    cr_assert_eq(archive_write_set_format_zip(a), ARCHIVE_OK);
    size_t used = 0;
    cr_assert_eq(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, ents[i].name);
        archive_entry_set_perm(e, ents[i].mode ? ents[i].mode : 0644);
        switch (ents[i].type) {
        case 'd':
            archive_entry_set_filetype(e, AE_IFDIR);
            break;
        case 'l':
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, ents[i].data);
            break;
        case 'h':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, ents[i].data);
            break;
        case 'c':
            archive_entry_set_filetype(e, AE_IFCHR);
            break;
        default:
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_size(e, (la_int64_t)strlen(ents[i].data));
        }
        cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK, "%s", archive_error_string(a));
        if (ents[i].type == 'f')
            archive_write_data(a, ents[i].data, strlen(ents[i].data));
        archive_entry_free(e);
    }
    cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return used;
}

static char zbuf[1 << 20];

static int extract(const zent_t *ents, size_t n, uint64_t max, uint64_t *total)
{
    size_t len = build_zip(ents, n, zbuf, sizeof(zbuf));
    return rs_lambda_code_extract(zbuf, len, dest, max, total);
}

static int exists(const char *rel)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dest, rel);
    return lstat(p, &st) == 0;
}

Test(lcode, nested_dirs_and_exec_bits)
{
    zent_t z[] = {{"app.py", 'f', "def handler(e, c):\n    return 1\n", 0644},
                  {"pkg/", 'd', NULL, 0700},
                  {"pkg/sub/mod.py", 'f', "X = 2\n", 0600},
                  {"bin/tool", 'f', "#!/bin/sh\n", 0700},
                  {"pkg/link.py", 'l', "sub/mod.py", 0777}};
    uint64_t total = 0;
    cr_assert_eq(extract(z, 5, RS_LAMBDA_UNZIPPED_MAX, &total), 0);
    cr_assert_eq(total, strlen(z[0].data) + strlen(z[2].data) + strlen(z[3].data));
    char p[256];
    struct stat st;
    snprintf(p, sizeof(p), "%s/pkg/sub/mod.py", dest);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0644);
    snprintf(p, sizeof(p), "%s/bin/tool", dest);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0755);
    snprintf(p, sizeof(p), "%s/pkg", dest);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0755);
    snprintf(p, sizeof(p), "%s/pkg/link.py", dest);
    cr_assert_eq(lstat(p, &st), 0);
    cr_assert(S_ISLNK(st.st_mode));
    FILE *f = fopen(p, "r");
    cr_assert_not_null(f);
    char line[16] = {0};
    cr_assert_not_null(fgets(line, sizeof(line), f));
    fclose(f);
    cr_assert_str_eq(line, "X = 2\n");
}

Test(lcode, directory_entry_after_its_files)
{
    zent_t z[] = {
        {"pkg/a.py", 'f', "A = 1\n", 0}, {"pkg/", 'd', NULL, 0755}, {"pkg/b.py", 'f', "", 0}};
    cr_assert_eq(extract(z, 3, RS_LAMBDA_UNZIPPED_MAX, NULL), 0);
    cr_assert(exists("pkg/a.py"));
    cr_assert(exists("pkg/b.py"));
}

Test(lcode, zip_slip_is_refused_and_nothing_is_left)
{
    zent_t z[] = {{"ok.py", 'f', "x", 0}, {"../evil.py", 'f', "bad", 0}};
    cr_assert_eq(extract(z, 2, RS_LAMBDA_UNZIPPED_MAX, NULL), RS_EINVAL);
    char p[256];
    snprintf(p, sizeof(p), "%s/evil.py", root);
    cr_assert_neq(access(p, F_OK), 0);
    cr_assert_neq(access(dest, F_OK), 0, "the failed directory is removed");
    zent_t z2[] = {{"a/../../evil.py", 'f', "bad", 0}};
    cr_assert_eq(extract(z2, 1, RS_LAMBDA_UNZIPPED_MAX, NULL), RS_EINVAL);
    cr_assert_neq(access(p, F_OK), 0);
}

Test(lcode, absolute_path_is_refused)
{
    char abs[200];
    snprintf(abs, sizeof(abs), "%s/abs.py", root);
    zent_t z[] = {{abs, 'f', "bad", 0}};
    cr_assert_eq(extract(z, 1, RS_LAMBDA_UNZIPPED_MAX, NULL), RS_EINVAL);
    cr_assert_neq(access(abs, F_OK), 0);
}

Test(lcode, escaping_symlinks_are_refused)
{
    zent_t z1[] = {{"up", 'l', "../outside", 0}};
    cr_assert_eq(extract(z1, 1, RS_LAMBDA_UNZIPPED_MAX, NULL), RS_EINVAL);
    zent_t z2[] = {{"etc", 'l', "/etc/passwd", 0}};
    cr_assert_eq(extract(z2, 1, RS_LAMBDA_UNZIPPED_MAX, NULL), RS_EINVAL);
    zent_t z3[] = {{"a/b/l", 'l', "../../../x", 0}};
    cr_assert_eq(extract(z3, 1, RS_LAMBDA_UNZIPPED_MAX, NULL), RS_EINVAL);
    /* lexically inside, but physically outside once "d" -> "." is followed: refused
     * because nothing may be written through a symlink */
    zent_t z4[] = {{"d", 'l', ".", 0}, {"d/l", 'l', "../x", 0}};
    cr_assert_eq(extract(z4, 2, RS_LAMBDA_UNZIPPED_MAX, NULL), RS_EINVAL);
    /* writing a file through a symlink to a directory outside */
    zent_t z5[] = {{"out", 'l', "sub", 0}, {"out/f.py", 'f', "x", 0}};
    cr_assert_eq(extract(z5, 2, RS_LAMBDA_UNZIPPED_MAX, NULL), RS_EINVAL);
    /* a link that stays inside is fine */
    zent_t z6[] = {{"a/b/f.py", 'f', "x", 0}, {"a/b/l", 'l', "../../a/b/f.py", 0}};
    cr_assert_eq(extract(z6, 2, RS_LAMBDA_UNZIPPED_MAX, NULL), 0);
    cr_assert(exists("a/b/l"));
}

Test(lcode, hard_links_and_devices)
{
    /* the zip format has no hard links: libarchive writes one as an ordinary copy */
    zent_t z1[] = {{"f.py", 'f', "x", 0}, {"h.py", 'h', "f.py", 0}};
    cr_assert_eq(extract(z1, 2, RS_LAMBDA_UNZIPPED_MAX, NULL), 0);
    cr_assert(exists("h.py"));
    rs_rm_r(dest);
    /* libarchive's zip writer refuses devices: write a file and turn its central directory
     * mode into a character device */
    zent_t z2[] = {{"f.py", 'f', "x", 0}, {"dev", 'f', "y", 0}};
    size_t len = build_zip(z2, 2, zbuf, sizeof(zbuf));
    int patched = 0;
    for (size_t i = 0; i + 46 < len; i++) {
        if (memcmp(zbuf + i, "PK\x01\x02", 4) == 0 && memcmp(zbuf + i + 46, "dev", 3) == 0) {
            zbuf[i + 40] = (char)0xa4; /* mode 020644 little-endian in the high half */
            zbuf[i + 41] = (char)0x21;
            patched = 1;
        }
    }
    cr_assert(patched);
    int rc = rs_lambda_code_extract(zbuf, len, dest, RS_LAMBDA_UNZIPPED_MAX, NULL);
    cr_assert_eq(rc, 0);
    cr_assert(exists("f.py"));
    cr_assert(!exists("dev"));
}

Test(lcode, empty_zip_is_valid)
{
    uint64_t total = 99;
    cr_assert_eq(extract(NULL, 0, RS_LAMBDA_UNZIPPED_MAX, &total), 0);
    cr_assert_eq(total, 0);
    struct stat st;
    cr_assert_eq(stat(dest, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
}

Test(lcode, garbage_is_not_a_zip)
{
    const char junk[] = "this is not a zip file at all, just text";
    cr_assert_eq(rs_lambda_code_extract(junk, sizeof(junk), dest, 1000, NULL), RS_EINVAL);
    cr_assert_neq(access(dest, F_OK), 0);
    cr_assert_eq(rs_lambda_code_extract(junk, 0, dest, 1000, NULL), RS_EINVAL);
    /* a truncated real zip */
    zent_t z[] = {{"app.py", 'f', "print(1)\n", 0}};
    size_t len = build_zip(z, 1, zbuf, sizeof(zbuf));
    cr_assert_eq(rs_lambda_code_extract(zbuf, len / 2, dest, 1000, NULL), RS_EINVAL);
}

Test(lcode, unzipped_limit)
{
    static char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    zent_t z[] = {{"a.txt", 'f', big, 0}, {"b.txt", 'f', big, 0}};
    cr_assert_eq(extract(z, 2, 6000, NULL), RS_ETOOBIG);
    cr_assert_neq(access(dest, F_OK), 0);
    uint64_t total;
    cr_assert_eq(extract(z, 2, 10000, &total), 0);
    cr_assert_eq(total, 2 * (sizeof(big) - 1));
}

Test(lcode, existing_directory_is_refused)
{
    cr_assert_eq(mkdir(dest, 0755), 0);
    zent_t z[] = {{"a.py", 'f', "x", 0}};
    cr_assert_eq(extract(z, 1, 1000, NULL), RS_ERR);
}

Test(lcode, base64_sha_uuid)
{
    uint8_t *out;
    size_t n;
    cr_assert_eq(rs_lambda_b64_decode("UEsDBA==", 8, &out, &n), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(memcmp(out, "PK\x03\x04", 4), 0);
    free(out);
    cr_assert_eq(rs_lambda_b64_decode("UEsDBA", 6, &out, &n), 0);
    cr_assert_eq(n, 4);
    free(out);
    cr_assert_eq(rs_lambda_b64_decode("UE!DBA==", 8, &out, &n), RS_EINVAL);
    cr_assert_eq(rs_lambda_b64_decode("UEsDB", 5, &out, &n), RS_EINVAL);
    char sha[45];
    rs_lambda_sha256_b64("abc", 3, sha);
    cr_assert_str_eq(sha, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    char u1[37], u2[37];
    rs_lambda_uuid(u1);
    rs_lambda_uuid(u2);
    cr_assert_eq(strlen(u1), 36);
    cr_assert_eq(u1[14], '4');
    cr_assert_eq(u1[8], '-');
    cr_assert_str_neq(u1, u2);
}
