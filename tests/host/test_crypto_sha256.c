/*
 * test_crypto_sha256: lib/crypto/sha256.c (freestanding, ours, the OS's
 * capsule hash) against the NIST example digests (FIPS 180-4's examples,
 * as published with the CAVP short and long messages) and differentially
 * against libsodium's crypto_hash_sha256 over every length 0..1100 and
 * random split updates; each test runs both compiled forms (plain x86-64
 * and BMI1/BMI2/SSE4.1, the latter where this CPU has them).
 */
#include "vtest.h"
#include "vtest_util.h"

#include <sodium.h>
#include <stdlib.h>

#include "crypto/sha256.h"

static int nforms(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
                   __builtin_cpu_supports("sse4.1")
               ? 2
               : 1;
}

TEST(nist_examples)
{
    static const struct {
        const char *msg;
        const char *digest;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmno"
         "pqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (int form = 0; form < nforms(); form++) {
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
            uint8_t d[32], want[32];
            sha256_cpu(d, v[i].msg, strlen(v[i].msg), form == 1);
            vtest_unhex(want, v[i].digest);
            CHECK_MEM(d, want, 32);
        }
        /* one million 'a', fed in pieces of 1000 */
        struct sha256_ctx c;
        uint8_t a[1000], d[32], want[32];
        memset(a, 'a', sizeof a);
        sha256_init_cpu(&c, form == 1);
        for (int k = 0; k < 1000; k++)
            sha256_update(&c, a, sizeof a);
        sha256_final(&c, d);
        vtest_unhex(want, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        CHECK_MEM(d, want, 32);
    }
}

static void fill_random(uint8_t *buf, size_t n, unsigned seed)
{
    srand(seed);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)rand();
}

TEST(differential_against_libsodium_every_length)
{
    static uint8_t buf[1100];
    uint8_t a[32], b[32];
    fill_random(buf, sizeof buf, 4321);
    for (int form = 0; form < nforms(); form++)
        for (size_t n = 0; n <= sizeof buf; n++) {
            sha256_cpu(a, buf, n, form == 1);
            crypto_hash_sha256(b, buf, n);
            CHECK_MEM(a, b, 32);
        }
    sha256(a, buf, sizeof buf);
    crypto_hash_sha256(b, buf, sizeof buf);
    CHECK_MEM(a, b, 32);
}

TEST(incremental_updates_match_one_shot)
{
    static uint8_t buf[3000];
    uint8_t a[32], b[32];
    fill_random(buf, sizeof buf, 77);
    for (int form = 0; form < nforms(); form++)
        for (int round = 0; round < 300; round++) {
            size_t n = (size_t)rand() % sizeof buf, done = 0;
            struct sha256_ctx c;
            sha256_init_cpu(&c, form == 1);
            while (done < n) {
                size_t k = (size_t)rand() % 200;
                if (k > n - done)
                    k = n - done;
                sha256_update(&c, buf + done, k);
                done += k;
            }
            sha256_final(&c, a);
            crypto_hash_sha256(b, buf, n);
            CHECK_MEM(a, b, 32);
        }
}
