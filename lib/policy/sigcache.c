/*
 * sigcache.c: remembered Ed25519 verifications (sigcache.h).
 */
#include "policy/sigcache.h"

#include "string/vstring.h"

#define TAG "vectra-sigcache/v1"

void policy_sigcache_init(struct policy_sigcache *sc)
{
    vs_memset(sc, 0, sizeof *sc);
}

bool policy_sigcache_verify(struct policy_sigcache *sc, const struct tlog_crypto *c,
                            const uint8_t sig[64], const void *msg, size_t len,
                            const uint8_t pk[32])
{
    uint8_t d[32];
    const struct tlog_span parts[] = {{TAG, sizeof TAG}, {pk, 32}, {sig, 64}, {msg, len}};
    c->sha256v(d, parts, sizeof parts / sizeof parts[0]);
    for (uint32_t i = 0; i < sc->n; i++)
        if (!vs_memcmp(sc->digest[i], d, 32)) {
            sc->hits++;
            return true;
        }
    if (!c->ed25519_verify(sig, msg, len, pk)) {
        sc->failed++;
        return false;
    }
    sc->verified++;
    vs_memcpy(sc->digest[sc->next], d, 32);
    sc->next = (sc->next + 1) % POLICY_SIGCACHE_N;
    if (sc->n < POLICY_SIGCACHE_N)
        sc->n++;
    return true;
}
