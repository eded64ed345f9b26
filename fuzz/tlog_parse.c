/*
 * fuzz/tlog_parse: libFuzzer target for everything in lib/tlog that reads
 * untrusted bytes: signed notes (and their verification, including the
 * cosignature path), checkpoints, verifier keys, tlog-proof, the "old N"
 * consistency text, tile paths, and proof verification and tile hashing
 * on whatever those parsers accept.
 *
 * Byte 0 picks the mode; the rest is the input. Crypto is a stub: the hash
 * is a cheap mix and the signature check accepts every signature, so the
 * fuzzer reaches the code behind a "valid" signature. A note's key is made
 * from its own first signature line so that the name/ID match and
 * verify_one runs.
 *
 * Sources: lib/tlog and lib/string (FUZZ_SRCS_tlog_parse in lib/tlog/rules.mk).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlog/tlog.h"

static void f_sha256v(uint8_t out[32], const struct tlog_span *parts, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < parts[k].n; i++)
            h = (h ^ ((const uint8_t *)parts[k].p)[i]) * 0x100000001b3ull;
    for (int i = 0; i < 32; i++) {
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        out[i] = (uint8_t)(h >> 32);
    }
}

static bool f_verify(const uint8_t sig[64], const void *msg, size_t len, const uint8_t pk[32])
{
    (void)sig, (void)msg, (void)len, (void)pk;
    return true;
}

static const struct tlog_crypto C = {f_sha256v, f_verify, NULL};

static uint8_t tile[TLOG_TILE_BYTES];

static int read_tile(void *arg, unsigned level, uint64_t n, unsigned width,
                     const uint8_t **data, size_t *len)
{
    (void)arg, (void)level, (void)n;
    *data = tile;
    *len = (size_t)width * 32;
    return 0;
}

static void fuzz_note(const char *s, size_t n)
{
    static struct tlog_note note;
    if (tlog_note_parse(s, n, &note))
        return;
    struct tlog_key keys[2];
    uint8_t pk[32] = {0};
    size_t nl = note.sigs[0].name_len;
    if (tlog_key_init(&C, &keys[0], note.sigs[0].name, nl, TLOG_SIG_ED25519, pk) == TLOG_OK) {
        keys[0].id = note.sigs[0].id;
        keys[1] = keys[0];
        keys[1].type = TLOG_SIG_COSIG;
        char scratch[4096];
        bool ok[2];
        uint64_t ts[2];
        tlog_note_verify(&C, &note, keys, 2, ok, ts, scratch, sizeof scratch);
    }
    struct tlog_checkpoint cp;
    if (tlog_checkpoint_parse(note.text, note.text_len, &cp) == TLOG_OK) {
        char out[4096];
        size_t len;
        tlog_checkpoint_format(&cp, out, sizeof out, &len);
    }
}

static void fuzz_proof(const char *s, size_t n)
{
    static struct tlog_proof p;
    if (tlog_proof_parse(s, n, &p))
        return;
    struct tlog_note note;
    struct tlog_checkpoint cp;
    uint8_t leaf[32] = {0}, root[32] = {0};
    uint64_t size = p.index + 1 + (p.len & 7);
    if (tlog_note_parse(p.note, p.note_len, &note) == TLOG_OK &&
        tlog_checkpoint_parse(note.text, note.text_len, &cp) == TLOG_OK)
        size = cp.size;
    tlog_verify_inclusion(&C, p.index, size, leaf, (const uint8_t(*)[32])p.path, p.len, root);
    static char out[1 << 17];
    size_t len;
    tlog_proof_format(&p, "x", 1, out, sizeof out, &len);
}

static void fuzz_cons(const char *s, size_t n)
{
    uint8_t proof[TLOG_MAX_PROOF][32], a[32] = {0}, b[32] = {0};
    uint64_t old;
    size_t len;
    if (tlog_cons_parse(s, n, &old, proof, TLOG_MAX_PROOF, &len))
        return;
    const uint8_t(*cp)[32] = (const uint8_t(*)[32])proof;
    tlog_verify_consistency(&C, old, old + (len ? len * 3 : 0), a, b, cp, len);
    tlog_verify_consistency(&C, old, old << (len & 15), a, b, cp, len);
}

static void fuzz_tile(const char *s, size_t n)
{
    unsigned level, width;
    uint64_t idx;
    if (tlog_tile_path_parse(s, n, &level, &idx, &width))
        return;
    char back[TLOG_MAX_PATH];
    size_t len = tlog_tile_path(back, sizeof back, level, idx, width);
    if (len != n || memcmp(back, s, n)) /* parse and format are inverses */
        __builtin_trap();
    if (level == TLOG_ENTRIES || level > 7)
        return;
    uint64_t size = (idx * 256 + width) << (8 * level);
    struct tlog_tiles tt = {&C, size, read_tile, NULL, 0};
    struct tlog_hashes th = {tlog_tiles_read, &tt};
    uint8_t out[32];
    if (size && size >> (8 * level) == idx * 256 + width)
        tlog_tree_hash(&C, &th, size, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    struct tlog_key k;
    switch (data[0] % 5) {
    case 0:
        fuzz_note(s, n);
        break;
    case 1:
        fuzz_proof(s, n);
        break;
    case 2:
        fuzz_cons(s, n);
        break;
    case 3:
        fuzz_tile(s, n);
        break;
    default:
        tlog_vkey_parse(&C, s, n, &k);
        break;
    }
    return 0;
}
