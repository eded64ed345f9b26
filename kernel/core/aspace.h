/*
 * aspace: address spaces. An ASPACE object is two pages: the page-table
 * root, then this header. Page-table pages below the root are carved on
 * demand from the Reticle the address space was retyped from, so paging
 * memory is paid for by whoever created the space, and they are freed
 * with it.
 *
 * Each live address space holds an ASID, an index into a fixed kernel
 * table (V_MAX_ASPACES entries), and the ASID's generation (bumped each
 * time the ASID is reused; 64 bits, so it never wraps: a stale record
 * can never match a later space that reuses its ASID). A mapped FRAME capability records
 * (ASID, generation, vaddr) rather than a pointer, so unmapping after the
 * address space is gone is a harmless no-op even once the ASID is reused,
 * and an unmap only clears an entry that still maps that very frame.
 *
 * A mapping removed because a capability went, by the action of a Task
 * that does not run in this space (a client revoking memory it lent a
 * server, naming's Reticle dying with the Rings it made), is not cleared
 * but tombstoned: its pages then map the
 * space's private tomb page, zeroed once and reading as a closed Ring
 * (v_ring_ctl.closed = 1), so a server whose client revoked the memory
 * under it reads "closed" and writes into nothing, instead of faulting.
 * The tomb page is taken with the space's first mapping (paid by the
 * same Reticle as its page tables) and freed with the space; it is shared
 * only by that space's own dead mappings. A Task's own deletions and
 * as_unmap really unmap.
 *
 * Invariants: user mappings lie in [V_USER_BASE, V_USER_TOP); no leaf is
 * writable and executable; every page-table page, and the tomb page, is
 * counted live in pt_reticle until the space is destroyed; a space with
 * any mapping made through aspace_map has its tomb page.
 */
#ifndef CORE_ASPACE_H
#define CORE_ASPACE_H

#include "core/reticle.h"
#include "core/task.h"
#include "core/dma.h"

struct ring_end;

struct aspace {
    paddr_t root;               /* immutable: the first page of the object */
    struct reticle *pt_reticle; /* immutable: where page tables come from (0: boot memory) */
    uint32_t asid;              /* immutable */
    uint64_t gen;               /* immutable: the ASID's generation */
    uint32_t ntables;
    uint8_t boot;               /* immutable: the root's, whose early tables are boot memory */
    uint8_t tomb_ready;         /* tomb has been zeroed and marked closed */
    paddr_t tomb;               /* where revoked mappings point, or 0 before any map */
    /* Information-flow label of every Task running in this space
     * (core/label.h, docs/LABELS.md): changed by label_set and label_own
     * only, each change enforced on the mappings and Ring bindings below
     * before the call returns; lr and lw are derived (label | owned,
     * label & ~owned) and kept with them for the hot paths. */
    uint64_t label, lr, lw;
    struct cap own;             /* the LabelCap bound by label_own (CAP_IN_ASPACE), or empty */
    struct ring_end *rings;     /* Ring ends bound into this space */
    uint8_t dying;              /* being destroyed: no enforcement */
    /* A label change's page-table walk still owed (label_enforce): no
     * Task of this space enters user mode until it is done; whichever
     * of them is resumed first does it, between preemption points. */
    uint8_t filtering;
    uint64_t filter_va;         /* where the walk goes on from */
};
static inline struct aspace *aspace_of_slot(struct cap *slot)
{
    return (struct aspace *)ALIGN_DOWN((uint64_t)slot, (uint64_t)PAGE_SIZE);
}

static inline struct aspace *aspace_of(void *obj)
{
    return (struct aspace *)((char *)obj + PAGE_SIZE);
}
static inline paddr_t task_as_root(struct task *t)
{
    return aspace_of(t->aspace.obj)->root;
}

/* Retype: obj is the zeroed 8 KiB object. Fails only if no ASID is free. */
bool aspace_asid_available(void);
void aspace_create(void *obj, struct reticle *pt_reticle);
void aspace_destroy(void *obj);
/* A mapping checked whole: the page-table pages it needs, planned as one
 * run in the space's Reticle, so the map that follows takes exactly what
 * was checked and cannot fail. Valid until the Reticle or the page tables
 * change. */
struct map_plan {
    struct reticle_plan tables;
    unsigned need;              /* page-table pages to create */
    unsigned take;              /* pages taken: need, and the tomb page if not yet had */
};
int aspace_can_map(struct aspace *as, uint64_t va, unsigned npages, struct map_plan *plan);
/* Map npages of contiguous memory from pa at va, as planned. */
void aspace_map(struct aspace *as, const struct map_plan *plan, uint64_t va, paddr_t pa,
                unsigned npages, unsigned flags);
void aspace_unmap(uint32_t asid, uint64_t gen, uint64_t va, paddr_t pa, unsigned npages);
/* A capability behind the mapping went: tombstone it (see above). */
void aspace_revoke_mapping(uint32_t asid, uint64_t gen, uint64_t va, paddr_t pa,
                           unsigned npages);
/* Point the run's leaves at the space's tomb page (which must exist). */
void aspace_tombstone(struct aspace *as, uint64_t va, paddr_t pa, unsigned npages);
struct aspace *aspace_by_asid(uint32_t asid);
/* FRAME capability bookkeeping: a frame is 1 .. V_FRAME_MAX_PAGES pages
 * of contiguous memory, mapped whole or not at all. arg = vaddr | ASID
 * when mapped in an address space, device address | FRAME_MAP_DMA |
 * space index when mapped in a DMA space (dma.h), else 0; map_gen = that space's generation; arg2 =
 * physical address | FRAME_DEVICE | (pages - 1) << FRAME_PAGES_SHIFT
 * (physical addresses have at most 52 bits, so the count fits above
 * them). */
#define FRAME_DEVICE 1ull       /* arg2 bit: device memory, map uncached */
#define FRAME_PAGES_SHIFT 52
#define FRAME_PHYS_MASK 0x000ffffffffff000ull
_Static_assert(V_FRAME_MAX_PAGES <= 1u << (64 - FRAME_PAGES_SHIFT), "page count fits arg2");
static inline uint64_t frame_arg2(paddr_t at, uint64_t bytes, bool device)
{
    return at | (device ? FRAME_DEVICE : 0) | (bytes / PAGE_SIZE - 1) << FRAME_PAGES_SHIFT;
}
static inline paddr_t frame_phys(const struct cap *c) { return c->arg2 & FRAME_PHYS_MASK; }
static inline unsigned frame_pages(const struct cap *c)
{
    return (unsigned)(c->arg2 >> FRAME_PAGES_SHIFT) + 1;
}
/* Record that c now maps its frame at va in as. */
static inline void frame_set_mapped(struct cap *c, const struct aspace *as, uint64_t va)
{
    c->arg = va | as->asid;
    c->map_gen = as->gen;
}
/* A frame capability with a mapping went: its mapping is tombstoned. */
static inline void frame_mapping_gone(const struct cap *c)
{
    if (c->arg & FRAME_MAP_DMA)
        dma_mapping_gone(c);
    else if (c->arg)
        aspace_revoke_mapping((uint32_t)(c->arg & PAGE_MASK), c->map_gen, c->arg & ~PAGE_MASK,
                              frame_phys(c), frame_pages(c));
}
/* Its holder asked for the mapping to go (as_unmap): really unmapped. */
static inline void frame_unmap(const struct cap *c)
{
    if (c->arg & FRAME_MAP_DMA)
        dma_mapping_gone(c);
    else if (c->arg)
        aspace_unmap((uint32_t)(c->arg & PAGE_MASK), c->map_gen, c->arg & ~PAGE_MASK,
                     frame_phys(c), frame_pages(c));
}

#endif
