/*
 * test_heap: lib/heap over arenas taken from glibc's malloc (so ASan sees
 * any access the heap makes outside the memory it was given).
 *
 * Functional cases first (regions, alignment, coalescing, growth, calloc,
 * realloc, memalign), then randomised stress against a shadow model that
 * fills every block with a pattern and checks it survives, that no two
 * live blocks overlap, and that heap_check and heap_stats agree with the
 * model; then the faults: double free, bad pointers, overruns into the
 * next header and the sentinel, underruns, writes after free, and random
 * scribbling over the whole arena, which must never crash the heap or make
 * it touch memory outside its regions.
 */
#include "heap/heap.h"
#include "vtest.h"
#include "vtest_util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

static uint64_t rng_state = 0x6c8e9cf570932bd5ull;

static uint64_t rnd(void) { return vtest_xorshift64(&rng_state); }

/* ---- fault recording ---------------------------------------------------- */

static int fault_count[8];
static enum heap_fault last_fault;
static const void *last_ptr;

static void record(struct heap *h, enum heap_fault f, const void *p)
{
    (void)h;
    fault_count[f]++;
    last_fault = f;
    last_ptr = p;
}

static void reset_faults(void)
{
    memset(fault_count, 0, sizeof fault_count);
    last_fault = HEAP_FAULT_NONE;
    last_ptr = NULL;
}

static int total_faults(void)
{
    int n = 0;
    for (int i = 0; i < 8; i++)
        n += fault_count[i];
    return n;
}

/* A heap over the first `give` bytes of a fresh arena of `size` bytes. */
static unsigned char *arena;
static size_t arena_size;

static void setup_part(struct heap *h, size_t size, size_t give)
{
    reset_faults();
    arena_size = size;
    arena = aligned_alloc(64, size);
    memset(arena, 0xee, size);
    heap_init(h);
    h->report = record;
    CHECK_EQ(heap_add_region(h, arena, give), HEAP_OK);
    CHECK_EQ(heap_check(h), HEAP_FAULT_NONE);
}

static void setup(struct heap *h, size_t size)
{
    setup_part(h, size, size);
}

static void teardown(void)
{
    free(arena);
    arena = NULL;
}

static bool in_arena(const void *p, size_t n)
{
    return (const unsigned char *)p >= arena && (const unsigned char *)p + n <= arena + arena_size;
}

static struct heap_stats stats(struct heap *h)
{
    struct heap_stats s;
    heap_stats(h, &s);
    return s;
}

/* ---- regions ------------------------------------------------------------ */

TEST(fresh_region_is_one_free_block)
{
    struct heap h;
    setup(&h, 4096);
    struct heap_stats s = stats(&h);
    CHECK_EQ(s.total, 4096);
    CHECK_EQ(s.in_use, 0);
    CHECK_EQ(s.allocations, 0);
    CHECK_EQ(s.regions, 1);
    CHECK_EQ(s.free, 4096 - HEAP_REGION_OVERHEAD);
    CHECK_EQ(s.largest_free, 4096 - HEAP_REGION_OVERHEAD - 16);
    /* The largest free block is really available, and nothing more. */
    void *p = heap_malloc(&h, s.largest_free);
    CHECK(p != NULL);
    CHECK(heap_malloc(&h, 1) == NULL);
    heap_free(&h, p);
    CHECK(heap_malloc(&h, s.largest_free + 1) == NULL);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    CHECK_EQ(total_faults(), 0);
    teardown();
}

TEST(region_rounding_and_refusals)
{
    struct heap h;
    unsigned char *mem = aligned_alloc(64, 16384);
    heap_init(&h);
    h.report = record;
    reset_faults();
    /* Unaligned ends are rounded inwards: [mem+3, mem+1003) -> [mem+16, mem+992). */
    CHECK_EQ(heap_add_region(&h, mem + 3, 1000), HEAP_OK);
    CHECK_EQ(stats(&h).total, 976);
    /* What if a region overlaps one the heap has, even by a byte? */
    CHECK_EQ(heap_add_region(&h, mem + 900, 4000), HEAP_EOVERLAP);
    CHECK_EQ(heap_add_region(&h, mem + 10, 190), HEAP_EOVERLAP);   /* rounds to [16, 208) */
    /* Too small to hold a block, even after rounding. */
    CHECK_EQ(heap_add_region(&h, mem + 2000, HEAP_REGION_MIN - 1), HEAP_ETOOSMALL);
    CHECK_EQ(heap_add_region(&h, mem + 2001, HEAP_REGION_MIN), HEAP_ETOOSMALL);
    CHECK_EQ(heap_add_region(&h, mem + 2000, 0), HEAP_ETOOSMALL);
    CHECK_EQ(heap_add_region(&h, mem + 2000, HEAP_REGION_MIN), HEAP_OK);
    /* Wrapping around the address space. */
    CHECK_EQ(heap_add_region(&h, (void *)(uintptr_t)-64, 128), HEAP_ERANGE);
    CHECK_EQ(heap_add_region(&h, mem + 4000, SIZE_MAX), HEAP_ERANGE);
    struct heap_stats s = stats(&h);
    CHECK_EQ(s.regions, 2);
    CHECK_EQ(s.total, 976 + HEAP_REGION_MIN);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    CHECK_EQ(total_faults(), 0);
    free(mem);
}

TEST(contiguous_regions_merge_into_one)
{
    struct heap h;
    unsigned char *mem = aligned_alloc(64, 3 * 4096);
    heap_init(&h);
    CHECK_EQ(heap_add_region(&h, mem, 4096), HEAP_OK);
    void *a = heap_malloc(&h, 3000);   /* the last block of the region is in use */
    CHECK(a != NULL);
    CHECK_EQ(heap_add_region(&h, mem + 4096, 4096), HEAP_OK);
    CHECK_EQ(heap_add_region(&h, mem + 8192, 32), HEAP_OK);   /* even a tiny extension */
    struct heap_stats s = stats(&h);
    CHECK_EQ(s.regions, 1);
    CHECK_EQ(s.total, 8192 + 32);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    /* An allocation larger than either piece spans the seam. */
    void *b = heap_malloc(&h, 5000);
    CHECK(b != NULL);
    heap_free(&h, a);
    heap_free(&h, b);
    s = stats(&h);
    CHECK_EQ(s.largest_free, 8192 + 32 - HEAP_REGION_OVERHEAD - 16);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    free(mem);
}

TEST(extension_below_min_size_is_refused)
{
    struct heap h;
    unsigned char *mem = aligned_alloc(64, 8192);
    heap_init(&h);
    CHECK_EQ(heap_add_region(&h, mem, 4096), HEAP_OK);
    CHECK_EQ(heap_add_region(&h, mem + 4096, 16), HEAP_ETOOSMALL);
    CHECK_EQ(stats(&h).total, 4096);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    free(mem);
}

/* ---- basic allocation ------------------------------------------------- */

TEST(alignment_distinctness_and_usable_size)
{
    struct heap h;
    setup(&h, 1 << 16);
    void *ptrs[200];
    for (int i = 0; i < 200; i++) {
        size_t n = (size_t)i * 3;
        ptrs[i] = heap_malloc(&h, n);
        CHECK(ptrs[i] != NULL);
        CHECK_EQ((uintptr_t)ptrs[i] % 16, 0);
        CHECK(heap_usable_size(&h, ptrs[i]) >= n);
        CHECK(heap_usable_size(&h, ptrs[i]) < n + 48);
        CHECK(in_arena(ptrs[i], heap_usable_size(&h, ptrs[i])));
        memset(ptrs[i], i, n);
    }
    for (int i = 0; i < 200; i++)
        for (size_t k = 0; k < (size_t)i * 3; k++)
            CHECK_EQ(((unsigned char *)ptrs[i])[k], i);
    CHECK_EQ(stats(&h).allocations, 200);
    for (int i = 0; i < 200; i += 2)
        heap_free(&h, ptrs[i]);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    for (int i = 1; i < 200; i += 2)
        heap_free(&h, ptrs[i]);
    struct heap_stats s = stats(&h);
    CHECK_EQ(s.in_use, 0);
    CHECK_EQ(s.largest_free, (1 << 16) - HEAP_REGION_OVERHEAD - 16);   /* all merged */
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    CHECK_EQ(total_faults(), 0);
    teardown();
}

TEST(malloc_zero_is_distinct_and_free_null_is_nothing)
{
    struct heap h;
    setup(&h, 4096);
    void *a = heap_malloc(&h, 0), *b = heap_malloc(&h, 0);
    CHECK(a && b && a != b);
    heap_free(&h, NULL);
    heap_free(&h, a);
    heap_free(&h, b);
    CHECK_EQ(total_faults(), 0);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    teardown();
}

TEST(free_coalesces_both_neighbours)
{
    struct heap h;
    setup(&h, 8192);
    size_t full = stats(&h).largest_free;
    /* Blocks of 128, 224 and 320 bytes, then the rest taken whole. */
    void *a = heap_malloc(&h, 100), *b = heap_malloc(&h, 200), *c = heap_malloc(&h, 300);
    void *rest = heap_malloc(&h, stats(&h).largest_free);
    CHECK(rest != NULL);
    CHECK_EQ(stats(&h).free, 0);
    heap_free(&h, a);
    heap_free(&h, c);
    CHECK_EQ(stats(&h).largest_free, 320 - 16);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    heap_free(&h, b);   /* merges with a before and c after */
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    struct heap_stats s = stats(&h);
    CHECK_EQ(s.free, 128 + 224 + 320);
    CHECK_EQ(s.largest_free, 128 + 224 + 320 - 16);
    /* a..c is one block now: all of it can be had, where a was. */
    void *big = heap_malloc(&h, s.largest_free);
    CHECK(big == a);
    heap_free(&h, big);
    heap_free(&h, rest);
    CHECK_EQ(stats(&h).largest_free, full);
    CHECK_EQ(total_faults(), 0);
    teardown();
}

TEST(exhaustion_returns_null_and_recovers)
{
    struct heap h;
    setup(&h, 1 << 15);
    void *ptrs[4096];
    int n = 0;
    while (n < 4096 && (ptrs[n] = heap_malloc(&h, 40)) != NULL)
        n++;
    CHECK(n > 100 && n < 4096);
    CHECK(heap_malloc(&h, 40) == NULL);
    CHECK(heap_malloc(&h, SIZE_MAX) == NULL);
    CHECK(heap_malloc(&h, HEAP_MAX_ALLOC + 1) == NULL);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    for (int i = 0; i < n; i++)
        heap_free(&h, ptrs[i]);
    CHECK_EQ(stats(&h).largest_free, (1 << 15) - HEAP_REGION_OVERHEAD - 16);
    CHECK_EQ(total_faults(), 0);
    teardown();
}

/* ---- growth ------------------------------------------------------------ */

static unsigned char *pool;
static size_t pool_used, pool_size, grow_calls, grow_gap;
static bool grow_lies;

static bool grow_from_pool(struct heap *h, size_t min_bytes)
{
    grow_calls++;
    if (grow_lies)
        return true;   /* claims success, adds nothing */
    size_t chunk = 16384;
    while (chunk < min_bytes)
        chunk *= 2;
    pool_used += grow_gap;   /* a gap makes the next region separate */
    if (pool_used + chunk > pool_size)
        return false;
    CHECK_EQ(heap_add_region(h, pool + pool_used, chunk), HEAP_OK);
    pool_used += chunk;
    return true;
}

static void pool_setup(struct heap *h, size_t size, size_t gap)
{
    pool_size = size;
    pool_used = 0;
    grow_calls = 0;
    grow_gap = gap;
    grow_lies = false;
    pool = aligned_alloc(64, size);
    heap_init(h);
    h->report = record;
    h->grow = grow_from_pool;
    reset_faults();
}

TEST(grow_is_asked_when_full_and_contiguous_growth_stays_one_region)
{
    struct heap h;
    pool_setup(&h, 1 << 20, 0);
    CHECK(heap_malloc(&h, 100) != NULL);   /* the heap starts empty */
    CHECK_EQ(grow_calls, 1);
    void *big = heap_malloc(&h, 100000);   /* larger than one chunk */
    CHECK(big != NULL);
    memset(big, 1, 100000);
    struct heap_stats s = stats(&h);
    CHECK_EQ(s.regions, 1);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    /* Run the pool dry: malloc returns NULL once grow says no. */
    while (heap_malloc(&h, 50000))
        ;
    CHECK(pool_used <= pool_size);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    CHECK_EQ(total_faults(), 0);
    free(pool);
}

TEST(separate_regions_when_growth_is_not_contiguous)
{
    struct heap h;
    pool_setup(&h, 1 << 20, 4096);
    void *p[10];
    for (int i = 0; i < 10; i++) {
        p[i] = heap_malloc(&h, 15000);
        CHECK(p[i] != NULL);
    }
    CHECK(stats(&h).regions >= 5);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    for (int i = 0; i < 10; i++)
        heap_free(&h, p[i]);
    CHECK_EQ(stats(&h).in_use, 0);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    free(pool);
}

TEST(grow_that_lies_cannot_loop_forever)
{
    struct heap h;
    pool_setup(&h, 1 << 16, 0);
    grow_lies = true;
    CHECK(heap_malloc(&h, 64) == NULL);
    CHECK(grow_calls >= 1 && grow_calls <= HEAP_GROW_TRIES);
    free(pool);
}

/* ---- calloc, realloc, memalign ------------------------------------------ */

TEST(calloc_zeroes_and_checks_overflow)
{
    struct heap h;
    setup(&h, 1 << 14);
    void *d = heap_malloc(&h, 1000);
    memset(d, 0xab, 1000);
    heap_free(&h, d);
    unsigned char *z = heap_calloc(&h, 10, 100);
    CHECK(z != NULL);
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(z[i], 0);
    CHECK(heap_calloc(&h, SIZE_MAX / 2, 3) == NULL);   /* n * size overflows */
    CHECK(heap_calloc(&h, (size_t)1 << 33, (size_t)1 << 31) == NULL);
    CHECK(heap_calloc(&h, 0, 5) != NULL);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    teardown();
}

TEST(realloc_cases)
{
    struct heap h;
    setup(&h, 1 << 15);
    /* NULL is malloc. */
    unsigned char *p = heap_realloc(&h, NULL, 100);
    CHECK(p != NULL);
    for (int i = 0; i < 100; i++)
        p[i] = (unsigned char)i;
    /* Shrinking stays in place and keeps the prefix. */
    CHECK(heap_realloc(&h, p, 40) == p);
    for (int i = 0; i < 40; i++)
        CHECK_EQ(p[i], i);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    /* Growing into the free space after it stays in place. */
    CHECK(heap_realloc(&h, p, 500) == p);
    for (int i = 0; i < 40; i++)
        CHECK_EQ(p[i], i);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    /* Growing past a neighbour in use moves, keeping the contents. */
    void *wall = heap_malloc(&h, 16);
    CHECK(wall != NULL);
    unsigned char *q = heap_realloc(&h, p, 2000);
    CHECK(q != NULL && q != p);
    for (int i = 0; i < 40; i++)
        CHECK_EQ(q[i], i);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    /* Impossible sizes fail and leave the block alone. */
    CHECK(heap_realloc(&h, q, 1 << 20) == NULL);
    CHECK(heap_realloc(&h, q, SIZE_MAX) == NULL);
    CHECK_EQ(q[39], 39);
    CHECK_EQ(heap_usable_size(&h, q) >= 2000, 1);
    /* Size 0 frees. */
    size_t before = stats(&h).allocations;
    CHECK(heap_realloc(&h, q, 0) == NULL);
    CHECK_EQ(stats(&h).allocations, before - 1);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    CHECK_EQ(total_faults(), 0);
    teardown();
}

TEST(memalign_alignments)
{
    struct heap h;
    setup(&h, 1 << 18);
    void *keep[64];
    int k = 0;
    for (size_t align = 1; align <= 8192; align *= 2) {
        for (size_t n = 0; n < 300; n += 37) {
            unsigned char *p = heap_memalign(&h, align, n);
            CHECK(p != NULL);
            CHECK_EQ((uintptr_t)p % align, 0);
            CHECK(heap_usable_size(&h, p) >= n);
            memset(p, 0x5c, n);
            CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
            if (k < 64 && (n / 37) % 2)
                keep[k++] = p;
            else
                heap_free(&h, p);
        }
    }
    CHECK(heap_memalign(&h, 24, 10) == NULL);   /* not a power of two */
    CHECK(heap_memalign(&h, 0, 10) == NULL);
    CHECK(heap_memalign(&h, 64, SIZE_MAX - 10) == NULL);
    for (int i = 0; i < k; i++)
        heap_free(&h, keep[i]);
    CHECK_EQ(stats(&h).in_use, 0);
    CHECK_EQ(stats(&h).largest_free, (1 << 18) - HEAP_REGION_OVERHEAD - 16);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    CHECK_EQ(total_faults(), 0);
    teardown();
}

/* ---- randomised stress against a shadow model ----------------------------- */

struct live {
    unsigned char *p;
    size_t n;
    uint32_t seed;
};

static unsigned char pattern(uint32_t seed, size_t i)
{
    return (unsigned char)((seed * 2654435761u) >> 24 ^ (uint32_t)i * 31u);
}

static void fill(struct live *l)
{
    for (size_t i = 0; i < l->n; i++)
        l->p[i] = pattern(l->seed, i);
}

static void verify(const struct live *l, size_t upto)
{
    for (size_t i = 0; i < upto && i < l->n; i++)
        if (l->p[i] != pattern(l->seed, i))
            vtest_fail(__FILE__, __LINE__, "block %p byte %zu changed", (void *)l->p, i);
}

static int by_addr(const void *a, const void *b)
{
    const struct live *x = a, *y = b;
    return (x->p > y->p) - (x->p < y->p);
}

static size_t random_size(void)
{
    switch (rnd() % 10) {
    case 0: return 0;
    case 1: return rnd() % 8000;      /* medium */
    case 2: return rnd() % 40000;     /* occasionally large */
    default: return rnd() % 200;      /* mostly small */
    }
}

static void stress(struct heap *h, int ops, bool growing)
{
    enum { MAXLIVE = 600 };
    static struct live live[MAXLIVE], sorted[MAXLIVE];
    int nlive = 0;
    uint32_t seed = 1;
    for (int op = 0; op < ops; op++) {
        int kind = (int)(rnd() % 10);
        if (nlive == MAXLIVE || (nlive && kind < 4)) {
            /* free a random live block */
            int i = (int)(rnd() % (unsigned)nlive);
            verify(&live[i], SIZE_MAX);
            heap_free(h, live[i].p);
            live[i] = live[--nlive];
        } else if (nlive && kind < 6) {
            /* realloc a random live block */
            int i = (int)(rnd() % (unsigned)nlive);
            size_t n = random_size();
            if (n == 0)
                n = 1;
            unsigned char *q = heap_realloc(h, live[i].p, n);
            if (!q) {
                verify(&live[i], SIZE_MAX);   /* failure left it alone */
                continue;
            }
            size_t keep = live[i].n < n ? live[i].n : n;
            live[i].p = q;
            live[i].n = keep;
            verify(&live[i], keep);
            live[i].n = n;
            live[i].seed = seed++;
            fill(&live[i]);
        } else {
            size_t n = random_size();
            unsigned char *p;
            if (kind == 6) {
                p = heap_calloc(h, 1, n);
                for (size_t k = 0; p && k < n; k++)
                    CHECK_EQ(p[k], 0);
            } else if (kind == 7) {
                size_t align = (size_t)16 << (rnd() % 8);
                p = heap_memalign(h, align, n);
                CHECK(p == NULL || (uintptr_t)p % align == 0);
            } else {
                p = heap_malloc(h, n);
            }
            if (!p)
                continue;
            CHECK_EQ((uintptr_t)p % 16, 0);
            CHECK(heap_usable_size(h, p) >= n);
            live[nlive] = (struct live){p, n, seed++};
            fill(&live[nlive]);
            nlive++;
        }
        if (op % 97 == 0 || op == ops - 1) {
            CHECK_EQ(heap_check(h), HEAP_FAULT_NONE);
            /* No two live blocks overlap, usable sizes included. */
            memcpy(sorted, live, sizeof(struct live) * (size_t)nlive);
            for (int i = 0; i < nlive; i++)
                sorted[i].n = heap_usable_size(h, sorted[i].p);
            qsort(sorted, (size_t)nlive, sizeof sorted[0], by_addr);
            for (int i = 1; i < nlive; i++)
                CHECK(sorted[i - 1].p + sorted[i - 1].n + 16 <= sorted[i].p);
            /* The stats agree with the model. */
            struct heap_stats s = stats(h);
            size_t in_use = 0;
            for (int i = 0; i < nlive; i++)
                in_use += heap_usable_size(h, live[i].p) + 16;
            CHECK_EQ(s.allocations, nlive);
            CHECK_EQ(s.in_use, in_use);
            CHECK_EQ(s.total, s.in_use + s.free + s.regions * HEAP_REGION_OVERHEAD);
        }
    }
    for (int i = 0; i < nlive; i++) {
        verify(&live[i], SIZE_MAX);
        heap_free(h, live[i].p);
    }
    struct heap_stats s = stats(h);
    CHECK_EQ(s.in_use, 0);
    CHECK_EQ(s.allocations, 0);
    if (!growing)
        CHECK_EQ(s.largest_free, s.total - HEAP_REGION_OVERHEAD - 16);
    CHECK_EQ(heap_check(h), HEAP_FAULT_NONE);
    CHECK_EQ(total_faults(), 0);
}

TEST(stress_against_shadow_model_one_region)
{
    struct heap h;
    setup(&h, 4 << 20);
    stress(&h, 30000, false);
    teardown();
}

TEST(stress_against_shadow_model_tight_region)
{
    /* Small enough that allocations fail often. */
    struct heap h;
    setup(&h, 256 << 10);
    stress(&h, 30000, false);
    teardown();
}

TEST(stress_against_shadow_model_growing_regions)
{
    struct heap h;
    pool_setup(&h, 16 << 20, 0);
    stress(&h, 20000, true);
    CHECK_EQ(stats(&h).regions, 1);
    free(pool);
    pool_setup(&h, 16 << 20, 4096);
    stress(&h, 20000, true);
    CHECK(stats(&h).regions > 1);
    free(pool);
}

/* ---- faults --------------------------------------------------------------- */

TEST(double_free_is_reported_and_ignored)
{
    struct heap h;
    setup(&h, 8192);
    void *a = heap_malloc(&h, 64), *b = heap_malloc(&h, 64);
    heap_free(&h, a);
    struct heap_stats before = stats(&h);
    heap_free(&h, a);
    CHECK_EQ(fault_count[HEAP_FAULT_DOUBLE_FREE], 1);
    CHECK(last_ptr == a);
    struct heap_stats after = stats(&h);
    CHECK_EQ(after.in_use, before.in_use);
    CHECK_EQ(after.faults, 1);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    /* What if the freed block was merged into its neighbour first? */
    heap_free(&h, b);   /* b merges with a before it and the space after */
    heap_free(&h, b);
    CHECK_EQ(fault_count[HEAP_FAULT_DOUBLE_FREE], 2);
    CHECK(heap_realloc(&h, b, 10) == NULL);
    CHECK_EQ(fault_count[HEAP_FAULT_DOUBLE_FREE], 3);
    CHECK_EQ(heap_usable_size(&h, a), 0);
    CHECK_EQ(fault_count[HEAP_FAULT_DOUBLE_FREE], 4);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    CHECK_EQ(stats(&h).in_use, 0);
    teardown();
}

TEST(pointers_not_from_the_heap_are_reported)
{
    struct heap h;
    setup(&h, 8192);
    unsigned char *a = heap_malloc(&h, 100);
    int on_stack;
    static unsigned char global_buf[64] __attribute__((aligned(16)));
    heap_free(&h, &on_stack);
    heap_free(&h, global_buf);
    heap_free(&h, a + 8);                       /* misaligned */
    heap_free(&h, arena);                       /* the region record */
    heap_free(&h, arena + arena_size - 16);     /* the sentinel */
    heap_free(&h, (void *)(uintptr_t)16);
    CHECK_EQ(fault_count[HEAP_FAULT_BAD_POINTER], 6);
    /* Aligned and inside the region, but not a block: its "header" is
     * payload bytes, which fail the check. */
    memset(a, 0, 100);
    heap_free(&h, a + 32);
    CHECK_EQ(fault_count[HEAP_FAULT_CORRUPT], 1);
    CHECK(heap_realloc(&h, a + 48, 5) == NULL);
    CHECK_EQ(fault_count[HEAP_FAULT_CORRUPT], 2);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);   /* the heap itself is intact */
    heap_free(&h, a);
    CHECK_EQ(stats(&h).in_use, 0);
    teardown();
}

TEST(overrun_into_next_header_is_detected)
{
    struct heap h;
    setup(&h, 8192);
    unsigned char *a = heap_malloc(&h, 24), *b = heap_malloc(&h, 24);
    unsigned char *c = heap_malloc(&h, 24);
    CHECK(b == a + 48);
    size_t use = heap_usable_size(&h, a);
    memset(a, 'x', use + 4);   /* four bytes into b's header */
    heap_free(&h, a);
    CHECK_EQ(fault_count[HEAP_FAULT_OVERRUN], 1);
    CHECK(last_ptr == a);
    CHECK_EQ(stats(&h).allocations, 3);   /* a stays allocated (leaked) */
    heap_free(&h, b);
    CHECK_EQ(fault_count[HEAP_FAULT_CORRUPT], 1);
    CHECK(last_ptr == b);
    CHECK(heap_realloc(&h, a, 100) == NULL);
    CHECK_EQ(fault_count[HEAP_FAULT_OVERRUN], 2);
    CHECK(heap_check(&h) != HEAP_FAULT_NONE);
    /* The rest of the heap still works, and never hands out a or b. */
    for (int i = 0; i < 20; i++) {
        unsigned char *p = heap_malloc(&h, 100);
        CHECK(p != NULL);
        CHECK(p + 100 <= a - 16 || p >= b + 32);
    }
    heap_free(&h, c);   /* c's predecessor b is corrupt: reported, kept */
    CHECK_EQ(fault_count[HEAP_FAULT_CORRUPT], 2);
    teardown();
}

TEST(overrun_of_last_block_hits_the_sentinel)
{
    /* Only the first half of the arena is given at first. */
    struct heap h;
    setup_part(&h, 8192, 4096);
    size_t n = stats(&h).largest_free;
    unsigned char *a = heap_malloc(&h, n);
    CHECK(a != NULL);
    memset(a, 0xff, n + 1);   /* one byte past the last block, into the sentinel */
    heap_free(&h, a);
    CHECK_EQ(fault_count[HEAP_FAULT_OVERRUN], 1);
    CHECK(last_ptr == a);
    /* What if the runtime then extends that region? The heap refuses to
     * build on a corrupt sentinel. */
    CHECK_EQ(heap_add_region(&h, arena + 4096, 4096), HEAP_ECORRUPT);
    CHECK_EQ(fault_count[HEAP_FAULT_CORRUPT], 1);
    CHECK_EQ(stats(&h).total, 4096);
    CHECK(heap_check(&h) != HEAP_FAULT_NONE);
    teardown();
}

TEST(extension_refused_when_last_block_header_is_corrupt)
{
    struct heap h;
    setup_part(&h, 8192, 4096);
    unsigned char *a = heap_malloc(&h, stats(&h).largest_free);
    a[-16] ^= 4;   /* the last block's own header */
    CHECK_EQ(heap_add_region(&h, arena + 4096, 4096), HEAP_ECORRUPT);
    CHECK_EQ(fault_count[HEAP_FAULT_CORRUPT], 1);
    /* A separate region is still fine. */
    CHECK_EQ(heap_add_region(&h, arena + 4096 + 16, 4000), HEAP_OK);
    CHECK(heap_malloc(&h, 1000) != NULL);
    teardown();
}

TEST(underrun_into_own_header_is_detected)
{
    struct heap h;
    setup(&h, 8192);
    unsigned char *a = heap_malloc(&h, 64);
    a[-1] ^= 1;
    heap_free(&h, a);
    CHECK_EQ(fault_count[HEAP_FAULT_CORRUPT], 1);
    CHECK_EQ(heap_usable_size(&h, a), 0);
    teardown();
}

TEST(write_after_free_into_links_is_detected_and_block_not_reused)
{
    struct heap h;
    setup(&h, 8192);
    unsigned char *a = heap_malloc(&h, 100);
    void *wall = heap_malloc(&h, 100);   /* keeps a from merging with the rest */
    heap_free(&h, a);
    memset(a, 0x41, 8);                  /* scribble over its free-list link */
    void *p = heap_malloc(&h, 100);
    CHECK(fault_count[HEAP_FAULT_FREE_LIST] >= 1);
    CHECK(p != a);
    CHECK(p == NULL || in_arena(p, 100));
    heap_free(&h, wall);
    CHECK(heap_check(&h) != HEAP_FAULT_NONE);
    teardown();
}

TEST(corrupt_region_record_refuses_pointers)
{
    struct heap h;
    setup(&h, 8192);
    void *a = heap_malloc(&h, 100);
    arena[9] ^= 0x80;   /* inside the region record */
    heap_free(&h, a);
    CHECK(fault_count[HEAP_FAULT_CORRUPT] >= 1);
    CHECK(heap_check(&h) == HEAP_FAULT_CORRUPT);
    CHECK_EQ(heap_add_region(&h, arena + arena_size, 4096), HEAP_ECORRUPT);
    teardown();
}

TEST(random_scribbling_never_breaks_the_heap_out_of_its_arena)
{
    /* Random bytes land anywhere in the arena (headers, links, sentinel,
     * region record, payloads) between random operations. The heap may
     * report anything, but it must not crash, must not touch memory
     * outside the arena (ASan), and may only return pointers inside it. */
    size_t scribble_faults = 0;
    for (int round = 0; round < 300; round++) {
        struct heap h;
        setup(&h, 1 << 14);
        void *live[64];
        int nlive = 0;
        for (int op = 0; op < 300; op++) {
            if (rnd() % 8 == 0) {
                size_t at = rnd() % arena_size;
                arena[at] ^= (unsigned char)(1u << (rnd() % 8));
            }
            unsigned k = (unsigned)(rnd() % 4);
            if (k == 0 && nlive) {
                int i = (int)(rnd() % (unsigned)nlive);
                heap_free(&h, live[i]);
                live[i] = live[--nlive];
            } else if (k == 1 && nlive) {
                int i = (int)(rnd() % (unsigned)nlive);
                size_t n = rnd() % 600;
                void *q = heap_realloc(&h, live[i], n);
                if (q) {
                    CHECK(in_arena(q, n));
                    live[i] = q;
                } else if (n == 0) {
                    live[i] = live[--nlive];
                }
            } else if (nlive < 64) {
                size_t n = rnd() % 600;
                void *p = k == 2 ? heap_malloc(&h, n) : heap_memalign(&h, 64, n);
                if (p) {
                    CHECK(in_arena(p, n));
                    memset(p, 0x77, n);   /* the user writes what it got */
                    live[nlive++] = p;
                }
            }
            (void)heap_check(&h);
            struct heap_stats s;
            heap_stats(&h, &s);
        }
        scribble_faults += (size_t)total_faults();
        teardown();
    }
    CHECK(scribble_faults > 300);   /* the scribbles were noticed */
}

TEST(region_larger_than_one_block_is_carved)
{
    /* 70 GiB of address space, reserved but never touched except where
     * the heap writes headers. Skipped if the host refuses the mapping. */
    size_t size = (size_t)70 << 30;
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED)
        return;
    struct heap h;
    heap_init(&h);
    h.report = record;
    reset_faults();
    CHECK_EQ(heap_add_region(&h, m, size), HEAP_OK);
    struct heap_stats s = stats(&h);
    CHECK_EQ(s.total, size);
    CHECK_EQ(s.free, size - HEAP_REGION_OVERHEAD);
    CHECK_EQ(s.largest_free, HEAP_MAX_ALLOC);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    void *a = heap_malloc(&h, (size_t)40 << 30);
    CHECK(a != NULL);
    CHECK(heap_malloc(&h, (size_t)65 << 30) == NULL);   /* more than one block holds */
    void *b = heap_malloc(&h, (size_t)20 << 30);
    CHECK(b != NULL);
    heap_free(&h, a);
    heap_free(&h, b);
    CHECK_EQ(heap_check(&h), HEAP_FAULT_NONE);
    CHECK_EQ(total_faults(), 0);
    munmap(m, size);
}
