/*
 * capsule_crypto.c: the OS side of lib/capsule's crypto interface:
 * Ed25519 from the freestanding libsodium subset, SHA-256 and SHA3-512
 * from lib/crypto (whose SHA-256 takes the capsule payloads in fewer
 * instructions than libsodium's: docs/DECISIONS.md). init passes
 * &capsule_crypto_os to capsule_verify().
 */
#include "capsule/capsule.h"
#include "crypto/sha256.h"
#include "crypto/sha3.h"

int crypto_sign_ed25519_verify_detached(const unsigned char *sig, const unsigned char *m,
                                        unsigned long long mlen, const unsigned char *pk);

extern const struct capsule_crypto capsule_crypto_os;

static void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* BMI1, BMI2 (CPUID.7.0:EBX bits 3, 8) and SSE4.1 (CPUID.1:ECX bit 19),
 * asked once. QEMU 7.2's TCG emulates all three for -cpu max (measured:
 * the figures move when they are used); the SHA extensions it does not
 * (a guest sha256msg1 faults), nor AVX state the kernel would have to
 * enable. */
static bool cpu_ext(void)
{
    static int known = -1;
    if (known < 0) {
        uint32_t r[4];
        cpuid(0, r);
        bool ok = false;
        if (r[0] >= 7) {
            cpuid(1, r);
            bool sse41 = r[2] & (1u << 19);
            cpuid(7, r);
            ok = sse41 && (r[1] & (1u << 3)) && (r[1] & (1u << 8));
        }
        known = ok;
    }
    return known == 1;
}

static void os_sha256(uint8_t out[32], const void *msg, size_t len)
{
    sha256_cpu(out, msg, len, cpu_ext());
}

static void os_sha3_512(uint8_t out[64], const void *msg, size_t len)
{
    sha3_512(out, msg, len);
}

static bool os_ed25519_verify(const uint8_t sig[64], const void *msg, size_t len,
                              const uint8_t pk[32])
{
    return crypto_sign_ed25519_verify_detached(sig, msg, len, pk) == 0;
}

const struct capsule_crypto capsule_crypto_os = {os_sha256, os_sha3_512, os_ed25519_verify};
