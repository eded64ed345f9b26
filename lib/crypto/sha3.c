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

/* rho offsets, indexed x + 5y */
static const uint8_t rho[25] = {
    0,  1,  62, 28, 27,
    36, 44, 6,  55, 20,
    3,  10, 43, 25, 39,
    41, 45, 15, 21, 8,
    18, 2,  61, 56, 14,
};

static uint64_t rol(uint64_t v, unsigned n)
{
    return n ? (v << n) | (v >> (64 - n)) : v;
}

static void keccak_f(uint64_t s[25])
{
    uint64_t c[5], b[25];
    for (int round = 0; round < 24; round++) {
        for (int x = 0; x < 5; x++)
            c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
        for (int x = 0; x < 5; x++) {
            uint64_t d = c[(x + 4) % 5] ^ rol(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5)
                s[x + y] ^= d;
        }
        /* rho and pi: B[y, 2x + 3y] = rot(A[x, y], rho[x, y]) */
        for (int x = 0; x < 5; x++)
            for (int y = 0; y < 5; y++)
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rol(s[x + 5 * y], rho[x + 5 * y]);
        for (int y = 0; y < 25; y += 5)
            for (int x = 0; x < 5; x++)
                s[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
        s[0] ^= round_const[round];
    }
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
    for (size_t i = 0; i < len; i++)
        absorb_byte(c, p[i]);
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
