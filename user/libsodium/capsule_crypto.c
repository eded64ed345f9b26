/*
 * capsule_crypto.c: the OS side of lib/capsule's crypto interface:
 * SHA-256 and Ed25519 from the freestanding libsodium subset, SHA3-512
 * from lib/crypto. init passes &capsule_crypto_os to capsule_verify().
 */
#include "capsule/capsule.h"
#include "crypto/sha3.h"

int crypto_hash_sha256(unsigned char *out, const unsigned char *in, unsigned long long inlen);
int crypto_sign_ed25519_verify_detached(const unsigned char *sig, const unsigned char *m,
                                        unsigned long long mlen, const unsigned char *pk);

extern const struct capsule_crypto capsule_crypto_os;

static void os_sha256(uint8_t out[32], const void *msg, size_t len)
{
    crypto_hash_sha256(out, msg, len);
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
