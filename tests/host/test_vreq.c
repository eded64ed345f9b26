/* test_vreq: the drivers' completion logic (lib/virtio/vreq: vreq_next,
 * vreq_drain, vreq_take, vreq_blk_result) fed by a device that writes the
 * used ring itself, honestly and with garbage: ids out of range, ids that
 * are not heads in flight, lengths past the chain, index jumps, repeats,
 * stale and forged tokens. Whatever it writes, every request the driver
 * made is answered exactly once (completed or drained), never twice. */
#include "vtest.h"
#include "vtest_util.h"
#include "virtio/virtio.h"
#include "virtio/vreq.h"

#define QN 16

static _Alignas(4096) uint8_t ring[4096];
static struct virtq_slot slots[QN];
static struct virtq q;
static struct vreq_table t;
static unsigned answered[1024];  /* by client id: how many times answered */

static void setup(void)
{
    CHECK_EQ(virtq_init(&q, QN, ring, sizeof ring, slots, false), VIRTQ_OK);
    vreq_init(&t);
    memset(answered, 0, sizeof answered);
}

/* A read as virtio-blk makes it: header, data, status; returns the head. */
static uint16_t submit(uint64_t id, uint32_t sectors)
{
    uint64_t token;
    struct vreq r = {.client_id = id, .owner = 1, .bytes = sectors * 512, .buffer = 3};
    CHECK_EQ(vreq_alloc(&t, &r, &token), VREQ_OK);
    unsigned slot = (unsigned)(token & 0xffffffffu);
    struct virtq_seg segs[3];
    unsigned nout, nin;
    CHECK_EQ(virtio_blk_segs(VIRTIO_BLK_T_IN, 0, 1 << 20, 0x1000 + 16 * slot, 0x100000,
                             sectors * 512, 0x2000 + slot, segs, &nout, &nin), VIRTIO_OK);
    uint16_t head;
    CHECK_EQ(virtq_add(&q, segs, nout, nin, token, &head), VIRTQ_OK);
    return head;
}

/* The device writes one used element and publishes it. */
static void used(uint32_t id, uint32_t len)
{
    q.used->ring[q.used->idx % QN] = (struct virtq_used_elem){id, len};
    __atomic_store_n(&q.used->idx, (uint16_t)(q.used->idx + 1), __ATOMIC_RELEASE);
}

static enum vreq_err next(uint32_t *len_out)
{
    struct vreq r;
    unsigned slot;
    uint32_t len;
    enum vreq_err e = vreq_next(&t, &q, &r, &slot, &len);
    if (e == VREQ_OK) {
        CHECK(r.client_id < 1024);
        CHECK(slot < VREQ_MAX);
        CHECK(len <= r.bytes + 1);       /* lib/virtq bounded it by the chain */
        answered[r.client_id]++;
        if (len_out)
            *len_out = len;
    }
    return e;
}

static unsigned drain_all(void)
{
    struct vreq r;
    unsigned n = 0;
    while (vreq_drain(&t, &q, &r) == VREQ_OK) {
        answered[r.client_id]++;
        n++;
    }
    CHECK_EQ(t.live, 0);
    return n;
}

static void all_once(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        CHECK_EQ(answered[i], 1);
    for (unsigned i = n; i < 1024; i++)
        CHECK_EQ(answered[i], 0);
}

TEST(vreq_honest_out_of_order)
{
    setup();
    uint16_t h[5];
    for (unsigned i = 0; i < 5; i++)
        h[i] = submit(i, 1 + i);
    CHECK_EQ(t.live, 5);
    static const unsigned order[] = {3, 0, 4, 1, 2};
    for (unsigned k = 0; k < 5; k++) {
        used(h[order[k]], 512 * (1 + order[k]) + 1);
        uint32_t len = 0;
        CHECK_EQ(next(&len), VREQ_OK);
        CHECK_EQ(len, 512 * (1 + order[k]) + 1);
    }
    CHECK_EQ(next(0), VREQ_EMPTY);
    CHECK_EQ(t.live, 0);
    CHECK_EQ(drain_all(), 0);
    all_once(5);
}

/* Each lie breaks the queue; what was in flight is drained, once. */
TEST(vreq_device_garbage)
{
    enum { ID_RANGE, NOT_HEAD, LEN, IDX_JUMP, REPEAT, NKIND };
    for (int kind = 0; kind < NKIND; kind++) {
        setup();
        uint16_t h[4];
        for (unsigned i = 0; i < 4; i++)
            h[i] = submit(i, 2);
        used(h[1], 1025);                /* one honest completion first */
        CHECK_EQ(next(0), VREQ_OK);
        switch (kind) {
        case ID_RANGE:
            used(QN + 7, 1);
            break;
        case NOT_HEAD:
            used((uint32_t)(h[0] + 1) % QN, 1);   /* the data descriptor of chain 0 */
            break;
        case LEN:
            used(h[2], 2 * 512 + 2);     /* one byte more than the chain can take */
            break;
        case IDX_JUMP:
            __atomic_store_n(&q.used->idx, (uint16_t)(q.used->idx + 9), __ATOMIC_RELEASE);
            break;
        case REPEAT:
            used(h[1], 1025);            /* already completed */
            break;
        }
        CHECK_EQ(next(0), VREQ_EDEVICE);
        used(h[3], 1025);                /* an honest one after the lie: too late */
        CHECK_EQ(next(0), VREQ_EDEVICE);
        CHECK_EQ(drain_all(), 3);
        all_once(4);
    }
}

TEST(vreq_tokens_forged_stale_twice)
{
    setup();
    struct vreq r = {.client_id = 9}, out;
    uint64_t a, b;
    CHECK_EQ(vreq_take(&t, 0, &out), VREQ_ETOKEN);
    CHECK_EQ(vreq_alloc(&t, &r, &a), VREQ_OK);
    CHECK_EQ(vreq_take(&t, a + VREQ_MAX, &out), VREQ_ETOKEN);       /* slot out of range */
    CHECK_EQ(vreq_take(&t, a ^ (1ull << 40), &out), VREQ_ETOKEN);   /* wrong generation */
    CHECK_EQ(vreq_take(&t, a & 0xffffffffu, &out), VREQ_ETOKEN);    /* generation 0 */
    CHECK_EQ(vreq_take(&t, a, &out), VREQ_OK);
    CHECK_EQ(out.client_id, 9);
    CHECK_EQ(vreq_take(&t, a, &out), VREQ_ETOKEN);                  /* twice */
    CHECK_EQ(vreq_alloc(&t, &r, &b), VREQ_OK);                      /* the slot again */
    CHECK_EQ(a & 0xffffffffu, b & 0xffffffffu);
    CHECK_EQ(vreq_take(&t, a, &out), VREQ_ETOKEN);                  /* stale */
    CHECK_EQ(vreq_take(&t, b, &out), VREQ_OK);
    for (unsigned i = 0; i < VREQ_MAX; i++)
        CHECK_EQ(vreq_alloc(&t, &r, &a), VREQ_OK);
    CHECK_EQ(vreq_alloc(&t, &r, &a), VREQ_EFULL);
    CHECK_EQ(t.live, VREQ_MAX);
}

TEST(vreq_owners_and_buffers)
{
    setup();
    uint64_t tok[3];
    struct vreq a = {.owner = 1, .buffer = 1}, b = {.owner = 1, .buffer = 2}, c = {.owner = 2, .buffer = 1};
    CHECK_EQ(vreq_alloc(&t, &a, &tok[0]), VREQ_OK);
    CHECK_EQ(vreq_alloc(&t, &b, &tok[1]), VREQ_OK);
    CHECK_EQ(vreq_alloc(&t, &c, &tok[2]), VREQ_OK);
    CHECK_EQ(vreq_of(&t, 1), 2);
    CHECK_EQ(vreq_using(&t, 1, 1), 1);
    CHECK_EQ(vreq_using(&t, 2, 2), 0);
    struct vreq out;
    CHECK_EQ(vreq_take(&t, tok[0], &out), VREQ_OK);
    CHECK_EQ(vreq_using(&t, 1, 1), 0);
    CHECK_EQ(vreq_of(&t, 1), 1);
    /* not in the queue at all: drain frees them too */
    CHECK_EQ(drain_all(), 2);
}

TEST(vreq_blk_status_bytes)
{
    for (unsigned s = 0; s < 256; s++) {
        CHECK_EQ(vreq_blk_result((uint8_t)s, 0), VREQ_BLK_LIE);     /* no status written */
        enum vreq_blk want = s == 0 ? VREQ_BLK_OK : s == 1 ? VREQ_BLK_IOERR
                             : s == 2 ? VREQ_BLK_UNSUPP : VREQ_BLK_LIE;
        CHECK_EQ(vreq_blk_result((uint8_t)s, 513), want);
    }
}

/* Honest traffic with random lies: exactly once, every time. */
TEST(vreq_random_lies)
{
    uint64_t rng = 0x5eed;
    for (unsigned round = 0; round < 2000; round++) {
        setup();
        unsigned n = 0;
        uint16_t head[8];
        unsigned live[8], nlive = 0;
        for (unsigned i = 0; i < 1 + vtest_xorshift64(&rng) % 5; i++) {
            head[n] = submit(n, 1);
            live[nlive++] = n++;
        }
        bool broken = false;
        for (unsigned step = 0; step < 12 && nlive; step++) {
            uint64_t x = vtest_xorshift64(&rng);
            if (x % 7 == 0) {
                used((uint32_t)(x >> 8), (uint32_t)(x >> 40));      /* anything at all */
            } else {
                unsigned k = (unsigned)(x >> 3) % nlive;
                used(head[live[k]], 513);
                live[k] = live[--nlive];
            }
            enum vreq_err e = next(0);
            if (e == VREQ_EDEVICE || broken) {
                broken = true;
                break;
            }
        }
        while (!broken && next(0) == VREQ_OK)
            ;
        drain_all();
        all_once(n);
    }
}
