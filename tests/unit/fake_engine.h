/*
 * fake_engine.h: the listening half of a fake container engine, shared by the Docker
 * client and watch unit tests: a temporary Unix socket, a Docker client pointed at it, one
 * thread running the test's own serve function (what it answers stays in each test), and
 * the teardown that stops it; plus the sleep and monotonic clock those tests use. Linked
 * into every test_*.c that includes it (tests/unit/gen-local-am.sh).
 * Runs in: the test process.
 */
#ifndef RS_TEST_FAKE_ENGINE_H
#define RS_TEST_FAKE_ENGINE_H

#include <pthread.h>

#include "rs/docker.h"

typedef struct rs_fake_engine {
    char path[108]; /* the socket: /tmp/rs-test-<tag>-<pid>.sock */
    int lfd;        /* the listening socket (-1: not listening) */
    pthread_t th;   /* runs serve */
} rs_fake_engine_t;

/* A fresh socket path for tag (nothing listening yet) and dk (2 s timeout) aimed at it. */
void rs_fake_engine_init(rs_fake_engine_t *fe, const char *tag, rs_docker_t *dk);
/* Listen on the path (backlog) and run serve(arg) in a thread; serve accepts on fe->lfd
 * and returns when accept fails. */
void rs_fake_engine_start(rs_fake_engine_t *fe, int backlog, void *(*serve)(void *), void *arg);
/* Shut the listener down (serve's accept fails), join serve, close, remove the socket. */
void rs_fake_engine_stop(rs_fake_engine_t *fe);

void rs_test_sleep_ms(int ms);
long long rs_test_now_ms(void); /* CLOCK_MONOTONIC in milliseconds */

#endif
