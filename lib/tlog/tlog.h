/*
 * tlog: a transparency log in the public formats (docs/TLOG.md).
 *
 * It owns the byte formats and the arithmetic; storage and keys belong to
 * the caller:
 *   - RFC 6962 / RFC 9162 Merkle hashing (leaf 0x00, node 0x01, SHA-256),
 *     the tree hash of any range, inclusion and consistency proofs, made
 *     and verified (RFC 9162 §2.1.3 and §2.1.4);
 *   - C2SP tlog-tiles: tile coordinates, widths and paths, the hashes
 *     inside a tile, and a hash reader over tiles;
 *   - C2SP signed-note (Ed25519, type 0x01), tlog-checkpoint,
 *     tlog-cosignature (cosignature/v1, type 0x04) and tlog-proof, plus the
 *     "old N" consistency-proof text of tlog-witness.
 *
 * Shape: pure logic, no allocation, no libc, so init can link it for the
 * install policy. Parsers never copy: they return spans into the caller's
 * buffer. Writers fill a caller buffer and report its length, or fail with
 * TLOG_E_SPACE and leave the buffer's contents unspecified. SHA-256 and
 * Ed25519 come in through struct tlog_crypto.
 *
 * Hashes are read through struct tlog_hashes: the hash at height h and
 * index i is MTH(D[i*2^h : (i+1)*2^h]), asked for only for complete
 * subtrees inside the tree being computed. The recursion over a range is
 * at most 64 frames deep (one per bit of a tree size).
 */
#ifndef TLOG_TLOG_H
#define TLOG_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLOG_HASH 32u
#define TLOG_MAX_PROOF 64u     /* hashes in any proof of a 2^64-entry tree */
#define TLOG_MAX_SIGS 32u      /* signature lines in one note (spec: >= 16) */
#define TLOG_MAX_NAME 128u     /* key name bytes */
#define TLOG_MAX_ENTRY 65535u  /* an entry bundle's uint16 length prefix */
#define TLOG_TILE_WIDTH 256u
#define TLOG_TILE_HEIGHT 8u
#define TLOG_TILE_BYTES (TLOG_TILE_WIDTH * TLOG_HASH)
#define TLOG_MAX_PATH 64u      /* "tile/entries/x.../NNN.p/WWW" and NUL */

#define TLOG_SIG_ED25519 0x01u /* signed-note Ed25519 */
#define TLOG_SIG_COSIG 0x04u   /* tlog-cosignature timestamped Ed25519 */

enum tlog_err {
    TLOG_OK = 0,
    TLOG_E_SYNTAX,      /* text not in the format */
    TLOG_E_RANGE,       /* index, size or width out of range */
    TLOG_E_PROOF,       /* a proof that does not verify */
    TLOG_E_PROOF_LEN,   /* a proof of the wrong length for its sizes */
    TLOG_E_BADSIG,      /* a signature by a known key that does not verify */
    TLOG_E_UNKNOWN_KEY, /* no signature by any known key */
    TLOG_E_KEY,         /* a key string that is malformed or whose ID is wrong */
    TLOG_E_SPACE,       /* the output buffer is too small */
    TLOG_E_READ,        /* the hash reader failed */
    TLOG_E_TILE,        /* a tile of the wrong length */
    TLOG_E_COUNT
};
const char *tlog_strerror(int err);

/* ---- interfaces ---- */

struct tlog_span {
    const void *p;
    size_t n;
};

struct tlog_crypto {
    /* SHA-256 of the concatenation of parts[0..n) */
    void (*sha256v)(uint8_t out[32], const struct tlog_span *parts, size_t n);
    /* true iff sig is a valid Ed25519 signature of msg by pk */
    bool (*ed25519_verify)(const uint8_t sig[64], const void *msg, size_t len,
                           const uint8_t pk[32]);
    /* Ed25519 signature with the 64-byte secret key (seed || pk); NULL where
     * nothing signs (the OS only verifies) */
    void (*ed25519_sign)(uint8_t sig[64], const void *msg, size_t len, const uint8_t sk[64]);
};

struct tlog_hashes {
    /* 0, or a nonzero value that ends the computation with TLOG_E_READ */
    int (*read)(void *arg, unsigned height, uint64_t index, uint8_t out[32]);
    void *arg;
};

/* ---- Merkle tree (RFC 9162 §2.1) ---- */

void tlog_leaf_hash(const struct tlog_crypto *c, uint8_t out[32], const void *data, size_t len);
void tlog_node_hash(const struct tlog_crypto *c, uint8_t out[32], const uint8_t left[32],
                    const uint8_t right[32]);

/* MTH(D[lo:hi]) for lo < hi, where [lo, hi) is a node of some tree (lo is a
 * multiple of the largest power of two below hi - lo, as every range met
 * when splitting a tree from 0 is). */
int tlog_range_hash(const struct tlog_crypto *c, const struct tlog_hashes *h, uint64_t lo,
                    uint64_t hi, uint8_t out[32]);
/* MTH(D[0:n]); for n = 0 the hash of the empty string. */
int tlog_tree_hash(const struct tlog_crypto *c, const struct tlog_hashes *h, uint64_t n,
                   uint8_t out[32]);

/* The inclusion path of leaf `index` in the tree of `size` leaves; *len is
 * set to its number of hashes (the length depends on index and size only). */
int tlog_prove_inclusion(const struct tlog_crypto *c, const struct tlog_hashes *h,
                         uint64_t index, uint64_t size, uint8_t proof[][32], size_t cap,
                         size_t *len);
int tlog_verify_inclusion(const struct tlog_crypto *c, uint64_t index, uint64_t size,
                          const uint8_t leaf[32], const uint8_t proof[][32], size_t len,
                          const uint8_t root[32]);

/* The consistency proof from the tree of `old` leaves to the tree of `size`
 * (0 < old <= size); empty when old == size. */
int tlog_prove_consistency(const struct tlog_crypto *c, const struct tlog_hashes *h,
                           uint64_t old, uint64_t size, uint8_t proof[][32], size_t cap,
                           size_t *len);
int tlog_verify_consistency(const struct tlog_crypto *c, uint64_t old, uint64_t size,
                            const uint8_t old_root[32], const uint8_t root[32],
                            const uint8_t proof[][32], size_t len);

/* ---- tiles (C2SP tlog-tiles) ---- */

/* Hashes in tile n of `level` (0..63) in a tree of `size` leaves: 256 for a
 * full tile, 1..255 for the partial tile, 0 if the tile does not exist. */
unsigned tlog_tile_width(uint64_t size, unsigned level, uint64_t n);
/* Tiles at `level` (full ones and the partial one); levels run while > 0. */
uint64_t tlog_tile_count(uint64_t size, unsigned level);
/* "tile/L/N[.p/W]", or "tile/entries/N[.p/W]" for level TLOG_ENTRIES;
 * width 256 means full. Returns the length, or 0 if it does not fit. */
#define TLOG_ENTRIES 255u
size_t tlog_tile_path(char *buf, size_t cap, unsigned level, uint64_t n, unsigned width);
/* Parses a path made by tlog_tile_path, exactly (no other spelling). */
int tlog_tile_path_parse(const char *s, size_t len, unsigned *level, uint64_t *n,
                         unsigned *width);
/* The node at height h (0..8) and index i inside a tile of `width` hashes:
 * it covers tile hashes [i*2^h, (i+1)*2^h), which must lie in the tile. */
int tlog_tile_node(const struct tlog_crypto *c, const uint8_t *tile, unsigned width, unsigned h,
                   uint64_t i, uint8_t out[32]);

/* A hash reader over tiles for a tree of `size` leaves: height H is read
 * from the level-H/8 tile and, for H % 8 != 0, hashed up inside it. The
 * caller's read_tile returns the tile's bytes (width * 32 of them, checked
 * here) and may reuse one buffer between calls. */
struct tlog_tiles {
    const struct tlog_crypto *crypto;
    uint64_t size;
    int (*read_tile)(void *arg, unsigned level, uint64_t n, unsigned width,
                     const uint8_t **data, size_t *len);
    void *arg;
    int err; /* the tlog_err of the last failed read, for the message */
};
int tlog_tiles_read(void *tiles, unsigned height, uint64_t index, uint8_t out[32]);

/* ---- base64 (RFC 4648 §4, padded, canonical) ---- */

size_t tlog_b64_len(size_t n); /* encoded length of n bytes */
/* Returns the encoded length, or 0 if it does not fit (or n == 0). */
size_t tlog_b64_encode(char *out, size_t cap, const void *in, size_t n);
/* Decodes exactly; refuses bad characters, padding or non-zero spare bits. */
int tlog_b64_decode(uint8_t *out, size_t cap, const char *in, size_t n, size_t *outlen);

/* ---- keys and signed notes (C2SP signed-note) ---- */

struct tlog_key {
    char name[TLOG_MAX_NAME + 1]; /* NUL-terminated */
    size_t name_len;
    uint8_t type; /* TLOG_SIG_ED25519 or TLOG_SIG_COSIG */
    uint32_t id;  /* SHA-256(name || 0x0A || type || pub)[:4], big-endian */
    uint8_t pub[32];
};

/* A key name: 1..128 bytes of printable ASCII other than '+' (the spec
 * allows more of UTF-8; Vectra's keys are plain). */
bool tlog_name_ok(const char *s, size_t len);
int tlog_key_init(const struct tlog_crypto *c, struct tlog_key *k, const char *name,
                  size_t name_len, uint8_t type, const uint8_t pub[32]);
/* "name+hhhhhhhh+base64(type || pub)"; the ID in it must be the computed one. */
int tlog_vkey_parse(const struct tlog_crypto *c, const char *s, size_t len, struct tlog_key *k);
size_t tlog_vkey_format(const struct tlog_key *k, char *buf, size_t cap);

struct tlog_sig {
    const char *name; /* into the note */
    size_t name_len;
    const char *b64; /* base64(key ID || signature), into the note */
    size_t b64_len;
    uint32_t id; /* the first four bytes, decoded */
};

struct tlog_note {
    const char *text; /* the signed text, ending in '\n' */
    size_t text_len;
    size_t nsigs;
    struct tlog_sig sigs[TLOG_MAX_SIGS];
};

/* Splits a signed note (valid UTF-8, no control bytes but '\n', text, blank
 * line, 1..TLOG_MAX_SIGS signature lines). Verifies nothing. */
int tlog_note_parse(const char *buf, size_t len, struct tlog_note *n);

/* Verifies n against keys[0..nkeys): a signature whose name and ID match a
 * key must verify (else TLOG_E_BADSIG); others are ignored; at least one
 * must have matched (else TLOG_E_UNKNOWN_KEY). ok[k] (if ok != NULL) is set
 * for each key that signed, and for a cosignature key ts[k] (if ts != NULL)
 * to its timestamp. `scratch` holds a cosigned message (text + 40 bytes). */
int tlog_note_verify(const struct tlog_crypto *c, const struct tlog_note *n,
                     const struct tlog_key *keys, size_t nkeys, bool *ok, uint64_t *ts,
                     char *scratch, size_t scratch_cap);

/* "cosignature/v1\ntime T\n" || text: the message a cosignature signs. */
size_t tlog_cosig_message(char *buf, size_t cap, uint64_t ts, const char *text, size_t len);

/* One signature line "— name base64(id || [ts ||] sig)\n" by key k (type
 * 0x01 signs text, type 0x04 the cosigned message built in scratch). */
int tlog_sign_line(const struct tlog_crypto *c, const struct tlog_key *k, const uint8_t sk[64],
                   uint64_t ts, const char *text, size_t len, char *scratch, size_t scratch_cap,
                   char *out, size_t cap, size_t *outlen);

/* ---- checkpoints (C2SP tlog-checkpoint) ---- */

struct tlog_checkpoint {
    const char *origin; /* into the text */
    size_t origin_len;
    uint64_t size;
    uint8_t root[32];
    const char *ext; /* extension lines, each ending in '\n'; may be empty */
    size_t ext_len;
};

int tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *cp);
int tlog_checkpoint_format(const struct tlog_checkpoint *cp, char *buf, size_t cap,
                           size_t *outlen);

/* ---- proofs that travel (C2SP tlog-proof, tlog-witness "old N") ---- */

struct tlog_proof {
    const char *extra_b64; /* NULL if there is no extra line */
    size_t extra_b64_len;
    uint64_t index;
    size_t len;
    uint8_t path[TLOG_MAX_PROOF][32];
    const char *note; /* the checkpoint note, verbatim, to the end */
    size_t note_len;
};

int tlog_proof_parse(const char *buf, size_t len, struct tlog_proof *p);
int tlog_proof_format(const struct tlog_proof *p, const void *extra, size_t extra_len,
                      char *buf, size_t cap, size_t *outlen);

/* "old N\n" then one base64 hash per line: exactly that, to the end. */
int tlog_cons_parse(const char *buf, size_t len, uint64_t *old, uint8_t proof[][32],
                    size_t cap, size_t *n);
int tlog_cons_format(uint64_t old, const uint8_t proof[][32], size_t n, char *buf, size_t cap,
                     size_t *outlen);

#endif
