dnl rs_robust_mutex.m4: prove that process-shared robust mutexes work by running them:
dnl a forked child takes the lock and dies by SIGKILL; the parent must get EOWNERDEAD,
dnl make the mutex consistent, and lock it again. No #ifdef: the feature is exercised.
AC_DEFUN([RS_CHECK_ROBUST_MUTEX], [
AC_CACHE_CHECK([whether process-shared robust mutexes report a dead owner],
  [rs_cv_robust_mutex], [
  AC_RUN_IFELSE([AC_LANG_PROGRAM([[
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
]], [[
    pthread_mutex_t *m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;
    if (m == MAP_FAILED) return 1;
    pthread_mutexattr_init(&a);
    if (pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) return 2;
    if (pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) return 3;
    if (pthread_mutex_init(m, &a)) return 4;
    pid_t p = fork();
    if (p == 0) { pthread_mutex_lock(m); kill(getpid(), SIGKILL); _exit(0); }
    int st;
    if (waitpid(p, &st, 0) != p || !WIFSIGNALED(st)) return 5;
    if (pthread_mutex_lock(m) != EOWNERDEAD) return 6;
    if (pthread_mutex_consistent(m)) return 7;
    if (pthread_mutex_unlock(m)) return 8;
    if (pthread_mutex_lock(m)) return 9;
    return 0;
]])], [rs_cv_robust_mutex=yes], [rs_cv_robust_mutex=no], [rs_cv_robust_mutex=cross])])
AS_IF([test "x$rs_cv_robust_mutex" = xno],
      [AC_MSG_ERROR([process-shared robust mutexes do not work here; RustStack needs them])])
])
