/*
 * captable.c: the cap_* system calls, on the caller's capability table.
 * The slot and derivation-tree mechanics they use are in cap.c.
 */
#include "core/aspace.h"
#include "core/cap.h"
#include "core/dma.h"
#include "core/label.h"
#include "core/object.h"
#include "core/reticle.h"
#include "core/ring.h"
#include "core/sched.h"
#include "core/syscall.h"
#include "core/task.h"

/* cap_info(h, struct v_capinfo *) */
struct v_ret sys_cap_info(struct task *self, const struct sys_args *a)
{
    struct cap *c;
    int e = cap_lookup(task_table(self), a->a[0], 0, 0, &c);
    if (e)
        return sys_err(e);
    struct v_capinfo info = {.type = c->type, .rights = c->rights, .arg = 0};
    switch (c->type) {
    case V_TYPE_RETICLE: {
        struct reticle *r = c->obj;
        info.size = r->size;
        info.free = reticle_free(r);
        info.phys = r->base;
        info.mapped = r->live;      /* objects carved and alive */
        break;
    }
    case V_TYPE_CAPTABLE: {
        struct captable *t = c->obj;
        info.size = (uint64_t)t->nslots * V_SIZE_CAPSLOT;
        info.free = t->nfree;
        break;
    }
    case V_TYPE_FRAME:
        info.size = (uint64_t)frame_pages(c) * V_SIZE_FRAME;
        info.phys = frame_phys(c);
        info.mapped = c->arg & ~PAGE_MASK;
        info.label = label_of_frame(c);
        break;
    case V_TYPE_TASK:
        info.size = V_SIZE_TASK;
        break;
    case V_TYPE_ASPACE:
        info.size = V_SIZE_ASPACE;
        info.free = aspace_of(c->obj)->ntables;
        info.label = aspace_of(c->obj)->label;
        info.own = aspace_of(c->obj)->lr & ~aspace_of(c->obj)->lw;
        break;
    case V_TYPE_RING_SEND:
    case V_TYPE_RING_RECV: {
        struct ring *rg = c->obj;
        info.size = (uint64_t)rg->shared_pages * PAGE_SIZE;
        info.arg = (uint64_t)rg->slots | (uint64_t)rg->slot_size << 32;
        uint32_t queued = 0;
        for (uint32_t k = 0; k < rg->xq_count; k++)
            queued += !cap_empty(&rg->xq[(rg->xq_head + k) % V_RING_XQ]);
        info.free = V_RING_XQ - queued;
        break;
    }
    case V_TYPE_DMA:
        dma_info(c, &info);
        break;
    case V_TYPE_DEBUG:
        info.arg = c->arg;
        info.size = sched_timer_irqs;
        break;
    default:
        info.arg = c->arg;
        break;
    }
    if (arch_copy_to_user(a->a[1], &info, sizeof info))
        return sys_err(V_EFAULT);
    return sys_ok(c->type);
}

/* Narrowing an argument is allowed exactly where the type has one. */
static int narrow_arg(const struct cap *c, uint64_t arg, uint64_t *out)
{
    switch (c->type) {
    case V_TYPE_SIGNAL:
    case V_TYPE_IRQ:
    case V_TYPE_LABEL:
        if (arg & ~c->arg)
            return V_EWIDEN;
        *out = arg;
        return V_OK;
    case V_TYPE_IOPORT: {
        uint64_t b = V_IOPORTS_BASE(c->arg), n = V_IOPORTS_COUNT(c->arg);
        uint64_t nb = V_IOPORTS_BASE(arg), nn = V_IOPORTS_COUNT(arg);
        if (nn == 0 || nn > 0x10000)
            return V_EINVAL;
        if (nb < b || nb + nn > b + n)
            return V_EWIDEN;
        *out = arg;
        return V_OK;
    }
    default:
        if (arg != 0)
            return V_EINVAL;
        *out = c->type == V_TYPE_FRAME ? 0 : c->arg;
        return V_OK;
    }
}

static struct v_ret derive(struct task *self, const struct sys_args *a, uint32_t rights,
                           uint64_t arg, bool use_arg)
{
    struct captable *tab = task_table(self);
    struct cap *src, *dst;
    int e = cap_lookup(tab, a->a[0], 0, 0, &src);
    if (e)
        return sys_err(e);
    if (rights & ~src->rights)
        return sys_err(V_EWIDEN);
    uint64_t newarg = src->type == V_TYPE_FRAME ? 0 : src->arg;
    if (use_arg && (e = narrow_arg(src, arg, &newarg)))
        return sys_err(e);
    if ((e = cap_dest(tab, a->a[1], &dst)))
        return sys_err(e);
    cap_insert(dst, src, src->type, rights, src->obj, newarg, src->arg2, 0);
    return sys_ok(cap_handle(tab, dst));
}

/* cap_copy(h, dst): same rights, a child of h. */
struct v_ret sys_cap_copy(struct task *self, const struct sys_args *a)
{
    struct cap *src;
    int e = cap_lookup(task_table(self), a->a[0], 0, 0, &src);
    if (e)
        return sys_err(e);
    return derive(self, a, src->rights, 0, false);
}

/* cap_mint(h, dst, rights, arg): a child with fewer rights and, for
 * SIGNAL, IRQ and IOPORT, a narrower argument. */
struct v_ret sys_cap_mint(struct task *self, const struct sys_args *a)
{
    if (a->a[2] & ~(uint64_t)V_R_ALL)
        return sys_err(V_EINVAL);
    return derive(self, a, (uint32_t)a->a[2], a->a[3], a->a[3] != 0);
}

/* cap_move(h, dst): to another slot of the same table. */
struct v_ret sys_cap_move(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *src, *dst;
    int e = cap_lookup(tab, a->a[0], 0, 0, &src);
    if (e || (e = cap_dest(tab, a->a[1], &dst)))
        return sys_err(e);
    cap_move_slot(dst, src);
    return sys_ok(cap_handle(tab, dst));
}

/* A deletion that stopped is made again when its Task next runs: either
 * from the start (c is still there), or, once its queued drain is done,
 * answered V_OK at once (syscall.c). Inside a batch deletions do not stop
 * (batch.c sets no_stop), so this sees only CAP_DONE there. */
static struct v_ret deletion_result(struct task *self, enum cap_progress p)
{
    if (p == CAP_DONE)
        return sys_ok(0);
    self->reap_owed = p == CAP_DRAIN_OWED;
    return sys_restart();
}

struct v_ret sys_cap_delete(struct task *self, const struct sys_args *a)
{
    struct cap *c;
    int e = cap_lookup(task_table(self), a->a[0], 0, 0, &c);
    if (e)
        return sys_err(e);
    return deletion_result(self, cap_delete_preemptible(c));
}

struct v_ret sys_cap_revoke(struct task *self, const struct sys_args *a)
{
    struct cap *c;
    int e = cap_lookup(task_table(self), a->a[0], 0, 0, &c);
    if (e)
        return sys_err(e);
    return deletion_result(self, cap_revoke_preemptible(c));
}

/* cap_grant(table, h, dst, flags): copy (or move) h into another table. */
struct v_ret sys_cap_grant(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *tc, *src, *dst;
    int e = cap_lookup(tab, a->a[0], V_TYPE_CAPTABLE, V_R_WRITE, &tc);
    if (e || (e = cap_lookup(tab, a->a[1], 0, V_R_GRANT, &src)))
        return sys_err(e);
    if (a->a[3] & ~(uint64_t)V_MOVE)
        return sys_err(V_EINVAL);
    if (src->type == V_TYPE_CAPTABLE && src->obj == tc->obj)
        return sys_err(V_EINVAL);   /* a table may not hold itself */
    struct captable *to = tc->obj;
    /* A table does not know whose it is: a Task whose writes carry a
     * label grants only into its own (docs/LABELS.md). */
    if (task_lw(self) && to != task_table(self))
        return sys_err(V_EFLOW);
    if ((e = cap_dest(to, a->a[2], &dst)))
        return sys_err(e);
    obj_transfer(dst, src, a->a[3] & V_MOVE);
    return sys_ok(cap_handle(to, dst));
}
