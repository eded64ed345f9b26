/*
 * test_argon2: Argon2id against RFC 9106 section 5.3, and the sealed
 * Machine key file: round trip, wrong passphrase, every altered byte,
 * truncation and out-of-range parameters (small Argon2 costs for speed;
 * the tool uses RFC 9106's second recommended option).
 */
#include "vtest.h"

#include <sodium.h>

#include "../../tools/vkey/host.h"
#include "../../tools/vkey/keys.h"

TEST(rfc9106_argon2id_vector)
{
    uint8_t pwd[32], salt[16], secret[8], ad[12], tag[32];
    memset(pwd, 0x01, sizeof pwd);
    memset(salt, 0x02, sizeof salt);
    memset(secret, 0x03, sizeof secret);
    memset(ad, 0x04, sizeof ad);
    static const uint8_t want[32] = {
        0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37, 0xa3, 0x4a, 0x8b, 0x53, 0xc9,
        0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75, 0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59};
    CHECK(host_argon2id(pwd, 32, salt, 16, secret, 8, ad, 12, 3, 32, 4, tag, 32) == 0);
    CHECK_MEM(tag, want, 32);
}

static const struct mkey_params small = {1, 64, 1};

TEST(seal_and_unseal_round_trip)
{
    uint8_t seed[32], img[MKEY_FILE_SIZE], pk[32], sk[64], wpk[32], wsk[64];
    randombytes_buf(seed, 32);
    crypto_sign_seed_keypair(wpk, wsk, seed);
    CHECK(mkey_seal(seed, "correct horse", &small, img) == 0);
    CHECK(mkey_unseal(img, sizeof img, "correct horse", pk, sk) == 0);
    CHECK_MEM(pk, wpk, 32);
    CHECK_MEM(sk, wsk, 64);
    struct mkey_params kp;
    CHECK(mkey_info(img, sizeof img, &kp, pk) == 0);
    CHECK_EQ(kp.t_cost, 1);
    CHECK_EQ(kp.m_cost_kib, 64);
    CHECK_EQ(kp.parallelism, 1);
    CHECK_MEM(pk, wpk, 32);
}

TEST(what_if_the_passphrase_is_wrong)
{
    uint8_t seed[32] = {7}, img[MKEY_FILE_SIZE], pk[32], sk[64];
    CHECK(mkey_seal(seed, "right", &small, img) == 0);
    CHECK(mkey_unseal(img, sizeof img, "wrong", pk, sk) < 0);
    CHECK(strstr(host_errmsg(), "wrong passphrase"));
    CHECK(mkey_unseal(img, sizeof img, "righ", pk, sk) < 0);
    CHECK(mkey_unseal(img, sizeof img, "right ", pk, sk) < 0);
}

TEST(what_if_any_byte_of_the_key_file_is_altered)
{
    uint8_t seed[32] = {9}, img[MKEY_FILE_SIZE], pk[32], sk[64];
    CHECK(mkey_seal(seed, "pw", &small, img) == 0);
    for (size_t i = 0; i < sizeof img; i++) {
        uint8_t bad[MKEY_FILE_SIZE];
        memcpy(bad, img, sizeof bad);
        bad[i] ^= 0x01;
        /* the whole header is the seal's associated data */
        CHECK(mkey_unseal(bad, sizeof bad, "pw", pk, sk) < 0);
    }
}

TEST(what_if_the_key_file_is_truncated_or_has_bad_parameters)
{
    uint8_t seed[32] = {1}, img[MKEY_FILE_SIZE], pk[32], sk[64];
    struct mkey_params kp;
    CHECK(mkey_seal(seed, "pw", &small, img) == 0);
    for (size_t n = 0; n < sizeof img; n += 7)
        CHECK(mkey_unseal(img, n, "pw", pk, sk) < 0);
    CHECK(mkey_info(img, 3, &kp, pk) < 0);
    uint8_t bad[MKEY_FILE_SIZE];
    memcpy(bad, img, sizeof bad);
    bad[20] = 0xff, bad[21] = 0xff, bad[22] = 0xff, bad[23] = 0xff; /* m = 4 TiB */
    CHECK(mkey_info(bad, sizeof bad, &kp, pk) < 0);
    CHECK(strstr(host_errmsg(), "out of range"));
    struct mkey_params zero = {0, 64, 1};
    CHECK(mkey_seal(seed, "pw", &zero, img) < 0);
}

TEST(what_if_a_key_file_asks_for_too_much_or_too_little_work)
{
    struct mkey_params over_m = {MKEY_T_COST, MKEY_M_MAX_KIB + 1, 1};
    struct mkey_params over_t = {MKEY_T_MAX + 1, MKEY_M_COST_KIB, 1};
    struct mkey_params over_p = {MKEY_T_COST, MKEY_M_COST_KIB, MKEY_P_MAX + 1};
    uint8_t seed[32] = {3}, img[MKEY_FILE_SIZE];
    CHECK(mkey_seal(seed, "pw", &over_m, img) < 0);
    CHECK(strstr(host_errmsg(), "out of range"));
    CHECK(mkey_seal(seed, "pw", &over_t, img) < 0);
    CHECK(mkey_seal(seed, "pw", &over_p, img) < 0);
    /* the tool's own parameters are the least it accepts */
    struct mkey_params tool = {MKEY_T_COST, MKEY_M_COST_KIB, MKEY_PARALLELISM};
    struct mkey_params less_m = {8, MKEY_M_MIN_KIB / 2, 1}, less_t = {2, MKEY_M_MIN_KIB, 1};
    struct mkey_params max = {MKEY_T_MAX, MKEY_M_MAX_KIB, MKEY_P_MAX};
    CHECK(mkey_strong_enough(&tool) == 0);
    CHECK(mkey_strong_enough(&max) == 0);
    CHECK(mkey_strong_enough(&small) < 0);
    CHECK(strstr(host_errmsg(), "weak"));
    CHECK(mkey_strong_enough(&less_m) < 0);
    CHECK(mkey_strong_enough(&less_t) < 0);
}
