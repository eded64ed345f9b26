/*
 * label: information-flow labels (docs/LABELS.md has the rules and the
 * argument that they cover every way bytes leave a Task).
 *
 * A label is a set of up to 64 secrecy categories, one bit each. The
 * principal is the address space: every Task running in a space has its
 * label L and the categories O it owns through the LabelCap bound to it
 * (label_own). Lr = L | O is what the space may read, Lw = L & ~O what
 * whatever it writes carries; a flow A -> B is allowed iff
 * Lw(A) is a subset of Lr(B).
 *
 * A frame's label lives beside its physical pages (one word per RAM page,
 * and one bit saying the page is a frame's), not in its capability slot:
 * the slot has no spare word (docs/DECISIONS.md), copies of a frame share
 * its pages and so its label, and a label change can find the label of
 * every page it meets in the page tables. Set at retype (the creator's
 * Lw), raised only while the frame's original is its only capability and
 * unmapped, and cleared when the frame is destroyed. Device frames have
 * the empty label: the world outside reads them.
 *
 * Invariants, checked where authority is taken (as_map, ring_bind,
 * ring_recv_cap, signal and task calls) and re-established by
 * label_enforce before any label change returns: every readable mapping
 * in a space has L(F) within Lr, every writable one has Lw within L(F),
 * and every Ring bound in the space allows the flow both ways.
 */
#ifndef CORE_LABEL_H
#define CORE_LABEL_H

#include "core/aspace.h"
#include "core/task.h"

static inline bool label_flows(uint64_t lw_from, uint64_t lr_to) { return !(lw_from & ~lr_to); }

/* A Task's labels are its address space's; a Task not yet configured
 * has no memory and holds nothing: it may be told anything, and tells
 * nothing. */
static inline uint64_t task_lw(const struct task *t)
{
    return cap_empty(&t->aspace) ? 0 : aspace_of(t->aspace.obj)->lw;
}
static inline uint64_t task_lr(const struct task *t)
{
    return cap_empty(&t->aspace) ? ~0ull : aspace_of(t->aspace.obj)->lr;
}
/* Unlabelled writers (every Task, until labels are used) pay one load. */
static inline bool task_flows(const struct task *from, const struct task *to)
{
    uint64_t lw = task_lw(from);
    return !lw || label_flows(lw, task_lr(to));
}

/* Boot: the per-page label words for the RAM that can become frames. */
void label_init(void);
/* A new frame of bytes at at, labelled label (retype, frame_load). */
void label_frame_born(paddr_t at, uint64_t bytes, uint64_t label);
/* The frame's original is gone: its pages are no longer a frame's. */
void label_frame_gone(paddr_t at, uint64_t bytes);
uint64_t label_of_frame(const struct cap *fc);
/* A new address space, at its creator's write label. */
void label_aspace_born(struct aspace *as, uint64_t label);
/* The space's bound LabelCap went (revoked, deleted): ownership goes and
 * the space is re-checked at once. */
void label_own_gone(struct aspace *as);
/* Re-establish the invariants above after as's labels changed: Rings
 * whose flow now breaks are cut (closed, this side's mapping
 * tombstoned), readable mappings of frames above Lr unmapped, writable
 * mappings of frames below Lw made read-only, DMA spaces whose labelled
 * frames it no longer vouches for cut (dma.h). Rings and DMA spaces
 * before it returns; the mappings before any Task of the space next
 * runs (label_filter_owed). */
void label_enforce(struct aspace *as);
/* Finish the page-table walk a label change owes the space (a Task of
 * it is about to enter user mode): false if it stopped at a preemption
 * point, to be continued when one of its Tasks is next resumed. */
bool label_filter_owed(struct aspace *as);
/* How many spaces owe a walk: the scheduler looks at a Task's space only
 * when some do (one load on every switch otherwise). */
extern unsigned label_walks_owed;
/* The space is being destroyed: a walk it owed is owed no more. */
void label_space_gone(struct aspace *as);

#endif
