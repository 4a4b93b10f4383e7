/*
 * fs.c: directories and files: mkdir -p, rm -r (never following symlinks), atomic and
 * durable replacement of a file, fsync of a whole tree.
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
    struct stat st;
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
    if (mkdir(buf, (mode_t)mode) == 0)
        return 0;
    if (errno != EEXIST)
        return RS_ERR;
    if (stat(buf, &st) != 0)
        return RS_ERR;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR; /* a file is in the way */
        return RS_ERR;
    }
    return 0;
}

/* remove `name` under the directory dfd, never following a symlink; 0 or RS_ERR */
static int rm_at(int dfd, const char *name)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : RS_ERR;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dfd, name, 0) == 0 || errno == ENOENT ? 0 : RS_ERR;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return RS_ERR;
    fchmod(fd, 0700); /* a read-only tree (an extracted archive): its entries can go */
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return RS_ERR;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
            rm_at(dirfd(d), de->d_name) != 0)
            rc = RS_ERR;
    closedir(d);
    if (unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = RS_ERR;
    return rc;
}

int rs_rm_r(const char *path)
{
    if (path == NULL || path[0] == '\0') {
        errno = EINVAL;
        return RS_ERR;
    }
    return rm_at(AT_FDCWD, path);
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
    /* the rename itself survives a crash once the directory is synced */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof(dir), "%.*s",
             slash == NULL   ? 1
             : slash == path ? 1
                             : (int)(slash - path),
             slash == NULL ? "." : path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* fsync the directory open as `fd` after everything below it; adds to *n. Closes fd. */
static int fsync_dir_fd(int fd, int depth, int *n)
{
    DIR *d = fdopendir(fd);
    struct dirent *de;
    int rc = 0;

    if (d == NULL) {
        close(fd);
        return RS_ERR;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        struct stat sb;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = RS_ERR;
            break;
        }
        if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
            continue; /* symlinks are not followed */
        int c = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (c < 0 || depth > 64) {
            if (c >= 0)
                close(c);
            rc = RS_ERR;
        } else if (S_ISDIR(sb.st_mode)) {
            rc = fsync_dir_fd(c, depth + 1, n);
        } else {
            rc = fsync(c) == 0 ? 0 : RS_ERR;
            close(c);
            *n += rc == 0;
        }
    }
    if (rc == 0) {
        rc = fsync(dirfd(d)) == 0 ? 0 : RS_ERR;
        *n += rc == 0;
    }
    int e = errno;
    closedir(d);
    errno = e;
    return rc;
}

int rs_fsync_tree(const char *dir)
{
    char parent[4096];
    struct stat sb;

    if (!dir || lstat(dir, &sb) != 0)
        return RS_ERR;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return RS_ERR;
    }
    int n = 0, dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0 || fsync_dir_fd(dfd, 0, &n) != 0)
        return RS_ERR;
    const char *slash = strrchr(dir, '/');
    snprintf(parent, sizeof parent, "%.*s",
             slash == NULL  ? 1
             : slash == dir ? 1
                            : (int)(slash - dir),
             slash == NULL ? "." : dir);
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return RS_ERR;
    int rc = fsync(fd);
    close(fd);
    return rc != 0 ? RS_ERR : n;
}
