/* tlog_host.c: see tlog_host.h. */
#include "tlog_host.h"

#include <sodium.h>

static void host_sha256v(uint8_t out[32], const struct tlog_span *parts, size_t n)
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < n; i++)
        crypto_hash_sha256_update(&st, parts[i].p, parts[i].n);
    crypto_hash_sha256_final(&st, out);
}

static bool host_verify(const uint8_t sig[64], const void *msg, size_t len, const uint8_t pk[32])
{
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

static void host_sign(uint8_t sig[64], const void *msg, size_t len, const uint8_t sk[64])
{
    crypto_sign_detached(sig, NULL, msg, len, sk);
}

const struct tlog_crypto tlog_host_crypto = {host_sha256v, host_verify, host_sign};
