/*
 * fuzz_lambda_code.c: fuzz target for the Lambda zip extraction
 * (src/lambda/lambda_code.c, rs_lambda_code_extract) and the base64 ZipFile decoder.
 * The input is extracted into <tmp>/box/x; afterwards <tmp>/box must hold nothing but x
 * (nothing written beside or above it), x must be gone on failure, every symlink inside x
 * must point inside x, and an absolute-path canary must not exist. Runs in: the fuzz
 * binary.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "lambda/lambda_code.h"
#include "lambda/lambda_registry.h"
#include "rs/os.h"
#include "rs/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];
static char box[128];
static char dest[160];

static void cleanup(void)
{
    if (root[0])
        rs_rm_r(root);
}

/* every entry under dir (recursively): symlinks must resolve inside `top` */
static void check_tree(const char *dir, const char *top_real)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            char real[PATH_MAX];
            if (realpath(p, real) != NULL) {
                size_t tl = strlen(top_real);
                if (strncmp(real, top_real, tl) != 0 || (real[tl] != '/' && real[tl] != '\0')) {
                    fprintf(stderr, "symlink %s escapes to %s\n", p, real);
                    abort();
                }
            }
        } else if (S_ISDIR(st.st_mode)) {
            check_tree(p, top_real);
        } else if (!S_ISREG(st.st_mode)) {
            fprintf(stderr, "special file %s extracted\n", p);
            abort();
        }
    }
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        snprintf(root, sizeof(root), "/tmp/rs-fuzz-code-XXXXXX");
        if (!mkdtemp(root))
            abort();
        atexit(cleanup);
        snprintf(box, sizeof(box), "%s/box", root);
        snprintf(dest, sizeof(dest), "%s/x", box);
    }
    if (mkdir(box, 0755) != 0)
        abort();
    uint8_t *zip = fz_dup(data, size);
    uint64_t unzipped = 0;
    int rc = rs_lambda_code_extract(zip, size, dest, 1u << 20, &unzipped);
    if (rc != 0 && rc != RS_EINVAL && rc != RS_ETOOBIG && rc != RS_ERR)
        abort();
    struct stat st;
    if (rc == 0) {
        if (lstat(dest, &st) != 0 || !S_ISDIR(st.st_mode))
            abort();
        if (unzipped > (1u << 20))
            abort();
        char top_real[PATH_MAX];
        if (!realpath(dest, top_real))
            abort();
        check_tree(dest, top_real);
    } else if (lstat(dest, &st) == 0) {
        fprintf(stderr, "extract failed (%d) but left %s\n", rc, dest);
        abort();
    }
    /* nothing beside x in the box, nothing beside the box in the root */
    DIR *d = opendir(box);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "x")) {
            fprintf(stderr, "entry written outside the target dir: %s/%s\n", box, e->d_name);
            abort();
        }
    }
    closedir(d);
    d = opendir(root);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "box")) {
            fprintf(stderr, "entry written outside the target dir: %s/%s\n", root, e->d_name);
            abort();
        }
    }
    closedir(d);
    if (access("/tmp/rs-fuzz-escape", F_OK) == 0) {
        fprintf(stderr, "absolute path /tmp/rs-fuzz-escape written\n");
        abort();
    }
    rs_rm_r(box);
    /* the same bytes as a base64 ZipFile member */
    uint8_t *dec = NULL;
    size_t dlen = 0;
    rc = rs_lambda_b64_decode((const char *)zip, size, &dec, &dlen);
    if (rc == 0) {
        if (dlen > size)
            abort();
        free(dec);
    } else if (rc != RS_EINVAL && rc != RS_ENOMEM) {
        abort();
    }
    free(zip);
    return 0;
}
