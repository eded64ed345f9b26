/*
 * virtq.c: see virtq.h.
 */
#include "virtio/virtq.h"

#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD_RLX(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)

enum { SLOT_FREE = 0, SLOT_HEAD = 1, SLOT_BODY = 2 };

const char *virtq_err_name(enum virtq_err e)
{
    static const char *const names[] = {
        "VIRTQ_OK", "VIRTQ_EINVAL", "VIRTQ_EFULL", "VIRTQ_EMPTY", "VIRTQ_EBROKEN",
        "VIRTQ_EDEV_IDX", "VIRTQ_EDEV_ID", "VIRTQ_EDEV_NOTINFLIGHT", "VIRTQ_EDEV_LEN",
    };
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "VIRTQ_E?";
}

enum virtq_err virtq_layout(uint16_t size, struct virtq_layout *out)
{
    if (size == 0 || (size & (size - 1)))
        return VIRTQ_EINVAL;
    uint32_t n = size;
    out->desc_off = 0;
    out->avail_off = 16 * n;
    out->used_off = (out->avail_off + 6 + 2 * n + 3) & ~3u;
    out->total = out->used_off + 6 + 8 * n;
    return VIRTQ_OK;
}

enum virtq_err virtq_init(struct virtq *q, uint16_t size, void *mem, size_t memlen, struct virtq_slot *slot,
                          bool event_idx)
{
    struct virtq_layout l;
    if (virtq_layout(size, &l) != VIRTQ_OK || !mem || !slot || memlen < l.total ||
        ((uintptr_t)mem & 15))
        return VIRTQ_EINVAL;
    uint8_t *m = mem;
    for (uint32_t i = 0; i < l.total; i++)
        m[i] = 0;
    *q = (struct virtq){
        .size = size, .event_idx = event_idx,
        .desc = (struct virtq_desc *)(m + l.desc_off),
        .avail = (struct virtq_avail *)(m + l.avail_off),
        .used = (struct virtq_used *)(m + l.used_off),
        .slot = slot, .num_free = size, .intr_enabled = true,
    };
    q->used_event = &q->avail->ring[size];
    q->avail_event = (uint16_t *)&q->used->ring[size];
    for (uint16_t i = 0; i < size; i++)
        slot[i] = (struct virtq_slot){.next = (uint16_t)(i + 1), .state = SLOT_FREE};
    return VIRTQ_OK;
}

enum virtq_err virtq_add(struct virtq *q, const struct virtq_seg *segs, unsigned nout, unsigned nin,
                         uint64_t token, uint16_t *head)
{
    if (q->broken)
        return VIRTQ_EBROKEN;
    unsigned n = nout + nin;
    if (n == 0 || n > q->size || n < nout)
        return VIRTQ_EINVAL;
    uint64_t in_len = 0;
    for (unsigned i = 0; i < n; i++) {
        if (segs[i].len == 0)
            return VIRTQ_EINVAL;
        if (i >= nout)
            in_len += segs[i].len;
    }
    /* The device reports written bytes in 32 bits. */
    if (in_len > UINT32_MAX)
        return VIRTQ_EINVAL;
    if (n > q->num_free)
        return VIRTQ_EFULL;

    uint16_t h = q->free_head, d = h;
    for (unsigned i = 0; i < n; i++) {
        struct virtq_slot *s = &q->slot[d];
        uint16_t flags = (uint16_t)((i >= nout ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        q->desc[d] = (struct virtq_desc){segs[i].addr, segs[i].len, flags, i + 1 < n ? s->next : 0};
        s->state = i == 0 ? SLOT_HEAD : SLOT_BODY;
        if (i + 1 < n)
            d = s->next;
    }
    q->free_head = q->slot[d].next;   /* the last descriptor's free-list successor */
    q->num_free = (uint16_t)(q->num_free - n);
    q->slot[h].token = token;
    q->slot[h].in_len = (uint32_t)in_len;
    q->slot[h].ndesc = (uint16_t)n;

    STORE_RLX(&q->avail->ring[q->avail_idx & (q->size - 1)], h);
    q->avail_idx++;
    /* Descriptors and the ring entry before the index (§2.7.13.3.1). */
    STORE_REL(&q->avail->idx, q->avail_idx);
    q->inflight++;
    if (head)
        *head = h;
    return VIRTQ_OK;
}

bool virtq_kick_needed(struct virtq *q)
{
    /* The index store must be visible before we read the device's wish,
     * or the device could go to sleep on an index it never saw. */
    FENCE();
    uint16_t old = q->kicked_idx, cur = q->avail_idx;
    q->kicked_idx = cur;
    if (old == cur)
        return false;
    if (q->event_idx) {
        /* vring_need_event (§2.7.10.1): kick iff avail_event is one of the
         * indices passed since the last kick, in uint16_t arithmetic. */
        uint16_t ev = LOAD_RLX(q->avail_event);
        return (uint16_t)(cur - ev - 1) < (uint16_t)(cur - old);
    }
    return !(LOAD_RLX(&q->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
}

static enum virtq_err breaks(struct virtq *q, enum virtq_err e)
{
    q->broken = e;
    return e;
}

/* Return the chain at head h to the free list (private links only). */
static void free_chain(struct virtq *q, uint16_t h)
{
    uint16_t d = h, n = q->slot[h].ndesc;
    for (uint16_t i = 1; i < n; i++) {
        q->slot[d].state = SLOT_FREE;
        d = q->slot[d].next;
    }
    q->slot[d].state = SLOT_FREE;
    q->slot[d].next = q->free_head;
    q->free_head = h;
    q->num_free = (uint16_t)(q->num_free + n);
    q->inflight--;
}

enum virtq_err virtq_get(struct virtq *q, struct virtq_done *out)
{
    if (q->broken)
        return VIRTQ_EBROKEN;
    uint16_t idx = LOAD_ACQ(&q->used->idx);
    if (idx == q->last_used)
        return VIRTQ_EMPTY;
    if ((uint16_t)(idx - q->last_used) > q->inflight)
        return breaks(q, VIRTQ_EDEV_IDX);
    struct virtq_used_elem *e = &q->used->ring[q->last_used & (q->size - 1)];
    uint32_t id = LOAD_RLX(&e->id), len = LOAD_RLX(&e->len);
    if (id >= q->size)
        return breaks(q, VIRTQ_EDEV_ID);
    if (q->slot[id].state != SLOT_HEAD)
        return breaks(q, VIRTQ_EDEV_NOTINFLIGHT);
    if (len > q->slot[id].in_len)
        return breaks(q, VIRTQ_EDEV_LEN);
    *out = (struct virtq_done){q->slot[id].token, len, (uint16_t)id};
    free_chain(q, (uint16_t)id);
    q->last_used++;
    if (q->event_idx && q->intr_enabled)
        STORE_RLX(q->used_event, q->last_used);
    return VIRTQ_OK;
}

void virtq_disable_intr(struct virtq *q)
{
    q->intr_enabled = false;
    /* With EVENT_IDX the device ignores the flag (§2.7.10); used_event
     * is simply no longer advanced. */
    if (!q->event_idx)
        STORE_RLX(&q->avail->flags, (uint16_t)VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool virtq_enable_intr(struct virtq *q)
{
    q->intr_enabled = true;
    if (q->event_idx)
        STORE_RLX(q->used_event, q->last_used);
    else
        STORE_RLX(&q->avail->flags, (uint16_t)0);
    /* The request must be visible before we look again, or a completion
     * between our last look and the request would raise no interrupt. */
    FENCE();
    return LOAD_ACQ(&q->used->idx) != q->last_used;
}

enum virtq_err virtq_drain(struct virtq *q, struct virtq_done *out)
{
    for (; q->drain_at < q->size; q->drain_at++) {
        uint16_t h = q->drain_at;
        if (q->slot[h].state == SLOT_HEAD) {
            *out = (struct virtq_done){q->slot[h].token, 0, h};
            free_chain(q, h);
            return VIRTQ_OK;
        }
    }
    return VIRTQ_EMPTY;
}

uint16_t virtq_free_count(const struct virtq *q) { return q->num_free; }
uint16_t virtq_inflight(const struct virtq *q) { return q->inflight; }
