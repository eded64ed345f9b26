/*
 * cap.c: see cap.h.
 *
 * The derivation tree is a first-child / doubly-linked-sibling tree with
 * parent pointers, so unlinking and moving a node are O(1).
 *
 * Revocation below c deletes top-down: a copy's children name the same
 * object as the copy, so they are handed to the copy's parent and the
 * copy, now a leaf, goes. An original is never spliced out that way: its
 * object must outlive everything that names it, so its subtree goes
 * first (the walk descends through originals, which nest only as deep as
 * Reticles do). A node is handed up at most once (its new parent is c or
 * an original, neither spliced), so revoking n nodes costs O(n), and a
 * revocation stopped at a preemption point resumes from c with nothing
 * remembered but the tree.
 */
#include "core/cap.h"
#include "core/reticle.h"
#include "core/object.h"
#include "core/sched.h"
#include "core/task.h"

static struct reap *boot_reap;  /* deletions outside any Task's call (boot) */
static bool draining;
bool cap_drain_no_stop;

/* The queue of the Task whose call is deleting, which owns the work. */
static struct reap **reap_queue(void)
{
    return sched_cur ? &sched_cur->reap : &boot_reap;
}

v_handle cap_handle(struct captable *t, const struct cap *c)
{
    uint32_t idx = (uint32_t)(c - captable_slots(t));
    return V_HANDLE(idx, c->gen);
}

/* The free-slot index (cap.h). A group's map is three words at the obj,
 * arg and arg2 offsets of the free slot at[g] names. Freeing a slot sets
 * its bit; taking one clears it, and only when the slot taken is the one
 * holding the map does the map move, to the highest free slot left (the
 * one V_SLOT_ANY reaches last). */
#define MAP_AT __builtin_offsetof(struct cap, obj)
_Static_assert(__builtin_offsetof(struct cap, arg) == MAP_AT + 8 &&
               __builtin_offsetof(struct cap, arg2) == MAP_AT + 16,
               "obj, arg, arg2 are the map's three words");

static struct cap *group_map(struct captable *t, uint32_t g)
{
    return &captable_slots(t)[g * CAP_GROUP + t->at[g]];
}

/* Word j of the map held by slot c: obj's, arg's or arg2's, all uint64_t. */
static uint64_t *map_word(struct cap *c, unsigned j)
{
    return (uint64_t *)((char *)c + MAP_AT) + j;
}

/* Slot i of t, empty now, is about to be filled: before its words are
 * (which overwrites the map if it held it). */
static inline __attribute__((always_inline)) void slot_taken(struct captable *t, uint32_t i)
{
    uint32_t g = i / CAP_GROUP, k = i - g * CAP_GROUP;
    struct cap *m = group_map(t, g);
    t->nfree--;
    *map_word(m, k / 64) &= ~(1ull << (k % 64));
    if (k != t->at[g])
        return;
    int j = 2;
    while (j >= 0 && !*map_word(m, (unsigned)j))
        j--;
    if (j < 0) {
        t->groups &= ~(1u << g);
        return;
    }
    t->at[g] = (uint8_t)(j * 64 + 63 - __builtin_clzll(*map_word(m, (unsigned)j)));
    struct cap *to = group_map(t, g);
    for (unsigned w = 0; w < 3; w++)
        *map_word(to, w) = *map_word(m, w);
}

/* Slot i of t has just been emptied (its words are zero). */
static inline __attribute__((always_inline)) void slot_freed(struct captable *t, uint32_t i)
{
    if (t->reap.slots)          /* being destroyed: no index nor count (cap.h) */
        return;
    t->nfree++;
    uint32_t g = i / CAP_GROUP, k = i - g * CAP_GROUP;
    struct cap *m = &captable_slots(t)[i];
    if (t->groups >> g & 1)
        m = group_map(t, g);
    else {
        t->groups |= 1u << g;
        t->at[g] = (uint8_t)k;
    }
    *map_word(m, k / 64) |= 1ull << (k % 64);
}

static uint32_t slot_index(struct captable *t, const struct cap *c)
{
    return (uint32_t)(c - captable_slots(t));
}

int cap_dest(struct captable *t, uint64_t dst, struct cap **out)
{
    if (!t)
        return V_EHANDLE;
    if (dst >> 32)
        return V_ERANGE;
    if (dst != V_SLOT_ANY) {
        uint32_t idx = V_HANDLE_SLOT(dst);
        if (idx == 0 || idx >= t->nslots)
            return V_ERANGE;
        if (!cap_empty(&captable_slots(t)[idx]))
            return V_EOCCUPIED;
        *out = &captable_slots(t)[idx];
        return V_OK;
    }
    if (t->groups == 0)
        return V_EFULL;
    uint32_t g = (uint32_t)__builtin_ctz(t->groups);
    struct cap *m = group_map(t, g);
    unsigned j = 0;
    while (!*map_word(m, j))    /* the group has a free slot: some word is not 0 */
        j++;
    *out = &captable_slots(t)[g * CAP_GROUP + j * 64 + (unsigned)__builtin_ctzll(*map_word(m, j))];
    KASSERT(cap_empty(*out));
    return V_OK;
}

void captable_init(struct captable *t, unsigned bits)
{
    KASSERT(bits >= V_CAPTABLE_MIN_BITS && bits <= V_CAPTABLE_MAX_BITS);
    struct cap *s = captable_slots(t);
    uint32_t n = 1u << bits;
    for (uint32_t i = 1; i < n; i++)
        s[i].flags = (uint8_t)(CAP_IN_TABLE << CAP_WHERE_SHIFT |
                               (bits - V_CAPTABLE_MIN_BITS) << CAP_TBITS_SHIFT);
    t->nslots = n;
    t->nfree = (uint16_t)(n - 1);
    t->groups = 0;
    t->reap = (struct reap){0};
    for (uint32_t g = 0; g * CAP_GROUP < n; g++) {  /* every slot but 0 is free */
        uint64_t w[3] = {0, 0, 0};
        uint32_t last = 0;
        for (uint32_t j = 0; j < 3; j++) {
            uint32_t lo = g * CAP_GROUP + j * 64;
            if (lo < n) {
                w[j] = n - lo >= 64 ? ~0ull : (1ull << (n - lo)) - 1;
                last = j * 64 + 63 - (uint32_t)__builtin_clzll(w[j]);
            }
        }
        w[0] &= ~(uint64_t)(g == 0 ? 1 : 0);   /* slot 0 is the header */
        t->groups |= 1u << g;
        t->at[g] = (uint8_t)last;
        for (uint32_t j = 0; j < 3; j++)
            *map_word(&s[g * CAP_GROUP + last], j) = w[j];
    }
}

void cap_place(struct cap *slots, unsigned n, unsigned where)
{
    for (unsigned i = 0; i < n; i++)
        slots[i].flags = (uint8_t)(where << CAP_WHERE_SHIFT);
}

/* The table holding a slot, or 0 for slots in Tasks and Rings. Tables
 * are aligned to their size, which the slot's place bits record. */
static struct captable *table_of(struct cap *c)
{
    if (((c->flags & CAP_WHERE_MASK) >> CAP_WHERE_SHIFT) != CAP_IN_TABLE)
        return 0;
    unsigned bits = V_CAPTABLE_MIN_BITS + ((c->flags & CAP_TBITS_MASK) >> CAP_TBITS_SHIFT);
    uint64_t size = (uint64_t)V_SIZE_CAPSLOT << bits;
    return (struct captable *)ALIGN_DOWN((uint64_t)c, size);
}

/* Empty a slot, keeping its place and moving its generation on. */
static void clear_slot(struct cap *c)
{
    uint8_t place = c->flags & CAP_PLACE_MASK;
    uint16_t gen = (uint16_t)(c->gen + 1);
    *c = (struct cap){.flags = place, .gen = gen};
}

void cap_insert(struct cap *slot, struct cap *parent, unsigned type, uint32_t rights,
                void *obj, uint64_t arg, uint64_t arg2, unsigned flags)
{
    KASSERT(cap_empty(slot) && type != V_TYPE_NULL);
    struct captable *t = table_of(slot);
    if (t)
        slot_taken(t, slot_index(t, slot));
    uint16_t gen = slot->gen;
    uint8_t place = slot->flags & CAP_PLACE_MASK;
    *slot = (struct cap){.type = (uint8_t)type,
                         .flags = (uint8_t)((flags & ~CAP_PLACE_MASK) | place),
                         .gen = gen, .rights = rights, .obj = obj, .arg = arg, .arg2 = arg2};
    slot->parent = parent;
    if (parent) {
        slot->next = parent->child;
        if (parent->child)
            parent->child->prev = slot;
        parent->child = slot;
    }
}

void cap_move_slot(struct cap *dst, struct cap *src)
{
    KASSERT(cap_empty(dst) && !cap_empty(src));
    struct captable *ts = table_of(src), *td = table_of(dst);
    if (td)
        slot_taken(td, slot_index(td, dst));
    uint16_t gen = dst->gen;
    uint8_t place = dst->flags & CAP_PLACE_MASK;
    *dst = *src;
    dst->gen = gen;
    dst->flags = (uint8_t)((src->flags & ~CAP_PLACE_MASK) | place);
    if (dst->parent && dst->parent->child == src)
        dst->parent->child = dst;
    if (dst->prev)
        dst->prev->next = dst;
    if (dst->next)
        dst->next->prev = dst;
    for (struct cap *k = dst->child; k; k = k->next)
        k->parent = dst;
    clear_slot(src);
    if (ts)
        slot_freed(ts, slot_index(ts, src));
}

/* Unlink a leaf and run what its going means for the object. */
static void delete_leaf(struct cap *c)
{
    KASSERT(!c->child);
    if (c->prev)
        c->prev->next = c->next;
    else if (c->parent)
        c->parent->child = c->next;
    if (c->next)
        c->next->prev = c->prev;
    struct cap gone = *c;
    struct captable *t = table_of(c);
    clear_slot(c);
    if (t)
        slot_freed(t, slot_index(t, c));
    obj_cap_gone(&gone, c);
}

/* Hand all of n's children to p (n's parent), in front of p's own. */
static void adopt_children(struct cap *p, struct cap *n)
{
    struct cap *first = n->child, *last = first;
    for (;; last = last->next) {
        last->parent = p;
        if (!last->next)
            break;
    }
    last->next = p->child;
    p->child->prev = last;          /* p has children: n is one */
    p->child = first;
    first->prev = 0;
    n->child = 0;
}

static unsigned since_point;

/* A preemption point every CAP_PREEMPT_EVERY nodes: true if the caller
 * may stop and should. Where stopping is not possible the point still
 * lets interrupts in, so no tick is lost. */
static bool should_stop(bool can_stop)
{
    if (++since_point < CAP_PREEMPT_EVERY)
        return false;
    since_point = 0;
    return cap_preempt_point() && can_stop;
}

/* Delete everything below c; false if stopped early (can_stop). */
static bool revoke_below(struct cap *c, bool can_stop)
{
    struct cap *at = c;     /* c, or an original below it whose subtree is going */
    while (c->child) {
        struct cap *n = at->child;
        if (!n) {           /* at's subtree is gone: at itself goes next */
            n = at;
            at = at->parent;
        } else {
            while ((n->flags & CAP_ORIGINAL) && n->child) {
                at = n;
                n = n->child;
            }
            if (n->child)
                adopt_children(at, n);
        }
        delete_leaf(n);
        if (should_stop(can_stop) && c->child)
            return false;
    }
    return true;
}

void cap_defer(struct reap *r)
{
    struct reap **q = reap_queue();
    r->pos = 0;
    r->next = *q;
    *q = r;
}

void cap_adopt_reap(struct task *from)
{
    struct reap **q = reap_queue();
    if (!from->reap || q == &from->reap)
        return;
    struct reap *last = from->reap;
    while (last->next)
        last = last->next;
    last->next = *q;
    *q = from->reap;
    from->reap = 0;
}

/* Drain the queue: empty each object's slots (which may queue more, on
 * top, drained first), then let it finish. Only the outermost caller
 * drains. The queue is the state, so a drain stopped at a preemption
 * point (can_stop) resumes exactly where it was: the Task's next system
 * call continues it first (cap_drain_owed). */
static bool drain(bool can_stop)
{
    if (draining)
        return true;
    draining = true;
    struct reap **q;
    /* looked up each time: a Task destroyed by its own call hands its
     * queue on (task_destroy), and the rest runs to the end */
    while (*(q = reap_queue())) {
        struct reap *r = *q;
        while (r->pos < r->n && cap_empty(&r->slots[r->pos]))
            r->pos++;
        if (r->pos < r->n) {
            struct cap *s = &r->slots[r->pos];
            revoke_below(s, false);
            delete_leaf(s);
        } else {
            *q = r->next;
            r->finish(r);
        }
        /* a Task that deleted itself has no call to come back to */
        if (should_stop(can_stop && sched_cur && sched_cur->state != TASK_DEAD) && *q) {
            draining = false;
            return false;
        }
    }
    draining = false;
    return true;
}

bool cap_drain_owed(void)
{
    return drain(true);
}

/* A Reticle being deleted returns its memory whole: what is carved from
 * it need not be given back piece by piece (reticle_release and
 * aspace_destroy skip a dead Reticle). */
static void mark_dying(struct cap *c)
{
    if (c->type == V_TYPE_RETICLE && (c->flags & CAP_ORIGINAL) && c->obj)
        ((struct reticle *)c->obj)->dead = 1;
}

/* Delete everything below c and, unless keep, c itself (after its
 * subtree, so its object outlives every capability naming it), then
 * drain what that queued. */
static enum cap_progress remove_tree(struct cap *c, bool keep, bool can_stop)
{
    if (!keep)
        mark_dying(c);
    bool done = revoke_below(c, can_stop);
    if (done && !keep)
        delete_leaf(c);
    bool drained = drain(can_stop && !cap_drain_no_stop);
    return !done ? CAP_STOPPED : drained ? CAP_DONE : CAP_DRAIN_OWED;
}

void cap_revoke(struct cap *c) { remove_tree(c, true, false); }
enum cap_progress cap_revoke_preemptible(struct cap *c) { return remove_tree(c, true, true); }
void cap_delete(struct cap *c) { remove_tree(c, false, false); }
enum cap_progress cap_delete_preemptible(struct cap *c) { return remove_tree(c, false, true); }

void cap_delete_leaf(struct cap *c)
{
    delete_leaf(c);
}
