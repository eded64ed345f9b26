/*
 * vtest_util.h: helpers several host tests share, beside the framework in
 * vtest.h: a reproducible random stream and hex test vectors.
 */
#ifndef VTEST_UTIL_H
#define VTEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* xorshift64 (Marsaglia, 13/7/17): fast and reproducible. Each test file
 * keeps its own state and seed, so its random cases do not change when
 * another file draws more or fewer numbers. */
static inline uint64_t vtest_xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Hex digit pairs to bytes until the string ends; returns the bytes
 * written. For the test's own vectors: nothing is checked. */
static inline size_t vtest_unhex(uint8_t *out, const char *h)
{
    size_t n = 0;
    for (; h[2 * n]; n++) {
        unsigned v;
        sscanf(h + 2 * n, "%2x", &v);
        out[n] = (uint8_t)v;
    }
    return n;
}

#endif
