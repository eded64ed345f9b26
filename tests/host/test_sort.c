/*
 * test_sort: sort_qsort against glibc's qsort on random, sorted, reversed,
 * all-equal, few-distinct and organ-pipe arrays, for element sizes 1, 3,
 * 4, 8, 13 and 24 bytes. Each result must be sorted and a permutation of
 * the input (checked by sorting both with glibc on the whole element).
 * Then the worst case: McIlroy's adversarial comparator, which makes any
 * plain quicksort quadratic, must cost O(n log n) here; and hostile
 * comparators must never take the sort outside the array.
 */
#include "sort/sort.h"
#include "vtest.h"
#include "vtest_util.h"

#include <stdbool.h>
#include <stdlib.h>

static uint64_t rng_state = 0xda942042e4dd58b5ull;

static uint64_t rnd(void) { return vtest_xorshift64(&rng_state); }

/* The key of every element is its first byte, its first 4 bytes as int32,
 * or its first 8 bytes as uint64, depending on the element size. */
static size_t g_size;

static int64_t key_of(const void *p)
{
    if (g_size < 4)
        return *(const unsigned char *)p;
    if (g_size < 8) {
        int32_t k;
        memcpy(&k, p, 4);
        return k;
    }
    uint64_t k;
    memcpy(&k, p, 8);
    return (int64_t)(k >> 1);   /* keep it comparable as a signed number */
}

static long ncmp;

static int cmp_key(const void *a, const void *b)
{
    ncmp++;
    int64_t x = key_of(a), y = key_of(b);
    return (x > y) - (x < y);
}

static int cmp_bytes(const void *a, const void *b)
{
    return memcmp(a, b, g_size);
}

enum shape { RANDOM, SORTED, REVERSED, EQUAL, FEW, ORGAN, NSHAPES };
static const char *const shape_name[] = {"random", "sorted", "reversed", "equal", "few",
                                         "organ"};

static void set_key(unsigned char *e, size_t size, uint64_t k)
{
    if (size < 4)
        e[0] = (unsigned char)k;
    else if (size < 8) {
        int32_t v = (int32_t)(k - (1u << 20));
        memcpy(e, &v, 4);
    } else {
        uint64_t v = k << 1;
        memcpy(e, &v, 8);
    }
}

static void make(unsigned char *a, size_t n, size_t size, enum shape sh)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char *e = a + i * size;
        for (size_t b = 0; b < size; b++)
            e[b] = (unsigned char)rnd();   /* payload bytes tell equal keys apart */
        uint64_t k;
        switch (sh) {
        case SORTED: k = i; break;
        case REVERSED: k = n - i; break;
        case EQUAL: k = 7; break;
        case FEW: k = rnd() % 4; break;
        case ORGAN: k = i < n / 2 ? i : n - i; break;
        default: k = rnd() % (1u << 20); break;
        }
        set_key(e, size, k);
    }
}

static void check_sorted_permutation(const unsigned char *orig, const unsigned char *got,
                                     size_t n, size_t size, const char *what)
{
    for (size_t i = 1; i < n; i++)
        if (key_of(got + (i - 1) * size) > key_of(got + i * size))
            vtest_fail(__FILE__, __LINE__, "%s: not sorted at %zu", what, i);
    unsigned char *x = malloc(n * size + 1), *y = malloc(n * size + 1);
    memcpy(x, orig, n * size);
    memcpy(y, got, n * size);
    qsort(x, n, size, cmp_bytes);
    qsort(y, n, size, cmp_bytes);
    bool same = memcmp(x, y, n * size) == 0;
    free(x);
    free(y);
    if (!same)
        vtest_fail(__FILE__, __LINE__, "%s: not a permutation of the input", what);
}

TEST(shapes_sizes_and_lengths_vs_glibc)
{
    static const size_t sizes[] = {1, 3, 4, 8, 13, 24};
    static const size_t ns[] = {0, 1, 2, 3, 4, 5, 7, 15, 16, 17, 18, 31, 33, 100, 257, 1000, 5000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        g_size = sizes[si];
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
            size_t n = ns[ni], size = g_size;
            for (int sh = 0; sh < NSHAPES; sh++) {
                /* One spare byte each side: a write outside the array shows. */
                unsigned char *buf = malloc(n * size + 2);
                unsigned char *orig = malloc(n * size + 1);
                unsigned char *ref = malloc(n * size + 1);
                make(buf + 1, n, size, (enum shape)sh);
                buf[0] = 0xa5;
                buf[n * size + 1] = 0x5a;
                memcpy(orig, buf + 1, n * size);
                memcpy(ref, buf + 1, n * size);
                sort_qsort(buf + 1, n, size, cmp_key);
                qsort(ref, n, size, cmp_key);
                char what[64];
                snprintf(what, sizeof what, "%s n=%zu size=%zu", shape_name[sh], n, size);
                check_sorted_permutation(orig, buf + 1, n, size, what);
                /* Same key sequence as glibc (payloads of equal keys may differ). */
                for (size_t i = 0; i < n; i++)
                    CHECK_EQ(key_of(buf + 1 + i * size), key_of(ref + i * size));
                CHECK_EQ(buf[0], 0xa5);
                CHECK_EQ(buf[n * size + 1], 0x5a);
                free(buf);
                free(orig);
                free(ref);
            }
        }
    }
}

TEST(large_random_and_structured_inputs)
{
    g_size = 8;
    size_t n = 200000;
    uint64_t *a = malloc(n * 8), *orig = malloc(n * 8);
    for (int sh = 0; sh < NSHAPES; sh++) {
        make((unsigned char *)a, n, 8, (enum shape)sh);
        memcpy(orig, a, n * 8);
        ncmp = 0;
        sort_qsort(a, n, 8, cmp_key);
        check_sorted_permutation((unsigned char *)orig, (unsigned char *)a, n, 8,
                                 shape_name[sh]);
        /* n log2 n is about 3.5M here; introsort stays within a small
         * multiple of it on every shape. */
        CHECK(ncmp < 4 * 3600000);
    }
    free(a);
    free(orig);
}

/* McIlroy, "A Killer Adversary for Quicksort" (1999): values are decided
 * lazily so that whatever the pivot choice, it turns out to be nearly the
 * smallest remaining element. Consistent, so the output is checkable. */
static int *adv_val;
static int adv_gas, adv_nsolid, adv_candidate;

static int adv_cmp(const void *px, const void *py)
{
    int x = *(const int *)px, y = *(const int *)py;
    ncmp++;
    if (adv_val[x] == adv_gas && adv_val[y] == adv_gas) {
        if (x == adv_candidate)
            adv_val[x] = adv_nsolid++;
        else
            adv_val[y] = adv_nsolid++;
    }
    if (adv_val[x] == adv_gas)
        adv_candidate = x;
    else if (adv_val[y] == adv_gas)
        adv_candidate = y;
    return (adv_val[x] > adv_val[y]) - (adv_val[x] < adv_val[y]);
}

TEST(adversarial_comparator_costs_n_log_n)
{
    for (int n = 1000; n <= 64000; n *= 4) {
        int *ptr = malloc(sizeof(int) * (size_t)n);
        adv_val = malloc(sizeof(int) * (size_t)n);
        adv_gas = n;
        adv_nsolid = 0;
        adv_candidate = 0;
        for (int i = 0; i < n; i++) {
            ptr[i] = i;
            adv_val[i] = adv_gas;
        }
        ncmp = 0;
        sort_qsort(ptr, (size_t)n, sizeof(int), adv_cmp);
        double lg = 0;
        for (int k = n; k > 1; k >>= 1)
            lg++;
        /* A quadratic sort would need ~n^2/4 (16M at n=8000). */
        if (ncmp > (long)(12 * n * lg))
            vtest_fail(__FILE__, __LINE__, "n=%d: %ld comparisons", n, ncmp);
        for (int i = 1; i < n; i++)
            CHECK(adv_val[ptr[i - 1]] <= adv_val[ptr[i]] || adv_val[ptr[i]] == adv_gas);
        free(ptr);
        free(adv_val);
    }
}

static int cmp_random(const void *a, const void *b)
{
    (void)a;
    (void)b;
    return (int)(rnd() % 3) - 1;
}

static int cmp_liar(const void *a, const void *b)
{
    (void)a;
    (void)b;
    return -1;   /* "a < b" always, even for a == b */
}

static int cmp_extreme(const void *a, const void *b)
{
    int64_t x = key_of(a), y = key_of(b);
    return x < y ? -2147483647 - 1 : x > y ? 2147483647 : 0;
}

TEST(hostile_comparators_stay_inside_the_array_and_permute)
{
    /* ASan guards the allocation; the check says nothing was lost. */
    static sort_cmp_fn *const cmps[] = {cmp_random, cmp_liar};
    g_size = 4;
    for (size_t ci = 0; ci < 2; ci++) {
        for (size_t n = 0; n < 3000; n = n * 2 + 1) {
            unsigned char *a = malloc(n * 4 + 1), *orig = malloc(n * 4 + 1);
            make(a, n, 4, RANDOM);
            memcpy(orig, a, n * 4);
            sort_qsort(a, n, 4, cmps[ci]);
            unsigned char *x = malloc(n * 4 + 1), *y = malloc(n * 4 + 1);
            memcpy(x, orig, n * 4);
            memcpy(y, a, n * 4);
            qsort(x, n, 4, cmp_bytes);
            qsort(y, n, 4, cmp_bytes);
            CHECK_MEM(x, y, n * 4);
            free(x);
            free(y);
            free(a);
            free(orig);
        }
    }
    /* Comparators returning INT_MIN / INT_MAX rather than -1 / 1. */
    size_t n = 1000;
    unsigned char *a = malloc(n * 4), *orig = malloc(n * 4);
    make(a, n, 4, RANDOM);
    memcpy(orig, a, n * 4);
    sort_qsort(a, n, 4, cmp_extreme);
    check_sorted_permutation(orig, a, n, 4, "extreme");
    free(a);
    free(orig);
}

struct by_ctx {
    int calls;
    bool descending;
};

static int cmp_ctx(const void *a, const void *b, void *ctx)
{
    struct by_ctx *c = ctx;
    c->calls++;
    int x = *(const int *)a, y = *(const int *)b;
    int r = (x > y) - (x < y);
    return c->descending ? -r : r;
}

TEST(qsort_r_passes_context)
{
    int v[50];
    for (int i = 0; i < 50; i++)
        v[i] = (int)(rnd() % 100);
    struct by_ctx c = {0, true};
    sort_qsort_r(v, 50, sizeof v[0], cmp_ctx, &c);
    CHECK(c.calls > 0);
    for (int i = 1; i < 50; i++)
        CHECK(v[i - 1] >= v[i]);
}

TEST(degenerate_arguments_do_nothing)
{
    int v[4] = {3, 1, 2, 0};
    sort_qsort(v, 4, 0, cmp_key);                 /* size 0 */
    sort_qsort(v, 0, 4, cmp_key);
    sort_qsort(v, 1, 4, cmp_key);
    sort_qsort(NULL, 4, 4, cmp_key);
    sort_qsort(v, 4, 4, NULL);
    sort_qsort(v, SIZE_MAX / 2, 4, cmp_key);      /* n*size overflows */
    CHECK_EQ(v[0], 3);
    CHECK_EQ(v[3], 0);
}

TEST(element_sizes_unaligned_base)
{
    /* An odd base address and a 24-byte element: swaps must not assume
     * alignment (UBSan would flag a misaligned word access). */
    g_size = 24;
    size_t n = 500;
    unsigned char *buf = malloc(n * 24 + 1), *orig = malloc(n * 24);
    make(buf + 1, n, 24, RANDOM);
    memcpy(orig, buf + 1, n * 24);
    sort_qsort(buf + 1, n, 24, cmp_key);
    check_sorted_permutation(orig, buf + 1, n, 24, "unaligned");
    free(buf);
    free(orig);
}
