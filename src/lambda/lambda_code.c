/*
 * lambda_code.c: the code store: base64 ZipFile decoding, CodeSha256, UUIDs, and the safe
 * extraction of an uploaded zip with libarchive (zip-slip, absolute paths, symlink escapes,
 * hard links and device files refused with libarchive's ARCHIVE_EXTRACT_SECURE_* flags AND
 * our own checks on every entry).
 * Runs in: the lambda supervisor.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambda/lambda_code.h"
#include "lambda/lambda_registry.h"
#include "rs/os.h"
#include "rs/codec.h"
#include "rs/err.h"
#include "rs/log.h"

int rs_lambda_b64_decode(const char *in, size_t len, uint8_t **out, size_t *outlen)
{
    /* accept missing padding: pad to a multiple of 4 first */
    size_t padded = (len + 3) / 4 * 4;
    if (len % 4 == 1)
        return RS_EINVAL;
    char *tmp = malloc(padded + 1);
    uint8_t *buf = malloc(padded / 4 * 3 + 1);
    if (tmp == NULL || buf == NULL) {
        free(tmp);
        free(buf);
        return RS_ENOMEM;
    }
    memcpy(tmp, in, len);
    for (size_t i = len; i < padded; i++)
        tmp[i] = '=';
    long n = rs_base64_decode(tmp, padded, buf, padded / 4 * 3 + 1);
    free(tmp);
    if (n < 0) {
        free(buf);
        return RS_EINVAL;
    }
    *out = buf;
    *outlen = (size_t)n;
    return 0;
}

void rs_lambda_sha256_b64(const void *p, size_t n, char out[45])
{
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(p, n, md);
    rs_base64_encode(md, sizeof(md), out);
}

void rs_lambda_uuid(char out[37])
{
    uint8_t b[16];
    if (RAND_bytes(b, sizeof(b)) != 1) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
            for (size_t i = 0; i < sizeof(b); i++)
                b[i] = (uint8_t)(rand() ^ (int)(rs_wall_ms() >> (i % 8)));
        }
        if (fd >= 0)
            close(fd);
    }
    rs_uuid_v4_format(b, out);
}

/* ---- entry checks -------------------------------------------------------------------- */

/* 1 when the relative path is acceptable: not absolute, no ".." component, not empty */
static int path_ok(const char *p)
{
    if (p == NULL || p[0] == '\0' || p[0] == '/')
        return 0;
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return 0;
        if (!e)
            break;
        s = e + 1;
    }
    return 1;
}

/* depth of the directory holding `p` after lexical normalisation ("a/b/c" -> 2) */
static int parent_depth(const char *p)
{
    int depth = 0;
    const char *s = p;
    for (;;) {
        const char *e = strchr(s, '/');
        if (!e)
            break;
        size_t n = (size_t)(e - s);
        if (n > 0 && !(n == 1 && s[0] == '.'))
            depth++;
        s = e + 1;
    }
    return depth;
}

/* 1 when a symlink at relative path `p` with target `t` stays inside the root */
static int symlink_ok(const char *p, const char *t)
{
    if (t == NULL || t[0] == '\0' || t[0] == '/')
        return 0;
    int depth = parent_depth(p);
    const char *s = t;
    for (;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            if (--depth < 0)
                return 0;
        } else if (n > 0 && !(n == 1 && s[0] == '.')) {
            depth++;
        }
        if (!e)
            break;
        s = e + 1;
    }
    return 1;
}

/* 1 when no existing prefix directory of `rel` under `root` is a symlink (so nothing is
 * written through a link: lexical location = physical location) */
static int no_symlink_prefix(const char *root, const char *rel)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return 0;
    size_t rootlen = strlen(root);
    for (char *q = buf + rootlen + 1; (q = strchr(q, '/')) != NULL; q++) {
        *q = '\0';
        struct stat st;
        int isl = lstat(buf, &st) == 0 && S_ISLNK(st.st_mode);
        *q = '/';
        if (isl)
            return 0;
    }
    return 1;
}

/* ---- extraction ---------------------------------------------------------------------- */

static int copy_data(struct archive *in, struct archive *out, uint64_t *total, uint64_t max)
{
    for (;;) {
        const void *buf;
        size_t size;
        la_int64_t off;
        int r = archive_read_data_block(in, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r != ARCHIVE_OK)
            return RS_EINVAL;
        *total += size;
        if (*total > max)
            return RS_ETOOBIG;
        if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
            return RS_ERR;
    }
}

static int extract_entries(struct archive *in, struct archive *out, const char *dir, uint64_t max,
                           uint64_t *total)
{
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(in, &e);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return RS_EINVAL;
        const char *name = archive_entry_pathname(e);
        if (!path_ok(name) || archive_entry_hardlink(e) != NULL)
            return RS_EINVAL;
        /* declared sizes first: a cheap early stop for a zip bomb */
        if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
            *total + (uint64_t)archive_entry_size(e) > max)
            return RS_ETOOBIG;
        mode_t type = archive_entry_filetype(e);
        if (type == AE_IFLNK) {
            if (!symlink_ok(name, archive_entry_symlink(e)))
                return RS_EINVAL;
        } else if (type != AE_IFREG && type != AE_IFDIR) {
            continue; /* device, FIFO, socket: skipped */
        }
        if (!no_symlink_prefix(dir, name))
            return RS_EINVAL;
        mode_t perm = archive_entry_perm(e);
        if (type == AE_IFDIR)
            archive_entry_set_perm(e, 0755);
        else if (type == AE_IFREG)
            archive_entry_set_perm(e, (perm & 0111) ? 0755 : 0644);
        char full[4096];
        int n = snprintf(full, sizeof(full), "%s/%s", dir, name);
        if (n < 0 || (size_t)n >= sizeof(full))
            return RS_EINVAL;
        archive_entry_set_pathname(e, full);
        archive_entry_set_uid(e, getuid());
        archive_entry_set_gid(e, getgid());
        r = archive_write_header(out, e);
        if (r == ARCHIVE_FAILED || r == ARCHIVE_FATAL) {
            rs_log(RS_LOG_INFO, NULL, "lambda: refused zip entry %s: %s", full + strlen(dir) + 1,
                   archive_error_string(out));
            return RS_EINVAL;
        }
        if (type == AE_IFREG) {
            int rc = copy_data(in, out, total, max);
            if (rc != 0)
                return rc;
        }
        if (archive_write_finish_entry(out) != ARCHIVE_OK)
            return RS_ERR;
    }
}

int rs_lambda_code_extract(const void *zip, size_t len, const char *dir, uint64_t max_unzipped,
                           uint64_t *unzipped_out)
{
    if (mkdir(dir, 0755) != 0)
        return RS_ERR;
    /* entries are written by absolute path under the resolved directory, so libarchive's
     * symlink check never trips over a symlink in the code root's own path; that is why
     * SECURE_NOABSOLUTEPATHS is not set: path_ok() refuses absolute entry names instead */
    char real[4096];
    if (realpath(dir, real) == NULL) {
        int e = errno;
        rmdir(dir);
        errno = e;
        return RS_ERR;
    }
    struct archive *in = archive_read_new();
    struct archive *out = archive_write_disk_new();
    int rc = RS_ENOMEM;
    uint64_t total = 0;
    if (in != NULL && out != NULL) {
        archive_read_support_format_zip(in);
        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_NO_OVERWRITE);
        if (len == 0 || archive_read_open_memory(in, zip, len) != ARCHIVE_OK)
            rc = RS_EINVAL;
        else
            rc = extract_entries(in, out, real, max_unzipped, &total);
        if (rc == 0 && archive_write_close(out) != ARCHIVE_OK)
            rc = RS_ERR;
    }
    if (in != NULL)
        archive_read_free(in);
    if (out != NULL)
        archive_write_free(out);
    if (rc != 0) {
        int e = errno;
        rs_rm_r(dir);
        errno = e;
        return rc;
    }
    if (unzipped_out != NULL)
        *unzipped_out = total;
    return 0;
}
