/*
 * platform.c: see platform.h.
 */
#include "core/platform.h"

struct platform platform;

/* The tables sit in firmware-reserved RAM, inside the direct map; an
 * address the map does not cover is refused, never followed. */
static const void *map_direct(void *ctx, uint64_t phys, uint64_t len)
{
    uint64_t top = *(const uint64_t *)ctx;
    if (phys >= top || len > top - phys)
        return 0;
    return arch_phys_to_virt(phys);
}

/* The configuration page of bus:devfn in segment 0's ECAM window. */
static const void *map_config(uint16_t bdf)
{
    const struct acpi_platform *p = &platform.acpi;
    for (unsigned i = 0; i < p->necam; i++) {
        const struct acpi_mcfg_range *e = &p->ecam[i];
        if (e->segment == 0 && bdf >> 8 >= e->start_bus && bdf >> 8 <= e->end_bus)
            return arch_kmap_device(e->base + ((uint64_t)bdf << 12), 1);
    }
    return 0;
}

bool platform_iommu_scope(uint16_t source)
{
    if (platform.acpi.iommu[0].flags & ACPI_DRHD_INCLUDE_PCI_ALL)
        return true;
    for (uint32_t i = 0; i < platform.nscope; i++)
        if (platform.scope[i] == source)
            return true;
    unsigned bus = source >> 8;
    for (uint32_t i = 0; i < platform.nbridge; i++) {
        /* type 1 header: secondary bus at 0x19, subordinate at 0x1a */
        unsigned sec = platform.bridge[i].cfg[0x19], sub = platform.bridge[i].cfg[0x1a];
        if (sec > platform.bridge[i].bdf >> 8 && sec <= bus && bus <= sub)
            return true;
    }
    return false;
}

/* A hop of a scope's path: the bridge's secondary bus as firmware
 * numbered it (the bus numbers stay as firmware set them: nothing here
 * renumbers, and the device manager only reads them). */
static int secondary_bus(void *ctx, uint16_t bdf)
{
    (void)ctx;
    volatile const uint8_t *cfg = map_config(bdf);
    /* vendor 0xffff: no function; header type (low 7 bits) 1: a bridge */
    if (!cfg || (cfg[0] == 0xff && cfg[1] == 0xff) || (cfg[0x0e] & 0x7f) != 1)
        return -1;
    return cfg[0x19];
}

static void read_scope(const struct acpi_mem *mem, const struct acpi_root *root)
{
    struct acpi_table t;
    struct acpi_dmar d;
    struct acpi_dmar_unit u;
    struct acpi_iter it = {0};
    if (acpi_find(mem, root, "DMAR", 0, &t) != ACPI_OK || acpi_dmar_open(&t, &d) != ACPI_OK)
        return;
    while (acpi_dmar_next(&d, &it, &u) == ACPI_OK) {
        if (u.type != ACPI_DMAR_DRHD)
            continue;
        struct acpi_dmar_scope s;
        struct acpi_iter si = {0};
        while (acpi_dmar_scope_next(&u, &si, &s) == ACPI_OK) {
            uint16_t bdf;
            if (acpi_dmar_scope_source(&s, secondary_bus, 0, &bdf) != ACPI_OK) {
                kprintf("platform: DMAR scope (type %u) names no device: not confined\n", s.type);
                continue;
            }
            if (s.type == ACPI_SCOPE_ENDPOINT && platform.nscope < PLATFORM_MAX_SCOPE)
                platform.scope[platform.nscope++] = bdf;
            if (s.type == ACPI_SCOPE_BRIDGE && u.segment == 0 && platform.nbridge < PLATFORM_MAX_BRIDGE) {
                const void *cfg = map_config(bdf);
                if (cfg)
                    platform.bridge[platform.nbridge++] = (typeof(platform.bridge[0])){bdf, cfg};
            }
            for (uint32_t i = 0; i < platform.acpi.nioapics; i++)
                if (s.type == ACPI_SCOPE_IOAPIC && platform.acpi.ioapic[i].gsi_base == 0 &&
                    platform.acpi.ioapic[i].id == s.enum_id) {
                    platform.has_ioapic_source = true;
                    platform.ioapic_source = bdf;
                }
        }
        return;                 /* the first unit's only */
    }
}

/* The HPET table (IA-PC HPET specification 1.0a, table 3): the event
 * timer block's registers at offset 44 of a generic address in memory
 * space (id 0). A table too short, or naming another space, is ignored. */
static void read_hpet(const struct acpi_mem *mem, const struct acpi_root *root)
{
    struct acpi_table t;
    if (acpi_find(mem, root, "HPET", 0, &t) != ACPI_OK || t.len < 56 || t.p[40] != 0)
        return;
    uint64_t base = 0;
    for (unsigned i = 0; i < 8; i++)
        base |= (uint64_t)t.p[44 + i] << (8 * i);
    if (base && !(base & 0xfff))
        platform.hpet_base = base;
}

void platform_init(const struct boot_info *bi)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < bi->nram; i++)
        if (bi->ram[i].base + bi->ram[i].size > top)
            top = bi->ram[i].base + bi->ram[i].size;
    top = ALIGN_UP(top, 1ull << 30);        /* the direct map's extent (paging.c) */
    struct acpi_mem mem = {map_direct, &top};
    struct acpi_rsdp rsdp;
    struct acpi_root root;
    enum acpi_err e = ACPI_ENOTFOUND;
    if (bi->rsdp_len &&
        (e = acpi_rsdp_parse(bi->rsdp, bi->rsdp_len, bi->rsdp_at, &rsdp)) == ACPI_OK &&
        (e = acpi_root_open(&mem, &rsdp, &root)) == ACPI_OK)
        e = acpi_platform_read(&mem, &root, &platform.acpi);
    if (e != ACPI_OK) {
        memset(&platform.acpi, 0, sizeof platform.acpi);
        kprintf("platform: no usable ACPI tables (%s): no ECAM, no IOMMU, DMA unconfined\n",
                acpi_err_name(e));
        return;
    }
    platform.has_acpi = true;
    const struct acpi_platform *p = &platform.acpi;
    read_scope(&mem, &root);
    read_hpet(&mem, &root);
    if (!kopt_quiet || !p->has_dmar)
        kprintf("platform: ACPI %u: %u CPUs, %u I/O APICs, %u ECAM windows, %s\n",
                rsdp.revision, p->ncpus, p->nioapics, p->necam,
                p->has_dmar ? "IOMMU present" : "no IOMMU: DMA is unconfined");
    if (!kopt_quiet)
        for (unsigned i = 0; i < p->necam; i++)
            kprintf("platform: ECAM segment %u buses %u-%u at %#lx\n", p->ecam[i].segment,
                    p->ecam[i].start_bus, p->ecam[i].end_bus,
                    p->ecam[i].base + ((uint64_t)p->ecam[i].start_bus << 20));
}
