/*
 * reticle.c: see reticle.h. Pure arithmetic on the header; the syscall
 * that uses it (retype) is in object.c.
 */
#include "core/reticle.h"
#include "arch.h"

#define MAX_DEVICE_RETICLES 8
static struct reticle device_headers[MAX_DEVICE_RETICLES];
static unsigned ndevice;

struct reticle *reticle_init(paddr_t base, uint64_t size)
{
    KASSERT(base % PAGE_SIZE == 0 && size % PAGE_SIZE == 0 && size > V_RETICLE_HEADER);
    struct reticle *r = arch_phys_to_virt(base);
    memset(r, 0, V_RETICLE_HEADER);
    r->base = base;
    r->size = size;
    r->watermark = V_RETICLE_HEADER;
    return r;
}

struct reticle *reticle_init_device(paddr_t base, uint64_t size)
{
    if (ndevice == MAX_DEVICE_RETICLES)
        return 0;
    struct reticle *r = &device_headers[ndevice++];
    r->base = base;
    r->size = size;
    r->watermark = 0;
    r->device = 1;
    return r;
}

paddr_t reticle_fit(const struct reticle *r, uint64_t size, uint64_t align, uint64_t *pad)
{
    uint64_t start = r->base + r->watermark;
    uint64_t at = ALIGN_UP(start, align);
    if (size == 0 || at < start || at - r->base > r->size || size > r->size - (at - r->base))
        return 0;
    *pad = at - start;
    return at;
}

paddr_t reticle_take(struct reticle *r, uint64_t size, uint64_t align, uint64_t *pad)
{
    paddr_t at = reticle_fit(r, size, align, pad);
    KASSERT(at);
    r->watermark = at + size - r->base;
    r->live++;
    if (!r->device)
        memset(arch_phys_to_virt(at), 0, size);
    return at;
}

void reticle_release(struct reticle *r, paddr_t at, uint64_t size, uint64_t pad)
{
    if (!r || r->dead)
        return;
    KASSERT(r->live > 0);
    r->live--;
    if (r->live == 0)
        r->watermark = r->device ? 0 : V_RETICLE_HEADER;
    else if (at + size - r->base == r->watermark)
        r->watermark = at - pad - r->base;
}
