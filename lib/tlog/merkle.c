/*
 * merkle.c: RFC 9162 §2.1 Merkle trees over a hash reader: the hash of a
 * range, inclusion and consistency proofs made (the recursive PATH and
 * SUBPROOF definitions of §2.1.3.1 and §2.1.4.1) and verified (the
 * iterative algorithms of §2.1.3.2 and §2.1.4.2, which need no reader).
 *
 * Invariant: every range handed to the reader is a complete subtree
 * [i*2^h, (i+1)*2^h), because ranges only arise by splitting [0, n) at the
 * largest power of two below its length.
 */
#include "tlog/tlog.h"

#include "string/vstring.h"

static const char *const tlog_errs[TLOG_E_COUNT] = {
    [TLOG_OK] = "ok",
    [TLOG_E_SYNTAX] = "not in the format",
    [TLOG_E_RANGE] = "index or size out of range",
    [TLOG_E_PROOF] = "proof does not verify",
    [TLOG_E_PROOF_LEN] = "proof has the wrong length for its tree sizes",
    [TLOG_E_BADSIG] = "signature by a known key does not verify",
    [TLOG_E_UNKNOWN_KEY] = "no signature by a known key",
    [TLOG_E_KEY] = "malformed key or wrong key ID",
    [TLOG_E_SPACE] = "output buffer too small",
    [TLOG_E_READ] = "hash or tile could not be read",
    [TLOG_E_TILE] = "tile has the wrong length",
};

const char *tlog_strerror(int err)
{
    if (err < 0 || err >= TLOG_E_COUNT)
        return "unknown error";
    return tlog_errs[err];
}

void tlog_leaf_hash(const struct tlog_crypto *c, uint8_t out[32], const void *data, size_t len)
{
    static const uint8_t zero = 0x00;
    struct tlog_span parts[2] = {{&zero, 1}, {data, len}};
    c->sha256v(out, parts, 2);
}

void tlog_node_hash(const struct tlog_crypto *c, uint8_t out[32], const uint8_t left[32],
                    const uint8_t right[32])
{
    static const uint8_t one = 0x01;
    struct tlog_span parts[3] = {{&one, 1}, {left, 32}, {right, 32}};
    c->sha256v(out, parts, 3);
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t split(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

int tlog_range_hash(const struct tlog_crypto *c, const struct tlog_hashes *h, uint64_t lo,
                    uint64_t hi, uint8_t out[32])
{
    if (lo >= hi)
        return TLOG_E_RANGE;
    uint64_t n = hi - lo;
    if ((n & (n - 1)) == 0) {
        unsigned height = (unsigned)__builtin_ctzll(n);
        if (lo & (n - 1))
            return TLOG_E_RANGE;
        return h->read(h->arg, height, lo >> height, out) ? TLOG_E_READ : TLOG_OK;
    }
    uint64_t k = split(n);
    if (lo & (k - 1))
        return TLOG_E_RANGE;
    uint8_t l[32], r[32];
    int e = tlog_range_hash(c, h, lo, lo + k, l);
    if (!e)
        e = tlog_range_hash(c, h, lo + k, hi, r);
    if (!e)
        tlog_node_hash(c, out, l, r);
    return e;
}

int tlog_tree_hash(const struct tlog_crypto *c, const struct tlog_hashes *h, uint64_t n,
                   uint8_t out[32])
{
    if (n == 0) {
        c->sha256v(out, NULL, 0);
        return TLOG_OK;
    }
    return tlog_range_hash(c, h, 0, n, out);
}

struct proof_out {
    uint8_t (*p)[32];
    size_t cap, len;
};

static int append_range(const struct tlog_crypto *c, const struct tlog_hashes *h,
                        struct proof_out *o, uint64_t lo, uint64_t hi)
{
    if (o->len == o->cap)
        return TLOG_E_SPACE;
    return tlog_range_hash(c, h, lo, hi, o->p[o->len++]);
}

/* PATH(m, D[lo:hi]) */
static int path(const struct tlog_crypto *c, const struct tlog_hashes *h, struct proof_out *o,
                uint64_t m, uint64_t lo, uint64_t hi)
{
    if (hi - lo == 1)
        return TLOG_OK;
    uint64_t k = split(hi - lo);
    int e;
    if (m - lo < k) {
        e = path(c, h, o, m, lo, lo + k);
        return e ? e : append_range(c, h, o, lo + k, hi);
    }
    e = path(c, h, o, m, lo + k, hi);
    return e ? e : append_range(c, h, o, lo, lo + k);
}

int tlog_prove_inclusion(const struct tlog_crypto *c, const struct tlog_hashes *h,
                         uint64_t index, uint64_t size, uint8_t proof[][32], size_t cap,
                         size_t *len)
{
    if (index >= size)
        return TLOG_E_RANGE;
    struct proof_out o = {proof, cap, 0};
    int e = path(c, h, &o, index, 0, size);
    *len = o.len;
    return e;
}

/* SUBPROOF(m, D[lo:hi], whole) */
static int subproof(const struct tlog_crypto *c, const struct tlog_hashes *h,
                    struct proof_out *o, uint64_t m, uint64_t lo, uint64_t hi, bool whole)
{
    uint64_t n = hi - lo;
    if (m == n)
        return whole ? TLOG_OK : append_range(c, h, o, lo, hi);
    uint64_t k = split(n);
    int e;
    if (m <= k) {
        e = subproof(c, h, o, m, lo, lo + k, whole);
        return e ? e : append_range(c, h, o, lo + k, hi);
    }
    e = subproof(c, h, o, m - k, lo + k, hi, false);
    return e ? e : append_range(c, h, o, lo, lo + k);
}

int tlog_prove_consistency(const struct tlog_crypto *c, const struct tlog_hashes *h,
                           uint64_t old, uint64_t size, uint8_t proof[][32], size_t cap,
                           size_t *len)
{
    if (old == 0 || old > size)
        return TLOG_E_RANGE;
    struct proof_out o = {proof, cap, 0};
    int e = subproof(c, h, &o, old, 0, size, true);
    *len = o.len;
    return e;
}

static bool hash_eq(const uint8_t a[32], const uint8_t b[32])
{
    uint8_t d = 0;
    for (int i = 0; i < 32; i++)
        d |= a[i] ^ b[i];
    return d == 0;
}

int tlog_verify_inclusion(const struct tlog_crypto *c, uint64_t index, uint64_t size,
                          const uint8_t leaf[32], const uint8_t proof[][32], size_t len,
                          const uint8_t root[32])
{
    if (index >= size)
        return TLOG_E_RANGE;
    if (len > TLOG_MAX_PROOF)
        return TLOG_E_PROOF_LEN;
    uint64_t fn = index, sn = size - 1;
    uint8_t r[32];
    vs_memcpy(r, leaf, 32);
    for (size_t i = 0; i < len; i++) {
        if (sn == 0)
            return TLOG_E_PROOF_LEN;
        if ((fn & 1) || fn == sn) {
            tlog_node_hash(c, r, proof[i], r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            tlog_node_hash(c, r, r, proof[i]);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return TLOG_E_PROOF_LEN;
    return hash_eq(r, root) ? TLOG_OK : TLOG_E_PROOF;
}

int tlog_verify_consistency(const struct tlog_crypto *c, uint64_t old, uint64_t size,
                            const uint8_t old_root[32], const uint8_t root[32],
                            const uint8_t proof[][32], size_t len)
{
    if (old == 0 || old > size)
        return TLOG_E_RANGE;
    if (old == size) {
        if (len != 0)
            return TLOG_E_PROOF_LEN;
        return hash_eq(old_root, root) ? TLOG_OK : TLOG_E_PROOF;
    }
    if (len == 0 || len > TLOG_MAX_PROOF)
        return TLOG_E_PROOF_LEN;
    /* A power-of-two old tree is itself a node of the new one: the proof
     * omits it and the verifier starts from old_root (step 1). */
    bool pow2 = (old & (old - 1)) == 0;
    size_t total = len + pow2;
    uint64_t fn = old - 1, sn = size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[32], sr[32];
    vs_memcpy(fr, pow2 ? old_root : proof[0], 32);
    vs_memcpy(sr, fr, 32);
    for (size_t j = 1; j < total; j++) {
        const uint8_t *p = proof[j - pow2];
        if (sn == 0)
            return TLOG_E_PROOF_LEN;
        if ((fn & 1) || fn == sn) {
            tlog_node_hash(c, fr, p, fr);
            tlog_node_hash(c, sr, p, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            tlog_node_hash(c, sr, sr, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return TLOG_E_PROOF_LEN;
    return hash_eq(fr, old_root) && hash_eq(sr, root) ? TLOG_OK : TLOG_E_PROOF;
}
