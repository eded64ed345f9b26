/*
 * reticle: untyped physical memory, the only allocator.
 *
 * A Reticle is a page-aligned physical range whose first KiB holds this
 * header (device Reticles, over MMIO, keep it in a small boot-time array
 * instead). Objects are carved upward from a watermark, each aligned to
 * what it needs and zeroed. Invariants:
 *   - watermark is in [V_RETICLE_HEADER, size] and only grows by retype;
 *   - live counts objects (and page-table pages) carved and not yet
 *     destroyed; when it reaches zero the watermark returns to the start,
 *     so a Reticle whose objects are all gone is whole again;
 *   - freeing the most recent object (the one ending at the watermark)
 *     lowers the watermark to where that object's allocation began, so
 *     create-destroy cycles in LIFO order cost nothing;
 *   - nothing carved from a Reticle outlives it: every object's original
 *     capability is a child of the Reticle's capability.
 */
#ifndef CORE_RETICLE_H
#define CORE_RETICLE_H

#include "core/cap.h"

struct reticle {
    paddr_t base;               /* immutable */
    uint64_t size;              /* immutable */
    uint64_t watermark;
    uint64_t live;
    uint8_t device;             /* immutable: MMIO, frames only, uncached, not zeroed */
    uint8_t dead;               /* its original is gone; late releases are ignored */
};

/* Where an allocation of (size, align) would start, or 0 if it does not fit. */
paddr_t reticle_fit(const struct reticle *r, uint64_t size, uint64_t align, uint64_t *pad);
/* Take it (after reticle_fit said yes): zeroes RAM, counts it live. */
paddr_t reticle_take(struct reticle *r, uint64_t size, uint64_t align, uint64_t *pad);
void reticle_release(struct reticle *r, paddr_t at, uint64_t size, uint64_t pad);
struct reticle *reticle_init(paddr_t base, uint64_t size);
struct reticle *reticle_init_device(paddr_t base, uint64_t size);
static inline uint64_t reticle_free(const struct reticle *r) { return r->size - r->watermark; }

#endif
