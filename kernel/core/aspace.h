/*
 * aspace: address spaces. An ASPACE object is two pages: the page-table
 * root, then this header. Page-table pages below the root are carved on
 * demand from the Reticle the address space was retyped from, so paging
 * memory is paid for by whoever created the space, and they are freed
 * with it.
 *
 * Each live address space holds an ASID, an index into a fixed kernel
 * table (V_MAX_ASPACES entries). A mapped FRAME capability records
 * (ASID, vaddr) rather than a pointer, so unmapping after the address
 * space is gone is a harmless no-op, and an unmap only clears an entry
 * that still maps that very frame.
 *
 * Invariants: user mappings lie in [V_USER_BASE, V_USER_TOP); no leaf is
 * writable and executable; every page-table page is counted live in
 * pt_reticle until the space is destroyed.
 */
#ifndef CORE_ASPACE_H
#define CORE_ASPACE_H

#include "core/reticle.h"
#include "core/task.h"

struct aspace {
    paddr_t root;               /* immutable: the first page of the object */
    struct reticle *pt_reticle; /* immutable: where page tables come from (0: boot memory) */
    uint32_t asid;              /* immutable */
    uint32_t ntables;
    uint8_t boot;               /* immutable: the root's, whose early tables are boot memory */
};

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
/* How many page-table pages mapping va would need, and can they be had. */
int aspace_can_map(struct aspace *as, uint64_t va, unsigned npages);
void aspace_map(struct aspace *as, uint64_t va, paddr_t pa, unsigned flags);
void aspace_unmap(uint32_t asid, uint64_t va, paddr_t pa);
bool aspace_mapped(struct aspace *as, uint64_t va);
struct aspace *aspace_by_asid(uint32_t asid);
/* FRAME capability bookkeeping */
#define FRAME_DEVICE 1ull       /* arg2 bit: device memory, map uncached */
static inline paddr_t frame_phys(const struct cap *c) { return c->arg2 & ~PAGE_MASK; }

#endif
