/*
 * dma.c: see dma.h. The system calls dma_create and dma_map, the DMA
 * space's deletion, and the IOMMU's fault reports.
 */
#include "core/dma.h"
#include "core/label.h"
#include "core/aspace.h"
#include "core/platform.h"
#include "core/reticle.h"
#include "core/syscall.h"
#include "arch.h"

struct dma_space {
    bool live;
    bool confined;              /* immutable while live: the IOMMU translates for it */
    uint16_t source;            /* immutable while live: bus << 8 | devfn */
    uint64_t gen;               /* immutable while live: never reused */
    paddr_t top;                /* immutable while live: the object's page */
    struct reticle *pt;         /* immutable while live: pays for the tables */
    uint32_t ntables;
    uint64_t pages;             /* mapped now */
    uint64_t faults, last_fault;
    /* Labels (docs/LABELS.md): the device is the world outside, so a
     * labelled frame may be mapped only by a Task of the address space
     * that made the DMA space, and only in categories that space owns;
     * label holds every category ever mapped (until the space goes).
     * When that space no longer owns them all, or its write label is no
     * longer empty, the space is cut: the device is detached in that
     * same call and nothing more is mapped. */
    uint32_t asid;              /* immutable while live: the maker's space */
    uint64_t as_gen;
    uint64_t label;
    bool cut;
    char owner[32];             /* the creating Task's name, for fault reports */
};

static struct dma_space spaces[V_MAX_DMA];
static uint64_t next_gen = 1;
static bool confining;
static unsigned addr_bits;

bool dma_confining(void) { return confining; }

void dma_init(void)
{
    const struct acpi_platform *p = &platform.acpi;
    if (!platform.has_acpi || !p->has_dmar)
        return;                 /* platform_init said DMA is unconfined */
    /* One unit, for segment 0: its scope says which devices it confines
     * (all of them, or those it names: QEMU's lists every device). */
    if (p->niommus != 1 || p->iommu[0].segment != 0) {
        kprintf("dma: %u remapping units: only one is driven here; DMA is unconfined\n",
                p->niommus);
        return;
    }
    if (p->nrmrrs)
        kprintf("dma: %u firmware-reserved DMA regions ignored (no device here needs one)\n",
                p->nrmrrs);
    confining = arch_iommu_init(p->iommu[0].base, &addr_bits);
    if (confining && !kopt_quiet)
        kprintf("dma: IOMMU at %#lx: each device reaches only what is mapped for it "
                "(%u-bit device addresses; interrupts %s)\n", p->iommu[0].base, addr_bits,
                arch_iommu_remaps_interrupts() ? "remapped" : "NOT remapped");
}

/* The function whose configuration page this frame is, if it is one. */
bool dma_config_source(const struct cap *fc, uint16_t *source)
{
    if (!(fc->arg2 & FRAME_DEVICE) || frame_pages(fc) != 1)
        return false;
    paddr_t at = frame_phys(fc);
    const struct acpi_platform *p = &platform.acpi;
    for (unsigned i = 0; platform.has_acpi && i < p->necam; i++) {
        const struct acpi_mcfg_range *e = &p->ecam[i];
        paddr_t lo = e->base + ((uint64_t)e->start_bus << 20);
        paddr_t hi = e->base + (((uint64_t)e->end_bus + 1) << 20);
        if (e->segment == 0 && at >= lo && at < hi) {
            *source = (uint16_t)((at - e->base) >> 12);
            return true;
        }
    }
    return false;
}

/* dma_create(reticle, cfg, dst) -> handle */
struct v_ret sys_dma_create(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *rc, *fc, *dst;
    int e = cap_lookup(tab, a->a[0], V_TYPE_RETICLE, V_R_CONTROL, &rc);
    if (e || (e = cap_lookup(tab, a->a[1], V_TYPE_FRAME, V_R_CONTROL, &fc)))
        return sys_err(e);
    struct reticle *r = rc->obj;
    if (r->dead)
        return sys_err(V_ESTATE);
    uint16_t source;
    if (r->device || !dma_config_source(fc, &source))
        return sys_err(V_EINVAL);
    bool confined = confining && platform_iommu_scope(source);
    if (confined && !arch_iommu_bus_ok(source >> 8))
        return sys_err(V_ERANGE);
    unsigned idx = V_MAX_DMA;
    for (unsigned i = 0; i < V_MAX_DMA; i++) {
        if (spaces[i].live && spaces[i].source == source)
            return sys_err(V_EEXIST);
        if (!spaces[i].live && idx == V_MAX_DMA)
            idx = i;
    }
    if (idx == V_MAX_DMA)
        return sys_err(V_EFULL);
    struct reticle_plan where;
    if (!reticle_plan(r, PAGE_SIZE, PAGE_SIZE, &where))
        return sys_err(V_ENOMEM);
    if ((e = cap_dest(tab, a->a[2], &dst)))
        return sys_err(e);

    paddr_t top = reticle_take_planned(r, &where, PAGE_SIZE, true);
    struct dma_space *s = &spaces[idx];
    struct aspace *mine = aspace_of(self->aspace.obj);
    *s = (struct dma_space){.live = true, .confined = confined, .source = source, .gen = next_gen++, .top = top,
                            .pt = r, .asid = mine->asid, .as_gen = mine->gen};
    for (unsigned i = 0; self->name[i] && i + 1 < sizeof s->owner; i++)
        s->owner[i] = self->name[i];
    self->ctr_retyped += PAGE_SIZE;
    if (confined)
        arch_iommu_attach(source, top, (uint16_t)(idx + 1));
    cap_insert(dst, rc, V_TYPE_DMA, V_R_ALL, arch_phys_to_virt(top), idx, 0, CAP_ORIGINAL);
    return sys_ok(cap_handle(tab, dst));
}

static void release_table(paddr_t p, void *ctx)
{
    struct dma_space *s = ctx;
    s->ntables--;
    reticle_release(s->pt, p, PAGE_SIZE);
}

void dma_destroy(const struct cap *gone)
{
    struct dma_space *s = &spaces[gone->arg];
    if (s->confined) {
        if (!s->cut)
            arch_iommu_detach(s->source, (uint16_t)(gone->arg + 1));
        if (!s->pt->dead)
            arch_iopt_free_tables(s->top, release_table, s);
    }
    s->live = false;
    /* the top page itself goes back with the object (object.c) */
}

/* dma_map(dma, frame, iova, rights) -> device address */
struct v_ret sys_dma_map(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *dc, *fc;
    uint64_t iova = a->a[2], rights = a->a[3];
    int e = cap_lookup(tab, a->a[0], V_TYPE_DMA, V_R_WRITE, &dc);
    if (e || (e = cap_lookup(tab, a->a[1], V_TYPE_FRAME, 0, &fc)))
        return sys_err(e);
    if (!rights || (rights & ~(uint64_t)(V_R_READ | V_R_WRITE)))
        return sys_err(V_EINVAL);
    if ((fc->rights & rights) != rights)
        return sys_err(V_ERIGHTS);
    /* a device is the world outside: it may be given only what is
     * unlabelled or declassified by the ownership of the space that made
     * the DMA space (the caller's: that space is the one re-checked when
     * labels change) */
    struct dma_space *s = &spaces[dc->arg];
    uint64_t fl = label_of_frame(fc);
    const struct aspace *mine = aspace_of(self->aspace.obj);
    if (task_lw(self) || (fl & ~(task_lr(self) & ~task_lw(self))) ||
        (fl && (mine->asid != s->asid || mine->gen != s->as_gen)))
        return sys_err(V_EFLOW);
    if (s->cut)
        return sys_err(V_EDISCONNECTED);
    if (fc->arg2 & FRAME_DEVICE)
        return sys_err(V_EINVAL);       /* device to device: not offered */
    if (fc->arg)
        return sys_err(V_EEXIST);       /* this capability is already mapped */
    if (iova % PAGE_SIZE)
        return sys_err(V_EALIGN);
    unsigned n = frame_pages(fc);
    uint64_t devaddr = frame_phys(fc);
    if (s->confined) {
        if (iova >= 1ull << addr_bits || n > ((1ull << addr_bits) - iova) / PAGE_SIZE)
            return sys_err(V_ERANGE);
        unsigned need;
        if (arch_iopt_probe(s->top, iova, n, &need))
            return sys_err(V_EEXIST);
        struct reticle_plan tables;
        if (need && (s->pt->dead ||
                     !reticle_plan(s->pt, (uint64_t)need * PAGE_SIZE, PAGE_SIZE, &tables)))
            return sys_err(V_ENOMEM);

        struct reticle_run run = {0, need};
        if (need)
            run.next = reticle_take_pages(s->pt, &tables, need, need);
        s->ntables += need;
        arch_iopt_map(s->top, iova, devaddr, n, rights & V_R_READ, rights & V_R_WRITE,
                      reticle_run_next, &run);
        KASSERT(run.left == 0);
        devaddr = iova;
    }
    s->pages += n;
    s->label |= fl;
    fc->arg = devaddr | FRAME_MAP_DMA | dc->arg;
    fc->map_gen = s->gen;
    return sys_ok(devaddr);
}

void dma_mapping_gone(const struct cap *fc)
{
    struct dma_space *s = &spaces[fc->arg & FRAME_MAP_DMA_INDEX];
    if (!s->live || s->gen != fc->map_gen)
        return;                         /* the space went first */
    unsigned n = frame_pages(fc);
    s->pages -= n;
    if (s->confined)
        arch_iopt_unmap(s->top, fc->arg & ~PAGE_MASK, frame_phys(fc), n,
                        (uint16_t)((fc->arg & FRAME_MAP_DMA_INDEX) + 1));
}

static void cut(struct dma_space *s, unsigned idx)
{
    if (s->confined)
        arch_iommu_detach(s->source, (uint16_t)(idx + 1));
    s->cut = true;
}

void dma_label_changed(const struct aspace *as)
{
    uint64_t owned = as->lr & ~as->lw;
    for (unsigned i = 0; i < V_MAX_DMA; i++) {
        struct dma_space *s = &spaces[i];
        if (s->live && !s->cut && s->asid == as->asid && s->as_gen == as->gen &&
            (as->lw || (s->label & ~owned)))
            cut(s, i);
    }
}

void dma_space_gone(const struct aspace *as)
{
    for (unsigned i = 0; i < V_MAX_DMA; i++) {
        struct dma_space *s = &spaces[i];
        if (s->live && !s->cut && s->label && s->asid == as->asid && s->as_gen == as->gen)
            cut(s, i);
    }
}

static const char *fault_reason(unsigned r)
{
    switch (r) {
    case 1: return "no root entry";
    case 2: return "no context entry";
    case 4: return "beyond the space's width";
    case 5: return "not mapped writable";
    case 6: return "not mapped readable";
    default: return "bad table entry";
    }
}

void dma_fault(uint16_t source, uint64_t addr, unsigned reason, bool write)
{
    struct dma_space *s = 0;
    for (unsigned i = 0; i < V_MAX_DMA && !s; i++)
        if (spaces[i].live && spaces[i].source == source)
            s = &spaces[i];
    if (s) {
        s->faults++;
        s->last_fault = addr;
    }
    if (reason >= 0x20) {           /* interrupt remapping refused a message */
        kprintf("dma: blocked an interrupt message (%s) from device %02x:%02x.%u (%s)\n",
                reason == 0x25 ? "not in the remappable format" : "no such entry",
                source >> 8, (source >> 3) & 31, source & 7, s ? s->owner : "no DMA space");
        return;
    }
    kprintf("dma: blocked %s of %#lx by device %02x:%02x.%u (%s): %s\n",
            write ? "write" : "read", addr, source >> 8, (source >> 3) & 31, source & 7,
            s ? s->owner : "no DMA space", s ? fault_reason(reason) : "no context entry");
}

void dma_info(const struct cap *c, struct v_capinfo *info)
{
    const struct dma_space *s = &spaces[c->arg];
    info->arg = s->source | (s->confined ? V_DMA_CONFINED : 0) | (s->cut ? V_DMA_CUT : 0);
    info->size = PAGE_SIZE + (uint64_t)s->ntables * PAGE_SIZE;
    info->free = s->faults;
    info->phys = s->last_fault;
    info->mapped = s->pages;
}
