/*
 * sha3: SHA3-256 and SHA3-512 (FIPS 202), freestanding.
 *
 * Why our own: capsule integrity strings may name sha3_512 (the VayuOS
 * spelling), and the OS-side verifier needs it; libsodium, which the OS
 * builds from Debian source for everything else, has no SHA-3. Keccak is
 * one permutation and a sponge, small enough to read in a minute. It is
 * checked against the FIPS 202 example values and differentially against
 * OpenSSL's EVP_sha3_* (tests/host/test_crypto_sha3.c).
 *
 * The context may be updated any number of times; sha3_final() writes the
 * digest and leaves the context unusable until sha3_init() again.
 */
#ifndef CRYPTO_SHA3_H
#define CRYPTO_SHA3_H

#include <stddef.h>
#include <stdint.h>

struct sha3_ctx {
    uint64_t s[25];
    uint32_t pos;    /* bytes absorbed into the current block */
    uint32_t rate;   /* block size in bytes: 200 - 2 * digest length */
    uint32_t outlen; /* digest length in bytes */
};

void sha3_init(struct sha3_ctx *c, uint32_t outlen); /* 32 or 64 */
void sha3_update(struct sha3_ctx *c, const void *data, size_t len);
void sha3_final(struct sha3_ctx *c, uint8_t *out);

void sha3_256(uint8_t out[32], const void *data, size_t len);
void sha3_512(uint8_t out[64], const void *data, size_t len);

#endif
