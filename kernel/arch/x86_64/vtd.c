/*
 * vtd.c: the IOMMU seam on Intel VT-d: one remapping unit for PCI
 * segment 0, the root and context tables, second-level page tables,
 * invalidation (queued where the unit has it, else through registers),
 * fault recording, and interrupt remapping where the unit offers it.
 *
 * Interrupt remapping: the table has one entry per line, made at boot
 * (the line's vector, fixed delivery, to this CPU), and nothing else is
 * present; interrupts in the old compatibility format are blocked. So a
 * device, whatever its driver programs into it, can raise only the lines'
 * vectors: never an NMI, an INIT or an exception's vector. Entries 0..15
 * are the legacy lines, which only the I/O APIC may raise (source-id
 * verified against the DMAR's I/O APIC scope); an MSI line's entry is tied
 * to the source id of the device its driver named at irq_bind, so no
 * other device can raise it (untied, any device may: the binder's choice).
 *
 * Invariants:
 *   - once translation is on, a device reaches memory only through a
 *     present context entry, and a context entry is present exactly
 *     while a DMA space is attached to that source id: every other
 *     device's DMA is blocked and recorded as a fault;
 *   - the root table and one context table per bus below VTD_BUSES are
 *     boot memory, made once; second-level tables below a space's top
 *     table belong to that space (the portable layer pays for them);
 *   - a mapping removed, or a context entry cleared, is flushed from the
 *     unit's caches before the function returns, so memory given back is
 *     beyond the device's reach when the system call that freed it ends.
 * The unit's registers are mapped uncached at boot (arch_kmap_device),
 * never in user space: the MMIO Reticles stop below 0xfec00000.
 */
#include "arch.h"
#include "vtd.h"
#include "core/dma.h"
#include "core/platform.h"

#define VTD_BUSES 8

#define REG_CAP     0x08
#define REG_ECAP    0x10
#define REG_GCMD    0x18
#define REG_GSTS    0x1c
#define REG_RTADDR  0x20
#define REG_CCMD    0x28
#define REG_FSTS    0x34
#define REG_FECTL   0x38
#define REG_FEDATA  0x3c
#define REG_FEADDR  0x40
#define REG_FEUADDR 0x44

#define GCMD_TE   (1u << 31)
#define GCMD_SRTP (1u << 30)
#define GSTS_ONESHOT_MASK 0x96ffffffu   /* status bits that are not one-shot commands */

#define CCMD_ICC    (1ull << 63)
#define CCMD_GLOBAL (1ull << 61)
#define IOTLB_IVT    (1ull << 63)
#define IOTLB_GLOBAL (1ull << 60)
#define IOTLB_DOMAIN (2ull << 60)
#define IOTLB_DRAIN  (3ull << 48)       /* drain reads and writes */

#define REG_IQH  0x80
#define REG_IQT  0x88
#define REG_IQA  0x90
#define REG_IRTA 0xb8
#define GCMD_QIE   (1u << 26)
#define GCMD_IRE   (1u << 25)
#define GCMD_SIRTP (1u << 24)
#define ECAP_QI (1ull << 1)
#define ECAP_IR (1ull << 3)
#define QI_ENTRIES 256                  /* one page of 16-byte descriptors */
#define IRT_ENTRIES 256                 /* one page of 16-byte entries */

#define FSTS_PFO 1u
#define FSTS_PPF 2u

#define SL_R 1ull
#define SL_W 2ull
#define SL_ADDR 0x000ffffffffff000ull

static volatile uint8_t *regs;
static uint64_t cap, ecap;
static unsigned levels;                 /* second-level table levels: 3 or 4 */
static unsigned nfault;                 /* fault recording registers */
static unsigned fault_off, iotlb_off;
static paddr_t root_table;
static paddr_t context_table[VTD_BUSES];
static bool coherent;                   /* the unit snoops the CPU's caches */
static uint64_t *queue;                 /* queued invalidation, or 0: registers */
static unsigned qtail;
static volatile uint32_t qstatus;
static uint64_t *irt;                   /* interrupt remapping table, or 0 */

static uint32_t rd32(unsigned r) { return *(volatile uint32_t *)(regs + r); }
static uint64_t rd64(unsigned r) { return *(volatile uint64_t *)(regs + r); }
static void wr32(unsigned r, uint32_t v) { *(volatile uint32_t *)(regs + r) = v; }
static void wr64(unsigned r, uint64_t v) { *(volatile uint64_t *)(regs + r) = v; }
static uint64_t *table(paddr_t p) { return arch_phys_to_virt(p); }

/* Entries the unit reads must reach memory when it does not snoop. */
static void flush_entry(const void *p)
{
    if (!coherent)
        __asm__ volatile("clflush (%0)" ::"r"(p) : "memory");
}

/* The unit completes each command quickly; a unit that never does is
 * broken hardware, and the kernel says so rather than hang. */
static bool wait_until(bool (*done)(void))
{
    for (unsigned i = 0; i < 10000000; i++)
        if (done())
            return true;
    kprintf("vt-d: the remapping unit does not answer\n");
    return false;
}

static uint32_t want_status;
static bool status_reached(void) { return (rd32(REG_GSTS) & want_status) == want_status; }
static bool ccmd_done(void) { return !(rd64(REG_CCMD) & CCMD_ICC); }
static bool iotlb_done(void) { return !(rd64(iotlb_off + 8) & IOTLB_IVT); }

static bool command(uint32_t bit)
{
    wr32(REG_GCMD, (rd32(REG_GSTS) & GSTS_ONESHOT_MASK) | bit);
    want_status = bit;
    return wait_until(status_reached);
}

/* Queued invalidation: descriptors, then a wait descriptor that writes
 * qstatus when everything before it is done. */
static void qi_put(uint64_t lo, uint64_t hi)
{
    queue[2 * qtail] = lo;
    queue[2 * qtail + 1] = hi;
    qtail = (qtail + 1) % QI_ENTRIES;
}
static bool qi_done(void) { return qstatus == 1; }
static void qi_sync(void)
{
    qstatus = 0;
    qi_put(5 | 1u << 5 | 1ull << 32, arch_virt_to_phys((const void *)&qstatus));
    wr64(REG_IQT, (uint64_t)qtail << 4);
    wait_until(qi_done);
}

static void flush_context(void)
{
    if (queue) {
        qi_put(1 | 1u << 4, 0);                         /* context cache, global */
        qi_sync();
        return;
    }
    wr64(REG_CCMD, CCMD_ICC | CCMD_GLOBAL);
    wait_until(ccmd_done);
}

/* domain 0: every domain */
static void flush_iotlb(uint16_t domain)
{
    if (queue) {
        qi_put(2 | 3u << 6 | (domain ? 2u << 4 | (uint64_t)domain << 16 : 1u << 4), 0);
        qi_sync();
        return;
    }
    wr64(iotlb_off + 8, IOTLB_IVT | IOTLB_DRAIN |
                            (domain ? IOTLB_DOMAIN | (uint64_t)domain << 32 : IOTLB_GLOBAL));
    wait_until(iotlb_done);
}

bool vtd_msi_message(unsigned line, uint64_t *msg)
{
    if (!irt)
        return false;
    /* remappable format: handle = the line, no subhandle */
    *msg = (uint64_t)(0xfee00000u | line << 5 | 1u << 4) << 32;
    return true;
}

#define IRTE_TM      (1ull << 4)        /* level-triggered */
#define IRTE_SVT_SID (1ull << 18)       /* verify the full source id (SQ 0) */

/* An entry's source check changed: the unit's copy of it goes. */
static void flush_irte(unsigned index)
{
    qi_put(4 | 1u << 4 | (uint64_t)index << 32, 0);     /* interrupt entry cache, one index */
    qi_sync();
}

void arch_msi_source(unsigned line, int32_t source)
{
    if (!irt || line < V_IRQ_MSI_FIRST || line >= V_IRQ_LINES)
        return;
    uint64_t hi = source < 0 ? 0 : IRTE_SVT_SID | (uint16_t)source;
    if (irt[2 * line + 1] == hi)
        return;
    irt[2 * line + 1] = hi;
    flush_entry(&irt[2 * line]);
    flush_irte(line);
}

static bool remap_interrupts(void)
{
    paddr_t p = arch_boot_page();
    if (!p)
        return false;
    uint64_t *t = arch_phys_to_virt(p);
    for (unsigned l = 0; l < V_IRQ_LINES; l++) {
        /* present, physical destination, fixed delivery, edge unless the
         * I/O APIC's pin is level-triggered */
        t[2 * l] = 1 | (uint64_t)(VEC_IRQ_BASE + l) << 16 | (uint64_t)lapic_apic_id() << 40;
        t[2 * l + 1] = 0;
        if (l < V_IRQ_LEGACY_LINES) {
            t[2 * l] |= ioapic_line_level(l) ? IRTE_TM : 0;
            if (platform.has_ioapic_source)
                t[2 * l + 1] = IRTE_SVT_SID | platform.ioapic_source;
        }
        flush_entry(&t[2 * l]);
    }
    wr64(REG_IRTA, p | 7);                               /* 2^(7+1) entries, xAPIC */
    if (!command(GCMD_SIRTP))
        return false;
    qi_put(4, 0);                                        /* interrupt entry cache, global */
    qi_sync();
    if (!command(GCMD_IRE))
        return false;
    irt = t;
    return true;
}

bool arch_iommu_init(paddr_t base, unsigned *addr_bits)
{
    regs = arch_kmap_device(base, 1);
    if (!regs)
        return false;
    cap = rd64(REG_CAP);
    ecap = rd64(REG_ECAP);
    unsigned sagaw = (cap >> 8) & 0x1f;
    levels = sagaw & 2 ? 3 : sagaw & 4 ? 4 : 0;
    if (!levels) {
        kprintf("vt-d: no 3- or 4-level page tables (SAGAW %#x): DMA stays unconfined\n", sagaw);
        return false;
    }
    nfault = (unsigned)((cap >> 40) & 0xff) + 1;
    fault_off = (unsigned)((cap >> 24) & 0x3ff) * 16;
    iotlb_off = (unsigned)((ecap >> 8) & 0x3ff) * 16;
    coherent = ecap & 1;
    if (!(root_table = arch_boot_page()))
        return false;
    for (unsigned b = 0; b < VTD_BUSES; b++) {
        if (!(context_table[b] = arch_boot_page()))
            return false;
        table(root_table)[2 * b] = context_table[b] | 1;
    }
    __asm__ volatile("wbinvd" ::: "memory");    /* the tables, once, whatever the unit snoops */

    /* Faults are reported on the kernel's vector, to this CPU. */
    wr32(REG_FEDATA, VEC_IOMMU);
    wr32(REG_FEADDR, 0xfee00000u | lapic_apic_id() << 12);
    wr32(REG_FEUADDR, 0);
    wr32(REG_FECTL, 0);

    wr64(REG_RTADDR, root_table);
    if (!command(GCMD_SRTP))
        return false;
    if (ecap & ECAP_QI) {
        paddr_t q = arch_boot_page();
        if (q) {
            wr64(REG_IQT, 0);
            wr64(REG_IQA, q);                            /* 256 entries, 128-bit */
            queue = arch_phys_to_virt(q);
            if (!command(GCMD_QIE))
                return false;
        }
    }
    flush_context();
    flush_iotlb(0);
    if (queue && (ecap & ECAP_IR) && !remap_interrupts())
        return false;
    if (!command(GCMD_TE))
        return false;
    *addr_bits = 12 + 9 * levels;
    return true;
}

bool arch_iommu_bus_ok(unsigned bus) { return bus < VTD_BUSES; }
bool arch_iommu_remaps_interrupts(void) { return irt != 0; }

void arch_iommu_attach(uint16_t source, paddr_t top, uint16_t domain)
{
    uint64_t *ce = table(context_table[source >> 8]) + 2 * (source & 0xff);
    ce[1] = (uint64_t)(levels - 2) | (uint64_t)domain << 8;   /* AW: 1 = 39 bits, 2 = 48 */
    ce[0] = (top & SL_ADDR) | 1;                              /* present, translated */
    flush_entry(ce);
    flush_context();        /* the entry was not present: caching mode may still hold it */
    flush_iotlb(0);
}

void arch_iommu_detach(uint16_t source, uint16_t domain)
{
    uint64_t *ce = table(context_table[source >> 8]) + 2 * (source & 0xff);
    ce[0] = 0;
    ce[1] = 0;
    flush_entry(ce);
    flush_context();
    flush_iotlb(domain);
}

/* The leaf table covering iova, creating tables if alloc. */
static uint64_t *leaf_table(paddr_t top, uint64_t iova, pt_alloc_fn alloc, void *ctx)
{
    uint64_t *t = table(top);
    for (int shift = 12 + 9 * ((int)levels - 1); shift > 12; shift -= 9) {
        uint64_t *e = &t[(iova >> shift) & 511];
        if (!(*e & (SL_R | SL_W))) {
            if (!alloc)
                return 0;
            paddr_t p = alloc(ctx);
            if (!p)
                return 0;
            *e = p | SL_R | SL_W;
            flush_entry(e);
        }
        t = table(*e & SL_ADDR);
    }
    return t;
}

bool arch_iopt_probe(paddr_t top, uint64_t iova, unsigned npages, unsigned *need)
{
    uint64_t seen[3] = {~0ull, ~0ull, ~0ull};
    *need = 0;
    for (unsigned i = 0; i < npages; i++, iova += PAGE_SIZE) {
        uint64_t *t = table(top);
        bool missing = false;
        int level = 0;
        for (int shift = 12 + 9 * ((int)levels - 1); shift > 12; shift -= 9, level++) {
            if (!missing) {
                uint64_t e = t[(iova >> shift) & 511];
                if (e & (SL_R | SL_W)) {
                    t = table(e & SL_ADDR);
                    continue;
                }
                missing = true;
            }
            if (seen[level] != iova >> shift) {
                seen[level] = iova >> shift;
                (*need)++;
            }
        }
        if (!missing && (t[(iova >> 12) & 511] & (SL_R | SL_W)))
            return true;
    }
    return false;
}

void arch_iopt_map(paddr_t top, uint64_t iova, paddr_t pa, unsigned npages, bool read,
                   bool write, pt_alloc_fn alloc, void *ctx)
{
    uint64_t bits = (read ? SL_R : 0) | (write ? SL_W : 0);
    for (unsigned i = 0; i < npages; i++, iova += PAGE_SIZE, pa += PAGE_SIZE) {
        uint64_t *t = leaf_table(top, iova, alloc, ctx);
        KASSERT(t);     /* arch_iopt_probe counted every table */
        uint64_t *e = &t[(iova >> 12) & 511];
        *e = (pa & SL_ADDR) | bits;
        flush_entry(e);
    }
    /* Not present before: nothing cached to flush, unless the unit
     * caches misses (caching mode, an emulated unit's way). */
    if (cap & (1u << 7))
        flush_iotlb(0);
}

void arch_iopt_unmap(paddr_t top, uint64_t iova, paddr_t pa, unsigned npages, uint16_t domain)
{
    for (unsigned i = 0; i < npages; i++, iova += PAGE_SIZE, pa += PAGE_SIZE) {
        uint64_t *t = leaf_table(top, iova, 0, 0);
        uint64_t *e = t ? &t[(iova >> 12) & 511] : 0;
        if (e && (*e & SL_ADDR) == (pa & SL_ADDR)) {
            *e = 0;
            flush_entry(e);
        }
    }
    flush_iotlb(domain);
}

static void free_level(paddr_t t, unsigned level, void (*release)(paddr_t, void *), void *ctx)
{
    uint64_t *e = table(t);
    for (unsigned i = 0; i < 512; i++)
        if (e[i] & (SL_R | SL_W)) {
            if (level > 2)
                free_level(e[i] & SL_ADDR, level - 1, release, ctx);
            release(e[i] & SL_ADDR, ctx);
        }
}

void arch_iopt_free_tables(paddr_t top, void (*release)(paddr_t, void *), void *ctx)
{
    free_level(top, levels, release, ctx);
}

/* Every recorded fault, oldest first, to the portable layer; then the
 * status cleared. Called from the fault event's vector. */
void vtd_fault_event(void)
{
    if (!regs)
        return;
    uint32_t fsts = rd32(REG_FSTS);
    unsigned i = (fsts >> 8) & 0xff;
    for (unsigned n = 0; n < nfault && (fsts & FSTS_PPF); n++, i = (i + 1) % nfault) {
        unsigned r = fault_off + 16 * i;
        uint64_t hi = rd64(r + 8);
        if (!(hi & (1ull << 63)))
            break;
        uint64_t addr = rd64(r) & ~0xfffull;
        wr64(r + 8, 1ull << 63);                /* write 1 to clear F */
        dma_fault((uint16_t)hi, addr, (unsigned)(hi >> 32) & 0xff, !(hi & (1ull << 62)));
    }
    wr32(REG_FSTS, FSTS_PFO | FSTS_PPF);
}
