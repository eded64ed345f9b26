/*
 * object.c: what the deletion of a capability means for its object, by
 * type. Called by cap.c for every slot it empties, after the slot is
 * unlinked, with a copy of what the slot held.
 */
#include "core/object.h"
#include "core/aspace.h"
#include "core/reticle.h"
#include "core/ring.h"
#include "core/task.h"
#include "core/device.h"

static struct reticle *parent_reticle(const struct cap *orig)
{
    /* An original's parent is the Reticle capability it was retyped
     * through; boot originals have none. */
    return orig->parent && orig->parent->type == V_TYPE_RETICLE ? orig->parent->obj : 0;
}

static uint64_t pad_of(const struct cap *c)
{
    return (uint64_t)((c->flags & CAP_PAD_MASK) >> CAP_PAD_SHIFT) * 1024;
}

static void captable_finish(struct reap *r)
{
    struct captable *t = (struct captable *)((char *)r - __builtin_offsetof(struct captable, reap));
    /* The reticle and size were parked in the header's spare word. */
    struct reticle *ret = (struct reticle *)t->reserved[0];
    reticle_release(ret, arch_virt_to_phys(t), (uint64_t)t->nslots * V_SIZE_CAPSLOT, t->pad);
}

void obj_cap_gone(const struct cap *gone, struct cap *slot)
{
    if (gone->type == V_TYPE_FRAME && gone->arg)
        aspace_unmap((uint32_t)(gone->arg & PAGE_MASK), gone->arg & ~PAGE_MASK,
                     frame_phys(gone));
    if (((slot->flags & CAP_WHERE_MASK) >> CAP_WHERE_SHIFT) == CAP_IN_TASK)
        task_slot_gone(task_of_slot(slot), slot);
    if (!(gone->flags & CAP_ORIGINAL))
        return;

    struct reticle *r = parent_reticle(gone);
    uint64_t pad = pad_of(gone);
    paddr_t at = gone->obj ? arch_virt_to_phys(gone->obj) : 0;
    switch (gone->type) {
    case V_TYPE_RETICLE: {
        struct reticle *dead = gone->obj;
        dead->dead = 1;
        if (!dead->device)
            reticle_release(r, dead->base, dead->size, pad);
        break;
    }
    case V_TYPE_TASK:
        task_destroy(gone->obj);
        reticle_release(r, at, V_SIZE_TASK, pad);
        break;
    case V_TYPE_CAPTABLE: {
        struct captable *t = gone->obj;
        t->reserved[0] = (uint64_t)r;
        t->pad = (uint32_t)pad;
        t->reap.slots = captable_slots(t) + 1;
        t->reap.n = t->nslots - 1;
        t->reap.finish = captable_finish;
        cap_defer(&t->reap);
        break;
    }
    case V_TYPE_ASPACE:
        aspace_destroy(gone->obj);
        reticle_release(r, at, V_SIZE_ASPACE, pad);
        break;
    case V_TYPE_FRAME:
        reticle_release(r, frame_phys(gone), V_SIZE_FRAME, pad);
        break;
    case V_TYPE_RING_SEND:
    case V_TYPE_RING_RECV:
        ring_end_gone(gone->obj, gone->type == V_TYPE_RING_SEND ? RING_SEND : RING_RECV);
        break;
    default:
        break;      /* boot-made IRQ, I/O port and debug capabilities: nothing to free */
    }
}

void obj_transfer(struct cap *dst, struct cap *src, bool move)
{
    if (move) {
        if (src->type == V_TYPE_FRAME && src->arg) {
            aspace_unmap((uint32_t)(src->arg & PAGE_MASK), src->arg & ~PAGE_MASK,
                         frame_phys(src));
            src->arg = 0;
        }
        cap_move_slot(dst, src);
    } else {
        cap_insert(dst, src, src->type, src->rights, src->obj,
                   src->type == V_TYPE_FRAME ? 0 : src->arg, src->arg2, 0);
    }
}
