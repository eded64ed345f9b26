/*
 * sha256: SHA-256 (FIPS 180-4), freestanding.
 *
 * Why our own, when libsodium (built from Debian's source for the OS)
 * has one: the OS verifies every capsule's payload with it, and under
 * QEMU TCG, where the figures are counted (docs/BENCHMARKS.md), the
 * emulated CPU has no SHA extensions; libsodium's portable C takes ~55
 * instructions a byte there, this unrolled scalar code about half
 * (docs/DECISIONS.md). Checked against the NIST example values and
 * differentially against libsodium (tests/host/test_crypto_sha256.c).
 *
 * The context may be updated any number of times; sha256_final() writes
 * the digest and leaves the context unusable until sha256_init() again.
 */
#ifndef CRYPTO_SHA256_H
#define CRYPTO_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sha256_ctx {
    uint32_t h[8];
    uint64_t len;        /* bytes absorbed */
    uint8_t buf[64];     /* a partial block: len % 64 bytes */
    bool ext;            /* compress with BMI1, BMI2 and SSE4.1 instructions */
};

void sha256_init(struct sha256_ctx *c);
/* ext: the CPU has BMI1 and BMI2 (CPUID.7.0:EBX bits 3 and 8) and SSE4.1
 * (CPUID.1:ECX bit 19); the digest is the same either way, only the
 * instructions differ. */
void sha256_init_cpu(struct sha256_ctx *c, bool ext);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[32]);

void sha256(uint8_t out[32], const void *data, size_t len);
void sha256_cpu(uint8_t out[32], const void *data, size_t len, bool ext);

#endif
