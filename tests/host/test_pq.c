/*
 * test_pq: lib/pq against a model (an array searched for its least
 * (key, seq) item): random pushes, pops and removals with many equal
 * keys, checking every popped item and the heap invariant throughout;
 * a full heap refuses a push and is unchanged; an empty one refuses a
 * pop; ties leave in push order; a descending run (every push to the
 * root) pops sorted.
 */
#include "pq/pq.h"
#include "vtest.h"
#include "vtest_util.h"

#include <stdlib.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { return vtest_xorshift64(&rng_state); }

enum { CAP = 300 };

/* The model: items in push order; the least is found by a scan. */
static struct pq_item model[CAP];
static uint32_t nmodel;

static uint32_t model_least(void)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < nmodel; i++)
        if (model[i].key < model[best].key ||
            (model[i].key == model[best].key && model[i].seq < model[best].seq))
            best = i;
    return best;
}

static bool pick_ref(const struct pq_item *it, void *ctx) { return it->ref == ctx; }

TEST(random_operations_match_the_model)
{
    struct pq_item items[CAP];
    struct pq q;
    pq_init(&q, items, CAP);
    nmodel = 0;
    uint64_t seq = 0;
    for (int iter = 0; iter < 200000; iter++) {
        unsigned op = (unsigned)(rnd() % 16);
        if (op < 8) {                       /* push: few distinct keys, so many ties */
            uint64_t key = rnd() % 50;
            void *ref = (void *)(uintptr_t)(1 + rnd() % 8);
            bool ok = pq_push(&q, key, ref, (uint64_t)iter);
            CHECK_EQ(ok, nmodel < CAP);
            if (ok)
                model[nmodel++] = (struct pq_item){key, seq, ref, (uint64_t)iter};
            if (ok)
                seq++;
        } else if (op < 15) {               /* pop */
            struct pq_item out;
            bool ok = pq_pop(&q, &out);
            CHECK_EQ(ok, nmodel > 0);
            if (ok) {
                uint32_t m = model_least();
                CHECK_EQ(out.key, model[m].key);
                CHECK_EQ(out.seq, model[m].seq);
                CHECK_EQ(out.val, model[m].val);
                CHECK(out.ref == model[m].ref);
                model[m] = model[--nmodel];
            }
        } else {                            /* remove one owner's items */
            void *ref = (void *)(uintptr_t)(1 + rnd() % 8);
            uint32_t kept = 0, removed = 0;
            for (uint32_t i = 0; i < nmodel; i++) {
                if (model[i].ref == ref)
                    removed++;
                else
                    model[kept++] = model[i];
            }
            nmodel = kept;
            CHECK_EQ(pq_remove_if(&q, pick_ref, ref), removed);
        }
        CHECK_EQ(q.n, nmodel);
        CHECK(pq_check(&q));
        const struct pq_item *top = pq_top(&q);
        CHECK_EQ(top != 0, nmodel > 0);
        if (top)
            CHECK_EQ(top->seq, model[model_least()].seq);
    }
}

TEST(full_and_empty_are_refused_and_change_nothing)
{
    struct pq_item items[4];
    struct pq q;
    pq_init(&q, items, 4);
    struct pq_item out;
    CHECK(!pq_pop(&q, &out));
    CHECK(pq_top(&q) == 0);
    for (int i = 0; i < 4; i++)
        CHECK(pq_push(&q, (uint64_t)(10 - i), 0, (uint64_t)i));
    CHECK(!pq_push(&q, 0, 0, 99));          /* full: the least is still 7 */
    CHECK_EQ(q.n, 4);
    CHECK_EQ(pq_top(&q)->key, 7);
    CHECK(pq_pop(&q, 0));
    CHECK_EQ(pq_top(&q)->key, 8);
    struct pq z;                            /* no storage: nothing fits */
    pq_init(&z, 0, 10);
    CHECK(!pq_push(&z, 1, 0, 0));
    CHECK(!pq_pop(&z, &out));
}

TEST(equal_keys_leave_in_push_order)
{
    struct pq_item items[64];
    struct pq q;
    pq_init(&q, items, 64);
    for (uint64_t i = 0; i < 64; i++)
        CHECK(pq_push(&q, 5 + (i % 2), 0, i));  /* 32 fives and 32 sixes, interleaved */
    for (uint64_t i = 0; i < 64; i++) {
        struct pq_item out;
        CHECK(pq_pop(&q, &out));
        CHECK_EQ(out.val, i < 32 ? 2 * i : 2 * (i - 32) + 1);
    }
}

/* A descending run of pushes makes every push sift to the root: the heap
 * still pops them ascending. */
TEST(worst_case_order_pops_sorted)
{
    enum { N = 4096 };
    struct pq_item *items = calloc(N, sizeof *items);
    struct pq q;
    pq_init(&q, items, N);
    for (uint32_t i = 0; i < N; i++)
        CHECK(pq_push(&q, N - i, 0, i));
    CHECK(pq_check(&q));
    for (uint32_t i = 1; i <= N; i++) {
        struct pq_item out;
        CHECK(pq_pop(&q, &out));
        CHECK_EQ(out.key, i);
    }
    CHECK_EQ(q.n, 0);
    free(items);
}
