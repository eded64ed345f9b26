/*
 * ring.c: see ring.h.
 */
#include "core/ring.h"
#include "core/aspace.h"
#include "core/label.h"
#include "core/object.h"
#include "core/signal.h"
#include "core/syscall.h"

static bool ring_param(uint64_t param, uint32_t *slots, uint32_t *slot_size)
{
    uint64_t sl = V_RING_PARAM_SLOTS(param), sz = V_RING_PARAM_SLOT(param);
    if (param >> 16 || sl > V_RING_MAX_SLOTS_LOG2 || sz < V_RING_SLOT_MIN_LOG2 ||
        sz > V_RING_SLOT_MAX_LOG2)
        return false;
    *slots = 1u << sl;
    *slot_size = 1u << sz;
    return true;
}

static uint32_t shared_pages(uint32_t slots, uint32_t slot_size)
{
    return (uint32_t)(ALIGN_UP((uint64_t)V_RING_CTL_SIZE + (uint64_t)slots * slot_size,
                               PAGE_SIZE) / PAGE_SIZE);
}

uint64_t ring_object_size(uint64_t param)
{
    uint32_t slots, size;
    if (!ring_param(param, &slots, &size))
        return 0;
    uint64_t pages = shared_pages(slots, size);
    if (pages > 256)                /* 1 MiB of shared memory at most */
        return 0;
    return PAGE_SIZE * (1 + pages);
}

static void ring_finish(struct reap *r);

void ring_create(void *obj, uint64_t param, struct reticle *ret)
{
    struct ring *rg = obj;
    ring_param(param, &rg->slots, &rg->slot_size);
    rg->shared_pages = shared_pages(rg->slots, rg->slot_size);
    rg->shared = arch_virt_to_phys(obj) + PAGE_SIZE;
    rg->reticle = ret;
    rg->obj_base = arch_virt_to_phys(obj);
    rg->obj_size = PAGE_SIZE * (1 + rg->shared_pages);
    rg->reap.slots = rg->xq;
    rg->reap.n = V_RING_XQ;
    rg->reap.finish = ring_finish;
    cap_place(rg->xq, V_RING_XQ, CAP_IN_RING);
    rg->end[RING_SEND].ring = rg->end[RING_RECV].ring = rg;
    struct v_ring_ctl *ctl = arch_phys_to_virt(rg->shared);
    ctl->slots = rg->slots;
    ctl->slot_size = rg->slot_size;
}

struct aspace *ring_end_space(const struct ring_end *e)
{
    struct aspace *as = e->asid ? aspace_by_asid(e->asid) : 0;
    return as && as->gen == e->gen ? as : 0;
}

/* Undo a binding: off its Task's list and its space's, and its mapping
 * tombstoned (cut, or not the caller's own) or unmapped. */
static void unbind_as(struct ring *rg, unsigned e, bool cut)
{
    struct ring_end *end = &rg->end[e];
    if (end->task) {
        struct ring_end **pp = &end->task->bindings;
        while (*pp && *pp != end)
            pp = &(*pp)->bind_next;
        if (*pp)
            *pp = end->bind_next;
        end->task = 0;
    }
    if (end->asid) {
        struct aspace *as = ring_end_space(end);
        if (as) {
            struct ring_end **pp = &as->rings;
            while (*pp && *pp != end)
                pp = &(*pp)->as_next;
            if (*pp)
                *pp = end->as_next;
        }
        end->as_next = 0;
        if (cut && as && as->tomb)
            aspace_tombstone(as, end->vaddr, rg->shared, rg->shared_pages);
        else
            aspace_revoke_mapping(end->asid, end->gen, end->vaddr, rg->shared,
                                  rg->shared_pages);
        end->asid = 0;
    }
}

static void unbind(struct ring *rg, unsigned e) { unbind_as(rg, e, false); }

void ring_cut(struct ring *rg)
{
    struct v_ring_ctl *ctl = arch_phys_to_virt(rg->shared);
    ctl->closed = 1;
    rg->cut = 1;
    for (unsigned e = 0; e < 2; e++) {
        struct task *t = rg->end[e].task;
        unbind_as(rg, e, true);
        if (t)
            signal_deliver(t, 1ull << rg->end[e].bit);
    }
}

void ring_forget_space(struct ring_end *list)
{
    for (struct ring_end *e = list, *next; e; e = next) {
        next = e->as_next;
        e->as_next = 0;
        e->asid = 0;
    }
}

static void ring_finish(struct reap *r)
{
    struct ring *rg = (struct ring *)r;
    unbind(rg, RING_SEND);
    unbind(rg, RING_RECV);
    reticle_release(rg->reticle, rg->obj_base, rg->obj_size);
}

void ring_end_gone(struct ring *rg, unsigned e)
{
    rg->end[e].closed = 1;
    unbind(rg, e);
    struct v_ring_ctl *ctl = arch_phys_to_virt(rg->shared);
    ctl->closed = 1;
    struct ring_end *peer = &rg->end[1 - e];
    if (peer->task)
        signal_deliver(peer->task, 1ull << peer->bit);
    if (rg->end[1 - e].closed)
        cap_defer(&rg->reap);       /* delete what is still queued, then free */
}

void ring_unbind_task(struct task *t)
{
    for (struct ring_end *e = t->bindings; e; e = e->bind_next)
        e->task = 0;
    t->bindings = 0;
}

/* A queued capability whose source was revoked leaves an empty slot in
 * the queue; at the head such slots are simply passed over. */
static void xq_skip_revoked(struct ring *rg)
{
    while (rg->xq_count && cap_empty(&rg->xq[rg->xq_head])) {
        rg->xq_head = (rg->xq_head + 1) % V_RING_XQ;
        rg->xq_count--;
    }
}

/* Close the gaps revoked entries left anywhere in the queue, keeping the
 * order of the rest, so a queue is full only when V_RING_XQ capabilities
 * are really waiting. Called when it looks full: rare, and at most
 * V_RING_XQ moves. */
static void xq_compact(struct ring *rg)
{
    uint32_t w = 0;
    for (uint32_t k = 0; k < rg->xq_count; k++) {
        struct cap *from = &rg->xq[(rg->xq_head + k) % V_RING_XQ];
        if (cap_empty(from))
            continue;
        if (w != k) {
            cap_move_slot(&rg->xq[(rg->xq_head + w) % V_RING_XQ], from);
            rg->xq_label[(rg->xq_head + w) % V_RING_XQ] =
                rg->xq_label[(rg->xq_head + k) % V_RING_XQ];
        }
        w++;
    }
    rg->xq_count = w;
}

static int lookup_end(struct task *self, uint64_t h, uint32_t rights, struct cap **out,
                      struct ring **rg, unsigned *e)
{
    struct cap *c;
    int err = cap_lookup(task_table(self), h, 0, 0, &c);
    if (err)
        return err;
    if (c->type != V_TYPE_RING_SEND && c->type != V_TYPE_RING_RECV)
        return V_ETYPE;
    if ((c->rights & rights) != rights)
        return V_ERIGHTS;
    *out = c;
    *rg = c->obj;
    *e = c->type == V_TYPE_RING_SEND ? RING_SEND : RING_RECV;
    return V_OK;
}

/* ring_bind(end, vaddr, bit): map the shared memory at vaddr in the
 * caller and make bit its doorbell for this end. */
struct v_ret sys_ring_bind(struct task *self, const struct sys_args *a)
{
    struct cap *c;
    struct ring *rg;
    unsigned e;
    int err = lookup_end(self, a->a[0], V_R_READ | V_R_WRITE, &c, &rg, &e);
    if (err)
        return sys_err(err);
    if (a->a[2] > 63)
        return sys_err(V_EINVAL);
    if (rg->end[0].closed || rg->end[1].closed || rg->cut)
        return sys_err(V_EDISCONNECTED);
    /* An end stays bound while its Task lives; after that Task is gone a
     * successor (a restarted service) may bind it again. */
    if (rg->end[e].bound && rg->end[e].task)
        return sys_err(V_EEXIST);
    struct aspace *as = aspace_of(self->aspace.obj);
    /* The shared memory carries bytes both ways (the consumer's head
     * goes back to the producer), so both flows must be allowed. */
    struct aspace *peer = ring_end_space(&rg->end[1 - e]);
    if (peer && (!label_flows(as->lw, peer->lr) || !label_flows(peer->lw, as->lr)))
        return sys_err(V_EFLOW);
    struct map_plan plan;
    if ((err = aspace_can_map(as, a->a[1], rg->shared_pages, &plan)))
        return sys_err(err);
    unbind(rg, e);
    aspace_map(as, &plan, a->a[1], rg->shared, rg->shared_pages, MAP_R | MAP_W);
    struct ring_end *end = &rg->end[e];
    end->task = self;
    end->bit = (uint8_t)a->a[2];
    end->asid = as->asid;
    end->gen = as->gen;
    end->vaddr = a->a[1];
    end->bound = 1;
    end->bind_next = self->bindings;
    self->bindings = end;
    end->as_next = as->rings;
    as->rings = end;
    return sys_ok(rg->shared_pages * PAGE_SIZE);
}

/* ring_notify(end): raise the peer's doorbell bit. Returns 1 if the peer
 * is bound, 0 if there is nobody to wake yet. */
struct v_ret sys_ring_notify(struct task *self, const struct sys_args *a)
{
    struct cap *c;
    struct ring *rg;
    unsigned e;
    int err = lookup_end(self, a->a[0], 0, &c, &rg, &e);
    if (err)
        return sys_err(err);
    struct ring_end *peer = &rg->end[1 - e];
    if (peer->closed)
        return sys_err(V_EDISCONNECTED);
    if (!peer->task)
        return sys_ok(0);
    if (!task_flows(self, peer->task))
        return sys_err(V_EFLOW);
    self->ctr_signals++;
    signal_deliver(peer->task, 1ull << peer->bit);
    return sys_ok(1);
}

/* ring_call(end, mask, timeout_us) -> fired bits: ring the peer's
 * doorbell and wait for mask in one call, handing the CPU straight to the
 * peer if it waits for that doorbell at our priority: a request and the
 * wait for its reply, or a reply and the wait for the next request
 * (seL4's Call and ReplyRecv). With no peer bound yet it only waits. */
struct v_ret sys_ring_call(struct task *self, const struct sys_args *a)
{
    struct cap *c;
    struct ring *rg;
    unsigned e;
    int err = lookup_end(self, a->a[0], 0, &c, &rg, &e);
    if (err)
        return sys_err(err);
    if (a->a[1] == 0)
        return sys_err(V_EINVAL);
    struct ring_end *peer = &rg->end[1 - e];
    if (peer->closed)
        return sys_err(V_EDISCONNECTED);
    if (!peer->task)
        return signal_wait_self(self, a->a[1], a->a[2]);
    if (!task_flows(self, peer->task))
        return sys_err(V_EFLOW);
    return signal_call_task(self, peer->task, 1ull << peer->bit, a->a[1], a->a[2]);
}

/* ring_send_cap(send end, cap, flags): queue a copy (or, with V_MOVE,
 * the capability itself) for the consumer. Returns the queue length. */
struct v_ret sys_ring_send_cap(struct task *self, const struct sys_args *a)
{
    struct cap *c, *src;
    struct ring *rg;
    unsigned e;
    int err = lookup_end(self, a->a[0], V_R_WRITE, &c, &rg, &e);
    if (err)
        return sys_err(err);
    if (e != RING_SEND)
        return sys_err(V_ETYPE);
    if ((err = cap_lookup(task_table(self), a->a[1], 0, V_R_GRANT, &src)))
        return sys_err(err);
    if (a->a[2] & ~(uint64_t)V_MOVE)
        return sys_err(V_EINVAL);
    if (src->obj == rg && (src->type == V_TYPE_RING_SEND || src->type == V_TYPE_RING_RECV))
        return sys_err(V_EINVAL);   /* a Ring may not carry its own ends */
    if (rg->end[RING_RECV].closed || rg->cut)
        return sys_err(V_EDISCONNECTED);
    if (rg->xq_count == V_RING_XQ)
        xq_compact(rg);
    if (rg->xq_count == V_RING_XQ)
        return sys_err(V_EFULL);
    uint32_t at = (rg->xq_head + rg->xq_count) % V_RING_XQ;
    struct cap *slot = &rg->xq[at];
    rg->xq_label[at] = task_lw(self);   /* checked against the receiver's Lr */
    obj_transfer(slot, src, a->a[2] & V_MOVE);
    rg->xq_count++;
    return sys_ok(rg->xq_count);
}

/* ring_recv_cap(recv end, dst): take the oldest queued capability. */
struct v_ret sys_ring_recv_cap(struct task *self, const struct sys_args *a)
{
    struct cap *c, *dst;
    struct ring *rg;
    unsigned e;
    struct captable *tab = task_table(self);
    int err = lookup_end(self, a->a[0], V_R_READ, &c, &rg, &e);
    if (err)
        return sys_err(err);
    if (e != RING_RECV)
        return sys_err(V_ETYPE);
    xq_skip_revoked(rg);
    if (rg->xq_count == 0)
        return sys_err(V_EEMPTY);
    if (!label_flows(rg->xq_label[rg->xq_head], task_lr(self)))
        return sys_err(V_EFLOW);        /* it stays queued */
    if ((err = cap_dest(tab, a->a[1], &dst)))
        return sys_err(err);
    cap_move_slot(dst, &rg->xq[rg->xq_head]);
    rg->xq_head = (rg->xq_head + 1) % V_RING_XQ;
    rg->xq_count--;
    return sys_ok(cap_handle(tab, dst));
}
