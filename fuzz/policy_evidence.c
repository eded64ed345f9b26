/*
 * fuzz/policy_evidence: libFuzzer target for lib/policy, the install
 * policy's decision on hostile evidence: the vectra-evidence/v1
 * container, attestation and claim texts, and policy_decide() over all of
 * it (lib/tlog's note, proof, checkpoint and consistency parsers behind
 * it), twice, the second time from the state the first returned.
 *
 * Input: u16 LE manifest length, a canonical Manifest, u16 LE policy
 * length, a canonical Policy, then the evidence. The VCID is the real
 * SHA-256 of the manifest (lib/crypto), so the seeds, cut from the
 * capsules_trust image (tests/policy/fuzz-seeds/), pass every rule; the
 * signature check accepts every signature, so the fuzzer reaches the
 * code behind a "valid" one.
 *
 * Sources: FUZZ_SRCS_policy_evidence in lib/policy/rules.mk.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/sha256.h"
#include "policy/policy.h"

static void f_sha256v(uint8_t out[32], const struct tlog_span *parts, size_t n)
{
    struct sha256_ctx c;
    sha256_init(&c);
    for (size_t i = 0; i < n; i++)
        sha256_update(&c, parts[i].p, parts[i].n);
    sha256_final(&c, out);
}

static bool f_verify(const uint8_t sig[64], const void *msg, size_t len, const uint8_t pk[32])
{
    (void)sig, (void)msg, (void)len, (void)pk;
    return true;
}

static const struct tlog_crypto C = {f_sha256v, f_verify, NULL};

static bool take(const uint8_t **p, size_t *n, const uint8_t **part, size_t *plen)
{
    if (*n < 2)
        return false;
    size_t l = (size_t)(*p)[0] | (size_t)(*p)[1] << 8;
    if (*n - 2 < l)
        return false;
    *part = *p + 2;
    *plen = l;
    *p += 2 + l;
    *n -= 2 + l;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t mbuf[65536] __attribute__((aligned(8))), pbuf[65536] __attribute__((aligned(8)));
    static char ebuf[1 << 20];
    static struct policy_trust trust;
    static struct policy_result res;
    static struct policy_state st;
    static char scratch[1 << 17];
    const uint8_t *m, *p;
    size_t ml, pl;
    if (!take(&data, &size, &m, &ml) || !take(&data, &size, &p, &pl) || size > sizeof ebuf)
        return 0;
    memcpy(mbuf, m, ml);
    memcpy(pbuf, p, pl);
    memcpy(ebuf, data, size);

    /* the texts on their own */
    uint8_t v[32];
    const char *src;
    size_t sl;
    struct policy_claim cl;
    policy_attest_parse(ebuf, size, v, &src, &sl);
    policy_claim_parse(ebuf, size, &cl);
    bool covers;
    size_t nv;
    if (policy_attest_read(ebuf, size, v, &covers, &src, &sl, &nv) == TLOG_OK &&
        (nv == 0 || nv > POLICY_ATTEST_SET_MAX || sl == 0 || sl > 255))
        __builtin_trap();
    /* the remembered checkpoints as the store keeps them: what parses
     * formats back to the same bytes (one state, one encoding) */
    static struct policy_state ps, ps2;
    static char sbuf[POLICY_STATE_MAX];
    if (policy_state_parse(ebuf, size, &ps) == TLOG_OK) {
        size_t sn = policy_state_format(&ps, sbuf, sizeof sbuf);
        if (sn != size || memcmp(sbuf, ebuf, size) || policy_state_parse(sbuf, sn, &ps2) != TLOG_OK ||
            memcmp(&ps, &ps2, sizeof ps))
            __builtin_trap();
    }

    struct capsule_manifest man;
    struct capsule_policy pol;
    struct capsule_result mres;
    if (capsule_manifest_open(&man, mbuf, ml, &mres) != CAPSULE_OK ||
        capsule_policy_open(&pol, pbuf, pl) != CAPSULE_OK)
        return 0;
    struct policy_evidence ev;
    if (policy_evidence_parse(ebuf, size, &ev) != TLOG_OK)
        return 0;
    if (policy_trust_load(&C, &pol, capsule_manifest_domain(&man), &trust) != POLICY_OK)
        return 0;
    uint8_t vcid[32];
    sha256(vcid, mbuf, ml);
    struct policy_input in = {.verified = CAPSULE_OK, .vcid = vcid, .manifest = &man,
                              .policy = &pol, .scratch = scratch, .scratch_cap = sizeof scratch};
    policy_evidence_input(&ev, &in);
    memset(&st, 0, sizeof st);
    enum policy_reason r = policy_decide(&C, &trust, &in, &st, &res);
    if ((unsigned)r >= POLICY_NREASONS || !policy_reason_name(r)[0])
        __builtin_trap();
    st = res.state;
    /* the state to persist survives its encoding */
    size_t sn = policy_state_format(&st, sbuf, sizeof sbuf);
    if (!sn || policy_state_parse(sbuf, sn, &ps2) != TLOG_OK || memcmp(&ps2, &st, sizeof st))
        __builtin_trap();
    policy_decide(&C, &trust, &in, &st, &res); /* the same again: the memory holds */
    if (r == POLICY_OK && res.reason != POLICY_OK)
        __builtin_trap();
    return 0;
}
