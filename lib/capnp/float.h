/*
 * capnp/float.h: Float32/Float64 fields travel as their IEEE-754 bits; these
 * convert. Separate from capnp.h because the kernel is built without SSE:
 * only code that really uses floats calls these (static inline functions
 * that are never called generate nothing).
 */
#ifndef LIB_CAPNP_FLOAT_H
#define LIB_CAPNP_FLOAT_H

#include <stdint.h>

static inline float capnp_f32_from_bits(uint32_t b)
{
    float f;
    __builtin_memcpy(&f, &b, 4);
    return f;
}

static inline uint32_t capnp_f32_bits(float f)
{
    uint32_t b;
    __builtin_memcpy(&b, &f, 4);
    return b;
}

static inline double capnp_f64_from_bits(uint64_t b)
{
    double f;
    __builtin_memcpy(&f, &b, 8);
    return f;
}

static inline uint64_t capnp_f64_bits(double f)
{
    uint64_t b;
    __builtin_memcpy(&b, &f, 8);
    return b;
}

#endif
