/*
 * port.c: what lwIP asks of its platform under NO_SYS=1: a millisecond
 * clock (sys_now), randomness for its local port choice, and what an
 * assertion or a diagnostic does. Built for both worlds: in a Vectra Task
 * from the kernel clock and the runtime; on the host (tests) from a clock a
 * test may replace, so that retransmission timers can be driven by hand.
 */
#include "lwip/opt.h"
#include "lwip/sys.h"

#include <stdarg.h>
#include <stdio.h>

#include "lwip_port.h"

#ifdef VECTRA_USER
#include "logc.h"
#include "rt.h"
static uint32_t real_ms(void) { return (uint32_t)(v_clock().val / 1000); }
#else
#include <stdlib.h>
#include <time.h>
static uint32_t real_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)(t.tv_sec * 1000 + t.tv_nsec / 1000000);
}
#endif

uint32_t (*vlwip_clock)(void) = real_ms;

/* LWIP_CHKSUM (lwipopts.h): the Internet checksum's one's-complement sum
 * of data's 16-bit words (a byte at an even offset from data is a word's
 * low byte, as lwIP's own routines read them on a little-endian machine),
 * not inverted. Eight bytes an addition with the carry wrapped around,
 * instead of lwIP's portable two: a received TCP segment is summed once,
 * and the per-word loop was a third of the stack's instructions per MiB.
 * 2^64 - 1 is a multiple of 2^16 - 1, so folding the 64-bit sum gives the
 * 16-bit one. Unaligned loads are fine on x86. */
u16_t vlwip_chksum(const void *data, int len)
{
    const uint8_t *p = data;
    size_t n = len > 0 ? (size_t)len : 0;
    uint64_t s = 0, w;
    for (; n >= 8; p += 8, n -= 8) {
        __builtin_memcpy(&w, p, 8);
        s += w;
        s += s < w;
    }
    w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    s += w;
    s += s < w;
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    return (u16_t)s;
}

u32_t sys_now(void) { return vlwip_clock(); }

/* xorshift32: the port numbers it picks need to be unpredictable only in
 * the sense of "not reused across restarts", so the seed is the clock. */
static uint32_t rand_state;
uint32_t vlwip_rand(void)
{
    if (!rand_state)
        rand_state = real_ms() * 2654435761u | 1;
    uint32_t x = rand_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rand_state = x;
}

void vlwip_assert(const char *msg, const char *file, int line)
{
#ifdef VECTRA_USER
    rt_log(RT_LOG_FATAL, "lwip: assertion '%s' failed at %s:%d", msg, file, line);
    rt_die("lwip: assertion '%s' failed at %s:%d", msg, file, line);
#else
    fprintf(stderr, "lwip: assertion '%s' failed at %s:%d\n", msg, file, line);
    abort();
#endif
}

void vlwip_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}
