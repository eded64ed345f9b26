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

/* The hole an allocation would use (index), or -1 for the watermark; the
 * first fitting hole wins, so small objects fill the gaps first. A split
 * that finds the hole list full loses its remainder (counted in lost)
 * rather than failing: whatever reticle_fit accepts, reticle_take (and
 * a run of page-sized takes within what fit accepted) can always do. */
static int plan(const struct reticle *r, uint64_t size, uint64_t align, uint64_t *at)
{
    if (size == 0 || size > r->size)
        return -2;
    for (uint32_t i = 0; i < r->nholes; i++) {
        const struct reticle_hole *h = &r->hole[i];
        uint64_t a = ALIGN_UP(r->base + h->off, align) - r->base;
        if (a < h->off || a - h->off > h->len || size > h->len - (a - h->off))
            continue;
        *at = a;
        return (int)i;
    }
    uint64_t a = ALIGN_UP(r->base + r->watermark, align) - r->base;
    if (a < r->watermark || a > r->size || size > r->size - a)
        return -2;
    *at = a;
    return -1;
}

paddr_t reticle_fit(const struct reticle *r, uint64_t size, uint64_t align)
{
    uint64_t at;
    return plan(r, size, align, &at) == -2 ? 0 : r->base + at;
}

bool reticle_plan(const struct reticle *r, uint64_t size, uint64_t align,
                  struct reticle_plan *p)
{
    p->hole = plan(r, size, align, &p->at);
    return p->hole != -2;
}

bool reticle_plan_at(const struct reticle *r, uint64_t off, uint64_t size,
                     struct reticle_plan *p)
{
    if (size == 0 || off > r->size || size > r->size - off)
        return false;
    p->at = off;
    for (uint32_t i = 0; i < r->nholes; i++) {
        const struct reticle_hole *h = &r->hole[i];
        if (off >= h->off && off + size <= h->off + h->len) {
            p->hole = (int)i;
            return true;
        }
    }
    /* No hole ends at the watermark, so a run that starts in carved
     * memory or in a hole too small for it is refused here too. */
    p->hole = -1;
    return off >= r->watermark;
}

static void remove_hole(struct reticle *r, uint32_t i)
{
    r->holes_bytes -= r->hole[i].len;
    r->hole[i] = r->hole[--r->nholes];
}

/* Add [off, off+len) as free: merged with neighbours, or lowering the
 * watermark if it ends there (which may in turn reach another hole). */
static void add_hole(struct reticle *r, uint64_t off, uint64_t len)
{
    if (!len)
        return;
    for (uint32_t i = 0; i < r->nholes;) {
        struct reticle_hole *h = &r->hole[i];
        if (h->off + h->len == off || off + len == h->off) {
            uint64_t lo = h->off < off ? h->off : off;
            len += h->len;
            off = lo;
            remove_hole(r, i);
            continue;
        }
        i++;
    }
    if (off + len == r->watermark) {
        r->watermark = off;
        return;
    }
    if (r->nholes == RETICLE_HOLES) {
        r->lost += len;
        return;
    }
    r->hole[r->nholes++] = (struct reticle_hole){off, len};
    r->holes_bytes += len;
}

paddr_t reticle_take_planned(struct reticle *r, const struct reticle_plan *p, uint64_t size,
                             bool zero)
{
    int i = p->hole;
    uint64_t at = p->at;
    if (i >= 0) {
        struct reticle_hole h = r->hole[i];
        remove_hole(r, (uint32_t)i);
        if (at > h.off)
            add_hole(r, h.off, at - h.off);
        if (at + size < h.off + h.len)
            add_hole(r, at + size, h.off + h.len - (at + size));
    } else {
        uint64_t old = r->watermark;
        r->watermark = at + size;
        if (at > old)
            add_hole(r, old, at - old);
    }
    r->live++;
    if (zero && !r->device)
        memset(arch_phys_to_virt(r->base + at), 0, size);
    return r->base + at;
}

paddr_t reticle_take_pages(struct reticle *r, const struct reticle_plan *p, unsigned n,
                           unsigned nzero)
{
    KASSERT(n > 0 && nzero <= n);
    paddr_t at = reticle_take_planned(r, p, (uint64_t)n * PAGE_SIZE, false);
    if (!r->device)
        memset(arch_phys_to_virt(at), 0, (uint64_t)nzero * PAGE_SIZE);
    r->live += n - 1;
    return at;
}

paddr_t reticle_run_next(void *ctx)
{
    struct reticle_run *run = ctx;
    if (!run->left)
        return 0;
    run->left--;
    run->next += PAGE_SIZE;
    return run->next - PAGE_SIZE;
}

paddr_t reticle_take(struct reticle *r, uint64_t size, uint64_t align)
{
    struct reticle_plan p;
    bool fits = reticle_plan(r, size, align, &p);
    KASSERT(fits);
    return reticle_take_planned(r, &p, size, true);
}

void reticle_release(struct reticle *r, paddr_t at, uint64_t size)
{
    if (!r || r->dead)
        return;
    KASSERT(r->live > 0 && at >= r->base && at + size <= r->base + r->watermark);
    r->live--;
    if (r->live == 0) {
        r->watermark = r->device ? 0 : V_RETICLE_HEADER;
        r->nholes = 0;
        r->holes_bytes = 0;
        r->lost = 0;
        return;
    }
    add_hole(r, at - r->base, size);
}
