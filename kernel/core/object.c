/*
 * object.c: kernel objects by type: their creation from a Reticle
 * (retype) and what the deletion of a capability means for the object it
 * names (obj_cap_gone, called by cap.c for every slot it empties, after
 * the slot is unlinked, with a copy of what the slot held). The
 * behaviour of each type lives in its own file; this is the switchboard.
 */
#include "core/object.h"
#include "core/aspace.h"
#include "core/reticle.h"
#include "core/ring.h"
#include "core/task.h"
#include "core/device.h"
#include "core/dma.h"
#include "core/label.h"
#include "core/syscall.h"

static struct reticle *parent_reticle(const struct cap *orig)
{
    /* An original's parent is the Reticle capability it was retyped
     * through; boot originals have none. */
    return orig->parent && orig->parent->type == V_TYPE_RETICLE ? orig->parent->obj : 0;
}

static void captable_finish(struct reap *r)
{
    struct captable *t = (struct captable *)((char *)r - __builtin_offsetof(struct captable, reap));
    /* The reticle and size were parked in the header's spare word. */
    struct reticle *ret = (struct reticle *)t->reserved[0];
    reticle_release(ret, arch_virt_to_phys(t), (uint64_t)t->nslots * V_SIZE_CAPSLOT);
}

void obj_cap_gone(const struct cap *gone, struct cap *slot)
{
    if (gone->type == V_TYPE_FRAME)
        frame_mapping_gone(gone);
    unsigned where = (slot->flags & CAP_WHERE_MASK) >> CAP_WHERE_SHIFT;
    if (where == CAP_IN_TASK)
        task_slot_gone(task_of_slot(slot), slot);
    else if (where == CAP_IN_ASPACE)
        label_own_gone(aspace_of_slot(slot));
    if (gone->type == V_TYPE_IRQ)
        irq_cap_gone(gone);
    if (!(gone->flags & CAP_ORIGINAL))
        return;

    struct reticle *r = parent_reticle(gone);
    paddr_t at = gone->obj ? arch_virt_to_phys(gone->obj) : 0;
    switch (gone->type) {
    case V_TYPE_RETICLE: {
        struct reticle *dead = gone->obj;
        dead->dead = 1;
        if (!dead->device)
            reticle_release(r, dead->base, dead->size);
        break;
    }
    case V_TYPE_TASK:
        task_destroy(gone->obj);
        reticle_release(r, at, V_SIZE_TASK);
        break;
    case V_TYPE_CAPTABLE: {
        struct captable *t = gone->obj;
        t->reserved[0] = (uint64_t)r;
        t->reap.slots = captable_slots(t) + 1;
        t->reap.n = t->nslots - 1;
        t->reap.finish = captable_finish;
        cap_defer(&t->reap);
        break;
    }
    case V_TYPE_ASPACE:
        aspace_destroy(gone->obj);
        reticle_release(r, at, V_SIZE_ASPACE);
        break;
    case V_TYPE_FRAME:
        label_frame_gone(frame_phys(gone), (uint64_t)frame_pages(gone) * V_SIZE_FRAME);
        reticle_release(r, frame_phys(gone), (uint64_t)frame_pages(gone) * V_SIZE_FRAME);
        break;
    case V_TYPE_RING_SEND:
    case V_TYPE_RING_RECV:
        ring_end_gone(gone->obj, gone->type == V_TYPE_RING_SEND ? RING_SEND : RING_RECV);
        break;
    case V_TYPE_DMA:
        dma_destroy(gone);
        reticle_release(r, at, PAGE_SIZE);
        break;
    default:
        break;      /* boot-made IRQ, I/O port and debug capabilities: nothing to free */
    }
}

void obj_transfer(struct cap *dst, struct cap *src, bool move)
{
    if (move) {
        cap_move_slot(dst, src);
    } else {
        cap_insert(dst, src, src->type, src->rights, src->obj,
                   src->type == V_TYPE_FRAME ? 0 : src->arg, src->arg2, 0);
    }
}

/* ---- creation: retype ------------------------------------------------- */

uint64_t obj_size(unsigned type, uint64_t param)
{
    switch (type) {
    case V_TYPE_RETICLE:
        return param % PAGE_SIZE == 0 && param >= 2 * PAGE_SIZE ? param : 0;
    case V_TYPE_TASK:
        return param == 0 ? V_SIZE_TASK : 0;
    case V_TYPE_CAPTABLE:
        return param >= V_CAPTABLE_MIN_BITS && param <= V_CAPTABLE_MAX_BITS
                   ? (uint64_t)V_SIZE_CAPSLOT << param : 0;
    case V_TYPE_ASPACE:
        return param == 0 ? V_SIZE_ASPACE : 0;
    case V_TYPE_FRAME:
        return param <= V_FRAME_MAX_PAGES ? (param ? param : 1) * V_SIZE_FRAME : 0;
    case V_TYPE_RING_SEND:
        return ring_object_size(param);
    default:
        return 0;
    }
}

static uint64_t obj_align(unsigned type, uint64_t size)
{
    switch (type) {
    case V_TYPE_TASK:
        return V_SIZE_TASK;     /* task_of_slot finds a Task by alignment */
    case V_TYPE_CAPTABLE:
        return size;            /* table_of finds a table by alignment */
    default:
        return PAGE_SIZE;
    }
}

/* retype(reticle, type, param, dst) -> handle. A Ring (type
 * V_TYPE_RING_SEND) yields two capabilities: the send end in dst (or the
 * lowest free slot) and the receive end in the next free slot; the result
 * is send | recv << 32. */
struct v_ret sys_retype(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *rc, *dst, *dst2 = 0;
    unsigned type = (unsigned)a->a[1];
    uint64_t param = a->a[2];
    int e = cap_lookup(tab, a->a[0], V_TYPE_RETICLE, V_R_CONTROL, &rc);
    if (e)
        return sys_err(e);
    struct reticle *r = rc->obj;
    if (r->dead)
        return sys_err(V_ESTATE);       /* its deletion has begun */
    if (a->a[1] >= V_NTYPES)
        return sys_err(V_EINVAL);
    /* A device Reticle's frame may be asked for at a page offset: a
     * device's registers are where its BAR says. */
    bool at_off = type == V_TYPE_FRAME && (param & V_FRAME_AT_FLAG);
    uint64_t off = at_off ? (param & ~V_FRAME_AT_FLAG) >> 20 : 0;
    if (at_off)
        param &= (1u << 20) - 1;
    uint64_t size = obj_size(type, param);
    if (!size)
        return sys_err(type == V_TYPE_RETICLE && param % PAGE_SIZE ? V_EALIGN : V_EINVAL);
    if ((r->device && type != V_TYPE_FRAME) || (at_off && !r->device))
        return sys_err(V_EINVAL);
    if (type == V_TYPE_ASPACE && !aspace_asid_available())
        return sys_err(V_EFULL);
    struct reticle_plan where;
    if (at_off) {
        if (off > r->size / PAGE_SIZE || size > r->size - off * PAGE_SIZE)
            return sys_err(V_ERANGE);
        if (!reticle_plan_at(r, off * PAGE_SIZE, size, &where))
            return sys_err(V_EEXIST);
    } else if (!reticle_plan(r, size, obj_align(type, size), &where)) {
        return sys_err(V_ENOMEM);
    }
    if ((e = cap_dest(tab, a->a[3], &dst)))
        return sys_err(e);
    if (type == V_TYPE_RING_SEND) {
        struct cap *s = captable_slots(tab);
        for (uint32_t i = 1; i < tab->nslots && !dst2; i++)
            if (cap_empty(&s[i]) && &s[i] != dst)
                dst2 = &s[i];
        if (!dst2)
            return sys_err(V_EFULL);
    }

    paddr_t at = reticle_take_planned(r, &where, size, type != V_TYPE_RETICLE);
    void *obj = arch_phys_to_virt(at);
    unsigned flags = CAP_ORIGINAL;
    self->ctr_retyped += size;
    switch (type) {
    case V_TYPE_RETICLE:
        reticle_init(at, size);
        break;
    case V_TYPE_TASK:
        task_init(obj, "task", 0);
        break;
    case V_TYPE_CAPTABLE:
        captable_init(obj, (unsigned)param);
        break;
    case V_TYPE_ASPACE:
        aspace_create(obj, r);
        label_aspace_born(aspace_of(obj), task_lw(self));
        break;
    case V_TYPE_FRAME:
        if (!r->device)
            label_frame_born(at, size, task_lw(self));
        cap_insert(dst, rc, V_TYPE_FRAME, V_R_ALL, 0, 0, frame_arg2(at, size, r->device), flags);
        return sys_ok(cap_handle(tab, dst));
    case V_TYPE_RING_SEND:
        ring_create(obj, param, r);
        cap_insert(dst, rc, V_TYPE_RING_SEND, V_R_ALL, obj, 0, 0, flags);
        cap_insert(dst2, rc, V_TYPE_RING_RECV, V_R_ALL, obj, 0, 0, flags);
        return sys_ok(V_RING_ENDS(cap_handle(tab, dst), cap_handle(tab, dst2)));
    }
    cap_insert(dst, rc, type, V_R_ALL, obj, 0, 0, flags);
    return sys_ok(cap_handle(tab, dst));
}

/* frame_load(reticle, pages, offset, src, len, dst) -> handle: a frame
 * of `pages` pages (as retype's FRAME parameter) holding the caller's
 * bytes [src, src+len) at `offset`, zero elsewhere. A loader writes each
 * byte once, instead of a zeroed frame overwritten through a scratch
 * mapping. The source is checked mapped and user-readable before
 * anything changes, so the copy cannot fault. */
struct v_ret sys_frame_load(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *rc, *dst;
    uint64_t off = a->a[2], src = a->a[3], len = a->a[4];
    int e = cap_lookup(tab, a->a[0], V_TYPE_RETICLE, V_R_CONTROL, &rc);
    if (e)
        return sys_err(e);
    struct reticle *r = rc->obj;
    if (r->dead)
        return sys_err(V_ESTATE);
    uint64_t size = obj_size(V_TYPE_FRAME, a->a[1]);
    if (!size || r->device)
        return sys_err(V_EINVAL);
    if (len > size || off > size - len)
        return sys_err(V_ETOOBIG);
    if (!arch_pt_user_readable(task_as_root(self), src, len))
        return sys_err(V_EFAULT);
    struct reticle_plan where;
    if (!reticle_plan(r, size, PAGE_SIZE, &where))
        return sys_err(V_ENOMEM);
    if ((e = cap_dest(tab, a->a[5], &dst)))
        return sys_err(e);

    paddr_t at = reticle_take_planned(r, &where, size, false);
    uint8_t *p = arch_phys_to_virt(at);
    if (arch_copy_from_user(p + off, src, len) != V_OK) {
        reticle_release(r, at, size);       /* checked above: not reached */
        return sys_err(V_EFAULT);
    }
    memset(p, 0, off);
    memset(p + off + len, 0, size - off - len);
    self->ctr_retyped += size;
    label_frame_born(at, size, task_lw(self));
    cap_insert(dst, rc, V_TYPE_FRAME, V_R_ALL, 0, 0, frame_arg2(at, size, false), CAP_ORIGINAL);
    return sys_ok(cap_handle(tab, dst));
}
