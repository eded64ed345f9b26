/*
 * cap: capability slots, tables and the derivation tree.
 *
 * A capability is a 64-byte slot: type, rights, a generation, the object
 * it names and two type-specific words. Slots live in capability tables
 * (a CAPTABLE object is an array of slots whose slot 0 is the table's own
 * header), inside Tasks (the references a Task holds to its table,
 * address space, fault handler and Bundle page) and inside Rings (the
 * transfer queue). Wherever a slot lives, it is a node of one derivation
 * tree: retype makes an *original* slot as a child of the Reticle slot
 * used; copy and mint make children of their source; move relocates a
 * node. Invariants:
 *   - a slot is empty (type V_TYPE_NULL) exactly when it has no links;
 *   - every non-original slot descends from the original of its object,
 *     so revoking or deleting the original reaches every slot that names
 *     the object, and nothing else can name it;
 *   - deleting a slot first revokes (deletes) its descendants: a derived
 *     capability never outlives the one it came from;
 *   - a slot's generation changes whenever it is emptied, so an old
 *     handle to it is refused as stale.
 * Deletion is iterative (objects with slots of their own are queued and
 * drained), so no user-built structure can deepen the kernel stack, and
 * linear in the nodes removed: revocation goes top-down, handing a
 * copy's children to its parent before the copy goes, so each node moves
 * at most once. Long deletions stop at preemption points.
 */
#ifndef CORE_CAP_H
#define CORE_CAP_H

#include "kernel.h"

struct task;

/* flags: bit 0 belongs to the capability, bits 3..7 to the slot's place
 * (kept when the slot is emptied or refilled). */
enum {
    CAP_ORIGINAL = 1 << 0,      /* made by retype (or boot): deleting it destroys the object */
    CAP_WHERE_SHIFT = 3,        /* 2 bits: which kind of object holds the slot */
    CAP_WHERE_MASK = 3 << 3,
    CAP_TBITS_SHIFT = 5,        /* 3 bits: in a table of 2^(5+n) slots */
    CAP_TBITS_MASK = 7 << 5,
    CAP_PLACE_MASK = CAP_WHERE_MASK | CAP_TBITS_MASK,
};
enum { CAP_IN_TABLE = 0, CAP_IN_TASK = 1, CAP_IN_RING = 2, CAP_IN_ASPACE = 3 };

struct cap {
    uint8_t type;               /* enum v_type */
    uint8_t flags;
    uint16_t gen;
    uint32_t rights;
    union {
        void *obj;              /* the object, through the direct map */
        uint64_t map_gen;       /* FRAME (no object): its address space's generation */
    };
    uint64_t arg;               /* SIGNAL bits, IRQ lines, IOPORT range, FRAME mapping */
    uint64_t arg2;              /* FRAME: physical address; RING end: end number */
    struct cap *parent, *child, *next, *prev;   /* derivation tree */
};
_Static_assert(sizeof(struct cap) == V_SIZE_CAPSLOT, "slot size is ABI");

/* An object with slots of its own, queued for iterative deletion. */
struct reap {
    struct reap *next;
    struct cap *slots;
    uint32_t n, pos;
    void (*finish)(struct reap *);   /* after every slot is empty */
};

/* The table's free slots are indexed so that V_SLOT_ANY finds the lowest
 * in constant time, with no memory beyond the table itself. Slots are in
 * groups of CAP_GROUP (slot i in group i / CAP_GROUP): the header has one
 * bit per group with a free slot and, for each such group, the offset of
 * one of its free slots whose obj, arg and arg2 words hold the group's
 * free map (bit k: slot k of the group is free). Every other empty slot
 * is all zero but for flags and gen, and no empty slot has links.
 * A table being destroyed (reap.slots set) keeps no index nor count:
 * nothing can name it any more, and object.c parks its Reticle in
 * reserved[0], over them. */
#define CAP_GROUP 192           /* three words of map */
#define CAP_NGROUPS ((1u << V_CAPTABLE_MAX_BITS) / CAP_GROUP + 1)

struct captable {               /* overlays slot 0 of the table */
    uint32_t nslots;
    uint32_t groups;            /* bit g: group g has a free slot */
    struct reap reap;
    union {
        struct {
            uint16_t nfree;
            uint8_t at[22];     /* the free slot holding group g's map, less g * CAP_GROUP */
        };
        uint64_t reserved[3];   /* once the table is being destroyed */
    };
};
_Static_assert(sizeof(struct captable) == sizeof(struct cap), "header is slot 0");
_Static_assert(CAP_NGROUPS <= 22 && CAP_GROUP <= 256, "index fits slot 0");

static inline struct cap *captable_slots(struct captable *t) { return (struct cap *)t; }


/* An empty destination slot: dst == V_SLOT_ANY picks the lowest free one;
 * otherwise dst's low 16 bits are the slot (a handle may be passed) and
 * anything above 32 bits is V_ERANGE. */
int cap_dest(struct captable *t, uint64_t dst, struct cap **out);
v_handle cap_handle(struct captable *t, const struct cap *c);

/* Fill an empty slot as a child of parent (which may be 0 for boot roots). */
void cap_insert(struct cap *slot, struct cap *parent, unsigned type, uint32_t rights,
                void *obj, uint64_t arg, uint64_t arg2, unsigned flags);
/* Move a slot's contents and links to an empty slot. */
void cap_move_slot(struct cap *dst, struct cap *src);
/* Delete a slot and everything derived from it; destroys objects whose
 * original goes. Never fails. */
void cap_delete(struct cap *c);
/* Delete everything derived from c, keeping c. */
void cap_revoke(struct cap *c);
/* The same for a system call, which may be preempted at a consistent
 * point because someone else should run:
 *   CAP_STOPPED     part of the work done and c still in place: calling
 *                   again with the same c continues (the tree itself is
 *                   the only state);
 *   CAP_DRAIN_OWED  c and its subtree are gone, but destroyed tables and
 *                   Rings still hold slots to empty, queued on the calling
 *                   Task: its next system call finishes them first
 *                   (cap_drain_owed) and the interrupted call then returns
 *                   V_OK without running again. */
enum cap_progress { CAP_DONE, CAP_STOPPED, CAP_DRAIN_OWED };
enum cap_progress cap_revoke_preemptible(struct cap *c);
enum cap_progress cap_delete_preemptible(struct cap *c);
/* Continue the calling Task's queued drain; false if it stopped again. */
bool cap_drain_owed(void);
extern bool cap_drain_no_stop;      /* set by batch: drains run to the end */
/* A Task is being destroyed with a drain queued: the deleting Task's call
 * takes the work over. */
void cap_adopt_reap(struct task *from);
/* Empty a slot that has no descendants (an embedded one), without
 * draining: whoever deletes the object holding it drains. */
void cap_delete_leaf(struct cap *c);
/* Provided by the scheduler: called every CAP_PREEMPT_EVERY nodes of a
 * long deletion, at a point where every kernel structure is consistent;
 * lets pending interrupts in, and says whether another Task should run. */
#define CAP_PREEMPT_EVERY 32
bool cap_preempt_point(void);
void captable_init(struct captable *t, unsigned bits);
/* Mark n empty slots as living in an object of kind where (CAP_IN_*). */
void cap_place(struct cap *slots, unsigned n, unsigned where);
/* An object with slots of its own is being destroyed: queue it, so its
 * slots are deleted by the outermost cap_delete's loop, not recursively. */
void cap_defer(struct reap *r);

static inline bool cap_empty(const struct cap *c) { return c->type == V_TYPE_NULL; }

/* Look up a handle in a table: type and rights checked (type 0: any).
 * The whole 64-bit argument is the handle: high bits are V_EHANDLE.
 * Inline: every system call starts here. */
static inline int cap_lookup(struct captable *t, uint64_t h, unsigned type, uint32_t rights,
               struct cap **out)
{
    uint32_t idx = V_HANDLE_SLOT(h);
    if (!t || h >> 32 || idx == 0 || idx >= t->nslots)
        return V_EHANDLE;
    struct cap *c = &captable_slots(t)[idx];
    if (c->gen != V_HANDLE_GEN((uint32_t)h))
        return V_ESTALE;
    if (cap_empty(c))
        return V_EHANDLE;
    if (type && c->type != type)
        return V_ETYPE;
    if ((c->rights & rights) != rights)
        return V_ERIGHTS;
    *out = c;
    return V_OK;
}


#endif
