/* pq: see pq.h. The heap is the usual implicit tree: item i's children are
 * 2i + 1 and 2i + 2. A moving item is held aside and the hole walks, so a
 * push or pop writes each level once. */
#include "pq/pq.h"

static bool less(const struct pq_item *a, const struct pq_item *b)
{
    return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

/* Put x at hole i or above it. */
static void sift_up(struct pq_item *h, uint32_t i, struct pq_item x)
{
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!less(&x, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* Put x at hole i or below it, in a heap of n items. */
static void sift_down(struct pq_item *h, uint32_t n, uint32_t i, struct pq_item x)
{
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && less(&h[c + 1], &h[c]))
            c++;
        if (!less(&h[c], &x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

void pq_init(struct pq *q, struct pq_item *items, uint32_t cap)
{
    q->items = items;
    q->n = 0;
    q->cap = items ? cap : 0;
    q->next_seq = 0;
}

bool pq_push(struct pq *q, uint64_t key, void *ref, uint64_t val)
{
    if (q->n >= q->cap)
        return false;
    struct pq_item x = {key, q->next_seq++, ref, val};
    sift_up(q->items, q->n++, x);
    return true;
}

bool pq_pop(struct pq *q, struct pq_item *out)
{
    if (!q->n)
        return false;
    if (out)
        *out = q->items[0];
    q->n--;
    if (q->n)
        sift_down(q->items, q->n, 0, q->items[q->n]);
    return true;
}

uint32_t pq_remove_if(struct pq *q, bool (*pick)(const struct pq_item *, void *), void *ctx)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < q->n; i++)
        if (!pick(&q->items[i], ctx))
            q->items[kept++] = q->items[i];
    uint32_t removed = q->n - kept;
    q->n = kept;
    if (removed)                            /* Floyd's heapify: O(n) */
        for (uint32_t i = kept / 2; i-- > 0;)
            sift_down(q->items, kept, i, q->items[i]);
    return removed;
}

bool pq_check(const struct pq *q)
{
    if (q->n > q->cap)
        return false;
    for (uint32_t i = 1; i < q->n; i++)
        if (less(&q->items[i], &q->items[(i - 1) / 2]))
            return false;
    return true;
}
