/* test_virtq: lib/virtio's split virtqueue against a simulated device
 * written here: one that follows §2.7 (in order and out of order, in one
 * thread and racing in another, across 2^16 index wrap-around), and one
 * that lies about ids, lengths and indices on purpose. */
#include "vtest.h"
#include "vtest_util.h"
#include "virtio/virtq.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

/* ---- The simulated device -------------------------------------------
 * It sees only the shared region (through the queue's pointers, as a
 * device sees guest memory) and "DMA memory": device address a is
 * dma[a - DMA_BASE]. */

#define DMA_BASE 0x100000ull
#define DMA_SIZE (1u << 20)
static uint8_t dma[DMA_SIZE];

struct sim {
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint16_t size;
    bool event_idx;
    uint16_t last_avail, used_idx;
    uint16_t held[256];       /* taken, not yet completed */
    uint32_t held_len[256];
    unsigned nheld;
    unsigned interrupts;
};

static void sim_attach(struct sim *s, const struct virtq *q)
{
    *s = (struct sim){.desc = q->desc, .avail = q->avail, .used = q->used, .size = q->size,
                      .event_idx = q->event_idx};
}

/* Walk one chain as a device does: readable then writable, bounded.
 * Writes a pattern (token-derived, from the first readable byte) into the
 * writable part; returns the bytes written, up to `limit`. */
static uint32_t sim_run_chain(struct sim *s, uint16_t head, uint32_t limit)
{
    uint16_t d = head;
    uint32_t written = 0;
    uint8_t tag = 0;
    for (unsigned hops = 0; hops < s->size; hops++) {
        struct virtq_desc x = s->desc[d];
        CHECK(x.addr >= DMA_BASE && x.addr - DMA_BASE + x.len <= DMA_SIZE);
        uint8_t *p = dma + (x.addr - DMA_BASE);
        if (x.flags & VIRTQ_DESC_F_WRITE) {
            uint32_t n = x.len < limit - written ? x.len : limit - written;
            memset(p, tag, n);
            written += n;
        } else {
            CHECK(written == 0);   /* readable segments come first */
            if (hops == 0)
                tag = p[0];
        }
        if (!(x.flags & VIRTQ_DESC_F_NEXT))
            return written;
        d = x.next;
    }
    CHECK(!"chain longer than the queue");
    return 0;
}

/* Take up to max new chains from the available ring. */
static unsigned sim_take(struct sim *s, unsigned max)
{
    uint16_t avail = __atomic_load_n(&s->avail->idx, __ATOMIC_ACQUIRE);
    unsigned n = 0;
    while (s->last_avail != avail && n < max && s->nheld < 256) {
        uint16_t head = s->avail->ring[s->last_avail & (s->size - 1)];
        CHECK(head < s->size);
        s->held[s->nheld] = head;
        s->held_len[s->nheld++] = sim_run_chain(s, head, UINT32_MAX);
        s->last_avail++;
        n++;
    }
    if (s->event_idx)
        __atomic_store_n((uint16_t *)&s->used->ring[s->size], s->last_avail, __ATOMIC_RELAXED);
    return n;
}

static void sim_put(struct sim *s, uint32_t id, uint32_t len)
{
    struct virtq_used_elem *e = &s->used->ring[s->used_idx & (s->size - 1)];
    e->id = id;
    e->len = len;
    uint16_t old = s->used_idx++;
    __atomic_store_n(&s->used->idx, s->used_idx, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (s->event_idx) {
        uint16_t ev = s->avail->ring[s->size];
        if ((uint16_t)(s->used_idx - ev - 1) < (uint16_t)(s->used_idx - old))
            s->interrupts++;
    } else if (!(s->avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT)) {
        s->interrupts++;
    }
}

/* Complete held chain i (swap-remove). */
static void sim_complete(struct sim *s, unsigned i)
{
    sim_put(s, s->held[i], s->held_len[i]);
    s->held[i] = s->held[--s->nheld];
    s->held_len[i] = s->held_len[s->nheld];
}

/* ---- Helpers ---------------------------------------------------------- */

struct qbox {
    struct virtq q;
    _Alignas(16) uint8_t mem[40000];
    struct virtq_slot slot[1024];
};

static struct qbox *qbox_new(uint16_t size, bool event_idx)
{
    struct qbox *b = calloc(1, sizeof *b);
    CHECK(b);
    CHECK_EQ(virtq_init(&b->q, size, b->mem, sizeof b->mem, b->slot, event_idx), VIRTQ_OK);
    return b;
}

/* A request of nout readable 16-byte segments and nin writable ones of
 * inlen bytes, at a distinct DMA place per token; byte 0 = tag. */
static enum virtq_err post(struct virtq *q, uint64_t token, unsigned nout, unsigned nin, uint32_t inlen)
{
    struct virtq_seg segs[8];
    uint64_t base = DMA_BASE + (token % 1024) * 1024;
    for (unsigned i = 0; i < nout + nin; i++)
        segs[i] = (struct virtq_seg){base + 64 * i, i < nout ? 16 : inlen};
    if (nout)
        dma[base - DMA_BASE] = (uint8_t)(token * 7 + 1);
    return virtq_add(q, segs, nout, nin, token, NULL);
}

TEST(layout_sizes)
{
    struct virtq_layout l;
    CHECK_EQ(virtq_layout(256, &l), VIRTQ_OK);
    CHECK_EQ(l.avail_off, 4096);
    CHECK_EQ(l.used_off, 4616);          /* 4096 + 6 + 512, rounded up to 4 */
    CHECK_EQ(l.total, 4616 + 6 + 8 * 256);
    CHECK_EQ(virtq_layout(1, &l), VIRTQ_OK);
    CHECK_EQ(l.used_off, 24);
    CHECK_EQ(l.total, 38);
    CHECK_EQ(virtq_layout(32768, &l), VIRTQ_OK);
    CHECK_EQ(l.total, 16u * 32768 + 65542 + 2 + 6 + 8u * 32768);
    CHECK_EQ(virtq_layout(0, &l), VIRTQ_EINVAL);
    CHECK_EQ(virtq_layout(3, &l), VIRTQ_EINVAL);
    CHECK_EQ(virtq_layout(384, &l), VIRTQ_EINVAL);
    struct virtq q;
    struct virtq_slot slot[8];
    _Alignas(16) static uint8_t mem[512];
    CHECK_EQ(virtq_init(&q, 8, mem, 8 * 16 + 6 + 16 + 2 + 6 + 64 - 1, slot, false), VIRTQ_EINVAL);
    CHECK_EQ(virtq_init(&q, 8, mem + 8, 400, slot, false), VIRTQ_EINVAL);   /* misaligned */
    CHECK_EQ(virtq_init(&q, 8, mem, 512, NULL, false), VIRTQ_EINVAL);
    CHECK_EQ(virtq_init(&q, 8, mem, 512, slot, false), VIRTQ_OK);
}

TEST(round_trip)
{
    struct qbox *b = qbox_new(8, false);
    struct sim s;
    sim_attach(&s, &b->q);
    uint16_t head;
    struct virtq_seg segs[3] = {{DMA_BASE, 16}, {DMA_BASE + 512, 512}, {DMA_BASE + 1024, 1}};
    dma[0] = 0x5a;
    CHECK_EQ(virtq_add(&b->q, segs, 1, 2, 42, &head), VIRTQ_OK);
    CHECK_EQ(virtq_free_count(&b->q), 5);
    CHECK_EQ(virtq_inflight(&b->q), 1);
    CHECK(virtq_kick_needed(&b->q));
    CHECK(!virtq_kick_needed(&b->q));          /* nothing new since */
    /* What the device sees, byte for byte. */
    CHECK_EQ(b->q.avail->idx, 1);
    CHECK_EQ(b->q.avail->ring[0], head);
    CHECK_EQ(b->q.desc[head].flags, VIRTQ_DESC_F_NEXT);
    CHECK_EQ(b->q.desc[head].len, 16);
    uint16_t d1 = b->q.desc[head].next, d2 = b->q.desc[d1].next;
    CHECK_EQ(b->q.desc[d1].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
    CHECK_EQ(b->q.desc[d2].flags, VIRTQ_DESC_F_WRITE);
    CHECK_EQ(b->q.desc[d2].addr, DMA_BASE + 1024);

    struct virtq_done done;
    CHECK_EQ(virtq_get(&b->q, &done), VIRTQ_EMPTY);
    CHECK_EQ(sim_take(&s, 8), 1);
    sim_complete(&s, 0);
    CHECK_EQ(s.interrupts, 1);
    CHECK_EQ(virtq_get(&b->q, &done), VIRTQ_OK);
    CHECK_EQ(done.token, 42);
    CHECK_EQ(done.len, 513);
    CHECK_EQ(done.head, head);
    CHECK_EQ(dma[512], 0x5a);
    CHECK_EQ(virtq_free_count(&b->q), 8);
    CHECK_EQ(virtq_inflight(&b->q), 0);
    CHECK_EQ(virtq_get(&b->q, &done), VIRTQ_EMPTY);
    free(b);
}

TEST(add_refusals)
{
    struct qbox *b = qbox_new(4, false);
    struct virtq_seg segs[5] = {{DMA_BASE, 8}, {DMA_BASE, 8}, {DMA_BASE, 8}, {DMA_BASE, 8}, {DMA_BASE, 8}};
    CHECK_EQ(virtq_add(&b->q, segs, 0, 0, 1, NULL), VIRTQ_EINVAL);
    CHECK_EQ(virtq_add(&b->q, segs, 3, 2, 1, NULL), VIRTQ_EINVAL);     /* longer than the queue */
    CHECK_EQ(virtq_add(&b->q, segs, ~0u, 2, 1, NULL), VIRTQ_EINVAL);   /* count overflow */
    struct virtq_seg zero[2] = {{DMA_BASE, 8}, {DMA_BASE, 0}};
    CHECK_EQ(virtq_add(&b->q, zero, 1, 1, 1, NULL), VIRTQ_EINVAL);
    struct virtq_seg huge[2] = {{DMA_BASE, 0xffffffffu}, {DMA_BASE, 2}};
    CHECK_EQ(virtq_add(&b->q, huge, 0, 2, 1, NULL), VIRTQ_EINVAL);     /* > 2^32 writable bytes */
    CHECK_EQ(virtq_add(&b->q, segs, 3, 0, 1, NULL), VIRTQ_OK);
    CHECK_EQ(virtq_add(&b->q, segs, 1, 1, 2, NULL), VIRTQ_EFULL);
    CHECK_EQ(virtq_add(&b->q, segs, 1, 0, 2, NULL), VIRTQ_OK);
    CHECK_EQ(virtq_add(&b->q, segs, 1, 0, 3, NULL), VIRTQ_EFULL);
    /* Refusals changed nothing the device can see. */
    CHECK_EQ(b->q.avail->idx, 2);
    CHECK_EQ(virtq_inflight(&b->q), 2);
    free(b);
}

/* Many requests through small queues, completed in random order in random
 * batches, until the 16-bit indices have wrapped several times; each token
 * completes exactly once with the length the device wrote. */
static void churn(uint16_t size, bool event_idx, uint64_t seed, unsigned total)
{
    struct qbox *b = qbox_new(size, event_idx);
    struct sim s;
    sim_attach(&s, &b->q);
    uint64_t rng = seed;
    static uint8_t outstanding[1 << 20];
    static uint32_t want[1 << 20];
    memset(outstanding, 0, sizeof outstanding);
    uint64_t next = 0, done_n = 0;
    unsigned kicks = 0;
    while (done_n < total) {
        unsigned adds = (unsigned)(vtest_xorshift64(&rng) % (size + 1));
        for (unsigned i = 0; i < adds && next < total; i++) {
            unsigned nout = (unsigned)(vtest_xorshift64(&rng) % 3);
            unsigned nin = (unsigned)(vtest_xorshift64(&rng) % 3) + (nout == 0);
            if (nout + nin > size)
                nout = 0, nin = 1;
            uint32_t inlen = 1 + (uint32_t)(vtest_xorshift64(&rng) % 48);
            enum virtq_err e = post(&b->q, next, nout, nin, inlen);
            if (e == VIRTQ_EFULL)
                break;
            CHECK_EQ(e, VIRTQ_OK);
            outstanding[next] = 1;
            want[next] = nin * inlen;
            next++;
        }
        kicks += virtq_kick_needed(&b->q);
        sim_take(&s, (unsigned)(vtest_xorshift64(&rng) % (size + 1)));
        unsigned comp = s.nheld ? (unsigned)(vtest_xorshift64(&rng) % (s.nheld + 1)) : 0;
        for (unsigned i = 0; i < comp; i++)
            sim_complete(&s, (unsigned)(vtest_xorshift64(&rng) % s.nheld));
        struct virtq_done d;
        enum virtq_err e;
        while ((e = virtq_get(&b->q, &d)) == VIRTQ_OK) {
            CHECK(d.token < next);
            CHECK_EQ(outstanding[d.token], 1);
            outstanding[d.token] = 0;
            CHECK_EQ(d.len, want[d.token]);
            done_n++;
        }
        CHECK_EQ(e, VIRTQ_EMPTY);
    }
    CHECK_EQ(virtq_inflight(&b->q), 0);
    CHECK_EQ(virtq_free_count(&b->q), size);
    CHECK(b->q.avail->idx == (uint16_t)total);
    CHECK(total > 65536 * 2);            /* wrapped at least twice */
    CHECK(kicks > 0);
    free(b);
}

TEST(wraps_past_2_16_out_of_order)
{
    churn(4, false, 11, 140000);
    churn(16, false, 12, 140000);
}

TEST(wraps_past_2_16_event_idx)
{
    churn(8, true, 13, 140000);
    churn(1, true, 14, 140000);
}

TEST(kick_decision_flags)
{
    struct qbox *b = qbox_new(8, false);
    CHECK_EQ(post(&b->q, 1, 1, 0, 0), VIRTQ_OK);
    b->q.used->flags = VIRTQ_USED_F_NO_NOTIFY;
    CHECK(!virtq_kick_needed(&b->q));
    CHECK_EQ(post(&b->q, 2, 1, 0, 0), VIRTQ_OK);
    b->q.used->flags = 0;
    CHECK(virtq_kick_needed(&b->q));
    free(b);
}

TEST(kick_decision_event_idx)
{
    struct qbox *b = qbox_new(8, true);
    uint16_t *avail_event = b->q.avail_event;
    /* The device wants a kick when it sees index 2 published (i.e. once
     * the entry at ring index 2 is added). */
    *avail_event = 2;
    CHECK_EQ(post(&b->q, 1, 1, 0, 0), VIRTQ_OK);   /* idx 0 -> 1 */
    CHECK(!virtq_kick_needed(&b->q));
    CHECK_EQ(post(&b->q, 2, 1, 0, 0), VIRTQ_OK);   /* 1 -> 2 */
    CHECK(!virtq_kick_needed(&b->q));
    CHECK_EQ(post(&b->q, 3, 1, 0, 0), VIRTQ_OK);   /* 2 -> 3: passes entry 2 */
    CHECK(virtq_kick_needed(&b->q));
    /* Batches: one decision for several adds that jump over the event. */
    *avail_event = 4;
    CHECK_EQ(post(&b->q, 4, 1, 0, 0), VIRTQ_OK);
    CHECK_EQ(post(&b->q, 5, 1, 0, 0), VIRTQ_OK);   /* 3 -> 5 passes 4 */
    CHECK(virtq_kick_needed(&b->q));
    /* Around the wrap: event 0xffff with indices 0xfffe -> 0x0001. */
    b->q.avail_idx = b->q.kicked_idx = 0xfffe;
    *avail_event = 0xffff;
    b->q.avail_idx = 1;
    CHECK(virtq_kick_needed(&b->q));
    b->q.avail_idx = 2;
    *avail_event = 0xffff;
    CHECK(!virtq_kick_needed(&b->q));
    free(b);
}

TEST(interrupt_suppression)
{
    struct qbox *b = qbox_new(8, false);
    struct sim s;
    sim_attach(&s, &b->q);
    virtq_disable_intr(&b->q);
    CHECK_EQ(b->q.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
    CHECK_EQ(post(&b->q, 1, 0, 1, 8), VIRTQ_OK);
    sim_take(&s, 8);
    sim_complete(&s, 0);
    CHECK_EQ(s.interrupts, 0);
    /* A completion slipped in while interrupts were off: enable says so. */
    CHECK(virtq_enable_intr(&b->q));
    CHECK_EQ(b->q.avail->flags, 0);
    struct virtq_done d;
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_OK);
    CHECK(!virtq_enable_intr(&b->q));
    free(b);

    /* EVENT_IDX: used_event follows the harvest; the device interrupts
     * once per crossing, not per completion. */
    b = qbox_new(8, true);
    sim_attach(&s, &b->q);
    for (uint64_t t = 0; t < 4; t++)
        CHECK_EQ(post(&b->q, t, 0, 1, 8), VIRTQ_OK);
    sim_take(&s, 8);
    for (int i = 0; i < 4; i++)
        sim_complete(&s, 0);
    CHECK_EQ(s.interrupts, 1);       /* used_event was 0: only the first crossing */
    for (int i = 0; i < 4; i++)
        CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_OK);
    CHECK_EQ(*b->q.used_event, 4);
    virtq_disable_intr(&b->q);
    CHECK_EQ(post(&b->q, 9, 0, 1, 8), VIRTQ_OK);
    sim_take(&s, 8);
    sim_complete(&s, 0);
    CHECK_EQ(s.interrupts, 2);       /* crossing 4 still asked for */
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_OK);
    CHECK_EQ(*b->q.used_event, 4);   /* not advanced while disabled */
    CHECK(!virtq_enable_intr(&b->q));
    CHECK_EQ(*b->q.used_event, 5);
    free(b);
}

/* ---- A device that lies ----------------------------------------------- */

/* Set up 3 requests in flight (tokens 10, 11, 12 at heads 0, 2, 4: two
 * descriptors each, 100 writable bytes). */
static struct qbox *three_in_flight(struct sim *s)
{
    struct qbox *b = qbox_new(8, false);
    sim_attach(s, &b->q);
    for (uint64_t t = 10; t < 13; t++)
        CHECK_EQ(post(&b->q, t, 1, 1, 100), VIRTQ_OK);
    CHECK_EQ(sim_take(s, 8), 3);
    return b;
}

/* After the device broke the queue: everything is EBROKEN, and after the
 * reset drain returns each request still in flight exactly once. */
static void check_broken_then_drain(struct qbox *b, unsigned expect_inflight)
{
    struct virtq_done d;
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EBROKEN);
    CHECK_EQ(post(&b->q, 99, 1, 0, 0), VIRTQ_EBROKEN);
    CHECK_EQ(virtq_inflight(&b->q), expect_inflight);
    unsigned seen = 0, n = 0;
    while (virtq_drain(&b->q, &d) == VIRTQ_OK) {
        CHECK(d.token >= 10 && d.token < 13);
        CHECK(!(seen & (1u << (d.token - 10))));
        seen |= 1u << (d.token - 10);
        n++;
    }
    CHECK_EQ(n, expect_inflight);
    CHECK_EQ(virtq_free_count(&b->q), 8);
    CHECK_EQ(virtq_drain(&b->q, &d), VIRTQ_EMPTY);
}

TEST(hostile_id_out_of_range)
{
    struct sim s;
    struct qbox *b = three_in_flight(&s);
    sim_put(&s, 8, 0);
    struct virtq_done d;
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_ID);
    check_broken_then_drain(b, 3);
    free(b);
    b = three_in_flight(&s);
    sim_put(&s, 0xffffffffu, 0);
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_ID);
    free(b);
}

TEST(hostile_completes_twice)
{
    struct sim s;
    struct qbox *b = three_in_flight(&s);
    struct virtq_done d;
    sim_put(&s, 2, 10);
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_OK);
    CHECK_EQ(d.token, 11);
    sim_put(&s, 2, 10);                        /* the same chain again */
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_NOTINFLIGHT);
    check_broken_then_drain(b, 2);
    free(b);
}

TEST(hostile_id_not_a_head)
{
    struct sim s;
    struct qbox *b = three_in_flight(&s);
    struct virtq_done d;
    sim_put(&s, 1, 10);                        /* the body of token 10's chain */
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_NOTINFLIGHT);
    free(b);
    b = three_in_flight(&s);
    sim_put(&s, 7, 10);                        /* a free descriptor */
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_NOTINFLIGHT);
    check_broken_then_drain(b, 3);
    free(b);
}

TEST(hostile_garbage_length)
{
    struct sim s;
    struct qbox *b = three_in_flight(&s);
    struct virtq_done d;
    sim_put(&s, 0, 100);                       /* exactly the writable bytes: fine */
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_OK);
    CHECK_EQ(d.len, 100);
    sim_put(&s, 2, 101);
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_LEN);
    check_broken_then_drain(b, 2);             /* the liar's request is failed, not completed */
    free(b);
    b = three_in_flight(&s);
    sim_put(&s, 4, 0xffffffffu);
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_LEN);
    free(b);
}

TEST(hostile_index_jumps)
{
    struct sim s;
    struct qbox *b = three_in_flight(&s);
    struct virtq_done d;
    /* Four used entries for three requests in flight. */
    b->q.used->idx = 4;
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_IDX);
    check_broken_then_drain(b, 3);
    free(b);
    /* Backwards by one is a jump of 65535. */
    b = three_in_flight(&s);
    b->q.used->idx = 0xffff;
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_IDX);
    free(b);
    /* A valid index over a stale slot: the zeroed ring says id 0, which is
     * in flight; the library cannot know it is stale, but it completes it
     * once, and the next stale read (id 0 again) is refused. */
    b = three_in_flight(&s);
    b->q.used->idx = 2;
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_OK);
    CHECK_EQ(d.token, 10);
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_NOTINFLIGHT);
    check_broken_then_drain(b, 2);
    free(b);
}

TEST(reinit_after_drain)
{
    struct sim s;
    struct qbox *b = three_in_flight(&s);
    sim_put(&s, 9, 0);
    struct virtq_done d;
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_EDEV_ID);
    while (virtq_drain(&b->q, &d) == VIRTQ_OK)
        ;
    CHECK_EQ(virtq_init(&b->q, 8, b->mem, sizeof b->mem, b->slot, false), VIRTQ_OK);
    sim_attach(&s, &b->q);
    CHECK_EQ(post(&b->q, 1, 1, 1, 8), VIRTQ_OK);
    sim_take(&s, 1);
    sim_complete(&s, 0);
    CHECK_EQ(virtq_get(&b->q, &d), VIRTQ_OK);
    CHECK_EQ(d.token, 1);
    free(b);
}

/* Random lies mixed into honest traffic: the library either completes a
 * request it really had in flight (once) or names an error, then drains
 * every remaining request exactly once. */
TEST(random_lies_never_double_complete)
{
    uint64_t rng = 0xbadd;
    for (int round = 0; round < 300; round++) {
        struct qbox *b = qbox_new(8, round & 1);
        struct sim s;
        sim_attach(&s, &b->q);
        uint8_t state[4096] = {0};   /* 1 in flight, 2 done, 3 drained */
        uint64_t next = 0;
        enum virtq_err e = VIRTQ_OK;
        for (int step = 0; step < 200 && e != VIRTQ_EBROKEN; step++) {
            while (next < 4096 && post(&b->q, next, 1, 1, 32) == VIRTQ_OK)
                state[next++] = 1;
            sim_take(&s, 8);
            if (vtest_xorshift64(&rng) % 8 == 0) {
                uint32_t id = (uint32_t)(vtest_xorshift64(&rng) % 12);
                uint32_t len = (uint32_t)(vtest_xorshift64(&rng) % 40);
                if (vtest_xorshift64(&rng) % 2)
                    sim_put(&s, id, len);
                else
                    b->q.used->idx = (uint16_t)(b->q.used->idx + vtest_xorshift64(&rng) % 11);
            } else if (s.nheld) {
                sim_complete(&s, (unsigned)(vtest_xorshift64(&rng) % s.nheld));
            }
            struct virtq_done d;
            while ((e = virtq_get(&b->q, &d)) == VIRTQ_OK) {
                CHECK(d.token < next);
                CHECK_EQ(state[d.token], 1);
                CHECK(d.len <= 32);
                state[d.token] = 2;
            }
            CHECK(e == VIRTQ_EMPTY || e >= VIRTQ_EDEV_IDX || e == VIRTQ_EBROKEN);
            if (e >= VIRTQ_EDEV_IDX)
                e = VIRTQ_EBROKEN;
        }
        struct virtq_done d;
        while (virtq_drain(&b->q, &d) == VIRTQ_OK) {
            CHECK_EQ(state[d.token], 1);
            state[d.token] = 3;
        }
        for (uint64_t t = 0; t < next; t++)
            CHECK(state[t] == 2 || state[t] == 3);
        CHECK_EQ(virtq_free_count(&b->q), 8);
        free(b);
    }
}

/* ---- Racing device on another thread ---------------------------------
 * The device polls the available ring when kicked (and parks with
 * notifications re-enabled otherwise); the driver sleeps only after
 * virtq_enable_intr says nothing is pending. A lost wake-up on either
 * side would stall the run: the spin budget turns that into a failure. */

struct race {
    struct qbox *b;
    struct sim s;
    unsigned total;
    int kicks, irqs;          /* atomic counters: doorbell and interrupt */
    int stop;
    unsigned device_stalls;
};

static void race_device_enable_notify(struct race *r)
{
    struct sim *s = &r->s;
    if (s->event_idx)
        __atomic_store_n((uint16_t *)&s->used->ring[s->size], s->last_avail, __ATOMIC_RELAXED);
    else
        __atomic_store_n(&s->used->flags, (uint16_t)0, __ATOMIC_RELAXED);
}

/* A wait for the other thread that gives the CPU away while it spins
 * (the machine may have fewer free cores than threads) and gives up only
 * after 20 s of wall time without progress: a lost wake-up, not a slow
 * machine. */
static bool stalled(struct timespec *since, unsigned long *spins)
{
    if (++*spins % 1024)
        return false;
    sched_yield();
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (since->tv_sec == 0) {
        *since = now;
        return false;
    }
    return now.tv_sec - since->tv_sec > 20;
}

static void *race_device(void *arg)
{
    struct race *r = arg;
    struct sim *s = &r->s;
    int seen_kicks = 0;
    uint64_t rng = 77;
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        if (!s->event_idx)
            __atomic_store_n(&s->used->flags, (uint16_t)VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
        sim_take(s, 1 + (unsigned)(vtest_xorshift64(&rng) % 4));
        while (s->nheld) {
            unsigned before = s->interrupts;
            sim_complete(s, (unsigned)(vtest_xorshift64(&rng) % s->nheld));
            if (s->interrupts != before)
                __atomic_fetch_add(&r->irqs, 1, __ATOMIC_RELEASE);
        }
        /* Park: ask for kicks, re-check, then wait for one. */
        race_device_enable_notify(r);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(&s->avail->idx, __ATOMIC_ACQUIRE) != s->last_avail)
            continue;
        unsigned long spins = 0;
        struct timespec since = {0, 0};
        while (__atomic_load_n(&r->kicks, __ATOMIC_ACQUIRE) == seen_kicks &&
               !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
            if (stalled(&since, &spins)) {
                r->device_stalls++;
                return NULL;
            }
        seen_kicks = __atomic_load_n(&r->kicks, __ATOMIC_ACQUIRE);
    }
    return NULL;
}

static void race_run(uint16_t size, bool event_idx, unsigned total)
{
    struct race r = {.b = qbox_new(size, event_idx), .total = total};
    sim_attach(&r.s, &r.b->q);
    struct virtq *q = &r.b->q;
    uint8_t *done = calloc(total, 1);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, race_device, &r) == 0);
    uint64_t next = 0, ndone = 0;
    int seen_irqs = 0;
    bool ok = true;
    while (ndone < total && ok) {
        while (next < total && post(q, next, 1, 1, 16) == VIRTQ_OK)
            next++;
        if (virtq_kick_needed(q))
            __atomic_fetch_add(&r.kicks, 1, __ATOMIC_RELEASE);
        virtq_disable_intr(q);
        struct virtq_done d;
        enum virtq_err e;
        bool got = false;
        while ((e = virtq_get(q, &d)) == VIRTQ_OK) {
            if (d.token >= next || done[d.token] || d.len != 16)
                ok = false;
            done[d.token] = 1;
            ndone++;
            got = true;
        }
        if (e != VIRTQ_EMPTY)
            ok = false;
        if (got || virtq_enable_intr(q))
            continue;
        /* Sleep until an interrupt. */
        unsigned long spins = 0;
        struct timespec since = {0, 0};
        while (__atomic_load_n(&r.irqs, __ATOMIC_ACQUIRE) == seen_irqs)
            if (stalled(&since, &spins)) {
                ok = false;
                break;
            }
        seen_irqs = __atomic_load_n(&r.irqs, __ATOMIC_ACQUIRE);
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    CHECK(ok);
    CHECK_EQ(r.device_stalls, 0);
    CHECK_EQ(ndone, total);
    CHECK_EQ(virtq_inflight(q), 0);
    free(done);
    free(r.b);
}

TEST(racing_device_flags)
{
    race_run(8, false, 70000);
}

TEST(racing_device_event_idx)
{
    race_run(4, true, 70000);
}
