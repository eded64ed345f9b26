/*
 * sigcache: Ed25519 verifications that succeeded, remembered by hash, so
 * a signed statement met again is not verified again (docs/TRUST.md,
 * "Measured"). Within a boot many capsules carry the same checkpoint:
 * the log's signature and the witnesses' cosignatures on it are the same
 * bytes each time, and the same for every capsule of that checkpoint.
 *
 * An entry is SHA-256("vectra-sigcache/v1" 0x00 || public key ||
 * signature || message) of a triple that verified. A lookup that hits
 * stands for that exact triple (SHA-256's collision resistance; Ed25519
 * verification is a deterministic function of the triple); a miss runs
 * the real verification and records it only if it succeeds, so a
 * failure is verified again every time and never remembered. At most
 * POLICY_SIGCACHE_N entries; the oldest is replaced when full.
 *
 * Pure logic like lib/policy: hashing and verification through the
 * caller's struct tlog_crypto.
 */
#ifndef POLICY_SIGCACHE_H
#define POLICY_SIGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlog/tlog.h"

#define POLICY_SIGCACHE_N 32u

struct policy_sigcache {
    uint8_t digest[POLICY_SIGCACHE_N][32];
    uint32_t n, next;
    uint64_t hits, verified, failed; /* lookups answered, run, refused */
};

void policy_sigcache_init(struct policy_sigcache *sc);
/* c->ed25519_verify(sig, msg, len, pk), unless this triple verified before. */
bool policy_sigcache_verify(struct policy_sigcache *sc, const struct tlog_crypto *c,
                            const uint8_t sig[64], const void *msg, size_t len,
                            const uint8_t pk[32]);

#endif
