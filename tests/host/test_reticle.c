/* test_reticle: retype arithmetic (kernel/core/reticle.c) on the host. */
#include "vtest.h"
#include "ktest_shim.h"

#include <stdlib.h>

#include "core/reticle.h"

static struct reticle *make(size_t size, void **mem)
{
    *mem = aligned_alloc(4096, size);
    return reticle_init(HOST_PHYS(*mem), size);
}

TEST(fresh_reticle_keeps_one_kib)
{
    void *m;
    struct reticle *r = make(64 * 1024, &m);
    CHECK_EQ(reticle_free(r), 64 * 1024 - V_RETICLE_HEADER);
    CHECK_EQ(r->live, 0);
    free(m);
}

TEST(alignment_padding_becomes_a_hole_and_memory_is_zeroed)
{
    void *m;
    struct reticle *r = make(64 * 1024, &m);
    memset((char *)m + 1024, 0xab, 60 * 1024);
    uint64_t f0 = reticle_free(r);
    paddr_t a = reticle_take(r, 4096, 4096);
    CHECK_EQ(a - r->base, 4096);       /* header is 1 KiB: 3 KiB padding ... */
    CHECK_EQ(r->nholes, 1);            /* ... kept as a hole */
    CHECK_EQ(reticle_free(r), f0 - 4096);
    paddr_t b = reticle_take(r, 2048, 2048);
    CHECK_EQ(b - r->base, 2048);       /* a small object fills the gap */
    unsigned char *p = (unsigned char *)m + 4096;
    for (int i = 0; i < 4096; i++)
        CHECK_EQ(p[i], 0);
    CHECK_EQ(r->live, 2);
    reticle_release(r, a, 4096);
    reticle_release(r, b, 2048);
    CHECK_EQ(reticle_free(r), f0);
    free(m);
}

TEST(a_plan_takes_what_fit_promised_and_zeroes_only_when_asked)
{
    void *m;
    struct reticle *r = make(64 * 1024, &m);
    paddr_t a = reticle_take(r, 4096, 4096);          /* leaves the 3 KiB padding hole */
    struct reticle_plan p;
    CHECK(reticle_plan(r, 2048, 2048, &p));
    CHECK_EQ(p.hole, 0);                              /* the hole, not the watermark */
    CHECK_EQ(r->base + p.at, reticle_fit(r, 2048, 2048));
    memset((char *)m + p.at, 0xcd, 2048);
    paddr_t b = reticle_take_planned(r, &p, 2048, false);
    CHECK_EQ(b, r->base + p.at);
    CHECK_EQ(((unsigned char *)m)[p.at], 0xcd);        /* not zeroed: the caller fills it */
    CHECK(reticle_plan(r, 8192, 4096, &p));
    CHECK_EQ(p.hole, -1);                             /* no hole is big enough */
    memset((char *)m + p.at, 0xab, 8192);
    paddr_t c = reticle_take_planned(r, &p, 8192, true);
    CHECK_EQ(((unsigned char *)m)[c - r->base], 0);
    CHECK_EQ(((unsigned char *)m)[c - r->base + 8191], 0);
    CHECK(!reticle_plan(r, 1024 * 1024, 4096, &p));
    CHECK_EQ(r->live, 3);
    reticle_release(r, a, 4096);
    reticle_release(r, b, 2048);
    reticle_release(r, c, 8192);
    CHECK_EQ(r->live, 0);
    free(m);
}

TEST(exhaustion_is_refused_exactly)
{
    void *m;
    struct reticle *r = make(16 * 1024, &m);
    int n = 0;
    while (reticle_fit(r, 4096, 4096)) {
        reticle_take(r, 4096, 4096);
        n++;
    }
    CHECK_EQ(n, 3);                     /* the first page holds the header */
    CHECK_EQ(reticle_fit(r, 0, 4096), 0);
    CHECK_EQ(reticle_fit(r, ~0ull, 4096), 0);
    CHECK_EQ(reticle_fit(r, ~0ull - 4000, 4096), 0);   /* no wrap-around */
    CHECK(reticle_fit(r, 1024, 1024) != 0);            /* the padding hole */
    free(m);
}

/* Any order of frees gives back every byte, and freed space is reused. */
TEST(frees_in_any_order_restore_free_bytes)
{
    void *m;
    struct reticle *r = make(1024 * 1024, &m);
    uint64_t whole = reticle_free(r);
    srand(5);
    for (int round = 0; round < 300; round++) {
        paddr_t at[24];
        uint64_t sz[24];
        int n = 0;
        for (int k = 0; k < 24; k++) {
            static const uint64_t sizes[] = {2048, 4096, 8192, 2048 << 3, 4096 * 3};
            static const uint64_t aligns[] = {2048, 4096, 4096, 2048 << 3, 4096};
            int t = rand() % 5;
            if (!reticle_fit(r, sizes[t], aligns[t]))
                break;
            at[n] = reticle_take(r, sizes[t], aligns[t]);
            sz[n++] = sizes[t];
        }
        uint64_t before_keep = reticle_free(r);
        /* keep one object alive so the reset-at-zero rule does not help */
        for (int k = n - 1; k > 0; k--) {
            int j = rand() % (k + 1);
            paddr_t ta = at[k]; at[k] = at[j]; at[j] = ta;
            uint64_t ts = sz[k]; sz[k] = sz[j]; sz[j] = ts;
        }
        uint64_t kept = sz[0];
        for (int k = 1; k < n; k++)
            reticle_release(r, at[k], sz[k]);
        CHECK(reticle_free(r) >= before_keep);
        CHECK_EQ(r->lost, 0);
        /* the holes and the watermark account for every byte but the kept object's
         * and the padding around it */
        uint64_t used = r->watermark - V_RETICLE_HEADER - r->holes_bytes;
        CHECK_EQ(used, kept);
        reticle_release(r, at[0], sz[0]);
        CHECK_EQ(reticle_free(r), whole);
    }
    free(m);
}

TEST(thousand_cycles_leave_nothing_behind)
{
    void *m;
    struct reticle *r = make(1024 * 1024, &m);
    uint64_t before = reticle_free(r);
    paddr_t pin = reticle_take(r, 2048, 2048);   /* never freed: no reset to help */
    uint64_t pinned = reticle_free(r);
    for (int i = 0; i < 1000; i++) {
        paddr_t objs[5];
        uint64_t sizes[5] = {2048, 2048u << (i % 3), 8192, 4096, 4096u * (1 + i % 4)};
        uint64_t aligns[5] = {2048, 2048u << (i % 3), 4096, 4096, 4096};
        for (int k = 0; k < 5; k++)
            objs[k] = reticle_take(r, sizes[k], aligns[k]);
        for (int k = (i % 2) ? 4 : 0; (i % 2) ? k >= 0 : k < 5; k += (i % 2) ? -1 : 1)
            reticle_release(r, objs[k], sizes[k]);
        CHECK_EQ(reticle_free(r), pinned);
    }
    reticle_release(r, pin, 2048);
    CHECK_EQ(reticle_free(r), before);
    free(m);
}

TEST(full_hole_list_counts_lost_bytes_until_empty)
{
    void *m;
    struct reticle *r = make(4 * 1024 * 1024, &m);
    uint64_t whole = reticle_free(r);
    paddr_t at[200];
    for (int i = 0; i < 200; i++)
        at[i] = reticle_take(r, 4096, 4096);
    for (int i = 0; i < 200; i += 2)        /* every other page: 100 separate holes */
        reticle_release(r, at[i], 4096);
    CHECK_EQ(r->nholes, RETICLE_HOLES);
    CHECK(r->lost > 0);
    for (int i = 1; i < 200; i += 2)
        reticle_release(r, at[i], 4096);
    CHECK_EQ(reticle_free(r), whole);
    CHECK_EQ(r->lost, 0);
    free(m);
}

TEST(dead_reticle_ignores_late_releases)
{
    void *m;
    struct reticle *r = make(64 * 1024, &m);
    paddr_t a = reticle_take(r, 4096, 4096);
    r->dead = 1;
    reticle_release(r, a, 4096);
    CHECK_EQ(r->live, 1);
    reticle_release(0, a, 4096);   /* boot objects have no Reticle */
    free(m);
}
