/*
 * sha3.c: Keccak-f[1600] and the SHA-3 sponge (FIPS 202, sections 3 and 4).
 * The state is 25 little-endian 64-bit lanes, lane (x, y) at s[x + 5y];
 * bytes are absorbed by XOR into the lanes in order.
 */
#include "crypto/sha3.h"

static const uint64_t round_const[24] = {
    0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808Aull,
    0x8000000080008000ull, 0x000000000000808Bull, 0x0000000080000001ull,
    0x8000000080008081ull, 0x8000000000008009ull, 0x000000000000008Aull,
    0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000Aull,
    0x000000008000808Bull, 0x800000000000008Bull, 0x8000000000008089ull,
    0x8000000000008003ull, 0x8000000000008002ull, 0x8000000000000080ull,
    0x000000000000800Aull, 0x800000008000000Aull, 0x8000000080008081ull,
    0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};

static inline uint64_t rol(uint64_t v, unsigned n) { return (v << n) | (v >> (64 - n)); }

/*
 * Keccak-f[1600], one round per loop turn with the 25 lanes in locals
 * a<x + 5y> and every index, rotation (rho) and permutation (pi) a
 * constant: theta's column parities c and their effects d; then rho and
 * pi in one step, B[y, 2x + 3y] = rot(A[x, y] ^ D[x], r[x, y]); then chi
 * along each row; iota (FIPS 202, 3.2.1-3.2.5; the r[x, y] are the table
 * of 3.2.2). The straight-line form is what makes it fast under icount:
 * the loops and the % 5 arithmetic of the textbook form were most of its
 * instructions (docs/BENCHMARKS.md).
 */
static void keccak_f(uint64_t s[25])
{
    uint64_t a00 = s[0], a01 = s[1], a02 = s[2], a03 = s[3], a04 = s[4], a05 = s[5], a06 = s[6];
    uint64_t a07 = s[7], a08 = s[8], a09 = s[9], a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13];
    uint64_t a14 = s[14], a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19];
    uint64_t a20 = s[20], a21 = s[21], a22 = s[22], a23 = s[23], a24 = s[24];
    for (int round = 0; round < 24; round++) {
        uint64_t c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20, c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
        uint64_t c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22, c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
        uint64_t c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
        uint64_t d0 = c4 ^ rol(c1, 1), d1 = c0 ^ rol(c2, 1), d2 = c1 ^ rol(c3, 1);
        uint64_t d3 = c2 ^ rol(c4, 1), d4 = c3 ^ rol(c0, 1);
        uint64_t b00 = a00 ^ d0, b01 = rol(a06 ^ d1, 44), b02 = rol(a12 ^ d2, 43),
                 b03 = rol(a18 ^ d3, 21), b04 = rol(a24 ^ d4, 14);
        uint64_t b05 = rol(a03 ^ d3, 28), b06 = rol(a09 ^ d4, 20), b07 = rol(a10 ^ d0, 3),
                 b08 = rol(a16 ^ d1, 45), b09 = rol(a22 ^ d2, 61);
        uint64_t b10 = rol(a01 ^ d1, 1), b11 = rol(a07 ^ d2, 6), b12 = rol(a13 ^ d3, 25),
                 b13 = rol(a19 ^ d4, 8), b14 = rol(a20 ^ d0, 18);
        uint64_t b15 = rol(a04 ^ d4, 27), b16 = rol(a05 ^ d0, 36), b17 = rol(a11 ^ d1, 10),
                 b18 = rol(a17 ^ d2, 15), b19 = rol(a23 ^ d3, 56);
        uint64_t b20 = rol(a02 ^ d2, 62), b21 = rol(a08 ^ d3, 55), b22 = rol(a14 ^ d4, 39),
                 b23 = rol(a15 ^ d0, 41), b24 = rol(a21 ^ d1, 2);
        a00 = b00 ^ (~b01 & b02);
        a01 = b01 ^ (~b02 & b03);
        a02 = b02 ^ (~b03 & b04);
        a03 = b03 ^ (~b04 & b00);
        a04 = b04 ^ (~b00 & b01);
        a05 = b05 ^ (~b06 & b07);
        a06 = b06 ^ (~b07 & b08);
        a07 = b07 ^ (~b08 & b09);
        a08 = b08 ^ (~b09 & b05);
        a09 = b09 ^ (~b05 & b06);
        a10 = b10 ^ (~b11 & b12);
        a11 = b11 ^ (~b12 & b13);
        a12 = b12 ^ (~b13 & b14);
        a13 = b13 ^ (~b14 & b10);
        a14 = b14 ^ (~b10 & b11);
        a15 = b15 ^ (~b16 & b17);
        a16 = b16 ^ (~b17 & b18);
        a17 = b17 ^ (~b18 & b19);
        a18 = b18 ^ (~b19 & b15);
        a19 = b19 ^ (~b15 & b16);
        a20 = b20 ^ (~b21 & b22);
        a21 = b21 ^ (~b22 & b23);
        a22 = b22 ^ (~b23 & b24);
        a23 = b23 ^ (~b24 & b20);
        a24 = b24 ^ (~b20 & b21);
        a00 ^= round_const[round];
    }
    s[0] = a00;
    s[1] = a01;
    s[2] = a02;
    s[3] = a03;
    s[4] = a04;
    s[5] = a05;
    s[6] = a06;
    s[7] = a07;
    s[8] = a08;
    s[9] = a09;
    s[10] = a10;
    s[11] = a11;
    s[12] = a12;
    s[13] = a13;
    s[14] = a14;
    s[15] = a15;
    s[16] = a16;
    s[17] = a17;
    s[18] = a18;
    s[19] = a19;
    s[20] = a20;
    s[21] = a21;
    s[22] = a22;
    s[23] = a23;
    s[24] = a24;
}

/* A lane from 8 message bytes, little-endian (one load on x86-64). */
static inline uint64_t ld_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void absorb_byte(struct sha3_ctx *c, uint8_t v)
{
    c->s[c->pos / 8] ^= (uint64_t)v << (8 * (c->pos % 8));
    if (++c->pos == c->rate) {
        keccak_f(c->s);
        c->pos = 0;
    }
}

void sha3_init(struct sha3_ctx *c, uint32_t outlen)
{
    for (int i = 0; i < 25; i++)
        c->s[i] = 0;
    c->pos = 0;
    c->outlen = outlen;
    c->rate = 200 - 2 * outlen;
}

void sha3_update(struct sha3_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    /* bytes up to a lane boundary, then whole lanes, then the rest */
    while (len && c->pos % 8) {
        absorb_byte(c, *p++);
        len--;
    }
    for (; len >= 8; len -= 8, p += 8) {
        c->s[c->pos / 8] ^= ld_le64(p);
        c->pos += 8;
        if (c->pos == c->rate) {
            keccak_f(c->s);
            c->pos = 0;
        }
    }
    while (len--)
        absorb_byte(c, *p++);
}

void sha3_final(struct sha3_ctx *c, uint8_t *out)
{
    /* SHA-3 domain bits 01, then pad10*1 */
    c->s[c->pos / 8] ^= (uint64_t)0x06 << (8 * (c->pos % 8));
    c->s[(c->rate - 1) / 8] ^= (uint64_t)0x80 << (8 * ((c->rate - 1) % 8));
    keccak_f(c->s);
    for (uint32_t i = 0; i < c->outlen; i++)
        out[i] = (uint8_t)(c->s[i / 8] >> (8 * (i % 8)));
}

void sha3_256(uint8_t out[32], const void *data, size_t len)
{
    struct sha3_ctx c;
    sha3_init(&c, 32);
    sha3_update(&c, data, len);
    sha3_final(&c, out);
}

void sha3_512(uint8_t out[64], const void *data, size_t len)
{
    struct sha3_ctx c;
    sha3_init(&c, 64);
    sha3_update(&c, data, len);
    sha3_final(&c, out);
}
