/*
 * test_random: lib/random (ChaCha20 and the entropy pool with its three
 * levels). ChaCha20 against RFC 8439's vectors and differentially against
 * libsodium; the pool against hostile sources: claims far beyond the
 * sample, the same bytes forever, one source alone, reads before seeding,
 * and the order of folds.
 */
#include "vtest.h"
#include "vtest_util.h"

#include <sodium.h>

#include "random/chacha20.h"
#include "random/random.h"

/* RFC 8439 section 2.3.2: key 00..1f, nonce 000000090000004a00000000, counter 1. */
TEST(chacha20_rfc8439_block_2_3_2)
{
    uint8_t key[32], nonce[12], out[64], want[64];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    vtest_unhex(nonce, "000000090000004a00000000");
    chacha20_block(out, key, 1, nonce);
    vtest_unhex(want, "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                      "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
    CHECK_MEM(out, want, 64);
}

/* RFC 8439 section 2.4.2: the sunscreen plaintext, counter 1; keystream = c ^ p. */
TEST(chacha20_rfc8439_keystream_2_4_2)
{
    static const char *pt = "Ladies and Gentlemen of the class of '99: If I could offer you "
                            "only one tip for the future, sunscreen would be it.";
    uint8_t key[32], nonce[12], ks[114], ct[114];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    vtest_unhex(nonce, "000000000000004a00000000");
    CHECK(chacha20_stream(ks, sizeof ks, key, 1, nonce));
    vtest_unhex(ct, "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
                    "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
                    "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
                    "5af90bbf74a35be6b40b8eedf2785e42874d");
    for (size_t i = 0; i < sizeof ks; i++)
        ks[i] ^= (uint8_t)pt[i];
    CHECK_MEM(ks, ct, sizeof ct);
}

/* RFC 8439 appendix A.1, test vectors 1 and 2 (zero key and nonce, counters 0 and 1). */
TEST(chacha20_rfc8439_a1)
{
    uint8_t key[32] = {0}, nonce[12] = {0}, out[64], want[64];
    chacha20_block(out, key, 0, nonce);
    vtest_unhex(want, "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
                      "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586");
    CHECK_MEM(out, want, 64);
    chacha20_block(out, key, 1, nonce);
    vtest_unhex(want, "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
                      "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f");
    CHECK_MEM(out, want, 64);
}

TEST(chacha20_differential_against_libsodium)
{
    uint64_t st = 99;
    static uint8_t a[3000], b[3000];
    for (int round = 0; round < 40; round++) {
        uint8_t key[32], nonce[12];
        for (int i = 0; i < 32; i++)
            key[i] = (uint8_t)vtest_xorshift64(&st);
        for (int i = 0; i < 12; i++)
            nonce[i] = (uint8_t)vtest_xorshift64(&st);
        size_t n = (size_t)(vtest_xorshift64(&st) % sizeof a);
        uint32_t ctr = (uint32_t)(vtest_xorshift64(&st) % 1000);
        memset(b, 0, n);
        CHECK(chacha20_stream(a, n, key, ctr, nonce));
        crypto_stream_chacha20_ietf_xor_ic(b, b, n, nonce, ctr, key);
        CHECK_MEM(a, b, n);
    }
}

/* What if a keystream would wrap the 32-bit block counter? Refused, nothing written. */
TEST(chacha20_counter_wrap_refused)
{
    uint8_t key[32] = {0}, nonce[12] = {0}, out[130];
    memset(out, 0xa5, sizeof out);
    CHECK(!chacha20_stream(out, 129, key, 0xfffffffeu, nonce));
    CHECK_EQ(out[0], 0xa5);
    CHECK(chacha20_stream(out, 128, key, 0xfffffffeu, nonce));
}

static uint8_t sample[64];
static void fill(uint64_t *st)
{
    for (size_t i = 0; i < sizeof sample; i++)
        sample[i] = (uint8_t)vtest_xorshift64(st);
}

/* A source claiming 2^32-1 bits for one byte, or more than its cap: credited at most min. */
TEST(pool_huge_claim_is_capped)
{
    struct rnd_pool p;
    rnd_init(&p, "boot", 4);
    int a = rnd_add_source(&p, "liar", 64);
    CHECK_EQ(a, 0);
    uint32_t got = 99;
    CHECK_EQ(rnd_push(&p, a, "x", 1, 0xffffffffu, &got), RND_OK);
    CHECK_EQ(got, 8u);
    uint64_t st = 1;
    fill(&st);
    CHECK_EQ(rnd_push(&p, a, sample, sizeof sample, 0xffffffffu, &got), RND_OK);
    CHECK_EQ(got, 64u);
    CHECK(!p.seeded);
    CHECK_EQ(rnd_read(&p, RND_STANDARD, sample, 16), -RND_E_UNSEEDED);
    /* a cap beyond RND_MAX_SAMPLE_BITS is cut to it */
    int b = rnd_add_source(&p, "huge", 0xffffffffu);
    CHECK_EQ(p.src[b].max_bits, (uint32_t)RND_MAX_SAMPLE_BITS);
}

/* What if a source returns the same bytes forever? One sample's credit, never seeded. */
TEST(pool_stuck_source_never_seeds)
{
    struct rnd_pool p;
    rnd_init(&p, 0, 0);
    int s = rnd_add_source(&p, "stuck", 64);
    uint8_t same[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint32_t got;
    for (int i = 0; i < 10000; i++)
        CHECK_EQ(rnd_push(&p, s, same, sizeof same, 64, &got), RND_OK);
    CHECK_EQ(p.src[s].repeats, 9999u);
    CHECK_EQ(p.src[s].pending + p.src[s].committed, 64u);
    CHECK(!p.seeded);
    CHECK_EQ(rnd_read(&p, RND_STANDARD, same, 1), -RND_E_UNSEEDED);
    CHECK_EQ(rnd_read(&p, RND_HIGH, same, 1), -RND_E_HIGH_WAIT);
}

/* Standard seeds from one source at RND_SEED_BITS; high still waits and says why. */
TEST(pool_one_source_standard_not_high)
{
    struct rnd_pool p;
    rnd_init(&p, 0, 0);
    int s = rnd_add_source(&p, "rdrand", 64);
    uint64_t st = 7;
    uint8_t out[48];
    char why[200];
    for (int i = 0; i < 3; i++) {
        fill(&st);
        rnd_push(&p, s, sample, 8, 64, 0);
    }
    CHECK(!p.seeded);
    CHECK(rnd_why(&p, RND_STANDARD, why, sizeof why) > 0);
    CHECK(strstr(why, "128 of 256 bits committed, 64 pending") != 0);
    fill(&st);
    rnd_push(&p, s, sample, 8, 64, 0);
    CHECK(p.seeded);
    CHECK_EQ(rnd_why(&p, RND_STANDARD, why, sizeof why), 0u);
    CHECK_EQ(rnd_read(&p, RND_STANDARD, out, sizeof out), RND_OK);
    for (int i = 0; i < 100; i++) {
        fill(&st);
        rnd_push(&p, s, sample, 8, 64, 0);
    }
    CHECK(!p.high);
    memset(out, 0x5a, sizeof out);
    CHECK_EQ(rnd_read(&p, RND_HIGH, out, sizeof out), -RND_E_HIGH_WAIT);
    CHECK_EQ(out[0], 0x5a);
    CHECK(rnd_why(&p, RND_HIGH, why, sizeof why) > 0);
    CHECK(strstr(why, "high waits: 128 of 256") != 0);
    CHECK(strstr(why, "rdrand") != 0);
}

/* High needs a second source's 128 bits folded in, not merely pushed. */
TEST(pool_two_sources_high)
{
    struct rnd_pool p;
    rnd_init(&p, 0, 0);
    int r = rnd_add_source(&p, "rdrand", 64), j = rnd_add_source(&p, "jitter", 1);
    uint64_t st = 11;
    for (int i = 0; i < 8; i++) {
        fill(&st);
        rnd_push(&p, r, sample, 8, 64, 0);
    }
    for (int i = 0; i < 127; i++) {
        fill(&st);
        rnd_push(&p, j, sample, 4, 1, 0);
    }
    CHECK_EQ(p.src[j].pending, 127u);
    CHECK(!p.high);
    uint8_t out[32];
    CHECK_EQ(rnd_read(&p, RND_HIGH, out, sizeof out), -RND_E_HIGH_WAIT);
    fill(&st);
    rnd_push(&p, j, sample, 4, 1, 0);
    CHECK(p.high);
    CHECK_EQ(rnd_high_bits(&p), 256u);
    CHECK_EQ(rnd_read(&p, RND_HIGH, out, sizeof out), RND_OK);
    char why[8];
    CHECK_EQ(rnd_why(&p, RND_HIGH, why, sizeof why), 0u);
}

/* Before the first seeding, several small sources together seed the pool. */
TEST(pool_many_small_sources_seed_together)
{
    struct rnd_pool p;
    rnd_init(&p, 0, 0);
    int id[4];
    id[0] = rnd_add_source(&p, "a", 100);
    id[1] = rnd_add_source(&p, "b", 100);
    id[2] = rnd_add_source(&p, "c", 100);
    id[3] = rnd_add_source(&p, "d", 100);
    uint64_t st = 5;
    for (int i = 0; i < 3; i++) {
        fill(&st);
        rnd_push(&p, id[i], sample, 13, 80, 0);
        CHECK(!p.seeded);
    }
    fill(&st);
    rnd_push(&p, id[3], sample, 13, 80, 0);
    CHECK(p.seeded);
    CHECK_EQ(rnd_committed_bits(&p), 320u);
    CHECK(p.high);      /* four sources of 80: 320 counted, any one lying leaves 240 */
}

/* Sloppy is instant, and before seeding depends on the public seed only,
 * never on what the sources pushed (it cannot leak their first bits). */
TEST(pool_sloppy_independent_of_unseeded_pool)
{
    struct rnd_pool p, q;
    rnd_init(&p, "tsc=1234", 8);
    rnd_init(&q, "tsc=1234", 8);
    int s = rnd_add_source(&p, "jitter", 8);
    uint64_t st = 3;
    for (int i = 0; i < 20; i++) {
        fill(&st);
        rnd_push(&p, s, sample, 2, 8, 0);
    }
    uint8_t a[100], b[100];
    CHECK_EQ(rnd_read(&p, RND_SLOPPY, a, sizeof a), RND_OK);
    CHECK_EQ(rnd_read(&q, RND_SLOPPY, b, sizeof b), RND_OK);
    CHECK_MEM(a, b, sizeof a);
    /* a different public seed, a different stream */
    rnd_init(&q, "tsc=1235", 8);
    CHECK_EQ(rnd_read(&q, RND_SLOPPY, b, sizeof b), RND_OK);
    CHECK(memcmp(a, b, sizeof a) != 0);
}

/* Fast key erasure: each read is the old key's keystream after 32 bytes,
 * and the first 32 bytes become the key. Reads never repeat. */
TEST(pool_fast_key_erasure)
{
    struct rnd_pool p;
    rnd_init(&p, 0, 0);
    int s = rnd_add_source(&p, "hw", 256);
    uint64_t st = 17;
    fill(&st);
    rnd_push(&p, s, sample, 32, 256, 0);
    CHECK(p.seeded);
    uint8_t key[32], ks[32 + 1000], out[1000], nonce[12] = {0};
    memcpy(key, p.key, 32);
    CHECK_EQ(rnd_read(&p, RND_STANDARD, out, sizeof out), RND_OK);
    memset(ks, 0, sizeof ks);
    crypto_stream_chacha20_ietf_xor_ic(ks, ks, sizeof ks, nonce, 0, key);
    CHECK_MEM(out, ks + 32, sizeof out);
    CHECK_MEM(p.key, ks, 32);
    uint8_t again[1000];
    CHECK_EQ(rnd_read(&p, RND_STANDARD, again, sizeof again), RND_OK);
    CHECK(memcmp(out, again, sizeof out) != 0);
    /* short reads too */
    uint8_t k2[32];
    memcpy(k2, p.key, 32);
    CHECK_EQ(rnd_read(&p, RND_STANDARD, out, 5), RND_OK);
    CHECK(memcmp(k2, p.key, 32) != 0);
}

/* Reseed ordering: the key is a function of every sample and of the order
 * of folds; the same history gives the same key (determinism), a swapped
 * order a different one, and one flipped bit a different one. */
TEST(pool_fold_order_and_every_bit_matter)
{
    struct rnd_pool p[3];
    uint8_t x[16], y[16];
    memset(x, 1, sizeof x);
    memset(y, 2, sizeof y);
    for (int k = 0; k < 3; k++) {
        rnd_init(&p[k], 0, 0);
        rnd_add_source(&p[k], "a", 128);
        rnd_add_source(&p[k], "b", 128);
    }
    rnd_push(&p[0], 0, x, 16, 128, 0);
    rnd_push(&p[0], 1, y, 16, 128, 0);
    rnd_push(&p[1], 1, y, 16, 128, 0);
    rnd_push(&p[1], 0, x, 16, 128, 0);
    y[15] ^= 1;
    rnd_push(&p[2], 0, x, 16, 128, 0);
    rnd_push(&p[2], 1, y, 16, 128, 0);
    CHECK(p[0].seeded && p[1].seeded && p[2].seeded);
    CHECK(memcmp(p[0].key, p[1].key, 32) != 0);
    CHECK(memcmp(p[0].key, p[2].key, 32) != 0);
    struct rnd_pool r;
    rnd_init(&r, 0, 0);
    rnd_add_source(&r, "a", 128);
    rnd_add_source(&r, "b", 128);
    y[15] ^= 1;
    rnd_push(&r, 0, x, 16, 128, 0);
    rnd_push(&r, 1, y, 16, 128, 0);
    CHECK_MEM(r.key, p[0].key, 32);
}

/* Uncredited bytes are still mixed: a pending sample changes the key at its fold. */
TEST(pool_uncredited_input_is_mixed)
{
    struct rnd_pool p, q;
    uint8_t x[16] = {9};
    for (int k = 0; k < 2; k++) {
        struct rnd_pool *o = k ? &q : &p;
        rnd_init(o, 0, 0);
        rnd_add_source(o, "a", 256);
        if (k)
            rnd_push(o, 0, "noise", 5, 0, 0);
        rnd_push(o, 0, x, 16, 128, 0);
    }
    CHECK(memcmp(p.key, q.key, 32) != 0);
}

TEST(pool_bad_arguments)
{
    struct rnd_pool p;
    rnd_init(&p, 0, 0);
    uint8_t b[4];
    CHECK_EQ(rnd_push(&p, 0, b, 4, 8, 0), -RND_E_SOURCE);
    CHECK_EQ(rnd_push(&p, -1, b, 4, 8, 0), -RND_E_SOURCE);
    CHECK_EQ(rnd_add_source(&p, "", 8), -RND_E_NAME);
    CHECK_EQ(rnd_add_source(&p, "Upper", 8), -RND_E_NAME);
    CHECK_EQ(rnd_add_source(&p, "sixteen-chars-xx", 8), -RND_E_NAME);
    CHECK_EQ(rnd_add_source(&p, "bad name", 8), -RND_E_NAME);
    for (int i = 0; i < RND_MAX_SOURCES; i++)
        CHECK_EQ(rnd_add_source(&p, "s", 8), i);
    CHECK_EQ(rnd_add_source(&p, "s", 8), -RND_E_FULL);
    CHECK_EQ(rnd_read(&p, (enum rnd_level)3, b, 4), -RND_E_LEVEL);
    CHECK_EQ(rnd_read(&p, RND_SLOPPY, b, RND_MAX_READ + 1), -RND_E_TOOBIG);
    CHECK_STR(rnd_errname(-RND_E_HIGH_WAIT), "high-waiting");
    CHECK_STR(rnd_errname(-RND_E_UNSEEDED), "unseeded");
    CHECK_STR(rnd_errname(1000), "unknown");
    char tiny[1];
    CHECK_EQ(rnd_why(&p, RND_HIGH, tiny, 1), 0u);
    char small[10];
    CHECK_EQ(rnd_why(&p, RND_HIGH, small, sizeof small), 9u);
    CHECK_EQ(strlen(small), 9u);
}

/* At seeding, sloppy is rekeyed from the generator: its stream leaves the
 * public pre-seed one, so later ids are as unpredictable as standard. */
TEST(pool_sloppy_rekeyed_at_seeding)
{
    struct rnd_pool p, q;
    rnd_init(&p, "tsc=1", 5);
    rnd_init(&q, "tsc=1", 5);
    int s = rnd_add_source(&p, "hw", 256);
    uint8_t seed[32], a[64], b[64];
    memset(seed, 0x42, sizeof seed);
    CHECK_EQ(rnd_read(&p, RND_SLOPPY, a, 8), RND_OK);
    CHECK_EQ(rnd_read(&q, RND_SLOPPY, b, 8), RND_OK);
    CHECK_MEM(a, b, 8);
    rnd_push(&p, s, seed, sizeof seed, 256, 0);
    CHECK(p.seeded && !q.seeded);
    CHECK_EQ(rnd_read(&p, RND_SLOPPY, a, sizeof a), RND_OK);
    CHECK_EQ(rnd_read(&q, RND_SLOPPY, b, sizeof b), RND_OK);
    CHECK(memcmp(a, b, sizeof a) != 0);
}
