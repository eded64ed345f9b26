/*
 * test_sodium_free: the freestanding libsodium subset (user/lib/libsodium,
 * built from the pinned Debian source with user-space flags) linked into a
 * host program and checked against RFC 8032 section 7.1 (Ed25519 tests 1,
 * 2, 3 and SHA(abc)), FIPS 180 SHA-256/512 examples, and the refusals the
 * capsule verifier relies on (altered message, altered R, non-canonical S,
 * small-order key). Keeps the OS-side crypto from rotting unseen.
 *
 * Only the archive's own symbols are used (no system libsodium here).
 */
#include "vtest.h"
#include "vtest_util.h"

int crypto_sign_ed25519_verify_detached(const unsigned char *sig, const unsigned char *m,
                                        unsigned long long mlen, const unsigned char *pk);
int crypto_sign_ed25519_detached(unsigned char *sig, unsigned long long *siglen,
                                 const unsigned char *m, unsigned long long mlen,
                                 const unsigned char *sk);
int crypto_hash_sha256(unsigned char *out, const unsigned char *in, unsigned long long inlen);
int crypto_hash_sha512(unsigned char *out, const unsigned char *in, unsigned long long inlen);

struct vec {
    const char *sk, *pk, *msg, *sig;
};

static const struct vec rfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};
#define NVEC (sizeof rfc8032 / sizeof rfc8032[0])

TEST(rfc8032_vectors_verify)
{
    for (size_t i = 0; i < NVEC; i++) {
        uint8_t pk[32], msg[64], sig[64];
        vtest_unhex(pk, rfc8032[i].pk);
        size_t n = vtest_unhex(msg, rfc8032[i].msg);
        vtest_unhex(sig, rfc8032[i].sig);
        CHECK_EQ(crypto_sign_ed25519_verify_detached(sig, msg, n, pk), 0);
    }
}

TEST(rfc8032_vectors_sign_to_the_same_bytes)
{
    for (size_t i = 0; i < NVEC; i++) {
        uint8_t sk[64], msg[64], want[64], sig[64];
        vtest_unhex(sk, rfc8032[i].sk);
        vtest_unhex(sk + 32, rfc8032[i].pk);
        size_t n = vtest_unhex(msg, rfc8032[i].msg);
        vtest_unhex(want, rfc8032[i].sig);
        unsigned long long sl;
        CHECK_EQ(crypto_sign_ed25519_detached(sig, &sl, msg, n, sk), 0);
        CHECK_EQ(sl, 64);
        CHECK_MEM(sig, want, 64);
    }
}

TEST(what_if_message_or_signature_is_altered)
{
    uint8_t pk[32], msg[64], sig[64];
    vtest_unhex(pk, rfc8032[2].pk);
    size_t n = vtest_unhex(msg, rfc8032[2].msg);
    vtest_unhex(sig, rfc8032[2].sig);
    msg[0] ^= 1;
    CHECK(crypto_sign_ed25519_verify_detached(sig, msg, n, pk) != 0);
    msg[0] ^= 1;
    for (int bit = 0; bit < 512; bit++) {
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(crypto_sign_ed25519_verify_detached(sig, msg, n, pk) != 0);
        sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK_EQ(crypto_sign_ed25519_verify_detached(sig, msg, n, pk), 0);
}

TEST(what_if_S_is_not_canonical_or_the_key_has_small_order)
{
    uint8_t pk[32], msg[64], sig[64];
    vtest_unhex(pk, rfc8032[0].pk);
    vtest_unhex(sig, rfc8032[0].sig);
    /* S + L: the same point equation, a different encoding; must fail */
    static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                  0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        unsigned s = sig[32 + i] + L[i] + carry;
        sig[32 + i] = (uint8_t)s;
        carry = s >> 8;
    }
    CHECK(crypto_sign_ed25519_verify_detached(sig, msg, 0, pk) != 0);
    /* the identity point as a public key */
    uint8_t ident[32] = {1};
    vtest_unhex(sig, rfc8032[0].sig);
    CHECK(crypto_sign_ed25519_verify_detached(sig, msg, 0, ident) != 0);
}

TEST(sha256_and_sha512_examples)
{
    uint8_t d[64], want[64];
    crypto_hash_sha256(d, (const uint8_t *)"abc", 3);
    vtest_unhex(want, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_MEM(d, want, 32);
    crypto_hash_sha512(d, (const uint8_t *)"abc", 3);
    vtest_unhex(want, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    CHECK_MEM(d, want, 64);
    crypto_hash_sha256(d, (const uint8_t *)"", 0);
    vtest_unhex(want, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_MEM(d, want, 32);
}

/* The OS path end to end: lib/capsule with capsule_crypto_os (this
 * archive + lib/crypto/sha3) verifies the committed fixture
 * tests/capsule/hello.vcap under tests/capsule/policy.bin (certificate
 * valid 1000000000..2000000000; regenerate both with vkey/vcapsule if the
 * format changes, see tests/capsule/README). */
#include <stdlib.h>

#include "capsule/capsule.h"

extern const struct capsule_crypto capsule_crypto_os;

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

TEST(os_crypto_verifies_the_fixture_capsule)
{
    size_t clen, plen;
    uint8_t *cap = slurp("tests/capsule/hello.vcap", &clen);
    uint8_t *pol = slurp("tests/capsule/policy.bin", &plen);
    CHECK(cap && pol);
    struct capsule_policy p;
    struct capsule_result res;
    CHECK_EQ(capsule_policy_open(&p, pol, plen), CAPSULE_OK);
    CHECK_EQ(capsule_verify(&capsule_crypto_os, cap, clen, &p, 1500000000, &res), CAPSULE_OK);
    CHECK_EQ(capsule_verify(&capsule_crypto_os, cap, clen, &p, 2000000001, &res),
             CAPSULE_CERT_EXPIRED);
    /* a flipped bit in each section: manifest, proof, payload */
    size_t at[] = {100, clen - 100, clen - 5};
    for (size_t i = 0; i < 3; i++) {
        cap[at[i]] ^= 4;
        CHECK(capsule_verify(&capsule_crypto_os, cap, clen, &p, 1500000000, &res) != CAPSULE_OK);
        cap[at[i]] ^= 4;
    }
    free(cap);
    free(pol);
}
