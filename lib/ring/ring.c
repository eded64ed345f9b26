/*
 * ring.c: see ring.h.
 */
#include "ring/ring.h"

enum ring_status ring_view_init(struct ring_view *v, void *base, size_t mapped, bool producer)
{
    struct v_ring_ctl *ctl = base;
    if (mapped < V_RING_CTL_SIZE)
        return RING_EINVAL;
    uint32_t n = RING_LOAD_RLX(&ctl->slots), sz = RING_LOAD_RLX(&ctl->slot_size);
    if (n == 0 || (n & (n - 1)) || n > (1u << V_RING_MAX_SLOTS_LOG2) ||
        sz < (1u << V_RING_SLOT_MIN_LOG2) || sz > (1u << V_RING_SLOT_MAX_LOG2) ||
        (sz & (sz - 1)) || (uint64_t)n * sz > mapped - V_RING_CTL_SIZE)
        return RING_EINVAL;
    v->ctl = ctl;
    v->slots = (uint8_t *)base + V_RING_CTL_SIZE;
    v->nslots = n;
    v->slot_size = sz;
    v->producer = producer;
    return RING_OK;
}

enum ring_status ring_push(struct ring_view *v, const struct ring_slot *hdr, const void *payload)
{
    if (hdr->len > ring_payload_max(v))
        return RING_TOOBIG;
    struct ring_slot *s;
    enum ring_status st = ring_reserve(v, &s);
    if (st != RING_OK)
        return st;
    *s = *hdr;
    ring_copy(s + 1, payload, hdr->len);
    ring_commit(v);
    return RING_OK;
}

enum ring_status ring_pop(struct ring_view *v, struct ring_slot *hdr, void *buf, size_t cap)
{
    const struct ring_slot *s;
    enum ring_status st = ring_peek(v, &s);
    if (st != RING_OK)
        return st;
    /* read the length once: the peer may change it under us */
    struct ring_slot h = *s;
    if (h.len > ring_payload_max(v))
        return RING_CORRUPT;
    if (h.len > cap)
        return RING_TOOBIG;
    ring_copy(buf, s + 1, h.len);
    *hdr = h;
    ring_release(v);
    return RING_OK;
}
