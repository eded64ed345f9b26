/*
 * cap.c: see cap.h.
 *
 * The derivation tree is a first-child / doubly-linked-sibling tree with
 * parent pointers, so unlinking and moving a node are O(1) and revocation
 * walks it without recursion: repeatedly descend to a leaf below the node
 * and delete that leaf.
 */
#include "core/cap.h"
#include "core/reticle.h"
#include "core/object.h"

static struct reap *reap_list;
static bool draining;

v_handle cap_handle(struct captable *t, const struct cap *c)
{
    uint32_t idx = (uint32_t)(c - captable_slots(t));
    return V_HANDLE(idx, c->gen);
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
    if (t->nfree == 0)
        return V_EFULL;
    for (uint32_t i = t->hint ? t->hint : 1; i < t->nslots; i++) {
        if (cap_empty(&captable_slots(t)[i])) {
            t->hint = i;
            *out = &captable_slots(t)[i];
            return V_OK;
        }
    }
    KASSERT(!"nfree says a slot is free");
    return V_EFULL;
}

void captable_init(struct captable *t, unsigned bits)
{
    KASSERT(bits >= V_CAPTABLE_MIN_BITS && bits <= V_CAPTABLE_MAX_BITS);
    struct cap *s = captable_slots(t);
    for (uint32_t i = 1; i < (1u << bits); i++)
        s[i].flags = (uint8_t)(CAP_IN_TABLE << CAP_WHERE_SHIFT |
                               (bits - V_CAPTABLE_MIN_BITS) << CAP_TBITS_SHIFT);
    t->nslots = 1u << bits;
    t->nfree = t->nslots - 1;
    t->hint = 1;
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
    struct captable *t = table_of(slot);
    if (t)
        t->nfree--;
}

void cap_move_slot(struct cap *dst, struct cap *src)
{
    KASSERT(cap_empty(dst) && !cap_empty(src));
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
    struct captable *ts = table_of(src), *td = table_of(dst);
    clear_slot(src);
    if (ts) {
        ts->nfree++;
        uint32_t i = (uint32_t)(src - captable_slots(ts));
        if (i < ts->hint)
            ts->hint = i;
    }
    if (td)
        td->nfree--;
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
    if (t) {
        t->nfree++;
        uint32_t i = (uint32_t)(c - captable_slots(t));
        if (i < t->hint)
            t->hint = i;
    }
    obj_cap_gone(&gone, c);
}

static void revoke_below(struct cap *c)
{
    while (c->child) {
        struct cap *leaf = c->child;
        while (leaf->child)
            leaf = leaf->child;
        delete_leaf(leaf);
    }
}

void cap_defer(struct reap *r)
{
    r->pos = 0;
    r->next = reap_list;
    reap_list = r;
}

/* Drain queued objects: empty their slots (which may queue more), then
 * let each finish. Only the outermost caller drains. */
static void drain(void)
{
    if (draining)
        return;
    draining = true;
    while (reap_list) {
        struct reap *r = reap_list;
        while (r->pos < r->n && cap_empty(&r->slots[r->pos]))
            r->pos++;
        if (r->pos < r->n) {
            /* may queue more objects on top of r; they drain first */
            struct cap *s = &r->slots[r->pos];
            revoke_below(s);
            delete_leaf(s);
        } else {
            reap_list = r->next;
            r->finish(r);
        }
    }
    draining = false;
}

void cap_revoke(struct cap *c)
{
    revoke_below(c);
    drain();
}

void cap_delete(struct cap *c)
{
    /* A Reticle being deleted returns its memory whole: what is carved
     * from it need not be given back piece by piece (reticle_release and
     * aspace_destroy skip a dead Reticle). */
    if (c->type == V_TYPE_RETICLE && (c->flags & CAP_ORIGINAL) && c->obj)
        ((struct reticle *)c->obj)->dead = 1;
    revoke_below(c);
    delete_leaf(c);
    drain();
}
