/* test_reticle: retype arithmetic (kernel/core/reticle.c) on the host. */
#include "vtest.h"
#include "ktest_shim.h"

#include <stdarg.h>
#include <stdlib.h>

#include "core/reticle.h"

bool kopt_test, kopt_quiet;
void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    vtest_fail(__FILE__, __LINE__, "kernel panic: %s", buf);
}

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

TEST(alignment_padding_and_zeroing)
{
    void *m;
    struct reticle *r = make(64 * 1024, &m);
    memset((char *)m + 1024, 0xab, 60 * 1024);
    uint64_t pad;
    paddr_t a = reticle_take(r, 2048, 2048, &pad);
    CHECK_EQ(a - r->base, 2048);       /* header is 1 KiB: 1 KiB padding */
    CHECK_EQ(pad, 1024);
    paddr_t b = reticle_take(r, 4096, 4096, &pad);
    CHECK_EQ(b - r->base, 4096);
    CHECK_EQ(pad, 0);
    unsigned char *p = (unsigned char *)m + 4096;
    for (int i = 0; i < 4096; i++)
        CHECK_EQ(p[i], 0);
    CHECK_EQ(r->live, 2);
    free(m);
}

TEST(exhaustion_is_refused_exactly)
{
    void *m;
    struct reticle *r = make(16 * 1024, &m);
    uint64_t pad;
    int n = 0;
    while (reticle_fit(r, 4096, 4096, &pad)) {
        reticle_take(r, 4096, 4096, &pad);
        n++;
    }
    CHECK_EQ(n, 3);                     /* the first page holds the header */
    CHECK(!reticle_fit(r, 1, 1024, &pad) || reticle_free(r) >= 1);
    CHECK_EQ(reticle_fit(r, 0, 4096, &pad), 0);
    CHECK_EQ(reticle_fit(r, ~0ull, 4096, &pad), 0);
    CHECK_EQ(reticle_fit(r, ~0ull - 4000, 4096, &pad), 0);   /* no wrap-around */
    free(m);
}

TEST(lifo_release_rolls_back_and_empty_resets)
{
    void *m;
    struct reticle *r = make(256 * 1024, &m);
    uint64_t before = reticle_free(r), pad1, pad2, pad3;
    paddr_t a = reticle_take(r, 2048, 2048, &pad1);
    paddr_t b = reticle_take(r, 8192, 4096, &pad2);
    paddr_t c = reticle_take(r, 4096, 4096, &pad3);
    reticle_release(r, c, 4096, pad3);
    reticle_release(r, b, 8192, pad2);
    CHECK_EQ(r->watermark, a + 2048 - r->base);
    reticle_release(r, a, 2048, pad1);
    CHECK_EQ(reticle_free(r), before);
    /* out of order: the space comes back when the last object goes */
    a = reticle_take(r, 4096, 4096, &pad1);
    b = reticle_take(r, 4096, 4096, &pad2);
    reticle_release(r, a, 4096, pad1);
    CHECK(reticle_free(r) < before);
    reticle_release(r, b, 4096, pad2);
    CHECK_EQ(reticle_free(r), before);
    free(m);
}

TEST(thousand_cycles_leave_nothing_behind)
{
    void *m;
    struct reticle *r = make(1024 * 1024, &m);
    uint64_t before = reticle_free(r);
    for (int i = 0; i < 1000; i++) {
        uint64_t pads[5];
        paddr_t objs[5];
        uint64_t sizes[5] = {2048, 2048 << (i % 3), 8192, 4096, 4096 * (1 + i % 4)};
        uint64_t aligns[5] = {2048, 2048 << (i % 3), 4096, 4096, 4096};
        for (int k = 0; k < 5; k++)
            objs[k] = reticle_take(r, sizes[k], aligns[k], &pads[k]);
        for (int k = 4; k >= 0; k--)
            reticle_release(r, objs[k], sizes[k], pads[k]);
        CHECK_EQ(reticle_free(r), before);
    }
    free(m);
}

TEST(dead_reticle_ignores_late_releases)
{
    void *m;
    struct reticle *r = make(64 * 1024, &m);
    uint64_t pad;
    paddr_t a = reticle_take(r, 4096, 4096, &pad);
    r->dead = 1;
    reticle_release(r, a, 4096, pad);
    CHECK_EQ(r->live, 1);
    reticle_release(0, a, 4096, pad);   /* boot objects have no Reticle */
    free(m);
}
