/* test_ring: the Ring protocol (lib/ring) — indices, wrap-around, a
 * hostile peer's garbage, and a real two-thread producer/consumer. */
#include "vtest.h"
#include "ring/ring.h"

#include <pthread.h>
#include <stdlib.h>

static void *make(uint32_t slots, uint32_t size, size_t *mapped)
{
    *mapped = V_RING_CTL_SIZE + (size_t)slots * size;
    struct v_ring_ctl *ctl = aligned_alloc(64, (*mapped + 63) & ~(size_t)63);
    memset(ctl, 0, *mapped);
    ctl->slots = slots;
    ctl->slot_size = size;
    return ctl;
}

TEST(push_pop_in_order_until_full)
{
    size_t n;
    void *mem = make(4, 64, &n);
    struct ring_view p, c;
    CHECK_EQ(ring_view_init(&p, mem, n, true), RING_OK);
    CHECK_EQ(ring_view_init(&c, mem, n, false), RING_OK);
    CHECK_EQ(ring_payload_max(&p), 64 - RING_SLOT_HDR);
    for (uint64_t i = 0; i < 4; i++) {
        struct ring_slot h = {.len = 8, .kind = 1, .id = i};
        CHECK_EQ(ring_push(&p, &h, &i), RING_OK);
    }
    struct ring_slot h = {.len = 0};
    CHECK_EQ(ring_push(&p, &h, 0), RING_FULL);
    CHECK_EQ(ring_count(&c), 4);
    for (uint64_t i = 0; i < 4; i++) {
        uint64_t v;
        CHECK_EQ(ring_pop(&c, &h, &v, sizeof v), RING_OK);
        CHECK_EQ(h.id, i);
        CHECK_EQ(v, i);
    }
    uint64_t v;
    CHECK_EQ(ring_pop(&c, &h, &v, sizeof v), RING_EMPTY);
    free(mem);
}

/* The word copies: every length 0..payload max, from and to buffers at
 * every offset mod 8, byte-exact, and not a byte written past len. */
TEST(push_pop_copy_every_length_and_alignment)
{
    size_t n;
    void *mem = make(2, 4096, &n);
    struct ring_view p, c;
    CHECK_EQ(ring_view_init(&p, mem, n, true), RING_OK);
    CHECK_EQ(ring_view_init(&c, mem, n, false), RING_OK);
    static uint8_t src[4096 + 8], dst[4096 + 16];
    uint32_t max = ring_payload_max(&p);
    for (uint32_t len = 0; len <= max; len += len < 80 ? 1 : 61) {
        for (unsigned off = 0; off < 8; off++) {
            for (uint32_t k = 0; k < len; k++)
                src[off + k] = (uint8_t)(k * 31 + len + off);
            memset(dst, 0xa5, sizeof dst);
            struct ring_slot h = {.len = len, .kind = 7, .id = len}, r;
            CHECK_EQ(ring_push(&p, &h, src + off), RING_OK);
            CHECK_EQ(ring_pop(&c, &r, dst + (7 - off), len), RING_OK);
            CHECK_EQ(r.len, len);
            CHECK(memcmp(dst + (7 - off), src + off, len) == 0);
            CHECK_EQ(dst[7 - off + len], 0xa5);
            if (7 - off > 0)
                CHECK_EQ(dst[6 - off], 0xa5);
        }
    }
    free(mem);
}

TEST(indices_wrap_around_2_pow_32)
{
    size_t n;
    struct v_ring_ctl *ctl = make(8, 64, &n);
    ctl->head = ctl->tail = 0xfffffffcu;
    struct ring_view p, c;
    ring_view_init(&p, ctl, n, true);
    ring_view_init(&c, ctl, n, false);
    for (uint32_t i = 0; i < 100; i++) {
        struct ring_slot h = {.len = 4, .id = i};
        CHECK_EQ(ring_push(&p, &h, &i), RING_OK);
        uint32_t v;
        CHECK_EQ(ring_pop(&c, &h, &v, sizeof v), RING_OK);
        CHECK_EQ(v, i);
    }
    CHECK_EQ(ctl->tail, 0xfffffffcu + 100);
    free(ctl);
}

TEST(oversized_message_refused)
{
    size_t n;
    void *mem = make(2, 64, &n);
    struct ring_view p;
    ring_view_init(&p, mem, n, true);
    char big[100] = {0};
    struct ring_slot h = {.len = 64 - RING_SLOT_HDR + 1};
    CHECK_EQ(ring_push(&p, &h, big), RING_TOOBIG);
    CHECK_EQ(((struct v_ring_ctl *)mem)->tail, 0);
    free(mem);
}

/* What if the peer writes garbage into the shared indices or lengths? */
TEST(hostile_peer_garbage_is_corrupt_not_a_crash)
{
    size_t n;
    struct v_ring_ctl *ctl = make(4, 64, &n);
    struct ring_view p, c;
    ring_view_init(&p, ctl, n, true);
    ring_view_init(&c, ctl, n, false);
    struct ring_slot h = {.len = 0};
    char buf[64];
    ctl->tail = 1000;                      /* far ahead of head */
    CHECK_EQ(ring_pop(&c, &h, buf, sizeof buf), RING_CORRUPT);
    CHECK_EQ(ring_push(&p, &h, buf), RING_CORRUPT);
    ctl->tail = 1;
    ctl->head = 0;
    ((struct ring_slot *)((char *)ctl + V_RING_CTL_SIZE))->len = 0xffffffff;
    CHECK_EQ(ring_pop(&c, &h, buf, sizeof buf), RING_CORRUPT);
    ctl->head = 5;                         /* head ahead of tail */
    CHECK_EQ(ring_pop(&c, &h, buf, sizeof buf), RING_CORRUPT);
    CHECK_EQ(ring_count(&c), 0);
    srand(3);
    for (int i = 0; i < 100000; i++) {
        ctl->head = (uint32_t)rand();
        ctl->tail = ctl->head + (uint32_t)(rand() % 12);
        ((struct ring_slot *)((char *)ctl + V_RING_CTL_SIZE + 64 * (rand() % 4)))->len =
            (uint32_t)rand() % 80;
        enum ring_status st = ring_pop(&c, &h, buf, sizeof buf);
        CHECK(st == RING_OK || st == RING_EMPTY || st == RING_CORRUPT);
        if (st == RING_OK)
            CHECK(h.len <= 64 - RING_SLOT_HDR);
    }
    free(ctl);
}

TEST(malformed_control_block_refused)
{
    size_t n;
    struct v_ring_ctl *ctl = make(4, 64, &n);
    struct ring_view v;
    CHECK_EQ(ring_view_init(&v, ctl, 100, true), RING_EINVAL);
    ctl->slots = 3;
    CHECK_EQ(ring_view_init(&v, ctl, n, true), RING_EINVAL);
    ctl->slots = 8;                         /* more than is mapped */
    CHECK_EQ(ring_view_init(&v, ctl, n, true), RING_EINVAL);
    ctl->slots = 4;
    ctl->slot_size = 32;
    CHECK_EQ(ring_view_init(&v, ctl, n, true), RING_EINVAL);
    ctl->slot_size = 96;
    CHECK_EQ(ring_view_init(&v, ctl, n, true), RING_EINVAL);
    free(ctl);
}

TEST(closed_ring_reports_closed_after_drain)
{
    size_t n;
    struct v_ring_ctl *ctl = make(4, 64, &n);
    struct ring_view p, c;
    ring_view_init(&p, ctl, n, true);
    ring_view_init(&c, ctl, n, false);
    struct ring_slot h = {.len = 0};
    CHECK_EQ(ring_push(&p, &h, 0), RING_OK);
    ctl->closed = 1;
    CHECK_EQ(ring_push(&p, &h, 0), RING_CLOSED);
    CHECK_EQ(ring_pop(&c, &h, 0, 0), RING_OK);      /* what was sent still arrives */
    CHECK_EQ(ring_pop(&c, &h, 0, 0), RING_CLOSED);
    free(ctl);
}

TEST(sleeping_words_are_per_end)
{
    size_t n;
    struct v_ring_ctl *ctl = make(4, 64, &n);
    struct ring_view p, c;
    ring_view_init(&p, ctl, n, true);
    ring_view_init(&c, ctl, n, false);
    CHECK(!ring_peer_sleeping(&p));
    ring_set_sleeping(&c, true);
    CHECK(ring_peer_sleeping(&p));
    CHECK(!ring_peer_sleeping(&c));
    ring_set_sleeping(&c, false);
    CHECK(!ring_peer_sleeping(&p));
    free(ctl);
}

struct thread_arg {
    struct ring_view v;
    uint64_t count, sum;
};

static void *producer(void *p)
{
    struct thread_arg *a = p;
    for (uint64_t i = 0; i < a->count;) {
        struct ring_slot h = {.len = 8, .id = i};
        if (ring_push(&a->v, &h, &i) == RING_OK)
            i++;
    }
    return 0;
}

/* Two threads, a million messages through 16 slots: nothing lost,
 * nothing duplicated, order kept. */
TEST(two_threads_million_messages)
{
    size_t n;
    void *mem = make(16, 64, &n);
    struct thread_arg pa = {.count = 1000000}, ca = {0};
    ring_view_init(&pa.v, mem, n, true);
    ring_view_init(&ca.v, mem, n, false);
    pthread_t t;
    pthread_create(&t, 0, producer, &pa);
    uint64_t expect = 0;
    while (expect < pa.count) {
        struct ring_slot h;
        uint64_t v;
        enum ring_status st = ring_pop(&ca.v, &h, &v, sizeof v);
        if (st == RING_EMPTY)
            continue;
        CHECK_EQ(st, RING_OK);
        CHECK_EQ(v, expect);
        CHECK_EQ(h.id, expect);
        expect++;
    }
    pthread_join(t, 0);
    free(mem);
}
