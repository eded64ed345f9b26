/*
 * root.c: build the root Task from the first boot module and hand it
 * every resource as capabilities.
 *
 * This is the only ELF loading the kernel does: the root Task (init)
 * loads every other program itself. The module is validated whole by
 * lib/elf before a single page is mapped; anything wrong with it is a
 * clear boot error. The root's own objects (Task, table, address space,
 * pages) come from boot memory; everything left over after that becomes
 * the root's Reticles, and the boot allocator is sealed.
 *
 * The root's Bundle lists: self, table, aspace, debug, irq, ioports
 * (0x100..0xffff), rtc (the CMOS clock's ports 0x70..0x71), reticle0..
 * (RAM, largest first), ecam0.. (the PCI configuration windows ACPI
 * names) and mmio0.. (the PCI hole's pieces around them). The
 * boot modules are mapped read-only from V_MODULES_ADDR and described
 * by the page at V_BOOTINFO_ADDR.
 */
#include "core/root.h"
#include "core/aspace.h"
#include "core/device.h"
#include "core/dma.h"
#include "core/platform.h"
#include "core/pmem.h"
#include "core/reticle.h"
#include "core/sched.h"
#include "elf/elf.h"

#define ROOT_STACK_PAGES 16
#define ROOT_PRIO 16
#define ROOT_TABLE_BITS 10

static struct task *root;
static struct aspace *root_as;
static struct v_bundle *bundle;
static struct v_bootinfo *bootinfo;

static bool module_in_ram(const struct boot_info *bi, const struct boot_module *m)
{
    for (unsigned i = 0; i < bi->nram; i++) {
        const struct boot_region *r = &bi->ram[i];
        if (m->base >= r->base && m->size <= r->base + r->size - m->base)
            return true;
    }
    return false;
}

static bool map_boot_run(uint64_t va, paddr_t pa, unsigned npages, unsigned flags)
{
    return arch_pt_map(root_as->root, va, pa, npages, flags | MAP_USER, pmem_alloc_page, 0) ==
           V_OK;
}

static bool map_boot(uint64_t va, paddr_t pa, unsigned flags)
{
    return map_boot_run(va, pa, 1, flags);
}

static bool map_new(uint64_t va, unsigned flags, paddr_t *out)
{
    paddr_t p = pmem_alloc_page(0);
    if (!p || !map_boot(va, p, flags))
        return false;
    if (out)
        *out = p;
    return true;
}

static struct captable *root_tab;

static struct cap *give(const char *name, unsigned type, uint32_t rights, void *obj,
                        uint64_t arg)
{
    struct captable *t = root_tab;
    struct cap *slot;
    KASSERT(cap_dest(t, V_SLOT_ANY, &slot) == V_OK);
    cap_insert(slot, 0, type, rights, obj, arg, 0, CAP_ORIGINAL);
    struct v_bundle_entry *e = &bundle->entry[bundle->count++];
    for (size_t i = 0; name[i] && i + 1 < sizeof e->name; i++)
        e->name[i] = name[i];
    e->type = (uint16_t)type;
    e->rights = (uint16_t)rights;
    e->handle = cap_handle(t, slot);
    return slot;
}

static bool load_elf(const uint8_t *file, const struct elf_image *img)
{
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct elf_segment *s = &img->seg[i];
        unsigned flags = MAP_R | (s->flags & ELF_W ? MAP_W : 0) | (s->flags & ELF_X ? MAP_X : 0);
        for (uint64_t va = ALIGN_DOWN(s->vaddr, PAGE_SIZE); va < s->vaddr + s->memsz;
             va += PAGE_SIZE) {
            paddr_t p;
            if (!map_new(va, flags, &p))
                return false;
            uint64_t lo = va > s->vaddr ? va : s->vaddr;
            uint64_t hi = va + PAGE_SIZE < s->vaddr + s->filesz ? va + PAGE_SIZE
                                                                : s->vaddr + s->filesz;
            if (lo < hi)
                memcpy((uint8_t *)arch_phys_to_virt(p) + (lo - va),
                       file + s->offset + (lo - s->vaddr), hi - lo);
        }
    }
    return true;
}

/* Map the modules and describe them; the root reads its services and
 * capsules from here. */
static bool map_modules(const struct boot_info *bi, struct v_bootinfo *info)
{
    uint64_t va = V_MODULES_ADDR;
    for (unsigned i = 0; i < bi->nmodules && i < ARRAY_LEN(info->module); i++) {
        const struct boot_module *m = &bi->modules[i];
        if (!module_in_ram(bi, m))
            continue;
        paddr_t first = ALIGN_DOWN(m->base, PAGE_SIZE);
        paddr_t last = ALIGN_UP(m->base + m->size, PAGE_SIZE);
        struct v_bootmod *bm = &info->module[info->nmodules++];
        bm->vaddr = va + (m->base - first);
        bm->size = m->size;
        const char *base = m->name;
        for (const char *c = m->name; *c; c++)
            if (*c == '/' || *c == ' ')
                base = c + 1;
        for (size_t k = 0; base[k] && k + 1 < sizeof bm->name; k++)
            bm->name[k] = base[k];
        if (!map_boot_run(va, first, (unsigned)((last - first) / PAGE_SIZE), MAP_R))
            return false;
        va += last - first + PAGE_SIZE;     /* and a guard page between modules */
    }
    return true;
}

struct task *root_create(const struct boot_info *bi, uint64_t tsc_entry)
{
    if (bi->nmodules == 0) {
        kprintf("boot: no boot modules: the first module must be the root task (an ELF "
                "executable)\n");
        return 0;
    }
    const struct boot_module *m = &bi->modules[0];
    if (m->size == 0 || !module_in_ram(bi, m)) {
        kprintf("boot: module 0 '%s' at %#lx (%lu bytes) is empty or outside RAM\n", m->name,
                m->base, m->size);
        return 0;
    }
    const uint8_t *file = arch_phys_to_virt(m->base);
    struct elf_image img;
    uint64_t stack_lo = V_STACK_TOP - ROOT_STACK_PAGES * PAGE_SIZE;
    enum elf_err e = elf_parse(file, m->size, V_PROGRAM_BASE, V_MODULES_ADDR, &img);
    if (e != ELF_OK) {
        kprintf("boot: module 0 '%s' is not a valid root task: %s\n", m->name,
                elf_strerror(e));
        return 0;
    }

    paddr_t tp = pmem_alloc(V_SIZE_TASK, PAGE_SIZE);
    paddr_t tabp = pmem_alloc((uint64_t)V_SIZE_CAPSLOT << ROOT_TABLE_BITS,
                              (uint64_t)V_SIZE_CAPSLOT << ROOT_TABLE_BITS);
    paddr_t asp = pmem_alloc(V_SIZE_ASPACE, PAGE_SIZE);
    paddr_t bp = pmem_alloc_page(0), ip = pmem_alloc_page(0);
    if (!tp || !tabp || !asp || !bp || !ip)
        goto nomem;
    root = arch_phys_to_virt(tp);
    void *asobj = arch_phys_to_virt(asp);
    struct captable *tab = arch_phys_to_virt(tabp);
    captable_init(tab, ROOT_TABLE_BITS);
    root_tab = tab;
    aspace_create(asobj, 0);
    root_as = aspace_of(asobj);
    root_as->boot = 1;
    bundle = arch_phys_to_virt(bp);
    bundle->magic = V_BUNDLE_MAGIC;
    struct v_bootinfo *info = bootinfo = arch_phys_to_virt(ip);
    info->magic = V_BUNDLE_MAGIC ^ 1;
    info->tsc_at_entry = tsc_entry;
    for (size_t i = 0; bi->cmdline[i] && i + 1 < sizeof info->cmdline; i++)
        info->cmdline[i] = bi->cmdline[i];

    if (!load_elf(file, &img) || !map_boot(V_BUNDLE_ADDR, bp, MAP_R) ||
        !map_boot(V_BOOTINFO_ADDR, ip, MAP_R) || !map_modules(bi, info))
        goto nomem;
    for (uint64_t va = stack_lo; va < V_STACK_TOP; va += PAGE_SIZE)
        if (!map_new(va, MAP_R | MAP_W, 0))
            goto nomem;

    const char *base = m->name;
    for (const char *c = m->name; *c; c++)
        if (*c == '/' || *c == ' ')
            base = c + 1;
    task_init(root, *base ? base : "root", ROOT_PRIO);
    /* The root's own table and address space are named by its embedded
     * slots, children of the originals it is given: deleting one of those
     * ends the root like any other Task. */
    give("self", V_TYPE_TASK, V_R_ALL, root, 0);
    struct cap *tab_c = give("table", V_TYPE_CAPTABLE, V_R_ALL, tab, 0);
    struct cap *as_c = give("aspace", V_TYPE_ASPACE, V_R_ALL, asobj, 0);
    cap_insert(&root->table, tab_c, V_TYPE_CAPTABLE, V_R_ALL, tab, 0, 0, 0);
    cap_insert(&root->aspace, as_c, V_TYPE_ASPACE, V_R_ALL, asobj, 0, 0, 0);
    give("debug", V_TYPE_DEBUG, V_R_ALL, 0, 0);
    give("irq", V_TYPE_IRQ, V_R_ALL, 0, ((1ull << V_IRQ_LINES) - 1) & ~IRQ_KERNEL_LINES);
    give("ioports", V_TYPE_IOPORT, V_R_ALL, 0, V_IOPORTS(0x100, 0x10000ull - 0x100));
    give("labels", V_TYPE_LABEL, V_R_ALL, 0, ~0ull);   /* owns every category */
    give("rtc", V_TYPE_IOPORT, V_R_ALL, 0, V_IOPORTS(0x70, 2));    /* CMOS clock: wall time */
    arch_regs_init_user(&root->regs, img.entry, V_STACK_TOP, V_BUNDLE_ADDR);
    return root;

nomem:
    kprintf("boot: out of memory building the root task\n");
    return 0;
}

/* What remains of RAM becomes the root's Reticles, largest first; the
 * PCI hole below 4 GiB becomes a device Reticle. */
void root_give_memory(const struct boot_info *bi)
{
    pmem_seal();
    const struct pmem_region *r;
    unsigned n = pmem_regions(&r);
    bool used[PMEM_MAX_REGIONS] = {0};
    struct reticle *largest = 0;
    for (unsigned k = 0, idx = 0; k < n; k++) {
        unsigned best = n;
        for (unsigned i = 0; i < n; i++)
            if (!used[i] && r[i].size >= 4 * PAGE_SIZE && (best == n || r[i].size > r[best].size))
                best = i;
        if (best == n)
            break;
        used[best] = true;
        struct reticle *ret = reticle_init(r[best].base, r[best].size);
        if (!largest)
            largest = ret;
        char name[16] = "reticle";
        unsigned len = 7;
        if (idx >= 10)
            name[len++] = (char)('0' + idx / 10 % 10);
        name[len++] = (char)('0' + idx % 10);
        idx++;
        give(name, V_TYPE_RETICLE, V_R_ALL, ret, 0);
    }
    root_as->pt_reticle = largest;

    paddr_t low_top = 0;
    for (unsigned i = 0; i < bi->nram; i++)
        if (bi->ram[i].base < (4ull << 30) && bi->ram[i].base + bi->ram[i].size > low_top)
            low_top = bi->ram[i].base + bi->ram[i].size;
    paddr_t hole = ALIGN_UP(low_top, 256ull << 20);
    paddr_t hole_end = 0xfec00000ull;    /* IOAPIC, LAPIC and firmware above: kernel's */

    /* The ECAM windows are configuration space, handed out on their own
     * (a device manager needs them, a driver never does), so the MMIO
     * Reticles are the hole's pieces around them, in address order. */
    const struct acpi_platform *p = &platform.acpi;
    struct v_platform *vp = &bootinfo->platform;
    vp->flags = (platform.has_acpi ? V_PLATFORM_ACPI : 0) | (dma_confining() ? V_PLATFORM_IOMMU : 0) |
                (dma_confining() && arch_iommu_remaps_interrupts() ? V_PLATFORM_INTREMAP : 0) |
                (p->pcat_compat ? V_PLATFORM_PCAT : 0) |
                (arch_irq_via_ioapic() ? V_PLATFORM_IOAPIC : 0) |
                (sched_tickless ? V_PLATFORM_TICKLESS : 0);
    paddr_t lo[ACPI_MAX_ECAM], hi[ACPI_MAX_ECAM];
    unsigned ne = 0;
    for (unsigned i = 0; i < p->necam && ne < ARRAY_LEN(vp->ecam); i++) {
        const struct acpi_mcfg_range *e = &p->ecam[i];
        lo[ne] = e->base + ((uint64_t)e->start_bus << 20);
        hi[ne] = e->base + (((uint64_t)e->end_bus + 1) << 20);
        struct reticle *er = reticle_init_device(lo[ne], hi[ne] - lo[ne]);
        if (!er)
            break;
        char name[8] = "ecam0";
        name[4] = (char)('0' + ne);
        give(name, V_TYPE_RETICLE, V_R_ALL, er, 0);
        vp->ecam[ne] = (struct v_ecam){lo[ne], e->segment, e->start_bus, e->end_bus, 0};
        ne++;
    }
    vp->necam = ne;
    unsigned piece = 0;
    for (paddr_t at = hole; at < hole_end;) {
        paddr_t end = hole_end, skip = 0;
        for (unsigned i = 0; i < ne; i++) {
            if (lo[i] <= at && at < hi[i])
                skip = hi[i] > skip ? hi[i] : skip;      /* inside a window: past it */
            else if (lo[i] > at && lo[i] < end)
                end = lo[i];                             /* a window starts ahead */
        }
        if (skip) {
            at = skip;
            continue;
        }
        struct reticle *dev = reticle_init_device(at, end - at);
        if (dev) {
            char name[8] = "mmio0";
            name[4] = (char)('0' + piece++);
            give(name, V_TYPE_RETICLE, V_R_ALL, dev, 0);
        }
        at = end;
    }
}

void root_set_start_tsc(uint64_t tsc)
{
    bootinfo->tsc_at_root = tsc;
}
