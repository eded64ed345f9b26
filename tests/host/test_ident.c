/*
 * test_ident: the OS identity core (user/lib/ident/ident.c, the code keyd runs)
 * against vkey's (tools/vkey): the same words, the same Person key, a
 * Machine key file each side opens from the other, a certificate byte for
 * byte the same, and every hostile input refused by name.
 */
#include "vtest.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/vkey/bip39.h"
#include "../../tools/vkey/host.h"
#include "../../tools/vkey/keys.h"
#include "../../tools/vkey/slip10.h"
#include "ident.h"

/* Small Argon2id costs: the format is the same at any cost. */
static const struct id_kdf small = {1, 256, 4};

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 131u + i * 17u + (i >> 3));
}

TEST(ident_words_match_vkey)
{
    for (unsigned s = 0; s < 50; s++) {
        uint8_t ent[32], back[32];
        char mine[ID_WORDS_MAX], theirs[ID_WORDS_MAX], norm[ID_WORDS_MAX];
        fill(ent, 32, s);
        CHECK_EQ(id_words_encode(ent, mine, sizeof mine), ID_OK);
        CHECK_EQ(bip39_from_entropy(ent, 32, theirs, sizeof theirs), 0);
        CHECK(!strcmp(mine, theirs));
        CHECK_EQ(id_words_decode(mine, back, norm), ID_OK);
        CHECK_MEM(back, ent, 32);
        CHECK(!strcmp(norm, mine));
    }
}

TEST(ident_words_hostile)
{
    uint8_t ent[32] = {0}, back[32];
    char w[ID_WORDS_MAX], norm[ID_WORDS_MAX], bad[ID_WORDS_MAX + 32];
    CHECK_EQ(id_words_encode(ent, w, sizeof w), ID_OK);
    /* upper case and extra blanks are the same words */
    snprintf(bad, sizeof bad, "  ABANDON  %s ", w + 8);
    CHECK_EQ(id_words_decode(bad, back, norm), ID_OK);
    CHECK(!strcmp(norm, w));
    /* 23 words */
    CHECK_EQ(id_words_decode(w + 8, back, norm), ID_WORD_COUNT);
    /* 25 words */
    snprintf(bad, sizeof bad, "%s zoo", w);
    CHECK_EQ(id_words_decode(bad, back, norm), ID_WORD_COUNT);
    /* the last word swapped: checksum */
    snprintf(bad, sizeof bad, "%.*s zoo", (int)(strrchr(w, ' ') - w), w);
    CHECK_EQ(id_words_decode(bad, back, norm), ID_WORD_CHECKSUM);
    snprintf(bad, sizeof bad, "abandonx %s", w + 8);
    CHECK_EQ(id_words_decode(bad, back, norm), ID_WORD_UNKNOWN);
    snprintf(bad, sizeof bad, "abandon\xc3\xa9 %s", w + 8);
    CHECK_EQ(id_words_decode(bad, back, norm), ID_NOT_ASCII);
    CHECK_EQ(id_words_decode("", back, norm), ID_WORD_COUNT);
}

TEST(ident_person_key_matches_vkey)
{
    uint8_t ent[32], pk[32], sk[64], seed[64], pk2[32], sk2[64];
    char w[ID_WORDS_MAX], norm[ID_WORDS_MAX];
    fill(ent, 32, 7);
    CHECK_EQ(id_words_encode(ent, w, sizeof w), ID_OK);
    CHECK_EQ(id_words_decode(w, ent, norm), ID_OK);
    CHECK_EQ(id_person_key(norm, pk, sk), ID_OK);
    CHECK_EQ(bip39_seed(norm, "", seed), 0);
    vectra_person_keypair(seed, pk2, sk2);
    CHECK_MEM(pk, pk2, 32);
    CHECK_MEM(sk, sk2, 64);
}

TEST(ident_mkey_vkey_opens_ours_and_we_open_vkeys)
{
    uint8_t seed[32], salt[16], nonce[24], file[ID_MKEY_SIZE], pk[32], sk[64], pk2[32], sk2[64];
    fill(seed, 32, 1);
    fill(salt, 16, 2);
    fill(nonce, 24, 3);
    const char *pass = "correct horse battery";
    CHECK_EQ(id_mkey_seal(seed, pass, strlen(pass), &small, salt, nonce, file), ID_OK);
    CHECK_EQ(mkey_unseal(file, sizeof file, pass, pk, sk), 0);
    crypto_sign_seed_keypair(pk2, sk2, seed);
    CHECK_MEM(pk, pk2, 32);
    CHECK_MEM(sk, sk2, 64);
    CHECK_MEM(file + 72, pk2, 32);

    struct mkey_params kp = {small.t, small.m_kib, small.p};
    uint8_t theirs[MKEY_FILE_SIZE];
    CHECK_EQ(mkey_seal(seed, pass, &kp, theirs), 0);
    memset(sk, 0, sizeof sk);
    CHECK_EQ(id_mkey_unseal(theirs, sizeof theirs, pass, strlen(pass), pk, sk), ID_OK);
    CHECK_MEM(sk, sk2, 64);
    struct id_kdf k;
    CHECK_EQ(id_mkey_info(theirs, sizeof theirs, &k, pk), ID_OK);
    CHECK_EQ(k.t, small.t);
    CHECK_EQ(id_mkey_strong(&k), ID_MKEY_WEAK);
    struct id_kdf dflt = {ID_MKEY_T, ID_MKEY_M_KIB, ID_MKEY_P};
    CHECK_EQ(id_mkey_strong(&dflt), ID_OK);
}

TEST(ident_mkey_hostile)
{
    uint8_t seed[32], salt[16], nonce[24], file[ID_MKEY_SIZE], f2[ID_MKEY_SIZE], pk[32], sk[64];
    fill(seed, 32, 4);
    fill(salt, 16, 5);
    fill(nonce, 24, 6);
    const char *pass = "a good passphrase";
    CHECK_EQ(id_mkey_seal(seed, pass, strlen(pass), &small, salt, nonce, file), ID_OK);
    CHECK_EQ(id_mkey_unseal(file, sizeof file, "a good passphrasf", 17, pk, sk), ID_UNSEAL);
    CHECK_EQ(id_mkey_unseal(file, sizeof file - 1, pass, strlen(pass), pk, sk), ID_MKEY_FORMAT);
    /* every single bit flip is refused, by name, never opened */
    for (unsigned bitn = 0; bitn < ID_MKEY_SIZE * 8; bitn += 3) {
        memcpy(f2, file, sizeof f2);
        f2[bitn / 8] ^= (uint8_t)(1u << (bitn % 8));
        enum id_err e = id_mkey_unseal(f2, sizeof f2, pass, strlen(pass), pk, sk);
        CHECK(e == ID_UNSEAL || e == ID_MKEY_FORMAT || e == ID_MKEY_PARAMS || e == ID_KDF);
    }
    /* a hostile file cannot ask for a minute of work or a GiB of memory */
    memcpy(f2, file, sizeof f2);
    f2[16] = 9; /* t = 9 */
    CHECK_EQ(id_mkey_unseal(f2, sizeof f2, pass, strlen(pass), pk, sk), ID_MKEY_PARAMS);
    memcpy(f2, file, sizeof f2);
    f2[23] = 0x40; /* m = 1 GiB and more */
    CHECK_EQ(id_mkey_unseal(f2, sizeof f2, pass, strlen(pass), pk, sk), ID_MKEY_PARAMS);
    struct id_kdf bad = {1, 8, 4};
    CHECK_EQ(id_mkey_seal(seed, pass, strlen(pass), &bad, salt, nonce, file), ID_MKEY_PARAMS);
    CHECK_EQ(id_pass_check("short", 5), ID_PASS_LENGTH);
    CHECK_EQ(id_pass_check("has\ttab inside", 14), ID_PASS_LENGTH);
    CHECK_EQ(id_pass_check("long enough", 11), ID_OK);
}

TEST(ident_cert_same_bytes_as_vkey)
{
    uint8_t pseed[32], ppk[32], psk[64], mpk[32], msk[64], mseed[32];
    fill(pseed, 32, 8);
    fill(mseed, 32, 9);
    crypto_sign_seed_keypair(ppk, psk, pseed);
    crypto_sign_seed_keypair(mpk, msk, mseed);
    struct id_cert f = {"vectra-one", {0}, {0}, 1700000000, 2000000000, 0x1f, 1700000000};
    memcpy(f.machine_key, mpk, 32);
    memcpy(f.person_key, ppk, 32);
    uint8_t mine[ID_CERT_MAX];
    size_t len = 0;
    CHECK_EQ(id_cert_issue(&f, psk, mine, sizeof mine, &len), ID_OK);

    struct cert_fields cf = {"vectra-one", {0}, {0}, 1700000000, 2000000000, 0x1f, 1700000000};
    memcpy(cf.machine_key, mpk, 32);
    memcpy(cf.person_key, ppk, 32);
    uint8_t *theirs = 0;
    size_t tlen = 0;
    CHECK_EQ(cert_issue(&cf, psk, &theirs, &tlen), 0);
    CHECK_EQ(tlen, len);
    CHECK_MEM(mine, theirs, len);
    struct capsule_certrec rec;
    struct capsule_cert c;
    CHECK_EQ(cert_decode(mine, len, &rec, &c), 0);
    struct id_cert back;
    CHECK_EQ(id_cert_decode(theirs, tlen, &back), ID_OK);
    CHECK(!strcmp(back.name, "vectra-one"));
    CHECK_EQ(back.not_after, 2000000000);
    free(theirs);

    /* hostile: a flipped signature, a flipped body, framing */
    mine[len - 1] ^= 1;
    CHECK_EQ(id_cert_decode(mine, len, &back), ID_CERT_SIGNATURE);
    mine[len - 1] ^= 1;
    mine[40] ^= 0x10;
    enum id_err e = id_cert_decode(mine, len, &back);
    CHECK(e == ID_CERT_SIGNATURE || e == ID_CERT_FORMAT);
    mine[40] ^= 0x10;
    CHECK_EQ(id_cert_decode(mine, len - 8, &back), ID_CERT_FORMAT);
    mine[0] = 'X';
    CHECK_EQ(id_cert_decode(mine, len, &back), ID_CERT_FORMAT);
    struct id_cert badf = f;
    badf.domains = 0;
    CHECK_EQ(id_cert_issue(&badf, psk, mine, sizeof mine, &len), ID_CERT_FIELDS);
    memcpy(badf.name, "bad name!", 10);
    badf.domains = 1;
    CHECK_EQ(id_cert_issue(&badf, psk, mine, sizeof mine, &len), ID_NAME);
}

TEST(ident_person_file)
{
    uint8_t pk[32], out[ID_PERSON_MAX], pk2[32];
    char name[65];
    size_t len;
    fill(pk, 32, 11);
    CHECK_EQ(id_person_encode("alice@example", pk, out, sizeof out, &len), ID_OK);
    struct person_pub pp;
    CHECK_EQ(person_pub_decode(out, len, &pp), 0);
    CHECK_MEM(pp.key, pk, 32);
    CHECK_EQ(id_person_decode(out, len, name, pk2), ID_OK);
    CHECK(!strcmp(name, "alice@example"));
    CHECK_EQ(id_person_decode(out, len - 1, name, pk2), ID_NAME);
    CHECK_EQ(id_person_encode("", pk, out, sizeof out, &len), ID_NAME);
}

/* keyd's login rate limit (id_retry_wait_us), driven as keyd drives it,
 * through 1000 wrong passphrases on a real sealed file (small Argon2id
 * costs: the limit is the same at any cost). Time is simulated: an
 * attacker who tries again the moment it may, and once 1 us before that
 * each time. Every early try is refused without running Argon2id, the
 * wait doubles from 1 s up to the hour and stays there, and the 1000
 * tries take the attacker at least the sum of the waits (about 41 days),
 * though the test runs in about a second. */
TEST(ident_rate_limit_1000)
{
    uint8_t seed[32], salt[16], nonce[24], file[ID_MKEY_SIZE], pk[32], sk[64];
    fill(seed, 32, 21);
    fill(salt, 16, 22);
    fill(nonce, 24, 23);
    const char *pass = "correct horse battery";
    CHECK_EQ(id_mkey_seal(seed, pass, strlen(pass), &small, salt, nonce, file), ID_OK);
    uint32_t failures = 0;
    uint64_t now = 5000000, last = 0, waited = 0;
    unsigned runs = 0, early = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t w = id_retry_wait_us(failures, last, now);
        if (failures) {
            uint64_t expect = (failures - 1 < 12 ? 1000000ull << (failures - 1) : 4096000000ull);
            if (expect > ID_RETRY_MAX_S * 1000000ull)
                expect = ID_RETRY_MAX_S * 1000000ull;
            CHECK_EQ(w, expect);    /* asked right after the failure */
            /* one try 1 us early: refused, nothing derived */
            CHECK_EQ(id_retry_wait_us(failures, last, now + w - 1), 1);
            early++;
            now += w;
            waited += w;
        }
        CHECK_EQ(id_retry_wait_us(failures, last, now), 0);
        failures++;                 /* counted before Argon2id, as keyd does */
        char wrong[32];
        snprintf(wrong, sizeof wrong, "wrong passphrase %d", i);
        CHECK_EQ(id_mkey_unseal(file, sizeof file, wrong, strlen(wrong), pk, sk), ID_UNSEAL);
        runs++;
        last = now;
    }
    CHECK_EQ(runs, 1000);
    CHECK_EQ(early, 999);
    CHECK_EQ(failures, 1000);
    CHECK_EQ(id_retry_wait_us(failures, last, now), ID_RETRY_MAX_S * 1000000ull);
    /* 1 + 2 + ... + 2048 s, then 987 waits of an hour */
    CHECK_EQ(waited, (4095ull + 987ull * ID_RETRY_MAX_S) * 1000000ull);
    /* after the wait the right passphrase opens it; no overflow near 2^32 */
    CHECK_EQ(id_mkey_unseal(file, sizeof file, pass, strlen(pass), pk, sk), ID_OK);
    CHECK_EQ(id_retry_wait_us(UINT32_MAX, last, last), ID_RETRY_MAX_S * 1000000ull);
    CHECK_EQ(id_retry_wait_us(0, last, last), 0);
}
