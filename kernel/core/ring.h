/*
 * ring: the universal IPC. A Ring is a single-producer/single-consumer
 * queue of fixed-size slots in memory shared by its two ends. The kernel
 * checks capabilities once, when an end is bound (mapped); after that a
 * send or receive is plain loads and stores on the shared control block
 * (struct v_ring_ctl) with release/acquire ordering, and the kernel is
 * entered only to ring a sleeping peer's doorbell — a Signal bit that
 * peer chose when it bound its end.
 *
 * The object is one kernel page (this header and the transfer queue),
 * then the shared pages. The kernel never reads the shared indices: a
 * peer that writes garbage there can only confuse its own peer, whose
 * runtime treats them as untrusted.
 *
 * Capabilities travel beside messages through the transfer queue: up to
 * V_RING_XQ capability slots owned by the Ring, filled by the producer
 * (copy or move) and emptied in order by the consumer. A transfer is one
 * slot operation, so it happens whole or not at all; a queued capability
 * is a node of the derivation tree like any other, so revocation reaches
 * it and destroying the Ring deletes what is still queued.
 *
 * Invariants: end[e].task is the Task bound to end e, or 0; an end is
 * bound by at most one live Task (a successor may bind it once that Task
 * is destroyed); closed ends stay closed; the Ring object lives until
 * both ends' original capabilities are gone.
 */
#ifndef CORE_RING_H
#define CORE_RING_H

#include "core/reticle.h"
#include "core/task.h"

enum { RING_SEND = 0, RING_RECV = 1 };

struct ring;

struct ring_end {
    struct task *task;          /* bound Task, or 0 */
    struct ring_end *bind_next; /* that Task's list of bound ends */
    struct ring_end *as_next;   /* the list of ends bound into the space asid names */
    struct ring *ring;          /* immutable: the Ring this end belongs to */
    uint64_t vaddr;             /* where it is mapped */
    uint32_t asid;
    uint64_t gen;
    uint8_t bit;                /* doorbell bit in the bound Task */
    uint8_t bound;              /* has been bound */
    uint8_t closed;             /* its original capability is gone */
};

struct ring {
    struct reap reap;           /* for deleting queued capabilities at the end */
    paddr_t shared;             /* immutable: first shared page */
    uint32_t shared_pages;      /* immutable */
    uint32_t slots, slot_size;  /* immutable */
    struct reticle *reticle;    /* immutable: where the object came from */
    paddr_t obj_base;           /* immutable */
    uint64_t obj_size;          /* immutable */
    struct ring_end end[2];
    uint32_t xq_head, xq_count;
    struct cap xq[V_RING_XQ];   /* CAP_IN_RING */
    uint64_t xq_label[V_RING_XQ];   /* the sender's write label, per queued capability */
    uint8_t cut;                /* closed by a label change (core/label.c): never bound again */
};
_Static_assert(sizeof(struct ring) <= PAGE_SIZE, "ring header fits its page");

uint64_t ring_object_size(uint64_t param);
void ring_create(void *obj, uint64_t param, struct reticle *r);
/* The original capability of end e is gone. */
void ring_end_gone(struct ring *rg, unsigned e);
/* Task t is going away: forget its bindings. */
void ring_unbind_task(struct task *t);
/* A label change broke the flow through rg (core/label.c): close it for
 * good, tombstone every binding of it and wake both ends. */
void ring_cut(struct ring *rg);
/* The space bound ends are in is being destroyed: forget them there. */
void ring_forget_space(struct ring_end *list);
/* The aspace end e is bound in, or 0. */
struct aspace *ring_end_space(const struct ring_end *e);

#endif
