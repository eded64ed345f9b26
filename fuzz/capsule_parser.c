/*
 * fuzz/capsule_parser: libFuzzer target for everything in lib/capsule that
 * reads untrusted bytes: the envelope, the canonical Cap'n Proto reader,
 * manifests, certificate bodies, policies and the whole verifier.
 *
 * Input layout: byte 0 chooses how the rest is used; for the verifier the
 * next two bytes give the length of a policy that precedes the capsule.
 * Crypto is a stub whose signature check accepts everything, so the fuzzer
 * gets past the signatures into manifest, domain and payload checks; the
 * stub hash is a cheap mix (no digest will match, but all code that
 * computes and compares digests runs).
 *
 * Sources: every lib/capsule source (FUZZ_SRCS_capsule_parser in fuzz/rules.mk).
 */
#include <stddef.h>
#include <stdint.h>

#include "capsule/capsule.h"

static void mix(uint8_t *out, size_t n, const void *msg, size_t len)
{
    const uint8_t *p = msg;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    for (size_t i = 0; i < n; i++) {
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        out[i] = (uint8_t)(h >> 32);
    }
}

static void f_sha256(uint8_t out[32], const void *msg, size_t len) { mix(out, 32, msg, len); }
static void f_sha3(uint8_t out[64], const void *msg, size_t len) { mix(out, 64, msg, len); }

static bool f_verify(const uint8_t sig[64], const void *msg, size_t len, const uint8_t pk[32])
{
    (void)sig, (void)msg, (void)len, (void)pk;
    return true;
}

static const struct capsule_crypto fuzz_crypto = {f_sha256, f_sha3, f_verify};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 4;
    data++, size--;
    switch (mode) {
    case 0: {
        struct capsule_manifest m;
        struct capsule_result res;
        if (capsule_manifest_open(&m, data, size, &res) == CAPSULE_OK) {
            /* every accessor on an accepted manifest */
            (void)capsule_manifest_name(&m);
            (void)capsule_manifest_ver(&m);
            (void)capsule_manifest_entry(&m);
            (void)capsule_manifest_mem_max(&m);
            for (int w = CAPSULE_REQUIRES; w <= CAPSULE_SYSCALLS; w++)
                for (uint32_t i = 0; i < capsule_manifest_count(&m, (enum capsule_list)w); i++)
                    (void)capsule_manifest_item(&m, (enum capsule_list)w, i);
            for (uint32_t i = 0; i < capsule_manifest_nblobs(&m); i++)
                (void)capsule_manifest_blob(&m, i);
            for (uint32_t i = 0; i < capsule_manifest_nrates(&m); i++)
                (void)capsule_manifest_rate(&m, i);
        }
        break;
    }
    case 1: {
        struct capsule_policy p;
        if (capsule_policy_open(&p, data, size) == CAPSULE_OK) {
            static const uint8_t key[32];
            struct capsule_str name, cap = {"svc:x", 5};
            (void)capsule_policy_person(&p, key, &name);
            for (uint16_t d = 0; d < 6; d++) {
                (void)capsule_policy_may_sign(&p, d, cap);
                (void)capsule_policy_allows(&p, d, cap);
            }
        }
        break;
    }
    case 2: {
        struct capsule_certrec rec = {data, (uint32_t)size, data};
        struct capsule_cert c;
        if (size >= 64 && size <= CAPSULE_MAX_CERT_BODY)
            (void)capsule_cert_read(&rec, &c);
        size_t used;
        (void)capsule_parse_certrec(data, size, &used, &rec);
        break;
    }
    default: {
        if (size < 2)
            return 0;
        size_t plen = (size_t)data[0] | (size_t)data[1] << 8;
        data += 2, size -= 2;
        if (plen > size)
            plen = size;
        struct capsule_policy p;
        if (capsule_policy_open(&p, data, plen) != CAPSULE_OK) {
            static const uint8_t empty[8];
            capsule_policy_open(&p, empty, 8);
        }
        struct capsule_result res;
        (void)capsule_verify(&fuzz_crypto, data + plen, size - plen, &p, 1700000000, &res);
        uint8_t vcid[32];
        (void)capsule_vcid(&fuzz_crypto, data + plen, size - plen, vcid);
        break;
    }
    }
    return 0;
}
