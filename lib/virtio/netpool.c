/*
 * netpool.c: see netpool.h.
 */
#include "virtio/netpool.h"

const char *netpool_err_name(enum netpool_err e)
{
    switch (e) {
    case NETPOOL_OK: return "ok";
    case NETPOOL_ERANGE: return "buffer number out of range";
    case NETPOOL_EOWNER: return "buffer not the sender's";
    case NETPOOL_ELEN: return "length out of range";
    }
    return "?";
}

int netpool_init(struct netpool *p, unsigned nrx, unsigned ntx, uint8_t owner)
{
    if (!nrx || !ntx || nrx + ntx > NETPOOL_MAX)
        return -1;
    p->nrx = (uint16_t)nrx;
    p->ntx = (uint16_t)ntx;
    p->bad = 0;
    for (unsigned i = 0; i < NETPOOL_MAX; i++)
        p->own[i] = owner;
    return 0;
}

enum netpool_err netpool_take(struct netpool *p, bool rx, unsigned b, uint8_t from, uint8_t to, int32_t len,
                              uint32_t minlen, uint32_t maxlen)
{
    enum netpool_err e = NETPOOL_OK;
    if (rx ? b >= p->nrx : b < p->nrx || b >= (unsigned)p->nrx + p->ntx)
        e = NETPOOL_ERANGE;
    else if (p->own[b] != from)
        e = NETPOOL_EOWNER;
    else if (len >= 0 && ((uint32_t)len < minlen || (uint32_t)len > maxlen))
        e = NETPOOL_ELEN;
    if (e) {
        p->bad++;
        return e;
    }
    p->own[b] = to;
    return NETPOOL_OK;
}

void netpool_get32(const uint8_t *payload, uint32_t i, unsigned *buffer, uint32_t *length)
{
    const uint8_t *q = payload + 4 * i;
    uint32_t v = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    *buffer = v >> 16;
    *length = v & 0xffff;
}

unsigned netpool_get16(const uint8_t *payload, uint32_t i)
{
    return (unsigned)payload[2 * i] | (unsigned)payload[2 * i + 1] << 8;
}

unsigned netpool_count(const struct netpool *p, uint8_t owner)
{
    unsigned n = 0;
    for (unsigned i = 0; i < (unsigned)p->nrx + p->ntx; i++)
        n += p->own[i] == owner;
    return n;
}
