/*
 * sort: see sort.h for the contract.
 *
 * Partitioning is Hoare's, with the pivot parked at the front of the range
 * and both scans bounded by each other (i <= j) rather than by sentinels:
 * sentinels are what let a broken comparator run a scan off the end of the
 * array. Scans stop on elements equal to the pivot, so runs of equal keys
 * split evenly instead of degrading to quadratic time.
 */
#include "sort/sort.h"

#include <stdint.h>

#define SMALL 16        /* ranges this short get insertion sort */
#define STACK 64        /* > log2(SIZE_MAX): the deferred ranges */

struct sorter {
    char *base;
    size_t size;
    sort_cmp_r_fn *cmp;
    void *ctx;
};

static inline char *at(const struct sorter *s, char *lo, size_t i)
{
    return lo + i * s->size;
}

static inline int cmp(const struct sorter *s, const char *a, const char *b)
{
    return s->cmp(a, b, s->ctx);
}

static void swap(const struct sorter *s, char *a, char *b)
{
    size_t n = s->size;
    if (a == b)
        return;
    for (; n >= 8; n -= 8, a += 8, b += 8) {
        uint64_t x, y;
        __builtin_memcpy(&x, a, 8);
        __builtin_memcpy(&y, b, 8);
        __builtin_memcpy(a, &y, 8);
        __builtin_memcpy(b, &x, 8);
    }
    for (; n; n--, a++, b++) {
        char t = *a;
        *a = *b;
        *b = t;
    }
}

static void insertion_sort(const struct sorter *s, char *lo, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(s, at(s, lo, j - 1), at(s, lo, j)) > 0; j--)
            swap(s, at(s, lo, j - 1), at(s, lo, j));
}

/* Restore the max-heap property below `root` in a heap of n elements. */
static void sift_down(const struct sorter *s, char *lo, size_t root, size_t n)
{
    while (root < n / 2) {   /* root has a child; 2*root+1 < n cannot overflow */
        size_t child = 2 * root + 1;
        if (child + 1 < n && cmp(s, at(s, lo, child), at(s, lo, child + 1)) < 0)
            child++;
        if (cmp(s, at(s, lo, root), at(s, lo, child)) >= 0)
            return;
        swap(s, at(s, lo, root), at(s, lo, child));
        root = child;
    }
}

static void heap_sort(const struct sorter *s, char *lo, size_t n)
{
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(s, lo, i, n);
    for (size_t end = n - 1; end > 0; end--) {
        swap(s, lo, at(s, lo, end));
        sift_down(s, lo, 0, end);
    }
}

/* Move the median of first, middle and last to the front. */
static void pivot_to_front(const struct sorter *s, char *lo, size_t n)
{
    char *a = lo, *b = at(s, lo, n / 2), *c = at(s, lo, n - 1);
    char *m;
    if (cmp(s, a, b) < 0)
        m = cmp(s, b, c) < 0 ? b : cmp(s, a, c) < 0 ? c : a;
    else
        m = cmp(s, a, c) < 0 ? a : cmp(s, b, c) < 0 ? c : b;
    swap(s, lo, m);
}

/* Partition [lo, lo+n) around the element at lo; return its final index.
 * Indices stay within [0, n) whatever cmp answers. */
static size_t partition(const struct sorter *s, char *lo, size_t n)
{
    size_t i = 1, j = n - 1;
    for (;;) {
        while (i <= j && cmp(s, at(s, lo, i), lo) < 0)
            i++;
        while (i <= j && cmp(s, at(s, lo, j), lo) > 0)
            j--;
        if (i >= j)
            break;
        swap(s, at(s, lo, i), at(s, lo, j));
        i++;
        j--;
    }
    swap(s, lo, at(s, lo, j));
    return j;
}

struct range {
    char *lo;
    size_t n;
    unsigned budget;   /* partitions left before heapsort takes over */
};

void sort_qsort_r(void *base, size_t n, size_t size, sort_cmp_r_fn *cmpf, void *ctx)
{
    if (n < 2 || size == 0 || n > SIZE_MAX / size || !base || !cmpf)
        return;
    struct sorter s = {base, size, cmpf, ctx};
    unsigned budget = 0;
    for (size_t k = n; k > 1; k >>= 1)
        budget += 2;

    struct range stack[STACK];
    unsigned top = 0;
    stack[top++] = (struct range){base, n, budget};
    while (top) {
        struct range r = stack[--top];
        for (;;) {
            if (r.n <= SMALL) {
                insertion_sort(&s, r.lo, r.n);
                break;
            }
            if (r.budget == 0) {
                heap_sort(&s, r.lo, r.n);
                break;
            }
            r.budget--;
            pivot_to_front(&s, r.lo, r.n);
            size_t p = partition(&s, r.lo, r.n);
            struct range left = {r.lo, p, r.budget};
            struct range right = {at(&s, r.lo, p + 1), r.n - p - 1, r.budget};
            /* Defer the larger side and continue with the smaller, which
             * is at most half the range just split: at most log2(n)
             * ranges are ever deferred at once. */
            struct range big = left.n > right.n ? left : right;
            r = left.n > right.n ? right : left;
            if (top < STACK)
                stack[top++] = big;
            else
                heap_sort(&s, big.lo, big.n);   /* unreachable; keeps the bound local */
        }
    }
}

static int call_plain(const void *a, const void *b, void *ctx)
{
    sort_cmp_fn *const *f = ctx;
    return (*f)(a, b);
}

void sort_qsort(void *base, size_t n, size_t size, sort_cmp_fn *cmpf)
{
    if (!cmpf)
        return;
    sort_qsort_r(base, n, size, call_plain, &cmpf);
}
