/*
 * pq: a binary min-heap of deadlines, in caller-provided storage.
 *
 * Contract: a struct pq over an array of `cap` items holds at most cap
 * items; pq_push adds one (false if full, nothing changed); pq_top is the
 * item with the least (key, seq) (0 if empty), pq_pop removes it;
 * pq_remove_if removes every item a predicate picks and keeps the rest a
 * heap. seq is assigned by pq_push from a counter, so items with equal
 * keys leave in the order they came: the heap's order is total and its
 * output deterministic.
 *
 * Costs: push and pop O(log n) comparisons and moves, top O(1),
 * remove_if O(n). No allocation, no recursion.
 *
 * Invariant (pq_check): for every i > 0, item (i - 1) / 2 is not greater
 * than item i. Callers may not change an item's key or seq in place.
 */
#ifndef LIB_PQ_PQ_H
#define LIB_PQ_PQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pq_item {
    uint64_t key;       /* a deadline */
    uint64_t seq;       /* the order of pushes: ties leave first in, first out */
    void *ref;          /* the caller's: whom the item belongs to */
    uint64_t val;       /* the caller's */
};

struct pq {
    struct pq_item *items;
    uint32_t n, cap;
    uint64_t next_seq;
};

void pq_init(struct pq *q, struct pq_item *items, uint32_t cap);
bool pq_push(struct pq *q, uint64_t key, void *ref, uint64_t val);
static inline const struct pq_item *pq_top(const struct pq *q) { return q->n ? &q->items[0] : 0; }
/* Remove the least item into *out (if out); false if empty. */
bool pq_pop(struct pq *q, struct pq_item *out);
/* Remove every item for which pick(item, ctx) is true; the count removed. */
uint32_t pq_remove_if(struct pq *q, bool (*pick)(const struct pq_item *, void *), void *ctx);
/* The heap invariant holds and n <= cap. */
bool pq_check(const struct pq *q);

#endif
