/*
 * internal.h: little helpers shared by the capsule sources (no libc).
 */
#ifndef CAPSULE_INTERNAL_H
#define CAPSULE_INTERNAL_H

#include "capsule/capsule.h"

static inline uint32_t cap_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t cap_ld64(const uint8_t *p)
{
    return (uint64_t)cap_ld32(p) | (uint64_t)cap_ld32(p + 4) << 32;
}

static inline bool cap_memeq(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

static inline bool cap_streq(struct capsule_str a, struct capsule_str b)
{
    return a.len == b.len && cap_memeq(a.p, b.p, a.len);
}

static inline struct capsule_str cap_str(struct cpr_bytes b)
{
    struct capsule_str s = {(const char *)b.p, b.len};
    return s;
}

#endif
