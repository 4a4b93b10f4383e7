/*
 * clock.c: the monotonic and wall clocks and deadlines on the monotonic clock.
 * Runs in: every process.
 */
#include <time.h>

#include "rs/os.h"

int64_t rs_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t rs_mono_us(void)
{
    return rs_mono_ns() / 1000;
}

int64_t rs_mono_ms(void)
{
    return rs_mono_ns() / 1000000;
}

int64_t rs_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rs_deadline_ms(int64_t ms)
{
    return ms < 0 ? -1 : rs_mono_ms() + ms;
}

int rs_deadline_left(int64_t deadline_ms)
{
    if (deadline_ms < 0)
        return -1;
    int64_t left = deadline_ms - rs_mono_ms();
    if (left <= 0)
        return 0;
    return left > 0x7fffffff ? 0x7fffffff : (int)left;
}
