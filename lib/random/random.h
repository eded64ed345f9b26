/*
 * random: the entropy pool and its three levels, as pure logic.
 *
 * Sources are abstract: whoever owns the pool (user/services/randomd) registers
 * each one with a name and a cap on what one sample may claim, then
 * pushes samples with the entropy it claims for them. The pool never
 * believes a claim beyond min(claim, 8 x sample bytes, the source's cap),
 * and credits nothing for a sample identical to that source's previous
 * one (a stuck source gives zero after its first sample). Every byte is
 * mixed in whatever it is credited.
 *
 * Design (docs/DECISIONS.md, "Randomness"):
 *   - each source has its own SHA-256 accumulator and "pending" credit;
 *     a source is folded into the generator key when its pending credit
 *     reaches RND_FOLD_BITS (or, before the first seeding, when the
 *     pending credit of all sources together would seed the pool), so an
 *     attacker who knows the key never sees it change by a guessable step;
 *     fold: key' = SHA-256(tag || key || source || committed || digest);
 *   - the generator is ChaCha20 with fast key erasure: every read draws
 *     32 bytes for the next key before the caller's bytes, then forgets
 *     the old key, so a later compromise reveals no earlier output;
 *   - levels: RND_SLOPPY never waits; before seeding it runs from a key
 *     made only of public data given to rnd_init (never from the pool, so
 *     it cannot leak the pool's first, still weak, inputs); at the first
 *     seeding it is rekeyed from the seeded generator. RND_STANDARD needs
 *     RND_SEED_BITS committed in all. RND_HIGH needs RND_HIGH_BITS when
 *     each source counts for at most RND_HIGH_PER_SOURCE: so at least two
 *     sources, and if any one of them lied, 128 bits still hold.
 *
 * Invariants: committed and pending credits only grow until a fold moves
 * pending into committed; seeded and high never go back to false; a read
 * either fills the whole buffer at the level asked for or writes nothing
 * and names the reason.
 */
#ifndef RANDOM_RANDOM_H
#define RANDOM_RANDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sha256.h"

enum rnd_level {
    RND_SLOPPY = 0,     /* instant; unique, not secret (ids) */
    RND_STANDARD = 1,   /* cryptographic; refused before seeding */
    RND_HIGH = 2,       /* keys that last: two or more sources */
};

enum rnd_err {
    RND_OK = 0,
    RND_E_UNSEEDED,     /* standard before RND_SEED_BITS were committed */
    RND_E_HIGH_WAIT,    /* high before RND_HIGH_BITS from two sources */
    RND_E_LEVEL,        /* no such level */
    RND_E_SOURCE,       /* no such source id */
    RND_E_FULL,         /* RND_MAX_SOURCES are registered already */
    RND_E_NAME,         /* a source name not 1..RND_NAME-1 of [a-z0-9-] */
    RND_E_TOOBIG,       /* a read of more than RND_MAX_READ bytes */
};

#define RND_MAX_SOURCES 8
#define RND_NAME 16
#define RND_SEED_BITS 256
#define RND_FOLD_BITS 128
#define RND_HIGH_BITS 256
#define RND_HIGH_PER_SOURCE 128
#define RND_MAX_READ (1u << 20)     /* one read, one key erasure */
#define RND_MAX_COMMITTED (1ull << 40)
#define RND_MAX_SAMPLE_BITS 4096    /* a source's per-sample cap is cut to this */

struct rnd_source {
    char name[RND_NAME];            /* immutable after rnd_add_source */
    uint32_t max_bits;              /* most one sample may be credited; immutable */
    struct sha256_ctx acc;          /* samples since the last fold */
    uint32_t pending;               /* bits credited to acc */
    uint64_t committed;             /* bits folded into the key (saturates) */
    uint64_t samples, repeats;      /* repeats: identical to the one before, credited 0 */
    uint8_t last[32];               /* SHA-256 of the previous sample */
};

struct rnd_pool {
    uint8_t key[32];                /* the standard/high generator */
    uint8_t sloppy[32];             /* the sloppy generator */
    bool seeded, high;
    unsigned nsources;
    struct rnd_source src[RND_MAX_SOURCES];
    uint64_t folds;
};

/* pub: data that differs between boots but need not be secret (a cycle
 * count, a clock); it keys only the sloppy generator until seeding. */
void rnd_init(struct rnd_pool *p, const void *pub, size_t n);
/* Returns the new source's id (0..RND_MAX_SOURCES-1) or -RND_E_*. */
int rnd_add_source(struct rnd_pool *p, const char *name, uint32_t max_bits_per_sample);
/* Mix len bytes from source id, claiming `claim` bits; *credited (if
 * given) receives what the pool believed. */
int rnd_push(struct rnd_pool *p, int id, const void *data, size_t len, uint32_t claim,
             uint32_t *credited);
/* n bytes at level, or an error and nothing written. */
int rnd_read(struct rnd_pool *p, enum rnd_level level, void *out, size_t n);

/* What high counts now (each source up to RND_HIGH_PER_SOURCE). */
uint64_t rnd_high_bits(const struct rnd_pool *p);
uint64_t rnd_committed_bits(const struct rnd_pool *p);
/* Why a read at level would wait, as one line (empty when it would not);
 * returns its length, cut to fit len - 1. */
size_t rnd_why(const struct rnd_pool *p, enum rnd_level level, char *buf, size_t len);
const char *rnd_errname(int err);
const char *rnd_level_name(enum rnd_level level);

#endif
