/*
 * vreq.c: see vreq.h. A token is slot | generation << 32; generations
 * start at 1, so token 0 is never valid.
 */
#include "virtio/vreq.h"

void vreq_init(struct vreq_table *t)
{
    for (unsigned i = 0; i < VREQ_MAX; i++)
        t->r[i] = (struct vreq){0};
    t->gen = 0;
    t->live = 0;
}

enum vreq_err vreq_alloc(struct vreq_table *t, const struct vreq *tmpl, uint64_t *token)
{
    for (unsigned i = 0; i < VREQ_MAX; i++) {
        if (t->r[i].live)
            continue;
        if (++t->gen == 0)
            t->gen = 1;
        t->r[i] = *tmpl;
        t->r[i].live = true;
        t->r[i].gen = t->gen;
        t->live++;
        *token = (uint64_t)t->gen << 32 | i;
        return VREQ_OK;
    }
    return VREQ_EFULL;
}

enum vreq_err vreq_take(struct vreq_table *t, uint64_t token, struct vreq *out)
{
    uint64_t slot = token & 0xffffffffu;
    uint32_t gen = (uint32_t)(token >> 32);
    if (slot >= VREQ_MAX || !t->r[slot].live || t->r[slot].gen != gen || gen == 0)
        return VREQ_ETOKEN;
    *out = t->r[slot];
    t->r[slot].live = false;
    t->live--;
    return VREQ_OK;
}

unsigned vreq_using(const struct vreq_table *t, uint32_t owner, uint16_t buffer)
{
    unsigned n = 0;
    for (unsigned i = 0; i < VREQ_MAX; i++)
        n += t->r[i].live && t->r[i].owner == owner && t->r[i].buffer == buffer;
    return n;
}

unsigned vreq_of(const struct vreq_table *t, uint32_t owner)
{
    unsigned n = 0;
    for (unsigned i = 0; i < VREQ_MAX; i++)
        n += t->r[i].live && t->r[i].owner == owner;
    return n;
}

enum vreq_blk vreq_blk_result(uint8_t status, uint32_t used_len)
{
    if (used_len == 0)
        return VREQ_BLK_LIE;
    switch (status) {
    case 0:
        return VREQ_BLK_OK;
    case 1:
        return VREQ_BLK_IOERR;
    case 2:
        return VREQ_BLK_UNSUPP;
    }
    return VREQ_BLK_LIE;
}

enum vreq_err vreq_next(struct vreq_table *t, struct virtq *q, struct vreq *out, unsigned *slot,
                        uint32_t *len)
{
    struct virtq_done d;
    enum virtq_err e = virtq_get(q, &d);
    if (e == VIRTQ_EMPTY)
        return VREQ_EMPTY;
    if (e != VIRTQ_OK || vreq_take(t, d.token, out) != VREQ_OK)
        return VREQ_EDEVICE;
    *slot = (unsigned)(d.token & 0xffffffffu);
    *len = d.len;
    return VREQ_OK;
}

enum vreq_err vreq_drain(struct vreq_table *t, struct virtq *q, struct vreq *out)
{
    struct virtq_done d;
    while (virtq_drain(q, &d) == VIRTQ_OK)
        if (vreq_take(t, d.token, out) == VREQ_OK)
            return VREQ_OK;
    /* a request the queue does not hold (it was never added): freed too */
    for (unsigned i = 0; i < VREQ_MAX; i++)
        if (t->r[i].live) {
            *out = t->r[i];
            t->r[i].live = false;
            t->live--;
            return VREQ_OK;
        }
    return VREQ_EMPTY;
}
