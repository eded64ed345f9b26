/*
 * random.c: see random.h for the design and its invariants.
 *
 * Every input to SHA-256 is length-prefixed or fixed-size, so no two
 * different histories of samples hash alike by concatenation. Secrets
 * leave the stack through wipe(), which the compiler may not drop.
 */
#include "random/random.h"

#include "fmt/fmt.h"
#include "random/chacha20.h"
#include "string/vstring.h"

static const uint8_t zero_nonce[CHACHA20_NONCE];

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

static void put_le64(uint8_t b[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> 8 * i);
}

/* The tags name each use of SHA-256, NUL included. */
static void hash_tag(struct sha256_ctx *c, const char *tag)
{
    sha256_init(c);
    sha256_update(c, tag, vs_strlen(tag) + 1);
}

void rnd_init(struct rnd_pool *p, const void *pub, size_t n)
{
    vs_memset(p, 0, sizeof *p);
    struct sha256_ctx c;
    uint8_t len[8];
    put_le64(len, n);
    hash_tag(&c, "vectra random sloppy v1");
    sha256_update(&c, len, sizeof len);
    sha256_update(&c, pub, n);
    sha256_final(&c, p->sloppy);
}

static bool name_ok(const char *name)
{
    size_t n = vs_strnlen(name, RND_NAME);
    if (n == 0 || n >= RND_NAME)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return false;
    }
    return true;
}

int rnd_add_source(struct rnd_pool *p, const char *name, uint32_t max_bits_per_sample)
{
    if (!name_ok(name))
        return -RND_E_NAME;
    if (p->nsources == RND_MAX_SOURCES)
        return -RND_E_FULL;
    struct rnd_source *s = &p->src[p->nsources];
    vs_memset(s, 0, sizeof *s);
    vs_memcpy(s->name, name, vs_strlen(name) + 1);
    s->max_bits = max_bits_per_sample < RND_MAX_SAMPLE_BITS ? max_bits_per_sample
                                                            : RND_MAX_SAMPLE_BITS;
    sha256_init(&s->acc);
    return (int)p->nsources++;
}

/* Fast key erasure: the keystream of the current key gives the next key
 * (its first 32 bytes) and then the caller's n bytes. */
static void generate(uint8_t key[32], uint8_t *out, size_t n)
{
    uint8_t first[CHACHA20_BLOCK];
    chacha20_block(first, key, 0, zero_nonce);
    size_t k = n < 32 ? n : 32;
    vs_memcpy(out, first + 32, k);
    if (n > k)
        chacha20_stream(out + k, n - k, key, 1, zero_nonce); /* n <= RND_MAX_READ: no wrap */
    vs_memcpy(key, first, 32);
    wipe(first, sizeof first);
}

static void update_levels(struct rnd_pool *p)
{
    bool was = p->seeded;
    p->seeded = p->seeded || rnd_committed_bits(p) >= RND_SEED_BITS;
    p->high = p->high || (p->seeded && rnd_high_bits(p) >= RND_HIGH_BITS);
    if (p->seeded && !was) {
        /* Rekey sloppy from the seeded generator: from now on it is as
         * good as standard, and its public pre-seed key is forgotten. */
        generate(p->key, p->sloppy, sizeof p->sloppy);
    }
}

static void fold(struct rnd_pool *p, unsigned id)
{
    struct rnd_source *s = &p->src[id];
    uint8_t digest[32], hdr[9];
    sha256_final(&s->acc, digest);
    hdr[0] = (uint8_t)id;
    put_le64(hdr + 1, s->committed);
    struct sha256_ctx c;
    hash_tag(&c, "vectra random fold v1");
    sha256_update(&c, p->key, sizeof p->key);
    sha256_update(&c, hdr, sizeof hdr);
    sha256_update(&c, digest, sizeof digest);
    sha256_final(&c, p->key);
    wipe(digest, sizeof digest);
    wipe(&c, sizeof c);
    s->committed += s->pending;
    if (s->committed > RND_MAX_COMMITTED)
        s->committed = RND_MAX_COMMITTED;
    s->pending = 0;
    sha256_init(&s->acc);
    p->folds++;
}

int rnd_push(struct rnd_pool *p, int id, const void *data, size_t len, uint32_t claim,
             uint32_t *credited)
{
    if (credited)
        *credited = 0;
    if (id < 0 || (unsigned)id >= p->nsources)
        return -RND_E_SOURCE;
    struct rnd_source *s = &p->src[id];

    uint8_t h[32], lenb[8];
    sha256(h, data, len);
    uint32_t credit = claim;
    if (credit > s->max_bits)
        credit = s->max_bits;
    if ((uint64_t)credit > 8 * (uint64_t)len)
        credit = (uint32_t)(8 * len);
    if (s->samples > 0 && vs_memcmp(h, s->last, sizeof h) == 0) {
        credit = 0;
        s->repeats++;
    }
    vs_memcpy(s->last, h, sizeof h);
    wipe(h, sizeof h);
    s->samples++;

    put_le64(lenb, len);
    sha256_update(&s->acc, lenb, sizeof lenb);
    sha256_update(&s->acc, data, len);
    /* pending stays below RND_FOLD_BITS + the largest credit: no overflow */
    s->pending += credit;
    if (credited)
        *credited = credit;

    if (s->pending >= RND_FOLD_BITS) {
        fold(p, (unsigned)id);
    } else if (!p->seeded) {
        uint64_t all = rnd_committed_bits(p);
        for (unsigned i = 0; i < p->nsources; i++)
            all += p->src[i].pending;
        if (all >= RND_SEED_BITS)
            for (unsigned i = 0; i < p->nsources; i++)
                if (p->src[i].pending)
                    fold(p, i);
    }
    update_levels(p);
    return RND_OK;
}

int rnd_read(struct rnd_pool *p, enum rnd_level level, void *out, size_t n)
{
    if (level != RND_SLOPPY && level != RND_STANDARD && level != RND_HIGH)
        return -RND_E_LEVEL;
    if (n > RND_MAX_READ)
        return -RND_E_TOOBIG;
    if (level == RND_STANDARD && !p->seeded)
        return -RND_E_UNSEEDED;
    if (level == RND_HIGH && !p->high)
        return -RND_E_HIGH_WAIT;
    generate(level == RND_SLOPPY ? p->sloppy : p->key, out, n);
    return RND_OK;
}

uint64_t rnd_committed_bits(const struct rnd_pool *p)
{
    uint64_t t = 0;
    for (unsigned i = 0; i < p->nsources; i++)
        t += p->src[i].committed;
    return t;
}

uint64_t rnd_high_bits(const struct rnd_pool *p)
{
    uint64_t t = 0;
    for (unsigned i = 0; i < p->nsources; i++)
        t += p->src[i].committed < RND_HIGH_PER_SOURCE ? p->src[i].committed
                                                       : RND_HIGH_PER_SOURCE;
    return t;
}

size_t rnd_why(const struct rnd_pool *p, enum rnd_level level, char *buf, size_t len)
{
    if (!len)
        return 0;
    buf[0] = 0;
    int n = 0;
    if (level == RND_STANDARD && !p->seeded) {
        uint64_t pending = 0;
        for (unsigned i = 0; i < p->nsources; i++)
            pending += p->src[i].pending;
        n = fmt_snprintf(buf, len, "standard waits: %llu of %u bits committed, %llu pending",
                         (unsigned long long)rnd_committed_bits(p), RND_SEED_BITS,
                         (unsigned long long)pending);
    } else if (level == RND_HIGH && !p->high) {
        n = fmt_snprintf(buf, len,
                         "high waits: %llu of %u bits from two or more sources (each counts "
                         "up to %u); committed+pending:",
                         (unsigned long long)rnd_high_bits(p), RND_HIGH_BITS,
                         RND_HIGH_PER_SOURCE);
        for (unsigned i = 0; i < p->nsources && n >= 0 && (size_t)n < len; i++)
            n += fmt_snprintf(buf + n, len - (size_t)n, " %s %llu+%u", p->src[i].name,
                              (unsigned long long)p->src[i].committed, p->src[i].pending);
    }
    if (n < 0)
        n = 0;
    return (size_t)n < len ? (size_t)n : len - 1;
}

const char *rnd_errname(int err)
{
    switch (err < 0 ? -err : err) {
    case RND_OK: return "ok";
    case RND_E_UNSEEDED: return "unseeded";
    case RND_E_HIGH_WAIT: return "high-waiting";
    case RND_E_LEVEL: return "bad-level";
    case RND_E_SOURCE: return "bad-source";
    case RND_E_FULL: return "too-many-sources";
    case RND_E_NAME: return "bad-source-name";
    case RND_E_TOOBIG: return "read-too-big";
    }
    return "unknown";
}

const char *rnd_level_name(enum rnd_level level)
{
    switch (level) {
    case RND_SLOPPY: return "sloppy";
    case RND_STANDARD: return "standard";
    case RND_HIGH: return "high";
    }
    return "?";
}
