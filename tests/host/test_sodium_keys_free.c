/*
 * test_sodium_keys_free: the freestanding key-handling subset
 * (build/user/libsodium-keys.a, what keyd seals and unseals with) linked
 * into a host program, checked against values from the host's reference
 * implementations: libargon2 (Argon2id v1.3, p = 4 lanes, at a small cost
 * and at the Machine key's t = 3, m = 64 MiB) and libsodium's
 * XChaCha20-Poly1305-IETF, plus the refusal of an altered ciphertext.
 * The expected values were computed once with -largon2 -lsodium.
 *
 * Only the archives' own symbols are used (no system libsodium here).
 */
#include <stdlib.h>

#include "vtest.h"
#include "vtest_util.h"

int argon2id_hash_raw(const uint32_t t_cost, const uint32_t m_cost, const uint32_t parallelism,
                      const void *pwd, const size_t pwdlen, const void *salt,
                      const size_t saltlen, void *hash, const size_t hashlen);
int crypto_aead_xchacha20poly1305_ietf_encrypt(unsigned char *c, unsigned long long *clen,
                                               const unsigned char *m, unsigned long long mlen,
                                               const unsigned char *ad, unsigned long long adlen,
                                               const unsigned char *nsec,
                                               const unsigned char *npub, const unsigned char *k);
int crypto_aead_xchacha20poly1305_ietf_decrypt(unsigned char *m, unsigned long long *mlen,
                                               unsigned char *nsec, const unsigned char *c,
                                               unsigned long long clen, const unsigned char *ad,
                                               unsigned long long adlen,
                                               const unsigned char *npub, const unsigned char *k);

/* what keyd supplies in the OS */
void *sodium_big_malloc(size_t n);
void sodium_big_free(void *p);
void randombytes_buf(void *buf, size_t n);
void *sodium_big_malloc(size_t n) { return malloc(n); }
void sodium_big_free(void *p) { free(p); }
void randombytes_buf(void *buf, size_t n) { memset(buf, 0, n); abort(); }

static void hexs(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

TEST(sodium_keys_argon2id_small)
{
    uint8_t out[32];
    char h[65];
    CHECK_EQ(argon2id_hash_raw(2, 256, 4, "password", 8, "somesalt0123456!", 16, out, 32), 0);
    hexs(h, out, 32);
    CHECK(!strcmp(h, "5d100fffc96a5eab5dda65216bce43c4636c9e03ad5c0c7a927ccfcc3707cf02"));
}

TEST(sodium_keys_argon2id_machine_key_cost)
{
    uint8_t out[32];
    char h[65];
    CHECK_EQ(argon2id_hash_raw(3, 65536, 4, "correct horse battery", 21, "0123456789abcdef", 16,
                               out, 32), 0);
    hexs(h, out, 32);
    CHECK(!strcmp(h, "5220483d4ba1637c5d5df43b377a7f6aed39a6159693d0029a3e4f76d50669ab"));
}

TEST(sodium_keys_argon2id_refuses_bad_parameters)
{
    uint8_t out[32];
    CHECK(argon2id_hash_raw(0, 256, 4, "password", 8, "somesalt0123456!", 16, out, 32) != 0);
    CHECK(argon2id_hash_raw(2, 256, 4, "password", 8, "short", 5, out, 32) != 0);
}

TEST(sodium_keys_xchacha20poly1305)
{
    uint8_t key[32], nonce[24], m[32], c[48], ad[104], back[32];
    unsigned long long cl = 0, ml = 0;
    char h[97];
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)i;
        m[i] = (uint8_t)(0x40 + i);
    }
    for (int i = 0; i < 24; i++)
        nonce[i] = (uint8_t)(0x80 + i);
    for (int i = 0; i < 104; i++)
        ad[i] = (uint8_t)(i * 3);
    CHECK_EQ(crypto_aead_xchacha20poly1305_ietf_encrypt(c, &cl, m, 32, ad, 104, 0, nonce, key), 0);
    CHECK_EQ(cl, 48);
    hexs(h, c, 48);
    CHECK(!strcmp(h, "02af1b1aa3d1052d545169b003f0569e29c00e82d7aeecaeb8333081eb8f422e"
                     "cbe4d770b2298c84f297c81b20c90903"));
    CHECK_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(back, &ml, 0, c, 48, ad, 104, nonce, key),
             0);
    CHECK_MEM(back, m, 32);
    ad[103] ^= 1;
    CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(back, &ml, 0, c, 48, ad, 104, nonce, key) != 0);
    ad[103] ^= 1;
    c[0] ^= 1;
    CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(back, &ml, 0, c, 48, ad, 104, nonce, key) != 0);
}
