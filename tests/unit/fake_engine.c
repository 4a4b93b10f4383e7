/*
 * fake_engine.c: the listening half of the fake container engine (fake_engine.h).
 * Runs in: the test process.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fake_engine.h"

void rs_fake_engine_init(rs_fake_engine_t *fe, const char *tag, rs_docker_t *dk)
{
    memset(fe, 0, sizeof(*fe));
    fe->lfd = -1;
    snprintf(fe->path, sizeof(fe->path), "/tmp/rs-test-%s-%d.sock", tag, (int)getpid());
    unlink(fe->path);
    cr_assert_eq(rs_docker_init(dk, fe->path, 2000), 0);
}

void rs_fake_engine_start(rs_fake_engine_t *fe, int backlog, void *(*serve)(void *), void *arg)
{
    struct sockaddr_un sa;
    fe->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_geq(fe->lfd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, fe->path);
    cr_assert_eq(bind(fe->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(fe->lfd, backlog), 0);
    cr_assert_eq(pthread_create(&fe->th, NULL, serve, arg), 0);
}

void rs_fake_engine_stop(rs_fake_engine_t *fe)
{
    if (fe->lfd >= 0) {
        shutdown(fe->lfd, SHUT_RDWR);
        pthread_join(fe->th, NULL);
        close(fe->lfd);
        fe->lfd = -1;
    }
    unlink(fe->path);
}

void rs_test_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

long long rs_test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
