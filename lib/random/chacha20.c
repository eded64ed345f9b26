/*
 * chacha20.c: RFC 8439 section 2.3 (the block function) and 2.4 (the
 * counter over blocks). Words are loaded and stored byte by byte, little
 * endian, so the code is the same on any host and alignment never matters.
 */
#include "random/chacha20.h"

static inline uint32_t rol(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static inline uint32_t ld_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void st_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#define QR(a, b, c, d)                                                                          \
    do {                                                                                        \
        a += b, d ^= a, d = rol(d, 16);                                                         \
        c += d, b ^= c, b = rol(b, 12);                                                         \
        a += b, d ^= a, d = rol(d, 8);                                                          \
        c += d, b ^= c, b = rol(b, 7);                                                          \
    } while (0)

void chacha20_block(uint8_t out[CHACHA20_BLOCK], const uint8_t key[CHACHA20_KEY],
                    uint32_t counter, const uint8_t nonce[CHACHA20_NONCE])
{
    uint32_t s[16], x[16];
    s[0] = 0x61707865; /* "expand 32-byte k" */
    s[1] = 0x3320646e;
    s[2] = 0x79622d32;
    s[3] = 0x6b206574;
    for (int i = 0; i < 8; i++)
        s[4 + i] = ld_le32(key + 4 * i);
    s[12] = counter;
    for (int i = 0; i < 3; i++)
        s[13 + i] = ld_le32(nonce + 4 * i);
    for (int i = 0; i < 16; i++)
        x[i] = s[i];
    for (int r = 0; r < 10; r++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        st_le32(out + 4 * i, x[i] + s[i]);
}

bool chacha20_stream(uint8_t *out, size_t n, const uint8_t key[CHACHA20_KEY], uint32_t counter,
                     const uint8_t nonce[CHACHA20_NONCE])
{
    uint64_t blocks = ((uint64_t)n + CHACHA20_BLOCK - 1) / CHACHA20_BLOCK;
    if (blocks > (1ull << 32) - counter)
        return false;
    uint8_t b[CHACHA20_BLOCK];
    while (n) {
        size_t k = n < CHACHA20_BLOCK ? n : CHACHA20_BLOCK;
        if (k == CHACHA20_BLOCK) {
            chacha20_block(out, key, counter++, nonce);
        } else {
            chacha20_block(b, key, counter++, nonce);
            for (size_t i = 0; i < k; i++)
                out[i] = b[i];
        }
        out += k;
        n -= k;
    }
    for (size_t i = 0; i < sizeof b; i++)
        ((volatile uint8_t *)b)[i] = 0;
    return true;
}
