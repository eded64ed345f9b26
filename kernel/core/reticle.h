/*
 * reticle: untyped physical memory, the only allocator.
 *
 * A Reticle is a page-aligned physical range whose first KiB holds this
 * header (device Reticles, over MMIO, keep it in a small boot-time array
 * instead). Objects are carved upward from a watermark, each aligned to
 * what it needs and zeroed; a destroyed object's range (and any alignment
 * padding skipped on the way) becomes a hole that later objects may fill.
 * Invariants:
 *   - holes are disjoint, non-adjacent, and lie below the watermark; no
 *     hole ends at the watermark (it would have lowered the watermark);
 *   - free bytes = (size - watermark) + the holes' bytes: freeing every
 *     object in any order restores the free bytes exactly;
 *   - live counts objects (and page-table pages) carved and not yet
 *     destroyed; at zero the Reticle is whole again whatever happened;
 *   - the hole list is bounded (RETICLE_HOLES): a hole that finds the list
 *     full is counted in lost, and comes back when live reaches zero;
 *   - nothing carved from a Reticle outlives it: every object's original
 *     capability is a child of the Reticle's capability.
 */
#ifndef CORE_RETICLE_H
#define CORE_RETICLE_H

#include "core/cap.h"

#define RETICLE_HOLES 58

struct reticle_hole {
    uint64_t off, len;          /* relative to base */
};

struct reticle {
    paddr_t base;               /* immutable */
    uint64_t size;              /* immutable */
    uint64_t watermark;         /* offset of the first never-used byte */
    uint64_t live;
    uint64_t holes_bytes;       /* sum of the holes' lengths */
    uint64_t lost;              /* bytes that found the hole list full */
    uint32_t nholes;
    uint8_t device;             /* immutable: MMIO, frames only, uncached, not zeroed */
    uint8_t dead;               /* its original is gone; late releases are ignored */
    struct reticle_hole hole[RETICLE_HOLES];
};
_Static_assert(sizeof(struct reticle) <= V_RETICLE_HEADER, "header fits its KiB");

/* Where an allocation of (size, align) would start, or 0 if it does not fit. */
paddr_t reticle_fit(const struct reticle *r, uint64_t size, uint64_t align);
/* Take it (after reticle_fit said yes): zeroes RAM, counts it live. */
paddr_t reticle_take(struct reticle *r, uint64_t size, uint64_t align);
/* A fit kept for the take that follows it with nothing changed in
 * between, so a call that checks everything first and takes after
 * searches the holes once. The take zeroes RAM when asked: a sub-Reticle
 * need not be (everything carved from it is zeroed then), nor a frame
 * about to be filled. */
struct reticle_plan {
    int hole;                   /* the hole used, or -1 for the watermark */
    uint64_t at;                /* offset in the Reticle */
};
bool reticle_plan(const struct reticle *r, uint64_t size, uint64_t align,
                  struct reticle_plan *p);
/* The same for exactly [off, off+size) (device Reticles: a device's
 * registers are where they are): false if any of it is carved. */
bool reticle_plan_at(const struct reticle *r, uint64_t off, uint64_t size,
                     struct reticle_plan *p);
paddr_t reticle_take_planned(struct reticle *r, const struct reticle_plan *p, uint64_t size,
                             bool zero);
/* Take n pages planned as one run of n * PAGE_SIZE, the first nzero of
 * them zeroed, counted as n live objects that are released one page at a
 * time: an operation that needs several pages checks them once and then
 * cannot fail half-way. */
paddr_t reticle_take_pages(struct reticle *r, const struct reticle_plan *p, unsigned n,
                           unsigned nzero);
/* Hands out a run taken by reticle_take_pages, one page per call (a
 * pt_alloc_fn): page tables planned whole, built one by one. */
struct reticle_run {
    paddr_t next;
    unsigned left;
};
paddr_t reticle_run_next(void *run);
void reticle_release(struct reticle *r, paddr_t at, uint64_t size);
struct reticle *reticle_init(paddr_t base, uint64_t size);
struct reticle *reticle_init_device(paddr_t base, uint64_t size);
static inline uint64_t reticle_free(const struct reticle *r)
{
    return r->size - r->watermark + r->holes_bytes;
}

#endif
