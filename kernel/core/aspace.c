/*
 * aspace.c: see aspace.h.
 */
#include "core/aspace.h"
#include "core/label.h"
#include "core/object.h"
#include "core/ring.h"
#include "core/sched.h"
#include "core/syscall.h"

static struct aspace *asids[V_MAX_ASPACES];   /* [0] unused: 0 means "not mapped" */
static uint64_t asid_gen[V_MAX_ASPACES];

bool aspace_asid_available(void)
{
    for (uint32_t i = 1; i < V_MAX_ASPACES; i++)
        if (!asids[i])
            return true;
    return false;
}

void aspace_create(void *obj, struct reticle *pt_reticle)
{
    struct aspace *as = aspace_of(obj);
    as->root = arch_virt_to_phys(obj);
    as->pt_reticle = pt_reticle;
    cap_place(&as->own, 1, CAP_IN_ASPACE);
    arch_as_init(as->root);
    for (uint32_t i = 1; i < V_MAX_ASPACES; i++)
        if (!asids[i]) {
            asids[i] = as;
            as->asid = i;
            as->gen = ++asid_gen[i];
            return;
        }
    KASSERT(!"caller checked aspace_asid_available");
}

struct aspace *aspace_by_asid(uint32_t asid)
{
    return asid && asid < V_MAX_ASPACES ? asids[asid] : 0;
}

static void release_table(paddr_t p, void *ctx)
{
    struct aspace *as = ctx;
    as->ntables--;
    reticle_release(as->pt_reticle, p, PAGE_SIZE);
}

void aspace_destroy(void *obj)
{
    struct aspace *as = aspace_of(obj);
    if (arch_as_current() == as->root)
        arch_as_switch(arch_kernel_root());
    /* no label enforcement while it goes: its bindings are forgotten
     * here (their Rings may outlive it) and its LabelCap slot emptied */
    as->dying = 1;
    dma_space_gone(as);
    label_space_gone(as);
    ring_forget_space(as->rings);
    as->rings = 0;
    if (!cap_empty(&as->own))
        cap_delete_leaf(&as->own);
    asids[as->asid] = 0;
    if (as->pt_reticle && !as->pt_reticle->dead) {
        if (!as->boot)
            arch_pt_free_tables(as->root, release_table, as);
        if (as->tomb)
            reticle_release(as->pt_reticle, as->tomb, PAGE_SIZE);
    }
}

int aspace_can_map(struct aspace *as, uint64_t va, unsigned npages, struct map_plan *plan)
{
    if (va % PAGE_SIZE)
        return V_EALIGN;
    if (va < V_USER_BASE || va >= V_USER_TOP || npages > (V_USER_TOP - va) / PAGE_SIZE)
        return V_ERANGE;
    if (arch_pt_probe(as->root, va, npages, &plan->need))
        return V_EEXIST;
    plan->take = plan->need + (as->tomb ? 0 : 1);
    if (plan->take && (!as->pt_reticle || as->pt_reticle->device ||
                       !reticle_plan(as->pt_reticle, (uint64_t)plan->take * PAGE_SIZE,
                                     PAGE_SIZE, &plan->tables)))
        return V_ENOMEM;
    return V_OK;
}

void aspace_map(struct aspace *as, const struct map_plan *plan, uint64_t va, paddr_t pa,
                unsigned npages, unsigned flags)
{
    struct reticle_run run = {0, plan->need};
    if (plan->take) {
        /* the tables first, zeroed; the tomb page last, zeroed when first used */
        run.next = reticle_take_pages(as->pt_reticle, &plan->tables, plan->take, plan->need);
        if (plan->take > plan->need)
            as->tomb = run.next + (uint64_t)plan->need * PAGE_SIZE;
    }
    as->ntables += plan->need;
    int e = arch_pt_map(as->root, va, pa, npages, flags | MAP_USER, reticle_run_next, &run);
    /* arch_pt_probe counts exactly the tables arch_pt_map creates */
    KASSERT(e == V_OK && run.left == 0);
}

void aspace_unmap(uint32_t asid, uint64_t gen, uint64_t va, paddr_t pa, unsigned npages)
{
    struct aspace *as = aspace_by_asid(asid);
    if (as && as->gen == gen)
        arch_pt_unmap(as->root, va, pa, npages);
}

void aspace_revoke_mapping(uint32_t asid, uint64_t gen, uint64_t va, paddr_t pa,
                           unsigned npages)
{
    struct aspace *as = aspace_by_asid(asid);
    if (!as || as->gen != gen)
        return;
    /* The space's own Reticle is being deleted: the space goes in the same
     * deletion, before that memory can be carved again (a dying Reticle
     * refuses retype, and returns its memory only when everything in it
     * is gone), so there is nothing to unmap or tombstone. */
    if (as->pt_reticle && as->pt_reticle->dead)
        return;
    /* A Task undoing its own mapping gets a real unmap (a use after free
     * faults, as it should); so does a space with only boot mappings. */
    struct task *cur = sched_current();
    bool own = cur && !cap_empty(&cur->aspace) && aspace_of(cur->aspace.obj) == as;
    if (own || !as->tomb) {
        arch_pt_unmap(as->root, va, pa, npages);
        return;
    }
    aspace_tombstone(as, va, pa, npages);
}

void aspace_tombstone(struct aspace *as, uint64_t va, paddr_t pa, unsigned npages)
{
    if (!as->tomb_ready) {
        struct v_ring_ctl *ctl = arch_phys_to_virt(as->tomb);
        memset(ctl, 0, PAGE_SIZE);
        ctl->closed = 1;
        as->tomb_ready = 1;
    }
    arch_pt_tombstone(as->root, va, pa, npages, as->tomb);
}

/* as_map(aspace, frame, vaddr, rights): map one frame capability, all
 * of its pages from vaddr on. */
struct v_ret sys_as_map(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *asc, *fc;
    uint64_t va = a->a[2], rights = a->a[3];
    int e = cap_lookup(tab, a->a[0], V_TYPE_ASPACE, V_R_WRITE, &asc);
    if (e || (e = cap_lookup(tab, a->a[1], V_TYPE_FRAME, 0, &fc)))
        return sys_err(e);
    if (!(rights & V_R_READ) || (rights & ~(uint64_t)(V_R_READ | V_R_WRITE | V_R_EXEC)))
        return sys_err(V_EINVAL);
    if ((rights & V_R_WRITE) && (rights & V_R_EXEC))
        return sys_err(V_EWX);
    if ((fc->rights & rights) != rights)
        return sys_err(V_ERIGHTS);
    if (fc->arg)
        return sys_err(V_EEXIST);       /* this capability is already mapped */
    struct aspace *as = aspace_of(asc->obj);
    /* Labels (core/label.h): reading needs the frame's label within the
     * space's read label, writing needs the space's write label within
     * the frame's; mapping into another's space is a flow to it. */
    uint64_t fl = label_of_frame(fc);
    if (!label_flows(fl, as->lr) || ((rights & V_R_WRITE) && !label_flows(as->lw, fl)) ||
        !label_flows(task_lw(self), as->lr))
        return sys_err(V_EFLOW);
    unsigned n = frame_pages(fc);
    struct map_plan plan;
    if ((e = aspace_can_map(as, va, n, &plan)))
        return sys_err(e);
    unsigned flags = MAP_R | (rights & V_R_WRITE ? MAP_W : 0) | (rights & V_R_EXEC ? MAP_X : 0) |
                     (fc->arg2 & FRAME_DEVICE ? MAP_UNCACHED : 0);
    aspace_map(as, &plan, va, frame_phys(fc), n, flags);
    frame_set_mapped(fc, as, va);
    return sys_ok(0);
}

/* as_unmap(frame): remove the mapping this frame capability made. */
struct v_ret sys_as_unmap(struct task *self, const struct sys_args *a)
{
    struct cap *fc;
    int e = cap_lookup(task_table(self), a->a[0], V_TYPE_FRAME, 0, &fc);
    if (e)
        return sys_err(e);
    if (!fc->arg)
        return sys_err(V_ENOTMAPPED);
    frame_unmap(fc);
    fc->arg = 0;
    return sys_ok(0);
}
