/*
 * fs.c: directories and files: mkdir -p, rm -r (never following symlinks), atomic
 * replacement of a file.
 * Runs in: every process (the master for data_dir, supervisors for their state).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rs/err.h"
#include "rs/os.h"

int rs_mkdir_p(const char *path, int mode)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf)) {
        errno = n == 0 ? ENOENT : ENAMETOOLONG;
        return RS_ERR;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
            return RS_ERR;
        *p = '/';
    }
    if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
        return RS_ERR;
    return 0;
}

int rs_rm_r(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : RS_ERR;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 || errno == ENOENT ? 0 : RS_ERR;
    int rc = 0;
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char sub[4096];
            if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub)) {
                errno = ENAMETOOLONG;
                rc = RS_ERR;
                continue;
            }
            if (rs_rm_r(sub) != 0)
                rc = RS_ERR;
        }
        closedir(d);
    }
    if (rmdir(path) != 0 && errno != ENOENT)
        rc = RS_ERR;
    return rc;
}

int rs_write_file_atomic(const char *path, const void *buf, size_t len, int mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return RS_ERR;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        return RS_ERR;
    if (rs_write_all(fd, buf, len, -1) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return RS_ERR;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return RS_ERR;
    }
    return 0;
}
