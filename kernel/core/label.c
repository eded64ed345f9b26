/*
 * label.c: frame labels, label enforcement and the label_* system calls.
 * See label.h; the rules and their coverage are in docs/LABELS.md.
 */
#include "core/label.h"
#include "core/object.h"
#include "core/pmem.h"
#include "core/ring.h"
#include "core/sched.h"
#include "core/syscall.h"
#include "core/dma.h"

/* One label word per page of RAM that can become a frame, and one bit
 * per page saying it is a frame's now (the words of other pages are
 * meaningless: page tables, Rings, Tasks). Taken once at boot from the
 * boot allocator: 8 bytes + 1 bit per 4 KiB page (0.2 % of RAM). */
static uint64_t *page_label;
static uint64_t *page_frame;
static uint64_t label_pages;

void label_init(void)
{
    const struct pmem_region *r;
    unsigned n = pmem_regions(&r);
    paddr_t top = 0;
    for (unsigned i = 0; i < n; i++)
        if (r[i].base + r[i].size > top)
            top = r[i].base + r[i].size;
    uint64_t pages = top / PAGE_SIZE;
    paddr_t words = pmem_alloc(ALIGN_UP(pages * 8, PAGE_SIZE), PAGE_SIZE);
    paddr_t bits = pmem_alloc(ALIGN_UP((pages + 63) / 64 * 8, PAGE_SIZE), PAGE_SIZE);
    if (!words || !bits) {
        kprintf("boot: no memory for frame labels\n");
        kernel_halt(EXIT_FAIL);
    }
    page_label = arch_phys_to_virt(words);
    page_frame = arch_phys_to_virt(bits);
    label_pages = pages;
}

void label_frame_born(paddr_t at, uint64_t bytes, uint64_t label)
{
    for (uint64_t p = at / PAGE_SIZE, end = p + bytes / PAGE_SIZE; p < end && p < label_pages;
         p++) {
        page_label[p] = label;
        page_frame[p / 64] |= 1ull << (p % 64);
    }
}

void label_frame_gone(paddr_t at, uint64_t bytes)
{
    for (uint64_t p = at / PAGE_SIZE, end = p + bytes / PAGE_SIZE; p < end && p < label_pages;
         p++)
        page_frame[p / 64] &= ~(1ull << (p % 64));
}

uint64_t label_of_frame(const struct cap *fc)
{
    uint64_t p = frame_phys(fc) / PAGE_SIZE;
    if ((fc->arg2 & FRAME_DEVICE) || p >= label_pages)
        return 0;                       /* device memory: the outside world */
    return page_label[p];
}

static void set_labels(struct aspace *as, uint64_t label)
{
    uint64_t own = cap_empty(&as->own) ? 0 : as->own.arg;
    as->label = label;
    as->lr = label | own;
    as->lw = label & ~own;
}

void label_aspace_born(struct aspace *as, uint64_t label)
{
    set_labels(as, label);
}

/* What becomes of one user leaf under the space's new labels. Pages that
 * are not a frame's (Ring memory, which its binding covers; the root's
 * boot memory, which no capability names) are left alone; uncached pages
 * are device memory, labelled empty. */
struct filter_ctx {
    uint64_t lr, lw;
};

static unsigned filter_leaf(paddr_t pa, bool writable, bool device, void *ctx)
{
    const struct filter_ctx *c = ctx;
    uint64_t p = pa / PAGE_SIZE, fl = 0;
    if (!device && p < label_pages) {
        if (!(page_frame[p / 64] & 1ull << (p % 64)))
            return PT_KEEP;
        fl = page_label[p];
    }
    if (!label_flows(fl, c->lr))
        return PT_UNMAP;
    if (writable && !label_flows(c->lw, fl))
        return PT_READONLY;
    return PT_KEEP;
}

/* Leaf tables walked between preemption points: 16 x 512 leaves. */
#define FILTER_BUDGET 16

void label_enforce(struct aspace *as)
{
    if (as->dying)
        return;
    for (struct ring_end *e = as->rings, *next; e; e = next) {
        next = e->as_next;
        struct ring *rg = e->ring;
        struct aspace *peer = ring_end_space(&rg->end[e == &rg->end[0] ? 1 : 0]);
        if (peer && peer != as &&
            (!label_flows(as->lw, peer->lr) || !label_flows(peer->lw, as->lr)))
            ring_cut(rg);           /* takes e (and only Ring rg's ends) off the list */
    }
    dma_label_changed(as);
    /* The page tables are walked (again from the start: the labels may
     * have changed under a walk half done) before any Task of the space
     * next enters user mode: sched.c's resume does it, preemptibly, for
     * whichever of them runs first; the caller, if it is one, goes
     * through the scheduler on its way out. */
    label_walks_owed += !as->filtering;
    as->filtering = 1;
    as->filter_va = 0;
    sched_changed = true;
}

unsigned label_walks_owed;

void label_space_gone(struct aspace *as)
{
    label_walks_owed -= as->filtering;
    as->filtering = 0;
}

bool label_filter_owed(struct aspace *as)
{
    while (as->filtering) {
        struct filter_ctx c = {as->lr, as->lw};
        if (arch_pt_filter(as->root, &as->filter_va, FILTER_BUDGET, filter_leaf, &c)) {
            as->filtering = 0;
            label_walks_owed--;
        }
        else if (cap_preempt_point())
            return false;
    }
    return true;
}

void label_own_gone(struct aspace *as)
{
    if (as->dying)
        return;
    set_labels(as, as->label);
    label_enforce(as);
}

/* label_set(h, label): h names an address space (its Tasks' label) or a
 * fresh frame (its original, with no copies, unmapped). A space's label
 * may rise freely; a category leaves it only if the space or the caller
 * owns it. A frame's may only rise. */
struct v_ret sys_label_set(struct task *self, const struct sys_args *a)
{
    struct cap *c;
    uint64_t label = a->a[1];
    int e = cap_lookup(task_table(self), a->a[0], 0, V_R_WRITE, &c);
    if (e)
        return sys_err(e);
    if (c->type == V_TYPE_FRAME) {
        if (!(c->flags & CAP_ORIGINAL) || c->child || c->arg)
            return sys_err(V_ESTATE);
        if ((c->arg2 & FRAME_DEVICE) || frame_phys(c) / PAGE_SIZE >= label_pages)
            return sys_err(V_EINVAL);
        uint64_t old = label_of_frame(c);
        if (old & ~label)
            return sys_err(V_EFLOW);
        label_frame_born(frame_phys(c), (uint64_t)frame_pages(c) * PAGE_SIZE, label);
        return sys_ok(0);
    }
    if (c->type != V_TYPE_ASPACE)
        return sys_err(V_ETYPE);
    struct aspace *as = aspace_of(c->obj);
    uint64_t mine = cap_empty(&self->aspace) ? 0 : aspace_of(self->aspace.obj)->lr &
                                                       ~aspace_of(self->aspace.obj)->lw;
    uint64_t owned = as->lr & ~as->lw;
    if (as->label & ~label & ~(owned | mine))
        return sys_err(V_EFLOW);
    set_labels(as, label);
    label_enforce(as);
    return sys_ok(0);
}

/* label_own(aspace, labelcap or 0): bind the LabelCap to the space as its
 * ownership (a copy of it in the space, revoked with it), replacing any
 * bound before; 0 drops ownership. Either way the space is re-checked
 * before the call returns. */
struct v_ret sys_label_own(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *ac, *lc = 0;
    int e = cap_lookup(tab, a->a[0], V_TYPE_ASPACE, V_R_CONTROL, &ac);
    if (e || (a->a[1] && (e = cap_lookup(tab, a->a[1], V_TYPE_LABEL, V_R_CONTROL, &lc))))
        return sys_err(e);
    struct aspace *as = aspace_of(ac->obj);
    if (!label_flows(task_lw(self), as->lr))
        return sys_err(V_EFLOW);
    if (!cap_empty(&as->own)) {
        as->dying = 1;              /* its going is enforced once, below */
        cap_delete_leaf(&as->own);
        as->dying = 0;
    }
    if (lc)
        cap_insert(&as->own, lc, V_TYPE_LABEL, lc->rights, 0, lc->arg, 0, 0);
    set_labels(as, as->label);
    label_enforce(as);
    return sys_ok(0);
}
