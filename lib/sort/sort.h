/*
 * sort: qsort for the kernel and the user runtime.
 *
 * Contract: sort_qsort(base, n, size, cmp) sorts n elements of `size` bytes
 * in place into ascending order under cmp, as C's qsort. It is not stable.
 * sort_qsort_r passes ctx through to every comparison (glibc's qsort_r
 * argument order).
 *
 * Guarantees, whatever the input:
 *   - O(n log n) comparisons and swaps in the worst case: an introsort
 *     (median-of-three quicksort that falls back to heapsort on a range
 *     once its depth budget of 2*log2(n) partitions is spent, insertion
 *     sort below 16 elements);
 *   - bounded stack: no recursion; pending ranges live in a fixed array
 *     of 64 entries, enough because the larger side is always deferred;
 *   - no allocation, no element-sized temporary (elements are swapped in
 *     8-byte pieces), any size and any alignment;
 *   - an inconsistent comparator (random answers, cmp(a,a) != 0, ...)
 *     leaves the array in some permutation of its input, but never makes
 *     the sort touch memory outside [base, base + n*size) or loop forever.
 * n < 2 or size == 0 does nothing; so does n*size overflowing size_t.
 */
#ifndef LIB_SORT_SORT_H
#define LIB_SORT_SORT_H

#include <stddef.h>

typedef int sort_cmp_fn(const void *a, const void *b);
typedef int sort_cmp_r_fn(const void *a, const void *b, void *ctx);

void sort_qsort(void *base, size_t n, size_t size, sort_cmp_fn *cmp);
void sort_qsort_r(void *base, size_t n, size_t size, sort_cmp_r_fn *cmp, void *ctx);

#endif
