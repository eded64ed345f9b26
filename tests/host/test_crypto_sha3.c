/*
 * test_crypto_sha3: lib/crypto/sha3.c (freestanding, ours) against the
 * FIPS 202 example digests and differentially against OpenSSL's
 * EVP_sha3_256/512 over every length 0..600 and random split updates.
 */
#include "vtest.h"
#include "vtest_util.h"

#include <openssl/evp.h>
#include <stdlib.h>

#include "crypto/sha3.h"

TEST(fips202_examples)
{
    uint8_t d[64], want[64];
    sha3_512(d, "", 0);
    vtest_unhex(want, "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a6"
                      "15b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26");
    CHECK_MEM(d, want, 64);
    sha3_512(d, "abc", 3);
    vtest_unhex(want, "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
                      "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0");
    CHECK_MEM(d, want, 64);
    sha3_256(d, "abc", 3);
    vtest_unhex(want, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
    CHECK_MEM(d, want, 32);
    sha3_256(d, "", 0);
    vtest_unhex(want, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    CHECK_MEM(d, want, 32);
}

static void openssl(const EVP_MD *md, const uint8_t *p, size_t n, uint8_t *out)
{
    unsigned len;
    CHECK(EVP_Digest(p, n, out, &len, md, NULL) == 1);
}

TEST(differential_against_openssl_every_length)
{
    uint8_t buf[600], a[64], b[64];
    srand(1234);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rand();
    for (size_t n = 0; n <= sizeof buf; n++) {
        sha3_512(a, buf, n);
        openssl(EVP_sha3_512(), buf, n, b);
        CHECK_MEM(a, b, 64);
        sha3_256(a, buf, n);
        openssl(EVP_sha3_256(), buf, n, b);
        CHECK_MEM(a, b, 32);
    }
}

TEST(incremental_updates_match_one_shot)
{
    uint8_t buf[1000], a[64], b[64];
    srand(99);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rand();
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)rand() % sizeof buf, done = 0;
        struct sha3_ctx c;
        sha3_init(&c, 64);
        while (done < n) {
            size_t k = (size_t)rand() % 150;
            if (k > n - done)
                k = n - done;
            sha3_update(&c, buf + done, k);
            done += k;
        }
        sha3_final(&c, a);
        openssl(EVP_sha3_512(), buf, n, b);
        CHECK_MEM(a, b, 64);
    }
}
