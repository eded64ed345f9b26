/*
 * test_tlog: lib/tlog against the published vectors and an independent
 * reference.
 *   - RFC 6962 hashing: the Certificate Transparency test tree of 8 leaves
 *     (roots of every prefix, an inclusion path, three consistency proofs);
 *   - every inclusion and consistency proof of every tree up to 70 leaves,
 *     made by lib/tlog over a hash reader and checked against a plain
 *     recursive MTH; each proof tampered, cut, lengthened or aimed at
 *     another size must fail with the right error;
 *   - C2SP tlog-tiles: the spec's 70,000-leaf example, path spelling and
 *     refusals, and the tree hash read back through tiles;
 *   - C2SP signed-note: Go's documented PeterNeumann note and key, and
 *     hostile notes; tlog-checkpoint, tlog-cosignature and tlog-proof: the
 *     specs' own examples parse to the values the text states.
 */
#include "tlog/tlog.h"
#include "tlog_host.h"
#include "vtest.h"
#include "vtest_util.h"

#include <sodium.h>
#include <stdlib.h>

static const struct tlog_crypto *C = &tlog_host_crypto;

__attribute__((constructor)) static void init_sodium(void)
{
    if (sodium_init() < 0)
        abort();
}

static void unhex32(uint8_t out[32], const char *h)
{
    CHECK_EQ(vtest_unhex(out, h), 32);
}

/* ---- a reference tree: leaf hashes in memory, MTH by the definition ---- */

#define NREF 1100
static uint8_t ref_leaf[NREF][32];

static void ref_mth(uint64_t lo, uint64_t hi, uint8_t out[32])
{
    if (hi - lo == 1) {
        memcpy(out, ref_leaf[lo], 32);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < hi - lo)
        k *= 2;
    uint8_t l[32], r[32];
    ref_mth(lo, lo + k, l);
    ref_mth(lo + k, hi, r);
    tlog_node_hash(C, out, l, r);
}

static int ref_read(void *arg, unsigned height, uint64_t index, uint8_t out[32])
{
    (void)arg;
    uint64_t lo = index << height, hi = (index + 1) << height;
    if (hi > NREF)
        return -1;
    ref_mth(lo, hi, out);
    return 0;
}

static const struct tlog_hashes ref = {ref_read, NULL};

static void ref_random_leaves(void)
{
    uint64_t st = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < NREF; i++) {
        uint8_t data[12]; /* distinct leaves of varied lengths */
        uint64_t v = vtest_xorshift64(&st);
        uint32_t idx = (uint32_t)i;
        memcpy(data, &idx, 4);
        memcpy(data + 4, &v, 8);
        tlog_leaf_hash(C, ref_leaf[i], data, 4 + (size_t)(v % 9));
    }
}

/* ---- RFC 6962 ---- */

static const char *const ct_leaves[8] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

static const char *const ct_roots[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void ct_tree(void)
{
    for (int i = 0; i < 8; i++) {
        uint8_t d[16];
        size_t n = vtest_unhex(d, ct_leaves[i]);
        tlog_leaf_hash(C, ref_leaf[i], d, n);
    }
}

TEST(rfc6962_empty_and_prefix_roots)
{
    ct_tree();
    uint8_t root[32], want[32];
    CHECK_EQ(tlog_tree_hash(C, &ref, 0, root), TLOG_OK);
    unhex32(want, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_MEM(root, want, 32);
    for (int n = 1; n <= 8; n++) {
        CHECK_EQ(tlog_tree_hash(C, &ref, (uint64_t)n, root), TLOG_OK);
        unhex32(want, ct_roots[n - 1]);
        CHECK_MEM(root, want, 32);
    }
}

TEST(rfc6962_inclusion_vector)
{
    ct_tree();
    static const char *const path0[3] = {
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    };
    uint8_t proof[TLOG_MAX_PROOF][32], want[32], root[32];
    size_t len;
    CHECK_EQ(tlog_prove_inclusion(C, &ref, 0, 8, proof, TLOG_MAX_PROOF, &len), TLOG_OK);
    CHECK_EQ(len, 3);
    for (int i = 0; i < 3; i++) {
        unhex32(want, path0[i]);
        CHECK_MEM(proof[i], want, 32);
    }
    unhex32(root, ct_roots[7]);
    CHECK_EQ(tlog_verify_inclusion(C, 0, 8, ref_leaf[0], (const uint8_t(*)[32])proof, 3, root),
             TLOG_OK);
}

TEST(rfc6962_consistency_vectors)
{
    ct_tree();
    static const struct {
        uint64_t m, n;
        size_t len;
        const char *h[3];
    } v[] = {
        {1, 8, 3,
         {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
        {6, 8, 3,
         {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
          "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
        {2, 5, 2,
         {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    };
    for (size_t t = 0; t < sizeof v / sizeof v[0]; t++) {
        uint8_t proof[TLOG_MAX_PROOF][32], want[32], r1[32], r2[32];
        size_t len;
        CHECK_EQ(tlog_prove_consistency(C, &ref, v[t].m, v[t].n, proof, TLOG_MAX_PROOF, &len),
                 TLOG_OK);
        CHECK_EQ(len, v[t].len);
        for (size_t i = 0; i < len; i++) {
            unhex32(want, v[t].h[i]);
            CHECK_MEM(proof[i], want, 32);
        }
        unhex32(r1, ct_roots[v[t].m - 1]);
        unhex32(r2, ct_roots[v[t].n - 1]);
        CHECK_EQ(tlog_verify_consistency(C, v[t].m, v[t].n, r1, r2,
                                         (const uint8_t(*)[32])proof, len),
                 TLOG_OK);
    }
}

/* ---- every proof of every small tree ---- */

TEST(inclusion_every_index_every_size)
{
    ref_random_leaves();
    for (uint64_t n = 1; n <= 70; n++) {
        uint8_t root[32], other[32];
        ref_mth(0, n, root);
        for (uint64_t i = 0; i < n; i++) {
            uint8_t p[TLOG_MAX_PROOF][32];
            size_t len;
            CHECK_EQ(tlog_prove_inclusion(C, &ref, i, n, p, TLOG_MAX_PROOF, &len), TLOG_OK);
            const uint8_t(*cp)[32] = (const uint8_t(*)[32])p;
            CHECK_EQ(tlog_verify_inclusion(C, i, n, ref_leaf[i], cp, len, root), TLOG_OK);
            /* what if the leaf, a hash, the length, index or size is wrong? */
            CHECK(tlog_verify_inclusion(C, i, n, ref_leaf[(i + 1) % NREF], cp, len, root));
            for (size_t k = 0; k < len; k++) {
                p[k][k % 32] ^= 0x40;
                CHECK_EQ(tlog_verify_inclusion(C, i, n, ref_leaf[i], cp, len, root),
                         TLOG_E_PROOF);
                p[k][k % 32] ^= 0x40;
            }
            if (len)
                CHECK_EQ(tlog_verify_inclusion(C, i, n, ref_leaf[i], cp, len - 1, root),
                         TLOG_E_PROOF_LEN);
            memcpy(p[len], root, 32);
            CHECK_EQ(tlog_verify_inclusion(C, i, n, ref_leaf[i], cp, len + 1, root),
                     TLOG_E_PROOF_LEN);
            ref_mth(0, n + 1, other);
            CHECK(tlog_verify_inclusion(C, i, n + 1, ref_leaf[i], cp, len, other) != TLOG_OK);
            if (n > 1)
                CHECK(tlog_verify_inclusion(C, (i + 1) % n, n, ref_leaf[i], cp, len, root) !=
                      TLOG_OK);
        }
        uint8_t p[1][32];
        size_t len;
        CHECK_EQ(tlog_prove_inclusion(C, &ref, n, n, p, 1, &len), TLOG_E_RANGE);
        CHECK_EQ(tlog_verify_inclusion(C, n, n, ref_leaf[0], NULL, 0, root), TLOG_E_RANGE);
    }
}

TEST(consistency_every_pair)
{
    ref_random_leaves();
    for (uint64_t n = 1; n <= 70; n++) {
        uint8_t rn[32];
        ref_mth(0, n, rn);
        for (uint64_t m = 1; m <= n; m++) {
            uint8_t rm[32], p[TLOG_MAX_PROOF + 1][32];
            size_t len;
            ref_mth(0, m, rm);
            CHECK_EQ(tlog_prove_consistency(C, &ref, m, n, p, TLOG_MAX_PROOF, &len), TLOG_OK);
            const uint8_t(*cp)[32] = (const uint8_t(*)[32])p;
            CHECK_EQ(tlog_verify_consistency(C, m, n, rm, rn, cp, len), TLOG_OK);
            /* what if either root, or a hash, is not the one proved? */
            CHECK(tlog_verify_consistency(C, m, n, rn, rm, cp, len) != TLOG_OK || m == n);
            for (size_t k = 0; k < len; k++) {
                p[k][0] ^= 1;
                CHECK(tlog_verify_consistency(C, m, n, rm, rn, cp, len) != TLOG_OK);
                p[k][0] ^= 1;
            }
            if (len) {
                CHECK(tlog_verify_consistency(C, m, n, rm, rn, cp, len - 1) != TLOG_OK);
                uint8_t rn1[32]; /* a proof for another pair of sizes */
                ref_mth(0, n + 1, rn1);
                CHECK(tlog_verify_consistency(C, m, n + 1, rm, rn1, cp, len) != TLOG_OK);
            }
            memcpy(p[len], rn, 32);
            CHECK_EQ(tlog_verify_consistency(C, m, n, rm, rn, cp, len + 1), TLOG_E_PROOF_LEN);
        }
        CHECK_EQ(tlog_verify_consistency(C, 0, n, rn, rn, NULL, 0), TLOG_E_RANGE);
        CHECK_EQ(tlog_verify_consistency(C, n + 1, n, rn, rn, NULL, 0), TLOG_E_RANGE);
    }
}

TEST(proof_buffer_too_small)
{
    ref_random_leaves();
    uint8_t p[2][32];
    size_t len;
    CHECK_EQ(tlog_prove_inclusion(C, &ref, 5, 70, p, 2, &len), TLOG_E_SPACE);
    CHECK_EQ(tlog_prove_consistency(C, &ref, 5, 70, p, 2, &len), TLOG_E_SPACE);
}

/* ---- tiles ---- */

TEST(tiles_spec_example_70000)
{
    /* "a tree of size 70,000 will be represented by 273 full level 0 tiles,
     * one partial level 0 tile of width 112, one full level 1 tile, one
     * partial level 1 tile of width 17, and one partial level 2 tile of
     * width 1" */
    CHECK_EQ(tlog_tile_count(70000, 0), 274);
    CHECK_EQ(tlog_tile_width(70000, 0, 272), 256);
    CHECK_EQ(tlog_tile_width(70000, 0, 273), 112);
    CHECK_EQ(tlog_tile_width(70000, 0, 274), 0);
    CHECK_EQ(tlog_tile_count(70000, 1), 2);
    CHECK_EQ(tlog_tile_width(70000, 1, 0), 256);
    CHECK_EQ(tlog_tile_width(70000, 1, 1), 17);
    CHECK_EQ(tlog_tile_count(70000, 2), 1);
    CHECK_EQ(tlog_tile_width(70000, 2, 0), 1);
    CHECK_EQ(tlog_tile_count(70000, 3), 0);
    /* "a tree of size 256 will be represented by a full level 0 tile and a
     * partial level 1 tile of width 1" */
    CHECK_EQ(tlog_tile_width(256, 0, 0), 256);
    CHECK_EQ(tlog_tile_width(256, 0, 1), 0);
    CHECK_EQ(tlog_tile_width(256, 1, 0), 1);
}

TEST(tile_paths)
{
    static const struct {
        unsigned level;
        uint64_t n;
        unsigned w;
        const char *path;
    } v[] = {
        {0, 1234067, 256, "tile/0/x001/x234/067"},
        {0, 0, 256, "tile/0/000"},
        {2, 1000, 7, "tile/2/x001/000.p/7"},
        {63, 999, 255, "tile/63/999.p/255"},
        {TLOG_ENTRIES, 5, 256, "tile/entries/005"},
        {TLOG_ENTRIES, 1234, 1, "tile/entries/x001/234.p/1"},
        {1, UINT64_MAX, 256, "tile/1/x018/x446/x744/x073/x709/x551/615"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char buf[TLOG_MAX_PATH];
        size_t len = tlog_tile_path(buf, sizeof buf, v[i].level, v[i].n, v[i].w);
        CHECK_EQ(len, strlen(v[i].path));
        CHECK(!strcmp(buf, v[i].path));
        unsigned l, w;
        uint64_t n;
        CHECK_EQ(tlog_tile_path_parse(buf, len, &l, &n, &w), TLOG_OK);
        CHECK(l == v[i].level && n == v[i].n && w == v[i].w);
        CHECK_EQ(tlog_tile_path(buf, len, v[i].level, v[i].n, v[i].w), 0); /* no room for NUL */
    }
    /* what if a path is spelled any other way? */
    static const char *const bad[] = {
        "tile/0/x000/001", "tile/00/001", "tile/0/01", "tile/0/0001", "tile/0/001.p/0",
        "tile/0/001.p/256", "tile/0/001.p/07", "tile/64/000", "tile/0/x001", "tile/0/001/",
        "tile/entry/000", "tile/0/001.p/", "tile//001", "tile/0/x1/000", "tile/0/00a",
        "tile/1/x018/x446/x744/x073/x709/x551/616", "tile/0/x001/x001/x001/x001/x001/x001/x001/001",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned l, w;
        uint64_t n;
        CHECK(tlog_tile_path_parse(bad[i], strlen(bad[i]), &l, &n, &w) != TLOG_OK);
    }
    char buf[TLOG_MAX_PATH];
    CHECK_EQ(tlog_tile_path(buf, sizeof buf, 64, 0, 256), 0);
    CHECK_EQ(tlog_tile_path(buf, sizeof buf, 0, 0, 0), 0);
    CHECK_EQ(tlog_tile_path(buf, sizeof buf, 0, 0, 257), 0);
}

/* Tiles of the reference tree, stored flat: level 0 and level 1. */
static uint8_t tiles[2][5][TLOG_TILE_BYTES];
static int cut_tile = -1;

static int read_ref_tile(void *arg, unsigned level, uint64_t n, unsigned width,
                         const uint8_t **data, size_t *len)
{
    (void)arg;
    if (level > 1 || n >= 5)
        return -1;
    *data = tiles[level][n];
    *len = (size_t)width * 32 - (cut_tile == (int)(level * 5 + n));
    return 0;
}

TEST(tree_hash_through_tiles)
{
    ref_random_leaves();
    for (uint64_t size = 1; size <= NREF; size += 37) {
        for (unsigned l = 0; l < 2; l++)
            for (uint64_t n = 0; n < tlog_tile_count(size, l); n++)
                for (unsigned i = 0; i < tlog_tile_width(size, l, n); i++)
                    ref_read(NULL, 8 * l, n * 256 + i, tiles[l][n] + 32 * i);
        struct tlog_tiles tt = {C, size, read_ref_tile, NULL, 0};
        struct tlog_hashes th = {tlog_tiles_read, &tt};
        uint8_t got[32], want[32];
        ref_mth(0, size, want);
        CHECK_EQ(tlog_tree_hash(C, &th, size, got), TLOG_OK);
        CHECK_MEM(got, want, 32);
        /* what if the tile holding the last leaf is one byte short? */
        cut_tile = (int)((size - 1) / 256);
        CHECK_EQ(tlog_tree_hash(C, &th, size, got), TLOG_E_READ);
        CHECK_EQ(tt.err, TLOG_E_TILE);
        cut_tile = -1;
    }
}

TEST(tile_node_bounds)
{
    uint8_t tile[TLOG_TILE_BYTES] = {0}, out[32];
    CHECK_EQ(tlog_tile_node(C, tile, 256, 8, 0, out), TLOG_OK);
    CHECK_EQ(tlog_tile_node(C, tile, 255, 8, 0, out), TLOG_E_RANGE);
    CHECK_EQ(tlog_tile_node(C, tile, 256, 9, 0, out), TLOG_E_RANGE);
    CHECK_EQ(tlog_tile_node(C, tile, 4, 1, 2, out), TLOG_E_RANGE);
    CHECK_EQ(tlog_tile_node(C, tile, 256, 0, 256, out), TLOG_E_RANGE);
}

/* ---- base64 ---- */

TEST(base64_rfc4648_vectors)
{
    static const char *const v[][2] = {{"f", "Zg=="},     {"fo", "Zm8="},     {"foo", "Zm9v"},
                                       {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                       {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < 6; i++) {
        char enc[16];
        uint8_t dec[16];
        size_t n = tlog_b64_encode(enc, sizeof enc, v[i][0], strlen(v[i][0])), m;
        CHECK_EQ(n, strlen(v[i][1]));
        CHECK_MEM(enc, v[i][1], n);
        CHECK_EQ(tlog_b64_decode(dec, sizeof dec, enc, n, &m), TLOG_OK);
        CHECK_EQ(m, strlen(v[i][0]));
        CHECK_MEM(dec, v[i][0], m);
    }
    static const char *const bad[] = {"Zh==", "Zm9=", "Zg=", "Z===", "Zg==Zg==", "Zm9v!A==",
                                      "=Zg=", "Zm-v", "Zg =" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t dec[16];
        size_t m;
        CHECK_EQ(tlog_b64_decode(dec, sizeof dec, bad[i], strlen(bad[i]), &m), TLOG_E_SYNTAX);
    }
    uint8_t dec[2];
    size_t m;
    CHECK_EQ(tlog_b64_decode(dec, sizeof dec, "Zm9v", 4, &m), TLOG_E_SPACE);
}

/* ---- signed notes: Go's documented example (x/mod/sumdb/note) ---- */

static const char pn_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char pn_note[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static int verify_with(const char *note, size_t len, const struct tlog_key *k, size_t nk)
{
    struct tlog_note n;
    char scratch[512];
    int e = tlog_note_parse(note, len, &n);
    return e ? e : tlog_note_verify(C, &n, k, nk, NULL, NULL, scratch, sizeof scratch);
}

TEST(note_go_example_verifies)
{
    struct tlog_key k;
    CHECK_EQ(tlog_vkey_parse(C, pn_vkey, strlen(pn_vkey), &k), TLOG_OK);
    CHECK_EQ(k.id, 0xc74f20a3);
    CHECK_EQ(k.type, TLOG_SIG_ED25519);
    char back[256];
    CHECK_EQ(tlog_vkey_format(&k, back, sizeof back), strlen(pn_vkey));
    CHECK(!strcmp(back, pn_vkey));
    struct tlog_note n;
    CHECK_EQ(tlog_note_parse(pn_note, strlen(pn_note), &n), TLOG_OK);
    CHECK_EQ(n.nsigs, 1);
    CHECK_EQ(n.text_len, strlen(pn_note) - strlen(strstr(pn_note, "\n\n")) + 1);
    CHECK_EQ(verify_with(pn_note, strlen(pn_note), &k, 1), TLOG_OK);

    /* what if the text changes by one letter? */
    char t[sizeof pn_note];
    memcpy(t, pn_note, sizeof pn_note);
    t[3] = 'Y';
    CHECK_EQ(verify_with(t, strlen(t), &k, 1), TLOG_E_BADSIG);
    /* ...or the key is another one with the same name? */
    struct tlog_key other;
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    CHECK_EQ(tlog_key_init(C, &other, "PeterNeumann", 12, TLOG_SIG_ED25519, pk), TLOG_OK);
    CHECK_EQ(verify_with(pn_note, strlen(pn_note), &other, 1), TLOG_E_UNKNOWN_KEY);
}

TEST(vkey_refusals)
{
    static const char *const bad[] = {
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* wrong ID */
        "PeterNeumann+c74f20a3+AhpjZHFBxQ8OEMFBHsMcW8SqqIF+xWSaqr8sMTiLNbLXRNY=", /* bad type */
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  /* short */
        "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "PeterNeumann", "",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tlog_key k;
        CHECK_EQ(tlog_vkey_parse(C, bad[i], strlen(bad[i]), &k), TLOG_E_KEY);
    }
}

TEST(note_hostile_shapes)
{
    static const char *const bad[] = {
        "text\n",                               /* no signatures */
        "text\n\n",                             /* blank line, nothing after */
        "text\n\nnot a signature\n",            /* no em dash */
        "text\n\n\xe2\x80\x94 name\n",          /* no signature */
        "text\n\n\xe2\x80\x94  AAAAAAA=\n",     /* empty name */
        "text\n\n\xe2\x80\x94 a+b AAAAAAA=\n",  /* '+' in name */
        "text\n\n\xe2\x80\x94 name AAAA\n",     /* 3 bytes: no room for an ID and a signature */
        "text\n\n\xe2\x80\x94 name AAAAAA!=\n", /* bad base64 */
        "text\n\n\xe2\x80\x94 name AAAAAAA=",   /* unterminated */
        "te\txt\n\n\xe2\x80\x94 name AAAAAAA=\n",   /* control byte */
        "te\xc0\xafxt\n\n\xe2\x80\x94 name AAAAAAA=\n", /* overlong UTF-8 */
        "te\xed\xa0\x80xt\n\n\xe2\x80\x94 name AAAAAAA=\n", /* surrogate */
        "text\xe2\x80\n\n\xe2\x80\x94 name AAAAAAA=\n",     /* cut UTF-8 */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tlog_note n;
        CHECK(tlog_note_parse(bad[i], strlen(bad[i]), &n) != TLOG_OK);
    }
    /* The last blank line separates: text may hold empty lines. */
    static const char ok[] = "a\n\nb\n\n\xe2\x80\x94 name AAAAAAA=\n";
    struct tlog_note n;
    CHECK_EQ(tlog_note_parse(ok, strlen(ok), &n), TLOG_OK);
    CHECK_EQ(n.text_len, 5);
    /* 33 signatures: more than lib/tlog accepts */
    char many[33 * 20 + 8] = "text\n\n";
    for (int i = 0; i < 33; i++)
        strcat(many, "\xe2\x80\x94 n AAAAAAA=\n");
    CHECK_EQ(tlog_note_parse(many, strlen(many), &n), TLOG_E_RANGE);
}

/* ---- checkpoints and cosignatures: the C2SP examples ---- */

static const char sofa_body[] = "example.com/behind-the-sofa\n20852163\n"
                                "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
static const char sofa_note[] =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "\xe2\x80\x94 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\xe2\x80\x94 witness.example.com/w1 "
    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

TEST(cosignature_spec_example)
{
    struct tlog_note n;
    CHECK_EQ(tlog_note_parse(sofa_note, strlen(sofa_note), &n), TLOG_OK);
    CHECK_EQ(n.nsigs, 2);
    CHECK_EQ(n.text_len, strlen(sofa_body));
    struct tlog_checkpoint cp;
    CHECK_EQ(tlog_checkpoint_parse(n.text, n.text_len, &cp), TLOG_OK);
    CHECK_EQ(cp.size, 20852163);
    CHECK_EQ(cp.origin_len, 27);
    CHECK_EQ(cp.ext_len, 0);
    /* The witness line carries 4 + 8 + 64 bytes; its timestamp is the one
     * the spec's example message states. */
    uint8_t raw[80];
    size_t len;
    CHECK_EQ(tlog_b64_decode(raw, sizeof raw, n.sigs[1].b64, n.sigs[1].b64_len, &len), TLOG_OK);
    CHECK_EQ(len, 76);
    uint64_t ts = 0;
    for (int i = 4; i < 12; i++)
        ts = ts << 8 | raw[i];
    CHECK_EQ(ts, 1679315147);
    char msg[256];
    size_t mlen = tlog_cosig_message(msg, sizeof msg, ts, n.text, n.text_len);
    static const char want[] = "cosignature/v1\ntime 1679315147\n"
                               "example.com/behind-the-sofa\n20852163\n"
                               "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    CHECK_EQ(mlen, strlen(want));
    CHECK_MEM(msg, want, mlen);
    CHECK_EQ(tlog_cosig_message(msg, mlen - 1, ts, n.text, n.text_len), 0);
}

TEST(cosignature_sign_verify)
{
    uint8_t pk[32], sk[64], lpk[32], lsk[64];
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(lpk, lsk);
    struct tlog_key w, l, keys[2];
    CHECK_EQ(tlog_key_init(C, &w, "witness.example/w1", 18, TLOG_SIG_COSIG, pk), TLOG_OK);
    CHECK_EQ(tlog_key_init(C, &l, "example.com/log", 15, TLOG_SIG_ED25519, lpk), TLOG_OK);
    keys[0] = l, keys[1] = w;
    char note[1024], scratch[512];
    size_t n = strlen(sofa_body), len;
    memcpy(note, sofa_body, n);
    note[n++] = '\n';
    CHECK_EQ(tlog_sign_line(C, &l, lsk, 0, sofa_body, strlen(sofa_body), scratch, sizeof scratch,
                            note + n, sizeof note - n, &len),
             TLOG_OK);
    n += len;
    CHECK_EQ(tlog_sign_line(C, &w, sk, 1700000000, sofa_body, strlen(sofa_body), scratch,
                            sizeof scratch, note + n, sizeof note - n, &len),
             TLOG_OK);
    n += len;
    struct tlog_note nt;
    bool ok[2];
    uint64_t ts[2];
    CHECK_EQ(tlog_note_parse(note, n, &nt), TLOG_OK);
    CHECK_EQ(tlog_note_verify(C, &nt, keys, 2, ok, ts, scratch, sizeof scratch), TLOG_OK);
    CHECK(ok[0] && ok[1]);
    CHECK_EQ(ts[1], 1700000000);
    /* what if the scratch buffer cannot hold the cosigned message? */
    CHECK_EQ(tlog_note_verify(C, &nt, keys, 2, ok, ts, scratch, 40), TLOG_E_SPACE);
    /* ...or the witness key is taken for a plain note key (type 0x01)? */
    struct tlog_key as_note;
    CHECK_EQ(tlog_key_init(C, &as_note, w.name, w.name_len, TLOG_SIG_ED25519, pk), TLOG_OK);
    CHECK(as_note.id != w.id);
    CHECK_EQ(tlog_note_verify(C, &nt, &as_note, 1, ok, ts, scratch, sizeof scratch),
             TLOG_E_UNKNOWN_KEY);
    /* ...or the timestamp is changed after signing? */
    char *last = note + n - len;
    size_t b64at = 4 + w.name_len + 1;
    char b[128];
    memcpy(b, last + b64at, len - b64at - 1);
    uint8_t raw[76];
    size_t rl;
    CHECK_EQ(tlog_b64_decode(raw, sizeof raw, b, len - b64at - 1, &rl), TLOG_OK);
    raw[11] ^= 1;
    CHECK_EQ(tlog_b64_encode(last + b64at, len, raw, rl), len - b64at - 1);
    CHECK_EQ(tlog_note_parse(note, n, &nt), TLOG_OK);
    CHECK_EQ(tlog_note_verify(C, &nt, keys, 2, ok, ts, scratch, sizeof scratch), TLOG_E_BADSIG);
}

TEST(checkpoint_refusals)
{
    static const char *const bad[] = {
        "\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",           /* no origin */
        "o\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",         /* leading zero */
        "o\n-5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n9223372036854775808\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", /* > int64 */
        "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",           /* 31 bytes */
        "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",            /* unterminated */
        "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\nx\n",     /* empty ext line */
        "o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nx",         /* unterminated ext */
        "o\n5\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tlog_checkpoint cp;
        CHECK(tlog_checkpoint_parse(bad[i], strlen(bad[i]), &cp) != TLOG_OK);
    }
    static const char ext[] = "o\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nx y\nz\n";
    struct tlog_checkpoint cp;
    CHECK_EQ(tlog_checkpoint_parse(ext, strlen(ext), &cp), TLOG_OK);
    CHECK_EQ(cp.size, 0);
    CHECK_EQ(cp.ext_len, 6);
    char back[128];
    size_t n;
    CHECK_EQ(tlog_checkpoint_format(&cp, back, sizeof back, &n), TLOG_OK);
    CHECK_EQ(n, strlen(ext));
    CHECK_MEM(back, ext, n);
    CHECK_EQ(tlog_checkpoint_format(&cp, back, n - 1, &n), TLOG_E_SPACE);
}

/* ---- tlog-proof: the spec's example ---- */

static const char proof_example[] =
    "c2sp.org/tlog-proof@v1\n"
    "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
    "index 73894\n"
    "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
    "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
    "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
    "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
    "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
    "\n"
    "example.com/fancylog\n"
    "109482\n"
    "sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"
    "\n"
    "\xe2\x80\x94 example.com/fancylog hI2DJw[...]1roloI=\n";

TEST(tlog_proof_spec_example)
{
    static struct tlog_proof p;
    CHECK_EQ(tlog_proof_parse(proof_example, strlen(proof_example), &p), TLOG_OK);
    CHECK_EQ(p.index, 73894);
    CHECK_EQ(p.len, 5);
    CHECK(p.note_len > 20 && !memcmp(p.note, "example.com/fancylog\n", 21));
    uint8_t extra[64];
    size_t elen;
    CHECK_EQ(tlog_b64_decode(extra, sizeof extra, p.extra_b64, p.extra_b64_len, &elen), TLOG_OK);
    CHECK(elen > 30 && !memcmp(extra, "age-v1.2.1-darwin-arm64.tar.gz", 30));
    char back[1024];
    size_t n;
    CHECK_EQ(tlog_proof_format(&p, extra, elen, back, sizeof back, &n), TLOG_OK);
    CHECK_EQ(n, strlen(proof_example));
    CHECK_MEM(back, proof_example, n);
    CHECK_EQ(tlog_proof_format(&p, extra, elen, back, n - 1, &n), TLOG_E_SPACE);
}

TEST(tlog_proof_refusals)
{
    static struct tlog_proof p;
    char buf[sizeof proof_example];
    /* cut anywhere before the checkpoint: refused */
    for (size_t cut = 0; cut < 306; cut++)
        CHECK(tlog_proof_parse(proof_example, cut, &p) != TLOG_OK);
    static const char *const edits[][2] = {
        {"c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"},
        {"index 73894", "index 07389"},
        {"extra YWdl", "extra !Wdl"},
        {"6vfO5vk=", "6vfO5vl="}, /* non-canonical spare bits */
        {"5vk=\n\nexample", "5vk=\nxexample"}, /* no blank line before the checkpoint */
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(buf, proof_example, sizeof proof_example);
        char *at = strstr(buf, edits[i][0]);
        CHECK(at && strlen(edits[i][0]) == strlen(edits[i][1]));
        memcpy(at, edits[i][1], strlen(edits[i][1]));
        CHECK(tlog_proof_parse(buf, strlen(buf), &p) != TLOG_OK);
    }
}

TEST(consistency_text)
{
    uint8_t proof[3][32], back[4][32];
    for (int i = 0; i < 3; i++)
        memset(proof[i], 0x11 * (i + 1), 32);
    char buf[256];
    size_t n, m;
    uint64_t old;
    CHECK_EQ(tlog_cons_format(42, (const uint8_t(*)[32])proof, 3, buf, sizeof buf, &n), TLOG_OK);
    CHECK_EQ(n, 7 + 3 * 45);
    CHECK_EQ(tlog_cons_parse(buf, n, &old, back, 4, &m), TLOG_OK);
    CHECK(old == 42 && m == 3 && !memcmp(back, proof, sizeof proof));
    CHECK_EQ(tlog_cons_parse(buf, n, &old, back, 2, &m), TLOG_E_RANGE);
    CHECK_EQ(tlog_cons_parse(buf, n - 1, &old, back, 4, &m), TLOG_E_SYNTAX);
    buf[n] = '\n';
    CHECK_EQ(tlog_cons_parse(buf, n + 1, &old, back, 4, &m), TLOG_E_SYNTAX);
    CHECK_EQ(tlog_cons_parse("old x\n", 6, &old, back, 4, &m), TLOG_E_SYNTAX);
    CHECK_EQ(tlog_cons_parse("old 1\n", 6, &old, back, 4, &m), TLOG_OK);
    CHECK_EQ(m, 0);
}
