/*
 * heap: see heap.h for the contract.
 *
 * Layout. A region is
 *     [region record, 32 bytes][block][block]...[block][sentinel, 32 bytes]
 * and a block is a 16-byte header followed by its payload; sizes count
 * 16-byte units, header included. Each header knows its own size and its
 * predecessor's (0 for the first block of a region), so both neighbours
 * are found in O(1) without footers; the sentinel is a header of size 0 so
 * that "the block after" always exists. Free blocks keep their free-list
 * links in the first 16 bytes of their payload, so the smallest block is
 * 2 units, and verifying any header may read the 32 bytes at it: that is
 * why the sentinel is 2 units too, though it never holds links. Invariants:
 *   - every block's prev_units equals its predecessor's units;
 *   - every block is either in use, or free and in exactly the bin its size
 *     maps to; no two free blocks are adjacent (unless merging them would
 *     exceed HEAP_MAX_UNITS, or corruption stopped a merge);
 *   - every header's check word matches its contents; a header absorbed by
 *     a merge is re-signed "dead", so a stale pointer to it is recognised.
 *
 * Size classes (two-level segregated fit, as in TLSF): sizes below 8 units
 * each get their own bin in row 0; a size u >= 8 with top bit f goes to
 * row f-2, column given by the 3 bits below the top bit. malloc rounds the
 * request up to the next class boundary, so the first non-empty bin at or
 * above it (two bitmap scans) holds only blocks that fit; if there is none
 * it scans the request's own bin for a block that happens to fit, so
 * malloc fails only when no free block is large enough.
 *
 * Every public entry validates first (pointer, header, neighbours) and only
 * then changes anything: a fault means the call had no effect.
 */
#include "heap/heap.h"

#include "string/vstring.h"

#define UNIT 16u
#define MIN_UNITS 2u
#define MAX_UNITS 0xffffffffu
#define SL_LOG 3

_Static_assert(HEAP_SL_COUNT == 1 << SL_LOG, "second-level classes");
_Static_assert(HEAP_MAX_ALLOC == ((size_t)MAX_UNITS - 1) * UNIT, "largest payload");

struct hblock {
    uint32_t units;        /* this block's size in units; 0 = sentinel */
    uint32_t prev_units;   /* predecessor's units; 0 = first in region */
    uint64_t check;
};

struct heap_free {
    struct hblock b;
    struct heap_free *next, *prev;   /* in the bin; covered by b.check */
};

struct heap_region {
    struct heap_region *next;
    struct hblock *first;      /* first block */
    struct hblock *sentinel;   /* last header; the region ends 32 bytes later */
    uint64_t check;
};

_Static_assert(sizeof(struct hblock) == UNIT, "header is one unit");
_Static_assert(sizeof(struct heap_free) == MIN_UNITS * UNIT, "free block fits 2 units");
#define SENTINEL_BYTES (MIN_UNITS * UNIT)
_Static_assert(sizeof(struct heap_region) + MIN_UNITS * UNIT + SENTINEL_BYTES == HEAP_REGION_MIN,
               "region min");
_Static_assert(sizeof(struct heap_region) + SENTINEL_BYTES == HEAP_REGION_OVERHEAD,
               "region overhead");

enum state { ST_BAD, ST_USED, ST_FREE, ST_DEAD };

/* Distinct tags per state, so a header cannot verify in the wrong state. */
static const uint64_t tag_used = 0x5553454455534544ull;
static const uint64_t tag_free = 0x4652454546524545ull;
static const uint64_t tag_dead = 0x4445414444454144ull;
static const uint64_t tag_region = 0x524547494f4e2121ull;

/* A 64-bit mixing function (the murmur3 finaliser's shape). Not
 * cryptographic: the check catches bugs, not attackers. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static uint64_t sig(const struct heap *h, const struct hblock *b, uint64_t tag)
{
    uint64_t x = mix(h->key ^ (uintptr_t)b);
    x = mix(x ^ ((uint64_t)b->units << 32 | b->prev_units));
    return mix(x ^ tag);
}

static uint64_t sig_free(const struct heap *h, const struct heap_free *f)
{
    uint64_t x = sig(h, &f->b, tag_free);
    x = mix(x ^ (uintptr_t)f->next);
    return mix(x ^ (uintptr_t)f->prev);
}

static uint64_t sig_region(const struct heap *h, const struct heap_region *r)
{
    uint64_t x = mix(h->key ^ (uintptr_t)r ^ tag_region);
    x = mix(x ^ (uintptr_t)r->next);
    x = mix(x ^ (uintptr_t)r->first);
    return mix(x ^ (uintptr_t)r->sentinel);
}

static void sign_used(const struct heap *h, struct hblock *b)
{
    b->check = sig(h, b, tag_used);
}

static void sign_free(const struct heap *h, struct heap_free *f)
{
    f->b.check = sig_free(h, f);
}

static void sign_dead(const struct heap *h, struct hblock *b)
{
    b->check = sig(h, b, tag_dead);
}

/* Reads the 32 bytes at b, which the caller guarantees lie in a region:
 * b is a header reached from a verified neighbour, a region's first block
 * or sentinel, or a pointer region_of accepted. */
static enum state state_of(const struct heap *h, const struct hblock *b)
{
    if (b->check == sig(h, b, tag_used))
        return ST_USED;
    if (b->units >= MIN_UNITS && b->check == sig_free(h, (const struct heap_free *)b))
        return ST_FREE;
    if (b->check == sig(h, b, tag_dead))
        return ST_DEAD;
    return ST_BAD;
}

static void *payload(const struct hblock *b)
{
    return (char *)b + UNIT;
}

static struct hblock *next_block(const struct hblock *b)
{
    return (struct hblock *)((char *)b + (size_t)b->units * UNIT);
}

static struct hblock *prev_block(const struct hblock *b)
{
    return (struct hblock *)((char *)b - (size_t)b->prev_units * UNIT);
}

static void fault(struct heap *h, enum heap_fault f, const void *ptr)
{
    h->faults++;
    if (h->report)
        h->report(h, f, ptr);
}

/* ---- size classes and bins ------------------------------------------- */

static unsigned top_bit(uint32_t x)
{
    return 31u - (unsigned)__builtin_clz(x);
}

static void class_of(uint32_t u, unsigned *fl, unsigned *sl)
{
    if (u < HEAP_SL_COUNT) {
        *fl = 0;
        *sl = u;
    } else {
        unsigned f = top_bit(u);
        *fl = f - (SL_LOG - 1);
        *sl = (u >> (f - SL_LOG)) & (HEAP_SL_COUNT - 1);
    }
}

static void bin_mark(struct heap *h, unsigned fl, unsigned sl)
{
    if (h->bins[fl][sl]) {
        h->sl_bitmap[fl] |= 1u << sl;
        h->fl_bitmap |= 1u << fl;
    } else {
        h->sl_bitmap[fl] &= ~(1u << sl);
        if (!h->sl_bitmap[fl])
            h->fl_bitmap &= ~(1u << fl);
    }
}

/* Push f (units and prev_units set) at the head of its bin, signed free. */
static void bin_insert(struct heap *h, struct heap_free *f)
{
    unsigned fl, sl;
    class_of(f->b.units, &fl, &sl);
    struct heap_free *head = h->bins[fl][sl];
    if (head && state_of(h, &head->b) != ST_FREE) {
        /* The old list is untrusted: drop it (leaking it) rather than
         * link a good block to it. */
        fault(h, HEAP_FAULT_FREE_LIST, payload(&head->b));
        head = 0;
    }
    f->prev = 0;
    f->next = head;
    if (head) {
        head->prev = f;
        sign_free(h, head);
    }
    sign_free(h, f);
    h->bins[fl][sl] = f;
    bin_mark(h, fl, sl);
}

/* Unlink a verified free block. Fails (reporting, changing nothing) when
 * the list around f does not point back at it. A corrupt successor is cut
 * off the list (leaked) and the unlink goes ahead. */
static bool bin_remove(struct heap *h, struct heap_free *f)
{
    unsigned fl, sl;
    class_of(f->b.units, &fl, &sl);
    struct heap_free *prev = f->prev, *next = f->next;
    bool prev_ok = prev ? state_of(h, &prev->b) == ST_FREE && prev->next == f
                        : h->bins[fl][sl] == f;
    if (!prev_ok) {
        fault(h, HEAP_FAULT_FREE_LIST, payload(&f->b));
        return false;
    }
    if (next && !(state_of(h, &next->b) == ST_FREE && next->prev == f)) {
        fault(h, HEAP_FAULT_FREE_LIST, payload(&next->b));
        next = 0;
    }
    if (prev) {
        prev->next = next;
        sign_free(h, prev);
    } else {
        h->bins[fl][sl] = next;
        bin_mark(h, fl, sl);
    }
    if (next) {
        next->prev = prev;
        sign_free(h, next);
    }
    return true;
}

/* First non-empty bin at or after (fl, sl), or false. */
static bool find_bin(const struct heap *h, unsigned *fl, unsigned *sl)
{
    uint32_t m = h->sl_bitmap[*fl] & (~0u << *sl);
    if (!m) {
        uint32_t fm = *fl + 1 < 32 ? h->fl_bitmap & (~0u << (*fl + 1)) : 0;
        if (!fm)
            return false;
        *fl = (unsigned)__builtin_ctz(fm);
        m = h->sl_bitmap[*fl];
    }
    *sl = (unsigned)__builtin_ctz(m);
    return true;
}

/* Find a free block of at least u units and take it off its list. */
static struct heap_free *take_block(struct heap *h, uint32_t u)
{
    unsigned fl, sl;
    /* Round up to the next class boundary: every block there fits. */
    uint64_t r = u;
    if (u >= HEAP_SL_COUNT)
        r += (1ull << (top_bit(u) - SL_LOG)) - 1;
    if (r <= MAX_UNITS) {
        class_of((uint32_t)r, &fl, &sl);
        while (find_bin(h, &fl, &sl)) {
            struct heap_free *f = h->bins[fl][sl];
            if (state_of(h, &f->b) == ST_FREE && f->b.units >= u) {
                if (bin_remove(h, f))
                    return f;
            } else {
                fault(h, HEAP_FAULT_FREE_LIST, payload(&f->b));
            }
            /* A bad head, or one its list disowns: drop (leak) the list. */
            h->bins[fl][sl] = 0;
            bin_mark(h, fl, sl);
        }
    }
    /* The request's own class may hold a block that fits. */
    class_of(u, &fl, &sl);
    struct heap_free *prev = 0;
    for (struct heap_free *f = h->bins[fl][sl]; f; prev = f, f = f->next) {
        if (state_of(h, &f->b) != ST_FREE) {
            fault(h, HEAP_FAULT_FREE_LIST, payload(&f->b));
            if (prev) {   /* cut the list before the bad block */
                prev->next = 0;
                sign_free(h, prev);
            } else {
                h->bins[fl][sl] = 0;
                bin_mark(h, fl, sl);
            }
            return 0;
        }
        if (f->b.units >= u)
            return bin_remove(h, f) ? f : 0;
    }
    return 0;
}

/* ---- blocks ------------------------------------------------------------ */

/* Tell b's successor b's new size. A successor that fails its check was
 * reported when the caller validated it, and is left alone. */
static void fix_successor(const struct heap *h, struct hblock *b)
{
    struct hblock *n = next_block(b);
    enum state st = state_of(h, n);
    if (st == ST_FREE) {
        n->prev_units = b->units;
        sign_free(h, (struct heap_free *)n);
    } else if (st == ST_USED) {
        n->prev_units = b->units;
        sign_used(h, n);
    }
}

/* Make b (sizes set, neighbours verified not bad, on no list) free: merge
 * it with free neighbours and put the result on its list. */
static void release(struct heap *h, struct hblock *b)
{
    struct hblock *n = next_block(b);
    if (state_of(h, n) == ST_FREE && (uint64_t)b->units + n->units <= MAX_UNITS &&
        bin_remove(h, (struct heap_free *)n)) {
        b->units += n->units;
        sign_dead(h, n);
    }
    if (b->prev_units) {
        struct hblock *p = prev_block(b);
        if (state_of(h, p) == ST_FREE && p->units == b->prev_units &&
            (uint64_t)p->units + b->units <= MAX_UNITS && bin_remove(h, (struct heap_free *)p)) {
            p->units += b->units;
            sign_dead(h, b);
            b = p;
        }
    }
    fix_successor(h, b);
    bin_insert(h, (struct heap_free *)b);
}

/* Cut b (in use, units set) down to u units if the rest makes a block;
 * the rest is released. b's successor must have been verified. */
static void trim(struct heap *h, struct hblock *b, uint32_t u)
{
    if (b->units - u < MIN_UNITS)
        return;
    struct hblock *rest = (struct hblock *)((char *)b + (size_t)u * UNIT);
    rest->units = b->units - u;
    rest->prev_units = u;
    b->units = u;
    sign_used(h, b);
    release(h, rest);   /* fixes the successor's prev_units */
}

/* Units for an n-byte request, or 0 if it cannot be a block. */
static uint32_t units_for(size_t n)
{
    if (n > HEAP_MAX_ALLOC)
        return 0;
    size_t u = (n + UNIT + UNIT - 1) / UNIT;
    return u < MIN_UNITS ? MIN_UNITS : (uint32_t)u;
}

/* Find the region whose blocks hold address p, or NULL. */
static struct heap_region *region_of(struct heap *h, uintptr_t p)
{
    for (struct heap_region *r = h->regions; r; r = r->next) {
        if (r->check != sig_region(h, r)) {
            fault(h, HEAP_FAULT_CORRUPT, r);
            return 0;
        }
        if (p >= (uintptr_t)r->first && p < (uintptr_t)r->sentinel)
            return r;
    }
    return 0;
}

/* Validate a pointer from the user: from a region, aligned, an in-use
 * header, and a successor and predecessor that are not corrupt. Reports
 * and returns NULL otherwise. */
static struct hblock *checked_block(struct heap *h, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    if ((a & (UNIT - 1)) || a < UNIT || !region_of(h, a - UNIT)) {
        fault(h, HEAP_FAULT_BAD_POINTER, p);
        return 0;
    }
    struct hblock *b = (struct hblock *)(a - UNIT);
    switch (state_of(h, b)) {
    case ST_USED:
        break;
    case ST_FREE:
    case ST_DEAD:
        fault(h, HEAP_FAULT_DOUBLE_FREE, p);
        return 0;
    default:
        fault(h, HEAP_FAULT_CORRUPT, p);
        return 0;
    }
    struct hblock *n = next_block(b);
    enum state ns = state_of(h, n);
    if (ns == ST_BAD || ns == ST_DEAD || n->prev_units != b->units) {
        fault(h, HEAP_FAULT_OVERRUN, p);
        return 0;
    }
    if (b->prev_units) {
        struct hblock *pb = prev_block(b);
        enum state ps = state_of(h, pb);
        if (ps == ST_BAD || ps == ST_DEAD || pb->units != b->prev_units) {
            fault(h, HEAP_FAULT_CORRUPT, payload(pb));
            return 0;
        }
    }
    return b;
}

/* ---- public ------------------------------------------------------------ */

void heap_init(struct heap *h)
{
    vs_memset(h, 0, sizeof *h);
    h->key = mix((uintptr_t)h ^ 0x6a09e667f3bcc908ull);
}

/* Lay blocks of at most MAX_UNITS over [b, b + units) followed by a
 * sentinel, and release them; `prev` is the size of the block before b. */
static void add_span(struct heap *h, struct hblock *b, uint64_t units, uint32_t prev)
{
    struct hblock *blocks = b;
    uint64_t left = units;
    while (left) {
        uint64_t k = left > MAX_UNITS ? MAX_UNITS : left;
        if (left - k == 1)   /* never leave a one-unit tail */
            k--;
        b->units = (uint32_t)k;
        b->prev_units = prev;
        sign_used(h, b);
        prev = (uint32_t)k;
        left -= k;
        b = next_block(b);
    }
    b->units = 0;   /* the sentinel */
    b->prev_units = prev;
    sign_used(h, b);
    for (b = blocks; b->units;) {   /* in order: each one's successor is signed */
        struct hblock *n = next_block(b);
        release(h, b);
        b = n;
    }
}

enum heap_err heap_add_region(struct heap *h, void *mem, size_t size)
{
    uintptr_t s = (uintptr_t)mem, e;
    if (__builtin_add_overflow(s, size, &e))
        return HEAP_ERANGE;
    s = (s + UNIT - 1) & ~(uintptr_t)(UNIT - 1);
    e &= ~(uintptr_t)(UNIT - 1);
    if (e <= s || e - s < MIN_UNITS * UNIT)
        return HEAP_ETOOSMALL;

    struct heap_region *grow_r = 0;
    for (struct heap_region *r = h->regions; r; r = r->next) {
        if (r->check != sig_region(h, r)) {
            fault(h, HEAP_FAULT_CORRUPT, r);
            return HEAP_ECORRUPT;   /* cannot check overlap: refuse */
        }
        uintptr_t rs = (uintptr_t)r, re = (uintptr_t)r->sentinel + SENTINEL_BYTES;
        if (s < re && rs < e)
            return HEAP_EOVERLAP;
        if (s == re)
            grow_r = r;
    }

    if (grow_r) {
        /* Contiguous: the old sentinel becomes the header of new space. */
        struct hblock *old = grow_r->sentinel;
        if (state_of(h, old) != ST_USED || old->units != 0) {
            fault(h, HEAP_FAULT_CORRUPT, payload(old));
            return HEAP_ECORRUPT;
        }
        if (old->prev_units) {
            struct hblock *last = prev_block(old);
            enum state ls = state_of(h, last);
            if (ls == ST_BAD || ls == ST_DEAD || last->units != old->prev_units) {
                fault(h, HEAP_FAULT_CORRUPT, payload(last));
                return HEAP_ECORRUPT;
            }
        }
        grow_r->sentinel = (struct hblock *)(e - SENTINEL_BYTES);
        grow_r->check = sig_region(h, grow_r);
        h->total += e - s;
        add_span(h, old, (e - s) / UNIT, old->prev_units);
        return HEAP_OK;
    }

    if (e - s < HEAP_REGION_MIN)
        return HEAP_ETOOSMALL;
    struct heap_region *r = (struct heap_region *)s;
    r->next = h->regions;
    r->first = (struct hblock *)(s + sizeof *r);
    r->sentinel = (struct hblock *)(e - SENTINEL_BYTES);
    r->check = sig_region(h, r);
    h->regions = r;
    h->nregions++;
    h->total += e - s;
    add_span(h, r->first, ((uintptr_t)r->sentinel - (uintptr_t)r->first) / UNIT, 0);
    return HEAP_OK;
}

void *heap_malloc(struct heap *h, size_t n)
{
    uint32_t u = units_for(n);
    if (!u)
        return 0;
    struct heap_free *f;
    for (int tries = 0;; tries++) {
        f = take_block(h, u);
        if (f)
            break;
        size_t before = h->total;
        if (!h->grow || tries == HEAP_GROW_TRIES ||
            !h->grow(h, (size_t)u * UNIT + HEAP_REGION_OVERHEAD) || h->total == before)
            return 0;
    }
    struct hblock *b = &f->b;
    sign_used(h, b);
    struct hblock *n2 = next_block(b);
    enum state ns = state_of(h, n2);
    if (ns == ST_BAD || ns == ST_DEAD || n2->prev_units != b->units)
        fault(h, HEAP_FAULT_CORRUPT, payload(n2));   /* keep the whole block */
    else
        trim(h, b, u);
    h->in_use += (size_t)b->units * UNIT;
    h->allocations++;
    return payload(b);
}

void *heap_calloc(struct heap *h, size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n))
        return 0;
    void *p = heap_malloc(h, n);
    if (p)
        vs_memset(p, 0, n);
    return p;
}

void heap_free(struct heap *h, void *p)
{
    if (!p)
        return;
    struct hblock *b = checked_block(h, p);
    if (!b)
        return;
    h->in_use -= (size_t)b->units * UNIT;
    h->allocations--;
    release(h, b);
}

void *heap_realloc(struct heap *h, void *p, size_t n)
{
    if (!p)
        return heap_malloc(h, n);
    struct hblock *b = checked_block(h, p);
    if (!b)
        return 0;
    if (n == 0) {
        heap_free(h, p);
        return 0;
    }
    uint32_t u = units_for(n);
    if (!u)
        return 0;
    uint32_t old = b->units;
    if (u <= old) {
        trim(h, b, u);
        h->in_use -= (size_t)(old - b->units) * UNIT;
        return p;
    }
    /* Grow in place into a free successor. */
    struct hblock *nb = next_block(b);
    if (state_of(h, nb) == ST_FREE && (uint64_t)old + nb->units >= u &&
        (uint64_t)old + nb->units <= MAX_UNITS) {
        struct hblock *after = next_block(nb);
        enum state as = state_of(h, after);
        if (as != ST_BAD && as != ST_DEAD && after->prev_units == nb->units &&
            bin_remove(h, (struct heap_free *)nb)) {
            b->units = old + nb->units;
            sign_dead(h, nb);
            sign_used(h, b);
            fix_successor(h, b);
            trim(h, b, u);
            h->in_use += (size_t)(b->units - old) * UNIT;
            return p;
        }
    }
    void *q = heap_malloc(h, n);
    if (!q)
        return 0;
    vs_memcpy(q, p, (size_t)(old - 1) * UNIT);   /* old payload < n here */
    heap_free(h, p);
    return q;
}

void *heap_memalign(struct heap *h, size_t align, size_t n)
{
    if (align == 0 || (align & (align - 1)))
        return 0;
    if (align <= UNIT)
        return heap_malloc(h, n);
    /* Room for the front gap (at least a minimal free block) and the size. */
    size_t want;
    if (__builtin_add_overflow(n, align + MIN_UNITS * UNIT, &want))
        return 0;
    char *p = heap_malloc(h, want);
    if (!p)
        return 0;
    uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    if (a != (uintptr_t)p) {
        if (a - (uintptr_t)p < MIN_UNITS * UNIT)
            a += align;
        /* Split off the front gap as a free block. */
        struct hblock *b = (struct hblock *)(p - UNIT);
        struct hblock *ab = (struct hblock *)(a - UNIT);
        uint32_t gap = (uint32_t)((a - (uintptr_t)p) / UNIT);
        ab->units = b->units - gap;
        ab->prev_units = gap;
        sign_used(h, ab);
        fix_successor(h, ab);
        b->units = gap;
        h->in_use -= (size_t)gap * UNIT;
        release(h, b);
        /* The block before b was not free (b was, and free blocks do not
         * touch), so release merged nothing backwards. */
        p = (char *)a;
    }
    struct hblock *ab = (struct hblock *)(p - UNIT);
    uint32_t old = ab->units;
    trim(h, ab, units_for(n));
    h->in_use -= (size_t)(old - ab->units) * UNIT;
    return p;
}

size_t heap_usable_size(struct heap *h, const void *p)
{
    struct hblock *b = p ? checked_block(h, p) : 0;
    return b ? ((size_t)b->units - 1) * UNIT : 0;
}

void heap_stats(struct heap *h, struct heap_stats *out)
{
    size_t free_bytes = 0, largest = 0;
    for (unsigned fl = 0; fl < HEAP_FL_COUNT; fl++) {
        for (unsigned sl = 0; sl < HEAP_SL_COUNT; sl++) {
            for (struct heap_free *f = h->bins[fl][sl]; f; f = f->next) {
                if (state_of(h, &f->b) != ST_FREE)
                    break;   /* a corrupt list: count what is trustworthy */
                size_t bytes = (size_t)f->b.units * UNIT;
                free_bytes += bytes;
                if (bytes - UNIT > largest)
                    largest = bytes - UNIT;
            }
        }
    }
    out->total = h->total;
    out->in_use = h->in_use;
    out->free = free_bytes;
    out->largest_free = largest;
    out->allocations = h->allocations;
    out->regions = h->nregions;
    out->faults = h->faults;
}

enum heap_fault heap_check(struct heap *h)
{
    size_t free_blocks = 0, used_bytes = 0, used_blocks = 0, free_bytes = 0, regions = 0;
    for (struct heap_region *r = h->regions; r; r = r->next) {
        if (r->check != sig_region(h, r))
            return HEAP_FAULT_CORRUPT;
        regions++;
        uint32_t prev = 0;
        bool prev_free = false;
        struct hblock *b = r->first;
        for (;;) {
            if ((uintptr_t)b > (uintptr_t)r->sentinel)
                return HEAP_FAULT_CORRUPT;
            enum state st = state_of(h, b);
            if (st == ST_BAD || st == ST_DEAD || b->prev_units != prev)
                return HEAP_FAULT_CORRUPT;
            if (b->units == 0) {
                if (b != r->sentinel)
                    return HEAP_FAULT_CORRUPT;
                break;
            }
            if (st == ST_FREE) {
                if (prev_free && (uint64_t)prev + b->units <= MAX_UNITS)
                    return HEAP_FAULT_FREE_LIST;   /* two free blocks touch */
                free_blocks++;
                free_bytes += (size_t)b->units * UNIT;
            } else {
                used_blocks++;
                used_bytes += (size_t)b->units * UNIT;
            }
            prev_free = st == ST_FREE;
            prev = b->units;
            b = next_block(b);
        }
    }
    size_t listed = 0;
    for (unsigned fl = 0; fl < HEAP_FL_COUNT; fl++) {
        for (unsigned sl = 0; sl < HEAP_SL_COUNT; sl++) {
            struct heap_free *prev = 0;
            bool bit = (h->sl_bitmap[fl] >> sl) & 1;
            if (bit != (h->bins[fl][sl] != 0) || (bit && !((h->fl_bitmap >> fl) & 1)))
                return HEAP_FAULT_FREE_LIST;
            for (struct heap_free *f = h->bins[fl][sl]; f; prev = f, f = f->next) {
                unsigned cf, cs;
                if (state_of(h, &f->b) != ST_FREE || f->prev != prev || ++listed > free_blocks)
                    return HEAP_FAULT_FREE_LIST;
                class_of(f->b.units, &cf, &cs);
                if (cf != fl || cs != sl)
                    return HEAP_FAULT_FREE_LIST;
            }
        }
        if (((h->fl_bitmap >> fl) & 1) != (h->sl_bitmap[fl] != 0))
            return HEAP_FAULT_FREE_LIST;
    }
    if (listed != free_blocks)
        return HEAP_FAULT_FREE_LIST;
    if (regions != h->nregions || used_bytes != h->in_use || used_blocks != h->allocations ||
        h->total != used_bytes + free_bytes + regions * HEAP_REGION_OVERHEAD)
        return HEAP_FAULT_CORRUPT;
    return HEAP_FAULT_NONE;
}
