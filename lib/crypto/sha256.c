/*
 * sha256.c: SHA-256 (FIPS 180-4, sections 4.1.2, 4.2.2, 5.1.1, 6.2).
 *
 * The message schedule is expanded first, all 64 words, and the 64 rounds
 * are unrolled with the eight working variables renamed from round to
 * round instead of moved (ROUND's arguments rotate), so the constants are
 * immediates and the rounds keep their variables in registers. Whole
 * blocks are compressed straight from the caller's bytes; only a partial
 * block is buffered. Big-endian loads are byte assembled, which gcc turns
 * into one load and a bswap.
 *
 * The rounds exist twice: in C for plain x86-64, and for CPUs with BMI1,
 * BMI2 and SSE4.1 (which QEMU's TCG emulates) as a schedule computed
 * four words at a time in SSE registers, K added, then rounds of inline
 * assembly using rorx and andn; which one runs is the caller's choice
 * (sha256_init_cpu), since lib/ has no CPU of its own to ask. Measured
 * under callgrind over 4 MiB, instructions a 64-byte block: libsodium's
 * SHA256_Transform 3 480; the plain form 2 833; the extended form 2 102
 * (it was 2 566 as the same C as the plain form compiled with the
 * extensions: gcc spilled about two state words a round, and the
 * schedule, vectorised by gcc two words at a time, cost ~17 a word).
 */
#include "crypto/sha256.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static inline uint32_t ld_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sigma0 and Sigma1 as nested rotations for plain x86-64, whose ror
 * overwrites its operand: one copy of x instead of three
 * (ror(x ^ ror(x ^ ror(x, c - b), b - a), a) is ror(x, a) ^ ror(x, b) ^
 * ror(x, c)). The extended form's rorx copies for free (ROUNDX). */
#define S0(x) ror((x) ^ ror((x) ^ ror((x), 9), 11), 2)
#define S1(x) ror((x) ^ ror((x) ^ ror((x), 14), 5), 6)
#define s0(x) (ror((x) ^ ror((x), 11), 7) ^ ((x) >> 3))
#define s1(x) (ror((x) ^ ror((x), 2), 17) ^ ((x) >> 10))
/* Ch's two terms have no bit in common, so they may be added into t1. */
#define CH(x, y, z) (((x) & (y)) + (~(x) & (z)))

/* Round t: the new d and h. Maj(a, b, c)
 * is b ^ ((a ^ b) & (b ^ c)), and this round's a ^ b is the next round's
 * b ^ c (bc). */
#define ROUND(a, b, c, d, e, f, g, h, t, W)                                  \
    do {                                                                     \
        uint32_t t1 = h + S1(e) + CH(e, f, g) + K[t] + (W);                  \
        uint32_t ab = (a) ^ (b);                                             \
        d += t1;                                                             \
        h = t1 + S0(a) + ((b) ^ (ab & bc));                                  \
        bc = ab;                                                             \
    } while (0)

/* Eight rounds from round i, the variables renamed instead of moved. */
#define R8(i)                                                                \
    ROUND(a, b, c, d, e, f, g, h, (i) + 0, w[(i) + 0]);                     \
    ROUND(h, a, b, c, d, e, f, g, (i) + 1, w[(i) + 1]);                     \
    ROUND(g, h, a, b, c, d, e, f, (i) + 2, w[(i) + 2]);                     \
    ROUND(f, g, h, a, b, c, d, e, (i) + 3, w[(i) + 3]);                     \
    ROUND(e, f, g, h, a, b, c, d, (i) + 4, w[(i) + 4]);                     \
    ROUND(d, e, f, g, h, a, b, c, (i) + 5, w[(i) + 5]);                     \
    ROUND(c, d, e, f, g, h, a, b, (i) + 6, w[(i) + 6]);                     \
    ROUND(b, c, d, e, f, g, h, a, (i) + 7, w[(i) + 7])

/* The block's working variables added into the state. */
static inline void fold(uint32_t st[8], uint32_t a, uint32_t b, uint32_t c, uint32_t d,
                        uint32_t e, uint32_t f, uint32_t g, uint32_t h)
{
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
    st[5] += f;
    st[6] += g;
    st[7] += h;
}

static void compress_x86_64(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
    for (; nblocks--; p += 64) {
        uint32_t w[64];
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7], bc = b ^ c;
        _Pragma("GCC unroll 16")
        for (int t = 0; t < 16; t++)
            w[t] = ld_be32(p + 4 * t);
        for (int t = 16; t < 64; t++)
            w[t] = s1(w[t - 2]) + w[t - 7] + s0(w[t - 15]) + w[t - 16];
        R8(0); R8(8); R8(16); R8(24); R8(32); R8(40); R8(48); R8(56);
        fold(st, a, b, c, d, e, f, g, h);
    }
}

/* The extended form's schedule four words at a time, in SSE registers
 * (GCC's vector extensions: no intrinsics header in lib/), with K added
 * on the way out, so a round adds one word (wk[t]) instead of two. Per
 * four words: w[t-15..t-12] and w[t-7..t-4] are two shuffles of the
 * previous sixteen; s0 is shifts and xors on all four lanes; s1 needs
 * w[t-2] and w[t-1], so it is done twice on two lanes, the second time
 * on the two words just made, each rotation one 64-bit shift of a word
 * doubled into both halves of a lane. */
typedef uint32_t v4u __attribute__((vector_size(16)));
typedef uint64_t v2u __attribute__((vector_size(16)));
typedef uint8_t v16u __attribute__((vector_size(16)));
/* Lane shuffles with constant indices, in GCC's spelling or clang's (the
 * fuzzers are built with clang). */
#if defined(__clang__)
#define SHUF1(a, ...) __builtin_shufflevector(a, a, __VA_ARGS__)
#define SHUF2(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SHUF1(a, ...) __builtin_shuffle(a, (__typeof__(a)){__VA_ARGS__})
#define SHUF2(a, b, ...) __builtin_shuffle(a, b, (__typeof__(a)){__VA_ARGS__})
#endif

__attribute__((target("bmi,bmi2,sse4.1"))) static inline v4u s1_pairs(v4u doubled)
{
    v2u y = (v2u)doubled;       /* lanes (x, x, y, y): the low half of each 64-bit lane */
    return (v4u)((y >> 17) ^ (y >> 19)) ^ (doubled >> 10);
}

__attribute__((target("bmi,bmi2,sse4.1"))) static void schedule_ext(uint32_t wk[64],
                                                                   const uint8_t *p)
{
    v4u x[16];
    _Pragma("GCC unroll 4")
    for (int i = 0; i < 4; i++) {
        v16u raw;
        __builtin_memcpy(&raw, p + 16 * i, 16);
        x[i] = (v4u)SHUF1(raw, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    }
    _Pragma("GCC unroll 12")
    for (int i = 4; i < 16; i++) {
        v4u w15 = SHUF2(x[i - 4], x[i - 3], 1, 2, 3, 4);
        v4u w7 = SHUF2(x[i - 2], x[i - 1], 1, 2, 3, 4);
        v4u s0 = (w15 >> 7 | w15 << 25) ^ (w15 >> 18 | w15 << 14) ^ (w15 >> 3);
        v4u sum = x[i - 4] + s0 + w7;
        v4u lo = s1_pairs(SHUF1(x[i - 1], 2, 2, 3, 3));
        sum += SHUF2(lo, (v4u){0}, 0, 2, 4, 4);
        v4u hi = s1_pairs(SHUF1(sum, 0, 0, 1, 1));
        sum += SHUF2(hi, (v4u){0}, 4, 4, 0, 2);
        x[i] = sum;
    }
    _Pragma("GCC unroll 16")
    for (int i = 0; i < 16; i++) {
        v4u k;
        __builtin_memcpy(&k, &K[4 * i], 16);
        v4u sum = x[i] + k;
        __builtin_memcpy(&wk[4 * i], &sum, 16);
    }
}

/* Round t of the extended form, with K[t] already in wk[t]: 24
 * instructions, written out because gcc's allocation of the same C
 * spilled about two state words a round. bc holds b ^ c on entry and
 * Maj(a, b, c) on exit; ab gets a ^ b, the next round's bc, so the two
 * registers trade roles from round to round instead of being copied. */
#define ROUNDX(a, b, d, e, f, g, h, bc, ab, t)                               \
    __asm__("rorx $6, %[E], %[T0]\n\t"                                       \
            "rorx $11, %[E], %[T1]\n\t"                                      \
            "xor %[T1], %[T0]\n\t"                                           \
            "rorx $25, %[E], %[T1]\n\t"                                      \
            "xor %[T1], %[T0]\n\t"          /* t0 = S1(e) */                 \
            "add %[W], %[H]\n\t"                                             \
            "andn %[G], %[E], %[T1]\n\t"    /* t1 = ~e & g */                \
            "add %[T0], %[H]\n\t"                                            \
            "mov %[E], %[T0]\n\t"                                            \
            "and %[F], %[T0]\n\t"           /* t0 = e & f */                 \
            "add %[T1], %[H]\n\t"                                            \
            "add %[T0], %[H]\n\t"           /* h = T1 */                     \
            "add %[H], %[D]\n\t"                                             \
            "rorx $2, %[A], %[T0]\n\t"                                       \
            "rorx $13, %[A], %[T1]\n\t"                                      \
            "xor %[T1], %[T0]\n\t"                                           \
            "rorx $22, %[A], %[T1]\n\t"                                      \
            "xor %[T1], %[T0]\n\t"          /* t0 = S0(a) */                 \
            "add %[T0], %[H]\n\t"                                            \
            "mov %[A], %[AB]\n\t"                                            \
            "xor %[B], %[AB]\n\t"                                            \
            "and %[AB], %[BC]\n\t"                                           \
            "xor %[B], %[BC]\n\t"           /* bc = Maj(a, b, c) */          \
            "add %[BC], %[H]"                                                \
            : [D] "+r"(d), [H] "+r"(h), [BC] "+r"(bc), [AB] "=&r"(ab),       \
              [T0] "=&r"(t0), [T1] "=&r"(t1)                                 \
            : [A] "r"(a), [B] "r"(b), [E] "r"(e), [F] "r"(f), [G] "r"(g),     \
              [W] "m"(wk[t])                                                 \
            : "cc")

#define R8X(i)                                                               \
    ROUNDX(a, b, d, e, f, g, h, x, y, (i) + 0);                              \
    ROUNDX(h, a, c, d, e, f, g, y, x, (i) + 1);                              \
    ROUNDX(g, h, b, c, d, e, f, x, y, (i) + 2);                              \
    ROUNDX(f, g, a, b, c, d, e, y, x, (i) + 3);                              \
    ROUNDX(e, f, h, a, b, c, d, x, y, (i) + 4);                              \
    ROUNDX(d, e, g, h, a, b, c, y, x, (i) + 5);                              \
    ROUNDX(c, d, f, g, h, a, b, x, y, (i) + 6);                              \
    ROUNDX(b, c, e, f, g, h, a, y, x, (i) + 7)

__attribute__((target("bmi,bmi2,sse4.1"))) static void compress_ext(uint32_t st[8],
                                                                   const uint8_t *p,
                                                                   size_t nblocks)
{
    for (; nblocks--; p += 64) {
        uint32_t wk[64];
        schedule_ext(wk, p);
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7], x = b ^ c, y, t0, t1;
        R8X(0); R8X(8); R8X(16); R8X(24); R8X(32); R8X(40); R8X(48); R8X(56);
        fold(st, a, b, c, d, e, f, g, h);
    }
}

static void compress(struct sha256_ctx *c, const uint8_t *p, size_t nblocks)
{
    if (c->ext)
        compress_ext(c->h, p, nblocks);
    else
        compress_x86_64(c->h, p, nblocks);
}

void sha256_init_cpu(struct sha256_ctx *c, bool ext)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int i = 0; i < 8; i++)
        c->h[i] = iv[i];
    c->len = 0;
    c->ext = ext;
}

void sha256_init(struct sha256_ctx *c) { sha256_init_cpu(c, false); }

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t have = (size_t)(c->len % 64);
    c->len += len;
    if (have) {
        size_t take = 64 - have < len ? 64 - have : len;
        for (size_t i = 0; i < take; i++)
            c->buf[have + i] = p[i];
        p += take;
        len -= take;
        if (have + take < 64)
            return;
        compress(c, c->buf, 1);
    }
    compress(c, p, len / 64);
    p += len / 64 * 64;
    for (size_t i = 0; i < len % 64; i++)
        c->buf[i] = p[i];
}

void sha256_final(struct sha256_ctx *c, uint8_t out[32])
{
    uint64_t bits = c->len * 8;
    size_t have = (size_t)(c->len % 64);
    c->buf[have++] = 0x80;
    if (have > 56) {
        while (have < 64)
            c->buf[have++] = 0;
        compress(c, c->buf, 1);
        have = 0;
    }
    while (have < 56)
        c->buf[have++] = 0;
    for (int i = 0; i < 8; i++)
        c->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress(c, c->buf, 1);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void sha256_cpu(uint8_t out[32], const void *data, size_t len, bool ext)
{
    struct sha256_ctx c;
    sha256_init_cpu(&c, ext);
    sha256_update(&c, data, len);
    sha256_final(&c, out);
}

void sha256(uint8_t out[32], const void *data, size_t len) { sha256_cpu(out, data, len, false); }
